"""Open the rendered reports from disk in headless Chromium at 1280 and 420 px: no errors, vector figures
with a non-zero size and an accessible name, and a page that never scrolls sideways; print to PDF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="headless chromium is not installed (Debian package 'chromium')"
    ),
]

# Added to a test copy only (the report itself has no script): records script/resource errors and, on
# load, each image's natural and rendered size into the DOM that --dump-dom prints.
PROBE = """<script>
window.__rltErrors = [];
window.addEventListener('error', function (e) {
  window.__rltErrors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || e.type));
}, true);
window.addEventListener('load', function () {
  var figures = Array.prototype.slice.call(document.querySelectorAll('svg[role="img"]')).map(function (i) {
    var box = i.getBoundingClientRect();
    return {label: i.getAttribute('aria-label'), shownW: box.width, shownH: box.height};
  });
  // the page runs in an iframe of the tested width (headless Chromium's window is at least 500 px wide)
  parent.postMessage(JSON.stringify({errors: window.__rltErrors, figures: figures,
                                     images: document.images.length,
                                     scrollWidth: document.documentElement.scrollWidth,
                                     viewport: window.innerWidth}), '*');
});
</script>"""
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"><script>
window.addEventListener('message', function (e) {
  var out = document.createElement('pre'); out.id = 'rlt-probe'; out.textContent = e.data;
  document.body.appendChild(out);
});
</script></head><body style="margin:0"><iframe src="probe.html" style="border:0;width:WIDTHpx;height:900px">
</iframe></body></html>"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def probe_page(page: str, workdir: Path, width: int = 1280) -> dict[str, Any]:
    """Open a copy of `page` (with PROBE) from disk `width` px wide; return its script errors, console
    errors, figures and widths."""
    workdir.mkdir(parents=True, exist_ok=True)
    probe = workdir / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    frame = workdir / "frame.html"
    frame.write_text(FRAME.replace("WIDTH", str(width)), encoding="utf-8")
    result = chromium(workdir, f"--window-size={max(width, 500) + 40},1000", "--dump-dom", frame.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="rlt-probe">(.*?)</pre>', result.stdout, re.S)
    assert found is not None, "the page did not finish loading"
    report = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    report["console"] = console_errors(result.stderr)
    return report


@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize(("cohort", "n_figures"), [("all", 4), ("ecog_0_2", 4), ("empty", 0)])
def test_report_opens_without_errors_and_figures_have_size(
    rendered: dict[str, Path], tmp_path: Path, cohort: str, n_figures: int, width: int
) -> None:
    report = probe_page(rendered[cohort].read_text(encoding="utf-8"), tmp_path, width)
    assert report["errors"] == []
    assert report["console"] == []
    assert report["images"] == 0, "figures are vector (inline SVG), not raster images"
    assert len(report["figures"]) == n_figures
    for figure in report["figures"]:
        assert figure["label"], "every figure has an accessible name stating its result"
        assert figure["shownW"] > 100 and figure["shownH"] > 50
        assert figure["shownW"] <= width
    assert report["viewport"] == width
    # the page never scrolls sideways: wide tables scroll inside their own box
    assert report["scrollWidth"] <= report["viewport"], report


@pytest.mark.parametrize("width", [1280, 420])
def test_comparison_and_index_pages_fit(rendered: dict[str, Path], tmp_path: Path, width: int) -> None:
    for page in (rendered["comparison"], rendered["index"]):
        report = probe_page(page.read_text(encoding="utf-8"), tmp_path / page.stem, width)
        assert report["errors"] == [] and report["console"] == []
        assert report["scrollWidth"] <= report["viewport"], (page.name, report)


def test_print_to_pdf_has_no_heading_at_a_page_end(rendered: dict[str, Path], tmp_path: Path) -> None:
    """A4 PDF through Chromium's print; with pdftotext, no page's last text line is a section heading."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    pdf = tmp_path / "all.pdf"
    result = chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", rendered["all"].as_uri())
    assert result.returncode == 0 and pdf.is_file(), result.stderr[-2000:]
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    headings = {h.strip() for h in re.findall(r"<h[23][^>]*>([^<]+)</h[23]>",
                                              rendered["all"].read_text(encoding="utf-8"))}
    pages = text.split("\f")
    assert len(pages) > 1
    for number, page in enumerate(pages[:-1], start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines and lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]!r}"


def test_screenshot_of_the_report(rendered: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "all.png"
    result = chromium(tmp_path, "--window-size=1200,3000", f"--screenshot={shot}", rendered["all"].as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_errors(result.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
