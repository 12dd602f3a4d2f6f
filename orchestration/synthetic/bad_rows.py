"""Invalid rows injected on request, one of each row-level problem the export contract names.

Every kind of the contract's bad-input table that concerns single rows is produced for every table it can
occur in (`BAD_ROW_KINDS`), about `rate x rows` bad rows per table in all, at least one of each kind when
rate > 0. Bad rows are copies of real rows with one fault each, inserted at random positions; the
vital-status faults (dates that contradict each other) are edits of the patient's own row, because a
patient has one vital status.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from orchestration.synthetic import formatting as fmt
from orchestration.synthetic.cohort import Cohort

BAD_ROW_KINDS: dict[str, tuple[str, ...]] = {
    "patients": (
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "implausible",
        "duplicate_patient_id",
    ),
    "performance_status": (
        "unparseable_date",
        "unparseable_number",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    ),
    "prior_therapies": ("unparseable_date", "vocabulary", "exact_duplicate", "orphan"),
    "metastases": ("unparseable_date", "vocabulary", "exact_duplicate", "after_cutoff", "orphan"),
    "rlt_cycles": (
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "unknown_unit",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    ),
    "lab_results": (
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "unknown_unit",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "sample_before_birth",
        "orphan",
    ),
    "adverse_events": (
        "unparseable_date",
        "unparseable_number",
        "vocabulary",
        "implausible",
        "exact_duplicate",
        "after_cutoff",
        "orphan",
    ),
    "vital_status": (
        "unparseable_date",
        "after_cutoff",
        "death_before_first_cycle",
        "death_before_last_known_alive",
        "exact_duplicate",
        "orphan",
    ),
}

_BAD_DATES = {
    fmt.ISO: ("2023-02-30", "2022-13-01", "15/03/2023", "2021-06-31"),
    fmt.GERMAN: ("31.02.2023", "2023/03/15", "32.01.2022", "15.13.2021"),
}
_DATE_COLUMN = {
    "patients": "birth_date",
    "performance_status": "assessment_date",
    "prior_therapies": "start_date",
    "metastases": "assessment_date",
    "rlt_cycles": "administration_date",
    "lab_results": "sample_date",
    "adverse_events": "assessment_date",
    "vital_status": "last_known_alive_date",
}
# (column, cells that are not numbers) -- what registries really contain
_BAD_NUMBERS = {
    "patients": ("gleason_score", ("3+4", "4+5", "7a")),
    "performance_status": ("ecog", ("2-3", "II")),
    "rlt_cycles": ("activity", ("7.4 GBq", "ca. 7")),
    "lab_results": ("value", ("n.b.", "hämolytisch", "s. Kommentar")),
    "adverse_events": ("grade", ("G2", "II")),
}
_BAD_VOCABULARY = {
    "patients": ("sex", ("X", "male")),
    "prior_therapies": ("therapy", ("chemotherapy", "sipuleucel-t")),
    "metastases": ("site", ("adrenal", "kidney")),
    "rlt_cycles": ("radioligand", ("177Lu-DOTATATE", "131I-MIBG")),
    "lab_results": ("analyte", ("crp", "bilirubin")),
    "adverse_events": ("term", ("rash", "diarrhoea")),
}
_UNKNOWN_UNITS = {"rlt_cycles": ("activity_unit", ("MBq/kg", "mSv")), "lab_results": ("unit", ("mg/L", "%"))}
# Values outside the plausible range after conversion, as (column -> value) edits.
_IMPLAUSIBLE: dict[str, tuple[dict[str, str], ...]] = {
    "patients": ({"gleason_score": "4"}, {"gleason_score": "12"}),
    "performance_status": ({"ecog": "7"},),
    "rlt_cycles": ({"activity": "7400", "activity_unit": "GBq"},),
    # hemoglobin g/L value written as g/dL; platelets per µL written as 10^9/L
    "lab_results": (
        {"analyte": "hemoglobin", "value": "118", "unit": "g/dL"},
        {"analyte": "platelets", "value": "245000", "unit": "10^9/L"},
    ),
    "adverse_events": ({"grade": "9"},),
}


@dataclass(frozen=True)
class BadRowContext:
    cutoff: int
    patient_id: pl.Series
    birth: np.ndarray
    t0: np.ndarray
    usable: np.ndarray  # patients whose rows may carry faults: consenting, id not duplicated
    duplicated: np.ndarray  # patients whose `patients` row gets a second copy
    id_width: int

    @classmethod
    def build(cls, rng: np.random.Generator, c: Cohort, rate: float) -> BadRowContext:
        consenting = np.nonzero(c.consent)[0]
        n_dup = max(1, int(rng.binomial(c.n, rate / len(BAD_ROW_KINDS["patients"])))) if rate > 0 else 0
        n_dup = min(n_dup, max(len(consenting) // 4, 1 if len(consenting) > 1 else 0))
        shuffled = rng.permutation(consenting)
        return cls(
            cutoff=c.cutoff,
            patient_id=c.patient_id,
            birth=c.birth,
            t0=c.t0,
            usable=np.sort(shuffled[n_dup:]),
            duplicated=np.sort(shuffled[:n_dup]),
            id_width=len(c.patient_id[0]) - 1,
        )

    def patient_index(self, ids: pl.Series) -> np.ndarray:
        lookup = pl.DataFrame({"patient_id": self.patient_id, "i": np.arange(len(self.patient_id))})
        return (
            ids.to_frame("patient_id")
            .join(lookup, on="patient_id", how="left", maintain_order="left")["i"]
            .to_numpy()
        )

    def new_ids(self, rng: np.random.Generator, n: int, prefix: str) -> pl.Series:
        """Ids one digit longer than every real id, so they can never match a patient."""
        digits = rng.integers(0, 10**self.id_width, n)
        return prefix + fmt.ints(digits).str.zfill(self.id_width)


def _counts(
    rng: np.random.Generator, kinds: tuple[str, ...], rows: int, rate: float, at_least_one: bool
) -> dict[str, int]:
    if rate <= 0:
        return dict.fromkeys(kinds, 0)
    out = {k: int(rng.binomial(rows, rate / len(kinds))) for k in kinds}
    return {k: max(v, 1) for k, v in out.items()} if at_least_one else out


def inject(
    table: str,
    frame: pl.DataFrame,
    ctx: BadRowContext,
    rng: np.random.Generator,
    rate: float,
    file_format: fmt.FileFormat,
    at_least_one: bool = True,
) -> pl.DataFrame:
    """`frame` (all text, as written) with bad rows of every kind for `table` added in place."""
    counts = _counts(rng, BAD_ROW_KINDS[table], frame.height, rate, at_least_one)
    if not any(counts.values()):
        return frame
    if table == "vital_status":
        frame = _edit_vital_status(frame, ctx, rng, counts)
    usable_ids = ctx.patient_id.gather(ctx.usable)
    pool = frame.filter(pl.col("patient_id").is_in(usable_ids.implode()))
    if pool.height == 0:
        return frame
    added = []
    for kind, k in counts.items():
        if k == 0 or (table == "vital_status" and kind in _VITAL_EDITS):
            continue
        rows = pool[rng.integers(0, pool.height, k)]
        added.append(_make(kind, table, rows, ctx, rng, file_format))
    if not added:
        return frame
    bad = pl.concat(added, how="vertical")
    keys = np.concatenate(
        [np.arange(frame.height, dtype=np.float64), rng.uniform(0, frame.height, bad.height)]
    )
    merged = pl.concat([frame, bad.select(frame.columns)], how="vertical").with_columns(_k=pl.Series(keys))
    return merged.sort("_k", maintain_order=True).drop("_k")


def _pick(rng: np.random.Generator, values: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(np.array(values, dtype=object)[rng.integers(0, len(values), n)], dtype=pl.String)


def _make(
    kind: str,
    table: str,
    rows: pl.DataFrame,
    ctx: BadRowContext,
    rng: np.random.Generator,
    file_format: fmt.FileFormat,
) -> pl.DataFrame:
    n = rows.height
    date_col = _DATE_COLUMN[table]
    if kind == "unparseable_date":
        rows = rows.with_columns(_pick(rng, _BAD_DATES[file_format.date_format], n).alias(date_col))
    elif kind == "unparseable_number":
        col, values = _BAD_NUMBERS[table]
        rows = rows.with_columns(_pick(rng, values, n).alias(col))
    elif kind == "vocabulary":
        col, values = _BAD_VOCABULARY[table]
        rows = rows.with_columns(_pick(rng, values, n).alias(col))
    elif kind == "unknown_unit":
        col, values = _UNKNOWN_UNITS[table]
        rows = rows.with_columns(_pick(rng, values, n).alias(col))
    elif kind == "implausible":
        options = _IMPLAUSIBLE[table]
        choice = rng.integers(0, len(options), n)
        parts = [
            rows.filter(pl.Series(choice == j)).with_columns(**{k: pl.lit(v) for k, v in edit.items()})
            for j, edit in enumerate(options)
        ]
        rows = pl.concat(parts)
    elif kind == "exact_duplicate":
        pass
    elif kind == "duplicate_patient_id":
        # a second, different record under an existing id
        dup_ids = ctx.patient_id.gather(ctx.duplicated[rng.integers(0, len(ctx.duplicated), n)])
        birth = ctx.birth[ctx.patient_index(dup_ids)] - rng.integers(200, 4000, n)
        return rows.with_columns(patient_id=dup_ids, birth_date=fmt.dates(birth, file_format.date_format))
    elif kind == "after_cutoff":
        days = ctx.cutoff + rng.integers(1, 61, n)
        rows = rows.with_columns(fmt.dates(days, file_format.date_format).alias(date_col))
    elif kind == "sample_before_birth":
        birth = ctx.birth[ctx.patient_index(rows["patient_id"])]
        days = birth - rng.integers(1, 3650, n)
        rows = rows.with_columns(fmt.dates(days, file_format.date_format).alias(date_col))
    elif kind == "orphan":
        return rows.with_columns(patient_id=ctx.new_ids(rng, n, "P9"))
    else:
        raise ValueError(f"unknown bad-row kind {kind}")
    if table == "patients":
        # a new patient record (own id) with the fault, so no other rows depend on it
        rows = rows.with_columns(patient_id=ctx.new_ids(rng, n, "P8"))
    return rows


_VITAL_EDITS = (
    "after_cutoff",
    "death_before_first_cycle",
    "death_before_last_known_alive",
    "unparseable_date",
)


def _edit_vital_status(
    frame: pl.DataFrame, ctx: BadRowContext, rng: np.random.Generator, counts: dict[str, int]
) -> pl.DataFrame:
    """Contradicting dates in a patient's own vital-status row (one row per patient).

    The edits are collected as (row positions, new text) and applied with `Series.scatter`, so the date
    columns stay polars String throughout (round-tripping them through numpy object arrays failed to
    cast back at registry scale)."""
    idx = ctx.patient_index(frame["patient_id"])
    lkad = frame["last_known_alive_date"].str.to_date().cast(pl.Int32).to_numpy().astype(np.int64)
    alive = frame["death_date"].is_null().to_numpy()
    usable = np.isin(idx, ctx.usable)
    taken = np.zeros(frame.height, bool)
    lkad_edits: list[tuple[np.ndarray, pl.Series]] = []
    death_edits: list[tuple[np.ndarray, pl.Series]] = []

    def choose(mask: np.ndarray, k: int) -> np.ndarray:
        candidates = np.nonzero(mask & usable & ~taken)[0]
        chosen = rng.choice(candidates, size=min(k, len(candidates)), replace=False)
        taken[chosen] = True
        return chosen.astype(np.int64)

    rows = choose(np.ones(frame.height, bool), counts["unparseable_date"])
    lkad_edits.append((rows, _pick(rng, _BAD_DATES[fmt.ISO], len(rows))))
    rows = choose(alive, counts["after_cutoff"])
    lkad_edits.append((rows, fmt.dates(ctx.cutoff + rng.integers(1, 31, len(rows)))))
    rows = choose(np.ones(frame.height, bool), counts["death_before_first_cycle"])
    death = ctx.t0[idx[rows]] - rng.integers(5, 61, len(rows))
    death_edits.append((rows, fmt.dates(death)))
    lkad_edits.append((rows, fmt.dates(death - rng.integers(0, 11, len(rows)))))
    rows = choose(lkad - ctx.t0[idx] > 70, counts["death_before_last_known_alive"])
    death_edits.append((rows, fmt.dates(lkad[rows] - rng.integers(10, 61, len(rows)))))
    return frame.with_columns(
        _scatter(frame["last_known_alive_date"], lkad_edits),
        _scatter(frame["death_date"], death_edits),
    )


def _scatter(column: pl.Series, edits: list[tuple[np.ndarray, pl.Series]]) -> pl.Series:
    out = column.cast(pl.String).clone()
    for rows, values in edits:
        if len(rows):
            out = out.scatter(rows, values.cast(pl.String))
    return out
