"""Deal terms valued for both sides (formulas in docs/method.md, section 3).

Each party values the deal with its own discount rate and, optionally, its own evidence weight for the readouts
(so its own phase probabilities). Payments are pre-tax transfers; the asset's cash flows are after the asset's
tax. For each party, with its probabilities P and discount factors DF:

    PV(milestone) = amount x P(trigger) x (1 + r)^-t(trigger)
    licensor NPV  = upfront + sum PV(milestones) + PV(royalties) + PV(licensor's share of asset cash flows)
    licensee NPV  = PV(asset cash flows) - PV(licensor's share) - upfront - sum PV(milestones) - PV(royalties)

so at one common rate and common beliefs licensor NPV + licensee NPV = asset rNPV (Villiger & Bogdan 2009).
The arrays keep the scenario axis of the engine, so the same code values deals path by path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .errors import NumericalError
from .rnpv import Lines, Plan, add_years, annual_totals, arrays_from_plan, evaluate
from .terms import Deal, Trigger

YEAR_DAYS = 365.25


# ---- the payment schedule -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Payment:
    """One contingent payment after pools are spread."""

    name: str
    category: str
    amount: float
    trigger: Trigger
    cvr: bool = False
    source: str | None = None


def expand_payments(deal: Deal) -> list[Payment]:
    """Milestones as given, plus each pool spread over its triggers by its shares (equal when not given)."""
    out = [Payment(m.name, m.category, m.amount, m.trigger, m.cvr, m.source) for m in deal.milestones]
    for pool in deal.pools:
        k = len(pool.triggers)
        shares = pool.shares or [1.0 / k] * k
        for trig, share in zip(pool.triggers, shares):
            out.append(Payment(f"{pool.name}: {describe(trig)}", pool.category, pool.amount * share, trig, pool.cvr,
                               pool.source))
    return out


def describe(t: Trigger) -> str:
    if t.type == "phase_start":
        return f"start of {t.phase}"
    if t.type == "phase_success":
        return f"success of {t.phase}"
    if t.type in ("filing", "approval"):
        return f"{t.type} in {t.territory}"
    if t.type == "sales":
        return f"annual net sales >= {t.threshold:g} ({t.territory or 'worldwide'})"
    return f"on {t.date}"


# ---- trigger probabilities and times ------------------------------------------------------------------------------
def trigger_time_probability(trig: Trigger, plan: Plan, ln: Lines, signing: float | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Time (years, success path) and probability that a payment's trigger is met and payable, per scenario.

    A trigger after the horizon, or (given ``signing``, years from the valuation date) before the deal is
    signed, pays nothing: probability 0.

    phase start: (s_j, P(start j)); phase success: (s_j + d_j, P(start j) p_j); filing in territory m: (start of the
    review phase + launch lag of m, P(start review)); approval in m: (T + lag_m, LOA); sales: end of the first period
    whose model year (years from the valuation date) has net sales at or above the threshold, LOA (probability 0
    if never within the horizon); date: (date, 1).
    """
    S = ln.loa.shape[0]
    phases = [p.name for p in plan.phases]
    terrs = [t.name for t in plan.territories]
    t, p = _trigger(trig, plan, ln, phases, terrs, S)
    payable = (t <= plan.horizon + 1e-9) if signing is None else ((t <= plan.horizon + 1e-9) & (t >= signing - 1e-9))
    return t, np.where(payable, p, 0.0)


def _trigger(trig: Trigger, plan: Plan, ln: Lines, phases: list[str], terrs: list[str], S: int):
    if trig.type in ("phase_start", "phase_success"):
        j = phases.index(trig.phase)
        if trig.type == "phase_start":
            return ln.phase_start[:, j].copy(), ln.prob_start[:, j].copy()
        if j + 1 < len(phases):  # success of phase j = start of phase j + 1, with probability S_j p_j = S_{j+1}
            return ln.phase_start[:, j + 1].copy(), ln.prob_start[:, j + 1].copy()
        return ln.approval_time.copy(), ln.loa.copy()
    if trig.type == "filing":
        f = next(j for j, p in enumerate(plan.phases) if p.kind == "filing")
        m = terrs.index(trig.territory)
        lag = ln.launch_time[:, m] - ln.approval_time
        return ln.phase_start[:, f] + lag, ln.prob_start[:, f].copy()
    if trig.type == "approval":
        m = terrs.index(trig.territory)
        return ln.launch_time[:, m].copy(), ln.loa.copy()
    if trig.type == "sales":
        dt = ln.t_end[0] - ln.t_start[0]
        sales = (ln.revenue_by_territory.sum(axis=1) if trig.territory is None
                 else ln.revenue_by_territory[:, terrs.index(trig.territory), :])
        annual = annual_totals(sales, dt)  # net sales per model year (years from the valuation date)
        hit = annual >= trig.threshold * (1 - 1e-12)
        first = np.argmax(hit, axis=1)
        reached = hit.any(axis=1)
        t = np.where(reached, np.minimum(first + 1.0, ln.t_end[-1]), np.nan)  # paid at the end of that year
        return t, np.where(reached, ln.loa, 0.0)
    t = (trig.date - plan.valuation_date).days / YEAR_DAYS
    return np.full(S, t), np.ones(S)


# ---- royalties and profit shares ----------------------------------------------------------------------------------
def tiered_amount(annual_sales: np.ndarray, tiers: list[tuple[float, float]]) -> np.ndarray:
    """Marginal tiers: sum_i rate_i x max(0, min(A, above_{i+1}) - above_i)."""
    out = np.zeros_like(annual_sales)
    for i, (lo, rate) in enumerate(tiers):
        hi = tiers[i + 1][0] if i + 1 < len(tiers) else np.inf
        out += rate * np.clip(annual_sales - lo, 0.0, hi - lo)
    return out


def royalty_lines(deal: Deal, plan: Plan, ln: Lines) -> np.ndarray:
    """Royalties per territory and period on the success path, (S, M, N), in millions.

    The effective rate tiered(A)/A is set by the covered territories' combined annualised sales A; each territory
    pays it on its own sales, reduced by ``step_down`` once its exclusivity has ended and nothing after its
    royalty term (years from its launch), both judged at the period midpoint."""
    S, M, N = ln.revenue_by_territory.shape
    out = np.zeros((S, M, N))
    terrs = [t.name for t in plan.territories]
    dt = ln.t_end[0] - ln.t_start[0]
    tm = (ln.t_start + ln.t_end) / 2
    for r in deal.royalties:
        idx = [terrs.index(t) for t in r.territories]
        sales = ln.revenue_by_territory[:, idx, :]
        annual = sales.sum(axis=1) / dt
        tiers = [(t.above, t.rate) for t in r.tiers]
        with np.errstate(invalid="ignore", divide="ignore"):
            eff = np.where(annual > 0, tiered_amount(annual, tiers) / annual, 0.0)
        for k, m in enumerate(idx):
            factor = np.where(tm[None, :] > ln.exclusivity_end[:, m, None], 1.0 - r.step_down, 1.0)
            if r.term_years is not None:
                factor = factor * (tm[None, :] < (ln.launch_time[:, m] + r.term_years)[:, None])
            out[:, m, :] = eff * sales[:, k, :] * factor
    return out


def licensor_share_lines(deal: Deal, plan: Plan, ln: Lines, risked: bool = True) -> np.ndarray:
    """The licensor's risk-adjusted share of the asset's cash flows, (S, N).

    licensor_k = LOA x sum_m s_m (c_mk - tax_k c_mk / sum_m c_mk) - sum_j share_jk P(start j) R&D_jk, with c the
    pre-tax commercial profit by territory (the asset's tax is allocated pro rata to it; tax > 0 implies
    sum_m c_mk > 0) and the licensor's share of phase j's R&D: 1 before the deal date, after it the phase's
    ``cost_shares`` entry or else ``licensor_cost_share``.
    """
    S, M, N = ln.commercial_by_territory.shape
    terrs = [t.name for t in plan.territories]
    s = np.zeros(M)
    for ps in deal.profit_shares:
        for t in ps.territories:
            s[terrs.index(t)] = ps.licensor_share
    c = ln.commercial_by_territory
    total = c.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tax_alloc = np.where(total[:, None, :] > 0, ln.tax[:, None, :] * c / total[:, None, :], 0.0)
    commercial = np.einsum("m,smn->sn", s, c - tax_alloc)
    t_deal = signing_time(deal, plan)
    dt = ln.t_end[0] - ln.t_start[0]
    before = np.clip(t_deal - ln.t_start, 0.0, dt) / dt  # share of each period before signing
    names = [p.name for p in plan.phases]
    rho = np.full(len(names), deal.licensor_cost_share)
    for cs in deal.cost_shares:
        for ph in cs.phases:
            rho[names.index(ph)] = cs.licensor_share
    share = before[None, :] + (1.0 - before[None, :]) * rho[:, None]  # (J, N)
    if not risked:  # the success path
        return commercial - np.einsum("jn,sjn->sn", share, ln.rd_by_phase)
    return ln.loa[:, None] * commercial - np.einsum("sj,jn,sjn->sn", ln.prob_start, share, ln.rd_by_phase)


def signing_time(deal: Deal, plan: Plan) -> float:
    """Years from the valuation date to the deal's signing."""
    return (deal.date - plan.valuation_date).days / YEAR_DAYS


def upfront_time(deal: Deal, plan: Plan) -> float:
    """Years from the valuation date to the upfront payment (closing if given, else the deal date)."""
    return ((deal.closing or deal.date) - plan.valuation_date).days / YEAR_DAYS


# ---- a party's view -------------------------------------------------------------------------------------------
@dataclass
class PartyView:
    name: str
    discount_rate: float
    plan: Plan
    lines: Lines

    @classmethod
    def of(cls, name: str, rate: float, plan: Plan) -> "PartyView":
        arr = arrays_from_plan(plan)
        arr.discount_rate[:] = rate
        return cls(name, rate, plan, evaluate(arr))

    def df(self, t: np.ndarray) -> np.ndarray:
        """Discount factor at time t; a payment before the valuation date (t < 0) is sunk and counts 0."""
        t = np.asarray(t, dtype=float)
        return np.where(t < 0, 0.0, (1.0 + self.discount_rate) ** (-np.where(t < 0, 0.0, t)))


@dataclass
class DealValuation:
    """Both sides of a deal. ``payments`` is a pandas DataFrame, one row per payment (and per income stream)."""

    summary: dict[str, Any]
    payments: Any
    licensor: PartyView
    licensee: PartyView
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.summary)
        d["payments"] = self.payments.to_dict(orient="records")
        return d

    def _repr_html_(self) -> str:
        import pandas as pd

        return (pd.Series(self.summary, name="value").to_frame()._repr_html_()
                + self.payments._repr_html_())


def party_npvs(deal: Deal, lic: PartyView, lee: PartyView, upfront: float | None = None) -> dict[str, float]:
    """Licensor and licensee NPV (scenario 0) and their parts; ``upfront`` overrides the term sheet's."""
    up = deal.upfront if upfront is None else upfront
    t_deal = upfront_time(deal, lic.plan)
    pays = expand_payments(deal)
    out = {"pv_upfront_licensor": up * float(lic.df(t_deal)), "pv_upfront_licensee": up * float(lee.df(t_deal))}
    ms_lic = ms_lee = 0.0
    signing = signing_time(deal, lic.plan)
    for p in pays:
        t1, p1 = trigger_time_probability(p.trigger, lic.plan, lic.lines, signing)
        t2, p2 = trigger_time_probability(p.trigger, lee.plan, lee.lines, signing)
        ms_lic += p.amount * float(np.nan_to_num(p1[0] * lic.df(t1[0])))
        ms_lee += p.amount * float(np.nan_to_num(p2[0] * lee.df(t2[0])))
    roy_lic = float((lic.lines.loa[0] * royalty_lines(deal, lic.plan, lic.lines)[0].sum(0) * lic.lines.discount_factor[0]).sum())
    roy_lee = float((lee.lines.loa[0] * royalty_lines(deal, lee.plan, lee.lines)[0].sum(0) * lee.lines.discount_factor[0]).sum())
    share_lic = float((licensor_share_lines(deal, lic.plan, lic.lines)[0] * lic.lines.discount_factor[0]).sum())
    share_lee = float((licensor_share_lines(deal, lee.plan, lee.lines)[0] * lee.lines.discount_factor[0]).sum())
    asset_lee = float(lee.lines.rnpv[0])
    asset_lic = float(lic.lines.rnpv[0])
    out.update(
        pv_milestones_licensor=ms_lic, pv_milestones_licensee=ms_lee,
        pv_royalties_licensor=roy_lic, pv_royalties_licensee=roy_lee,
        pv_profit_share_licensor=share_lic, pv_profit_share_licensee=share_lee,
        asset_rnpv_licensor=asset_lic, asset_rnpv_licensee=asset_lee,
    )
    out["licensor_npv"] = out["pv_upfront_licensor"] + ms_lic + roy_lic + share_lic
    out["licensee_npv"] = asset_lee - share_lee - out["pv_upfront_licensee"] - ms_lee - roy_lee
    return out


def value_deal(deal: Deal, licensor_plan: Plan, licensee_plan: Plan,
               licensee_plan_at_loa: Callable[[float], Plan] | None = None) -> DealValuation:
    """Value ``deal`` for both parties. ``licensee_plan_at_loa`` (optional) rebuilds the licensee's plan for a
    given LOA; it is used to goal-seek the break-even LOA."""
    import pandas as pd
    from scipy.optimize import brentq

    lic = PartyView.of(deal.licensor.name, deal.licensor.discount_rate, licensor_plan)
    lee = PartyView.of(deal.licensee.name, deal.licensee.discount_rate, licensee_plan)
    npv = party_npvs(deal, lic, lee)
    t_deal = upfront_time(deal, licensor_plan)
    vdate = licensor_plan.valuation_date
    notes: list[str] = []

    paid = deal.closing or deal.date
    rows = [{"name": "Upfront", "category": "upfront", "trigger": f"{'closing' if deal.closing else 'deal date'} {paid}",
             "amount": deal.upfront, "probability": 1.0, "probability_licensor": 1.0, "time": t_deal,
             "date": paid.isoformat(),
             "pv_licensor": npv["pv_upfront_licensor"], "pv_licensee": -npv["pv_upfront_licensee"], "cvr": False}]
    signing = signing_time(deal, licensor_plan)
    for p in expand_payments(deal):
        t1, p1 = trigger_time_probability(p.trigger, lic.plan, lic.lines, signing)
        t2, p2 = trigger_time_probability(p.trigger, lee.plan, lee.lines, signing)
        t = float(t2[0])
        _, p_raw = _trigger(p.trigger, lee.plan, lee.lines, [x.name for x in lee.plan.phases],
                            [x.name for x in lee.plan.territories], 1)
        if math.isfinite(t) and p2[0] == 0 and p_raw[0] > 0:
            notes.append(f"milestone '{p.name}' falls at {t:.2f} years, "
                         + ("after the horizon" if t > lee.plan.horizon else "before the deal is signed")
                         + ": it pays nothing")
        rows.append({
            "name": p.name, "category": p.category, "trigger": describe(p.trigger), "amount": p.amount,
            "probability": float(p2[0]), "probability_licensor": float(p1[0]), "time": t,
            "date": add_years(vdate, t).isoformat() if math.isfinite(t) else None,
            "pv_licensor": p.amount * float(np.nan_to_num(p1[0] * lic.df(t1[0]))),
            "pv_licensee": -p.amount * float(np.nan_to_num(p2[0] * lee.df(t2[0]))), "cvr": p.cvr,
        })
        if not math.isfinite(t):
            notes.append(f"milestone '{p.name}' is never reached within the horizon on the success path")
    streams = []
    if deal.royalties:
        streams.append(("Royalties", "royalties", "net sales",
                        lambda v, risked: (v.lines.loa[:, None] if risked else 1.0) * royalty_lines(deal, v.plan, v.lines).sum(1)))
    if deal.profit_shares or deal.licensor_cost_share > 0 or deal.cost_shares:
        streams.append(("Profit and cost share", "profit_share", "asset cash flows",
                        lambda v, risked: licensor_share_lines(deal, v.plan, v.lines, risked)))
    for label, key, trigger, flows_fn in streams:
        success = flows_fn(lee, False)[0]  # success path, undiscounted
        expected = flows_fn(lee, True)[0]
        t_mean = float((expected * lee.lines.t_cash).sum() / expected.sum()) if expected.sum() else math.nan
        rows.append({
            "name": label, "category": key, "trigger": trigger, "amount": float(success.sum()),
            "probability": float(lee.lines.loa[0]), "probability_licensor": float(lic.lines.loa[0]),
            "time": t_mean, "date": add_years(vdate, t_mean).isoformat() if math.isfinite(t_mean) and t_mean >= 0 else None,
            "pv_licensor": npv[f"pv_{key}_licensor"], "pv_licensee": -npv[f"pv_{key}_licensee"], "cvr": False,
        })
    table = pd.DataFrame(rows)

    headline = deal.upfront + sum(p.amount for p in expand_payments(deal))
    lnpv, enpv = npv["licensor_npv"], npv["licensee_npv"]
    total_value = lnpv + enpv
    # break-even upfront: the licensee's NPV is linear in the upfront, but goal-seek as for any input
    f_up = lambda u: party_npvs(deal, lic, lee, upfront=u)["licensee_npv"]  # noqa: E731
    be_up = (_solve(f_up, deal.upfront, lambda u: deal.upfront + enpv * (1 + lee.discount_rate) ** t_deal)
             if t_deal >= 0 else None)
    be_loa = None
    if licensee_plan_at_loa is not None:
        def f_loa(x: float) -> float:
            v = PartyView.of(lee.name, lee.discount_rate, licensee_plan_at_loa(x))
            return party_npvs(deal, lic, v)["licensee_npv"]
        lo, hi = 1e-4, 0.9999
        try:
            flo, fhi = f_loa(lo), f_loa(hi)
            if flo * fhi < 0:
                be_loa = float(brentq(f_loa, lo, hi, xtol=1e-10))
            else:
                notes.append(f"no break-even LOA in [{lo}, {hi}]: the licensee's NPV runs from {flo:,.1f} to {fhi:,.1f}")
        except (ValueError, FloatingPointError) as exc:  # pragma: no cover - defensive
            notes.append(f"break-even LOA not found: {exc}")
    irr = licensee_irr(deal, lee, lic_share_fn=lambda v: licensor_share_lines(deal, v.plan, v.lines))
    if be_up is not None and be_up < 0:
        notes.append(f"break-even upfront {be_up:,.1f} is negative: the licensee loses money even with no upfront")
    if t_deal < 0:
        notes.append(f"the upfront was paid before the valuation date ({deal.closing or deal.date}): it is sunk and "
                     "counts 0 for both parties")
    if irr is None:
        notes.append("licensee IRR: the expected cash flows have no single root (no sign change or several)")
    summary = {
        "kind": deal.kind,
        "licensor": deal.licensor.name,
        "licensee": deal.licensee.name,
        "licensor_discount_rate": deal.licensor.discount_rate,
        "licensee_discount_rate": deal.licensee.discount_rate,
        "upfront": deal.upfront,
        "equity_premium": deal.equity_premium,
        "milestones_total": headline - deal.upfront,
        "headline_value": headline,
        "risk_adjusted_value": npv["pv_upfront_licensee"] + npv["pv_milestones_licensee"] + npv["pv_royalties_licensee"],
        "risk_adjusted_value_licensor_view": npv["pv_upfront_licensor"] + npv["pv_milestones_licensor"] + npv["pv_royalties_licensor"],
        "licensor_npv": lnpv,
        "licensee_npv": enpv,
        "licensor_share": lnpv / total_value if total_value > 0 else math.nan,
        "asset_rnpv_licensee_view": npv["asset_rnpv_licensee"],
        "asset_rnpv_licensor_view": npv["asset_rnpv_licensor"],
        "breakeven_upfront": be_up,
        "breakeven_loa": be_loa,
        "licensee_irr": irr,
        "licensee_loa": float(lee.lines.loa[0]),
        "licensor_loa": float(lic.lines.loa[0]),
    }
    for k in ("pv_milestones_licensor", "pv_milestones_licensee", "pv_royalties_licensor", "pv_royalties_licensee",
              "pv_profit_share_licensor", "pv_profit_share_licensee"):
        summary[k] = npv[k]
    return DealValuation(summary, table, lic, lee, notes)


def _solve(f: Callable[[float], float], x0: float, closed_form: Callable[[float], float]) -> float:
    """Root of a function that is linear in x, bracketed around the closed-form answer and polished by brentq."""
    from scipy.optimize import brentq

    guess = closed_form(x0)
    width = max(1.0, abs(guess)) * 0.5 + 1.0
    lo, hi = guess - width, guess + width
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        raise NumericalError(f"break-even not bracketed near {guess:,.3f}")
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-14))


def licensee_irr(deal: Deal, lee: PartyView, lic_share_fn) -> float | None:
    """The rate x at which the licensee's expected (risk-adjusted) cash flows have zero NPV: upfront at the deal
    date, milestones at their expected times weighted by probability, royalties and the asset's cash flows net
    of the licensor's share in each period. None unless the NPV changes sign exactly once on a grid over
    (-0.95, 100)."""
    from scipy.optimize import brentq

    plan, ln = lee.plan, lee.lines
    t_deal = upfront_time(deal, plan)
    times = [max(t_deal, 0.0)]
    flows = [-deal.upfront if t_deal >= 0 else 0.0]
    for p in expand_payments(deal):
        t, prob = trigger_time_probability(p.trigger, plan, ln, signing_time(deal, plan))
        if math.isfinite(t[0]) and prob[0] > 0 and t[0] >= 0:
            times.append(float(t[0]))
            flows.append(-p.amount * float(prob[0]))
    period = ln.fcf_risked[0] - lic_share_fn(lee)[0] - ln.loa[0] * royalty_lines(deal, plan, ln)[0].sum(0)
    times += list(ln.t_cash)
    flows += list(period)
    t = np.array(times)
    cf = np.array(flows)

    def npv(x: float) -> float:
        return float((cf * (1.0 + x) ** (-t)).sum())

    grid = np.concatenate([np.linspace(-0.95, 1.0, 80), np.linspace(1.05, 100.0, 60)])
    vals = np.array([npv(x) for x in grid])
    sign = np.sign(vals)
    changes = np.nonzero(sign[1:] * sign[:-1] < 0)[0]
    if len(changes) != 1:
        return None
    i = changes[0]
    return float(brentq(npv, grid[i], grid[i + 1], xtol=1e-12))
