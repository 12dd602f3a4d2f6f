"""Cox proportional-hazards ratio of one cohort relative to another (lifelines, Efron ties, as R `coxph`).

A single binary covariate (1 = cohort_a). The ratio is not estimable, and is returned as None with a note
(never a huge number), when:
- a cohort is empty or nobody had an event;
- the partial likelihood is monotone: at every event time every patient with an event has the largest
  (or at every one the smallest) covariate value in the risk set, e.g. every patient of one cohort has an
  event before any of the other is at risk of one, or one cohort has no event at all. The coefficient
  then runs off to infinity; this is checked on the data before fitting, not inferred from warnings;
- the Newton–Raphson fit does not converge.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning

# lifelines' defaults (95 % Newton steps, stop at a step < 1e-7) leave the HR off R's in the 6th digit.
# R coxph takes full Newton steps from 0 until the log-likelihood changes by < 1e-9 relative; full steps
# and a tighter tolerance agree with R to 1e-9.
FIT_OPTIONS = {"step_size": 1.0, "precision": 1e-12, "r_precision": 1e-14, "max_steps": 200}


@dataclass(frozen=True)
class HazardRatio:
    hazard_ratio: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_wald: float | None
    note: str | None


def _not_estimable(note: str) -> HazardRatio:
    return HazardRatio(None, None, None, None, note)


def monotone_direction(durations: np.ndarray, events: np.ndarray, x: np.ndarray) -> int:
    """+1 when the partial likelihood of the binary covariate x increases without bound (beta -> +inf),
    -1 when it does towards -inf, 2 when it is flat (no event has both groups at risk), 0 when it has a
    finite maximum.

    The score of one covariate is sum over events of (x_i - the risk set's weighted mean of x); as
    beta -> +inf that mean tends to the risk set's max of x, so the score stays positive for every beta
    exactly when each event's x equals the max of x over its risk set (time >= its time), and not every
    risk set is of one group only (then the likelihood is flat). Tied events share a risk set (Efron).
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    xs = np.asarray(x, dtype=float)
    at_max = at_min = True
    informative = False
    for t in np.unique(d[e]):
        at_risk = xs[d >= t]
        lo, hi = at_risk.min(), at_risk.max()
        x_events = xs[e & (d == t)]
        informative = informative or lo < hi
        at_max = at_max and bool(np.all(x_events == hi))
        at_min = at_min and bool(np.all(x_events == lo))
    if not informative:
        return 2
    if at_max:
        return 1
    if at_min:
        return -1
    return 0


def hazard_ratio(
    durations_a: np.ndarray, events_a: np.ndarray, durations_b: np.ndarray, events_b: np.ndarray
) -> HazardRatio:
    """HR of group a relative to b with its Wald 95 % CI and p, as `coxph(Surv(t, e) ~ a, ties="efron")`."""
    na, nb = len(durations_a), len(durations_b)
    if na == 0 or nb == 0:
        return _not_estimable("a cohort has no patient")
    durations = np.concatenate([np.asarray(durations_a, float), np.asarray(durations_b, float)])
    events = np.concatenate([np.asarray(events_a, bool), np.asarray(events_b, bool)])
    x = np.concatenate([np.ones(na), np.zeros(nb)])
    if not events.any():
        return _not_estimable("no events")
    direction = monotone_direction(durations, events, x)
    if direction == 2:
        return _not_estimable("no event while both cohorts were at risk: the likelihood is flat")
    if direction != 0:
        which = "cohort_b" if direction == 1 else "cohort_a"
        return _not_estimable(
            "monotone likelihood: no event in "
            f"{which} while a patient of the other cohort was at risk (the ratio is infinite or zero)"
        )
    frame = pd.DataFrame({"time": durations, "event": events.astype(int), "cohort_a": x})
    fitter = CoxPHFitter()
    try:
        with warnings.catch_warnings():
            # a warning here is a fit that did not settle: the result is rejected below by its own checks
            warnings.simplefilter("error", ConvergenceWarning)
            fitter.fit(frame, duration_col="time", event_col="event", fit_options=FIT_OPTIONS)
    except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError) as exc:
        return _not_estimable(f"the Cox fit did not converge ({type(exc).__name__})")
    row = fitter.summary.loc["cohort_a"]
    coef, se, p = float(row["coef"]), float(row["se(coef)"]), float(row["p"])
    if not all(math.isfinite(v) for v in (coef, se, p)):
        return _not_estimable("the Cox fit did not converge (non-finite estimate)")
    z = 1.959963984540054  # qnorm(0.975), as R's confint / summary.coxph
    return HazardRatio(math.exp(coef), math.exp(coef - z * se), math.exp(coef + z * se), p, None)
