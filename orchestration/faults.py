"""Test-only fault points: let a crash test stop a refresh at a named stage and kill it there.

Inert unless `RLT_TEST_PAUSE_AT` names the stage being passed. Then `checkpoint` writes the file named by
`RLT_TEST_PAUSE_MARKER` (its content: this process id) so the test knows where the run is, and waits
`RLT_TEST_PAUSE_SECONDS` (default 600; 0 = mark and carry on, for a kill *during* the work that follows,
e.g. the dbt subprocess). A waiting run is meant to be killed; if nobody does, it carries on after the
wait instead of hanging for ever.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT_ENV = "RLT_TEST_PAUSE_AT"
MARKER_ENV = "RLT_TEST_PAUSE_MARKER"
SECONDS_ENV = "RLT_TEST_PAUSE_SECONDS"
RELEASE_ENV = "RLT_TEST_PAUSE_RELEASE"
STAGES = ("ingest", "dbt", "analysis", "publish", "reports")


def checkpoint(stage: str) -> None:
    """Mark that the run reached `stage`, and wait there, when a test asked for it."""
    if os.environ.get(PAUSE_AT_ENV) != stage:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        # written whole, then renamed: the test never reads a half-written marker
        tmp = Path(marker).with_name(Path(marker).name + ".tmp")
        tmp.write_text(str(os.getpid()), encoding="utf-8")
        os.replace(tmp, marker)
    deadline = time.monotonic() + float(os.environ.get(SECONDS_ENV, "600"))
    release = os.environ.get(RELEASE_ENV)
    while time.monotonic() < deadline:
        if release and Path(release).exists():
            return
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
