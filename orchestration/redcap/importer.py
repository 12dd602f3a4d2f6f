"""`rlt import-redcap`: a REDCap project export (folder or zip) -> an export that follows the contract."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from orchestration.contract.tables import SCHEMA_VERSION, TABLES
from orchestration.redcap.convert import Row, convert
from orchestration.redcap.mapping import Mapping, RedcapError, load_mapping
from orchestration.redcap.project import open_folder, read_project
from orchestration.redcap.summary import ImportSummary

SUMMARY_FILE = "redcap_import.json"  # beside manifest.json: the summary's counts, for audit.redcap_imports


def import_redcap(
    source: Path,
    out: Path,
    *,
    mapping: Mapping | Path | None = None,
    export_id: str | None = None,
    data_cutoff: str | None = None,
    exported_at: str | None = None,
    registry: str | None = None,
) -> ImportSummary:
    """Read the REDCap export at `source`, write a contract export into `out` (owner-only), return the
    summary. Raises RedcapError (MappingError) only when nothing sensible can be written."""
    source = Path(source)
    out = Path(out)
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    exported = _timestamp(exported_at) if exported_at else None
    cutoff = _date(data_cutoff) if data_cutoff else None
    with open_folder(source) as folder:
        project = read_project(folder, source)
        summary = ImportSummary(
            export_id=export_id or (source.stem if source.suffix.lower() == ".zip" else source.name),
            source=source.name,
        )
        tables = convert(project, mapping, summary)
    exported = exported or project.newest_file or dt.datetime.now(dt.UTC).replace(microsecond=0)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "registry": registry or mapping.registry,
        "export_id": summary.export_id,
        "exported_at": exported.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_cutoff": (cutoff or exported.date()).isoformat(),
        "files": {},
    }
    write_export(out, tables, manifest, summary)
    return summary


def write_export(out: Path, tables: dict[str, list[Row]], manifest: dict, summary: ImportSummary) -> None:
    """One CSV per table (contract columns only, in contract order), manifest.json with checksums and
    row counts, and the summary's counts; directory 0700, files 0600 (health data)."""
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    for stale in [*(out / f"{t}.csv" for t in TABLES), out / "manifest.json", out / SUMMARY_FILE]:
        stale.unlink(missing_ok=True)
    files = {}
    for table, rows in tables.items():
        path = out / f"{table}.csv"
        columns = TABLES[table].column_names
        with _private(path) as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([["" if row[c] is None else row[c] for c in columns] for row in rows])
        files[path.name] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "rows": len(rows)}
    manifest["files"] = files
    with _private(out / SUMMARY_FILE) as f:
        json.dump(summary.audit_record(), f, indent=2, ensure_ascii=False)
        f.write("\n")
    with _private(out / "manifest.json") as f:  # last: a folder with a manifest is complete
        json.dump(manifest, f, indent=2)
        f.write("\n")


def _private(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RedcapError(f"--exported-at {text!r}: not an ISO timestamp like 2024-09-16T02:00:00Z") from None
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RedcapError(f"--data-cutoff {text!r}: not a date like 2024-09-15") from None
