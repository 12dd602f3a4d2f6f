"""The export folder: determinism, manifest, file formats, and validity against the contract."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.synthetic import generate_export
from tests.synthetic.contract_check import problems, read_table

TABLE_FILES = [
    "patients.csv",
    "performance_status.csv",
    "prior_therapies.csv",
    "metastases.csv",
    "rlt_cycles.csv",
    "lab_results.csv",
    "adverse_events.csv",
    "vital_status.csv",
]

# Row-level problems of the contract's bad-input table, by the table they can occur in (worked out from
# export-contract.md: which tables have dates, numbers, vocabularies, units, event dates, patient ids).
EXPECTED_KINDS = {
    "patients": {
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "implausible",
        "duplicate_patient_id",
    },
    "performance_status": {
        "unparseable_date",
        "unparseable_number",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    },
    "prior_therapies": {"unparseable_date", "vocabulary", "exact_duplicate", "orphan"},
    "metastases": {"unparseable_date", "vocabulary", "exact_duplicate", "after_cutoff", "orphan"},
    "rlt_cycles": {
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "unknown_unit",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    },
    "lab_results": {
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "unknown_unit",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "sample_before_birth",
        "orphan",
    },
    "adverse_events": {
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    },
    "vital_status": {
        "unparseable_date",
        "after_cutoff",
        "death_before_first_cycle",
        "death_before_last_known_alive",
        "exact_duplicate",
        "orphan",
    },
}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a = generate_export(tmp_path / "a", patients=200, seed=42, bad_rows_rate=0.02)
    b = generate_export(tmp_path / "b", patients=200, seed=42, bad_rows_rate=0.02)
    c = generate_export(tmp_path / "c", patients=200, seed=43, bad_rows_rate=0.02)
    assert _digests(a) == _digests(b)
    assert set(_digests(a)) == {"manifest.json", *TABLE_FILES}
    da, dc = _digests(a), _digests(c)
    assert all(da[name] != dc[name] for name in TABLE_FILES)


def test_manifest_matches_files(bad_export):
    manifest = json.loads((bad_export / "manifest.json").read_text())
    assert manifest["schema_version"] == "1.0"
    assert manifest["registry"] and manifest["export_id"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", manifest["exported_at"])
    assert manifest["exported_at"][:10] > manifest["data_cutoff"]
    assert set(manifest["files"]) == set(TABLE_FILES)
    for name, entry in manifest["files"].items():
        data = (bad_export / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        # no cell holds a line break, so data rows = lines - header
        assert entry["rows"] == data.count(b"\n") - 1, name


def test_lab_results_semicolon_decimal_comma(clean_export):
    raw = (clean_export / "lab_results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # written as a German spreadsheet tool would
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "patient_id;sample_date;analyte;value;unit;ref_low;ref_high"
    values = [line.split(";")[3] for line in lines[1:]]
    assert all("." not in v for v in values)
    assert sum("," in v for v in values) > len(values) / 2
    assert "<0,01" in values  # PSA below the assay limit
    assert any(line.split(";")[5] for line in lines[1:])  # some labs print their reference range
    assert sum(bool(line.split(";")[5]) for line in lines[1:]) < len(lines) / 2  # but mostly empty


def test_performance_status_dates_are_german(clean_export):
    lines = (clean_export / "performance_status.csv").read_text().splitlines()
    dates = [line.split(",")[1] for line in lines[1:]]
    assert dates and all(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", d) for d in dates)


def test_patients_carry_identifiers_outside_the_contract(clean_export):
    patients = read_table(clean_export / "patients.csv")
    assert {"mrn", "patient_name"} <= set(patients.columns)
    assert patients["mrn"].str.contains(r"^MRN-\d{7}$").all()
    assert patients["patient_id"].str.contains(r"^P\d{6}$").all()
    assert patients["patient_id"].is_unique().all()


def test_mixed_units_are_present(cohort_export):
    labs = read_table(cohort_export / "lab_results.csv")
    units = set(labs.select(pl.concat_str("analyte", pl.lit("|"), "unit")).to_series())
    for expected in ("hemoglobin|g/L", "hemoglobin|mmol/L", "creatinine|µmol/L", "alp|µkat/L", "wbc|/µL"):
        assert expected in units
    cycles = read_table(cohort_export / "rlt_cycles.csv")
    assert {"GBq", "MBq", "mCi"} <= set(cycles["activity_unit"])
    # at the centre that reports no eGFR, the warehouse must derive it from creatinine
    per_visit = labs.group_by("patient_id", "sample_date").agg(
        creat=(pl.col("analyte") == "creatinine").any(), egfr=(pl.col("analyte") == "egfr").any()
    )
    assert per_visit.filter(pl.col("creat") & ~pl.col("egfr")).height > 0


def test_clean_export_has_no_invalid_rows(clean_export):
    found = problems(clean_export)
    assert found.height == 0, found.group_by("table", "kind").len()


def test_bad_rows_of_every_kind_are_present(bad_export):
    found = problems(bad_export)
    for table, kinds in EXPECTED_KINDS.items():
        present = set(found.filter(pl.col("table") == table)["kind"])
        assert kinds <= present, (table, kinds - present)


def test_bad_rows_rate_is_about_the_requested_share(bad_export):
    labs = read_table(bad_export / "lab_results.csv")
    bad_rows = problems(bad_export).filter(pl.col("table") == "lab_results")["row"].n_unique()
    assert 0.035 * labs.height <= bad_rows <= 0.065 * labs.height


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_rejects_rate_outside_range(tmp_path, rate):
    with pytest.raises(ValueError, match="bad_rows_rate"):
        generate_export(tmp_path / "x", patients=10, seed=1, bad_rows_rate=rate)


def test_clean_export_loads_with_empty_quarantine(clean_export):
    from orchestration.ingest import load_export

    con = duckdb.connect()
    summary = load_export(clean_export, con)
    assert summary.quarantined == {}
    for counts in summary.files.values():
        assert counts.rows_quarantined == 0 and counts.rows_duplicate == 0 and counts.rows_after_cutoff == 0
        assert counts.rows_loaded + counts.rows_excluded_consent == counts.rows_read
