"""Read the seed CSVs that both ingestion (Python) and dbt (SQL) use: one table, two readers."""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def unit_key(unit: str) -> str:
    """Comparison key for a unit spelling: NFKC (µ/μ, ²/2), no spaces, case-folded."""
    return unicodedata.normalize("NFKC", unit).replace(" ", "").casefold()


@cache
def unit_conversions() -> dict[tuple[str, str], tuple[str, float]]:
    """(quantity, unit_key(unit)) -> (seed spelling of the unit, factor to the canonical unit)."""
    out: dict[tuple[str, str], tuple[str, float]] = {}
    for r in _rows("unit_conversions"):
        out[(r["quantity"], unit_key(r["unit"]))] = (r["unit"], float(r["multiplier"]) / float(r["divisor"]))
    return out


@cache
def plausible_ranges() -> dict[tuple[str, str], tuple[float, float]]:
    """(quantity, qualifier or '') -> (low, high) in the canonical unit, inclusive."""
    return {
        (r["quantity"], r["qualifier"]): (float(r["low"]), float(r["high"]))
        for r in _rows("plausible_ranges")
    }


@cache
def vocabularies() -> dict[tuple[str, str], frozenset[str]]:
    """(table, column) -> allowed values."""
    out: dict[tuple[str, str], set[str]] = {}
    for r in _rows("vocabularies"):
        out.setdefault((r["table_name"], r["column_name"]), set()).add(r["value"])
    return {k: frozenset(v) for k, v in out.items()}
