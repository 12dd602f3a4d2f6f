"""The fallback renderer on a tiny document: options, parameters, inline values, figures, file mode."""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

import pypandoc
import pytest

from orchestration.reporting.errors import ReportRenderError
from orchestration.reporting.fallback import KernelSession, _param_source, markdown_escape
from orchestration.reporting.files import file_names, safe_file_stem, write_private

TINY = """---
title: "Tiny <doc>"
execute:
  echo: false
  warning: false
---

```{python}
#| tags: [parameters]
name = "default"
count = 1
```

```{python}
#| include: false
hidden_value = "HIDDEN-OUTPUT"
print(hidden_value)
```

Name is `{python} name`, twice count is `{python} count * 2`.

```{python}
#| echo: true
shown_code = 40 + 2
print("printed", shown_code)
```

```{python}
#| output: false
print("SUPPRESSED-OUTPUT")
```

```{python}
#| output: asis
print("**bold from asis**")
```

```{python}
import sys
print("EXE=" + sys.executable)
```

```{python}
#| label: fig-tiny
#| fig-cap: "A tiny <figure>"
#| fig-alt: "Alt text of the tiny figure"
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import Image, display
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([0, 1], [0, 1])
buf = io.BytesIO()
fig.savefig(buf, format="png")
display(Image(data=buf.getvalue(), format="png"))
```
"""


@pytest.fixture(scope="module")
def tiny_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("tiny")
    qmd = tmp / "tiny.qmd"
    qmd.write_text(TINY, encoding="utf-8")
    out = tmp / "out" / "tiny.html"
    with KernelSession(tmp) as session:
        session.render(qmd, out, {"name": "<i>x</i> *y*", "count": 21})
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    return out.read_text(encoding="utf-8")


def test_parameters_are_injected_and_inline_values_escaped(tiny_html: str) -> None:
    assert "Name is &lt;i&gt;x&lt;/i&gt; *y*, twice count is 42." in tiny_html


def test_cell_options(tiny_html: str) -> None:
    assert "HIDDEN-OUTPUT" not in tiny_html and "hidden_value" not in tiny_html
    assert "SUPPRESSED-OUTPUT" not in tiny_html
    assert "<pre><code>printed 42</code></pre>" in tiny_html
    assert 'class="sourceCode python"' in tiny_html and "shown_code" in tiny_html
    assert "<strong>bold from asis</strong>" in tiny_html


def test_kernel_runs_this_interpreter(tiny_html: str) -> None:
    assert f"EXE={sys.executable}" in tiny_html


def test_figure_embedded_with_caption_and_alt(tiny_html: str) -> None:
    figure = re.search(r'<figure id="fig-tiny">(.*?)</figure>', tiny_html, re.S)
    assert figure is not None
    assert 'src="data:image/png;base64,' in figure.group(1)
    assert 'alt="Alt text of the tiny figure"' in figure.group(1)
    assert "Figure 1: A tiny &lt;figure&gt;" in figure.group(1)
    assert "<title>Tiny &lt;doc&gt;</title>" in tiny_html


def test_markdown_escape_round_trips_through_pandoc() -> None:
    value = "<script>alert(1)</script> *a* _b_ [c](d) `e` # & \\ $x$"
    out = pypandoc.convert_text(
        markdown_escape(value), "html5", format="markdown", extra_args=["--wrap=none"]
    )
    assert out.strip() == ("<p>&lt;script&gt;alert(1)&lt;/script&gt; *a* _b_ [c](d) `e` # &amp; \\ $x$</p>")


def test_file_names_are_sanitised_and_distinct() -> None:
    assert safe_file_stem("../../etc/passwd") == "etc_passwd"
    assert safe_file_stem("<b>") == "b"
    assert safe_file_stem("...") == "cohort"
    names = file_names(["a b", "a/b", "index", "ecog_3"])
    assert names == {"a b": "a_b.html", "a/b": "a_b_2.html", "index": "index_2.html", "ecog_3": "ecog_3.html"}


def test_parameter_names_must_be_identifiers() -> None:
    with pytest.raises(ReportRenderError):
        _param_source({"x; import os": 1})
    assert _param_source({"p": Path("/a"), "n": 2}) == "# Injected parameters\np = '/a'\nn = 2"


def test_write_private_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
