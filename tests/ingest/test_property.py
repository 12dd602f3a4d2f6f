"""Property: whatever cells and rows get corrupted, every input row has exactly one outcome."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest import LoadSummary, load_export
from tests.ingest.conftest import VALID_FILES, write_export

NASTY = [
    "",
    " ",
    "abc",
    "2020-02-30",
    "31.12.2019",
    "05.01.2020",
    "<0.01",
    ">5000",
    "9,1",
    "-1",
    "1e400",
    "NaN",
    "999999",
    "P2",
    "P9",
    "no",
    "No ",
    "yes",
    "x;y",
    'q"uote',
    "Ünïcødé",
    "1,5",
    "g/L",
    "MBq",
    "bone",
    "0",
]
FILES = sorted(VALID_FILES)

corruption = st.tuples(
    st.sampled_from(FILES),
    st.sampled_from(["cell", "cell", "cell", "duplicate", "short", "long", "blank"]),
    st.integers(0, 50),
    st.integers(0, 10),
    st.sampled_from(NASTY),
)


def corrupt(text: str, ops: list[tuple[str, int, int, str]], sep: str, source_sep: str = ",") -> str:
    rows = list(csv.reader(io.StringIO(text), delimiter=source_sep))
    header, body = rows[0], rows[1:]
    for op, r, c, value in ops:
        if not body:
            break
        i = r % len(body)
        row = list(body[i])
        if not row:  # a blank line inserted earlier stays blank
            continue
        if op == "cell":
            row[c % len(row)] = value
            body[i] = row
        elif op == "duplicate":
            body.insert(i, row)
        elif op == "short":
            body[i] = row[:-1]
        elif op == "long":
            body[i] = [*row, value]
        elif op == "blank":
            body.insert(i, [])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


def data_lines(text: str, sep: str) -> dict[int, list[str]]:
    """Line number -> cells of every record after the header (no cell holds a line break here)."""
    out: dict[int, list[str]] = {}
    for n, line in enumerate(text.split("\n"), start=1):
        if n > 1 and line:
            out[n] = next(csv.reader([line], delimiter=sep))
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(corruption, max_size=10), sep=st.sampled_from([",", ";"]))
def test_every_row_has_exactly_one_outcome(ops: list[tuple[str, str, int, int, str]], sep: str) -> None:
    texts = {f: corrupt(VALID_FILES[f], [o[1:] for o in ops if o[0] == f], sep) for f in FILES}
    lines = {f: data_lines(t, sep) for f, t in texts.items()}
    # consent is only an explicit yes in a row whose 7 fields can be assigned to columns
    refused = {
        cells[0].strip()
        for cells in lines["patients.csv"].values()
        if not _consents(cells) and cells[0].strip()
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = write_export(Path(tmp) / "export", dict(texts))
        con = duckdb.connect()
        summary = load_export(path, con)
        assert_every_row_accounted(con, summary, lines, refused)
        con.close()


def consent_rule(n_fields: int, consent_col: int) -> Callable[[list[str]], bool]:
    """The contract's consent, independently: a patients row of exactly the header's field count whose
    consent cell is `yes` (trimmed, any case)."""
    return lambda cells: len(cells) == n_fields and cells[consent_col].strip().lower() == "yes"


_consents = consent_rule(7, 6)


def assert_every_row_accounted(
    con: duckdb.DuckDBPyConnection,
    summary: LoadSummary,
    lines: dict[str, dict[int, list[str]]],
    refused: set[str],
    consents: Callable[[list[str]], bool] = _consents,
) -> None:
    """Every data line of every file is loaded, quarantined, a counted duplicate or excluded for consent:
    exactly one of them, and the summary's counts say so."""
    for f, file_lines in lines.items():
        table = f.removesuffix(".csv")
        counts = summary.files[f]
        assert counts.rows_read == len(file_lines)
        assert counts.rows_read == (
            counts.rows_loaded
            + counts.rows_quarantined
            + counts.rows_duplicate
            + counts.rows_excluded_consent
        )
        raw = [r[0] for r in con.execute(f"SELECT line_number FROM raw.{table}").fetchall()]
        quarantine = [r[0] for r in con.execute(f"SELECT line_number FROM quarantine.{table}").fetchall()]
        stored = raw + quarantine
        assert len(stored) == len(set(stored)), f"a line stored twice in {f}"
        assert set(stored) <= set(file_lines)
        consent_lines = {
            n
            for n, cells in file_lines.items()
            if cells and (cells[0].strip() in refused or (f == "patients.csv" and not consents(cells)))
        }
        assert counts.rows_excluded_consent == len(consent_lines)
        assert not consent_lines & set(stored)
        missing = set(file_lines) - set(stored) - consent_lines
        assert len(missing) == counts.rows_duplicate
        assert (len(raw), len(quarantine)) == (counts.rows_loaded, counts.rows_quarantined)
