"""An export read ahead on a thread of its own, for `load_export` to take instead of reading it again.

`rlt refresh` spends its first seconds on one core: importing Dagster, dbt and the statistics, building the
Definitions and starting the run (about 4 s here). Reading and checking the export's files (about 4 s at
100,000 patients, mostly in polars, which leaves the interpreter free) needs nothing of that, so the CLI
starts it first. A read that fails is not reported here: `load_export` then reads the export itself and
raises its error as always.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from orchestration.ingest.manifest import Manifest
from orchestration.ingest.reading import TableFile


@dataclass(frozen=True)
class ReadExport:
    """What reading an export gives: its manifest and every listed file, checked against the manifest."""

    manifest: Manifest
    files: dict[str, TableFile]
    max_unpacked_bytes: int


_lock = threading.Lock()
_ahead: dict[Path, Future[ReadExport]] = {}


def read_ahead(export_path: Path, max_unpacked_bytes: int) -> None:
    """Start reading `export_path` on a thread (once per path until it is taken)."""
    key = export_path.resolve()
    future: Future[ReadExport] = Future()
    with _lock:
        if key in _ahead:
            return
        _ahead[key] = future

    def work() -> None:
        from orchestration.ingest.loader import read_export  # the loader imports this module

        try:
            manifest, files = read_export(export_path, max_unpacked_bytes)
            future.set_result(ReadExport(manifest, files, max_unpacked_bytes))
        except BaseException as exc:  # noqa: BLE001 - load_export reads again and reports it
            future.set_exception(exc)

    threading.Thread(target=work, name="rlt-read-ahead", daemon=True).start()


def take(export_path: Path, max_unpacked_bytes: int) -> ReadExport | None:
    """The export read ahead for `export_path` (waiting for the read to end), or None: none was started,
    it was read with another limit, or the read failed."""
    with _lock:
        future = _ahead.pop(export_path.resolve(), None)
    if future is None:
        return None
    try:
        read = future.result()
    except Exception:  # noqa: BLE001 - the caller reads the export itself and raises the error
        return None
    return read if read.max_unpacked_bytes == max_unpacked_bytes else None


def discard(export_path: Path) -> None:
    """Forget a read not taken (its run stopped before loading), so that no later load takes stale files."""
    with _lock:
        _ahead.pop(export_path.resolve(), None)
