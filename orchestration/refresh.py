"""`rlt refresh`: the refresh asset graph, materialized in-process, with skip-if-published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.automation import is_published, run_config_for
from orchestration.exports import identify_export
from orchestration.resources import WarehouseResource
from orchestration.settings import ClinicalSettings


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
) -> RefreshResult:
    """Refresh the warehouse from one export; skip when it is already published (unless force)."""
    ref = identify_export(export)
    if ref is None:
        raise RefreshFailed(f"{export}: no readable manifest.json (is this a registry export folder or zip?)")
    resource = WarehouseResource(
        warehouse_path=str(warehouse.absolute()),
        reports_dir=str(reports_dir.absolute()) if reports_dir else "",
    )
    if not force and is_published(resource, ref, settings):
        return RefreshResult(ref.export_id, resource.published(), skipped=True)

    from orchestration.definitions import REFRESH_ASSETS, resources

    all_resources = {**resources(), "warehouse": resource}
    result = dg.materialize(
        REFRESH_ASSETS,
        resources=all_resources,
        run_config=run_config_for(ref, settings, render_reports),
        instance=instance,
        raise_on_error=False,
        tags={"export_id": ref.export_id},
    )
    if not result.success:
        raise RefreshFailed(_failure_message(result))
    return RefreshResult(
        ref.export_id,
        resource.published(),
        skipped=False,
        run_id=result.run_id,
        reports_dir=resource.reports() if render_reports else None,
    )


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data is not None:
            error = event.step_failure_data.error
            text = error.message.strip() if error else "unknown error"
            cause = error.cause if error else None
            while cause is not None:
                text = cause.message.strip()
                cause = cause.cause
            return f"step {event.step_key} failed: {text}"
    return "the refresh run failed"
