"""What the generator needs from the seed CSVs: unit factors, reference ranges, vocabularies.

The seeds are the one source of these facts; the generator reads them rather than repeating them, so an
export it writes is valid against the same tables that ingestion and dbt validate with.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from orchestration.contract.seeds import SEEDS_DIR, plausible_ranges, unit_conversions, unit_key, vocabularies


@dataclass(frozen=True)
class Unit:
    spelling: str
    factor: float  # multiply a value in this unit by factor to get the canonical unit
    decimals: int  # how many decimals a lab writes in this unit


def unit(quantity: str, spelling: str, decimals: int) -> Unit:
    """A unit the seed accepts for `quantity`; fails loudly if the seed does not know it."""
    known_spelling, factor = unit_conversions()[(quantity, unit_key(spelling))]
    return Unit(known_spelling, factor, decimals)


@cache
def canonical_units() -> dict[str, str]:
    """quantity -> canonical unit, as the seed spells it."""
    with open(SEEDS_DIR / "unit_conversions.csv", encoding="utf-8", newline="") as f:
        return {r["quantity"]: r["canonical_unit"] for r in csv.DictReader(f)}


@cache
def reference_ranges_male() -> dict[str, tuple[float | None, float | None]]:
    """analyte -> (LLN, ULN) in the canonical unit for men (the seed's default ranges)."""
    out: dict[str, tuple[float | None, float | None]] = {}
    with open(SEEDS_DIR / "lab_reference_ranges.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["sex"] == "M":
                out[r["analyte"]] = (
                    float(r["lln"]) if r["lln"] else None,
                    float(r["uln"]) if r["uln"] else None,
                )
    return out


def plausible(quantity: str, qualifier: str = "") -> tuple[float, float]:
    return plausible_ranges()[(quantity, qualifier)]


def vocabulary(table: str, column: str) -> frozenset[str]:
    return vocabularies()[(table, column)]
