"""The project's `table_rules` generic test (every rule of a table in one dbt test: one node per table
instead of one per rule and column). It passes on the hand-made warehouse; once cells are broken by hand,
it fails with one row per broken rule, naming the rule, its column (key, relationship or expression) and
the count of rows that break it, each count worked out from what was broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import dbt_runner
from orchestration.settings import ClinicalSettings


def _rules(database: Path, model: str) -> list[tuple[str, str, int]] | None:
    """None when the model's table_rules test passes, else its failing rows (rule, subject, n_failing)."""
    select = ["--select", f"table_rules_{model}"]
    result = dbt_runner.invoke(
        ["test", *select, "--store-failures"], database, ClinicalSettings(), check=False
    )
    [outcome] = result.result.results
    if result.success:
        assert outcome.failures == 0
        return None
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select rule, subject, n_failing from {outcome.node.relation_name}").fetchall()
    assert outcome.failures == len(rows)  # dbt counts the broken rules
    return sorted(rows)


@pytest.fixture
def database(handmade_warehouse: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(handmade_warehouse, copy)
    return copy


def test_survival_rules_fail_naming_each_broken_rule(database: Path):
    assert _rules(database, "fct_survival") is None

    with duckdb.connect(str(database)) as con:
        rows = con.execute(
            "select patient_id, endpoint, event_type from marts.fct_survival order by patient_id, endpoint"
        ).fetchall()
        death = next(r for r in rows[2:] if r[1] == "os" and r[2] == "death")
        censored = [r for r in rows[2:] if r[2] == "censored" and r != death][:2]
        used = {rows[0], rows[1], death, *censored}
        spare = [r for r in rows if r not in used]
        assert len(censored) == 2 and len(spare) >= 2, "the hand-made export has too few survival rows"

        def update(row: tuple, assignment: str) -> None:
            con.execute(
                f"update marts.fct_survival set {assignment} where patient_id = ? and endpoint = ?",
                [row[0], row[1]],
            )

        update(rows[0], "time_days = null")  # not null: 1
        update(rows[1], "time_months = -0.5")  # range [0, ]: 1
        update(death, "event_type = 'unknown'")  # accepted values: 1 (still an event: no expression breaks)
        update(censored[0], "event = true")  # expression event = (event_type <> 'censored'): 1
        update(censored[1], "event = null")  # the same expression, null counts as false: 2; not null event: 1
        update(spare[0], "patient_id = 'NOT-A-PATIENT'")  # relationship to dim_patient: 1
        # a second copy of one row: one duplicated key (patient_id, endpoint); every other rule holds for it
        con.execute(
            "insert into marts.fct_survival select * from marts.fct_survival "
            "where patient_id = ? and endpoint = ?",
            [spare[1][0], spare[1][1]],
        )

    assert _rules(database, "fct_survival") == sorted(
        [
            ("not null", "time_days", 1),
            ("not null", "event", 1),
            ("range [0, ]", "time_months", 1),
            ("accepted values", "event_type", 1),
            ("expression", "event = (event_type <> 'censored')", 2),
            ("relationship", "patient_id -> dim_patient.patient_id", 1),
            ("unique", "patient_id, endpoint", 1),
        ]
    )


def test_single_column_key_ignores_nulls_and_ranges_have_both_bounds(database: Path):
    """A key given as one column is dbt's `unique` (rows without a value are not duplicates of each other);
    a range refuses values beyond either bound, not the bounds themselves; accepted values let nulls by."""
    assert _rules(database, "dim_patient") is None

    with duckdb.connect(str(database)) as con:
        ids = [r[0] for r in con.execute("select patient_id from marts.dim_patient order by 1").fetchall()]
        assert len(ids) >= 6

        def update(patient: str, assignment: str) -> None:
            con.execute(f"update marts.dim_patient set {assignment} where patient_id = ?", [patient])

        update(ids[0], "age_at_t0 = 131")
        update(ids[1], "age_at_t0 = -1")
        update(ids[2], "age_at_t0 = 130")  # on the bound: allowed
        update(ids[3], "age_at_t0 = 0")  # on the bound: allowed
        update(ids[4], "sex = 'X'")
        update(ids[5], "sex = null")  # not a listed value, but null: allowed
        # two rows without a patient id (both refused as null, neither a duplicate) and one exact duplicate
        con.execute(
            "insert into marts.dim_patient select * replace (null as patient_id) from marts.dim_patient "
            "where patient_id in (?, ?)",
            [ids[-1], ids[-2]],
        )
        con.execute(
            "insert into marts.dim_patient select * from marts.dim_patient where patient_id = ?", [ids[-1]]
        )

    assert _rules(database, "dim_patient") == sorted(
        [
            ("range [0, 130]", "age_at_t0", 2),
            ("accepted values", "sex", 1),
            ("not null", "patient_id", 2),
            ("unique", "patient_id", 1),
        ]
    )
