"""audit.changes: per patient, what changed since the previous published export.

Items: `patient_added`, `patient_removed`, `cohort` (detail: the cohort; old/new `yes`/`no`),
`response_category`, `pfs_event`, `pfs_time_days`, `os_event`, `os_time_days`, `post_grade` (detail: the
CTCAE term). Facts are compared only for patients in both exports (an added patient is one change). An
item whose mart the previous warehouse lacks (older code version) is skipped. A removed patient is named
only when the new export still holds them (e.g. their only cycle was quarantined): a patient who withdrew
consent is counted, never named.
"""

from __future__ import annotations

import duckdb

from orchestration.feedback.previous import Previous
from orchestration.feedback.status import is_rerun, present_patients_sql

CHANGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("export_id", "VARCHAR"),
    ("previous_export_id", "VARCHAR"),
    ("patient_id", "VARCHAR"),
    ("site_id", "VARCHAR"),
    ("item", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("old_value", "VARCHAR"),
    ("new_value", "VARCHAR"),
)


def _patient_changes(previous: Previous, present: str) -> list[str]:
    """SELECTs of (patient_id, site_id, item, detail, old_value, new_value), one per item."""
    old_dim = previous.ref("marts.dim_patient")
    both = f"(select patient_id from marts.dim_patient intersect select patient_id from {old_dim})"
    selects = [
        f"""select n.patient_id, n.site_id, 'patient_added', null, null, null
            from marts.dim_patient as n anti join {old_dim} as o using (patient_id)""",
        f"""select case when o.patient_id in ({present}) then o.patient_id end, o.site_id,
                'patient_removed', null, null, null
            from {old_dim} as o anti join marts.dim_patient as n using (patient_id)""",
    ]
    if previous.has("marts.cohort_membership", "cohort", "patient_id"):
        old = previous.ref("marts.cohort_membership")
        selects.append(
            f"""select coalesce(n.patient_id, o.patient_id), null, 'cohort', coalesce(n.cohort, o.cohort),
                    case when o.patient_id is null then 'no' else 'yes' end,
                    case when n.patient_id is null then 'no' else 'yes' end
                from (select * from marts.cohort_membership where patient_id in {both}) as n
                full join (select * from {old} where patient_id in {both}) as o
                    on o.patient_id = n.patient_id and o.cohort = n.cohort
                where n.patient_id is null or o.patient_id is null"""
        )
    if previous.has("marts.fct_psa_response", "patient_id", "response_category"):
        old = previous.ref("marts.fct_psa_response")
        selects.append(
            f"""select n.patient_id, null, 'response_category', null, o.response_category,
                    n.response_category
                from marts.fct_psa_response as n inner join {old} as o using (patient_id)
                where n.response_category is distinct from o.response_category"""
        )
    if previous.has("marts.fct_survival", "patient_id", "endpoint", "event", "time_days"):
        old = previous.ref("marts.fct_survival")
        for column in ("event", "time_days"):
            selects.append(
                f"""select n.patient_id, null, n.endpoint || '_{column}', null, o.{column}::varchar,
                        n.{column}::varchar
                    from marts.fct_survival as n inner join {old} as o using (patient_id, endpoint)
                    where n.{column} is distinct from o.{column}"""
            )
    if previous.has("marts.fct_toxicity", "patient_id", "ctcae_term", "post_grade"):
        old = previous.ref("marts.fct_toxicity")
        selects.append(
            f"""select coalesce(n.patient_id, o.patient_id), null, 'post_grade',
                    coalesce(n.ctcae_term, o.ctcae_term), o.post_grade::varchar, n.post_grade::varchar
                from (select * from marts.fct_toxicity where patient_id in {both}) as n
                full join (select * from {old} where patient_id in {both}) as o
                    on o.patient_id = n.patient_id and o.ctcae_term = n.ctcae_term
                where n.post_grade is distinct from o.post_grade"""
        )
    return selects


def write_changes(con: duckdb.DuckDBPyConnection, previous: Previous) -> int:
    """Create audit.changes (empty without a comparable previous warehouse); return its row count."""
    con.execute("create schema if not exists audit")
    ddl = ", ".join(f"{name} {sql_type}" for name, sql_type in CHANGE_COLUMNS)
    con.execute(f"create or replace table audit.changes ({ddl})")
    if is_rerun(con, previous):
        # the same export again: its changes are those against the export before it, as published
        if previous.has("audit.changes", *(name for name, _ in CHANGE_COLUMNS)):
            names = ", ".join(name for name, _ in CHANGE_COLUMNS)
            con.execute(f"insert into audit.changes select {names} from {previous.ref('audit.changes')}")
        row = con.execute("select count(*) from audit.changes").fetchone()
        return int(row[0]) if row else 0
    if not previous.has("marts.dim_patient", "patient_id", "site_id"):
        return 0
    selects = _patient_changes(previous, present_patients_sql(con))
    union = " union all ".join(f"({s})" for s in selects)
    con.execute(
        f"""
        insert into audit.changes
        select
            (select export_id from raw.export_manifest limit 1), ?,
            c.patient_id,
            coalesce(c.site_id, d.site_id),
            c.item, c.detail, c.old_value, c.new_value
        from ({union}) as c(patient_id, site_id, item, detail, old_value, new_value)
        left join marts.dim_patient as d on d.patient_id = c.patient_id
        order by c.item, c.patient_id, c.detail
        """,
        [previous.export_id],
    )
    row = con.execute("select count(*) from audit.changes").fetchone()
    return int(row[0]) if row else 0
