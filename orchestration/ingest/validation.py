"""Row validation of one table: typed values plus the first reason (and column) a row cannot be loaded.

Everything is a polars expression over whole columns; Python only touches distinct unit spellings and
the seed tables. Checks run in a fixed order and the first failing one names the row's reason:
ragged line -> duplicate patient_id (the subject table) -> orphan -> each column in contract order
(missing, unparseable, vocabulary, implausible date, range) -> units and plausibility after unit
conversion -> rules across columns (death before last alive) -> rules across tables (death before first
cycle, sample or administration before birth). Which table has which rule is a fact of its `Table` spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from orchestration.contract import seeds
from orchestration.contract.tables import Column, Table
from orchestration.ingest.parsing import (
    clean,
    full_years,
    lab_number,
    lab_qualifier,
    parse_date,
    parse_int,
    parse_number,
)
from orchestration.ingest.reading import N_FIELDS, TableFile

REASON = "_reason"
COLUMN = "_column"
PID = "_pid"
AGE = "_age"  # age in full years on the table's `age_on` date
RAGGED = "wrong_field_count"
EARLIEST_DATE = date(1900, 1, 1)
# (column at fault or "" for the whole line, condition that fails the row, reason text)
Check = tuple[str, pl.Expr, pl.Expr]


def typed(name: str) -> str:
    """Name of the parsed column next to the exported text `name`."""
    return f"t__{name}"


def _v(name: str) -> pl.Expr:
    return pl.col(f"v__{name}")


@dataclass(frozen=True)
class CrossTable:
    """Facts from the export and other tables that row validation needs."""

    latest_date: date  # exported_at, as a date in the registry's time zone: no later date is plausible
    known_patients: pl.Series | None = None  # loaded patient_ids; None while validating patients itself
    birth_dates: pl.DataFrame | None = None  # _pid, _birth_date of loaded patients
    first_cycles: pl.DataFrame | None = None  # _pid, _first_cycle (earliest valid administration_date)


def validate(tf: TableFile, cross: CrossTable) -> pl.DataFrame:
    """The file's frame plus typed columns `t__<col>`, `_pid`, `_reason` and `_column` (null when valid)."""
    table = tf.table
    df = tf.frame.with_columns(
        *(clean(pl.col(c)).alias(f"v__{c}") for c in table.column_names),
    ).with_columns(_v("patient_id").alias(PID))
    df = df.with_columns(*_typed_exprs(tf))
    df = _with_units_and_ranges(df, tf)
    df = _with_cross_table(df, tf, cross)

    checks: list[Check] = []
    if tf.header_fields is not None:
        checks.append(
            (
                "",
                pl.col(N_FIELDS) != tf.header_fields,
                pl.format(
                    RAGGED + ": {} fields, the header has {}", pl.col(N_FIELDS), pl.lit(tf.header_fields)
                ),
            )
        )
    if table.subject:
        dup = pl.col(PID).is_not_null() & pl.col(PID).is_duplicated()
        checks.append(("patient_id", dup, pl.lit("duplicate_patient_id")))
    elif cross.known_patients is not None:
        orphan = pl.col(PID).is_not_null() & ~pl.col(PID).is_in(cross.known_patients.implode())
        checks.append(("patient_id", orphan, pl.lit("orphan: patient_id not among loaded patients")))
    for col in table.columns:
        checks += _column_checks(col, table.name, cross.latest_date)
    checks += _table_checks(table, cross)

    return _first_failure(df, checks)


def _first_failure(df: pl.DataFrame, checks: list[Check]) -> pl.DataFrame:
    """Set `_reason`/`_column` from the first failing check. Conditions are evaluated on every row, the
    reason texts (string formatting) only on the failing rows, which are few: valid rows come first
    in line order, failing rows after them."""
    first = pl.coalesce([pl.when(cond).then(pl.lit(i, pl.Int16)) for i, (_, cond, _) in enumerate(checks)])
    df = df.with_columns(first.fill_null(-1).alias("_check"))
    good = df.filter(pl.col("_check") < 0).with_columns(
        pl.lit(None, pl.String).alias(REASON), pl.lit(None, pl.String).alias(COLUMN)
    )
    # rechunk: polars 2.1 panics ("i < self.len()") formatting text columns of several chunks (few rows)
    bad = df.filter(pl.col("_check") >= 0).rechunk()
    reason = pl.coalesce([pl.when(pl.col("_check") == i).then(msg) for i, (_, _, msg) in enumerate(checks)])
    # a ragged line has no single column at fault ("")
    column = pl.coalesce(
        [
            pl.when(pl.col("_check") == i).then(pl.lit(c or None, pl.String))
            for i, (c, _, _) in enumerate(checks)
        ]
    )
    bad = bad.with_columns(reason.cast(pl.String).alias(REASON), column.alias(COLUMN))
    return pl.concat([good, bad], how="vertical").drop("_check")


def _vocabulary(table: str, column: str) -> dict[str, str]:
    """Lower-cased spelling -> the seed's spelling (vocabularies match case-insensitively)."""
    return {v.lower(): v for v in seeds.vocabularies()[(table, column)]}


def _typed_exprs(tf: TableFile) -> list[pl.Expr]:
    out: list[pl.Expr] = []
    for col in tf.table.columns:
        v = _v(col.name)
        if col.vocabulary:
            vocab = _vocabulary(tf.table.name, col.name)
            expr = v.str.to_lowercase().replace_strict(vocab, default=None, return_dtype=pl.String)
        elif col.type == "date":
            expr = parse_date(v)
        elif col.type == "int":
            expr = parse_int(v, tf.decimal_comma)
        elif col.type == "float":
            expr = parse_number(v, tf.decimal_comma)
        elif col.type == "lab_value":
            out.append(lab_qualifier(v).alias("t__value_qualifier"))
            expr = lab_number(v, tf.decimal_comma)
        else:
            expr = v
        out.append(expr.alias(typed(col.name)))
    return out


def _fmt(x: float) -> str:
    return f"{x:g}"


def _column_checks(col: Column, table: str, latest_date: date) -> list[Check]:
    v, t = _v(col.name), pl.col(typed(col.name))
    checks: list[Check] = []
    if col.required:
        checks.append((col.name, v.is_null(), pl.lit("missing_required")))
    bad = v.is_not_null() & t.is_null()
    if col.vocabulary:
        allowed = ", ".join(sorted(seeds.vocabularies()[(table, col.name)]))
        checks.append((col.name, bad, pl.lit(f"not_in_vocabulary: expected one of {allowed}")))
    elif col.type == "date":
        checks.append(
            (col.name, bad, pl.lit("unparseable_date: expected YYYY-MM-DD or DD.MM.YYYY (four-digit year)"))
        )
        window = f"{EARLIEST_DATE.isoformat()}–{latest_date.isoformat()} (exported_at)"
        checks.append(
            (
                col.name,
                (t < pl.lit(EARLIEST_DATE)) | (t > pl.lit(latest_date)),
                # no value in the text: the reason must not carry a birth date (never stored)
                pl.lit(f"implausible_date: outside {window}"),
            )
        )
    elif col.type == "int":
        checks.append((col.name, bad, pl.lit("unparseable_number: expected a whole number")))
    elif col.type in ("float", "lab_value"):
        checks.append((col.name, bad, pl.lit("unparseable_number")))
    plausible = seeds.plausible_ranges().get((col.name, ""))
    if plausible is not None and col.type in ("int", "float"):
        lo, hi = plausible
        checks.append(
            (
                col.name,
                (t < lo) | (t > hi),
                pl.format("implausible_value: {} outside {}–{}", v, pl.lit(_fmt(lo)), pl.lit(_fmt(hi))),
            )
        )
    return checks


def _with_units_and_ranges(df: pl.DataFrame, tf: TableFile) -> pl.DataFrame:
    """Seed spelling of the unit, factor to canonical, plausible range: for tables with `units`.

    Lookups go through small integer/text dictionaries (distinct units x quantities), never joins:
    a join of 10 million lab rows costs seconds, a dictionary lookup a fraction of that."""
    spec = tf.table.units
    if spec is None:
        return df
    units = df.get_column(f"v__{spec.unit}").drop_nulls().unique().sort().to_list()
    qty_col = spec.quantity_column
    quantities = sorted(_vocabulary(tf.table.name, qty_col).values()) if qty_col else [spec.quantity]
    conversions = seeds.unit_conversions()
    seed_unit: dict[int, str] = {}
    factor: dict[int, float] = {}
    for qi, q in enumerate(quantities):
        for ui, u in enumerate(units):
            hit = conversions.get((q, seeds.unit_key(u)))
            if hit is not None:
                seed_unit[qi * len(units) + ui], factor[qi * len(units) + ui] = hit
    qty_code = (
        pl.col(typed(qty_col)).replace_strict(
            {q: i for i, q in enumerate(quantities)}, default=None, return_dtype=pl.Int64
        )
        if qty_col
        else pl.lit(0, pl.Int64)
    )
    unit_code = _v(spec.unit).replace_strict(
        {u: i for i, u in enumerate(units)}, default=None, return_dtype=pl.Int64
    )
    canonical = {q: u for (q, _), (u, f) in conversions.items() if f == 1.0}
    ranges = {
        (qual or q): (lo, hi, f"{_fmt(lo)}–{_fmt(hi)} {canonical.get(q, '')}".strip())
        for (q, qual), (lo, hi) in seeds.plausible_ranges().items()
        if q in quantities
    }
    range_key = pl.col(typed(spec.range_by))
    df = df.with_columns((qty_code * len(units) + unit_code).alias("_ukey"))
    return df.with_columns(
        pl.col("_ukey")
        .replace_strict(seed_unit, default=None, return_dtype=pl.String)
        .alias(typed(spec.unit)),
        pl.col("_ukey").replace_strict(factor, default=None, return_dtype=pl.Float64).alias("_factor"),
        range_key.replace_strict(
            {k: v[0] for k, v in ranges.items()}, default=None, return_dtype=pl.Float64
        ).alias("_lo"),
        range_key.replace_strict(
            {k: v[1] for k, v in ranges.items()}, default=None, return_dtype=pl.Float64
        ).alias("_hi"),
        range_key.replace_strict(
            {k: v[2] for k, v in ranges.items()}, default=None, return_dtype=pl.String
        ).alias("_range_text"),
    )


def _with_cross_table(df: pl.DataFrame, tf: TableFile, cross: CrossTable) -> pl.DataFrame:
    table = tf.table
    if table.age_on and cross.birth_dates is not None:
        df = df.join(cross.birth_dates, on=PID, how="left", maintain_order="left")
        df = df.with_columns(full_years(pl.col("_birth_date"), pl.col(typed(table.age_on))).alias(AGE))
    if table.not_before_first_cycle and cross.first_cycles is not None:
        df = df.join(cross.first_cycles, on=PID, how="left", maintain_order="left")
    return df


def _table_checks(table: Table, cross: CrossTable) -> list[Check]:
    checks: list[Check] = []
    spec = table.units
    if spec is not None:
        qty_text = pl.col(typed(spec.quantity_column)) if spec.quantity_column else pl.lit(spec.quantity)
        # _ukey is null when the unit is missing or the quantity (analyte) is itself invalid
        unknown = pl.col("_ukey").is_not_null() & pl.col("_factor").is_null()
        checks.append((spec.unit, unknown, pl.format("unknown_unit: '{}' for {}", _v(spec.unit), qty_text)))
        canonical = pl.col(typed(spec.value)) * pl.col("_factor")
        out = (canonical < pl.col("_lo")) | (canonical > pl.col("_hi"))
        checks.append(
            (
                spec.value,
                out,
                pl.format(
                    "implausible_value: {} {} = {} outside {}",
                    _v(spec.value),
                    pl.col(typed(spec.unit)),
                    canonical.round(6),
                    pl.col("_range_text"),
                ),
            )
        )
    for col in table.columns:
        if col.not_before:
            code = f"{_event(col.name)}_before_{_event(col.not_before)}"
            checks.append(
                (
                    col.name,
                    pl.col(typed(col.name)) < pl.col(typed(col.not_before)),
                    pl.lit(f"{code}: {col.name} before {col.not_before}"),
                )
            )
    if cross.first_cycles is not None:
        for name in table.not_before_first_cycle:
            checks.append(
                (
                    name,
                    pl.col(typed(name)) < pl.col("_first_cycle"),
                    pl.format(
                        f"{_event(name)}_before_first_cycle: {name} before the first cycle on {{}}",
                        pl.col("_first_cycle"),
                    ),
                )
            )
    if table.age_on and cross.birth_dates is not None:
        checks.append(
            (
                table.age_on,
                pl.col(typed(table.age_on)) < pl.col("_birth_date"),
                pl.lit(f"{_event(table.age_on)}_before_birth: {table.age_on} before birth_date"),
            )
        )
    return checks


def _event(date_column: str) -> str:
    """`death_date` -> `death`, `last_known_alive_date` -> `last_alive` (the reason codes' spelling)."""
    return {"last_known_alive_date": "last_alive"}.get(date_column, date_column.removesuffix("_date"))
