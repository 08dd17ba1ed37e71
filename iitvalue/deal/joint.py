"""Deals on an asset with several indications (docs/method.md 5): the deal kernel over joint outcomes, and both
sides' valuation.

Every component is valued in each joint outcome omega from the outcome's realised lines
(:class:`~iitvalue.model.joint_lines.JointLines`): a milestone pays A DF(t) where its trigger's event happens
(an event of one indication, or sales of all of them, :meth:`~iitvalue.termsheet.triggers.TriggerType.joint`);
royalties and the profit and cost shares apply the single-indication formulas (:mod:`.streams`) to the
outcome's combined sales, profit and R&D. Each party takes the expectation with its own joint outcome
probabilities; with one indication this is the single-indication kernel (tested)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..model.joint import JointPlan, at_class, joint_probabilities
from ..model.joint_lines import JointLines, evaluate_joint
from ..model.outcomes import expectation
from ..stats.roots import brent
from ..termsheet.schema import Deal
from ..termsheet.triggers import kind_of
from ..units import add_years
from .kernel import Component, DealOutcomes, apply_payment_tax, discount
from .tax import licensee_flows, payment_tax_factor
from .payments import (describe, equity_premium_value, expand_payments, expiry_time, payable, signing_time,
                       upfront_time)
from .streams import licensor_commercial_lines, licensor_rd_shares, royalty_lines
from .value import DealValuation, asset_row, deal_summary, licensee_irr_of_flows, party_npvs


def joint_deal_outcomes_at(deal: Deal, jl: JointLines, rates: tuple[float, ...], upfront: float | None = None,
                           roles: tuple[str, ...] | None = None) -> list[DealOutcomes]:
    """Every component's value in every joint outcome, (S, Omega), at each rate of ``rates``."""
    S, O = jl.n_scenarios, jl.n_outcomes
    flat, fp = jl.flat, jl.flat_plan
    ones = np.ones((S, O))
    dfs = [(1.0 + r) ** (-jl.t_cash) for r in rates]
    outs = [DealOutcomes(r, jl.values(df)) for r, df in zip(rates, dfs)]

    def add(name, category, trigger, amount, pv_of, nominal, paid, time, **kw) -> None:
        for out, r, df in zip(outs, rates, dfs):
            out.components.append(Component(name, category, trigger, amount, pv_of(r, df), nominal, paid, time, **kw))

    up = deal.upfront if upfront is None else upfront
    t_up = np.full(S, upfront_time(deal, fp))
    paid_up = ones * (t_up[:, None] >= 0)
    add("Upfront", "upfront", f"{'closing' if deal.closing else 'deal date'} {deal.closing or deal.date}", up,
        lambda r, df: up * discount(r, t_up)[:, None] * ones, up * paid_up, paid_up, t_up)
    signing = signing_time(deal, fp)
    for p in expand_payments(deal):
        t, happens = kind_of(p.trigger).joint(p.trigger, jl)
        paid = happens & payable(t, fp, signing, expiry_time(p, fp))
        add(p.name, p.category, describe(p.trigger), p.amount,
            lambda r, df, t=t, paid=paid, a=p.amount: a * discount(r, t) * paid,
            p.amount * (paid & (np.nan_to_num(t, nan=-1.0) >= 0)), paid, t, cvr=p.cvr)
    nan_t = np.full(S, np.nan)
    every = np.ones((S, O), dtype=bool)
    if deal.royalties:
        roy = royalty_lines(deal, fp, flat).sum(axis=1)  # (S x Omega, N)
        add("Royalties", "royalties", "net sales", float(roy.sum(-1).max()),
            lambda r, df: jl.reshape((roy * df).sum(-1)), jl.reshape(roy.sum(-1)), jl.reshape(roy.sum(-1) != 0), nan_t,
            stream=True)
    before, after = licensor_rd_shares(deal, fp, flat)
    if np.any(flat.rd_by_phase * before[None] != 0):
        add("Licensor's R&D before signing", "rd_before_signing", f"development until {deal.date}",
            float(-(flat.rd_by_phase * before[None]).sum((1, 2)).max()),
            lambda r, df: -jl.reshape((flat.rd_by_phase * before[None] * df[None, None, :]).sum((1, 2))),
            -jl.reshape((flat.rd_by_phase * before[None]).sum((1, 2))), every, nan_t, stream=True)
    if deal.profit_shares or deal.licensor_cost_share > 0 or deal.cost_shares:
        net = licensor_commercial_lines(deal, fp, flat) - np.einsum("jn,rjn->rn", after, flat.rd_by_phase)
        add("Profit and cost share", "profit_share", "asset cash flows", float(jl.reshape(net.sum(-1))[0, -1]),
            lambda r, df: jl.reshape((net * df).sum(-1)), jl.reshape(net.sum(-1)), every, nan_t, stream=True)
    if deal.equity is not None and deal.equity.premium > 0:
        e = equity_premium_value(deal.equity)  # the premium part of the licensee's share purchase, at closing
        add("Equity premium", "equity_premium", f"closing {deal.closing or deal.date}", e,
            lambda r, df: e * discount(r, t_up)[:, None] * ones, e * paid_up, paid_up, t_up)
    if deal.net_cash:
        n = -deal.net_cash  # as in the one-indication kernel: handed over with the shares at closing
        add("Net cash of the target", "net_cash", f"closing {deal.closing or deal.date}", n,
            lambda r, df: n * discount(r, t_up)[:, None] * ones, n * paid_up, paid_up, t_up)
    apply_payment_tax(deal, outs, roles, jl.plan.lead.tax_rate)
    return outs


class JointPartyView:
    """One party's view of a multi-indication asset: its rate, its joint plan (its beliefs) and the joint lines
    at its rate. ``plan`` and ``lines`` are the lead indication's (what single-indication readers use)."""

    def __init__(self, name: str, rate: float, jp: JointPlan, role: str | None = None):
        self.name, self.discount_rate, self.joint_plan, self.role = name, rate, jp, role
        self.joint = evaluate_joint(jp, rate=rate)
        self.plan, self.lines = jp.lead, self.joint.lines[0]

    @property
    def outcome_probabilities(self) -> np.ndarray:
        return self.joint.probabilities

    def df(self, t):
        return discount(self.discount_rate, t)

    def outcomes(self, deal: Deal, upfront: float | None = None) -> DealOutcomes:
        return joint_deal_outcomes_at(deal, self.joint, (self.discount_rate,), upfront,
                                      None if self.role is None else (self.role,))[0]


def value_deal_joint(deal: Deal, licensor: JointPlan, licensee: JointPlan,
                     spread: Callable[[list[float], list[str], float], list[float]]) -> DealValuation:
    """Both sides of ``deal`` on a multi-indication asset; the same summary keys as
    :func:`~iitvalue.deal.value.value_deal`. The break-even LOA is the lead indication's, moved through the
    shared class (every indication's LOA follows it)."""
    lic = JointPartyView(deal.licensor.name, deal.licensor.discount_rate, licensor, "licensor")
    lee = JointPartyView(deal.licensee.name, deal.licensee.discount_rate, licensee, "licensee")
    lo, eo = lic.outcomes(deal), lee.outcomes(deal)
    npv = party_npvs(deal, lic, lee, outcomes=(lo, eo))
    notes: list[str] = []
    t_up = upfront_time(deal, lee.plan)
    lead = licensee.indications[0]
    values = eo.licensee

    def f_loa(x: float) -> float:
        p = (x - lead.q_inactive) / (lead.q_active - lead.q_inactive)
        jp = at_class(licensee, p, spread)
        probs = [np.array([[q.probability for q in i.plan.phases]], dtype=float) for i in jp.indications]
        return float(expectation(values, joint_probabilities(jp, lee.joint.states, probs))[0])

    lo_x, hi_x = lead.q_inactive + 1e-9, lead.q_active - 1e-9
    be_loa = None
    if hi_x > lo_x:
        flo, fhi = f_loa(lo_x), f_loa(hi_x)
        if flo * fhi < 0:
            be_loa = brent(f_loa, lo_x, hi_x, xtol=1e-12)
        else:
            notes.append(f"no break-even LOA of the lead indication between {lo_x:.4f} and {hi_x:.4f} (the class "
                         f"bounds): the licensee's NPV runs from {flo:,.1f} to {fhi:,.1f}")
    rows = _payments(deal, lic, lee, lo, eo)
    summary = deal_summary(deal, npv, lee, t_up, be_loa, _licensee_irr(deal, lee, eo), _any_approved(lee),
                           _any_approved(lic), notes)
    rows.append(asset_row(npv, summary["licensee_loa"]))
    return DealValuation(summary, rows, lic, lee, notes)


def _payments(deal: Deal, lic: JointPartyView, lee: JointPartyView, lo: DealOutcomes, eo: DealOutcomes
              ) -> list[dict[str, Any]]:
    """One row per component: P(paid), the expected time when paid (streams: flow-weighted), PV to each side."""
    pl, pe = lic.outcome_probabilities, lee.outcome_probabilities
    tc = lee.joint.t_cash
    rows = []
    for cl, ce in zip(lo.components, eo.components):
        prob = float(expectation(ce.paid.astype(float), pe)[0])
        prob_lic = float(expectation(cl.paid.astype(float), pl)[0])
        if ce.stream:
            t = _stream_time(deal, ce.category, lee, tc)
            if ce.category == "profit_share":  # as the single path: the profit share flows once approved
                prob, prob_lic = _any_approved(lee), _any_approved(lic)
        else:
            times = np.broadcast_to(ce.time if ce.time.ndim == 2 else ce.time[:, None], ce.paid.shape)
            w = pe * ce.paid
            finite = times[0][np.isfinite(times[0])]
            t = (float((w * np.nan_to_num(times)).sum() / w.sum()) if w.sum() > 0
                 else float(finite.min()) if finite.size else math.nan)
        rows.append({"name": ce.name, "category": ce.category, "trigger": ce.trigger, "amount": ce.amount,
                     "probability": prob, "probability_licensor": prob_lic, "time": t,
                     "date": add_years(lee.plan.valuation_date, t).isoformat() if math.isfinite(t) else None,
                     "pv_licensor": float(expectation(cl.pv, pl)[0]), "pv_licensee": -float(expectation(ce.pv, pe)[0]),
                     "cvr": ce.cvr})
    return rows


def _any_approved(v: JointPartyView) -> float:
    """P(at least one indication approved) under the party's beliefs."""
    J = np.array([len(p.phases) for p in v.joint.plans])
    return float(v.outcome_probabilities[0] @ (v.joint.states == J[None, :]).any(axis=1))


def _stream_lines(deal: Deal, category: str, v: JointPartyView) -> np.ndarray:
    """A stream's undiscounted flow per period and joint outcome, (S x Omega, N)."""
    jl = v.joint
    flat, fp = jl.flat, jl.flat_plan
    before, after = licensor_rd_shares(deal, fp, flat)
    if category == "royalties":
        return royalty_lines(deal, fp, flat).sum(axis=1)
    if category == "rd_before_signing":
        return -np.einsum("jn,rjn->rn", before, flat.rd_by_phase)
    return licensor_commercial_lines(deal, fp, flat) - np.einsum("jn,rjn->rn", after, flat.rd_by_phase)


def _stream_time(deal: Deal, category: str, v: JointPartyView, tc: np.ndarray) -> float:
    flow = v.outcome_probabilities[0] @ _stream_lines(deal, category, v)[: v.joint.n_outcomes]
    return float((flow * tc).sum() / flow.sum()) if flow.sum() else math.nan


def _licensee_irr(deal: Deal, lee: JointPartyView, eo: DealOutcomes) -> float | None:
    """The rate at which the licensee's expected cash flows have zero NPV (as
    :func:`~iitvalue.deal.value.licensee_irr`, with milestones at each joint outcome's time)."""
    jl, pe = lee.joint, lee.outcome_probabilities[0]
    t_deal = upfront_time(deal, lee.plan)
    tax = lee.plan.tax_rate
    times, flows = [max(t_deal, 0.0)], [0.0]
    if t_deal >= 0:
        for tt, f in licensee_flows(deal, "upfront", t_deal, deal.upfront, tax):
            times.append(tt)
            flows.append(f)
    for c in eo.components:
        if c.stream or c.category == "upfront":
            continue
        t = np.broadcast_to(c.time if c.time.ndim == 2 else c.time[:, None], c.paid.shape)[0]
        for o in range(jl.n_outcomes):
            if c.paid[0, o] and math.isfinite(t[o]) and t[o] >= 0:
                for tt, f in licensee_flows(deal, c.category, float(t[o]), c.amount * float(pe[o]), tax):
                    times.append(tt)
                    flows.append(f)
    O = jl.n_outcomes
    period = pe @ jl.flat.fcf[:O]
    for cat in ("royalties", "rd_before_signing", "profit_share"):
        if any(c.category == cat for c in eo.components):
            f = payment_tax_factor(deal, "licensee", cat, deal.licensee.discount_rate, tax)
            period = period - f * (pe @ _stream_lines(deal, cat, lee)[:O])
    times += list(jl.t_cash)
    flows += list(period)
    return licensee_irr_of_flows(np.array(times), np.array(flows))
