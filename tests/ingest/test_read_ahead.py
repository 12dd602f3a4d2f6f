"""The export read ahead (orchestration/ingest/read_ahead.py): load_export takes it instead of reading the
export again, loads the same rows, and reports a failed read as if it had read the export itself."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.ingest import ExportError, load_export, loader, read_ahead
from tests.ingest.conftest import ExportFactory

TABLES_LOADED = "select table_schema, table_name from information_schema.tables order by all"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call of loader.read_export (the read ahead's, on its thread, and load_export's own)."""
    calls: list[object] = []
    real = loader.read_export

    def counted(*args: object, **kwargs: object):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "read_export", counted)
    return calls


def _rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for schema, name in con.execute(TABLES_LOADED).fetchall():
        if schema == "audit" and name == "export_loads":
            continue  # loaded_at differs
        out[f"{schema}.{name}"] = sorted(con.execute(f"select * from {schema}.{name}").fetchall(), key=repr)
    return out


def test_a_read_ahead_is_taken_and_loads_what_a_plain_load_does(make_export: ExportFactory, reads) -> None:
    path = make_export()
    plain = duckdb.connect()
    load_export(path, plain)
    assert reads == [path]
    read_ahead.read_ahead(path, loader.MAX_UNPACKED_BYTES)
    ahead = duckdb.connect()
    summary = load_export(path, ahead)
    assert reads == [path, path], "read once ahead, not again by load_export"
    assert summary.files["lab_results.csv"].rows_loaded > 0
    assert _rows(ahead) == _rows(plain)
    assert read_ahead.take(path, loader.MAX_UNPACKED_BYTES) is None, "taken once"


def test_a_failed_read_ahead_is_read_again_and_reported_as_always(make_export: ExportFactory, reads) -> None:
    path = make_export(sha256={"metastases.csv": "0" * 64})
    read_ahead.read_ahead(path, loader.MAX_UNPACKED_BYTES)
    with pytest.raises(ExportError, match=r"metastases\.csv.*sha256|sha256.*metastases\.csv"):
        load_export(path, duckdb.connect())
    assert len(reads) == 2, "the failed read ahead, then load_export's own read"


def test_a_read_ahead_with_another_zip_limit_is_not_used(make_export: ExportFactory, reads) -> None:
    path = make_export()
    read_ahead.read_ahead(path, 10 * 2**20)
    load_export(path, duckdb.connect())
    assert len(reads) == 2


def test_a_discarded_read_ahead_is_not_taken(make_export: ExportFactory, reads) -> None:
    path = make_export()
    read_ahead.read_ahead(path, loader.MAX_UNPACKED_BYTES)
    read_ahead.discard(path)
    assert read_ahead.take(path, loader.MAX_UNPACKED_BYTES) is None
