"""Vectorised parsers for exported text cells (polars expressions; null where a cell does not parse)."""

from __future__ import annotations

import polars as pl

_INT32_MAX = 2**31 - 1


def clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; empty or blank cells are null."""
    s = expr.str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s)


def parse_date(v: pl.Expr) -> pl.Expr:
    """ISO YYYY-MM-DD or German DD.MM.YYYY, always with a four-digit year (`15.11.20` is not a date:
    strptime alone would read it as the year 20); impossible dates (2024-02-30) are null."""
    # strptime matches the whole cell, but takes a year of any number of digits: the pattern pins four
    iso = pl.when(v.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}$")).then(
        v.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    )
    german = pl.when(v.str.contains(r"^\d{1,2}\.\d{1,2}\.\d{4}$")).then(
        v.str.strptime(pl.Date, "%d.%m.%Y", strict=False)
    )
    return pl.coalesce(iso, german)


def full_years(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Age in completed years on `on` (the birthday not yet reached that year counts one year less)."""
    before_birthday = (on.dt.month().cast(pl.Int32) * 100 + on.dt.day()) < (
        born.dt.month().cast(pl.Int32) * 100 + born.dt.day()
    )
    return (on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def parse_number(v: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """A decimal number; with `;`-delimited files a decimal comma (`9,1`) is accepted too."""
    if decimal_comma:
        v = v.str.replace(",", ".", literal=True)
    x = v.cast(pl.Float64, strict=False)
    return pl.when(x.is_finite()).then(x)  # no inf/nan


def parse_int(v: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """A whole number (`3` or `3.0`, as Parquet float columns come out); null otherwise."""
    x = parse_number(v, decimal_comma)
    return pl.when((x == x.round(0)) & (x.abs() <= _INT32_MAX)).then(x).cast(pl.Int32)


def lab_qualifier(v: pl.Expr) -> pl.Expr:
    """'<' or '>' for values below/above the assay's range (`<0.01`, `>5000`), else null."""
    return v.str.extract(r"^([<>])", 1)


def lab_number(v: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """The number of a lab value, the bound itself for `<x` / `>x`."""
    return parse_number(v.str.replace(r"^[<>]\s*", ""), decimal_comma)
