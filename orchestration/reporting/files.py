"""Writing report files: owner-only and atomic, safe file names (the index pages: index_page.py)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def write_private(path: Path, content: bytes) -> None:
    """Write `content` to `path` atomically (readers see the old or the new file), mode 0600, or 0640
    when RLT_REPORTS_GROUP_READABLE=1 (a shared drive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640 if os.environ.get("RLT_REPORTS_GROUP_READABLE") == "1" else 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def safe_file_stem(name: str) -> str:
    """A file-name stem from a cohort name: letters, digits, '-', '_' only, never empty or hidden."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:80]
    return stem or "cohort"


def file_names(names: list[str]) -> dict[str, str]:
    """Distinct sanitised file names; 'index' is reserved for the index page."""
    used: set[str] = {"index"}
    out: dict[str, str] = {}
    for name in names:
        stem = safe_file_stem(name)
        candidate, k = stem, 2
        while candidate.lower() in used:
            candidate, k = f"{stem}_{k}", k + 1
        used.add(candidate.lower())
        out[name] = f"{candidate}.html"
    return out
