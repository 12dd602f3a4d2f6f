"""The cohort reports the refresh rendered from a REAL warehouse (session fixture `refreshed`: 150 synthetic
patients through ingestion, dbt and the statistics), checked against that warehouse's own tables.

Every expected value is read from the warehouse with SQL written here (not through the report's helpers)
and compared with what the HTML prints.
"""

from __future__ import annotations

import html
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.reporting import safe_file_stem
from tests.reporting.test_cohort_report import SECTIONS, section, text

RESPONSE_LABELS = {
    "PR": "Partial response (PR, ≤ −50 %)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD, ≥ +25 %)",
    "not_evaluable": "Not evaluable",
}
ENDPOINT_LABELS = {"pfs": "Progression-free survival", "os": "Overall survival"}


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_rows(fragment: str) -> list[tuple[str, str]]:
    """(first cell, second cell) of each two-cell body row of a table, unescaped."""
    return [
        (html.unescape(a), html.unescape(b))
        for a, b in re.findall(r"<tr><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", fragment)
    ]


def half_up(x: float, decimals: int = 1) -> str:
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def real(refreshed) -> dict[str, Any]:
    warehouse = refreshed.published
    cohorts = [c for (c,) in query(warehouse, "select cohort from marts.cohorts order by cohort")]
    ((export_id, registry),) = query(
        warehouse, "select export_id, registry from audit.runs order by finished_at desc limit 1"
    )
    folder = Path(refreshed.reports_dir) / safe_file_stem(export_id)
    pages = {c: (folder / f"{safe_file_stem(c)}.html").read_text(encoding="utf-8") for c in cohorts}
    return {
        "warehouse": warehouse, "cohorts": cohorts, "registry": registry, "pages": pages, "folder": folder
    }


def test_every_cohort_has_a_report_with_every_section(real: dict[str, Any]) -> None:
    assert set(real["cohorts"]) >= {"all", "ecog_3", "ecog_0_2"}
    for cohort, page in real["pages"].items():
        headings = [html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
        assert headings == SECTIONS, cohort
        plain = text(page)
        assert f"Registry {real['registry']}" in plain  # audit.runs.registry
        (n,) = query(real["warehouse"], "select n_patients from marts.cohorts where cohort = ?", [cohort])[0]
        assert f"Patients, n {n}" in plain and f"The cohort has {n} patients." in plain
    assert (real["folder"] / "index.html").is_file() and (real["folder"].parent / "index.html").is_file()


def test_table1_and_treatment_print_analysis_table1(real: dict[str, Any]) -> None:
    for cohort, page in real["pages"].items():
        stored = query(
            real["warehouse"],
            "select section, characteristic, statistic from analysis.table1 where cohort = ? "
            "order by row_order",
            [cohort],
        )
        expected_t1 = [(c, s) for sec, c, s in stored if sec != "Treatment"]
        expected_treatment = [(c, s) for sec, c, s in stored if sec == "Treatment"]
        assert expected_treatment, "analysis.table1 should hold the treatment rows"
        table1 = section(page, "Table 1: patient characteristics")
        table1 = table1[: table1.index("<caption>Patients per site</caption>")]
        assert table_rows(table1) == expected_t1, cohort
        assert table_rows(section(page, "Treatment")) == expected_treatment, cohort


def test_response_counts_equal_the_mart(real: dict[str, Any]) -> None:
    """PR / SD / PD and PSA50 / PSA90 as % of the evaluable patients (counted here from the mart), the
    not-evaluable patients counted apart with their reasons."""
    for cohort, page in real["pages"].items():
        members = "select count(*) from marts.cohort_membership where cohort = ?"
        n = query(real["warehouse"], members, [cohort])[0][0]
        counts = dict(
            query(
                real["warehouse"],
                "select r.response_category, count(*) from marts.fct_psa_response r "
                "join marts.cohort_membership m using (patient_id) where m.cohort = ? group by all",
                [cohort],
            )
        )
        ((psa50, psa90, no_baseline),) = query(
            real["warehouse"],
            "select count(*) filter (where r.psa50), count(*) filter (where r.psa90), "
            "count(*) filter (where r.patient_id is null or r.baseline_psa is null) "
            "from marts.cohort_membership m left join marts.fct_psa_response r using (patient_id) "
            "where m.cohort = ?",
            [cohort],
        )
        evaluable = sum(int(counts.get(c, 0)) for c in ("PR", "SD", "PD"))
        printed = dict(table_rows(section(page, "Biochemical response")))
        assert f"{evaluable} of {n} patients evaluable" in text(page)
        expected = {**{RESPONSE_LABELS[c]: int(counts.get(c, 0)) for c in ("PR", "SD", "PD")},
                    "PSA decline ≥ 50 % (PSA50)": psa50, "PSA decline ≥ 90 % (PSA90)": psa90}
        for label, k in expected.items():
            count, pct = re.fullmatch(r"(\d+) \(([\d.]+)\)", printed[label]).groups()  # type: ignore[union-attr]
            assert int(count) == k, (cohort, label)
            assert pct == half_up(100.0 * k / evaluable), (cohort, label)
        assert int(printed["Not evaluable, n (not in the percentages)"]) == n - evaluable
        reasons = {k: int(v) for k, v in printed.items() if k.startswith("– ")}
        assert sum(reasons.values()) == n - evaluable
        assert reasons.get("– no baseline PSA", 0) == no_baseline


def test_km_medians_equal_km_summary(real: dict[str, Any]) -> None:
    def one(v: float | None) -> str:
        return "not reached" if v is None else half_up(v)

    for cohort, page in real["pages"].items():
        plain = text(page)
        summary = query(
            real["warehouse"],
            "select endpoint, n, events, median_months, median_ci_lower, median_ci_upper "
            "from analysis.km_summary where cohort = ?",
            [cohort],
        )
        assert {s[0] for s in summary} == {"pfs", "os"}
        for endpoint, n, events, median, lower, upper in summary:
            median_text = "not reached" if median is None else f"{half_up(median)} months"
            expected = (
                f"{ENDPOINT_LABELS[endpoint]}: median {median_text} (95 % CI {one(lower)}–{one(upper)}); "
                f"{events} event{'' if events == 1 else 's'} in {n} patients"
            )
            assert expected in plain, (cohort, expected)


def test_figures_embedded_and_nothing_external(real: dict[str, Any]) -> None:
    for cohort, page in real["pages"].items():
        figures = re.findall(r"<figure[^>]*>(.*?)</figure>", page, re.S)
        assert len(figures) == 4, cohort  # waterfall, PFS, OS, Fig. 5
        for fig in figures:
            assert "<img" not in fig and "<path" in fig  # vector
            assert re.search(r'<svg[^>]*aria-label="[^"]{20,}"', fig)
        lowered = page.lower()
        assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", lowered) is None
        assert "url(http" not in lowered and "@import" not in lowered
        assert "<script" not in lowered and "<link " not in lowered


@pytest.mark.browser
def test_reports_open_offline_in_a_browser(real: dict[str, Any], tmp_path: Path) -> None:
    from tests.reporting.test_browser import CHROMIUM, probe_page

    if CHROMIUM is None:
        pytest.skip("headless chromium is not installed (Debian package 'chromium')")
    for cohort in ("all", "ecog_3"):
        report = probe_page(real["pages"][cohort], tmp_path / cohort)
        assert report["errors"] == [] and report["console"] == []
        assert report["images"] == 0 and len(report["figures"]) == 4
        for figure in report["figures"]:
            assert figure["label"] and figure["shownW"] > 100 and figure["shownH"] > 50
        assert report["scrollWidth"] <= report["viewport"]


def test_pfs_events_split_and_definition_sensitivity_equal_the_warehouse(real: dict[str, Any]) -> None:
    for cohort, page in real["pages"].items():
        plain = text(page)
        ((prog, death),) = query(
            real["warehouse"],
            "select count(*) filter (where s.event_type = 'psa_progression'), "
            "count(*) filter (where s.event_type = 'death') from marts.fct_survival s "
            "join marts.cohort_membership m using (patient_id) where m.cohort = ? and s.endpoint = 'pfs' "
            "and s.event",
            [cohort],
        )
        assert f"Events: {prog} PSA progression, {death} death without prior PSA progression." in plain
        sensitivity = section(page, "Definition sensitivity")
        rules = query(
            real["warehouse"],
            "select psa_progression_rule, events, events_psa_progression, events_death, is_selected "
            "from analysis.km_summary_by_definition where cohort = ? and endpoint = 'pfs'",
            [cohort],
        )
        assert len(rules) == 2
        for rule, events, by_psa, by_death, selected in rules:
            cells = [html.unescape(c) for c in re.findall(
                rf"<tr><td>{'PCWG3' if rule == 'pcwg3' else 'simplified'}[^<]*</td>(.*?)</tr>", sensitivity
            )[0].split("</td>")]
            values = [re.sub(r"<[^>]+>", "", c) for c in cells]
            assert values[1:4] == [str(events), str(by_psa), str(by_death)], (cohort, rule)
            assert ("selected" in values[4]) == bool(selected)


def _svg_row(svg: str, label: str) -> dict[str, str]:
    """The numbers printed on the row `label` under a KM figure, keyed by the time tick above each."""
    under = svg[svg.index('<g id="axes_2">'):]  # the numbers' own axes (the legend also says "Censored")
    texts = [(float(x), float(y), html.unescape(t)) for x, y, t in
             re.findall(r'<text [^>]*x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</text>', under)]
    ticks = re.findall(r'<g id="xtick_\d+">.*?<text [^>]*>([^<]*)</text>', svg, re.S)
    (y_label,) = [y for _, y, t in texts if t == label]
    row = sorted((x, t) for x, y, t in texts if abs(y - y_label) < 0.5 and t != label)
    assert len(row) == len(ticks), (label, row, ticks)
    return dict(zip(ticks, [t for _, t in row], strict=True))


def _expected_risk(warehouse: Path, cohort: str, endpoint: str, times: list[str]) -> tuple[dict, dict]:
    """At risk (follow-up >= t) and censored so far (censored with follow-up <= t), from the mart."""
    at_risk, censored = {}, {}
    for t in times:
        ((n, c),) = query(
            warehouse,
            "select count(*) filter (where s.time_days / 30.4375 >= ?),"
            " count(*) filter (where not s.event and s.time_days / 30.4375 <= ?)"
            " from marts.fct_survival s join marts.cohort_membership m using (patient_id)"
            " where m.cohort = ? and s.endpoint = ? and s.time_days >= 0 and s.event is not null",
            [float(t), float(t), cohort, endpoint],
        )
        at_risk[t], censored[t] = str(n), str(c)
    return at_risk, censored


def test_km_at_risk_and_censored_rows_equal_the_survival_mart(real: dict[str, Any]) -> None:
    for cohort, page in real["pages"].items():
        svgs = re.findall(r"<svg.*?</svg>", page, re.S)
        for endpoint, key in (("pfs", "PFS"), ("os", "OS")):
            (svg,) = [s for s in svgs if f'aria-label="Kaplan–Meier curve of {key}:' in s]
            at_risk = _svg_row(svg, "At risk")
            censored = _svg_row(svg, "Censored")
            assert (at_risk, censored) == _expected_risk(real["warehouse"], cohort, endpoint, list(at_risk))


def test_comparison_response_and_psa50_with_p_equal_the_warehouse(real: dict[str, Any]) -> None:
    pairs = query(real["warehouse"], "select cohort_a, cohort_b from seeds.cohort_comparisons")
    assert pairs
    for a, b in pairs:
        name = f"{safe_file_stem(a)}-vs-{safe_file_stem(b)}.html"
        page = (real["folder"] / name).read_text(encoding="utf-8")
        block = section(page, "Biochemical response")
        rows = {html.unescape(r[0]): [html.unescape(c) for c in r[1:]] for r in re.findall(
            r"<tr><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>"
            r"<td[^>]*>([^<]*)</td></tr>", block)}
        counts = {}
        for cohort in (a, b):
            counts[cohort] = dict(query(
                real["warehouse"],
                "select r.response_category, count(*) from marts.fct_psa_response r"
                " join marts.cohort_membership m using (patient_id) where m.cohort = ? group by all"
                " union all select 'PSA50', count(*) from marts.fct_psa_response r"
                " join marts.cohort_membership m using (patient_id) where m.cohort = ? and r.psa50",
                [cohort, cohort]))
        evaluable = {c: sum(int(counts[c].get(k, 0)) for k in ("PR", "SD", "PD")) for c in (a, b)}
        stored = {(m, t, p) for m, t, p in query(
            real["warehouse"], "select measure, test, p_value from analysis.response_comparison"
            " where cohort_a = ? and cohort_b = ?", [a, b])}
        tests = {m: (t, p) for m, t, p in stored}
        assert len(stored) == 2  # one test and p per measure
        for label, key, measure in (("Partial response (PR)", "PR", "response"),
                                    ("Stable disease (SD)", "SD", None),
                                    ("Progressive disease (PD)", "PD", None),
                                    ("PSA50 (fall ≥ 50 %)", "PSA50", "psa50")):
            printed = rows[label]
            for cell, cohort in zip(printed[:2], (a, b), strict=True):
                k = int(counts[cohort].get(key, 0))
                assert cell == f"{k} ({half_up(100.0 * k / evaluable[cohort])})", (a, b, label)
            if measure is None:
                assert printed[2:] == ["", ""]
            else:
                test, p = tests[measure]
                assert printed[2] == (test or "")
                assert printed[3] == ("–" if p is None else "< 0.001" if p < 0.001 else f"{p:.3f}")
        for cohort in (a, b):
            assert f">{html.escape(f'{cohort}, n (%) of {evaluable[cohort]} evaluable')}</th>" in block


def test_open_findings_per_site_equal_audit_and_link_the_site_pages(real: dict[str, Any]) -> None:
    expected = {
        site: (str(new), str(open_))
        for site, new, open_ in query(
            real["warehouse"],
            "select coalesce(site_id, 'without a known site'), count(*) filter (where status = 'new'),"
            " count(*) filter (where status = 'open') from audit.dq_findings"
            " where status in ('new', 'open') group by all",
        )
    }
    assert expected  # the small export has findings
    for page in real["pages"].values():
        block = section(page, "Data quality")
        printed = {html.unescape(t): (href, n, o) for href, t, n, o in re.findall(
            r'<tr><td><a href="([^"]+)">([^<]*)</a></td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>', block)}
        assert {k: v[1:] for k, v in printed.items()} == expected
        for href, _, _ in printed.values():
            assert (real["folder"] / html.unescape(href)).is_file(), href
