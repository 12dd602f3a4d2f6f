"""`quarto render`, used when a Quarto CLI is on PATH."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from orchestration.reporting.errors import ReportRenderError
from orchestration.reporting.files import write_private


def render_with_quarto(
    qmd: Path, output_html: Path, params: Mapping[str, object], title: str | None = None
) -> Path:
    produced_name = f".rlt-{os.getpid()}-{output_html.stem}.html"
    cmd = ["quarto", "render", str(qmd), "--to", "html", "--output", produced_name]
    if title:
        cmd += ["-M", f"title:{title}"]
    for key, value in params.items():
        cmd += ["-P", f"{key}:{value}"]
    result = subprocess.run(cmd, cwd=qmd.parent, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReportRenderError(f"quarto render failed ({result.returncode}): {result.stderr[-4000:]}")
    # `_quarto.yml` sets an output-dir; without a project quarto writes beside the document
    candidates = [qmd.parent / "_output" / produced_name, qmd.parent / produced_name]
    produced = next((c for c in candidates if c.is_file()), None)
    if produced is None:
        raise ReportRenderError(f"quarto render did not write {produced_name}")
    try:
        write_private(output_html, produced.read_bytes())
    finally:
        produced.unlink(missing_ok=True)
    return output_html
