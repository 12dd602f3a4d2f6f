"""Row-level rules of the contract's bad-input table: quarantine with column and reason, counts."""

from __future__ import annotations

from datetime import date

from orchestration.ingest import load_export, loader
from tests.ingest.conftest import VALID_FILES, ExportFactory
from tests.ingest.helpers import quarantined, raw_lines

LAB_HEADER = "patient_id,sample_date,analyte,value,unit,ref_low,ref_high\n"
CYCLE_HEADER = "patient_id,administration_date,radioligand,activity,activity_unit,series\n"


def test_unparseable_date(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,ecog\nP1,2020-02-30,1\nP2,yesterday,2\nP3,2020-01-02,0\n"
    summary = load_export(make_export({"performance_status.csv": text}), con)
    assert quarantined(con, "performance_status") == [
        (2, "assessment_date", "unparseable_date"),
        (3, "assessment_date", "unparseable_date"),
    ]
    assert raw_lines(con, "performance_status") == [4]
    assert summary.quarantined[("performance_status.csv", "unparseable_date")] == 2


def test_unparseable_number(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,term,grade\nP1,2020-02-01,fatigue,two\nP2,2020-03-01,nausea,1.5\n"
    load_export(make_export({"adverse_events.csv": text}), con)
    assert quarantined(con, "adverse_events") == [
        (2, "grade", "unparseable_number"),
        (3, "grade", "unparseable_number"),
    ]


def test_value_outside_vocabulary(make_export: ExportFactory, con) -> None:
    text = "patient_id,therapy,start_date,end_date\nP1,chemo,,\nP2,Docetaxel,,\n"
    load_export(make_export({"prior_therapies.csv": text}), con)
    assert quarantined(con, "prior_therapies") == [(2, "therapy", "not_in_vocabulary")]
    # matched case-insensitively, stored in the vocabulary's spelling
    assert con.execute("SELECT therapy FROM raw.prior_therapies").fetchall() == [("docetaxel",)]


def test_unknown_unit_for_analyte(make_export: ExportFactory, con) -> None:
    text = LAB_HEADER + "P1,2020-01-05,hemoglobin,12.1,mg/dL,,\nP1,2020-01-05,creatinine,1.1,mg/dL,,\n"
    load_export(make_export({"lab_results.csv": text}), con)
    assert quarantined(con, "lab_results") == [(2, "unit", "unknown_unit")]


def test_unit_spelling_stored_as_seed(make_export: ExportFactory, con) -> None:
    # Greek mu (U+03BC) instead of micro sign, spaces and case: all the seed's `µmol/L`
    text = LAB_HEADER + "P3,2020-03-25,creatinine,88.42,\u03bcmol / l,,\n"
    load_export(make_export({"lab_results.csv": text}), con)
    assert con.execute("SELECT unit FROM raw.lab_results").fetchall() == [("µmol/L",)]


def test_implausible_lab_value_after_conversion(make_export: ExportFactory, con) -> None:
    # 250 g/L = 25 g/dL is at the edge (kept); 260 g/L = 26 g/dL is outside 2–25; 250 g/dL too
    text = LAB_HEADER + (
        "P1,2020-01-05,hemoglobin,250,g/L,,\n"
        "P1,2020-01-06,hemoglobin,260,g/L,,\n"
        "P1,2020-01-07,hemoglobin,250,g/dL,,\n"
    )
    load_export(make_export({"lab_results.csv": text}), con)
    assert quarantined(con, "lab_results") == [
        (3, "value", "implausible_value"),
        (4, "value", "implausible_value"),
    ]
    reason = con.execute("SELECT reason FROM quarantine.lab_results WHERE line_number = 4").fetchone()[0]
    assert reason.startswith("implausible_value: 250 g/dL") and "2–25" in reason


def test_implausible_activity_by_radioligand(make_export: ExportFactory, con) -> None:
    # 25 MBq Ac-225 is above 20 MBq; 8 MBq Lu-177 is below 0.1 GBq; 200 mCi Lu = 7.4 GBq is fine
    text = CYCLE_HEADER + (
        "P1,2020-01-10,177Lu-PSMA-617,200,mCi,1\n"
        "P2,2020-02-01,225Ac-PSMA-617,25,MBq,1\n"
        "P3,2020-04-01,177Lu-PSMA-617,8,MBq,1\n"
    )
    load_export(make_export({"rlt_cycles.csv": text}), con)
    assert quarantined(con, "rlt_cycles") == [
        (3, "activity", "implausible_value"),
        (4, "activity", "implausible_value"),
    ]
    assert con.execute("SELECT activity, activity_unit FROM raw.rlt_cycles").fetchall() == [(200.0, "mCi")]


def test_missing_required_value(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,site,extent\nP1,,bone,\nP2,2020-01-15,,\n,2020-01-15,liver,\n"
    load_export(make_export({"metastases.csv": text}), con)
    assert quarantined(con, "metastases") == [
        (2, "assessment_date", "missing_required"),
        (3, "site", "missing_required"),
        (4, "patient_id", "missing_required"),
    ]


def test_implausible_ecog(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,ecog\nP1,2020-01-02,6\n"
    load_export(make_export({"performance_status.csv": text}), con)
    assert quarantined(con, "performance_status") == [(2, "ecog", "implausible_value")]


def test_duplicate_patient_id_makes_orphans(make_export: ExportFactory, con) -> None:
    patients = VALID_FILES["patients.csv"] + "P2,S9,1948-07-15,M,,,yes\n"
    summary = load_export(make_export({"patients.csv": patients}), con)
    assert quarantined(con, "patients") == [
        (3, "patient_id", "duplicate_patient_id"),
        (5, "patient_id", "duplicate_patient_id"),
    ]
    assert raw_lines(con, "patients") == [2, 4]
    # P2's rows elsewhere: rlt_cycles line 4, vital_status line 3, lab line 4, ...
    assert quarantined(con, "rlt_cycles") == [(4, "patient_id", "orphan")]
    assert quarantined(con, "vital_status") == [(3, "patient_id", "orphan")]
    assert summary.quarantined[("prior_therapies.csv", "orphan")] == 1


def test_orphan_rows(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,term,grade\nP1,2020-02-01,fatigue,1\nP9,2020-02-01,pain,2\n"
    load_export(make_export({"adverse_events.csv": text}), con)
    assert quarantined(con, "adverse_events") == [(3, "patient_id", "orphan")]


def test_exact_duplicates_kept_once(make_export: ExportFactory, con) -> None:
    text = (
        "patient_id,assessment_date,ecog\n"
        "P1,2020-01-02,1\nP1,2020-01-02,1\nP1,02.01.2020,1\nP1,2020-01-02,2\n"
    )
    summary = load_export(make_export({"performance_status.csv": text}), con)
    counts = summary.files["performance_status.csv"]
    assert (counts.rows_read, counts.rows_loaded, counts.rows_duplicate, counts.rows_quarantined) == (
        4,
        2,
        2,
        0,
    )
    assert raw_lines(con, "performance_status") == [2, 5]


def test_event_after_cutoff_loaded_and_counted(make_export: ExportFactory, con) -> None:
    # cut-off 2024-09-15, exported 2024-09-16 (04:00 in Berlin): the 16th is after the cut-off (loaded,
    # flagged); the 17th is after exported_at, which no real date can be: implausible, quarantined
    text = LAB_HEADER + (
        "P1,2024-09-15,psa,1.2,ng/mL,,\nP1,2024-09-16,psa,1.3,ng/mL,,\nP1,2024-09-17,psa,1.4,ng/mL,,\n"
    )
    summary = load_export(make_export({"lab_results.csv": text}), con)
    assert summary.files["lab_results.csv"].rows_after_cutoff == 1
    flags = con.execute("SELECT line_number, after_cutoff FROM raw.lab_results ORDER BY 1").fetchall()
    assert flags == [(2, False), (3, True)]
    assert quarantined(con, "lab_results") == [(4, "sample_date", "implausible_date")]


def test_after_exported_at_when_cutoff_is_later(make_export: ExportFactory, con) -> None:
    text = "patient_id,last_known_alive_date,death_date\nP1,2024-09-17,\nP2,2024-09-16,\nP3,2022-01-01,\n"
    path = make_export({"vital_status.csv": text}, manifest={"data_cutoff": "2024-12-31"})
    summary = load_export(path, con)
    assert summary.files["vital_status.csv"].rows_after_cutoff == 0
    assert quarantined(con, "vital_status") == [(2, "last_known_alive_date", "implausible_date")]


def test_death_before_first_cycle(make_export: ExportFactory, con) -> None:
    # P1's first valid cycle is 2020-01-10 (the 2019 line has an unknown unit and does not count)
    cycles = VALID_FILES["rlt_cycles.csv"] + "P1,2019-06-01,177Lu-PSMA-617,7.4,Gy,1\n"
    vital = "patient_id,last_known_alive_date,death_date\nP1,2019-05-01,2019-12-01\nP3,2022-01-01,\n"
    load_export(make_export({"rlt_cycles.csv": cycles, "vital_status.csv": vital}), con)
    assert quarantined(con, "vital_status") == [(2, "death_date", "death_before_first_cycle")]


def test_sample_before_birth(make_export: ExportFactory, con) -> None:
    text = LAB_HEADER + "P2,1948-07-14,psa,3,ng/mL,,\nP2,1948-07-15,psa,3,ng/mL,,\n"
    load_export(make_export({"lab_results.csv": text}), con)
    assert quarantined(con, "lab_results") == [(2, "sample_date", "sample_before_birth")]


def test_death_before_last_known_alive(make_export: ExportFactory, con) -> None:
    text = "patient_id,last_known_alive_date,death_date\nP2,2020-12-01,2020-11-15\n"
    load_export(make_export({"vital_status.csv": text}), con)
    assert quarantined(con, "vital_status") == [(2, "death_date", "death_before_last_alive")]


def test_consent_no_excluded_everywhere(make_export: ExportFactory, con) -> None:
    patients = VALID_FILES["patients.csv"].replace(
        "P2,S1,1948-07-15,M,2016-05-02,9,yes", "P2,S1,1948-07-15,M,,9,No"
    )
    summary = load_export(make_export({"patients.csv": patients}), con)
    # P2 has 1 row in patients, rlt_cycles, vital_status, lab_results, performance_status, prior_therapies,
    # metastases, adverse_events
    for file in VALID_FILES:
        counts = summary.files[file]
        assert counts.rows_excluded_consent == 1, file
        assert counts.rows_quarantined == 0, file
    for table in ("patients", "rlt_cycles", "lab_results", "vital_status"):
        for schema in ("raw", "quarantine"):
            n = con.execute(f"SELECT count(*) FROM {schema}.{table} WHERE patient_id LIKE '%P2%'").fetchone()[
                0
            ]
            assert n == 0


def test_accounting_identity_and_audit(make_export: ExportFactory, con) -> None:
    patients = VALID_FILES["patients.csv"] + "P4,S1,1950-01-01,X,,,yes\nP5,S1,1950-01-01,M,,,no\n"
    labs = VALID_FILES["lab_results.csv"] + (
        "P1,2020-01-05,hemoglobin,12.1,g/dL,13.5,17.5\n"  # duplicate of line 2
        "P4,2020-01-05,psa,5,ng/mL,,\n"  # orphan (P4 quarantined)
        "P5,2020-01-05,psa,5,ng/mL,,\n"  # no consent
        "P1,2020-01-05,psa,abc,ng/mL,,\n"  # unparseable
    )
    summary = load_export(make_export({"patients.csv": patients, "lab_results.csv": labs}), con)
    lab = summary.files["lab_results.csv"]
    assert (
        lab.rows_read,
        lab.rows_loaded,
        lab.rows_quarantined,
        lab.rows_duplicate,
        lab.rows_excluded_consent,
    ) == (8, 4, 2, 1, 1)
    audit = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_excluded_consent "
        "FROM audit.export_loads WHERE file = 'patients.csv'"
    ).fetchone()
    assert audit == (5, 3, 1, 0, 1)
    unbalanced = con.execute(
        "SELECT file FROM audit.export_loads "
        "WHERE rows_read <> rows_loaded + rows_quarantined + rows_duplicate + rows_excluded_consent"
    ).fetchall()
    assert unbalanced == []
    reasons = con.execute(
        "SELECT file, reason, n_rows FROM audit.quarantine_summary ORDER BY 1, 2"
    ).fetchall()
    assert reasons == [
        ("lab_results.csv", "orphan", 1),
        ("lab_results.csv", "unparseable_number", 1),
        ("patients.csv", "not_in_vocabulary", 1),
    ]
    assert summary.data_cutoff == date(2024, 9, 15)


def test_ragged_rows_quarantined(make_export: ExportFactory, con) -> None:
    text = "patient_id,assessment_date,ecog\nP1,2020-01-02\nP2,2020-01-25,3,extra\nP3,2020-01-02,0\n"
    load_export(make_export({"performance_status.csv": text}), con)
    assert quarantined(con, "performance_status") == [
        (2, None, "wrong_field_count"),
        (3, None, "wrong_field_count"),
    ]
    stored = con.execute(
        "SELECT patient_id, ecog FROM quarantine.performance_status ORDER BY line_number"
    ).fetchall()
    # the fields of a ragged row cannot be assigned to columns: file, line and reason only (issue 16.1)
    assert stored == [(None, None), (None, None)]


def test_quoted_line_break_keeps_line_numbers(make_export: ExportFactory, con) -> None:
    text = 'patient_id,therapy,start_date,end_date\n"P1",other,,\n"P\n2",adt,,\nP2,adt,,\n'
    load_export(make_export({"prior_therapies.csv": text}, rows={"prior_therapies.csv": 3}), con)
    assert raw_lines(con, "prior_therapies") == [2, 5]
    assert quarantined(con, "prior_therapies") == [(3, "patient_id", "orphan")]


def test_lineage_on_every_raw_and_quarantined_row(make_export: ExportFactory, con, monkeypatch) -> None:
    # export_id and the file name go into the INSERT as parameters, once per slice: slices of 2 rows here
    monkeypatch.setattr(loader, "INSERT_CHUNK_ROWS", 2)
    text = LAB_HEADER + (
        "P1,2024-01-02,psa,1.2,ng/mL,,\nP1,2024-01-03,psa,x,ng/mL,,\nP1,2024-01-04,psa,1.4,ng/mL,,\n"
        "P1,2024-01-05,psa,1.5,ng/mL,,\nP1,2024-01-06,psa,1.6,ng/mL,,\n"
    )
    load_export(make_export({"lab_results.csv": text}, manifest={"export_id": "night-42"}), con)
    lineage = "SELECT export_id, source_file, line_number FROM {} ORDER BY 3"
    rows = con.execute(lineage.format("raw.lab_results")).fetchall()
    assert rows == [("night-42", "lab_results.csv", n) for n in (2, 4, 5, 6)]
    bad = con.execute(lineage.format("quarantine.lab_results")).fetchall()
    assert bad == [("night-42", "lab_results.csv", 3)]
