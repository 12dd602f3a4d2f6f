"""A REDCap export arriving where registry exports arrive (the inbox, `rlt refresh`): recognised by its
files, imported on the way in, its import summary recorded in `audit.redcap_imports`.

No Dagster here: `orchestration.exports` asks `redcap_identity`, the ingest asset calls `imported` and
`record_import`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from orchestration.redcap.importer import import_redcap
from orchestration.redcap.project import MAPPING, is_redcap_export, redcap_files
from orchestration.redcap.summary import ImportSummary

AUDIT_TABLE = "audit.redcap_imports"


def redcap_identity(path: Path) -> tuple[str, str] | None:
    """(export_id, fingerprint) of a REDCap export folder or zip, else None. The export id is the folder's
    (or zip's) name, as the import names it; the fingerprint is the checksum of the files it reads."""
    path = Path(path)
    if not is_redcap_export(path):
        return None
    digest = hashlib.sha256()
    files = [path] if path.is_file() else redcap_files(path)
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as f:
            for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                digest.update(chunk)
    export_id = path.stem if path.is_file() else path.name
    return export_id, digest.hexdigest()


@contextlib.contextmanager
def imported(export: Path, beside: Path) -> Iterator[tuple[Path, ImportSummary | None]]:
    """(export to load, import summary): a registry export as it is; a REDCap export imported into an
    owner-only temporary folder beside `beside` (the warehouse), removed afterwards."""
    if not is_redcap_export(export):
        yield export, None
        return
    beside.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".redcap-import-", dir=beside.parent) as tmp:  # mode 0700
        out = Path(tmp) / "export"
        own = export / MAPPING if export.is_dir() else None
        summary = import_redcap(export, out, mapping=own if own is not None and own.is_file() else None)
        yield out, summary


def record_import(con: duckdb.DuckDBPyConnection, summary: ImportSummary) -> None:
    """One row in audit.redcap_imports: counts per table, missing codes per field, issues per field and
    reason. No record ids and no values (a value of a mapped field can be a birth date)."""
    record = summary.audit_record()
    con.execute("create schema if not exists audit")
    con.execute(
        f"""create table if not exists {AUDIT_TABLE} (
            export_id varchar, source varchar, records integer, rows_per_table json, missing_codes json,
            not_started json, none_ticked json, fields_not_written json, issues json)"""
    )
    con.execute(
        f"insert into {AUDIT_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record["export_id"],
            record["source"],
            record["records"],
            *(
                json.dumps(record[k])
                for k in (
                    "rows",
                    "missing_codes",
                    "not_started",
                    "none_ticked",
                    "fields_not_written",
                    "issues",
                )
            ),
        ],
    )
