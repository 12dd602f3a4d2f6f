"""Build the dbt project once per session on the hand-made export (tests/fixtures/handmade_export)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import dbt_runner
from orchestration.ingest import load_export
from orchestration.settings import ClinicalSettings
from tests.fixtures.handmade import write_handmade_export
from tests.fixtures.shared import once_per_run


@pytest.fixture(scope="session")
def handmade_warehouse(tmp_path_factory) -> Path:
    def make(root: Path) -> Path:
        export_dir = write_handmade_export(root / "export")
        database = root / "warehouse.duckdb"
        con = duckdb.connect(str(database))
        try:
            load_export(export_dir, con)
        finally:
            con.close()
        # as a refresh builds; the dbt unit tests run in test_dbt_unit_tests.py
        dbt_runner.build(database, ClinicalSettings())
        return database

    return once_per_run(tmp_path_factory, "handmade_warehouse", make)


@pytest.fixture(scope="session")
def marts(handmade_warehouse: Path):
    con = duckdb.connect(str(handmade_warehouse), read_only=True)
    yield con
    con.close()
