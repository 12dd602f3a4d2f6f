import json
import zipfile

from orchestration.exports import identify_export, list_inbox


def _manifest(folder, export_id="x-1", sha="a" * 64):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        json.dumps(
            {"schema_version": "1.0", "export_id": export_id, "files": {"patients.csv": {"sha256": sha}}}
        )
    )


def test_same_content_same_fingerprint_folder_or_zip(tmp_path):
    _manifest(tmp_path / "a")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
        zf.write(tmp_path / "a" / "manifest.json", "export/manifest.json")
    a, b = identify_export(tmp_path / "a"), identify_export(tmp_path / "b.zip")
    assert a.export_id == b.export_id == "x-1"
    assert a.fingerprint == b.fingerprint


def test_changed_checksum_changes_fingerprint(tmp_path):
    _manifest(tmp_path / "a")
    _manifest(tmp_path / "c", sha="b" * 64)
    assert identify_export(tmp_path / "a").fingerprint != identify_export(tmp_path / "c").fingerprint


def test_inbox_lists_only_exports_with_a_manifest(tmp_path):
    _manifest(tmp_path / "inbox" / "one")
    (tmp_path / "inbox" / "not-an-export").mkdir()
    (tmp_path / "inbox" / "junk.zip").write_bytes(b"not a zip")
    assert [r.export_id for r in list_inbox(tmp_path / "inbox")] == ["x-1"]
