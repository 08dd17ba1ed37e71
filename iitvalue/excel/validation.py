"""The consistency checks of the inputs on the Checks sheet (docs/excel.md, "Checks"): the rules iitvalue applies
when it reads a term sheet that involve several cells, or that data validation alone cannot hold once a cell is
pasted over, written as conditions on the cells the model uses (the scenario in use included). Each fails
visibly (CHECK) when an edit breaks it, and so does the master check ``checks_ok``."""

from __future__ import annotations

from dataclasses import dataclass

from .asset import Model
from .cells import Cell
from .deal import DealInputs
from .pos import PosCells, PosInputs


@dataclass(frozen=True)
class Condition:
    """A check that holds when the formula template ``tpl`` (a TRUE/FALSE expression) is TRUE; ``ok`` is its
    value as exported."""

    label: str
    tpl: str
    ok: bool


def _all(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "AND(" + ",".join(parts) + ")"


def input_conditions(model: Model, pos_in: PosInputs | None, pos: PosCells | None, deal_in: DealInputs | None,
                     tol: Cell) -> list[Condition]:
    """The input checks, in the order of the Inputs sheet.

    Parameters
    ----------
    model : Model
        The asset's input cells (phases, territories, launch-curve table).
    pos_in, pos : PosInputs, PosCells or None
        The readouts and the PoS update (counts, q_A and q_I, the prior LOA).
    deal_in : DealInputs or None
        Dates, pool shares and royalty tiers.
    tol : Cell
        The tolerance of a sum (pool shares sum to 1 within it).

    Returns
    -------
    list of Condition
    """
    inputs = model.inputs
    out = []
    for j, ph in enumerate(inputs.phases):
        out.append(Condition(f"Phase {j + 1}: duration > 0", f"{ph.duration}>0", ph.duration.value > 0))
        out.append(Condition(f"Phase {j + 1}: probability in [0, 1]", f"AND({ph.probability}>=0,{ph.probability}<=1)",
                             0 <= ph.probability.value <= 1))
        if ph.weights:
            out.append(Condition(f"Phase {j + 1}: cost weights >= 0 with a positive sum",
                                 _all([f"MIN({','.join(map(str, ph.weights))})>=0",
                                       "+".join(map(str, ph.weights)) + ">0"]),
                                 min(w.value for w in ph.weights) >= 0 and sum(w.value for w in ph.weights) > 0))
    for m, t in enumerate(inputs.territories):
        name = model.territories[m].name
        out.append(Condition(f"{name}: launch-curve shares in [0, 1]", f"AND(MIN({t.curve})>=0,MAX({t.curve})<=1)",
                             True))
        if t.exclusivity_end is not None:
            out.append(Condition(f"{name}: exclusivity ends after the valuation date",
                                 f"{t.exclusivity_end}>{inputs.vdate}", t.exclusivity_end.value > inputs.vdate.value))
    if pos_in is not None:
        for i, rd in enumerate(pos_in.readouts):
            tag = f"Readout {i + 1}"
            out.append(Condition(f"{tag}: n >= 1", f"{rd.n}>=1", rd.n.value >= 1))
            out.append(Condition(f"{tag}: responders <= n", f"AND({rd.responders}>=0,{rd.responders}<={rd.n})",
                                 0 <= rd.responders.value <= rd.n.value))
            if rd.complete is not None:
                out.append(Condition(f"{tag}: complete responses <= responders",
                                     f"AND({rd.complete}>=0,{rd.complete}<={rd.responders})",
                                     0 <= rd.complete.value <= rd.responders.value))
            if rd.complete_n is not None:
                out.append(Condition(f"{tag}: patients evaluable for CR <= n",
                                     f"AND({rd.complete}<={rd.complete_n},{rd.complete_n}<={rd.n})",
                                     rd.complete.value <= rd.complete_n.value <= rd.n.value))
        qa, qi = pos_in.q_active, pos_in.q_inactive
        if pos is not None:  # the stage's q_c (given, or e_c x R on Calculations)
            qa, qi = pos.q_active or qa, pos.q_inactive or qi
        out.append(Condition("P(approval | active) > P(approval | inactive)", f"{qa}>{qi}", qa.value > qi.value))
        if pos is not None:
            out.append(Condition("Prior LOA within [q_I, q_A] when readouts are used",
                                 f"OR({pos.n_used}=0,AND({pos.prior_loa}>={qi},{pos.prior_loa}<={qa}))", True))
    if deal_in is not None:
        if deal_in.closing is not None:
            out.append(Condition("Closing on or after the deal date", f"{deal_in.closing}>={deal_in.deal_date}",
                                 deal_in.closing.value >= deal_in.deal_date.value))
        for i, shares in enumerate(deal_in.pool_shares):
            total = "+".join(map(str, shares))
            out.append(Condition(f"Pool {i + 1}: shares >= 0 and summing to 1",
                                 _all([f"MIN({','.join(map(str, shares))})>=0", f"ABS({total}-1)<={tol}"]),
                                 abs(sum(s.value for s in shares) - 1) <= tol.value))
        for i, roy in enumerate(deal_in.royalties):
            steps = [f"{roy.above[0]}=0"] + [f"{b}>{a}" for a, b in zip(roy.above, roy.above[1:])]
            out.append(Condition(f"Royalty {i + 1}: tiers start at 0 and increase", _all(steps), True))
    return out
