"""Compute audit.dq_findings and audit.changes in a build database, against the published warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.feedback.changes import write_changes
from orchestration.feedback.findings import create_current_findings
from orchestration.feedback.previous import attach_previous
from orchestration.feedback.status import write_dq_findings


@dataclass(frozen=True)
class FeedbackSummary:
    export_id: str | None
    previous_export_id: str | None
    findings_by_status: dict[str, int] = field(default_factory=dict)
    changes_by_item: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    def format(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.findings_by_status.items())) or "none"
        changes = ", ".join(f"{n} {i}" for i, n in sorted(self.changes_by_item.items())) or "none"
        since = self.previous_export_id or "no previous export"
        return f"findings: {statuses}; changes since {since}: {changes}"


def build_feedback_tables(con: duckdb.DuckDBPyConnection, previous_warehouse: Path | None) -> FeedbackSummary:
    """(Re)create audit.dq_findings and audit.changes in `con` (the build: raw, quarantine, dbt models
    present), comparing with `previous_warehouse` (the published file, attached read-only; may be None,
    absent, or from an older code version)."""
    current = "_feedback_current"
    create_current_findings(con, current)
    with attach_previous(con, previous_warehouse) as previous:
        write_dq_findings(con, current, previous)
        write_changes(con, previous)
    con.execute(f"drop table if exists {current}")
    export = con.execute("select export_id from raw.export_manifest limit 1").fetchone()
    statuses = dict(con.execute("select status, count(*) from audit.dq_findings group by status").fetchall())
    items = dict(con.execute("select item, count(*) from audit.changes group by item").fetchall())
    return FeedbackSummary(
        export_id=str(export[0]) if export else None,
        previous_export_id=previous.export_id,
        findings_by_status={str(k): int(v) for k, v in statuses.items()},
        changes_by_item={str(k): int(v) for k, v in items.items()},
        note=previous.note,
    )
