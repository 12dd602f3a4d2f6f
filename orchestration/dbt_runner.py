"""The one way to call dbt: the Dagster op, the tests, the benchmark and the manifest for Dagster's graph.

dbt runs in-process (`dbtRunner`). The project is parsed once per code version: the parse goes to
`dbt_project/target/parsed-<digest>/` (manifest.json for Dagster, partial_parse.msgpack so that a changed
project re-parses only its changed files, manifest.pickle so that a new process loads the parse in about
0.1 s instead of running dbt's `parse`), keyed by a digest of the project's files and dbt's version, and
the parsed manifest is kept in memory, so every later invocation in the process starts without parsing.

The build database reaches profiles.yml as the dbt var `rlt_database`, given to each invocation with the
clinical settings: nothing is written to `os.environ`. Nothing here imports dbt until dbt is called.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.code_version import PROJECT_ROOT
from orchestration.settings import ClinicalSettings

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult
    from dbt.contracts.graph.manifest import Manifest

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DATABASE_VAR = "rlt_database"  # profiles.yml: path: "{{ var('rlt_database', ...) }}"
# what the parse depends on: everything dbt reads, and dbt itself
_PROJECT_SOURCES = ("models", "macros", "seeds", "tests")
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
# flags for every invocation: no network call home, no version check; dbt.log at info (each node's start and
# result), not debug: every SQL statement and connection event written, flushed and stat-ed (Python 3.11's
# RotatingFileHandler) cost about 10 % of a small build. A failing node's SQL is in target/run anyway.
_COMMON_FLAGS = ("--no-send-anonymous-usage-stats", "--no-version-check", "--log-level-file", "info")
STALE_PARSE_S = 24 * 3600
PICKLED_MANIFEST = "manifest.pickle"

_parsed: dict[str, Manifest] = {}


class DbtRunError(RuntimeError):
    """A dbt invocation that did not succeed; the message lists the failing nodes."""


@functools.cache
def project_digest() -> str:
    """16 hex digits over the dbt project's files (path and content) and the dbt-core version.

    Computed once per process, like `code_version()`: a process keeps the project version it started with,
    so the manifest Dagster's graph was built from is the one dbt runs, even when files change meanwhile.
    """
    from importlib.metadata import version

    digest = hashlib.sha256(version("dbt-core").encode())
    files = [DBT_PROJECT_DIR / name for name in _PROJECT_FILES]
    for folder in _PROJECT_SOURCES:
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def parsed_dir(digest: str | None = None) -> Path:
    return DBT_PROJECT_DIR / "target" / f"parsed-{digest or project_digest()}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created): one process parses at a time; the others then reuse it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seed_partial_parse(target: Path) -> None:
    """A new code version starts from the newest earlier parse: dbt then re-parses the changed files only."""
    saved = target / "partial_parse.msgpack"
    if saved.exists():
        return
    earlier = sorted(
        target.parent.glob("parsed-*/partial_parse.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    if earlier:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(earlier[0], saved)


def _public_fields(parsed: Manifest) -> dict[str, Any]:
    """The Manifest's own data, without its lazily built lookups and locks.

    Not the Manifest itself: dbt 1.11's `Manifest.__reduce_ex__` passes its fields by position and misses
    some (`fixtures`, `_saved_query_lookup`), so an unpickled Manifest has them shifted (a RefableLookup
    where the source lookup belongs, the unit-test fixtures lost). A Manifest built from these fields
    rebuilds its lookups on first use.
    """
    return {f.name: getattr(parsed, f.name) for f in dataclasses.fields(parsed) if not f.name.startswith("_")}


def _load_pickled(target: Path) -> Manifest | None:
    """The parse of this code version saved by an earlier process, or None (missing, or unreadable by this
    Python/dbt: then dbt parses again and the file is rewritten)."""
    saved = target / PICKLED_MANIFEST
    if not (saved.exists() and (target / "manifest.json").exists()):
        return None
    try:
        from dbt.contracts.graph.manifest import Manifest

        fields = pickle.loads(saved.read_bytes())
        return Manifest(**fields)
    except Exception:
        return None


def _save_pickled(target: Path, parsed: Manifest) -> None:
    """Keep the parsed Manifest for the next process: unpickling takes about 0.1 s, where dbt's own `parse`
    with nothing changed still takes 4-9 s (adapter set-up, msgpack, rewriting manifest.json)."""
    tmp = target / f".{PICKLED_MANIFEST}.{os.getpid()}"
    with open(tmp, "wb", opener=lambda path, flags: os.open(path, flags, 0o600)) as handle:
        pickle.dump(_public_fields(parsed), handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target / PICKLED_MANIFEST)


def manifest() -> Manifest:
    """The parsed project of this code version (parsed, or partially re-parsed, at most once per code
    version; later processes unpickle that parse)."""
    digest = project_digest()
    if digest in _parsed:
        return _parsed[digest]
    target = parsed_dir(digest)
    loaded = _load_pickled(target)
    if loaded is not None:
        _parsed[digest] = loaded
        return loaded
    from dbt.cli.main import dbtRunner

    with _locked(target.with_name(target.name + ".lock")):
        loaded = _load_pickled(target)  # another process parsed it while this one waited for the lock
        if loaded is not None:
            _parsed[digest] = loaded
            return loaded
        _seed_partial_parse(target)
        result = dbtRunner().invoke(
            [
                "parse",
                "--quiet",
                *_COMMON_FLAGS,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target),
                "--log-path",
                str(target),
            ]
        )
        if not result.success or result.result is None:
            raise DbtRunError(f"dbt parse failed for {DBT_PROJECT_DIR}: {result.exception}")
        _save_pickled(target, result.result)
    # folders of other code versions: removed after a day (a process of the older code, e.g. a run still
    # going while the code is updated, may still read its manifest.json meanwhile)
    for stale in target.parent.glob("parsed-*"):
        if stale.name in (target.name, target.name + ".lock"):
            continue
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_PARSE_S:
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    _parsed[digest] = result.result
    return result.result


def manifest_path() -> Path:
    """manifest.json of this code version (for Dagster's asset graph), parsed first if needed."""
    manifest()
    return parsed_dir() / "manifest.json"


def _release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in-process after an invocation.

    Without this the warehouse file stays open with dbt's configuration, so opening it read-only (analysts,
    tests) or replacing it (publish) in the same process fails.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = getattr(DuckDBConnectionManager, "_ENV", None)
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def _retarget(parsed: Manifest, database: Path) -> None:
    """Point every node of the parsed manifest at the catalog DuckDB gives `database`.

    dbt-duckdb names the catalog after the file (`registry.duckdb.building-x` -> `registry`) and dbt writes
    that name into every node at parse time (the parse ran without a file: `memory`). The build file
    differs from run to run, so the one parsed manifest is re-pointed before each invocation; SQL,
    configs and the graph are untouched. The project uses no other database.
    """
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    catalog = DuckDBCredentials.path_derived_database_name(str(database))
    for collection in (parsed.nodes, parsed.sources, parsed.unit_tests):
        for node in collection.values():
            if getattr(node, "database", None) is not None:
                node.database = catalog


def failures(result: dbtRunnerResult) -> list[str]:
    """`node (status): message` for every node result that neither passed nor was skipped."""
    out: list[str] = []
    for r in getattr(result.result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status.lower().rsplit(".", 1)[-1] in {"success", "pass", "skipped", "warn"}:
            continue
        node = getattr(getattr(r, "node", None), "unique_id", "?")
        message = (getattr(r, "message", None) or "").strip().replace("\n", " ")
        out.append(f"{node} ({status}): {message[:500]}")
    return out


def invoke(
    args: Sequence[str],
    database: Path,
    settings: ClinicalSettings,
    *,
    target_path: Path | None = None,
    log_path: Path | None = None,
    quiet: bool = False,
    threads: int | None = None,
    callbacks: Sequence[Callable[[Any], None]] = (),
    check: bool = True,
) -> dbtRunnerResult:
    """Run one dbt command (e.g. `["build", "--exclude", "test_type:unit"]`) on `database`.

    `settings` are the dbt vars. Compiled SQL goes to `target_path` (a private temporary
    folder, removed afterwards, when not given), dbt.log to `log_path` (default: the target path).
    `threads` overrides the profile's (tests/dbt/test_threads.py compares builds at 1 and N threads).
    `callbacks` receive dbt's event messages (Dagster turns them into asset events). With `check`, a
    failure raises DbtRunError listing the failing nodes.
    """
    from dbt.cli.main import dbtRunner

    parsed = manifest()
    _retarget(parsed, database)
    scratch = None
    if target_path is None:
        (DBT_PROJECT_DIR / "target").mkdir(exist_ok=True)
        scratch = target_path = Path(tempfile.mkdtemp(prefix="run-", dir=DBT_PROJECT_DIR / "target"))
    dbt_vars = {**settings.as_dbt_vars(), DATABASE_VAR: str(Path(database).absolute())}
    cli_args = [
        *args,
        # no manifest.json / run_results.json rewritten at the end of each run (the parse's manifest.json
        # is Dagster's; results reach the caller as objects): about 0.4 s a build
        "--no-write-json",
        *(["--quiet"] if quiet else []),
        *(["--threads", str(threads)] if threads else []),
        *_COMMON_FLAGS,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path or target_path),
        "--vars",
        json.dumps(dbt_vars),
    ]
    try:
        result = dbtRunner(manifest=parsed, callbacks=list(callbacks)).invoke(cli_args)
    finally:
        _release_duckdb()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if check and not result.success:
        failing = failures(result)
        detail = "\n  ".join(failing) if failing else repr(result.exception)
        raise DbtRunError(f"dbt {' '.join(args)} failed on {database}:\n  {detail}")
    return result


def build(database: Path, settings: ClinicalSettings, **options: Any) -> dbtRunnerResult:
    """`dbt build` of every seed, model and data test, as a refresh runs it (dbt unit tests excluded:
    they pin their own inputs and run in the test suite)."""
    return invoke(["build", "--exclude", "test_type:unit"], database, settings, **options)
