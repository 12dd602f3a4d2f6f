"""Render the cohort report `.qmd` to one self-contained HTML file.

With a `quarto` CLI on PATH, `quarto render` does it. Otherwise this module renders the same document
itself: cells run in a Jupyter kernel (nbclient) of this interpreter, parameters are injected after the
`parameters` cell (as papermill and Quarto do), inline `` `{python} expr` `` is replaced by its escaped
value, and pandoc 3 writes one standalone HTML file with images as data URIs and no external resource.
A fallback, not a Quarto clone: it supports what `reports/cohort_report.qmd` uses.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pypandoc
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from orchestration.feedback.index import feedback_index_html
from orchestration.reporting.qmd import INLINE_EXPR, CodeCell, Markdown, QmdDocument, parse_qmd

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_QMD = REPO_ROOT / "reports" / "cohort_report.qmd"
CELL_TIMEOUT_SECONDS = 300
_INLINE_MARKER = "__rlt_inline_values__"

REPORT_CSS = """
body { max-width: 62rem; margin: 0 auto; padding: 1.5rem; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; line-height: 1.45; color: #1a1a1a; }
h1.title { margin-bottom: 0.2rem; } p.subtitle { margin-top: 0; color: #555; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.2rem; }
table.report-table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; font-size: 0.9rem; }
table.report-table caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
table.report-table th, table.report-table td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem;
  text-align: left; vertical-align: top; }
table.report-table thead th { border-bottom: 2px solid #555; }
table.report-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.report-table tr.group th { background: #f2f2f2; }
dl.report-header { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.report-header dt { font-weight: 600; } dl.report-header dd { margin: 0; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #333; margin-top: 0.3rem; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
@media print { body { max-width: none; } nav#TOC { display: none; } }
"""


class ReportRenderError(RuntimeError):
    """A report could not be rendered (a cell failed, pandoc or quarto failed)."""


# ------------------------------------------------------------------------------------------ public API


def render_report(qmd: Path, output_html: Path, params: Mapping[str, object]) -> Path:
    """Render `qmd` with `params` into `output_html` (mode 0600, written atomically); return its path."""
    qmd = Path(qmd).resolve()
    output_html = Path(output_html).resolve()
    if shutil.which("quarto"):
        return _render_with_quarto(qmd, output_html, params)
    with KernelSession(qmd.parent) as session:
        return session.render(qmd, output_html, params)


def render_cohort_reports(
    warehouse: Path, out_dir: Path, cohorts: list[str] | None = None, qmd: Path = DEFAULT_QMD
) -> list[Path]:
    """One report per cohort (all of `marts.cohorts` when None) as `out_dir/<cohort>.html`, plus
    `out_dir/index.html` linking them. Returns the report paths followed by the index path."""
    warehouse = Path(warehouse).resolve()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptions = _read_cohorts(warehouse)
    names = list(descriptions) if cohorts is None else list(cohorts)
    targets = _file_names(names)

    paths: list[Path] = []
    if shutil.which("quarto"):
        for name in names:
            paths.append(render_report(qmd, out_dir / targets[name], _params(name, warehouse)))
    else:
        # one kernel for every cohort: starting a kernel and importing the plotting stack dominates
        with KernelSession(Path(qmd).resolve().parent) as session:
            for name in names:
                paths.append(session.render(Path(qmd), out_dir / targets[name], _params(name, warehouse)))
    index = out_dir / "index.html"
    extra = feedback_index_html(warehouse)  # issue 13: changes since the last export, site pages
    _write_private(index, _index_html(names, targets, descriptions, extra).encode("utf-8"))
    return [*paths, index]


def _export_dir(warehouse: Path) -> str:
    """The folder of the published export's reports: its export_id as a safe file name."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute("select export_id from audit.runs order by finished_at desc limit 1").fetchone()
    finally:
        con.close()
    return safe_file_stem(str(row[0]) if row else "export")


def render_one_report(warehouse: Path, reports_root: Path, cohort: str, qmd: Path = DEFAULT_QMD) -> Path:
    """One cohort's report, on demand, beside the nightly ones (`reports_root/<export_id>/`); the index
    pages are left as the nightly run wrote them."""
    warehouse = Path(warehouse).resolve()
    target = Path(reports_root) / _export_dir(warehouse) / _file_names([cohort])[cohort]
    return render_report(qmd, target, _params(cohort, warehouse))


def render_export_reports(warehouse: Path, reports_root: Path) -> list[Path]:
    """Every cohort's report into `reports_root/<export_id>/`, and `reports_root/index.html` linking the
    latest ones. Returns what `render_cohort_reports` returns."""
    warehouse = Path(warehouse).resolve()
    export_dir = _export_dir(warehouse)
    paths = render_cohort_reports(warehouse, Path(reports_root) / export_dir)
    descriptions = _read_cohorts(warehouse)
    names = list(descriptions)
    targets = {name: f"{export_dir}/{file}" for name, file in _file_names(names).items()}
    latest = Path(reports_root) / "index.html"
    extra = feedback_index_html(warehouse, f"{export_dir}/")  # issue 13
    _write_private(latest, _index_html(names, targets, descriptions, extra).encode("utf-8"))
    return [*paths, latest]


def safe_file_stem(name: str) -> str:
    """A file-name stem from a cohort name: letters, digits, '-', '_' only, never empty or hidden."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:80]
    return stem or "cohort"


# ------------------------------------------------------------------------------------------ the kernel


class KernelSession:
    """A python3 kernel (this interpreter) reused for several renders of documents in `workdir`.

    Each render starts with `%reset -f` so no variable leaks from one cohort's report into the next.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir).resolve()
        self.km: KernelManager | None = None
        self._sockets: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> KernelSession:
        env = dict(os.environ)
        env["MPLBACKEND"] = "Agg"
        # the document imports its helpers from its own folder, also if the cwd were elsewhere
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.workdir), env.get("PYTHONPATH", "")) if p)
        # IPC sockets in a private temp dir: no TCP port that another local user could connect to
        self._sockets = tempfile.TemporaryDirectory(prefix="rlt-kernel-")
        os.chmod(self._sockets.name, 0o700)
        self.km = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(self._sockets.name) / "k")
        )
        # the kernelspec's argv[0] "python" is replaced by sys.executable (jupyter_client), so the kernel
        # runs in this venv; pin it explicitly anyway
        self.km.kernel_spec.argv[0] = sys.executable
        self.km.start_kernel(cwd=str(self.workdir), env=env)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.km is not None:
            self.km.shutdown_kernel(now=True)
            self.km = None
        if self._sockets is not None:
            self._sockets.cleanup()
            self._sockets = None

    def render(self, qmd: Path, output_html: Path, params: Mapping[str, object]) -> Path:
        qmd = Path(qmd).resolve()
        doc = parse_qmd(qmd.read_text(encoding="utf-8"))
        executed = self.execute(doc, params, label=qmd.name)
        body = _assemble_markdown(doc, executed)
        page = _pandoc_html(body, doc, qmd.parent)
        output_html = Path(output_html).resolve()
        _write_private(output_html, page.encode("utf-8"))
        return output_html

    def execute(self, doc: QmdDocument, params: Mapping[str, object], label: str) -> _Executed:
        assert self.km is not None, "use KernelSession as a context manager"
        nb, roles = _build_notebook(doc, params)
        client = NotebookClient(
            nb,
            km=self.km,
            timeout=CELL_TIMEOUT_SECONDS,
            allow_errors=False,
            kernel_name="python3",
            resources={"metadata": {"path": str(self.workdir)}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the traceback's terminal colours
            raise ReportRenderError(f"{label}: a cell failed while rendering: {message}") from None
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
        return _Executed(nb, roles)


@dataclass
class _Executed:
    nb: Any
    # for each document chunk index, the notebook cell index holding its outputs (or inline values)
    roles: dict[int, int]


# ------------------------------------------------------------------------------------------ notebook


def _build_notebook(doc: QmdDocument, params: Mapping[str, object]) -> tuple[Any, dict[int, int]]:
    cells = [nbformat.v4.new_code_cell('get_ipython().run_line_magic("reset", "-f")')]
    roles: dict[int, int] = {}
    injected = False
    for index, chunk in enumerate(doc.chunks):
        if isinstance(chunk, CodeCell):
            roles[index] = len(cells)
            cells.append(nbformat.v4.new_code_cell(chunk.source, metadata={"tags": chunk.tags}))
            if chunk.is_parameters and not injected:
                cells.append(
                    nbformat.v4.new_code_cell(_param_source(params), metadata={"tags": ["injected"]})
                )
                injected = True
        elif chunk.inline_expressions:
            roles[index] = len(cells)
            cells.append(nbformat.v4.new_code_cell(_inline_source(chunk.inline_expressions)))
    if not injected and params:
        # no parameters cell: define the parameters before everything else
        cells.insert(1, nbformat.v4.new_code_cell(_param_source(params)))
        roles = {k: v + 1 for k, v in roles.items()}
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb, roles


def _param_source(params: Mapping[str, object]) -> str:
    lines = ["# Injected parameters"]
    for key, value in params.items():
        if not key.isidentifier():
            raise ReportRenderError(f"parameter name {key!r} is not a Python identifier")
        if isinstance(value, Path):
            value = str(value)
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise ReportRenderError(f"parameter {key} must be a string, number, boolean or None")
        lines.append(f"{key} = {value!r}")
    return "\n".join(lines)


def _inline_source(expressions: list[str]) -> str:
    values = ", ".join(f"str({expr})" for expr in expressions)
    return f"import json as _rlt_json\nprint({_INLINE_MARKER!r} + _rlt_json.dumps([{values}]))"


# ------------------------------------------------------------------------------------------ markdown


def _assemble_markdown(doc: QmdDocument, executed: _Executed) -> str:
    defaults = doc.execute_defaults
    parts: list[str] = []
    figure_number = 0
    for index, chunk in enumerate(doc.chunks):
        if isinstance(chunk, Markdown):
            text = chunk.text
            if index in executed.roles:
                text = _replace_inline(text, executed.nb.cells[executed.roles[index]])
            parts.append(text)
            continue
        options = {**defaults, **chunk.options}
        if options.get("include") is False:
            continue
        if options.get("echo") is True:
            parts.append(_fenced(chunk.source, "python"))
        output_option = options.get("output", True)
        if output_option is False:
            continue
        cell = executed.nb.cells[executed.roles[index]]
        for output in cell.get("outputs", []):
            rendered = _render_output(output, options, output_option == "asis", figure_number)
            if rendered is None:
                continue
            text, is_figure = rendered
            figure_number += is_figure
            parts.append(text)
    return "\n\n".join(parts) + "\n"


def _render_output(
    output: Any, options: dict[str, Any], asis: bool, figures_so_far: int
) -> tuple[str, bool] | None:
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr" and options.get("warning", True) is False:
            return None
        return (output["text"], False) if asis else (_fenced(output["text"], ""), False)
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data", {})
    if "image/png" in data:
        return _figure_html(data["image/png"], options, figures_so_far + 1), True
    if "image/svg+xml" in data:
        return _raw_html(
            _figure_tag(f'<div class="svg">{data["image/svg+xml"]}</div>', options, figures_so_far + 1)
        ), True
    if "text/html" in data:
        return _raw_html(data["text/html"]), False
    if "text/markdown" in data:
        return data["text/markdown"], False
    if "text/plain" in data:
        return (data["text/plain"], False) if asis else (_fenced(data["text/plain"], ""), False)
    return None


def _figure_html(png_base64: str | list[str], options: dict[str, Any], number: int) -> str:
    payload = "".join(png_base64) if isinstance(png_base64, list) else png_base64
    payload = re.sub(r"\s+", "", payload)
    alt = str(options.get("fig-alt") or options.get("fig-cap") or "Figure")
    img = f'<img src="data:image/png;base64,{payload}" alt="{html.escape(alt, quote=True)}">'
    return _raw_html(_figure_tag(img, options, number))


def _figure_tag(content: str, options: dict[str, Any], number: int) -> str:
    label = str(options.get("label") or "")
    ident = f' id="{html.escape(label, quote=True)}"' if label else ""
    caption = options.get("fig-cap")
    figcaption = f"<figcaption>Figure {number}: {html.escape(str(caption))}</figcaption>" if caption else ""
    return f"<figure{ident}>{content}{figcaption}</figure>"


def _raw_html(fragment: str) -> str:
    fence = "`" * max(3, _longest_backtick_run(fragment) + 1)
    return f"{fence}{{=html}}\n{fragment}\n{fence}"


def _fenced(text: str, language: str) -> str:
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _replace_inline(text: str, cell: Any) -> str:
    values: list[str] | None = None
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and _INLINE_MARKER in output.get("text", ""):
            payload = output["text"].split(_INLINE_MARKER, 1)[1].strip().splitlines()[0]
            values = json.loads(payload)
    if values is None:
        raise ReportRenderError("inline expressions produced no value")
    replacements = iter(values)
    return INLINE_EXPR.sub(lambda _m: markdown_escape(next(replacements)), text)


_MARKDOWN_PUNCTUATION = set("\\`*_{}[]()#+-.!|~^$:'\"")


def markdown_escape(value: str) -> str:
    """Text that pandoc's markdown reader turns back into exactly `value`, never into markup."""
    out = []
    for ch in value:
        if ch in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[ch])
        elif ch in _MARKDOWN_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------------ pandoc


def _css_files(html_opts: Mapping[str, Any], source_dir: Path | None) -> list[Path]:
    sheets = html_opts.get("css") or []
    sheets = [sheets] if isinstance(sheets, str) else list(sheets)
    out = []
    for sheet in sheets:
        path = (source_dir or Path.cwd()) / str(sheet)
        if not path.is_file():
            raise ReportRenderError(f"stylesheet {sheet!r} named in the front matter does not exist")
        out.append(path.resolve())
    return out


def _pandoc_html(markdown_body: str, doc: QmdDocument, source_dir: Path | None = None) -> str:
    front = doc.front_matter
    # metadata values are read as markdown: escape them so that a title is text, never markup
    meta = {
        k: markdown_escape(str(front[k])) for k in ("title", "subtitle", "author", "date") if front.get(k)
    }
    meta.setdefault("title", "Report")
    meta["lang"] = str(front.get("lang", "en"))
    html_opts = doc.html_format
    with tempfile.TemporaryDirectory(prefix="rlt-render-") as tmp:
        css = Path(tmp) / "report.css"
        css.write_text(REPORT_CSS, encoding="utf-8")
        meta_file = Path(tmp) / "meta.json"
        meta_file.write_text(json.dumps(meta), encoding="utf-8")
        out = Path(tmp) / "out.html"
        args = [
            "--standalone",
            "--embed-resources",
            "--mathml",
            "--wrap=none",
            f"--css={css}",
            f"--metadata-file={meta_file}",
            f"--resource-path={tmp}",
        ]
        if html_opts.get("toc"):
            args.append("--toc")
        # the document's own stylesheet(s) (front matter `css:`), after the base one so that they win
        for sheet in _css_files(html_opts, source_dir):
            args.append(f"--css={sheet}")
        try:
            pypandoc.convert_text(
                markdown_body,
                "html5",
                format="markdown-yaml_metadata_block",
                extra_args=args,
                outputfile=str(out),
            )
        except RuntimeError as exc:
            raise ReportRenderError(f"pandoc failed: {exc}") from None
        return out.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ quarto


def _render_with_quarto(qmd: Path, output_html: Path, params: Mapping[str, object]) -> Path:
    produced_name = f".rlt-{os.getpid()}-{output_html.stem}.html"
    cmd = ["quarto", "render", str(qmd), "--to", "html", "--output", produced_name]
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
        _write_private(output_html, produced.read_bytes())
    finally:
        produced.unlink(missing_ok=True)
    return output_html


# ------------------------------------------------------------------------------------------ files


def _write_private(path: Path, content: bytes) -> None:
    """Write `content` to `path` with mode 0600, atomically (readers see the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_cohorts(warehouse: Path) -> dict[str, tuple[str | None, int | None]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        result = con.execute("select cohort, description, n_patients from marts.cohorts order by cohort")
        return {str(c): (d, n) for c, d, n in result.fetchall()}
    finally:
        con.close()


def _params(cohort: str, warehouse: Path) -> dict[str, object]:
    return {"cohort": cohort, "warehouse": str(warehouse)}


def _file_names(names: list[str]) -> dict[str, str]:
    """Distinct sanitised file names; 'index' is reserved for the index page."""
    used: set[str] = {"index"}
    out: dict[str, str] = {}
    for name in names:
        stem = safe_file_stem(name)
        candidate, k = stem, 2
        while candidate.lower() in used:
            candidate, k = f"{stem}_{k}", k + 1
        used.add(candidate.lower())
        out[name] = f"{candidate}.html"
    return out


def _index_html(
    names: list[str],
    targets: dict[str, str],
    descriptions: Mapping[str, tuple[str | None, int | None]],
    extra: str = "",
) -> str:
    rows = []
    for name in names:
        description, n = descriptions.get(name, (None, None))
        rows.append(
            f'<tr><td><a href="{html.escape(targets[name], quote=True)}">{html.escape(name)}</a></td>'
            f"<td>{html.escape(description or '–')}</td><td>{'–' if n is None else int(n)}</td></tr>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Cohort reports</title><style>{REPORT_CSS}</style></head><body>"
        "<h1>Cohort reports</h1>"
        '<table class="report-table"><thead><tr><th>Cohort</th><th>Description</th><th>Patients, n</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{extra}</body></html>\n"
    )


@contextmanager
def kernel_session(workdir: Path = DEFAULT_QMD.parent) -> Iterator[KernelSession]:
    """A reusable kernel for callers rendering many documents (e.g. a Dagster asset)."""
    with KernelSession(workdir) as session:
        yield session
