"""Python statistics over the marts, written to the `analysis` schema (no Dagster here).

`build_analysis_tables(con)` is the entry point; the pure functions live in km (Kaplan–Meier, R-style
median and log-log CI), paired (before/after lab tests), logrank (cohort comparison), formatting and
table1 (the paper's Table 1).
"""

from .build import ANALYSIS_TABLES, MARTS_READ, SEEDS_READ, build_analysis_tables

__all__ = ["ANALYSIS_TABLES", "MARTS_READ", "SEEDS_READ", "build_analysis_tables"]
