"""Small hand-made exports for the hostile-input tests: valid files, one of them replaced by something
hostile, written out with a manifest whose checksums and row counts match the bytes actually written
(so a hostile file gets past the checksum and reaches the reader)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

BASE_MANIFEST: dict[str, object] = {
    "schema_version": "1.0",
    "registry": "REALITY",
    "export_id": "hostile-2024-09-16",
    "exported_at": "2024-09-16T02:00:00Z",
    "data_cutoff": "2024-09-15",
}

PATIENTS_HEADER = "patient_id,site_id,birth_date,sex,diagnosis_date,gleason_score,consent_data_use\n"
LAB_HEADER = "patient_id,sample_date,analyte,value,unit,ref_low,ref_high\n"
CYCLES_HEADER = "patient_id,administration_date,radioligand,activity,activity_unit,series\n"

# 3 consenting patients, the 3 required tables plus lab_results; every row valid.
VALID: dict[str, str] = {
    "patients.csv": PATIENTS_HEADER
    + "P1,S1,1950-03-01,M,2015-01-10,8,yes\n"
    + "P2,S1,1948-07-15,M,2016-05-02,9,yes\n"
    + "P3,S2,1955-11-30,M,,7,yes\n",
    "rlt_cycles.csv": CYCLES_HEADER
    + "P1,2020-01-10,177Lu-PSMA-617,7.4,GBq,1\n"
    + "P2,2020-02-01,177Lu-PSMA-I&T,6000,MBq,\n"
    + "P3,2020-04-01,225Ac-PSMA-617,8,MBq,1\n",
    "vital_status.csv": "patient_id,last_known_alive_date,death_date\n"
    + "P1,2021-05-01,\n"
    + "P2,2020-10-01,2020-11-15\n"
    + "P3,2022-01-01,\n",
    "lab_results.csv": LAB_HEADER
    + "P1,2020-01-05,hemoglobin,12.1,g/dL,13.5,17.5\n"
    + "P1,2020-01-05,psa,<0.01,ng/mL,,\n"
    + "P2,2020-01-20,wbc,5400,/µL,,\n"
    + "P3,2020-03-25,creatinine,88.42,µmol/L,,\n",
}


def count_records(data: bytes) -> int:
    """Records after the header for files without quoted line breaks: non-empty lines (\\n or \\r\\n)."""
    lines = data.split(b"\n")
    return sum(1 for line in lines[1:] if line.rstrip(b"\r"))


def manifest_entry(data: bytes, rows: int | None = None) -> dict[str, object]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "rows": count_records(data) if rows is None else rows}


def write_export(
    folder: Path,
    changes: dict[str, str | bytes | None] | None = None,
    *,
    rows: dict[str, int] | None = None,
    manifest: dict[str, object] | None = None,
) -> Path:
    """The valid export with files replaced (str/bytes) or removed (None); a matching manifest."""
    files: dict[str, str | bytes] = dict(VALID)
    for name, content in (changes or {}).items():
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[str, object] = {}
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
        entries[name] = manifest_entry(data, (rows or {}).get(name))
    doc = {**BASE_MANIFEST, "files": entries, **(manifest or {})}
    (folder / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def set_manifest(folder: Path, doc: object) -> None:
    (folder / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")


def read_manifest_doc(folder: Path) -> dict[str, object]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def schema_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]
