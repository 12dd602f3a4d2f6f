"""Nightly schedule and inbox sensor: decide which export to refresh, and when not to."""

import hashlib
import json
import os

import dagster as dg

from orchestration.code_version import code_version
from orchestration.exports import ExportRef, list_inbox
from orchestration.ingest.pseudonym import key_id, same_key
from orchestration.publish import published_run
from orchestration.resources import WarehouseResource, refresh_run_config
from orchestration.settings import ClinicalSettings

REFRESH_JOB = "registry_refresh"
DEFAULT_CRON = "0 2 * * *"


def run_config_for(export: ExportRef, settings: ClinicalSettings, render_reports: bool = True) -> dict:
    """Run config of the refresh job: the export and settings, given once (the `refresh` resource)."""
    return refresh_run_config(export.path, settings, render_reports)


def is_published(warehouse: WarehouseResource, export: ExportRef, settings: ClinicalSettings) -> bool:
    """True when the published warehouse already holds this export (the same fingerprint: whole manifest
    and the files' real checksums), built with the same settings, code version and pseudonym key."""
    last = published_run(warehouse.published())
    return (
        last is not None
        and last["export_id"] == export.export_id
        and last["export_fingerprint"] == export.fingerprint
        and last["settings"] == settings.as_dbt_vars()
        and last["code_version"] == code_version()
        and same_key(last.get("pseudonym_key_id"))  # type: ignore[arg-type]
    )


def run_key(export: ExportRef, settings: ClinicalSettings) -> str:
    """One run per export content × settings × code version, however often the export is seen."""
    # the key enters as a slow salted hash (salt: the export's fingerprint), never as a cheap one
    key_label = key_id(salt=bytes.fromhex(export.fingerprint)[:16])
    material = f"{export.fingerprint}|{settings.to_json()}|{code_version()}|{key_label}"
    return f"{export.export_id}:{hashlib.sha256(material.encode()).hexdigest()[:16]}"


def nightly_cron() -> str:
    """Cron of the nightly refresh: RLT_REFRESH_CRON, default 02:00 every day."""
    return os.environ.get("RLT_REFRESH_CRON", DEFAULT_CRON)


def build_nightly_schedule(cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_refresh",
        cron_schedule=cron,
        job_name=REFRESH_JOB,
        execution_timezone="Europe/Berlin",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly_refresh(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
        """Refresh from the newest export in the inbox, unless it is already published."""
        exports = list_inbox(warehouse.inbox())
        if not exports:
            return dg.SkipReason(f"no export with a manifest in {warehouse.inbox()}")
        newest = exports[-1]
        if not newest.complete:
            return dg.SkipReason(f"{newest.path.name} is not complete yet ({newest.incomplete})")
        settings = ClinicalSettings()
        if is_published(warehouse, newest, settings):
            return dg.SkipReason(f"{newest.export_id} is already published with these settings and code")
        return dg.RunRequest(
            run_key=run_key(newest, settings),
            run_config=run_config_for(newest, settings),
            tags={"export_id": newest.export_id},
        )

    return nightly_refresh


@dg.sensor(
    name="new_export_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_export_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """Start a refresh when a new export lands in the inbox (RLT_INBOX); an export already published, or
    already requested, starts nothing."""
    settings = ClinicalSettings()
    seen: list[str] = json.loads(context.cursor) if context.cursor else []
    requests: dict[str, dg.RunRequest] = {}
    waiting: list[str] = []
    for ref in list_inbox(warehouse.inbox()):
        if not ref.complete:
            # still being copied (or broken): not remembered, so it is looked at again on the next tick
            waiting.append(f"{ref.path.name} ({ref.incomplete})")
            continue
        # keyed on content: a file fixed after a failed run gives a new key, so the export runs again
        key = run_key(ref, settings)
        # the same export twice (a folder and its zip, a copy, a later tick) is one run
        if key in requests or key in seen or is_published(warehouse, ref, settings):
            continue
        requests[key] = dg.RunRequest(
            run_key=key, run_config=run_config_for(ref, settings), tags={"export_id": ref.export_id}
        )
    if not requests:
        incomplete = f"; not complete yet: {', '.join(waiting)}" if waiting else ""
        return dg.SkipReason(f"no new export in the inbox{incomplete}")
    cursor = json.dumps((seen + list(requests))[-500:])
    return dg.SensorResult(run_requests=list(requests.values()), cursor=cursor)
