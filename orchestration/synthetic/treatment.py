"""RLT cycles: about every six weeks, fewer when progressing or frail, sometimes a second series.

Cycles are flat arrays sorted by (patient, date); `start[p]:start[p+1]` are patient p's cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.cohort import AC_617, PROGRESSOR, RESPONDER, STABLE, Cohort

MAX_FIRST_SERIES = 10
MAX_SECOND_SERIES = 4


@dataclass(frozen=True)
class Cycles:
    patient: np.ndarray
    date: np.ndarray
    series: np.ndarray
    # activity in GBq for lutetium, in MBq for actinium (the radioligand says which)
    activity: np.ndarray
    # marrow dose proxy in "lutetium GBq equivalents" (actinium MBq counted about one-for-one)
    marrow_load: np.ndarray
    start: np.ndarray  # len n + 1

    def count(self) -> np.ndarray:
        return np.diff(self.start)


def _intervals(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    base = np.clip(np.rint(rng.normal(42.0, 2.5, shape)), 35, 52)
    delayed = rng.random(shape) < 0.06
    return (base + np.where(delayed, rng.integers(7, 22, shape), 0)).astype(np.int64)


def draw_cycles(rng: np.random.Generator, c: Cohort) -> Cycles:
    n = c.n
    # Planned cycles by response; ECOG 3 patients are stopped earlier.
    planned = np.select(
        [c.response == RESPONDER, c.response == STABLE, c.response == PROGRESSOR],
        [rng.integers(4, 7, n), rng.integers(2, 6, n), rng.integers(1, 4, n)],
    )
    planned = np.where((c.response == RESPONDER) & (rng.random(n) < 0.10), rng.integers(7, 11, n), planned)
    planned = np.where(c.ecog == 3, np.maximum(planned - rng.integers(0, 3, n), 1), planned)
    # No cycle in the last ten days of life, none after the cut-off or loss to follow-up.
    limit = np.where(c.dead, c.death - 10, c.fu_end)

    k = np.arange(MAX_FIRST_SERIES)
    offsets = np.concatenate(
        [np.zeros((n, 1), np.int64), np.cumsum(_intervals(rng, (n, MAX_FIRST_SERIES - 1)), axis=1)], axis=1
    )
    dates1 = c.t0[:, None] + offsets
    keep1 = (k[None, :] < planned[:, None]) & ((dates1 <= limit[:, None]) | (k[None, :] == 0))
    keep1 = np.cumprod(keep1, axis=1).astype(bool)
    n1 = keep1.sum(axis=1)
    last1 = dates1[np.arange(n), n1 - 1]

    # Re-challenge: responders with >= 4 cycles, restarted after PSA progression.
    rechallenge = (c.response == RESPONDER) & (n1 >= 4) & (rng.random(n) < 0.25)
    start2 = np.maximum(last1 + 120, c.t0 + np.floor(c.psa_t_rise).astype(np.int64) + rng.integers(14, 60, n))
    k2 = np.arange(MAX_SECOND_SERIES)
    offsets2 = np.concatenate(
        [np.zeros((n, 1), np.int64), np.cumsum(_intervals(rng, (n, MAX_SECOND_SERIES - 1)), axis=1)], axis=1
    )
    dates2 = start2[:, None] + offsets2
    planned2 = rng.integers(2, MAX_SECOND_SERIES + 1, n)
    keep2 = rechallenge[:, None] & (k2[None, :] < planned2[:, None]) & (dates2 <= limit[:, None])
    keep2 = np.cumprod(keep2, axis=1).astype(bool)

    dates = np.concatenate([dates1, dates2], axis=1)
    keep = np.concatenate([keep1, keep2], axis=1)
    series = np.concatenate(
        [np.ones((n, MAX_FIRST_SERIES), np.int64), np.full((n, MAX_SECOND_SERIES), 2, np.int64)], axis=1
    )

    # Activity: 6-8 GBq usually, 4-6 GBq for frail patients, 6-10 MBq of actinium.
    actinium = c.radioligand == AC_617
    base = np.where(c.frail, rng.normal(5.0, 0.5, n), rng.normal(7.0, 0.45, n))
    base = np.where(actinium, np.where(c.frail, rng.uniform(6.0, 7.5, n), rng.uniform(7.0, 10.0, n)), base)
    jitter = rng.normal(1.0, 0.03, dates.shape)
    # Later cycles are reduced a little in patients with poor marrow reserve.
    reduce = np.where((c.reserve < 0.7)[:, None] & (np.arange(dates.shape[1]) >= 2)[None, :], 0.9, 1.0)
    activity = base[:, None] * jitter * reduce
    activity = np.where(actinium[:, None], np.clip(activity, 6.0, 10.0), np.clip(activity, 3.0, 10.5))

    rows, cols = np.nonzero(keep)  # row-major: patient order, then cycle order (dates increase)
    patient = rows.astype(np.int64)
    act = activity[rows, cols]
    counts = keep.sum(axis=1)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Cycles(
        patient=patient,
        date=dates[rows, cols],
        series=series[rows, cols],
        activity=act,
        marrow_load=act,  # 1 MBq actinium ~ 1 GBq lutetium for the marrow in this model
        start=start,
    )
