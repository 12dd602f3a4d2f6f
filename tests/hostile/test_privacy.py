"""Privacy, end to end: a ~60-patient export with planted direct identifiers (a name and a record number
in patients.csv, a free-text column in lab_results.csv) and non-consenting patients, refreshed with
reports. Nothing of it may reach any table of the warehouse or any report; no birth date outside raw
and staging; owner-only files. Then the same export with RLT_PSEUDONYM_KEY set: no original id anywhere,
same mart sizes. Finally, hostile settings and cohort names never reach SQL."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import html
import io
import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.settings import ClinicalSettings
from tests.fixtures.shared import once_per_run

pytestmark = pytest.mark.slow

NAME = "Zebulon Quixfeather"
MRN = "MRN-99887766"
NOTE = "Zebulon called about his MRN-99887766"
FORMULA = "=cmd|' /C calc'!A0"
KEY = "test-pseudonym-key-not-a-secret-32bytes+"
# the reproductions (16.1, 16.10)
MRN_SHORT = "MRN-1234567"
NAME_SHORT = "Hans Mustermann"
KLINIK_PLACEHOLDER = "KLINIK-PLACEHOLDER"
# the PX7, spelt so that no base64 image of a report can hold it by chance
SHORT_ROW_ID = "PX7_16.1"


@dataclass(frozen=True)
class PlantedExport:
    path: Path
    patient_ids: list[str]
    refused_ids: list[str]  # consent not an explicit yes, or a ragged patients row
    birth_dates: list[str]  # as written, plus their ISO form
    formula_patient: str
    impossible_birth: str  # patient whose birth date is 0000-01-01


@dataclass(frozen=True)
class Run:
    warehouse: Path
    reports: Path


def _rewrite_csv(path: Path, edit) -> None:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header, body = edit(rows[0], rows[1:])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))


def _iso(d: str) -> str:
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", d.strip())
    return f"{m[3]}-{m[2]}-{m[1]}" if m else d.strip()


@pytest.fixture(scope="session")
def planted(tmp_path_factory) -> PlantedExport:
    """Built once per run, also under pytest-xdist (a module fixture is built by every worker that runs
    one of this module's tests); read-only by convention."""
    made = once_per_run(tmp_path_factory, "privacy_planted", lambda root: dataclasses.asdict(_plant(root)))
    return PlantedExport(**made)


def _plant(root: Path) -> PlantedExport:
    from orchestration.synthetic import generate_export

    path = generate_export(root / "export", patients=60, seed=5)
    facts: dict[str, object] = {}

    def patients(header: list[str], body: list[list[str]]):
        names = [h.strip().lower() for h in header]
        for extra in ("patient_name", "mrn"):  # planted whether or not the generator already writes them
            if extra not in names:
                header, names = [*header, extra], [*names, extra]
                body = [[*r, ""] for r in body]
        pid, consent, birth, site = (
            names.index(c) for c in ("patient_id", "consent_data_use", "birth_date", "site_id")
        )
        for row in body:
            row[names.index("patient_name")] = NAME
            row[names.index("mrn")] = MRN
        # issue 16.2: consent that is not an explicit yes (the Cyrillic о in "nо" included)
        for i, value in zip(
            (3, 17, 20, 23, 26, 29, 32), ("no", "nein", "No.", "withdrawn", "0", "n\u043e", ""), strict=True
        ):
            body[i][consent] = value
        body[0][site] = FORMULA
        facts["formula_patient"] = body[0][pid].strip()
        facts["ids"] = [r[pid].strip() for r in body]
        facts["refused"] = [r[pid].strip() for r in body if r[consent].strip().lower() != "yes"]
        facts["births"] = sorted({r[birth].strip() for r in body} | {_iso(r[birth]) for r in body})
        # issue 16.1: an existing patient's row one field short (site_id missing: the record number slides
        # into site_id, the name into consent) and the appended short row of a new patient
        short = body[35]
        facts["refused"].append(short[pid].strip())
        body[35] = short[:site] + short[site + 1 :]
        extra = dict.fromkeys(names, "")
        extra.update(patient_id=SHORT_ROW_ID, mrn=MRN_SHORT, birth_date="1950-01-01", sex="M")
        extra.update(gleason_score="8")
        extra.update(consent_data_use="yes", patient_name=NAME_SHORT)
        body.append([extra[n] for n in names if n != "site_id"])
        facts["refused"].append(SHORT_ROW_ID)
        # issue 16.10: a mid-field quote spanning the separator and so one field too many (placeholder,
        # written raw after the csv writer, which would quote it properly)
        body[38][site] = KLINIK_PLACEHOLDER
        facts["refused"].append(body[38][pid].strip())
        # issue 16.4: an impossible birth date; a two-digit year in a cycle (below)
        body[41][birth] = "0000-01-01"
        facts["impossible_birth"] = body[41][pid].strip()
        return header, body

    def cycles(header: list[str], body: list[list[str]]):
        names = [h.strip().lower() for h in header]
        body[5][names.index("administration_date")] = "15.11.20"
        return header, body

    def labs(header: list[str], body: list[list[str]]):
        return [*header, "free_text_note"], [[*r, NOTE] for r in body]

    _rewrite_csv(path / "patients.csv", patients)
    _rewrite_csv(path / "lab_results.csv", labs)
    _rewrite_csv(path / "rlt_cycles.csv", cycles)
    text = (path / "patients.csv").read_bytes().decode("utf-8")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    (path / "patients.csv").write_bytes(
        text.replace(KLINIK_PLACEHOLDER, f'Klinik "Nord{sep} Haus 2"').encode()
    )
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    for name in ("patients.csv", "lab_results.csv", "rlt_cycles.csv"):
        manifest["files"][name]["sha256"] = hashlib.sha256((path / name).read_bytes()).hexdigest()
        manifest["files"][name]["rows"] = (path / name).read_bytes().rstrip(b"\n").count(b"\n")
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert len(facts["refused"]) >= 10  # type: ignore[arg-type]
    return PlantedExport(
        path,
        facts["ids"],  # type: ignore[arg-type]
        facts["refused"],  # type: ignore[arg-type]
        facts["births"],  # type: ignore[arg-type]
        facts["formula_patient"],  # type: ignore[arg-type]
        facts["impossible_birth"],  # type: ignore[arg-type]
    )


def _refresh(export: Path, root: Path, key: str | None) -> Run:
    from orchestration.refresh import run_refresh

    with pytest.MonkeyPatch.context() as mp:
        if key is None:
            mp.delenv("RLT_PSEUDONYM_KEY", raising=False)
        else:
            mp.setenv("RLT_PSEUDONYM_KEY", key)
        run_refresh(
            export, root / "registry.duckdb", ClinicalSettings(), reports_dir=root / "reports", force=True
        )
    return Run(root / "registry.duckdb", root / "reports")


@pytest.fixture(scope="session")
def plain(planted, tmp_path_factory) -> Run:
    made = once_per_run(
        tmp_path_factory, "privacy_plain", lambda root: dataclasses.asdict(_refresh(planted.path, root, None))
    )
    return Run(**made)


@pytest.fixture(scope="session")
def pseudonymised(planted, tmp_path_factory) -> Run:
    made = once_per_run(
        tmp_path_factory, "privacy_pseudo", lambda root: dataclasses.asdict(_refresh(planted.path, root, KEY))
    )
    return Run(**made)


# ------------------------------------------------------------------------------------------- search


def tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY 1, 2"
    ).fetchall()
    return [(s, t) for s, t in rows if schemas is None or s in schemas]


def hits(con: duckdb.DuckDBPyConnection, needles: list[str], schemas: tuple[str, ...] | None = None) -> dict:
    """(schema.table) -> rows whose text (every column cast to text) contains any needle."""
    pattern = "|".join(re.escape(n) for n in needles)
    found = {}
    for schema, table in tables(con, schemas):
        cols = [r[0] for r in con.execute(f'DESCRIBE "{schema}"."{table}"').fetchall()]
        text = "concat_ws(chr(31), " + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols) + ")"
        n = con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE regexp_matches({text}, ?)', [pattern]
        ).fetchone()[0]
        if n:
            found[f"{schema}.{table}"] = n
    return found


def report_texts(reports: Path) -> dict[str, str]:
    files = sorted(p for p in reports.rglob("*") if p.is_file())
    assert any(p.suffix == ".html" for p in files)
    return {str(p.relative_to(reports)): p.read_text(encoding="utf-8", errors="replace") for p in files}


def in_reports(reports: Path, needles: list[str]) -> dict[str, list[str]]:
    out = {}
    for name, text in report_texts(reports).items():
        present = [n for n in needles if n in text or n in html.unescape(text)]
        if present:
            out[name] = present
    return out


# ------------------------------------------------------------------------------------------- privacy


def test_planted_identifiers_reach_no_table_and_no_report(plain: Run) -> None:
    needles = [NAME, MRN, "Zebulon", "Quixfeather", "99887766", MRN_SHORT, NAME_SHORT, "Mustermann", "Klinik"]
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        assert len(tables(con)) > 30  # the search really covers the whole warehouse
        assert {"raw", "quarantine", "audit", "staging", "intermediate", "marts", "analysis"} <= {
            s for s, _ in tables(con)
        }
        assert hits(con, needles) == {}
        # the names of the columns outside the contract are reported, never their values
        names = {
            r[0] for r in con.execute("SELECT DISTINCT column_name FROM audit.unknown_columns").fetchall()
        }
        assert {"patient_name", "mrn", "free_text_note"} <= names
    assert in_reports(plain.reports, needles) == {}


def test_no_birth_date_anywhere(plain: Run, planted: PlantedExport) -> None:
    """Issue 15.8: no birth date in any schema of the published file (raw and quarantine included)."""
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        birth_cols = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND lower(column_name) LIKE '%birth%'"
        ).fetchall()
        assert birth_cols == []
        assert hits(con, planted.birth_dates) == {}
        # the search finds dates where they are: t0 dates of the marts, as ISO text
        t0 = con.execute("SELECT CAST(min(t0_date) AS VARCHAR) FROM marts.dim_patient").fetchone()[0]
        assert "marts.dim_patient" in hits(con, [t0])
    assert in_reports(plain.reports, planted.birth_dates) == {}


def test_no_row_of_a_non_consenting_patient_anywhere(plain: Run, planted: PlantedExport) -> None:
    """Issue 16.1/16.2: every patient whose consent is not an explicit yes, or whose patients row is
    ragged, is nowhere in the warehouse (quarantine included); the exclusions are counted per value."""
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        assert hits(con, planted.refused_ids) == {}
        consenting = [p for p in planted.patient_ids if p not in planted.refused_ids][:3]
        assert "marts.dim_patient" in hits(con, consenting)  # the search finds ids where they are
        excluded = con.execute("SELECT sum(rows_excluded_consent) FROM audit.export_loads").fetchone()[0]
        assert excluded > 0
        values = con.execute(
            "SELECT consent_value, n_rows FROM audit.consent_exclusions "
            "WHERE file = 'patients.csv' ORDER BY 1"
        ).fetchall()
        assert sorted(values) == sorted(
            [
                ("", 1),
                ("(unreadable: wrong field count)", 3),
                ("0", 1),
                ("No.", 1),
                ("n\\u043e", 1),  # the Cyrillic o, escaped
                ("nein", 1),
                ("no", 1),
                ("withdrawn", 1),
            ]
        )
        per_file = con.execute(
            "SELECT file, sum(n_rows) FROM audit.consent_exclusions GROUP BY 1 ORDER BY 1"
        ).fetchall()
        loads = con.execute(
            "SELECT file, rows_excluded_consent FROM audit.export_loads "
            "WHERE rows_excluded_consent > 0 ORDER BY 1"
        ).fetchall()
        assert per_file == loads
    assert in_reports(plain.reports, planted.refused_ids) == {}


def test_one_bad_cell_never_fails_the_night(plain: Run, planted: PlantedExport) -> None:
    """Issue 16.4: a birth date 0000-01-01 and a cycle dated 15.11.20 are quarantined with their reasons
    (the refresh of the `plain` fixture published), instead of failing a dbt test."""
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        births = con.execute(
            "SELECT column_name, reason FROM quarantine.patients WHERE patient_id = ?",
            [planted.impossible_birth],
        ).fetchall()
        cycles = con.execute(
            "SELECT column_name, reason FROM quarantine.rlt_cycles WHERE line_number = 7"
        ).fetchall()
    assert [(c, r.split(":")[0]) for c, r in births] == [("birth_date", "implausible_date")]
    assert [(c, r.split(":")[0]) for c, r in cycles] == [("administration_date", "unparseable_date")]


def test_formula_site_id_stored_and_shown_as_text(plain: Run, planted: PlantedExport) -> None:
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        site = con.execute(
            "SELECT site_id FROM marts.dim_patient WHERE patient_id = ?", [planted.formula_patient]
        ).fetchone()
    assert site == (FORMULA,)
    all_report = next(t for n, t in report_texts(plain.reports).items() if n.endswith("all.html"))
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", all_report)]
    assert FORMULA in cells  # escaped markup in a table cell: text, not a formula or markup


def test_warehouse_and_reports_are_owner_only(plain: Run) -> None:
    assert stat.S_IMODE(plain.warehouse.stat().st_mode) == 0o600
    for path in plain.reports.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# ------------------------------------------------------------------------------------ pseudonymisation


def _expected_pseudonym(patient_id: str) -> str:
    return "PS-" + hmac.new(KEY.encode(), patient_id.encode(), hashlib.sha256).hexdigest()[:20]


def test_pseudonymised_run_holds_no_original_id(pseudonymised: Run, planted: PlantedExport) -> None:
    with duckdb.connect(str(pseudonymised.warehouse), read_only=True) as con:
        assert hits(con, planted.patient_ids) == {}
    assert in_reports(pseudonymised.reports, planted.patient_ids) == {}


def test_pseudonyms_are_the_keyed_hmac(pseudonymised: Run, planted: PlantedExport) -> None:
    consenting = [p for p in planted.patient_ids if p not in planted.refused_ids]
    with duckdb.connect(str(pseudonymised.warehouse), read_only=True) as con:
        stored = {r[0] for r in con.execute("SELECT patient_id FROM raw.patients").fetchall()}
        in_cycles = {r[0] for r in con.execute("SELECT patient_id FROM marts.fct_rlt_cycle").fetchall()}
    for pid in consenting[:5]:
        assert _expected_pseudonym(pid) in stored
    assert in_cycles <= stored  # joins across tables still work
    assert {_expected_pseudonym(p) for p in planted.refused_ids}.isdisjoint(stored)


def test_pseudonymised_marts_have_the_same_sizes(plain: Run, pseudonymised: Run) -> None:
    def sizes(path: Path) -> dict[str, int]:
        with duckdb.connect(str(path), read_only=True) as con:
            return {
                f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
                for s, t in tables(con, ("marts", "analysis", "quarantine"))
            }

    a, b = sizes(plain.warehouse), sizes(pseudonymised.warehouse)
    assert a == b
    assert a["marts.dim_patient"] > 40


# ------------------------------------------------------------------------------------------- injection


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        (
            "psa_progression_rule=pcwg3'; drop table x; --",
            "psa_progression_rule: Input should be 'pcwg3' or 'rise25'",
        ),
        ("baseline_window_days=60); drop table marts.dim_patient; --", "whole number"),
        ("x'; drop table y; --=1", "unknown setting"),
    ],
)
def test_hostile_setting_refused(planted: PlantedExport, tmp_path: Path, capsys, setting: str, fragment: str):
    warehouse = tmp_path / "registry.duckdb"
    code = main(
        ["refresh", str(planted.path), "--warehouse", str(warehouse), "--no-reports", "--set", setting]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err and "Traceback" not in err
    assert not warehouse.exists()


def test_hostile_cohort_name_renders_as_text_and_changes_nothing(plain: Run, tmp_path: Path, capsys) -> None:
    cohort = "x'; drop table marts.dim_patient; --"
    before = hashlib.sha256(plain.warehouse.read_bytes()).hexdigest()
    code = main(
        ["report", "--cohort", cohort, "--warehouse", str(plain.warehouse), "--reports-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    page = next(tmp_path.rglob("*.html")).read_text(encoding="utf-8")
    assert "not defined in marts.cohorts" in page
    assert cohort in html.unescape(page)
    # the quote never reaches markup: every place it stands unescaped is text between tags (the <title>,
    # which pandoc escapes for < > & only), never inside a tag where it could end an attribute
    for match in re.finditer(re.escape(cohort), page):
        head = page[: match.start()]
        assert head.rfind(">") > head.rfind("<"), page[max(0, match.start() - 80) : match.end()]
    assert hashlib.sha256(plain.warehouse.read_bytes()).hexdigest() == before
    with duckdb.connect(str(plain.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.dim_patient").fetchone()[0] > 40
