"""Python statistics over the marts, written to the `analysis` schema (no Dagster here).

`build_analysis_tables(con)` is the entry point; the pure functions live in km (Kaplan–Meier, R-style
median and log-log CI), paired (before/after lab tests), logrank (cohort comparison), formatting and
table1 (the paper's Table 1).

The names below are imported from `.build` on first use (PEP 562), so that `orchestration.analysis.formatting`
(which the report kernel imports) does not pull in scipy, lifelines and pandas: ~2 s of every render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import ANALYSIS_TABLES, MARTS_READ, SEEDS_READ, build_analysis_tables

__all__ = ["ANALYSIS_TABLES", "MARTS_READ", "SEEDS_READ", "build_analysis_tables"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
