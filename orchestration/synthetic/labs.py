"""Lab results: baseline, before each cycle, blood counts between cycles, and follow-up.

Cytopenias deepen with the cumulative activity received, more so with a poor marrow reserve (diffuse
bone disease, prior taxanes or radium-223), with a nadir about three weeks after each cycle. PSA follows
the patient's response course; ALP and LDH move with it. Values are written in each centre's units.
Everything is vectorised over one block of patients; nothing is built per row in Python.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.synthetic import formatting as fmt
from orchestration.synthetic.cohort import (
    BONE_DIFFUSE,
    BONE_MULTIPLE,
    BONE_NONE,
    DAYS_PER_YEAR,
    Cohort,
    psa_factor,
)
from orchestration.synthetic.schedule import INTERIM, cycles_before, lab_visits
from orchestration.synthetic.seed_facts import plausible, reference_ranges_male
from orchestration.synthetic.sites import ANALYTES, SITES
from orchestration.synthetic.treatment import Cycles

LAB_FORMAT = fmt.FileFormat(separator=";", decimal=",", bom=True)
PSA_FLOOR = 0.01  # assay limit: lower PSA is written "<0,01"
PSA_CEILING = 5000.0  # sites that cap the assay write ">5000"
_BLOOD_COUNTS = ("hemoglobin", "wbc", "platelets", "neutrophils", "lymphocytes")

# Share of visits on which an analyte is missing (not every panel is complete).
_MISSING = {
    "hemoglobin": 0.01,
    "wbc": 0.01,
    "platelets": 0.01,
    "neutrophils": 0.10,
    "lymphocytes": 0.10,
    "creatinine": 0.02,
    "egfr": 0.05,
    "psa": 0.03,
    "alp": 0.08,
    "ldh": 0.25,
}


def ckd_epi_2021_male(creatinine_mg_dl: np.ndarray, age_years: np.ndarray) -> np.ndarray:
    ratio = creatinine_mg_dl / 0.9
    return 142.0 * np.minimum(ratio, 1.0) ** -0.302 * np.maximum(ratio, 1.0) ** -1.200 * 0.9938**age_years


def _latent_values(
    rng: np.random.Generator, c: Cohort, cy: Cycles, lo: int, hi: int, p: np.ndarray, date: np.ndarray
) -> dict[str, np.ndarray]:
    """Canonical-unit values of every analyte on every visit (whether or not it is reported)."""
    m = hi - lo
    ecog, extent = c.ecog[lo:hi], c.bone_extent[lo:hi]
    diffuse = extent == BONE_DIFFUSE
    hb0 = np.clip(
        rng.normal(12.6, 1.3, m)
        - np.array([0.0, 0.4, 1.0, 2.6])[ecog]
        - 0.9 * diffuse
        - 0.4 * c.prior_docetaxel[lo:hi],
        6.5,
        16.5,
    )
    plt0 = np.clip(rng.lognormal(np.log(235.0), 0.28, m) * np.where(diffuse, 0.78, 1.0), 45.0, 650.0)
    wbc0 = np.clip(rng.lognormal(np.log(6.6), 0.28, m) * np.where(diffuse, 0.88, 1.0), 2.2, 18.0)
    neut_frac = rng.uniform(0.55, 0.74, m)
    lymph_frac = rng.uniform(0.12, 0.28, m)
    cr0 = np.clip(rng.lognormal(np.log(0.95), 0.25, m), 0.45, 3.0)
    alp_scale = np.select(
        [extent == BONE_NONE, extent == BONE_MULTIPLE, diffuse], [75.0, 150.0, 320.0], 100.0
    )
    alp0 = np.clip(rng.lognormal(np.log(alp_scale), 0.5, m), 35.0, 3500.0)
    ldh0 = np.clip(
        rng.lognormal(np.log(215.0), 0.3, m)
        * np.where(c.other_mets["liver"][lo:hi], 1.35, 1.0)
        * np.where(ecog == 3, 1.2, 1.0),
        110.0,
        2500.0,
    )

    i = p - lo
    feat = cycles_before(cy, lo, hi, p, date)
    load, since = feat["load"], feat["since"]
    r = c.reserve[p]
    f = psa_factor(c, p, date)
    growth = np.log(np.maximum(f, 1.0))
    nadir = np.where(since >= 0, np.exp(-(((since - 21.0) / 9.0) ** 2)), 0.0)
    k = len(p)

    def noise(sd: float) -> np.ndarray:
        return rng.lognormal(0.0, sd, k)

    hb = (
        hb0[i]
        * np.exp(-0.0045 * load / r - 0.03 * growth)
        * (1 - np.minimum(0.05 * nadir / r, 0.2))
        * noise(0.035)
    )
    wbc = wbc0[i] * np.exp(-0.009 * load / r) * (1 - np.minimum(0.2 * nadir / r, 0.5)) * noise(0.08)
    plt = (
        plt0[i]
        * np.exp(-0.011 * load / r - 0.04 * growth)
        * (1 - np.minimum(0.25 * nadir / r, 0.6))
        * noise(0.08)
    )
    neut = wbc * neut_frac[i] * noise(0.05)
    lymph = wbc * lymph_frac[i] * np.exp(-0.012 * load) * noise(0.08)
    creat = np.clip(cr0[i] * (1.0 + 0.004 * load) * noise(0.05), 0.3, 12.0)
    age = np.floor((date - c.birth[p]) / DAYS_PER_YEAR)
    psa = c.psa0[p] * f * noise(0.05)
    values = {
        "hemoglobin": np.clip(hb, 4.0, 18.0),
        "wbc": np.clip(wbc, 0.3, 40.0),
        "platelets": np.clip(plt, 3.0, 900.0),
        "neutrophils": np.clip(neut, 0.05, 30.0),
        "lymphocytes": np.clip(lymph, 0.05, 10.0),
        "creatinine": creat,
        "egfr": np.clip(ckd_epi_2021_male(creat, age), 4.0, 150.0),
        "psa": np.minimum(psa, 0.9 * plausible("psa")[1]),
        "alp": np.clip(alp0[i] * f**0.3 * noise(0.08), 20.0, 0.9 * plausible("alp")[1]),
        "ldh": np.clip(ldh0[i] * f**0.2 * noise(0.08), 80.0, 0.9 * plausible("ldh")[1]),
    }
    return values


def lab_block(rng: np.random.Generator, c: Cohort, cy: Cycles, lo: int, hi: int) -> pl.DataFrame:
    """lab_results rows (all text, as written) for patients lo:hi."""
    v = lab_visits(rng, c, cy, lo, hi)
    values = _latent_values(rng, c, cy, lo, hi, v.patient, v.date)
    site = c.site[v.patient]
    interim = v.kind == INTERIM
    reports_egfr = np.array([s.reports_egfr for s in SITES])[site]

    idx_parts, analyte_parts, value_parts = [], [], []
    for a_code, analyte in enumerate(ANALYTES):
        present = rng.random(len(v.patient)) >= _MISSING[analyte]
        # between cycles only the blood count and renal function, now and then a PSA
        if analyte == "psa":
            present &= ~interim | (rng.random(len(site)) < 0.15)
        elif analyte in ("alp", "ldh"):
            present &= ~interim
        if analyte == "egfr":
            present &= reports_egfr
        rows = np.nonzero(present)[0]
        idx_parts.append(rows)
        analyte_parts.append(np.full(len(rows), a_code, np.int8))
        value_parts.append(values[analyte][rows])
    row_visit = np.concatenate(idx_parts)
    order = np.argsort(row_visit, kind="stable")
    row_visit = row_visit[order]
    analyte_code = np.concatenate(analyte_parts)[order]
    canonical = np.concatenate(value_parts)[order]
    return _format(c, v.patient[row_visit], v.date[row_visit], analyte_code, canonical)


def _format(
    c: Cohort, patient: np.ndarray, date: np.ndarray, analyte_code: np.ndarray, canonical: np.ndarray
) -> pl.DataFrame:
    site = c.site[patient]
    # Per (site, analyte): unit spelling, factor, decimals; looked up per row by integer index.
    units = [[s.lab_unit(a) for a in ANALYTES] for s in SITES]
    n_a = len(ANALYTES)
    combo = site * n_a + analyte_code
    spelling = np.array([u.spelling for row in units for u in row], dtype=object)
    factor = np.array([u.factor for row in units for u in row])
    decimals = np.array([u.decimals for row in units for u in row])
    in_unit = canonical / factor[combo]
    psa_code = ANALYTES.index("psa")
    text = fmt.fixed(in_unit, decimals[combo], LAB_FORMAT.decimal)
    floor_text = "<" + fmt.fixed(np.array([PSA_FLOOR]), 2, LAB_FORMAT.decimal)[0]
    capped = (
        np.array([s.writes_psa_upper_bound for s in SITES])[site]
        & (analyte_code == psa_code)
        & (canonical > PSA_CEILING)
    )
    below = (analyte_code == psa_code) & (canonical < PSA_FLOOR)

    ref_low, ref_high = _reference_columns(site, analyte_code, factor[combo], decimals[combo])
    frame = pl.DataFrame(
        {
            "patient_id": c.patient_id.gather(patient),
            "sample_date": fmt.dates(date, LAB_FORMAT.date_format),
            "analyte": pl.Series(np.array(ANALYTES, dtype=object)[analyte_code], dtype=pl.String),
            "value": text,
            "unit": pl.Series(spelling[combo], dtype=pl.String),
            "ref_low": ref_low,
            "ref_high": ref_high,
            "_below": below,
            "_capped": capped,
        }
    )
    return frame.with_columns(
        pl.when(pl.col("_below"))
        .then(pl.lit(floor_text))
        .when(pl.col("_capped"))
        .then(pl.lit(">" + fmt.fixed(np.array([PSA_CEILING]), 0)[0]))
        .otherwise(pl.col("value"))
        .alias("value")
    ).drop("_below", "_capped")


def _reference_columns(
    site: np.ndarray, analyte_code: np.ndarray, factor: np.ndarray, decimals: np.ndarray
) -> tuple[pl.Series, pl.Series]:
    """The lab's own reference range, in the row's unit, from centres that print one."""
    refs = reference_ranges_male()
    given = np.array([s.gives_reference_ranges for s in SITES])[site]
    out = []
    for side in (0, 1):
        bound = np.array([np.nan if refs[a][side] is None else refs[a][side] for a in ANALYTES])[analyte_code]
        show = given & ~np.isnan(bound)
        text = fmt.fixed(np.where(show, bound / factor, 0.0), np.maximum(decimals, 1), LAB_FORMAT.decimal)
        out.append(pl.select(pl.when(pl.Series(show)).then(text).otherwise(None)).to_series())
    return out[0], out[1]
