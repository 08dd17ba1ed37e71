"""The valuation of an asset with several indications (docs/method.md 5): the expectation of the joint
outcomes' values, the success path where every indication is approved, and one row per indication."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..units import add_years, annual_totals
from .asset import AssetValuation
from .engine import market_time
from .joint import JointPlan
from .joint_lines import JointLines, evaluate_joint


def _demand(flat, o: int) -> np.ndarray:
    """Sales before the ceiling in outcome o, (N,): the plant's territories' sales / K plus the others'."""
    K = flat.capacity[o]
    free = flat.revenue_free[o]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(K > 0, (flat.revenue[o] - free) / K, 0.0) + free


def _start_text(jp: JointPlan, k: int) -> str:
    i = jp.indications[k]
    if i.parent is None:
        return "valuation date"
    parent = jp.indications[i.parent]
    what = ("approval" if i.event == "approval" or i.phase is None
            else f"success of {parent.plan.phases[i.phase].name}")
    return f"{what} of {parent.name} + {i.lag:g} years"


def _success_outcome(jl: JointLines) -> int:
    """The joint outcome in which every indication is approved."""
    J = np.array([len(p.phases) for p in jl.plans])
    return int(np.flatnonzero((jl.states == J[None, :]).all(axis=1))[0])


def _costs_on(jl: JointLines, k: int, o: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COGS, SG&A and launch costs (N,) of indication k in joint outcome o (scenario 0), after the plant's factor
    on the territories it supplies (COGS and the variable SG&A follow the patients treated)."""
    ln, arr = jl.lines[k], jl.arrays[k]
    if jl.states[o, k] != len(jl.plans[k].phases):
        z = np.zeros(ln.t_start.size)
        return z, z, z
    if jl.flat.capacity is None:
        return ln.cogs[0], ln.sga[0], ln.launch_costs[0]
    # the engine's lines by territory; COGS and the variable SG&A follow the patients the plant treats
    on, _ = market_time(ln.launch_time[:1], ln.t_start, ln.t_end)
    fixed_sga = arr.sga_fixed[0, :, None] * on[0]  # (M, N)
    K = jl.reshape(jl.flat.capacity)[0, o]
    plant = np.array([t.capacity_limited for t in jl.plans[k].territories], dtype=bool)
    f = np.where(plant[:, None], K[None, :], 1.0)
    cogs = (ln.cogs_by_territory[0] * f).sum(0)
    sga = ((ln.sga_by_territory[0] - fixed_sga) * f + fixed_sga).sum(0)
    return cogs, sga, ln.launch_costs[0]


def value_joint(jp: JointPlan, jl: JointLines | None = None) -> AssetValuation:
    """Value every indication jointly at the lead plan's discount rate; see the module docstring."""
    jl = jl or evaluate_joint(jp)
    lead = jp.lead
    ln0 = jl.lines[0]
    df = ln0.discount_factor[0]
    prob = jl.probabilities[0]
    values = jl.values(df)[0]
    flat = jl.flat
    O = jl.n_outcomes
    dt = lead.dt
    o_all = _success_outcome(jl)
    J = np.array([len(p.phases) for p in jl.plans])
    approved = jl.states == J[None, :]
    fcf_risked = prob @ flat.fcf[:O]
    rd_risked = prob @ flat.rd[:O]
    annual = annual_totals(flat.revenue[o_all], dt)
    k_peak = int(np.argmax(annual)) if annual.size else 0
    launch = float(flat.launch_time[o_all].min()) if flat.launch_time.shape[1] else math.nan
    approval = float(ln0.approval_time[0])
    summary: dict[str, Any] = {
        "rnpv": float(prob @ values),
        "npv_unrisked": float(values[o_all]),
        "loa": float(prob @ approved.any(axis=1)),
        "approval_time": approval,
        "approval_date": add_years(lead.valuation_date, approval).isoformat(),
        "launch_time": launch,
        "launch_date": add_years(lead.valuation_date, launch).isoformat(),
        "launch_year": add_years(lead.valuation_date, launch).year,
        "peak_sales": float(annual.max()) if annual.size else 0.0,
        "peak_sales_year": (add_years(lead.valuation_date, float(k_peak)).year
                            if annual.size and annual.max() > 0 else None),
        "pv_rd_risked": float(-(rd_risked * df).sum()),
        "pv_commercial_risked": float(((fcf_risked + rd_risked) * df).sum()),
        "discount_rate": lead.discount_rate,
        "currency": lead.currency,
    }
    if flat.capacity is not None:
        demand = float(_demand(flat, o_all).sum())
        lost = demand - float(flat.revenue[o_all].sum())
        summary["capacity_lost_sales"] = lost
        summary["capacity_lost_share"] = lost / demand if demand > 0 else 0.0
        summary["capacity_binding_years"] = len({add_years(lead.valuation_date, float(t)).year
                                                 for t, k in zip(ln0.t_start, flat.capacity[o_all]) if k < 1 - 1e-12})
    dates = [add_years(lead.valuation_date, float(t)) for t in ln0.t_start]
    cf: dict[str, Any] = {"period_start": [d.isoformat() for d in dates], "year": [d.year for d in dates],
                          "t_start": ln0.t_start, "t_cash": ln0.t_cash,
                          "phase": [_phase_at(jl, float(t + dt / 2)) for t in ln0.t_start],
                          "prob_alive": _alive(jl, prob)}
    for m, t in enumerate(jl.flat_plan.territories):
        cf[f"revenue_{t.name}"] = flat.revenue_by_territory[o_all, m]
    if ln0.entry_share is not None:  # the lead's order-of-entry share where it has rivals
        for m, t in enumerate(lead.territories):
            if t.rival_names:
                cf[f"entry_share_{t.name}"] = ln0.entry_share[0, m]
    notes_extra = []
    if flat.capacity is not None:
        K = flat.capacity[o_all]
        cf["demand"] = _demand(flat, o_all)
        cf["capacity_factor"] = K
        binding = [d.year for d, k in zip(dates, K) if k < 1 - 1e-12]
        notes_extra.append(f"capacity: {lead.capacity.patients_per_year:,.0f} patients per year at full scale for "
                           "every indication together; " + (
                               f"the ceiling binds in {min(binding)}-{max(binding)} when every indication is approved, "
                               f"success-path sales lost {summary['capacity_lost_sales']:,.1f} "
                               f"({summary['capacity_lost_share']:.1%} of demand)" if binding else "the ceiling never binds"))
    own = []
    for k, ind in enumerate(jp.indications):
        rev_k = jl.own_sales(k)[o_all].sum(0)  # after the plant's factor on the territories it supplies
        cf[f"revenue_indication_{ind.name}"] = rev_k
        own.append(rev_k)
    costs = [_costs_on(jl, k, o_all) for k in range(len(jp.indications))]
    cf["revenue"] = flat.revenue[o_all]
    cf["cogs"], cf["sga"], cf["launch_costs"] = (sum(c[i] for c in costs) for i in range(3))
    cf["rd"], cf["operating_profit"], cf["tax"], cf["fcf"] = (flat.rd[o_all], flat.operating_profit[o_all],
                                                           flat.tax[o_all], flat.fcf[o_all])
    cf["rd_risked"], cf["fcf_risked"], cf["discount_factor"] = rd_risked, fcf_risked, df
    cf["pv_risked"] = fcf_risked * df
    phases, indications = [], []
    for k, ind in enumerate(jp.indications):
        ln = jl.lines[k]
        for j, p in enumerate(ind.plan.phases):
            phases.append({"name": p.name, "kind": p.kind, "indication": ind.name, "start": float(ln.phase_start[0, j]),
                           "duration": p.duration, "cost": p.cost, "p_transition": p.probability,
                           "p_start": float(ln.prob_start[0, j]), "p_cumulative": float(ln.prob_start[0, j] * p.probability),
                           "probability_source": p.sources["probability"]})
        started = float(prob @ (jl.states[:, k] >= 0))
        peak = annual_totals(own[k], dt)
        t_launch = float(ln.launch_time[0].min()) if ln.launch_time.shape[1] else math.nan
        indications.append({
            "name": ind.name, "indication": ind.key, "line": ind.line, "start": _start_text(jp, k),
            "p_start": started, "loa": float(prob @ approved[:, k]) / started if started > 0 else 0.0,
            "p_approved": float(prob @ approved[:, k]),
            "prior_loa": float(np.prod([p.probability for p in ind.prior_plan.phases])),
            "rnpv": float(prob @ jl.own_values(k, df)[0]),
            "peak_sales": float(peak.max()) if peak.size else 0.0,
            "approval_date": add_years(lead.valuation_date, float(ln.approval_time[0])).isoformat(),
            "launch_date": add_years(lead.valuation_date, t_launch).isoformat() if math.isfinite(t_launch) else None,
            "q_active": ind.q_active, "q_inactive": ind.q_inactive,
        })
    notes = list(lead.notes) + [n for i in jp.indications[1:] for n in i.plan.notes] + notes_extra
    total_own = sum(r["rnpv"] for r in indications)
    notes.append(f"{len(indications)} indications valued jointly (one latent class, docs/method.md 5); the "
                 f"indications' own rNPVs sum to {total_own:,.1f} against the asset's {summary['rnpv']:,.1f} "
                 "(the difference is tax on the combined profit)")
    av = AssetValuation(lead, ln0, summary, cf, phases, notes)
    av.indications = indications
    av.joint = jl
    return av


def _phase_at(jl: JointLines, tm: float) -> str:
    """The phases running at time tm on the all-approved path (joined with '+'), 'approved' when none is."""
    names = []
    for k, plan in enumerate(jl.plans):
        ln = jl.lines[k]
        for j, p in enumerate(plan.phases):
            if ln.phase_start[0, j] <= tm < ln.phase_start[0, j] + p.duration:
                names.append(p.name)
    return " + ".join(names) if names else ("approved" if tm >= float(jl.lines[0].approval_time[0]) else "")


def _alive(jl: JointLines, prob: np.ndarray) -> np.ndarray:
    """P(the lead indication is still in development or approved) at each period midpoint (the lead's line)."""
    return jl.lines[0].prob_alive[0] if jl.lines[0].prob_alive is not None else np.ones(jl.t_cash.size)

