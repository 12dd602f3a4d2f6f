"""Write a synthetic registry export folder: one CSV per contract table plus manifest.json.

Deterministic per seed: every random draw comes from a numpy Generator seeded with (seed, stream), the
cut-off and export timestamp are derived from the seed (never the clock), rows are written in a fixed
order, and numbers are formatted by integer arithmetic. Same seed, same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from orchestration.contract.tables import SCHEMA_VERSION, TABLES
from orchestration.synthetic import clinical
from orchestration.synthetic import formatting as fmt
from orchestration.synthetic.bad_rows import BadRowContext, inject
from orchestration.synthetic.cohort import draw_cohort
from orchestration.synthetic.labs import LAB_FORMAT, lab_block
from orchestration.synthetic.treatment import draw_cycles

REGISTRY = "REALITY-SYNTH"
LAB_BLOCK_PATIENTS = 20_000  # lab rows are generated and written per block of patients (bounded memory)
_LATEST_CUTOFF = dt.date(2024, 9, 15)
_EPOCH = dt.date(1970, 1, 1)

# random streams; a new stream number for anything new keeps the existing tables unchanged
_COHORT, _CYCLES, _PATIENTS, _ECOG, _PRIOR, _METS, _AE, _VITAL, _LABS, _BAD_CONTEXT, _BAD = range(1, 12)


def export_dates(seed: int) -> tuple[dt.date, str]:
    """(data_cutoff, exported_at) for a seed: a cut-off within the year before 2024-09-15, exported the
    next night at 02:00 UTC."""
    cutoff = _LATEST_CUTOFF - dt.timedelta(days=seed % 366)
    exported_at = f"{(cutoff + dt.timedelta(days=1)).isoformat()}T02:00:00Z"
    return cutoff, exported_at


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _write(
    path: Path,
    frame: pl.DataFrame,
    file_format: fmt.FileFormat,
    header: dict[str, str] | None = None,
    append: bool = False,
) -> None:
    if header:
        frame = frame.rename(header)
    with open(path, "ab" if append else "wb") as f:
        if file_format.bom and not append:
            f.write(b"\xef\xbb\xbf")
        frame.write_csv(
            f,
            separator=file_format.separator,
            include_header=not append,
            null_value="",
            quote_style="necessary",
            line_terminator="\n",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def generate_export(out_dir: Path, patients: int, seed: int, bad_rows_rate: float = 0.0) -> Path:
    """Write a synthetic export of `patients` patients into `out_dir` (created if needed) and return it.

    `bad_rows_rate` R in [0, 1) adds about R x rows invalid rows per table, of every row-level kind the
    export contract lists; R = 0 gives an export that loads with an empty quarantine.
    """
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if not 0.0 <= bad_rows_rate < 1.0:
        raise ValueError(f"bad_rows_rate must be in [0, 1), got {bad_rows_rate}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cutoff, exported_at = export_dates(seed)
    cutoff_day = (cutoff - _EPOCH).days

    cohort = draw_cohort(_rng(seed, _COHORT), patients, cutoff_day)
    cycles = draw_cycles(_rng(seed, _CYCLES), cohort)
    ctx = BadRowContext.build(_rng(seed, _BAD_CONTEXT), cohort, bad_rows_rate)

    small_tables: dict[str, tuple[Callable[[], pl.DataFrame], fmt.FileFormat, dict[str, str] | None]] = {
        "patients": (lambda: clinical.patients(_rng(seed, _PATIENTS), cohort), fmt.FileFormat(), None),
        "performance_status": (
            lambda: clinical.performance_status(_rng(seed, _ECOG), cohort, cycles),
            clinical.PERFORMANCE_FORMAT,
            None,
        ),
        "prior_therapies": (
            lambda: clinical.prior_therapies(_rng(seed, _PRIOR), cohort),
            fmt.FileFormat(),
            None,
        ),
        "metastases": (lambda: clinical.metastases(_rng(seed, _METS), cohort), fmt.FileFormat(), None),
        "rlt_cycles": (lambda: clinical.rlt_cycles(cohort, cycles), fmt.FileFormat(), None),
        "adverse_events": (
            lambda: clinical.adverse_events(_rng(seed, _AE), cohort, cycles),
            fmt.FileFormat(),
            None,
        ),
        "vital_status": (
            lambda: clinical.vital_status(_rng(seed, _VITAL), cohort, cycles),
            fmt.FileFormat(),
            clinical.VITAL_STATUS_HEADER,
        ),
    }
    rows: dict[str, int] = {}
    for stream, (table, (build, file_format, header)) in enumerate(small_tables.items()):
        frame = inject(table, build(), ctx, _rng(seed, _BAD, stream), bad_rows_rate, file_format)
        _write(out_dir / f"{table}.csv", frame, file_format, header)
        rows[table] = frame.height

    lab_path = out_dir / "lab_results.csv"
    rows["lab_results"] = 0
    for block, lo in enumerate(range(0, patients, LAB_BLOCK_PATIENTS)):
        hi = min(lo + LAB_BLOCK_PATIENTS, patients)
        frame = lab_block(_rng(seed, _LABS, block), cohort, cycles, lo, hi)
        frame = inject(
            "lab_results",
            frame,
            ctx,
            _rng(seed, _BAD, 100 + block),
            bad_rows_rate,
            LAB_FORMAT,
            at_least_one=block == 0,
        )
        _write(lab_path, frame, LAB_FORMAT, append=block > 0)
        rows["lab_results"] += frame.height

    files = {
        f"{table}.csv": {"sha256": _sha256(out_dir / f"{table}.csv"), "rows": rows[table]} for table in TABLES
    }
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "registry": REGISTRY,
        "export_id": f"reality-synth-{cutoff.isoformat()}-seed{seed}",
        "exported_at": exported_at,
        "data_cutoff": cutoff.isoformat(),
        "files": files,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out_dir
