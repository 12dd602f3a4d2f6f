"""Before/after lab statistics against R 4.2 (stats package).

R calls (x = after, y = before):
    t.test(x, y, paired = TRUE); shapiro.test(x - y)
    wilcox.test(x, y, paired = TRUE, ...) with the options that reproduce scipy's defaults
    (zero_method="wilcox", correction=False, method="auto"):
      - n <= 50, no ties, no zeros: scipy is exact           -> R exact = TRUE (R's default there too)
      - ties or zeros and n > 13, or n > 50: normal approx.   -> R exact = FALSE, correct = FALSE
        (R's default correct = TRUE does NOT match scipy)
      - ties or zeros and n <= 13: scipy runs an exact sign-flip permutation test, which no
        wilcox.test option reproduces; R enumerated all 2^m sign vectors of the non-zero mid-ranks:
        p = min(1, 2 * min(P(T <= t_obs), P(T >= t_obs))).
"""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.analysis.paired import paired_comparison

REL = 1e-9


def test_no_ties_exact_wilcoxon():
    before = [9.1, 10.4, 8.2, 12.0, 7.5, 11.3, 9.8, 13.1, 6.9, 10.0]
    after = [8.6, 11.0, 7.0, 11.2, 7.2, 9.6, 9.9, 12.0, 5.6, 9.3]
    r = paired_comparison(np.array(before), np.array(after))
    assert r["n_pairs"] == 10
    assert r["mean_before"] == pytest.approx(9.83, rel=REL)
    assert r["sd_before"] == pytest.approx(1.97543244210814, rel=REL)
    assert r["mean_after"] == pytest.approx(9.14, rel=REL)
    assert r["sd_after"] == pytest.approx(2.05112435291259, rel=REL)
    assert (r["min_before"], r["max_before"], r["min_after"], r["max_after"]) == (6.9, 13.1, 5.6, 12.0)
    assert r["t_statistic"] == pytest.approx(-3.15342203804242, rel=REL)
    assert r["p_paired_t"] == pytest.approx(0.0116730935070578, rel=REL)
    assert r["p_shapiro_diff"] == pytest.approx(0.939879197553439, rel=1e-6)
    assert r["p_wilcoxon"] == pytest.approx(0.01953125, rel=REL)  # exact: 2 * 10 / 1024


def test_ties_and_a_zero_difference_with_n_16_use_normal_approximation_without_correction():
    before = [200, 180, 150, 220, 300, 90, 120, 260, 175, 140, 310, 205, 95, 160, 230, 250]
    after = [180, 160, 150, 190, 250, 80, 130, 200, 155, 100, 240, 205, 70, 150, 160, 210]
    r = paired_comparison(np.array(before, float), np.array(after, float))
    assert r["mean_before"] == pytest.approx(192.8125, rel=REL)
    assert r["sd_after"] == pytest.approx(52.1815740148442, rel=REL)
    assert r["t_statistic"] == pytest.approx(-4.59658496040049, rel=REL)
    assert r["p_paired_t"] == pytest.approx(0.000349340025696289, rel=REL)
    assert r["p_shapiro_diff"] == pytest.approx(0.48490528531278, rel=1e-6)
    assert r["p_wilcoxon"] == pytest.approx(0.00148269324321258, rel=REL)


def test_ties_with_n_8_use_the_exact_permutation_distribution():
    before = [10, 12, 9, 14, 11, 8, 13, 10]
    after = [8, 11, 9, 11, 9, 9, 10, 7]
    r = paired_comparison(np.array(before, float), np.array(after, float))
    assert r["t_statistic"] == pytest.approx(-3.0520420426202, rel=REL)
    assert r["p_paired_t"] == pytest.approx(0.0185298517161633, rel=REL)
    assert r["p_shapiro_diff"] == pytest.approx(0.155603715268352, rel=1e-6)
    assert r["p_wilcoxon"] == pytest.approx(0.046875, rel=REL)  # 6 of 128 sign vectors, two-sided


def test_more_than_50_pairs_use_normal_approximation_without_correction():
    # R: b4 <- 60 + (1:60) * 1.5; a4 <- b4 + ((1:60 * 37) %% 61) - 25 + (1:60) / 1000
    i = np.arange(1, 61)
    before = 60 + i * 1.5
    after = before + (i * 37) % 61 - 25 + i / 1000
    r = paired_comparison(before, after)
    assert r["mean_after"] == pytest.approx(111.2805, rel=REL)
    assert r["t_statistic"] == pytest.approx(2.45282368616604, rel=REL)
    assert r["p_paired_t"] == pytest.approx(0.0171493678724215, rel=REL)
    assert r["p_shapiro_diff"] == pytest.approx(0.0277098546266262, rel=1e-5)
    assert r["p_wilcoxon"] == pytest.approx(0.0204001909231384, rel=REL)


def test_no_pairs_gives_nulls():
    r = paired_comparison(np.array([]), np.array([]))
    assert r["n_pairs"] == 0
    assert all(v is None for k, v in r.items() if k != "n_pairs")


def test_one_pair_has_mean_and_wilcoxon_but_no_sd_t_or_shapiro():
    r = paired_comparison(np.array([10.0]), np.array([8.0]))
    assert (r["mean_before"], r["mean_after"], r["min_after"]) == (10.0, 8.0, 8.0)
    assert r["sd_before"] is None and r["t_statistic"] is None and r["p_paired_t"] is None
    assert r["p_shapiro_diff"] is None
    assert r["p_wilcoxon"] == pytest.approx(1.0)  # R wilcox.test(8, 10, paired = TRUE): p = 1


def test_two_pairs_have_a_t_test_but_no_shapiro():
    # Hand-worked: differences -1 and -3: mean -2, sd sqrt(2), t = -2 / (sqrt(2) / sqrt(2)) = -2.
    r = paired_comparison(np.array([10.0, 12.0]), np.array([9.0, 9.0]))
    assert r["t_statistic"] == pytest.approx(-2.0)
    assert r["p_shapiro_diff"] is None


def test_all_differences_zero_gives_no_tests():
    r = paired_comparison(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert r["mean_before"] == 2.0
    assert (r["t_statistic"], r["p_paired_t"], r["p_shapiro_diff"], r["p_wilcoxon"]) == (None,) * 4


def test_constant_non_zero_difference_has_no_t_but_a_wilcoxon():
    # t would be infinite (R: "data are essentially constant"); Wilcoxon exact with ties of 3 equal
    # differences (after - before = -0.5 each): all three negative, so of the 2^3 = 8 equally likely sign
    # assignments only "all negative" is as extreme on this side: p = 2 * 1/8 = 0.25 (hand-worked).
    r = paired_comparison(np.array([9.1, 10.2, 11.3]), np.array([8.6, 9.7, 10.8]))
    assert r["t_statistic"] is None and r["p_shapiro_diff"] is None
    assert r["p_wilcoxon"] == pytest.approx(0.25)
