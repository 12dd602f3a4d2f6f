"""What an import did: records, rows per table, missing-data codes per field, and what it could not map."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

MAX_RECORDS_SHOWN = 5


@dataclass(frozen=True)
class Issue:
    """One cell (or field) that could not be mapped, or was read with a repair (`repaired`)."""

    table: str
    record: str
    field: str
    value: str
    reason: str
    repaired: bool = False


@dataclass
class ImportSummary:
    export_id: str = ""
    source: str = ""
    records: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    missing: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    not_started: Counter[str] = field(default_factory=Counter)  # instrument -> records never started
    none_ticked: Counter[str] = field(default_factory=Counter)  # instrument -> started, no box ticked
    issues: list[Issue] = field(default_factory=list)
    fields_not_written: list[str] = field(default_factory=list)

    def unmapped(self) -> list[Issue]:
        return [i for i in self.issues if not i.repaired]

    def repaired(self) -> list[Issue]:
        return [i for i in self.issues if i.repaired]

    def format(self, details: bool = True) -> str:
        """The summary as printed; `details=False` leaves out record ids and values (for logs)."""
        lines = [f"REDCap import {self.source} -> {self.export_id}: {self.records} records"]
        lines.append("rows per table: " + ", ".join(f"{t} {n}" for t, n in self.rows.items()))
        if self.missing:
            lines.append("missing-data codes (written as empty) per field:")
            for name in sorted(self.missing):
                codes = self.missing[name]
                detail = ", ".join(f"{c} {n}" for c, n in sorted(codes.items()))
                lines.append(f"  {name}: {sum(codes.values())} ({detail})")
        if self.not_started:
            lines.append(
                "instruments never started (missing, not 'none'): "
                + ", ".join(f"{i} {n}" for i, n in sorted(self.not_started.items()))
            )
        if self.none_ticked:
            lines.append(
                "checkbox instruments started with no box ticked ('none'): "
                + ", ".join(f"{i} {n}" for i, n in sorted(self.none_ticked.items()))
            )
        if self.fields_not_written:
            lines.append("fields outside the mapping (never written): " + ", ".join(self.fields_not_written))
        for title, issues in (
            ("could not be mapped", self.unmapped()),
            ("read with a repair", self.repaired()),
        ):
            if issues:
                lines.append(f"{title} ({len(issues)}):")
                lines += [f"  {line}" for line in _grouped(issues if details else _anonymous(issues))]
        return "\n".join(lines)

    def audit_record(self) -> dict[str, object]:
        """The summary as audit.redcap_imports stores it: counts and field names only, never values or
        record ids (a value of a mapped field may be a birth date)."""
        groups: Counter[tuple[str, str, str, bool]] = Counter(
            (i.table, i.field, i.reason, i.repaired) for i in self.issues
        )
        return {
            "export_id": self.export_id,
            "source": self.source,
            "records": self.records,
            "rows": dict(self.rows),
            "missing_codes": {f: dict(sorted(c.items())) for f, c in sorted(self.missing.items())},
            "not_started": dict(sorted(self.not_started.items())),
            "none_ticked": dict(sorted(self.none_ticked.items())),
            "fields_not_written": list(self.fields_not_written),
            "issues": [
                {"table": t, "field": f, "reason": r, "repaired": rep, "n": n}
                for (t, f, r, rep), n in sorted(groups.items())
            ],
        }


def _anonymous(issues: list[Issue]) -> list[Issue]:
    return [Issue(i.table, "", i.field, "", i.reason, i.repaired) for i in issues]


def _grouped(issues: list[Issue]) -> list[str]:
    """One line per (table, field, value, reason) with its records: `record 17, field ae_term, value '42'`."""
    groups: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for i in issues:
        groups[(i.table, i.field, i.value, i.reason)].append(i.record)
    out = []
    for (table, fld, value, reason), records in groups.items():
        named = [r for r in records if r]
        shown = ", ".join(named[:MAX_RECORDS_SHOWN])
        more = f" and {len(named) - MAX_RECORDS_SHOWN} more" if len(named) > MAX_RECORDS_SHOWN else ""
        who = f"record {shown}{more}, " if shown else (f"{len(records)} x " if len(records) > 1 else "")
        val = f", value {value!r}" if value else ""
        out.append(f"{table}: {who}field {fld}{val}: {reason}")
    return out
