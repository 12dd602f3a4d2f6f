"""Hostile export structure: manifests, archives, links. Each fails the whole export with one
ExportError naming the file, writes nothing, and (through `rlt refresh`) gives the user one message and
exit code 2, never a traceback."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.ingest import ExportError, load_export

from .exports import LAB_HEADER, VALID, read_manifest_doc, schema_tables, set_manifest, write_export

REQUIRED_FIELDS = ("schema_version", "registry", "export_id", "exported_at", "data_cutoff", "files")


def assert_refused(path: Path, *fragments: str, **kwargs: object) -> None:
    con = duckdb.connect()
    try:
        with pytest.raises(ExportError) as err:
            load_export(path, con, **kwargs)
        for fragment in fragments:
            assert fragment in str(err.value)
        assert all(schema_tables(con, s) == [] for s in ("raw", "quarantine", "audit"))
    finally:
        con.close()


def zip_folder(folder: Path, target: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
        for info, data in extra:
            zf.writestr(info, data)
    return target


# --- manifest ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", REQUIRED_FIELDS)
def test_manifest_field_missing(tmp_path: Path, missing: str) -> None:
    path = write_export(tmp_path / "e")
    doc = read_manifest_doc(path)
    del doc[missing]
    set_manifest(path, doc)
    assert_refused(path, "manifest.json", missing)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "unreadable"),
        (b"\xff\xfe\x00garbage", "unreadable"),
        (b"[" * 100_000 + b"]" * 100_000, "unreadable"),  # nesting deeper than the JSON parser's recursion
        (b"[]", "JSON object"),
        (b'"just text"', "JSON object"),
    ],
    ids=["not_json", "binary", "deeply_nested", "json_array", "json_string"],
)
def test_manifest_not_an_object(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = write_export(tmp_path / "e")
    (path / "manifest.json").write_bytes(content)
    assert_refused(path, "manifest.json", fragment)


def test_manifest_top_level_array_of_the_right_object(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e")
    set_manifest(path, [read_manifest_doc(path)])
    assert_refused(path, "manifest.json", "JSON object")


def test_unknown_schema_version(tmp_path: Path) -> None:
    assert_refused(write_export(tmp_path / "e", manifest={"schema_version": "2.0"}), "schema_version", "2.0")


def test_manifest_lists_a_file_that_does_not_exist(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e")
    doc = read_manifest_doc(path)
    doc["files"]["adverse_events.csv"] = {"sha256": "a" * 64, "rows": 1}  # type: ignore[index]
    set_manifest(path, doc)
    assert_refused(path, "adverse_events.csv", "missing")


@pytest.mark.parametrize("delta", [+1, -1])
def test_row_count_off_by_one(tmp_path: Path, delta: int) -> None:
    path = write_export(tmp_path / "e", rows={"lab_results.csv": 4 + delta})
    assert_refused(path, "lab_results.csv", "4 data rows", f"says {4 + delta}")


@pytest.mark.parametrize("name", ["../patients.csv", "/etc/passwd", "sub/patients.csv"])
def test_manifest_file_name_with_a_path(tmp_path: Path, name: str) -> None:
    path = write_export(tmp_path / "e")
    doc = read_manifest_doc(path)
    doc["files"][name] = {"sha256": "a" * 64, "rows": 1}  # type: ignore[index]
    set_manifest(path, doc)
    assert_refused(path, "manifest.json", "plain file name")


# --- links -------------------------------------------------------------------------------------------


def test_symlinked_table_file_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text(VALID["lab_results.csv"], encoding="utf-8")
    path = write_export(tmp_path / "e")  # the manifest's checksum matches the outside file's bytes
    (path / "lab_results.csv").unlink()
    (path / "lab_results.csv").symlink_to(outside)
    assert_refused(path, "lab_results.csv", "symbolic link")


def test_symlinked_manifest_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e")
    outside = tmp_path / "manifest.json"
    os.replace(path / "manifest.json", outside)
    (path / "manifest.json").symlink_to(outside)
    assert_refused(path, "manifest.json", "symbolic link")


def test_symlinked_export_subfolder_is_not_followed(tmp_path: Path) -> None:
    real = write_export(tmp_path / "real")
    wrapper = tmp_path / "wrapper"
    wrapper.mkdir()
    (wrapper / "export").symlink_to(real, target_is_directory=True)
    assert_refused(wrapper, "manifest.json", "missing")


# --- archives ----------------------------------------------------------------------------------------


def test_zip_bomb_refused(tmp_path: Path) -> None:
    padding = " " * (8 * 2**20)  # 8 MB of spaces compress to about 8 kB
    folder = write_export(
        tmp_path / "e", {"lab_results.csv": LAB_HEADER + "P1,2020-01-05,psa,1,ng/mL,," + padding + "\n"}
    )
    archive = zip_folder(folder, tmp_path / "bomb.zip")
    assert archive.stat().st_size < 100_000  # ratio above 80:1
    assert_refused(archive, "bomb.zip", "limit", max_unpacked_bytes=2**20)


@pytest.mark.parametrize(
    "member", ["../evil.csv", "a/../../evil.csv", "/tmp/evil.csv", "C:/evil.csv", "..\\evil.csv"]
)
def test_zip_slip_refused(tmp_path: Path, member: str) -> None:
    archive = zip_folder(write_export(tmp_path / "e"), tmp_path / "slip.zip", [(member, b"x")])
    assert_refused(archive, "slip.zip", repr(member))
    assert not (tmp_path / "evil.csv").exists()


def test_zip_with_symlink_member_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("lab_results.csv")
    link.external_attr = 0o120777 << 16  # S_IFLNK
    folder = write_export(tmp_path / "e", {"lab_results.csv": None})
    archive = zip_folder(folder, tmp_path / "link.zip", [(link, b"/etc/passwd")])
    assert_refused(archive, "link.zip", "symbolic link")


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "export.zip"
    fake.write_bytes(b"PK\x03\x04" + os.urandom(64))
    assert_refused(fake, "export.zip")


# --- through the CLI: one message, exit code 2, no traceback -----------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "hostile",
    ["latin1", "truncated_manifest_count", "symlink", "zip_slip", "empty_patients"],
)
def test_cli_gives_one_message_and_exit_code_2(tmp_path: Path, capsys, hostile: str) -> None:
    folder = tmp_path / "e"
    if hostile == "latin1":
        export = write_export(
            folder, {"patients.csv": (VALID["patients.csv"] + "P4,Sü,1950-01-01,M,,,yes\n").encode("latin-1")}
        )
        expected = "patients.csv line 5"
    elif hostile == "truncated_manifest_count":
        export = write_export(folder, rows={"vital_status.csv": 2})
        expected = "vital_status.csv: 3 data rows"
    elif hostile == "symlink":
        export = write_export(folder)
        (tmp_path / "outside.csv").write_bytes((export / "patients.csv").read_bytes())
        (export / "patients.csv").unlink()
        (export / "patients.csv").symlink_to(tmp_path / "outside.csv")
        expected = "patients.csv: is a symbolic link"
    elif hostile == "zip_slip":
        export = zip_folder(write_export(folder), tmp_path / "slip.zip", [("../evil.csv", b"x")])
        expected = "slip.zip: refusing member"
    else:
        export = write_export(folder, {"patients.csv": ""})
        expected = "patients.csv line 1: no header line"
    warehouse = tmp_path / "wh" / "registry.duckdb"
    code, err = _cli(capsys, "refresh", str(export), "--warehouse", str(warehouse), "--no-reports")
    assert code == 2
    assert "Traceback" not in err
    assert expected in err
    assert not warehouse.exists()  # nothing published
