"""Hostile REDCap input: each a variant of the hand-made export with a few cells changed. What cannot be
mapped is reported with record, field and value and written as it came, so ingestion quarantines its row
with a reason (nothing is lost); only a broken mapping or an unreadable export stops the import."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.ingest import load_export
from orchestration.redcap import RedcapError, import_redcap
from orchestration.redcap.mapping import REFERENCE_DIR
from orchestration.redcap.project import read_dictionary, records_header
from tests.redcap.handmade import PLANTED, base_rows, read_table, write_redcap_export

EXPORTED_AT = "2024-09-16T02:00:00Z"


def _run(tmp_path: Path, rows=None, **kw):
    source = write_redcap_export(tmp_path / "src", rows, **kw)
    summary = import_redcap(source, tmp_path / "out", exported_at=EXPORTED_AT, data_cutoff="2024-09-15")
    return tmp_path / "out", summary


def _row(rows, record: str, form: str = "", n: int = 1) -> dict[str, str]:
    return next(
        r
        for r in rows
        if r["record_id"] == record
        and r.get("redcap_repeat_instrument", "") == form
        and (not form or r["redcap_repeat_instance"] == str(n))
    )


def _issues(summary, repaired: bool = False) -> set[tuple[str, str, str]]:
    return {(i.record, i.field, i.value) for i in summary.issues if i.repaired == repaired}


def _quarantine(out: Path, table: str) -> list[tuple]:
    with duckdb.connect() as con:
        load_export(out, con)
        return con.execute(f"select patient_id, column_name from quarantine.{table} order by 1").fetchall()


def test_dictionary_disagreeing_with_the_records(tmp_path):
    text = (REFERENCE_DIR / "data_dictionary.csv").read_text(encoding="utf-8")
    # the dictionary lost the field `ecog`; records.csv lost lab_ref_high, has a column the dictionary lacks
    dictionary = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("ecog,"))
    header = [
        h
        for h in records_header(read_dictionary(REFERENCE_DIR / "data_dictionary.csv"))
        if h != "lab_ref_high"
    ]
    rows = base_rows()
    for r in rows:
        r.pop("lab_ref_high", None)
    rows[0]["favourite_colour"] = "green"
    out, summary = _run(tmp_path, rows, header=header, dictionary_text=dictionary)
    unmapped = {(i.field, i.reason.split(":")[0]) for i in summary.unmapped()}
    assert ("ecog", "field named by the mapping is not in the data dictionary") in unmapped
    assert ("lab_ref_high", "field named by the mapping is not in records.csv") in unmapped
    assert [r["ecog"] for r in read_table(out, "performance_status")] == ["2"]  # read as it is
    assert [r["ref_high"] for r in read_table(out, "lab_results")] == ["", ""]
    assert "favourite_colour" in summary.fields_not_written
    assert b"green" not in b"".join(p.read_bytes() for p in out.iterdir())


def test_unknown_codes_are_reported_and_quarantined(tmp_path):
    rows = base_rows()
    _row(rows, "R1", "adverse_event")["ae_term"] = "42"
    _row(rows, "R3")["sex"] = "7"
    out, summary = _run(tmp_path, rows)
    assert _issues(summary) == {("R1", "ae_term", "42"), ("R3", "sex", "7")}
    assert [r["term"] for r in read_table(out, "adverse_events")] == ["42"]
    assert _quarantine(out, "adverse_events") == [("R1", "term")]
    text = summary.format()
    assert (
        "adverse_events: record R1, field ae_term, value '42': code not among the dictionary's choices"
        in text
    )


def test_a_ticked_checkbox_code_not_in_the_choices(tmp_path):
    rows = base_rows()
    rows[0]["prior_therapy___42"] = "1"
    out, summary = _run(tmp_path, rows)
    assert _issues(summary) == {("R1", "prior_therapy", "42")}
    assert [r["therapy"] for r in read_table(out, "prior_therapies")] == ["adt", "docetaxel", "42"]
    assert _quarantine(out, "prior_therapies") == [("R1", "therapy")]


def _labels_export(rows: list[dict[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """The hand-made export as REDCap's "labels" CSV: labels as header and as coded values."""
    fields = read_dictionary(REFERENCE_DIR / "data_dictionary.csv")
    forms = {"patient": "Patient", "ecog": "ECOG assessment", "prior_therapy": "Prior therapies",
             "metastases": "Metastases", "rlt_cycle": "RLT cycle", "lab_result": "Lab result",
             "adverse_event": "Adverse event", "vital_status": "Vital status"}  # fmt: skip
    status = {"0": "Incomplete", "1": "Unverified", "2": "Complete", "": ""}
    names = records_header(fields)
    header = []
    for name in names:
        base, _, code = name.partition("___")
        if name in fields:
            header.append(fields[name].label)
        elif code:
            header.append(f"{fields[base].label} (choice={fields[base].label_of(code)})")
        elif name.endswith("_complete"):
            header.append("Complete?")
        else:
            header.append(name.replace("redcap_", "").replace("_", " ").title().replace("Access", "Access"))
    out = []
    for r in rows:
        labelled = {}
        for name, value in r.items():
            base, _, code = name.partition("___")
            if code:
                value = {"1": "Checked", "0": "Unchecked"}[value]
            elif name in fields and fields[name].coded:
                value = fields[name].label_of(value) or value
            elif name.endswith("_complete"):
                value = status[value]
            elif name == "redcap_repeat_instrument":
                value = forms.get(value, value)
            elif name == "redcap_data_access_group":
                value = {"s01": "S01", "s02": "S02"}.get(value, value)
            labelled[header[names.index(name)]] = value
        out.append(labelled)
    return header, out


def test_labels_exported_instead_of_codes(tmp_path):
    expected, _ = _run(tmp_path / "raw")
    header, rows = _labels_export(base_rows())
    source = write_redcap_export(tmp_path / "src", [], dags=False)
    with open(source / "records.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    (source / "instruments.csv").write_bytes((REFERENCE_DIR / "instruments.csv").read_bytes())
    summary = import_redcap(source, tmp_path / "out", exported_at=EXPORTED_AT, data_cutoff="2024-09-15")
    for table in ("patients", "prior_therapies", "metastases", "rlt_cycles", "lab_results", "adverse_events"):
        assert read_table(tmp_path / "out", table) == read_table(expected, table), table
    assert summary.unmapped() == []
    repaired = {(i.record, i.field, i.value) for i in summary.repaired()}
    assert ("R1", "sex", "Male") in repaired and ("R2", "radioligand", "225Ac-PSMA-617") in repaired
    assert "a label, not a code (export raw data): read as its code" in summary.format()


def test_dates_in_another_format(tmp_path):
    rows = base_rows()
    _row(rows, "R1")["birth_date"] = "01.03.1950"  # German
    _row(rows, "R1", "ecog")["ecog_date"] = "05-01-2023"  # the field's display format, date_dmy
    _row(rows, "R1", "rlt_cycle", 1)["cycle_date"] = "2023/01/10"
    _row(rows, "R1", "rlt_cycle", 2)["cycle_date"] = "2023-03-07 10:30"  # a datetime field's raw form
    _row(rows, "R1", "adverse_event")["ae_date"] = "9 Jan 2023"
    out, summary = _run(tmp_path, rows)
    assert read_table(out, "patients")[0]["birth_date"] == "1950-03-01"
    assert read_table(out, "performance_status")[0]["assessment_date"] == "2023-01-05"
    assert [r["administration_date"] for r in read_table(out, "rlt_cycles")][:2] == [
        "2023-01-10",
        "2023-03-07",
    ]
    assert _issues(summary, repaired=True) == {
        ("R1", "birth_date", "01.03.1950"),
        ("R1", "ecog_date", "05-01-2023"),
        ("R1", "cycle_date", "2023/01/10"),
    }
    assert _issues(summary) == {("R1", "ae_date", "9 Jan 2023")}
    assert _quarantine(out, "adverse_events") == [("R1", "assessment_date")]


def test_a_record_without_the_patient_instrument(tmp_path):
    rows = base_rows()
    rows.append(
        {
            "record_id": "R4",
            "redcap_repeat_instrument": "rlt_cycle",
            "redcap_repeat_instance": "1",
            "cycle_date": "2023-04-01",
            "radioligand": "1",
            "activity": "7.4",
            "activity_unit": "1",
            "rlt_cycle_complete": "2",
        }  # fmt: skip
    )
    out, summary = _run(tmp_path, rows)
    assert [(i.record, i.field) for i in summary.unmapped()] == [("R4", "patient (instrument)")]
    assert "R4" not in [r["patient_id"] for r in read_table(out, "patients")]
    assert _quarantine(out, "rlt_cycles") == [("R4", "patient_id")]  # an orphan, not lost


def test_identifiers_outside_the_mapping_never_reach_the_export(tmp_path, capsys):
    rows = base_rows()
    rows[0] |= {"patient_surname": "Mustermann-Planted", "redcap_survey_identifier": "MRN-7654321"}
    rows[0]["vital_notes"] = "Erika Mustermann, +49 171 5550123"
    source = write_redcap_export(tmp_path / "src", rows)
    assert main(["import-redcap", str(source), str(tmp_path / "out"), "--exported-at", EXPORTED_AT]) == 0
    printed = capsys.readouterr()
    for planted in (*PLANTED, "Mustermann-Planted"):
        assert planted not in printed.out + printed.err
        for path in (tmp_path / "out").iterdir():
            assert planted.encode() not in path.read_bytes(), (path.name, planted)


_PATIENTS = "tables:\n  patients:\n    instrument: patient\n    columns:\n      patient_id: record_id\n"
_BROKEN = [
    ("tables: [", "not valid YAML"),
    (_PATIENTS.replace("patients:", "patient_names:"), "tables.patient_names: not a table"),
    (_PATIENTS, "required column(s) of patients not mapped: birth_date, sex, consent_data_use"),
    (
        _PATIENTS + "      birth_date: birth_date\n      consent_data_use: consent_data_use\n"
        "      sex: {field: sex, codes: {'1': male}}\n",
        "codes map to male, not in the vocabulary",
    ),
    (_PATIENTS.replace("patients:", "vital_status:"), "tables.vital_status: required column(s)"),
    (
        "tables:\n  vital_status: {instrument: v, columns: {patient_id: a, last_known_alive_date: b}}\n",
        "tables.patients: a required table",
    ),
]


@pytest.mark.parametrize(("mapping", "message"), _BROKEN)
def test_a_broken_mapping_fails_with_exit_2_and_a_clear_message(tmp_path, capsys, mapping, message):
    source = write_redcap_export(tmp_path / "src")
    (tmp_path / "mapping.yaml").write_text(mapping)
    code = main(
        ["import-redcap", str(source), str(tmp_path / "out"), "--mapping", str(tmp_path / "mapping.yaml")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "mapping.yaml" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_not_a_redcap_export_fails_with_exit_2(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "records.csv").write_text("record_id\nR1\n")
    assert main(["import-redcap", str(tmp_path / "src"), str(tmp_path / "out")]) == 2
    assert "no data_dictionary.csv" in capsys.readouterr().err
    with pytest.raises(RedcapError, match="no such folder"):
        import_redcap(tmp_path / "nothing", tmp_path / "out")


def test_a_zip_of_the_export_imports_like_the_folder(tmp_path):
    import shutil

    expected, _ = _run(tmp_path / "folder")
    archive = shutil.make_archive(str(tmp_path / "registry"), "zip", tmp_path / "folder" / "src")
    summary = import_redcap(
        Path(archive), tmp_path / "out", exported_at=EXPORTED_AT, data_cutoff="2024-09-15"
    )
    assert summary.export_id == "registry"
    for table in ("patients", "prior_therapies", "lab_results"):
        assert read_table(tmp_path / "out", table) == read_table(expected, table)
