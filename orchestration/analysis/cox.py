"""Cox proportional-hazards ratio of one cohort relative to another (Efron ties, as R `coxph`).

A single binary covariate (1 = cohort_a), fitted by Newton–Raphson on the Efron partial likelihood from
beta = 0 (as R; step halving when the log-likelihood would fall) until the step is below 1e-12: R's
defaults stop at a relative log-likelihood change of 1e-9, within ~1e-8 of this. lifelines' fitter was
tried first but stops up to 2e-6 (relative) away from R's estimate on R's own `aml` data.

The ratio is not estimable, and is returned as None with a note (never a huge number), when:
- a cohort is empty or nobody had an event;
- the partial likelihood is monotone: at every event time every patient with an event has the largest
  (or at every one the smallest) covariate value in the risk set, e.g. every patient of one cohort has an
  event before any of the other is at risk of one, or one cohort has no event at all. The coefficient
  then runs off to infinity; this is checked on the data before fitting, not inferred from warnings;
- Newton–Raphson does not converge (or the coefficient leaves |beta| <= 20, HR 5e8).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

MAX_ITERATIONS = 50
TOLERANCE = 1e-12
MAX_ABS_BETA = 20.0
Z_975 = float(stats.norm.ppf(0.975))  # qnorm(0.975), as R's summary.coxph


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
    order = np.argsort(np.asarray(durations, dtype=float), kind="stable")
    t = np.asarray(durations, dtype=float)[order]
    e = np.asarray(events, dtype=bool)[order]
    xs = np.asarray(x, dtype=float)[order]
    event_times = np.unique(t[e])
    start = np.searchsorted(t, event_times, side="left")
    # max / min of x over each risk set (every patient from `start` on, times sorted)
    risk_hi = np.maximum.accumulate(xs[::-1])[::-1][start]
    risk_lo = np.minimum.accumulate(xs[::-1])[::-1][start]
    # max / min of x among the events at each event time
    boundaries = np.searchsorted(t[e], event_times, side="left")
    event_hi = np.maximum.reduceat(xs[e], boundaries)
    event_lo = np.minimum.reduceat(xs[e], boundaries)
    informative = bool(np.any(risk_lo < risk_hi))
    at_max = bool(np.all(event_lo == risk_hi))
    at_min = bool(np.all(event_hi == risk_lo))
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
    fit = efron_newton_raphson(durations, events, x)
    if fit is None:
        return _not_estimable("the Cox fit did not converge")
    beta, information = fit
    se = 1.0 / math.sqrt(information)
    p = float(2.0 * stats.norm.sf(abs(beta / se)))
    return HazardRatio(math.exp(beta), math.exp(beta - Z_975 * se), math.exp(beta + Z_975 * se), p, None)


def _efron(beta: float, time: np.ndarray, event: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """(log partial likelihood, score, information) of one covariate with Efron's ties.

    At an event time with d events D and risk set R (time >= t), for l = 0..d-1:
    A_k = sum_R x^k e^(beta x) - l/d sum_D x^k e^(beta x); loglik -= log A_0, score -= A_1/A_0,
    information += A_2/A_0 - (A_1/A_0)^2; plus beta x and x for each event.
    """
    order = np.argsort(time, kind="stable")
    t, e, xs = time[order], event[order], x[order]
    w = np.exp(beta * xs)
    # sums over the risk set of the i-th sorted patient: every later (or tied) time
    risk0 = np.cumsum(w[::-1])[::-1]
    risk1 = np.cumsum((w * xs)[::-1])[::-1]
    risk2 = np.cumsum((w * xs * xs)[::-1])[::-1]
    event_times = np.unique(t[e])
    start = np.searchsorted(t, event_times, side="left")
    group = np.searchsorted(event_times, t[e])
    d = np.bincount(group, minlength=event_times.size)
    tied0 = np.bincount(group, weights=w[e], minlength=event_times.size)
    tied1 = np.bincount(group, weights=(w * xs)[e], minlength=event_times.size)
    tied2 = np.bincount(group, weights=(w * xs * xs)[e], minlength=event_times.size)
    # one term per event: its group's sums and l / d, l = 0..d-1 within the group
    rank = np.arange(group.size) - np.searchsorted(group, group, side="left")
    f = rank / d[group]
    a0 = risk0[start][group] - f * tied0[group]
    a1 = risk1[start][group] - f * tied1[group]
    a2 = risk2[start][group] - f * tied2[group]
    loglik = float(beta * xs[e].sum() - np.log(a0).sum())
    score = float(xs[e].sum() - (a1 / a0).sum())
    information = float((a2 / a0 - (a1 / a0) ** 2).sum())
    return loglik, score, information


def efron_newton_raphson(
    durations: np.ndarray, events: np.ndarray, x: np.ndarray
) -> tuple[float, float] | None:
    """(beta, information at beta) maximising the Efron partial likelihood, or None without convergence."""
    time = np.asarray(durations, dtype=float)
    event = np.asarray(events, dtype=bool)
    xs = np.asarray(x, dtype=float)
    beta = 0.0
    loglik, score, information = _efron(beta, time, event, xs)
    for _ in range(MAX_ITERATIONS):
        if information <= 0:
            return None
        step = score / information
        candidate = beta + step
        new = _efron(candidate, time, event, xs)
        halvings = 0
        while new[0] < loglik and halvings < 30:  # R's step halving when the likelihood falls
            step /= 2
            candidate = beta + step
            new = _efron(candidate, time, event, xs)
            halvings += 1
        beta, (loglik, score, information) = candidate, new
        if abs(beta) > MAX_ABS_BETA:
            return None
        if abs(step) < TOLERANCE:
            return (beta, information) if information > 0 else None
    return None
