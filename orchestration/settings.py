"""The one typed model of the clinical settings: CLI `--set`, Dagster run config and dbt vars.

Clinical settings are the *(setting)* entries of clinical-rules.md, with their documented defaults. The
model is a `dg.Config` so that Dagster's Launchpad offers the choices (each `Literal` becomes an enum the
Launchpad validates before launch); the same class validates `rlt refresh --set KEY=VALUE`. The values
reach dbt as vars (`--vars`), `audit.runs` records them, and every report prints them.
`dbt_project.yml` repeats the defaults for hand-run dbt; a test keeps the two equal.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import dagster as dg
import pydantic
from pydantic import Field

PostGradeBasis = Literal["worst", "last"]
PairedPostValue = Literal["last", "worst"]
PsaResponseBasis = Literal["best", "last", "week12"]
PsaProgressionRule = Literal["pcwg3", "rise25"]

_MAX_DAYS = 3650


class SettingError(ValueError):
    """A --set KEY=VALUE (or run config) that names no setting or gives a value outside its choices."""


class ClinicalSettings(dg.Config):
    """Clinical settings of one refresh (clinical-rules.md); defaults are the rules' defaults."""

    baseline_window_days: int = Field(
        default=60,
        ge=0,
        le=_MAX_DAYS,
        description="Baseline labs and AE grades: latest value in [t0 - days, t0].",
    )
    ecog_baseline_window_days: int = Field(
        default=90, ge=0, le=_MAX_DAYS, description="Baseline ECOG: latest value in [t0 - days, t0]."
    )
    post_window_days: int = Field(
        default=84,
        ge=0,
        le=_MAX_DAYS,
        description="Post-treatment window: (t0, last cycle + days], capped at the data cut-off.",
    )
    post_grade_basis: PostGradeBasis = Field(
        default="worst",
        description="CTCAE post-treatment grade from the worst or the last value in the window.",
    )
    paired_post_value: PairedPostValue = Field(
        default="last", description="Before/after lab comparison uses the last or the worst post value."
    )
    psa_response_basis: PsaResponseBasis = Field(
        default="best", description="PSA response from the best change, the last value, or week 12."
    )
    psa_progression_rule: PsaProgressionRule = Field(
        default="pcwg3", description="PSA progression: PCWG3 (confirmed rise) or a plain 25 % rise."
    )

    def as_dbt_vars(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    def to_json(self) -> str:
        return json.dumps(self.as_dbt_vars(), sort_keys=True)

    def with_overrides(self, pairs: list[str] | dict[str, Any]) -> ClinicalSettings:
        """Apply `KEY=VALUE` overrides, validating each against its type and allowed values."""
        items = list(pairs.items()) if isinstance(pairs, dict) else [_split(p) for p in pairs]
        names = set(type(self).model_fields)
        values = self.as_dbt_vars()
        for key, value in items:
            if key not in names:
                raise SettingError(f"unknown setting {key!r}; known settings: {', '.join(sorted(names))}")
            values[key] = _coerce(key, value)
        return settings_from(values)


def settings_from(values: dict[str, Any]) -> ClinicalSettings:
    """Validated settings from plain values (e.g. a JSON row of audit.runs); SettingError names the field."""
    try:
        return ClinicalSettings(**values)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"setting {'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise SettingError(problems) from None


def _split(pair: str) -> tuple[str, str]:
    if "=" not in pair:
        raise SettingError(f"--set expects KEY=VALUE, got {pair!r}")
    key, value = pair.split("=", 1)
    return key.strip(), value.strip()


def _coerce(key: str, value: Any) -> Any:
    """Whole numbers for the day windows (refusing '1 or 1=1' and 9.5), text for the choices."""
    annotation = ClinicalSettings.model_fields[key].annotation
    if annotation is int and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise SettingError(f"setting {key} must be a whole number of days, got {value!r}") from None
    return value
