"""The cohort report rendered from the fake warehouse: values hand-written in fake_warehouse.py."""

from __future__ import annotations

import html
import re
import stat
from pathlib import Path

import pytest

from tests.reporting.conftest import UNKNOWN_COHORT
from tests.reporting.fake_warehouse import SCRIPT

SECTIONS = [
    "Cohort and data",
    "Table 1: patient characteristics",
    "Treatment",
    "Biochemical response",
    "Survival",
    "Definition sensitivity",
    "Toxicity",
    "Laboratory course",
    "Data quality",
]


def read(rendered: dict[str, Path], cohort: str) -> str:
    return rendered[cohort].read_text(encoding="utf-8")


def cell(page: str, label: str) -> str:
    """The text of the cell right after the cell whose text is `label`."""
    m = re.search(rf"<td[^>]*>{re.escape(html.escape(label, quote=True))}</td><td[^>]*>(.*?)</td>", page)
    assert m is not None, f"no row {label!r}"
    return html.unescape(m.group(1))


def row(page: str, first: str) -> list[str]:
    m = re.search(rf"<tr><td>{re.escape(html.escape(first, quote=True))}</td>(.*?)</tr>", page)
    assert m is not None, f"no row starting {first!r}"
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))]


def text(page: str) -> str:
    body = re.sub(r"<[^>]+>", " ", page[page.find("<body") :])
    return re.sub(r"\s+", " ", html.unescape(body))


@pytest.mark.parametrize("cohort", ["all", "ecog_3", "ecog_0_2", "empty", UNKNOWN_COHORT])
def test_every_section_in_order_and_self_contained(rendered: dict[str, Path], cohort: str) -> None:
    page = read(rendered, cohort)
    headings = [html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]
    assert headings == SECTIONS
    lowered = page.lower()
    assert 'src="http' not in lowered and 'href="http' not in lowered and "src='http" not in lowered
    assert "mathjax" not in lowered and "require.js" not in lowered and "requirejs" not in lowered
    assert "<script" not in lowered  # the report runs no code at all
    assert "<link " not in lowered  # stylesheets are inline
    assert stat.S_IMODE(rendered[cohort].stat().st_mode) == 0o600


def test_header(rendered: dict[str, Path]) -> None:
    page = text(read(rendered, "all"))
    # the latest run, not the older one
    for expected in (
        "Export id EXP-2025-06-30",
        "Data cut-off 2025-06-30",
        "Registry REALITY test registry",
        "Code version abc1234 (source digest)",
        "Patients, n 4",
        # the settings in words (thresholds of clinical-rules.md), and their keys
        "PSA progression PCWG3 — ≥ 25 % and ≥ 2 ng/mL above the nadir, confirmed ≥ 3 weeks later",
        "Toxicity grade after RLT the worst value in the post-treatment window",
        "psa_progression_rule = pcwg3",
        "post_window_days = 84",
        "The cohort has 4 patients.",
    ):
        assert expected in page
    assert "EXP-OLD" not in page
    raw = read(rendered, "all")
    # the cohort's name and description are the page's title and heading
    assert "<title>all: Every consenting patient with at least one RLT cycle</title>" in raw
    assert '<h1 class="title">all: Every consenting patient with at least one RLT cycle</h1>' in raw
    assert "Cohort report</h1>" not in raw
    ecog3 = read(rendered, "ecog_3")
    assert '<a href="index.html">' in ecog3
    assert '<a href="ecog_3-vs-ecog_0_2.html">Comparison ecog_3 vs ecog_0_2</a>' in ecog3
    assert 'vs-' not in raw  # 'all' is in no comparison of the seed


def section(page: str, heading: str) -> str:
    """The HTML between the `<h2>` titled `heading` and the next `<h2>`."""
    start = page.index(f">{html.escape(heading, quote=False)}</h2>")
    end = page.find("<h2", start)
    return page[start : end if end != -1 else len(page)]


def test_table1_treatment_and_response(rendered: dict[str, Path]) -> None:
    page = read(rendered, "all")
    table1 = section(page, "Table 1: patient characteristics")
    assert cell(table1, "Median [years], (range)") == "69 (58–81)"
    assert cell(table1, "Age ≥ 65 years, n (%)") == "3 (75)"
    assert '<td class="indent1">– diffuse</td>' in table1  # a sub-row of Bone (table1.indent = 1)
    assert "Cycles per patient" not in table1  # treatment rows have their own section
    treatment = section(page, "Treatment")
    # printed as analysis.table1 holds them (the fake's '> 1 series' row differs from the marts on purpose)
    assert cell(treatment, "Cycles per patient, median (range)") == "2.5 (1–4)"
    for label in ("1 cycle, n (%)", "2 cycles, n (%)", "3 cycles, n (%)", "≥ 4 cycles, n (%)"):
        assert cell(treatment, label) == "1 (25)"
        assert f'<td class="indent1">{html.escape(label)}</td>' in treatment
    assert cell(treatment, "Activity per cycle [GBq], mean ± SD (range)") == "6.6 ± 0.3 (6.0–7.0)"
    assert "activity per cycle over 10 administrations" in treatment
    assert cell(treatment, "Cumulative activity [GBq], mean ± SD (range)") == "16.5 ± 8.1 (7.0–26.0)"
    assert cell(treatment, "> 1 series, n (%)") == "9 (99)"
    # % of the 3 evaluable patients (P1 PR, P2 SD, P3 PD); P4 has no baseline PSA
    assert "3 of 4 patients evaluable" in text(page)
    assert cell(page, "Partial response (PR, ≤ −50 %)") == "1 (33.3)"
    assert cell(page, "Stable disease (SD)") == "1 (33.3)"
    assert cell(page, "Progressive disease (PD, ≥ +25 %)") == "1 (33.3)"
    assert cell(page, "PSA decline ≥ 50 % (PSA50)") == "1 (33.3)"  # P1 (-80 %)
    assert cell(page, "PSA decline ≥ 90 % (PSA90)") == "0 (0.0)"
    assert cell(page, "Not evaluable, n (not in the percentages)") == "1"
    assert cell(page, "– no baseline PSA") == "1"
    assert cell(page, "PSA change [%], mean ± SD") == "20.0 ± 117.9"
    assert cell(page, "PSA change [%], median (range)") == "-10.0 (-80.0 to 150.0)"
    assert cell(page, "Patients with a PSA change, n") == "3"
    ecog3 = read(rendered, "ecog_3")
    assert cell(ecog3, "Median [years], (range)") == "69.5 (58–81)"
    assert cell(ecog3, "Cycles per patient, median (range)") == "3.5 (3–4)"
    assert "analysis.table1 has no treatment rows for this cohort." in text(read(rendered, "ecog_0_2"))


def test_survival_medians_and_comparison(rendered: dict[str, Path]) -> None:
    page = text(read(rendered, "all"))
    assert "Progression-free survival: median 5.2 months (95 % CI 2.1–not reached); 3 events in 4" in page
    assert "Overall survival: median 9.8 months (95 % CI 4.0–12.5); 2 events in 4" in page
    assert "No log-rank comparison with another cohort is stored for this cohort (a cohort such as" in page
    ecog3 = read(rendered, "ecog_3")
    assert row(ecog3, "ecog_0_2") == ["Progression-free survival", "4.13", "0.042"]
    assert (
        '<td>ecog_0_2</td><td>Overall survival</td><td class="num">2.37</td><td class="num">0.123</td>'
        in ecog3
    )
    ecog02 = read(rendered, "ecog_0_2")
    assert row(ecog02, "ecog_3") == ["Progression-free survival", "4.13", "0.042"]


def test_no_events_cohort_says_median_not_reached(rendered: dict[str, Path]) -> None:
    page = text(read(rendered, "ecog_0_2"))
    assert (
        "Progression-free survival: median not reached (95 % CI not reached–not reached); 0 events in 2"
        in page
    )
    assert (
        "No progression-free survival events occurred in this cohort, so the median is not reached." in page
    )
    assert "No overall survival events occurred in this cohort, so the median is not reached." in page
    assert len(re.findall(r'<svg[^>]*role="img"', read(rendered, "ecog_0_2"))) == 4


def test_figures_embedded_with_caption_and_alt(rendered: dict[str, Path]) -> None:
    page = read(rendered, "all")
    figures = re.findall(r"<figure[^>]*>(.*?)</figure>", page, re.S)
    assert len(figures) == 4  # waterfall, PFS, OS, toxicity
    for fig in figures:
        assert "<img" not in fig and "<svg" in fig  # vector, inline
        assert re.search(r'<svg[^>]*aria-label="[^"]{20,}"', fig)
        assert "<figcaption>Figure " in fig
    labels = [html.unescape(x) for x in re.findall(r'<svg[^>]*aria-label="([^"]+)"', page)]
    # the alt text states the result (analysis.km_summary of 'all': PFS 5.2, OS 9.8 months)
    assert labels[1] == ("Kaplan–Meier curve of PFS: median PFS 5.2 months (95 % CI 2.1–not reached); "
                         "3 events in 4 patients.")
    assert labels[2].startswith("Kaplan–Meier curve of OS: median OS 9.8 months (95 % CI 4.0–12.5)")
    assert labels[0] == "Waterfall plot of 3 evaluable patients: PR 1 (33.3), PD 1 (33.3), PSA50 1 (33.3)."
    # Fig. 5 over the patients graded both before and after: anemia 4, WBC 3 (P4 has no baseline grade)
    assert "Anemia: n = 4," in labels[3] and "White blood cell decreased: n = 3," in labels[3]
    assert "Platelet count decreased: n = 3," in labels[3]  # P4 has no post grade
    ecog3 = read(rendered, "ecog_3")
    assert re.findall(r'<svg[^>]*aria-label="([^"]+)"', ecog3)[1] != re.findall(
        r'<svg[^>]*aria-label="([^"]+)"', page)[1]


def test_toxicity(rendered: dict[str, Path]) -> None:
    page = read(rendered, "all")
    # improved, unchanged, worsened, newly occurred, not evaluable, treatment-emergent >= 3
    assert row(page, "Anemia") == ["lab", "0", "1", "3", "1", "0", "1"]
    assert row(page, "White blood cell decreased") == ["lab", "1", "1", "1", "1", "1", "1"]
    assert row(page, "Chronic kidney disease") == ["lab", "1", "3", "0", "0", "0", "0"]
    assert row(page, "Dry mouth") == ["clinical", "0", "3", "1", "1", "0", "0"]
    shift = re.search(r"<caption>Shift table: Anemia</caption>(.*?)</table>", page, re.S)
    assert shift is not None
    # rows: baseline grade; columns: after G0..G4, after missing, Total
    assert row(shift.group(1), "G1") == ["0", "1", "1", "0", "0", "0", "2"]
    assert row(shift.group(1), "G2") == ["0", "0", "0", "1", "0", "0", "1"]
    wbc = re.search(r"<caption>Shift table: White blood cell decreased</caption>(.*?)</table>", page, re.S)
    assert wbc is not None
    assert row(wbc.group(1), "missing") == ["0", "1", "0", "0", "0", "0", "1"]
    listing = re.search(r"<caption>Treatment-emergent grade ≥ 3 events.*?</caption>(.*?)</table>", page, re.S)
    assert listing is not None
    listed = re.findall(r"<tr><td>(P\d)</td><td>[^<]*</td><td>([^<]*)</td>", listing.group(1))
    # ordered by patient, then term (byte order: '<' sorts before 'A')
    assert listed == [("P2", "White blood cell decreased"), ("P3", html.escape(SCRIPT)), ("P3", "Anemia")]
    assert "3 treatment-emergent grade ≥ 3 events in 2 patients." in text(page)
    # P3's anemia: worst post Hb 7.5 g/dL on 2024-05-20 = day 71 after t0 2024-03-10, after cycle 2
    # (2024-05-10); the clinical term has no value and shows none
    p3 = re.findall(r"<tr><td>P3</td>(.*?)</tr>", listing.group(1))
    cells = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in p3]
    assert cells[1][1:] == ["Anemia", "2", "3", "7.5 g/dL", "71", "2"]
    assert cells[0][4] == "clinical grade (no value)" and "3.00" not in listing.group(1)
    assert "'Newly occurred' (grade 0 at baseline, grade ≥ 1 after) is a part of 'worsened'" in text(page)
    assert "Grade after RLT: the worst value in the post-treatment window." in text(page)


def test_laboratory_course(rendered: dict[str, Path]) -> None:
    page = read(rendered, "all")
    assert row(page, "Hemoglobin [g/dL]") == [
        "4",
        "11.5 ± 2.1 (9.0–14.0)",  # hemoglobin to 1 decimal
        "10.3 ± 1.9 (8.0–12.5)",  # 10.25 rounds half up, as Table 1 does
        "0.009",
        "0.512",
        "0.125",
    ]
    assert row(page, "Platelets [10⁹/L]")[1] == "190 ± 66 (120–250)"  # platelets without decimals
    assert row(page, "Platelets [10⁹/L]")[4] == "–"  # Shapiro-Wilk p is NULL in the warehouse
    ecog3 = text(read(rendered, "ecog_3"))
    assert (
        "No patient in this cohort has both a baseline and a post-treatment value for: Hemoglobin [g/dL], "
        "WBC [10⁹/L], Platelets [10⁹/L], eGFR [mL/min/1.73 m²]."
    ) in ecog3
    ecog02 = text(read(rendered, "ecog_0_2"))
    assert "post-treatment value for: WBC [10⁹/L], Platelets [10⁹/L], eGFR [mL/min/1.73 m²]." in ecog02


def test_data_quality(rendered: dict[str, Path]) -> None:
    page = read(rendered, "all")
    assert row(page, "lab_results.csv") == ["61", "57", "3", "0", "1", "2"]
    assert "Patients excluded because consent to data use was not given: 2." in text(page)
    assert "value outside plausible range" in page and "old reason never shown" not in page
    assert "favourite_colour" in page
    baseline = re.search(
        r"<caption>Patients of this cohort without a baseline value</caption>(.*?)</table>", page, re.S
    )
    assert baseline is not None
    missing = dict(re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", baseline.group(1)))
    assert missing["Hemoglobin [g/dL]"] == "0 (0.0)" and missing["Platelets [10⁹/L]"] == "0 (0.0)"
    assert (
        missing["WBC [10⁹/L]"] == "1 (25.0)"
        and missing["PSA [ng/mL]"] == "1 (25.0)"
        and missing["eGFR [mL/min/1.73 m²]"] == "1 (25.0)"
    )


def test_data_strings_are_escaped(rendered: dict[str, Path]) -> None:
    for cohort in ("all", "ecog_3", UNKNOWN_COHORT):
        page = read(rendered, cohort)
        assert SCRIPT not in page and "<b>cohort</b>" not in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in read(rendered, "all")  # site id
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>clinical</td>" in read(
        rendered, "ecog_3"
    )  # AE term
    assert "no such &lt;b&gt;cohort&lt;/b&gt;" in read(rendered, UNKNOWN_COHORT)


def test_empty_and_unknown_cohorts_explain_themselves(rendered: dict[str, Path]) -> None:
    empty = text(read(rendered, "empty"))
    assert "The cohort 'empty' has 0 patients at this data cut-off. Every section below is empty." in empty
    assert empty.count("has 0 patients at this data cut-off, so there is nothing to show.") == 7
    assert "<svg" not in read(rendered, "empty")
    unknown = text(read(rendered, UNKNOWN_COHORT))
    assert (
        f"The cohort {UNKNOWN_COHORT!r} is not defined in marts.cohorts. Known cohorts: all, ecog_0_2, "
        "ecog_3, empty."
    ) in unknown
    # export-wide data quality still shows for an empty cohort
    assert "Patients excluded because consent to data use was not given: 2." in empty


def test_index_links_every_report(rendered: dict[str, Path]) -> None:
    index = rendered["index"].read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    # readable names (the cohort's description; its name when it has none), then the comparison
    # the site feedback section (audit.dq_findings): every site with findings or patients, escaped
    assert links[6:] == [
        ("sites/script_alert_1_script.html", html.escape(SCRIPT)), ("sites/script_alert_1_script.csv", "CSV"),
        ("sites/HOM.html", "HOM"), ("sites/HOM.csv", "CSV"),
        ("sites/MUC.html", "MUC"), ("sites/MUC.csv", "CSV"),
        ("sites/_unassigned.html", "without a known site"), ("sites/_unassigned.csv", "CSV"),
    ]
    links = links[:6]
    assert links == [
        ("all.html", "Every consenting patient with at least one RLT cycle"),
        ("ecog_3.html", "Baseline ECOG performance status 3"),
        ("ecog_0_2.html", "Baseline ECOG performance status 0-2"),
        ("empty.html", "Nobody (ECOG 4)"),
        ("no_such_b_cohort_b.html", "no such &lt;b&gt;cohort&lt;/b&gt;"),
        ("ecog_3-vs-ecog_0_2.html",
         "Baseline ECOG performance status 3 vs Baseline ECOG performance status 0-2 (ecog_3 vs ecog_0_2)"),
    ]
    page = text(index)
    for expected in ("Registry REALITY test registry", "Export id EXP-2025-06-30", "Data cut-off 2025-06-30",
                     "Warehouse built at 2025-07-01 02:12"):
        assert expected in page
    # headline numbers from analysis.km_summary and psa_response_summary of the fake warehouse
    assert "Every consenting patient with at least one RLT cycle all 4 5.2 9.8 33.3 % (1 of 3)" in page
    assert "Baseline ECOG performance status 0-2 ecog_0_2 2 not reached not reached 50.0 % (1 of 2)" in page
    assert "Nobody (ECOG 4) empty 0 – – –" in page
    for target, _ in links:  # (render_cohort_reports writes no site pages; render_export_reports does)
        assert (rendered["index"].parent / target).is_file()
    assert stat.S_IMODE(rendered["index"].stat().st_mode) == 0o600


def test_open_findings_per_site_link_the_site_pages(rendered: dict[str, Path]) -> None:
    raw = read(rendered, "ecog_3")
    dq = raw[raw.find('id="data-quality"'):]

    def counts(first_cell: str) -> list[str]:
        m = re.search(rf"<tr><td>{re.escape(first_cell)}</td>(.*?)</tr>", dq)
        assert m is not None, first_cell
        return re.findall(r"<td[^>]*>(.*?)</td>", m.group(1))

    # by hand from fake_warehouse.py's audit.dq_findings: new / open / total; resolved ones not counted
    assert counts('<a href="sites/HOM.html">HOM</a>') == ["1", "2", "3"]
    script_site = f'<a href="sites/script_alert_1_script.html">{html.escape(SCRIPT)}</a>'
    assert counts(script_site) == ["0", "1", "1"]
    assert counts('<a href="sites/_unassigned.html">without a known site</a>') == ["1", "0", "1"]
    assert "MUC" not in text(dq)
    assert SCRIPT not in raw


def test_km_figure_prints_at_risk_and_censored_rows(rendered: dict[str, Path]) -> None:
    raw = read(rendered, "all")
    assert "At risk" in raw and "Censored" in raw
    assert "number censored (cumulative, to that time)" in raw


def test_table1_explains_second_line_cabazitaxel(rendered: dict[str, Path]) -> None:
    pages = ((read(rendered, "all"), "Table 1: patient characteristics"),
             (rendered["comparison"].read_text(encoding="utf-8"), "Table 1 with p-values"))
    for page, heading in pages:
        table1 = html.unescape(re.sub(r"<[^>]+>", " ", section(page, heading)))
        assert "2nd line cabazitaxel: cabazitaxel started on or after the start of docetaxel" in table1
        assert "it is a part of the Cabazitaxel row" in table1
