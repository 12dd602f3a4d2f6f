"""Hand-made registry exports for the ingestion tests: small CSV texts written out with a manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

BASE_MANIFEST = {
    "schema_version": "1.0",
    "registry": "REALITY",
    "export_id": "test-2024-09-16",
    "exported_at": "2024-09-16T02:00:00Z",
    "data_cutoff": "2024-09-15",
}

# A small valid export: 3 patients, every table present, every row valid.
VALID_FILES: dict[str, str] = {
    "patients.csv": (
        "patient_id,site_id,birth_date,sex,diagnosis_date,gleason_score,consent_data_use\n"
        "P1,S1,1950-03-01,M,2015-01-10,8,yes\n"
        "P2,S1,1948-07-15,M,2016-05-02,9,yes\n"
        "P3,S2,1955-11-30,M,,7,yes\n"
    ),
    "rlt_cycles.csv": (
        "patient_id,administration_date,radioligand,activity,activity_unit,series\n"
        "P1,2020-01-10,177Lu-PSMA-617,7.4,GBq,1\n"
        "P1,2020-03-06,177Lu-PSMA-617,7.4,GBq,1\n"
        "P2,2020-02-01,177Lu-PSMA-I&T,6000,MBq,\n"
        "P3,2020-04-01,225Ac-PSMA-617,8,MBq,1\n"
    ),
    "vital_status.csv": (
        "patient_id,last_known_alive_date,death_date\n"
        "P1,2021-05-01,\n"
        "P2,2020-10-01,2020-11-15\n"
        "P3,2022-01-01,\n"
    ),
    "lab_results.csv": (
        "patient_id,sample_date,analyte,value,unit,ref_low,ref_high\n"
        "P1,2020-01-05,hemoglobin,12.1,g/dL,13.5,17.5\n"
        "P1,2020-01-05,psa,<0.01,ng/mL,,\n"
        "P2,2020-01-20,wbc,5400,/µL,,\n"
        "P3,2020-03-25,creatinine,88.42,µmol/L,,\n"
    ),
    "performance_status.csv": ("patient_id,assessment_date,ecog\nP1,2020-01-02,1\nP2,2020-01-25,3\n"),
    "prior_therapies.csv": (
        "patient_id,therapy,start_date,end_date\n"
        "P1,docetaxel,2018-01-01,2018-06-01\n"
        "P1,cabazitaxel,2019-01-01,\n"
        "P2,abiraterone,,\n"
    ),
    "metastases.csv": (
        "patient_id,assessment_date,site,extent\nP1,2019-12-20,bone,diffuse\nP2,2020-01-15,lymph_node,\n"
    ),
    "adverse_events.csv": (
        "patient_id,assessment_date,term,grade\nP1,2020-02-01,fatigue,1\nP2,2020-03-01,dry_mouth,0\n"
    ),
}


def data_rows(content: bytes) -> int:
    """Records in a hand-written CSV: non-empty lines after the header (no quoted line breaks). A line of
    spaces is a record (a ragged one); an empty line is none."""
    lines = content.decode("utf-8", errors="replace").split("\n")
    return sum(1 for line in lines[1:] if line.rstrip("\r"))


def write_export(
    folder: Path,
    files: dict[str, str | bytes],
    *,
    manifest: dict[str, object] | None = None,
    rows: dict[str, int] | None = None,
    sha256: dict[str, str] | None = None,
) -> Path:
    """Write `files` and a manifest with their real sha256 and row counts (override either per file)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[str, dict[str, object]] = {}
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
        entries[name] = {
            "sha256": (sha256 or {}).get(name, hashlib.sha256(data).hexdigest()),
            "rows": (rows or {}).get(name, data_rows(data) if name.endswith(".csv") else 0),
        }
    doc = {**BASE_MANIFEST, "files": entries, **(manifest or {})}
    (folder / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


ExportFactory = Callable[..., Path]


@pytest.fixture
def make_export(tmp_path: Path) -> ExportFactory:
    """make_export(changes) -> folder: the valid export with files replaced (str/bytes) or removed (None)."""
    counter = iter(range(1000))

    def build(changes: dict[str, str | bytes | None] | None = None, **kwargs: object) -> Path:
        files: dict[str, str | bytes] = dict(VALID_FILES)
        for name, content in (changes or {}).items():
            if content is None:
                files.pop(name, None)
            else:
                files[name] = content
        return write_export(tmp_path / f"export{next(counter)}", files, **kwargs)  # type: ignore[arg-type]

    return build


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()
