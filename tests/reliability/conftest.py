"""Small exports (80 patients, distinct seeds) and one baseline warehouse published from the first,
shared by the crash, idempotency and concurrent-reader tests; and one second refresh of the baseline
export over it, shared by the idempotency test and the reports-folder-is-a-file test."""

from __future__ import annotations

import contextlib
import io
import shutil
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


@pytest.fixture(scope="session")
def baseline_refreshed_again(baseline_warehouse, reliability_exports, tmp_path_factory) -> dict[str, object]:
    """`rlt refresh BASELINE --force --reports-dir FILE` (in-process) over a copy of the baseline warehouse:
    the same export again, so the data must come out identical (test_idempotency), and a reports folder
    that is a file, so the run publishes and then fails at the reports (test_round2_failures). Returns the
    published path (read-only by convention), the content checksums of the copy before the run, the exit
    code and stderr."""
    from orchestration.cli import main as rlt

    from .support import content_checksums

    def make(root: Path) -> dict[str, object]:
        published = root / "wh" / "registry.duckdb"
        published.parent.mkdir()
        shutil.copy(baseline_warehouse, published)
        published.chmod(0o600)
        before = content_checksums(published)
        not_a_dir = root / "reports.txt"
        not_a_dir.write_text("a file, not a folder\n")
        export = reliability_exports["baseline"]
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = rlt(
                ["refresh", str(export), "--warehouse", str(published), "--reports-dir", str(not_a_dir)]
                + ["--force"]
            )
        published.chmod(0o400)  # a test that writes to it fails loudly
        return {"published": published, "checksums_before": before, "code": code, "err": err.getvalue()}

    return once_per_run(tmp_path_factory, "baseline_refreshed_again", make)
