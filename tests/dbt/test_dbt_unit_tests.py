"""The dbt unit tests (YAML `unit_tests`, hand-worked cases for every clinical rule) pass."""

from __future__ import annotations

from pathlib import Path

from orchestration.settings import ClinicalSettings
from orchestration.transform import run_dbt


def test_dbt_unit_tests_pass(handmade_warehouse: Path) -> None:
    # unit tests need the upstream relations to exist (column types), hence the built warehouse.
    result = run_dbt(["test", "--select", "test_type:unit"], handmade_warehouse, ClinicalSettings())
    assert result.success
    assert len(result.result.results) >= 14
