"""The synthetic registry written as a REDCap project export of the reference design (`rlt generate
--format redcap`), for the round trip REDCap -> import -> warehouse.

The registry is the one `generate_export` writes for the same seed, cell for cell: it is generated that way
into a temporary folder and re-written here the way REDCap would export it (raw codes, ISO dates, `.`
decimals, one row per record plus one per repeating instance, checkboxes as `field___code`, data access
groups as sites). What REDCap adds is added: missing-data codes where the registry has an empty cell; a
death form never started for the living (and a prior-therapy form where a patient has none); names and
record numbers in identifier fields; free-text notes; the cause of death (not in the contract).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from orchestration.redcap.mapping import REFERENCE_DIR, match_vocabulary, vocabulary
from orchestration.redcap.project import FieldDef, checkbox_column, read_dictionary, records_header
from orchestration.synthetic.export import export_dates, generate_export

_MISSING_STREAM = 901  # random stream of the missing-data codes (beside export.py's streams)
_DICTIONARY = REFERENCE_DIR / "data_dictionary.csv"
_COPIED = ("data_dictionary.csv", "instruments.csv", "repeating_instruments.csv", "missing_data_codes.txt")
_REPEATING = ("ecog", "metastases", "rlt_cycle", "lab_result", "adverse_event")

Record = dict[str, str]


def generate_redcap_export(out_dir: Path, patients: int, seed: int) -> Path:
    """Write the synthetic registry of (patients, seed) as a REDCap export into `out_dir`; return it."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="rlt-synth-") as tmp:
        direct = generate_export(Path(tmp) / "export", patients=patients, seed=seed)
        tables = {name: _read(direct / f"{name}.csv") for name in _TABLE_FILES}
    out_dir.mkdir(parents=True, exist_ok=True)
    fields = read_dictionary(_DICTIONARY)
    writer = _Writer(fields, np.random.default_rng([seed, _MISSING_STREAM]))
    rows = list(writer.records(tables))
    header = records_header(fields)
    with open(out_dir / "records.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, restval="", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    for name in _COPIED:
        shutil.copyfile(REFERENCE_DIR / name, out_dir / name)
    sites = sorted({p["site_id"] for p in tables["patients"] if p["site_id"]})
    with open(out_dir / "data_access_groups.csv", "w", encoding="utf-8", newline="") as f:
        f.write("data_access_group_name,unique_group_name\n")
        f.writelines(f"{s},{s.lower()}\n" for s in sites)
    # file times = the export time of this seed, so the import's default exported_at is deterministic
    _, exported_at = export_dates(seed)
    stamp = dt.datetime.fromisoformat(exported_at.replace("Z", "+00:00")).timestamp()
    for path in out_dir.iterdir():
        os.utime(path, (stamp, stamp))
    return out_dir


_TABLE_FILES = (
    "patients",
    "performance_status",
    "prior_therapies",
    "metastases",
    "rlt_cycles",
    "lab_results",
    "adverse_events",
    "vital_status",
)


def _read(path: Path) -> list[Record]:
    """A table of the direct export, as text: header lower-case, `;` files and BOMs handled."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.readline()
        f.seek(0)
        reader = csv.reader(f, delimiter=";" if first.count(";") > first.count(",") else ",")
        header = [h.strip().lower() for h in next(reader)]
        return [dict(zip(header, row, strict=True)) for row in reader]


def _iso(text: str) -> str:
    """ISO date from the direct export's ISO or DD.MM.YYYY (REDCap exports every date as YYYY-MM-DD)."""
    if len(text) == 10 and text[2] == "." and text[5] == ".":
        return f"{text[6:]}-{text[3:5]}-{text[:2]}"
    return text


def _dot(text: str) -> str:
    return text.replace(",", ".")


class _Writer:
    def __init__(self, fields: dict[str, FieldDef], rng: np.random.Generator) -> None:
        self.fields = fields
        self.rng = rng

    def code(self, field: str, table: str, column: str, value: str) -> str:
        """The choice code of `field` whose label names `value` (the inverse of the import's rule)."""
        if value == "":
            return ""
        vocab = vocabulary(table, column)
        for code, label in self.fields[field].choices:
            if (vocab and match_vocabulary(label, vocab) == value) or code == value or label == value:
                return code
        raise ValueError(f"{field}: no choice for {value!r}")

    def missing(self, value: str, code: str, share: float) -> str:
        """An empty cell, or (with probability `share`) a missing-data code: both mean null."""
        return code if value == "" and self.rng.random() < share else value

    def records(self, t: dict[str, list[Record]]) -> Iterator[Record]:
        by_patient: dict[str, dict[str, list[Record]]] = {}
        for name, rows in t.items():
            if name == "patients":
                continue
            for row in rows:
                by_patient.setdefault(row["patient_id"], {}).setdefault(name, []).append(row)
        sex = {"M": "1", "F": "2", "U": "9"}
        extent = {"oligo": "1", "multiple": "2", "diffuse": "3"}
        for p in t["patients"]:
            pid = p["patient_id"]
            mine = by_patient.get(pid, {})
            base: Record = {
                "record_id": pid,
                "redcap_data_access_group": p["site_id"].lower(),
                "patient_name": p.get("patient_name", ""),
                "mrn": p.get("mrn", ""),
                "birth_date": _iso(p["birth_date"]),
                "sex": sex.get(p["sex"], p["sex"]),
                "diagnosis_date": self.missing(_iso(p["diagnosis_date"]), "UNK", 0.5),
                "gleason_score": self.missing(p["gleason_score"], "NASK", 0.5),
                "consent_data_use": {"yes": "1", "no": "0"}.get(p["consent_data_use"], ""),
                "patient_complete": "2",
            }
            therapies = mine.get("prior_therapies", [])
            for row in therapies:
                therapy = row["therapy"]
                base[
                    checkbox_column(
                        "prior_therapy", self.code("prior_therapy", "prior_therapies", "therapy", therapy)
                    )
                ] = "1"
                base[f"pt_{therapy}_start"] = self.missing(_iso(row["start_date"]), "UNK", 0.3)
                base[f"pt_{therapy}_end"] = _iso(row["end_date"])
            # never started (status 0, every box 0) where the registry has no prior therapy: missing
            base["prior_therapy_complete"] = "2" if therapies else "0"
            for f in self.fields.values():
                if f.type == "checkbox" and f.form == "prior_therapy":
                    for code, _ in f.choices:
                        base.setdefault(checkbox_column(f.name, code), "0")
            (vital,) = mine["vital_status"]
            base |= {
                "last_known_alive_date": _iso(vital["last_known_alive_date"]),
                "vital_notes": f"Seen by Dr. {p.get('patient_name', '').split(' ')[-1]}; next visit planned",
                "vital_status_complete": "2",
            }
            # the death form: filled in for the dead, never started (status 0, every box 0) for the living
            died = vital["death_date"] != ""
            cause = str(1 + int(self.rng.integers(0, 4))) if died else ""
            base["death_date"] = _iso(vital["death_date"])
            for code, _ in self.fields["death_cause"].choices:
                base[checkbox_column("death_cause", code)] = "1" if code == cause else "0"
            base["death_complete"] = "2" if died else "0"
            yield base
            yield from self._repeats(pid, base["redcap_data_access_group"], mine, extent)

    def _repeats(
        self, pid: str, dag: str, mine: dict[str, list[Record]], extent: dict[str, str]
    ) -> Iterator[Record]:
        def instance(form: str, n: int, values: Record) -> Record:
            return {
                "record_id": pid,
                "redcap_repeat_instrument": form,
                "redcap_repeat_instance": str(n),
                "redcap_data_access_group": dag,
                **values,
                f"{form}_complete": "2",
            }

        for n, row in enumerate(mine.get("performance_status", []), start=1):
            yield instance("ecog", n, {"ecog_date": _iso(row["assessment_date"]), "ecog": row["ecog"]})
        for n, group in enumerate(_metastasis_instances(mine.get("metastases", [])), start=1):
            values: Record = {"met_date": _iso(group[0]["assessment_date"])}
            for f in self.fields["met_site"].choices:
                values[checkbox_column("met_site", f[0])] = "0"
            for row in group:
                code = self.code("met_site", "metastases", "site", row["site"])
                values[checkbox_column("met_site", code)] = "1"
                if row["site"] == "bone":
                    values["met_bone_extent"] = self.missing(extent.get(row["extent"], ""), "UNK", 0.5)
            yield instance("metastases", n, values)
        for n, row in enumerate(mine.get("rlt_cycles", []), start=1):
            yield instance(
                "rlt_cycle",
                n,
                {
                    "cycle_date": _iso(row["administration_date"]),
                    "radioligand": self.code("radioligand", "rlt_cycles", "radioligand", row["radioligand"]),
                    "activity": _dot(row["activity"]),
                    "activity_unit": self.code(
                        "activity_unit", "rlt_cycles", "activity_unit", row["activity_unit"]
                    ),
                    "series": row["series"],
                },
            )
        for n, row in enumerate(mine.get("lab_results", []), start=1):
            yield instance(
                "lab_result",
                n,
                {
                    "lab_date": _iso(row["sample_date"]),
                    "lab_analyte": self.code("lab_analyte", "lab_results", "analyte", row["analyte"]),
                    "lab_value": _dot(row["value"]),
                    "lab_unit": self.code("lab_unit", "lab_results", "unit", row["unit"]),
                    "lab_ref_low": _dot(row["ref_low"]),
                    "lab_ref_high": _dot(row["ref_high"]),
                },
            )
        for n, row in enumerate(mine.get("adverse_events", []), start=1):
            yield instance(
                "adverse_event",
                n,
                {
                    "ae_date": _iso(row["assessment_date"]),
                    "ae_term": self.code("ae_term", "adverse_events", "term", row["term"]),
                    "ae_grade": row["grade"],
                },
            )


def _metastasis_instances(rows: list[Record]) -> Iterator[list[Record]]:
    """One imaging instance per date; a site seen twice on one date starts another instance."""
    group: list[Record] = []
    for row in rows:
        if group and (
            row["assessment_date"] != group[0]["assessment_date"]
            or any(g["site"] == row["site"] for g in group)
        ):
            yield group
            group = []
        group.append(row)
    if group:
        yield group
