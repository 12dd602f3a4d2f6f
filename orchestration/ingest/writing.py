"""Write validated frames into DuckDB (raw.*, quarantine.*, audit.*) via Arrow, slice by slice."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa

INSERT_CHUNK_ROWS = 1_000_000
_ROW_GROUP = 122_880  # rows per DuckDB row group
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
    con: duckdb.DuckDBPyConnection,
    qualified: str,
    columns: list[tuple[str, str]],
    frame: pl.DataFrame,
    constants: dict[str, str] | None = None,
) -> None:
    """Insert `frame` into `qualified`, cast to the declared types. `frame` holds exactly `columns`, but
    for those in `constants`: text that is the same on every row (the lineage's export_id and file
    name), passed once as a query parameter instead of as a column of millions of equal strings."""
    if frame.height == 0:
        return
    constants = constants or {}
    frame = frame.select(pl.col(n).cast(_POLARS_TYPES[t]) for n, t in columns if n not in constants)
    view = "_rlt_ingest_frame"
    names = ", ".join(f'"{n}"' for n, _ in columns)
    values = ", ".join(f"CAST(? AS {t})" if n in constants else f'"{n}"' for n, t in columns)
    params = [constants[n] for n, _ in columns if n in constants]
    # Slice by slice, so that the Arrow copy of 10 M lab rows never exists at once; the newest Arrow
    # layout (string views) is what polars holds, so the conversion copies little. Each slice goes in as
    # many record batches of a DuckDB row group, which DuckDB scans in parallel (one batch: one thread;
    # measured 2.2 s instead of 5.1 s for 2.3 M lab rows).
    for part in frame.iter_slices(INSERT_CHUNK_ROWS):
        batches = part.to_arrow(compat_level=pl.CompatLevel.newest()).to_batches(max_chunksize=_ROW_GROUP)
        con.register(view, pa.Table.from_batches(batches) if batches else part.to_arrow())
        try:
            con.execute(f"INSERT INTO {qualified} ({names}) SELECT {values} FROM {view}", params)
        finally:
            con.unregister(view)


def write_table(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]], frame: pl.DataFrame
) -> None:
    create_table(con, qualified, columns)
    insert_frame(con, qualified, columns, frame)
