"""Open the rendered reports from disk in headless Chromium: no errors, figures with a non-zero size."""

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
  var images = Array.prototype.slice.call(document.images).map(function (i) {
    var box = i.getBoundingClientRect();
    return {w: i.naturalWidth, h: i.naturalHeight, shownW: box.width, shownH: box.height,
            complete: i.complete};
  });
  var out = document.createElement('pre');
  out.id = 'rlt-probe';
  out.textContent = JSON.stringify({errors: window.__rltErrors, images: images});
  document.body.appendChild(out);
});
</script>"""


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


def probe_page(page: str, workdir: Path) -> dict[str, Any]:
    """Open a copy of `page` (with PROBE) from disk; return its script errors, console errors and images."""
    workdir.mkdir(parents=True, exist_ok=True)
    probe = workdir / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    result = chromium(workdir, "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="rlt-probe">(.*?)</pre>', result.stdout, re.S)
    assert found is not None, "the page did not finish loading"
    report = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    report["console"] = console_errors(result.stderr)
    return report


@pytest.mark.parametrize(("cohort", "n_figures"), [("all", 4), ("ecog_0_2", 4), ("empty", 0)])
def test_report_opens_without_errors_and_figures_have_size(
    rendered: dict[str, Path], tmp_path: Path, cohort: str, n_figures: int
) -> None:
    report = probe_page(rendered[cohort].read_text(encoding="utf-8"), tmp_path)
    assert report["errors"] == []
    assert report["console"] == []
    assert len(report["images"]) == n_figures
    for image in report["images"]:
        assert image["complete"] and image["w"] > 0 and image["h"] > 0
        assert image["shownW"] > 100 and image["shownH"] > 50


def test_screenshot_of_the_report(rendered: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "all.png"
    result = chromium(tmp_path, "--window-size=1200,3000", f"--screenshot={shot}", rendered["all"].as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_errors(result.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
