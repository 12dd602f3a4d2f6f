"""Before/after comparison of a lab value: descriptive statistics and paired tests (scipy)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

PAIRED_COLUMNS = [
    "n_pairs",
    "mean_before", "sd_before", "min_before", "max_before",
    "mean_after", "sd_after", "min_after", "max_after",
    "t_statistic", "p_paired_t", "p_shapiro_diff", "p_wilcoxon",
]
# R's shapiro.test accepts 3..5000 values; above that scipy itself warns the p-value is unreliable.
SHAPIRO_MIN_N = 3
SHAPIRO_MAX_N = 5000
# Differences of values recorded with one or two decimals are rounded so that equal differences are
# ties for the Wilcoxon ranks (9.1 - 8.6 and 10.2 - 9.7 differ in the last float bit otherwise).
DIFF_DECIMALS = 9


def paired_comparison(before: np.ndarray, after: np.ndarray) -> dict[str, float | int | None]:
    """Statistics of one cohort × analyte; differences are after − before (t > 0: values rose).

    - t-test: scipy `ttest_rel(after, before)` (= R `t.test(after, before, paired = TRUE)`); None when
      fewer than 2 pairs or all differences equal (t undefined or infinite).
    - Shapiro–Wilk of the differences: None unless 3 <= n <= 5000 and the differences are not constant.
    - Wilcoxon signed-rank: scipy defaults (zeros dropped, no continuity correction, exact when n <= 50
      without ties or zeros, an exact sign-flip permutation when ties/zeros and n <= 13, else normal
      approximation); None when no difference is non-zero.
    """
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    n = int(before.size)
    diff = np.round(after - before, DIFF_DECIMALS)
    out: dict[str, float | int | None] = {"n_pairs": n}
    for label, values in (("before", before), ("after", after)):
        out[f"mean_{label}"] = _finite(values.mean()) if n else None
        out[f"sd_{label}"] = _finite(values.std(ddof=1)) if n >= 2 else None
        out[f"min_{label}"] = _finite(values.min()) if n else None
        out[f"max_{label}"] = _finite(values.max()) if n else None
    varying = n >= 2 and bool(np.ptp(diff) > 0)
    out["t_statistic"] = out["p_paired_t"] = None
    if varying:
        t = stats.ttest_rel(after, before)
        out["t_statistic"], out["p_paired_t"] = _finite(t.statistic), _finite(t.pvalue)
    out["p_shapiro_diff"] = None
    if varying and SHAPIRO_MIN_N <= n <= SHAPIRO_MAX_N:
        out["p_shapiro_diff"] = _finite(stats.shapiro(diff).pvalue)
    out["p_wilcoxon"] = None
    if np.count_nonzero(diff) > 0:
        with warnings.catch_warnings():
            # scipy warns that exact p-values are unavailable with ties and falls back: that is the rule.
            warnings.simplefilter("ignore", UserWarning)
            out["p_wilcoxon"] = _finite(stats.wilcoxon(diff).pvalue)
    return out


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
