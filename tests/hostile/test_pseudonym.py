"""RLT_PSEUDONYM_KEY at ingestion (fast, no dbt): raw and quarantine hold the keyed HMAC pseudonym of
every patient_id, computed here independently with hmac/hashlib."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import load_export

from .exports import VALID, write_export

KEY = "k3y-for-tests"


def expected(patient_id: str, key: str = KEY) -> str:
    return "PS-" + hmac.new(key.encode(), patient_id.encode(), hashlib.sha256).hexdigest()[:20]


def ids(con: duckdb.DuckDBPyConnection, table: str) -> list[str | None]:
    return [r[0] for r in con.execute(f"SELECT patient_id FROM {table} ORDER BY line_number").fetchall()]


def load(tmp_path: Path, changes=None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_export(write_export(tmp_path / "e", changes), con)
    return con


def test_ids_replaced_in_raw_and_quarantine(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)  # set after import: read at call time
    labs = VALID["lab_results.csv"] + " P2 ,2020-01-06,psa,abc,ng/mL,,\n"  # padded id, bad value
    con = load(tmp_path, {"lab_results.csv": labs})
    assert ids(con, "raw.patients") == [expected("P1"), expected("P2"), expected("P3")]
    assert ids(con, "raw.lab_results") == [expected("P1"), expected("P1"), expected("P2"), expected("P3")]
    assert ids(con, "quarantine.lab_results") == [expected("P2")]  # stripped before hashing
    assert ids(con, "raw.rlt_cycles") == [expected("P1"), expected("P2"), expected("P3")]


def test_orphans_and_consent_still_work_on_pseudonyms(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    patients = VALID["patients.csv"].replace("P3,S2,1955-11-30,M,,7,yes", "P3,S2,1955-11-30,M,,7,no")
    cycles = VALID["rlt_cycles.csv"] + "P9,2020-05-01,177Lu-PSMA-617,7.4,GBq,1\n"
    con = duckdb.connect()
    summary = load_export(
        write_export(tmp_path / "e", {"patients.csv": patients, "rlt_cycles.csv": cycles}), con
    )
    assert summary.files["rlt_cycles.csv"].rows_excluded_consent == 1
    assert ids(con, "quarantine.rlt_cycles") == [expected("P9")]
    assert expected("P3") not in ids(con, "raw.patients")


def test_no_key_no_change_and_blank_key_ignored(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RLT_PSEUDONYM_KEY", raising=False)
    assert ids(load(tmp_path / "a"), "raw.patients") == ["P1", "P2", "P3"]
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", "   ")
    assert ids(load(tmp_path / "b"), "raw.patients") == ["P1", "P2", "P3"]


def test_another_key_gives_other_pseudonyms(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", "other")
    got = ids(load(tmp_path), "raw.patients")
    assert got == [expected(p, "other") for p in ("P1", "P2", "P3")]
    assert got != [expected(p) for p in ("P1", "P2", "P3")]


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_ids_stay_missing(tmp_path: Path, monkeypatch, blank: str) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    con = load(
        tmp_path, {"lab_results.csv": VALID["lab_results.csv"] + f"{blank},2020-01-06,psa,1,ng/mL,,\n"}
    )
    row = con.execute("SELECT patient_id, column_name, reason FROM quarantine.lab_results").fetchall()
    assert row == [(None, "patient_id", "missing_required")]
