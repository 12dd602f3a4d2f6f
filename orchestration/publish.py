"""Build a new warehouse file beside the published one and swap it in atomically.

Readers open the published file read-only. It is never written in place: a refresh writes a sibling
file `<name>.building-<run_id>`, and only after ingest, `dbt build` (with its tests) and the statistics
have succeeded is that file checkpointed, closed and renamed over the published path. A reader that
already holds the old file keeps reading the old inode; a new reader opens the new file. A failure at any
point leaves the published file exactly as it was.

Every file a refresh writes is owner-only from its first byte (the process umask is 077 from the start of
a build: the build file, its `.wal`, dbt's writes into it). A failed run removes its build file and `.wal`
(`abandon_build`). Only one refresh writes beside a warehouse at a time (`warehouse_lock`). A build whose
patient count fell by more than `RLT_MAX_SHRINK` (default a half) against the published warehouse is
refused unless the run allows it (`rlt refresh --allow-shrink`): an export that lost its consent column
must not empty the registry with exit 0.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import warehouse_lock
from orchestration.failures import stop_children
from orchestration.faults import checkpoint
from orchestration.ingest.pseudonym import key_id, salt_of

OWNER_ONLY = 0o600
BUILD_MARKER = ".building-"
MAX_SHRINK_ENV = "RLT_MAX_SHRINK"
DEFAULT_MAX_SHRINK = 0.5


class PublishError(RuntimeError):
    """The build is not fit to publish; the published warehouse was left as it was."""


def build_path(published: Path, run_id: str) -> Path:
    """The sibling file a run builds into (same directory, so the final rename is atomic)."""
    safe = "".join(ch for ch in run_id if ch.isalnum() or ch in "-_")[:64] or "run"
    return published.with_name(f"{published.name}{BUILD_MARKER}{safe}")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def owner_only() -> None:
    """Make every file this process creates from now on owner-only (umask 077), for good: a refresh
    writes health data (build, .wal, dbt's files, reports) and a file must never be readable by others
    even for the moment between its creation and a chmod. Inherited by the dbt subprocess."""
    os.umask(0o077)


def remove_stale_builds(published: Path, keep: Path | None = None) -> list[Path]:
    """Delete build files left by earlier runs that crashed or failed.

    Runs under the warehouse lock (taken here, re-entrant): every live refresh holds that lock while it
    has a build file, so with the lock in hand any build file other than `keep` is a dead run's.
    """
    removed: list[Path] = []
    if not published.parent.exists():
        return removed
    with warehouse_lock.warehouse_lock_level(published):
        for candidate in published.parent.glob(f"{published.name}{BUILD_MARKER}*"):
            if keep is not None and candidate.name in (keep.name, _wal(keep).name):
                continue
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def start_build(published: Path, run_id: str) -> Path:
    """Take the warehouse lock (held until publish, or until the run fails or its process ends), sweep
    dead runs' build files, and create an empty, owner-only build database for this run."""
    owner_only()
    published.parent.mkdir(parents=True, exist_ok=True)
    warehouse_lock.acquire(published)
    target = build_path(published, run_id)
    remove_stale_builds(published)
    for leftover in (target, _wal(target)):
        leftover.unlink(missing_ok=True)
    duckdb.connect(str(target)).close()
    os.chmod(target, OWNER_ONLY)
    return target


def abandon_build(published: Path, run_id: str) -> None:
    """A failed run: remove its build file and .wal, and give up the warehouse lock."""
    target = build_path(published, run_id)
    for leftover in (target, _wal(target)):
        leftover.unlink(missing_ok=True)
    warehouse_lock.release_all(published)


@contextlib.contextmanager
def guarded_run(published: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Around a whole refresh run in this process (the CLI): owner-only files, the warehouse lock for
    the whole run (waiting for another holder, see `warehouse_lock`), and on any failure, interruption
    included, no process and no build file left behind."""
    owner_only()
    published.parent.mkdir(parents=True, exist_ok=True)
    warehouse_lock.acquire(published, on_wait=on_wait)
    finished = False
    try:
        yield
        finished = True
    finally:
        try:
            if not finished:
                stop_children()
                # the lock is ours: every build file beside the warehouse is this run's or a dead one's
                with contextlib.suppress(OSError):
                    remove_stale_builds(published)
        finally:
            warehouse_lock.release_all(published)


def max_shrink() -> float:
    """RLT_MAX_SHRINK: the largest fraction of patients a refresh may lose against the published
    warehouse (default 0.5); read at call time."""
    raw = os.environ.get(MAX_SHRINK_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SHRINK
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise PublishError(
            f"{MAX_SHRINK_ENV}={raw!r} is not a fraction between 0 and 1 (e.g. 0.5: refuse to publish when "
            "more than half of the patients are gone); the published warehouse was not changed"
        )
    return value


def _patients(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        return int(con.execute("select count(*) from marts.dim_patient").fetchone()[0])
    except duckdb.Error:
        return None


def check_shrink(con: duckdb.DuckDBPyConnection, published: Path, allow_shrink: bool) -> None:
    """Refuse a build with far fewer patients than the published warehouse, unless allowed."""
    if allow_shrink or not published.exists():
        return
    limit = max_shrink()
    with duckdb.connect(str(published), read_only=True) as old:
        old_n = _patients(old)
    new_n = _patients(con)
    if not old_n or new_n is None or new_n >= old_n * (1 - limit):
        return
    raise PublishError(
        f"refusing to publish: marts.dim_patient would fall from {old_n} to {new_n} patients, more than "
        f"{limit:.0%} fewer than the published warehouse (an export that lost its consent column or most "
        "of its rows looks like this). If this export is meant to shrink the registry, run "
        f"`rlt refresh --allow-shrink` (or raise {MAX_SHRINK_ENV}). The published warehouse was not changed."
    )


@dataclass(frozen=True)
class RunRecord:
    export_id: str
    started_at: datetime
    code_version: str
    settings_json: str
    export_fingerprint: str
    pseudonym_key_id: str | None = None


REQUIRED_TABLES: tuple[tuple[str, str], ...] = (
    ("raw", "export_manifest"),
    ("marts", "dim_patient"),
    ("marts", "fct_survival"),
    ("marts", "cohorts"),
    ("analysis", "km_summary"),
    ("analysis", "table1"),
    ("audit", "export_loads"),
)


RUN_COLUMNS = (
    "export_id",
    "data_cutoff",
    "started_at",
    "finished_at",
    "code_version",
    "settings",
    "export_fingerprint",
    "registry",
    "pseudonym_key_id",
)


def _previous_runs(published: Path) -> list[tuple]:
    """audit.runs of the published warehouse, carried into the new build so history is kept.

    Raises when the published file cannot be read (e.g. another process holds it open for writing): the
    publish then fails and leaves it as it was, rather than replacing it with a file that lost the history.
    Columns added to audit.runs later read as NULL from a warehouse published before them.
    """
    if not published.exists():
        return []
    with duckdb.connect(str(published), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'audit' and table_name = 'runs'"
            ).fetchall()
        }
        if not present:
            return []
        columns = ", ".join(c if c in present else f"null as {c}" for c in RUN_COLUMNS)
        return con.execute(f"select {columns} from audit.runs order by finished_at").fetchall()


def record_run(con: duckdb.DuckDBPyConnection, published: Path, run: RunRecord) -> None:
    """Write audit.runs in the build: the published history plus this run."""
    con.execute("create schema if not exists audit")
    con.execute(
        """create or replace table audit.runs (
            export_id varchar, data_cutoff date, started_at timestamptz, finished_at timestamptz,
            code_version varchar, settings json, export_fingerprint varchar, registry varchar,
            pseudonym_key_id varchar)"""
    )
    history = _previous_runs(published)
    if history:
        con.executemany("insert into audit.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)", history)
    manifest = con.execute("select data_cutoff, registry from raw.export_manifest limit 1").fetchone()
    con.execute(
        "insert into audit.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.export_id,
            manifest[0] if manifest else None,
            run.started_at,
            datetime.now(UTC),
            run.code_version,
            run.settings_json,
            run.export_fingerprint,
            manifest[1] if manifest else None,
            run.pseudonym_key_id,
        ],
    )
    # which row is current, without knowing that it is the last by finished_at
    con.execute(
        "create or replace view audit.current_run as "
        "select * from audit.runs order by finished_at desc limit 1"
    )


def verify_build(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse to publish a build that lacks a table analysts rely on."""
    present = {
        (s, t)
        for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    }
    missing = [f"{s}.{t}" for s, t in REQUIRED_TABLES if (s, t) not in present]
    if missing:
        raise PublishError(f"the build lacks {', '.join(missing)}; the published warehouse was not changed")


def publish(
    build: Path,
    published: Path,
    run: RunRecord,
    *,
    allow_shrink: bool = False,
    describe: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
) -> None:
    """Verify, record the run, describe it (the data dictionary's COMMENTs), checkpoint, and atomically
    replace the published warehouse; then give up the warehouse lock taken by `start_build`."""
    owner_only()
    with duckdb.connect(str(build)) as con:
        verify_build(con)
        check_shrink(con, published, allow_shrink)
        record_run(con, published, run)
        if describe is not None:
            describe(con)
        con.execute("checkpoint")
    if _wal(build).exists():
        raise PublishError(f"{build.name} still has a write-ahead log after checkpoint; not published")
    os.chmod(build, OWNER_ONLY)
    with open(build, "rb") as f:
        os.fsync(f.fileno())
    checkpoint("publish")
    os.replace(build, published)
    dir_fd = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    warehouse_lock.release(published)


def published_run(published: Path) -> dict[str, object] | None:
    """The last run recorded in the published warehouse (export_id, settings, code version, fingerprint);
    None when there is none or the file cannot be read (then it is not known to be up to date)."""
    try:
        runs = _previous_runs(published)
    except duckdb.Error:
        return None
    if not runs:
        return None
    export_id, data_cutoff, _, finished_at, code_version, settings, fingerprint, registry, key = runs[-1]
    return {
        "export_id": export_id,
        "registry": registry,
        "data_cutoff": data_cutoff,
        "finished_at": finished_at,
        "code_version": code_version,
        "settings": json.loads(settings) if isinstance(settings, str) else settings,
        "export_fingerprint": fingerprint,
        "pseudonym_key_id": key,
    }


def warehouse_key_id(published: Path) -> str | None:
    """The key id to record for the key in use: salted with the published warehouse's salt when it has
    one (so an unchanged key keeps its id), with a fresh random salt otherwise."""
    last = published_run(published)
    return key_id(salt_of(last["pseudonym_key_id"]) if last else None)  # type: ignore[arg-type]
