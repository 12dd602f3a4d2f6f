"""The previously published warehouse, attached read-only into the build being made.

It may be absent (first refresh), unreadable, or from an older code version that lacks some tables or
columns: callers ask `has(...)` before using a relation, and what is missing counts as empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ALIAS = "rlt_previous"


@dataclass
class Previous:
    """What the previous warehouse offers; `attached` is False when there is none (or it is unreadable)."""

    attached: bool
    export_id: str | None = None
    note: str | None = None
    columns: dict[str, set[str]] = field(default_factory=dict)

    def has(self, relation: str, *columns: str) -> bool:
        present = self.columns.get(relation)
        return self.attached and present is not None and set(columns) <= present

    def ref(self, relation: str) -> str:
        """`relation` (schema.table) in the attached database."""
        return f"{ALIAS}.{relation}"


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    rows = con.execute(
        "select schema_name || '.' || table_name, column_name from duckdb_columns() where database_name = ?",
        [ALIAS],
    ).fetchall()
    for relation, column in rows:
        out.setdefault(relation, set()).add(column)
    return out


def _export_id(con: duckdb.DuckDBPyConnection, previous: Previous) -> str | None:
    if previous.has("audit.runs", "export_id", "finished_at"):
        row = con.execute(
            f"select export_id from {previous.ref('audit.runs')} order by finished_at desc limit 1"
        ).fetchone()
        if row:
            return str(row[0])
    if previous.has("raw.export_manifest", "export_id"):
        row = con.execute(f"select export_id from {previous.ref('raw.export_manifest')} limit 1").fetchone()
        if row:
            return str(row[0])
    return None


@contextmanager
def attach_previous(con: duckdb.DuckDBPyConnection, published: Path | None) -> Iterator[Previous]:
    """Attach `published` READ_ONLY for the duration; a missing or unreadable file yields an empty one."""
    if published is None or not Path(published).is_file():
        yield Previous(attached=False, note="no previous published warehouse")
        return
    path = str(Path(published).resolve()).replace("'", "''")
    try:
        con.execute(f"attach '{path}' as {ALIAS} (read_only)")
    except duckdb.Error as exc:
        # a file we cannot read is treated as absent: statuses start afresh rather than failing the refresh
        yield Previous(attached=False, note=f"previous warehouse unreadable: {exc}")
        return
    try:
        previous = Previous(attached=True, columns=_columns(con))
        previous.export_id = _export_id(con, previous)
        yield previous
    finally:
        con.execute(f"detach {ALIAS}")
