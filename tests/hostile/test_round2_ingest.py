"""Issue 16 (privacy and failure, round 2), ingestion half, with the issue's own inputs; plus issue 15.8 (no
birth date stored) and 18.5 (the contract's `Table` specs drive ingestion).

Every expectation is worked out by hand from the rows written here and the export contract."""

from __future__ import annotations

import inspect
import io
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.contract.tables import TABLES, validation_order
from orchestration.ingest import load_export, loader, validation
from tests.hostile.exports import CYCLES_HEADER, LAB_HEADER, VALID, manifest_entry, write_export

# the patients.csv header: two identifying columns outside the contract
HEADER9 = "patient_id,site_id,mrn,birth_date,sex,diagnosis_date,gleason_score,consent_data_use,patient_name\n"
PATIENTS9 = (
    HEADER9
    + "P1,S1,MRN-1000001,1950-03-01,M,2015-01-10,8,yes,Anna Beispiel\n"
    + "P2,S1,MRN-1000002,1948-07-15,M,2016-05-02,9,yes,Bernd Beispiel\n"
    + "P3,S2,MRN-1000003,1955-11-30,M,,7,yes,Carl Beispiel\n"
)
# rows of the refusing or unreadable patients in the other tables (they must be excluded, not orphans)
PX_ROWS = {
    "rlt_cycles.csv": "PX7,2020-01-10,177Lu-PSMA-617,7.4,GBq,1\n",
    "vital_status.csv": "PX7,2021-05-01,\n",
    "lab_results.csv": "PX7,2020-01-05,psa,3,ng/mL,,\nPX7,2020-01-06,psa,4,ng/mL,,\n",
}
CONTRACT_COLS = {
    t.name: [c.name for c in t.stored_columns] for t in TABLES.values()
}  # quarantine's value columns


def _export(tmp_path: Path, patients: str | bytes, extra: dict[str, str] | None = None, **kw) -> Path:
    changes: dict[str, str | bytes | None] = {"patients.csv": patients}
    for file, rows in (extra or {}).items():
        changes[file] = VALID[file] + rows
    return write_export(tmp_path / "export", changes, **kw)


def _load(path: Path) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    return con, load_export(path, con)


def _all_text(con: duckdb.DuckDBPyConnection) -> str:
    """Every cell of every table the load wrote, as text (the search space of the privacy checks)."""
    out = []
    for schema, table in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
    ).fetchall():
        for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
            out.append("\x1f".join("" if v is None else str(v) for v in row))
    return "\n".join(out)


def _consent_audit(con) -> list[tuple[str, str, int]]:
    return con.execute(
        "SELECT file, consent_value, n_rows FROM audit.consent_exclusions ORDER BY 1, 2"
    ).fetchall()


def _excluded(summary) -> dict[str, int]:
    return {f: c.rows_excluded_consent for f, c in summary.files.items() if c.rows_excluded_consent}


# ------------------------------------------------------------------------------- 16.1 ragged rows


@pytest.mark.parametrize(
    ("row", "consent_value"),
    [
        # the short row: one field short, so every cell after site_id sits one column early
        ("PX7,MRN-1234567,1950-01-01,M,,8,yes,Hans Mustermann\n", "(unreadable: wrong field count)"),
        ("PX7,MRN-1234567,1950-01-01,M,,8,no,Erika Musterfrau\n", "(unreadable: wrong field count)"),
    ],
    ids=["short_row_yes", "short_row_no"],
)
def test_short_patients_row_excludes_the_patient_and_stores_nothing(
    tmp_path: Path, row: str, consent_value: str
) -> None:
    con, summary = _load(_export(tmp_path, PATIENTS9 + row, PX_ROWS))
    text = _all_text(con)
    for needle in ("MRN-1234567", "Hans", "Mustermann", "Erika", "Musterfrau", "PX7"):
        assert needle not in text
    # the patients row and PX7's 1 + 1 + 2 rows elsewhere: excluded for consent, not quarantined
    assert _excluded(summary) == {
        "patients.csv": 1,
        "rlt_cycles.csv": 1,
        "vital_status.csv": 1,
        "lab_results.csv": 2,
    }
    assert all(c.rows_quarantined == 0 for c in summary.files.values())
    assert _consent_audit(con) == [
        ("lab_results.csv", consent_value, 2),
        ("patients.csv", consent_value, 1),
        ("rlt_cycles.csv", consent_value, 1),
        ("vital_status.csv", consent_value, 1),
    ]
    assert con.execute("SELECT patient_id FROM raw.patients ORDER BY 1").fetchall() == [
        ("P1",),
        ("P2",),
        ("P3",),
    ]


@pytest.mark.parametrize(
    ("file", "row", "fields", "header"),
    [
        ("lab_results.csv", "P1,2020-01-06,psa,1.2,ng/mL,,\n"[:-4] + "\n", 5, 7),  # short
        ("lab_results.csv", "P1,2020-01-06,psa,1.2,ng/mL,,,MRN-1234567\n", 8, 7),  # long
        ("rlt_cycles.csv", "P1,2020-03-10,177Lu-PSMA-617,7.4,GBq,1,Hans Mustermann\n", 7, 6),
        ("vital_status.csv", "P2,Hans Mustermann\n", 2, 3),
    ],
)
def test_ragged_row_in_other_tables_keeps_no_values(
    tmp_path: Path, file: str, row: str, fields: int, header: int
) -> None:
    con, summary = _load(write_export(tmp_path / "e", {file: VALID[file] + row}))
    table = file.removesuffix(".csv")
    stored = con.execute(
        f"SELECT line_number, column_name, reason, {', '.join(CONTRACT_COLS[table])} FROM quarantine.{table}"
    ).fetchall()
    line = VALID[file].count("\n") + 1
    assert stored == [
        (line, None, f"wrong_field_count: {fields} fields, the header has {header}")
        + (None,) * len(CONTRACT_COLS[table])
    ]
    assert "MRN-1234567" not in _all_text(con) and "Mustermann" not in _all_text(con)
    assert summary.files[file].rows_quarantined == 1


# ------------------------------------------------------------------------------- 16.2 consent


@pytest.mark.parametrize(
    ("cell", "counted_as"),
    [
        ("no", "no"),
        ("nein", "nein"),
        ("n", "n"),
        ("No.", "No."),
        ("withdrawn", "withdrawn"),
        ("false", "false"),
        ("0", "0"),
        ("n\u043e", "n\u043e"),  # Cyrillic o
        ("", ""),
        ("  ", ""),
        (" no ", "no"),
    ],
)
def test_anything_but_yes_excludes_the_patient_from_every_table(
    tmp_path: Path, cell: str, counted_as: str
) -> None:
    patients = PATIENTS9.replace("M,2016-05-02,9,yes,Bernd", f"M,2016-05-02,9,{cell},Bernd")
    con, summary = _load(_export(tmp_path, patients))
    text = _all_text(con)
    assert "P2" not in text and "MRN-1000002" not in text and "Bernd" not in text
    # P2 has one row in each of the four files (VALID): all excluded, none an orphan
    assert _excluded(summary) == {
        f: 1 for f in ("patients.csv", "rlt_cycles.csv", "vital_status.csv", "lab_results.csv")
    }
    assert all(c.rows_quarantined == 0 for c in summary.files.values())
    assert {(f, v) for f, v, _ in _consent_audit(con)} == {
        (f, counted_as) for f in ("patients.csv", "rlt_cycles.csv", "vital_status.csv", "lab_results.csv")
    }


@pytest.mark.parametrize("cell", ["yes", "YES", " Yes ", "yEs"])
def test_explicit_yes_in_any_case_consents(tmp_path: Path, cell: str) -> None:
    patients = PATIENTS9.replace("9,yes,Bernd", f"9,{cell},Bernd")
    con, summary = _load(_export(tmp_path, patients))
    assert _excluded(summary) == {}
    assert con.execute("SELECT consent_data_use FROM raw.patients WHERE patient_id = 'P2'").fetchall() == [
        ("yes",)
    ]


def test_one_refusing_copy_excludes_every_copy(tmp_path: Path) -> None:
    patients = PATIENTS9 + "P3,S2,MRN-1000003,1955-11-30,M,,7,nein,Carl Beispiel\n"
    con, summary = _load(_export(tmp_path, patients))
    assert "P3" not in _all_text(con)
    assert summary.files["patients.csv"].rows_excluded_consent == 2
    assert ("patients.csv", "nein", 2) in _consent_audit(con)


def test_empty_patient_id_without_yes_is_excluded_not_quarantined(tmp_path: Path) -> None:
    patients = PATIENTS9 + ",S9,MRN-5550001,1951-01-01,M,,8,no,Dora Beispiel\n"
    con, summary = _load(_export(tmp_path, patients))
    assert "MRN-5550001" not in _all_text(con) and "Dora" not in _all_text(con)
    assert summary.files["patients.csv"].rows_excluded_consent == 1
    assert summary.files["patients.csv"].rows_quarantined == 0
    assert _consent_audit(con) == [("patients.csv", "no", 1)]


def test_empty_patient_id_with_yes_is_quarantined(tmp_path: Path) -> None:
    con, summary = _load(_export(tmp_path, PATIENTS9 + ",S9,MRN-5550001,1951-01-01,M,,8,yes,Dora\n"))
    assert con.execute("SELECT line_number, column_name FROM quarantine.patients").fetchall() == [
        (5, "patient_id")
    ]
    assert summary.files["patients.csv"].rows_excluded_consent == 0


def _parquet(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


def _with_parquet_patients(tmp_path: Path, consent: pl.Series) -> Path:
    data = _parquet(
        pl.DataFrame(
            {
                "patient_id": ["P1", "P2", "P3"],
                "site_id": ["S1", "S1", "S2"],
                "birth_date": [date(1950, 3, 1), date(1948, 7, 15), date(1955, 11, 30)],
                "sex": ["M", "M", "M"],
                "consent_data_use": consent,
            }
        )
    )
    path = write_export(tmp_path / "e", {"patients.csv": None})
    (path / "patients.parquet").write_bytes(data)
    import json

    doc = json.loads((path / "manifest.json").read_text())
    doc["files"]["patients.parquet"] = manifest_entry(data, rows=3)
    (path / "manifest.json").write_text(json.dumps(doc))
    return path


def test_parquet_boolean_consent(tmp_path: Path) -> None:
    path = _with_parquet_patients(tmp_path, pl.Series([True, False, None], dtype=pl.Boolean))
    con, summary = _load(path)
    assert con.execute("SELECT patient_id, consent_data_use FROM raw.patients").fetchall() == [("P1", "yes")]
    assert summary.files["patients.parquet"].rows_excluded_consent == 2
    assert ("patients.parquet", "false", 1) in _consent_audit(con)
    assert ("patients.parquet", "", 1) in _consent_audit(con)


# ------------------------------------------------------------------------------- 16.4 dates


@pytest.mark.parametrize(
    ("file", "row", "column"),
    [
        ("performance_status.csv", "P1,15.11.20,1\n", "assessment_date"),
        ("adverse_events.csv", "P1,15.11.20,fatigue,1\n", "assessment_date"),
        ("lab_results.csv", "P1,15.11.20,psa,1,ng/mL,,\n", "sample_date"),
        ("rlt_cycles.csv", "P1,15.11.20,177Lu-PSMA-617,7.4,GBq,1\n", "administration_date"),
        ("lab_results.csv", "P1,2020/01/05,psa,1,ng/mL,,\n", "sample_date"),
        ("lab_results.csv", "P1,05-01-2020,psa,1,ng/mL,,\n", "sample_date"),
        ("lab_results.csv", "P1,20200105,psa,1,ng/mL,,\n", "sample_date"),
    ],
)
def test_two_digit_year_and_unlisted_formats_are_unparseable(
    tmp_path: Path, file: str, row: str, column: str
) -> None:
    headers = {
        "performance_status.csv": "patient_id,assessment_date,ecog\n",
        "adverse_events.csv": "patient_id,assessment_date,term,grade\n",
    }
    base = VALID.get(file, headers.get(file, ""))
    con, _ = _load(write_export(tmp_path / "e", {file: base + row}))
    table = file.removesuffix(".csv")
    line = base.count("\n") + 1
    got = con.execute(f"SELECT line_number, column_name, reason FROM quarantine.{table}").fetchall()
    assert got == [(line, column, "unparseable_date: expected YYYY-MM-DD or DD.MM.YYYY (four-digit year)")]


@pytest.mark.parametrize(
    ("file", "row", "column", "value"),
    [
        ("patients.csv", "P4,S1,0000-01-01,M,,8,yes\n", "birth_date", "0000-01-01"),
        ("patients.csv", "P4,S1,31.12.1899,M,,8,yes\n", "birth_date", "31.12.1899"),
        ("rlt_cycles.csv", "P1,1899-12-31,177Lu-PSMA-617,7.4,GBq,1\n", "administration_date", "1899-12-31"),
        ("rlt_cycles.csv", "P1,2024-09-17,177Lu-PSMA-617,7.4,GBq,1\n", "administration_date", "2024-09-17"),
        ("vital_status.csv", "P1,2021-05-01,3024-01-01\n", "death_date", "3024-01-01"),
    ],
)
def test_dates_outside_1900_to_exported_at_are_implausible(
    tmp_path: Path, file: str, row: str, column: str, value: str
) -> None:
    if file == "vital_status.csv":  # replace P1's own row
        content = VALID[file].replace("P1,2021-05-01,\n", row)
        line = 2
    else:
        content, line = VALID[file] + row, VALID[file].count("\n") + 1
    con, _ = _load(write_export(tmp_path / "e", {file: content}))
    table = file.removesuffix(".csv")
    got = con.execute(f"SELECT line_number, column_name, reason FROM quarantine.{table}").fetchall()
    # exported_at 2024-09-16T02:00:00Z is 04:00 on 2024-09-16 in Berlin
    assert got == [(line, column, "implausible_date: outside 1900-01-01–2024-09-16 (exported_at)")]
    if column == "birth_date":
        assert value not in _all_text(con)


def test_birth_date_is_not_kept_in_quarantine(tmp_path: Path) -> None:
    con, _ = _load(
        write_export(tmp_path / "e", {"patients.csv": VALID["patients.csv"] + "P4,S1,15.11.20,M,,8,yes\n"})
    )
    cols = [r[0] for r in con.execute("DESCRIBE quarantine.patients").fetchall()]
    assert "birth_date" not in cols
    assert con.execute("SELECT line_number, column_name FROM quarantine.patients").fetchall() == [
        (5, "birth_date")
    ]


def test_cycle_before_birth_is_quarantined(tmp_path: Path) -> None:
    con, _ = _load(
        write_export(
            tmp_path / "e",
            {"rlt_cycles.csv": VALID["rlt_cycles.csv"] + "P3,1955-11-29,177Lu-PSMA-617,7.4,GBq,1\n"},
        )
    )
    assert con.execute("SELECT line_number, column_name, reason FROM quarantine.rlt_cycles").fetchall() == [
        (5, "administration_date", "administration_before_birth: administration_date before birth_date")
    ]


def _parquet_cycles(tmp_path: Path, stamps: pl.Series) -> Path:
    data = _parquet(
        pl.DataFrame(
            {
                "patient_id": ["P1", "P2", "P3"],
                "administration_date": stamps,
                "radioligand": ["177Lu-PSMA-617"] * 3,
                "activity": [7.4, 7.4, 7.4],
                "activity_unit": ["GBq"] * 3,
            }
        )
    )
    path = write_export(tmp_path / "e", {"rlt_cycles.csv": None})
    (path / "rlt_cycles.parquet").write_bytes(data)
    import json

    doc = json.loads((path / "manifest.json").read_text())
    doc["files"]["rlt_cycles.parquet"] = manifest_entry(data, rows=3)
    (path / "manifest.json").write_text(json.dumps(doc))
    return path


BERLIN_MIDNIGHTS = pl.Series(
    [datetime(2020, 1, 10), datetime(2020, 7, 1), datetime(2020, 4, 1)], dtype=pl.Datetime("us")
)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (None, [date(2020, 1, 10), date(2020, 7, 1), date(2020, 4, 1)]),  # default Europe/Berlin
        ("Europe/Berlin", [date(2020, 1, 10), date(2020, 7, 1), date(2020, 4, 1)]),
        # the same instants in UTC: 23:00 / 22:00 the evening before
        ("UTC", [date(2020, 1, 9), date(2020, 6, 30), date(2020, 3, 31)]),
    ],
)
def test_aware_parquet_timestamps_dated_in_registry_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tz: str | None, expected: list[date]
) -> None:
    # Berlin midnights stored as UTC instants (what the issue saw load one day early)
    stamps = BERLIN_MIDNIGHTS.dt.replace_time_zone("Europe/Berlin").dt.convert_time_zone("UTC")
    path = _parquet_cycles(tmp_path, stamps)
    if tz is None:
        monkeypatch.delenv("RLT_REGISTRY_TZ", raising=False)
    else:
        monkeypatch.setenv("RLT_REGISTRY_TZ", tz)  # read at call time, after import
    con, _ = _load(path)
    got = con.execute("SELECT administration_date FROM raw.rlt_cycles ORDER BY patient_id").fetchall()
    assert [r[0] for r in got] == expected


def test_naive_parquet_timestamps_taken_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLT_REGISTRY_TZ", "America/New_York")
    naive = pl.Series([datetime(2020, 1, 10, 23, 30), datetime(2020, 7, 1), datetime(2020, 4, 1, 0, 30)])
    con, _ = _load(_parquet_cycles(tmp_path, naive))
    got = con.execute("SELECT administration_date FROM raw.rlt_cycles ORDER BY patient_id").fetchall()
    assert [r[0] for r in got] == [date(2020, 1, 10), date(2020, 7, 1), date(2020, 4, 1)]


def test_unknown_time_zone_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.ingest import ExportError

    monkeypatch.setenv("RLT_REGISTRY_TZ", "Mars/Olympus")
    with pytest.raises(ExportError, match="RLT_REGISTRY_TZ='Mars/Olympus' is not a known time zone"):
        _load(_parquet_cycles(tmp_path, BERLIN_MIDNIGHTS))


# ------------------------------------------------------------------------------- 16.10 one parser


def test_mid_field_quote_with_one_extra_field_is_ragged(tmp_path: Path) -> None:
    # the case: `Klinik "Nord, Haus 2"` is not a quoted field (the quote is mid-field), so the
    # comma splits it and the row has 10 fields for a 9-field header; the old regex counted 9 and the row
    # loaded with site_id='Klinik "Nord'. No other line has quotes.
    row = 'PX9,Klinik "Nord, Haus 2",1950-01-01,M,,8,yes,Hans Mustermann,extra\n'
    con, summary = _load(_export(tmp_path, PATIENTS9 + row))
    text = _all_text(con)
    assert "Klinik" not in text and "Mustermann" not in text and "PX9" not in text
    assert summary.files["patients.csv"].rows_excluded_consent == 1
    assert _consent_audit(con) == [("patients.csv", "(unreadable: wrong field count)", 1)]


def test_mid_field_quote_in_lab_row_is_quarantined_without_values(tmp_path: Path) -> None:
    row = 'P1,2020-01-06,psa,1.2,ng/mL,Klinik "Nord, Haus 2",\n'  # 8 fields for a 7-field header
    con, _ = _load(write_export(tmp_path / "e", {"lab_results.csv": VALID["lab_results.csv"] + row}))
    got = con.execute(
        "SELECT line_number, reason, patient_id, ref_low, ref_high FROM quarantine.lab_results"
    ).fetchall()
    assert got == [(6, "wrong_field_count: 8 fields, the header has 7", None, None, None)]


def test_properly_quoted_fields_load_whole(tmp_path: Path) -> None:
    patients = PATIENTS9 + (
        'P4,"Klinik Nord, Haus 2",MRN-1,1950-01-01,M,,8,yes,"Hans, Mustermann"\n'
        'P5,"Klinik ""Nord"", Haus 2",MRN-2,1950-01-01,M,,8,yes,X\n'
    )
    con, summary = _load(_export(tmp_path, patients))
    got = con.execute(
        "SELECT patient_id, site_id FROM raw.patients WHERE patient_id IN ('P4', 'P5') ORDER BY 1"
    )
    assert got.fetchall() == [("P4", "Klinik Nord, Haus 2"), ("P5", 'Klinik "Nord", Haus 2')]
    assert summary.files["patients.csv"].rows_quarantined == 0


# ------------------------------------------------------------------------------- 15.8 no birth date


def test_no_birth_date_stored_ages_derived(tmp_path: Path) -> None:
    labs = VALID["lab_results.csv"] + "P2,2020-07-14,psa,3,ng/mL,,\nP2,2020-07-15,psa,3,ng/mL,,\n"
    con, _ = _load(write_export(tmp_path / "e", {"lab_results.csv": labs}))
    birth_cols = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE lower(column_name) LIKE '%birth%'"
    ).fetchall()
    assert birth_cols == []
    text = _all_text(con)
    for birth in ("1950-03-01", "1948-07-15", "1955-11-30"):
        assert birth not in text
    # by hand: P1 born 1950-03-01, cycle 2020-01-10 -> 69; P2 1948-07-15, 2020-02-01 -> 71;
    # P3 1955-11-30, 2020-04-01 -> 64
    cycles = con.execute("SELECT patient_id, age_at_administration FROM raw.rlt_cycles ORDER BY 1").fetchall()
    assert cycles == [("P1", 69), ("P2", 71), ("P3", 64)]
    # P2 turns 72 on 2020-07-15, not the day before
    ages = con.execute("SELECT line_number, age_at_sample FROM raw.lab_results ORDER BY 1").fetchall()
    assert ages == [(2, 69), (3, 69), (4, 71), (5, 64), (6, 71), (7, 72)]


# ------------------------------------------------------------------------------- 18.5 contract drives


def test_validation_order_comes_from_the_table_specs() -> None:
    order = validation_order()
    assert sorted(order) == sorted(TABLES)
    assert TABLES[order[0]].subject
    first_cycle = next(i for i, n in enumerate(order) if TABLES[n].first_cycle_column)
    needs = [i for i, n in enumerate(order) if TABLES[n].not_before_first_cycle]
    assert needs and all(i > first_cycle for i in needs)


def test_no_table_name_branches_in_ingestion_code() -> None:
    for module in (loader, validation):
        source = inspect.getsource(module)
        for name in TABLES:
            assert f'"{name}"' not in source, f"{module.__name__} names table {name}"
    assert not hasattr(loader, "_ORDER")


def test_cycles_header_constant_is_the_contract() -> None:
    # the test exports above are written with the contract's column order
    assert CYCLES_HEADER.strip().split(",") == list(TABLES["rlt_cycles"].column_names)
    assert LAB_HEADER.strip().split(",") == list(TABLES["lab_results"].column_names)


def test_fully_quoted_crlf_file_with_one_irregular_line(tmp_path: Path) -> None:
    # every field quoted (as many exporters write), CRLF line ends; line 4 has a mid-field quote and so
    # 8 fields for the 7-field header
    text = (
        '"patient_id","sample_date","analyte","value","unit","ref_low","ref_high"\r\n'
        '"P1","2020-01-05","hemoglobin","12,1","g/dL","",""\r\n'
        '"P2","2020-01-20","psa","3","ng/mL","",""\r\n'
        'P3,2020-03-25,psa,1,ng/mL,Klinik "Nord, Haus 2",\r\n'
    )
    con, summary = _load(write_export(tmp_path / "e", {"lab_results.csv": text}))
    assert con.execute("SELECT line_number, analyte FROM raw.lab_results ORDER BY 1").fetchall() == [
        (3, "psa")
    ]
    got = con.execute("SELECT line_number, reason, value FROM quarantine.lab_results ORDER BY 1").fetchall()
    assert got == [
        (2, "unparseable_number", "12,1"),  # a decimal comma in a `,` file: not a number
        (4, "wrong_field_count: 8 fields, the header has 7", None),
    ]
