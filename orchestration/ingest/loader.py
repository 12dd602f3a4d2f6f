"""`load_export`: read, verify, validate and load one registry export into a fresh build database.

Order of work (so that a failing export writes nothing):
1. open the folder or zip, read the manifest, read every listed file (two at a time), checking sha256, row
   count and required tables/columns: any failure raises ExportError before anything is written. `rlt
   refresh` starts this read ahead, on a thread, while it loads Dagster (read_ahead.py);
2. validate in memory, table by table: consent first, then row checks, then duplicates;
3. write raw.* and quarantine.* on a writer thread, each table as soon as it is validated (while the next
   one is validated: the two share the machine's cores), then audit.*.

Order of the checks per row (each input row gets exactly one outcome, so for every file
rows_read = rows_loaded + rows_quarantined + rows_duplicate + rows_excluded_consent):
1. consent: only an explicit `yes` (trimmed, any case; a Parquet boolean true) is consent. A patients
   row with any other value (empty included), or whose fields cannot be assigned to columns (ragged),
   is excluded, and so is every row of its patient_id in every table (any copy): counted per consent
   value in audit.consent_exclusions, never stored;
2. validation (see validation.py for its order; includes orphans and the rules across tables); the first
   failing check is the row's reason and the row goes to quarantine;
3. exact duplicates among the remaining rows (same parsed values) are kept once (first line), the other
   copies counted as rows_duplicate. In patients, any repeated patient_id is a quarantine reason instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from queue import SimpleQueue
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from orchestration.contract.tables import (
    LINEAGE_COLUMNS,
    MANIFEST_COLUMNS,
    TABLES,
    Table,
    quarantine_columns,
    raw_columns,
    validation_order,
)
from orchestration.ingest import read_ahead
from orchestration.ingest.archive import open_export
from orchestration.ingest.errors import ExportError
from orchestration.ingest.manifest import Manifest, read_manifest
from orchestration.ingest.parsing import clean
from orchestration.ingest.pseudonym import pseudonymise_files
from orchestration.ingest.reading import LINE, N_FIELDS, TableFile, read_table_file, registry_time_zone
from orchestration.ingest.summary import FileCounts, LoadSummary
from orchestration.ingest.validation import AGE, COLUMN, PID, RAGGED, REASON, CrossTable, typed, validate
from orchestration.ingest.writing import INSERT_CHUNK_ROWS, create_table, insert_frame, write_table

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
CONSENT_EXCLUSIONS_COLUMNS: list[tuple[str, str]] = [
    ("export_id", "VARCHAR"),
    ("file", "VARCHAR"),
    ("consent_value", "VARCHAR"),
    ("n_rows", "BIGINT"),
]
# consent_value of a patients row whose fields cannot be assigned to columns: its consent is unreadable
UNREADABLE_CONSENT = "(unreadable: wrong field count)"
_CONSENT = "_consent"  # the consent value that excludes the row's patient; null: not excluded
DUPLICATE = "_duplicate"  # a valid row that is an exact copy of an earlier one: counted, not loaded


# Tables are validated in slices of this many rows, each slice cut down to the columns the writer needs
# before the next one: without it, validating 10 M lab rows held ~1 kB per row of helper columns at once.
VALIDATION_CHUNK_ROWS = 250_000
MAX_UNPACKED_BYTES = 20 * 2**30  # a zip that unpacks to more is refused
HASH_SLICE_ROWS = 1_000_000  # rows hashed at once in the search for exact duplicates


@dataclass(frozen=True)
class _Outcome:
    file: TableFile  # without its parts once validated (memory); rows_read keeps the count
    checked: pl.DataFrame  # rows that passed validation (minus consent exclusions); _duplicate
    quarantined: pl.DataFrame  # rows that failed, with reason and their exported text
    excluded_consent: dict[str, int]  # consent value of the excluded rows' patient -> rows
    rows_read: int


def load_export(
    export_path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    progress: Callable[[str], None] | None = None,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> LoadSummary:
    """Load one export into `con` (a fresh build database). Raises ExportError if it fails as a whole."""
    say = progress or (lambda _msg: None)
    ahead = read_ahead.take(Path(export_path), max_unpacked_bytes)
    if ahead is not None:
        manifest, files = ahead.manifest, ahead.files
        say(f"export {manifest.export_id}: {len(files)} table files read ahead")
    else:
        manifest, files = read_export(Path(export_path), max_unpacked_bytes, say)
    files = pseudonymise_files(files)  # no-op unless RLT_PSEUDONYM_KEY is set
    _write_manifest(con, manifest)
    writer = _TableWriter(con, manifest.export_id)
    tallies: dict[str, _Tally] = {}
    try:
        for name, outcome in _validate_each(files, manifest, say):
            tallies[name] = _tally(name, outcome)
            writer.put(name, outcome)
            del outcome  # the writer holds it until written
    except BaseException:
        writer.close(raise_error=False)  # the validation's error is the one to report
        raise
    say("writing raw, quarantine and audit tables")
    writer.put_missing(n for n in TABLES if n not in files)
    writer.close()
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    summary = _summarise(manifest, tallies, files)
    _write_audit(con, manifest, summary, loaded_at)
    say(f"export {manifest.export_id} loaded")
    return summary


def read_export(
    export_path: Path, max_unpacked_bytes: int = MAX_UNPACKED_BYTES, say: Callable[[str], None] | None = None
) -> tuple[Manifest, dict[str, TableFile]]:
    """The manifest and every listed file, read and checked (sha256, rows, required tables and columns):
    any failure raises ExportError, before anything is written."""
    say = say or (lambda _msg: None)
    with open_export(export_path, max_unpacked_bytes) as folder:
        manifest = read_manifest(folder)
        say(f"export {manifest.export_id}: manifest read, {len(manifest.files)} table files")
        _check_file_set(folder, manifest)
        return manifest, _read_all(folder, manifest, say)


def _read_all(folder: Path, manifest: Manifest, say: Callable[[str], None]) -> dict[str, TableFile]:
    """Every listed file, read two at a time, the largest first (reading one file keeps about one core
    busy): at 100,000 patients the lab file alone takes as long as all the others. The first failure in
    validation order is the one raised, as when the files were read one by one."""
    names = [n for n in validation_order() if n in manifest.files]
    for name in names:
        say(f"reading {manifest.files[name].file}")

    def size(name: str) -> int:
        path = folder / manifest.files[name].file
        return path.stat().st_size if path.is_file() else 0  # a missing file: read_table_file says so

    largest_first = sorted(names, key=size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            n: pool.submit(read_table_file, folder, manifest.files[n], TABLES[n]) for n in largest_first
        }
        try:
            return {n: futures[n].result() for n in names}
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


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


def _validate_each(
    files: dict[str, TableFile], manifest: Manifest, say: Callable[[str], None]
) -> Iterator[tuple[str, _Outcome]]:
    """Each table's outcome as soon as it is validated: the tables the others are checked against first
    (validation_order), then the rest largest first, so that the largest table is written while the
    others are validated."""
    subject = next(t for t in TABLES.values() if t.subject)
    refusals = _refusals(files[subject.name])
    latest = manifest.exported_at.replace(tzinfo=UTC).astimezone(ZoneInfo(registry_time_zone())).date()
    horizon = min(manifest.data_cutoff, latest)
    cross = CrossTable(latest_date=latest)
    order = validation_order()
    first = [n for n in order if TABLES[n].subject or TABLES[n].first_cycle_column]
    rest = sorted((n for n in order if n not in first), key=lambda n: -files[n].height if n in files else 0)
    for name in first + rest:
        if name not in files:
            continue
        tf = files[name]
        table = tf.table
        say(f"validating {tf.entry.file}")
        rows_read = tf.height
        # the text as read is handed over piece by piece, each let go once validated (the two frames
        # returned hold what raw/quarantine need): no reference to it stays here
        parts = list(tf.parts)
        files[name] = tf = replace(tf, parts=())
        valid, quarantined, excluded = _validate_in_chunks(tf, parts, cross, _consent_expr(tf, refusals))
        checked = _with_status(valid, table, horizon)
        del valid
        outcome = _Outcome(tf, checked, quarantined, excluded, rows_read)
        if table.subject:
            birth = table.birth_column
            cross = replace(
                cross,
                known_patients=checked.get_column(PID),
                birth_dates=checked.select(PID, pl.col(typed(birth)).alias("_birth_date")) if birth else None,
            )
        if table.first_cycle_column:
            cross = replace(
                cross,
                first_cycles=checked.group_by(PID).agg(
                    pl.col(typed(table.first_cycle_column)).min().alias("_first_cycle")
                ),
            )
        yield name, outcome
        del outcome, checked


def _is_ragged(tf: TableFile) -> pl.Expr:
    return pl.lit(False) if tf.header_fields is None else pl.col(N_FIELDS) != tf.header_fields


# A consent cell shown in audit as it was typed only when it is short and has no blank inside: enough for a
# data manager to see the spelling (`nein`, `No.`, a Cyrillic `nо`), never a name typed into the column.
CONSENT_LABEL_MAX_CHARS = 12


def consent_label(value: str) -> str:
    """How a refusing consent value is shown in audit.consent_exclusions and the summary: non-ASCII
    characters escaped (so a look-alike spelling is visible); other text (blanks inside, long) only as
    its length."""
    if value == UNREADABLE_CONSENT:
        return value
    if len(value) <= CONSENT_LABEL_MAX_CHARS and not any(c.isspace() for c in value):
        return value.encode("ascii", "backslashreplace").decode("ascii")
    return f"(other text, {len(value)} characters)"


def _consent_counts(tallies: Iterable[_Tally]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for o in tallies:
        for value, n in o.excluded_consent.items():
            key = (o.file.entry.file, consent_label(value))
            counts[key] = counts.get(key, 0) + n
    return counts


def _refusals(tf: TableFile) -> dict[str, str]:
    """patient_id -> the consent value that excludes that patient (its first refusing row's): every
    patient with a patients row whose consent is not an explicit yes, or whose row is ragged (its id
    read from the first field, the only one a ragged row is taken at)."""
    labels = tf.frame.select(clean(pl.col("patient_id")).alias("id"), _own_refusal(tf).alias("value")).filter(
        pl.col("id").is_not_null() & pl.col("value").is_not_null()
    )
    return dict(labels.unique("id", keep="first", maintain_order=True).iter_rows())


def _own_refusal(tf: TableFile) -> pl.Expr:
    """A patients row's own consent value when it is not an explicit yes (empty: ""); null when yes."""
    consent = clean(pl.col(tf.table.consent_column or ""))
    return (
        pl.when(_is_ragged(tf))
        .then(pl.lit(UNREADABLE_CONSENT))
        .when(consent.str.to_lowercase() != "yes")
        .then(consent)
        .when(consent.is_null())
        .then(pl.lit(""))
    )


def _consent_expr(tf: TableFile, refusals: dict[str, str]) -> pl.Expr:
    """The consent value that excludes the row (null: the row is not excluded): its patient's refusal,
    and in the patients table also the row's own (a row with an empty patient_id and no yes)."""
    by_patient = clean(pl.col("patient_id")).replace_strict(refusals, default=None, return_dtype=pl.String)
    if tf.table.subject:
        return pl.coalesce(by_patient, _own_refusal(tf))
    return by_patient


def _slices(parts: list[pl.DataFrame], whole: bool) -> Iterator[pl.DataFrame]:
    """The rows of `parts` in line order, in slices of at most VALIDATION_CHUNK_ROWS (one slice when
    `whole`). Consumes `parts`: each part is let go once its last slice is handed out."""
    if whole:
        frame = pl.concat(parts, how="vertical", rechunk=False) if len(parts) > 1 else parts[0]
        parts.clear()
        yield frame
        return
    while parts:
        yield from parts.pop(0).iter_slices(VALIDATION_CHUNK_ROWS)


def _validate_in_chunks(
    tf: TableFile, parts: list[pl.DataFrame], cross: CrossTable, consent: pl.Expr
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """validate() of the rows of `parts` (the file's text, consumed) not excluded for consent, slice by
    slice so that validation's helper columns exist for one slice at a time. Returns (valid rows in line
    order, with the columns raw needs; quarantined rows with reason and exported text; rows excluded per
    consent value). The subject table is validated whole: duplicate patient_id is a check across all of
    its rows."""
    table = tf.table
    chunks = _slices(parts, whole=table.subject or sum(p.height for p in parts) <= VALIDATION_CHUNK_ROWS)
    typed_cols = [typed(c) for c in table.column_names]
    # _pid (same values as t__patient_id) is kept only where later tables need it as a cross-table fact
    keep = [PID] if table.subject or table.first_cycle_column else []
    if table.age_on:
        keep.append(AGE)
    if any(c.type == "lab_value" for c in table.columns):
        typed_cols += ["t__value_qualifier", "value"]  # raw keeps the exported cell as value_text
    # a ragged row's cells cannot be assigned to columns: none of them is kept
    ragged = pl.col(REASON).str.starts_with(RAGGED)
    cells = [pl.when(~ragged).then(pl.col(c)).alias(c) for c in table.column_names]
    valid: list[pl.DataFrame] = []
    invalid: list[pl.DataFrame] = []
    excluded: dict[str, int] = {}
    for chunk in chunks:
        chunk = chunk.with_columns(consent.alias(_CONSENT))
        refused = pl.col(_CONSENT).is_not_null()
        for value, n in chunk.filter(refused).group_by(_CONSENT).len().iter_rows():
            excluded[value] = excluded.get(value, 0) + n
        checked = validate(replace(tf, parts=(chunk.filter(~refused).drop(_CONSENT),)), cross)
        del chunk
        ok = pl.col(REASON).is_null()
        valid.append(checked.filter(ok).select(LINE, *keep, *typed_cols))
        invalid.append(checked.filter(~ok).select(LINE, PID, REASON, COLUMN, *cells))
        del checked
    return (
        pl.concat(valid, how="vertical", rechunk=False),
        pl.concat(invalid, how="vertical", rechunk=False),
        dict(sorted(excluded.items())),
    )


def _with_status(df: pl.DataFrame, spec: Table, horizon: object) -> pl.DataFrame:
    """Valid rows (in line order) with _duplicate: a later exact copy of an earlier row (never in the
    subject table, where a repeated patient_id is already a quarantine reason); and after_cutoff."""
    keys = [typed(c) for c in spec.column_names]
    if any(c.type == "lab_value" for c in spec.columns):
        keys.append("t__value_qualifier")
    # only valid rows are compared, so a quarantined row can never shadow a valid one
    duplicate = pl.lit(False) if spec.subject else _later_copy(df, keys)
    late = [pl.col(typed(c)) > pl.lit(horizon, pl.Date) for c in spec.event_date_columns]
    after = pl.any_horizontal(late).fill_null(False) if late else pl.lit(False)
    return df.with_columns(duplicate.alias(DUPLICATE), after.alias("after_cutoff"))


def _later_copy(df: pl.DataFrame, keys: list[str]) -> pl.Series:
    """True for every row identical (on `keys`) to an earlier row. A 64-bit hash finds the candidates
    cheaply; the exact comparison runs only on rows whose hash repeats, so a collision cannot drop a row.
    Hashed slice by slice: a row hash over all the rows at once encoded every row as bytes first (about
    1 GB more for the 8 M valid lab rows of a national export)."""
    if df.is_empty():
        return pl.Series(DUPLICATE, [], dtype=pl.Boolean)
    hashes = pl.concat(
        [part.select(pl.struct(keys).hash()).to_series() for part in df.iter_slices(HASH_SLICE_ROWS)]
    )
    candidates = hashes.is_duplicated().arg_true()  # row numbers, ascending: the first copy comes first
    del hashes
    first = df[candidates].select(pl.struct(keys).is_first_distinct()).to_series()
    return pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).scatter(candidates.filter(~first), True)


@dataclass(frozen=True)
class _Tally:
    """What the load summary needs of one validated table: counts only, so that its frames can be let go
    once written."""

    file: TableFile
    counts: FileCounts
    quarantined: dict[tuple[str, str], int]  # (file, reason code) -> rows
    excluded_consent: dict[str, int]


def _tally(name: str, o: _Outcome) -> _Tally:
    duplicate = pl.col(DUPLICATE)
    # sums over the frame, not a filtered copy of it (10 M lab rows)
    n_loaded, n_duplicate, n_after = o.checked.select(
        (~duplicate).sum().alias("loaded"),
        duplicate.sum().alias("duplicate"),
        (~duplicate & pl.col("after_cutoff")).sum().alias("after_cutoff"),
    ).row(0)
    counts = FileCounts(
        file=o.file.entry.file,
        table=name,
        sha256=o.file.entry.sha256,
        rows_read=o.rows_read,
        rows_loaded=int(n_loaded),
        rows_quarantined=o.quarantined.height,
        rows_duplicate=int(n_duplicate),
        rows_excluded_consent=sum(o.excluded_consent.values()),
        rows_after_cutoff=int(n_after),
    )
    by_reason = (
        o.quarantined.group_by(pl.col(REASON).str.split(":").list.first().alias("code")).len().sort("code")
    )
    quarantined = {(o.file.entry.file, code): n for code, n in by_reason.iter_rows()}
    return _Tally(o.file, counts, quarantined, o.excluded_consent)


def _summarise(manifest: Manifest, tallies: dict[str, _Tally], files: dict[str, TableFile]) -> LoadSummary:
    ordered = [tallies[n] for n in validation_order() if n in tallies]
    return LoadSummary(
        export_id=manifest.export_id,
        consent_exclusions=_consent_counts(ordered),
        data_cutoff=manifest.data_cutoff,
        files={t.counts.file: t.counts for t in ordered},
        quarantined={k: n for t in ordered for k, n in t.quarantined.items()},
        unknown_columns={tf.entry.file: tf.unknown_columns for tf in files.values()},
        missing_optional_tables=tuple(t for t in TABLES if t not in files),
        ignored_files=manifest.ignored_files,
    )


def _raw_parts(o: _Outcome, export_id: str) -> Iterator[pl.DataFrame]:
    """The rows of raw.<table> but its constant lineage (`_constant_lineage`), slice by slice: each slice
    selected (and filtered when some row is a duplicate) on its own, so that no second copy of a 10 M row
    table exists while it is written."""
    has_duplicates = o.checked.select(pl.col(DUPLICATE).any()).item()
    cols = _raw_columns(o, export_id)
    for part in o.checked.iter_slices(INSERT_CHUNK_ROWS):
        yield (part.filter(~pl.col(DUPLICATE)) if has_duplicates else part).select(cols)


def _constant_lineage(o: _Outcome, export_id: str) -> dict[str, str]:
    """The lineage columns that hold one value for the whole file: written as query parameters (a column of
    7.8 M equal strings cost 0.4 s to convert and insert at 100,000 patients)."""
    return {"export_id": export_id, "source_file": o.file.entry.file}


def _raw_columns(o: _Outcome, export_id: str) -> list[pl.Expr]:
    constant = _constant_lineage(o, export_id)
    cols: list[pl.Expr] = []
    for name, _ in raw_columns(TABLES[o.file.table.name]):
        if name in constant:
            continue
        if name == "value_text":
            cols.append(pl.col("value").alias(name))  # the cell as exported
        elif name == "value_qualifier":
            cols.append(pl.col("t__value_qualifier").alias(name))
        elif name == "after_cutoff":
            cols.append(pl.col("after_cutoff"))
        elif name == o.file.table.age_column:
            cols.append(pl.col(AGE).alias(name))
        elif name in LINEAGE_COLUMNS:
            cols.append(_lineage(name, o, export_id))
        else:
            cols.append(pl.col(typed(name)).alias(name))
    return cols


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
    constant = _constant_lineage(o, export_id)
    if name in constant:
        return pl.lit(constant[name], pl.String).alias(name)
    return pl.col(LINE).alias(name)


def _write_manifest(con: duckdb.DuckDBPyConnection, manifest: Manifest) -> None:
    for schema in ("raw", "quarantine", "audit"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    write_table(
        con,
        "raw.export_manifest",
        MANIFEST_COLUMNS,
        pl.DataFrame(
            [
                {
                    "export_id": manifest.export_id,
                    "registry": manifest.registry,
                    "schema_version": manifest.schema_version,
                    "exported_at": manifest.exported_at,
                    "data_cutoff": manifest.data_cutoff,
                }
            ]
        ),
    )


@dataclass
class _TableWriter:
    """Writes raw.<table> and quarantine.<table> on a thread of its own, table by table as they are put,
    and lets each table's frames go once written. The connection is used by this thread only until
    `close` returns.

    No enclosing transaction: each statement (each slice of a large table) commits on its own, because
    DuckDB keeps a transaction's uncommitted rows in memory (one transaction over 10 M lab rows held about
    1.1 GB more at 100,000 patients). A load that fails leaves its build file to be removed as a whole (the
    run's failure hook, or the next refresh)."""

    con: duckdb.DuckDBPyConnection
    export_id: str
    _queue: SimpleQueue[tuple[str, _Outcome | None] | None] = field(default_factory=SimpleQueue)
    _error: BaseException | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rlt-raw-writer", daemon=True)
        self._thread.start()

    def put(self, name: str, outcome: _Outcome) -> None:
        if self._error is not None:
            self.close()  # raises it: no point validating further
        self._queue.put((name, outcome))

    def put_missing(self, names: Iterable[str]) -> None:
        """Empty raw and quarantine tables for the tables the export does not have."""
        for name in names:
            self._queue.put((name, None))

    def close(self, *, raise_error: bool = True) -> None:
        """Wait for the writes; then raise the writer's error, if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if raise_error and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            name, outcome = item
            del item
            if self._error is None:
                try:
                    _write_table_rows(self.con, name, outcome, self.export_id)
                except BaseException as exc:  # handed to the loading thread by close()
                    self._error = exc
            del outcome


def _write_table_rows(con: duckdb.DuckDBPyConnection, name: str, o: _Outcome | None, export_id: str) -> None:
    table = TABLES[name]
    raw_cols, q_cols = raw_columns(table), quarantine_columns(table)
    create_table(con, f"raw.{name}", raw_cols)
    for part in _raw_parts(o, export_id) if o else ():
        insert_frame(con, f"raw.{name}", raw_cols, part, _constant_lineage(o, export_id))
    empty_q = pl.DataFrame(schema=[n for n, _ in q_cols])
    write_table(con, f"quarantine.{name}", q_cols, _quarantine_frame(o, export_id) if o else empty_q)


def _write_audit(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, summary: LoadSummary, loaded_at: datetime
) -> None:
    export_id = manifest.export_id
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
    _write_rows(
        con,
        "audit.quarantine_summary",
        QUARANTINE_SUMMARY_COLUMNS,
        [(export_id, f, r, n) for (f, r), n in summary.quarantined.items()],
    )
    _write_rows(
        con,
        "audit.unknown_columns",
        UNKNOWN_COLUMNS_COLUMNS,
        [(export_id, f, c) for f, names in summary.unknown_columns.items() for c in names],
    )
    _write_rows(
        con,
        "audit.consent_exclusions",
        CONSENT_EXCLUSIONS_COLUMNS,
        [(export_id, f, v, n) for (f, v), n in summary.consent_exclusions.items()],
    )


def _write_rows(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]], rows: list[tuple]
) -> None:
    """One audit table from Python tuples in the order of `columns`."""
    write_table(con, qualified, columns, pl.DataFrame(rows, schema=[n for n, _ in columns], orient="row"))
