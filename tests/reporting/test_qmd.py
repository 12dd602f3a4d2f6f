from __future__ import annotations

import pytest

from orchestration.reporting.qmd import CodeCell, Markdown, QmdError, parse_qmd

DOC = """---
title: "A report"
execute:
  echo: false
format:
  html:
    toc: true
---

# Heading

```{python}
#| tags: [parameters]
cohort = "all"
```

Text with `{python} 1 + 1` and `{python} cohort`.

```{python}
#| label: fig-x
#| fig-cap: "A caption: with colon"
#| echo: true
x = 1
```
"""


def test_front_matter_cells_and_options() -> None:
    doc = parse_qmd(DOC)
    assert doc.front_matter["title"] == "A report"
    assert doc.execute_defaults == {"echo": False}
    assert doc.html_format == {"toc": True}
    kinds = [type(c).__name__ for c in doc.chunks]
    assert kinds == ["Markdown", "CodeCell", "Markdown", "CodeCell"]
    params, fig = doc.chunks[1], doc.chunks[3]
    assert isinstance(params, CodeCell) and params.is_parameters
    assert params.source == 'cohort = "all"'
    assert isinstance(fig, CodeCell)
    assert fig.options == {"label": "fig-x", "fig-cap": "A caption: with colon", "echo": True}
    assert fig.source == "x = 1"
    text = doc.chunks[2]
    assert isinstance(text, Markdown) and text.inline_expressions == ["1 + 1", "cohort"]


def test_unclosed_cell_is_an_error() -> None:
    with pytest.raises(QmdError, match="never closed"):
        parse_qmd("```{python}\nx = 1\n")


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(QmdError, match="key: value"):
        parse_qmd("```{python}\n#| just text\nx = 1\n```\n")
