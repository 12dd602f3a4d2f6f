"""The treating centres of the synthetic registry and the units their labs and pharmacies report in.

Centres differ on purpose: the warehouse must normalise hemoglobin in g/L or mmol/L, creatinine in
µmol/L, ALP/LDH in µkat/L, counts as /µL, and activities in MBq or mCi. Every unit is looked up in the
seed (`unit_conversions.csv`), so a unit the contract does not accept cannot slip in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.synthetic.seed_facts import Unit, unit

ANALYTES: tuple[str, ...] = (
    "hemoglobin",
    "wbc",
    "platelets",
    "neutrophils",
    "lymphocytes",
    "creatinine",
    "egfr",
    "psa",
    "alp",
    "ldh",
)

# Decimals a lab writes in the canonical unit.
_CANONICAL: dict[str, tuple[str, int]] = {
    "hemoglobin": ("g/dL", 1),
    "wbc": ("10^9/L", 2),
    "platelets": ("10^9/L", 0),
    "neutrophils": ("10^9/L", 2),
    "lymphocytes": ("10^9/L", 2),
    "creatinine": ("mg/dL", 2),
    "egfr": ("mL/min/1.73m²", 0),
    "psa": ("ng/mL", 2),
    "alp": ("U/L", 0),
    "ldh": ("U/L", 0),
}


@dataclass(frozen=True)
class Site:
    site_id: str
    weight: float
    # analyte -> (unit spelling, decimals) where the centre differs from the canonical unit
    lab_units: dict[str, tuple[str, int]] = field(default_factory=dict)
    activity_unit: tuple[str, int] = ("GBq", 2)
    reports_egfr: bool = True  # False: only creatinine, eGFR must be derived
    gives_reference_ranges: bool = False
    writes_psa_upper_bound: bool = False  # PSA above the assay range written as ">5000"

    def lab_unit(self, analyte: str) -> Unit:
        spelling, decimals = self.lab_units.get(analyte, _CANONICAL[analyte])
        return unit(analyte, spelling, decimals)

    def lutetium_unit(self) -> Unit:
        return unit("activity", *self.activity_unit)


_COUNTS_G_L = {
    a: ("G/L", 2 if a != "platelets" else 0) for a in ("wbc", "platelets", "neutrophils", "lymphocytes")
}
_COUNTS_NL = {
    a: ("/nL", 2 if a != "platelets" else 0) for a in ("wbc", "platelets", "neutrophils", "lymphocytes")
}
_COUNTS_K_UL = {
    a: ("10^3/µL", 2 if a != "platelets" else 0) for a in ("wbc", "platelets", "neutrophils", "lymphocytes")
}

SITES: tuple[Site, ...] = (
    Site("S01", 0.33),
    Site("S02", 0.20, lab_units=dict(_COUNTS_G_L), activity_unit=("MBq", 0)),
    Site(
        "S03",
        0.15,
        lab_units={"hemoglobin": ("g/L", 0), "creatinine": ("µmol/L", 0)},
        reports_egfr=False,
    ),
    Site(
        "S04",
        0.12,
        lab_units={"hemoglobin": ("mmol/L", 2), "alp": ("µkat/L", 2), "ldh": ("µkat/L", 2), **_COUNTS_NL},
        gives_reference_ranges=True,
    ),
    Site(
        "S05",
        0.11,
        lab_units={"psa": ("µg/L", 2), "egfr": ("mL/min", 0), **_COUNTS_K_UL},
        writes_psa_upper_bound=True,
    ),
    Site(
        "S06",
        0.09,
        lab_units={"wbc": ("/µL", 0), "creatinine": ("µmol/L", 0)},
        activity_unit=("mCi", 1),
    ),
)

# Actinium activities are always written in MBq, whatever the centre's lutetium habit.
ACTINIUM_UNIT: Unit = unit("activity", "MBq", 1)
