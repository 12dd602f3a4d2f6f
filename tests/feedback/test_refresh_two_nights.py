"""Two nights through the real refresh (ingest, dbt, feedback asset, publish) on the hand-worked export.

Night 1 is tests/fixtures/handmade_export: 2 quarantined rows, P07's cycle (rlt_cycles line 14) and PSA
(lab_results line 30) dated 2024-09-20, after exported_at 2024-09-16 (implausible_date), and 8 warnings
(worked out from its files):
P02, P09, P10 lack a baseline PSA; P09 and P10 have no PSA after the first cycle; P07 has no ECOG in the
90 days before t0 and a PSA '<0.1' (line 29); P09 (alive) was last seen 2024-01-15, more than 180 days
before the cut-off 2024-09-15. Sites: S1 = P01-P05, P10; S2 = P06-P09.

Night 2: a new bad row at the top of lab_results (P01, 2024-02-30: every line number moves by one), P07's
'<0.1' row moved to the end of the file, P09's death on 2024-01-20 recorded, P10 withdrew consent.
The two rows dated 2024-09-20 are still after exported_at (2024-09-17).
-> new 1 (P01's row); open 7 (P07 x4, P02, P09 x2); resolved 3 (P09 follow-up, P10 x2 unnamed).
-> changes: P10 removed (unnamed); P09 OS and PFS (no PSA, so death ends PFS): event false -> true, time
   228 -> 233 days (t0 2023-06-01 to 2024-01-20).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orchestration.feedback import feedback_index_html, render_site_pages
from orchestration.refresh import run_refresh
from orchestration.settings import ClinicalSettings
from tests.fixtures.handmade import write_handmade_export
from tests.fixtures.shared import once_per_run

pytestmark = pytest.mark.slow  # a full refresh (ingest, dbt build, publish) over the first night's


def _night2(root: Path) -> Path:
    export = write_handmade_export(root)
    labs = (export / "lab_results.csv").read_text().splitlines(keepends=True)
    moved = [line for line in labs if line.startswith("P07,2024-07-01,psa,<0.1")]
    rest = [line for line in labs[1:] if line not in moved]
    (export / "lab_results.csv").write_text(
        labs[0] + "P01,2024-02-30,psa,5,ng/mL,,\n" + "".join(rest + moved)
    )
    vital = (
        (export / "vital_status.csv").read_text().replace("P09,2024-01-15,\n", "P09,2024-01-15,2024-01-20\n")
    )
    (export / "vital_status.csv").write_text(vital)
    patients = (export / "patients.csv").read_text()
    (export / "patients.csv").write_text(re.sub(r"^(P10,.*),yes$", r"\1,no", patients, flags=re.M))
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["export_id"] = "handmade-2024-09-17"
    manifest["exported_at"] = "2024-09-17T02:00:00Z"
    for name in manifest["files"]:
        data = (export / name).read_bytes()
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": data.count(b"\n") - 1}
    (export / "manifest.json").write_text(json.dumps(manifest))
    return export


@pytest.fixture(scope="session")
def two_nights(handmade_refreshed, tmp_path_factory) -> tuple[Path, Path]:
    """Built once per run, also under pytest-xdist (tests/fixtures/shared.py). The warehouse is read-only
    by convention; the (empty) reports folder is written by one test only."""
    return once_per_run(tmp_path_factory, "two_nights", lambda root: _two_nights(handmade_refreshed, root))


def _two_nights(handmade_refreshed, root: Path) -> tuple[Path, Path]:
    warehouse = root / "registry.duckdb"
    settings = ClinicalSettings()
    # night 1: the session's refresh of tests/fixtures/handmade_export (default settings), copied
    shutil.copy(handmade_refreshed.published, warehouse)
    warehouse.chmod(0o600)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select export_id from audit.runs").fetchall() == [("handmade-2024-09-16",)]
        first = con.execute("select status, count(*) from audit.dq_findings group by 1").fetchall()
    assert first == [("new", 10)]
    run_refresh(_night2(root / "night2"), warehouse, settings, render_reports=False, force=True)
    return warehouse, root / "reports"


def _q(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_statuses_after_the_second_night(two_nights) -> None:
    warehouse, _ = two_nights
    found = _q(
        warehouse,
        "select site_id, patient_id, rule_id, status, line_number, first_seen_export_id "
        "from audit.dq_findings",
    )
    assert Counter(r[3] for r in found) == {"new": 1, "open": 7, "resolved": 3}
    assert sorted((r[0], str(r[1]), r[2], r[3]) for r in found) == sorted(
        [
            ("S1", "P01", "quarantined", "new"),
            ("S2", "P07", "quarantined", "open"),
            ("S2", "P07", "quarantined", "open"),
            ("S1", "P02", "missing_baseline_psa", "open"),
            ("S2", "P07", "missing_baseline_ecog", "open"),
            ("S2", "P07", "lab_outside_assay_range", "open"),
            ("S2", "P09", "missing_baseline_psa", "open"),
            ("S2", "P09", "no_psa_after_first_cycle", "open"),
            ("S2", "P09", "follow_up_overdue", "resolved"),
            ("S1", "None", "missing_baseline_psa", "resolved"),
            ("S1", "None", "no_psa_after_first_cycle", "resolved"),
        ]
    )
    # the moved '<0.1' row: line 29 last night, the file's last line (43 + 1 new row) now; P07's
    # 2024-09-20 row stays on line 30 (one row added above it, one moved away from above it)
    assert [r[4] for r in found if r[2] == "lab_outside_assay_range"] == [44]
    assert {r[5] for r in found if r[3] == "open"} == {"handmade-2024-09-16"}
    assert sorted(r[4] for r in found if r[2] == "quarantined") == [2, 14, 30]


def test_changes_after_the_second_night(two_nights) -> None:
    warehouse, _ = two_nights
    changes = _q(
        warehouse,
        "select previous_export_id, patient_id, site_id, item, old_value, new_value "
        "from audit.changes order by item",
    )
    assert changes == [
        ("handmade-2024-09-16", "P09", "S2", "os_event", "false", "true"),
        ("handmade-2024-09-16", "P09", "S2", "os_time_days", "228", "233"),
        ("handmade-2024-09-16", None, "S1", "patient_removed", None, None),
        ("handmade-2024-09-16", "P09", "S2", "pfs_event", "false", "true"),
        ("handmade-2024-09-16", "P09", "S2", "pfs_time_days", "228", "233"),
    ]
    section = feedback_index_html(warehouse)
    assert (
        "Since export handmade-2024-09-16: 0 new patients, 1 patient removed, 0 responses changed, "
        "1 death recorded, 3 other PFS/OS changes"
    ) in section


def test_withdrawn_patient_is_nowhere_and_site_files_are_private(two_nights) -> None:
    warehouse, reports = two_nights
    for table in ("audit.dq_findings", "audit.changes"):
        assert not any("P10" in str(v) for row in _q(warehouse, f"select * from {table}") for v in row)
    written = render_site_pages(warehouse, reports)
    assert sorted(p.name for p in written) == ["S1.csv", "S1.html", "S2.csv", "S2.html"]
    s1 = (reports / "handmade-2024-09-17" / "sites" / "S1.html").read_text()
    s2 = (reports / "handmade-2024-09-17" / "sites" / "S2.csv").read_text()
    assert "P10" not in s1 and "P01" in s1 and "P02" in s1
    assert not re.search(r"\bP0[6-9]\b", s1)
    assert not re.search(r"\bP0[1-5]\b", s2) and "P07" in s2
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in written)
