"""Hostile file contents, one small export each: every case ends either in one ExportError naming the
file (and the line where there is one) with nothing written, or in a load where the bad rows sit in
quarantine with their line, column and reason and every file's rows are accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import ExportError, LoadSummary, load_export

from .exports import LAB_HEADER, PATIENTS_HEADER, VALID, schema_tables, write_export

LAB = VALID["lab_results.csv"]  # data rows on lines 2-5; appended rows start on line 6
PAT = VALID["patients.csv"]  # P1-P3 on lines 2-4
CYC = VALID["rlt_cycles.csv"]
FORMULA = "=cmd|' /C calc'!A0"
BIG = 10 * 2**20


@dataclass(frozen=True)
class Fails:
    fragments: tuple[str, ...]  # all in the ExportError message


@dataclass(frozen=True)
class Loads:
    # table -> [(line, column at fault or None, reason code)], in line order; tables not named: none
    quarantine: dict[str, list[tuple[int, str | None, str]]] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)  # file -> rows read, where worth checking


CASES: list[tuple[str, dict[str, str | bytes | None], dict[str, int], Fails | Loads]] = [
    # --- the bytes are not UTF-8 text ------------------------------------------------------------
    (
        "latin1_bytes",
        {"patients.csv": (PAT + "P4,Süd,1950-01-01,M,,,yes\n").encode("latin-1")},
        {},
        Fails(("patients.csv line 5", "UTF-8")),
    ),
    ("binary_garbage", {"patients.csv": bytes(range(128, 256)) * 4}, {}, Fails(("patients.csv", "UTF-8"))),
    (
        "binary_with_nul",
        {"lab_results.csv": LAB.encode() + b"\x00\x01\x02\xff"},
        {},
        Fails(("line 6", "NUL")),
    ),
    (
        "nul_in_a_cell",
        {"lab_results.csv": LAB + "P1,2020-01-05,psa,\x001,ng/mL,,\n"},
        {},
        Fails(("lab_results.csv line 6",)),
    ),
    # --- structure of the file ---------------------------------------------------------------------
    ("empty_file", {"lab_results.csv": ""}, {}, Fails(("lab_results.csv line 1", "no header"))),
    ("empty_patients_file", {"patients.csv": b""}, {}, Fails(("patients.csv line 1", "no header"))),
    ("header_only", {"lab_results.csv": LAB_HEADER}, {}, Loads(rows_read={"lab_results.csv": 0})),
    (
        "patients_header_only",  # no patient: every other row is an orphan, none is lost
        {"patients.csv": PATIENTS_HEADER},
        {},
        Loads(
            quarantine={
                "rlt_cycles": [
                    (2, "patient_id", "orphan"),
                    (3, "patient_id", "orphan"),
                    (4, "patient_id", "orphan"),
                ],
                "vital_status": [
                    (2, "patient_id", "orphan"),
                    (3, "patient_id", "orphan"),
                    (4, "patient_id", "orphan"),
                ],
                "lab_results": [(n, "patient_id", "orphan") for n in (2, 3, 4, 5)],
            }
        ),
    ),
    (
        # last row cut after the sex column, checksum of the truncated bytes: a ragged patients row has no
        # readable consent, so P3 is excluded from every table (counted), nothing of it stored (issue 16.1)
        "truncated_mid_row",
        {"patients.csv": PAT[: PAT.index("P3,S2,1955-11-30,M") + len("P3,S2,1955-11-30,M")]},
        {},
        Loads(quarantine={}, rows_read={"patients.csv": 3}),
    ),
    (
        "duplicated_header_line",
        {"lab_results.csv": LAB_HEADER + LAB},
        {},
        Loads(quarantine={"lab_results": [(2, "patient_id", "orphan")]}, rows_read={"lab_results.csv": 5}),
    ),
    (
        "mixed_delimiters",
        {"lab_results.csv": LAB + "P1;2020-01-06;psa;3;ng/mL;;\n"},
        {},
        Loads(quarantine={"lab_results": [(6, None, "wrong_field_count")]}),
    ),
    (
        "ten_megabyte_number",
        {"lab_results.csv": LAB + "P1,2020-01-06,psa," + "9" * BIG + ",ng/mL,,\n"},
        {},
        Loads(quarantine={"lab_results": [(6, "value", "unparseable_number")]}),
    ),
    (
        "escape_character_in_number",
        {"lab_results.csv": LAB + "P1,2020-01-06,psa,\x1b[31m1,ng/mL,,\n"},
        {},
        Loads(quarantine={"lab_results": [(6, "value", "unparseable_number")]}),
    ),
    (
        "lone_carriage_return_inside_a_line",  # not a record separator: one ragged line
        {"lab_results.csv": LAB + "P1,2020-01-06,psa,1,ng/mL,,\rP1,2020-01-07,psa,2,ng/mL,,\n"},
        {},
        Loads(quarantine={"lab_results": [(6, None, "wrong_field_count")]}),
    ),
    (
        "carriage_returns_only",  # old Mac line endings: no line 2 at all
        {"lab_results.csv": LAB.replace("\n", "\r")},
        {"lab_results.csv": 4},
        Fails(("lab_results.csv line 1",)),
    ),
    (
        "crlf_line_endings",
        {"lab_results.csv": LAB.replace("\n", "\r\n")},
        {},
        Loads(rows_read={"lab_results.csv": 4}),
    ),
    (
        "quoted_line_break",  # record on lines 6-7; the next record keeps its own line number 8
        {"lab_results.csv": LAB + 'P1,2020-01-06,"ps\na",1,ng/mL,,\nP1,2020-01-07,psa,2,ng/mL,,\n'},
        {"lab_results.csv": 6},
        Loads(quarantine={"lab_results": [(6, "analyte", "not_in_vocabulary")]}),
    ),
    (
        "unterminated_quote_at_end",
        {"lab_results.csv": LAB + 'P1,2020-01-06,psa,"1,ng/mL,,\n'},
        {},
        Loads(quarantine={"lab_results": [(6, None, "wrong_field_count")]}),
    ),
    (
        "bom_in_the_middle",  # the BOM is part of the id: an unknown patient
        {"lab_results.csv": LAB + "\ufeffP1,2020-01-06,psa,1,ng/mL,,\n"},
        {},
        Loads(quarantine={"lab_results": [(6, "patient_id", "orphan")]}),
    ),
    (
        "very_long_lines",
        {"lab_results.csv": LAB + ("P1,2020-01-06,psa," + "1" * 200_000 + ".5.5,ng/mL,,\n") * 3},
        {},
        Loads(quarantine={"lab_results": [(n, "value", "unparseable_number") for n in (6, 7, 8)]}),
    ),
    (
        "ten_thousand_fields",
        {"lab_results.csv": LAB + "P1,2020-01-06,psa,1,ng/mL,," + "," * 10_000 + "\n"},
        {},
        Loads(quarantine={"lab_results": [(6, None, "wrong_field_count")]}),
    ),
    # --- header --------------------------------------------------------------------------------------
    (
        "unknown_columns_only",
        {"lab_results.csv": "foo,bar\n1,2\n"},
        {},
        Fails(("lab_results.csv", "patient_id")),
    ),
    (
        "duplicated_column_name",
        {"lab_results.csv": LAB_HEADER.rstrip("\n") + ",unit\n" + "P1,2020-01-05,psa,1,ng/mL,,,ng/mL\n"},
        {},
        Fails(("lab_results.csv", "unit", "twice")),
    ),
    (
        "column_names_differing_in_case_and_spaces",
        {"lab_results.csv": LAB_HEADER.rstrip("\n") + ", UNIT \n" + "P1,2020-01-05,psa,1,ng/mL,,,ng/mL\n"},
        {},
        Fails(("lab_results.csv", "unit", "twice")),
    ),
    # --- cells ---------------------------------------------------------------------------------------
    (
        "negative_activity",
        {"rlt_cycles.csv": CYC + "P1,2020-03-10,177Lu-PSMA-617,-7.4,GBq,1\n"},
        {},
        Loads(quarantine={"rlt_cycles": [(5, "activity", "implausible_value")]}),
    ),
    (
        # 1900 is before the birth date; 2999 is after exported_at: implausible (issue 16.4)
        "years_1900_and_2999",
        {"lab_results.csv": LAB + "P1,1900-01-01,psa,1,ng/mL,,\nP1,2999-01-01,psa,1,ng/mL,,\n"},
        {},
        Loads(
            quarantine={
                "lab_results": [
                    (6, "sample_date", "sample_before_birth"),
                    (7, "sample_date", "implausible_date"),
                ]
            }
        ),
    ),
    (
        "nan_inf_and_overflow_numbers",
        {
            "lab_results.csv": LAB
            + "P1,2020-01-06,psa,NaN,ng/mL,,\nP1,2020-01-07,psa,inf,ng/mL,,\n"
            + "P1,2020-01-08,psa,1e309,ng/mL,,\n"
            + "P1,2020-01-09,psa,-Infinity,ng/mL,,\nP1,2020-01-10,psa,1,ng/mL,nan,\n"
        },
        {},
        Loads(
            quarantine={
                "lab_results": [
                    (6, "value", "unparseable_number"),
                    (7, "value", "unparseable_number"),
                    (8, "value", "unparseable_number"),
                    (9, "value", "unparseable_number"),
                    (10, "ref_low", "unparseable_number"),
                ]
            }
        ),
    ),
    (
        "inf_activity",
        {"rlt_cycles.csv": CYC + "P1,2020-03-10,177Lu-PSMA-617,inf,GBq,1\n"},
        {},
        Loads(quarantine={"rlt_cycles": [(5, "activity", "unparseable_number")]}),
    ),
    (
        "impossible_german_date",
        {"lab_results.csv": LAB + "P1,31.02.2024,psa,1,ng/mL,,\n"},
        {},
        Loads(quarantine={"lab_results": [(6, "sample_date", "unparseable_date")]}),
    ),
    (
        "empty_patient_id",
        {
            "patients.csv": PAT + ",S1,1950-01-01,M,,,yes\n",
            "lab_results.csv": LAB + ",2020-01-06,psa,1,ng/mL,,\n",
        },
        {},
        Loads(
            quarantine={
                "patients": [(5, "patient_id", "missing_required")],
                "lab_results": [(6, "patient_id", "missing_required")],
            }
        ),
    ),
    (
        "whitespace_only_values",
        {"lab_results.csv": LAB + "   ,  , ,  ,  , , \n"},
        {},
        Loads(quarantine={"lab_results": [(6, "patient_id", "missing_required")]}),
    ),
    (
        # '< 0.01' and '>  5000' keep the bound and the flag; '<' alone is no number
        "lab_bounds_with_spaces",
        {
            "lab_results.csv": LAB
            + "P1,2020-01-06,psa,< 0.01,ng/mL,,\nP1,2020-01-07,psa,>  5000,ng/mL,,\n"
            + "P1,2020-01-08,psa,<,ng/mL,,\n"
        },
        {},
        Loads(quarantine={"lab_results": [(8, "value", "unparseable_number")]}),
    ),
    (
        "unit_homoglyphs_greek_mu_and_micro_sign",
        {"lab_results.csv": LAB + "P2,2020-01-21,wbc,5400,/\u03bcL,,\nP2,2020-01-22,wbc,5400,/\u00b5L,,\n"},
        {},
        Loads(rows_read={"lab_results.csv": 6}),
    ),
    (
        "spreadsheet_formula_as_site_id",
        {"patients.csv": PAT + f'P4,"{FORMULA}",1950-01-01,M,,,yes\n'},
        {},
        Loads(rows_read={"patients.csv": 4}),
    ),
    (
        "markup_and_escape_codes_as_site_id",
        {"patients.csv": PAT + "P4,<script>alert(1)</script>\x1b[2J,1950-01-01,M,,,yes\n"},
        {},
        Loads(rows_read={"patients.csv": 4}),
    ),
    (
        "garbage_parquet",
        {"lab_results.csv": None, "lab_results.parquet": b"PAR1" + bytes(range(256)) + b"PAR1"},
        {"lab_results.parquet": 4},
        Fails(("lab_results.parquet", "Parquet")),
    ),
]


def _quarantine(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[int, str | None, str]]:
    rows = con.execute(
        f"SELECT line_number, column_name, reason FROM quarantine.{table} ORDER BY line_number"
    ).fetchall()
    return [(line, column, reason.split(":")[0]) for line, column, reason in rows]


def assert_accounted(summary: LoadSummary, con: duckdb.DuckDBPyConnection) -> None:
    """rows_read = loaded + quarantined + duplicate + excluded for consent, in the summary and in the
    tables actually written."""
    for counts in summary.files.values():
        assert counts.rows_read == (
            counts.rows_loaded
            + counts.rows_quarantined
            + counts.rows_duplicate
            + counts.rows_excluded_consent
        ), counts
        stored = con.execute(
            f"SELECT (SELECT count(*) FROM raw.{counts.table}),"
            f" (SELECT count(*) FROM quarantine.{counts.table})"
        ).fetchone()
        assert stored == (counts.rows_loaded, counts.rows_quarantined), counts.file


@pytest.mark.parametrize(("changes", "rows", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_file(tmp_path: Path, changes, rows, expected) -> None:
    path = write_export(tmp_path / "export", changes, rows=rows)
    con = duckdb.connect()
    try:
        if isinstance(expected, Fails):
            with pytest.raises(ExportError) as err:
                load_export(path, con)
            for fragment in expected.fragments:
                assert fragment in str(err.value)
            assert all(schema_tables(con, s) == [] for s in ("raw", "quarantine", "audit"))
            return
        summary = load_export(path, con)
        assert_accounted(summary, con)
        for table in ("patients", "rlt_cycles", "vital_status", "lab_results"):
            assert _quarantine(con, table) == expected.quarantine.get(table, []), table
        for file, n in expected.rows_read.items():
            assert summary.files[file].rows_read == n
    finally:
        con.close()


def test_big_field_kept_whole_in_quarantine(tmp_path: Path) -> None:
    """The 10 MB cell is quarantined with its value as exported, not truncated or dropped."""
    path = write_export(
        tmp_path / "e", {"lab_results.csv": LAB + "P1,2020-01-06,psa," + "9" * BIG + ",ng/mL,,\n"}
    )
    con = duckdb.connect()
    load_export(path, con)
    assert con.execute("SELECT length(value) FROM quarantine.lab_results").fetchall() == [(BIG,)]


def test_formula_and_markup_stored_as_plain_text(tmp_path: Path) -> None:
    site = "<script>alert(1)</script>\x1b[2J"
    changes = {"patients.csv": PAT + f'P4,"{FORMULA}",1950-01-01,M,,,yes\nP5,{site},1951-01-01,M,,,yes\n'}
    con = duckdb.connect()
    load_export(write_export(tmp_path / "e", changes), con)
    stored = dict(
        con.execute(
            "SELECT patient_id, site_id FROM raw.patients WHERE patient_id IN ('P4', 'P5')"
        ).fetchall()
    )
    assert stored == {"P4": FORMULA, "P5": site}


def test_crlf_leaves_no_carriage_return_in_values(tmp_path: Path) -> None:
    con = duckdb.connect()
    load_export(write_export(tmp_path / "e", {"lab_results.csv": LAB.replace("\n", "\r\n")}), con)
    units = [r[0] for r in con.execute("SELECT unit FROM raw.lab_results ORDER BY line_number").fetchall()]
    assert units == ["g/dL", "ng/mL", "/µL", "µmol/L"]


def test_lab_bounds_with_spaces_keep_bound_and_flag(tmp_path: Path) -> None:
    text = LAB + "P1,2020-01-06,psa,< 0.01,ng/mL,,\nP1,2020-01-07,psa,>  5000,ng/mL,,\n"
    con = duckdb.connect()
    load_export(write_export(tmp_path / "e", {"lab_results.csv": text}), con)
    got = con.execute(
        "SELECT value, value_qualifier FROM raw.lab_results WHERE line_number >= 6 ORDER BY 1"
    ).fetchall()
    assert got == [(0.01, "<"), (5000.0, ">")]


def test_greek_mu_and_micro_sign_store_the_seed_spelling(tmp_path: Path) -> None:
    text = LAB + "P2,2020-01-21,wbc,5400,/\u03bcL,,\nP2,2020-01-22,wbc,5400,/\u00b5L,,\n"
    con = duckdb.connect()
    load_export(write_export(tmp_path / "e", {"lab_results.csv": text}), con)
    units = {r[0] for r in con.execute("SELECT unit FROM raw.lab_results WHERE line_number >= 6").fetchall()}
    seed = {r[0] for r in con.execute("SELECT unit FROM raw.lab_results WHERE line_number = 4").fetchall()}
    assert units == seed and len(units) == 1


def test_year_2999_quarantined_as_implausible(tmp_path: Path) -> None:
    con = duckdb.connect()
    summary = load_export(
        write_export(tmp_path / "e", {"lab_results.csv": LAB + "P1,2999-01-01,psa,1,ng/mL,,\n"}), con
    )
    assert summary.files["lab_results.csv"].rows_after_cutoff == 0
    assert con.execute("SELECT line_number, reason FROM quarantine.lab_results").fetchall() == [
        (6, "implausible_date: outside 1900-01-01–2024-09-16 (exported_at)")
    ]


def test_many_cases() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 30
