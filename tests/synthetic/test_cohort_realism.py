"""Clinical plausibility of a 2000-patient export, computed from the written files with the contract's
rules (baseline ECOG, unit conversion), with ranges stated up front."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from lifelines import KaplanMeierFitter

from orchestration.contract.seeds import unit_conversions, unit_key
from tests.synthetic.contract_check import parse_date, read_table


def _first_cycles(export: Path) -> pl.DataFrame:
    cycles = read_table(export / "rlt_cycles.csv").with_columns(d=parse_date("administration_date"))
    return cycles.group_by("patient_id").agg(t0=pl.col("d").min())


@pytest.fixture(scope="module")
def baseline_ecog(cohort_export) -> pl.DataFrame:
    ecog = read_table(cohort_export / "performance_status.csv").with_columns(
        d=parse_date("assessment_date"), ecog=pl.col("ecog").cast(pl.Int64)
    )
    joined = ecog.join(_first_cycles(cohort_export), on="patient_id")
    window = joined.filter(
        (pl.col("d") <= pl.col("t0")) & (pl.col("d") >= pl.col("t0") - pl.duration(days=90))
    )
    return window.sort("d").group_by("patient_id").agg(pl.col("ecog").last())


def test_ecog3_share_about_eight_percent(baseline_ecog):
    assert baseline_ecog.height == 2000  # everyone has an assessment within 90 days before the first cycle
    share = (baseline_ecog["ecog"] == 3).mean()
    assert 0.055 <= share <= 0.105
    assert set(baseline_ecog["ecog"]) == {0, 1, 2, 3}


def test_demographics(cohort_export):
    patients = read_table(cohort_export / "patients.csv").join(_first_cycles(cohort_export), on="patient_id")
    age = (pl.col("t0") - parse_date("birth_date")).dt.total_days() / 365.25
    ages = patients.select(age.alias("age"))["age"]
    assert 68 <= ages.median() <= 74 and ages.min() >= 49 and ages.max() <= 91.5
    no_consent = (patients["consent_data_use"] == "no").mean()
    assert 0.01 <= no_consent <= 0.035
    gleason = patients["gleason_score"].drop_nulls().cast(pl.Int64)
    assert gleason.min() >= 6 and gleason.max() <= 10
    assert 0.05 <= patients["gleason_score"].is_null().mean() <= 0.2
    assert (
        (parse_date("diagnosis_date") < pl.col("t0")).fill_null(True).pipe(patients.select).to_series().all()
    )


def test_cycle_intervals_and_counts(cohort_export):
    cycles = (
        read_table(cohort_export / "rlt_cycles.csv")
        .with_columns(
            d=parse_date("administration_date"), series=pl.col("series").fill_null("1").cast(pl.Int64)
        )
        .sort("patient_id", "d")
    )
    gaps = cycles.with_columns(
        gap=(pl.col("d") - pl.col("d").shift()).dt.total_days().over("patient_id", "series")
    )
    gap = gaps["gap"].drop_nulls()
    assert 40 <= gap.median() <= 44 and gap.min() >= 35
    per_series = cycles.group_by("patient_id", "series").len()["len"]
    assert per_series.min() >= 1 and per_series.max() <= 10
    rechallenged = cycles.filter(pl.col("series") == 2)["patient_id"].n_unique()
    assert 0.01 * 2000 <= rechallenged <= 0.15 * 2000


def test_activity_ranges_after_conversion(cohort_export):
    cycles = read_table(cohort_export / "rlt_cycles.csv")
    conv = unit_conversions()
    gbq = cycles.select(
        "radioligand",
        gbq=pl.col("activity").cast(pl.Float64)
        * pl.col("activity_unit").map_elements(
            lambda u: conv[("activity", unit_key(u))][1], return_dtype=pl.Float64
        ),
    )
    lu = gbq.filter(pl.col("radioligand").str.starts_with("177Lu"))["gbq"]
    assert lu.min() >= 0.1 and lu.max() <= 15
    assert ((lu >= 6) & (lu <= 8)).mean() >= 0.6
    ac_mbq = gbq.filter(pl.col("radioligand") == "225Ac-PSMA-617")["gbq"] * 1000
    assert len(ac_mbq) > 0 and ac_mbq.min() >= 5.95 and ac_mbq.max() <= 10.05
    assert (cycles["radioligand"] == "177Lu-PSMA-I&T").any()


def test_survival_shorter_at_ecog3(cohort_export, baseline_ecog):
    vital = read_table(cohort_export / "vital_status.csv").join(_first_cycles(cohort_export), on="patient_id")
    vital = (
        vital.join(baseline_ecog, on="patient_id")
        .with_columns(
            end=pl.coalesce(parse_date("death_date"), parse_date("last_known_alive_date")),
            died=pl.col("death_date").is_not_null(),
        )
        .with_columns(months=(pl.col("end") - pl.col("t0")).dt.total_days() / 30.4375)
    )

    def median_os(frame: pl.DataFrame) -> float:
        kmf = KaplanMeierFitter().fit(frame["months"].to_numpy(), frame["died"].to_numpy())
        return float(kmf.median_survival_time_)

    good = median_os(vital.filter(pl.col("ecog") <= 1))
    poor = median_os(vital.filter(pl.col("ecog") == 3))
    assert 10 <= good <= 24
    assert 1.5 <= poor <= 6


def test_psa_response_mix_and_cytopenias(cohort_export):
    labs = (
        read_table(cohort_export / "lab_results.csv")
        .with_columns(
            d=parse_date("sample_date"),
            v=pl.col("value").str.strip_chars_start("<>").str.replace(",", ".").cast(pl.Float64),
        )
        .join(_first_cycles(cohort_export), on="patient_id")
    )
    psa = labs.filter(pl.col("analyte") == "psa")
    base = psa.filter(pl.col("d") <= pl.col("t0")).sort("d").group_by("patient_id").agg(b=pl.col("v").last())
    post = psa.filter(pl.col("d") > pl.col("t0")).group_by("patient_id").agg(m=pl.col("v").min())
    change = base.join(post, on="patient_id").select(c=(pl.col("m") - pl.col("b")) / pl.col("b"))["c"]
    assert 0.25 <= (change <= -0.5).mean() <= 0.55  # PSA50 responders
    assert 80 <= base["b"].median() <= 350 and base["b"].max() >= 2000

    plt = labs.filter(pl.col("analyte") == "platelets").with_columns(
        after=pl.col("d") > pl.col("t0") + pl.duration(days=150)
    )
    means = plt.group_by("after").agg(pl.col("v").mean()).sort("after")["v"]
    assert means[1] < 0.9 * means[0]  # platelets fall over treatment
