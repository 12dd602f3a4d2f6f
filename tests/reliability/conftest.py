"""Small exports (80 patients, distinct seeds) and one baseline warehouse published from the first,
shared by the crash, idempotency and concurrent-reader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ClinicalSettings

PATIENTS = 80
# baseline, crash target, and three successive exports for the concurrent readers; distinct seeds, so that
# every export differs from the others
SEEDS = {"baseline": 41, "next": 43, "third": 44, "fourth": 45, "fifth": 46}


@pytest.fixture(scope="session")
def reliability_exports(tmp_path_factory) -> dict[str, Path]:
    from orchestration.synthetic import generate_export

    root = tmp_path_factory.mktemp("reliability-exports")
    return {name: generate_export(root / name, patients=PATIENTS, seed=seed) for name, seed in SEEDS.items()}


@pytest.fixture(scope="session")
def baseline_warehouse(reliability_exports, tmp_path_factory) -> Path:
    """The baseline export published once (no reports); tests copy it, never change it."""
    from orchestration.refresh import run_refresh

    published = tmp_path_factory.mktemp("reliability-baseline") / "registry.duckdb"
    run_refresh(
        reliability_exports["baseline"], published, ClinicalSettings(), render_reports=False, force=True
    )
    published.chmod(0o400)  # a test that writes to it fails loudly
    return published
