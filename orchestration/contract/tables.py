"""Tables and columns of the export contract, and the typed `raw.*` tables they load into.

This is the one place that lists the contract's columns. Ingestion validates against it, the generator
writes it, and the `raw` schema (read by dbt's staging models) is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = "1.0"

ColumnType = Literal["text", "date", "int", "float", "lab_value"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    vocabulary: bool = False  # allowed values are in seeds/vocabularies.csv


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    # columns holding event dates that the data cut-off applies to
    event_date_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "patients",
            (
                Column("patient_id", "text", required=True),
                Column("site_id", "text"),
                Column("birth_date", "date", required=True),
                Column("sex", "text", required=True, vocabulary=True),
                Column("diagnosis_date", "date"),
                Column("gleason_score", "int"),
                Column("consent_data_use", "text", required=True, vocabulary=True),
            ),
            required=True,
        ),
        Table(
            "performance_status",
            (
                Column("patient_id", "text", required=True),
                Column("assessment_date", "date", required=True),
                Column("ecog", "int", required=True),
            ),
            event_date_columns=("assessment_date",),
        ),
        Table(
            "prior_therapies",
            (
                Column("patient_id", "text", required=True),
                Column("therapy", "text", required=True, vocabulary=True),
                Column("start_date", "date"),
                Column("end_date", "date"),
            ),
        ),
        Table(
            "metastases",
            (
                Column("patient_id", "text", required=True),
                Column("assessment_date", "date", required=True),
                Column("site", "text", required=True, vocabulary=True),
                Column("extent", "text", vocabulary=True),
            ),
            event_date_columns=("assessment_date",),
        ),
        Table(
            "rlt_cycles",
            (
                Column("patient_id", "text", required=True),
                Column("administration_date", "date", required=True),
                Column("radioligand", "text", required=True, vocabulary=True),
                Column("activity", "float", required=True),
                Column("activity_unit", "text", required=True),
                Column("series", "int"),
            ),
            required=True,
            event_date_columns=("administration_date",),
        ),
        Table(
            "lab_results",
            (
                Column("patient_id", "text", required=True),
                Column("sample_date", "date", required=True),
                Column("analyte", "text", required=True, vocabulary=True),
                Column("value", "lab_value", required=True),
                Column("unit", "text", required=True),
                Column("ref_low", "float"),
                Column("ref_high", "float"),
            ),
            event_date_columns=("sample_date",),
        ),
        Table(
            "adverse_events",
            (
                Column("patient_id", "text", required=True),
                Column("assessment_date", "date", required=True),
                Column("term", "text", required=True, vocabulary=True),
                Column("grade", "int", required=True),
            ),
            event_date_columns=("assessment_date",),
        ),
        Table(
            "vital_status",
            (
                Column("patient_id", "text", required=True),
                Column("last_known_alive_date", "date", required=True),
                Column("death_date", "date"),
            ),
            required=True,
            event_date_columns=("last_known_alive_date", "death_date"),
        ),
    )
}

# Lineage columns that every raw.* and quarantine.* table carries.
LINEAGE_COLUMNS = ("export_id", "source_file", "line_number")

_DUCKDB_TYPES: dict[ColumnType, str] = {
    "text": "VARCHAR",
    "date": "DATE",
    "int": "INTEGER",
    "float": "DOUBLE",
    "lab_value": "DOUBLE",
}


def raw_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of `raw.<table>`, in order.

    Values are parsed (dates as DATE, decimal commas resolved) but kept in the exported unit; unit
    conversion to canonical units happens in dbt staging. Extra columns:
    - lab_results: `value` is the parsed number (the bound for `<x`/`>x`), `value_text` the cell as
      exported, `value_qualifier` '<' or '>' or NULL. `unit` is the seed's spelling of the unit.
    - rlt_cycles: `activity_unit` is the seed's spelling of the unit.
    - every table: `after_cutoff` is true when an event date lies after the manifest's data_cutoff or
      exported_at (loaded and counted, ignored for analysis by dbt staging).
    """
    cols: list[tuple[str, str]] = []
    for c in table.columns:
        cols.append((c.name, _DUCKDB_TYPES[c.type]))
        if c.type == "lab_value":
            cols.append(("value_text", "VARCHAR"))
            cols.append(("value_qualifier", "VARCHAR"))
    cols.append(("after_cutoff", "BOOLEAN"))
    cols += [("export_id", "VARCHAR"), ("source_file", "VARCHAR"), ("line_number", "BIGINT")]
    return cols


def quarantine_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of `quarantine.<table>`: the contract's columns as exported text, the
    column at fault and the reason, plus lineage. Never any column outside the contract."""
    cols = [(c.name, "VARCHAR") for c in table.columns]
    cols += [("column_name", "VARCHAR"), ("reason", "VARCHAR")]
    cols += [("export_id", "VARCHAR"), ("source_file", "VARCHAR"), ("line_number", "BIGINT")]
    return cols


# raw.export_manifest: one row per loaded export (the one being built).
MANIFEST_COLUMNS: list[tuple[str, str]] = [
    ("export_id", "VARCHAR"),
    ("registry", "VARCHAR"),
    ("schema_version", "VARCHAR"),
    ("exported_at", "TIMESTAMP"),
    ("data_cutoff", "DATE"),
]
