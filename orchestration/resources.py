"""Dagster resources and run config: where the warehouse, inbox and reports live, what to refresh."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

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


class RefreshConfig(dg.Config):
    """What one refresh loads and with which clinical settings (clinical-rules.md defaults)."""

    export_path: str
    baseline_window_days: int = 60
    ecog_baseline_window_days: int = 90
    post_window_days: int = 84
    post_grade_basis: str = "worst"
    paired_post_value: str = "last"
    psa_response_basis: str = "best"
    psa_progression_rule: str = "pcwg3"
    render_reports: bool = True

    def clinical_settings(self) -> ClinicalSettings:
        values = {name: str(getattr(self, name)) for name in ClinicalSettings.__dataclass_fields__}
        return ClinicalSettings().with_overrides(values)


def refresh_config_dict(export_path: Path, settings: ClinicalSettings, render_reports: bool = True) -> dict:
    """The RefreshConfig of a run, as plain values."""
    return {"export_path": str(export_path), "render_reports": render_reports, **settings.as_dbt_vars()}
