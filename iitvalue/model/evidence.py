"""The evidence weight of a readout from what makes it reliable: a rubric over its centres, its response
assessment, the grade of the product it used and its follow-up (docs/method.md 2.5).

A readout's likelihood is raised to a weight w (power prior). Without its own ``weight``, w is the design's base
weight (``pos.iit_weight``, 0.5, or ``pos.registrational_weight``, 1.0) times, for each feature x, how its value
compares with the design's *typical* value:

    w = min(1, w_design x prod_x m_x(value_x) / m_x(typical_x)),

so the typical IIT (one centre, investigator-assessed, academic manufacturing, six months of follow-up) keeps
0.5 and the typical registrational trial (five or more centres, independent review, the commercial process, a
year of follow-up) keeps 1.0; a field the readout does not give counts as typical. The product of the typical
IIT's multipliers, 0.80 x 0.90 x 0.90 x 0.81 = 0.52, is close to the 0.5 default: the rubric explains it. The
follow-up factor is m_t(t) = min(1, t^0.3) (t in years): an early readout counts for less. A sub-therapeutic dose cohort does not count at all (weight 0: it speaks to a dose the asset will not use,
so its non-responders are not evidence against it). The multipliers and their sources are
:data:`MULTIPLIERS` and docs/research/pos-stage-and-evidence.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# m_x for each value of each categorical feature (docs/method.md 2.5; sources and ranges in
# docs/research/pos-stage-and-evidence.md, every multiplier an ASSUMPTION on sourced inputs):
# centres - single-centre trials show larger effects than multicentre ones (ratio of odds ratios 0.73, 0.85 after
#   size adjustment: Dechartres et al., Ann Intern Med 2011 [C]);
# assessment - investigator-assessed response rates run about 1.175x central review in solid tumours (Dello Russo
#   et al. 2021 [C]) and about 1x in haematology [C-sec]: 0.90 between the two;
# manufacturing - same-product CAR-T pairs: registrational ORR about 0.9x the early academic readout (CTL019
#   0.90, CT103A 0.96, ide-cel 0.73-0.81, relma-cel ~1.0; research note section 2).
MULTIPLIERS: dict[str, dict[str, float]] = {
    "centres": {"single": 0.80, "few": 0.90, "multi": 1.0},
    "assessment": {"investigator": 0.90, "independent": 1.0},
    "manufacturing": {"academic": 0.90, "gmp-clinical": 0.95, "commercial": 1.0},
}
MATURE_FOLLOWUP = 1.0  # years: m_t(t) = min(1, (t / 1 year) ** FOLLOWUP_POWER)
FOLLOWUP_POWER = 0.3  # CR deepens for ~2 years (CARTITUDE-1 sCR 67 % at 12.4 months, 82.5 % at 27.7 [C-sec]),
# best ORR settles by ~3 months: 0.81 at six months, 0.66 at three (research note section 2.3)
TYPICAL: dict[str, dict[str, Any]] = {
    "iit": {"centres": "single", "assessment": "investigator", "manufacturing": "academic", "followup": 0.5},
    "registrational": {"centres": "multi", "assessment": "independent", "manufacturing": "commercial",
                       "followup": 1.0},
}


def followup_factor(years: float) -> float:
    """m_t(t) = min(1, (t / 1 year)^0.3): the weight of a readout with median follow-up ``years`` relative to
    a mature one (a year or more)."""
    return min(1.0, (years / MATURE_FOLLOWUP) ** FOLLOWUP_POWER)


@dataclass(frozen=True)
class Rubric:
    """A readout's evidence weight and its parts: the base weight of its design, each feature's factor
    (m_x(value) / m_x(typical); 1 for a feature not given) and the weight w (0 for a sub-therapeutic dose)."""

    base: float
    factors: dict[str, float]
    weight: float
    note: str

    def summary(self) -> dict[str, Any]:
        return {"base": self.base, **{f"factor_{k}": v for k, v in self.factors.items()}, "weight": self.weight}


def centres_value(centres: int | None) -> str | None:
    """``single`` for one centre, ``few`` for two to four, ``multi`` for five or more, None when not given."""
    return None if centres is None else ("single" if centres <= 1 else "few" if centres <= 4 else "multi")


def rubric(design: str, base: float, centres: int | None = None, assessment: str | None = None,
           manufacturing: str | None = None, followup: float | None = None,
           dose_level: str | None = None) -> Rubric:
    """The evidence weight of a readout by the rubric (module docstring).

    Parameters
    ----------
    design : {"iit", "registrational"}
        The readout's design; sets the typical values.
    base : float
        The design's base weight (``pos.iit_weight`` or ``pos.registrational_weight``), a fraction in (0, 1].
    centres : int, optional
        Number of centres.
    assessment : {"investigator", "independent"}, optional
        Who assessed the responses.
    manufacturing : {"academic", "gmp-clinical", "commercial"}, optional
        The grade of the product used.
    followup : float, optional
        Median follow-up in years (> 0).
    dose_level : {"therapeutic", "sub-therapeutic"}, optional
        Sub-therapeutic cohorts get weight 0.

    Returns
    -------
    Rubric

    Examples
    --------
    The typical IIT keeps its base weight; a five-centre IIT with independent review and a year of follow-up
    counts for more: 0.5 x (1.0 / 0.8) x (1.0 / 0.9) x (1 / 0.5^0.3) = 0.5 x 1.25 x 1.111 x 1.231 = 0.8549.

    >>> rubric("iit", 0.5, centres=1).weight
    0.5
    >>> round(rubric("iit", 0.5, centres=5, assessment="independent", followup=1.0).weight, 4)
    0.8549
    >>> rubric("iit", 0.5, dose_level="sub-therapeutic").weight
    0.0
    """
    typical = TYPICAL["iit" if design == "iit" else "registrational"]
    given = {"centres": centres_value(centres), "assessment": assessment, "manufacturing": manufacturing}
    factors = {}
    for key, value in given.items():
        factors[key] = 1.0 if value is None else MULTIPLIERS[key][value] / MULTIPLIERS[key][typical[key]]
    factors["followup"] = (1.0 if followup is None else
                           followup_factor(followup) / followup_factor(typical["followup"]))
    if dose_level == "sub-therapeutic":
        return Rubric(base, factors, 0.0, "sub-therapeutic dose: not counted")
    w = base
    for f in factors.values():
        w *= f
    w = min(1.0, w)
    parts = [f"{k} x{v:.3g}" for k, v in factors.items() if v != 1.0]
    return Rubric(base, factors, w, f"{design} base {base:g}" + (", " + ", ".join(parts) if parts else ""))
