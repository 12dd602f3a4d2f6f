"""Visit dates: baseline work-up, before each cycle, a blood count between cycles, and follow-up.

All functions work on a contiguous block of patients `lo:hi` and return arrays sorted by (patient, date)
with at most one visit per patient and date, so no table built on them can hold exact duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.cohort import Cohort
from orchestration.synthetic.treatment import Cycles

BASELINE, PRE_CYCLE, INTERIM, FOLLOW_UP = 0, 1, 2, 3
_FOLLOW_UP_SLOTS = 12
_KEY = 1_000_000  # dates (days since 1970) stay far below this


@dataclass(frozen=True)
class Visits:
    patient: np.ndarray
    date: np.ndarray
    kind: np.ndarray


def block_cycles(cy: Cycles, lo: int, hi: int) -> slice:
    return slice(int(cy.start[lo]), int(cy.start[hi]))


def follow_up(
    rng: np.random.Generator, c: Cohort, cy: Cycles, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Visits every 4-8 weeks after the last cycle of each series, for 6-12 months (or until the next
    series, death, loss to follow-up or the cut-off)."""
    sl = block_cycles(cy, lo, hi)
    p, d, s = cy.patient[sl], cy.date[sl], cy.series[sl]
    same_next = np.zeros(len(p), bool)
    same_next[:-1] = p[:-1] == p[1:]
    series_end = ~same_next | (s != np.roll(s, -1))
    next_start = np.where(same_next, np.roll(d, -1), np.iinfo(np.int64).max // 2)
    ends = np.nonzero(series_end)[0]
    m = len(ends)
    ep, ed, limit = p[ends], d[ends], np.minimum(next_start[ends] - 10, c.fu_end[p[ends]])
    offsets = np.cumsum(rng.integers(28, 50, (m, _FOLLOW_UP_SLOTS)), axis=1)
    horizon = rng.integers(180, 366, m)
    dates = ed[:, None] + offsets
    keep = (offsets <= horizon[:, None]) & (dates <= limit[:, None])
    rows, cols = np.nonzero(keep)
    return ep[rows], dates[rows, cols]


def _unique_sorted(patient: np.ndarray, date: np.ndarray, kind: np.ndarray) -> Visits:
    order = np.lexsort((kind, date, patient))
    patient, date, kind = patient[order], date[order], kind[order]
    first = np.ones(len(patient), bool)
    first[1:] = (patient[1:] != patient[:-1]) | (date[1:] != date[:-1])
    return Visits(patient[first], date[first], kind[first])


def lab_visits(rng: np.random.Generator, c: Cohort, cy: Cycles, lo: int, hi: int) -> Visits:
    pats = np.arange(lo, hi)
    has_baseline = rng.random(len(pats)) >= 0.015
    base_p = pats[has_baseline]
    base_d = c.t0[base_p] - rng.integers(0, 29, len(base_p))

    sl = block_cycles(cy, lo, hi)
    p, d = cy.patient[sl], cy.date[sl]
    first = np.zeros(len(p), bool)
    first[cy.start[lo:hi] - sl.start] = True
    pre_p, pre_d = p[~first], d[~first] - rng.integers(0, 4, int((~first).sum()))

    same_next = np.zeros(len(p), bool)
    same_next[:-1] = p[:-1] == p[1:]
    next_d = np.where(same_next, np.roll(d, -1), np.iinfo(np.int64).max // 2)
    mid_d = d + rng.integers(14, 25, len(p))
    mid = (rng.random(len(p)) < 0.8) & (mid_d < next_d - 7) & (mid_d <= c.fu_end[p])

    fu_p, fu_d = follow_up(rng, c, cy, lo, hi)
    patient = np.concatenate([base_p, pre_p, p[mid], fu_p])
    date = np.concatenate([base_d, pre_d, mid_d[mid], fu_d])
    kind = np.concatenate(
        [
            np.full(len(base_p), BASELINE),
            np.full(len(pre_p), PRE_CYCLE),
            np.full(int(mid.sum()), INTERIM),
            np.full(len(fu_p), FOLLOW_UP),
        ]
    )
    return _unique_sorted(patient, date, kind)


def cycles_before(
    cy: Cycles, lo: int, hi: int, patient: np.ndarray, date: np.ndarray
) -> dict[str, np.ndarray]:
    """For each (patient, date): cycles given strictly before the date, their summed marrow load, and
    days since the latest of them (-1 when none)."""
    sl = block_cycles(cy, lo, hi)
    keys = cy.patient[sl] * _KEY + cy.date[sl]
    pos = np.searchsorted(keys, patient * _KEY + date, side="left")
    first = cy.start[patient] - sl.start
    count = pos - first
    load_cum = np.concatenate([[0.0], np.cumsum(cy.marrow_load[sl])])
    load = load_cum[pos] - load_cum[first]
    last = cy.date[sl][np.maximum(pos - 1, 0)]
    since = np.where(count > 0, date - last, -1)
    return {"count": count, "load": load, "since": since}
