"""Issue 16.7 / 18.9 / 15.2: the "already published" decision and the inbox sensor look at content.

The fingerprint covers the whole manifest and the files' real checksums (computed here with hashlib, not
taken from the manifest): a file edited after publish is not "nothing to do" (it fails with the checksum
mismatch, as on a fresh warehouse), a corrected data_cutoff is applied, and the sensor launches a folder
only once it is complete and launches a fixed export again after a failure.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.automation import is_published, new_export_sensor, run_key
from orchestration.cli import main as rlt
from orchestration.exports import identify_export
from orchestration.resources import WarehouseResource
from orchestration.settings import ClinicalSettings


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _published_copy(baseline_warehouse: Path, tmp_path: Path) -> Path:
    published = tmp_path / "wh" / "registry.duckdb"
    published.parent.mkdir()
    shutil.copy(baseline_warehouse, published)
    published.chmod(0o600)
    return published


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _write_manifest(folder: Path, doc: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(doc, indent=2))


def _append_line(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_unchanged_export_is_published_edited_file_or_manifest_is_not(
    baseline_warehouse, reliability_exports, tmp_path
):
    resource = WarehouseResource(warehouse_path=str(baseline_warehouse))
    settings = ClinicalSettings()
    export = _copy(reliability_exports["baseline"], tmp_path / "export")
    assert is_published(resource, identify_export(export), settings)

    # a file edited after publish, manifest.json unchanged (issue 18.9)
    edited = _copy(export, tmp_path / "edited")
    _append_line(edited / "lab_results.csv", "\n")
    assert _manifest(edited) == _manifest(export)
    assert not is_published(resource, identify_export(edited), settings)

    # a corrected data_cutoff (and, separately, exported_at), files unchanged
    for field, value in (("data_cutoff", "2020-01-01"), ("exported_at", "2020-01-02T02:00:00Z")):
        corrected = _copy(export, tmp_path / f"corrected-{field}")
        doc = _manifest(corrected)
        assert doc[field] != value
        doc[field] = value
        _write_manifest(corrected, doc)
        assert not is_published(resource, identify_export(corrected), settings), field


def test_completeness_uses_the_real_checksums(reliability_exports, tmp_path):
    export = _copy(reliability_exports["baseline"], tmp_path / "export")
    declared = {name: meta["sha256"] for name, meta in _manifest(export)["files"].items()}
    assert all(_sha(export / name) == sha for name, sha in declared.items())  # independent hashlib
    assert identify_export(export).complete
    (export / "patients.csv").unlink()
    ref = identify_export(export)
    assert not ref.complete and "patients.csv" in ref.incomplete


def test_file_edited_after_publish_fails_with_the_checksum_mismatch(
    baseline_warehouse, reliability_exports, tmp_path, capsys
):
    published = _published_copy(baseline_warehouse, tmp_path)
    before = published.read_bytes()
    export = _copy(reliability_exports["baseline"], tmp_path / "export")
    _append_line(export / "lab_results.csv", "\n")
    code = rlt(["refresh", str(export), "--warehouse", str(published), "--no-reports"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "nothing to do" not in err
    assert "lab_results.csv" in err and "sha256" in err.lower()
    assert published.read_bytes() == before


@pytest.mark.slow
def test_corrected_data_cutoff_is_applied(baseline_warehouse, reliability_exports, tmp_path, capsys):
    published = _published_copy(baseline_warehouse, tmp_path)
    export = _copy(reliability_exports["baseline"], tmp_path / "export")
    doc = _manifest(export)
    with duckdb.connect(str(published), read_only=True) as con:
        (old_cutoff,) = con.execute("select data_cutoff from raw.export_manifest").fetchone()
    assert str(old_cutoff) == doc["data_cutoff"]
    doc["data_cutoff"] = "2024-06-30"  # an earlier cut-off, as a data manager would correct it
    _write_manifest(export, doc)
    code = rlt(["refresh", str(export), "--warehouse", str(published), "--no-reports"])
    assert code == 0, capsys.readouterr().err
    with duckdb.connect(str(published), read_only=True) as con:
        assert str(con.execute("select data_cutoff from raw.export_manifest").fetchone()[0]) == "2024-06-30"
        runs = con.execute("select data_cutoff from audit.runs order by finished_at").fetchall()
    assert str(runs[-1][0]) == "2024-06-30" and str(runs[-2][0]) == str(old_cutoff)


# ------------------------------------------------------------------------------------------ the sensor


def _tick(resource: WarehouseResource, cursor: str | None = None):
    return new_export_sensor(dg.build_sensor_context(cursor=cursor, resources={"warehouse": resource}))


def test_sensor_waits_for_a_folder_being_copied_then_launches(reliability_exports, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    resource = WarehouseResource(warehouse_path=str(tmp_path / "none.duckdb"), inbox_path=str(inbox))
    source = reliability_exports["baseline"]
    arriving = inbox / "export-a"
    arriving.mkdir()
    # the manifest first, then the files one by one (a plain `cp -r` into the inbox)
    shutil.copy(source / "manifest.json", arriving)
    names = sorted(_manifest(source)["files"])
    for name in names[:-1]:
        shutil.copy(source / name, arriving)
    half = (source / names[-1]).read_bytes()
    (arriving / names[-1]).write_bytes(half[: len(half) // 2])  # the last file half-written
    skipped = _tick(resource)
    assert isinstance(skipped, dg.SkipReason)
    assert "not complete" in skipped.skip_message and names[-1] in skipped.skip_message
    shutil.copy(source / names[-1], arriving)
    launched = _tick(resource)
    assert [r.tags["export_id"] for r in launched.run_requests] == [_manifest(source)["export_id"]]


def test_sensor_launches_a_fixed_export_again_after_a_failure(reliability_exports, tmp_path):
    """15.2: a run failed (here: a required column missing, checksums matching); the data manager fixes
    the file and its manifest entry in place, export_id unchanged; the next tick launches it again."""
    inbox = tmp_path / "inbox"
    export = _copy(reliability_exports["baseline"], inbox / "export")
    resource = WarehouseResource(warehouse_path=str(tmp_path / "none.duckdb"), inbox_path=str(inbox))
    good = (export / "patients.csv").read_bytes()
    header, rest = good.split(b"\n", 1)
    broken = header.replace(b",sex", b"") + b"\n" + rest  # the failed night's file
    (export / "patients.csv").write_bytes(broken)
    doc = _manifest(export)
    doc["files"]["patients.csv"]["sha256"] = hashlib.sha256(broken).hexdigest()
    _write_manifest(export, doc)
    first = _tick(resource)
    assert len(first.run_requests) == 1
    failed_key = first.run_requests[0].run_key
    # that run failed; the sensor remembers its key (cursor): the same content is not launched again
    assert isinstance(_tick(resource, first.cursor), dg.SkipReason)
    # fixed in place: the file and its checksum, the same export_id
    (export / "patients.csv").write_bytes(good)
    doc["files"]["patients.csv"]["sha256"] = hashlib.sha256(good).hexdigest()
    _write_manifest(export, doc)
    again = _tick(resource, first.cursor)
    assert len(again.run_requests) == 1
    assert again.run_requests[0].run_key != failed_key
    assert again.run_requests[0].tags["export_id"] == doc["export_id"]


def test_run_key_changes_with_any_file_byte(reliability_exports, tmp_path):
    export = _copy(reliability_exports["baseline"], tmp_path / "export")
    settings = ClinicalSettings()
    before = run_key(identify_export(export), settings)
    _append_line(export / "rlt_cycles.csv", "\n")
    assert run_key(identify_export(export), settings) != before
