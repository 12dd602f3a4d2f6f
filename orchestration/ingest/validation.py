"""Row validation of one table: typed values plus the first reason (and column) a row cannot be loaded.

Everything is a polars expression over whole columns; Python only touches distinct unit spellings and
the seed tables. Checks run in a fixed order and the first failing one names the row's reason:
ragged line -> duplicate patient_id (patients) -> orphan -> each column in contract order (missing,
unparseable, vocabulary, range) -> units and plausibility after unit conversion -> rules across columns
(death before last alive) -> rules across tables (death before first cycle, sample before birth).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from orchestration.contract import seeds
from orchestration.contract.tables import Column
from orchestration.ingest.parsing import clean, lab_number, lab_qualifier, parse_date, parse_int, parse_number
from orchestration.ingest.reading import N_FIELDS, TableFile

REASON = "_reason"
COLUMN = "_column"
PID = "_pid"
# (column at fault or "" for the whole line, condition that fails the row, reason text)
Check = tuple[str, pl.Expr, pl.Expr]


def typed(name: str) -> str:
    """Name of the parsed column next to the exported text `name`."""
    return f"t__{name}"


def _v(name: str) -> pl.Expr:
    return pl.col(f"v__{name}")


@dataclass(frozen=True)
class CrossTable:
    """Facts from other tables that row validation needs."""

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
                    "wrong_field_count: {} fields, the header has {}",
                    pl.col(N_FIELDS),
                    pl.lit(tf.header_fields),
                ),
            )
        )
    if table.name == "patients":
        dup = pl.col(PID).is_not_null() & pl.col(PID).is_duplicated()
        checks.append(("patient_id", dup, pl.lit("duplicate_patient_id")))
    elif cross.known_patients is not None:
        orphan = pl.col(PID).is_not_null() & ~pl.col(PID).is_in(cross.known_patients.implode())
        checks.append(("patient_id", orphan, pl.lit("orphan: patient_id not among loaded patients")))
    for col in table.columns:
        checks += _column_checks(col, table.name)
    checks += _table_checks(tf, cross)

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


def _column_checks(col: Column, table: str) -> list[Check]:
    v, t = _v(col.name), pl.col(typed(col.name))
    checks: list[Check] = []
    if col.required:
        checks.append((col.name, v.is_null(), pl.lit("missing_required")))
    bad = v.is_not_null() & t.is_null()
    if col.vocabulary:
        allowed = ", ".join(sorted(seeds.vocabularies()[(table, col.name)]))
        checks.append((col.name, bad, pl.lit(f"not_in_vocabulary: expected one of {allowed}")))
    elif col.type == "date":
        checks.append((col.name, bad, pl.lit("unparseable_date: expected YYYY-MM-DD or DD.MM.YYYY")))
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
    """Seed spelling of the unit, factor to canonical, plausible range: for lab values and activities.

    Lookups go through small integer/text dictionaries (distinct units x quantities), never joins:
    a join of 10 million lab rows costs seconds, a dictionary lookup a fraction of that."""
    spec = {
        "lab_results": ("unit", "analyte", "analyte"),
        "rlt_cycles": ("activity_unit", "radioligand", None),
    }
    if tf.table.name not in spec:
        return df
    unit_col, qual_col, qty_col = spec[tf.table.name]
    units = df.get_column(f"v__{unit_col}").drop_nulls().unique().sort().to_list()
    quantities = sorted(_vocabulary(tf.table.name, qty_col).values()) if qty_col else ["activity"]
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
    unit_code = _v(unit_col).replace_strict(
        {u: i for i, u in enumerate(units)}, default=None, return_dtype=pl.Int64
    )
    canonical = {q: u for (q, _), (u, f) in conversions.items() if f == 1.0}
    ranges = {
        (qual or q): (lo, hi, f"{_fmt(lo)}–{_fmt(hi)} {canonical.get(q, '')}".strip())
        for (q, qual), (lo, hi) in seeds.plausible_ranges().items()
        if q in quantities
    }
    range_key = pl.col(typed(qual_col))
    df = df.with_columns((qty_code * len(units) + unit_code).alias("_ukey"))
    return df.with_columns(
        pl.col("_ukey")
        .replace_strict(seed_unit, default=None, return_dtype=pl.String)
        .alias(typed(unit_col)),
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
    if tf.table.name == "lab_results" and cross.birth_dates is not None:
        df = df.join(cross.birth_dates, on=PID, how="left", maintain_order="left")
    if tf.table.name == "vital_status" and cross.first_cycles is not None:
        df = df.join(cross.first_cycles, on=PID, how="left", maintain_order="left")
    return df


def _table_checks(tf: TableFile, cross: CrossTable) -> list[Check]:
    name = tf.table.name
    checks: list[Check] = []
    if name in ("lab_results", "rlt_cycles"):
        unit_col, qty_col, value_col = (
            ("unit", "analyte", "value") if name == "lab_results" else ("activity_unit", None, "activity")
        )
        qty_text = pl.col(typed(qty_col)) if qty_col else pl.lit("activity")
        # _ukey is null when the unit is missing or the quantity (analyte) is itself invalid
        unknown = pl.col("_ukey").is_not_null() & pl.col("_factor").is_null()
        checks.append((unit_col, unknown, pl.format("unknown_unit: '{}' for {}", _v(unit_col), qty_text)))
        canonical = pl.col(typed(value_col)) * pl.col("_factor")
        out = (canonical < pl.col("_lo")) | (canonical > pl.col("_hi"))
        checks.append(
            (
                value_col,
                out,
                pl.format(
                    "implausible_value: {} {} = {} outside {}",
                    _v(value_col),
                    pl.col(typed(unit_col)),
                    canonical.round(6),
                    pl.col("_range_text"),
                ),
            )
        )
    if name == "vital_status":
        death, alive = pl.col(typed("death_date")), pl.col(typed("last_known_alive_date"))
        checks.append(
            (
                "death_date",
                death < alive,
                pl.lit("death_before_last_alive: death_date before last_known_alive_date"),
            )
        )
        if cross.first_cycles is not None:
            checks.append(
                (
                    "death_date",
                    death < pl.col("_first_cycle"),
                    pl.format(
                        "death_before_first_cycle: death_date before the first cycle on {}",
                        pl.col("_first_cycle"),
                    ),
                )
            )
    if name == "lab_results" and cross.birth_dates is not None:
        checks.append(
            (
                "sample_date",
                pl.col(typed("sample_date")) < pl.col("_birth_date"),
                pl.lit("sample_before_birth: sample_date before birth_date"),
            )
        )
    return checks
