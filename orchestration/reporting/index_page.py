"""The index pages: one per export (`<export_id>/index.html`) and one over all exports
(`RLT_REPORTS/index.html`).

Each names the registry, export, cut-off and build time, gives the headline numbers per cohort (n, median
PFS and OS, PSA50 % of the evaluable) read from the published warehouse, links every cohort and comparison
report by its readable name, and carries the changes section of the site feedback (issue 13).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

DASH = "–"


@dataclass
class IndexFacts:
    """What an index page says about one published export, read from the warehouse."""

    registry: str | None = None
    export_id: str | None = None
    data_cutoff: str | None = None
    built_at: str | None = None
    # cohort -> (n, median PFS months, median OS months, PSA50 count, evaluable count)
    headlines: dict[str, tuple[int | None, float | None, float | None, int | None, int | None]] = field(
        default_factory=dict
    )


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _utc(value: Any) -> str | None:
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return None if value is None else str(value)


def read_index_facts(warehouse: Path) -> IndexFacts:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        facts = IndexFacts()
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_schema = 'audit' and table_name = 'runs'").fetchall()}
        registry = "registry" if "registry" in cols else "null"
        run = con.execute(f"select {registry}, export_id, data_cutoff, finished_at from audit.runs "
                          "order by finished_at desc nulls last limit 1").fetchone()
        if run:
            facts.registry, facts.export_id = run[0], run[1]
            facts.data_cutoff = None if run[2] is None else str(run[2])
            facts.built_at = _utc(run[3])
        if facts.registry is None and facts.export_id and _has_table(con, "raw", "export_manifest"):
            # warehouses published before audit.runs recorded the registry
            row = con.execute("select registry from raw.export_manifest where export_id = ?",
                              [facts.export_id]).fetchone()
            facts.registry = row[0] if row else None
        km: dict[tuple[str, str], float | None] = {}
        if _has_table(con, "analysis", "km_summary"):
            km = {(c, ep): m for c, ep, m in con.execute(
                "select cohort, endpoint, median_months from analysis.km_summary").fetchall()}
        psa: dict[str, tuple[int | None, int | None]] = {}
        if _has_table(con, "analysis", "psa_response_summary"):
            psa = {c: (p50, ev) for c, p50, ev in con.execute(
                "select cohort, n_psa50, n_pr + n_sd + n_pd from analysis.psa_response_summary").fetchall()}
        for cohort, n in con.execute("select cohort, n_patients from marts.cohorts").fetchall():
            p50, ev = psa.get(cohort, (None, None))
            facts.headlines[str(cohort)] = (n, km.get((cohort, "pfs")), km.get((cohort, "os")), p50, ev)
        return facts
    finally:
        con.close()


def _months(value: float | None) -> str:
    if value is None:
        return "not reached"
    return str(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _psa50(count: int | None, evaluable: int | None) -> str:
    if count is None or not evaluable:
        return DASH
    pct = (Decimal(count) * 100 / Decimal(evaluable)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{pct} % ({count} of {evaluable})"


def index_html(
    names: Sequence[str],
    targets: Mapping[str, str],
    descriptions: Mapping[str, tuple[str | None, int | None]],
    facts: IndexFacts,
    comparisons: Sequence[tuple[str, str]] = (),
    extra: str = "",
    exports: Sequence[tuple[str, str]] = (),
    css: str = "",
) -> str:
    """The page; every text from the warehouse is escaped. `comparisons` and `exports` are (href, label)."""
    e = html.escape
    rows = []
    for name in names:
        description, n = descriptions.get(name, (None, None))
        h = facts.headlines.get(name, (n, None, None, None, None))
        has = bool(h[0])
        rows.append(
            f'<tr><td><a href="{e(targets[name], quote=True)}">{e(description or name)}</a>'
            f'<br><span class="report-small">{e(name)}</span></td>'
            f'<td class="num">{DASH if h[0] is None else int(h[0])}</td>'
            f'<td class="num">{_months(h[1]) if has else DASH}</td>'
            f'<td class="num">{_months(h[2]) if has else DASH}</td>'
            f'<td class="num">{_psa50(h[3], h[4])}</td></tr>'
        )
    header = "".join(f"<dt>{e(k)}</dt><dd>{e(v or DASH)}</dd>" for k, v in (
        ("Registry", facts.registry), ("Export id", facts.export_id), ("Data cut-off", facts.data_cutoff),
        ("Warehouse built at", facts.built_at)))
    comparison_list = "".join(f'<li><a href="{e(href, quote=True)}">{e(label)}</a></li>'
                              for href, label in comparisons)
    export_list = "".join(f'<li><a href="{e(href, quote=True)}">{e(label)}</a></li>'
                          for href, label in exports)
    title = f"Reports of {facts.registry or 'the registry'}, export {facts.export_id or DASH}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{css}</style></head><body>"
        f"<h1>{e(title)}</h1>"
        f'<dl class="report-header">{header}</dl>'
        "<h2>Cohort reports</h2>"
        '<div class="table-scroll"><table class="report-table"><caption>Headline numbers per cohort '
        "(median in months; PSA50 as % of the evaluable patients)</caption><thead><tr><th>Cohort</th>"
        "<th>Patients, n</th>"
        "<th>Median PFS</th><th>Median OS</th><th>PSA50</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        + (f"<h2>Comparison reports</h2><ul>{comparison_list}</ul>" if comparisons else "")
        + extra
        + (f"<h2>All exports</h2><ul>{export_list}</ul>" if exports else "")
        + "</body></html>\n"
    )
