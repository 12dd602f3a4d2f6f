"""Regression: vital-status faults at registry scale (30,000 patients, 1 % bad rows) used to crash with
"cannot cast 'Object' type" while writing the edited dates back. Only the vital-status table is built here
(the same draws `generate_export(out, 30000, seed, bad_rows_rate=0.01)` makes), to stay fast."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.synthetic import clinical
from orchestration.synthetic import formatting as fmt
from orchestration.synthetic.bad_rows import BadRowContext, inject
from orchestration.synthetic.cohort import draw_cohort
from orchestration.synthetic.export import (
    _BAD,
    _BAD_CONTEXT,
    _COHORT,
    _CYCLES,
    _EPOCH,
    _VITAL,
    _rng,
    export_dates,
)
from orchestration.synthetic.treatment import draw_cycles

PATIENTS, SEED, RATE = 30_000, 11, 0.01
VITAL_STATUS_STREAM = 6  # position of vital_status among generate_export's small tables


@pytest.fixture(scope="module")
def vital() -> tuple[pl.DataFrame, pl.DataFrame, dt.date]:
    cutoff, _ = export_dates(SEED)
    cohort = draw_cohort(_rng(SEED, _COHORT), PATIENTS, (cutoff - _EPOCH).days)
    cycles = draw_cycles(_rng(SEED, _CYCLES), cohort)
    ctx = BadRowContext.build(_rng(SEED, _BAD_CONTEXT), cohort, RATE)
    clean = clinical.vital_status(_rng(SEED, _VITAL), cohort, cycles)
    bad = inject("vital_status", clean, ctx, _rng(SEED, _BAD, VITAL_STATUS_STREAM), RATE, fmt.FileFormat())
    first_cycle = pl.DataFrame(
        {"patient_id": cohort.patient_id, "t0": pl.Series(cohort.t0).cast(pl.Int32).cast(pl.Date)}
    )
    return clean, bad.join(first_cycle, on="patient_id", how="left"), cutoff


def test_dates_stay_text_and_no_patient_is_lost(vital):
    clean, bad, _ = vital
    assert bad.schema["last_known_alive_date"] == pl.String
    assert bad.schema["death_date"] == pl.String
    assert set(clean["patient_id"]) <= set(bad["patient_id"])


def test_every_vital_status_fault_is_present(vital):
    _, bad, cutoff = vital
    lkad = pl.col("last_known_alive_date").str.to_date("%Y-%m-%d", strict=False)
    death = pl.col("death_date").str.to_date("%Y-%m-%d", strict=False)
    counts = bad.select(
        unparseable=(lkad.is_null() & pl.col("last_known_alive_date").is_not_null()).sum(),
        after_cutoff=(lkad > pl.lit(cutoff)).sum(),
        death_before_alive=(death < lkad).sum(),
        death_before_first_cycle=(death < pl.col("t0")).sum(),
    ).row(0, named=True)
    # 1 % of 30,000 rows over six kinds: about 50 of each; "at least a few" is what a loader test needs
    assert all(n >= 10 for n in counts.values()), counts


def test_clean_rows_are_left_as_drawn(vital):
    clean, bad, _ = vital
    # a row is edited at most once and only 4 of 6 kinds edit in place: most rows are unchanged
    same = clean.join(bad.drop("t0"), on=clean.columns, how="semi", nulls_equal=True).height
    assert PATIENTS - 400 < same < PATIENTS
