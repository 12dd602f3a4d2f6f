"""Turning generated numbers and day counts into the text cells of an export file.

Numbers are written with a fixed number of decimals by integer arithmetic, not by float printing, so the
bytes of a file depend only on the drawn values (identical per seed) and a decimal comma is a plain swap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

ISO = "%Y-%m-%d"
GERMAN = "%d.%m.%Y"


@dataclass(frozen=True)
class FileFormat:
    separator: str = ","
    date_format: str = ISO
    decimal: str = "."
    bom: bool = False


def dates(days: np.ndarray, fmt: str = ISO) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date).dt.strftime(fmt)


def date_text(day: int, fmt: str = ISO) -> str:
    return dates(np.array([day]), fmt)[0]


def fixed(values: np.ndarray, decimals: np.ndarray | int, decimal: str = ".") -> pl.Series:
    """Non-negative values as text with `decimals` digits after the separator (0 = an integer)."""
    d = np.broadcast_to(np.asarray(decimals, dtype=np.int64), np.shape(values))
    scaled = np.rint(np.asarray(values, dtype=np.float64) * 10.0**d).astype(np.int64)
    power = (10**d).astype(np.int64)
    frame = pl.DataFrame({"whole": scaled // power, "frac": scaled % power, "d": d})
    whole = pl.col("whole").cast(pl.String)
    frac = pl.col("frac").cast(pl.String)
    expr = pl.when(pl.col("d") == 0).then(whole)
    for k in (1, 2, 3):
        expr = expr.when(pl.col("d") == k).then(whole + decimal + frac.str.zfill(k))
    return frame.select(expr.otherwise(None).alias("v")).to_series()


def ints(values: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String)
