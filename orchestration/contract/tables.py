"""Tables and columns of the export contract, and the typed `raw.*` tables they load into.

This is the one place that lists the contract's tables and columns, and the facts about them that
ingestion acts on (which table is required, which carries units, which dates are checked against the
birth date or the first cycle, which column is consent). Ingestion validates against it, the generator
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
    # False: read and checked at ingestion, never written anywhere in the warehouse (the birth date)
    stored: bool = True
    # another date column of the same row that this one may not precede
    not_before: str | None = None


@dataclass(frozen=True)
class Units:
    """A table whose amounts carry a unit: converted to the canonical unit (seeds/unit_conversions) and
    checked against the plausible range (seeds/plausible_ranges) at ingestion."""

    unit: str  # column holding the unit
    value: str  # column holding the amount
    range_by: str  # column whose value picks the plausible range
    quantity_column: str | None = None  # vocabulary column naming the quantity (lab analyte)
    quantity: str = ""  # the one quantity of the table when there is no quantity column


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    # columns holding event dates that the data cut-off applies to
    event_date_columns: tuple[str, ...] = ()
    # one row per patient: every other table refers to it; a repeated patient_id is quarantined
    subject: bool = False
    consent_column: str | None = None  # subject table: only an explicit yes is consent
    birth_column: str | None = None  # subject table: the birth date (checked, used for ages, never stored)
    # the earliest date per patient in this column is the patient's first cycle (a fact for other tables)
    first_cycle_column: str | None = None
    not_before_first_cycle: tuple[str, ...] = ()  # date columns that may not precede the first cycle
    # date column that may not precede the birth date; raw gets the age in full years on it
    age_on: str | None = None
    units: Units | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def age_column(self) -> str | None:
        """`age_at_<event>` in raw: the patient's age in full years on `age_on` (for dbt: age at t0,
        CKD-EPI), so that no birth date needs to be stored."""
        return f"age_at_{self.age_on.removesuffix('_date')}" if self.age_on else None

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "patients",
            (
                Column("patient_id", "text", required=True),
                Column("site_id", "text"),
                Column("birth_date", "date", required=True, stored=False),
                Column("sex", "text", required=True, vocabulary=True),
                Column("diagnosis_date", "date"),
                Column("gleason_score", "int"),
                Column("consent_data_use", "text", required=True, vocabulary=True),
            ),
            required=True,
            subject=True,
            consent_column="consent_data_use",
            birth_column="birth_date",
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
            first_cycle_column="administration_date",
            age_on="administration_date",
            units=Units(unit="activity_unit", value="activity", range_by="radioligand", quantity="activity"),
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
            age_on="sample_date",
            units=Units(unit="unit", value="value", range_by="analyte", quantity_column="analyte"),
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
                Column("death_date", "date", not_before="last_known_alive_date"),
            ),
            required=True,
            event_date_columns=("last_known_alive_date", "death_date"),
            not_before_first_cycle=("death_date",),
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


def validation_order() -> tuple[str, ...]:
    """Table names in the order ingestion validates them: the subject table (patients: consent, ids,
    birth dates) first, then the table that gives the first cycles, then the rest in contract order."""

    def stage(name: str) -> int:
        t = TABLES[name]
        return 0 if t.subject else 1 if t.first_cycle_column else 2

    return tuple(sorted(TABLES, key=stage))


def raw_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of `raw.<table>`, in order.

    Values are parsed (dates as DATE, decimal commas resolved) but kept in the exported unit; unit
    conversion to canonical units happens in dbt staging. Columns with `stored=False` (the birth date)
    are left out. Extra columns:
    - lab_results: `value` is the parsed number (the bound for `<x`/`>x`), `value_text` the cell as
      exported, `value_qualifier` '<' or '>' or NULL. `unit` is the seed's spelling of the unit.
    - rlt_cycles: `activity_unit` is the seed's spelling of the unit.
    - tables with `age_on`: `age_at_<event>` (INTEGER), the patient's age in full years on that date.
    - every table: `after_cutoff` is true when an event date lies after the manifest's data_cutoff
      (loaded and counted, ignored for analysis by dbt staging).
    """
    cols: list[tuple[str, str]] = []
    for c in table.stored_columns:
        cols.append((c.name, _DUCKDB_TYPES[c.type]))
        if c.type == "lab_value":
            cols.append(("value_text", "VARCHAR"))
            cols.append(("value_qualifier", "VARCHAR"))
    if table.age_column:
        cols.append((table.age_column, "INTEGER"))
    cols.append(("after_cutoff", "BOOLEAN"))
    cols += [("export_id", "VARCHAR"), ("source_file", "VARCHAR"), ("line_number", "BIGINT")]
    return cols


def quarantine_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of `quarantine.<table>`: the contract's stored columns as exported text (all
    null for a row whose fields cannot be assigned to columns), the column at fault and the reason, plus
    lineage. Never any column outside the contract, never a `stored=False` column (birth date)."""
    cols = [(c.name, "VARCHAR") for c in table.stored_columns]
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
