"""The deal panel of Outputs (docs/excel.md, "Outputs"): the asset rNPV at the reference rate and at each party's
rate beside the party's NPV, the bridge from the asset rNPV to each side's NPV, and the payment table. Every
number is a link to Calculations or a sum of the rows above it."""

from __future__ import annotations

from dataclasses import dataclass

from ..deal.payments import describe
from .asset import Model
from .cells import Book, Cell, Ref, a1
from .deal import ROLES, DealCells

OUTPUTS = "Outputs"


@dataclass(frozen=True)
class Bridge:
    """The bridge's result cells (each party's NPV as the sum of the bridge) and the rows the value chart uses."""

    npv: dict[str, Cell]
    chart_rows: tuple[int, int]  # first and last row of the parties in the value table (labels col, NPVs col + 3)
    col: int


def bar(b: Book, row: int, col: int, width: int, title: str) -> None:
    """A section title bar on Outputs at ``row`` over ``width`` columns from ``col``."""
    for c in range(col, col + width):
        b.put_text(OUTPUTS, row, c, title if c == col else "", b.f["section"])


def heads(b: Book, row: int, col: int, names: tuple[str, ...]) -> None:
    """A header row of a table."""
    for c, h in enumerate(names):
        b.put_text(OUTPUTS, row, col + c, h, b.f["head"])


def write_value_table(b: Book, result, model: Model, deal: DealCells, row: int, col: int) -> tuple[int, tuple]:
    """Asset rNPV at the reference rate and at each party's own rate, beside that party's NPV; returns the next
    free row and the (first, last) rows of the two parties."""
    sh, d = OUTPUTS, result.sheet.deal
    bar(b, row, col, 4, "Value by party (each at its own rate)")
    heads(b, row + 1, col, ("view", "discount rate", "asset rNPV", "party's NPV"))
    r = row + 2
    b.put_text(sh, r, col, "Asset (reference rate)")
    b.put_link(sh, r, col + 1, model.inputs.rate, "pct")
    b.put_link(sh, r, col + 2, model.asset.rnpv, "money", "out")
    b.put_text(sh, r, col + 3, "", b.f["text"])
    first = r + 1
    for role, npv in (("licensor", deal.npvs.licensor), ("licensee", deal.npvs.licensee)):
        r += 1
        b.put_text(sh, r, col, f"{role.capitalize()}: {getattr(d, role).name}")
        b.put_link(sh, r, col + 1, deal.disc.parties[role].rate, "pct")
        b.put_link(sh, r, col + 2, deal.asset[role], "money")
        b.put_link(sh, r, col + 3, npv, "money", "out")
    return r + 2, (first, r)


def write_bridge(b: Book, model: Model, deal: DealCells, row: int, col: int) -> tuple[int, dict[str, Cell]]:
    """From the asset rNPV at the reference rate to each party's NPV: the effect of the party's rate, the asset
    passed to the licensee, then each payment stream (+ received, - paid); the last row sums the bridge."""
    sh = OUTPUTS
    bar(b, row, col, 3, "Bridge: asset rNPV to each party's NPV")
    heads(b, row + 1, col, ("step", "licensor", "licensee"))
    r = row + 2
    first = r
    rnpv = model.asset.rnpv
    sign = {"licensor": 1.0, "licensee": -1.0}
    steps = [("Asset rNPV at the reference rate", lambda role: (f"{rnpv}", rnpv.value)),
             ("Effect of the party's own rate",
              lambda role: (f"{deal.asset[role]}-{rnpv}", deal.asset[role].value - rnpv.value)),
             ("Asset passed to the licensee",
              lambda role: (f"-{deal.asset[role]}", -deal.asset[role].value) if role == "licensor" else ("0", 0.0))]
    streams = [("Upfront", deal.disc.pv_up),
               ("Milestones" + " and exercise fee, as held" * (deal.option is not None), deal.milestones.pv)]
    if deal.milestones.tranches is not None:
        streams.append(("Tranches", deal.milestones.tranches))
    streams += [(c.label, c.pv) for c in deal.disc.closing]
    if deal.milestones.sublicence is not None:
        streams.append(("Sublicence lump sums", deal.milestones.sublicence))
    if deal.option is not None:
        streams.append(("Asset kept if the option lapses", deal.option.retained))
    for label, pv in streams + per_period(deal):
        steps.append((f"{label} (+ in, - out)",
                      lambda role, pv=pv: (("" if sign[role] > 0 else "-") + f"{pv[role]}", sign[role] * pv[role].value)))
    totals = {role: 0.0 for role in ROLES}
    for label, fn in steps:
        b.put_text(sh, r, col, label)
        for c, role in enumerate(ROLES, start=1):
            tpl, value = fn(role)
            b.put_formula(sh, r, col + c, b.expand(tpl, sh), value, "money")
            totals[role] += value
        r += 1
    b.put_text(sh, r, col, "NPV (sum of the steps)", b.f["sub"])
    npv = {}
    for c, role in enumerate(ROLES, start=1):
        b.put_formula(sh, r, col + c, f"=SUM({a1(first, col + c)}:{a1(r - 1, col + c)})", totals[role], "money", "out")
        npv[role] = b.register(f"bridge_{role}", Ref(sh, r, col + c), totals[role])
    return r + 2, npv


def per_period(deal: DealCells, groups: dict | None = None) -> list[tuple[str, dict[str, Cell]]]:
    """The streams paid per period, each with its PV for each party: royalties, the supply margin and sublicence
    royalties where the deal has them, the profit and cost share (``groups``: an option's values if exercised
    instead of the deal's as held)."""
    if groups is not None:
        return ([("Royalties", groups["royalties"])] + [(f.label, groups[f.category]) for f in deal.forms]
                + [("Profit and cost share", groups["profit_share"])])
    return ([("Royalties", deal.royalties)] + [(f.label, f.pv) for f in deal.forms]
            + [("Profit and cost share", deal.share)])


@dataclass(frozen=True)
class _Neg:
    """A payment-table entry (X - 1) x the licence's value if exercised, for one party."""

    licence: Cell
    decision: Cell

    @property
    def tpl(self) -> str:
        return f"({self.decision}-1)*{self.licence}"

    @property
    def value(self) -> float:
        return (self.decision.value - 1.0) * self.licence.value


def write_payments(b: Book, result, deal: DealCells, row: int, col: int) -> int:
    """Upfront, each milestone, royalties and the profit and cost share: trigger, amount, probability, time, PV
    for each side (the licensee's negative) and totals; returns the next free row."""
    sh, d, disc = OUTPUTS, result.sheet.deal, deal.disc
    bar(b, row, col, 7, "Payments (PV at each party's own rate)")
    heads(b, row + 1, col, ("payment", "trigger", "amount", "probability", "time (years)", "PV licensor (+)",
                            "PV licensee (-)"))
    r = first = row + 2
    lines = [("Upfront", "closing" if d.closing else "deal date", deal.inputs.upfront, None, disc.t_up, disc.pv_up)]
    for p in deal.milestones.payments:
        pay = p.inputs.payment
        lines.append((pay.name, describe(pay.trigger), p.amount, p.paid, p.time, p.pv))
    for c in disc.closing:  # net cash handed over (-N), an equity investment's premium, an option fee
        lines.append((c.label, "closing" if d.closing else "deal date", c.amount, None, disc.t_up, c.pv))
    opt = deal.option
    if opt is not None:
        lines.append(("Exercise fee (if exercised)", describe(d.option.exercise), disc.option.exercise_fee,
                      disc.exercise.probability, disc.exercise.time, opt.exercise_fee))
    for name, trig, amount, prob, t, pv in lines:
        b.put_text(sh, r, col, name)
        b.put_text(sh, r, col + 1, trig)
        b.put_link(sh, r, col + 2, amount, "money")
        if prob is None:
            b.put_value(sh, r, col + 3, 1.0, "prob", "const")
        else:
            b.put_link(sh, r, col + 3, prob, "prob")
        b.put_link(sh, r, col + 4, t, "years")
        b.put_link(sh, r, col + 5, pv["licensor"], "money")
        b.put_link(sh, r, col + 6, pv["licensee"], "money", negate=True)
        r += 1
    rest = per_period(deal) if opt is None else per_period(deal, opt.if_exercised)
    if opt is not None:  # the rows above are the licence if exercised: X = 0 takes them back, the licensor keeps the asset
        rest += [("Licence not exercised: the licence rows x (X - 1)",
                  {role: _Neg(opt.licence[role], opt.decision) for role in ROLES}),
                 ("Asset kept if the option lapses", opt.retained)]
    for label, pv in rest:
        b.put_text(sh, r, col, label)
        b.put_text(sh, r, col + 1, "per period, risk-adjusted" if label in dict(per_period(deal)) else
                   "the licensee's decision X")
        for c, role in ((5, "licensor"), (6, "licensee")):
            cell = pv[role]
            if isinstance(cell, _Neg):
                b.put_formula(sh, r, col + c, b.expand(f"{'' if role == 'licensor' else '-'}{cell.tpl}", sh),
                              cell.value * (1 if role == "licensor" else -1), "money")
            else:
                b.put_link(sh, r, col + c, cell, "money", negate=role == "licensee")
        r += 1
    b.put_text(sh, r, col, "Total", b.f["sub"])
    for c, role, sign in ((5, "licensor", 1.0), (6, "licensee", -1.0)):
        total = sign * (sum(x[-1][role].value for x in lines) + sum(pv[role].value for _, pv in rest))
        b.put_formula(sh, r, col + c, f"=SUM({a1(first, col + c)}:{a1(r - 1, col + c)})", total, "money", "out")
    return r + 2
