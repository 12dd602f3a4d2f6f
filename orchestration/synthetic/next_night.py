"""The next night's export of a registry: what `rlt demo --nights N` refreshes after the first night.

A plausible next full snapshot, made from the previous export's files: half of the rows that were
quarantined last night are corrected (deleted), a few new problems appear (an unparseable activity, an
unknown lab unit, an orphan ECOG row), the lab file comes re-sorted (so line numbers move), a few alive
patients are recorded dead on their last-known-alive date, and a few new patients arrive (copies of
treated patients under new ids, at the same site). Same data cut-off; exported a day later.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

# quarantined rows of these files are edits of a patient's own row (or duplicate ids): left as they are
_NOT_DELETED = {"patients.csv", "vital_status.csv"}


def _date(text: str) -> dt.date | None:
    """An ISO or DD.MM.YYYY date (the contract's two formats), else None."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class _CsvFile:
    """A CSV of the export as header + rows of text, written back in its own delimiter and BOM."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        self.bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        first = text.split("\n", 1)[0]
        self.delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter))
        self.header, self.rows = rows[0], rows[1:]

    def index(self, column: str) -> int:
        return [h.strip().lower() for h in self.header].index(column)

    def write(self, path: Path) -> int:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        path.write_bytes((b"\xef\xbb\xbf" if self.bom else b"") + buffer.getvalue().encode("utf-8"))
        return len(self.rows)


def next_night(
    previous: Path,
    out_dir: Path,
    quarantined_lines: Iterable[tuple[str, int]],
    *,
    night: int = 2,
    seed: int = 0,
    new_patients: int = 5,
    deaths: int = 3,
) -> Path:
    """Write the export of the night after `previous` into `out_dir`; return it.

    `quarantined_lines` are (file, line number) of the rows that the previous export's refresh set aside
    (header = line 1), e.g. read from the published warehouse's quarantine tables."""
    rng = np.random.default_rng([seed, night])
    manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {name: _CsvFile(previous / name) for name in manifest["files"]}

    # half of last night's quarantined rows are corrected by deleting them (every other one, in order)
    by_file: dict[str, set[int]] = {}
    for position, (name, line) in enumerate(sorted(set(quarantined_lines))):
        if name in files and name not in _NOT_DELETED and position % 2 == 0:
            by_file.setdefault(name, set()).add(line)
    for name, lines in by_file.items():
        files[name].rows = [r for i, r in enumerate(files[name].rows, start=2) if i not in lines]

    patients = files["patients.csv"]
    pid = patients.index("patient_id")
    treated = {r[files["rlt_cycles.csv"].index("patient_id")] for r in files["rlt_cycles.csv"].rows}
    consent = patients.index("consent_data_use")
    candidates = [r[pid] for r in patients.rows if r[pid] in treated and r[consent].strip().lower() == "yes"]
    counts = {r[pid]: 0 for r in patients.rows}
    for r in patients.rows:
        counts[r[pid]] += 1
    candidates = [p for p in candidates if counts[p] == 1]

    # new patients: a treated patient's rows in every file, under a new id
    for source in candidates[:new_patients]:
        new_id = f"{source}-N{night}"
        for f in files.values():
            column = f.index("patient_id")
            f.rows += [
                [new_id if i == column else v for i, v in enumerate(r)] for r in f.rows if r[column] == source
            ]

    # deaths recorded on the last-known-alive date of a few patients alive last night
    vital = files["vital_status.csv"]
    vid, alive, death = (vital.index(c) for c in ("patient_id", "last_known_alive_date", "death_date"))
    cutoff = dt.date.fromisoformat(manifest["data_cutoff"])
    recorded, may_die = 0, set(candidates[new_patients:])
    for r in vital.rows:
        seen = _date(r[alive])
        if r[vid] in may_die and not r[death].strip() and seen and seen <= cutoff:
            r[death] = r[alive]
            recorded += 1
            if recorded == deaths:
                break

    # new problems
    cycles = files["rlt_cycles.csv"]
    if cycles.rows:
        bad = list(cycles.rows[0])  # an original row: the new patients come last
        bad[cycles.index("activity")] = "7.4 GBq?"
        cycles.rows.append(bad)
    labs = files["lab_results.csv"]
    if labs.rows:
        bad = list(labs.rows[0])
        bad[labs.index("unit")] = "mg/dl/h"
        labs.rows.insert(len(labs.rows) // 2, bad)
        # the lab system re-sorts its file: every line number moves
        order = rng.permutation(len(labs.rows))
        labs.rows = [labs.rows[i] for i in order]
    ecog = files["performance_status.csv"]
    if ecog.rows:
        orphan = list(ecog.rows[0])
        orphan[ecog.index("patient_id")] = f"UNKNOWN-{night}"
        ecog.rows.append(orphan)

    listing = {}
    for name, f in files.items():
        rows = f.write(out_dir / name)
        listing[name] = {"sha256": hashlib.sha256((out_dir / name).read_bytes()).hexdigest(), "rows": rows}
    exported = dt.datetime.fromisoformat(manifest["exported_at"].replace("Z", "+00:00")) + dt.timedelta(
        days=1
    )
    manifest |= {
        "export_id": f"{manifest['export_id'].split('-night')[0]}-night{night}",
        "exported_at": exported.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": listing,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out_dir
