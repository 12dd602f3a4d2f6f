"""An analyst hammering the published warehouse: open read-only, run a few queries, close, repeat.

Run as a script: `python analyst_reader.py WAREHOUSE STOP_FILE STATUS_FILE RESULT_FILE`. Until STOP_FILE
exists it answers `signature()` again and again; after every answer it replaces STATUS_FILE with the last
export_id seen and the count so far (so a test can wait for it); at the end it writes every answer and
every error to RESULT_FILE. Needs nothing but duckdb.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import duckdb

# what an analyst asks, all through one connection (one snapshot)
QUERIES = (
    "select export_id from raw.export_manifest",
    "select export_id from audit.runs order by finished_at desc limit 1",
    "select count(*) from audit.runs",
    "select count(*) from marts.dim_patient",
    "select n_patients from marts.cohorts where cohort = 'all'",
    "select count(*), count(distinct patient_id) from marts.fct_survival",
    "select cohort, endpoint, n, events, median_months from analysis.km_summary order by all",
    "select count(*) from analysis.table1",
)


def signature(path: str | Path) -> list[str]:
    """The answers to QUERIES, each as text (the km_summary rows as their md5)."""
    answers: list[str] = []
    with duckdb.connect(str(path), read_only=True) as con:
        for sql in QUERIES:
            rows = con.execute(sql).fetchall()
            text = repr(rows)
            answers.append(hashlib.md5(text.encode()).hexdigest() if len(rows) > 1 else text)
    return answers


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def main(warehouse: str, stop: str, status: str, result: str) -> None:
    # analysts yield the CPU to the nightly refresh on a small machine; they still query without pause
    os.nice(10)
    answers: list[list[str]] = []
    errors: list[str] = []
    while not os.path.exists(stop):
        try:
            answers.append(signature(warehouse))
        except Exception as exc:  # any error an analyst would see counts
            errors.append(repr(exc))
            continue
        _write_json(Path(status), {"export_id": answers[-1][0], "answers": len(answers)})
    _write_json(Path(result), {"answers": answers, "errors": errors, "statements_per_answer": len(QUERIES)})


if __name__ == "__main__":
    main(*sys.argv[1:5])
