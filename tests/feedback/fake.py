"""Hand-built warehouses holding just what orchestration.feedback reads: the export's manifest, patients,
quarantine rows, the warning model's rows, the marts compared, and audit.runs (written at 'publish')."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.contract.tables import TABLES, quarantine_columns
from orchestration.feedback import build_feedback_tables

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


@dataclass
class Export:
    export_id: str
    patients: dict[str, str]  # patient_id -> site_id (loaded, consenting)
    # (table, line_number, column at fault, reason, {column: value as exported})
    quarantined: list[tuple[str, int, str, str, dict[str, str]]] = field(default_factory=list)
    # (rule_id, table, line_number, patient_id, value, key_values JSON)
    warnings: list[tuple[str, str, int | None, str, str | None, str]] = field(default_factory=list)
    cohorts: dict[str, set[str]] = field(default_factory=dict)
    response: dict[str, str] = field(default_factory=dict)
    # (patient, endpoint) -> (event, time_days)
    survival: dict[tuple[str, str], tuple[bool, int]] = field(default_factory=dict)
    # (patient, term) -> post grade
    post_grade: dict[tuple[str, str], int | None] = field(default_factory=dict)


def build(path: Path, export: Export, previous: Path | None, *, with_marts: bool = True):
    """Write `export` into a new file at `path`, run the feedback build against `previous`, and record the
    run in audit.runs as publish would. Returns the FeedbackSummary."""
    con = duckdb.connect(str(path))
    try:
        for schema in ("raw", "quarantine", "intermediate", "seeds", "marts", "audit"):
            con.execute(f"create schema {schema}")
        con.execute("create table raw.export_manifest as select ? as export_id", [export.export_id])
        con.execute("create table raw.patients (patient_id varchar, site_id varchar)")
        con.executemany("insert into raw.patients values (?, ?)", list(export.patients.items()))
        for name, table in TABLES.items():
            cols = quarantine_columns(table)
            con.execute(f"create table quarantine.{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        for table, line, column, reason, values in export.quarantined:
            row = {
                **values,
                "column_name": column,
                "reason": reason,
                "export_id": export.export_id,
                "source_file": f"{table}.csv",
                "line_number": line,
            }
            names = list(row)
            con.execute(
                f"insert into quarantine.{table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                list(row.values()),
            )
        with open(SEEDS / "dq_rules.csv", newline="") as f:
            rules = list(csv.DictReader(f))
        con.execute(
            "create table seeds.dq_rules (rule_id varchar, severity varchar, description varchar, "
            "what_to_correct varchar)"
        )
        con.executemany(
            "insert into seeds.dq_rules values (?, ?, ?, ?)",
            [(r["rule_id"], r["severity"], r["description"], r["what_to_correct"]) for r in rules],
        )
        con.execute(
            "create table intermediate.int_dq_warnings_detected (rule_id varchar, table_name varchar, "
            "source_file varchar, line_number bigint, patient_id varchar, site_id varchar, "
            "column_name varchar, value varchar, key_values varchar)"
        )
        for rule, table, line, patient, value, key in export.warnings:
            con.execute(
                "insert into intermediate.int_dq_warnings_detected values (?, ?, ?, ?, ?, ?, null, ?, ?)",
                [
                    rule,
                    table,
                    None if line is None else f"{table}.csv",
                    line,
                    patient,
                    export.patients.get(patient),
                    value,
                    key,
                ],
            )
        con.execute("create table audit.export_loads (file varchar)")
        con.executemany("insert into audit.export_loads values (?)", [[f"{t}.csv"] for t in TABLES])
        if with_marts:
            _marts(con, export)
        summary = build_feedback_tables(con, previous)
        con.execute("create table audit.runs (export_id varchar, finished_at timestamp)")
        con.execute("insert into audit.runs values (?, now())", [export.export_id])
        return summary
    finally:
        con.close()


def _marts(con: duckdb.DuckDBPyConnection, export: Export) -> None:
    # baseline PSA known for patients whose response is evaluable, baseline ECOG for none
    con.execute(
        "create table marts.dim_patient (patient_id varchar, site_id varchar, baseline_psa double, "
        "baseline_ecog integer)"
    )
    con.executemany(
        "insert into marts.dim_patient values (?, ?, ?, null)",
        [
            [p, s, None if export.response.get(p, "not_evaluable") == "not_evaluable" else 10.0]
            for p, s in export.patients.items()
        ],
    )
    con.execute("create table marts.cohort_membership (cohort varchar, patient_id varchar)")
    for cohort, members in export.cohorts.items():
        con.executemany("insert into marts.cohort_membership values (?, ?)", [[cohort, p] for p in members])
    con.execute("create table marts.fct_psa_response (patient_id varchar, response_category varchar)")
    con.executemany("insert into marts.fct_psa_response values (?, ?)", list(export.response.items()))
    con.execute(
        "create table marts.fct_survival (patient_id varchar, endpoint varchar, event boolean, time_days int)"
    )
    con.executemany(
        "insert into marts.fct_survival values (?, ?, ?, ?)",
        [[p, e, ev, t] for (p, e), (ev, t) in export.survival.items()],
    )
    con.execute("create table marts.fct_toxicity (patient_id varchar, ctcae_term varchar, post_grade int)")
    con.executemany(
        "insert into marts.fct_toxicity values (?, ?, ?)",
        [[p, term, g] for (p, term), g in export.post_grade.items()],
    )


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()
