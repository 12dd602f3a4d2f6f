"""Helpers for `cohort_report.qmd`: read-only warehouse access, escaped HTML tables, number formatting
and the report's static matplotlib figures.

Everything here formats or draws values read from the warehouse; no statistic is computed here.
Every string that reaches HTML goes through `esc` because site ids, terms and file names come from the
export and must never run as markup.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import duckdb  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# One rounding rule for the whole report: the one analysis.table1 prints with (halves up, `13 (72.2)`).
from orchestration.analysis.formatting import format_count_percent, format_fixed  # noqa: E402

MISSING = "–"

# Colours chosen to stay distinguishable in grey-scale print and for red-green colour blindness.
RESPONSE_COLOURS: dict[str, str] = {"PR": "#1b7837", "SD": "#8c8c8c", "PD": "#b2182b"}
BASELINE_COLOUR = "#4575b4"
POST_COLOUR = "#d73027"

# The paper's Fig. 5 terms, in its order, with the names a clinician reads in the figure.
FIG5_TERMS: tuple[tuple[str, str], ...] = (
    ("Anemia", "Anemia"),
    ("White blood cell decreased", "Leukopenia"),
    ("Platelet count decreased", "Thrombocytopenia"),
    ("Chronic kidney disease", "Renal impairment"),
    ("Fatigue", "Fatigue"),
    ("Dry mouth", "Xerostomia"),
)
CTCAE_TERM_ORDER: tuple[str, ...] = (
    "Anemia",
    "White blood cell decreased",
    "Platelet count decreased",
    "Neutrophil count decreased",
    "Lymphocyte count decreased",
    "Chronic kidney disease",
    "Creatinine increased",
    "Alkaline phosphatase increased",
    "Fatigue",
    "Dry mouth",
    "Nausea",
    "Pain",
    "Anorexia",
    "Other",
)
ANALYTE_LABELS: dict[str, str] = {
    "hemoglobin": "Hemoglobin [g/dL]",
    "wbc": "WBC [10⁹/L]",
    "platelets": "Platelets [10⁹/L]",
    "neutrophils": "Neutrophils [10⁹/L]",
    "lymphocytes": "Lymphocytes [10⁹/L]",
    "creatinine": "Creatinine [mg/dL]",
    "egfr": "eGFR [mL/min/1.73 m²]",
    "alp": "ALP [U/L]",
    "psa": "PSA [ng/mL]",
}
# Decimals a clinician reads lab values with (the paper: Hb 10.6 g/dL, platelets 215, eGFR 78).
ANALYTE_DECIMALS: dict[str, int] = {"hemoglobin": 1, "wbc": 1, "platelets": 0, "egfr": 0}
WATERFALL_CAP_PCT = 100.0
# Up to this many capped bars each gets its value printed; beyond, the labels would overlap.
WATERFALL_MAX_CAP_LABELS = 8


# ---------------------------------------------------------------------------------------------- access


def connect(warehouse: str | Path) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only: a report must never be able to change it."""
    path = Path(warehouse)
    if not path.is_file():
        raise FileNotFoundError(f"warehouse file not found: {path}")
    return duckdb.connect(str(path), read_only=True)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def column_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.columns "
        "where table_schema = ? and table_name = ? and column_name = ?",
        [schema, table, column],
    ).fetchone()
    return bool(row and row[0])


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# ------------------------------------------------------------------------------------------ formatting


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def esc(value: Any) -> str:
    return html.escape(MISSING if is_missing(value) else str(value), quote=True)


def fmt(value: Any, digits: int = 1) -> str:
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_fixed(value, digits)
    return str(value)


def fmt_int(value: Any) -> str:
    """A count with thousands separators (`81,586`), as the refresh summary prints it."""
    return MISSING if is_missing(value) else f"{int(value):,}"


def fmt_p(p: Any) -> str:
    if is_missing(p):
        return MISSING
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_pct(count: int, total: int) -> str:
    """`13 (72.2)`, exactly as analysis.table1 prints n (%); `–` for an empty denominator."""
    return format_count_percent(int(count), int(total))


def fmt_mean_sd_range(mean: Any, sd: Any, lo: Any, hi: Any, digits: int = 1) -> str:
    if is_missing(mean):
        return MISSING
    return f"{fmt(mean, digits)} ± {fmt(sd, digits)} ({fmt(lo, digits)}–{fmt(hi, digits)})"


def fmt_median_ci(median: Any, lower: Any, upper: Any, digits: int = 1) -> str:
    def one(v: Any) -> str:
        return "not reached" if is_missing(v) else format_fixed(float(v), digits)

    text = "not reached" if is_missing(median) else f"{one(median)} months"
    return f"{text} (95 % CI {one(lower)}–{one(upper)})"


# ---------------------------------------------------------------------------------------------- HTML


def html_table(
    columns: Sequence[str],
    body: Iterable[Sequence[Any]],
    caption: str | None = None,
    numeric: Sequence[bool] | None = None,
    css_class: str = "report-table",
) -> str:
    """An HTML table with every header, cell and caption escaped."""
    numeric = list(numeric) if numeric is not None else [False] * len(columns)
    parts = [f'<table class="{esc(css_class)}">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in columns) + "</tr></thead>")
    parts.append("<tbody>")
    for row in body:
        cells = []
        for i, value in enumerate(row):
            cls = ' class="num"' if i < len(numeric) and numeric[i] else ""
            cells.append(f"<td{cls}>{esc(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def table1_html(
    rows: Sequence[dict[str, Any]], caption: str | None = None, group_rows: bool = True,
    columns: Sequence[str] = ("Characteristic", "Value"),
) -> str:
    """analysis.table1 rows (section, characteristic, statistic, indent) as printed, all text escaped.

    With `group_rows` each section opens with a header row (Table 1 style); `indent` > 0 marks a sub-row
    (e.g. Abiraterone under NAAD) and is drawn indented.
    """
    parts = ['<table class="report-table table1">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f'<th scope="col">{esc(c)}</th>' for c in columns) + "</tr></thead>")
    parts.append("<tbody>")
    section = object()
    for r in rows:
        if group_rows and r["section"] != section:
            section = r["section"]
            parts.append(
                f'<tr class="group"><th colspan="{len(columns)}" scope="rowgroup">{esc(section)}</th></tr>'
            )
        indent = int(r.get("indent") or 0)
        label_class = f' class="indent{min(indent, 3)}"' if indent > 0 else ""
        parts.append(
            f"<tr><td{label_class}>{esc(r['characteristic'])}</td>"
            f'<td class="num">{esc(r["statistic"])}</td></tr>'
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def definition_list(items: Sequence[tuple[str, Any]]) -> str:
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="report-header">{inner}</dl>'


def note(text: str) -> str:
    """An explanatory sentence (e.g. why a section is empty), escaped."""
    return f'<p class="report-note">{esc(text)}</p>'


def show_html(fragment: str) -> None:
    from IPython.display import HTML, display

    display(HTML(fragment))


def show_note(text: str) -> None:
    show_html(note(text))


def show_figure(fig: Figure, dpi: int = 110) -> None:
    """Emit a figure as one image/png output (works with the Agg backend, in Quarto and the fallback)."""
    from IPython.display import Image, display

    display(Image(data=figure_png(fig, dpi=dpi), format="png"))
    plt.close(fig)


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -------------------------------------------------------------------------------------------- figures


WATERFALL_MAX_BARS = 3000


def waterfall_figure(changes: Sequence[float], categories: Sequence[str], basis: str) -> Figure:
    """Waterfall of PSA change (%), sorted descending; bars above the cap are drawn at the cap and marked.

    Drawn as one bar collection so that ~1,000 patients stay a solid, legible silhouette (per-bar
    outlines would turn into stripes). Capped bars get their value printed when there are few of them;
    with many, a ▲ over each and one label with their number and the largest value.
    """
    order = sorted(range(len(changes)), key=lambda i: changes[i], reverse=True)
    values = [float(changes[i]) for i in order]
    colours = [RESPONSE_COLOURS.get(categories[i], "#666666") for i in order]
    n = len(values)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    xs = list(range(n))
    shown = [min(v, WATERFALL_CAP_PCT) for v in values]
    if n <= WATERFALL_MAX_BARS:
        ax.bar(xs, shown, color=colours, width=0.8 if n <= 100 else 1.0, linewidth=0)
    else:
        # tens of thousands of bars take minutes to draw and look the same as one filled step per colour
        for colour in dict.fromkeys(colours):
            ys = [y if c == colour else 0.0 for y, c in zip(shown, colours, strict=True)]
            ax.fill_between(xs, 0, ys, step="mid", color=colour, linewidth=0)
    capped = [(x, v) for x, v in zip(xs, values, strict=True) if v > WATERFALL_CAP_PCT]
    # markers for at most WATERFALL_MAX_BARS capped bars (the first is the largest; the last places the label)
    marked = capped if len(capped) <= WATERFALL_MAX_BARS else (
        capped[:: len(capped) // WATERFALL_MAX_BARS + 1] + [capped[-1]])
    top = WATERFALL_CAP_PCT + 5
    if capped:
        ax.plot([x for x, _ in marked], [WATERFALL_CAP_PCT + 3] * len(marked), linestyle="none", marker="^",
                markersize=4 if n > 100 else 6, color="#b2182b")
        if len(capped) <= WATERFALL_MAX_CAP_LABELS and n <= 60:
            for x, v in capped:
                ax.annotate(f"{v:.0f} %", (x, WATERFALL_CAP_PCT + 6), ha="center", va="bottom", fontsize=7,
                            rotation=90)
            top = WATERFALL_CAP_PCT + 40
        else:
            ax.annotate(
                f"▲ {len(capped)} patients above +{WATERFALL_CAP_PCT:.0f} % (capped; largest "
                f"+{max(v for _, v in capped):.0f} %)",
                (capped[-1][0] + max(n * 0.02, 1), WATERFALL_CAP_PCT - 2), ha="left", va="top", fontsize=8,
                color="#b2182b",
            )
            top = WATERFALL_CAP_PCT + 10
    ax.axhline(-50, color="#1b7837", linestyle="--", linewidth=1)
    ax.axhline(25, color="#b2182b", linestyle="--", linewidth=1)
    ax.axhline(0, color="black", linewidth=0.8)
    # labels outside the plotting area so that no bar hides them
    for level, text, colour in ((-50, "−50 %", "#1b7837"), (25, "+25 %", "#b2182b")):
        ax.annotate(
            text,
            (1.01, level),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
            color=colour,
            annotation_clip=False,
        )
    ax.set_xticks([])
    ax.set_xlim(-0.7, max(n, 1) - 0.3)
    ax.set_ylim(-105, top)
    ax.set_ylabel(f"PSA change from baseline [%] ({basis})")
    ax.set_xlabel(f"Patients, n = {n} (sorted by PSA change)")
    handles = [Patch(color=c, label=k) for k, c in RESPONSE_COLOURS.items() if k in set(categories)]
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def risk_table_step(max_months: float) -> float:
    """Months between number-at-risk columns: the warehouse's 3-month grid, thinned on long follow-up so
    that the numbers never collide (at most ~13 columns on an 8-inch figure)."""
    for step in (3.0, 6.0, 12.0, 24.0):
        if max_months / step <= 12:
            return step
    return 48.0


def _on_grid(months: float, step: float) -> bool:
    return abs(months / step - round(months / step)) < 1e-9


def km_figure(curve: Sequence[dict[str, Any]], risk: Sequence[dict[str, Any]], endpoint_label: str) -> Figure:
    """KM step curve with its 95 % CI band, censor marks and the number-at-risk table under its axis.

    `curve` rows: time_months, survival, ci_lower, ci_upper, censored (sorted by time);
    `risk` rows: time_months, at_risk (the warehouse's 3-month grid). The at-risk numbers sit exactly
    under the time axis' ticks (shared x axis).
    """
    fig = plt.figure(figsize=(8, 5.0))
    grid = fig.add_gridspec(2, 1, height_ratios=[5, 1], hspace=0.5)
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    times = [float(r["time_months"]) for r in curve]
    surv = [float(r["survival"]) for r in curve]
    low = [float(r["ci_lower"]) if not is_missing(r["ci_lower"]) else float("nan") for r in curve]
    high = [float(r["ci_upper"]) if not is_missing(r["ci_upper"]) else float("nan") for r in curve]
    if times and times[0] > 0:
        times, surv, low, high = [0.0, *times], [1.0, *surv], [1.0, *low], [1.0, *high]
    max_t = max([*times, *[float(r["time_months"]) for r in risk], 1.0])
    # extend the last step to the end of follow-up so the curve does not stop at the last event
    t_ext, s_ext, lo_ext, hi_ext = [*times, max_t], [*surv, surv[-1]], [*low, low[-1]], [*high, high[-1]]
    ax.step(t_ext, s_ext, where="post", color="#2166ac", linewidth=1.6, label="Kaplan–Meier estimate")
    ax.fill_between(t_ext, lo_ext, hi_ext, step="post", color="#2166ac", alpha=0.18, label="95 % CI")
    cens_t = [float(r["time_months"]) for r in curve if (r.get("censored") or 0) > 0]
    cens_s = [float(r["survival"]) for r in curve if (r.get("censored") or 0) > 0]
    ax.plot(cens_t, cens_s, linestyle="none", marker="|", markersize=8, markeredgewidth=1.0, color="#2166ac",
            label="Censored")
    ax.set_ylim(0, 1.03)
    ax.set_ylabel(f"{endpoint_label}\nprobability")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlabel("Months since first RLT cycle")

    step = risk_table_step(max_t)
    shown = [r for r in risk if _on_grid(float(r["time_months"]), step)]
    ticks = [float(r["time_months"]) for r in shown] or [0.0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(-0.02 * max_t, max_t * 1.04)
    for r in shown:
        ax_risk.text(float(r["time_months"]), 0.5, str(r["at_risk"]), ha="center", va="center", fontsize=8)
    ax_risk.set_ylim(0, 1)
    ax_risk.axis("off")
    ax_risk.set_title("Number at risk", fontsize=8, loc="left")
    return fig


def toxicity_figure(grade_counts: dict[str, dict[str, list[int]]]) -> Figure:
    """Fig. 5: per term, patients per CTCAE grade 0–4 at baseline vs after RLT.

    `grade_counts[label] = {"baseline": [n0..n4], "post": [n0..n4]}` (counts read from marts.fct_toxicity).
    """
    labels = list(grade_counts)
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharey=True)
    grades = list(range(5))
    for ax, label in zip(axes.flat, labels, strict=False):
        counts = grade_counts[label]
        ax.bar(
            [g - 0.2 for g in grades], counts["baseline"], width=0.4, color=BASELINE_COLOUR, label="Baseline"
        )
        ax.bar([g + 0.2 for g in grades], counts["post"], width=0.4, color=POST_COLOUR, label="After RLT")
        ax.set_title(label, fontsize=10)
        ax.set_xticks(grades)
        ax.set_xticklabels([f"G{g}" for g in grades], fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes.flat[len(labels) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("Patients")
    axes.flat[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
