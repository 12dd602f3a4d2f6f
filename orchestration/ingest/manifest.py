"""Read and check `manifest.json`: fields, schema version, and which file holds which table."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.contract.tables import SCHEMA_VERSION, TABLES
from orchestration.ingest.archive import MANIFEST_NAME
from orchestration.ingest.errors import ExportError

_REQUIRED_FIELDS = ("schema_version", "registry", "export_id", "exported_at", "data_cutoff", "files")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class FileEntry:
    file: str  # file name as listed in the manifest, e.g. "patients.csv"
    table: str
    format: str  # "csv" or "parquet"
    sha256: str
    rows: int


@dataclass(frozen=True)
class Manifest:
    export_id: str
    registry: str
    schema_version: str
    exported_at: datetime  # naive UTC
    data_cutoff: date
    files: dict[str, FileEntry]  # by table name
    ignored_files: tuple[str, ...]  # listed but not a table of the contract


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise ExportError(f"{MANIFEST_NAME}: missing in the export")
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:  # deep nesting
        raise ExportError(f"{MANIFEST_NAME}: unreadable ({e})") from None
    if not isinstance(doc, dict):
        raise ExportError(f"{MANIFEST_NAME}: expected a JSON object")
    missing = [f for f in _REQUIRED_FIELDS if f not in doc or doc[f] in (None, "")]
    if missing:
        raise ExportError(f"{MANIFEST_NAME}: missing field(s) {', '.join(missing)}")
    version = str(doc["schema_version"])
    if version != SCHEMA_VERSION:
        raise ExportError(
            f"{MANIFEST_NAME}: unknown schema_version {version!r}; this warehouse reads {SCHEMA_VERSION!r}"
        )
    for key in ("registry", "export_id"):
        if not isinstance(doc[key], str):
            raise ExportError(f"{MANIFEST_NAME}: field {key} must be text")
    exported_at = _parse_timestamp(doc["exported_at"])
    data_cutoff = _parse_date(doc["data_cutoff"])
    files, ignored = _parse_files(doc["files"])
    return Manifest(
        export_id=doc["export_id"],
        registry=doc["registry"],
        schema_version=version,
        exported_at=exported_at,
        data_cutoff=data_cutoff,
        files=files,
        ignored_files=tuple(ignored),
    )


def _parse_timestamp(value: object) -> datetime:
    try:
        ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"{MANIFEST_NAME}: exported_at {value!r} is not an ISO timestamp") from None
    # Stored as naive UTC (DuckDB TIMESTAMP); a timestamp without offset is taken as UTC already.
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo is not None else ts


def _parse_date(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ExportError(f"{MANIFEST_NAME}: data_cutoff {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _parse_files(files: object) -> tuple[dict[str, FileEntry], list[str]]:
    if not isinstance(files, dict):
        raise ExportError(f"{MANIFEST_NAME}: field files must be an object of file name -> {{sha256, rows}}")
    out: dict[str, FileEntry] = {}
    ignored: list[str] = []
    for name, meta in files.items():
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ExportError(f"{MANIFEST_NAME}: file name {name!r} must be a plain file name")
        stem, _, ext = name.rpartition(".")
        table, fmt = stem.strip().lower(), ext.lower()
        if table not in TABLES or fmt not in ("csv", "parquet"):
            ignored.append(name)
            continue
        if table in out:
            raise ExportError(f"{MANIFEST_NAME}: table {table} listed twice ({out[table].file} and {name})")
        if not isinstance(meta, dict) or "sha256" not in meta or "rows" not in meta:
            raise ExportError(f"{MANIFEST_NAME}: entry for {name} needs sha256 and rows")
        sha, rows = meta["sha256"], meta["rows"]
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ExportError(f"{MANIFEST_NAME}: sha256 of {name} is not a 64-digit hex digest")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise ExportError(f"{MANIFEST_NAME}: rows of {name} is not a non-negative whole number")
        out[table] = FileEntry(file=name, table=table, format=fmt, sha256=sha.lower(), rows=rows)
    return out, ignored
