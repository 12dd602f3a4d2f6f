"""Statuses and changes over three consecutive hand-built exports, every count worked out by hand.

E1: patients P1, P2 (site S1), P3, P4 (S2). Quarantined: A (P1 lab, unparseable date, line 5), B (P3 lab,
unknown unit, line 9), C (P2 cycle, activity 'abc', line 3), D twice (two identical P2 cycle rows, lines 4
and 7). Warnings: W1 (P4 no baseline PSA), W2 (P1 cycle < 28 days, line 6). -> 7 new.

E2, the next night: rows re-sorted (A now on line 12, D's remaining copy on line 3), B and C corrected,
one copy of D deleted, W2's cycle date corrected, a new problem E (P2 lab value 'x'), a new patient P5 (S2)
without baseline PSA (W3). P2 died (OS and PFS event, both times 210 days), P3's response became SD, P1
joined ecog_3, P1's anemia post grade 1 -> 2.
-> new E, W3 (2); open A, D#1, W1 (3); resolved B, C, D#2, W2 (4). Changes: 1 added, 1 cohort, 1 response,
   4 survival (2 deaths), 1 post grade.

E3: P4 withdrew consent (gone from every table); E corrected.
-> open A, D#1, W3 (3); resolved E, W1 (2; W1 without P4's id); 1 patient removed (not named).
"""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from pathlib import Path

import pytest

from tests.feedback.fake import Export, build, rows

A = (
    "lab_results",
    "sample_date",
    "unparseable date",
    {"patient_id": "P1", "sample_date": "2024-01-32", "analyte": "psa", "value": "4.1", "unit": "ng/mL"},
)
B = (
    "lab_results",
    "unit",
    "unknown unit",
    {"patient_id": "P3", "sample_date": "2024-02-01", "analyte": "hemoglobin", "value": "12", "unit": "mg"},
)
C = (
    "rlt_cycles",
    "activity",
    "unparseable number",
    {
        "patient_id": "P2",
        "administration_date": "2024-03-01",
        "radioligand": "177Lu-PSMA-617",
        "activity": "abc",
        "activity_unit": "GBq",
    },
)
D = (
    "rlt_cycles",
    "activity",
    "unparseable number",
    {
        "patient_id": "P2",
        "administration_date": "2024-04-01",
        "radioligand": "177Lu-PSMA-617",
        "activity": "7,4x",
        "activity_unit": "GBq",
    },
)
E = (
    "lab_results",
    "value",
    "unparseable number",
    {"patient_id": "P2", "sample_date": "2024-05-01", "analyte": "psa", "value": "x", "unit": "ng/mL"},
)
W1 = ("missing_baseline_psa", "lab_results", None, "P4", None, '["P4"]')
W2 = (
    "cycle_interval_short",
    "rlt_cycles",
    6,
    "P1",
    "2024-02-01",
    '["P1","2024-02-01","177Lu-PSMA-617","7.4","GBq","1"]',
)
W3 = ("missing_baseline_psa", "lab_results", None, "P5", None, '["P5"]')


def q(finding: tuple, line: int) -> tuple:
    table, column, reason, values = finding
    return (table, line, column, reason, values)


def e1() -> Export:
    return Export(
        "e1",
        {"P1": "S1", "P2": "S1", "P3": "S2", "P4": "S2"},
        quarantined=[q(A, 5), q(B, 9), q(C, 3), q(D, 4), q(D, 7)],
        warnings=[W1, W2],
        cohorts={"all": {"P1", "P2", "P3", "P4"}, "ecog_3": {"P3"}},
        response={"P1": "PR", "P2": "SD", "P3": "not_evaluable", "P4": "PD"},
        survival={
            ("P1", "os"): (False, 300),
            ("P2", "os"): (False, 200),
            ("P3", "os"): (False, 150),
            ("P4", "os"): (True, 100),
            ("P1", "pfs"): (False, 300),
            ("P2", "pfs"): (False, 180),
            ("P3", "pfs"): (False, 150),
            ("P4", "pfs"): (True, 90),
        },
        post_grade={("P1", "Anemia"): 1, ("P2", "Anemia"): 0, ("P4", "Anemia"): 2},
    )


def e2() -> Export:
    x = deepcopy(e1())
    x.export_id = "e2"
    x.patients["P5"] = "S2"
    x.quarantined = [q(E, 2), q(D, 3), q(A, 12)]
    x.warnings = [W3, W1]
    x.cohorts = {"all": {"P1", "P2", "P3", "P4", "P5"}, "ecog_3": {"P1", "P3"}}
    x.response |= {"P3": "SD", "P5": "not_evaluable"}
    x.survival |= {
        ("P2", "os"): (True, 210),
        ("P2", "pfs"): (True, 210),
        ("P5", "os"): (False, 20),
        ("P5", "pfs"): (False, 20),
    }
    x.post_grade[("P1", "Anemia")] = 2
    return x


def e3() -> Export:
    x = deepcopy(e2())
    x.export_id = "e3"
    del x.patients["P4"]
    x.quarantined = [q(D, 3), q(A, 12)]
    x.warnings = [W3]
    x.cohorts = {"all": {"P1", "P2", "P3", "P5"}, "ecog_3": {"P1", "P3"}}
    del x.response["P4"]
    x.survival = {k: v for k, v in x.survival.items() if k[0] != "P4"}
    x.post_grade = {k: v for k, v in x.post_grade.items() if k[0] != "P4"}
    return x


FINDINGS = (
    "select patient_id, site_id, rule_id, severity, line_number, status, first_seen_export_id, fingerprint "
)


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("three")
    paths = root / "e1.duckdb", root / "e2.duckdb", root / "e3.duckdb"
    build(paths[0], e1(), None)
    build(paths[1], e2(), paths[0])
    build(paths[2], e3(), paths[1])
    return paths


def test_first_export_everything_new(three) -> None:
    found = rows(three[0], FINDINGS + "from audit.dq_findings")
    assert Counter(r[5] for r in found) == {"new": 7}
    assert Counter((r[2], r[3]) for r in found) == {
        ("quarantined", "error"): 5,
        ("missing_baseline_psa", "warning"): 1,
        ("cycle_interval_short", "warning"): 1,
    }
    assert {r[6] for r in found} == {"e1"}
    assert len({r[7] for r in found}) == 7  # the two identical D rows differ by their occurrence
    assert rows(three[0], "select count(*) from audit.changes") == [(0,)]


def test_second_export_statuses(three) -> None:
    found = rows(three[1], FINDINGS + "from audit.dq_findings")
    assert Counter(r[5] for r in found) == {"new": 2, "open": 3, "resolved": 4}
    assert Counter((r[1], r[5]) for r in found) == {
        ("S1", "new"): 1,
        ("S1", "open"): 2,
        ("S1", "resolved"): 3,
        ("S2", "new"): 1,
        ("S2", "open"): 1,
        ("S2", "resolved"): 1,
    }
    by_status = {(r[0], r[2], r[4], r[5]): r[6] for r in found}
    # A moved from line 5 to 12 and is still the same finding, first seen in e1
    assert by_status[("P1", "quarantined", 12, "open")] == "e1"
    # of D's two copies the remaining one (now line 3) is open; the resolved one is e1's second (line 7)
    assert by_status[("P2", "quarantined", 3, "open")] == "e1"
    assert by_status[("P2", "quarantined", 7, "resolved")] == "e1"
    assert by_status[("P2", "quarantined", 2, "new")] == "e2"
    assert by_status[("P5", "missing_baseline_psa", None, "new")] == "e2"
    assert by_status[("P4", "missing_baseline_psa", None, "open")] == "e1"
    assert {(r[0], r[4]) for r in found if r[5] == "resolved"} == {("P3", 9), ("P2", 3), ("P2", 7), ("P1", 6)}
    # a resolved row keeps the fingerprint it had in e1
    e1_prints = {r[7] for r in rows(three[0], FINDINGS + "from audit.dq_findings")}
    assert {r[7] for r in found if r[5] in ("open", "resolved")} <= e1_prints
    assert {r[0] for r in rows(three[1], "select distinct export_id from audit.dq_findings")} == {"e2"}


def test_second_export_changes(three) -> None:
    changes = rows(
        three[1],
        "select export_id, previous_export_id, patient_id, site_id, item, detail, old_value, new_value "
        "from audit.changes",
    )
    assert {c[:2] for c in changes} == {("e2", "e1")}
    assert sorted(c[2:] for c in changes) == sorted(
        [
            ("P5", "S2", "patient_added", None, None, None),
            ("P1", "S1", "cohort", "ecog_3", "no", "yes"),
            ("P3", "S2", "response_category", None, "not_evaluable", "SD"),
            ("P2", "S1", "os_event", None, "false", "true"),
            ("P2", "S1", "os_time_days", None, "200", "210"),
            ("P2", "S1", "pfs_event", None, "false", "true"),
            ("P2", "S1", "pfs_time_days", None, "180", "210"),
            ("P1", "S1", "post_grade", "Anemia", "1", "2"),
        ]
    )


def test_third_export_consent_withdrawn(three) -> None:
    found = rows(three[2], FINDINGS + "from audit.dq_findings")
    assert Counter(r[5] for r in found) == {"open": 3, "resolved": 2}
    resolved = sorted((str(r[0]), r[1], r[2]) for r in found if r[5] == "resolved")
    # P4's finding is resolved (the patient left) but P4 is not named; E (P2, fixed) is
    assert resolved == [("None", "S2", "missing_baseline_psa"), ("P2", "S1", "quarantined")]
    assert {(r[0], r[6]) for r in found if r[5] == "open"} == {("P1", "e1"), ("P2", "e1"), ("P5", "e2")}
    changes = rows(three[2], "select patient_id, site_id, item from audit.changes")
    assert changes == [(None, "S2", "patient_removed")]
    everything = rows(three[2], "select * from audit.dq_findings") + rows(
        three[2], "select * from audit.changes"
    )
    assert not any("P4" in str(value) for row in everything for value in row)


def test_fingerprints_ignore_line_numbers_and_row_order(tmp_path) -> None:
    shuffled = e1()
    shuffled.export_id = "e1b"  # the next night's export, its rows re-sorted
    shuffled.quarantined = [q(D, 40), q(C, 2), q(B, 30), q(D, 11), q(A, 99)]
    shuffled.warnings = [(*W2[:2], 17, *W2[3:]), W1]
    build(tmp_path / "a.duckdb", e1(), None)
    build(tmp_path / "b.duckdb", shuffled, tmp_path / "a.duckdb")
    prints = "select fingerprint from audit.dq_findings order by 1"
    assert rows(tmp_path / "a.duckdb", prints) == rows(tmp_path / "b.duckdb", prints)
    assert Counter(r[0] for r in rows(tmp_path / "b.duckdb", "select status from audit.dq_findings")) == {
        "open": 7
    }


def test_no_previous_file(tmp_path) -> None:
    summary = build(tmp_path / "e2.duckdb", e2(), tmp_path / "missing.duckdb")
    assert summary.findings_by_status == {"new": 5}
    assert summary.previous_export_id is None
    assert rows(tmp_path / "e2.duckdb", "select count(*) from audit.changes") == [(0,)]


def test_previous_from_an_older_schema(tmp_path) -> None:
    # an older code version: marts.dim_patient and audit.runs, but no findings, responses or survival
    old = tmp_path / "old.duckdb"
    import duckdb

    with duckdb.connect(str(old)) as con:
        con.execute("create schema marts; create schema audit")
        con.execute(
            "create table marts.dim_patient as select * from (values ('P1', 'S1'), ('P2', 'S1'), "
            "('P3', 'S2'), ('P4', 'S2')) t(patient_id, site_id)"
        )
        con.execute("create table audit.runs as select 'e0' as export_id, now() as finished_at")
    summary = build(tmp_path / "e2.duckdb", e2(), old)
    assert summary.findings_by_status == {"new": 5}
    assert summary.previous_export_id == "e0"
    assert rows(tmp_path / "e2.duckdb", "select patient_id, item from audit.changes") == [
        ("P5", "patient_added")
    ]


def test_refreshing_the_published_export_again_changes_nothing(three, tmp_path) -> None:
    # e2 built again against the published e2 (rlt refresh --force): same statuses, same changes
    again = tmp_path / "e2-again.duckdb"
    build(again, e2(), three[1])
    columns = (
        "export_id, site_id, patient_id, line_number, rule_id, status, first_seen_export_id, fingerprint"
    )
    ordered = f"select {columns} from audit.dq_findings order by fingerprint"
    assert rows(again, ordered) == rows(three[1], ordered)
    changes = "select * from audit.changes order by all"
    assert rows(again, changes) == rows(three[1], changes)
    assert len(rows(again, changes)) == 8


def test_a_quarantined_birth_date_is_never_shown(tmp_path) -> None:
    x = e1()
    x.quarantined = [
        (
            "patients",
            3,
            "birth_date",
            "implausible date",
            {
                "patient_id": "P9",
                "site_id": "S1",
                # the quarantine has no birth_date column (ingestion never stores the birth date)
                "sex": "M",
                "consent_data_use": "yes",
            },
        )
    ]
    build(tmp_path / "b.duckdb", x, None)
    found = rows(
        tmp_path / "b.duckdb",
        "select patient_id, site_id, column_name, value from audit.dq_findings where rule_id = 'quarantined'",
    )
    assert found == [("P9", "S1", "birth_date", None)]
