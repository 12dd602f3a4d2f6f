"""The rules of redcap.md: one REDCap project export (read) + a mapping -> rows of the contract's tables.

Only fields the mapping names are ever read into a row; every other column of records.csv (names,
record numbers, free text) stays behind. A cell that cannot be mapped is reported with record, field and
value and written as it came (so ingestion quarantines its row with a reason rather than losing it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from orchestration.contract.tables import TABLES
from orchestration.redcap.mapping import (
    VALUE_PLACEHOLDER,
    ColumnSpec,
    Mapping,
    RedcapError,
    Source,
    match_vocabulary,
    vocabulary,
)
from orchestration.redcap.project import FieldDef, Project, checkbox_column
from orchestration.redcap.summary import ImportSummary, Issue

REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
DAG = "redcap_data_access_group"
EVENT = "redcap_event_name"
SYSTEM_COLUMNS = (REPEAT_INSTRUMENT, REPEAT_INSTANCE, DAG, EVENT, "redcap_survey_identifier")
# REDCap's suggested missing-data codes; a project's own list (missing_data_codes.txt) and the mapping's
# add to them. A value is only taken as a missing code where it is not one of the field's own choices.
DEFAULT_MISSING_CODES = ("NI", "INV", "UNK", "NASK", "ASKU", "NAV", "MSK", "NA", "NAVU", "NP", "QS", "QI")
_TICKED = {"1", "checked"}
_UNTICKED = {"0", "unchecked", ""}
_STARTED = {"1", "2", "unverified", "complete"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{1,2}:\d{2}(:\d{2})?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_FIRST_OR_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_DECIMAL_COMMA = re.compile(r"^([<>]?\s*-?\d+),(\d+)$")

Row = dict[str, str | None]


def convert(project: Project, mapping: Mapping, summary: ImportSummary) -> dict[str, list[Row]]:
    """Contract tables (rows of text cells, None = empty) from the project; fills `summary`."""
    return _Converter(project, mapping, summary).run()


class _Converter:
    def __init__(self, project: Project, mapping: Mapping, summary: ImportSummary) -> None:
        self.p = project
        self.m = mapping
        self.s = summary
        self.missing_codes = (
            set(DEFAULT_MISSING_CODES) | set(project.missing_codes) | set(mapping.missing_data_codes)
        )
        self.header = set(project.header)
        self._noted: set[tuple[str, str, str]] = set()
        self._patients_seen: set[str] = set()
        self._base: dict[str, list[dict[str, str]]] | None = None
        self._box_columns: dict[str, list[str]] = {}
        if mapping.record_id not in self.header:
            raise RedcapError(
                f"records.csv: no column {mapping.record_id!r} (the mapping's record_id); "
                f"columns are {', '.join(project.header[:8])}{' …' if len(project.header) > 8 else ''}"
            )

    # -- driver ---------------------------------------------------------------------------------------
    def run(self) -> dict[str, list[Row]]:
        rid = self.m.record_id
        records = list(dict.fromkeys(r[rid] for r in self.p.rows if r[rid]))
        self.s.records = len(records)
        self._check_fields()
        out: dict[str, list[Row]] = {t: [] for t in self.m.tables()}
        for source in self.m.sources:
            out[source.table] += list(self._rows(source))
        self._count_other_forms()
        self._check_patients(records)
        self.s.rows = {t: len(rows) for t, rows in out.items()}
        read = {rid, *SYSTEM_COLUMNS, *(f"{f.form}_complete" for f in self.p.fields.values())}
        for source in self.m.sources:
            read |= {f"{source.instrument}_complete"}
            read |= set(self._columns_read(source))
        unread = [h.split("___")[0] if "___" in h else h for h in self.p.header if h not in read]
        self.s.fields_not_written = list(dict.fromkeys(unread))  # a checkbox once, not once per box
        return out

    def _count_other_forms(self) -> None:
        """Forms the mapping does not read (e.g. a death form with the cause of death): never started is
        counted as well, so that "missing" shows in the summary for every form."""
        mapped = {s.instrument for s in self.m.sources}
        forms: dict[str, list[FieldDef]] = {}
        for f in self.p.fields.values():
            if f.name != self.m.record_id:
                forms.setdefault(f.form, []).append(f)
        for form, fields in forms.items():
            if form in mapped or form in self.p.repeating:
                continue
            columns = [c for f in fields for c in (self._boxes(f.name) if f.type == "checkbox" else [f.name])]
            for r in self._instance_rows(form):
                if r.get(f"{form}_complete", "").casefold() in _STARTED:
                    continue
                if not any(r.get(c, "").casefold() not in _UNTICKED for c in columns):
                    self.s.not_started[form] += 1

    def _check_patients(self, records: list[str]) -> None:
        """A record without a started patient instrument: its other rows become orphans downstream."""
        instrument = next((s.instrument for s in self.m.sources if s.table == "patients"), "")
        for record in records:
            if record not in self._patients_seen:
                self._issue(
                    "patients",
                    record,
                    f"{instrument} (instrument)",
                    "",
                    "record without the patient instrument: no patients row; its other rows are written "
                    "and quarantined as orphans",
                )

    def _check_fields(self) -> None:
        forms = {f.form for f in self.p.fields.values()}
        for source in self.m.sources:
            if source.instrument not in forms:
                self._issue(
                    source.table,
                    "",
                    source.instrument,
                    "",
                    "instrument named by the mapping is not in the data dictionary",
                )
            for spec in source.columns:
                if spec.kind not in ("field", "checked"):
                    continue
                for name in self._expand(source, spec.field):
                    fdef = self.p.fields.get(name)
                    if fdef is None:
                        self._issue(
                            source.table,
                            "",
                            name,
                            "",
                            "field named by the mapping is not in the data dictionary",
                        )
                    if spec.kind == "checked":
                        if fdef is not None and fdef.type != "checkbox":
                            self._issue(
                                source.table,
                                "",
                                name,
                                "",
                                f"`checked:` names a {fdef.type} field, not a checkbox; no rows",
                            )
                        if not any(h.startswith(f"{name}___") for h in self.header):
                            self._issue(
                                source.table,
                                "",
                                name,
                                "",
                                "checkbox named by the mapping has no columns in records.csv",
                            )
                    elif name not in self.header:
                        self._issue(
                            source.table,
                            "",
                            name,
                            "",
                            "field named by the mapping is not in records.csv: written as empty",
                        )

    def _expand(self, source: Source, name: str) -> list[str]:
        """A field name, or a `{value}` template expanded over the vocabulary of the checked column."""
        if VALUE_PLACEHOLDER not in name:
            return [name]
        checked = source.checked
        vocab = vocabulary(source.table, checked.column) if checked else None
        return [name.replace(VALUE_PLACEHOLDER, v) for v in vocab or ()]

    def _columns_read(self, source: Source) -> Iterator[str]:
        for spec in source.columns:
            for name in self._expand(source, spec.field) if spec.field else []:
                if spec.kind == "checked":
                    yield from (h for h in self.p.header if h.startswith(f"{name}___"))
                else:
                    yield name

    # -- rows -----------------------------------------------------------------------------------------
    def _instance_rows(self, instrument: str) -> Iterator[dict[str, str]]:
        repeating = instrument in self.p.repeating or any(
            r.get(REPEAT_INSTRUMENT, "") == instrument for r in self.p.rows
        )
        events = self.p.event_forms
        for r in self.p.rows:
            if not r[self.m.record_id]:
                continue
            event = r.get(EVENT, "")
            if events and event in events and instrument not in events[event]:
                continue  # a longitudinal project's event without this form: not "never started"
            if r.get(REPEAT_INSTRUMENT, "") == (instrument if repeating else ""):
                yield r

    def _rows(self, source: Source) -> Iterator[Row]:
        record_field = self.m.record_id
        for r in self._instance_rows(source.instrument):
            record = r[record_field]
            if not self._started(source, r):
                self.s.not_started[source.instrument] += 1
                continue
            if source.table == "patients":
                self._patients_seen.add(record)
            cache: dict[str, str | None] = {}
            checked = source.checked
            if checked is None:
                row = self._row(source, r, record, cache, None)
                if not source.require or any(row[c] is not None for c in source.require):
                    yield row
                continue
            ticks = self._ticks(source, checked, r, record)
            if ticks is None:
                continue
            if not ticks:
                self.s.none_ticked[source.instrument] += 1
            for tick in ticks:
                yield self._row(source, r, record, cache, tick)

    def _started(self, source: Source, r: dict[str, str]) -> bool:
        """Started: status Unverified/Complete, or any mapped field of it holds something (a ticked box
        counts, an unticked one does not: REDCap writes 0 for every box of a form never opened)."""
        if r.get(f"{source.instrument}_complete", "").casefold() in _STARTED:
            return True
        for spec in source.columns:
            other = self.p.fields.get(spec.field)
            if other is not None and other.form != source.instrument:
                continue  # a field of another form says nothing about this one
            if spec.kind == "checked":
                boxes = self._boxes(spec.field)
                if any(r.get(h, "").casefold() not in _UNTICKED for h in boxes):
                    return True
            elif (
                spec.kind == "field"
                and spec.field != self.m.record_id
                and any(r.get(n, "") for n in self._expand(source, spec.field))
            ):
                return True
        return False

    def _boxes(self, field_name: str) -> list[str]:
        """The records columns of a checkbox field's boxes (`field___code`), as in the header."""
        if field_name not in self._box_columns:
            prefix = f"{field_name}___"
            self._box_columns[field_name] = [h for h in self.p.header if h.startswith(prefix)]
        return self._box_columns[field_name]

    def _ticks(self, source: Source, spec: ColumnSpec, r: dict[str, str], record: str) -> list[str] | None:
        """The contract values of the ticked boxes; None when the group carries a missing-data code."""
        fdef = self.p.fields.get(spec.field)
        choices = fdef.choices if fdef is not None and fdef.type == "checkbox" else ()
        known = {checkbox_column(spec.field, code): code for code, _ in choices}
        values: list[str] = []
        missing: list[str] = []
        for column in self._boxes(spec.field):
            cell = r.get(column, "")
            if cell.casefold() in _UNTICKED:
                continue
            if cell.casefold() not in _TICKED:
                self._issue(
                    source.table, record, column, cell, "checkbox cell is neither 0 nor 1: not ticked"
                )
                continue
            if cell == "Checked":
                self._note_once(source.table, spec.field, "labels export (Checked/Unchecked): read as 1/0")
            code = known.get(column)
            if code is None:
                suffix = column[len(spec.field) + 3 :]
                if suffix.upper() in self.missing_codes:
                    missing.append(suffix.upper())
                    continue
                self._issue(
                    source.table,
                    record,
                    spec.field,
                    suffix,
                    "ticked box whose code is not among the dictionary's choices: written as is",
                )
                values.append(suffix)
                continue
            values.append(self._decode(source, spec, fdef, code, record))
        if missing and not values:
            for code in missing:
                self.s.missing[spec.field][code] += 1
            return None
        return values

    def _row(
        self, source: Source, r: dict[str, str], record: str, cache: dict[str, str | None], tick: str | None
    ) -> Row:
        row: Row = {c: None for c in TABLES[source.table].column_names}
        deferred = []
        for spec in source.columns:
            if spec.when is not None:
                deferred.append(spec)
                continue
            row[spec.column] = self._value(source, spec, r, record, cache, tick)
        for spec in deferred:
            other, wanted = spec.when  # type: ignore[misc]
            if row.get(other) == wanted:
                row[spec.column] = self._value(source, spec, r, record, cache, tick)
        return row

    def _value(
        self,
        source: Source,
        spec: ColumnSpec,
        r: dict[str, str],
        record: str,
        cache: dict[str, str | None],
        tick: str | None,
    ) -> str | None:
        if spec.kind == "value":
            return spec.value
        if spec.kind == "checked":
            return tick
        if spec.kind == "dag":
            dag = r.get(DAG, "")
            return (self.p.dags.get(dag) or dag) or None
        name = spec.field.replace(VALUE_PLACEHOLDER, tick or "")
        key = f"{spec.column}:{name}"
        if key not in cache:
            cache[key] = self._cell(
                source, spec, name, r.get(name, "") or self._elsewhere(source, name, record), record
            )
        return cache[key]

    def _elsewhere(self, source: Source, name: str, record: str) -> str:
        """A field of another, non-repeating form (e.g. a pseudonym on the patient form, named for the
        rows of a repeating form): its value on the record's own row."""
        fdef = self.p.fields.get(name)
        if fdef is None or fdef.form == source.instrument or fdef.form in self.p.repeating:
            return ""
        if self._base is None:
            self._base = {}
            for r in self.p.rows:
                if not r.get(REPEAT_INSTRUMENT, ""):
                    self._base.setdefault(r[self.m.record_id], []).append(r)
        return next((r[name] for r in self._base.get(record, []) if r.get(name, "")), "")

    # -- cells ----------------------------------------------------------------------------------------
    def _cell(self, source: Source, spec: ColumnSpec, name: str, value: str, record: str) -> str | None:
        if value == "":
            return None
        fdef = self.p.fields.get(name)
        own_codes = {c for c, _ in fdef.choices} if fdef is not None else set()
        if value in self.missing_codes and value not in own_codes and value not in spec.codes:
            self.s.missing[name][value] += 1
            return None
        if spec.codes or (fdef is not None and fdef.coded):
            return self._decode(source, spec, fdef, value, record, field_name=name)
        ctype = TABLES[source.table].column(spec.column).type
        if ctype == "date":
            return self._date(source, name, fdef, value, record)
        if ctype in ("int", "float", "lab_value"):
            m = _DECIMAL_COMMA.match(value)
            return f"{m[1]}.{m[2]}" if m else value
        vocab = vocabulary(source.table, spec.column)
        if vocab is not None:
            hit = match_vocabulary(value, vocab)
            if hit is None:
                self._issue(
                    source.table,
                    record,
                    name,
                    value,
                    f"not a value of {spec.column}'s vocabulary: written as is",
                )
                return value
            return hit
        return value

    def _decode(
        self,
        source: Source,
        spec: ColumnSpec,
        fdef: FieldDef | None,
        value: str,
        record: str,
        *,
        field_name: str = "",
    ) -> str:
        """A code -> the contract's value: the mapping's `codes`, else the dictionary choice's label (or
        code) naming a vocabulary value; for a column without a vocabulary, the code (numbers) or label."""
        name = field_name or spec.field
        choices = dict(fdef.choices) if fdef is not None else {}
        code = value
        if code not in spec.codes and code not in choices:
            by_label = [c for c, label in choices.items() if label.casefold() == value.casefold()]
            if len(by_label) == 1:
                code = by_label[0]
                self._issue(
                    source.table,
                    record,
                    name,
                    value,
                    "a label, not a code (export raw data): read as its code",
                    repaired=True,
                )
            else:
                reason = "code not among the dictionary's choices" if choices else "field has no choices"
                self._issue(source.table, record, name, value, f"{reason}: written as is")
                return value
        if code in spec.codes:
            return spec.codes[code]
        label = choices.get(code, code)
        vocab = vocabulary(source.table, spec.column)
        if vocab is None:
            ctype = TABLES[source.table].column(spec.column).type
            return code if ctype in ("int", "float", "lab_value") else label
        hit = match_vocabulary(label, vocab) or match_vocabulary(code, vocab)
        if hit is None:
            self._issue(
                source.table,
                record,
                name,
                value,
                f"choice {code} ({label}) names no value of {spec.column}'s vocabulary: written as is",
            )
            return code
        return hit

    def _date(self, source: Source, name: str, fdef: FieldDef | None, value: str, record: str) -> str:
        """REDCap's raw export writes every date validation as YYYY-MM-DD; other forms are read where the
        field's validation makes them unambiguous (and reported), else reported and written as is."""
        if _ISO.match(value):
            return value if _valid(value) else self._bad_date(source, record, name, value)
        if m := _ISO_TIME.match(value):
            return m[1]
        validation = fdef.validation if fdef is not None else ""
        dotted = _DOTTED.match(value)
        slashed = _DAY_FIRST_OR_MONTH_FIRST.match(value)
        ymd = _YMD_SLASH.match(value)
        if dotted or (slashed and validation.endswith("dmy")):
            m = dotted or slashed
            day, month, year = m[1], m[2], m[3]  # type: ignore[index]
        elif slashed and validation.endswith("mdy"):
            month, day, year = slashed[1], slashed[2], slashed[3]
        elif ymd:
            year, month, day = ymd[1], ymd[2], ymd[3]
        else:
            return self._bad_date(source, record, name, value)
        iso = f"{year}-{int(month):02d}-{int(day):02d}"
        if not _valid(iso):
            return self._bad_date(source, record, name, value)
        self._issue(
            source.table,
            record,
            name,
            value,
            "date not in REDCap's raw form YYYY-MM-DD: read by the field's validation (D.M.Y if dotted)",
            repaired=True,
        )
        return iso

    def _bad_date(self, source: Source, record: str, name: str, value: str) -> str:
        self._issue(source.table, record, name, value, "not a date (REDCap writes YYYY-MM-DD): written as is")
        return value

    def _issue(
        self, table: str, record: str, name: str, value: str, reason: str, repaired: bool = False
    ) -> None:
        self.s.issues.append(Issue(table, record, name, value, reason, repaired))

    def _note_once(self, table: str, name: str, reason: str) -> None:
        if (table, name, reason) not in self._noted:
            self._noted.add((table, name, reason))
            self._issue(table, "", name, "", reason, repaired=True)


def _valid(iso: str) -> bool:
    try:
        dt.date.fromisoformat(iso)
    except ValueError:
        return False
    return True
