"""An independent reading of an export folder against the export contract, for the generator's tests.

It re-reads the written files (not the generator's arrays) and lists, per table and data row, every
row-level problem the contract's bad-input table names. It shares only the seed tables with the code
under test (vocabularies, units, plausible ranges), which are the contract's own data.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from orchestration.contract.seeds import plausible_ranges, unit_conversions, unit_key, vocabularies
from orchestration.contract.tables import TABLES

KIND_COLUMNS = ["table", "row", "kind"]


def read_table(path: Path) -> pl.DataFrame:
    """All cells as text; delimiter detected from the header; column names trimmed and lower-cased."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    frame = pl.read_csv(text.encode(), separator=sep, infer_schema=False)
    return frame.rename({c: c.strip().lower() for c in frame.columns})


def parse_date(col: str) -> pl.Expr:
    """ISO or DD.MM.YYYY; anything else (or an impossible date) is null."""
    c = pl.col(col).str.strip_chars()
    return (
        pl.when(c.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
        .then(c.str.to_date("%Y-%m-%d", strict=False))
        .when(c.str.contains(r"^\d{2}\.\d{2}\.\d{4}$"))
        .then(c.str.to_date("%d.%m.%Y", strict=False))
    )


def parse_number(col: str, decimal_comma: bool) -> pl.Expr:
    c = pl.col(col).str.strip_chars()
    if decimal_comma:
        c = c.str.replace(",", ".", literal=True)
    return c.cast(pl.Float64, strict=False)


def _row_problems(table: str, f: pl.DataFrame, sep_semicolon: bool) -> list[pl.DataFrame]:
    spec = TABLES[table]
    f = f.with_row_index("row")
    found: list[pl.DataFrame] = []

    def add(mask: pl.Expr, kind: str) -> None:
        hit = f.filter(mask.fill_null(False)).select("row")
        found.append(hit.with_columns(table=pl.lit(table), kind=pl.lit(kind)).select(KIND_COLUMNS))

    for col in spec.columns:
        if col.name not in f.columns:
            continue
        cell = pl.col(col.name)
        if col.type == "date":
            add(cell.is_not_null() & parse_date(col.name).is_null(), "unparseable_date")
        elif col.type in ("int", "float"):
            number = parse_number(col.name, sep_semicolon)
            bad = number.is_null() | ((number != number.round(0)) if col.type == "int" else pl.lit(False))
            add(cell.is_not_null() & bad, "unparseable_number")
        elif col.type == "lab_value":
            bound = cell.str.strip_chars().str.strip_chars_start("<>")
            number = bound.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            add(cell.is_not_null() & number.is_null(), "unparseable_number")
        if col.vocabulary:
            allowed = sorted(vocabularies()[(table, col.name)])
            add(cell.is_not_null() & ~cell.is_in(allowed), "vocabulary")
    ranges = plausible_ranges()
    for name in ("ecog", "grade", "gleason_score"):
        if name in f.columns:
            lo, hi = ranges[(name, "")]
            v = parse_number(name, False)
            add(v.is_not_null() & ((v < lo) | (v > hi)), "implausible")

    if table == "lab_results":
        conv = unit_conversions()
        keys = pl.DataFrame(
            {
                "analyte": [q for q, _ in conv],
                "_ukey": [k for _, k in conv],
                "_factor": [v[1] for v in conv.values()],
            }
        )
        lab = f.with_columns(
            _ukey=pl.col("unit").map_elements(unit_key, return_dtype=pl.String),
            _v=pl.col("value")
            .str.strip_chars_start("<>")
            .str.replace(",", ".", literal=True)
            .cast(pl.Float64, strict=False),
        ).join(keys, on=["analyte", "_ukey"], how="left", maintain_order="left")
        lab = lab.with_columns(
            _lo=pl.col("analyte").replace_strict({q: r[0] for (q, _), r in ranges.items()}, default=None),
            _hi=pl.col("analyte").replace_strict({q: r[1] for (q, _), r in ranges.items()}, default=None),
        )
        known_analyte = pl.col("analyte").is_in(sorted(vocabularies()[("lab_results", "analyte")]))
        f = lab
        add(known_analyte & pl.col("_factor").is_null(), "unknown_unit")
        canon = pl.col("_v") * pl.col("_factor")
        add(canon.is_not_null() & ((canon < pl.col("_lo")) | (canon > pl.col("_hi"))), "implausible")
    if table == "rlt_cycles":
        conv = unit_conversions()
        factor = pl.col("activity_unit").map_elements(
            lambda u: conv.get(("activity", unit_key(u)), (None, None))[1], return_dtype=pl.Float64
        )
        f = f.with_columns(_factor=factor, _v=parse_number("activity", False))
        add(pl.col("_factor").is_null(), "unknown_unit")
        canon = pl.col("_v") * pl.col("_factor")
        lo = pl.col("radioligand").replace_strict(
            {q: r[0] for (a, q), r in ranges.items() if a == "activity"}, default=None
        )
        hi = pl.col("radioligand").replace_strict(
            {q: r[1] for (a, q), r in ranges.items() if a == "activity"}, default=None
        )
        add(canon.is_not_null() & ((canon < lo) | (canon > hi)), "implausible")

    contract = [c for c in spec.column_names if c in f.columns]
    if table == "patients":
        add(pl.col("patient_id").is_duplicated(), "duplicate_patient_id")
    else:
        add(pl.struct(contract).is_duplicated() & ~pl.struct(contract).is_first_distinct(), "exact_duplicate")
    return found


def problems(export_dir: Path) -> pl.DataFrame:
    """One row per (table, data row index, kind of problem)."""
    manifest = json.loads((export_dir / "manifest.json").read_text())
    cutoff = pl.lit(manifest["data_cutoff"]).str.to_date()
    frames = {t: read_table(export_dir / f"{t}.csv") for t in TABLES if (export_dir / f"{t}.csv").exists()}
    found: list[pl.DataFrame] = []
    for table, f in frames.items():
        sep_semicolon = (export_dir / f"{table}.csv").read_text(encoding="utf-8-sig").split("\n", 1)[0].count(
            ";"
        ) > 0
        found += _row_problems(table, f, sep_semicolon)

    patients = (
        frames["patients"]
        .select("patient_id", birth=parse_date("birth_date"))
        .unique("patient_id", keep="first")
    )
    first_cycle = (
        frames["rlt_cycles"]
        .select("patient_id", d=parse_date("administration_date"))
        .group_by("patient_id")
        .agg(first=pl.col("d").min())
    )
    for table, f in frames.items():
        if table == "patients":
            continue
        f = f.with_row_index("row")
        hits = {"orphan": ~pl.col("patient_id").is_in(patients["patient_id"].implode())}
        for col in TABLES[table].event_date_columns:
            hits[f"after_cutoff:{col}"] = parse_date(col) > cutoff
        frame = f
        if table == "lab_results":
            frame = f.join(patients, on="patient_id", how="left", maintain_order="left")
            hits["sample_before_birth"] = parse_date("sample_date") < pl.col("birth")
        if table == "vital_status":
            frame = f.join(first_cycle, on="patient_id", how="left", maintain_order="left")
            hits["death_before_first_cycle"] = parse_date("death_date") < pl.col("first")
            hits["death_before_last_known_alive"] = parse_date("death_date") < parse_date(
                "last_known_alive_date"
            )
        for kind, mask in hits.items():
            hit = frame.filter(mask.fill_null(False)).select("row")
            found.append(
                hit.with_columns(table=pl.lit(table), kind=pl.lit(kind.split(":")[0])).select(KIND_COLUMNS)
            )
    return pl.concat(found).with_columns(pl.col("row").cast(pl.Int64))
