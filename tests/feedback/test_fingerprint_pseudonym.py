"""Fingerprints of a real load (no dbt): the formula of warehouse-contract.md, over the ids as loaded,
i.e. over pseudonyms when RLT_PSEUDONYM_KEY is set."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.feedback.findings import create_current_findings
from orchestration.ingest import load_export
from orchestration.ingest.pseudonym import pseudonym
from tests.fixtures.handmade import write_handmade_export

BAD_LINE = "P01,2024-02-30,psa,5,ng/mL,,\n"  # February 30th: quarantined, column sample_date


def _export(root: Path) -> Path:
    export = write_handmade_export(root / "export")
    labs = export / "lab_results.csv"
    labs.write_text(labs.read_text() + BAD_LINE)
    manifest = json.loads((export / "manifest.json").read_text())
    data = labs.read_bytes()
    manifest["files"]["lab_results.csv"] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": data.count(b"\n") - 1,
    }
    (export / "manifest.json").write_text(json.dumps(manifest))
    return export


def _findings(root: Path) -> list[tuple]:
    con = duckdb.connect(str(root / "w.duckdb"))
    try:
        load_export(_export(root), con)
        create_current_findings(con, "f")
        return con.execute(
            "select patient_id, site_id, rule_id, column_name, value, fingerprint from f"
        ).fetchall()
    finally:
        con.close()


def expected_fingerprint(patient_id: str) -> str:
    values = json.dumps([patient_id, "2024-02-30", "psa", "5", "ng/mL", None, None], separators=(",", ":"))
    text = "\x1f".join(["quarantined", "lab_results", values, "1"])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@pytest.mark.parametrize("key", [None, "a-registry-secret-of-at-least-32-bytes"])
def test_fingerprint_formula_over_the_loaded_ids(tmp_path, monkeypatch, key) -> None:
    if key is None:
        monkeypatch.delenv("RLT_PSEUDONYM_KEY", raising=False)
        loaded_id = "P01"
    else:
        monkeypatch.setenv("RLT_PSEUDONYM_KEY", key)
        loaded_id = pseudonym("P01", key.encode())
    # P07's two rows dated after exported_at (fixture) are findings too; this test is about P01's
    found = [f for f in _findings(tmp_path) if f[0] == loaded_id]
    assert found == [
        (loaded_id, "S1", "quarantined", "sample_date", "2024-02-30", expected_fingerprint(loaded_id))
    ]
