"""Numbers as the paper's Table 1 prints them.

Rules (decimal arithmetic, halves rounded up, as clinicians round by hand):
- `format_sig`: 3 significant digits, but never rounding away integer digits, trailing zeros dropped:
  305, 5683, 3.21, 9.1, 5, 70 — the paper's `305 (3.21–5683)`, `9.1 (5–14)`, `70 (47–84)`.
- `format_fixed`: a fixed number of decimals, zeros kept (activity: `21.5 ± 15.0`).
- percentages: one decimal throughout, so that a column reads evenly: `13 (72.2)`, `18 (100.0)`, `9 (50.0)`.
- ranges use an EN DASH; anything missing prints as an EN DASH `–`.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

DASH = "–"  # EN DASH, U+2013
PLUS_MINUS = "±"


def _decimal(x: float) -> Decimal:
    # repr gives the shortest string that round-trips, so 13.45 rounds as the 13.45 a human reads.
    return Decimal(repr(float(x)))


def _strip_zeros(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(float(x))


def format_sig(x: float | None, digits: int = 3) -> str:
    if _missing(x):
        return DASH
    d = _decimal(x)  # type: ignore[arg-type]
    if d == 0:
        return "0"
    decimals = max(digits - 1 - d.adjusted(), 0)
    return _strip_zeros(format(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), "f"))


def format_fixed(x: float | None, decimals: int = 1) -> str:
    if _missing(x):
        return DASH
    text = format(_decimal(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), "f")  # type: ignore[arg-type]
    return "0" + text[2:] if text.startswith("-0") and Decimal(text) == 0 else text


def format_percent(count: int, n: int) -> str:
    if n <= 0:
        return DASH
    pct = (Decimal(count) * 100 / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return format(pct, "f")


def format_count_percent(count: int, n: int) -> str:
    """`13 (72.2)`; an empty cohort prints `–`."""
    return DASH if n <= 0 else f"{count} ({format_percent(count, n)})"


def format_range(low: float | None, high: float | None, fmt=format_sig) -> str:
    return f"{fmt(low)}{DASH}{fmt(high)}"


def format_median_range(median: float | None, low: float | None, high: float | None) -> str:
    """`70 (47–84)`; no values prints `–`."""
    if _missing(median):
        return DASH
    return f"{format_sig(median)} ({format_range(low, high)})"


def format_mean_sd_range(
    mean: float | None, sd: float | None, low: float | None, high: float | None, decimals: int = 1
) -> str:
    """`21.5 ± 15.0 (2.7–62.6)`; a single value has no SD and prints `6.8 ± – (6.8–6.8)`."""
    if _missing(mean):
        return DASH
    fixed = lambda v: format_fixed(v, decimals)  # noqa: E731
    return f"{fixed(mean)} {PLUS_MINUS} {fixed(sd)} ({format_range(low, high, fixed)})"
