"""Run the dbt project (staging -> intermediate -> marts) against one DuckDB warehouse file.

Used by the tests and by the non-Dagster pipeline. dbt's `target/` and `logs/` stay inside dbt_project/.
"""

from __future__ import annotations

import json
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.dbt_project import DBT_PROJECT_DIR, dbt_database
from orchestration.settings import ClinicalSettings


class DbtRunError(RuntimeError):
    """A dbt invocation that did not succeed; the message lists the failing nodes."""


def _release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in-process after an invocation.

    Without this the warehouse file stays open with dbt's configuration, so opening it read-only (analysts,
    tests) or replacing it (publish) in the same process fails.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = getattr(DuckDBConnectionManager, "_ENV", None)
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def _failures(result: dbtRunnerResult) -> list[str]:
    """`node (status): message` for every node result that neither passed nor was skipped."""
    out: list[str] = []
    results = getattr(result.result, "results", None) or []
    for r in results:
        status = str(getattr(r, "status", ""))
        if status.lower().rsplit(".", 1)[-1] in {"success", "pass", "skipped", "warn"}:
            continue
        node = getattr(getattr(r, "node", None), "unique_id", "?")
        message = (getattr(r, "message", None) or "").strip().replace("\n", " ")
        out.append(f"{node} ({status}): {message[:500]}")
    return out


def run_dbt(args: list[str], database: Path, settings: ClinicalSettings) -> dbtRunnerResult:
    """Invoke dbt (e.g. `["build"]`) on `database` with `settings` as vars; raise DbtRunError on failure.

    The database path reaches profiles.yml through RLT_DBT_DATABASE, set for the call and restored after.
    """
    cli_args = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(settings.as_dbt_vars()),
    ]
    with dbt_database(database):
        try:
            result = dbtRunner().invoke(cli_args)
        finally:
            _release_duckdb()
    if not result.success:
        failing = _failures(result)
        detail = "\n  ".join(failing) if failing else repr(result.exception)
        raise DbtRunError(f"dbt {' '.join(args)} failed on {database}:\n  {detail}")
    return result
