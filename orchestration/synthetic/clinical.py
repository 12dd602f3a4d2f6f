"""The smaller tables: patients, ECOG, prior therapies, metastases, cycles, adverse events, vital status.

Each function returns the table as written (every cell text, nulls empty), sorted by patient and date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.synthetic import formatting as fmt
from orchestration.synthetic.cohort import (
    AC_617,
    BONE_DIFFUSE,
    BONE_MULTIPLE,
    BONE_NONE,
    OTHER_MET_SITES,
    RADIOLIGANDS,
    RESPONDER,
    Cohort,
)
from orchestration.synthetic.schedule import cycles_before, follow_up
from orchestration.synthetic.sites import ACTINIUM_UNIT, SITES
from orchestration.synthetic.treatment import Cycles

PERFORMANCE_FORMAT = fmt.FileFormat(date_format=fmt.GERMAN)
EXTENTS = ("oligo", "multiple", "diffuse")
# Header spelling of vital_status.csv: names match case-insensitively, and registries are not tidy.
VITAL_STATUS_HEADER = {
    "patient_id": "Patient_ID",
    "last_known_alive_date": "Last_Known_Alive_Date",
    "death_date": "Death_Date",
}

_FIRST = ("Max", "Erika", "Hans", "Otto", "Karl", "Fritz", "Paul", "Heinz", "Klaus", "Jürgen", "Bernd", "Uwe")
_LAST = ("Mustermann", "Musterfrau", "Beispiel", "Testpatient", "Platzhalter", "Fiktiv", "Synthetik")


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Sort by the helper columns _p (patient) and _d (date/order key), stably, and drop them."""
    return frame.sort(["_p", "_d"], maintain_order=True).drop("_p", "_d")


def _blank_where(mask: np.ndarray, text: pl.Series) -> pl.Series:
    return pl.select(pl.when(pl.Series(mask)).then(None).otherwise(text)).to_series()


def patients(rng: np.random.Generator, c: Cohort) -> pl.DataFrame:
    n = c.n
    mrn = rng.choice(10**7, size=n, replace=False)
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    return pl.DataFrame(
        {
            "patient_id": c.patient_id,
            "site_id": pl.Series(np.array([s.site_id for s in SITES], dtype=object)[c.site], dtype=pl.String),
            "mrn": "MRN-" + fmt.ints(mrn).str.zfill(7),
            "birth_date": fmt.dates(c.birth),
            "sex": pl.Series(np.where(c.sex_unknown, "U", "M"), dtype=pl.String),
            "diagnosis_date": pl.select(
                pl.when(pl.Series(c.diagnosis_known)).then(fmt.dates(c.diagnosis)).otherwise(None)
            ).to_series(),
            "gleason_score": pl.select(
                pl.when(pl.Series(c.gleason > 0)).then(fmt.ints(c.gleason)).otherwise(None)
            ).to_series(),
            "consent_data_use": pl.Series(np.where(c.consent, "yes", "no"), dtype=pl.String),
            "patient_name": pl.Series(first + " " + last, dtype=pl.String),
        }
    )


def rlt_cycles(c: Cohort, cy: Cycles) -> pl.DataFrame:
    site = c.site[cy.patient]
    actinium = c.radioligand[cy.patient] == AC_617
    lu_units = [s.lutetium_unit() for s in SITES]
    factor = np.where(actinium, ACTINIUM_UNIT.factor, np.array([u.factor for u in lu_units])[site])
    decimals = np.where(actinium, ACTINIUM_UNIT.decimals, np.array([u.decimals for u in lu_units])[site])
    spelling = np.where(actinium, ACTINIUM_UNIT.spelling, np.array([u.spelling for u in lu_units])[site])
    canonical_gbq = np.where(actinium, cy.activity / 1000.0, cy.activity)
    # One centre leaves `series` empty for the first series (the contract's default).
    series_text = fmt.ints(cy.series)
    blank_series = (np.array([s.site_id for s in SITES])[site] == "S03") & (cy.series == 1)
    return pl.DataFrame(
        {
            "patient_id": c.patient_id.gather(cy.patient),
            "administration_date": fmt.dates(cy.date),
            "radioligand": pl.Series(
                np.array(RADIOLIGANDS, dtype=object)[c.radioligand[cy.patient]], dtype=pl.String
            ),
            "activity": fmt.fixed(canonical_gbq / factor, decimals),
            "activity_unit": pl.Series(spelling, dtype=pl.String),
            "series": pl.select(
                pl.when(pl.Series(blank_series)).then(None).otherwise(series_text)
            ).to_series(),
        }
    )


def _dedupe_sorted(p: np.ndarray, d: np.ndarray, *cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort by (patient, date) keeping the first listed entry per patient and date."""
    order = np.lexsort((np.arange(len(p)), d, p))
    p, d = p[order], d[order]
    keep = np.ones(len(p), bool)
    keep[1:] = (p[1:] != p[:-1]) | (d[1:] != d[:-1])
    return (p[keep], d[keep], *(x[order][keep] for x in cols))


def performance_status(rng: np.random.Generator, c: Cohort, cy: Cycles) -> pl.DataFrame:
    n = c.n
    pats = np.arange(n)
    base_d = c.t0 - rng.integers(0, 22, n)
    old = rng.random(n) < 0.35
    old_p = pats[old]
    old_d = c.t0[old] - rng.integers(100, 301, int(old.sum()))
    later = rng.random(len(cy.patient)) < 0.6
    first = np.zeros(len(cy.patient), bool)
    first[cy.start[:-1]] = True
    cyc = later & ~first
    cyc_p, cyc_d = cy.patient[cyc], cy.date[cyc] - rng.integers(0, 3, int(cyc.sum()))
    fu_p, fu_d = follow_up(rng, c, cy, 0, n)
    fu_keep = rng.random(len(fu_p)) < 0.5
    # listed baseline first so that it wins a same-day tie
    p = np.concatenate([pats, old_p, cyc_p, fu_p[fu_keep]])
    d = np.concatenate([base_d, old_d, cyc_d, fu_d[fu_keep]])
    p, d = _dedupe_sorted(p, d)

    t = d - c.t0[p]
    ecog = c.ecog[p].astype(np.int64)
    ecog = np.where(t < -90, np.maximum(ecog - (rng.random(len(p)) < 0.5), 0), ecog)
    worse = (t > c.psa_t_rise[p] + 60).astype(np.int64) + (c.dead[p] & (c.death[p] - d < 45))
    better = (c.improver[p] & (t > 60)).astype(np.int64)
    ecog = np.where(t > 0, np.clip(ecog + worse - better, 0, 4), ecog)
    return pl.DataFrame(
        {
            "patient_id": c.patient_id.gather(p),
            "assessment_date": fmt.dates(d, PERFORMANCE_FORMAT.date_format),
            "ecog": fmt.ints(ecog),
        }
    )


def prior_therapies(rng: np.random.Generator, c: Cohort) -> pl.DataFrame:
    n = c.n
    span = (c.t0 - c.diagnosis).astype(np.float64)
    latest_end = c.t0 - 14

    def at(frac: np.ndarray) -> np.ndarray:
        return c.diagnosis + np.floor(frac * span).astype(np.int64)

    prostatectomy = rng.random(n) < 0.30
    naad = rng.random(n) < 0.90
    abi = naad & (rng.random(n) < 0.62)
    enza = naad & (rng.random(n) < 0.68)
    apa = naad & (rng.random(n) < 0.12)
    daro = naad & (rng.random(n) < 0.05)
    enza |= naad & ~(abi | enza | apa | daro)

    def after(start: np.ndarray, lo: int, hi: int) -> np.ndarray:
        return start + rng.integers(lo, hi, n)

    # Taxanes: docetaxel first; cabazitaxel (2nd line) after docetaxel ended.
    caba_start = np.minimum(
        np.where(c.prior_docetaxel, at(rng.uniform(0.75, 0.85, n)), at(rng.uniform(0.7, 0.85, n))),
        latest_end - 60,
    )
    doce_start = at(rng.uniform(0.5, 0.7, n))
    doce_end = np.minimum(
        after(doce_start, 100, 200), np.where(c.prior_cabazitaxel, caba_start - 21, latest_end)
    )
    doce_start = np.minimum(doce_start, doce_end - 42)
    prostatectomy_date = c.diagnosis + rng.integers(30, 120, n)
    rt_start = at(rng.uniform(0.0, 0.7, n))
    entries: list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]] = [
        ("prostatectomy", prostatectomy, prostatectomy_date, prostatectomy_date),
        ("radiotherapy", rng.random(n) < 0.40, rt_start, after(rt_start, 25, 50)),
        ("adt", rng.random(n) < 0.99, c.diagnosis + rng.integers(0, 180, n), None),  # ongoing
    ]
    for therapy, has, lo_frac, hi_frac, max_days in (
        ("abiraterone", abi, 0.35, 0.55, 500),
        ("enzalutamide", enza, 0.45, 0.65, 500),
        ("apalutamide", apa, 0.25, 0.45, 400),
        ("darolutamide", daro, 0.25, 0.45, 400),
    ):
        start = at(rng.uniform(lo_frac, hi_frac, n))
        entries.append((therapy, has, start, after(start, 120, max_days)))
    radium_start = at(rng.uniform(0.8, 0.9, n))
    parp_start = at(rng.uniform(0.85, 0.92, n))
    other_start = at(rng.uniform(0.2, 0.9, n))
    entries += [
        ("docetaxel", c.prior_docetaxel, doce_start, doce_end),
        ("cabazitaxel", c.prior_cabazitaxel, caba_start, after(caba_start, 60, 180)),
        ("radium223", c.prior_radium, radium_start, radium_start + 140),
        ("parp_inhibitor", rng.random(n) < 0.08, parp_start, after(parp_start, 60, 240)),
        ("other", rng.random(n) < 0.10, other_start, after(other_start, 30, 300)),
    ]
    parts = []
    for code, (therapy, has, start, end) in enumerate(entries):
        pats = np.nonzero(has)[0]
        s = np.minimum(start[pats], latest_end[pats] - 30)
        e = None if end is None else np.maximum(np.minimum(end[pats], latest_end[pats]), s)
        drop_start = rng.random(len(pats)) < 0.04
        drop_end = rng.random(len(pats)) < 0.06
        parts.append(
            pl.DataFrame(
                {
                    "_p": pats,
                    "_d": np.full(len(pats), code),
                    "patient_id": c.patient_id.gather(pats),
                    "therapy": pl.Series([therapy] * len(pats), dtype=pl.String),
                    "start_date": _blank_where(drop_start, fmt.dates(s)),
                    "end_date": (
                        pl.Series([None] * len(pats), dtype=pl.String)
                        if e is None
                        else _blank_where(drop_end, fmt.dates(e))
                    ),
                }
            )
        )
    return _sorted(pl.concat(parts))


def metastases(rng: np.random.Generator, c: Cohort) -> pl.DataFrame:
    n = c.n
    site_names = ("bone",) + tuple(name for name, _, _ in OTHER_MET_SITES)
    present = {"bone": c.bone_extent != BONE_NONE, **c.other_mets}
    extent = c.bone_extent.copy()

    baseline_d = c.t0 - rng.integers(3, 46, n)
    early = rng.random(n) < 0.30
    early_d = np.maximum(c.t0 - rng.integers(150, 501, n), c.diagnosis + 30)
    restage_d = c.t0 + rng.integers(84, 101, n)
    restage = (rng.random(n) < 0.40) & (restage_d <= c.fu_end)
    new_liver = restage & (c.response != RESPONDER) & (rng.random(n) < 0.25)

    parts = []
    for when, (assessed, date) in enumerate(
        ((early, early_d), (np.ones(n, bool), baseline_d), (restage, restage_d))
    ):
        for code, name in enumerate(site_names):
            has = assessed & present[name]
            if when == 0 and name != "bone":
                has &= rng.random(n) < 0.5  # earlier imaging saw fewer sites
            if when == 2 and name == "liver":
                has |= new_liver
            pats = np.nonzero(has)[0]
            ext_text = None
            if name == "bone":
                ext = extent[pats]
                if when == 0:  # bone disease progressed since the earlier imaging
                    ext = np.where(ext == BONE_DIFFUSE, BONE_MULTIPLE, ext)
                blank = rng.random(len(pats)) < 0.03
                # via a list: polars cannot cast an empty or all-None numpy object array to String
                ext_text = pl.Series(
                    np.where(blank, None, np.array(EXTENTS, dtype=object)[np.clip(ext, 0, 2)]).tolist(),
                    dtype=pl.String,
                )
            parts.append(
                pl.DataFrame(
                    {
                        "_p": pats,
                        "_d": date[pats] * 16 + code,
                        "patient_id": c.patient_id.gather(pats),
                        "assessment_date": fmt.dates(date[pats]),
                        "site": pl.Series([name] * len(pats), dtype=pl.String),
                        "extent": ext_text
                        if ext_text is not None
                        else pl.Series([None] * len(pats), dtype=pl.String),
                    }
                )
            )
    return _sorted(pl.concat(parts))


def adverse_events(rng: np.random.Generator, c: Cohort, cy: Cycles) -> pl.DataFrame:
    n = c.n
    pats = np.arange(n)
    first = np.zeros(len(cy.patient), bool)
    first[cy.start[:-1]] = True
    fu_p, fu_d = follow_up(rng, c, cy, 0, n)
    # the first two follow-up visits after each series
    position = np.arange(len(fu_p))
    new_patient = np.ones(len(fu_p), bool)
    new_patient[1:] = fu_p[1:] != fu_p[:-1]
    fu_rank = position - np.maximum.accumulate(np.where(new_patient, position, 0))
    fu_keep = fu_rank < 2
    p = np.concatenate([pats, cy.patient[~first], fu_p[fu_keep]])
    d = np.concatenate([c.t0 - rng.integers(0, 15, n), cy.date[~first], fu_d[fu_keep]])
    p, d = _dedupe_sorted(p, d)
    t = d - c.t0[p]
    post = t > 0
    k = len(p)
    n_cycles = cycles_before(cy, 0, n, p, d + 1)["count"]  # cycles given on or before the date

    fatigue_p = np.array(
        [[0.60, 0.35, 0.05, 0.0], [0.35, 0.50, 0.15, 0.0], [0.15, 0.50, 0.35, 0.0], [0.05, 0.40, 0.45, 0.10]]
    )
    fatigue0 = (rng.random(n)[:, None] > np.cumsum(fatigue_p[c.ecog], axis=1)[:, :3]).sum(axis=1)
    better = (c.response == RESPONDER) & (rng.random(n) < 0.35)
    worse = rng.random(n) < 0.5
    fatigue = fatigue0[p] - (better[p] & (t > 60)) + (worse[p] & (t > c.psa_t_rise[p] + 30))
    fatigue = np.where(post, np.clip(fatigue, 0, 3), fatigue0[p])

    dry0 = (rng.random(n) < 0.10).astype(np.int64)
    onset1 = rng.geometric(0.13, n)
    onset2 = onset1 + rng.geometric(0.3, n) + 1
    dry = dry0[p] + (n_cycles >= onset1[p] + 1) + (n_cycles >= onset2[p] + 1)
    dry = np.clip(np.where(post, dry, dry0[p]), 0, 3)

    pain_assessed = (c.bone_extent != BONE_NONE) & (rng.random(n) < 0.6)
    pain0 = (rng.random(n)[:, None] > np.cumsum([0.30, 0.45, 0.22], axis=0)[None, :]).sum(axis=1)
    pain_better = (c.response == RESPONDER) & (rng.random(n) < 0.5)
    pain = np.clip(pain0[p] - (pain_better[p] & (t > 42)) + (t > c.psa_t_rise[p] + 30), 0, 3)
    pain = np.where(post, pain, pain0[p])

    nausea = (rng.random(k)[:, None] > np.array([0.75, 0.97])[None, :]).sum(axis=1)
    nausea_assessed = post & (rng.random(k) < 0.5)
    anorexia = np.clip(
        (rng.random(k)[:, None] > np.array([0.70, 0.95])[None, :]).sum(axis=1) + (c.ecog[p] == 3), 0, 3
    )
    anorexia_assessed = rng.random(k) < 0.15

    terms = (
        ("fatigue", fatigue, np.ones(k, bool)),
        ("dry_mouth", dry, np.ones(k, bool)),
        ("nausea", nausea, nausea_assessed),
        ("pain", pain, pain_assessed[p]),
        ("anorexia", anorexia, anorexia_assessed),
    )
    parts = []
    for code, (term, grade, assessed) in enumerate(terms):
        rows = np.nonzero(assessed)[0]
        parts.append(
            pl.DataFrame(
                {
                    "_p": p[rows],
                    "_d": d[rows] * 8 + code,
                    "patient_id": c.patient_id.gather(p[rows]),
                    "assessment_date": fmt.dates(d[rows]),
                    "term": pl.Series([term] * len(rows), dtype=pl.String),
                    "grade": fmt.ints(grade[rows]),
                }
            )
        )
    return _sorted(pl.concat(parts))


def vital_status(rng: np.random.Generator, c: Cohort, cy: Cycles) -> pl.DataFrame:
    n = c.n
    last_cycle = cy.date[cy.start[1:] - 1]
    lkad = np.where(
        c.dead,
        np.maximum(c.death - rng.integers(0, 21, n), c.t0),
        np.maximum(c.fu_end - rng.integers(0, 46, n), last_cycle),
    )
    lkad = np.minimum(lkad, c.fu_end)
    return pl.DataFrame(
        {
            "patient_id": c.patient_id,
            "last_known_alive_date": fmt.dates(lkad),
            "death_date": pl.select(
                pl.when(pl.Series(c.dead)).then(fmt.dates(c.death)).otherwise(None)
            ).to_series(),
        }
    )
