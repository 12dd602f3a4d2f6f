"""The data dictionary: every analyst-facing table and column with its description, from one source.

dbt models and seeds are described in their YAML (read from the parsed manifest); raw, quarantine, audit
and analysis tables in `orchestration.catalog`. The same entries become DuckDB COMMENTs in every build
before publish (`comment_build`) and the page `docs/data-dictionary.md` (`python -m
orchestration.dictionary` rewrites it; a test fails when it is stale).
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.analysis.build import ANALYSIS_TABLES
from orchestration.catalog import (
    FEEDBACK_TABLES,
    INGEST_TABLES,
    PUBLISH_TABLES,
    PUBLISH_VIEWS,
    column_description,
    table_description,
)
from orchestration.code_version import PROJECT_ROOT
from orchestration.contract.tables import MANIFEST_COLUMNS, TABLES, quarantine_columns, raw_columns

DICTIONARY_PATH = PROJECT_ROOT / "docs" / "data-dictionary.md"
# the schemas analysts read, in the order the page lists them
DICTIONARY_SCHEMAS = ("marts", "analysis", "audit", "quarantine", "raw")


@dataclass(frozen=True)
class TableEntry:
    schema: str
    name: str
    description: str
    columns: tuple[tuple[str, str], ...]  # (column, description)


def _audit_columns(name: str) -> list[str]:
    """Columns of an audit table, from the constant its writer uses (`loader.<NAME>_COLUMNS`)."""
    from orchestration.ingest import loader
    from orchestration.publish import RUN_COLUMNS

    if name == "redcap_imports":
        from orchestration.redcap.inbox import AUDIT_COLUMNS

        return [c for c, _ in AUDIT_COLUMNS]
    if name == "dq_findings":
        from orchestration.feedback.findings import FINDING_COLUMNS

        return [c for c, _ in FINDING_COLUMNS]
    if name == "changes":
        from orchestration.feedback.changes import CHANGE_COLUMNS

        return [c for c, _ in CHANGE_COLUMNS]
    if name in ("runs", "current_run"):
        return list(RUN_COLUMNS)
    return [c for c, _ in getattr(loader, f"{name.upper()}_COLUMNS", [])]


def _columns_of(schema: str, name: str) -> list[str]:
    if (schema, name) == ("raw", "export_manifest"):
        return [c for c, _ in MANIFEST_COLUMNS]
    if schema == "raw":
        return [c for c, _ in raw_columns(TABLES[name])]
    if schema == "quarantine":
        return [c for c, _ in quarantine_columns(TABLES[name])]
    if schema == "audit":
        return _audit_columns(name)
    if schema == "analysis":
        return [c for c, _ in ANALYSIS_TABLES[name]]
    return []


def python_entries() -> list[TableEntry]:
    """Tables written by ingestion, the statistics and publish, with their columns' descriptions."""
    tables = [
        *INGEST_TABLES,
        *(("analysis", name) for name in ANALYSIS_TABLES),
        *FEEDBACK_TABLES,
        *PUBLISH_TABLES,
        *PUBLISH_VIEWS,
    ]
    return [
        TableEntry(
            schema,
            name,
            table_description(schema, name),
            tuple((c, column_description(schema, name, c)) for c in _columns_of(schema, name)),
        )
        for schema, name in tables
    ]


def dbt_entries(manifest: dict) -> list[TableEntry]:
    """dbt models and seeds with the descriptions of their YAML."""
    entries = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        schema = node.get("config", {}).get("schema") or node["schema"]
        columns = tuple((c["name"], c.get("description") or "") for c in node.get("columns", {}).values())
        entries.append(
            TableEntry(schema, node.get("alias") or node["name"], node.get("description", ""), columns)
        )
    return entries


def load_manifest() -> dict:
    from orchestration.dbt_runner import manifest_path

    return json.loads(manifest_path().read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=2)
def _entries_of(manifest_file: Path) -> tuple[TableEntry, ...]:
    # per parsed code version (the path names its digest): a process refreshing many times reads it once
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return tuple(sorted([*dbt_entries(manifest), *python_entries()], key=lambda e: (e.schema, e.name)))


def all_entries(manifest: dict | None = None) -> list[TableEntry]:
    if manifest is None:
        from orchestration.dbt_runner import manifest_path

        return list(_entries_of(manifest_path()))
    return sorted([*dbt_entries(manifest), *python_entries()], key=lambda e: (e.schema, e.name))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_build(con: duckdb.DuckDBPyConnection, entries: list[TableEntry]) -> int:
    """COMMENT ON every described table, view and column the build holds; returns the comments written.

    All in one transaction: about 760 comments, each its own commit (and write-ahead-log sync) otherwise."""
    present = {
        (s, t): kind
        for s, t, kind in con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
        ).fetchall()
    }
    columns = set(
        con.execute("select table_schema, table_name, column_name from information_schema.columns").fetchall()
    )
    statements: list[str] = []
    for entry in entries:
        kind = present.get((entry.schema, entry.name))
        if kind is None:
            continue
        relation = f'"{entry.schema}"."{entry.name}"'
        if entry.description:
            noun = "VIEW" if kind == "VIEW" else "TABLE"
            statements.append(f"COMMENT ON {noun} {relation} IS {_quote(entry.description.strip())}")
        for column, text in entry.columns:
            if text and (entry.schema, entry.name, column) in columns:
                statements.append(f'COMMENT ON COLUMN {relation}."{column}" IS {_quote(text.strip())}')
    if statements:
        con.execute("begin transaction")
        try:
            con.execute(";\n".join(statements))
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return len(statements)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_dictionary(entries: list[TableEntry]) -> str:
    """The Markdown page: one section per schema, one table per relation."""
    lines = [
        "# Data dictionary",
        "",
        "Generated by `uv run python -m orchestration.dictionary` from the dbt YAML and",
        "`orchestration/catalog.py`; the same text is in the warehouse as comments",
        "(`select * from duckdb_columns() where comment is not null`). Do not edit by hand.",
        "",
    ]
    for schema in DICTIONARY_SCHEMAS:
        lines += [f"## {schema}", ""]
        for entry in (e for e in entries if e.schema == schema):
            lines += [f"### {schema}.{entry.name}", "", _cell(entry.description) or "(no description)", ""]
            if entry.columns:
                lines += ["| column | description |", "|---|---|"]
                lines += [f"| `{c}` | {_cell(text)} |" for c, text in entry.columns]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    DICTIONARY_PATH.write_text(render_dictionary(all_entries()), encoding="utf-8")
    print(f"wrote {DICTIONARY_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
