"""Every mart and analysis table equals the reference recorded before the speed work (issue 10): the hand-made
export with default and alternate settings, and the session's generated export (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dbt.reference_checksums import REFERENCE
from tests.dbt.table_checksums import (
    ALTERNATE_SETTINGS,
    build_marts_and_analysis,
    table_checksums,
)
from tests.fixtures.handmade import write_handmade_export


def _differences(database: Path, case: str) -> dict[str, tuple[str | None, str | None]]:
    with duckdb.connect(str(database), read_only=True) as con:
        got = table_checksums(con)
    expected = REFERENCE[case]
    return {
        t: (expected.get(t), got.get(t))
        for t in sorted(expected.keys() | got.keys())
        if expected.get(t) != got.get(t)
    }


def test_handmade_default_unchanged(handmade_warehouse: Path, tmp_path: Path) -> None:
    from orchestration.analysis import build_analysis_tables

    # another file name than the build's: the views of the marts (fct_lab_result) must still read
    copy = tmp_path / "handmade.duckdb"
    shutil.copy(handmade_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        build_analysis_tables(con)
    assert _differences(copy, "handmade_default") == {}


@pytest.mark.slow
def test_handmade_alternate_settings_unchanged(tmp_path: Path) -> None:
    export = write_handmade_export(tmp_path / "export")
    database = build_marts_and_analysis(export, tmp_path / "alternate.duckdb", ALTERNATE_SETTINGS)
    assert _differences(database, "handmade_alternate") == {}


def test_generated_export_unchanged(refreshed) -> None:
    # the session's shared refresh (through Dagster) of `GENERATED`, the reference's generated export
    assert _differences(refreshed.published, "generated_default") == {}
