"""Which test a 2 x k table gets, on both sides of clinical-rules.md's "Fisher where an expected count is < 5"
(expected counts worked by hand: row total x column total / grand total)."""

from __future__ import annotations

import numpy as np

from orchestration.analysis.group_tests import CHI_SQUARE, FISHER, categorical_test


def test_every_expected_count_exactly_5_gets_chi_square() -> None:
    # rows 15 and 15, columns 10, 10, 10, total 30: every expected count is 15 x 10 / 30 = 5.0, not < 5
    name, _ = categorical_test(np.array([[5, 5, 5], [5, 5, 5]]))
    assert name == CHI_SQUARE


def test_an_expected_count_of_4_gets_fisher() -> None:
    # rows 14 and 14, columns 10, 10, 8, total 28: the last column expects 14 x 8 / 28 = 4.0 < 5
    name, _ = categorical_test(np.array([[5, 5, 4], [5, 5, 4]]))
    assert name == FISHER
