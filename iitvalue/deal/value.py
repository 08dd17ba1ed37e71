"""Deal terms valued for both sides (formulas in docs/method.md, section 3).

Each party values the deal with its own discount rate and, optionally, its own evidence weight for the readouts
(so its own phase probabilities). Payments are pre-tax transfers; the asset's cash flows are after the asset's
tax. Every number here is an expectation over the development outcomes of the deal kernel
(:mod:`iitvalue.deal.kernel`), taken with the party's own outcome probabilities:

    licensor NPV = E_licensor[ sum of components ]
    licensee NPV = E_licensee[ asset - sum of components ]

so at one common rate and common beliefs licensor NPV + licensee NPV = asset rNPV (Villiger & Bogdan 2009).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from ..stats.roots import brent
from ..model.engine import Lines, arrays_from_plan, evaluate
from ..model.outcomes import expectation, outcome_probabilities
from ..model.plan import Plan
from ..tables import Column, html_pairs, html_table, money, percent
from ..termsheet.schema import Deal
from ..termsheet.triggers import kind_of
from ..units import add_years
from .kernel import DealOutcomes, deal_outcomes, discount
from .tax import licensee_flows, payment_tax_factor
from .payments import (describe, equity_premium_value, exercise_event, expand_payments, expiry_time, licence_time,
                       signing_time, trigger_time_probability, upfront_time)
from .streams import (licensor_commercial_lines, licensor_rd_shares, licensor_share_lines, royalty_lines,
                      sublicence_lines, supply_lines)

# components whose PVs make up each summary total
# components by group for the summary's PVs: the upfront with the tranches and an equity investment's premium
# (non-contingent consideration), the
# target's net cash, the contingent milestones (every other payment), the streams
GROUPS = {"upfront": ("upfront", "tranche", "equity_premium", "option_fee"), "net_cash": ("net_cash",),
          "milestones": None, "royalties": ("royalties",), "profit_share": ("profit_share", "rd_before_signing"),
          "option_retained": ("option_retained",), "supply": ("supply",),
          "sublicence": ("sublicence_royalty", "sublicence")}
_NAMED = frozenset(c for cats in GROUPS.values() if cats for c in cats)
PAYMENT_GROUPS = ("upfront", "milestones", "royalties", "supply", "sublicence")  # the risk-adjusted value's parts


@dataclass
class PartyView:
    """One party's view of the asset: its discount rate, its plan (its beliefs) and the engine's lines."""

    name: str
    discount_rate: float
    plan: Plan
    lines: Lines
    role: str | None = None  # "licensor" or "licensee": whose payment-tax factors apply (deal.tax)

    @classmethod
    def of(cls, name: str, rate: float, plan: Plan, role: str | None = None) -> "PartyView":
        arr = arrays_from_plan(plan)
        arr.discount_rate[:] = rate
        return cls(name, rate, plan, evaluate(arr), role)

    @property
    def outcome_probabilities(self) -> np.ndarray:
        """P(outcome) (1, J + 1) under this party's beliefs."""
        return outcome_probabilities(np.array([[p.probability for p in self.plan.phases]], dtype=float))

    def df(self, t: np.ndarray) -> np.ndarray:
        """Discount factor at time t; a payment before the valuation date (t < 0) is sunk and counts 0."""
        return discount(self.discount_rate, t)

    def outcomes(self, deal: Deal, upfront: float | None = None, exercise: np.ndarray | None = None) -> DealOutcomes:
        """The deal kernel's values in this view; ``exercise``: the licensee's option decision (its view's)."""
        return deal_outcomes(deal, self.plan, self.lines, self.discount_rate, upfront, self.role, exercise)


def both_outcomes(deal: Deal, lic: PartyView, lee: PartyView, upfront: float | None = None
                  ) -> tuple[DealOutcomes, DealOutcomes]:
    """The kernel's values in the licensor's and the licensee's views; with an option the licensee decides in
    its own view, and the licensor's view uses that decision."""
    eo = lee.outcomes(deal, upfront)
    return lic.outcomes(deal, upfront, eo.exercise), eo


@dataclass
class DealValuation:
    """Both sides of a deal (``result.deal``): each party's NPV at its own rate, the payments, the break-evens.

    ``summary`` has ``licensor_npv`` = E_licensor[sum of components] and ``licensee_npv`` = E_licensee[asset -
    sum of components], each at the party's own discount rate and beliefs (docs/method.md section 3.5), the
    asset's value in each view (``asset_rnpv_licensee_view``, ``asset_rnpv_licensor_view``),
    ``breakeven_upfront`` (the upfront at which the licensee's NPV is 0), ``breakeven_loa``, ``licensee_irr``
    (None when it does not exist), ``headline_value`` and ``risk_adjusted_value``. ``payment_rows`` has one record
    per component (payment or stream; ``payments`` as a pandas DataFrame, built on first use); ``licensor`` and
    ``licensee`` are the parties' views; ``notes`` what was assumed. Money in millions, rates as fractions.

    Examples
    --------
    >>> import iitvalue
    >>> deal = iitvalue.value("examples/esobiotec.toml").deal
    >>> deal
    <DealValuation AstraZeneca NPV -196.6, EsoBiotec (sellers) NPV 475.4, break-even upfront 225.4>
    >>> s = deal.summary
    >>> s["licensee"], s["licensee_discount_rate"], s["licensor_discount_rate"], s["upfront"]
    ('AstraZeneca', 0.09, 0.15, 425.0)
    >>> round(s["asset_rnpv_licensee_view"], 1), round(s["asset_rnpv_licensor_view"], 1)
    (300.4, 59.4)
    >>> p = deal.payments                  # the PVs of the payments to the licensor sum to its NPV
    >>> p[["amount", "probability", "pv_licensor"]].round(1).iloc[0].tolist(), round(float(p["pv_licensor"].sum()), 1)
    ([425.0, 1.0, 414.7], 475.4)
    """

    summary: dict[str, Any]
    payment_rows: list[dict[str, Any]]
    licensor: PartyView
    licensee: PartyView
    notes: list[str] = field(default_factory=list)
    assumptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # each party's own, by role

    @cached_property
    def payments(self):
        """The payments table (pandas DataFrame, one row per component): ``amount`` (millions), ``probability``
        (that it is paid, licensee's view), ``date`` (expected), ``pv_licensor`` and ``pv_licensee`` (expected PV
        at each party's rate); the last row is the asset the licensee holds, so that the ``pv_licensor`` column
        sums to the licensor NPV and ``pv_licensee`` to the licensee NPV (examples in the class docstring)."""
        import pandas as pd

        return pd.DataFrame(self.payment_rows)

    def to_dict(self) -> dict[str, Any]:
        """The ``deal`` section of the JSON output: :attr:`summary` and ``payments`` (a list of records).

        Examples
        --------
        >>> import iitvalue
        >>> d = iitvalue.value("examples/esobiotec.toml").deal.to_dict()
        >>> d["kind"], len(d["payments"]), round(d["licensor_npv"], 1)
        ('acquisition', 8, 475.4)
        """
        d = dict(self.summary)
        for role in ("licensor", "licensee"):
            d[f"{role}_assumptions"] = dict(self.assumptions.get(role, {}))
        d["payments"] = [dict(r) for r in self.payment_rows]
        return d

    def plot(self, currency: str = ""):
        """The payment timeline: each payment's amount and expected amount at its expected time (years from the
        valuation date; millions).

        Parameters
        ----------
        currency : str
            For the axis label.

        Returns
        -------
        matplotlib.figure.Figure
            Needs the ``plot`` extra (``pip install 'iitvalue[plot]'``).

        Examples
        --------
        >>> import iitvalue
        >>> fig = iitvalue.value("examples/esobiotec.toml").deal.plot("USD")
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
        ('years from the valuation date', 'USD millions')
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        from ..model.charts import plot_payments

        s = self.summary
        return plot_payments(self.payment_rows, currency, f"Payments from {s['licensee']} to {s['licensor']}")

    def __repr__(self) -> str:
        s = self.summary
        return (f"<DealValuation {s['licensee']} NPV {money(s['licensee_npv'])}, {s['licensor']} NPV "
                f"{money(s['licensor_npv'])}, break-even upfront {money(s['breakeven_upfront'])}>")

    def _repr_html_(self) -> str:
        s = self.summary
        head = html_pairs(f"Deal: {s['licensor']} (seller) and {s['licensee']} (buyer)", [
            (f"{s['licensee']} NPV (buyer, at {percent(s['licensee_discount_rate'])})", money(s["licensee_npv"])),
            (f"{s['licensor']} NPV (seller, at {percent(s['licensor_discount_rate'])})", money(s["licensor_npv"])),
            ("upfront", money(s["upfront"])), ("break-even upfront", money(s["breakeven_upfront"])),
            ("headline value", money(s["headline_value"])), ("buyer IRR", percent(s["licensee_irr"]))])
        return head + html_table(self.payment_rows, PAYMENT_COLUMNS, "Payments")


PAYMENT_COLUMNS = [Column("name", "payment"), Column("trigger", "trigger"), Column("amount", "amount", money),
                   Column("probability", "P(paid)", percent), Column("date", "expected"),
                   Column("pv_licensor", "PV seller", money), Column("pv_licensee", "PV buyer", money)]


def _group_pv(out: DealOutcomes, probs: np.ndarray, group: str) -> float:
    cats = GROUPS[group]
    comps = [c for c in out.components if (c.category in cats if cats else not c.stream and c.category not in _NAMED)]
    return float(sum(expectation(c.pv, probs)[0] for c in comps))


def party_npvs(deal: Deal, lic: PartyView, lee: PartyView, upfront: float | None = None,
               outcomes: tuple[DealOutcomes, DealOutcomes] | None = None) -> dict[str, float]:
    """Licensor and licensee NPV (scenario 0) and their parts; ``upfront`` overrides the term sheet's;
    ``outcomes`` passes the two parties' kernel values when already computed."""
    lo, eo = outcomes or both_outcomes(deal, lic, lee, upfront)
    pl, pe = lic.outcome_probabilities, lee.outcome_probabilities
    out: dict[str, float] = {}
    for group in GROUPS:
        out[f"pv_{group}_licensor"] = _group_pv(lo, pl, group)
        out[f"pv_{group}_licensee"] = _group_pv(eo, pe, group)
    out["pv_rd_before_signing_licensor"] = float(sum(expectation(c.pv, pl)[0] for c in lo.components
                                                     if c.category == "rd_before_signing"))
    for side, o, pr in (("licensor", lo, pl), ("licensee", eo, pe)):
        for cat, key in (("tranche", "tranches"), ("equity_premium", "equity_premium")):
            out[f"pv_{key}_{side}"] = float(sum(expectation(c.pv, pr)[0] for c in o.components if c.category == cat))
    out["asset_rnpv_licensor"] = float(expectation(lo.asset, pl)[0])
    out["asset_rnpv_licensee"] = float(expectation(eo.asset, pe)[0])
    out["licensor_npv"] = float(expectation(lo.licensor, pl)[0])
    out["licensee_npv"] = float(expectation(eo.licensee, pe)[0])
    if eo.option_gain is not None:  # what the right to exercise is worth to the licensee, E[X G] = max(0, E[G])
        out["option_value"] = float(expectation(eo.exercise[:, None] * eo.option_gain, pe)[0])
        out["option_gain"] = float(expectation(eo.option_gain, pe)[0])
        out["exercise_probability"] = float(sum(expectation(c.paid, pe)[0] for c in eo.components
                                                if c.category == "exercise_fee"))
    return out


def _payments_table(deal: Deal, lic: PartyView, lee: PartyView, lo: DealOutcomes, eo: DealOutcomes,
                    notes: list[str]) -> list[dict[str, Any]]:
    pl, pe = lic.outcome_probabilities, lee.outcome_probabilities
    vdate = lee.plan.valuation_date
    expected = _expected_stream_lines(deal, lee)
    rows = []
    for cl, ce in zip(lo.components, eo.components):
        if ce.stream:
            flow = expected[ce.category]
            t = float((flow * lee.lines.t_cash).sum() / flow.sum()) if flow.sum() else math.nan
            prob, prob_lic = float(lee.lines.loa[0]), float(lic.lines.loa[0])
            if ce.licence and eo.exercise is not None:  # paid only if the option is exercised
                prob, prob_lic = prob * float(eo.exercise[0]), prob_lic * float(lo.exercise[0])
            if ce.category == "rd_before_signing":
                prob, prob_lic = 1.0, 1.0
        else:
            t = float(ce.time[0])
            prob, prob_lic = float(expectation(ce.paid, pe)[0]), float(expectation(cl.paid, pl)[0])
        rows.append({
            "name": ce.name, "category": ce.category, "trigger": ce.trigger, "amount": ce.amount,
            "probability": prob, "probability_licensor": prob_lic, "time": t,
            "date": add_years(vdate, t).isoformat() if math.isfinite(t) and (t >= 0 or not ce.stream) else None,
            "pv_licensor": float(expectation(cl.pv, pl)[0]), "pv_licensee": -float(expectation(ce.pv, pe)[0]),
            "cvr": ce.cvr,
        })
    start = float(licence_time(deal, lee.plan, lee.lines)[0])
    for p in expand_payments(deal):
        t2, p2 = kind_of(p.trigger).event(p.trigger, lee.plan, lee.lines)
        begin = signing_time(deal, lee.plan) if p.category == "tranche" else start
        _, p_paid = trigger_time_probability(p.trigger, lee.plan, lee.lines, begin, expiry_time(p, lee.plan))
        t = float(t2[0])
        if math.isfinite(t) and p_paid[0] == 0 and p2[0] > 0:
            why = ("after the horizon" if t > lee.plan.horizon else
                   ("before the deal is signed" if deal.option is None else "before the option is exercised")
                   if t < begin else f"after it expires ({p.expires})")
            notes.append(f"milestone '{p.name}' falls at {t:.2f} years, {why}: it pays nothing")
        if not math.isfinite(t):
            notes.append(f"milestone '{p.name}' is never reached within the horizon on the success path")
    return rows


def asset_row(npv: dict[str, float], licensee_loa: float) -> dict[str, Any]:
    """The payments table's last row: the asset the licensee holds (its rNPV at the licensee's rate and beliefs;
    the licensor's column 0, since its NPV counts only what it receives), so that each PV column sums to that
    side's NPV."""
    return {"name": "Asset held by the licensee (its rNPV)", "category": "asset", "trigger": "development and sales",
            "amount": None, "probability": licensee_loa, "probability_licensor": None, "time": None, "date": None,
            "pv_licensor": 0.0, "pv_licensee": npv["asset_rnpv_licensee"], "cvr": False}


def _expected_stream_lines(deal: Deal, v: PartyView) -> dict[str, np.ndarray]:
    """Expected (risk-adjusted) undiscounted flows per period of each stream, for the time column."""
    ln = v.lines
    before, after = licensor_rd_shares(deal, v.plan, ln)
    out = {"royalties": ln.loa[0] * royalty_lines(deal, v.plan, ln)[0].sum(0) if deal.royalties else np.zeros(ln.t_cash.size),
           "rd_before_signing": -np.einsum("j,jn,jn->n", ln.prob_start[0], before, ln.rd_by_phase[0]),
           "supply": ln.loa[0] * supply_lines(deal, v.plan, ln)[0] if deal.supply else np.zeros(ln.t_cash.size),
           "sublicence_royalty": (ln.loa[0] * sublicence_lines(deal, v.plan, ln)[0] if deal.sublicence
                                  else np.zeros(ln.t_cash.size)),
           "profit_share": ln.loa[0] * licensor_commercial_lines(deal, v.plan, ln)[0]
           - np.einsum("j,jn,jn->n", ln.prob_start[0], after, ln.rd_by_phase[0])}
    return out


def value_deal(deal: Deal, licensor_plan: Plan, licensee_plan: Plan,
               licensee_probabilities_at_loa: Callable[[float], list[float]] | None = None) -> DealValuation:
    """Value ``deal`` for both parties. ``licensee_probabilities_at_loa`` (optional) gives the licensee's phase
    probabilities for a given LOA (the update's spread rule); it is used to goal-seek the break-even LOA, which
    changes outcome probabilities only, so the kernel's per-outcome values are reused."""
    lic = PartyView.of(deal.licensor.name, deal.licensor.discount_rate, licensor_plan, "licensor")
    lee = PartyView.of(deal.licensee.name, deal.licensee.discount_rate, licensee_plan, "licensee")
    lo, eo = both_outcomes(deal, lic, lee)
    npv = party_npvs(deal, lic, lee, outcomes=(lo, eo))
    t_up = upfront_time(deal, licensor_plan)
    notes: list[str] = []
    table = _payments_table(deal, lic, lee, lo, eo, notes)

    be_loa = None
    if licensee_probabilities_at_loa is not None:
        values, gain = eo.licensee, eo.option_gain
        if gain is not None:  # the option's decision depends on the probabilities: taken again at each LOA
            values = values - eo.exercise[:, None] * gain

        def f_loa(x: float) -> float:
            pr = outcome_probabilities(np.array([licensee_probabilities_at_loa(x)], dtype=float))
            v = values if gain is None else values + (expectation(gain, pr) > 0)[:, None] * gain
            return float(expectation(v, pr)[0])

        lo_x, hi_x = 1e-4, 0.9999
        flo, fhi = f_loa(lo_x), f_loa(hi_x)
        if flo * fhi < 0:
            be_loa = brent(f_loa, lo_x, hi_x, xtol=1e-12)
        else:
            notes.append(f"no break-even LOA in [{lo_x}, {hi_x}]: the licensee's NPV runs from {flo:,.1f} to {fhi:,.1f}")
    summary = deal_summary(deal, npv, lee, t_up, be_loa, licensee_irr(deal, lee),
                           float(lee.lines.loa[0]), float(lic.lines.loa[0]), notes)
    table.append(asset_row(npv, summary["licensee_loa"]))
    return DealValuation(summary, table, lic, lee, notes)


def deal_summary(deal: Deal, npv: dict[str, float], lee, t_up: float, be_loa: float | None, irr: float | None,
                 licensee_loa: float, licensor_loa: float, notes: list[str]) -> dict[str, Any]:
    """The ``deal`` summary (docs/cli.md keys) from the parties' NPVs and parts (:func:`party_npvs`), for one
    indication or several; appends the notes on a negative break-even upfront, a sunk upfront and a missing IRR.
    The licensee's NPV is linear in the upfront, enpv(u) = enpv - (u - u0) DF_licensee(t_up), so the break-even
    upfront is u0 + enpv / DF_licensee(t_up) (None when the upfront was paid before the valuation date)."""
    lnpv, enpv = npv["licensor_npv"], npv["licensee_npv"]
    f_up = payment_tax_factor(deal, "licensee", "upfront", deal.licensee.discount_rate, lee.plan.tax_rate)
    be_up = deal.upfront + enpv / (float(lee.df(t_up)) * f_up) if t_up >= 0 else None
    if be_up is not None and be_up < 0:
        notes.append(f"break-even upfront {be_up:,.1f} is negative: the licensee loses money even with no upfront")
    if t_up < 0:
        notes.append(f"the upfront was paid before the valuation date ({deal.closing or deal.date}): it is sunk and "
                     "counts 0 for both parties")
    if irr is None:
        notes.append("licensee IRR: the expected cash flows have no single root (no sign change or several)")
    pays = expand_payments(deal)
    opt = deal.option
    fees = opt.fee + opt.exercise_fee if opt is not None else 0.0
    headline = deal.upfront + fees + sum(p.amount for p in pays)
    if opt is not None and npv["exercise_probability"] == 0:
        notes.append(f"the option is never exercised: at these terms {deal.licensee.name} gains nothing from "
                     f"exercising at {describe(opt.exercise)} (its expected gain {npv['option_gain']:,.1f})")
    tranches = sum((p.amount for p in pays if p.category == "tranche"), 0.0)
    # each side's gain over what it has without the deal: the seller its stand-alone value of the asset (its
    # rate, its beliefs), the buyer nothing (docs/method.md 3.5)
    reservation = npv["asset_rnpv_licensor"]
    gain_lic, gain_lee = lnpv - reservation, enpv
    share = gain_lic / (gain_lic + gain_lee) if gain_lic > 0 and gain_lee > 0 else None
    if share is None:
        who = " and ".join(n for n, g in ((deal.licensor.name, gain_lic), (deal.licensee.name, gain_lee)) if g <= 0)
        notes.append(f"licensor share of the gains not reported: {who} does not gain from the deal at these terms "
                     f"(licensor gain {gain_lic:,.1f}, licensee gain {gain_lee:,.1f})")
    summary = {
        "kind": deal.kind,
        "licensor": deal.licensor.name,
        "licensee": deal.licensee.name,
        "licensor_discount_rate": deal.licensor.discount_rate,
        "licensee_discount_rate": deal.licensee.discount_rate,
        "upfront": deal.upfront,
        "structure": deal.structure or ("shares" if deal.kind == "acquisition" else "asset"),
        "payment_tax": deal.payment_tax,
        "net_cash": deal.net_cash,
        "tranches_total": tranches,
        "net_consideration": deal.upfront + tranches - deal.net_cash,
        "equity_premium": deal.equity_premium,
        "equity_amount": deal.equity.amount if deal.equity is not None else 0.0,
        "equity_premium_value": equity_premium_value(deal.equity) if deal.equity is not None else 0.0,
        "milestones_total": headline - deal.upfront - tranches - fees,
        "option_fee": opt.fee if opt is not None else None,
        "exercise_fee": opt.exercise_fee if opt is not None else None,
        "option_value": npv.get("option_value"),
        "exercise_probability": npv.get("exercise_probability"),
        "headline_value": headline,
        "risk_adjusted_value": sum(npv[f"pv_{g}_licensee"] for g in PAYMENT_GROUPS),
        "risk_adjusted_value_licensor_view": sum(npv[f"pv_{g}_licensor"] for g in PAYMENT_GROUPS),
        "licensor_npv": lnpv,
        "licensee_npv": enpv,
        "licensor_reservation_value": reservation,
        "licensor_gain": gain_lic,
        "licensee_gain": gain_lee,
        "licensor_share": share,
        "asset_rnpv_licensee_view": npv["asset_rnpv_licensee"],
        "asset_rnpv_licensor_view": npv["asset_rnpv_licensor"],
        "breakeven_upfront": be_up,
        "breakeven_loa": be_loa,
        "licensee_irr": irr,
        "licensee_loa": licensee_loa,
        "licensor_loa": licensor_loa,
    }
    for k in ("pv_milestones_licensor", "pv_milestones_licensee", "pv_royalties_licensor", "pv_royalties_licensee",
              "pv_profit_share_licensor", "pv_profit_share_licensee", "pv_rd_before_signing_licensor",
              "pv_tranches_licensor", "pv_tranches_licensee", "pv_net_cash_licensor", "pv_net_cash_licensee",
              "pv_equity_premium_licensor", "pv_equity_premium_licensee", "pv_option_retained_licensor",
              "pv_supply_licensor", "pv_supply_licensee", "pv_sublicence_licensor", "pv_sublicence_licensee"):
        summary[k] = npv[k]
    return summary


def licensee_irr(deal: Deal, lee: PartyView) -> float | None:
    """The rate x at which the licensee's expected (risk-adjusted) cash flows have zero NPV: upfront at the deal
    date, milestones at their expected times weighted by probability, royalties and the asset's cash flows net
    of the licensor's share in each period. None unless the NPV changes sign exactly once on a grid over
    (-0.95, 100)."""
    plan, ln = lee.plan, lee.lines
    t_deal = upfront_time(deal, plan)
    times = [max(t_deal, 0.0)]
    flows = [0.0]
    eq = equity_premium_value(deal.equity) if deal.equity is not None else 0.0
    lumps = [("upfront", t_deal, deal.upfront, 1.0), ("net_cash", t_deal, -deal.net_cash, 1.0),
             ("equity_premium", t_deal, eq, 1.0)]
    x = 1.0  # with an option: whether the licensee exercises (its decision in the kernel)
    if deal.option is not None:
        x = float(lee.outcomes(deal).exercise[0])
        t_e, happens = exercise_event(deal, plan, ln)
        p_e = float(expectation(happens, lee.outcome_probabilities)[0])
        lumps.append(("option_fee", t_deal, deal.option.fee, 1.0))
        if math.isfinite(t_e[0]):
            lumps.append(("exercise_fee", float(t_e[0]), deal.option.exercise_fee, p_e * x))
    start = float(licence_time(deal, plan, ln)[0])
    for p in expand_payments(deal):
        lic = p.category != "tranche"
        t, prob = trigger_time_probability(p.trigger, plan, ln, start if lic else signing_time(deal, plan),
                                           expiry_time(p, plan))
        if math.isfinite(t[0]) and prob[0] > 0:
            lumps.append((p.category, float(t[0]), p.amount, float(prob[0]) * (x if lic else 1.0)))
    for cat, t, amount, prob in lumps:
        if t >= 0 and amount:
            for tt, f in licensee_flows(deal, cat, t, amount * prob, plan.tax_rate):
                times.append(tt)
                flows.append(f)
    roy = ln.loa[0] * royalty_lines(deal, plan, ln)[0].sum(0)
    if deal.supply:
        roy = roy + ln.loa[0] * supply_lines(deal, plan, ln)[0]
    if deal.sublicence:
        roy = roy + ln.loa[0] * sublicence_lines(deal, plan, ln)[0]
    period = x * (ln.fcf_risked[0] - licensor_share_lines(deal, plan, ln)[0] - roy * payment_tax_factor(
        deal, "licensee", "royalties", lee.discount_rate, plan.tax_rate))  # the streams share one factor
    times += list(ln.t_cash)
    flows += list(period)
    return licensee_irr_of_flows(np.array(times), np.array(flows))


def licensee_irr_of_flows(t: np.ndarray, cf: np.ndarray) -> float | None:
    """The rate x with sum cf (1 + x)^-t = 0, for cash flows ``cf`` at times ``t`` (years); None unless the NPV
    changes sign exactly once on a grid over (-0.95, 100)."""

    def npv(x: float) -> float:
        return float((cf * (1.0 + x) ** (-t)).sum())

    grid = np.concatenate([np.linspace(-0.95, 1.0, 80), np.linspace(1.05, 100.0, 60)])
    with np.errstate(over="ignore"):
        vals = (cf[None, :] * (1.0 + grid[:, None]) ** (-t[None, :])).sum(axis=1)
    sign = np.sign(vals)
    changes = np.nonzero(sign[1:] * sign[:-1] < 0)[0]
    if len(changes) != 1:
        return None
    i = changes[0]
    return brent(npv, float(grid[i]), float(grid[i + 1]), xtol=1e-12)
