"""An option on the licence in the workbook (``[deal.option]``, docs/method.md 3.7).

The option fee is paid at closing (a closing item of the discounting block). The exercise event's time t_e and
probability P_e are the trigger type's own workbook formulas; the licence starts at t_lic = MAX(t_e, deal date),
so the licensor bears the R&D before it and a licence payment is due only from then, with probability
MIN(P(trigger), P_e) (every trigger and the exercise event are "the asset reaches stage k" events, nested in the
development outcomes, so the probability of both is the smaller one). The payment, royalty, supply, sublicence
and profit-share blocks show the licence's components *if exercised*; this block adds the exercise fee, the
licensee's gain G = asset rNPV - licensor's R&D before exercise - the licence's components (its view and rate),
its decision X = IF(G > 0, 1, 0), and each group *as held* (X times its value if exercised; the licensor keeps
the asset, (1 - X)(asset - R&D before exercise), when the option lapses). The cached values are the deal
kernel's: with the exercise forced for the blocks "if exercised", with the licensee's decision for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..deal.payments import describe, exercise_event
from ..model.outcomes import expectation
from ..termsheet.triggers import ExcelRefs, kind_of
from .asset import Model
from .cells import CALC, STRUCT_NOTE, Book, Cell, Line
from .inputs import NONNEG

ROLES = ("licensor", "licensee")


@dataclass(frozen=True)
class OptionInputs:
    """The option's input cells: fee, exercise fee and the exercise trigger's own input (threshold or date)."""

    fee: Cell
    exercise_fee: Cell
    trigger: Cell | None


@dataclass(frozen=True)
class Exercise:
    """The exercise event's time and probability, and when the licence starts (years)."""

    time: Cell
    probability: Cell
    licence_time: Cell


@dataclass(frozen=True)
class OptionCells:
    """The option block: each group as held (X times its value if exercised, for each party; the milestones with
    the exercise fee) and if exercised, the exercise fee if exercised, the asset the licensor keeps when the
    option lapses, the licensor's R&D before exercise, the licence's components if exercised, the gain G, the
    decision X, the option's value and P(exercise)."""

    held: dict[str, dict[str, Cell]]  # group ("milestones", "royalties", ...) -> role -> cell
    if_exercised: dict[str, dict[str, Cell]]  # the same groups if exercised (milestones without the fee)
    exercise_fee: dict[str, Cell]  # if exercised
    retained: dict[str, Cell]
    rd_before: dict[str, Cell]
    licence: dict[str, Cell]  # the licence's components if exercised
    gain: Cell
    decision: Cell
    value: Cell
    probability: Cell


def write_option_inputs(book: Book, result, trigger_inputs) -> OptionInputs:
    """The option's rows on Inputs: fee, exercise fee, the exercise trigger (structure) and its own input."""
    o, inp = result.sheet.deal.option, book.input_row
    src = o.source or "term sheet"
    fee = inp("opt_fee", "Option fee (paid at closing)", "deal.option.fee", o.fee, "millions", src, "money", NONNEG)
    xfee = inp("opt_xfee", "Exercise fee (paid at exercise)", "deal.option.exercise_fee", o.exercise_fee, "millions",
               src, "money", NONNEG)
    inp(None, "Option exercised at", "deal.option.exercise", describe(o.exercise), "", STRUCT_NOTE, style="struct")
    return OptionInputs(fee, xfee, trigger_inputs(book, "opt_ex", o.exercise, "deal.option.exercise"))


def write_exercise(book: Book, result, model: Model, t_deal: Cell) -> Exercise:
    """The exercise event's time t_e and probability P_e (the trigger type's formulas) and the licence's start
    t_lic = MAX(t_e, deal date), on Calculations."""
    b, d, plan, ln = book, result.sheet.deal, result.asset.plan, result.asset.lines
    dev, territories = model.dev, model.territories
    b.section(CALC, "Deal: the option's exercise event (docs/method.md 3.7)")
    refs = ExcelRefs(start=lambda j: str(dev.start[j]), p_start=lambda j: str(dev.p_start[j]),
                     launch=lambda m: str(territories[m].launch), T=str(dev.T), loa=str(dev.loa))
    trig = d.option.exercise
    t_tpl, p_tpl = kind_of(trig).excel(trig, plan, refs, "opt_ex")
    t, happens = exercise_event(d, plan, ln)
    probs = _probabilities(plan)
    t_e = b.scalar("opt_te", f"Exercise event ({describe(trig)}): time", "years", t_tpl,
                   float(t[0]) if np.isfinite(t[0]) else 0.0, "years")
    p_value = float(expectation(happens.astype(float), probs)[0])
    if p_tpl is None:
        p_e = b.const("opt_pe", "Exercise event: probability (a fixed date: 1)", "fraction", 1.0, "prob")
    else:
        p_e = b.scalar("opt_pe", "Exercise event: probability", "fraction", p_tpl, p_value, "prob")
    t_lic = b.scalar("opt_tlic", "Licence starts = MAX(exercise event, deal date)", "years", f"MAX({t_e},{t_deal})",
                     max(t_e.value, t_deal.value), "years")
    return Exercise(t_e, p_e, t_lic)


def _probabilities(plan) -> np.ndarray:
    from ..model.outcomes import outcome_probabilities

    return outcome_probabilities(np.array([[p.probability for p in plan.phases]], dtype=float))


def write_option(book: Book, result, model: Model, disc, groups: dict[str, dict[str, Cell]],
                 asset: dict[str, Cell], before: Line | None) -> OptionCells:
    """Write the option block (module docstring).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation of a deal with ``[deal.option]``.
    model : Model
        The risk-weighted R&D row.
    disc : Discounting
        Each party's rate, discount factors, payment-tax factors and kernel values; the exercise event.
    groups : dict
        The PV for each party of each group of the licence's components if exercised: ``milestones``,
        ``royalties``, ``profit_share`` (with the licensor's R&D before exercise, as its block computes it), and
        where the deal has them ``sublicence_lumps``, ``supply``, ``sublicence_royalty``.
    asset : dict of str to Cell
        The asset rNPV at each party's rate.
    before : Line or None
        The licensor's risk-weighted R&D before the licence starts (None without R&D by phase).

    Returns
    -------
    OptionCells
    """
    b, ex = book, disc.exercise
    b.section(CALC, "Deal: the option, the licensee's decision and each group as held (docs/method.md 3.7)")
    pre, xfee, lic = {}, {}, {}
    for role, p in disc.parties.items():
        if before is not None:
            pre[role] = b.scalar(f"opt_pre_{role}", f"Licensor's R&D before exercise: PV, {role}", "millions",
                                 f"-SUMPRODUCT({before.all},{p.df.all})",
                                 p.pv("rd_before_signing"), "money")
        else:
            pre[role] = b.const(f"opt_pre_{role}", f"Licensor's R&D before exercise: PV, {role} (no R&D)",
                                "millions", 0.0, "money")
        xfee[role] = b.scalar(f"opt_xpv_{role}", f"Exercise fee if exercised: PV, {role}", "millions",
                              f"{disc.option.exercise_fee}*{ex.probability}*IF({ex.time}<0,0,(1+{p.rate})^(-{ex.time}))"
                              f"{disc.taxed(role, 'exercise_fee')}", p.pv("exercise_fee"), "money")
        parts = [cells[role] for cells in groups.values()] + [xfee[role]]
        lic[role] = b.scalar(f"opt_L_{role}", f"The licence's components if exercised (less the R&D before "
                                              f"exercise): PV, {role}", "millions",
                             "+".join(map(str, parts)) + f"-{pre[role]}",
                             sum(c.value for c in parts) - pre[role].value, "money")
    lee = disc.parties["licensee"]
    final = lee.final
    gain_value = float(expectation(final.option_gain, lee.probabilities)[0])
    gain = b.scalar("opt_G", "Licensee's gain from exercising G = asset rNPV - R&D before exercise - licence (its "
                             "view)", "millions", f"{asset['licensee']}-{pre['licensee']}-{lic['licensee']}",
                    gain_value, "money")
    x = b.scalar("opt_X", "Licensee exercises: X = IF(G > 0, 1, 0)", "flag", f"IF({gain}>0,1,0)",
                 float(bool(final.exercise[0])), "int")
    value = b.scalar("opt_value", "Option value to the licensee = MAX(0, G)", "millions", f"MAX(0,{gain})",
                     max(0.0, gain_value), "money")
    prob = b.scalar("opt_prob", "Probability of exercise = X x P(exercise event)", "fraction", f"{x}*{ex.probability}",
                    x.value * ex.probability.value, "prob")
    held = {}
    for name, cells in groups.items():
        held[name] = {}
        for role in ROLES:
            if name == "profit_share":  # the R&D before exercise is the licensor's, exercised or not
                tpl = f"{x}*({cells[role]}-{pre[role]})+{pre[role]}"
                v = x.value * (cells[role].value - pre[role].value) + pre[role].value
            elif name == "milestones":  # with the exercise fee, as deal.value.GROUPS counts it
                tpl, v = f"{x}*({cells[role]}+{xfee[role]})", x.value * (cells[role].value + xfee[role].value)
            else:
                tpl, v = f"{x}*{cells[role]}", x.value * cells[role].value
            label = name.replace("_", " ").capitalize() + (" and the exercise fee" if name == "milestones" else "")
            held[name][role] = b.scalar(f"opt_h_{name}_{role}", f"{label} as held: PV, {role}", "millions", tpl, v,
                                        "money")
    kept = {role: b.scalar(f"opt_kept_{role}", f"Asset kept by the licensor if the option lapses = (1 - X)(asset "
                                               f"- R&D before exercise): PV, {role}", "millions",
                           f"(1-{x})*({asset[role]}-{pre[role]})",
                           (1.0 - x.value) * (asset[role].value - pre[role].value), "money") for role in ROLES}
    return OptionCells(held, groups, xfee, kept, pre, lic, gain, x, value, prob)


def option_groups(milestones, royalties: dict[str, Cell], share: dict[str, Cell], forms: tuple) -> dict:
    """The groups of the licence's components if exercised, by the name :func:`write_option` holds them under:
    the milestone block's totals, the royalties, the licensor's share (with its R&D before exercise), the
    sublicence lump sums and each form stream (by its kernel category)."""
    groups = {"milestones": milestones.pv, "royalties": royalties, "profit_share": share}
    if milestones.sublicence is not None:
        groups["sublicence_lumps"] = milestones.sublicence
    groups.update({f.category: f.pv for f in forms})
    return groups


def as_held(option: OptionCells, milestones, forms: tuple) -> tuple:
    """(milestones, royalties, share, forms) with each group's PV as held (the payment rows stay as if
    exercised): what the NPVs, the bridge and the parity rows use."""
    h = option.held
    ms = replace(milestones, pv=h["milestones"], sublicence=h.get("sublicence_lumps"))
    return ms, h["royalties"], h["profit_share"], tuple(replace(f, pv=h[f.category]) for f in forms)
