"""Order-independent checksums of every `marts.*` and `analysis.*` table: proof that a refactor changed
no value.

`table_checksums(con)` maps `schema.table` to `<rows>:<md5>`, where the md5 is over the sorted text of every
row (each row cast to text as a struct, so column names, order, types' text form and every value count).
Doubles count to 12 significant digits: the statistics (lifelines, numpy) move in the last bits from one CPU
to another (seen: `analysis.km_curve` on a machine without AVX-512), while a change of a rule moves a
value far more than 1e-12 of itself.

`python -P -m tests.dbt.table_checksums` builds the reference warehouses (see `reference_builds`) with the
code of the current checkout and prints the checksums as Python, for `test_values_unchanged.py`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

SCHEMAS = ("marts", "analysis")

# The builds the reference covers: the hand-made export with the default settings and with settings that
# take the other branch of every lab/PSA choice, and a generated export (the session's `small_export`:
# 150 patients, seed 11) with the defaults.
ALTERNATE_SETTINGS = [
    "post_grade_basis=last",
    "paired_post_value=worst",
    "psa_response_basis=week12",
    "psa_progression_rule=rise25",
    "baseline_window_days=30",
    "post_window_days=60",
]
GENERATED = {"patients": 150, "seed": 11}


def table_checksums(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, str]:
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2",
        list(schemas),
    ).fetchall()
    out: dict[str, str] = {}
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        values = ", ".join(
            f'printf(\'%.12g\', "{name}") as "{name}"' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
            for name, kind in columns
        )
        rows, digest = con.execute(
            f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
            f'from (select cast(t as varchar) as r from (select {values} from "{schema}"."{table}") as t)'
        ).fetchone()  # type: ignore[misc]
        out[f"{schema}.{table}"] = f"{rows}:{digest}"
    return out


def build_marts_and_analysis(export: Path, database: Path, overrides: list[str] | None = None) -> Path:
    """Load `export`, dbt build, statistics: the tables a refresh publishes (without Dagster)."""
    from orchestration import dbt_runner
    from orchestration.analysis import build_analysis_tables
    from orchestration.ingest import load_export
    from orchestration.settings import ClinicalSettings

    with duckdb.connect(str(database)) as con:
        load_export(export, con)
    settings = ClinicalSettings().with_overrides(overrides or [])
    dbt_runner.build(database, settings, quiet=True)
    with duckdb.connect(str(database)) as con:
        build_analysis_tables(con)
    return database


def reference_builds(root: Path) -> dict[str, Path]:
    from orchestration.synthetic import generate_export
    from tests.fixtures.handmade import write_handmade_export

    handmade = write_handmade_export(root / "handmade")
    generated = generate_export(root / "generated", **GENERATED)
    return {
        "handmade_default": build_marts_and_analysis(handmade, root / "h1.duckdb"),
        "handmade_alternate": build_marts_and_analysis(handmade, root / "h2.duckdb", ALTERNATE_SETTINGS),
        "generated_default": build_marts_and_analysis(generated, root / "g1.duckdb"),
    }


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="rlt-checksums-"))
    try:
        builds = reference_builds(root)
        print("REFERENCE = {")
        for name, database in builds.items():
            with duckdb.connect(str(database), read_only=True) as con:
                sums = table_checksums(con)
            print(f"    {name!r}: {{")
            for table, value in sums.items():
                print(f"        {table!r}: {value!r},")
            print("    },")
        print("}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
