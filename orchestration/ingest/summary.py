"""What a load did, file by file: the counts the audit tables hold and the closing summary a CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class FileCounts:
    file: str
    table: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    rows_excluded_consent: int
    rows_after_cutoff: int  # a subset of rows_loaded

    @property
    def balanced(self) -> bool:
        """rows_read = loaded + quarantined + duplicate + excluded for consent (the contract's identity)."""
        accounted = (
            self.rows_loaded + self.rows_quarantined + self.rows_duplicate + self.rows_excluded_consent
        )
        return self.rows_read == accounted


@dataclass(frozen=True)
class LoadSummary:
    export_id: str
    data_cutoff: date
    files: dict[str, FileCounts]  # by file name, e.g. "patients.csv"
    quarantined: dict[tuple[str, str], int]  # (file, reason code) -> rows
    unknown_columns: dict[str, tuple[str, ...]]  # file -> names of columns outside the contract
    missing_optional_tables: tuple[str, ...] = ()
    ignored_files: tuple[str, ...] = field(default=())  # listed in the manifest, not a contract table
    # (file, consent value of the excluded rows' patient) -> rows excluded for consent
    consent_exclusions: dict[tuple[str, str], int] = field(default_factory=dict)

    def format(self) -> str:
        lines = [
            f"Export {self.export_id} (data cut-off {self.data_cutoff.isoformat()}): {len(self.files)} files"
        ]
        header = ("file", "read", "loaded", "quarantined", "duplicate", "no consent", "after cut-off")
        rows = [
            (
                c.file,
                c.rows_read,
                c.rows_loaded,
                c.rows_quarantined,
                c.rows_duplicate,
                c.rows_excluded_consent,
                c.rows_after_cutoff,
            )
            for c in self.files.values()
        ]
        width = max([len(header[0])] + [len(r[0]) for r in rows])
        lines.append(f"  {header[0]:<{width}}" + "".join(f"{h:>14}" for h in header[1:]))
        for r in rows:
            lines.append(f"  {r[0]:<{width}}" + "".join(f"{n:>14,}" for n in r[1:]))
        total = sum(c.rows_loaded for c in self.files.values())
        quarantined = sum(c.rows_quarantined for c in self.files.values())
        lines.append(f"Rows loaded: {total:,}; rows quarantined: {quarantined:,}")
        if self.quarantined:
            lines.append("Quarantined rows by reason:")
            for (file, reason), n in sorted(self.quarantined.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {file}: {reason}: {n:,}")
        if self.consent_exclusions:
            lines.append("Rows excluded for missing consent, by consent value:")
            for (file, value), n in sorted(self.consent_exclusions.items()):
                lines.append(f"  {file}: {value!r}: {n:,}")
        if any(self.unknown_columns.values()):
            lines.append("Columns outside the contract (not loaded):")
            for file, names in self.unknown_columns.items():
                if names:
                    lines.append(f"  {file}: {', '.join(names)}")
        if self.missing_optional_tables:
            lines.append(
                f"Optional tables not in the export (loaded empty): {', '.join(self.missing_optional_tables)}"
            )
        if self.ignored_files:
            lines.append(
                f"Manifest files that are not contract tables (ignored): {', '.join(self.ignored_files)}"
            )
        return "\n".join(lines)
