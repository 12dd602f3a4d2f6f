"""What every table outside dbt is, and what its columns mean: raw, quarantine, audit and analysis.

dbt's models and seeds are described in their YAML; these are the other tables, named from the lists
the code writes (the contract's tables, ingestion's audit tables, `analysis.ANALYSIS_TABLES`). The same
descriptions label the Dagster assets, become DuckDB COMMENTs in the warehouse and fill
`docs/data-dictionary.md`, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.analysis.build import ANALYSIS_TABLES
from orchestration.contract.tables import TABLES


def _audit_tables_written() -> tuple[str, ...]:
    """The audit tables ingestion writes, read from its code (`write_table(con, "audit.<name>", ...)`),
    plus the REDCap import's, so a new one becomes an asset and a dictionary entry by itself."""
    import orchestration.ingest as ingest_package

    found: list[str] = []
    for path in sorted(Path(ingest_package.__file__).parent.glob("*.py")):
        for name in re.findall(r'"audit\.([a-z_]+)"', path.read_text(encoding="utf-8")):
            if name not in found:
                found.append(name)
    return (*found, "redcap_imports")


AUDIT_INGEST_TABLES = _audit_tables_written()

# every table ingestion writes, in the order of the Dagster graph
INGEST_TABLES: tuple[tuple[str, str], ...] = (
    ("raw", "export_manifest"),
    *(("raw", name) for name in TABLES),
    *(("quarantine", name) for name in TABLES),
    *(("audit", name) for name in AUDIT_INGEST_TABLES),
)
# written when a run publishes
PUBLISH_TABLES: tuple[tuple[str, str], ...] = (("audit", "runs"),)
# written by the feedback step (orchestration/feedback) before publish
FEEDBACK_TABLES: tuple[tuple[str, str], ...] = (("audit", "dq_findings"), ("audit", "changes"))
PUBLISH_VIEWS: tuple[tuple[str, str], ...] = (("audit", "current_run"),)

_RAW_TABLE = {
    "patients": "Patients as exported (consenting only): demographics, diagnosis, Gleason score.",
    "performance_status": "ECOG performance status assessments as exported.",
    "prior_therapies": "Therapies before RLT as exported, one row per therapy line.",
    "metastases": "Metastatic sites as exported, one row per site and assessment.",
    "rlt_cycles": "RLT administrations as exported: date, radioligand, activity in the exported unit.",
    "lab_results": "Lab values as exported, typed, in the exported unit (canonical units come in staging).",
    "adverse_events": "Clinical adverse events as exported, with CTCAE grade.",
    "vital_status": "Vital status as exported: death date or last date known alive.",
}

_TABLES: dict[tuple[str, str], str] = {
    ("raw", "export_manifest"): "The loaded export's manifest: export id, registry, schema version, "
    "export time and data cut-off (one row).",
    **{("raw", name): text for name, text in _RAW_TABLE.items()},
    **{
        ("quarantine", name): f"Rows of {name} set aside by validation, values as exported (contract columns "
        "only) with the column at fault and the reason."
        for name in TABLES
    },
    ("audit", "export_loads"): "One row per loaded file: checksum and rows read, loaded, quarantined, "
    "duplicate, excluded for consent, after the cut-off.",
    ("audit", "quarantine_summary"): "Quarantined rows counted per file and reason.",
    ("audit", "unknown_columns"): "Columns found in an export file outside the export contract: names "
    "only, never values (they are not loaded).",
    ("audit", "consent_exclusions"): "Rows excluded for consent, counted per file and consent value "
    "(the rows themselves are never stored).",
    ("audit", "dq_findings"): "Data-quality findings of this export (quarantined rows and rule warnings), "
    "each new, open or resolved against the previous published export.",
    ("audit", "changes"): "What changed per patient since the previous published export.",
    ("audit", "redcap_imports"): "One row per REDCap export imported on the way in: counts per table, "
    "missing-data codes, forms not started, issues per field and reason (never record ids or values).",
    ("audit", "runs"): "One row per published refresh: export, data cut-off, settings, code version; "
    "the view audit.current_run is the run this warehouse holds.",
    ("audit", "current_run"): "The run this warehouse holds: the last row of audit.runs by finished_at.",
    ("analysis", "km_curve"): "Kaplan–Meier survival per cohort and endpoint (PFS, OS) at every event "
    "time, with the log-log 95 % CI.",
    ("analysis", "km_risk_table"): "Number at risk, cumulative events and censorings on a 3-month grid per "
    "cohort and endpoint.",
    ("analysis", "km_summary"): "Median PFS and OS per cohort (R's midpoint rule) with the log-log 95 % CI.",
    ("analysis", "lab_before_after"): "Lab means before and after RLT per cohort and analyte: paired t, "
    "Shapiro–Wilk of the differences, Wilcoxon.",
    ("analysis", "cohort_comparison"): "Log-rank test of PFS and OS between disjoint cohort pairs.",
    ("analysis", "psa_response_summary"): "PSA response per cohort: PR/SD/PD/not evaluable counts, PSA50, "
    "PSA90, and the PSA change's mean ± SD, median and range.",
    ("analysis", "table1"): "Table 1 (baseline characteristics) per cohort, as printed in the reports.",
    ("analysis", "km_summary_by_definition"): "Median PFS per cohort under each PSA progression rule (pcwg3, "
    "rise25); is_selected marks the rule of this run's settings.",
    ("analysis", "psa_response_by_basis"): "PSA response counts per cohort under each response basis (best, "
    "last, week12); is_selected marks the basis of this run's settings.",
    ("analysis", "table1_comparison"): "Table 1 of two cohorts side by side, with the test and p-value per "
    "characteristic (pairs from seeds/cohort_comparisons.csv).",
    ("analysis", "response_comparison"): "PR/SD/PD and PSA50 among the evaluable patients of two cohorts, "
    "with the test and p-value per measure (pairs from seeds/cohort_comparisons.csv).",
}

_COLUMNS: dict[str, str] = {
    "patient_id": "Registry patient identifier (a pseudonym PS-… when RLT_PSEUDONYM_KEY is set).",
    "site_id": "Treating site.",
    "export_id": "Identifier of the export the row came from (manifest.json).",
    "source_file": "File of the export the row came from.",
    "line_number": "Line in that file (header = line 1; for Parquet, row index + 1).",
    "after_cutoff": "True when an event date lies after the data cut-off (loaded, ignored by the marts).",
    "column_name": "Column at fault (quarantine) or the unknown column's name (audit).",
    "reason": "Why the row was set aside.",
    "value_text": "The lab value as exported, before parsing.",
    "value_qualifier": "'<' or '>' when the value was exported as a bound, else null.",
    "file": "Export file name.",
    "sha256": "SHA-256 of the file as loaded (equal to the manifest's).",
    "rows_read": "Data rows in the file.",
    "rows_loaded": "Rows loaded into raw.",
    "rows_quarantined": "Rows set aside in quarantine.",
    "rows_duplicate": "Exact duplicate rows dropped.",
    "rows_excluded_consent": "Rows of patients without consent: counted, never stored.",
    "rows_after_cutoff": "Loaded rows dated after the data cut-off (a subset of rows_loaded).",
    "loaded_at": "When the file was loaded.",
    "n_rows": "Number of rows.",
    "registry": "Registry name from the manifest.",
    "schema_version": "Export contract version from the manifest.",
    "exported_at": "When the registry wrote the export.",
    "data_cutoff": "Data cut-off of the export: nothing dated after it counts.",
    "started_at": "When the refresh run started.",
    "finished_at": "When the run was published.",
    "code_version": "Package version + digest of the code, dbt project and seeds that built it.",
    "settings": "Clinical settings of the run (JSON), as passed to dbt.",
    "export_fingerprint": "Digest of the export's id and file checksums.",
    "pseudonym_key_id": "Non-secret id of the pseudonym key (null without pseudonymisation).",
    "cohort": "Cohort name (seeds/cohorts.csv).",
    "cohort_a": "First cohort of the pair.",
    "cohort_b": "Second cohort of the pair.",
    "endpoint": "pfs or os.",
    "time_months": "Months since t0 (days / 30.4375).",
    "survival": "Kaplan–Meier survival probability.",
    "ci_lower": "Lower bound of the 95 % CI (log-log).",
    "ci_upper": "Upper bound of the 95 % CI (log-log).",
    "at_risk": "Patients at risk.",
    "events": "Events.",
    "censored": "Censorings at this time.",
    "cum_events": "Events up to this time.",
    "cum_censored": "Censorings up to this time.",
    "n": "Patients.",
    "median_months": "Median survival in months (null when not reached).",
    "median_ci_lower": "Lower 95 % CI of the median.",
    "median_ci_upper": "Upper 95 % CI of the median (null when not reached).",
    "ci_method": "How the CI was computed.",
    "analyte": "Lab analyte.",
    "n_pairs": "Patients with a value before and after.",
    "logrank_statistic": "Log-rank chi-square statistic (1 df).",
    "p_logrank": "Log-rank p-value.",
    "response_basis": "PSA change the response is judged on (setting psa_response_basis).",
    "n_pr": "Partial responses (PSA fall ≥ 50 %).",
    "n_sd": "Stable disease.",
    "n_pd": "Progressive disease (PSA rise ≥ 25 %).",
    "n_not_evaluable": "Patients without a baseline or follow-up PSA.",
    "n_psa50": "Patients with a PSA fall ≥ 50 %.",
    "n_psa90": "Patients with a PSA fall ≥ 90 %.",
    "n_with_change": "Patients with a PSA change.",
    "section": "Table 1 section.",
    "characteristic": "Table 1 row.",
    "statistic": "Value as printed (e.g. 70 (47–84) or 13 (72.2)).",
    "value_numeric": "The statistic's number, for sorting and plotting.",
    "t_statistic": "Paired t statistic of after - before.",
    "events_psa_progression": "Events that are PSA progressions.",
    "events_death": "Events that are deaths.",
    "psa_progression_rule": "PSA progression rule (pcwg3 or rise25).",
    "table_name": "Contract table of the finding.",
    "rule_id": "Data-quality rule (seeds/dq_rules.csv).",
    "severity": "error (the row was quarantined) or warning (loaded, needs a look).",
    "message": "What is wrong, in words.",
    "value": "The value at fault as exported (contract columns only).",
    "fingerprint": "Identifies the same problem in the next export.",
    "status": "new, open or resolved.",
    "first_seen_export_id": "Export in which the finding first appeared.",
    "previous_export_id": "The previous published export compared with.",
    "item": "What changed (patient_added, cohort, response_category, pfs_event, ...).",
    "detail": "Which one (e.g. the cohort or CTCAE term).",
    "old_value": "Value in the previous export.",
    "new_value": "Value in this export.",
    "consent_value": "The consent column's value as exported (anything but an explicit yes excludes).",
    "source": "The REDCap export the contract export was imported from.",
    "records": "REDCap records read.",
    "rows_per_table": "Rows written per contract table (JSON).",
    "missing_codes": "Missing-data codes met, per field (JSON).",
    "not_started": "Forms never started, per form (JSON).",
    "none_ticked": "Checkbox groups with no box ticked, per field (JSON).",
    "fields_not_written": "REDCap fields the mapping does not write (JSON).",
    "issues": "Rows set aside, per field and reason (JSON).",
    "is_selected": "True for the rule or basis of this run's clinical settings.",
    "hazard_ratio": "Cox hazard ratio of cohort_a relative to cohort_b (Efron ties).",
    "hr_ci_lower": "Lower 95 % CI of the hazard ratio.",
    "hr_ci_upper": "Upper 95 % CI of the hazard ratio.",
    "p_wald": "Wald test p-value of the hazard ratio.",
    "hr_note": "Why the hazard ratio is null, when it is.",
    "n_evaluable": "Patients with a baseline and a follow-up PSA.",
    "statistic_a": "The characteristic in cohort_a, as printed.",
    "statistic_b": "The characteristic in cohort_b, as printed.",
    "test": "Test used for the comparison.",
    "p_value": "p-value of the comparison.",
    "row_order": "Position of the row in the printed table.",
    "measure": "What is compared: response (PR/SD/PD) or psa50 (PSA50 against no PSA50).",
    "category": "Response category (PR, SD, PD) or PSA50.",
    "n_a": "Evaluable patients of cohort_a in the category.",
    "n_b": "Evaluable patients of cohort_b in the category.",
    "n_evaluable_a": "Evaluable patients (PR + SD + PD) of cohort_a.",
    "n_evaluable_b": "Evaluable patients (PR + SD + PD) of cohort_b.",
    "note": "Why the test and p-value are null, when they are.",
    "indent": "Indentation level of the row as printed (0 = heading).",
    "percent": "Percentage of the cohort (categorical rows), else null.",
}
_COLUMN_PREFIXES = (
    ("age_at_", "Patient's age in full years (derived at ingestion; no birth date is stored) on the"),
    ("mean_", "Mean"),
    ("sd_", "Standard deviation"),
    ("min_", "Minimum"),
    ("max_", "Maximum"),
    ("median_", "Median"),
    ("p_", "p-value:"),
)


def table_description(schema: str, name: str) -> str:
    """The table's description; the contract's column list for a raw table without one of its own."""
    return _TABLES.get((schema, name), "")


def column_description(schema: str, table: str, column: str) -> str:
    """A column's description by name (shared by raw and quarantine), else by its prefix, else ''."""
    if column in _COLUMNS:
        return _COLUMNS[column]
    if schema in ("raw", "quarantine") and table in TABLES and column in TABLES[table].column_names:
        kind = "as exported (text)" if schema == "quarantine" else "typed, in the exported unit"
        return f"Contract column {table}.{column}, {kind} (export-contract.md)."
    for prefix, label in _COLUMN_PREFIXES:
        if column.startswith(prefix):
            rest = column[len(prefix) :].replace("_", " ")
            return f"{label} {rest}."
    return ""


def analysis_tables() -> tuple[str, ...]:
    """The analysis tables, in the order the statistics write them."""
    return tuple(ANALYSIS_TABLES)
