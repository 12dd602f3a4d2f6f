"""`rlt refresh`: the `registry_refresh` job of the Definitions, run in-process, with skip-if-published."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import dagster as dg

from orchestration.automation import REFRESH_JOB, is_published, run_config_for
from orchestration.exports import ExportRef, identify_export
from orchestration.failures import NOT_CHANGED, explain, os_error_messages
from orchestration.ingest.pseudonym import PseudonymKeyError, pseudonym_key
from orchestration.progress import STAGES
from orchestration.publish import guarded_run
from orchestration.redcap.project import is_redcap_export
from orchestration.resources import WarehouseResource
from orchestration.settings import ClinicalSettings
from orchestration.warehouse_lock import LockTimeout


class RefreshFailed(RuntimeError):
    """A refresh did not publish; the message says which step and why."""


@dataclass(frozen=True)
class RefreshResult:
    export_id: str
    published: Path
    skipped: bool
    run_id: str | None = None
    reports_dir: Path | None = None


def run_refresh(
    export: Path,
    warehouse: Path,
    settings: ClinicalSettings,
    *,
    reports_dir: Path | None = None,
    render_reports: bool = True,
    force: bool = False,
    instance: dg.DagsterInstance | None = None,
    progress: TextIO | None = None,
    log_path: Path | None = None,
    allow_shrink: bool = False,
) -> RefreshResult:
    """Refresh the warehouse from one export; skip when it is already published (unless force).

    Runs the `registry_refresh` job of the project's Definitions in-process (the job the schedule and
    the sensor run). `progress` (the CLI's stderr) shows the stages; `log_path` receives every event
    and everything the run prints (dbt's log included). Without either, Dagster's console logger logs
    at INFO (tests)."""
    try:
        pseudonym_key()  # an unusable key is refused before anything is read or built
    except PseudonymKeyError as exc:
        raise RefreshFailed(str(exc)) from None
    ref = identify_export(export)
    if ref is None:
        raise RefreshFailed(f"{export}: no readable manifest.json (is this a registry export folder or zip?)")
    resource = WarehouseResource(
        warehouse_path=str(warehouse.absolute()),
        reports_dir=str(reports_dir.absolute()) if reports_dir else "",
        allow_shrink=allow_shrink,
    )
    if not force and is_published(resource, ref, settings):
        return RefreshResult(ref.export_id, resource.published(), skipped=True)
    from orchestration.ingest.loader import MAX_UNPACKED_BYTES
    from orchestration.ingest.read_ahead import discard, read_ahead

    if ref.complete and not is_redcap_export(export):
        # read on the other core while Dagster, dbt and the statistics load (ingest/read_ahead.py)
        read_ahead(export, MAX_UNPACKED_BYTES)
    try:
        return _run(
            export, ref, resource, settings, reports_dir, render_reports, instance, progress, log_path
        )
    finally:
        discard(export)


def _run(
    export: Path,
    ref: ExportRef,
    resource: WarehouseResource,
    settings: ClinicalSettings,
    reports_dir: Path | None,
    render_reports: bool,
    instance: dg.DagsterInstance | None,
    progress: TextIO | None,
    log_path: Path | None,
) -> RefreshResult:
    from orchestration.definitions import build_defs
    from orchestration.progress import output_into, showing_stages

    run_config = run_config_for(ref, settings, render_reports)
    loggers: dict[str, object] = {}
    if progress is not None:
        loggers["progress"] = {}
    if log_path is not None:
        loggers["log_file"] = {"config": {"path": str(log_path)}}
    run_config["loggers"] = loggers or {"console": {"config": {"log_level": "INFO"}}}
    job = build_defs(resource).resolve_job_def(REFRESH_JOB)
    stages = [s for s in STAGES if render_reports or s != "cohort_reports"]
    # --- publish helper: owner-only files, one writer per warehouse, a failed run leaves nothing behind
    published = resource.published()
    try:
        with guarded_run(published, on_wait=_say if progress else None), contextlib.ExitStack() as stack:
            if progress is not None:
                stack.enter_context(showing_stages(progress, stages))
            if log_path is not None:
                stack.enter_context(output_into(log_path))
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                raise_on_error=False,
                tags={"export_id": ref.export_id},
            )
            if not result.success:
                raise RefreshFailed(_failure_message(result, published))
    except OSError as exc:
        raise RefreshFailed(explain(os_error_messages(exc), published) or f"{exc}. {NOT_CHANGED}") from None
    except LockTimeout as exc:
        raise RefreshFailed(str(exc)) from None
    # --- end publish helper
    return RefreshResult(
        ref.export_id,
        resource.published(),
        skipped=False,
        run_id=result.run_id,
        reports_dir=resource.reports() if render_reports else None,
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _failure_message(result: dg.ExecuteInProcessResult, published: Path) -> str:
    """One line: the failing step and the root cause's own message (no exception class, no trace); a
    machine-level cause (read-only, disk full) named as such; a failure after publish said to be one."""
    was_published = any(
        e.event_type_value == "STEP_SUCCESS" and e.step_key == "published_warehouse"
        for e in result.all_events
    )
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data is not None:
            error = event.step_failure_data.error
            chain: list[str] = []
            todo = [error]
            while todo:
                current = todo.pop()
                if current is not None:
                    chain.append(current.message)
                    todo += [current.cause, current.context]
            step = STAGES.get(event.step_key or "", f"step {event.step_key}")
            if not was_published and (
                any("DagsterExecutionInterruptedError" in m for m in chain)
                or (error is not None and error.cls_name == "DagsterExecutionInterruptedError")
            ):
                return (
                    f"stopped by a signal (SIGTERM or Ctrl-C) during {step}; nothing left running, the "
                    f"unfinished build removed. {NOT_CHANGED}"
                )
            failure = event.step_failure_data.user_failure_data
            if failure is not None and failure.description and not was_published:
                # a deterministic failure (assets/retry.py): its description is the cause
                text = failure.description
                return text if "was not changed" in text else f"{text}\n{NOT_CHANGED}"
            while error is not None and error.cause is not None:
                error = error.cause
            cause = "unknown error" if error is None else error.message.strip()
            if error is not None and error.cls_name and cause.startswith(f"{error.cls_name}: "):
                cause = cause[len(error.cls_name) + 2 :]
            elif ": " in cause and "." in cause.split(": ", 1)[0] and " " not in cause.split(": ", 1)[0]:
                cause = cause.split(": ", 1)[1]
            if was_published:
                return (
                    f"published {published}, but {step} failed afterwards: {cause.splitlines()[0]}\n"
                    "The warehouse holds the new export; run the refresh again (--force) for the reports."
                )
            machine = explain(chain, published)
            if machine is not None:
                return machine
            if NOT_CHANGED.lower() in cause.lower() or "was not changed" in cause:
                return f"{step} failed: {cause}"
            return f"{step} failed: {cause}\n{NOT_CHANGED}"
    return f"the refresh run failed. {NOT_CHANGED}"
