"""The project's `not_null_columns` generic test (one scan per model instead of one dbt test per column):
it passes on the hand-made warehouse and fails, naming each column and its count of nulls, once cells are
emptied by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from orchestration import dbt_runner
from orchestration.settings import ClinicalSettings

SELECT = ["--select", "fct_survival,test_name:not_null_columns"]


def test_not_null_columns_fails_naming_the_emptied_columns(handmade_warehouse: Path, tmp_path: Path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(handmade_warehouse, database)
    passed = dbt_runner.invoke(["test", *SELECT], database, ClinicalSettings(), check=False)
    assert passed.success and len(passed.result.results) == 1

    with duckdb.connect(str(database)) as con:
        # two survival rows lose their time, one its event type; the other columns stay filled
        con.execute("""
            update marts.fct_survival set time_days = null
            where (patient_id, endpoint) in (select patient_id, endpoint from marts.fct_survival
                                             order by patient_id, endpoint limit 2)
        """)
        con.execute("""
            update marts.fct_survival set event_type = null
            where (patient_id, endpoint) in (select patient_id, endpoint from marts.fct_survival
                                             order by patient_id desc, endpoint limit 1)
        """)
    failed = dbt_runner.invoke(
        ["test", *SELECT, "--store-failures"], database, ClinicalSettings(), check=False
    )
    assert not failed.success
    [result] = failed.result.results
    assert result.failures == 2  # two columns with nulls, one row each
    relation = result.node.relation_name
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select column_name, n_null from {relation} order by column_name").fetchall()
    assert rows == [("event_type", 1), ("time_days", 2)]
