"""Fuzzing the CSV reader: odd characters, delimiters, quotes and line breaks inserted anywhere in a
valid lab_results or patients file. Whatever the bytes, load_export either fails the export with an
ExportError or loads it with every file's rows accounted for; never any other exception."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest import ExportError, load_export

from .exports import VALID, count_records, write_export

ODD = [",", ";", '"', '""', "\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\ufeff", "µ", "μ", "<", ">", " ", "\\"]
insertion = st.tuples(
    st.integers(min_value=0, max_value=10_000),
    st.one_of(st.sampled_from(ODD), st.text(min_size=1, max_size=4)),
)


def mutate(text: str, inserts: list[tuple[int, str]]) -> str:
    """Insert into the data rows only: a mangled header fails the export early (tested elsewhere),
    and these files are so small that header hits would dominate."""
    header, _, body = text.partition("\n")
    for position, piece in inserts:
        at = position % (len(body) + 1)
        body = body[:at] + piece + body[at:]
    return header + "\n" + body


def records(data: bytes) -> int:
    """Records after the header as a CSV reader sees them (quoted line breaks inside one record), so
    that many mangled files get past the manifest's row count and reach validation; physical lines
    when the csv module cannot read the file."""
    try:
        text = data.decode("utf-8-sig")
        sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        return sum(1 for r in list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))[1:] if r)
    except (UnicodeDecodeError, csv.Error):
        return count_records(data)


def assert_one_outcome(target: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_export(Path(tmp) / "export", {target: data}, rows={target: records(data)})
        con = duckdb.connect()
        try:
            summary = load_export(path, con)
        except ExportError as e:
            assert target in str(e), f"the message must name the file: {e}"
            return
        finally:
            con.close()
        for name, counts in summary.files.items():
            assert counts.balanced, f"{name}: {counts}"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(["lab_results.csv", "patients.csv"]),
    inserts=st.lists(insertion, min_size=1, max_size=6),
)
def test_text_insertions_end_in_error_or_balanced_load(target: str, inserts: list[tuple[int, str]]) -> None:
    assert_one_outcome(target, mutate(VALID[target], inserts).encode("utf-8"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(["lab_results.csv", "patients.csv"]),
    position=st.integers(min_value=0, max_value=10_000),
    junk=st.binary(min_size=1, max_size=16),
)
def test_byte_insertions_end_in_error_or_balanced_load(target: str, position: int, junk: bytes) -> None:
    data = VALID[target].encode("utf-8")
    at = position % (len(data) + 1)
    assert_one_outcome(target, data[:at] + junk + data[at:])
