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
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from datetime import UTC

import duckdb  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# One rounding rule for the whole report: the one analysis.table1 prints with (halves up, `13 (72.2)`).
from orchestration.analysis.formatting import format_count_percent, format_fixed  # noqa: E402

MISSING = "–"

# Colours chosen to stay distinguishable in grey-scale print and for red-green colour blindness.
RESPONSE_COLOURS: dict[str, str] = {"PR": "#1b7837", "SD": "#8c8c8c", "PD": "#b2182b"}
BASELINE_COLOUR = "#4575b4"
POST_COLOUR = "#d73027"

# The paper's Fig. 5 terms, in its order (anemia, leukopenia, thrombocytopenia, renal impairment, fatigue,
# xerostomia), as the CTCAE v5.0 terms the tables print.
FIG5_TERMS: tuple[str, ...] = (
    "Anemia",
    "White blood cell decreased",
    "Platelet count decreased",
    "Chronic kidney disease",
    "Fatigue",
    "Dry mouth",
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


# Said under Table 1 (issue 12: "Cabazitaxel" and "2nd line cabazitaxel" both 25 without explanation);
# the definition is dim_patient.prior_cabazitaxel_2nd_line's (int_prior_therapies_pivoted).
TABLE1_NOTE = (
    "2nd line cabazitaxel: cabazitaxel started on or after the start of docetaxel (or with a start date "
    "unknown); it is a part of the Cabazitaxel row, and the two are equal when every patient's cabazitaxel "
    "followed docetaxel."
)


class Html(str):
    """Markup built here from escaped parts (e.g. by `link`): `html_table` puts it in as it is."""


def link(href: str, text: Any) -> Html:
    """An `<a>` element, href and text escaped."""
    return Html(f'<a href="{esc(href)}">{esc(text)}</a>')


def site_page_files(con: duckdb.DuckDBPyConnection) -> dict[str | None, str]:
    """Each site's feedback page relative to the export's folder, as the site pages are named."""
    from orchestration.feedback.site_pages import site_page_files as pages

    return pages(con)


def html_table(
    columns: Sequence[str],
    body: Iterable[Sequence[Any]],
    caption: str | None = None,
    numeric: Sequence[bool] | None = None,
    css_class: str = "report-table",
) -> str:
    """An HTML table with every header, cell and caption escaped (cells of type `Html` excepted)."""
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
            cells.append(f"<td{cls}>{value if isinstance(value, Html) else esc(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return scroll_box("".join(parts))


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
    return scroll_box("".join(parts))


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


def show_figure(fig: Figure, alt: str | None = None) -> None:
    """Emit a figure as one image/svg+xml output (vector: sharp in print and in a manuscript).

    `alt` (the figure's result in words) becomes the SVG's accessible name (`role="img"`, `aria-label`,
    `<title>`), so that it travels with the figure in both renderers.
    """
    from IPython.display import SVG, display

    display(SVG(data=figure_svg(fig, alt)))
    plt.close(fig)
    if alt:
        show_html(f'<p class="figure-result">{esc(alt)}</p>')


def figure_svg(fig: Figure, alt: str | None = None) -> str:
    buf = io.StringIO()
    # text as paths would make the numbers unsearchable; keep text as text
    with plt.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML declaration or DOCTYPE inside an HTML page
    if alt:
        label = html.escape(alt, quote=True)
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
        head_end = svg.index(">") + 1
        svg = svg[:head_end] + f"<title>{label}</title>" + svg[head_end:]
    return svg


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def pct_text(count: int, total: int) -> str:
    """`12.5 %` (one decimal), `–` for an empty denominator."""
    return MISSING if total <= 0 else f"{format_fixed(100.0 * count / total, 1)} %"


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# -------------------------------------------------------------------------------------------- figures


WATERFALL_MAX_BARS = 3000
# Up to this many patients each bar is its own rectangle (with gaps between bars); beyond, bars touch
# (width 1) and one filled step per colour draws the same silhouette: 1,000 rectangles took ~4 s to draw
# twice (bbox_inches="tight") and made the SVG ~10 times larger.
WATERFALL_SEPARATE_BARS = 100


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
    if n <= WATERFALL_SEPARATE_BARS:
        ax.bar(xs, shown, color=colours, width=0.8, linewidth=0)
    else:
        # bar i spans [i - 0.5, i + 0.5], as ax.bar(width=1) draws it
        edges = [x - 0.5 for x in xs] + [n - 0.5]
        for colour in dict.fromkeys(colours):
            ys = [y if c == colour else 0.0 for y, c in zip(shown, colours, strict=True)]
            ax.fill_between(edges, 0, [*ys, ys[-1]], step="post", color=colour, linewidth=0)
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


def km_alt(endpoint: str, summary: dict[str, Any] | None) -> str:
    """The KM figure's result in words: `median OS 2.8 months (95 % CI 2.1–3.4); 78 events in 85 patients`."""
    if not summary or not summary.get("n"):
        return f"Kaplan–Meier curve of {endpoint}: no estimate."
    return (f"Kaplan–Meier curve of {endpoint}: median {endpoint} "
            + fmt_median_ci(summary["median_months"], summary["median_ci_lower"], summary["median_ci_upper"])
            + f"; "
            f"{summary['events']} events in {summary['n']} patients.")


def km_figure(curve: Sequence[dict[str, Any]], risk: Sequence[dict[str, Any]], endpoint_label: str,
              summary: dict[str, Any] | None = None) -> Figure:
    """KM step curve with its 95 % CI band, censor marks and the number-at-risk table under its axis.

    `curve` rows: time_months, survival, ci_lower, ci_upper, censored (sorted by time);
    `risk` rows: time_months, at_risk, cum_censored (the warehouse's 3-month grid). The numbers sit
    exactly under the time axis' ticks (shared x axis).
    """
    fig = plt.figure(figsize=(8, 4.8))
    grid = fig.add_gridspec(2, 1, height_ratios=[5, 1.0], hspace=0.45)
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    times = [float(r["time_months"]) for r in curve]
    surv = [float(r["survival"]) for r in curve]
    low = [float(r["ci_lower"]) if not is_missing(r["ci_lower"]) else float("nan") for r in curve]
    high = [float(r["ci_upper"]) if not is_missing(r["ci_upper"]) else float("nan") for r in curve]
    if times and times[0] > 0:
        times, surv, low, high = [0.0, *times], [1.0, *surv], [1.0, *low], [1.0, *high]
    max_t = max([*times, *[float(r["time_months"]) for r in risk], 1.0])
    # carry the last known CI bound forward (a row with S = 0 or a lone survivor has none), so that the band
    # goes on as far as the curve does
    for bounds in (low, high):
        for i in range(1, len(bounds)):
            if math.isnan(bounds[i]):
                bounds[i] = bounds[i - 1]
    # extend the last step to the end of follow-up so the curve does not stop at the last event
    t_ext, s_ext, lo_ext, hi_ext = [*times, max_t], [*surv, surv[-1]], [*low, low[-1]], [*high, high[-1]]
    ax.step(t_ext, s_ext, where="post", color="#2166ac", linewidth=1.6, label="Kaplan–Meier estimate")
    ax.fill_between(t_ext, lo_ext, hi_ext, step="post", color="#2166ac", alpha=0.18, label="95 % CI")
    cens_t = [float(r["time_months"]) for r in curve if (r.get("censored") or 0) > 0]
    cens_s = [float(r["survival"]) for r in curve if (r.get("censored") or 0) > 0]
    ax.plot(cens_t, cens_s, linestyle="none", marker="|", markersize=8, markeredgewidth=1.0, color="#2166ac",
            label="Censored")
    median = None if not summary else summary.get("median_months")
    if not is_missing(median):
        m = float(median)
        ax.plot([0, m], [0.5, 0.5], color="#555555", linestyle=":", linewidth=1)
        ax.plot([m, m], [0, 0.5], color="#555555", linestyle=":", linewidth=1)
        ax.annotate(f"median {format_fixed(m, 1)} months", (m, 0.5), xytext=(6, 6),
                    textcoords="offset points",
                    fontsize=8, color="#333333")
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
    _risk_rows(ax_risk, [("At risk", "#222222", shown, "at_risk"),
                         ("Censored", "#666666", shown, "cum_censored")], step, max_t)
    return fig


RISK_TITLE = "Number at risk; number censored (cumulative, to that time)"


def _risk_rows(ax_risk: Any, rows: Sequence[tuple[str, str, Sequence[dict[str, Any]], str]], step: float,
               max_t: float) -> None:
    """The numbers under a KM plot: one text row per (label, colour, risk rows, column), top down, each
    number under its time tick."""
    for i, (label, colour, risk, key) in enumerate(rows):
        y = len(rows) - i - 0.5
        ax_risk.text(-0.03 * max_t, y, label, ha="right", va="center", fontsize=8, color=colour)
        for r in risk:
            if _on_grid(float(r["time_months"]), step) and not is_missing(r[key]):
                ax_risk.text(float(r["time_months"]), y, str(int(r[key])), ha="center", va="center",
                             fontsize=8, color=colour)
    ax_risk.set_ylim(0, max(len(rows), 1))
    ax_risk.axis("off")
    ax_risk.set_title(RISK_TITLE, fontsize=8, loc="left")


def toxicity_figure(grade_counts: dict[str, dict[str, list[int]]]) -> Figure:
    """Fig. 5: per CTCAE term, % of patients per grade 0–4 at baseline vs after RLT, over the patients
    graded at both times (n in the panel title).

    `grade_counts[term] = {"baseline": [n0..n4], "post": [n0..n4]}` (counts read from marts.fct_toxicity).
    """
    terms = list(grade_counts)
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.8), sharey=True)
    grades = list(range(5))
    for ax, term in zip(axes.flat, terms, strict=False):
        counts = grade_counts[term]
        n = sum(counts["baseline"])
        pct = {k: [100.0 * c / n if n else 0.0 for c in v] for k, v in counts.items()}
        ax.bar([g - 0.2 for g in grades], pct["baseline"], width=0.4, color=BASELINE_COLOUR, label="Baseline")
        ax.bar([g + 0.2 for g in grades], pct["post"], width=0.4, color=POST_COLOUR, label="After RLT")
        ax.set_title(f"{term}\n(n = {n})", fontsize=9)
        ax.set_xticks(grades)
        ax.set_xticklabels([f"G{g}" for g in grades], fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_ylim(0, 100)
        if not n:
            ax.text(2, 50, "no patient graded\nbefore and after", ha="center", va="center", fontsize=8)
    for ax in axes.flat[len(terms) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("Patients [%]")
    axes.flat[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- settings


def _threshold(thresholds: dict[tuple[str, str, str], Any], criterion: str, rule: str, name: str,
               default: float) -> str:
    value = thresholds.get((criterion, rule, name), default)
    return f"{float(value):g}"


GRADE_BASIS_WORDS: dict[str, str] = {
    "worst": "the worst value in the post-treatment window",
    "last": "the last value in the post-treatment window",
}


def settings_in_words(
    settings: dict[str, Any], thresholds: dict[tuple[str, str, str], Any]
) -> list[tuple[str, str]]:
    """(label, sentence) for every clinical setting, in the words of clinical-rules.md.

    `thresholds` maps (criterion, rule, threshold) of seeds.psa_thresholds to its value, so that the
    sentence states the numbers the warehouse was computed with (the seed is the one place for them).
    """
    def t(criterion: str, rule: str, name: str, default: float) -> str:
        return _threshold(thresholds, criterion, rule, name, default)

    words: list[tuple[str, str]] = []
    rule = str(settings.get("psa_progression_rule", ""))
    if rule == "pcwg3":
        confirm = float(t("psa_progression", "pcwg3", "confirmation_days", 21))
        weeks = f"{confirm / 7:g} weeks" if confirm % 7 == 0 else f"{confirm:g} days"
        words.append(("PSA progression", (
            f"PCWG3 — ≥ {t('psa_progression', 'pcwg3', 'min_rise_pct', 25)} % and "
            f"≥ {t('psa_progression', 'pcwg3', 'min_rise_ng_ml', 2)} ng/mL above the nadir, "
            f"confirmed ≥ {weeks} "
            f"later; rises in the first {t('psa_progression', 'pcwg3', 'early_rise_ignored_days', 84)} days "
            "do not count while PSA has not fallen below baseline")))
    elif rule == "rise25":
        words.append(("PSA progression", (
            f"simplified — the first PSA ≥ {t('psa_progression', 'rise25', 'min_rise_pct', 25)} % above the "
            "nadir; no absolute rise, no confirmation")))
    basis = str(settings.get("psa_response_basis", ""))
    basis_words = {
        "best": "best (lowest) PSA after the first cycle, change from baseline",
        "last": "last PSA after the first cycle, change from baseline",
        "week12": (f"PSA closest to day {t('psa_response', 'week12', 'target_day', 84)} "
                   f"(± {t('psa_response', 'week12', 'window_days', 21)} days), change from baseline"),
    }
    if basis:
        words.append(("PSA response", f"{basis_words.get(basis, basis)}; PR ≤ "
                      f"{t('psa_response', '', 'pr_max_change_pct', -50)} %, PD ≥ "
                      f"+{t('psa_response', '', 'pd_min_change_pct', 25)} %"))
    grade = str(settings.get("post_grade_basis", ""))
    if grade:
        words.append(("Toxicity grade after RLT", GRADE_BASIS_WORDS.get(grade, grade)))
    paired = str(settings.get("paired_post_value", ""))
    if paired:
        words.append(("Laboratory value after RLT (before/after comparison)",
                      f"the {paired} value in the post-treatment window"))
    if "baseline_window_days" in settings:
        ecog = settings.get("ecog_baseline_window_days")
        days = settings["baseline_window_days"]
        words.append(("Baseline", f"the latest value within {days} days before the "
                      f"first cycle" + (f" (ECOG: {ecog} days)" if ecog is not None else "")))
    if "post_window_days" in settings:
        days = settings["post_window_days"]
        words.append(("Post-treatment window", f"after the first cycle up to {days} days "
                      "after the last cycle, at most to the data cut-off"))
    named = {"psa_progression_rule", "psa_response_basis", "post_grade_basis", "paired_post_value",
             "baseline_window_days", "ecog_baseline_window_days", "post_window_days"}
    words += [(str(k), str(v)) for k, v in sorted(settings.items()) if k not in named]
    return words


def git_commit(repo: str | Path) -> str | None:
    """The git commit of the report code (`abc1234`, `+ local changes` when the tree differs), or None."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")


def link_list(links: Sequence[tuple[str, str]]) -> str:
    """`<a>` elements (href, text), escaped, separated by ' · '."""
    return " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links)


def comparison_file(cohort_a: str, cohort_b: str) -> str:
    """The comparison report's file name beside the cohort reports: `<cohort_a>-vs-<cohort_b>.html`."""
    from orchestration.reporting.render import safe_file_stem

    return f"{safe_file_stem(cohort_a)}-vs-{safe_file_stem(cohort_b)}.html"


def fmt_timestamp(value: Any) -> str:
    """A timestamp to the minute in UTC (`2026-12-02 04:28 UTC`); text is printed as it is."""
    from datetime import datetime

    if is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def fmt_lab_value(value: Any, unit: Any, analyte: Any) -> str:
    """A lab value with its unit, at the decimals a clinician reads it with (`7.3 g/dL`)."""
    if is_missing(value):
        return MISSING
    digits = ANALYTE_DECIMALS.get(str(analyte), 2)
    text = format_fixed(float(value), digits)
    return text if is_missing(unit) else f"{text} {unit_text(unit)}"


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def unit_text(unit: Any) -> str:
    """A unit as printed: an exported power written with a caret (`10^9/L`) as a superscript (`10⁹/L`),
    as the table headers write it."""
    return re.sub(r"\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), str(unit))


def scroll_box(fragment: str) -> str:
    """A wide table in its own horizontally scrolling box, so that the page never scrolls sideways."""
    box = '<div class="table-scroll">'
    return fragment if fragment.startswith(box) else f"{box}{fragment}</div>"


def cohort_file(cohort: str) -> str:
    """The cohort report's file name beside this page (the renderer's rule)."""
    from orchestration.reporting.render import safe_file_stem

    return f"{safe_file_stem(cohort)}.html"


def km_overlay_figure(
    curves: dict[str, Sequence[dict[str, Any]]],
    risks: dict[str, Sequence[dict[str, Any]]],
    endpoint_label: str,
) -> Figure:
    """Both cohorts' KM step curves (solid, dashed) with censor ticks and one at-risk row per cohort."""
    names = list(curves)
    fig = plt.figure(figsize=(8, 4.6 + 0.6 * len(names)))
    grid = fig.add_gridspec(2, 1, height_ratios=[5, 0.9 * len(names) + 0.3], hspace=0.35)
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    styles = [("#2166ac", "-"), ("#b2182b", "--"), ("#1b7837", ":")]
    max_t = 1.0
    for c in names:
        max_t = max([max_t, *[float(r["time_months"]) for r in curves[c]],
                     *[float(r["time_months"]) for r in risks.get(c, [])]])
    for i, c in enumerate(names):
        colour, style = styles[i % len(styles)]
        times = [float(r["time_months"]) for r in curves[c]]
        surv = [float(r["survival"]) for r in curves[c]]
        if not times:
            continue
        if times[0] > 0:
            times, surv = [0.0, *times], [1.0, *surv]
        ax.step([*times, times[-1]], [*surv, surv[-1]], where="post", color=colour, linestyle=style,
                linewidth=1.6, label=c)
        cens = [(float(r["time_months"]), float(r["survival"]))
                for r in curves[c] if (r.get("censored") or 0) > 0]
        ax.plot([t for t, _ in cens], [s for _, s in cens], linestyle="none", marker="|", markersize=7,
                color=colour)
    ax.set_ylim(0, 1.03)
    ax.set_ylabel(f"{endpoint_label}\nprobability")
    ax.set_xlabel("Months since first RLT cycle")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    step = risk_table_step(max_t)
    ticks = sorted({float(r["time_months"]) for c in names for r in risks.get(c, [])
                    if _on_grid(float(r["time_months"]), step)}) or [0.0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(-0.02 * max_t, max_t * 1.04)
    rows = []
    for i, c in enumerate(names):
        colour = styles[i % len(styles)][0]
        rows += [(f"{c} at risk", colour, risks.get(c, []), "at_risk"),
                 (f"{c} censored", colour, risks.get(c, []), "cum_censored")]
    _risk_rows(ax_risk, rows, step, max_t)
    return fig
