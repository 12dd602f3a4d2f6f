"""File formats: BOM, `;` and decimal commas, German dates, header spelling, unknown columns, Parquet, zip."""

from __future__ import annotations

import stat
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from orchestration.ingest import ExportError, load_export
from tests.ingest.conftest import VALID_FILES, ExportFactory, write_export
from tests.ingest.helpers import quarantined, schema_tables


def test_bom_semicolon_decimal_comma_german_dates(make_export: ExportFactory, con) -> None:
    labs = (
        "\ufeffpatient_id;sample_date;analyte;value;unit;ref_low;ref_high\n"
        "P1;05.01.2020;hemoglobin;9,1;g/dL;13,5;17,5\n"
        "P1;2020-01-06;psa;<0,01;ng/mL;;\n"
        "P1;07.01.2020;psa;>5000;ng/mL;;\n"
    )
    load_export(make_export({"lab_results.csv": labs}), con)
    rows = con.execute(
        "SELECT sample_date, value, value_text, value_qualifier, ref_low, ref_high FROM raw.lab_results "
        "ORDER BY line_number"
    ).fetchall()
    assert rows == [
        (date(2020, 1, 5), 9.1, "9,1", None, 13.5, 17.5),
        (date(2020, 1, 6), 0.01, "<0,01", "<", None, None),
        (date(2020, 1, 7), 5000.0, ">5000", ">", None, None),
    ]


def test_header_names_case_insensitive_and_trimmed(make_export: ExportFactory, con) -> None:
    text = " Patient_ID , ASSESSMENT_DATE,Ecog\nP1,2020-01-02,1\n"
    load_export(make_export({"performance_status.csv": text}), con)
    assert con.execute("SELECT patient_id, ecog FROM raw.performance_status").fetchall() == [("P1", 1)]


def test_unknown_columns_reach_no_table(make_export: ExportFactory, con) -> None:
    patients = (
        "patient_id,last_name,site_id,birth_date,sex,diagnosis_date,gleason_score,consent_data_use,MRN\n"
        "P1,Mustermann,S1,1950-03-01,M,2015-01-10,8,yes,4711\n"
        "P2,Schmidt,S1,1948-07-15,M,2016-05-02,eleven,yes,4712\n"
        "P3,Meier,S2,1955-11-30,M,,7,yes,4713\n"
    )
    summary = load_export(make_export({"patients.csv": patients}), con)
    assert summary.unknown_columns["patients.csv"] == ("last_name", "MRN")
    assert "last_name, MRN" in summary.format()
    assert con.execute("SELECT file, column_name FROM audit.unknown_columns ORDER BY 2").fetchall() == [
        ("patients.csv", "MRN"),
        ("patients.csv", "last_name"),
    ]
    # no stored value anywhere holds the names or record numbers
    for schema in ("raw", "quarantine"):
        for table in schema_tables(con, schema):
            cols = [r[0] for r in con.execute(f"DESCRIBE {schema}.{table}").fetchall()]
            assert "last_name" not in cols and "mrn" not in [c.lower() for c in cols]
            text = con.execute(
                f"SELECT string_agg(CAST(t AS VARCHAR), '|') FROM {schema}.{table} AS t"
            ).fetchone()[0]
            assert not any(s in (text or "") for s in ("Mustermann", "Schmidt", "4712"))
    assert quarantined(con, "patients") == [(3, "gleason_score", "unparseable_number")]


def test_parquet_tables(tmp_path: Path, con) -> None:
    files: dict[str, str | bytes] = dict(VALID_FILES)
    labs = pl.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2"],
            "sample_date": [date(2020, 1, 5), date(2020, 1, 6), date(2020, 1, 7)],
            "analyte": ["hemoglobin", "psa", "hemoglobin"],
            "value": ["12.1", "<0.01", "999"],
            "unit": ["g/dL", "ng/mL", "g/dL"],
            "ref_low": [13.5, None, None],
            "Secret_Name": ["a", "b", "c"],
        }
    )
    labs.write_parquet(tmp_path / "labs.parquet")
    files.pop("lab_results.csv")
    files["lab_results.parquet"] = (tmp_path / "labs.parquet").read_bytes()
    ecog = pl.DataFrame({"patient_id": ["P1"], "assessment_date": ["2020-01-02"], "ecog": [2.0]})
    ecog.write_parquet(tmp_path / "ecog.parquet")
    files.pop("performance_status.csv")
    files["performance_status.parquet"] = (tmp_path / "ecog.parquet").read_bytes()
    path = write_export(
        tmp_path / "export", files, rows={"lab_results.parquet": 3, "performance_status.parquet": 1}
    )
    summary = load_export(path, con)
    assert con.execute(
        "SELECT line_number, value, value_qualifier, ref_low FROM raw.lab_results ORDER BY 1"
    ).fetchall() == [(1, 12.1, None, 13.5), (2, 0.01, "<", None)]
    assert quarantined(con, "lab_results") == [(3, "value", "implausible_value")]
    assert con.execute("SELECT ecog FROM raw.performance_status").fetchall() == [(2,)]
    assert summary.unknown_columns["lab_results.parquet"] == ("Secret_Name",)


def zip_folder(folder: Path, target: Path, prefix: str = "export/") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, prefix + p.name)
    return target


def test_zip_of_folder(make_export: ExportFactory, tmp_path: Path, con) -> None:
    archive = zip_folder(make_export(), tmp_path / "export.zip")
    summary = load_export(archive, con)
    assert summary.files["patients.csv"].rows_loaded == 3
    assert con.execute("SELECT count(*) FROM raw.lab_results").fetchone()[0] == 4


def test_zip_with_parent_path_refused(make_export: ExportFactory, tmp_path: Path, con) -> None:
    archive = zip_folder(make_export(), tmp_path / "evil.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("../evil", "x")
    with pytest.raises(ExportError, match=r"evil.zip.*'\.\.'"):
        load_export(archive, con)
    assert not (tmp_path / "evil").exists()
    assert schema_tables(con, "raw") == []


def test_zip_with_absolute_path_refused(make_export: ExportFactory, tmp_path: Path, con) -> None:
    archive = zip_folder(make_export(), tmp_path / "abs.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("/tmp/evil", "x")
    with pytest.raises(ExportError, match="absolute"):
        load_export(archive, con)


def test_zip_with_symlink_refused(make_export: ExportFactory, tmp_path: Path, con) -> None:
    archive = zip_folder(make_export(), tmp_path / "link.zip")
    info = zipfile.ZipInfo("export/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ExportError, match="symbolic link"):
        load_export(archive, con)


def test_zip_over_size_limit_refused(make_export: ExportFactory, tmp_path: Path, con) -> None:
    folder = make_export()
    total = sum(p.stat().st_size for p in folder.iterdir())
    archive = zip_folder(folder, tmp_path / "big.zip")
    with pytest.raises(ExportError, match="limit"):
        load_export(archive, con, max_unpacked_bytes=total - 1)
    assert load_export(archive, con, max_unpacked_bytes=total).export_id == "test-2024-09-16"


def test_zip_lying_about_sizes_refused(make_export: ExportFactory, tmp_path: Path, con) -> None:
    folder = make_export()
    archive = zip_folder(folder, tmp_path / "liar.zip")
    data = bytearray(archive.read_bytes())
    # shrink the declared uncompressed size of the first member in its central directory record
    cd = data.rfind(b"PK\x01\x02", 0, data.find(b"PK\x05\x06"))
    first = data.find(b"PK\x01\x02")
    assert cd >= first >= 0
    data[first + 24 : first + 28] = (1).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    total = sum(p.stat().st_size for p in folder.iterdir())
    with pytest.raises(ExportError):
        load_export(archive, con, max_unpacked_bytes=total - 1)
    assert schema_tables(con, "raw") == []
