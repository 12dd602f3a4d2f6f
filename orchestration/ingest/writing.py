"""Write validated frames into DuckDB (raw.*, quarantine.*, audit.*) via Arrow, in one transaction."""

from __future__ import annotations

import duckdb
import polars as pl

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "INTEGER": pl.Int32(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "BIGINT": pl.Int64(),
    "TIMESTAMP": pl.Datetime("us"),
}


def create_table(con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]]) -> None:
    ddl = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    con.execute(f"CREATE OR REPLACE TABLE {qualified} ({ddl})")


def insert_frame(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]], frame: pl.DataFrame
) -> None:
    """Insert `frame` (already holding exactly `columns`) into `qualified`, cast to the declared types."""
    if frame.height == 0:
        return
    frame = frame.select(pl.col(n).cast(_POLARS_TYPES[t]) for n, t in columns)
    view = "_rlt_ingest_frame"
    con.register(view, frame.to_arrow())
    try:
        names = ", ".join(f'"{n}"' for n, _ in columns)
        con.execute(f"INSERT INTO {qualified} ({names}) SELECT {names} FROM {view}")
    finally:
        con.unregister(view)


def write_table(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]], frame: pl.DataFrame
) -> None:
    create_table(con, qualified, columns)
    insert_frame(con, qualified, columns, frame)
