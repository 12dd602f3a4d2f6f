"""`rlt` as a user runs it: a subprocess, its exit code and what it prints."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb


def _rlt(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args], capture_output=True, text=True, timeout=timeout
    )


def test_sql_opens_the_published_warehouse_read_only(refreshed):
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        expected = con.execute("select count(*) from marts.dim_patient").fetchone()[0]
    done = _rlt(
        "sql", "--warehouse", str(refreshed.published), "-c", "select count(*) from marts.dim_patient"
    )
    assert done.returncode == 0, done.stderr
    assert str(expected) in done.stdout
    write = _rlt("sql", "--warehouse", str(refreshed.published), "-c", "create table marts.x as select 1")
    assert "read-only" in (write.stdout + write.stderr).lower()


def test_generate_writes_an_export_with_a_manifest(tmp_path):
    done = _rlt("generate", str(tmp_path / "x"), "--patients", "20", "--seed", "3")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["schema_version"] == "1.0"
    assert manifest["files"]["patients.csv"]["rows"] == 20


def test_refresh_of_a_folder_without_manifest_fails_clearly(tmp_path):
    (tmp_path / "empty").mkdir()
    done = _rlt("refresh", str(tmp_path / "empty"), "--warehouse", str(tmp_path / "w.duckdb"), "--no-reports")
    assert done.returncode == 2
    assert "manifest.json" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_sql_without_a_warehouse_says_what_to_do(tmp_path):
    done = _rlt("sql", "--warehouse", str(tmp_path / "none.duckdb"))
    assert done.returncode == 2
    assert "rlt demo" in done.stderr


def test_report_on_demand_lands_beside_the_nightly_ones(refreshed, tmp_path):
    import shutil

    reports = tmp_path / "reports"
    shutil.copytree(refreshed.reports_dir, reports)
    index_before = (reports / "index.html").read_bytes()
    done = _rlt(
        "report", "--cohort", "ecog_3", "--warehouse", str(refreshed.published), "--reports-dir", str(reports)
    )
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(refreshed.published), read_only=True) as con:
        export_id = con.execute("select export_id from raw.export_manifest").fetchone()[0]
        sql = "select description from marts.cohorts where cohort = 'ecog_3'"
        description = con.execute(sql).fetchone()[0]
    page = reports / export_id / "ecog_3.html"
    assert str(page) in done.stderr
    # the page is titled with the cohort's name and its description from the cohorts seed
    assert f"<title>ecog_3: {description}</title>" in page.read_text(encoding="utf-8")
    # the latest-reports index still lists every cohort, not just the one rendered on demand
    assert (reports / "index.html").read_bytes() == index_before


def test_sql_piped_prints_no_ansi_codes(refreshed):
    done = _rlt("sql", "--warehouse", str(refreshed.published), "-c", "describe marts.dim_patient")
    assert done.returncode == 0, done.stderr
    assert "patient_id" in done.stdout
    assert "\x1b[" not in done.stdout + done.stderr


# `rlt refresh` to the end, not on a terminal (short, plain, one line per stage, everything in the log
# file): asserted on a real subprocess that has to run anyway, the third run of
# tests/reliability/test_round2_failures.py::test_two_refreshes_at_once (helper
# `assert_short_plain_and_logged` there), instead of one more whole refresh here.


def test_refresh_failure_is_one_message_and_exit_2(small_export, tmp_path):
    import shutil

    bad = tmp_path / "tampered"
    shutil.copytree(small_export, bad)
    with open(bad / "vital_status.csv", "a", encoding="utf-8") as f:
        f.write("P999999,2024-01-01,\n")
    done = _rlt("refresh", str(bad), "--warehouse", str(tmp_path / "w.duckdb"), "--no-reports")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "\x1b[" not in done.stderr
    message = [line for line in done.stderr.splitlines() if line.startswith("rlt refresh:")]
    assert len(message) == 1 and "vital_status" in message[0]
    assert "full log:" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_dagster_commands_get_a_persistent_home_beside_the_warehouse(tmp_path):
    warehouse = tmp_path / "w" / "registry.duckdb"
    done = _rlt("dagster", "--warehouse", str(warehouse), "sensor", "list", timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "new_export_sensor" in done.stdout
    assert (warehouse.parent / "dagster_home" / "dagster.yaml").is_file()
