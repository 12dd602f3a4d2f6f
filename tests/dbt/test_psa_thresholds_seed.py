"""The seed psa_thresholds holds the numbers of clinical-rules.md ("PSA response", "PSA progression")."""

from __future__ import annotations

import csv

from orchestration.contract.seeds import SEEDS_DIR


def _seed() -> dict[tuple[str, str, str], float]:
    with open(SEEDS_DIR / "psa_thresholds.csv", newline="", encoding="utf-8") as f:
        return {(r["criterion"], r["rule"], r["threshold"]): float(r["value"]) for r in csv.DictReader(f)}


def test_seed_values_are_the_spec_ones() -> None:
    # clinical-rules.md: pcwg3 >= 25 % and >= 2 ng/mL above the nadir, confirmed >= 3 weeks later, no rise
    # before t0 + 84 days counts while PSA never fell; rise25 >= 25 % only; PR <= -50 %, PD >= +25 %,
    # psa50 <= -50 %, psa90 <= -90 %; 12-week PSA closest to t0 + 84 days within +/- 21 days.
    assert _seed() == {
        ("psa_progression", "pcwg3", "min_rise_pct"): 25.0,
        ("psa_progression", "pcwg3", "min_rise_ng_ml"): 2.0,
        ("psa_progression", "pcwg3", "confirmation_days"): 21.0,
        ("psa_progression", "pcwg3", "early_rise_ignored_days"): 84.0,
        ("psa_progression", "rise25", "min_rise_pct"): 25.0,
        ("psa_response", "", "pr_max_change_pct"): -50.0,
        ("psa_response", "", "psa50_max_change_pct"): -50.0,
        ("psa_response", "", "pd_min_change_pct"): 25.0,
        ("psa_response", "", "psa90_max_change_pct"): -90.0,
        ("psa_response", "week12", "target_day"): 84.0,
        ("psa_response", "week12", "window_days"): 21.0,
    }


def test_progression_rules_are_the_settings_choices() -> None:
    # every choice of the psa_progression_rule setting has its rows, and the seed defines no other rule
    import enum
    import typing

    from orchestration.settings import ClinicalSettings

    hint = typing.get_type_hints(ClinicalSettings)["psa_progression_rule"]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        choices = {m.value for m in hint}
    else:
        choices = set(typing.get_args(hint))
    rules = {rule for criterion, rule, _ in _seed() if criterion == "psa_progression"}
    assert rules == choices == {"pcwg3", "rise25"}
