"""RLT_PSEUDONYM_KEY at ingestion (fast, no dbt): raw and quarantine hold the keyed HMAC pseudonym of
every patient_id, computed here independently with hmac/hashlib. A blank or short key is refused, and the
key id recorded in audit.runs is a salted scrypt hash (checked with hashlib.scrypt here)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import load_export
from orchestration.ingest.pseudonym import PseudonymKeyError, key_id, same_key

from .exports import VALID, write_export

KEY = "k3y-for-tests-k3y-for-tests-k3y-for-tests"  # 41 bytes


OTHER = "another-key-another-key-another-key"


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


def test_no_key_no_change(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RLT_PSEUDONYM_KEY", raising=False)
    assert ids(load(tmp_path / "a"), "raw.patients") == ["P1", "P2", "P3"]


def test_another_key_gives_other_pseudonyms(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", OTHER)
    got = ids(load(tmp_path), "raw.patients")
    assert got == [expected(p, OTHER) for p in ("P1", "P2", "P3")]
    assert got != [expected(p) for p in ("P1", "P2", "P3")]


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_ids_stay_missing(tmp_path: Path, monkeypatch, blank: str) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    con = load(
        tmp_path, {"lab_results.csv": VALID["lab_results.csv"] + f"{blank},2020-01-06,psa,1,ng/mL,,\n"}
    )
    row = con.execute("SELECT patient_id, column_name, reason FROM quarantine.lab_results").fetchall()
    assert row == [(None, "patient_id", "missing_required")]


# ------------------------------------------------------------------------- issue 16.6: keys that are refused


@pytest.mark.parametrize(
    ("key", "why"),
    [("", "empty"), ("   ", "empty"), ("x", "1 bytes"), ("a" * 31, "31 bytes"), ("ü" * 15, "30 bytes")],
)
def test_blank_or_short_key_is_refused_with_how_to_make_one(tmp_path: Path, monkeypatch, key, why) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", key)
    with pytest.raises(PseudonymKeyError) as refused:
        load(tmp_path)
    message = str(refused.value)
    assert why in message
    assert "secrets.token_urlsafe(32)" in message


def test_one_char_key_refused_by_rlt_refresh_before_anything_is_built(tmp_path: Path, monkeypatch) -> None:
    """The CLI path: exit 2, one message, no warehouse and no build file."""
    from orchestration.cli import main

    monkeypatch.setenv("RLT_PSEUDONYM_KEY", "k")
    export = write_export(tmp_path / "e")
    warehouse = tmp_path / "w" / "registry.duckdb"
    assert main(["refresh", str(export), "--warehouse", str(warehouse), "--no-reports"]) == 2
    assert not warehouse.parent.exists()


def test_a_32_byte_key_is_accepted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", "a" * 32)
    assert ids(load(tmp_path), "raw.patients") == [expected(p, "a" * 32) for p in ("P1", "P2", "P3")]


def test_key_id_is_salted_scrypt_checked_independently(monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    recorded = key_id()
    assert recorded is not None
    scheme, n, r, p, salt_hex, digest = recorded.split(":")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 1)
    salt = bytes.fromhex(salt_hex)
    assert len(salt) == 16
    independent = hashlib.scrypt(KEY.encode(), salt=salt, n=2**15, r=8, p=1, maxmem=2**26, dklen=32)
    assert digest == independent.hex()
    # no cheap label of the key is stored: neither the old HMAC of a fixed text nor a plain hash
    cheap = hmac.new(KEY.encode(), b"rlt-registry pseudonym key id", hashlib.sha256).hexdigest()
    assert cheap[:20] not in recorded and hashlib.sha256(KEY.encode()).hexdigest() not in recorded
    # a fresh salt each time a warehouse is first published: two warehouses do not share a label
    assert key_id() != recorded
    # the same salt, the same label (the warehouse keeps its salt)
    assert key_id(salt) == recorded


def test_same_key_skips_other_key_or_none_rebuilds(monkeypatch) -> None:
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    recorded = key_id()
    assert same_key(recorded)
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", OTHER)
    assert not same_key(recorded)
    monkeypatch.delenv("RLT_PSEUDONYM_KEY")
    assert not same_key(recorded)
    assert same_key(None)
    # a label from before this change (an HMAC without salt) is never taken for the current key
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    assert not same_key(expected("rlt-registry pseudonym key id"))


def test_guessing_the_key_from_its_id_is_slow(monkeypatch) -> None:
    """The point of scrypt: one guess costs what one label costs to compute, about 0.1 s and 32 MiB,
    not the microseconds of an HMAC (checked as a lower bound on work: memory-hard parameters)."""
    monkeypatch.setenv("RLT_PSEUDONYM_KEY", KEY)
    _, n, r, _, _, _ = key_id().split(":")
    assert 128 * int(n) * int(r) >= 32 * 2**20  # bytes of memory per guess
