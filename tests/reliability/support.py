"""What the reliability tests share: running `rlt refresh` as a killable process group, waiting on
conditions with a timeout, and reading a published warehouse's facts independently of the pipeline."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import duckdb

from orchestration.code_version import PROJECT_ROOT

# generous: a refresh of 80 patients takes ~25 s alone, more on a busy CI runner
STAGE_TIMEOUT_S = 240.0


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an `rlt` child: the venv's bin first on PATH (dagster-dbt runs `dbt` from it),
    no fault point unless asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RLT_TEST_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def start_refresh(
    export: Path,
    warehouse: Path,
    *,
    reports_dir: Path | None,
    env: Mapping[str, str] | None = None,
    log: Path,
) -> subprocess.Popen[bytes]:
    """`rlt refresh EXPORT --warehouse W --force [--no-reports | --reports-dir R]` in its own session, so
    that killing its process group also kills the dbt subprocess it starts."""
    args = [sys.executable, "-m", "orchestration.cli", "refresh", str(export), "--warehouse", str(warehouse)]
    args += ["--no-reports"] if reports_dir is None else ["--reports-dir", str(reports_dir)]
    args.append("--force")
    with open(log, "wb") as out:
        return subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=cli_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_refresh_cli(export: Path, warehouse: Path, *, reports_dir: Path | None, log: Path) -> None:
    """A refresh without fault point, to completion; fails the test with the log's tail otherwise."""
    proc = start_refresh(export, warehouse, reports_dir=reports_dir, log=log)
    try:
        code = proc.wait(timeout=STAGE_TIMEOUT_S * 2)
    finally:
        kill_group(proc)
    assert code == 0, f"refresh exited {code}:\n{log.read_text(errors='replace')[-3000:]}"


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group started for `proc` (no-op when it is gone) and reap the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for(
    condition: Callable[[], bool],
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    timeout: float = STAGE_TIMEOUT_S,
) -> None:
    """Poll `condition` until true; fail (with the child's log) on timeout or when the child exits."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"the refresh exited ({proc.returncode}) before {what}:\n{tail}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def _live_processes() -> Iterator[tuple[Path, list[str]]]:
    """(/proc/<pid>, stat fields after the command name) of every process that is not a zombie. The
    command name is parenthesised and may contain spaces, so fields are counted from its closing paren:
    [0] state, [1] ppid, [2] pgrp."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
        except (OSError, ValueError):
            continue
        if len(fields) > 2 and fields[0] != "Z":
            yield entry, fields


def group_commands(pgid: int) -> list[str]:
    """Command lines of the live processes of process group `pgid` (Linux /proc)."""
    commands = []
    for entry, fields in _live_processes():
        if fields[2] == str(pgid):
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            commands.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return commands


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (Linux /proc), e.g. a Jupyter kernel started in its own session."""
    return [int(entry.name) for entry, fields in _live_processes() if fields[1] == str(pid)]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


# ------------------------------------------------------------------------------------------ warehouse facts


def consistency(path: Path) -> dict[str, object]:
    """The answers an analyst relies on, each cross-checked against another table of the same file."""
    with duckdb.connect(str(path), read_only=True) as con:
        manifest_id = con.execute("select export_id from raw.export_manifest").fetchone()[0]
        last_run = con.execute(
            "select export_id from audit.runs order by finished_at desc limit 1"
        ).fetchone()[0]
        n_all = con.execute("select n_patients from marts.cohorts where cohort = 'all'").fetchone()[0]
        n_dim = con.execute("select count(*) from marts.dim_patient").fetchone()[0]
        n_loaded = con.execute(
            "select rows_loaded from audit.export_loads where file like 'patients.%'"
        ).fetchone()[0]
        km_all = con.execute("select count(*) from analysis.km_summary where cohort = 'all'").fetchone()[0]
    assert manifest_id == last_run, "audit.runs' last run is not the export the raw layer holds"
    assert n_all == n_dim > 0, "cohort 'all' does not count marts.dim_patient"
    assert n_dim <= n_loaded, "more patients in the marts than loaded"
    assert km_all > 0, "no Kaplan–Meier summary for cohort 'all'"
    return {"export_id": manifest_id, "patients": n_dim}


def row_counts(path: Path) -> dict[str, int]:
    """count(*) of every table and view, by `schema.table`."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


# run timestamps differ between two refreshes of the same export by design
VOLATILE_TABLES = {"audit.runs", "audit.current_run"}
VOLATILE_COLUMNS = {"loaded_at"}


def content_checksums(path: Path, float_digits: int | None = None) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows as text) of every table and view, without run timestamps; with
    `float_digits`, DOUBLE/FLOAT values enter as that many significant digits."""
    out: dict[str, tuple[int, str]] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
        for schema, table in relations:
            name = f"{schema}.{table}"
            if name in VOLATILE_TABLES:
                continue
            columns = [
                f"printf('%.{float_digits}g', \"{c}\")"
                if float_digits and t in ("DOUBLE", "FLOAT")
                else f'"{c}"'
                for (c, t) in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if c not in VOLATILE_COLUMNS
            ]
            cols = ", ".join(columns)
            rows, digest = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f"from (select row({cols})::varchar as r from {schema}.{table})"
            ).fetchone()
            out[name] = (rows, digest)
    return out


def write_figures(base: Path, section: str, figures: Mapping[str, object]) -> Path:
    """Merge `figures` under `section` into `<pytest basetemp>/reliability-figures.json`."""
    target = base / "reliability-figures.json"
    data = json.loads(target.read_text()) if target.exists() else {}
    data[section] = dict(figures)
    target.write_text(json.dumps(data, indent=2, default=str))
    return target
