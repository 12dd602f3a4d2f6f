"""Each rule of redcap.md on the hand-made REDCap export (tests/redcap/handmade.py); expected values
worked out by hand from its cells and the reference dictionary's choices."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import load_export
from orchestration.redcap import import_redcap
from tests.redcap.handmade import PLANTED, base_rows, read_table, write_redcap_export

EXPORTED_AT = "2024-09-16T02:00:00Z"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("redcap")
    source = write_redcap_export(root / "registry-2024-09-16")
    summary = import_redcap(source, root / "out", exported_at=EXPORTED_AT, data_cutoff="2024-09-15")
    return root / "out", summary


def test_codes_become_the_contracts_vocabulary_through_the_dictionarys_choices(imported):
    out, _ = imported
    patients = {r["patient_id"]: r for r in read_table(out, "patients")}
    # sex 1 -> M, 9 -> U (mapping codes); consent yesno 1/0 -> yes/no (choice labels Yes/No)
    assert [(p["sex"], p["consent_data_use"]) for p in patients.values()] == [
        ("M", "yes"),
        ("U", "no"),
        ("M", "yes"),
    ]
    # checkbox codes 3, 8 -> labels ADT, Docetaxel -> adt, docetaxel; dates from pt_<value>_start/_end
    assert [
        (r["patient_id"], r["therapy"], r["start_date"], r["end_date"])
        for r in read_table(out, "prior_therapies")
    ] == [
        ("R1", "adt", "2019-05-02", ""),
        ("R1", "docetaxel", "2020-01-10", ""),
    ]
    # met_site 1, 3 -> bone, liver; extent 3 -> diffuse, and only on the bone row
    assert [(r["site"], r["extent"]) for r in read_table(out, "metastases")] == [
        ("bone", "diffuse"),
        ("liver", ""),
    ]
    cycles = [
        (r["patient_id"], r["radioligand"], r["activity"], r["activity_unit"], r["series"])
        for r in read_table(out, "rlt_cycles")
    ]
    assert cycles == [
        ("R1", "177Lu-PSMA-617", "7.4", "GBq", ""),
        ("R1", "177Lu-PSMA-617", "7.2", "GBq", "1"),  # "7,2" written with a point
        ("R2", "225Ac-PSMA-617", "8", "MBq", ""),
        ("R3", "177Lu-PSMA-I&T", "200", "mCi", ""),
    ]
    labs = [
        (r["analyte"], r["value"], r["unit"], r["ref_low"], r["ref_high"])
        for r in read_table(out, "lab_results")
    ]
    assert labs == [("psa", "<0.01", "ng/mL", "", ""), ("hemoglobin", "11.2", "g/dL", "13.5", "17.5")]
    assert [(r["term"], r["grade"]) for r in read_table(out, "adverse_events")] == [("dry_mouth", "0")]
    assert [(r["assessment_date"], r["ecog"]) for r in read_table(out, "performance_status")] == [
        ("2023-01-05", "2")
    ]


def test_missing_data_codes_become_null_counted_per_field(imported):
    out, summary = imported
    patients = {r["patient_id"]: r for r in read_table(out, "patients")}
    assert patients["R1"]["diagnosis_date"] == ""  # UNK
    assert patients["R2"]["gleason_score"] == ""  # NASK
    assert patients["R1"]["gleason_score"] == "8"
    assert {f: dict(c) for f, c in summary.missing.items()} == {
        "diagnosis_date": {"UNK": 1},
        "gleason_score": {"NASK": 1},
        "pt_docetaxel_end": {"NASK": 1},
    }
    text = summary.format()
    assert "gleason_score: 1 (NASK 1)" in text


def test_a_checkbox_form_never_started_is_missing_not_none(imported):
    _, summary = imported
    # R2 (status empty, boxes 0) and R3 (status 0, boxes 0): never started; R2's imaging instance was
    # saved Complete with no site ticked: "none of these". The death form (not read by the mapping):
    # only R2 has one.
    assert dict(summary.not_started) == {"prior_therapy": 2, "death": 2}
    assert dict(summary.none_ticked) == {"metastases": 1}
    assert "instruments never started (missing, not 'none'): death 2, prior_therapy 2" in summary.format()


def test_the_data_access_group_becomes_site_id(imported, tmp_path):
    out, _ = imported
    assert [r["site_id"] for r in read_table(out, "patients")] == ["S01", "S02", ""]
    # without the DAG list, the DAG's unique name is the site id
    source = write_redcap_export(tmp_path / "no-dag-list", dags=False)
    import_redcap(source, tmp_path / "out", exported_at=EXPORTED_AT)
    assert [r["site_id"] for r in read_table(tmp_path / "out", "patients")] == ["s01", "s02", ""]


def test_fields_outside_the_mapping_are_never_written(imported):
    out, summary = imported
    assert summary.fields_not_written == ["patient_name", "mrn", "vital_notes", "death_cause"]
    for path in out.iterdir():
        content = path.read_bytes()
        for planted in PLANTED:
            assert planted.encode() not in content, (path.name, planted)


def test_manifest_follows_the_contract(imported):
    out, _ = imported
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["export_id"] == "registry-2024-09-16"  # the folder's name
    assert manifest["exported_at"] == EXPORTED_AT
    assert manifest["data_cutoff"] == "2024-09-15"
    assert manifest["schema_version"] == "1.0"
    rows = {
        "patients": 3,
        "performance_status": 1,
        "prior_therapies": 2,
        "metastases": 2,
        "rlt_cycles": 4,
        "lab_results": 2,
        "adverse_events": 1,
        "vital_status": 3,
    }
    assert {f: m["rows"] for f, m in manifest["files"].items()} == {f"{t}.csv": n for t, n in rows.items()}
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
    assert (out / "patients.csv").stat().st_mode & 0o777 == 0o600


def test_the_import_loads_with_an_empty_quarantine(imported):
    out, _ = imported
    with duckdb.connect() as con:
        summary = load_export(out, con)
        assert con.execute("select patient_id, site_id, sex from raw.patients order by 1").fetchall() == [
            ("R1", "S01", "M"),
            ("R3", None, "M"),
        ]
        # R3's 200 mCi are 7.4 GBq; R2 (no consent) is dropped with all his rows
        assert con.execute("select count(*) from raw.rlt_cycles").fetchone() == (3,)
    assert sum(f.rows_quarantined for f in summary.files.values()) == 0
    assert summary.files["patients.csv"].rows_excluded_consent == 1


def test_default_dates_come_from_the_files(tmp_path):
    import os

    source = write_redcap_export(tmp_path / "export")
    stamp = 1726452000  # 2024-09-16T02:00:00Z
    for p in source.iterdir():
        os.utime(p, (stamp - 60, stamp - 60))
    os.utime(source / "records.csv", (stamp, stamp))
    import_redcap(source, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (manifest["exported_at"], manifest["data_cutoff"]) == ("2024-09-16T02:00:00Z", "2024-09-16")


def test_a_longitudinal_project_reads_each_form_in_its_events(imported, tmp_path):
    """The same records in two events (enrolment; follow-up with the vital status): the same tables, and
    an event without a form does not count as that form never started."""
    classic, _ = imported
    vital = ("last_known_alive_date", "death_date", "vital_notes", "vital_status_complete")
    rows = []
    for r in base_rows():
        if r.get("redcap_repeat_instrument"):
            rows.append({**r, "redcap_event_name": "enrolment_arm_1"})
            continue
        keep = ("record_id", "redcap_data_access_group")
        rows.append({k: v for k, v in r.items() if k not in vital} | {"redcap_event_name": "enrolment_arm_1"})
        rows.append(
            {k: v for k, v in r.items() if k in vital or k in keep} | {"redcap_event_name": "follow_up_arm_1"}
        )
    source = write_redcap_export(tmp_path / "longitudinal", rows)
    forms = ("patient", "ecog", "prior_therapy", "metastases", "rlt_cycle", "lab_result", "adverse_event")
    (source / "instrument_event_mapping.csv").write_text(
        "arm_num,unique_event_name,form\n"
        + "".join(f"1,enrolment_arm_1,{f}\n" for f in forms)
        + "1,follow_up_arm_1,vital_status\n"
    )
    summary = import_redcap(source, tmp_path / "out", exported_at=EXPORTED_AT, data_cutoff="2024-09-15")
    for table in ("patients", "prior_therapies", "metastases", "rlt_cycles", "vital_status"):
        assert read_table(tmp_path / "out", table) == read_table(classic, table), table
    assert dict(summary.not_started) == {"prior_therapy": 2}
    assert summary.unmapped() == []


def test_a_missing_data_code_on_a_checkbox_group_is_missing(tmp_path):
    """REDCap writes a missing-data code given to a checkbox field as one more box (`field___unk`)."""
    rows = base_rows()
    r3 = next(r for r in rows if r["record_id"] == "R3" and not r.get("redcap_repeat_instrument"))
    r3 |= {"prior_therapy___unk": "1", "prior_therapy_complete": "2"}
    source = write_redcap_export(tmp_path / "src", rows)
    summary = import_redcap(source, tmp_path / "out", exported_at=EXPORTED_AT)
    assert [r["patient_id"] for r in read_table(tmp_path / "out", "prior_therapies")] == ["R1", "R1"]
    assert dict(summary.missing["prior_therapy"]) == {"UNK": 1}
    assert summary.not_started["prior_therapy"] == 1  # R2 only
    assert "prior_therapy" not in summary.none_ticked
    assert summary.unmapped() == []
