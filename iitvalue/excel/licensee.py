"""The licensee's cash flows on the timeline (docs/excel.md, "Calculations"): the risk-adjusted cash flow of the
asset net of the licensor's share and the royalties, the upfront and the milestones in their periods, the
cumulative position, and from them a live IRR (Excel's ``IRR()``) and payback; and the parts of the licensee's
NPV that the sensitivity tables scale (:mod:`.tables`).

The row places each payment in the period that holds its time, so the live IRR is that of period cash flows;
iitvalue's ``deal.licensee_irr`` discounts each payment at its own time (Outputs shows both). The NPVs keep the
exact times.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from ..units import add_years, excel_serial
from .asset import Model, date_formula
from .cells import CALC, Book, Cell, Line, Range
from .deal import DealInputs, Discounting, Milestones
from .streams import Royalties, Shares

LOA_LINKED = ("approval", "sales")  # trigger types paid only on approval (probability LOA x a success-path flag)


@dataclass(frozen=True)
class LicenseeCells:
    """The licensee's rows and results: cash flow before payments and after them, the milestones' expected
    amounts and times (blocks), the upfront's, the IRR and payback, and the sensitivity parts."""

    before: Line  # risk-adjusted, before the upfront and milestones
    flow: Line
    cumulative: Line
    m_amount: Range | None
    m_time: Range | None
    up_amount: Cell
    irr: Cell
    payback: Cell
    payback_date: Cell
    commercial: Cell  # K: PV of the licensee's commercial value after the licensor's share and royalties
    loa_linked: Cell  # M_L: PV to the licensee of the milestones paid only on approval


def _irr(flows: np.ndarray) -> float | None:
    """The per-period IRR as a spreadsheet finds it: Newton's method from 0.1, as LibreOffice's ``IRR``."""
    if not (flows > 0).any() or not (flows < 0).any():
        return None
    x = 0.1
    k = np.arange(flows.size, dtype=float)
    for _ in range(100):
        with np.errstate(all="ignore"):
            f = float(np.sum(flows * (1.0 + x) ** -k))
            d = float(np.sum(-k * flows * (1.0 + x) ** (-k - 1.0)))
        if not (math.isfinite(f) and math.isfinite(d)) or d == 0.0:
            return None
        step = f / d
        x -= step
        if x <= -1.0:
            return None
        if abs(step) < 1e-15 * max(1.0, abs(x)):
            return x
    return None


def write_licensee(book: Book, result, model: Model, deal_in: DealInputs, disc: Discounting, milestones: Milestones,
                   royalties: Royalties, shares: Shares, forms: tuple = (), option=None) -> LicenseeCells:
    """Write the licensee's cash-flow block on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal (party names, the valuation date for the payback date).
    model : Model
        The timeline, the LOA and the asset's risk-adjusted and commercial rows.
    deal_in : DealInputs
        The upfront.
    disc : Discounting
        The licensee's rate and discount factors; the upfront's time.
    milestones : Milestones
        Each milestone's amount, time, probability paid and PV.
    royalties : Royalties
        The royalty rows.
    shares : Shares
        The licensor's share rows.
    forms : tuple of FormStream
        The supply margin and sublicence royalties the licensee pays (:mod:`.forms`), if any.
    option : OptionCells, optional
        With an option (:mod:`.option`): every licence flow times the decision X, and the exercise fee paid at
        the exercise event.

    Returns
    -------
    LicenseeCells
    """
    b, time, inputs, dev, asset = book, model.time, model.inputs, model.dev, model.asset
    lee = disc.parties["licensee"]
    n = b.n
    b.section(CALC, "Deal: the licensee's cash flows, IRR and payback (payments in their period)")
    last_k = b.scalar("lee_lastk", "Last period number", "period", f"MAX({time.k.all})", float(n - 1), "int")

    def index(t: Cell, key: str, label: str) -> Cell:
        return b.scalar(key, f"{label}: period holding its time", "period",
                        f"MIN(INT(MAX({t},0)/{inputs.dt}),{last_k})",
                        float(min(int(max(t.value, 0.0) / time.dt), n - 1)), "int")

    t_up = disc.t_up
    # with the components paid at closing: the target's net cash taken over (-N), an equity investment's premium
    f_lee, tx = disc.factor("licensee"), disc.taxed("licensee")  # deductible payments: the licensee pays x (1 - tau)
    extra = "".join(f"+{c.amount}{disc.taxed('licensee', c.category)}" for c in disc.closing)
    up_amount = b.scalar("lee_up", "Upfront" + "".join(f" + {c.category.replace('_', ' ')}" for c in disc.closing)
                         + ": amount paid (0 when paid before the valuation date)", "millions",
                         f"IF({t_up}<0,0,{deal_in.upfront}{tx}{extra})",
                         0.0 if t_up.value < 0 else deal_in.upfront.value * f_lee + sum(
                             c.amount.value * disc.factor("licensee", c.category) for c in disc.closing),
                         "money")
    up_idx = index(t_up, "lee_upk", "Upfront")
    # each payment: name, amount, probability paid, time, whether the licence's (x X with an option)
    pays = [(p.inputs.payment.name, p.amount, p.paid, p.time, p.inputs.payment.category != "tranche")
            for p in milestones.payments]
    if option is not None:
        ex = disc.exercise
        pays.append(("Exercise fee", disc.option.exercise_fee, ex.probability, ex.time, True))
    x, xv = (f"*{option.decision}", option.decision.value) if option is not None else ("", 1.0)
    amounts = [b.scalar(f"lee_ma{q}", f"{name}: expected amount = amount x probability paid (0 before the "
                                      "valuation date)" + (" x X" if lic and x else ""), "millions",
                        f"{amount}*{paid}*IF({t}<0,0,1){tx}" + (x if lic else ""),
                        amount.value * paid.value * (t.value >= 0) * f_lee * (xv if lic else 1.0), "money")
               for q, (name, amount, paid, t, lic) in enumerate(pays)]
    times = [b.scalar(f"lee_mt{q}", f"{name}: time", "years", str(t), t.value, "years")
             for q, (name, _, _, t, _) in enumerate(pays)]
    idx = [index(t, f"lee_mk{q}", p[0]) for q, (t, p) in enumerate(zip(times, pays))]
    m_amount = b.column("lee_ma", amounts) if pays else None
    m_time = b.column("lee_mt", times) if pays else None
    k = time.k.values
    pay_values = np.where(k == up_idx.value, up_amount.value, 0.0)
    for a, i in zip(amounts, idx):
        pay_values = pay_values + np.where(k == i.value, a.value, 0.0)
    tpl = f"IF({time.k}={up_idx},{up_amount},0)"
    if pays:
        tpl += f"+SUMIF({b.column('lee_mk', idx)},{time.k},{m_amount})"
    pay = b.line("lee_pay", "Upfront and milestones paid to the licensor (expected, in their period)", "millions",
                 tpl, pay_values, total=True)
    # the streams it pays per period: royalties, supply margin, sublicence royalties (stream payment-tax factor)
    fs, ts = disc.factor("licensee", "royalties"), disc.taxed("licensee", "royalties")
    paid = ([royalties.risked] if royalties.risked is not None else []) + [f.risked for f in forms]
    paid_path = ([royalties.total] if royalties.total is not None else []) + [f.total for f in forms]
    before_values = xv * (asset.risked.values - shares.line.values - sum(r.values * fs for r in paid))
    before_tpl = f"{asset.risked}-{shares.line}" + "".join(f"-{r}{ts}" for r in paid)
    before = b.line("lee_before", "Licensee: risk-adjusted cash flow before the payments = " + "X x (" * bool(x)
                    + "asset's - licensor's share - royalties" + " - supply margin" * any(f.category == "supply" for f in forms)
                    + " - sublicence royalties" * any(f.category == "sublicence_royalty" for f in forms) + ")" * bool(x),
                    "millions", f"{option.decision}*({before_tpl})" if x else before_tpl, before_values, total=True)
    flow = b.line("lee_cf", "Licensee: risk-adjusted cash flow after the payments", "millions", f"{before}-{pay}",
                  before_values - pay_values, total=True)
    cum_values = np.cumsum(flow.values)
    prev = np.concatenate([[0.0], cum_values[:-1]])
    cum = b.line("lee_cum", "Licensee: cumulative cash flow (opening balance in column D)", "millions",
                 f"{{lee_cum<}}+{flow}", cum_values, opening=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where((cum_values >= 0) & (prev < 0), time.t0.values + time.dt * (-prev) / flow.values, 0.0)
    cross = b.line("lee_cross", "Payback: time the cumulative cash flow turns non-negative in the period (else 0)",
                   "years", f"IF(AND({cum}>=0,{cum.prev}<0),{time.t0}+{inputs.dt}*(0-{cum.prev})/{flow},0)", crossing,
                   "years")
    per = _irr(flow.values)
    irr_value = "n/a" if per is None else (1.0 + per) ** (1.0 / time.dt) - 1.0
    irr = b.scalar("lee_irr", "Licensee IRR (live): IRR() of the period cash flows, annualised", "per year",
                   f'IFERROR((1+IRR({flow.all}))^(1/{inputs.dt})-1,"n/a")', irr_value, "pct")
    total = float(cum_values[-1])
    pb_value = "n/a" if total < 0 else float(crossing.max())
    payback = b.scalar("lee_payback", "Licensee payback: last time the cumulative cash flow turns non-negative "
                                      "(n/a when it ends negative)", "years",
                       f'IF({flow.total}<0,"n/a",MAX({cross.all}))', pb_value, "years")
    pb_date = "n/a" if pb_value == "n/a" else excel_serial(_payback_date(result.sheet.valuation.date, pb_value))
    payback_date = b.scalar("lee_payback_date", "Licensee payback date", "date",
                            f'IF(ISNUMBER({payback}),{date_formula(payback, inputs)},"n/a")', pb_date, "date")
    # the parts of the licensee's NPV that scale with LOA (and peak sales) in the sensitivity table
    comm_values = model.asset.commercial.values - shares.commercial.values - sum(r.values * fs for r in paid_path)
    comm_row = b.line("lee_comm", "Licensee: commercial cash flow on the success path after the licensor's share and "
                                  "the streams it pays", "millions",
                      f"{asset.commercial}-{shares.commercial}" + "".join(f"-{r}{ts}" for r in paid_path),
                      comm_values, total=True)
    commercial = b.scalar("lee_K", "K: LOA x PV of that commercial cash flow at the licensee's rate", "millions",
                          f"{dev.loa}*SUMPRODUCT({comm_row.all},{lee.df.all})",
                          dev.loa.value * float(np.dot(comm_values, lee.df.values)), "money")
    linked = [p.pv["licensee"] for p in milestones.payments if _loa_linked(p.inputs.payment.trigger, result)]
    loa_linked = (b.scalar("lee_ML", "M_L: PV to the licensee of the milestones paid only on approval", "millions",
                           "+".join(map(str, linked)), sum(c.value for c in linked), "money") if linked else
                  b.const("lee_ML", "M_L: PV of the milestones paid only on approval (none)", "millions", 0.0, "money"))
    return LicenseeCells(before, flow, cum, m_amount, m_time, up_amount, irr, payback, payback_date, commercial,
                         loa_linked)


def _loa_linked(trig, result) -> bool:
    """Whether a trigger's probability is the LOA times a success-path flag: approval, sales, or the success of
    the last phase (so that it scales with the LOA when only the last phase's probability moves)."""
    phases = result.sheet.phases
    return trig.type in LOA_LINKED or (trig.type == "phase_success" and bool(phases) and
                                       trig.phase == phases[-1].name)


def _payback_date(vdate: _dt.date, t: float) -> _dt.date:
    return add_years(vdate, t)
