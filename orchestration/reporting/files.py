"""Writing report files: owner-only and atomic, safe file names, the index page."""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from orchestration.reporting.style import REPORT_CSS


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


def index_html(
    names: list[str],
    targets: dict[str, str],
    descriptions: Mapping[str, tuple[str | None, int | None]],
    extra: str = "",
) -> str:
    rows = []
    for name in names:
        description, n = descriptions.get(name, (None, None))
        rows.append(
            f'<tr><td><a href="{html.escape(targets[name], quote=True)}">{html.escape(name)}</a></td>'
            f"<td>{html.escape(description or '–')}</td><td>{'–' if n is None else int(n)}</td></tr>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Cohort reports</title><style>{REPORT_CSS}</style></head><body>"
        "<h1>Cohort reports</h1>"
        '<table class="report-table"><thead><tr><th>Cohort</th><th>Description</th><th>Patients, n</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{extra}</body></html>\n"
    )
