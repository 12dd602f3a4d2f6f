"""The code version recorded with every publish: a digest of everything that shapes the warehouse."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_SOURCES = (
    ("orchestration", "*.py"),
    ("dbt_project/models", "*"),
    ("dbt_project/macros", "*"),
    ("dbt_project/seeds", "*.csv"),
    ("dbt_project/tests", "*"),
    ("reports", "*.qmd"),
    ("reports", "*.py"),
)


@cache
def code_version() -> str:
    """`<package version>+<12 hex digits>` over the source files (independent of git)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("rlt-registry")
    except PackageNotFoundError:
        base = "0"
    digest = hashlib.sha256()
    for folder, pattern in _SOURCES:
        root = PROJECT_ROOT / folder
        for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    digest.update(
        (PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_bytes()
        if (PROJECT_ROOT / "dbt_project" / "dbt_project.yml").exists()
        else b""
    )
    return f"{base}+{digest.hexdigest()[:12]}"
