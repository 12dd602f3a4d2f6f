"""`render_report` prefers a `quarto` CLI on PATH; a stand-in script checks the call and the file handling."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orchestration.reporting.errors import ReportRenderError
from orchestration.reporting.fallback import KernelSession
from orchestration.reporting.render import render_report

FAKE_QUARTO = """#!/bin/sh
# stand-in for `quarto render <qmd> --to html --output <name> -P k:v ...`: writes its arguments as the page
qmd="$2"; out=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--output" ]; then out="$a"; fi
  prev="$a"
done
mkdir -p "$(dirname "$qmd")/_output"
printf '<html>%s</html>' "$*" > "$(dirname "$qmd")/_output/$out"
"""


def test_quarto_cli_is_used_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    quarto = bin_dir / "quarto"
    quarto.write_text(FAKE_QUARTO)
    quarto.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    qmd = tmp_path / "doc" / "report.qmd"
    qmd.parent.mkdir()
    qmd.write_text("---\ntitle: x\n---\n")
    out = tmp_path / "out" / "all.html"
    assert render_report(qmd, out, {"cohort": "all", "warehouse": "/w/registry.duckdb"}) == out.resolve()
    page = out.read_text()
    assert f"render {qmd} --to html --output" in page
    assert "-P cohort:all -P warehouse:/w/registry.duckdb" in page
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert list((qmd.parent / "_output").iterdir()) == []  # moved, not copied


def test_a_failing_cell_raises_with_the_document_name(tmp_path: Path) -> None:
    qmd = tmp_path / "broken.qmd"
    qmd.write_text("# Broken\n\n```{python}\nraise ValueError('boom')\n```\n")
    expected = "(?s)broken.qmd: a cell failed.*ValueError: boom"
    with KernelSession(tmp_path) as session, pytest.raises(ReportRenderError, match=expected):
        session.render(qmd, tmp_path / "broken.html", {})
    assert not (tmp_path / "broken.html").exists()
