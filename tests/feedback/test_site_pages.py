"""Site pages: one HTML and one CSV per site, naming only that site's patients, escaped, owner-only."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.feedback import feedback_index_html, render_site_pages
from orchestration.feedback.site_pages import csv_cell
from tests.feedback.fake import Export, build
from tests.feedback.test_statuses import e1, e2

HOSTILE_SITE = '<script>window.__pwned = 1</script>"&'
HOSTILE_VALUE = '<img src=x onerror="window.__pwned=2">'


def hostile_e2() -> Export:
    x = e2()
    x.patients["P3"] = HOSTILE_SITE  # P3's findings and completeness go to the hostile site's page
    x.quarantined.append(
        (
            "lab_results",
            20,
            "value",
            "unparseable number",
            {
                "patient_id": "P3",
                "sample_date": "2024-06-01",
                "analyte": "psa",
                "value": HOSTILE_VALUE,
                "unit": "ng/mL",
            },
        )
    )
    x.quarantined.append(
        (
            "lab_results",
            21,
            "value",
            "unparseable number",
            {
                "patient_id": "P1",
                "sample_date": "2024-06-02",
                "analyte": "psa",
                "value": '=HYPERLINK("x")',
                "unit": "ng/mL",
            },
        )
    )
    # an orphan row: its patient is in no patients row, so no site page may show it
    x.quarantined.append(
        (
            "performance_status",
            4,
            "patient_id",
            "orphan",
            {"patient_id": "NOBODY-7", "assessment_date": "2024-01-01", "ecog": "1"},
        )
    )
    return x


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    root = tmp_path_factory.mktemp("sites")
    build(root / "e1.duckdb", e1(), None)
    build(root / "e2.duckdb", hostile_e2(), root / "e1.duckdb")
    written = render_site_pages(root / "e2.duckdb", root / "reports")
    return root / "e2.duckdb", root / "reports", written


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_one_html_and_one_csv_per_site_owner_only(pages) -> None:
    _, reports, written = pages
    names = sorted(p.name for p in written)
    # the hostile site id becomes a safe file name; findings without a site go to _unassigned
    assert names == sorted(
        [
            "S1.html",
            "S1.csv",
            "S2.html",
            "S2.csv",
            "script_window___pwned_1_script.html",
            "script_window___pwned_1_script.csv",
            "_unassigned.html",
            "_unassigned.csv",
        ]
    )
    assert all(p.parent == reports / "e2" / "sites" for p in written)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in written)


def test_a_site_sees_only_its_own_patients(pages) -> None:
    _, reports, _ = pages
    sites = reports / "e2" / "sites"
    # S1: P1 (A open, the formula row new), P2 (D#1 open, E new; C, D#2 resolved), P1's W2 resolved
    s1 = _csv(sites / "S1.csv")
    assert sorted((r["patient_id"], r["status"]) for r in s1) == sorted(
        [
            ("P1", "open"),
            ("P1", "new"),
            ("P1", "resolved"),
            ("P2", "open"),
            ("P2", "new"),
            ("P2", "resolved"),
            ("P2", "resolved"),
        ]
    )
    # S2 now holds P4 (W1 open) and P5 (W3 new); P3 moved to the hostile site, and B (P3's resolved
    # finding, recorded under S2 in e1) went with the patient
    s2 = _csv(sites / "S2.csv")
    assert sorted((r["patient_id"], r["status"]) for r in s2) == [("P4", "open"), ("P5", "new")]
    hostile = _csv(sites / "script_window___pwned_1_script.csv")
    assert sorted((r["patient_id"], r["status"]) for r in hostile) == [("P3", "new"), ("P3", "resolved")]
    for own, others in ((["P1", "P2"], ["P3", "P4", "P5", "NOBODY"]), (["P4", "P5"], ["P1", "P2", "P3"])):
        stem = "S1" if own[0] == "P1" else "S2"
        for suffix in (".html", ".csv"):
            text = (sites / f"{stem}{suffix}").read_text(encoding="utf-8")
            assert all(p in text for p in own)
            assert not any(re.search(rf"\b{o}\b", text) for o in others), (stem, suffix)
    assert "NOBODY-7" in (sites / "_unassigned.csv").read_text(encoding="utf-8")


def test_export_text_is_escaped(pages) -> None:
    _, reports, _ = pages
    page = (reports / "e2" / "sites" / "script_window___pwned_1_script.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&quot;&amp;" in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in page
    rows = _csv(reports / "e2" / "sites" / "S1.csv")
    assert '\'=HYPERLINK("x")' in [r["value"] for r in rows]


def test_csv_cells_neutralise_formulas_but_keep_numbers() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-5") == "-5"
    assert csv_cell("+4,5") == "+4,5"
    assert csv_cell("-x") == "'-x"
    assert csv_cell(None) == ""


def test_site_page_content(pages) -> None:
    _, reports, _ = pages
    page = (reports / "e2" / "sites" / "S1.html").read_text(encoding="utf-8")
    # S1 in e2: new = E and the formula row (2), open = A and D#1 (2), resolved = C, D#2, W2 (3)
    assert "2 new, 2 still open and 3 resolved since the previous export" in page
    assert "(since e1)" in page
    # completeness: P1 (PR) and P2 (SD) both have a baseline PSA and an evaluable response, no ECOG
    assert '<td class="num">2</td><td class="num">2 (100.0 %)</td><td class="num">0 (0.0 %)</td>' in page


def test_index_section_counts_changes_and_links_site_pages(pages) -> None:
    warehouse, _, _ = pages
    section = feedback_index_html(warehouse, "e2/")
    # hand count for e2 (see test_statuses): P5 added, P3's response, P2's death (+3 other survival
    # changes), P1 joined ecog_3, P1's anemia grade
    assert (
        "Since export e1: 1 new patient, 0 patients removed, 1 response changed, 1 death recorded, "
        "3 other PFS/OS changes, 1 cohort membership changed, 1 post-treatment grade changed." in section
    )
    assert 'href="e2/sites/S1.html"' in section and 'href="e2/sites/_unassigned.csv"' in section
    assert "<script" not in section


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed (Debian package 'chromium')")
def test_site_page_in_a_browser_runs_no_export_markup_and_fits_420px(pages, tmp_path) -> None:
    _, reports, _ = pages
    page = (reports / "e2" / "sites" / "script_window___pwned_1_script.html").read_text(encoding="utf-8")
    probe = (
        "<script>window.addEventListener('load', function () { var o = document.createElement('pre');"
        " o.id = 'probe'; o.textContent = JSON.stringify({pwned: window.__pwned || 0,"
        " wide: document.documentElement.scrollWidth > window.innerWidth}); document.body.appendChild(o);"
        " });</script>"
    )
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("<head>", "<head>" + probe, 1), encoding="utf-8")
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=420,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found is not None
    assert found.group(1).replace("&quot;", '"') == '{"pwned":0,"wide":false}'
