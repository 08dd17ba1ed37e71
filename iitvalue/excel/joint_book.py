"""The workbook of an asset with several indications (docs/excel.md, "Several indications"): Cover, Inputs (the
lead's as in the single workbook, then one block per follow-on), Calculations (the lead's PoS update, one block
per indication, the joint outcomes, the deal), Outputs (headline and one row per indication), Checks and the
hidden sheet of the import.

The single workbook's sheets that need one indication are left out: Scenarios, Sensitivity and Risk (see
:func:`joint_problems`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Problem
from .cells import CALC, INPUTS, Book, Cell, Ref
from .checks import CHECKS, SumCheck, start_checks, write_checks
from .cover import COVER, set_properties, write_cover
from .deal import write_deal_inputs
from .importer import write_source
from .inputs import write_inputs
from .joint import Indication, follow_on_problems, write_follow_on, write_follow_on_inputs, write_lead
from .joint_deal import JointDeal, deal_problems, write_joint_deal
from .joint_outcomes import JointCells, write_joint
from .layout import finish_sheets
from .pos import write_pos, write_pos_inputs
from .timeline import write_timeline

OUTPUTS = "Outputs"
INDICATION_KEYS = ("rnpv", "loa", "peak_sales", "p_start", "p_approved")


def joint_problems(result, risk: bool = False) -> list[Problem]:
    """What the several-indication workbook refuses, each naming its field: scenarios, transportability, a
    party's own evidence weight, a sheet without a PoS block, the follow-on and deal limits of :mod:`.joint` and
    :mod:`.joint_deal`, and (``risk``) a Risk sheet."""
    s = result.sheet
    out = follow_on_problems(s)
    if s.scenarios:
        out.append(Problem("scenarios", "the scenario selector works with one indication: export a sheet with several "
                           "indications without [[scenarios]] (value each scenario with --set)"))
    if s.pos is not None and s.pos.transportability is not None:
        out.append(Problem("pos.transportability", "the several-indication workbook has no transportability block: "
                           "value it with value / simulate"))
    if result.pos is None:
        out.append(Problem("pos", "the several-indication workbook shows the shared class of the PoS block: add a "
                           "[pos] table (an empty one keeps every default and the same numbers) or readouts"))
    if s.deal is not None:
        for role in ("licensor", "licensee"):
            p = getattr(s.deal, role)
            if p.iit_weight is not None or p.registrational_weight is not None or p.assumptions:
                out.append(Problem(f"deal.{role}", "a party's own evidence weight or assumptions are not in the "
                                   "several-indication workbook (it uses the common beliefs): leave them out to export"))
        out += deal_problems(s)
    if risk:
        out.append(Problem("uncertainty", "the Risk sheet (tornado, Monte Carlo) is for one indication: export a sheet "
                           "with several indications with --no-risk (simulate gives its Monte Carlo)"))
    return out


def write_joint_workbook(result, path: str | Path, text: str, source: str, version: str) -> dict[str, Any]:
    """Write the several-indication workbook (see the module docstring).

    Parameters
    ----------
    result : Result
        A valuation of a sheet with several indications (:func:`iitvalue.value`).
    path : str or Path
        The .xlsx file.
    text, source : str
        The term sheet's TOML text kept in the workbook and where it came from.
    version : str
        iitvalue's version.

    Returns
    -------
    dict
        As :func:`iitvalue.excel.write_workbook`.
    """
    from .sources import toml_comments

    book = Book(Path(path), result.asset.plan.n_periods)
    book.comments = toml_comments(text)
    for name in (COVER, INPUTS, CALC, OUTPUTS, CHECKS):
        book.sheet(name)
    set_properties(book, result, version)
    inputs = write_inputs(book, result)
    pos_in = write_pos_inputs(book, result, inputs.vdate)
    fins = [write_follow_on_inputs(book, result, k) for k in range(1, len(result.sheet.indications))]
    deal_in = write_deal_inputs(book, result) if result.sheet.deal is not None else None
    time = write_timeline(book, result, inputs)
    pos = write_pos(book, result, inputs.phases, pos_in)
    inds = [write_lead(book, result, inputs, time, pos, pos_in)]
    for fin in fins:
        inds.append(write_follow_on(book, result, fin.k, fin, inputs, time, pos, inds))
    jc = write_joint(book, result, inputs, time, pos, inds)
    deal = write_joint_deal(book, result, inputs, time, inds, jc, deal_in) if deal_in is not None else None
    names = _write_outputs(book, result, pos, inds, jc, deal)
    tol = start_checks(book)
    parity = write_checks(book, _Summary(result), tol, [], _sums(inds, jc, deal), _pairs(pos, jc, deal), False)
    write_cover(book, result, list(book.ws), version, source, None)
    finish_sheets(book, time.rows, len(inputs.territories))
    write_source(book, text, source)
    book.close()
    return {"sheets": list(book.ws), "names": names, "parity": parity, "notes": []}


class _Summary:
    """iitvalue's results as the Checks sheet reads them: the JSON keys of ``result.summary`` and
    ``indications[k].*`` of each indication's row."""

    def __init__(self, result):
        summ = dict(result.summary.items())
        for k, row in enumerate(result.asset.indications):
            for f in INDICATION_KEYS:
                summ[f"indications[{k}].{f}"] = row[f]
        self.summary = summ


def _pairs(pos, jc: JointCells, deal: JointDeal | None) -> list[tuple[str, Cell]]:
    pairs = [("asset.rnpv", jc.rnpv), ("asset.npv_unrisked", jc.npv), ("asset.loa", jc.loa),
             ("asset.pv_rd_risked", jc.pv_rd), ("asset.pv_commercial_risked", jc.pv_comm),
             ("asset.peak_sales", jc.peak), ("pos.prior_loa", pos.prior_loa), ("pos.posterior_loa", pos.posterior_loa),
             ("pos.prior_class_probability", pos.prior_class),
             ("pos.posterior_class_probability", pos.posterior_class)]
    for k, cells in enumerate(jc.per_indication):
        pairs += [(f"indications[{k}].{f}", cells[f]) for f in INDICATION_KEYS]
    if deal is not None:
        pairs += [("deal.licensor_npv", deal.licensor), ("deal.licensee_npv", deal.licensee),
                  ("deal.asset_rnpv_licensee_view", deal.asset["licensee"]),
                  ("deal.asset_rnpv_licensor_view", deal.asset["licensor"])]
        for part, cells in (("milestones", deal.milestones), ("royalties", deal.royalties),
                            ("profit_share", deal.share)):
            pairs += [(f"deal.pv_{part}_{role}", cells[role]) for role in ("licensor", "licensee")]
        pairs.append(("deal.headline_value", deal.headline))
        if deal.breakeven_upfront is not None:
            pairs.append(("deal.breakeven_upfront", deal.breakeven_upfront))
    return pairs


def _sums(inds: list[Indication], jc: JointCells, deal: JointDeal | None) -> list[SumCheck]:
    out = [SumCheck("rNPV = PV of R&D + PV of commercial", jc.rnpv, f"{jc.pv_rd}+{jc.pv_comm}",
                    jc.pv_rd.value + jc.pv_comm.value),
           SumCheck("rNPV = sum over the joint outcomes of P(outcome) x V(outcome)", jc.rnpv,
                    "+".join(f"{o.probability}*{o.value}" for o in jc.outcomes),
                    sum(o.probability.value * o.value.value for o in jc.outcomes)),
           SumCheck("The joint outcomes' probabilities sum to 1", jc.p_total, "1", 1.0)]
    for ind in inds:
        out.append(SumCheck(f"{ind.name}: LOA = product of the transition probabilities", ind.dev.loa,
                            f"PRODUCT({ind.dev.probabilities})", ind.dev.loa.value))
        if ind.calibration is not None:
            out.append(SumCheck(f"{ind.name}: pi_k q_kA + (1 - pi_k) q_kI = its prior LOA (the logit shift is a value "
                                "from export: CHECK after an edit that moves it; export again)", ind.calibration,
                                str(ind.prior_loa), ind.prior_loa.value))
    if deal is not None:
        out.append(SumCheck("Licensor (at the licensee's rate) + licensee = asset rNPV at that rate",
                            deal.asset["licensee"], f"{deal.at_licensee_rate}+{deal.licensee}",
                            deal.at_licensee_rate.value + deal.licensee.value))
    return out


def _write_outputs(book: Book, result, pos, inds: list[Indication], jc: JointCells, deal: JointDeal | None
                   ) -> list[str]:
    """The Outputs sheet: the headline results (defined names), one row per indication and the deal's payments;
    every value a link to Calculations."""
    b, sh = book, OUTPUTS
    s = result.sheet
    b.put_text(sh, 0, 0, f"Outputs - {s.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, f"{len(inds)} indications valued jointly over {len(jc.outcomes)} joint outcomes (one latent "
                         "class, docs/method.md 5); money in millions, every value a live link to Calculations.",
               b.f["note"])
    rows = [("Asset rNPV", jc.rnpv, "money", "asset_rnpv"),
            ("Asset NPV, unrisked (every indication approved)", jc.npv, "money", "asset_npv_unrisked"),
            ("P(at least one indication approved)", jc.loa, "prob", None),
            ("Peak annual sales (every indication approved)", jc.peak, "money", None),
            ("Prior LOA of the lead", pos.prior_loa, "prob", "pos_prior_loa"),
            ("Posterior LOA of the lead", pos.posterior_loa, "prob", "pos_posterior_loa"),
            ("Posterior P(active)", pos.posterior_class, "prob", None)]
    if deal is not None:
        rows += [(f"Licensor NPV ({s.deal.licensor.name})", deal.licensor, "money", "deal_licensor_npv"),
                 (f"Licensee NPV ({s.deal.licensee.name})", deal.licensee, "money", "deal_licensee_npv")]
        if deal.breakeven_upfront is not None:
            rows.append(("Break-even upfront", deal.breakeven_upfront, "money", None))
    b.put_text(sh, 3, 0, "Summary", b.f["head"])
    b.put_text(sh, 3, 1, "", b.f["head"])
    row, names = 4, []
    for label, cell, kind, name in rows:
        b.put_text(sh, row, 0, label)
        b.put_link(sh, row, 1, cell, kind, "out")
        if name:
            b.define(name, Ref(sh, row, 1))
            names.append(name)
        row += 1
    row += 1
    heads = ("indication", "rNPV (own, taxed alone)", "P(starts)", "LOA given it starts", "P(approved)", "peak sales")
    for c, h in enumerate(heads):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    for ind, cells in zip(inds, jc.per_indication):
        b.put_text(sh, row, 0, ind.name)
        for c, (f, kind) in enumerate((("rnpv", "money"), ("p_start", "prob"), ("loa", "prob"),
                                       ("p_approved", "prob"), ("peak_sales", "money")), start=1):
            b.put_link(sh, row, c, cells[f], kind)
        row += 1
    if deal is not None and deal.payments:
        row += 1
        for c, h in enumerate(("payment", "P(paid)", "PV, licensor", "PV, licensee")):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        for name, paid, pv in deal.payments:
            b.put_text(sh, row, 0, name)
            b.put_link(sh, row, 1, paid, "prob")
            b.put_link(sh, row, 2, pv["licensor"], "money")
            b.put_link(sh, row, 3, pv["licensee"], "money")
            row += 1
    b.put_text(sh, row + 1, 0, "All checks", b.f["sub"])
    b.put_formula(sh, row + 1, 1, "=checks_ok", "OK", "num", "out")
    b.ws[sh].set_column(0, 0, 48)
    b.ws[sh].set_column(1, 5, 16)
    b.print_area[sh] = (0, 0, row + 1, 5)
    return names

