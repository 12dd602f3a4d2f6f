"""`rlt refresh` SIGKILLed (its whole process group, dbt and all) during ingest, dbt, analysis, publish and
the report render: the published warehouse is exactly the previous one (or still absent on a first
publish), opens read-only and is consistent; the leftover build file is removed by the next refresh, which
succeeds; a killed render leaves no half-written report under a final name.

The run is stopped at a stage by the test-only fault point `orchestration.faults.checkpoint`: the test
waits for its marker file (never on a bare sleep), then kills. The six crashes are recovered in two groups
of three, each by one refresh over the leftovers of all three (see GROUPS).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.exports import identify_export
from orchestration.faults import MARKER_ENV, PAUSE_AT_ENV, SECONDS_ENV
from orchestration.refresh import run_refresh
from orchestration.settings import ClinicalSettings

from .support import (
    alive,
    children_of,
    consistency,
    group_commands,
    kill_group,
    row_counts,
    start_refresh,
    wait_for,
    write_figures,
)


@dataclass(frozen=True)
class Case:
    stage: str
    first_publish: bool = False
    reports: bool = False

    @property
    def id(self) -> str:
        return ("first-publish-" if self.first_publish else "") + self.stage


CASES = [
    # a first refresh killed with a complete, checkpointed build beside where it would be published
    Case("publish", first_publish=True),
    Case("ingest"),
    Case("dbt"),
    Case("analysis"),
    Case("publish"),
    Case("reports", reports=True),
]
# stages where the run does not wait at the fault point: the kill comes while the work after it runs
KILL_WHILE_RUNNING = {"dbt", "reports"}


def _build_files(published: Path) -> list[Path]:
    return sorted(published.parent.glob(f"{published.name}.building-*"))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # checkpointed away between the listing and the stat
        return 0


def _html_complete(path: Path) -> bool:
    return path.read_bytes().rstrip().endswith(b"</html>")


def _wait_until_inside_stage(case: Case, proc, log: Path, published: Path, reports: Path | None) -> None:
    if case.stage == "dbt":
        # dbt (in-process since issue 18.4) has committed writes (seeds, models) into the build: ingestion
        # closed the build before the fault point, so a write-ahead log is dbt's
        wait_for(
            lambda: any(_size(p) > 0 for p in _build_files(published) if p.name.endswith(".wal")),
            "dbt writing into the build",
            proc,
            log,
        )
    elif case.stage == "reports":
        assert reports is not None
        # the first cohort report is written; the next one is being rendered
        wait_for(lambda: any(reports.glob("*/*.html")), "the first cohort report", proc, log)


@dataclass
class Crashed:
    """A case after its kill, in its own folder: what the recovery refresh has to take over."""

    case: Case
    published: Path
    reports: Path | None
    before: bytes | None  # the published file before the killed run (None: a first publish)
    rows_lost: int | None
    tables_checked: int


def _crash(case: Case, folder: Path, baseline_warehouse: Path, export: Path) -> Crashed:
    """Kill a refresh of `export` at `case.stage` in `folder`; assert what the crash left."""
    folder.mkdir()
    published = folder / "registry.duckdb"
    reports = folder / "reports" if case.reports else None
    if not case.first_publish:
        shutil.copy(baseline_warehouse, published)
        published.chmod(0o600)
    before = published.read_bytes() if published.exists() else None
    counts_before = row_counts(published) if before is not None else {}

    marker, log = folder / "paused", folder / "refresh.log"
    env = {PAUSE_AT_ENV: case.stage, MARKER_ENV: str(marker)}
    if case.stage in KILL_WHILE_RUNNING:
        env[SECONDS_ENV] = "0"
    proc = start_refresh(export, published, reports_dir=reports, env=env, log=log)
    try:
        wait_for(marker.exists, f"the {case.stage} fault point", proc, log)
        _wait_until_inside_stage(case, proc, log, published, reports)
        kernels = children_of(proc.pid)  # a Jupyter kernel runs in a session of its own
    finally:
        kill_group(proc)
    assert proc.returncode == -9, f"{case.id}: the refresh ended before it was killed"
    wait_for(lambda: not group_commands(proc.pid), "the killed process group to be gone", timeout=30)
    # ipykernel notices that its parent died and exits (it polls once a second)
    wait_for(lambda: not any(alive(k) for k in kernels), "the orphaned kernel to exit", timeout=30)

    # the published warehouse after the crash
    rows_lost: int | None = None
    if case.stage == "reports":
        # publish had happened: the new snapshot is complete; no report is half-written under its name
        assert consistency(published)["export_id"] == identify_export(export).export_id
        assert reports is not None
        finals = [p for p in reports.rglob("*.html") if not p.name.startswith(".")]
        assert finals, "the kill came before any report was written"
        assert [p for p in finals if not _html_complete(p)] == []
        assert not _build_files(published)
    elif before is None:
        assert not published.exists(), "a crashed first refresh published something"
        assert _build_files(published), "expected the crashed run's build file to be left behind"
    else:
        assert published.read_bytes() == before, f"{case.id}: the published warehouse changed"
        counts_after = row_counts(published)
        rows_lost = sum(max(0, n - counts_after.get(t, 0)) for t, n in counts_before.items())
        assert counts_after == counts_before, f"{case.id}: rows lost"
        assert consistency(published) == consistency(baseline_warehouse)
        assert _build_files(published), f"{case.id}: expected the crashed run's build file to be left behind"
    return Crashed(case, published, reports, before, rows_lost, len(counts_before))


# The next refresh after a crash starts by sweeping every dead run's build file beside the warehouse
# (publish.start_build -> remove_stale_builds, whichever stage left it), then runs as any refresh. So the
# cases are recovered in two groups, each by ONE refresh over the leftovers of all its crashes gathered
# beside one warehouse: one group recovers over a published warehouse (the baseline, and the reports of
# a killed render), the other is a first publish. Each crash's own post-crash state is asserted first.
GROUPS = {
    "over-published": ("ingest", "publish", "reports"),
    "first-publish": ("first-publish-publish", "dbt", "analysis"),
}
CASES_BY_ID = {case.id: case for case in CASES}
assert sorted(i for ids in GROUPS.values() for i in ids) == sorted(CASES_BY_ID), "every case in one group"


@pytest.mark.slow
@pytest.mark.parametrize("group", list(GROUPS), ids=str)
def test_refresh_killed_at_a_stage_leaves_the_published_warehouse_intact(
    group: str, baseline_warehouse, reliability_exports, tmp_path, tmp_path_factory
):
    export = reliability_exports["next"]
    crashed = [
        _crash(CASES_BY_ID[case_id], tmp_path / case_id, baseline_warehouse, export)
        for case_id in GROUPS[group]
    ]

    # the recovery target: the first-publish case's folder (nothing published), else the first case
    # killed over the baseline (published warehouse = baseline)
    target = next((c for c in crashed if c.before is None), None) or next(
        c for c in crashed if c.published.read_bytes() == c.before
    )
    published = target.published
    gathered = []
    for other in crashed:
        if other is target:
            continue
        for leftover in _build_files(other.published):
            gathered.append(leftover.name)
            leftover.replace(published.parent / leftover.name)
    leftovers = {p.name for p in _build_files(published)}
    assert set(gathered) < leftovers, "the dead runs' build files are not all beside the warehouse"
    # one build file (and perhaps its .wal) per run killed before its publish's rename
    left_a_build = [c for c in crashed if c.case.stage != "reports"]
    assert len([n for n in leftovers if not n.endswith(".wal")]) == len(left_a_build), leftovers
    reports = next((c.reports for c in crashed if c.reports is not None), None)
    pre_recovery = published.read_bytes() if published.exists() else None

    # the next refresh, without fault point, succeeds and sweeps the leftovers of every crash away
    result = run_refresh(
        export,
        published,
        ClinicalSettings(),
        reports_dir=reports,
        render_reports=reports is not None,
        force=True,
    )
    assert not result.skipped
    assert not _build_files(published), "a build file survived the next refresh"
    assert all(not _build_files(c.published) for c in crashed)
    after = consistency(published)
    assert after["export_id"] == result.export_id
    if target.before is not None:
        assert published.read_bytes() != target.before
        assert pre_recovery == target.before
    else:
        assert pre_recovery is None and published.exists()
    if reports is not None:
        index = reports / "index.html"
        assert _html_complete(index)
        assert all(_html_complete(p) for p in reports.rglob("*.html") if not p.name.startswith("."))

    for c in crashed:
        write_figures(
            tmp_path_factory.getbasetemp(),
            f"crash:{c.case.id}",
            {"survived": True, "rows_lost": c.rows_lost, "tables_checked": c.tables_checked},
        )
