"""Small query helpers shared by the ingestion tests."""

from __future__ import annotations

import duckdb


def quarantined(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[int, str | None, str]]:
    """(line_number, column_name, reason code) of quarantine.<table>, by line."""
    rows = con.execute(
        f"SELECT line_number, column_name, reason FROM quarantine.{table} ORDER BY line_number"
    ).fetchall()
    return [(line, column, reason.split(":")[0]) for line, column, reason in rows]


def raw_lines(con: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    return [r[0] for r in con.execute(f"SELECT line_number FROM raw.{table} ORDER BY line_number").fetchall()]


def schema_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]
