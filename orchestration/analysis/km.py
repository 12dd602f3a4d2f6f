"""Kaplan–Meier curve, number-at-risk grid, and the median with its CI computed as R survival does.

lifelines fits the curve and its pointwise log-log ("exponential Greenwood") band, which equals R's
`survfit(conf.type = "log-log")`. lifelines' own median ignores R's midpoint rule and its CI helper does
not handle bands that equal 0.5 over an interval, so quantiles are read off the curves with a port of
R's `survival:::findq` (survival 3.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

DAYS_PER_MONTH = 30.4375
CI_METHOD = "log-log"
# R's quantile.survfit default tolerance: S(t) within this of p counts as "equal to p".
R_TOLERANCE = math.sqrt(np.finfo(float).eps)

KM_CURVE_COLUMNS = ["time_months", "survival", "ci_lower", "ci_upper", "at_risk", "events", "censored"]
RISK_TABLE_COLUMNS = ["time_months", "at_risk", "cum_events", "cum_censored"]


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival and its 95 % CI; None means "not reached"."""

    median: float | None
    ci_lower: float | None
    ci_upper: float | None


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """One row per distinct time, starting at time 0 with S = 1 (unless events happen at 0).

    Columns KM_CURVE_COLUMNS (time in the unit of `durations`). The band is NaN where S = 0, as in R:
    the log-log band is undefined there, and a 0 upper limit would make the median CI look reached.
    An empty input gives an empty frame.
    """
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    if durations.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in KM_CURVE_COLUMNS})
    kmf = KaplanMeierFitter(alpha=0.05).fit(durations, event_observed=events)
    table = kmf.event_table
    survival = kmf.survival_function_.iloc[:, 0].to_numpy()
    band = kmf.confidence_interval_survival_function_
    lower = band.iloc[:, 0].to_numpy(dtype=float).copy()
    upper = band.iloc[:, 1].to_numpy(dtype=float).copy()
    undefined = survival <= 0
    lower[undefined] = np.nan
    upper[undefined] = np.nan
    return pd.DataFrame(
        {
            "time_months": table.index.to_numpy(dtype=float),
            "survival": survival,
            "ci_lower": lower,
            "ci_upper": upper,
            "at_risk": table["at_risk"].to_numpy(dtype=np.int64),
            "events": table["observed"].to_numpy(dtype=np.int64),
            "censored": table["censored"].to_numpy(dtype=np.int64),
        }
    )


def survival_quantile(times: np.ndarray, survival: np.ndarray, p: float = 0.5) -> float | None:
    """Smallest t with S(t) <= 1 - p, R style: where S equals 1 - p over an interval, its midpoint.

    A port of `survival:::findq` working on the CDF F = 1 - S with the point (0, F = 0) prepended.
    If F is still exactly p at the last point, the interval ends at the last time of the curve.
    NaN points of a band are skipped, as R's `approx` drops NA. Returns None when never reached.
    """
    x = np.concatenate([[0.0], np.asarray(times, dtype=float)])
    y = np.concatenate([[0.0], 1.0 - np.asarray(survival, dtype=float)])
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return None
    x_max = x[-1]
    # R's duplicated(): keep the first occurrence of every value (NaN counts as one value).
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    first_reach = _first_knot_at_or_above(y + R_TOLERANCE, p)
    after_reach = _first_knot_at_or_above(y - R_TOLERANCE, p)
    if first_reach is None:
        return None
    last = y[-1]
    if not np.isnan(last) and abs(p - last) < R_TOLERANCE:
        return float((x[first_reach] + x_max) / 2)
    if after_reach is None:
        return None
    return float((x[first_reach] + x[after_reach]) / 2)


def _first_knot_at_or_above(knots: np.ndarray, p: float) -> int | None:
    """R `approx(knots, seq_along(knots), p, method = "constant", f = 1)$y`: the index of the smallest
    knot >= p (knots are sorted by value, NaN dropped), or None when p is outside the knots' range."""
    valid = np.flatnonzero(~np.isnan(knots))
    if valid.size == 0:
        return None
    values = knots[valid]
    if p < values.min() or p > values.max():
        return None
    candidates = valid[values >= p]
    return int(candidates[np.argmin(knots[candidates])])


def median_survival(curve: pd.DataFrame) -> MedianSurvival:
    """Median and its CI from a `kaplan_meier` frame: the CI limits are where the lower and the upper
    band reach 0.5 (the lower band reaches it first, giving the lower limit), as R `quantile.survfit`."""
    if curve.empty:
        return MedianSurvival(None, None, None)
    times = curve["time_months"].to_numpy()
    return MedianSurvival(
        median=survival_quantile(times, curve["survival"].to_numpy()),
        ci_lower=survival_quantile(times, curve["ci_lower"].to_numpy()),
        ci_upper=survival_quantile(times, curve["ci_upper"].to_numpy()),
    )


def risk_table(durations: np.ndarray, events: np.ndarray, step: float = 3.0) -> pd.DataFrame:
    """Numbers under a KM plot on the grid 0, step, 2·step, … <= max follow-up.

    at_risk = #(follow-up >= t); cum_events / cum_censored count those with follow-up <= t (inclusive,
    as survminer and ggsurvfit print them). Empty input gives an empty frame.
    """
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    if durations.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in RISK_TABLE_COLUMNS})
    grid = np.arange(0, math.floor(durations.max() / step) + 1) * step
    all_times = np.sort(durations)
    event_times = np.sort(durations[events])
    censor_times = np.sort(durations[~events])
    return pd.DataFrame(
        {
            "time_months": grid,
            "at_risk": (durations.size - np.searchsorted(all_times, grid, side="left")).astype(np.int64),
            "cum_events": np.searchsorted(event_times, grid, side="right").astype(np.int64),
            "cum_censored": np.searchsorted(censor_times, grid, side="right").astype(np.int64),
        }
    )
