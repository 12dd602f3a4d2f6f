"""Issue 16 round 2, failures of the night (points 3, 5, 8, 9) and issue 15.7, each through `rlt refresh`
over a copy of a published warehouse:

- 16.3  an export that empties the registry is refused (old n, new n, `--allow-shrink` named);
- 16.5 / 15.7  the build file, its `.wal` and the lock are 0600 while dbt writes (real subprocess);
- 16.8  SIGTERM: one sentence, exit 2, no dbt or other process left, build and .wal removed;
        read-only file system (a tmpfs remounted read-only: chmod does not stop root) and disk full (a
        real tmpfs too small for the build, `mount -t tmpfs -o size=…`): one sentence, exit 2, no
        traceback, no build left; `--reports-dir` pointing at a file: says it was published;
- 16.9  two refreshes at once (two real processes): the second refuses after its timeout, naming the
        holder's pid, and never deletes the first's build file; with a longer timeout it waits and both
        publish. The waiting run's output is also where `rlt refresh` not on a terminal is checked to be
        short, plain and fully logged (moved from tests/orchestration/test_cli.py to spare a refresh).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main as rlt
from orchestration.faults import MARKER_ENV, PAUSE_AT_ENV, RELEASE_ENV, SECONDS_ENV
from orchestration.warehouse_lock import TIMEOUT_ENV

from .support import alive, consistency, group_commands, kill_group, start_refresh, wait_for

pytestmark = pytest.mark.slow


def _published_copy(baseline_warehouse: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    published = folder / "registry.duckdb"
    shutil.copy(baseline_warehouse, published)
    published.chmod(0o600)
    return published


def _builds(published: Path) -> list[str]:
    return sorted(p.name for p in published.parent.glob(f"{published.name}.building-*"))


def _build_files(published: Path) -> list[str]:
    """Build files without their .wal (which a checkpoint may fold in at any moment)."""
    return [name for name in _builds(published) if not name.endswith(".wal")]


def _patients(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from marts.dim_patient").fetchone()[0]


def _one_sentence(err: str) -> str:
    """The CLI's closing message: the last non-empty line, which must say it all."""
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    lines = [line for line in err.splitlines() if line.strip()]
    return lines[-1]


@contextlib.contextmanager
def _tmpfs(path: Path, size_kib: int):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN): {mounted.stderr.decode().strip()}"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# ------------------------------------------------------------------------------------------------ 16.3


def _consent_withdrawn_but(export: Path, keep: set[str]) -> None:
    """Every patient not in `keep` gets consent `no` (rows and columns unchanged); manifest updated."""
    text = (export / "patients.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["patient_id"] not in keep:
            row["consent_data_use"] = "no"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    (export / "patients.csv").write_bytes(data)
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["files"]["patients.csv"]["sha256"] = hashlib.sha256(data).hexdigest()
    (export / "manifest.json").write_text(json.dumps(manifest))


def test_export_that_empties_the_registry_is_refused(
    baseline_warehouse, reliability_exports, tmp_path, capsys
):
    published = _published_copy(baseline_warehouse, tmp_path / "wh")
    before = published.read_bytes()
    old_n = _patients(published)
    with duckdb.connect(str(published), read_only=True) as con:
        kept = {
            r[0]
            for r in con.execute("select patient_id from marts.dim_patient order by 1 limit 10").fetchall()
        }
    export = shutil.copytree(reliability_exports["baseline"], tmp_path / "export")
    _consent_withdrawn_but(export, kept)  # 10 patients left of the published ones: far more than half gone
    code = rlt(["refresh", str(export), "--warehouse", str(published), "--no-reports"])
    err = capsys.readouterr().err
    assert code == 2, err[-3000:]
    message = _one_sentence(err)
    assert f"from {old_n} to 10 patients" in message and old_n > 20
    assert "--allow-shrink" in message and "not changed" in message
    assert published.read_bytes() == before
    assert _builds(published) == []


# ------------------------------------------------------------------------------------- 16.5, 16.8 SIGTERM


def test_build_and_wal_owner_only_while_dbt_writes_then_sigterm_cleans_up(
    baseline_warehouse, reliability_exports, tmp_path
):
    published = _published_copy(baseline_warehouse, tmp_path / "wh")
    before = published.read_bytes()
    marker, log = tmp_path / "paused", tmp_path / "refresh.log"
    env = {PAUSE_AT_ENV: "dbt", MARKER_ENV: str(marker), SECONDS_ENV: "0"}
    proc = start_refresh(reliability_exports["next"], published, reports_dir=None, env=env, log=log)
    try:
        wait_for(marker.exists, "the dbt fault point", proc, log)
        # dbt runs inside the refresh process (orchestration/dbt_runner.py): its writing shows in the .wal
        wait_for(
            lambda: any(p.stat().st_size > 0 for p in published.parent.glob("*.wal")),
            "dbt writing into the build's .wal",
            proc,
            log,
        )
        modes = {p.name: p.stat().st_mode & 0o777 for p in published.parent.iterdir() if p.is_file()}
        # the run's log folder (logs/refresh-<time>.log) beside the warehouse: owner-only too
        folders = {p.name: p.stat().st_mode & 0o777 for p in published.parent.iterdir() if p.is_dir()}
        logs = {p.name: p.stat().st_mode & 0o777 for p in (published.parent / "logs").iterdir()}
        # SIGTERM to the refresh process alone (as `kill PID` or a service manager would), not its group
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=120)
    finally:
        kill_group(proc)
    wal = [n for n in modes if n.endswith(".wal")]
    assert wal and any(".building-" in n for n in modes)
    assert modes == dict.fromkeys(modes, 0o600), modes  # build, .wal, lock and the published file
    assert folders == {"logs": 0o700} and logs and set(logs.values()) == {0o600}, (folders, logs)

    err = log.read_text(errors="replace")
    assert code == 2, err[-3000:]
    message = _one_sentence(err)
    assert "stopped by a signal" in message and "not changed" in message
    wait_for(lambda: not group_commands(proc.pid), "nothing left of the refresh's process group", timeout=10)
    assert _builds(published) == []
    assert published.read_bytes() == before


# -------------------------------------------------------------------------- 16.8 read-only, disk full


def test_read_only_file_system_is_one_sentence(baseline_warehouse, reliability_exports, tmp_path, capsys):
    size = baseline_warehouse.stat().st_size // 1024 + 4096
    with _tmpfs(tmp_path / "mnt", size) as mnt:
        published = _published_copy(baseline_warehouse, mnt)
        before = published.read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        code = rlt(
            ["refresh", str(reliability_exports["next"]), "--warehouse", str(published), "--no-reports"]
        )
        err = capsys.readouterr().err
        assert code == 2, err
        message = _one_sentence(err)
        assert "read-only file system" in message and str(mnt) in message
        assert published.read_bytes() == before


def test_disk_full_is_one_sentence_and_leaves_no_build(
    baseline_warehouse, reliability_exports, tmp_path, capsys
):
    """A real tmpfs with room for the published file and 1 MiB more: the build cannot fit."""
    size = baseline_warehouse.stat().st_size // 1024 + 1024
    with _tmpfs(tmp_path / "mnt", size) as mnt:
        published = _published_copy(baseline_warehouse, mnt)
        before = published.read_bytes()
        code = rlt(
            ["refresh", str(reliability_exports["next"]), "--warehouse", str(published), "--no-reports"]
        )
        err = capsys.readouterr().err
        assert code == 2, err[-3000:]
        message = _one_sentence(err)
        assert "disk holding" in message and "is full" in message
        assert "TransactionContext" not in err
        assert published.read_bytes() == before
        assert _builds(published) == []
        assert not list(mnt.glob("*.wal"))


# --------------------------------------------------------------------------------- 16.8 --reports-dir


def test_reports_dir_that_is_a_file_says_published(baseline_refreshed_again, baseline_warehouse):
    """The run of the `baseline_refreshed_again` fixture (tests/reliability/conftest.py): `rlt refresh
    --force` of the baseline export with `--reports-dir` naming a file (shared with test_idempotency)."""
    published = baseline_refreshed_again["published"]
    err = baseline_refreshed_again["err"]
    assert baseline_refreshed_again["code"] == 2, err[-3000:]
    assert "not changed" not in err
    assert f"published {published.absolute()}" in err and "failed" in err
    # the same export as the baseline: the publish shows as a second run in the history
    baseline_id = consistency(baseline_warehouse)["export_id"]
    assert consistency(published)["export_id"] == baseline_id
    with duckdb.connect(str(published), read_only=True) as con:
        runs = con.execute("select export_id from audit.runs order by finished_at").fetchall()
    assert runs == [(baseline_id,), (baseline_id,)]


# ------------------------------------------------------------------------------------------------ 16.9


def assert_short_plain_and_logged(output: str, warehouse: Path) -> None:
    """`rlt refresh` run to the end, not on a terminal: short, plain, one line per stage in order, then
    the summary; dbt's node-by-node log and Dagster's events are in the log file beside the warehouse."""
    lines = output.splitlines()
    assert len(lines) <= 40, output
    assert "\x1b[" not in output
    # one line per stage, in order, then the summary
    stages = [line for line in lines if line.startswith("[")]
    assert stages == [
        "[1/4] loading the export",
        "[2/4] dbt build (models, seeds, data tests)",
        "[3/4] statistics",
        "[4/4] publishing",
    ]
    assert any(line.startswith("patients.csv") for line in lines)
    assert any(line.startswith("cohorts: ") and "ecog_3 (n=" in line for line in lines)
    assert f"warehouse: {warehouse}" in output
    log_line = next(line for line in lines if line.startswith("log:"))
    log = Path(log_line.split(":", 1)[1].strip())
    assert log.parent == warehouse.parent / "logs"
    text = log.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert "stg_registry__patients" in text, "dbt's node-by-node log is in the file"
    assert "STEP_SUCCESS" in text or "step_success" in text.lower()


def test_two_refreshes_at_once(baseline_warehouse, reliability_exports, tmp_path):
    published = _published_copy(baseline_warehouse, tmp_path / "wh")
    marker = tmp_path / "paused"
    first_log, second_log, third_log = (tmp_path / f"{n}.log" for n in ("first", "second", "third"))
    release = tmp_path / "carry-on"
    # the first run holds its build open at the end of ingest until the test lets it carry on
    first = start_refresh(
        reliability_exports["next"],
        published,
        reports_dir=None,
        env={PAUSE_AT_ENV: "ingest", MARKER_ENV: str(marker), SECONDS_ENV: "600", RELEASE_ENV: str(release)},
        log=first_log,
    )
    procs = [first]
    try:
        wait_for(marker.exists, "the first run inside its build", first, first_log)
        first_build = _build_files(published)
        assert len(first_build) == 1
        lock_holder = (published.parent / "registry.duckdb.lock").read_text().strip()
        assert lock_holder == marker.read_text().strip() == str(first.pid)

        # a second run that will not wait long: refuses, naming the holder, and deletes nothing
        second = start_refresh(
            reliability_exports["third"], published, reports_dir=None, env={TIMEOUT_ENV: "2"}, log=second_log
        )
        procs.append(second)
        assert second.wait(timeout=240) == 2, second_log.read_text()[-3000:]
        message = _one_sentence(second_log.read_text())
        assert f"another refresh (pid {first.pid})" in message and "not changed" in message
        assert _build_files(published) == first_build
        assert alive(first.pid)

        # a third that waits: it starts once the first has published, and both publish
        third = start_refresh(
            reliability_exports["third"], published, reports_dir=None, env={TIMEOUT_ENV: "600"}, log=third_log
        )
        procs.append(third)
        wait_for(lambda: "waiting up to" in third_log.read_text(), "the third run to wait", third, third_log)
        assert _build_files(published) == first_build
        release.touch()
        assert first.wait(timeout=600) == 0, first_log.read_text()[-3000:]
        assert third.wait(timeout=600) == 0, third_log.read_text()[-3000:]
    finally:
        for proc in procs:
            kill_group(proc)
    assert "No such file" not in first_log.read_text()
    with duckdb.connect(str(published), read_only=True) as con:
        runs = [r[0] for r in con.execute("select export_id from audit.runs order by finished_at").fetchall()]
    ids = [
        json.loads((reliability_exports[n] / "manifest.json").read_text())["export_id"]
        for n in ("next", "third")
    ]
    assert runs[-2:] == ids
    assert _builds(published) == []
    assert_short_plain_and_logged(third_log.read_text(), published)
