"""Reading a REDCap project export as REDCap writes it: records, data dictionary and the optional lists.

Files (in a folder, or a zip of it):
- `records.csv` (or REDCap's own name `<PROJECT>_DATA_<date>.csv`): the raw CSV export.
- `data_dictionary.csv` (or `<PROJECT>_DataDictionary_<date>.csv`): the data dictionary.
- optional: `repeating_instruments.csv` (form_name, …), `instrument_event_mapping.csv`,
  `missing_data_codes.txt` (the project setting, `UNK, Unknown | NASK, Not asked`),
  `data_access_groups.csv` (data_access_group_name, unique_group_name).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.redcap.mapping import RedcapError

RECORDS = "records.csv"
DICTIONARY = "data_dictionary.csv"
REPEATING = "repeating_instruments.csv"
EVENT_MAPPING = "instrument_event_mapping.csv"
MISSING_CODES = "missing_data_codes.txt"
DAGS = "data_access_groups.csv"
INSTRUMENTS = "instruments.csv"
MAPPING = "redcap_mapping.yaml"  # a registry's own mapping, shipped with its export (for the inbox)
_RECORDS_ALIAS = re.compile(r".*_DATA_.*\.csv$", re.IGNORECASE)
_DICTIONARY_ALIAS = re.compile(r".*_?DataDictionary.*\.csv$", re.IGNORECASE)
_MAX_UNPACKED = 4 * 2**30
CODED_TYPES = ("radio", "dropdown", "checkbox", "yesno", "truefalse")
_IMPLICIT_CHOICES = {"yesno": (("1", "Yes"), ("0", "No")), "truefalse": (("1", "True"), ("0", "False"))}
# Dictionary headers: the data dictionary download and the API's metadata export name them differently.
_DICT_COLUMNS = {
    "name": ("variable / field name", "field_name"),
    "form": ("form name", "form_name"),
    "type": ("field type", "field_type"),
    "label": ("field label", "field_label"),
    "choices": ("choices, calculations, or slider labels", "select_choices_or_calculations"),
    "validation": (
        "text validation type or show slider number",
        "text_validation_type_or_show_slider_number",
    ),
}


@dataclass(frozen=True)
class FieldDef:
    name: str
    form: str
    type: str
    label: str
    validation: str
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def coded(self) -> bool:
        return self.type in CODED_TYPES

    def label_of(self, code: str) -> str | None:
        return next((label for c, label in self.choices if c == code), None)


@dataclass
class Project:
    """One REDCap export, read: every cell is text (stripped), column names lower-case."""

    source: Path
    fields: dict[str, FieldDef]
    header: list[str]
    rows: list[dict[str, str]]
    repeating: set[str] = field(default_factory=set)
    event_forms: dict[str, set[str]] = field(default_factory=dict)  # longitudinal: event -> its forms
    missing_codes: tuple[str, ...] = ()
    dags: dict[str, str] = field(default_factory=dict)  # unique group name -> name
    newest_file: dt.datetime | None = None
    labels_header: bool = False  # the header held field labels (a "labels" export), read back to names


def is_redcap_export(path: Path) -> bool:
    """A folder or zip holding a REDCap records file and data dictionary, and no manifest.json."""
    path = Path(path)
    try:
        if path.is_dir():
            names = [p.name for p in path.iterdir() if p.is_file() and not p.is_symlink()]
        elif path.is_file() and path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                names = [Path(n).name for n in zf.namelist() if not n.endswith("/")]
        else:
            return False
    except (OSError, zipfile.BadZipFile):
        return False
    return (
        "manifest.json" not in names
        and _pick(names, RECORDS, _RECORDS_ALIAS) is not None
        and (_pick(names, DICTIONARY, _DICTIONARY_ALIAS) is not None)
    )


def redcap_files(folder: Path) -> list[Path]:
    """The files of a REDCap export folder the import reads (for fingerprints and times)."""
    names = [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    picked = [_pick(names, RECORDS, _RECORDS_ALIAS), _pick(names, DICTIONARY, _DICTIONARY_ALIAS)]
    picked += [n for n in (REPEATING, INSTRUMENTS, EVENT_MAPPING, MISSING_CODES, DAGS, MAPPING) if n in names]
    return [folder / n for n in picked if n is not None]


def _pick(names: list[str], exact: str, alias: re.Pattern[str]) -> str | None:
    lowered = {n.lower(): n for n in names}
    if exact in lowered:
        return lowered[exact]
    hits = sorted(n for n in names if alias.match(n))
    return hits[0] if len(hits) == 1 else None


@contextlib.contextmanager
def open_folder(path: Path) -> Iterator[Path]:
    """The folder holding the export's files; a zip is extracted safely into a temporary folder."""
    from orchestration.ingest.archive import extract_safely  # one zip-safety check for every import
    from orchestration.ingest.errors import ExportError

    path = Path(path)
    if path.is_dir():
        yield _root(path)
        return
    if not (path.is_file() and zipfile.is_zipfile(path)):
        raise RedcapError(f"{path}: no such folder, or not a readable zip archive")
    with tempfile.TemporaryDirectory(prefix="rlt-redcap-") as tmp:
        try:
            extract_safely(path, Path(tmp), _MAX_UNPACKED)
        except ExportError as e:
            raise RedcapError(str(e)) from None
        yield _root(Path(tmp))


def _root(folder: Path) -> Path:
    if redcap_files(folder):
        return folder
    subdirs = [d for d in folder.iterdir() if d.is_dir() and d.name != "__MACOSX"]
    return subdirs[0] if len(subdirs) == 1 else folder


def read_project(folder: Path, shown_as: Path) -> Project:
    names = [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    records_name = _pick(names, RECORDS, _RECORDS_ALIAS)
    dictionary_name = _pick(names, DICTIONARY, _DICTIONARY_ALIAS)
    if records_name is None:
        raise RedcapError(f"{shown_as.name}: no {RECORDS} (REDCap's raw CSV export of the records)")
    if dictionary_name is None:
        raise RedcapError(f"{shown_as.name}: no {DICTIONARY} (the project's data dictionary)")
    fields = read_dictionary(folder / dictionary_name)
    header, rows = _read_csv(folder / records_name)
    if not header:
        raise RedcapError(f"{records_name}: empty file (no header line)")
    header, project_labels = _field_names(header, fields)
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise RedcapError(f"{records_name}: duplicated column(s) {', '.join(dup)}")
    records = []
    for line, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise RedcapError(
                f"{records_name}: line {line} has {len(cells)} fields, the header {len(header)}"
            )
        records.append({h: c.strip() for h, c in zip(header, cells, strict=True)})
    project = Project(shown_as, fields, header, records, labels_header=project_labels)
    if REPEATING in names:
        _, rep = _read_dicts(folder / REPEATING)
        project.repeating = {r.get("form_name", "").strip() for r in rep} - {""}
    if EVENT_MAPPING in names:
        _, mapping_rows = _read_dicts(folder / EVENT_MAPPING)
        for r in mapping_rows:
            event, form = r.get("unique_event_name", "").strip(), r.get("form", "").strip()
            if event and form:
                project.event_forms.setdefault(event, set()).add(form)
    codes_file = folder / MISSING_CODES
    if MISSING_CODES in names:
        project.missing_codes = tuple(c for c, _ in parse_choices(codes_file.read_text(encoding="utf-8-sig")))
    if DAGS in names:
        _, dags = _read_dicts(folder / DAGS)
        project.dags = {
            r.get("unique_group_name", "").strip(): r.get("data_access_group_name", "").strip() for r in dags
        }
    if INSTRUMENTS in names:
        _relabel_instruments(project, folder / INSTRUMENTS)
    times = [(folder / n).stat().st_mtime for n in names]
    project.newest_file = dt.datetime.fromtimestamp(max(times), dt.UTC).replace(microsecond=0)
    return project


def _relabel_instruments(project: Project, path: Path) -> None:
    """A labels export names repeating instruments by their label: read them back to form names."""
    _, rows = _read_dicts(path)
    by_label = {r.get("instrument_label", "").strip(): r.get("instrument_name", "").strip() for r in rows}
    forms = {f.form for f in project.fields.values()}
    for r in project.rows:
        value = r.get("redcap_repeat_instrument", "")
        if value and value not in forms and by_label.get(value):
            r["redcap_repeat_instrument"] = by_label[value]


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise RedcapError(f"{path.name}: not UTF-8 text (byte {e.start}); export it again as CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        return header, list(reader)
    except csv.Error as e:
        raise RedcapError(f"{path.name}: unreadable CSV ({e})") from None


def _read_dicts(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    header, rows = _read_csv(path)
    header = [h.strip().lower() for h in header]
    return header, [dict(zip(header, r, strict=False)) for r in rows]


def parse_choices(text: str) -> list[tuple[str, str]]:
    """REDCap's `code, label | code, label` (the label may hold commas)."""
    out = []
    for part in text.split("|"):
        code, _, label = part.partition(",")
        if code.strip():
            out.append((code.strip(), label.strip()))
    return out


def read_dictionary(path: Path) -> dict[str, FieldDef]:
    header, rows = _read_dicts(path)
    col = {}
    for key, names in _DICT_COLUMNS.items():
        hit = next((h for h in header if h in names), None)
        if hit is None and key in ("name", "form", "type"):
            raise RedcapError(f"{path.name}: not a REDCap data dictionary (no column {names[0]!r})")
        col[key] = hit
    fields: dict[str, FieldDef] = {}
    for r in rows:
        name = r.get(col["name"], "").strip().lower()
        if not name:
            continue
        ftype = r.get(col["type"], "").strip().lower()
        choices = _IMPLICIT_CHOICES.get(ftype)
        if choices is None:
            choices = tuple(parse_choices(r.get(col["choices"], ""))) if ftype in CODED_TYPES else ()
        fields[name] = FieldDef(
            name=name,
            form=r.get(col["form"], "").strip(),
            type=ftype,
            label=r.get(col["label"], "").strip() if col["label"] else "",
            validation=r.get(col["validation"], "").strip().lower() if col["validation"] else "",
            choices=tuple(choices),
        )
    return fields


# Header of REDCap's "labels" CSV export: its own columns and each instrument's status column.
_SYSTEM_LABELS = {
    "repeat instrument": "redcap_repeat_instrument",
    "repeat instance": "redcap_repeat_instance",
    "data access group": "redcap_data_access_group",
    "event name": "redcap_event_name",
}
_CHOICE_HEADER = re.compile(r"^(?P<label>.*) \(choice=(?P<choice>.*)\)$", re.DOTALL)


def _field_names(header: list[str], fields: dict[str, FieldDef]) -> tuple[list[str], bool]:
    """Header cells as field names. A header of field labels (REDCap's labels export) is read back
    through the dictionary: columns come in dictionary order, so a label shared by several fields is the
    first of them not yet seen; a cell that matches nothing is kept as is."""
    names = [h.strip().lower() for h in header]
    if (
        not names
        or names[0] in fields
        or names[0] != fields.get(next(iter(fields), ""), FieldDef("", "", "", "", "")).label.casefold()
    ):
        return (
            names,
            False,
        )  # REDCap's first column is the record id: its name, or in a labels export its label
    labels: dict[str, list[str]] = {}
    for f in fields.values():
        labels.setdefault(f.label.casefold(), []).append(f.name)
    used: set[str] = set()
    out = []
    form = ""
    for cell in header:
        text = cell.strip()
        hit = _SYSTEM_LABELS.get(text.casefold())
        m = _CHOICE_HEADER.match(text)
        if hit is None and m:
            f = next(
                (fields[n] for n in labels.get(m["label"].casefold(), []) if fields[n].type == "checkbox"),
                None,
            )
            code = (
                next((c for c, lab in f.choices if lab.casefold() == m["choice"].casefold()), None)
                if f
                else None
            )
            if f is not None and code is not None:
                hit, form = checkbox_column(f.name, code), f.form
        if hit is None:
            hit = next((n for n in labels.get(text.casefold(), []) if n not in used), None)
            if hit is not None:
                used.add(hit)
                form = fields[hit].form
        if hit is None and text.casefold() == "complete?" and form:
            hit = f"{form}_complete"
        out.append(hit or text.lower())
    return out, True


def checkbox_column(field_name: str, code: str) -> str:
    """The records column of one checkbox box: `field___code`, code lower-case, `-` and `.` as `_`."""
    return f"{field_name}___{code.lower().replace('-', '_').replace('.', '_')}"


def records_header(fields: dict[str, FieldDef]) -> list[str]:
    """The header REDCap writes for a classic project with repeating instruments and DAGs: record id,
    the repeat and DAG columns, then every form's fields (a checkbox one column per box) and its status."""
    record_id = next(iter(fields))
    out = [record_id, "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group"]
    for form in dict.fromkeys(f.form for f in fields.values()):
        for f in fields.values():
            if f.form != form or f.name == record_id:
                continue
            if f.type == "checkbox":
                out += [checkbox_column(f.name, code) for code, _ in f.choices]
            else:
                out.append(f.name)
        out.append(f"{form}_complete")
    return out
