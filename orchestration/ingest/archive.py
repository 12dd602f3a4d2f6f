"""Open an export given as a folder or as a `.zip` of that folder, extracting zips safely."""

from __future__ import annotations

import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from orchestration.ingest.errors import ExportError

MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


@contextmanager
def open_export(export_path: Path, max_unpacked_bytes: int) -> Iterator[Path]:
    """Yield the folder holding `manifest.json`; a zip is extracted to a temporary folder removed after."""
    export_path = Path(export_path)
    if export_path.is_dir():
        root = _export_root(export_path, export_path)
        _refuse_symlinks(root)
        yield root
        return
    if not export_path.is_file():
        raise ExportError(f"{export_path}: no such export folder or zip file")
    if not zipfile.is_zipfile(export_path):
        raise ExportError(f"{export_path.name}: not a folder and not a readable zip archive")
    with tempfile.TemporaryDirectory(prefix="rlt-export-") as tmp:
        extract_safely(export_path, Path(tmp), max_unpacked_bytes)
        yield _export_root(Path(tmp), export_path)


def extract_safely(zip_path: Path, target: Path, max_unpacked_bytes: int) -> None:
    """Extract `zip_path` into `target`, or raise ExportError naming the archive: a member with an absolute
    path, `..`, a symbolic link or not a regular file; a declared or actually written size over
    `max_unpacked_bytes`; an unreadable archive. The one zip-safety check of every import (exports and
    REDCap projects)."""
    name = zip_path.name
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
            declared = 0
            for info in members:
                _check_member(name, info)
                declared += info.file_size
            if declared > max_unpacked_bytes:
                raise ExportError(
                    f"{name}: archive would unpack to {declared} bytes, more than the limit of "
                    f"{max_unpacked_bytes} bytes"
                )
            # Declared sizes can lie (zip bombs), so count the bytes actually written as well.
            written = 0
            for info in members:
                dest = target.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > max_unpacked_bytes:
                            raise ExportError(
                                f"{name}: archive unpacks to more than {max_unpacked_bytes} bytes (the limit)"
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as e:
        raise ExportError(f"{name}: unreadable zip archive ({e})") from None


def _check_member(zip_name: str, info: zipfile.ZipInfo) -> None:
    raw = info.filename
    norm = raw.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise ExportError(f"{zip_name}: refusing member with an absolute path: {raw!r}")
    if ".." in PurePosixPath(norm).parts:
        raise ExportError(f"{zip_name}: refusing member with '..' in its path: {raw!r}")
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise ExportError(f"{zip_name}: refusing symbolic link member: {raw!r}")
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ExportError(f"{zip_name}: refusing member that is not a regular file: {raw!r}")


def _refuse_symlinks(root: Path) -> None:
    """A symbolic link inside an export folder could make the loader read a file outside it (or a file
    the manifest's checksum was not computed for), so the export is refused rather than the link followed."""
    for entry in sorted(root.iterdir()):
        if entry.is_symlink():
            raise ExportError(f"{entry.name}: is a symbolic link in the export folder; refusing to follow it")


def _export_root(folder: Path, shown_as: Path) -> Path:
    """The folder holding manifest.json: the folder itself or its single top-level subfolder."""
    if (folder / MANIFEST_NAME).is_file():
        return folder
    candidates = [
        d
        for d in folder.iterdir()
        if d.is_dir() and not d.is_symlink() and d.name != "__MACOSX" and (d / MANIFEST_NAME).is_file()
    ]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise ExportError(f"{shown_as.name}: more than one {MANIFEST_NAME} found; expected one export")
    raise ExportError(f"{MANIFEST_NAME}: missing in {shown_as.name}")
