"""The project's own `.qmd` renderer, used when no Quarto CLI is on PATH.

Cells run in a Jupyter kernel (nbclient) of this interpreter, parameters are injected after the
`parameters` cell (as papermill and Quarto do), inline `` `{python} expr` `` is replaced by its escaped
value, and pandoc 3 writes one standalone HTML file with images as data URIs and no external resource.
A fallback, not a Quarto clone: it supports what `reports/cohort_report.qmd` uses.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pypandoc
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from orchestration.reporting.errors import ReportRenderError
from orchestration.reporting.files import write_private
from orchestration.reporting.qmd import INLINE_EXPR, CodeCell, Markdown, QmdDocument, parse_qmd
from orchestration.reporting.style import REPORT_CSS

CELL_TIMEOUT_SECONDS = 300
_INLINE_MARKER = "__rlt_inline_values__"


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

    def render(
        self, qmd: Path, output_html: Path, params: Mapping[str, object], title: str | None = None
    ) -> Path:
        qmd = Path(qmd).resolve()
        doc = parse_qmd(qmd.read_text(encoding="utf-8"))
        executed = self.execute(doc, params, label=qmd.name)
        body = _assemble_markdown(doc, executed)
        page = _pandoc_html(body, doc, qmd.parent, title)
        output_html = Path(output_html).resolve()
        write_private(output_html, page.encode("utf-8"))
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


def _pandoc_html(
    markdown_body: str, doc: QmdDocument, source_dir: Path | None = None, title: str | None = None
) -> str:
    front = {**doc.front_matter, **({"title": title} if title else {})}
    # metadata values are read as markdown: escape them so that a title is text, never markup
    meta = {
        k: markdown_escape(str(front[k])) for k in ("title", "subtitle", "author", "date") if front.get(k)
    }
    meta.setdefault("title", "Report")
    meta["lang"] = str(front.get("lang", "en"))
    html_opts = doc.html_format
    # The stylesheets go in as one inline <style> (the base one first, then the document's own from the
    # front matter `css:`, so that they win) instead of `--css` + `--embed-resources`: the page refers to
    # nothing outside itself either way (figures are inline SVG or data URIs), and embed-resources made
    # pandoc re-read every page with its inline figures, ~1.5 s of each page's render.
    sheets = [REPORT_CSS, *(p.read_text(encoding="utf-8") for p in _css_files(html_opts, source_dir))]
    with tempfile.TemporaryDirectory(prefix="rlt-render-") as tmp:
        header = Path(tmp) / "style.html"
        header.write_text("<style>\n" + "\n".join(sheets) + "\n</style>\n", encoding="utf-8")
        meta_file = Path(tmp) / "meta.json"
        meta_file.write_text(json.dumps(meta), encoding="utf-8")
        out = Path(tmp) / "out.html"
        args = [
            "--standalone",
            "--mathml",
            "--wrap=none",
            f"--include-in-header={header}",
            f"--metadata-file={meta_file}",
            f"--resource-path={tmp}",
        ]
        if html_opts.get("toc"):
            args.append("--toc")
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
