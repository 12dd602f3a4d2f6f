"""Patient-level draws: who the patients are, how ill they are, how they respond and when they die.

Everything downstream (cycles, labs, assessments) is derived from these arrays, so the clinical story of
a patient is consistent across tables: an ECOG-3 patient with diffuse bone disease gets a lower activity,
fewer cycles, deeper cytopenias and a shorter survival. Dates are integer days since 1970-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from orchestration.synthetic.sites import SITES

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = 30.4375
LN2 = float(np.log(2.0))

RESPONDER, STABLE, PROGRESSOR = 0, 1, 2
BONE_NONE, BONE_OLIGO, BONE_MULTIPLE, BONE_DIFFUSE = -1, 0, 1, 2
LU_617, LU_IT, AC_617 = 0, 1, 2
RADIOLIGANDS = ("177Lu-PSMA-617", "177Lu-PSMA-I&T", "225Ac-PSMA-617")

ECOG_SHARES = (0.30, 0.40, 0.22, 0.08)
# Response mix (responder, stable, early progressor) by baseline ECOG.
_RESPONSE_BY_ECOG = np.array([[0.45, 0.25, 0.30], [0.45, 0.25, 0.30], [0.38, 0.25, 0.37], [0.28, 0.22, 0.50]])
# Median overall survival in months by baseline ECOG, and the factor each response class applies.
_OS_MEDIAN_MONTHS = np.array([18.0, 15.0, 8.0, 3.0])
_OS_RESPONSE_FACTOR = np.array([1.5, 0.95, 0.55])
_OS_WEIBULL_SHAPE = 1.3

# Other metastatic sites: (name, share at ECOG 0-2, share at ECOG 3).
OTHER_MET_SITES: tuple[tuple[str, float, float], ...] = (
    ("lymph_node", 0.70, 0.78),
    ("liver", 0.15, 0.35),
    ("lung", 0.11, 0.20),
    ("brain", 0.02, 0.04),
    ("spinal", 0.03, 0.08),
    ("other_visceral", 0.05, 0.10),
    ("other", 0.04, 0.06),
)


@dataclass(frozen=True)
class Cohort:
    cutoff: int
    patient_id: pl.Series
    site: np.ndarray
    birth: np.ndarray
    sex_unknown: np.ndarray
    diagnosis: np.ndarray
    diagnosis_known: np.ndarray
    gleason: np.ndarray  # 0 = not recorded
    consent: np.ndarray
    ecog: np.ndarray  # baseline ECOG
    bone_extent: np.ndarray
    other_mets: dict[str, np.ndarray]
    prior_docetaxel: np.ndarray
    prior_cabazitaxel: np.ndarray
    prior_radium: np.ndarray
    response: np.ndarray
    reserve: np.ndarray  # bone-marrow reserve, 1 = normal; lower means deeper cytopenias
    t0: np.ndarray
    dead: np.ndarray
    death: np.ndarray  # meaningful where dead
    fu_end: np.ndarray  # last day anything can be recorded: death, loss to follow-up or cut-off
    radioligand: np.ndarray
    frail: np.ndarray
    # PSA course: log-linear fall to a nadir, then exponential rise with a doubling time
    psa0: np.ndarray
    psa_nadir: np.ndarray
    psa_t_nadir: np.ndarray
    psa_t_rise: np.ndarray
    psa_doubling: np.ndarray
    improver: np.ndarray  # ECOG improves by one point on response

    @property
    def n(self) -> int:
        return len(self.t0)


def patient_ids(rng: np.random.Generator, n: int) -> tuple[pl.Series, int]:
    """Pseudonymous ids like P004711: random distinct numbers, sorted so files read in id order."""
    width = max(6, len(str(n * 10)))
    numbers = np.sort(rng.choice(10**width - 1, size=n, replace=False) + 1)
    ids = pl.Series("patient_id", numbers).cast(pl.String).str.zfill(width)
    return ("P" + ids).alias("patient_id"), width


def draw_cohort(rng: np.random.Generator, n: int, cutoff: int) -> Cohort:
    ids, _ = patient_ids(rng, n)
    weights = np.array([s.weight for s in SITES])
    site = rng.choice(len(SITES), size=n, p=weights / weights.sum())

    # First cycle over ~6.5 years of accrual, denser in recent years (RLT use grew).
    t0 = cutoff - 21 - np.floor(2350 * rng.random(n) ** 1.4).astype(np.int64)
    age = np.clip(rng.normal(71.0, 7.5, n), 50.0, 90.0)
    birth = t0 - np.floor(age * DAYS_PER_YEAR).astype(np.int64) - rng.integers(0, 365, n)
    years_since_dx = np.clip(rng.lognormal(np.log(6.5), 0.55, n), 1.0, 22.0)
    diagnosis = t0 - np.floor(years_since_dx * DAYS_PER_YEAR).astype(np.int64)
    diagnosis_known = rng.random(n) > 0.04
    gleason = rng.choice([6, 7, 8, 9, 10], size=n, p=[0.05, 0.30, 0.22, 0.36, 0.07])
    gleason = np.where(rng.random(n) < 0.12, 0, gleason)
    consent = rng.random(n) >= 0.02
    sex_unknown = rng.random(n) < 0.005

    ecog = rng.choice(4, size=n, p=ECOG_SHARES)
    ecog3 = ecog == 3
    has_bone = rng.random(n) < np.where(ecog3, 0.97, 0.90)
    extent_p = np.array([[0.22, 0.48, 0.30], [0.22, 0.48, 0.30], [0.12, 0.45, 0.43], [0.06, 0.24, 0.70]])
    u = rng.random(n)
    cum = np.cumsum(extent_p[ecog], axis=1)
    extent = (u[:, None] > cum).sum(axis=1)
    bone_extent = np.where(has_bone, extent, BONE_NONE)
    other_mets = {name: rng.random(n) < np.where(ecog3, p3, p) for name, p, p3 in OTHER_MET_SITES}

    docetaxel = rng.random(n) < np.where(ecog >= 2, 0.72, 0.63)
    cabazitaxel = np.where(docetaxel, rng.random(n) < 0.35, rng.random(n) < 0.03)
    radium = (rng.random(n) < 0.15) & has_bone
    diffuse = bone_extent == BONE_DIFFUSE
    reserve = (
        np.where(diffuse, 0.62, np.where(bone_extent == BONE_MULTIPLE, 0.9, 1.0))
        * np.where(docetaxel, 0.88, 1.0)
        * np.where(cabazitaxel, 0.85, 1.0)
        * np.where(radium, 0.85, 1.0)
        * rng.lognormal(0.0, 0.15, n)
    )

    response = (rng.random(n)[:, None] > np.cumsum(_RESPONSE_BY_ECOG[ecog], axis=1)).sum(axis=1)
    psa0 = np.clip(rng.lognormal(np.log(170.0), 1.45, n) * np.where(ecog3, 1.6, 1.0), 0.8, 15000.0)
    is_r, is_s = response == RESPONDER, response == STABLE
    deep = is_r & (rng.random(n) < 0.04)
    psa_nadir = np.select(
        [deep, is_r, is_s],
        [
            10 ** rng.uniform(-5.0, -3.5, n),
            10 ** rng.uniform(np.log10(0.02), np.log10(0.45), n),
            rng.uniform(0.55, 1.05, n),
        ],
        1.0,
    )
    psa_t_nadir = np.select([is_r, is_s], [rng.uniform(56, 140, n), rng.uniform(42, 84, n)], 1.0)
    psa_t_rise = np.select(
        [is_r, is_s],
        [psa_t_nadir + rng.exponential(160, n), psa_t_nadir + 20 + rng.exponential(100, n)],
        0.0,
    )
    psa_doubling = np.select(
        [is_r, is_s], [rng.uniform(45, 120, n), rng.uniform(40, 100, n)], rng.uniform(25, 75, n)
    )

    median_days = _OS_MEDIAN_MONTHS[ecog] * _OS_RESPONSE_FACTOR[response] * DAYS_PER_MONTH
    scale = median_days / np.log(2.0) ** (1.0 / _OS_WEIBULL_SHAPE)
    survival = np.maximum(scale * (-np.log(rng.random(n))) ** (1.0 / _OS_WEIBULL_SHAPE), 10.0)
    death = t0 + np.floor(survival).astype(np.int64)
    lost = rng.random(n) < 0.06
    lost_at = np.where(lost, t0 + rng.integers(60, 900, n), cutoff)
    observed_until = np.minimum(cutoff, lost_at)
    dead = death <= observed_until
    fu_end = np.where(dead, death, observed_until)

    radioligand = rng.choice(3, size=n, p=[0.88, 0.10, 0.02])
    frail = ecog3 | (diffuse & (rng.random(n) < 0.5))
    improver = is_r & (ecog >= 1) & (rng.random(n) < 0.3)

    return Cohort(
        cutoff=cutoff,
        patient_id=ids,
        site=site,
        birth=birth,
        sex_unknown=sex_unknown,
        diagnosis=diagnosis,
        diagnosis_known=diagnosis_known,
        gleason=gleason,
        consent=consent,
        ecog=ecog,
        bone_extent=bone_extent,
        other_mets=other_mets,
        prior_docetaxel=docetaxel,
        prior_cabazitaxel=cabazitaxel,
        prior_radium=radium,
        response=response,
        reserve=reserve,
        t0=t0,
        dead=dead,
        death=death,
        fu_end=fu_end,
        radioligand=radioligand,
        frail=frail,
        psa0=psa0,
        psa_nadir=psa_nadir,
        psa_t_nadir=psa_t_nadir,
        psa_t_rise=psa_t_rise,
        psa_doubling=psa_doubling,
        improver=improver,
    )


def psa_factor(c: Cohort, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """PSA relative to its value at t0, for patients `idx` on dates `day` (before t0 it was rising)."""
    t = (day - c.t0[idx]).astype(np.float64)
    log_nadir = np.log(c.psa_nadir[idx])
    tn, tr, dbl = c.psa_t_nadir[idx], c.psa_t_rise[idx], c.psa_doubling[idx]
    tt = np.maximum(t, 0.0)
    falling = log_nadir * np.minimum(tt / tn, 1.0)
    at_rise = log_nadir * np.minimum(tr / tn, 1.0)
    log_f = np.where(tt <= tr, falling, at_rise + LN2 * (tt - tr) / dbl)
    log_f = np.where(t < 0, LN2 * t / dbl, log_f)
    return np.exp(log_f)
