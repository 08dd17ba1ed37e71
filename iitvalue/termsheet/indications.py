"""Several indications of one asset in the term sheet (docs/termsheet.md, ``[[indications]]``).

The first ``[[indications]]`` entry is the lead. Its phases, territories and readouts are the sheet's top-level
``[[phases]]``, ``[[territories]]`` and ``[[readouts]]``: a sheet may write them in either place (not both), and
:func:`lead_at_top_level` moves them up before validation, so everything that reads the lead's plan reads it
where a one-indication sheet has it, and a one-indication sheet written with ``[[indications]]`` is the same
sheet as one written without. A follow-on indication is a sub-sheet (:func:`indication_sheet`): the sheet with
that indication's phases, territories and readouts in place of the lead's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem

if TYPE_CHECKING:  # annotations only: the schema imports this module
    from .schema import Indication, TermSheet, Territory

LEAD_TABLES = ("phases", "territories", "readouts")
# a follow-on territory's own field replaces the lead's fields it cannot be combined with
REPLACED_BY = {"exclusivity_end": ("exclusivity_years",), "exclusivity_years": ("exclusivity_end",),
               "ramp": ("years_to_peak",), "years_to_peak": ("ramp",)}
# the stage an indication is at, from the kind of its first remaining phase
STAGE_OF_KIND = {"preclinical": "preclinical", "phase1": "phase1", "phase2": "phase2", "phase3": "phase3",
                 "pivotal": "phase3", "filing": "filed"}


def lead_at_top_level(data: dict[str, Any], lines: dict) -> tuple[dict[str, Any], dict, list[Problem]]:
    """Move the lead indication's phases, territories and readouts to the top level and copy its key to
    ``asset.indication``; returns (data, lines, problems). ``lines`` gains the moved keys' TOML lines."""
    inds = data.get("indications") if isinstance(data, dict) else None
    if not isinstance(inds, list) or not inds or not isinstance(inds[0], dict):
        return data, lines, []
    data = dict(data)
    lead = dict(inds[0])
    lines = dict(lines)
    problems = []
    for key in LEAD_TABLES:
        if key not in lead:
            continue
        if data.get(key):
            problems.append(Problem(f"indications[0].{key}", f"the lead indication's {key} are given both here and "
                                    f"as top-level [[{key}]]; write them in one place"))
            continue
        data[key] = lead.pop(key)
        for loc, line in list(lines.items()):
            if loc[:3] == ("indications", 0, key):
                lines[(key,) + loc[3:]] = line
    asset = data.get("asset")
    key = lead.get("indication")
    if isinstance(asset, dict) and isinstance(key, str):
        if asset.get("indication") is None:
            data["asset"] = {**asset, "indication": key}
            lines.setdefault(("asset", "indication"), lines.get(("indications", 0, "indication")))
        elif asset["indication"] != key:
            problems.append(Problem("asset.indication", f"'{asset['indication']}' differs from the lead indication's "
                                    f"key '{key}' (indications[0].indication); give it once"))
    data["indications"] = [lead] + list(inds[1:])
    return data, lines, problems


def stage_of(ind: "Indication") -> str:
    """An indication's stage: its own ``stage``, else the stage its first phase implies (approved without
    phases)."""
    if ind.stage is not None:
        return ind.stage
    return STAGE_OF_KIND[ind.phases[0].kind] if ind.phases else "approved"


def follow_on_territories(sheet: "TermSheet", ind: "Indication") -> list["Territory"]:
    """The territories of a follow-on indication with ``share_of_lead`` resolved: the lead's territory of the
    same name with this indication's own fields over it and peak sales = share_of_lead x the lead's peak."""
    lead = {t.name: t for t in sheet.territories}
    out = []
    for t in ind.territories:
        if t.share_of_lead is None or t.name not in lead:
            out.append(t)
            continue
        base = lead[t.name]
        own = {f: getattr(t, f) for f in t.model_fields_set if f not in ("name", "share_of_lead")}
        data = base.model_dump(exclude_unset=True)
        for f in own:  # an own field replaces the lead's fields it excludes
            for gone in REPLACED_BY.get(f, ()):
                data.pop(gone, None)
        data.pop("patients", None)
        data.pop("treated_share", None)
        data.update(own, peak_sales=t.share_of_lead * base.peak)
        out.append(type(t).model_validate(data))
    return out


def indication_sheet(sheet: "TermSheet", k: int) -> "TermSheet":
    """Follow-on indication ``k`` (>= 1) as a term sheet of its own: its phases, resolved territories and readouts,
    its class-model key and stage; no deal, no Monte Carlo inputs, no further indications."""
    ind = sheet.indications[k]
    asset = sheet.asset.model_copy(update={"indication": ind.indication, "stage": stage_of(ind)})
    return sheet.model_copy(update={"asset": asset, "phases": list(ind.phases),
                                    "territories": follow_on_territories(sheet, ind), "readouts": list(ind.readouts),
                                    "deal": None, "uncertainty": [], "correlation": None, "scenarios": [],
                                    "indications": []})


def sub_lines(lines: dict, k: int) -> dict:
    """TOML lines of indication ``k``'s tables keyed as the top-level ones of its sub-sheet."""
    out = {}
    for loc, line in lines.items():
        if loc[:2] == ("indications", k) and len(loc) > 2 and loc[2] in LEAD_TABLES:
            out[loc[2:]] = line
    out.update({k2: v for k2, v in lines.items() if k2[:1] in (("valuation",), ("costs",), ("pos",))})
    return out
