from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.synthetic import generate_export


@pytest.fixture(scope="session")
def clean_export(tmp_path_factory) -> Path:
    return generate_export(tmp_path_factory.mktemp("synthetic") / "clean", patients=400, seed=3)


@pytest.fixture(scope="session")
def bad_export(tmp_path_factory) -> Path:
    return generate_export(
        tmp_path_factory.mktemp("synthetic") / "bad", patients=300, seed=5, bad_rows_rate=0.05
    )


@pytest.fixture(scope="session")
def cohort_export(tmp_path_factory) -> Path:
    """Large enough for shares and medians to be stable."""
    return generate_export(tmp_path_factory.mktemp("synthetic") / "cohort", patients=2000, seed=21)
