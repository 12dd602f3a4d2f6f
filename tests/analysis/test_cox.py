"""Cox hazard ratios against R `survival::coxph(Surv(t, e) ~ a, ties = "efron")` (rel 1e-7: R stops at a
relative log-likelihood change of 1e-9, about 1e-8 from the exact maximum computed here).

R code for every constant (a = 1 for cohort_a):
    library(survival); options(digits = 15)
    f <- function(t, e, a) { s <- summary(coxph(Surv(t, e) ~ a, ties = "efron"))
      c(s$conf.int[1, c(1, 3, 4)], s$coefficients[1, 5]) }   # HR, lower .95, upper .95, Pr(>|z|)
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.analysis import cox
from orchestration.analysis.cox import hazard_ratio, monotone_direction


def _split(t, e, a):
    t, e, a = np.asarray(t, float), np.asarray(e, bool), np.asarray(a, bool)
    return t[a], e[a], t[~a], e[~a]


def _check(got, expected):
    assert got.note is None
    assert (got.hazard_ratio, got.ci_lower, got.ci_upper, got.p_wald) == pytest.approx(expected, rel=1e-7)


def test_tie_heavy_case_matches_r():
    # f(c(1,2,2,3,3,3,5,6,8,8, 2,3,3,4,5,6,6,8,9,10,12), c(1,1,1,1,0,1,1,0,1,1, 1,1,0,1,1,1,0,1,0,1,0),
    #   c(rep(1,10), rep(0,11))): events tied across both cohorts at 2, 3, 6 and 8.
    t = [1, 2, 2, 3, 3, 3, 5, 6, 8, 8, 2, 3, 3, 4, 5, 6, 6, 8, 9, 10, 12]
    e = [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0]
    a = [1] * 10 + [0] * 11
    _check(hazard_ratio(*_split(t, e, a)),
           (2.37065624104319, 0.808107055358457, 6.95453773844867, 0.115962153553338))


def test_no_ties_case_matches_r():
    # f(c(5,8,12,3,9,15,20,7,11,25), c(1,1,0,1,1,1,0,1,1,0), c(1,1,1,1,1,0,0,0,0,0))
    t = [5, 8, 12, 3, 9, 15, 20, 7, 11, 25]
    e = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0]
    a = [1] * 5 + [0] * 5
    _check(hazard_ratio(*_split(t, e, a)),
           (3.44739645796808, 0.606145303620013, 19.6067547953175, 0.162872983082112))


def test_nearly_separated_but_finite_matches_r():
    # f(c(1,2,3,4,2.5,6,7,8), c(1,1,1,1,1,1,1,0), c(1,1,1,1,0,0,0,0)): one event of b (2.5) while a is at
    # risk keeps the maximum finite.
    t = [1, 2, 3, 4, 2.5, 6, 7, 8]
    e = [1, 1, 1, 1, 1, 1, 1, 0]
    a = [1, 1, 1, 1, 0, 0, 0, 0]
    _check(hazard_ratio(*_split(t, e, a)),
           (6.85455308284512, 0.746469215814447, 62.9428474344759, 0.0888490886800044))


def test_monotone_likelihood_gives_no_ratio():
    # Every patient of a has an event (1, 2, 3) before any of b (4, 5, 6): R's coxph reports HR
    # 4003269337.02801 (CI 0 to Inf, p 0.999) with "Loglik converged before variable 1; coefficient may
    # be infinite". Here: no number, a note.
    got = hazard_ratio(np.array([1.0, 2, 3]), np.ones(3, bool), np.array([4.0, 5, 6]), np.ones(3, bool))
    assert (got.hazard_ratio, got.ci_lower, got.ci_upper, got.p_wald) == (None, None, None, None)
    assert "monotone likelihood" in got.note and "cohort_b" in got.note
    # the mirror image: b's events come first -> ratio towards 0
    got = hazard_ratio(np.array([4.0, 5, 6]), np.ones(3, bool), np.array([1.0, 2, 3]), np.ones(3, bool))
    assert got.hazard_ratio is None and "cohort_a" in got.note


def test_no_event_in_one_cohort_is_monotone():
    got = hazard_ratio(np.array([1.0, 5, 9]), np.array([True, True, False]),
                       np.array([2.0, 6, 7]), np.zeros(3, bool))
    assert got.hazard_ratio is None and "monotone likelihood" in got.note


def test_monotone_with_ties_across_cohorts_is_not_monotone():
    # a tied event of both cohorts at 2 while both are at risk: the likelihood has a finite maximum
    t_a, e_a = np.array([1.0, 2]), np.ones(2, bool)
    t_b, e_b = np.array([2.0, 3, 4]), np.ones(3, bool)
    assert monotone_direction(np.r_[t_a, t_b], np.r_[e_a, e_b], np.r_[np.ones(2), np.zeros(3)]) == 0


def test_flat_likelihood_and_empty_groups():
    # b is censored at 0.5 before a's only event at 1: no event with both cohorts at risk
    got = hazard_ratio(np.array([1.0]), np.ones(1, bool), np.array([0.5]), np.zeros(1, bool))
    assert got.hazard_ratio is None and "flat" in got.note
    assert hazard_ratio(np.empty(0), np.empty(0, bool), np.array([1.0]), np.ones(1, bool)).note == (
        "a cohort has no patient"
    )
    assert hazard_ratio(np.array([1.0]), np.zeros(1, bool), np.array([2.0]), np.zeros(1, bool)).note == (
        "no events"
    )


def test_non_convergence_gives_a_note(monkeypatch):
    # one Newton step cannot reach a step below the tolerance from beta = 0
    monkeypatch.setattr(cox, "MAX_ITERATIONS", 1)
    t = [5, 8, 12, 3, 9, 15, 20, 7, 11, 25]
    e = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0]
    got = hazard_ratio(*_split(t, e, [1] * 5 + [0] * 5))
    assert got.hazard_ratio is None and got.note == "the Cox fit did not converge"


def test_aml_maintained_vs_nonmaintained_matches_r():
    # aml$a <- as.integer(aml$x == "Maintained"); f on coxph(Surv(time, status) ~ a, data = aml)
    maintained_t = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
    maintained_e = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    non_t = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    non_e = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    got = hazard_ratio(np.array(maintained_t, float), np.array(maintained_e, bool),
                       np.array(non_t, float), np.array(non_e, bool))
    _check(got, (0.400303377733198, 0.146767538182207, 1.09181359999151, 0.0737148606390458))
