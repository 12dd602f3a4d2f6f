"""Statuses against the previous published export: `new`, `open` (seen before), `resolved` (gone now).

A resolved finding is recorded as a row of the new export. Its patient id and value are kept only when
the patient is still in the new export: a patient who withdrew consent (or was deleted) is never named
again, in line with the consent rule that their rows are not stored anywhere.
"""

from __future__ import annotations

import duckdb

from orchestration.contract.tables import TABLES
from orchestration.feedback.findings import FINDING_COLUMNS, relation_exists
from orchestration.feedback.previous import Previous

PREVIOUS_FINDING_COLUMNS = ("fingerprint", "status", "first_seen_export_id", "site_id", "patient_id")


def present_patients_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Patient ids that the new export holds (loaded or quarantined), as a SQL subquery."""
    parts = ["select patient_id from raw.patients"]
    parts += [
        f"select patient_id from quarantine.{t}" for t in TABLES if relation_exists(con, f"quarantine.{t}")
    ]
    return " union ".join(parts)


def is_rerun(con: duckdb.DuckDBPyConnection, previous: Previous) -> bool:
    """The build is of the export that is already published (`rlt refresh --force`, a retry)."""
    row = con.execute("select export_id from raw.export_manifest limit 1").fetchone()
    return previous.attached and row is not None and previous.export_id == row[0]


def write_dq_findings(con: duckdb.DuckDBPyConnection, current: str, previous: Previous) -> None:
    """Create audit.dq_findings from the temp table `current` and the previous export's open findings."""
    con.execute("create schema if not exists audit")
    ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in FINDING_COLUMNS)
    con.execute(f"create or replace table audit.dq_findings ({ddl})")
    rerun = is_rerun(con, previous)
    if previous.has("audit.dq_findings", *PREVIOUS_FINDING_COLUMNS):
        # a re-run of the published export keeps its statuses (they compare with the export before it),
        # so refreshing one export twice changes nothing
        where = "" if rerun else " where status in ('new', 'open')"
        prior = f"select * from {previous.ref('audit.dq_findings')}{where}"
    else:
        # no previous warehouse, or one from before findings existed: everything is new
        prior = "select " + ", ".join(f"null::{t} as {n}" for n, t in FINDING_COLUMNS) + " where false"
    prior_columns = previous.columns.get("audit.dq_findings", set()) if previous.attached else set()

    def prior_col(name: str, sql_type: str) -> str:
        return f"p.{name}" if name in prior_columns else f"null::{sql_type}"

    names = ", ".join(n for n, _ in FINDING_COLUMNS)
    matched = "case p.status when 'new' then 'new' else 'open' end" if rerun else "'open'"
    con.execute(
        f"""
        insert into audit.dq_findings ({names})
        with prior as ({prior})
        select
            c.export_id, c.site_id, c.patient_id, c.source_file, c.line_number, c.table_name, c.column_name,
            c.rule_id, c.severity, c.message, c.value, c.fingerprint,
            case when p.fingerprint is null then 'new' else {matched} end,
            coalesce(p.first_seen_export_id, c.export_id)
        from {current} as c
        left join prior as p on p.fingerprint = c.fingerprint
        """
    )
    if not previous.has("audit.dq_findings", *PREVIOUS_FINDING_COLUMNS):
        return
    present = present_patients_sql(con)
    con.execute(
        f"""
        insert into audit.dq_findings ({names})
        with prior as ({prior})
        select
            (select export_id from raw.export_manifest limit 1),
            -- the patient's site now (a patient who moved is shown to the new site only), else the old one
            coalesce((select any_value(r.site_id) from raw.patients as r where r.patient_id = p.patient_id),
                p.site_id),
            case when p.patient_id in ({present}) then p.patient_id end,
            {prior_col("source_file", "VARCHAR")},
            {prior_col("line_number", "BIGINT")},
            {prior_col("table_name", "VARCHAR")},
            {prior_col("column_name", "VARCHAR")},
            {prior_col("rule_id", "VARCHAR")},
            {prior_col("severity", "VARCHAR")},
            {prior_col("message", "VARCHAR")},
            case when p.patient_id in ({present}) then {prior_col("value", "VARCHAR")} end,
            p.fingerprint,
            'resolved',
            p.first_seen_export_id
        from prior as p
        where p.fingerprint not in (select fingerprint from {current})
        """
    )
