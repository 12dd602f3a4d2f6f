"""Mutation harness: proves that the tests catch a wrong clinical rule.

    uv run python -m tests.mutation.harness [--report tests/mutation/REPORT.md] [--only TEXT]

For every mutant of tests/mutation/catalogue.py (each threshold of clinical-rules.md and of the CTCAE seed
moved up and down by a small step, each comparison flipped strict / non-strict) it changes one file in a
temporary copy of the project, runs the fast tests that cover that threshold (the dbt unit tests of the model
that reads it, or a pytest file), stops at the first failing test and restores the file. A mutant no test
fails "survives": the harness then exits 1. The report lists every mutant and the test that killed it.

Speed: the dbt project is built once, empty (`dbt seed`, `dbt run --empty`: the unit tests only need the
relations' column types), and every check runs in a child forked from this process, which has imported
dbt, pandas, scipy and lifelines once (seconds per check instead of a fresh interpreter). The project's own
modules are imported only in the children, from the temporary copy, so each child sees its mutant.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS threads alive at fork

from tests.mutation.catalogue import REPO, Mutant, all_mutants  # noqa: E402

CHECK_TIMEOUT_S = 300
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "dbt_packages", "__pycache__", ".pytest_cache", ".ruff_cache",
    ".hypothesis", "_output", "warehouse", "demo", "*.duckdb", "*.duckdb.wal", ".benchmarks", ".dagster_home",
)


@dataclass
class Outcome:
    mutant: Mutant
    killed_by: str | None  # "check: failing test" or None
    seconds: float


def _preimport() -> None:
    """Import the heavy libraries once in the parent, so that forked children start warm."""
    import dbt.adapters.duckdb  # noqa: F401
    import duckdb  # noqa: F401
    import lifelines  # noqa: F401
    import pandas  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401


def _in_child(copy: Path, log: Path, work) -> list[str]:
    """Run `work()` (returns failing test names) in a forked child; raise if the child cannot run it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            with open(log, "ab") as out:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
            os.chdir(copy)
            sys.path.insert(0, str(copy))
            result = {"failed": work()}
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            result = {"error": traceback.format_exc()}
            code = 1
        with os.fdopen(write_fd, "w") as pipe:
            pipe.write(json.dumps(result))
        os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    with os.fdopen(read_fd) as pipe:
        data = pipe.read()
    while True:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise RuntimeError("check timed out")
        time.sleep(0.05)
    result = json.loads(data) if data else {"error": "child died without an answer"}
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["failed"]


def _dbt(copy: Path, database: Path, args: list[str]):
    from dbt.cli.main import dbtRunner

    os.environ["RLT_DBT_DATABASE"] = str(database)
    project = str(copy / "dbt_project")
    return dbtRunner().invoke([*args, "--project-dir", project, "--profiles-dir", project, "--quiet"])


def _build(copy: Path, database: Path) -> list[str]:
    """Load the hand-made export and build the project empty: the relations the unit tests need."""
    import duckdb

    from orchestration.ingest import load_export
    from tests.fixtures.handmade import write_handmade_export

    export = write_handmade_export(database.parent / "export")
    con = duckdb.connect(str(database))
    try:
        load_export(export, con)
    finally:
        con.close()
    for args in (["seed"], ["run", "--empty"]):
        result = _dbt(copy, database, args)
        if not result.success:
            raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception}")
    return []


def _run_dbt_unit(copy: Path, database: Path, selector: str) -> list[str]:
    # a full parse: with partial parsing, a unit test that reads a seed from disk keeps the seed rows of
    # the previous parse, so a mutated seed would go unseen
    result = _dbt(copy, database, ["test", "--no-partial-parse", "--select", *selector.split()])
    results = getattr(result.result, "results", None) or []
    if not results and not result.success:
        raise RuntimeError(f"dbt test --select {selector} did not run: {result.exception}")
    if not results:
        raise RuntimeError(f"dbt test --select {selector} selected nothing")
    failed = [
        f"{r.node.name}" for r in results
        if str(r.status).lower().rsplit(".", 1)[-1] not in {"pass", "success"}
    ]
    return failed


def _run_pytest(target: str) -> list[str]:
    import pytest

    failed: list[str] = []

    class Recorder:
        def pytest_runtest_logreport(self, report):
            if report.failed:
                failed.append(report.nodeid)

        def pytest_collectreport(self, report):
            if report.failed:
                failed.append(f"collecting {report.nodeid}")

    code = pytest.main(
        [*target.split(), "-x", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"],
        plugins=[Recorder()],
    )
    if code not in (0, 1) and not failed:
        raise RuntimeError(f"pytest {target} exited {code}")
    if code == 1 and not failed:
        failed.append(f"pytest {target} (exit 1)")
    return failed


def _run_functions(target: str) -> list[str]:
    """Call every `test_*` function of a fixture-free test module directly (no pytest start-up): the
    failing ones, by pytest node id. A test that takes arguments belongs to a `pytest:` check instead."""
    import importlib
    import inspect

    module_name = target.removesuffix(".py").replace("/", ".")
    module = importlib.import_module(module_name)
    failed: list[str] = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not name.startswith("test_") or function.__module__ != module_name:
            continue
        if inspect.signature(function).parameters:
            raise RuntimeError(f"{target}::{name} takes fixtures: run the file as a pytest: check")
        try:
            function()
        except BaseException:  # noqa: BLE001 - pytest.fail raises a BaseException
            failed.append(f"{target}::{name}")
            break
    return failed


class Runner:
    def __init__(self, copy: Path, database: Path, log: Path) -> None:
        self.copy, self.database, self.log = copy, database, log

    def check(self, check: str) -> list[str]:
        kind, spec = check.split(":", 1)
        if kind == "dbt":
            return _in_child(self.copy, self.log, lambda: _run_dbt_unit(self.copy, self.database, spec))
        if kind == "pytest":
            return _in_child(self.copy, self.log, lambda: _run_pytest(spec))
        if kind == "pyfunc":
            return _in_child(self.copy, self.log, lambda: _run_functions(spec))
        raise ValueError(check)

    def run(self, mutant: Mutant) -> Outcome:
        path = self.copy / mutant.path
        original = path.read_text(encoding="utf-8")
        started = time.monotonic()
        path.write_text(mutant.mutate(original), encoding="utf-8")
        try:
            for check in mutant.checks:
                failed = self.check(check)
                if failed:
                    return Outcome(mutant, f"{check} -> {failed[0]}", time.monotonic() - started)
            return Outcome(mutant, None, time.monotonic() - started)
        finally:
            path.write_text(original, encoding="utf-8")


def _survived(o: Outcome) -> bool:
    return o.killed_by is None and not o.mutant.equivalent


def report(outcomes: list[Outcome], seconds: float) -> str:
    survived = [o for o in outcomes if _survived(o)]
    equivalent = [o for o in outcomes if o.killed_by is None and o.mutant.equivalent]
    thresholds = sorted({o.mutant.threshold for o in outcomes})
    lines = [
        "# Mutation report",
        "",
        "Written by `uv run python -m tests.mutation.harness` (mutants: tests/mutation/catalogue.py).",
        "",
        f"{len(outcomes)} mutants of {len(thresholds)} thresholds: "
        f"{len(outcomes) - len(survived) - len(equivalent)} killed, {len(equivalent)} equivalent (no test "
        f"can tell them apart; reason given), {len(survived)} survived ({seconds:.0f} s).",
        "",
        "| # | file | mutant | killed by |",
        "|---|---|---|---|",
    ]
    for i, o in enumerate(outcomes, 1):
        equivalent_note = f"equivalent: {o.mutant.equivalent}" if o.mutant.equivalent else "**SURVIVED**"
        killer = o.killed_by or equivalent_note
        lines.append(f"| {i} | `{o.mutant.path}` | {o.mutant.name} | {killer.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=None,
                        help="where to write the report (default tests/mutation/REPORT.md, not with --only)")
    parser.add_argument("--only", default="", help="run only the mutants whose name contains this text")
    args = parser.parse_args(argv)
    mutants = [m for m in all_mutants() if args.only in m.name]
    started = time.monotonic()
    _preimport()
    scratch = Path(tempfile.mkdtemp(prefix="rlt-mutation-"))
    try:
        copy = scratch / "project"
        shutil.copytree(REPO, copy, ignore=IGNORE)
        (scratch / "db").mkdir()
        database = scratch / "db" / "warehouse.duckdb"
        log = scratch / "checks.log"
        runner = Runner(copy, database, log)
        checks = sorted({c for m in mutants for c in m.checks})
        if any(c.startswith("dbt:") for c in checks):
            _in_child(copy, log, lambda: _build(copy, database))
        for check in checks:  # the unmutated project passes every check, or no kill means anything
            failed = runner.check(check)
            if failed:
                print(f"the unmutated project fails {check}: {failed}", file=sys.stderr)
                return 2
        print(f"baseline: {len(checks)} checks pass ({time.monotonic() - started:.0f} s); "
              f"{len(mutants)} mutants", flush=True)
        outcomes: list[Outcome] = []
        for i, mutant in enumerate(mutants, 1):
            outcome = runner.run(mutant)
            outcomes.append(outcome)
            status = "killed" if outcome.killed_by else "equivalent" if mutant.equivalent else "SURVIVED"
            print(f"[{i}/{len(mutants)}] {status} {outcome.seconds:.1f}s {mutant.name}", flush=True)
        text = report(outcomes, time.monotonic() - started)
        report_path = args.report or (None if args.only else REPO / "tests" / "mutation" / "REPORT.md")
        if report_path is not None:
            report_path.write_text(text, encoding="utf-8")
        print(text)
        return 1 if any(_survived(o) for o in outcomes) else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
