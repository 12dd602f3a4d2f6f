"""Table 1 two-group tests against R (values printed by the R code in each comment, options(digits = 15))."""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.analysis.group_tests import (
    CHI_SQUARE,
    FISHER,
    categorical_test,
    fisher_exact,
    wilcoxon_rank_sum,
)

P_2X2_EMPTY_DROPPED = 0.153434800493624
X3 = [65, 71, 63, 83, 73, 63, 74, 76, 75, 68, 82, 73, 65, 52, 79, 70, 70, 78, 77, 75, 77, 76, 71, 54, 75, 70,
      69, 58, 66, 73, 81, 69, 73, 70, 59, 67, 67, 70, 79, 76, 69, 68, 76, 74, 64, 64, 73, 76, 69, 77, 73, 65,
      73, 61, 81, 86, 67, 62, 75, 69]
Y3 = [88, 66, 72, 66, 59, 68, 50, 79, 67, 86, 70, 60, 71, 58, 55, 69, 62, 66, 67, 61, 61, 65, 77, 52, 71, 69,
      76, 63, 69, 68, 61, 77, 76, 72, 80, 71, 55, 61, 55, 62, 60, 66, 58, 67, 60, 82, 72, 74, 69, 81, 60, 62,
      79, 60, 64]


def test_wilcoxon_exact_without_ties():
    # wilcox.test(c(1.2, 3.4, 2.2, 5.1, 4.4, 0.9), c(2.5, 6.3, 7.7, 5.9, 8.1, 3.3, 6.6))$p.value
    x = np.array([1.2, 3.4, 2.2, 5.1, 4.4, 0.9])
    p = wilcoxon_rank_sum(x, np.array([2.5, 6.3, 7.7, 5.9, 8.1, 3.3, 6.6]))
    assert p == pytest.approx(0.034965034965035, rel=1e-10)


def test_wilcoxon_with_ties_uses_the_corrected_normal_approximation():
    # wilcox.test(c(1, 2, 2, 3, 3, 3, 4), c(2, 3, 4, 4, 5, 5, 6, 6))$p.value (warns: cannot compute exact)
    p = wilcoxon_rank_sum(np.array([1, 2, 2, 3, 3, 3, 4.0]), np.array([2, 3, 4, 4, 5, 5, 6, 6.0]))
    assert p == pytest.approx(0.0251447611733574, rel=1e-10)


def test_wilcoxon_large_groups():
    # set.seed(1); x3 <- round(rnorm(60, 70, 8)); y3 <- round(rnorm(55, 66, 9)); wilcox.test(x3, y3)$p.value
    assert wilcoxon_rank_sum(np.array(X3, float), np.array(Y3, float)) == pytest.approx(
        0.00587813675532181, rel=1e-10
    )


def test_wilcoxon_undefined():
    assert wilcoxon_rank_sum(np.empty(0), np.array([1.0])) is None
    assert wilcoxon_rank_sum(np.array([2.0, 2.0]), np.array([2.0])) is None


def test_fisher_2x2():
    # fisher.test(matrix(c(3, 9, 12, 4), nrow = 2))$p.value  (rows 3 12 / 9 4)
    assert fisher_exact(np.array([[3, 12], [9, 4]])) == pytest.approx(0.0200176485544637, rel=1e-10)
    assert categorical_test(np.array([[3, 12], [9, 4]]))[0] == FISHER


def test_fisher_2x3_and_2x4():
    # fisher.test(matrix(c(2, 7, 5, 3, 10, 1), nrow = 2))$p.value  (rows 2 5 10 / 7 3 1)
    assert fisher_exact(np.array([[2, 5, 10], [7, 3, 1]])) == pytest.approx(0.0063939111994032, rel=1e-9)
    # fisher.test(matrix(c(12, 20, 15, 9, 4, 30, 0, 11), nrow = 2))$p.value: an expected count of 3.4 < 5
    table = np.array([[12, 15, 4, 0], [20, 9, 30, 11]])
    name, p = categorical_test(table)
    assert name == FISHER
    assert p == pytest.approx(2.79514883352954e-05, rel=1e-9)


def test_chi_square_when_every_expected_count_is_5_or_more():
    # chisq.test(matrix(c(20, 30, 25, 15, 30, 22), nrow = 2))$p.value  (no correction beyond 2 x 2)
    name, p = categorical_test(np.array([[20, 25, 30], [30, 15, 22]]))
    assert name == CHI_SQUARE
    assert p == pytest.approx(0.0707616157056924, rel=1e-10)


def test_categorical_test_drops_empty_categories_and_needs_two():
    # an empty column is no category: [[2, 0, 5], [7, 0, 3]] is the 2 x 2 of
    # fisher.test(matrix(c(2, 7, 5, 3), 2))$p.value
    name, p = categorical_test(np.array([[2, 0, 5], [7, 0, 3]]))
    assert name == FISHER and p == pytest.approx(P_2X2_EMPTY_DROPPED, rel=1e-10)
    assert categorical_test(np.array([[3, 0], [4, 0]])) == (None, None)
    assert categorical_test(np.array([[0, 0], [4, 1]])) == (None, None)
