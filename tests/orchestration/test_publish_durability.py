"""Publish is durable and atomic, seen from outside through the public functions (fast, no dbt).

- Durable: an fsync spy (a wrapper around os.fsync that identifies each synced descriptor by its inode)
  shows the build file synced after its last write and before the swap, and the directory synced after
  the swap, so that a power cut never leaves a published name pointing at unsynced data or a lost rename.
- Atomic: the published file *is* the build's inode afterwards (a rename; copy + unlink would write a new
  or the old inode in place), and a reader that opened the old warehouse keeps reading the old inode.

The tests take no pytest fixtures (temporary folders and patches are made here), so that the mutation
harness (tests/mutation) can call them directly.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import duckdb

from orchestration.publish import publish, start_build
from tests.fixtures.minimal_build import fill_minimal_build, run_record


@contextmanager
def _fsync_spy():
    """Record (event, inode, is_directory, size, mtime_ns) for each os.fsync, and each os.replace."""
    events: list[tuple] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        events.append(("fsync", st.st_ino, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime_ns))
        real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        events.append(("replace", os.stat(src).st_ino, Path(src).name, Path(dst).name))
        return real_replace(src, dst, *args, **kwargs)

    with mock.patch.object(os, "fsync", fsync), mock.patch.object(os, "replace", replace):
        yield events


def _publish_once(published: Path, export_id: str) -> tuple[int, list[tuple]]:
    """Build and publish one minimal warehouse; the build's inode and the spy's events."""
    build = start_build(published, export_id)
    fill_minimal_build(build, export_id)
    inode = os.stat(build).st_ino
    with _fsync_spy() as events:
        publish(build, published, run_record(export_id))
    return inode, events


def test_build_file_synced_before_the_swap_and_directory_after() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        published = Path(tmp) / "registry.duckdb"
        _publish_once(published, "export-1")
        inode, events = _publish_once(published, "export-2")
        final = os.stat(published)
        directory = os.stat(published.parent).st_ino
        swaps = [i for i, e in enumerate(events) if e[0] == "replace"]
        assert len(swaps) == 1, events
        swap = swaps[0]
        file_syncs = [e for e in events[:swap] if e[0] == "fsync" and e[1] == inode and not e[2]]
        assert file_syncs, f"the build file was not fsynced before the swap: {events}"
        # synced after its last write: what was synced is what is published (size and mtime unchanged)
        assert (file_syncs[-1][3], file_syncs[-1][4]) == (final.st_size, final.st_mtime_ns)
        dir_syncs = [e for e in events[swap + 1:] if e[0] == "fsync" and e[1] == directory and e[2]]
        assert dir_syncs, f"the directory was not fsynced after the swap: {events}"


def test_swap_is_a_rename_of_the_build_over_the_published_file() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        published = Path(tmp) / "registry.duckdb"
        _publish_once(published, "export-1")
        old_inode = os.stat(published).st_ino
        with open(published, "rb") as reader:  # an analyst holding the old warehouse
            inode, events = _publish_once(published, "export-2")
            # the published name now is the build's inode (renamed, not copied), the old inode lives on
            # for the reader that holds it, and the build name is gone
            assert os.stat(published).st_ino == inode != old_inode
            assert os.fstat(reader.fileno()).st_ino == old_inode
            assert [e for e in events if e[0] == "replace"] == [
                ("replace", inode, "registry.duckdb.building-export-2", "registry.duckdb")
            ]
            assert sorted(p.name for p in Path(tmp).iterdir() if "building" in p.name) == []
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute("select marker from marts.dim_patient").fetchone() == ("export-2",)
