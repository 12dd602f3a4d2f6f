"""Small exports (80 patients, distinct seeds) and one baseline warehouse published from the first,
shared by the crash, idempotency and concurrent-reader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ClinicalSettings
from tests.fixtures.shared import once_per_run

PATIENTS = 80
# baseline, crash target, and two successive exports for the concurrent readers (also used by the round-2
# failure tests); distinct seeds, so that every export differs from the others
SEEDS = {"baseline": 41, "next": 43, "third": 44, "fourth": 45}


@pytest.fixture(scope="session")
def reliability_exports(tmp_path_factory) -> dict[str, Path]:
    from orchestration.synthetic import generate_export

    def make(root: Path) -> dict[str, Path]:
        return {
            name: generate_export(root / name, patients=PATIENTS, seed=seed) for name, seed in SEEDS.items()
        }

    return once_per_run(tmp_path_factory, "reliability_exports", make)


@pytest.fixture(scope="session")
def baseline_warehouse(reliability_exports, tmp_path_factory) -> Path:
    """The baseline export published once (no reports); tests copy it, never change it."""
    from orchestration.refresh import run_refresh

    def make(root: Path) -> Path:
        published = root / "registry.duckdb"
        run_refresh(
            reliability_exports["baseline"], published, ClinicalSettings(), render_reports=False, force=True
        )
        published.chmod(0o400)  # a test that writes to it fails loudly
        return published

    return once_per_run(tmp_path_factory, "reliability_baseline", make)
