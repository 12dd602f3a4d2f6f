"""Two-group tests of Table 1 characteristics, as gtsummary's `add_p` defaults call R (scipy underneath).

- `wilcoxon_rank_sum`: R `wilcox.test(x, y)`: exact when both groups have < 50 values and there is no
  tie, else the normal approximation with continuity correction and tie-corrected variance.
- `fisher_exact`: R `fisher.test` on a 2 x k table: tables with the same margins whose probability is at
  most the observed one's (relative tolerance 1e-7, as R) summed; scipy for 2 x 2, enumeration otherwise.
- `categorical_test`: a 2 x 2 table by Fisher; larger tables by Pearson's chi-square (no continuity
  correction) unless an expected count is < 5, then by Fisher.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.special import gammaln

WILCOXON = "Wilcoxon rank-sum"
FISHER = "Fisher's exact"
CHI_SQUARE = "chi-square"
# R's exact-test threshold of wilcox.test (n < 50 in both groups) and fisher.test's relative tolerance.
WILCOX_EXACT_MAX_N = 50
FISHER_RELATIVE_TOLERANCE = 1e-7
# 2 x k tables beyond this many (same-margin) tables are not enumerated: chi-square is used instead.
FISHER_MAX_TABLES = 200_000


def wilcoxon_rank_sum(x: np.ndarray, y: np.ndarray) -> float | None:
    """Two-sided p of R `wilcox.test(x, y)`; None when a group is empty or every value is equal."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0 or y.size == 0:
        return None
    pooled = np.concatenate([x, y])
    if np.ptp(pooled) == 0:
        return None
    ties = np.unique(pooled).size < pooled.size
    exact = x.size < WILCOX_EXACT_MAX_N and y.size < WILCOX_EXACT_MAX_N and not ties
    result = stats.mannwhitneyu(
        x, y, alternative="two-sided", use_continuity=True, method="exact" if exact else "asymptotic"
    )
    return _finite(result.pvalue)


def fisher_exact(table: np.ndarray) -> float | None:
    """Two-sided p of R `fisher.test` on a 2 x k count table; None when too large to enumerate."""
    table = np.asarray(table, dtype=np.int64)
    if table.shape == (2, 2):
        return _finite(stats.fisher_exact(table).pvalue)
    columns = table.sum(axis=0)
    first_row = int(table[0].sum())
    n = int(columns.sum())
    # log P(first row = a) = sum log C(c_j, a_j) - log C(n, r1) (multivariate hypergeometric)
    log_norm = _log_choose(n, first_row)

    def log_p(a: np.ndarray) -> float:
        return float(np.sum(_log_choose(columns, a)) - log_norm)

    observed = log_p(table[0])
    limit = observed + math.log1p(FISHER_RELATIVE_TOLERANCE)
    total = 0.0
    count = 0
    k = columns.size
    # most the remaining columns can take, for pruning
    tail = np.concatenate([np.cumsum(columns[::-1])[::-1], [0]])
    a = np.zeros(k, dtype=np.int64)

    def walk(j: int, remaining: int) -> bool:
        nonlocal total, count
        if j == k - 1:
            if remaining > columns[j]:
                return True
            a[j] = remaining
            count += 1
            if count > FISHER_MAX_TABLES:
                return False
            lp = log_p(a)
            if lp <= limit:
                total += math.exp(lp)
            return True
        low = max(0, remaining - int(tail[j + 1]))
        for v in range(low, min(int(columns[j]), remaining) + 1):
            a[j] = v
            if not walk(j + 1, remaining - v):
                return False
        return True

    if not walk(0, first_row):
        return None
    return _finite(min(1.0, total))


def categorical_test(table: np.ndarray) -> tuple[str | None, float | None]:
    """(test name, p) for a 2 x k table of counts (rows: the two cohorts); empty columns are dropped.

    None, None when fewer than two categories are present or a cohort has no counted patient.
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or np.any(table.sum(axis=1) == 0):
        return None, None
    if table.shape[1] == 2:
        return FISHER, fisher_exact(table)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if np.any(expected < 5):
        p = fisher_exact(table)
        if p is not None:
            return FISHER, p
    return CHI_SQUARE, _finite(stats.chi2_contingency(table, correction=False).pvalue)


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
