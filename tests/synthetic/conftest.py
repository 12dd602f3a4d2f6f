from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.synthetic import generate_export
from tests.fixtures.shared import once_per_run


@pytest.fixture(scope="session")
def clean_export(tmp_path_factory) -> Path:
    return once_per_run(
        tmp_path_factory, "clean_export", lambda d: generate_export(d / "clean", patients=400, seed=3)
    )


@pytest.fixture(scope="session")
def bad_export(tmp_path_factory) -> Path:
    return once_per_run(
        tmp_path_factory,
        "bad_export",
        lambda d: generate_export(d / "bad", patients=300, seed=5, bad_rows_rate=0.05),
    )


@pytest.fixture(scope="session")
def cohort_export(tmp_path_factory) -> Path:
    """Large enough for shares and medians to be stable."""
    return once_per_run(
        tmp_path_factory, "cohort_export", lambda d: generate_export(d / "cohort", patients=2000, seed=21)
    )
