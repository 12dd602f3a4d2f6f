"""Four analysts query the published warehouse without pause through two consecutive refreshes of two
different exports: no reader ever gets an error, every answer is exactly one published snapshot (never a
mix, never a half-built file), a reader never goes back to an older snapshot, and the writer is never
blocked by them (each refresh publishes).

Two refreshes cover both kinds of swap: the first replaces a file the readers opened as copied, the second
one that a refresh itself published while they were reading it (every reader is on the previous snapshot
before the next refresh starts, so a third refresh would repeat the second's conditions). The refreshes
run without `--force`: each export is new to the warehouse, so neither is skipped. (This also covers what
tests/orchestration/test_concurrent_readers.py checked with one reader through one refresh.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.refresh import run_refresh
from orchestration.settings import ClinicalSettings

from .analyst_reader import signature
from .support import wait_for, write_figures

READERS = 4
READER_SCRIPT = Path(__file__).with_name("analyst_reader.py")


def _status(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _all_have_seen(statuses: list[Path], export_id: str) -> bool:
    return all((s := _status(p)) is not None and s["export_id"] == repr([(export_id,)]) for p in statuses)


@pytest.mark.slow
def test_analysts_querying_through_two_refreshes_see_whole_snapshots_only(
    baseline_warehouse, reliability_exports, tmp_path, tmp_path_factory, capsys
):
    published = tmp_path / "registry.duckdb"
    shutil.copy(baseline_warehouse, published)
    published.chmod(0o600)
    snapshots = [signature(published)]
    exports = [reliability_exports[name] for name in ("third", "fourth")]

    stop = tmp_path / "stop"
    statuses = [tmp_path / f"status-{i}.json" for i in range(READERS)]
    results = [tmp_path / f"result-{i}.json" for i in range(READERS)]
    readers = [
        subprocess.Popen(
            [sys.executable, str(READER_SCRIPT), str(published), str(stop), str(status), str(result)]
        )
        for status, result in zip(statuses, results, strict=True)
    ]
    refresh_seconds: list[float] = []
    try:
        wait_for(lambda: all(p.exists() for p in statuses), "every reader's first answer", timeout=60)
        for export in exports:
            started = time.perf_counter()
            outcome = run_refresh(export, published, ClinicalSettings(), render_reports=False)
            refresh_seconds.append(time.perf_counter() - started)
            assert not outcome.skipped
            snapshots.append(signature(published))
            # every reader has been served the new snapshot before the next refresh starts
            wait_for(
                lambda eid=outcome.export_id: _all_have_seen(statuses, eid),
                f"every reader to see {outcome.export_id}",
                timeout=60,
            )
    finally:
        stop.touch()
        for reader in readers:
            try:
                reader.wait(timeout=60)
            except subprocess.TimeoutExpired:
                reader.kill()
                reader.wait()

    assert all(reader.returncode == 0 for reader in readers)
    runs = [json.loads(p.read_text()) for p in results]
    errors = [e for run in runs for e in run["errors"]]
    assert errors == [], errors[:5]

    # three distinct snapshots (different exports, growing run history)
    assert len({tuple(s) for s in snapshots}) == len(exports) + 1
    index = {tuple(s): k for k, s in enumerate(snapshots)}
    served = [0] * len(snapshots)
    for run in runs:
        assert len(run["answers"]) > 10, "a reader hardly queried while the refreshes ran"
        seen = [index.get(tuple(answer)) for answer in run["answers"]]
        assert None not in seen, "an answer matches no published snapshot"
        assert seen == sorted(seen), "a reader went back to an older snapshot"
        assert set(seen) == set(range(len(snapshots))), "a reader missed a snapshot"
        assert seen[-1] == len(snapshots) - 1, "a reader's last answer is not the last published snapshot"
        for k in seen:
            served[k] += 1

    answers = sum(served)
    figures = {
        "readers": READERS,
        "refreshes": len(exports),
        "answers_served": answers,
        "statements_served": answers * runs[0]["statements_per_answer"],
        "answers_per_snapshot": served,
        "reader_errors": len(errors),
        "refresh_seconds": [round(s, 1) for s in refresh_seconds],
    }
    target = write_figures(tmp_path_factory.getbasetemp(), "concurrent_analysts", figures)
    with capsys.disabled():
        print(f"\nconcurrent analysts: {json.dumps(figures)} (written to {target})")
