"""Each territory on the timeline (docs/method.md 1, Sales and Costs): launch and exclusivity, the launch-curve
integral, uptake, price and erosion factors, net sales, patients, COGS, SG&A, launch costs and pre-tax
commercial profit. Launch, exclusivity end, net sales and commercial profit are the engine's lines; the launch
curve's integral is the engine's own function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.engine import overlap, ramp_integral
from .cells import CALC, Book, Cell, Line
from .development import Development
from .inputs import COST_FIELDS, Inputs, TerritoryInputs
from .timeline import Timeline


@dataclass(frozen=True)
class Territory:
    """One territory's results: launch time L, exclusivity end X, peak sales, and its timeline rows."""

    name: str
    launch: Cell
    exclusivity_end: Cell
    peak: Cell
    revenue: Line
    cogs: Line
    sga: Line
    launch_costs: Line
    commercial: Line


def write_territories(book: Book, result, inputs: Inputs, time: Timeline, dev: Development) -> tuple[Territory, ...]:
    """Write one block per territory on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (``result.asset.plan`` resolved territories, ``result.asset.lines`` the engine's lines).
    inputs : Inputs
        The input cells.
    time : Timeline
        The timeline header.
    dev : Development
        The development block (approval time T).

    Returns
    -------
    tuple of Territory
    """
    return tuple(_write_territory(book, result, m, inputs, t, time, dev) for m, t in enumerate(inputs.territories))


def _write_territory(b: Book, result, m: int, inputs: Inputs, cells: TerritoryInputs, time: Timeline,
                     dev: Development) -> Territory:
    s, ln = result.sheet, result.asset.lines
    t, pt = s.territories[m], result.asset.plan.territories[m]
    b.section(CALC, f"Territory {m + 1}: {t.name} (docs/method.md 1, Sales; Costs)")
    L = b.scalar(f"L{m}", "Launch L = T + launch lag", "years", f"{dev.T}+{cells.lag}", float(ln.launch_time[0, m]),
                 "years")
    X_value = float(ln.exclusivity_end[0, m])
    if cells.exclusivity_end is not None:
        X = b.scalar(f"X{m}", "Exclusivity end X (years from t = 0)", "years",
                     f"({cells.exclusivity_end}-{inputs.vdate})/{inputs.const.dpy}", X_value, "years")
    else:
        X = b.scalar(f"X{m}", "Exclusivity end X = exclusivity years + L", "years", f"{cells.exclusivity_years}+{L}",
                     X_value, "years")
    if cells.peak is not None:
        peak = b.scalar(f"peak{m}", "Peak annual net sales", "millions per year", str(cells.peak), pt.peak, "money")
    else:
        peak = b.scalar(f"peak{m}", "Peak annual net sales = patients x treated share x net price",
                        "millions per year", f"{cells.patients}*{cells.share}*{cells.price}", pt.peak, "money")
    cost = {}
    for f, *_ in COST_FIELDS:
        kind = "pct" if f.endswith("fraction") else "money"
        own = f in cells.own_costs
        label = "territory's own" if own else "= [costs] default"
        cost[f] = b.scalar(f"{f}{m}", f"{f.replace('_', ' ')} ({label})", "",
                           str(cells.own_costs[f] if own else inputs.costs[f]), getattr(pt, f), kind)
    Y = b.const(f"Y{m}", "Launch years in the launch-curve table", "years", float(inputs.n_years), "int")
    t0, t1, tm = time.t0.values, time.t1.values, time.tm.values
    a0 = b.line(f"a0_{m}", "Years since launch at period start (>= 0)", "years", f"MAX(0,{time.t0}-{L})",
                np.maximum(0.0, t0 - L.value), "years")
    a1 = b.line(f"a1_{m}", "Years since launch at period end (>= 0)", "years", f"MAX(0,{time.t0}-{L}+{inputs.dt})",
                np.maximum(0.0, t0 - L.value + time.dt), "years")
    W = [b.line(f"W{nm}_{m}", f"Whole launch years elapsed, capped at the table (a{nm})", "years",
                f"MIN(INT({a}),{Y})", np.minimum(np.floor(a.values), inputs.n_years), "int")
         for nm, a in (("0", a0), ("1", a1))]
    ramp = np.asarray(pt.ramp, dtype=float)[None, None, :]
    R = [b.line(f"R{nm}_{m}", f"Launch-curve integral R(a{nm}) (share-years)", "years",
                f"SUMPRODUCT(({inputs.years}<={w})*{cells.curve})+INDEX({cells.curve},MIN({w}+1,{Y}))*({a}-{w})",
                ramp_integral(ramp, a.values[None, None, :])[0, 0], "factor")
         for nm, a, w in (("0", a0, W[0]), ("1", a1, W[1]))]
    upt = b.line(f"upt{m}", "Uptake in the period = R(a1) - R(a0)", "share-years", f"{R[1]}-{R[0]}",
                 R[1].values - R[0].values, "factor")
    growth = (1.0 + pt.price_change) ** tm
    gr = b.line(f"gr{m}", "Price factor (1 + g)^t_mid", "factor", f"(1+{cells.growth})^{time.tm}", growth, "factor")
    er = b.line(f"er{m}", "Erosion factor (1 - e)^max(0, t_mid - X)", "factor",
                f"(1-{cells.erosion})^MAX(0,{time.tm}-{X})", (1.0 - pt.erosion) ** np.maximum(0.0, tm - X.value),
                "factor")
    b.line(f"onmkt{m}", f"Flag: {t.name} on the market at the midpoint", "flag", f"IF({time.tm}>={L},1,0)",
           (tm >= L.value).astype(float), "int")
    b.line(f"excl{m}", f"Flag: {t.name} in exclusivity at the midpoint", "flag",
           f"IF(AND({time.tm}>={L},{time.tm}<{X}),1,0)", ((tm >= L.value) & (tm < X.value)).astype(float), "int")
    rev_values = ln.revenue_by_territory[0, m]
    rev = b.line(f"rev{m}", f"Net sales, {t.name}", "millions", f"{peak}*{upt}*{gr}*{er}", rev_values, total=True)
    pts_values = rev_values / (pt.net_price * growth) if pt.cogs_per_patient > 0 else np.zeros_like(rev_values)
    cpp = cost["cogs_per_patient"]
    pts = b.line(f"pts{m}", "Treated patients = sales / price (when COGS per patient is used)", "patients",
                 f"IF({cpp}>0,{rev}/({cells.price}*{gr}),0)", pts_values, "num", total=True)
    cogs = b.line(f"cogs{m}", "COGS", "millions", f"{cost['cogs_fraction']}*{rev}+{cpp}*{pts}",
                  pt.cogs_fraction * rev_values + pt.cogs_per_patient * pts_values, total=True)
    onm = b.line(f"onm{m}", "Time on the market within the period", "years", f"MAX(0,{time.t1}-MAX({time.t0},{L}))",
                 overlap(t0, t1, L.value, np.inf), "years")
    fy = b.line(f"fy{m}", "Time within the first year on the market", "years",
                f"MAX(0,MIN({time.t1},{L}+1)-MAX({time.t0},{L}))", overlap(t0, t1, L.value, L.value + 1.0), "years")
    sga = b.line(f"sga{m}", "SG&A", "millions", f"{cost['sga_fraction']}*{rev}+{cost['sga_fixed']}*{onm}",
                 pt.sga_fraction * rev_values + pt.sga_fixed * onm.values, total=True)
    lc = b.line(f"lc{m}", "Launch costs", "millions", f"{cost['launch_cost']}*{fy}", pt.launch_cost * fy.values,
                total=True)
    comm = b.line(f"comm{m}", "Pre-tax commercial profit = sales - COGS - SG&A - launch", "millions",
                  f"{rev}-{cogs}-{sga}-{lc}", ln.commercial_by_territory[0, m], total=True)
    return Territory(t.name, L, X, peak, rev, cogs, sga, lc, comm)
