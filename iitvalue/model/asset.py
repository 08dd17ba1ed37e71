"""The asset's valuation as a result object: the headline numbers, the per-period table and the phase table of
one resolved plan (scenario 0 of the engine)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..tables import Column, html_pairs, html_table, money, percent, years
from ..units import add_years, annual_totals
from .engine import Lines, arrays_from_plan, evaluate
from .plan import Plan


@dataclass
class AssetValuation:
    """The asset's valuation (``result.asset``; :func:`value_plan`): headline numbers, cash flows, phases.

    ``summary`` holds the headline numbers: ``rnpv`` = sum_k DF_k x risk-adjusted cash flow_k (docs/method.md
    section 1), ``npv_unrisked`` (every phase succeeds), ``loa`` = p_1 ... p_J, ``approval_time`` and
    ``launch_time`` (years from the valuation date), ``peak_sales``, ``pv_rd_risked``, ``pv_commercial_risked``
    (their sum is the rNPV), ``discount_rate``, ``currency``. The per-period table is ``table`` as columns
    (``cashflows`` as a pandas DataFrame, built on first use), the phase table ``phase_rows`` as records
    (``phases`` as a DataFrame). Money in millions of ``currency``; pandas is imported only when a DataFrame is
    asked for.

    Examples
    --------
    >>> import iitvalue
    >>> asset = iitvalue.value("examples/esobiotec.toml").asset
    >>> asset
    <AssetValuation rNPV 242.5 USD m, LOA 17.0%, launch 2032>
    >>> s = asset.summary
    >>> round(s["npv_unrisked"], 1), round(s["pv_rd_risked"] + s["pv_commercial_risked"], 1), s["approval_date"]
    (2089.0, 242.5, '2032-09-17')
    >>> asset.phases["p_cumulative"].round(3).tolist()
    [0.515, 0.275, 0.183, 0.17]
    """

    plan: Plan
    lines: Lines
    summary: dict[str, Any]
    table: dict[str, Any]
    phase_rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    indications: list[dict[str, Any]] | None = None  # several indications: one row each (docs/method.md 5)
    joint: Any = None  # several indications: the joint engine's lines (model.joint_lines.JointLines)

    @cached_property
    def cashflows(self):
        """The per-period table (pandas DataFrame, index ``period``); columns in docs/cli.md."""
        import pandas as pd

        cf = pd.DataFrame(self.table)
        cf.index = pd.RangeIndex(len(cf), name="period")
        return cf

    @cached_property
    def phases(self):
        """The phase table (pandas DataFrame): transition, start and cumulative probabilities with sources."""
        import pandas as pd

        return pd.DataFrame(self.phase_rows)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<AssetValuation rNPV {money(s['rnpv'])} {s['currency']} m, LOA {percent(s['loa'])}, "
                f"launch {s['launch_year']}>")

    def _repr_html_(self) -> str:  # notebooks
        s, cur = self.summary, self.summary["currency"]
        head = html_pairs("Asset valuation", [
            (f"rNPV ({cur} m, at {percent(s['discount_rate'])})", money(s["rnpv"])),
            ("NPV if every phase succeeds", money(s["npv_unrisked"])), ("LOA", percent(s["loa"])),
            ("approval", s["approval_date"]), ("first launch", s["launch_date"]),
            ("peak sales (success path)", money(s["peak_sales"]))])
        return head + html_table(self.phase_rows, PHASE_COLUMNS, "Development plan")


PHASE_COLUMNS = [Column("name", "phase"), Column("kind", "kind"), Column("start", "start (y)", years),
                 Column("duration", "years", years), Column("cost", "cost", money),
                 Column("p_transition", "P(pass)", percent), Column("p_start", "P(start)", percent),
                 Column("p_cumulative", "P(through)", percent)]


def value_plan(plan: Plan) -> AssetValuation:
    """Value one resolved plan; returns the summary, the per-period table and the phase table."""
    ln = evaluate(arrays_from_plan(plan))
    s0 = lambda a: a[0]  # noqa: E731  (scenario 0)
    dt = plan.dt
    annual_rev = annual_totals(s0(ln.revenue), dt)  # net sales per model year
    approval = float(ln.approval_time[0])
    first_launch = float(ln.launch_time[0].min()) if plan.territories else math.nan
    k_peak = int(np.argmax(annual_rev)) if annual_rev.size else 0
    approval_date = add_years(plan.valuation_date, approval)
    launch_date = add_years(plan.valuation_date, first_launch)
    summary = {
        "rnpv": float(ln.rnpv[0]),
        "npv_unrisked": float(ln.npv_unrisked[0]),
        "loa": float(ln.loa[0]),
        "approval_time": approval,
        "approval_date": approval_date.isoformat(),
        "launch_time": first_launch,
        "launch_date": launch_date.isoformat(),
        "launch_year": launch_date.year,
        "peak_sales": float(annual_rev.max()) if annual_rev.size else 0.0,
        "peak_sales_year": (add_years(plan.valuation_date, float(k_peak)).year
                            if annual_rev.size and annual_rev.max() > 0 else None),
        "pv_rd_risked": float(-(s0(ln.rd_risked) * s0(ln.discount_factor)).sum()),
        "pv_commercial_risked": float((ln.loa[0] * s0(ln.commercial_after_tax) * s0(ln.discount_factor)).sum()),
        "discount_rate": plan.discount_rate,
        "currency": plan.currency,
    }
    notes = list(plan.notes)
    if ln.capacity_factor is not None:
        demand = float(ln.demand_by_territory[0].sum())
        lost = demand - float(ln.revenue[0].sum())
        binding = [add_years(plan.valuation_date, float(t)).year for t, k in zip(ln.t_start, ln.capacity_factor[0])
                   if k < 1.0 - 1e-12]
        summary["capacity_lost_sales"] = lost
        summary["capacity_lost_share"] = lost / demand if demand > 0 else 0.0
        summary["capacity_binding_years"] = len(set(binding))
        notes.append(f"capacity: {plan.capacity.patients_per_year:,.0f} patients per year at full scale; "
                     + (f"the ceiling binds in {min(binding)}-{max(binding)}, success-path sales lost "
                        f"{lost:,.1f} ({lost / demand:.1%} of demand)" if binding else "the ceiling never binds"))
    if ln.entry_share is not None:
        for m, t in enumerate(plan.territories):
            if not t.rival_names:
                continue
            launch = float(ln.launch_time[0, m])
            order = 1 + sum(x < launch for x in t.rival_launch)
            share = ln.entry_share[0, m]
            on = np.flatnonzero(ln.t_start + dt / 2 >= launch)
            at_launch = f"{share[on[0]]:.1%} at launch, " if on.size else ""
            notes.append(f"{t.name}: enters {order} of {len(t.rival_names) + 1} (rivals "
                         + ", ".join(f"{n} {add_years(plan.valuation_date, x)}" for n, x in zip(t.rival_names, t.rival_launch))
                         + f"); order-of-entry share {at_launch}{share[-1]:.1%} at the horizon")
    if approval >= plan.horizon:
        notes.append(f"approval at {approval:.2f} years lies beyond the {plan.horizon:g}-year horizon: no sales are counted")
    dates = [add_years(plan.valuation_date, float(t)) for t in ln.t_start]
    phase_names = []
    for k in range(plan.n_periods):
        tm = ln.t_start[k] + dt / 2
        name = "approved" if tm >= approval else ""
        for j, p in enumerate(plan.phases):
            if ln.phase_start[0, j] <= tm < ln.phase_start[0, j] + p.duration:
                name = p.name
        phase_names.append(name)
    cf: dict[str, Any] = {
        "period_start": [d.isoformat() for d in dates],
        "year": [d.year for d in dates],
        "t_start": ln.t_start,
        "t_cash": ln.t_cash,
        "phase": phase_names,
        "prob_alive": s0(ln.prob_alive),
    }
    for m, t in enumerate(plan.territories):
        cf[f"revenue_{t.name}"] = ln.revenue_by_territory[0, m]
        if ln.entry_share is not None and t.rival_names:
            cf[f"entry_share_{t.name}"] = ln.entry_share[0, m]
    if ln.capacity_factor is not None:
        cf["demand"] = ln.demand_by_territory[0].sum(0)
        cf["capacity_factor"] = ln.capacity_factor[0]
    for col in ("revenue", "cogs", "sga", "launch_costs", "rd", "operating_profit", "tax", "fcf", "rd_risked",
                "fcf_risked", "discount_factor", "pv_risked"):
        cf[col] = s0(getattr(ln, col))
    phases = [
        {"name": p.name, "kind": p.kind, "start": float(ln.phase_start[0, j]), "duration": p.duration, "cost": p.cost,
         "p_transition": p.probability, "p_start": float(ln.prob_start[0, j]),
         "p_cumulative": float(ln.prob_start[0, j] * p.probability), "probability_source": p.sources["probability"]}
        for j, p in enumerate(plan.phases)
    ]
    return AssetValuation(plan, ln, summary, cf, phases, notes)
