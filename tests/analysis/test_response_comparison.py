"""analysis.response_comparison: PR / SD / PD and PSA50 of the evaluable patients of two cohorts, with p.

Counts are set by hand; every p was printed by R 4.2 (options(digits = 15)) with the call in the comment.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.analysis.build import response_comparison
from orchestration.analysis.group_tests import CHI_SQUARE, FISHER


def _patients(cohort: str, pr: int, sd: int, pd_: int, psa50: int, not_evaluable: int = 0) -> list[dict]:
    """PSA50 patients are among the PR ones (a fall of >= 50 % is a partial response)."""
    rows = []
    for category, n in (("PR", pr), ("SD", sd), ("PD", pd_), ("not_evaluable", not_evaluable)):
        for i in range(n):
            yes = category == "PR" and i < psa50
            rows.append({"cohort": cohort, "response_category": category,
                         "psa50": None if category == "not_evaluable" else yes})
    return rows


def _compare(a: list[dict], b: list[dict], shared: bool = False) -> dict[tuple[str, str], tuple]:
    responses = pd.DataFrame(a + b)
    members = {"a": {1, 2}, "b": {2} if shared else {3}}
    frame = response_comparison([("a", "b")], responses, members)
    return {
        (r.measure, r.category): (r.row_order, r.n_a, r.n_b, r.n_evaluable_a, r.n_evaluable_b, r.test,
                                  r.p_value, r.note)
        for r in frame.itertuples()
    }


def test_small_counts_use_fisher_for_the_three_categories_and_for_psa50():
    # a: PR 2 SD 5 PD 1 (+ 3 not evaluable, left out); b: PR 6 SD 3 PD 4. Expected counts < 5
    # (chisq.test(...)$expected: 3.05 3.05 1.90 / 4.95 4.95 3.10) -> Fisher:
    #   fisher.test(matrix(c(2, 6, 5, 3, 1, 4), 2))$p.value = 0.306501547987612
    # PSA50 2 of 8 vs 6 of 13: fisher.test(matrix(c(2, 6, 6, 7), 2))$p.value = 0.399862401100791
    rows = _compare(_patients("a", 2, 5, 1, psa50=2, not_evaluable=3), _patients("b", 6, 3, 4, psa50=6))
    assert list(rows) == [("response", "PR"), ("response", "SD"), ("response", "PD"), ("psa50", "PSA50")]
    assert [v[:5] for v in rows.values()] == [
        (1, 2, 6, 8, 13), (2, 5, 3, 8, 13), (3, 1, 4, 8, 13), (4, 2, 6, 8, 13)
    ]
    for key in [("response", "PR"), ("response", "SD"), ("response", "PD")]:
        assert rows[key][5] == FISHER
        assert rows[key][6] == pytest.approx(0.306501547987612, rel=1e-9)
    assert rows[("psa50", "PSA50")][5] == FISHER
    assert rows[("psa50", "PSA50")][6] == pytest.approx(0.399862401100791, rel=1e-9)


def test_large_counts_use_chi_square_for_the_three_categories():
    # a: PR 20 SD 15 PD 10; b: PR 12 SD 18 PD 25; every expected count >= 14.4 ->
    #   chisq.test(matrix(c(20, 12, 15, 18, 10, 25), 2), correct = FALSE)$p.value = 0.0204546549058915
    # PSA50 20 of 45 vs 12 of 55: fisher.test(matrix(c(20, 12, 25, 43), 2))$p.value = 0.0189137481839801
    rows = _compare(_patients("a", 20, 15, 10, psa50=20), _patients("b", 12, 18, 25, psa50=12))
    assert rows[("response", "PD")][5:7] == (CHI_SQUARE, pytest.approx(0.0204546549058915, rel=1e-9))
    assert rows[("psa50", "PSA50")][5:7] == (FISHER, pytest.approx(0.0189137481839801, rel=1e-9))


def test_demo_sized_counts():
    # The demo's ECOG 3 (PR 14 SD 19 PD 26) vs ECOG 0-2 (PR 349 SD 230 PD 218):
    #   chisq.test(matrix(c(14, 349, 19, 230, 26, 218), 2), correct = FALSE)$p.value = 0.00449684666569719
    #   fisher.test(matrix(c(14, 349, 45, 448), 2))$p.value = 0.00251610255039235
    rows = _compare(_patients("a", 14, 19, 26, psa50=14, not_evaluable=27),
                    _patients("b", 349, 230, 218, psa50=349, not_evaluable=103))
    assert rows[("response", "PR")][3:6] == (59, 797, CHI_SQUARE)
    assert rows[("response", "PR")][6] == pytest.approx(0.00449684666569719, rel=1e-9)
    assert rows[("psa50", "PSA50")][5:7] == (FISHER, pytest.approx(0.00251610255039235, rel=1e-9))


def test_no_test_when_it_cannot_be_done():
    shared = _compare(_patients("a", 2, 5, 1, psa50=2), _patients("b", 6, 3, 4, psa50=6), shared=True)
    assert {v[5:] for v in shared.values()} == {(None, None, "the cohorts share patients")}
    # b has only not-evaluable patients
    none = _compare(_patients("a", 2, 5, 1, psa50=2), _patients("b", 0, 0, 0, psa50=0, not_evaluable=4))
    assert {v[3:] for v in none.values()} == {(8, 0, None, None, "a cohort has no evaluable patient")}
    # every evaluable patient is SD in both cohorts: one category, and PSA50 0 everywhere
    one = _compare(_patients("a", 0, 3, 0, psa50=0), _patients("b", 0, 4, 0, psa50=0))
    assert {v[5:] for v in one.values()} == {(None, None, "only one category occurs")}
