"""What the demo's next night needs from the published warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.contract.tables import TABLES


def quarantined_lines(warehouse: Path) -> list[tuple[str, int]]:
    """(file, line number) of every quarantined row of the published export."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        union = " union all ".join(f"select source_file, line_number from quarantine.{t}" for t in TABLES)
        return [(str(f), int(n)) for f, n in con.execute(union).fetchall() if f is not None and n is not None]
