"""The dbt unit tests (YAML `unit_tests`, hand-worked cases for every clinical rule) pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration import dbt_runner
from orchestration.settings import ClinicalSettings


@pytest.fixture
def writable_handmade(handmade_warehouse: Path, tmp_path: Path) -> Path:
    # dbt opens the file read-write; the shared one may be open read-only in another test process (xdist).
    # Same file name: the staging views name the catalog, which DuckDB derives from it.
    copy = tmp_path / handmade_warehouse.name
    shutil.copy(handmade_warehouse, copy)
    return copy


def test_dbt_unit_tests_pass(writable_handmade: Path) -> None:
    # unit tests need the upstream relations to exist (column types), hence the built warehouse.
    result = dbt_runner.invoke(["test", "--select", "test_type:unit"], writable_handmade, ClinicalSettings())
    assert result.success
    assert len(result.result.results) >= 14


def test_dbt_unit_tests_pin_their_settings(writable_handmade: Path) -> None:
    # each unit test states the settings its hand-worked values assume, so running dbt with other settings
    # (as an analyst might, `--vars`) does not turn a correct model into a failing test.
    other = ClinicalSettings().with_overrides(
        [
            "psa_progression_rule=rise25",
            "psa_response_basis=week12",
            "post_grade_basis=last",
            "baseline_window_days=30",
            "post_window_days=60",
        ]
    )
    result = dbt_runner.invoke(["test", "--select", "test_type:unit"], writable_handmade, other)
    assert result.success
