"""The reports' stylesheet (fallback renderer and index pages)."""

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
