"""What `rlt refresh` shows while the job runs, and the log file that keeps everything.

On a terminal: one progress bar over the job's stages (rich). Otherwise: one plain line per stage, no
ANSI codes. Everything else (Dagster's events, dbt's node-by-node log) goes to the run's log file only.
Failures are not shown here: the CLI prints one clear message for them at the end.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import dagster as dg

# the refresh job's steps, in order, as a person names them
STAGES: dict[str, str] = {
    "registry_raw": "loading the export",
    "dbt_models": "dbt build (models, seeds, data tests)",
    "analysis_tables": "statistics",
    "published_warehouse": "publishing",
    "cohort_reports": "rendering the reports",
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class StageDisplay:
    """One plain line per stage (output that is not a terminal)."""

    def __init__(self, stream: TextIO, stages: list[str]) -> None:
        self.stream = stream
        self.stages = stages

    def start(self, step_key: str) -> None:
        if step_key in self.stages:
            n = self.stages.index(step_key) + 1
            print(f"[{n}/{len(self.stages)}] {STAGES.get(step_key, step_key)}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class BarDisplay(StageDisplay):
    """A rich progress bar over the stages (a terminal)."""

    def __init__(self, stream: TextIO, stages: list[str]) -> None:
        super().__init__(stream, stages)
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=len(stages))
        self.progress.start()

    def start(self, step_key: str) -> None:
        if step_key in self.stages:
            done = self.stages.index(step_key)
            self.progress.update(self.task, completed=done, description=STAGES.get(step_key, step_key))

    def close(self) -> None:
        self.progress.update(self.task, completed=len(self.stages))
        self.progress.stop()


_active: StageDisplay | None = None


@contextlib.contextmanager
def showing_stages(stream: TextIO, stages: list[str]) -> Iterator[StageDisplay]:
    """Make `progress_logger` drive a bar (terminal) or plain lines (anything else) on `stream`."""
    global _active
    display = BarDisplay(stream, stages) if stream.isatty() else StageDisplay(stream, stages)
    _active = display
    try:
        yield display
    finally:
        _active = None
        display.close()


class _StageHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if _active is not None and event is not None and event.event_type_value == "STEP_START":
            _active.start(event.step_key or "")


@dg.logger(description="Drives `rlt`'s stage display: a progress bar on a terminal, else one line per stage.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.Logger("rlt.progress", level=logging.DEBUG)
    log.addHandler(_StageHandler())
    return log


@dg.logger(
    config_schema={"path": dg.Field(str, description="The log file (appended).")},
    description="Every event and message of the run, at DEBUG, into a file without ANSI codes.",
)
def log_file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.Logger("rlt.log_file", level=logging.DEBUG)
    handler = logging.StreamHandler(open_log(Path(init_context.logger_config["path"])))
    handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return strip_ansi(super().format(record))


def open_log(path: Path) -> TextIO:
    """Open the log file for appending, owner-only (it names exports and files of health data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    return open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (closed with the process)


class _PlainWriter(io.TextIOBase):
    """A stream that writes into the log file without ANSI codes (dbt's log lines)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(strip_ansi(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()


@contextlib.contextmanager
def output_into(log_path: Path) -> Iterator[None]:
    """Send what the run prints (dbt's node-by-node log, warnings) into the log file, not the screen."""
    with open_log(log_path) as target:
        writer = _PlainWriter(target)
        with contextlib.redirect_stdout(writer), contextlib.redirect_stderr(writer):
            yield
        sys.stdout.flush()
