"""The dbt project, wrapped once for Dagster, with a manifest kept fresh for in-process runs."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.code_version import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_ENV_DATABASE = "RLT_DBT_DATABASE"

rlt_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@contextlib.contextmanager
def dbt_database(path: Path) -> Iterator[None]:
    """Point the dbt profile at `path` (profiles.yml reads RLT_DBT_DATABASE) for the duration."""
    previous = os.environ.get(DBT_ENV_DATABASE)
    os.environ[DBT_ENV_DATABASE] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DBT_ENV_DATABASE, None)
        else:
            os.environ[DBT_ENV_DATABASE] = previous


def _newest_source_mtime() -> float:
    newest = (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime
    for folder in ("models", "macros", "seeds", "tests"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than a model, macro, seed or test.

    `dagster dev` prepares the project itself; the CLI and tests load the definitions without it, so they
    parse here once (seconds) instead of on every run.
    """
    manifest = rlt_dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    import shutil
    import tempfile

    from dbt.cli.main import dbtRunner

    manifest.parent.mkdir(parents=True, exist_ok=True)
    # parse into a private folder, then rename: a process starting meanwhile never reads half a manifest
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=manifest.parent))
    try:
        with dbt_database(Path(os.environ.get(DBT_ENV_DATABASE) or scratch / "parse.duckdb")):
            result = dbtRunner().invoke(
                [
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(DBT_PROJECT_DIR),
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target-path",
                    str(scratch),
                ]
            )
        parsed = scratch / "manifest.json"
        if not result.success or not parsed.exists():
            raise RuntimeError(f"dbt parse failed for {DBT_PROJECT_DIR}: {result.exception}")
        os.replace(parsed, manifest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest
