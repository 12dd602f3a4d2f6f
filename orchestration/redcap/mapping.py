"""The mapping from a REDCap project to the export contract: its YAML format, loading and checking.

The format is documented in `reference/mapping.yaml` (the built-in mapping of the reference project) and
in docs/redcap.md. A mapping that cannot work (unknown table or column, a required column unmapped, a
code mapped to a value outside the contract's vocabulary, ...) raises MappingError: the only way an
import fails on its content.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from orchestration.contract.seeds import unit_conversions, vocabularies
from orchestration.contract.tables import TABLES

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
REFERENCE_MAPPING = REFERENCE_DIR / "mapping.yaml"
VALUE_PLACEHOLDER = "{value}"
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RedcapError(Exception):
    """The REDCap export cannot be imported at all (unreadable, no records file, broken mapping)."""


class MappingError(RedcapError):
    """The mapping itself is broken; the message names the mapping file, table and column."""


SpecKind = Literal["field", "checked", "dag", "value"]


@dataclass(frozen=True)
class ColumnSpec:
    column: str
    kind: SpecKind
    field: str = ""  # field name (may hold {value}) for kinds field and checked
    codes: dict[str, str] = dataclass_field(default_factory=dict)
    value: str = ""  # the constant of kind value
    when: tuple[str, str] | None = None  # (other column, value): empty unless that column has it


@dataclass(frozen=True)
class Source:
    """Where the rows of one contract table come from: one instrument, its fields per column."""

    table: str
    instrument: str
    columns: tuple[ColumnSpec, ...]
    # a row is written only where one of these columns has a value (wide forms: one field per analyte)
    require: tuple[str, ...] = ()

    @property
    def checked(self) -> ColumnSpec | None:
        return next((c for c in self.columns if c.kind == "checked"), None)

    def fields(self) -> list[str]:
        """Field names this source reads (templates unexpanded)."""
        return [c.field for c in self.columns if c.kind in ("field", "checked")]


@dataclass(frozen=True)
class Mapping:
    registry: str
    record_id: str
    missing_data_codes: tuple[str, ...]
    sources: tuple[Source, ...]
    origin: str  # the mapping file, for messages

    def tables(self) -> list[str]:
        return list(dict.fromkeys(s.table for s in self.sources))


@cache
def vocabulary(table: str, column: str) -> tuple[str, ...] | None:
    """The contract's allowed values of a column (seeds), or None for a column without a vocabulary."""
    if column == "activity_unit":
        return tuple(sorted({s for (q, _), (s, _) in unit_conversions().items() if q == "activity"}))
    if (table, column) == ("lab_results", "unit"):
        return tuple(sorted({s for (q, _), (s, _) in unit_conversions().items() if q != "activity"}))
    values = vocabularies().get((table, column))
    return tuple(sorted(values)) if values else None


def _loose(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKC", text).casefold())


def match_vocabulary(text: str, vocab: tuple[str, ...]) -> str | None:
    """The vocabulary value `text` names: exactly, else ignoring case, else ignoring case and punctuation
    (each only when one value matches, so `G/L` and `g/L` stay apart)."""
    if text in vocab:
        return text
    for key in (lambda s: unicodedata.normalize("NFKC", s).casefold(), _loose):
        hits = [v for v in vocab if key(v) == key(text)]
        if len(hits) == 1:
            return hits[0]
    return None


def load_mapping(path: Path | None = None) -> Mapping:
    """The mapping in `path` (YAML), or the built-in mapping of the reference project."""
    path = Path(path) if path is not None else REFERENCE_MAPPING
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise MappingError(f"{path}: cannot read the mapping file ({e.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise MappingError(f"{path}: not valid YAML ({_one_line(e)})") from None
    return parse_mapping(raw, str(path))


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


def parse_mapping(raw: Any, origin: str) -> Mapping:
    def fail(where: str, why: str) -> MappingError:
        return MappingError(f"{origin}: {where}: {why}")

    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        raise fail("top level", "expected a mapping with a `tables:` section naming contract tables")
    unknown_keys = set(raw) - {"registry", "record_id", "missing_data_codes", "tables"}
    if unknown_keys:
        raise fail("top level", f"unknown key(s) {', '.join(sorted(map(str, unknown_keys)))}")
    record_id = str(raw.get("record_id") or "record_id")
    codes = raw.get("missing_data_codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str | int) for c in codes):
        raise fail("missing_data_codes", "expected a list of codes, e.g. [UNK, NASK]")
    sources: list[Source] = []
    for table, entry in raw["tables"].items():
        if table not in TABLES:
            raise fail(f"tables.{table}", f"not a table of the export contract ({', '.join(TABLES)})")
        entries = entry if isinstance(entry, list) else [entry]
        for i, src in enumerate(entries):
            where = f"tables.{table}" + (f"[{i}]" if isinstance(entry, list) else "")
            sources.append(_parse_source(table, src, where, fail))
    for name, table in TABLES.items():
        if table.required and name not in {s.table for s in sources}:
            raise fail(f"tables.{name}", "a required table of the export contract is not mapped")
    return Mapping(
        registry=str(raw.get("registry") or "REDCAP"),
        record_id=record_id,
        missing_data_codes=tuple(str(c) for c in codes),
        sources=tuple(sources),
        origin=origin,
    )


def _parse_source(table: str, src: Any, where: str, fail) -> Source:
    if not isinstance(src, dict) or not isinstance(src.get("instrument"), str):
        raise fail(where, "expected `instrument:` (a REDCap form name) and `columns:`")
    keys = {"instrument", "columns", "require"}
    if set(src) - keys:
        raise fail(where, f"unknown key(s) {', '.join(sorted(map(str, set(src) - keys)))}")
    columns = src.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise fail(where, "`columns:` must map contract columns to REDCap fields")
    contract = TABLES[table]
    specs: list[ColumnSpec] = []
    for column, spec in columns.items():
        if column not in contract.column_names:
            raise fail(
                f"{where}.columns.{column}",
                f"not a column of {table} ({', '.join(contract.column_names)})",
            )
        specs.append(_parse_spec(table, str(column), spec, f"{where}.columns.{column}", fail))
    missing = [c.name for c in contract.columns if c.required and c.name not in columns]
    if missing:
        raise fail(where, f"required column(s) of {table} not mapped: {', '.join(missing)}")
    if sum(s.kind == "checked" for s in specs) > 1:
        raise fail(where, "only one column can take its value from ticked checkboxes (`checked:`)")
    has_checked = any(s.kind == "checked" for s in specs)
    for s in specs:
        if VALUE_PLACEHOLDER in s.field and s.kind == "field" and not has_checked:
            raise fail(f"{where}.columns.{s.column}", "`{value}` needs a `checked:` column in the same table")
        if s.when is not None and s.when[0] not in columns:
            raise fail(f"{where}.columns.{s.column}", f"`when` names {s.when[0]}, which is not mapped here")
    require = src.get("require") or []
    require = [require] if isinstance(require, str) else require
    if not isinstance(require, list) or any(c not in columns for c in require):
        raise fail(f"{where}.require", "expected mapped column name(s) of this table")
    return Source(table, src["instrument"], tuple(specs), tuple(map(str, require)))


def _parse_spec(table: str, column: str, spec: Any, where: str, fail) -> ColumnSpec:
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict):
        raise fail(where, "expected a field name or {field: …}, {checked: …}, {dag: true}, {value: …}")
    allowed = {"field", "checked", "dag", "value", "codes", "when"}
    if set(spec) - allowed:
        raise fail(where, f"unknown key(s) {', '.join(sorted(map(str, set(spec) - allowed)))}")
    kinds = [k for k in ("field", "checked", "dag", "value") if k in spec]
    if len(kinds) != 1:
        raise fail(where, "give exactly one of field, checked, dag, value")
    kind: SpecKind = kinds[0]  # type: ignore[assignment]
    name = str(spec[kind]) if kind in ("field", "checked") else ""
    if kind in ("field", "checked") and not _FIELD_NAME.match(name.replace(VALUE_PLACEHOLDER, "x")):
        raise fail(where, f"{name!r} is not a REDCap field name (lower-case letters, digits, _)")
    if kind == "checked" and VALUE_PLACEHOLDER in name:
        raise fail(where, "a `checked:` field cannot hold {value}")
    if kind == "dag" and spec["dag"] is not True:
        raise fail(where, "write `dag: true`")
    codes_raw = spec.get("codes") or {}
    if not isinstance(codes_raw, dict):
        raise fail(where, "`codes:` must map REDCap codes to contract values")
    codes = {str(k): str(v) for k, v in codes_raw.items()}
    vocab = vocabulary(table, column)
    if vocab is not None:
        wrong = sorted(v for v in codes.values() if v not in vocab)
        if wrong:
            raise fail(where, f"codes map to {', '.join(wrong)}, not in the vocabulary ({', '.join(vocab)})")
    when = spec.get("when")
    if when is not None:
        if not isinstance(when, dict) or len(when) != 1:
            raise fail(where, "`when:` must be {column: value}")
        ((other, wanted),) = when.items()
        when = (str(other), str(wanted))
    return ColumnSpec(
        column=column,
        kind=kind,
        field=name,
        codes=codes,
        value=str(spec["value"]) if kind == "value" else "",
        when=when,
    )
