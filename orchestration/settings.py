"""Typed settings shared by the CLI, Dagster run config and dbt vars.

Clinical settings are the *(setting)* entries of clinical-rules.md, with their documented defaults.
They reach dbt as vars (`--vars`), and every report prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

PostGradeBasis = Literal["worst", "last"]
PairedPostValue = Literal["last", "worst"]
PsaResponseBasis = Literal["best", "last", "week12"]
PsaProgressionRule = Literal["pcwg3", "rise25"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "post_grade_basis": ("worst", "last"),
    "paired_post_value": ("last", "worst"),
    "psa_response_basis": ("best", "last", "week12"),
    "psa_progression_rule": ("pcwg3", "rise25"),
}
_INT_RANGES: dict[str, tuple[int, int]] = {
    "baseline_window_days": (0, 3650),
    "ecog_baseline_window_days": (0, 3650),
    "post_window_days": (0, 3650),
}


class SettingError(ValueError):
    """A --set KEY=VALUE that names no setting or gives a value outside its choices."""


@dataclass(frozen=True)
class ClinicalSettings:
    baseline_window_days: int = 60
    ecog_baseline_window_days: int = 90
    post_window_days: int = 84
    post_grade_basis: PostGradeBasis = "worst"
    paired_post_value: PairedPostValue = "last"
    psa_response_basis: PsaResponseBasis = "best"
    psa_progression_rule: PsaProgressionRule = "pcwg3"

    def as_dbt_vars(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def with_overrides(self, pairs: list[str] | dict[str, str]) -> ClinicalSettings:
        """Apply `KEY=VALUE` overrides, validating each against its type and allowed values."""
        items = pairs.items() if isinstance(pairs, dict) else [_split(p) for p in pairs]
        changes: dict[str, Any] = {}
        names = {f.name for f in fields(self)}
        for key, value in items:
            if key not in names:
                raise SettingError(f"unknown setting {key!r}; known settings: {', '.join(sorted(names))}")
            changes[key] = _coerce(key, str(value))
        return replace(self, **changes)


def _split(pair: str) -> tuple[str, str]:
    if "=" not in pair:
        raise SettingError(f"--set expects KEY=VALUE, got {pair!r}")
    key, value = pair.split("=", 1)
    return key.strip(), value.strip()


def _coerce(key: str, value: str) -> Any:
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise SettingError(f"setting {key} must be one of {', '.join(_CHOICES[key])}, got {value!r}")
        return value
    lo, hi = _INT_RANGES[key]
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"setting {key} must be a whole number of days, got {value!r}") from None
    if not lo <= number <= hi:
        raise SettingError(f"setting {key} must be between {lo} and {hi}, got {number}")
    return number
