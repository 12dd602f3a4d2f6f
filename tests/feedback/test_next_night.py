"""The demo's next night (`rlt demo --nights 2`): a valid export that loads, with the edits it promises."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from orchestration.contract.tables import TABLES
from orchestration.feedback.demo import quarantined_lines
from orchestration.ingest import load_export
from orchestration.synthetic import generate_export
from orchestration.synthetic.next_night import next_night


def _load(export: Path, database: Path) -> None:
    with duckdb.connect(str(database)) as con:
        load_export(export, con)


def _rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return list(csv.reader(text.splitlines(), delimiter=delimiter))[1:]


def test_next_night_loads_and_changes_what_it_says(tmp_path) -> None:
    first = generate_export(tmp_path / "n1", patients=40, seed=5, bad_rows_rate=0.02)
    _load(first, tmp_path / "n1.duckdb")
    lines = quarantined_lines(tmp_path / "n1.duckdb")
    assert lines, "the first night should have quarantined rows"
    second = next_night(first, tmp_path / "n2", lines, night=2, seed=5, new_patients=3, deaths=2)
    _load(second, tmp_path / "n2.duckdb")  # checksums and row counts of the manifest agree

    m1, m2 = (json.loads((p / "manifest.json").read_text()) for p in (first, second))
    assert m2["export_id"] == m1["export_id"] + "-night2"
    assert m2["data_cutoff"] == m1["data_cutoff"]
    assert m2["exported_at"] > m1["exported_at"]

    with duckdb.connect(str(tmp_path / "n2.duckdb"), read_only=True) as con:
        new_ids = con.execute("select patient_id from raw.patients where patient_id like '%-N2'").fetchall()
        assert len(new_ids) == 3
        q = {t: con.execute(f"select * from quarantine.{t}").fetchall() for t in TABLES}
    assert any("7.4 GBq?" in row for row in q["rlt_cycles"])
    assert any("mg/dl/h" in row for row in q["lab_results"])
    assert any("UNKNOWN-2" in row for row in q["performance_status"])

    # every other quarantined row outside patients/vital_status (in sorted order) was deleted; besides,
    # each file gained the new patients' copies and the new problems (one cycle, one lab row, one ECOG)
    deleted = [
        (f, n)
        for i, (f, n) in enumerate(sorted(set(lines)))
        if i % 2 == 0 and f not in ("patients.csv", "vital_status.csv")
    ]
    added = {"rlt_cycles.csv": 1, "lab_results.csv": 1, "performance_status.csv": 1}
    for name in m1["files"]:
        before, after = _rows(first / name), _rows(second / name)
        copies = sum(1 for r in after if r[0].endswith("-N2"))
        removed = sum(1 for f, _ in deleted if f == name)
        assert len(after) == len(before) - removed + copies + added.get(name, 0), name

    # two deaths recorded: the death date equals the last-known-alive date
    v1, v2 = _rows(first / "vital_status.csv"), _rows(second / "vital_status.csv")
    dead1 = {r[0] for r in v1 if r[2].strip()}
    newly_dead = [r for r in v2 if r[2].strip() and r[0] not in dead1 and not r[0].endswith("-N2")]
    assert len(newly_dead) == 2 and all(r[1] == r[2] for r in newly_dead)

    # the lab file was re-sorted: the kept rows are all there, in another order
    l1, l2 = _rows(first / "lab_results.csv"), _rows(second / "lab_results.csv")
    gone = {tuple(l1[n - 2]) for f, n in deleted if f == "lab_results.csv"}
    kept = [r for r in l1 if tuple(r) not in gone]
    assert {tuple(r) for r in kept} <= {tuple(r) for r in l2}
    assert [r for r in l2 if tuple(r) in {tuple(k) for k in kept}] != kept
