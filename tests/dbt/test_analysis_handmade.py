"""The definition-sensitivity and comparison tables on the hand-made export (statistics on a copy of the
session's dbt build; expected values by hand from test_marts_handmade.py or from R)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.analysis import build_analysis_tables


@pytest.fixture(scope="module")
def analysed(handmade_warehouse: Path, tmp_path_factory):
    copy = tmp_path_factory.mktemp("analysed") / "warehouse.duckdb"
    shutil.copyfile(handmade_warehouse, copy)
    con = duckdb.connect(str(copy))
    build_analysis_tables(con)
    yield con
    con.close()


def test_pfs_by_definition_for_every_cohort_and_rule(analysed) -> None:
    rows = {
        (r[0], r[1]): r[2:]
        for r in analysed.execute(
            "select cohort, psa_progression_rule, is_selected, n, events, events_psa_progression,"
            " events_death from analysis.km_summary_by_definition"
        ).fetchall()
    }
    assert set(rows) == {(c, r) for c in ("all", "ecog_3", "ecog_0_2") for r in ("pcwg3", "rise25")}
    # ecog_0_2 = P01 P03 P04 P08 P10: progression under pcwg3 (203, 102, 243, 111 d) and rise25 (161, 31,
    # 84, 50 d) for the first four, P10 censored; ecog_3 = P02 (death, no baseline PSA), P09 (censored).
    assert rows[("ecog_0_2", "pcwg3")] == (True, 5, 4, 4, 0)
    assert rows[("ecog_0_2", "rise25")] == (False, 5, 4, 4, 0)
    assert rows[("ecog_3", "rise25")] == (False, 2, 1, 0, 1)
    # the selected rule's row is km_summary's PFS row
    same = analysed.execute(
        "select count(*) from analysis.km_summary k join analysis.km_summary_by_definition d"
        " using (cohort, endpoint) where d.is_selected and k.n = d.n and k.events = d.events"
        " and k.events_psa_progression = d.events_psa_progression and k.events_death = d.events_death"
        " and k.median_months is not distinct from d.median_months"
    ).fetchone()[0]
    assert same == 3


def test_response_by_basis_for_every_cohort_and_basis(analysed) -> None:
    got = analysed.execute(
        "select response_basis, is_selected, n, n_pr, n_sd, n_pd, n_not_evaluable"
        " from analysis.psa_response_by_basis where cohort = 'ecog_0_2' order by response_basis"
    ).fetchall()
    assert [g[:3] for g in got] == [("best", True, 5), ("last", False, 5), ("week12", False, 5)]
    # 12-week PSA (day 84 +/- 21): P01 -80 % PR, P04 -40 % SD, P03 +50 % PD; P08's PSAs are on days 50 and
    # 111 (none within the window) and P10 has no PSA: not evaluable.
    assert got[2][3:] == (1, 1, 1, 2)


def test_hazard_ratio_matches_r(analysed) -> None:
    rows = {
        r[0]: r[1:]
        for r in analysed.execute(
            "select endpoint, hazard_ratio, hr_ci_lower, hr_ci_upper, p_wald, hr_note"
            " from analysis.cohort_comparison where cohort_a = 'ecog_3' and cohort_b = 'ecog_0_2'"
        ).fetchall()
    }
    # PFS (days; ecog_3 first): R
    #   s <- summary(coxph(Surv(c(167, 228, 203, 102, 243, 111, 249), c(1, 0, 1, 1, 1, 1, 0)) ~
    #                      c(1, 1, 0, 0, 0, 0, 0), ties = "efron"))
    #   s$conf.int[1, c(1, 3, 4)]; s$coefficients[1, 5]
    assert rows["pfs"][:4] == pytest.approx(
        (0.714026822209903, 0.0732017982353154, 6.96477839514616, 0.771933520606508), rel=1e-7
    )
    assert rows["pfs"][4] is None
    # OS: ecog_0_2's only death (P08, 294 d) comes after the last ecog_3 patient left the risk set (P09
    # censored at 228 d): monotone likelihood, no ratio.
    assert rows["os"][:4] == (None, None, None, None)
    assert rows["os"][4].startswith("monotone likelihood")


def test_table1_comparison_has_every_row_of_both_cohorts(analysed) -> None:
    pairs = analysed.execute(
        "select distinct cohort_a, cohort_b from analysis.table1_comparison"
    ).fetchall()
    assert pairs == [("ecog_3", "ecog_0_2")]
    missing = analysed.execute(
        "select t.cohort, t.section, t.characteristic from analysis.table1 t"
        " where t.cohort in ('ecog_3', 'ecog_0_2') and not exists (select 1 from analysis.table1_comparison c"
        " where c.section = t.section and c.characteristic = t.characteristic"
        " and (case t.cohort when 'ecog_3' then c.statistic_a else c.statistic_b end) = t.statistic)"
    ).fetchall()
    assert missing == []
