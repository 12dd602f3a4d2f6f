"""`rlt`: generate, refresh, demo, report, sql. Thin: argument parsing and messages only."""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from orchestration.resources import DEFAULT_REPORTS, DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from orchestration.settings import ClinicalSettings

DEMO_DIR = Path("demo")
DEMO_BAD_ROWS_RATE = 0.003


def _warehouse_arg(value: str | None) -> Path:
    return Path(value or os.environ.get("RLT_WAREHOUSE") or DEFAULT_WAREHOUSE)


def _reports_arg(value: str | None) -> Path:
    return Path(value or os.environ.get("RLT_REPORTS") or DEFAULT_REPORTS)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.synthetic import generate_export

    started = time.perf_counter()
    if args.format == "redcap":  # the same registry as a REDCap project export (orchestration/redcap)
        from orchestration.synthetic.redcap import generate_redcap_export

        if args.bad_rows_rate:
            _say("rlt generate: --bad-rows-rate is not available with --format redcap")
            return 2
        out = generate_redcap_export(Path(args.out), patients=args.patients, seed=args.seed)
        _say(f"generated {args.patients} patients as a REDCap export into {out}")
        return 0
    out = generate_export(
        Path(args.out), patients=args.patients, seed=args.seed, bad_rows_rate=args.bad_rows_rate
    )
    _say(f"generated {args.patients} patients into {out} in {time.perf_counter() - started:.1f} s")
    return 0


def log_path_for(warehouse: Path) -> Path:
    """The refresh's log file: `logs/` beside the warehouse, one file per run."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return warehouse.absolute().parent / "logs" / f"refresh-{stamp}.log"


def _refresh(
    export: Path,
    warehouse: Path,
    settings: ClinicalSettings,
    reports: Path | None,
    force: bool,
    allow_shrink: bool = False,
) -> int:
    from orchestration.refresh import RefreshFailed, run_refresh

    started = time.perf_counter()
    log = log_path_for(warehouse)
    _say(f"refreshing {warehouse} from {export}")
    try:
        result = run_refresh(
            export,
            warehouse,
            settings,
            reports_dir=reports,
            render_reports=reports is not None,
            force=force,
            progress=sys.stderr,
            log_path=log,
            allow_shrink=allow_shrink,
        )
    except RefreshFailed:
        # the log's path first, so that the last line printed is the cause
        _say(f"full log: {log}")
        raise
    if result.skipped:
        _say(
            f"{result.export_id} is already published in {warehouse} with these settings and this code "
            "version: nothing to do (use --force to rebuild)"
        )
        return 0
    _say(_closing_summary(result.published))
    _say(f"warehouse: {result.published} ({result.export_id}), {time.perf_counter() - started:.0f} s")
    if result.reports_dir is not None:
        _say(f"reports:   {result.reports_dir / 'index.html'}")
    _say(f"log:       {log}")
    return 0


SUMMARY_LIMIT = 6  # quarantine reasons and unknown-column files shown; the rest are in audit.* and the log


def _closing_summary(published: Path) -> str:
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        files = con.execute(
            "select file, rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_excluded_consent "
            "from audit.export_loads order by file"
        ).fetchall()
        reasons = con.execute(
            "select file, reason, n_rows from audit.quarantine_summary order by n_rows desc, file, reason"
        ).fetchall()
        cohorts = con.execute("select cohort, n_patients from marts.cohorts order by cohort").fetchall()
        unknown = con.execute(
            "select file, string_agg(column_name, ', ' order by column_name) from audit.unknown_columns "
            "group by file order by file"
        ).fetchall()
    lines = ["file                        read     loaded  quarantined  duplicate  no-consent"]
    lines += [f"{f:<24} {r:>8} {lo:>10} {q:>12} {d:>10} {c:>11}" for f, r, lo, q, d, c in files]
    if reasons:
        lines.append("quarantined rows by reason (all in audit.quarantine_summary):")
        lines += [f"  {file}: {reason}: {n}" for file, reason, n in reasons[:SUMMARY_LIMIT]]
        if len(reasons) > SUMMARY_LIMIT:
            lines.append(f"  ... and {len(reasons) - SUMMARY_LIMIT} more reasons")
    if unknown:
        lines.append("columns outside the export contract (never loaded; audit.unknown_columns):")
        lines += [f"  {file}: {names}" for file, names in unknown[:SUMMARY_LIMIT]]
        if len(unknown) > SUMMARY_LIMIT:
            lines.append(f"  ... and {len(unknown) - SUMMARY_LIMIT} more files")
    lines.append("cohorts: " + ", ".join(f"{c} (n={n})" for c, n in cohorts))
    return "\n".join(lines)


def cmd_refresh(args: argparse.Namespace) -> int:
    from orchestration.settings import ClinicalSettings

    settings = ClinicalSettings().with_overrides(args.set or [])
    reports = None if args.no_reports else _reports_arg(args.reports_dir)
    return _refresh(
        Path(args.export), _warehouse_arg(args.warehouse), settings, reports, args.force, args.allow_shrink
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.settings import ClinicalSettings
    from orchestration.synthetic import generate_export

    export = DEMO_DIR / "export"
    for old in [export, *DEMO_DIR.glob("export-night*")]:
        if old.exists():
            shutil.rmtree(old)
    _say(f"generating a synthetic registry of {args.patients} patients in {export} ...")
    # a small share of bad rows, so that the quarantine and the site feedback pages show something
    generate_export(export, patients=args.patients, seed=args.seed, bad_rows_rate=DEMO_BAD_ROWS_RATE)
    warehouse, reports = _warehouse_arg(args.warehouse), _reports_arg(args.reports_dir)
    # a demo replaces the previous demo whatever its size (`--patients 100` after 1,000 is meant)
    status = _refresh(export, warehouse, ClinicalSettings(), reports, force=True, allow_shrink=True)
    # --- issue 13: `--nights N` refreshes N consecutive nightly exports (changes, finding statuses)
    for night in range(2, args.nights + 1):
        from orchestration.feedback.demo import quarantined_lines
        from orchestration.synthetic.next_night import next_night

        if status != 0:
            return status
        following = DEMO_DIR / f"export-night{night}"
        _say(f"night {night}: the next export, with some rows corrected and new ones, in {following} ...")
        next_night(export, following, quarantined_lines(warehouse), night=night, seed=args.seed)
        export = following
        status = _refresh(export, warehouse, ClinicalSettings(), reports, force=True, allow_shrink=True)
    return status


def cmd_report(args: argparse.Namespace) -> int:
    from orchestration.reporting import render_one_report

    warehouse = _warehouse_arg(args.warehouse)
    if not warehouse.exists():
        _say(f"no published warehouse at {warehouse}: run `rlt refresh EXPORT` or `rlt demo` first")
        return 2
    path = render_one_report(warehouse, _reports_arg(args.reports_dir), args.cohort)
    _say(f"report: {path}")
    return 0


def cmd_import_redcap(args: argparse.Namespace) -> int:
    from orchestration.redcap import RedcapError, import_redcap

    try:
        summary = import_redcap(
            Path(args.redcap_export),
            Path(args.out),
            mapping=Path(args.mapping) if args.mapping else None,
            export_id=args.export_id,
            data_cutoff=args.data_cutoff,
            exported_at=args.exported_at,
        )
    except RedcapError as exc:
        _say(f"rlt import-redcap: {exc}")
        return 2
    print(summary.format(), flush=True)
    _say(f"wrote the export {summary.export_id} into {args.out}")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    warehouse = _warehouse_arg(args.warehouse)
    if not warehouse.exists():
        _say(f"no published warehouse at {warehouse}: run `rlt refresh EXPORT` or `rlt demo` first")
        return 2
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    if cli is None:
        _say("the duckdb CLI is not installed (it comes with this project: run `uv sync`)")
        return 2
    command = [cli, "-readonly", str(warehouse)]
    if args.command:
        command += ["-c", args.command]
    if sys.stdout.isatty():
        os.execv(cli, command)
    # the DuckDB CLI colours its tables even into a pipe: strip the codes for scripts and files
    from orchestration.progress import strip_ansi

    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(strip_ansi(done.stdout))
    sys.stderr.write(strip_ansi(done.stderr))
    return done.returncode


def dagster_home_for(warehouse: Path) -> Path:
    """DAGSTER_HOME when none is set: `dagster_home/` beside the warehouse, so run history, check
    history and the sensor's cursor survive `dagster dev` restarts."""
    return warehouse.absolute().parent / "dagster_home"


def cmd_dagster(args: argparse.Namespace) -> int:
    warehouse = _warehouse_arg(args.warehouse)
    home = Path(os.environ.get("DAGSTER_HOME") or dagster_home_for(warehouse)).absolute()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / "dagster.yaml").touch(exist_ok=True)
    cli = shutil.which("dagster", path=str(Path(sys.executable).parent)) or shutil.which("dagster")
    if cli is None:
        _say("the dagster CLI is not installed (it comes with this project: run `uv sync`)")
        return 2
    env = {**os.environ, "DAGSTER_HOME": str(home), "RLT_WAREHOUSE": str(warehouse.absolute())}
    command = [cli, *(args.dagster_args or ["dev", "--host", "127.0.0.1"])]
    _say(f"DAGSTER_HOME={home}")
    os.execve(cli, command, env)
    return 0  # pragma: no cover  (execve does not return)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlt", description="PSMA-RLT registry warehouse and cohort reports")
    sub = parser.add_subparsers(dest="cmd", required=True)

    gen = sub.add_parser("generate", help="write a synthetic registry export")
    gen.add_argument("out")
    gen.add_argument("--patients", type=int, default=1000)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--bad-rows-rate", type=float, default=0.0)
    gen.add_argument(
        "--format", choices=("contract", "redcap"), default="contract", help="redcap: a REDCap project export"
    )
    gen.set_defaults(func=cmd_generate)

    ref = sub.add_parser("refresh", help="load an export, build the warehouse, publish, render reports")
    ref.add_argument("export", help="export folder or .zip")
    ref.add_argument(
        "--warehouse", help=f"published DuckDB file (RLT_WAREHOUSE, default {DEFAULT_WAREHOUSE})"
    )
    ref.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="clinical setting, e.g. psa_progression_rule=rise25 (repeatable)",
    )
    ref.add_argument("--reports-dir", help=f"reports folder (RLT_REPORTS, default {DEFAULT_REPORTS})")
    ref.add_argument("--no-reports", action="store_true", help="do not render the cohort reports")
    ref.add_argument("--force", action="store_true", help="rebuild even if this export is already published")
    ref.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even if the number of patients falls by more than RLT_MAX_SHRINK (default: half)",
    )
    ref.set_defaults(func=cmd_refresh)

    demo = sub.add_parser("demo", help="generate a 1,000-patient demo export and refresh it")
    demo.add_argument("--patients", type=int, default=1000)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--warehouse")
    demo.add_argument("--reports-dir")
    demo.add_argument(
        "--nights", type=int, default=1, help="consecutive nightly exports to refresh (default 1)"
    )
    demo.set_defaults(func=cmd_demo)

    rc = sub.add_parser("import-redcap", help="turn a REDCap project export into a registry export")
    rc.add_argument("redcap_export", help="folder or .zip with records.csv and data_dictionary.csv")
    rc.add_argument("out", help="folder to write the export into")
    rc.add_argument("--mapping", help="mapping YAML (default: the reference project's, see docs/redcap.md)")
    rc.add_argument("--export-id", help="default: the folder's name")
    rc.add_argument("--data-cutoff", help="YYYY-MM-DD (default: the export date)")
    rc.add_argument("--exported-at", help="ISO timestamp (default: the newest file's time)")
    rc.set_defaults(func=cmd_import_redcap)

    rep = sub.add_parser("report", help="render one cohort report from the published warehouse")
    rep.add_argument("--cohort", required=True)
    rep.add_argument("--warehouse")
    rep.add_argument("--reports-dir")
    rep.set_defaults(func=cmd_report)

    sql = sub.add_parser("sql", help="open the published warehouse read-only in the DuckDB CLI")
    sql.add_argument("--warehouse")
    sql.add_argument("-c", "--command", help="run one SQL statement and exit")
    sql.set_defaults(func=cmd_sql)

    dag = sub.add_parser(
        "dagster",
        help="run a dagster command (default: `dev` on 127.0.0.1) with DAGSTER_HOME beside the warehouse",
    )
    dag.add_argument(
        "--warehouse", help=f"published DuckDB file (RLT_WAREHOUSE, default {DEFAULT_WAREHOUSE})"
    )
    dag.add_argument("dagster_args", nargs=argparse.REMAINDER, help="e.g. `sensor list` (default: dev)")
    dag.set_defaults(func=cmd_dagster)
    return parser


def _terminated(signum: int, frame: object) -> None:
    from orchestration.failures import Terminated

    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from orchestration.failures import NOT_CHANGED, Terminated, explain, os_error_messages
    from orchestration.ingest import ExportError
    from orchestration.publish import owner_only
    from orchestration.refresh import RefreshFailed
    from orchestration.settings import SettingError

    owner_only()  # health data: every file this process writes is owner-only from its first byte
    if args.cmd in ("refresh", "demo"):
        # Dagster maps SIGTERM to its own interrupt while a run executes; outside a run this handler stops
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.func(args))
    except (SettingError, ExportError, RefreshFailed) as exc:
        _say(f"rlt {args.cmd}: {exc}")
        return 2
    except OSError as exc:
        warehouse = _warehouse_arg(getattr(args, "warehouse", None))
        _say(f"rlt {args.cmd}: {explain(os_error_messages(exc), warehouse) or f'{exc}. {NOT_CHANGED}'}")
        return 2
    except Terminated:
        _say(
            f"rlt {args.cmd}: stopped by SIGTERM; nothing left running, the unfinished build removed. "
            + NOT_CHANGED
        )
        return 2
    except KeyboardInterrupt:
        _say("interrupted; the published warehouse was not changed")
        return 130


# The `rlt` process is short-lived and holds a large heap of long-lived objects (the modules of Dagster,
# dbt and the statistics, the parsed dbt project), which Python's default collector thresholds (700, 10,
# 10) traverse again and again: 1.6 s of collections in a 1,000-patient refresh, 0.6 s at these.
GC_THRESHOLDS = (10_000, 20, 20)


def entry() -> NoReturn:
    """The `rlt` command: `main()` with the collector tuned for a batch process. At exit, everything is
    frozen first, so that the interpreter's last collection does not traverse the whole heap only to find
    nothing to free (1.5 s after the last line was printed)."""
    gc.set_threshold(*GC_THRESHOLDS)
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
