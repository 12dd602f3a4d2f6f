"""Refreshing the same export twice (`--force`) gives the same warehouse content: every table and view of
raw, quarantine, staging, intermediate, marts, seeds, analysis and audit, compared row by row through a
content checksum; only run timestamps (audit.runs, loaded_at) may differ."""

from __future__ import annotations

import duckdb
import pytest

from .support import content_checksums, write_figures

EXPECTED_SCHEMAS = {"raw", "quarantine", "staging", "intermediate", "marts", "analysis", "audit"}


def test_checksum_sees_one_changed_value_but_not_row_order_or_load_time(tmp_path):
    """The comparison tool itself: it must be able to fail."""
    rows = [(1, "a", 1.5), (2, "b", None), (3, "c", -0.25)]

    def make(name, data, loaded_at):
        path = tmp_path / name
        with duckdb.connect(str(path)) as con:
            con.execute("create schema marts")
            con.execute("create table marts.t (id integer, label varchar, x double, loaded_at timestamp)")
            con.executemany("insert into marts.t values (?, ?, ?, ?)", [(*r, loaded_at) for r in data])
        return content_checksums(path)

    original = make("a.duckdb", rows, "2024-01-01 00:00:00")
    reordered = make("b.duckdb", rows[::-1], "2025-06-30 12:00:00")
    changed = make("c.duckdb", [rows[0], (2, "b", 0.0), rows[2]], "2024-01-01 00:00:00")
    assert original == reordered
    assert original["marts.t"][0] == 3
    assert original["marts.t"] != changed["marts.t"]


@pytest.mark.slow
def test_second_refresh_of_the_same_export_changes_nothing_but_run_timestamps(
    baseline_refreshed_again, tmp_path_factory
):
    """The second run is `rlt refresh --force` of the baseline export over a copy of the baseline
    warehouse (its reports folder is a file, so it fails after publishing: that is
    test_round2_failures.test_reports_dir_that_is_a_file_says_published; the data are published first)."""
    published = baseline_refreshed_again["published"]
    first = baseline_refreshed_again["checksums_before"]
    assert "nothing to do" not in baseline_refreshed_again["err"], "the second run was skipped"
    second = content_checksums(published)

    assert {name.split(".")[0] for name in first} >= EXPECTED_SCHEMAS
    assert sorted(first) == sorted(second), "the two refreshes built different tables"
    assert first["marts.dim_patient"][0] > 0 and first["analysis.km_summary"][0] > 0
    # every layer, statistics included, is identical to the bit (the statistics read the marts in a fixed
    # order, so not even a sum's last binary digit may change)
    differing = sorted(n for n in first if first[n] != second[n])
    assert differing == [], f"content differs in {differing}"

    with duckdb.connect(str(published), read_only=True) as con:
        runs = con.execute("select export_id, settings from audit.runs order by finished_at").fetchall()
    assert len(runs) == 2 and runs[0] == runs[1], "the run history should hold both identical runs"

    write_figures(
        tmp_path_factory.getbasetemp(),
        "idempotency",
        {
            "tables_compared": len(first),
            "rows_compared": sum(n for n, _ in first.values()),
            "differing": 0,
        },
    )
