"""Identify an export cheaply (manifest only), for skip-if-published and the inbox sensor.

Validation of the manifest and files is ingestion's job; this only reads `manifest.json` to name an
export and fingerprint its content (the files' checksums as the manifest declares them).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class ExportRef:
    path: Path
    export_id: str
    fingerprint: str


def _manifest_bytes(path: Path) -> bytes | None:
    if path.is_dir():
        manifest = path / "manifest.json"
        return manifest.read_bytes() if manifest.is_file() else None
    if path.suffix.lower() == ".zip" and path.is_file():
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if PurePosixPath(n).name == "manifest.json"]
                if len(names) != 1 or zf.getinfo(names[0]).file_size > 10 * 2**20:
                    return None
                return zf.read(names[0])
        except (zipfile.BadZipFile, OSError):
            return None
    return None


def identify_export(path: Path) -> ExportRef | None:
    """ExportRef for a folder or zip holding a readable manifest (or a REDCap export), else None."""
    raw = _manifest_bytes(path)
    if raw is None:
        from orchestration.redcap.inbox import redcap_identity  # imported on the way in (registry_raw)

        identity = redcap_identity(path)
        return None if identity is None else ExportRef(path, *identity)
    try:
        manifest = json.loads(raw.decode("utf-8-sig"))
        export_id = str(manifest["export_id"])
        files = manifest["files"]
        checksums = sorted((str(name), str(meta.get("sha256", ""))) for name, meta in files.items())
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    digest = hashlib.sha256(json.dumps([export_id, checksums]).encode()).hexdigest()
    return ExportRef(path=path, export_id=export_id, fingerprint=digest)


def list_inbox(inbox: Path) -> list[ExportRef]:
    """Exports (folders or zips with a manifest) in the inbox, oldest first by modification time."""
    if not inbox.is_dir():
        return []
    refs = [ref for p in inbox.iterdir() if (ref := identify_export(p)) is not None]
    return sorted(refs, key=lambda r: (r.path.stat().st_mtime, r.path.name))
