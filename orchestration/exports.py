"""Identify an export by its content, for skip-if-published and the inbox sensor.

Validation of the manifest and files is ingestion's job; this reads `manifest.json` and hashes the files
it lists (hashing is fast next to a refresh). The fingerprint covers the whole manifest (export_id,
data_cutoff, exported_at, declared checksums and row counts, …) and every file's *real* checksum, so a
corrected manifest or a file edited after publish is never taken for the export already published. An
export is `complete` when every listed file exists and matches its declared checksum: the sensor waits
for that, so a folder still being copied into the inbox is not picked up half-way.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MANIFEST = "manifest.json"
_MAX_MANIFEST_BYTES = 10 * 2**20
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportRef:
    path: Path
    export_id: str
    fingerprint: str
    # None when every listed file is present and matches its declared sha256; else why not (for the sensor)
    incomplete: str | None = None

    @property
    def complete(self) -> bool:
        return self.incomplete is None


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _export_files(path: Path) -> Iterator[tuple[bytes, Callable[[str], str | None]] | None]:
    """(manifest bytes, real-sha256-of(name)) of a folder or zip export; None when it has no manifest.

    In a zip the manifest may sit in one top-level folder, as ingestion accepts; listed files are looked
    up beside it. A file that is absent (or not a regular file) hashes to None."""
    if path.is_dir():
        manifest = path / MANIFEST
        if not manifest.is_file():
            subs = [d for d in path.iterdir() if d.is_dir() and (d / MANIFEST).is_file()]
            if len(subs) != 1:
                yield None
                return
            path, manifest = subs[0], subs[0] / MANIFEST
        root = path

        def folder_sha(name: str) -> str | None:
            target = root / name
            if target.is_symlink() or not target.is_file():
                return None
            try:
                with open(target, "rb") as f:
                    return _sha256(f)
            except OSError:
                return None

        yield manifest.read_bytes(), folder_sha
        return
    if path.suffix.lower() != ".zip" or not path.is_file():
        yield None
        return
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if PurePosixPath(n).name == MANIFEST]
            if len(names) != 1 or zf.getinfo(names[0]).file_size > _MAX_MANIFEST_BYTES:
                yield None
                return
            prefix = names[0][: -len(MANIFEST)]
            members = set(zf.namelist())

            def zip_sha(name: str) -> str | None:
                member = prefix + name
                if member not in members:
                    return None
                try:
                    with zf.open(member) as f:
                        return _sha256(f)
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
                    return None

            yield zf.read(names[0]), zip_sha
    except (zipfile.BadZipFile, OSError):
        yield None


def identify_export(path: Path) -> ExportRef | None:
    """ExportRef for a folder or zip holding a readable manifest (or a REDCap export), else None."""
    try:
        with _export_files(path) as found:
            if found is None:
                return _redcap(path)
            raw, real_sha = found
            try:
                manifest = json.loads(raw.decode("utf-8-sig"))
                export_id = str(manifest["export_id"])
                files = manifest["files"]
                declared = {str(n): str(meta.get("sha256", "")).lower() for n, meta in files.items()}
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                return None
            real = {name: real_sha(name) for name in sorted(declared)}
    except OSError:
        return None
    missing = [n for n, sha in real.items() if sha is None]
    differing = [n for n, sha in real.items() if sha is not None and sha != declared[n]]
    incomplete = None
    if missing:
        incomplete = f"missing {', '.join(missing)}"
    elif differing:
        incomplete = f"checksum differs from the manifest: {', '.join(differing)}"
    try:
        canonical = json.dumps({"manifest": manifest, "files": real}, sort_keys=True, ensure_ascii=True)
    except (ValueError, RecursionError):
        return None
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return ExportRef(path=path, export_id=export_id, fingerprint=digest, incomplete=incomplete)


def _redcap(path: Path) -> ExportRef | None:
    """A REDCap export has no manifest: its identity is already the checksum of the files it reads."""
    from orchestration.redcap.inbox import redcap_identity  # imported on the way in (registry_raw)

    identity = redcap_identity(path)
    return None if identity is None else ExportRef(path, *identity)


def list_inbox(inbox: Path) -> list[ExportRef]:
    """Exports (folders or zips with a manifest) in the inbox, oldest first by modification time.

    Names starting with '.' are skipped: that is where a copy in progress lives before its final rename."""
    if not inbox.is_dir():
        return []
    refs = [
        ref for p in inbox.iterdir() if not p.name.startswith(".") and (ref := identify_export(p)) is not None
    ]
    return sorted(refs, key=lambda r: (r.path.stat().st_mtime, r.path.name))
