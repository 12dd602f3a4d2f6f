import pytest

from orchestration.settings import ClinicalSettings, SettingError


def test_defaults_are_those_of_clinical_rules():
    s = ClinicalSettings()
    # clinical-rules.md: baseline 60 d (ECOG 90 d), post window 84 d, grades on the worst post value,
    # paired comparison on the last, response on the best change, PCWG3 progression.
    assert s.as_dbt_vars() == {
        "baseline_window_days": 60,
        "ecog_baseline_window_days": 90,
        "post_window_days": 84,
        "post_grade_basis": "worst",
        "paired_post_value": "last",
        "psa_response_basis": "best",
        "psa_progression_rule": "pcwg3",
    }


def test_overrides_are_typed_and_validated():
    s = ClinicalSettings().with_overrides(["psa_progression_rule=rise25", "post_window_days=90"])
    assert s.psa_progression_rule == "rise25"
    assert s.post_window_days == 90


@pytest.mark.parametrize(
    "pair",
    [
        "psa_progression_rule=rise25'; drop table marts.dim_patient; --",
        "post_window_days=1 or 1=1",
        "no_such_setting=1",
        "post_window_days",
        "post_window_days=-5",
    ],
)
def test_hostile_or_unknown_settings_are_refused(pair):
    with pytest.raises(SettingError):
        ClinicalSettings().with_overrides([pair])
