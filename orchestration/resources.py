"""Dagster resources and run config: where the warehouse, inbox and reports live, what to refresh."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.publish import build_path
from orchestration.settings import ClinicalSettings

DEFAULT_WAREHOUSE = "warehouse/registry.duckdb"
DEFAULT_INBOX = "inbox"
DEFAULT_REPORTS = "reports/_output"


class WarehouseResource(dg.ConfigurableResource):
    """Locations of the published warehouse, the export inbox and the reports.

    Empty fields fall back to RLT_WAREHOUSE / RLT_INBOX / RLT_REPORTS, read when a run uses them (never at
    import time), then to the defaults.
    """

    warehouse_path: str = ""
    inbox_path: str = ""
    reports_dir: str = ""
    # publish even when the patient count falls by more than RLT_MAX_SHRINK (`rlt refresh --allow-shrink`)
    allow_shrink: bool = False

    def published(self) -> Path:
        return Path(self.warehouse_path or os.environ.get("RLT_WAREHOUSE") or DEFAULT_WAREHOUSE).absolute()

    def inbox(self) -> Path:
        return Path(self.inbox_path or os.environ.get("RLT_INBOX") or DEFAULT_INBOX).absolute()

    def reports(self) -> Path:
        return Path(self.reports_dir or os.environ.get("RLT_REPORTS") or DEFAULT_REPORTS).absolute()

    def build(self, run_id: str) -> Path:
        return build_path(self.published(), run_id)


class RefreshRun(dg.ConfigurableResource):
    """What one run refreshes, given once per run at launch (Launchpad: `resources: refresh: config:`).

    Every step reads this one resource, so the settings dbt computes with, the settings `audit.runs`
    records and the labels the reports print cannot disagree.
    """

    export_path: str = Field(
        default="",
        description="Export folder or zip to load. Needed only when registry_raw runs (a full refresh); "
        "statistics or reports of the published warehouse need none.",
    )
    settings: ClinicalSettings = Field(
        default_factory=ClinicalSettings, description="Clinical settings (clinical-rules.md)."
    )
    render_reports: bool = Field(default=True, description="Render the cohort reports after publishing.")


REFRESH_RESOURCE = "refresh"


def refresh_run_config(
    export_path: Path | str | None, settings: ClinicalSettings, render_reports: bool = True
) -> dict:
    """Run config of one refresh: the `refresh` resource, given once."""
    config = {
        "export_path": str(export_path or ""),
        "settings": settings.as_dbt_vars(),
        "render_reports": render_reports,
    }
    return {"resources": {REFRESH_RESOURCE: {"config": config}}}
