"""Parse a Quarto `.qmd` document into front matter, markdown chunks and `{python}` cells.

Only what the cohort report uses: YAML front matter, ```` ```{python} ```` cells with `#|` options, and
inline `` `{python} expr` `` in markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

_CELL_START = re.compile(r"^```+\s*\{python[^}]*\}\s*$")
_FENCE_END = re.compile(r"^```+\s*$")
INLINE_EXPR = re.compile(r"`\{python\}\s+([^`]+?)`")


class QmdError(ValueError):
    """The document cannot be parsed (unclosed cell, bad front matter or options)."""


@dataclass(frozen=True)
class Markdown:
    text: str

    @property
    def inline_expressions(self) -> list[str]:
        return [m.group(1).strip() for m in INLINE_EXPR.finditer(self.text)]


@dataclass(frozen=True)
class CodeCell:
    source: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        tags = self.options.get("tags") or []
        return [str(t) for t in (tags if isinstance(tags, list) else [tags])]

    @property
    def is_parameters(self) -> bool:
        return "parameters" in self.tags


Chunk = Markdown | CodeCell


@dataclass(frozen=True)
class QmdDocument:
    front_matter: dict[str, Any]
    chunks: list[Chunk]

    @property
    def execute_defaults(self) -> dict[str, Any]:
        execute = self.front_matter.get("execute") or {}
        return dict(execute) if isinstance(execute, dict) else {}

    @property
    def html_format(self) -> dict[str, Any]:
        fmt = self.front_matter.get("format") or {}
        if isinstance(fmt, dict):
            html = fmt.get("html") or {}
            return dict(html) if isinstance(html, dict) else {}
        return {}


def parse_qmd(text: str) -> QmdDocument:
    lines = text.splitlines()
    front: dict[str, Any] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
        except StopIteration:
            raise QmdError("front matter starts with '---' but never ends") from None
        loaded = yaml.safe_load("\n".join(lines[1:end])) or {}
        if not isinstance(loaded, dict):
            raise QmdError("front matter must be a YAML mapping")
        front = loaded
        start = end + 1

    chunks: list[Chunk] = []
    buffer: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if _CELL_START.match(line):
            if buffer:
                chunks.append(Markdown("\n".join(buffer)))
                buffer = []
            j = i + 1
            while j < len(lines) and not _FENCE_END.match(lines[j]):
                j += 1
            if j == len(lines):
                raise QmdError(f"code cell starting on line {i + 1} is never closed")
            chunks.append(_code_cell(lines[i + 1 : j], first_line=i + 2))
            i = j + 1
            continue
        buffer.append(line)
        i += 1
    if buffer:
        chunks.append(Markdown("\n".join(buffer)))
    return QmdDocument(front, chunks)


def _code_cell(body: list[str], first_line: int) -> CodeCell:
    option_lines: list[str] = []
    k = 0
    while k < len(body) and body[k].startswith("#|"):
        option_lines.append(body[k][2:].removeprefix(" "))
        k += 1
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {} if option_lines else {}
    except yaml.YAMLError as exc:
        raise QmdError(f"cell options on line {first_line} are not valid YAML: {exc}") from None
    if not isinstance(options, dict):
        raise QmdError(f"cell options on line {first_line} must be `#| key: value` lines")
    return CodeCell("\n".join(body[k:]), options)
