"""Read one export file (CSV or Parquet) into a frame of text cells, checking checksum and row count.

Every contract column comes out as polars String (the cell as exported, nulls for empty cells and for
optional columns the file lacks), plus `line_number` and `n_fields` (fields found on that CSV line, to
quarantine ragged rows). Columns outside the contract are never read into the frame: only their names
are kept, for the audit. A large CSV file is read in pieces of whole lines (`parts`), so that validation
can let each piece's text go once it is validated.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.contract.tables import Table
from orchestration.ingest.errors import ExportError
from orchestration.ingest.manifest import FileEntry

LINE = "line_number"
N_FIELDS = "n_fields"
TZ_ENV = "RLT_REGISTRY_TZ"
DEFAULT_TZ = "Europe/Berlin"
_BOM = b"\xef\xbb\xbf"
# A quoted CSV field, with "" as an escaped quote inside it.
_QUOTED = r'"(?:[^"]|"")*"'


# A CSV file is read in pieces of about this many bytes (cut at line ends): each piece's text is a frame
# of its own, which validation lets go once validated. Whole, the 10 M text cells of a national lab file
# (about 1 GB) stayed in memory beside their typed copy until the last row was validated.
PIECE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class TableFile:
    entry: FileEntry
    table: Table
    # the rows in line order, in one frame per piece of the file: line_number, n_fields, contract columns
    # (String)
    parts: tuple[pl.DataFrame, ...]
    header_fields: int | None  # fields in the CSV header; None for Parquet
    unknown_columns: tuple[str, ...]
    decimal_comma: bool  # `;`-delimited CSV: numbers may use a decimal comma

    @property
    def frame(self) -> pl.DataFrame:
        """All rows as one frame (the parts side by side in memory, not copied)."""
        if len(self.parts) == 1:
            return self.parts[0]
        return pl.concat(self.parts, how="vertical", rechunk=False)

    @property
    def height(self) -> int:
        return sum(p.height for p in self.parts)


def read_table_file(folder: Path, entry: FileEntry, table: Table) -> TableFile:
    path = folder / entry.file
    if not path.is_file():
        raise ExportError(f"{entry.file}: listed in the manifest but missing from the export")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ExportError(f"{entry.file}: sha256 {digest} does not match the manifest ({entry.sha256})")
    result = _read_parquet(data, entry, table) if entry.format == "parquet" else _read_csv(data, entry, table)
    if result.height != entry.rows:
        raise ExportError(f"{entry.file}: {result.height} data rows, but the manifest says {entry.rows}")
    return result


def _column_map(names: list[str], entry: FileEntry, table: Table) -> tuple[dict[str, int], tuple[str, ...]]:
    """Contract column -> position in the file; and the names of columns outside the contract."""
    wanted = set(table.column_names)
    found: dict[str, int] = {}
    unknown: list[str] = []
    for i, name in enumerate(names):
        key = name.strip().lower()
        if key in wanted:
            if key in found:
                raise ExportError(f"{entry.file}: column {key} appears twice in table {table.name}")
            found[key] = i
        else:
            unknown.append(name.strip() or f"(unnamed column {i + 1})")
    for col in table.columns:
        if col.required and col.name not in found:
            raise ExportError(f"{entry.file}: required column {col.name} missing from table {table.name}")
    return found, tuple(unknown)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _read_csv(data: bytes, entry: FileEntry, table: Table) -> TableFile:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExportError(
            f"{entry.file} line {_line_of(data, nul)}: binary content (NUL byte); not a CSV file"
        )
    _check_utf8(data, entry)
    end = data.find(b"\n")
    header_line = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    if not header_line.strip():
        raise ExportError(f"{entry.file} line 1: no header line")
    unquoted = re.sub(_QUOTED, "", header_line)
    sep = ";" if unquoted.count(";") > unquoted.count(",") else ","
    try:
        names = next(csv.reader([header_line], delimiter=sep))
    except csv.Error as e:  # e.g. a lone carriage return (old Mac line endings) inside the header
        raise ExportError(f"{entry.file} line 1: malformed header line ({e})") from None
    found, unknown = _column_map(names, entry, table)

    parts = _csv_pieces(data, end, sep, found)
    if parts is None:  # quoted line breaks or a layout polars cannot split line by line
        parts = [_csv_slow(data.decode("utf-8"), sep, entry, found)]
    return TableFile(
        entry,
        table,
        tuple(_with_all_columns(part, table) for part in parts),
        len(names),
        unknown,
        decimal_comma=sep == ";",
    )


def _check_utf8(data: bytes, entry: FileEntry) -> None:
    """Raise unless `data` is UTF-8. Decoded slice by slice: the text of a 500 MB file is never held."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 24
    view = memoryview(data)
    for start in range(0, len(data), step):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous slice
        try:
            decoder.decode(view[start : start + step], final=start + step >= len(data))
        except UnicodeDecodeError as e:
            at = start - pending + e.start
            raise ExportError(
                f"{entry.file} line {_line_of(data, at)}: not valid UTF-8 (byte 0x{data[at]:02x}); "
                "the export contract requires UTF-8 (re-encode Latin-1/Windows-1252 files)"
            ) from None


def _csv_pieces(data: bytes, header_end: int, sep: str, found: dict[str, int]) -> list[pl.DataFrame] | None:
    """`_csv_fast` over pieces of about PIECE_BYTES of whole lines, each after a copy of the header line
    (so that every piece is read with the header's columns, whatever its first line holds); None when any
    piece cannot be read line by line (the whole file then goes to the record-by-record reader)."""
    if header_end < 0 or len(data) <= PIECE_BYTES:
        frame = _csv_fast(data, 1, sep, found)
        return None if frame is None else [frame]
    header = data[: header_end + 1]
    parts: list[pl.DataFrame] = []
    start, first_line = header_end + 1, 2
    while start < len(data):
        cut = data.find(b"\n", min(start + PIECE_BYTES, len(data)) - 1)
        stop = len(data) if cut < 0 else cut + 1
        frame = _csv_fast(header + data[start:stop], first_line - 1, sep, found)
        if frame is None:
            return None
        parts.append(frame)
        first_line += data.count(b"\n", start, stop)
        start = stop
    return parts


def _csv_fast(data: bytes, header_line: int, sep: str, found: dict[str, int]) -> pl.DataFrame | None:
    """Vectorised read of a header line (numbered `header_line`) and the lines after it; None when records
    do not map one-to-one onto physical lines.

    The field count and the values of a line come from one reading of it: a line whose quotes all
    enclose whole fields (well-formed, as most exporters write) is split by polars' quote-aware reader,
    and its count is the separators outside those fields + 1, which is how that reader splits it; a line
    with any other quote (`Klinik "Nord, Haus 2"`: mid-field) is parsed by the csv module, which gives
    its fields and so their count."""
    # One column per physical line (NUL never occurs: checked above), to number lines and count fields.
    lines = pl.read_csv(
        io.BytesIO(data),
        has_header=False,
        separator="\x00",
        quote_char=None,
        infer_schema=False,
        new_columns=["line"],
    )
    line = pl.col("line")
    quotes = line.str.count_matches('"', literal=True)
    if lines.select((quotes % 2 == 1).any()).item():
        return None  # a quoted field may span lines: the csv module reads the whole file
    field = f'(?:{_QUOTED}|[^"{re.escape(sep)}]*)'
    well_formed = line.str.contains(f"^{field}(?:{re.escape(sep)}{field})*\\r?$")
    irregular = lines.with_row_index(LINE, offset=header_line).filter((quotes > 0) & ~well_formed)
    # what the lines tell, computed before the cells are read, so that the two copies of the file's text
    # (lines and cells) never exist at once
    meta = lines.select(
        pl.int_range(header_line, pl.len() + header_line, dtype=pl.Int64).alias(LINE),
        (
            pl.when(quotes > 0)
            .then(line.str.replace_all(_QUOTED, ""))
            .otherwise(line)
            .str.count_matches(sep, literal=True)
            + 1
        )
        .cast(pl.Int64)
        .alias(N_FIELDS),
        line.is_null().alias("_blank"),
    )
    del lines
    order = sorted(found, key=found.__getitem__)  # never empty: patient_id is required in every table
    try:
        cells = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            separator=sep,
            quote_char='"',
            infer_schema=False,
            truncate_ragged_lines=True,
            columns=[found[c] for c in order],
        )
    except pl.exceptions.PolarsError:
        return None
    if cells.height != meta.height:
        return None
    cells = cells.rename(dict(zip(cells.columns, order, strict=True)))
    frame = pl.concat([meta, cells.select(order)], how="horizontal")
    if irregular.height:
        parsed = _csv_lines(irregular, sep, found)
        if parsed is None:
            return None
        frame = frame.update(parsed, on=LINE, include_nulls=True)
    # The first line is the header; blank lines hold no record. Without blank lines a slice (no copy) will do.
    if meta.get_column("_blank").any():
        return frame.filter((pl.col(LINE) > header_line) & ~pl.col("_blank")).drop("_blank")
    return frame.slice(1).drop("_blank")


def _csv_lines(irregular: pl.DataFrame, sep: str, found: dict[str, int]) -> pl.DataFrame | None:
    """Field count and contract cells of single lines with quotes that do not enclose whole fields (each
    a whole record: its quotes are balanced), parsed by the csv module. None when the csv module refuses a
    line (a lone carriage return beside a quote, say): the whole file is then read record by record, which
    names the line it cannot read."""
    rows: dict[str, list[object]] = {LINE: [], N_FIELDS: [], **{c: [] for c in found}}
    for number, text in irregular.iter_rows():
        try:
            record = next(csv.reader([text], delimiter=sep))
        except csv.Error:
            return None
        rows[LINE].append(number)
        rows[N_FIELDS].append(len(record))
        for c, i in found.items():
            rows[c].append(record[i] if i < len(record) and record[i] != "" else None)
    return pl.DataFrame(rows, schema={LINE: pl.Int64, N_FIELDS: pl.Int64, **{c: pl.String for c in found}})


def _csv_slow(text: str, sep: str, entry: FileEntry, found: dict[str, int]) -> pl.DataFrame:
    """Record-by-record read with the csv module, for files with quoted line breaks (rare)."""
    columns: dict[str, list[str | None]] = {c: [] for c in found}
    line_numbers: list[int] = []
    n_fields: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if start == 1 or not record:
                continue
            line_numbers.append(start)
            n_fields.append(len(record))
            for c, i in found.items():
                columns[c].append(record[i] if i < len(record) and record[i] != "" else None)
    except csv.Error as e:
        raise ExportError(f"{entry.file} line {reader.line_num}: malformed CSV ({e})") from None
    return pl.DataFrame(
        {LINE: line_numbers, N_FIELDS: n_fields, **columns},
        schema={LINE: pl.Int64, N_FIELDS: pl.Int64, **{c: pl.String for c in found}},
    )


def _read_parquet(data: bytes, entry: FileEntry, table: Table) -> TableFile:
    try:
        schema = pl.read_parquet_schema(io.BytesIO(data))
    except Exception as e:  # polars raises several types for a corrupt file
        raise ExportError(f"{entry.file}: unreadable Parquet file ({e})") from None
    names = list(schema)
    found, unknown = _column_map(names, entry, table)
    try:
        df = pl.read_parquet(io.BytesIO(data), columns=[names[i] for i in found.values()])
    except Exception as e:
        raise ExportError(f"{entry.file}: unreadable Parquet file ({e})") from None
    tz = registry_time_zone()
    cols: list[pl.Series] = []
    for c, i in found.items():
        s = df.get_column(names[i])
        # Text with the same spelling a CSV would carry, so that one validation path serves both formats.
        if isinstance(s.dtype, pl.Datetime):
            # an instant (time-zone aware) is dated where the registry is; a naive timestamp as written
            s = (s.dt.convert_time_zone(tz) if s.dtype.time_zone else s).dt.date()
        elif s.dtype == pl.Boolean and c == table.consent_column:
            # a Parquet boolean true is an explicit yes; false stays "false" (counted as that value)
            s = pl.Series(c, ["yes" if v else "false" if v is not None else None for v in s.to_list()])
        try:
            cols.append(s.cast(pl.String).alias(c))
        except pl.exceptions.PolarsError:
            raise ExportError(f"{entry.file}: column {c} of type {s.dtype} cannot be read as text") from None
    frame = pl.DataFrame(cols).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE), pl.lit(None, pl.Int64).alias(N_FIELDS)
    )
    return TableFile(entry, table, (_with_all_columns(frame, table),), None, unknown, decimal_comma=False)


def registry_time_zone() -> str:
    """RLT_REGISTRY_TZ (read at each call), default Europe/Berlin; an unknown zone fails the export."""
    name = os.environ.get(TZ_ENV, "").strip() or DEFAULT_TZ
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ExportError(f"{TZ_ENV}={name!r} is not a known time zone (e.g. Europe/Berlin)") from None
    return name


def _with_all_columns(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """line_number, n_fields, then every contract column (null when the file lacks an optional one)."""
    missing = [pl.lit(None, pl.String).alias(c) for c in table.column_names if c not in frame.columns]
    return frame.with_columns(missing).select(LINE, N_FIELDS, *table.column_names)
