"""Kaplan–Meier curve, median and its log-log CI against R.

Every expected value below was computed with R 4.2 / survival 3.5.3 (Debian r-cran-survival):
    f <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
    f$time, f$n.risk, f$n.event, f$n.censor, f$surv, f$lower, f$upper
    quantile(f, 0.5)            # median, lower, upper
    summary(f, times = c(0, 3, 6, ...))   # n.risk on the 3-month grid
and printed with sprintf("%.15g").
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.analysis.km import kaplan_meier, median_survival, risk_table, survival_quantile


def _fit(time: list[float], status: list[int]):
    curve = kaplan_meier(np.array(time, dtype=float), np.array(status, dtype=bool))
    return curve, median_survival(curve)


def test_midpoint_rule_where_survival_is_exactly_one_half_over_an_interval():
    # n = 10: S = 0.5 on [5, 7), drops at 7. R: median = 6 (midpoint of 5 and 7), lower = 1, upper = NA.
    curve, m = _fit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 1, 1, 0, 1, 0, 1, 0])
    assert m.median == pytest.approx(6.0)
    assert m.ci_lower == pytest.approx(1.0)
    assert m.ci_upper is None
    # R survfit rows at t = 5 and t = 9 (lower, upper), and the time-0 row this table adds.
    at5 = curve[curve.time_months == 5].iloc[0]
    # lifelines multiplies in log space: S is 0.5 to ~1e-16, within R's sqrt(eps) equality tolerance.
    assert at5.survival == pytest.approx(0.5, rel=1e-12)
    assert (at5.at_risk, at5.events, at5.censored) == (6, 1, 0)
    assert at5.ci_lower == pytest.approx(0.183605590619015, rel=1e-9)
    assert at5.ci_upper == pytest.approx(0.75317407699823, rel=1e-9)
    at9 = curve[curve.time_months == 9].iloc[0]
    assert at9.ci_lower == pytest.approx(0.0121985070698417, rel=1e-9)
    assert at9.ci_upper == pytest.approx(0.529441840980099, rel=1e-9)
    first = curve.iloc[0]
    assert (first.time_months, first.survival, first.at_risk) == (0.0, 1.0, 10)
    assert list(curve.at_risk) == [10, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


def test_survival_one_half_until_the_last_follow_up_uses_the_last_time():
    # Events at 1..5, censored 6..10: S stays 0.5 to the end. R: median = (5 + 10) / 2 = 7.5.
    _, m = _fit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    assert (m.median, m.ci_lower, m.ci_upper) == (pytest.approx(7.5), pytest.approx(1.0), None)


def test_median_not_reached_but_lower_limit_reached():
    # R: median = NA, lower = 2, upper = NA.
    _, m = _fit(list(range(1, 13)), [1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    assert m.median is None and m.ci_upper is None
    assert m.ci_lower == pytest.approx(2.0)


def test_no_events_gives_no_median_and_no_ci():
    curve, m = _fit([3, 5, 8], [0, 0, 0])
    assert (m.median, m.ci_lower, m.ci_upper) == (None, None, None)
    assert list(curve.survival) == [1.0, 1.0, 1.0, 1.0]
    assert list(curve.at_risk) == [3, 3, 2, 1]


def test_curve_reaching_zero_has_no_band_there_so_upper_limit_is_not_reached():
    # Ties of events and censorings; last two die at 12 (S = 0). R: median 8, lower 2, upper NA;
    # R's band at S = 0 is NA.
    curve, m = _fit([2, 2, 3, 5, 5, 5, 8, 9, 12, 12], [1, 0, 1, 1, 1, 0, 1, 1, 1, 1])
    assert (m.median, m.ci_lower, m.ci_upper) == (pytest.approx(8.0), pytest.approx(2.0), None)
    assert list(curve.time_months) == [0, 2, 3, 5, 8, 9, 12]
    assert list(curve.at_risk) == [10, 10, 8, 7, 4, 3, 2]
    assert list(curve.events) == [0, 1, 1, 2, 1, 1, 2]
    assert list(curve.censored) == [0, 1, 0, 1, 0, 0, 0]
    assert curve.survival.iloc[3] == pytest.approx(0.5625)
    assert curve.ci_lower.iloc[3] == pytest.approx(0.209421243710472, rel=1e-9)
    assert curve.ci_upper.iloc[3] == pytest.approx(0.809170921530992, rel=1e-9)
    assert np.isnan(curve.ci_lower.iloc[-1]) and np.isnan(curve.ci_upper.iloc[-1])


# 28 patients, times in days (ties of an event and a censoring at 31 days, two events at 71 days).
DAYS = [12, 25, 31, 31, 44, 58, 60, 71, 71, 90, 102, 118, 130, 150, 151, 170, 200, 222, 260, 301, 340,
        365, 400, 455, 500, 610, 700, 730]
STATUS = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0]


def test_median_and_both_ci_limits_reached_in_months():
    # R on Surv(DAYS / 30.4375, STATUS): median 6.57084188911704, CI 2.95687885010267–14.9486652977413.
    curve, m = _fit(list(np.array(DAYS) / 30.4375), STATUS)
    assert m.median == pytest.approx(6.57084188911704, rel=1e-12)
    assert m.ci_lower == pytest.approx(2.95687885010267, rel=1e-12)
    assert m.ci_upper == pytest.approx(14.9486652977413, rel=1e-12)
    row = curve.iloc[7]  # t = 71 d = 2.33264887063655 months, 2 events
    assert row.time_months == pytest.approx(2.33264887063655, rel=1e-12)
    assert (row.at_risk, row.events, row.censored) == (21, 2, 0)
    assert row.survival == pytest.approx(0.740504535147392, rel=1e-12)
    assert row.ci_lower == pytest.approx(0.530648967762805, rel=1e-9)
    assert row.ci_upper == pytest.approx(0.867244326404022, rel=1e-9)


def test_risk_table_on_three_month_grid():
    # R summary(f, times = seq(0, 21, 3)) n.risk: 28 18 12 9 6 4 3 2 (follow-up >= t).
    # Cumulative events = cumsum of summary's n.event: 0 8 12 14 16 17 17 18; censored counted by hand.
    table = risk_table(np.array(DAYS) / 30.4375, np.array(STATUS, dtype=bool))
    assert list(table.time_months) == [0, 3, 6, 9, 12, 15, 18, 21]
    assert list(table.at_risk) == [28, 18, 12, 9, 6, 4, 3, 2]
    assert list(table.cum_events) == [0, 8, 12, 14, 16, 17, 17, 18]
    assert list(table.cum_censored) == [0, 2, 4, 5, 6, 7, 8, 8]


def test_risk_table_censored_counts_against_r():
    # Censorings before, at and between grid times (one at exactly 3 and one at exactly 6 months):
    #   t <- c(1, 2.5, 3, 3, 4, 5.5, 6, 7, 8.5, 10); s <- c(1, 0, 1, 0, 0, 1, 0, 1, 0, 1)
    #   summary(survfit(Surv(t, s) ~ 1), times = c(0, 3, 6, 9))
    #   n.risk 10 8 4 1; n.event 0 2 1 1; n.censor 0 2 2 1 (censored in (previous time, time])
    # cum_censored is the running sum of n.censor, cum_events that of n.event.
    t = np.array([1, 2.5, 3, 3, 4, 5.5, 6, 7, 8.5, 10])
    table = risk_table(t, np.array([1, 0, 1, 0, 0, 1, 0, 1, 0, 1], dtype=bool))
    assert list(table.time_months) == [0, 3, 6, 9]
    assert list(table.at_risk) == [10, 8, 4, 1]
    assert list(table.cum_events) == [0, 2, 3, 4]
    assert list(table.cum_censored) == [0, 2, 4, 5]


def test_risk_table_counts_follow_up_equal_to_grid_time_as_at_risk():
    # Hand-worked: follow-up exactly 3 months is at risk at 3 (>=) and, being an event, counted in the
    # cumulative events at 3 (<=).
    table = risk_table(np.array([3.0, 4.0]), np.array([True, False]))
    assert list(table.at_risk) == [2, 2]
    assert list(table.cum_events) == [0, 1]
    assert list(table.cum_censored) == [0, 0]


def test_empty_input():
    curve, m = _fit([], [])
    assert curve.empty and (m.median, m.ci_lower, m.ci_upper) == (None, None, None)
    assert risk_table(np.array([]), np.array([], dtype=bool)).empty


def test_quantile_midpoint_on_a_band_equal_to_one_half():
    # Hand-worked on the findq rule: a curve equal to 0.5 on [2, 4) then 0.4 -> (2 + 4) / 2 = 3; a curve
    # never below 0.5 -> None; NaN points are skipped.
    assert survival_quantile(np.array([1, 2, 4]), np.array([0.8, 0.5, 0.4])) == pytest.approx(3.0)
    assert survival_quantile(np.array([1, 2]), np.array([0.8, 0.6])) is None
    assert survival_quantile(np.array([1, 2, 3]), np.array([0.8, np.nan, 0.3])) == pytest.approx(3.0)
