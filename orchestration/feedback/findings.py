"""This export's findings: one `error` per quarantined row, one `warning` per row of
`intermediate.int_dq_warnings_detected`, each with its fingerprint.

A fingerprint identifies the same problem in the next export: sha256 over the rule, the contract table,
the row's contract values as loaded (a JSON list; patient-level warnings: the patient id) and the
occurrence number among identical rows. Never the line number or the order of rows, so a site that
re-sorts its file, or deletes the row above, keeps its findings. The table, not the file name, enters the
hash, so a site switching from CSV to Parquet does not see every finding resolved and reopened. With
RLT_PSEUDONYM_KEY the ids are the pseudonyms, since those are what ingestion loads.
"""

from __future__ import annotations

import duckdb

from orchestration.contract.tables import TABLES

FINDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("export_id", "VARCHAR"),
    ("site_id", "VARCHAR"),
    ("patient_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("table_name", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("rule_id", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("message", "VARCHAR"),
    ("value", "VARCHAR"),
    ("fingerprint", "VARCHAR"),
    ("status", "VARCHAR"),
    ("first_seen_export_id", "VARCHAR"),
)
FINGERPRINT_HEX = 24
WARNINGS_RELATION = "intermediate.int_dq_warnings_detected"
RULES_RELATION = "seeds.dq_rules"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quarantine_select(table: str) -> str:
    """One quarantined row -> one error row: the value of the column at fault, the row's values as a key."""
    # the quarantine's own columns: a column that is never stored (the birth date) is not there, so a
    # finding on it tells the site the line and column, not the value
    columns = [c.name for c in TABLES[table].stored_columns]
    value = "case column_name " + " ".join(f"when '{c}' then {_quote(c)}" for c in columns) + " end"
    key = "to_json([" + ", ".join(_quote(c) for c in columns) + "])::varchar"
    row_site = "site_id" if "site_id" in columns else "null::varchar"
    return (
        f"select '{table}' as table_name, source_file, line_number, patient_id, {row_site} as row_site_id, "
        f"column_name, reason as message, {value} as value, {key} as key_values "
        f"from quarantine.{_quote(table)}"
    )


def relation_exists(con: duckdb.DuckDBPyConnection, qualified: str, database: str | None = None) -> bool:
    schema, name = qualified.split(".", 1)
    query = "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?"
    params: list[object] = [schema, name]
    view_query = "select count(*) from duckdb_views() where schema_name = ? and view_name = ?"
    if database is not None:
        query += " and database_name = ?"
        view_query += " and database_name = ?"
        params.append(database)
    found = con.execute(query, params).fetchone()
    views = con.execute(view_query, params).fetchone()
    return bool((found and found[0]) or (views and views[0]))


def create_current_findings(con: duckdb.DuckDBPyConnection, target: str = "_feedback_current") -> int:
    """Create temp table `target` with this export's findings (no status yet); return its row count."""
    errors = " union all ".join(
        _quarantine_select(t) for t in TABLES if relation_exists(con, f"quarantine.{t}")
    ) or (
        "select null::varchar as table_name, null::varchar as source_file, null::bigint as line_number, "
        "null::varchar as patient_id, null::varchar as row_site_id, null::varchar as column_name, "
        "null::varchar as message, null::varchar as value, null::varchar as key_values where false"
    )
    if relation_exists(con, WARNINGS_RELATION):
        warnings = (
            "select w.table_name, w.source_file, w.line_number, w.patient_id, w.site_id as row_site_id, "
            "w.column_name, r.description as message, w.value, w.key_values, w.rule_id, r.severity "
            f"from {WARNINGS_RELATION} as w inner join {RULES_RELATION} as r using (rule_id)"
        )
    else:
        warnings = (
            "select null::varchar as table_name, null::varchar as source_file, null::bigint as line_number, "
            "null::varchar as patient_id, null::varchar as row_site_id, null::varchar as column_name, "
            "null::varchar as message, null::varchar as value, null::varchar as key_values, "
            "null::varchar as rule_id, null::varchar as severity where false"
        )
    has_files = relation_exists(con, "audit.export_loads")
    file_of_table = (
        "(select min(l.file) from audit.export_loads as l "
        "where lower(split_part(l.file, '.', 1)) = f.table_name)"
        if has_files
        else "null"
    )
    con.execute(
        f"""
        create or replace temp table {target} as
        with raw_sites as (
            select patient_id, any_value(site_id) as site_id from raw.patients group by patient_id
        ),
        quarantined_sites as (
            -- a patient whose every patients row was quarantined (e.g. a duplicate id): their site when
            -- all copies name the same one, else none (then no site page names the patient)
            select patient_id, min(site_id) as site_id
            from quarantine.patients
            where patient_id is not null
            group by patient_id
            having count(distinct site_id) = 1 and count(site_id) = count(*)
        ),
        errors as ({errors}),
        all_findings as (
            select e.*, 'quarantined' as rule_id, 'error' as severity from errors as e
            union all by name
            select * from ({warnings})
        ),
        f as (
            select
                a.*,
                row_number() over (
                    partition by a.rule_id, a.table_name, a.key_values order by a.line_number, a.patient_id
                ) as occurrence
            from all_findings as a
        )
        select
            (select export_id from raw.export_manifest limit 1) as export_id,
            coalesce(f.row_site_id, rs.site_id, qs.site_id) as site_id,
            f.patient_id,
            coalesce(f.source_file, {file_of_table}, f.table_name || '.csv') as source_file,
            f.line_number,
            f.table_name,
            f.column_name,
            f.rule_id,
            f.severity,
            f.message,
            f.value,
            sha256(
                concat_ws(chr(31), f.rule_id, f.table_name, coalesce(f.key_values, ''), f.occurrence::varchar)
            )[1:{FINGERPRINT_HEX}] as fingerprint
        from f
        left join raw_sites as rs on rs.patient_id = f.patient_id
        left join quarantined_sites as qs on qs.patient_id = f.patient_id
        """
    )
    row = con.execute(f"select count(*) from {target}").fetchone()
    return int(row[0]) if row else 0
