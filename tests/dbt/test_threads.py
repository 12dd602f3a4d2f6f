"""dbt's `threads` in profiles.yml is safe: a build at one thread and a build at the profile's N threads (at
least 2) hold the same rows in every table dbt builds (EXCEPT ALL in both directions). The N-thread build
is the session's refresh of the same export (`refreshed`, tests/conftest.py: its dbt build runs at the
profile's threads), so only the one-thread build is made here."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration import dbt_runner
from orchestration.ingest import load_export
from orchestration.settings import ClinicalSettings

DBT_SCHEMAS = ("seeds", "staging", "intermediate", "marts")


def _profile_threads() -> int:
    profiles = yaml.safe_load((dbt_runner.DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    return int(profiles["rlt"]["outputs"]["warehouse"]["threads"])


def _build(export: Path, database: Path, threads: int) -> None:
    with duckdb.connect(str(database)) as con:
        load_export(export, con)
    dbt_runner.build(database, ClinicalSettings(), threads=threads, quiet=True)


def _base_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_type = 'BASE TABLE' and table_schema in (?, ?, ?, ?)",
        [catalog, *DBT_SCHEMAS],
    ).fetchall()
    return {(schema, table) for schema, table in rows}


@pytest.mark.slow
def test_every_table_identical_at_one_and_n_threads(small_export: Path, refreshed, tmp_path: Path) -> None:
    # the refresh's dbt build takes the profile's threads (dbt_runner.invoke passes no --threads)
    assert _profile_threads() >= 2, "the profile's build would be one-threaded: nothing to compare"
    one, many = tmp_path / "one.duckdb", refreshed.published
    _build(small_export, one, threads=1)
    with duckdb.connect(str(one), read_only=True) as con:
        con.execute(f"attach '{many}' as many (read_only)")
        tables = _base_tables(con, "one")
        assert tables == _base_tables(con, "many")
        assert ("intermediate", "int_lab_results_graded") in tables and ("marts", "dim_patient") in tables
        differing = {}
        for schema, table in sorted(tables):
            a, b = f'one."{schema}"."{table}"', f'many."{schema}"."{table}"'
            only_one = con.execute(f"select count(*) from (from {a} except all from {b})").fetchone()[0]
            only_many = con.execute(f"select count(*) from (from {b} except all from {a})").fetchone()[0]
            if only_one or only_many:
                differing[f"{schema}.{table}"] = (only_one, only_many)
    assert differing == {}
