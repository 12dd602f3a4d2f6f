"""Fixtures: a hand-written fake warehouse and its cohort reports, rendered once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.reporting import render_cohort_reports
from tests.fixtures.shared import once_per_run
from tests.reporting.fake_warehouse import build_fake_warehouse

UNKNOWN_COHORT = "no such <b>cohort</b>"


@pytest.fixture(scope="session")
def fake_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return once_per_run(
        tmp_path_factory, "fake_warehouse", lambda d: build_fake_warehouse(d / "registry.duckdb")
    )


@pytest.fixture(scope="session")
def rendered(fake_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reports of every cohort in marts.cohorts plus an unknown cohort, keyed by cohort name; the
    comparison report of the seed's pair ('comparison') and the index."""
    cohorts = ["all", "ecog_3", "ecog_0_2", "empty", UNKNOWN_COHORT]

    def make(out_dir: Path) -> dict[str, Path]:
        paths = render_cohort_reports(fake_warehouse, out_dir, cohorts)
        comparison = out_dir / "ecog_3-vs-ecog_0_2.html"
        assert paths[len(cohorts)] == comparison
        return {**dict(zip(cohorts, paths[: len(cohorts)], strict=True)), "comparison": comparison,
                "index": paths[-1]}

    return once_per_run(tmp_path_factory, "rendered_reports", make)
