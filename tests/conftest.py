"""Session-wide fixtures: one small synthetic export, refreshed once, shared by every test that needs a
published warehouse (dbt is built once per test run, also under pytest-xdist: tests/fixtures/shared.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ClinicalSettings
from tests.fixtures.shared import once_per_run


@pytest.fixture(scope="session")
def small_export(tmp_path_factory) -> Path:
    from orchestration.synthetic import generate_export
    from tests.dbt.table_checksums import GENERATED

    # the export tests/dbt/test_values_unchanged.py holds reference checksums for
    return once_per_run(
        tmp_path_factory, "small_export", lambda folder: generate_export(folder / "small", **GENERATED)
    )


@pytest.fixture(scope="session")
def refreshed(small_export, tmp_path_factory):
    """The whole asset graph materialized in-process on the small export (with reports)."""
    from orchestration.refresh import run_refresh

    def make(root: Path):
        return run_refresh(
            small_export,
            root / "registry.duckdb",
            ClinicalSettings(),
            reports_dir=root / "reports",
            force=True,
        )

    return once_per_run(tmp_path_factory, "refreshed", make)


def pytest_collection_modifyitems(config, items) -> None:
    """The `slow` tests (whole refreshes, killed runs, concurrent readers) first, in collection order: the
    workers then share out the long tests early and finish together on the short ones, instead of one
    worker running the last long test while the other is idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
