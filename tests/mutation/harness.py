"""Mutation harness: proves that the tests catch a wrong clinical rule.

    uv run python -m tests.mutation.harness [--report tests/mutation/REPORT.md] [--only TEXT] [--workers 2]

For every mutant of tests/mutation/catalogue.py (each threshold of clinical-rules.md and of the CTCAE seed
moved up and down by a small step, each comparison flipped strict / non-strict) it runs the fast tests that
cover that threshold, in their order, until one fails (the mutant is killed). A mutant no test fails
"survives": the harness then exits 1 (2 when the harness itself cannot run: an unmutated check fails, or a
mutant cannot reach its tests). The report lists every mutant and the test that killed it.

How it stays fast (about 9 s a mutant before, when every mutant re-parsed the dbt project in full):
- Seed mutants do not go through a re-parse each, nor through dbt's rendering of the seed. dbt reads a seed
  input of a unit test (`input: ref(seed)` without rows) at parse time, as `csv.DictReader` rows of the
  file, and renders them as `select cast('<value>' as <column type>) ...`. The harness loads, for each
  mutant, the rows of the mutated file with those casts into a table, and writes a copy of each unit test
  that reads the seed, reading that table instead, into one YAML file: one `dbt test` runs the copies of
  many mutants. Beside them runs an unmutated copy of each unit test, which must pass, so a faulty copy
  cannot pass for a kill. First every mutant's boundary test; the survivors then meet the seed's pin (a
  test file, with the seed file mutated on disk), then the seed's other unit tests.
- Mutants of code (SQL macros and models, Python) change one file; dbt re-parses only what changed
  (partial parsing sees a changed macro or model; it is only a changed *seed* it does not re-read).
- Work runs in children forked from this process, which has imported dbt, pandas, scipy and lifelines once;
  two at a time by default (`--workers`), each on its own copy of the project and of the built database.
  The project's own modules are imported only in the children, from the copy, so each child sees its mutant.
"""

from __future__ import annotations

import argparse
import copy as copy_module
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS threads alive at fork

from tests.mutation.catalogue import REPO, SEED_READERS, SEEDS, Mutant, all_mutants  # noqa: E402

JOB_TIMEOUT_S = 600
BATCH_SIZE = 40  # mutants per dbt batch: small enough that the workers share the work evenly
BATCH_FILE = "dbt_project/models/_mutation_batch.yml"
BATCH_TAG = "rlt_mutation_batch"
# the staging views name their catalog after the file: the same name in every copy
DATABASE_NAME = "warehouse.duckdb"
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "dbt_packages", "__pycache__", ".pytest_cache", ".ruff_cache",
    ".hypothesis", "_output", "warehouse", "demo", "*.duckdb", "*.duckdb.wal", ".benchmarks", ".dagster_home",
)
_REF = re.compile(r"""^\s*ref\(\s*['"](\w+)['"]\s*\)\s*$""")


class HarnessError(RuntimeError):
    """The harness cannot run a check as it should: no kill or survival may be reported."""


@dataclass
class Outcome:
    mutant: Mutant
    killed_by: str | None = None  # "check -> failing test"


# ---------------------------------------------------------------------------------------------- checks


def _preimport() -> None:
    """Import the heavy libraries once in the parent, so that forked children start warm."""
    import dbt.adapters.duckdb  # noqa: F401
    import duckdb  # noqa: F401
    import lifelines  # noqa: F401
    import pandas  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401
    import yaml  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401


def _dbt(copy: Path, database: Path, args: list[str]):
    from dbt.cli.main import dbtRunner

    os.environ["RLT_DBT_DATABASE"] = str(database)
    project = str(copy / "dbt_project")
    # one dbt thread: the workers already use the cores, and two threads of one process share one GIL
    flags = ["--project-dir", project, "--profiles-dir", project, "--quiet", "--no-write-json",
             "--threads", "1", "--no-send-anonymous-usage-stats", "--no-version-check"]
    return dbtRunner().invoke([*args, *flags])


def _build(copy: Path, database: Path) -> dict[str, str]:
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
            raise HarnessError(f"dbt {' '.join(args)} failed: {result.exception}")
    con = duckdb.connect(str(database))  # everything into the file: the other workers get a copy of it
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    return {"built": str(database)}


def _status(result) -> str:
    return str(result.status).lower().rsplit(".", 1)[-1]


def _dbt_test(copy: Path, database: Path, selector: str) -> dict[str, str]:
    """Run the selected unit tests: {test name: status} of every test that ran."""
    result = _dbt(copy, database, ["test", "--select", *selector.split()])
    results = getattr(result.result, "results", None) or []
    if not results:
        raise HarnessError(f"dbt test --select {selector} ran nothing: {result.exception}")
    return {r.node.name: _status(r) for r in results}


def _run_dbt_unit(copy: Path, database: Path, selector: str) -> list[str]:
    statuses = _dbt_test(copy, database, selector)
    return [name for name, status in statuses.items() if status not in {"pass", "success"}]


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
        # -n 0: pyproject's addopts would start two xdist workers (new interpreters) for every check
        [*target.split(), "-x", "-q", "-n", "0", "-p", "no:cacheprovider",
         "-W", "ignore::DeprecationWarning"],
        plugins=[Recorder()],
    )
    if code not in (0, 1) and not failed:
        raise HarnessError(f"pytest {target} exited {code}")
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
            raise HarnessError(f"{target}::{name} takes fixtures: run the file as a pytest: check")
        try:
            function()
        except BaseException:  # noqa: BLE001 - pytest.fail raises a BaseException
            failed.append(f"{target}::{name}")
            break
    return failed


def _run_check(copy: Path, database: Path, check: str) -> list[str]:
    kind, spec = check.split(":", 1)
    if kind == "dbt":
        return _run_dbt_unit(copy, database, spec)
    if kind == "pytest":
        return _run_pytest(spec)
    if kind == "pyfunc":
        return _run_functions(spec)
    raise HarnessError(f"unknown check {check!r}")


def _first_kill(copy: Path, database: Path, checks: tuple[str, ...]) -> dict:
    for check in checks:
        failed = _run_check(copy, database, check)
        if failed:
            return {"killed_by": f"{check} -> {failed[0]}"}
    return {"killed_by": None}


# ------------------------------------------------------------------------------------ seed batches


def is_seed_mutant(mutant: Mutant) -> bool:
    return mutant.path.startswith(f"{SEEDS}/") and mutant.path.endswith(".csv")


def seed_name(mutant: Mutant) -> str:
    return Path(mutant.path).stem


def seed_readers(project: Path) -> dict[str, list[dict]]:
    """Every unit test that reads a seed from disk (`input: ref(seed)`, no rows, no fixture), by seed."""
    import yaml

    readers: dict[str, list[dict]] = {}
    root = project / "dbt_project"
    for folder in ("models", "seeds", "macros", "tests"):
        for path in sorted((root / folder).rglob("*.yml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for test in document.get("unit_tests") or []:
                for given in test.get("given") or []:
                    match = _REF.match(str(given.get("input", "")))
                    from_disk = "rows" not in given and "fixture" not in given
                    if match and from_disk and given.get("format", "dict") == "dict":
                        readers.setdefault(match.group(1), []).append(test)
    return readers


def dbt_seed_rows(text: str) -> list[dict[str, str]]:
    """The rows dbt gives a unit test for a seed read from disk (dbt/parser/unit_tests.py,
    `_load_rows_from_seed`: `csv.DictReader` over the file, every value a string)."""
    return list(csv.DictReader(io.StringIO(text)))


FIXTURE_SCHEMA = "mutation_fixtures"


def mutated_unit_test(test: dict, name: str, seed: str, table: str) -> dict:
    """A copy of a unit test under `name`, its input `ref(seed)` read from `table` instead of from disk."""
    out = copy_module.deepcopy(test)
    out["name"] = name
    out.pop("description", None)
    config = out.setdefault("config", {})
    config["tags"] = [*config.get("tags", []), BATCH_TAG]
    for given in out["given"]:
        match = _REF.match(str(given.get("input", "")))
        if match and match.group(1) == seed and "rows" not in given and "fixture" not in given:
            given["format"] = "sql"
            given["rows"] = f"select * from {FIXTURE_SCHEMA}.{table}"
    return out


@dataclass
class Batch:
    """One `dbt test` over unit-test copies, each reading one version of the seed from a table.

    Why a table: dbt turns a seed read from disk into `select cast('<value>' as <column type>) as <column>,
    ... union all ...` (get_fixture_sql / format_row, `cast` being dbt-duckdb's safe_cast), rendering every
    cell through Jinja macros: about a second per unit test for the CTCAE seed. The harness loads the same
    strings with the same casts into a table once per mutant (`load_fixture_tables`); each copy reads it with
    a `format: sql` fixture. The unmutated copies, which must pass, check that the two agree.
    """

    seed: str
    entries: list[tuple[int | None, str, str]] = field(default_factory=list)  # (mutant, test, copy name)
    tests: list[dict] = field(default_factory=list)
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, index: int | None, test: dict, text: str) -> None:
        suffix = "unmutated" if index is None else f"m{index}"
        table = f"{self.seed}__{suffix}"
        self.tables[table] = dbt_seed_rows(text)
        name = f"{test['name']}__{suffix}"
        self.entries.append((index, test["name"], name))
        self.tests.append(mutated_unit_test(test, name, self.seed, table))

    def yaml(self) -> str:
        import yaml

        return yaml.safe_dump({"version": 2, "unit_tests": self.tests}, sort_keys=False, allow_unicode=True)


def load_fixture_tables(database: Path, seed: str, tables: dict[str, list[dict[str, str]]]) -> None:
    """Each table: the rows as dbt would give them, `cast('<string>' as <type of the seed's column>)`."""
    import duckdb

    con = duckdb.connect(str(database))
    try:
        columns = con.execute(
            "select table_schema, column_name, data_type from information_schema.columns "
            "where table_name = ? order by table_schema, ordinal_position",
            [seed],
        ).fetchall()
        if len({schema for schema, _, _ in columns}) != 1:
            raise HarnessError(f"seed {seed}: expected one built relation, found {columns[:3]}")
        con.execute(f"create schema if not exists {FIXTURE_SCHEMA}")
        names = [name for _, name, _ in columns]
        definition = ", ".join(f'"{name}" {data_type}' for _, name, data_type in columns)
        casts = ", ".join(f"cast(? as {data_type})" for _, _, data_type in columns)
        for table, rows in tables.items():
            con.execute(f'create or replace table {FIXTURE_SCHEMA}."{table}" ({definition})')
            values = [[row.get(name) for name in names] for row in rows]
            if values:
                con.executemany(f'insert into {FIXTURE_SCHEMA}."{table}" select {casts}', values)
        con.execute("checkpoint")
    finally:
        con.close()


def _run_batch(copy: Path, database: Path, names: list[str], seed: str, tables: dict) -> dict:
    load_fixture_tables(database, seed, tables)
    statuses = _dbt_test(copy, database, f"tag:{BATCH_TAG}")
    missing = sorted(set(names) - set(statuses))
    if missing:
        raise HarnessError(f"the batch did not run {missing[:3]} ({len(missing)} unit tests)")
    return {"statuses": statuses}


# ------------------------------------------------------------------------------ jobs and workers


@dataclass
class Job:
    """Work for one child on one worker's copy: `files` written before (None: deleted), restored after."""

    label: str
    work: Callable[[Path, Path], dict]
    files: dict[str, str | None] = field(default_factory=dict)
    on_result: Callable[[dict], None] = lambda result: None
    cost: float = 1.0  # for ordering: the longest first


@dataclass
class Worker:
    copy: Path
    database: Path
    log: Path


def _child(worker: Worker, job: Job, answer: Path) -> None:
    code = 0
    try:
        with open(worker.log, "ab") as out:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
        os.chdir(worker.copy)
        sys.path.insert(0, str(worker.copy))
        # the parent imported `tests` from the repository; the child imports the copy's
        for name in [m for m in sys.modules if m == "tests" or m.startswith("tests.")]:
            if not name.startswith("tests.mutation"):
                del sys.modules[name]
        result = job.work(worker.copy, worker.database)
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        result = {"error": f"{job.label}: {traceback.format_exc()}"}
        code = 1
    answer.write_text(json.dumps(result), encoding="utf-8")
    os._exit(code)


def run_jobs(workers: list[Worker], jobs: list[Job]) -> None:
    """Run the jobs, one child per worker at a time; each job's result goes to its `on_result`."""
    pending = sorted(jobs, key=lambda j: -j.cost)
    running: dict[int, tuple[Worker, Job, Path, dict[Path, str | None], float]] = {}
    free = list(workers)
    while pending or running:
        while pending and free:
            worker, job = free.pop(0), pending.pop(0)
            saved: dict[Path, str | None] = {}
            for rel, text in job.files.items():
                path = worker.copy / rel
                saved[path] = path.read_text(encoding="utf-8") if path.exists() else None
                if text is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_text(text, encoding="utf-8")
            answer = worker.log.with_name(f"answer-{worker.log.stem}.json")
            answer.unlink(missing_ok=True)
            pid = os.fork()
            if pid == 0:
                _child(worker, job, answer)
            running[pid] = (worker, job, answer, saved, time.monotonic())
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for other, (_, job, _, _, started) in list(running.items()):
                if time.monotonic() - started > JOB_TIMEOUT_S:
                    os.kill(other, 9)
                    os.waitpid(other, 0)
                    raise HarnessError(f"{job.label}: timed out after {JOB_TIMEOUT_S} s")
            time.sleep(0.02)
            continue
        worker, job, answer, saved, _ = running.pop(pid)
        for path, text in saved.items():  # restored by the parent, even when the child was killed
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(text, encoding="utf-8")
        free.append(worker)
        result = json.loads(answer.read_text(encoding="utf-8")) if answer.exists() else {}
        if not result:
            raise HarnessError(f"{job.label}: the child died without an answer (log {worker.log})")
        if "error" in result:
            raise HarnessError(result["error"])
        job.on_result(result)


# ---------------------------------------------------------------------------------------- the run


class Run:
    def __init__(self, mutants: list[Mutant]) -> None:
        self.mutants = mutants
        self.outcomes = [Outcome(m) for m in mutants]
        self.originals = {m.path: (REPO / m.path).read_text(encoding="utf-8") for m in mutants}
        self.readers = seed_readers(REPO)
        self.unmutated_failures: list[str] = []

    def _mutated(self, mutant: Mutant) -> str:
        try:
            text = mutant.mutate(self.originals[mutant.path])
        except AssertionError as error:  # the snippet or cell has moved: the catalogue must follow it
            raise HarnessError(f"{mutant.name}: cannot be applied to {mutant.path}: {error}") from error
        if text == self.originals[mutant.path]:
            raise HarnessError(f"{mutant.name}: the mutation changes nothing")
        return text

    def _kill(self, index: int, killer: str) -> None:
        if self.outcomes[index].killed_by is None:
            self.outcomes[index].killed_by = killer

    def baseline_jobs(self) -> list[Job]:
        """Every check that runs on its own must pass on the unmutated project, or no kill means anything."""
        checks = sorted({c for m in self.mutants for c in m.checks
                         if not (is_seed_mutant(m) and c.startswith("dbt:"))})

        def record(check: str) -> Callable[[dict], None]:
            def on_result(result: dict) -> None:
                if result["killed_by"]:
                    self.unmutated_failures.append(result["killed_by"])
            return on_result

        return [Job(f"unmutated {c}", lambda copy, db, c=c: _first_kill(copy, db, (c,)), on_result=record(c))
                for c in checks]

    def file_jobs(self) -> list[Job]:
        """Code mutants: one job each, the file mutated, every check in order."""
        jobs = []
        for i, m in enumerate(self.mutants):
            if is_seed_mutant(m):
                continue

            def on_result(result: dict, i: int = i) -> None:
                if result["killed_by"]:
                    self._kill(i, result["killed_by"])

            cost = 3.0 if any(c.startswith("dbt:") for c in m.checks) else 1.0
            jobs.append(Job(m.name, lambda copy, db, m=m: _first_kill(copy, db, m.checks),
                            {m.path: self._mutated(m)}, on_result, cost))
        return jobs

    def seed_round_jobs(self, position: int) -> list[Job]:
        """The `position`-th check of each living seed mutant: dbt checks batched, the others one job each."""
        jobs: list[Job] = []
        by_seed: dict[str, list[tuple[int, list[dict]]]] = {}
        for i, m in enumerate(self.mutants):
            if not is_seed_mutant(m) or self.outcomes[i].killed_by or position >= len(m.checks):
                continue
            check = m.checks[position]
            if check.startswith("dbt:"):
                tests = self._unit_tests(m, check)
                if tests:
                    by_seed.setdefault(m.path, []).append((i, tests))
                continue

            def on_result(result: dict, i: int = i) -> None:
                if result["killed_by"]:
                    self._kill(i, result["killed_by"])

            jobs.append(Job(f"{m.name} {check}", lambda copy, db, c=check: _first_kill(copy, db, (c,)),
                            {m.path: self._mutated(m)}, on_result))
        for path, items in by_seed.items():
            for start in range(0, len(items), BATCH_SIZE):
                jobs.append(self._batch_job(path, items[start:start + BATCH_SIZE]))
        return jobs

    def _unit_tests(self, mutant: Mutant, check: str) -> list[dict]:
        readers = self.readers.get(seed_name(mutant), [])
        if check == SEED_READERS:  # the readers not named by an earlier check
            named = {n for c in mutant.checks if c.startswith("dbt:") and c != SEED_READERS
                     for n in c.removeprefix("dbt:").split()}
            return [t for t in readers if t["name"] not in named]
        chosen = []
        for name in check.removeprefix("dbt:").split():
            found = [t for t in readers if t["name"] == name]
            if not found:
                raise HarnessError(f"{mutant.name}: unit test {name} does not read {mutant.path} from disk, "
                                   "so the mutant cannot reach it")
            chosen += found
        return chosen

    def _batch_job(self, path: str, items: list[tuple[int, list[dict]]]) -> Job:
        seed = Path(path).stem
        batch = Batch(seed)
        for test in {t["name"]: t for _, tests in items for t in tests}.values():
            batch.add(None, test, self.originals[path])
        for i, tests in items:
            for test in tests:
                batch.add(i, test, self._mutated(self.mutants[i]))
        names = [name for _, _, name in batch.entries]

        def on_result(result: dict) -> None:
            statuses = result["statuses"]
            for index, original, name in batch.entries:
                if statuses[name] in {"pass", "success"}:
                    continue
                if index is None:
                    self.unmutated_failures.append(f"dbt:{original} (a copy with the unmutated seed)")
                else:
                    self._kill(index, f"dbt:{original} -> {original} ({statuses[name]})")

        label = f"{len(items)} mutants of {path} ({len(batch.tests)} unit tests)"
        return Job(label, lambda copy, db: _run_batch(copy, db, names, seed, batch.tables),
                   {BATCH_FILE: batch.yaml()}, on_result, cost=float(len(batch.tests)))


def survived(o: Outcome) -> bool:
    return o.killed_by is None and not o.mutant.equivalent


def report(outcomes: list[Outcome], seconds: float, workers: int, load: tuple[str, str]) -> str:
    n_survived = sum(survived(o) for o in outcomes)
    equivalent = sum(1 for o in outcomes if o.killed_by is None and o.mutant.equivalent)
    thresholds = sorted({o.mutant.threshold for o in outcomes})
    lines = [
        "# Mutation report",
        "",
        "Written by `uv run python -m tests.mutation.harness` (mutants: tests/mutation/catalogue.py); "
        "do not edit by hand.",
        "",
        f"{len(outcomes)} mutants of {len(thresholds)} thresholds: "
        f"{len(outcomes) - n_survived - equivalent} killed, {equivalent} equivalent (no test can tell them "
        f"apart; reason given), {n_survived} survived.",
        "",
        f"Run: {seconds:.0f} s with {workers} worker(s) on {os.cpu_count()} cores; load average at the start "
        f"{load[0]}, at the end {load[1]}.",
        "",
        "| # | file | mutant | killed by |",
        "|---|---|---|---|",
    ]
    for i, o in enumerate(outcomes, 1):
        note = f"equivalent: {o.mutant.equivalent}" if o.mutant.equivalent else "**SURVIVED**"
        killer = o.killed_by or note
        lines.append(f"| {i} | `{o.mutant.path}` | {o.mutant.name} | {killer.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _copy_database(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + ".wal"))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=None,
                        help="where to write the report (default tests/mutation/REPORT.md, not with --only)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only the mutants whose name contains this text (repeatable)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--database", type=Path, default=None,
                        help=f"a built warehouse ({DATABASE_NAME}) to copy instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs) for debugging")
    args = parser.parse_args(argv)
    mutants = [m for m in all_mutants() if not args.only or any(t in m.name for t in args.only)]
    if not mutants:
        print(f"no mutant matches {args.only}", file=sys.stderr)
        return 2
    load_start = _load()
    started = time.monotonic()
    _preimport()
    scratch = Path(tempfile.mkdtemp(prefix="rlt-mutation-"))
    try:
        run = Run(mutants)
        for mutant in mutants:  # every mutant applies, before any work
            run._mutated(mutant)
        workers = []
        for n in range(max(1, args.workers)):
            root = scratch / f"worker{n}"
            shutil.copytree(REPO, root / "project", ignore=IGNORE)
            (root / "db").mkdir()
            workers.append(Worker(root / "project", root / "db" / DATABASE_NAME, root / f"log{n}.txt"))
        needs_dbt = any(c.startswith("dbt:") for m in mutants for c in m.checks)
        if needs_dbt:
            if args.database:
                _copy_database(args.database, workers[0].database)
            else:
                run_jobs(workers[:1], [Job("build", _build)])
            for worker in workers[1:]:
                _copy_database(workers[0].database, worker.database)
        print(f"ready ({time.monotonic() - started:.0f} s): {len(mutants)} mutants, {len(workers)} workers",
              flush=True)
        rounds = max(len(m.checks) for m in mutants)
        for position in range(rounds):
            jobs = run.seed_round_jobs(position)
            if position == 0:
                jobs = [*run.baseline_jobs(), *jobs, *run.file_jobs()]
            run_jobs(workers, jobs)
            alive = sum(o.killed_by is None for o in run.outcomes)
            print(f"round {position + 1}/{rounds}: {len(jobs)} jobs, {alive} mutants not killed "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
        if run.unmutated_failures:
            print(f"the unmutated project fails: {run.unmutated_failures}", file=sys.stderr)
            return 2
        text = report(run.outcomes, time.monotonic() - started, len(workers), (load_start, _load()))
        report_path = args.report or (None if args.only else REPO / "tests" / "mutation" / "REPORT.md")
        if report_path is not None:
            report_path.write_text(text, encoding="utf-8")
        for o in run.outcomes:  # every mutant is in the report; here only those no test killed
            if o.killed_by is None:
                status = "equivalent" if o.mutant.equivalent else "SURVIVED"
                print(f"{status}: {o.mutant.name} {o.mutant.equivalent}")
        print(text.split("\n| #")[0])
        return 1 if any(survived(o) for o in run.outcomes) else 0
    except HarnessError as error:
        print(f"harness error: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
