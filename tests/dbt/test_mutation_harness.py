"""The mutation harness finds a wrong rule (a few chosen mutants, not the whole catalogue: that is CI's
`python -m tests.mutation.harness`), and does not call a harmless change a kill."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.mutation.catalogue import REPO

# neutrophils grade 3 is `value < 1.0` (NCI): at 0.99 the bound is 1 % lower, `<=` takes 1.0 in
KILLABLE_SEED = "Neutrophil count decreased g3 c1 any: value < 1.0"
# Table 1 counts age >= 65 y; `> 65` drops a patient aged 65 (tests/analysis/test_table1_thresholds.py)
KILLABLE_CODE = "orchestration/analysis/table1.py: age >= 65 y [flip: > 65]"
# creatinine grade 2's cap `<= 3.0 x ULN` beside `> 1.5 x ULN`: no grade changes (catalogue.CTCAE_REDUNDANT)
EQUIVALENT = "Creatinine increased g2 c2 any: value <= 3.0 x uln + 0 [op <= -> <]"


def test_chosen_mutants_are_killed_by_their_tests(handmade_warehouse: Path, tmp_path: Path) -> None:
    database = tmp_path / handmade_warehouse.name  # dbt opens it read-write; the shared one is read-only
    shutil.copy(handmade_warehouse, database)
    report = tmp_path / "REPORT.md"
    # a new process: the harness forks, and this one has threads (dbt ran here), which a fork would not carry
    done = subprocess.run(
        [sys.executable, "-m", "tests.mutation.harness", "--only", KILLABLE_SEED, "--only", KILLABLE_CODE,
         "--only", EQUIVALENT, "--database", str(database), "--workers", "1", "--report", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    code = done.returncode
    assert report.exists(), done.stderr[-3000:]
    rows = {line.split(" | ")[2]: line.split(" | ")[3] for line in report.read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| #")}
    assert code == 0, rows
    seed_rows = {name: killer for name, killer in rows.items() if name.startswith(KILLABLE_SEED)}
    assert len(seed_rows) == 3  # 1 % down, 1 % up, `<` -> `<=`
    for killer in seed_rows.values():  # killed by the boundary unit test, reading the mutated seed
        assert killer.startswith("dbt:ctcae_every_grade_edge_both_sides -> "), killer
    assert rows[KILLABLE_CODE].startswith("pyfunc:tests/analysis/test_table1_thresholds.py -> ")
    assert rows[EQUIVALENT].startswith("equivalent: redundant")
