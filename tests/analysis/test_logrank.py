"""Log-rank against R survdiff."""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.analysis.logrank import logrank


def test_aml_maintained_vs_nonmaintained_matches_r_survdiff():
    # R: survdiff(Surv(time, status) ~ x, data = aml) -> chisq 3.3963886989776, p 0.0653393220405051
    maintained_t = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
    maintained_e = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    non_t = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    non_e = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    stat, p = logrank(np.array(maintained_t, float), np.array(maintained_e, bool),
                      np.array(non_t, float), np.array(non_e, bool))
    assert stat == pytest.approx(3.3963886989776, rel=1e-9)
    assert p == pytest.approx(0.0653393220405051, rel=1e-9)


def test_no_event_in_either_group_or_an_empty_group_gives_null():
    assert logrank(np.array([1.0, 2.0]), np.array([False, False]),
                   np.array([3.0]), np.array([False])) == (None, None)
    assert logrank(np.array([1.0]), np.array([True]), np.array([]), np.array([], bool)) == (None, None)

