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


@pytest.fixture(scope="session")
def handmade_refreshed(tmp_path_factory):
    """The hand-worked export (tests/fixtures/handmade_export) refreshed in-process with its reports: the
    handmade reports' tests read it; the two-nights test copies its warehouse as the first night."""
    from orchestration.refresh import run_refresh
    from tests.fixtures.handmade import write_handmade_export

    def make(root: Path):
        export = write_handmade_export(root / "export")
        result = run_refresh(
            export, root / "w.duckdb", ClinicalSettings(), reports_dir=root / "r", force=True
        )
        result.published.chmod(0o400)  # a test that writes to it fails loudly; copy it first
        return result

    return once_per_run(tmp_path_factory, "handmade_refreshed", make)


def pytest_collection_modifyitems(config, items) -> None:
    """The `slow` tests (whole refreshes, killed runs, concurrent readers) first, in collection order: the
    workers then share out the long tests early and finish together on the short ones, instead of one
    worker running the last long test while the other is idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
