"""Log-rank comparison of survival between disjoint cohorts (lifelines)."""

from __future__ import annotations

import math

import numpy as np
from lifelines.statistics import logrank_test


def logrank(
    durations_a: np.ndarray, events_a: np.ndarray, durations_b: np.ndarray, events_b: np.ndarray
) -> tuple[float | None, float | None]:
    """(chi-square with 1 df, p) as R `survdiff`; (None, None) when a group is empty or nobody had an
    event (the test statistic is 0/0 then)."""
    if len(durations_a) == 0 or len(durations_b) == 0 or not (np.any(events_a) or np.any(events_b)):
        return None, None
    result = logrank_test(durations_a, durations_b, event_observed_A=events_a, event_observed_B=events_b)
    stat, p = float(result.test_statistic), float(result.p_value)
    return (stat if math.isfinite(stat) else None), (p if math.isfinite(p) else None)

