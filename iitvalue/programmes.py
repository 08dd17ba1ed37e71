"""The dated programme library (``iitvalue/data/programmes/``) and the point-in-time class models built from it
(docs/method.md 2.3).

At a valuation date D the classes of an indication and modality use only what was public by D: a programme is
*active* once it was approved on or before D, *inactive* once it failed on efficacy on or before D;
safety failures, strategic discontinuations and running programmes are not evidence either way (a safety
failure is a non-efficacy risk, docs/method.md 2.4). Each member contributes its
largest readout (therapeutic doses) public by D, as the shipped class tables do (ORR and CR shrunk with a
Jeffreys half-count, each component worth the model's ``component_ess`` patients). With fewer than
``MIN_ACTIVE`` active or ``MIN_INACTIVE`` inactive members the family widens to every indication of the
library with the same modality; when even that is too thin the shipped model is used, and the note says so.
"""

from __future__ import annotations

import csv
import datetime as _dt
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from . import catalogue
from .catalogue import UNIFORM, ClassModel
from .stats.betamix import BetaMix

MIN_ACTIVE = 2
MIN_INACTIVE = 1
# a safety failure is not evidence of an inactive *efficacy* class: safety is one of the non-efficacy risks that
# multiply separately (docs/method.md 2.4), and JCAR015 (strong responses, stopped on safety) would otherwise make
# high response rates look like inactivity
CLASS_OF = {"approved": "active", "failed-efficacy": "inactive"}


@lru_cache(maxsize=None)
def read(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``iitvalue/data/programmes/<name>`` (programmes.csv, readouts.csv)."""
    with resources.files("iitvalue").joinpath("data", "programmes", name).open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def members(as_of: _dt.date, modality: str, indication: str | None, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The classified programmes by ``as_of`` (of ``indication``, or of any when None) with their largest readout
    public by then: dicts with programme, class, as_of (the readout's date), n, responders, complete."""
    day = as_of.isoformat()
    best: dict[str, dict] = {}
    for r in read("readouts.csv"):
        if r["date"] > day or r["dose"] == "sub-therapeutic" or not r["n"] or not r["responders"]:
            continue
        if r["programme"] not in best or float(r["n"]) > float(best[r["programme"]]["n"]):
            best[r["programme"]] = r
    out = []
    for p in read("programmes.csv"):
        cls = CLASS_OF.get(p["outcome"])
        if (cls is None or not p["outcome_date"] or p["outcome_date"] > day or p["modality"] != modality
                or (indication is not None and p["indication"] != indication) or p["programme"] in exclude
                or p["programme"] not in best):
            continue
        r = best[p["programme"]]
        out.append({"programme": p["programme"], "class": cls, "as_of": r["date"], "n": float(r["n"]),
                    "responders": float(r["responders"]), "complete": float(r["complete"]) if r["complete"] else None,
                    "source": r["source"]})
    return out


def _enough(ms: list[dict]) -> bool:
    return (sum(m["class"] == "active" for m in ms) >= MIN_ACTIVE
            and sum(m["class"] == "inactive" for m in ms) >= MIN_INACTIVE)


def point_in_time(base: ClassModel, as_of: _dt.date, modality: str, indication: str, generic: ClassModel,
                  exclude: tuple[str, ...] = (), ess: float = 20.0) -> tuple[ClassModel, str]:
    """``base``'s class model rebuilt from the library as of ``as_of`` (see the module docstring); the note says
    which family was used and how many members. Too few members even in the modality's family: ``generic``,
    the therapeutic area's literature model (its sources: Jardim et al. 2015, Oxnard et al. 2016)."""
    ms = members(as_of, modality, indication, exclude)
    family = f"{modality} in {indication}"
    if not _enough(ms):
        ms = members(as_of, modality, None, exclude)
        family = f"{modality} in every indication of the library (too few in {indication})"
    if not _enough(ms):
        return generic, (f"generic class model '{generic.key}' (literature, {generic.description}): fewer than "
                         f"{MIN_ACTIVE} approved or {MIN_INACTIVE} failed {modality} programmes with readouts known by "
                         f"{as_of} (docs/method.md 2.3)")
    rows, mix = [], {}
    for m in ms:
        orr, cr = catalogue.jeffreys_rates(m["n"], m["responders"], m["complete"])
        mix.setdefault((m["class"], "orr"), []).append((orr, ess))
        if cr is not None:
            mix.setdefault((m["class"], "cr"), []).append((cr, ess))
        rows.append({"class": m["class"], "label": f"{m['programme']} ({m['as_of']})", "programme": m["programme"],
                     "as_of": m["as_of"], "orr_mean": orr, "cr_mean": cr, "ess": ess, "source": m["source"]})

    def build(cls: str, endpoint: str) -> BetaMix:
        return catalogue.class_mixture(mix.get((cls, endpoint), []))

    if not mix.get(("active", "cr")) or not mix.get(("inactive", "cr")):
        cr_a = cr_i = UNIFORM  # CR carries no class information unless both classes report it
    else:
        cr_a, cr_i = build("active", "cr"), build("inactive", "cr")
    model = replace(base, key=f"{base.key}@{as_of}", orr_active=build("active", "orr"),
                    orr_inactive=build("inactive", "orr"), cr_active=cr_a, cr_inactive=cr_i,
                    description=f"{base.description}; point in time {as_of}: {family}", components=tuple(rows))
    n_a = sum(m["class"] == "active" for m in ms)
    return model, (f"class model '{base.key}' rebuilt as of {as_of} from {family}: {n_a} approved, "
                   f"{len(ms) - n_a} failed programme(s) (docs/method.md 2.3)")


def find_model_at(indication: str, modality: str, therapeutic_area: str | None, key: str | None,
                  as_of: _dt.date, exclude: tuple[str, ...] = ()) -> tuple[ClassModel, str]:
    """:func:`iitvalue.catalogue.find_model`, with a programme-based row rebuilt from the library as of ``as_of``
    (an explicit ``key`` is used as shipped)."""
    model, note = catalogue.find_model(indication, modality, therapeutic_area, key)
    if key is not None or not any(c.get("programme") for c in model.components):
        return model, note
    generic = catalogue.generic_model(model.therapeutic_area)
    return point_in_time(model, as_of, modality, indication, generic, exclude,
                         float(catalogue.model_row(model.key)["component_ess"]))
