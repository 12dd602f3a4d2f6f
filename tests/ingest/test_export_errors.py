"""Bad input that fails the whole export: ExportError naming the file, and nothing written."""

from __future__ import annotations

import json

import pytest

from orchestration.ingest import ExportError, load_export
from tests.ingest.conftest import VALID_FILES, ExportFactory
from tests.ingest.helpers import schema_tables


def assert_fails(path, con, *fragments: str) -> None:
    with pytest.raises(ExportError) as err:
        load_export(path, con)
    for fragment in fragments:
        assert fragment in str(err.value)
    for schema in ("raw", "quarantine", "audit"):
        assert schema_tables(con, schema) == []


def test_manifest_missing(make_export: ExportFactory, con) -> None:
    path = make_export()
    (path / "manifest.json").unlink()
    assert_fails(path, con, "manifest.json", "missing")


def test_manifest_unreadable(make_export: ExportFactory, con) -> None:
    path = make_export()
    (path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert_fails(path, con, "manifest.json", "unreadable")


def test_unknown_schema_version(make_export: ExportFactory, con) -> None:
    assert_fails(
        make_export(manifest={"schema_version": "2.0"}), con, "manifest.json", "schema_version", "2.0"
    )


def test_manifest_missing_field(make_export: ExportFactory, con) -> None:
    path = make_export()
    doc = json.loads((path / "manifest.json").read_text())
    del doc["data_cutoff"]
    (path / "manifest.json").write_text(json.dumps(doc))
    assert_fails(path, con, "manifest.json", "data_cutoff")


def test_checksum_mismatch_writes_nothing(make_export: ExportFactory, con) -> None:
    path = make_export(sha256={"lab_results.csv": "0" * 64})
    assert_fails(path, con, "lab_results.csv", "sha256")


def test_file_changed_after_manifest(make_export: ExportFactory, con) -> None:
    path = make_export()
    (path / "metastases.csv").write_text(VALID_FILES["metastases.csv"] + "P3,2020-03-01,liver,\n")
    assert_fails(path, con, "metastases.csv", "sha256")


def test_row_count_mismatch(make_export: ExportFactory, con) -> None:
    assert_fails(make_export(rows={"patients.csv": 4}), con, "patients.csv", "3 data rows", "says 4")


def test_required_table_missing(make_export: ExportFactory, con) -> None:
    assert_fails(make_export({"vital_status.csv": None}), con, "vital_status")


def test_required_column_missing(make_export: ExportFactory, con) -> None:
    text = "patient_id,death_date\nP1,\n"
    assert_fails(
        make_export({"vital_status.csv": text}),
        con,
        "vital_status.csv",
        "last_known_alive_date",
        "vital_status",
    )


def test_listed_file_absent(make_export: ExportFactory, con) -> None:
    path = make_export()
    (path / "adverse_events.csv").unlink()
    assert_fails(path, con, "adverse_events.csv", "missing")


def test_latin1_bytes_fail_naming_file_and_line(make_export: ExportFactory, con) -> None:
    text = VALID_FILES["patients.csv"] + "P4,S2,1950-01-01,M,,,yes\n"
    data = text.replace("S2,1950", "Gr\u00e4fe,1950").encode("latin-1")
    assert_fails(make_export({"patients.csv": data}), con, "patients.csv line 5", "UTF-8")


def test_binary_garbage_fails_naming_file_and_line(make_export: ExportFactory, con) -> None:
    data = VALID_FILES["adverse_events.csv"].encode() + b"\x00\x01\x02\xff\xfe\n"
    assert_fails(
        make_export({"adverse_events.csv": data}, rows={"adverse_events.csv": 3}),
        con,
        "adverse_events.csv line 4",
    )


def test_table_file_not_in_manifest(make_export: ExportFactory, con) -> None:
    path = make_export({"metastases.csv": None})
    (path / "metastases.csv").write_text(VALID_FILES["metastases.csv"])
    assert_fails(path, con, "metastases.csv", "not listed")
