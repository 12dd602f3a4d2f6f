"""`load_export`: read, verify, validate and load one registry export into a fresh build database.

Order of work (so that a failing export writes nothing):
1. open the folder or zip, read the manifest, read every listed file, checking sha256, row count and
   required tables/columns: any failure raises ExportError before anything is written;
2. validate in memory, table by table: consent first, then row checks, then duplicates;
3. write raw.*, quarantine.* and audit.* in one transaction.

Order of the checks per row (each input row gets exactly one outcome, so for every file
rows_read = rows_loaded + rows_quarantined + rows_duplicate + rows_excluded_consent):
1. consent: every row whose patient_id belongs to a patient with consent_data_use = "no" (any copy, any
   case) is excluded from every table, counted, never stored;
2. validation (see validation.py for its order; includes orphans and the rules across tables); the first
   failing check is the row's reason and the row goes to quarantine;
3. exact duplicates among the remaining rows (same parsed values) are kept once (first line), the other
   copies counted as rows_duplicate. In patients, any repeated patient_id is a quarantine reason instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from orchestration.contract.tables import (
    LINEAGE_COLUMNS,
    MANIFEST_COLUMNS,
    TABLES,
    quarantine_columns,
    raw_columns,
)
from orchestration.ingest.archive import open_export
from orchestration.ingest.errors import ExportError
from orchestration.ingest.manifest import Manifest, read_manifest
from orchestration.ingest.parsing import clean
from orchestration.ingest.pseudonym import pseudonymise_files
from orchestration.ingest.reading import LINE, TableFile, read_table_file
from orchestration.ingest.summary import FileCounts, LoadSummary
from orchestration.ingest.validation import COLUMN, PID, REASON, CrossTable, typed, validate
from orchestration.ingest.writing import write_table

EXPORT_LOADS_COLUMNS: list[tuple[str, str]] = [
    ("export_id", "VARCHAR"),
    ("file", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("rows_duplicate", "BIGINT"),
    ("rows_excluded_consent", "BIGINT"),
    ("rows_after_cutoff", "BIGINT"),
    ("loaded_at", "TIMESTAMP"),
]
QUARANTINE_SUMMARY_COLUMNS: list[tuple[str, str]] = [
    ("export_id", "VARCHAR"),
    ("file", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("n_rows", "BIGINT"),
]
UNKNOWN_COLUMNS_COLUMNS: list[tuple[str, str]] = [
    ("export_id", "VARCHAR"),
    ("file", "VARCHAR"),
    ("column_name", "VARCHAR"),
]
# Tables validated after the ones whose facts they need (patients -> rlt_cycles -> vital_status).
_ORDER = (
    "patients",
    "rlt_cycles",
    "vital_status",
    "performance_status",
    "prior_therapies",
    "metastases",
    "lab_results",
    "adverse_events",
)


# Tables are validated in slices of this many rows, each slice cut down to the columns the writer needs
# before the next one: without it, validating 10 M lab rows held ~1 kB per row of helper columns at once.
VALIDATION_CHUNK_ROWS = 250_000


@dataclass(frozen=True)
class _Outcome:
    file: TableFile  # its frame is emptied once validated (memory); rows_read keeps the count
    checked: pl.DataFrame  # rows that passed validation (minus consent exclusions); _status loaded|duplicate
    quarantined: pl.DataFrame  # rows that failed, with reason and their exported text
    excluded_consent: int
    rows_read: int


def load_export(
    export_path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    progress: Callable[[str], None] | None = None,
    max_unpacked_bytes: int = 20 * 2**30,
) -> LoadSummary:
    """Load one export into `con` (a fresh build database). Raises ExportError if it fails as a whole."""
    say = progress or (lambda _msg: None)
    with open_export(Path(export_path), max_unpacked_bytes) as folder:
        manifest = read_manifest(folder)
        say(f"export {manifest.export_id}: manifest read, {len(manifest.files)} table files")
        _check_file_set(folder, manifest)
        files: dict[str, TableFile] = {}
        for name in _ORDER:
            if name in manifest.files:
                say(f"reading {manifest.files[name].file}")
                files[name] = read_table_file(folder, manifest.files[name], TABLES[name])

    files = pseudonymise_files(files)  # no-op unless RLT_PSEUDONYM_KEY is set
    outcomes = _validate_all(files, manifest, say)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    summary = _summarise(manifest, outcomes, files)
    say("writing raw, quarantine and audit tables")
    _write_all(con, manifest, outcomes, summary, loaded_at)
    say(f"export {manifest.export_id} loaded")
    return summary


def _check_file_set(folder: Path, manifest: Manifest) -> None:
    for table in TABLES.values():
        if table.required and table.name not in manifest.files:
            raise ExportError(
                f"manifest.json: required table {table.name} missing (no {table.name}.csv or .parquet)"
            )
    listed = {e.file for e in manifest.files.values()}
    for path in sorted(folder.iterdir()):
        stem, _, ext = path.name.rpartition(".")
        if stem.lower() in TABLES and ext.lower() in ("csv", "parquet") and path.name not in listed:
            raise ExportError(
                f"{path.name}: table file not listed in manifest.json (its checksum cannot be verified)"
            )


def _validate_all(
    files: dict[str, TableFile], manifest: Manifest, say: Callable[[str], None]
) -> dict[str, _Outcome]:
    patients = files["patients"].frame
    refused = (
        patients.filter(clean(pl.col("consent_data_use")).str.to_lowercase() == "no")
        .select(clean(pl.col("patient_id")).drop_nulls())
        .to_series()
    )

    horizon = min(manifest.data_cutoff, manifest.exported_at.date())
    cross = CrossTable()
    outcomes: dict[str, _Outcome] = {}
    for name in _ORDER:
        if name not in files:
            continue
        tf = files[name]
        say(f"validating {tf.entry.file}")
        excluded = clean(pl.col("patient_id")).is_in(refused.implode()).fill_null(False)
        rows_read = tf.frame.height
        valid, quarantined, n_excluded = _validate_in_chunks(tf, cross, excluded)
        # the text as read is no longer needed (the two frames hold what raw/quarantine need): let it go
        # before the duplicate search, which is where the memory of a 10 M row table peaks
        files[name] = tf = replace(tf, frame=tf.frame.clear())
        checked = _with_status(valid, name, horizon)
        del valid
        outcomes[name] = _Outcome(tf, checked, quarantined, n_excluded, rows_read)
        loadable = checked
        if name == "patients":
            cross = replace(
                cross,
                known_patients=loadable.get_column(PID),
                birth_dates=loadable.select(PID, pl.col(typed("birth_date")).alias("_birth_date")),
            )
        elif name == "rlt_cycles":
            cross = replace(
                cross,
                first_cycles=loadable.group_by(PID).agg(
                    pl.col(typed("administration_date")).min().alias("_first_cycle")
                ),
            )
    return outcomes


def _validate_in_chunks(
    tf: TableFile, cross: CrossTable, excluded: pl.Expr
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """validate() of the rows not `excluded` (consent), slice by slice so that validation's helper
    columns exist for one slice at a time. Returns (valid rows in line order, with the columns raw needs;
    quarantined rows with reason and exported text; number excluded). patients is validated whole:
    duplicate patient_id is a check across all of its rows."""
    whole = tf.table.name == "patients" or tf.frame.height <= VALIDATION_CHUNK_ROWS
    chunks = [tf.frame] if whole else tf.frame.iter_slices(VALIDATION_CHUNK_ROWS)
    table = tf.table
    typed_cols = [typed(c) for c in table.column_names]
    # _pid (same values as t__patient_id) is kept only where later tables need it as a cross-table fact
    pid = [PID] if table.name in ("patients", "rlt_cycles") else []
    if table.name == "lab_results":
        typed_cols += ["t__value_qualifier", "value"]  # raw keeps the exported cell as value_text
    valid: list[pl.DataFrame] = []
    invalid: list[pl.DataFrame] = []
    n_excluded = 0
    for chunk in chunks:
        n_excluded += chunk.select(excluded.sum()).item()
        checked = validate(replace(tf, frame=chunk.filter(~excluded)), cross)
        ok = pl.col(REASON).is_null()
        valid.append(checked.filter(ok).select(LINE, *pid, *typed_cols))
        invalid.append(checked.filter(~ok).select(LINE, PID, REASON, COLUMN, *table.column_names))
        del checked
    return (
        pl.concat(valid, how="vertical", rechunk=False),
        pl.concat(invalid, how="vertical", rechunk=False),
        n_excluded,
    )


def _with_status(df: pl.DataFrame, table: str, horizon: object) -> pl.DataFrame:
    """Valid rows (in line order) with _status: a later exact copy of an earlier row is a duplicate."""
    spec = TABLES[table]
    keys = [typed(c) for c in spec.column_names] + (["t__value_qualifier"] if table == "lab_results" else [])
    # only valid rows are compared, so a quarantined row can never shadow a valid one
    df = df.with_columns(_later_copy(df, keys).alias("_later_copy"))
    df = df.with_columns(
        pl.when(pl.lit(table != "patients") & pl.col("_later_copy"))
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("loaded"))
        .alias("_status")
    )
    late = [pl.col(typed(c)) > pl.lit(horizon, pl.Date) for c in spec.event_date_columns]
    after = pl.any_horizontal(late).fill_null(False) if late else pl.lit(False)
    return df.with_columns(after.alias("after_cutoff"))


def _later_copy(df: pl.DataFrame, keys: list[str]) -> pl.Series:
    """True for every row identical (on `keys`) to an earlier row. A 64-bit hash finds the candidates
    cheaply; the exact comparison runs only on rows whose hash repeats, so a collision cannot drop a row."""
    hashed = df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), *keys).with_columns(
        pl.struct(keys).hash().alias("_h")
    )
    candidates = hashed.filter(pl.col("_h").is_duplicated())
    later = candidates.filter(~pl.struct(keys).is_first_distinct()).get_column("_i")
    return hashed.get_column("_i").is_in(later.implode())


def _summarise(manifest: Manifest, outcomes: dict[str, _Outcome], files: dict[str, TableFile]) -> LoadSummary:
    counts: dict[str, FileCounts] = {}
    quarantined: dict[tuple[str, str], int] = {}
    for name, o in outcomes.items():
        status = pl.col("_status")
        # sums over the frame, not a filtered copy of it (10 M lab rows)
        n_loaded, n_duplicate, n_after = o.checked.select(
            (status == "loaded").sum().alias("loaded"),
            (status == "duplicate").sum().alias("duplicate"),
            ((status == "loaded") & pl.col("after_cutoff")).sum().alias("after_cutoff"),
        ).row(0)
        counts[o.file.entry.file] = FileCounts(
            file=o.file.entry.file,
            table=name,
            sha256=o.file.entry.sha256,
            rows_read=o.rows_read,
            rows_loaded=int(n_loaded),
            rows_quarantined=o.quarantined.height,
            rows_duplicate=int(n_duplicate),
            rows_excluded_consent=o.excluded_consent,
            rows_after_cutoff=int(n_after),
        )
        by_reason = (
            o.quarantined.group_by(pl.col(REASON).str.split(":").list.first().alias("code"))
            .len()
            .sort("code")
        )
        for code, n in by_reason.iter_rows():
            quarantined[(o.file.entry.file, code)] = n
    return LoadSummary(
        export_id=manifest.export_id,
        data_cutoff=manifest.data_cutoff,
        files=counts,
        quarantined=quarantined,
        unknown_columns={tf.entry.file: tf.unknown_columns for tf in files.values()},
        missing_optional_tables=tuple(t for t in TABLES if t not in files),
        ignored_files=manifest.ignored_files,
    )


def _raw_frame(o: _Outcome, export_id: str) -> pl.DataFrame:
    cols: list[pl.Expr] = []
    for name, _ in raw_columns(TABLES[o.file.table.name]):
        if name == "value_text":
            cols.append(pl.col("value").alias(name))  # the cell as exported
        elif name == "value_qualifier":
            cols.append(pl.col("t__value_qualifier").alias(name))
        elif name == "after_cutoff":
            cols.append(pl.col("after_cutoff"))
        elif name in LINEAGE_COLUMNS:
            cols.append(_lineage(name, o, export_id))
        else:
            cols.append(pl.col(typed(name)).alias(name))
    has_duplicates = o.checked.select((pl.col("_status") != "loaded").any()).item()
    # usually every valid row loads: select without a filtered copy of 10 M rows then
    return (o.checked.filter(pl.col("_status") == "loaded") if has_duplicates else o.checked).select(cols)


def _quarantine_frame(o: _Outcome, export_id: str) -> pl.DataFrame:
    cols: list[pl.Expr] = []
    for name, _ in quarantine_columns(o.file.table):
        if name == "column_name":
            cols.append(pl.col(COLUMN).alias(name))
        elif name == "reason":
            cols.append(pl.col(REASON).alias(name))
        elif name in LINEAGE_COLUMNS:
            cols.append(_lineage(name, o, export_id))
        else:
            cols.append(pl.col(name))  # the contract column as exported text
    return o.quarantined.select(cols)


def _lineage(name: str, o: _Outcome, export_id: str) -> pl.Expr:
    if name == "export_id":
        return pl.lit(export_id, pl.String).alias(name)
    if name == "source_file":
        return pl.lit(o.file.entry.file, pl.String).alias(name)
    return pl.col(LINE).alias(name)


def _write_all(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    outcomes: dict[str, _Outcome],
    summary: LoadSummary,
    loaded_at: datetime,
) -> None:
    export_id = manifest.export_id
    con.execute("BEGIN TRANSACTION")
    try:
        for schema in ("raw", "quarantine", "audit"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        write_table(
            con,
            "raw.export_manifest",
            MANIFEST_COLUMNS,
            pl.DataFrame(
                [
                    {
                        "export_id": export_id,
                        "registry": manifest.registry,
                        "schema_version": manifest.schema_version,
                        "exported_at": manifest.exported_at,
                        "data_cutoff": manifest.data_cutoff,
                    }
                ]
            ),
        )
        for name, table in TABLES.items():
            o = outcomes.get(name)
            raw_cols, q_cols = raw_columns(table), quarantine_columns(table)
            empty_raw = pl.DataFrame(schema=[n for n, _ in raw_cols])
            empty_q = pl.DataFrame(schema=[n for n, _ in q_cols])
            write_table(con, f"raw.{name}", raw_cols, _raw_frame(o, export_id) if o else empty_raw)
            write_table(con, f"quarantine.{name}", q_cols, _quarantine_frame(o, export_id) if o else empty_q)
        loads = (
            pl.DataFrame(
                [
                    {
                        "export_id": export_id,
                        **{
                            k: getattr(c, k)
                            for k in (
                                "file",
                                "sha256",
                                "rows_read",
                                "rows_loaded",
                                "rows_quarantined",
                                "rows_duplicate",
                                "rows_excluded_consent",
                                "rows_after_cutoff",
                            )
                        },
                        "loaded_at": loaded_at,
                    }
                    for c in summary.files.values()
                ],
                schema=[n for n, _ in EXPORT_LOADS_COLUMNS],
            )
            if summary.files
            else pl.DataFrame(schema=[n for n, _ in EXPORT_LOADS_COLUMNS])
        )
        write_table(con, "audit.export_loads", EXPORT_LOADS_COLUMNS, loads)
        reasons = pl.DataFrame(
            [(export_id, f, r, n) for (f, r), n in summary.quarantined.items()],
            schema=[n for n, _ in QUARANTINE_SUMMARY_COLUMNS],
            orient="row",
        )
        write_table(con, "audit.quarantine_summary", QUARANTINE_SUMMARY_COLUMNS, reasons)
        unknown = pl.DataFrame(
            [(export_id, f, c) for f, names in summary.unknown_columns.items() for c in names],
            schema=[n for n, _ in UNKNOWN_COLUMNS_COLUMNS],
            orient="row",
        )
        write_table(con, "audit.unknown_columns", UNKNOWN_COLUMNS_COLUMNS, unknown)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
