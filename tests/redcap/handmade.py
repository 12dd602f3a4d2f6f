"""A hand-made REDCap project export of the reference design: three records written cell by cell.

R1 (DAG s01, site S01): a complete patient with a planted name, MRN and phone number in free text.
R2 (DAG s02): prior-therapy form never started; an imaging instance started with no site ticked; no consent.
R3 (no DAG): prior-therapy form saved as Incomplete (0) with every box 0; missing-data codes.
Tests change single cells of these rows to build hostile variants.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

from orchestration.redcap.mapping import REFERENCE_DIR
from orchestration.redcap.project import read_dictionary, records_header

PLANTED = ("Erika Mustermann", "MRN-7654321", "+49 171 5550123")


def base_rows() -> list[dict[str, str]]:
    def pt(**kw: str) -> dict[str, str]:
        return kw

    r1 = pt(
        record_id="R1",
        redcap_data_access_group="s01",
        patient_name="Erika Mustermann",
        mrn="MRN-7654321",
        birth_date="1950-03-01",
        sex="1",
        diagnosis_date="UNK",
        gleason_score="8",
        consent_data_use="1",
        patient_complete="2",
        prior_therapy___3="1",
        prior_therapy___8="1",
        pt_adt_start="2019-05-02",
        pt_docetaxel_start="2020-01-10",
        pt_docetaxel_end="NASK",
        prior_therapy_complete="2",
        last_known_alive_date="2024-06-01",
        vital_notes="called Erika Mustermann at +49 171 5550123 (MRN-7654321)",
        vital_status_complete="2",
    )
    r2 = pt(
        record_id="R2",
        redcap_data_access_group="s02",
        birth_date="1948-11-30",
        sex="9",
        diagnosis_date="2015-02-03",
        gleason_score="NASK",
        consent_data_use="0",
        patient_complete="2",
        prior_therapy_complete="",
        last_known_alive_date="2024-05-01",
        death_date="2024-05-20",
        vital_status_complete="2",
    )
    r3 = pt(
        record_id="R3",
        birth_date="1955-07-15",
        sex="1",
        consent_data_use="1",
        patient_complete="1",
        prior_therapy_complete="0",
        last_known_alive_date="2024-04-01",
        vital_status_complete="2",
    )
    for r in (r1, r2, r3):
        for code in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "99"):
            r.setdefault(f"prior_therapy___{code}", "0")

    def rep(record: str, dag: str, form: str, n: int, **kw: str) -> dict[str, str]:
        return {
            "record_id": record,
            "redcap_repeat_instrument": form,
            "redcap_repeat_instance": str(n),
            "redcap_data_access_group": dag,
            f"{form}_complete": "2",
            **kw,
        }

    def sites(*ticked: str) -> dict[str, str]:
        return {
            f"met_site___{c}": ("1" if c in ticked else "0")
            for c in ("1", "2", "3", "4", "5", "6", "7", "99")
        }

    def builder(form: str, fields: tuple[str, ...]) -> Callable[..., dict[str, str]]:
        """Rows of `form` from the values of `fields`, in that order; other cells as keywords."""

        def build(record: str, dag: str, n: int, *values: str, **kw: str) -> dict[str, str]:
            return rep(record, dag, form, n, **dict(zip(fields, values, strict=True)), **kw)

        return build

    cycle = builder("rlt_cycle", ("cycle_date", "radioligand", "activity", "activity_unit"))
    lab = builder("lab_result", ("lab_date", "lab_analyte", "lab_value", "lab_unit"))

    return [
        r1,
        rep("R1", "s01", "ecog", 1, ecog_date="2023-01-05", ecog="2"),
        rep("R1", "s01", "metastases", 1, met_date="2023-01-02", met_bone_extent="3", **sites("1", "3")),
        cycle("R1", "s01", 1, "2023-01-10", "1", "7.4", "1"),
        cycle("R1", "s01", 2, "2023-03-07", "1", "7,2", "1", series="1"),
        lab("R1", "s01", 1, "2023-01-09", "8", "<0.01", "13"),
        lab("R1", "s01", 2, "2023-01-09", "1", "11.2", "1", lab_ref_low="13,5", lab_ref_high="17.5"),
        rep("R1", "s01", "adverse_event", 1, ae_date="2023-01-09", ae_term="2", ae_grade="0"),
        r2,
        rep("R2", "s02", "metastases", 1, met_date="2023-02-01", **sites()),
        cycle("R2", "s02", 1, "2023-02-10", "3", "8", "2"),
        r3,
        cycle("R3", "", 1, "2023-03-01", "2", "200", "3"),
    ]


def write_redcap_export(
    folder: Path,
    rows: list[dict[str, str]] | None = None,
    *,
    header: list[str] | None = None,
    dictionary_text: str | None = None,
    dags: bool = True,
) -> Path:
    """Write records.csv (REDCap's column order), the reference dictionary (or `dictionary_text`), the
    repeating-instrument list, the missing-data codes and (with `dags`) the DAG list into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    fields = read_dictionary(REFERENCE_DIR / "data_dictionary.csv")
    header = header or records_header(fields)
    rows = base_rows() if rows is None else rows
    extra = [k for r in rows for k in r if k not in header]
    header = header + list(dict.fromkeys(extra))
    with open(folder / "records.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    if dictionary_text is None:
        shutil.copyfile(REFERENCE_DIR / "data_dictionary.csv", folder / "data_dictionary.csv")
    else:
        (folder / "data_dictionary.csv").write_text(dictionary_text, encoding="utf-8")
    for name in ("repeating_instruments.csv", "missing_data_codes.txt"):
        shutil.copyfile(REFERENCE_DIR / name, folder / name)
    if dags:
        (folder / "data_access_groups.csv").write_text(
            "data_access_group_name,unique_group_name\nS01,s01\nS02,s02\n", encoding="utf-8"
        )
    return folder


def read_table(export: Path, table: str) -> list[dict[str, str]]:
    with open(export / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
