"""A REDCap export where registry exports arrive: recognised by its files (sensor, `rlt refresh`), imported
on the way in into an owner-only folder beside the warehouse, its summary in audit.redcap_imports. (The
whole way through `rlt refresh` is in test_round_trip.py.)"""

from __future__ import annotations

import json
import shutil
import stat

import dagster as dg
import duckdb

from orchestration.automation import new_export_sensor
from orchestration.cli import main
from orchestration.exports import identify_export, list_inbox
from orchestration.ingest import load_export
from orchestration.redcap.inbox import AUDIT_TABLE, imported, record_import
from orchestration.resources import WarehouseResource
from tests.redcap.handmade import PLANTED, base_rows, write_redcap_export


def test_a_redcap_folder_or_zip_is_recognised_by_its_files(tmp_path):
    folder = write_redcap_export(tmp_path / "inbox" / "registry-2024-09-16")
    ref = identify_export(folder)
    assert ref is not None and ref.export_id == "registry-2024-09-16"
    assert identify_export(folder) == ref  # the same files, the same fingerprint
    zipped = shutil.make_archive(str(tmp_path / "inbox" / "registry-zip"), "zip", folder)
    assert identify_export(tmp_path / "inbox" / "registry-zip.zip").export_id == "registry-zip"
    assert [r.export_id for r in list_inbox(tmp_path / "inbox")] != []
    assert zipped

    rows = base_rows()
    rows[0]["gleason_score"] = "9"
    write_redcap_export(folder, rows)
    assert identify_export(folder).fingerprint != ref.fingerprint  # a new export: a new run

    (folder / "data_dictionary.csv").unlink()
    assert identify_export(folder) is None  # records alone are not an export


def test_the_sensor_starts_a_run_for_a_redcap_export(tmp_path):
    write_redcap_export(tmp_path / "inbox" / "registry-2024-09-16")
    warehouse = WarehouseResource(
        warehouse_path=str(tmp_path / "wh" / "registry.duckdb"), inbox_path=str(tmp_path / "inbox")
    )
    result = new_export_sensor(dg.build_sensor_context(resources={"warehouse": warehouse}))
    (request,) = result.run_requests
    assert request.tags["export_id"] == "registry-2024-09-16"
    assert request.run_config["resources"]["refresh"]["config"]["export_path"].endswith("registry-2024-09-16")


def test_imported_on_the_way_in_owner_only_and_audited(tmp_path):
    rows = base_rows()
    rows[-1]["radioligand"] = "42"  # an unknown code: counted in audit, its value and record are not
    source = write_redcap_export(tmp_path / "inbox" / "registry-2024-09-16", rows)
    warehouse = tmp_path / "wh" / "registry.duckdb"
    with imported(source, warehouse) as (export, summary), duckdb.connect() as con:
        assert summary is not None and export.parent.parent == warehouse.parent
        assert stat.S_IMODE(export.parent.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in export.iterdir())
        load_export(export, con)
        record_import(con, summary)
        (row,) = con.execute(
            "select export_id, records, rows_per_table, missing_codes, not_started, issues "
            f"from {AUDIT_TABLE}"
        ).fetchall()
        everything = json.dumps(con.execute(f"select * from {AUDIT_TABLE}").fetchall(), default=str)
    assert not export.exists()  # the imported copy does not outlive the load
    assert row[:2] == ("registry-2024-09-16", 3)
    assert json.loads(row[2])["rlt_cycles"] == 4
    assert json.loads(row[3]) == {
        "diagnosis_date": {"UNK": 1},
        "gleason_score": {"NASK": 1},
        "pt_docetaxel_end": {"NASK": 1},
    }
    assert json.loads(row[4]) == {"death": 2, "prior_therapy": 2}
    assert [(i["field"], i["n"]) for i in json.loads(row[5])] == [("radioligand", 1)]
    for secret in ("R3", '"42"', "1955-07-15", *PLANTED):
        assert secret not in everything


def test_a_registry_export_passes_through_unchanged(small_export, tmp_path):
    with imported(small_export, tmp_path / "registry.duckdb") as (export, summary):
        assert (export, summary) == (small_export, None)


def test_rlt_generate_format_redcap(tmp_path, capsys):
    out = tmp_path / "redcap"
    assert main(["generate", str(out), "--patients", "5", "--seed", "4", "--format", "redcap"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "data_access_groups.csv",
        "data_dictionary.csv",
        "instruments.csv",
        "missing_data_codes.txt",
        "records.csv",
        "repeating_instruments.csv",
    ]
    assert main(["generate", str(tmp_path / "x"), "--format", "redcap", "--bad-rows-rate", "0.1"]) == 2
    assert main(["import-redcap", str(out), str(tmp_path / "imported")]) == 0
    printed = capsys.readouterr().out
    assert "REDCap import redcap -> redcap: 5 records" in printed
    assert (
        "fields outside the mapping (never written): patient_name, mrn, vital_notes, death_cause" in printed
    )


def test_a_symlinked_records_file_is_not_followed(tmp_path):
    outside = write_redcap_export(tmp_path / "elsewhere")
    folder = write_redcap_export(tmp_path / "inbox" / "linked")
    (folder / "records.csv").unlink()
    (folder / "records.csv").symlink_to(outside / "records.csv")
    assert identify_export(folder) is None
