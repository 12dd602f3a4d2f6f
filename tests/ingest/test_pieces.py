"""A large file is read in pieces and validated slice by slice (to bound memory): the rows, their line
numbers, field counts and outcomes must be exactly those of one whole read. Piece, slice and hash sizes
are made tiny here so that small files cross every boundary."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orchestration.contract.tables import TABLES
from orchestration.ingest import ExportError, load_export, loader, reading
from orchestration.ingest.manifest import FileEntry
from orchestration.synthetic import generate_export
from tests.hostile.exports import VALID
from tests.hostile.test_fuzz_csv import insertion, mutate

WHOLE = 1 << 40  # a piece size no test file reaches: one piece


def _read(data: bytes, table: str, piece_bytes: int, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame | str:
    """The file's frame (all parts) as read with pieces of `piece_bytes`, or the ExportError's text."""
    monkeypatch.setattr(reading, "PIECE_BYTES", piece_bytes)
    entry = FileEntry(file=f"{table}.csv", table=table, format="csv", sha256="", rows=0)
    try:
        return reading._read_csv(data, entry, TABLES[table]).frame
    except ExportError as e:
        return str(e)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["lab_results", "patients"]),
    inserts=st.lists(insertion, max_size=5),
    piece_bytes=st.integers(min_value=1, max_value=120),
    crlf=st.booleans(),
)
# a blank line, a quoted field with the separator inside, a line with more fields than the header and a
# mid-field quote, each of them at the first line of some piece
@example(
    target="lab_results",
    inserts=[(0, "\n"), (40, '"a,b",'), (80, ",,x"), (120, 'Klinik "Nord')],
    piece_bytes=7,
    crlf=False,
)
def test_pieces_read_as_one_whole_read(
    target: str,
    inserts: list[tuple[int, str]],
    piece_bytes: int,
    crlf: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = mutate(VALID[f"{target}.csv"], inserts) if inserts else VALID[f"{target}.csv"]
    data = (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")
    whole = _read(data, target, WHOLE, monkeypatch)
    pieces = _read(data, target, piece_bytes, monkeypatch)
    if isinstance(whole, str) or isinstance(pieces, str):
        assert pieces == whole
    else:
        assert pieces.equals(whole, null_equal=True), (pieces, whole)


def test_a_file_larger_than_a_piece_is_read_in_several(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["patient_id,sample_date,analyte,value,unit,ref_low,ref_high"]
    lines += [f"P{i},2020-01-{1 + i % 28:02d},psa,{i}.5,ng/mL,," for i in range(1, 101)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    monkeypatch.setattr(reading, "PIECE_BYTES", 300)
    entry = FileEntry(file="lab_results.csv", table="lab_results", format="csv", sha256="", rows=0)
    tf = reading._read_csv(data, entry, TABLES["lab_results"])
    # 100 data lines of 30–33 bytes in pieces of about 300 bytes: ten or more pieces
    assert len(tf.parts) >= 10
    assert tf.height == 100
    frame = tf.frame
    assert frame.get_column(reading.LINE).to_list() == list(range(2, 102))
    assert frame.get_column("patient_id").to_list() == [f"P{i}" for i in range(1, 101)]
    assert set(frame.get_column(reading.N_FIELDS).to_list()) == {7}


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    names = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw', 'quarantine', 'audit') order by 1"
    ).fetchall()
    out = {}
    for (name,) in names:
        cols = [c for (c,) in con.execute(f"select column_name from (describe {name})").fetchall()]
        keep = ", ".join(f'"{c}"' for c in cols if c != "loaded_at")  # the load's own clock
        out[name] = sorted(con.execute(f"select {keep} from {name}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # bad rows of every kind, exact duplicates among them
    return generate_export(tmp_path_factory.mktemp("pieces") / "export", 40, seed=3, bad_rows_rate=0.05)


def test_load_in_pieces_and_slices_equals_a_whole_load(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = duckdb.connect()
    load_export(generated, whole)
    expected = _tables(whole)
    assert sum(len(v) for k, v in expected.items() if k.startswith("quarantine.")) > 0
    dupes = whole.execute("select sum(rows_duplicate) from audit.export_loads").fetchone()
    assert dupes is not None and dupes[0] > 0, "the export must hold exact duplicates to test their search"

    monkeypatch.setattr(reading, "PIECE_BYTES", 2048)
    monkeypatch.setattr(loader, "VALIDATION_CHUNK_ROWS", 97)
    monkeypatch.setattr(loader, "HASH_SLICE_ROWS", 31)
    sliced = duckdb.connect()
    load_export(generated, sliced)
    assert _tables(sliced) == expected
