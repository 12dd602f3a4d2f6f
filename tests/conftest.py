"""Session-wide fixtures: one small synthetic export, refreshed once, shared by every test that needs a
published warehouse (dbt is built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ClinicalSettings


@pytest.fixture(scope="session")
def small_export(tmp_path_factory) -> Path:
    from orchestration.synthetic import generate_export
    from tests.dbt.table_checksums import GENERATED

    # the export tests/dbt/test_values_unchanged.py holds reference checksums for
    return generate_export(tmp_path_factory.mktemp("export") / "small", **GENERATED)


@pytest.fixture(scope="session")
def refreshed(small_export, tmp_path_factory):
    """The whole asset graph materialized in-process on the small export (with reports)."""
    from orchestration.refresh import run_refresh

    root = tmp_path_factory.mktemp("published")
    return run_refresh(
        small_export, root / "registry.duckdb", ClinicalSettings(), reports_dir=root / "reports", force=True
    )
