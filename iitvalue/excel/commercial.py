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
    """Write one block per territory on Calculations; with a capacity ceiling, each territory's demand first,
    then the ceiling's block, then each territory's sales and costs.

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
    if inputs.capacity is None:
        return tuple(_write_costs(book, result, _write_demand(book, result, m, inputs, t, time, dev), inputs, time)
                     for m, t in enumerate(inputs.territories))
    demands = [_write_demand(book, result, m, inputs, t, time, dev) for m, t in enumerate(inputs.territories)]
    factor = _write_capacity(book, result, inputs, time, demands)
    out = []
    for d in demands:
        book.section(CALC, f"Territory {d.m + 1}: {d.name}, sales and costs after the capacity ceiling")
        out.append(_write_costs(book, result, d, inputs, time, factor))
    return tuple(out)


@dataclass(frozen=True)
class _Demand:
    m: int
    name: str
    launch: Cell
    exclusivity_end: Cell
    peak: Cell
    demand: Line  # net sales before the capacity ceiling
    growth: Line
    cost: dict[str, Cell]


def _write_demand(b: Book, result, m: int, inputs: Inputs, cells: TerritoryInputs, time: Timeline,
                  dev: Development) -> _Demand:
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
        label = "territory's own, or the licensor's under deal.supply" if own else "= [costs] default"
        cost[f] = b.scalar(f"{f}{m}", f"{f.replace('_', ' ')} ({label})", "",
                           str(cells.own_costs[f] if own else inputs.costs[f]), getattr(pt, f), kind)
    Y = b.const(f"Y{m}", "Launch years in the launch-curve table", "years", float(inputs.n_years), "int")
    t0, tm = time.t0.values, time.tm.values
    a0 = b.line(f"a0_{m}", "Years since launch at period start (>= 0)", "years", f"MAX(0,{time.t0}-{L})",
                np.maximum(0.0, t0 - L.value), "years")
    a1 = b.line(f"a1_{m}", "Years since launch at period end (>= 0)", "years", f"MAX(0,{time.t0}-{L}+{inputs.dt})",
                np.maximum(0.0, t0 - L.value + time.dt), "years")
    upt = uptake(b, f"{m}", a0, a1, Y, inputs, cells.curve, np.asarray(pt.ramp, dtype=float), "Launch-curve",
                  "Uptake in the period = R(a1) - R(a0)")
    growth = (1.0 + pt.price_change) ** tm
    gr = b.line(f"gr{m}", "Price factor (1 + g)^t_mid", "factor", f"(1+{cells.growth})^{time.tm}", growth, "factor")
    er = b.line(f"er{m}", "Erosion factor (1 - e)^max(0, t_mid - X)", "factor",
                f"(1-{cells.erosion})^MAX(0,{time.tm}-{X})", (1.0 - pt.erosion) ** np.maximum(0.0, tm - X.value),
                "factor")
    b.line(f"onmkt{m}", f"Flag: {t.name} on the market at the midpoint", "flag", f"IF({time.tm}>={L},1,0)",
           (tm >= L.value).astype(float), "int")
    b.line(f"excl{m}", f"Flag: {t.name} in exclusivity at the midpoint", "flag",
           f"IF(AND({time.tm}>={L},{time.tm}<{X}),1,0)", ((tm >= L.value) & (tm < X.value)).astype(float), "int")
    factors = f"{peak}*{upt}*{gr}*{er}"
    if cells.rivals:
        factors += f"*{_entry_share(b, result, m, cells, inputs, time, L)}"
    label = f"Demand: net sales before the capacity ceiling, {t.name}" if inputs.capacity is not None else f"Net sales, {t.name}"
    demand_values = (ln.demand_by_territory if ln.demand_by_territory is not None else ln.revenue_by_territory)[0, m]
    rev = b.line(f"{'dem' if inputs.capacity is not None else 'rev'}{m}", label, "millions", factors, demand_values,
                 total=True)
    return _Demand(m, t.name, L, X, peak, rev, gr, cost)


def uptake(b: Book, tag: str, a0: Line, a1: Line, Y: Cell, inputs: Inputs, curve, ramp: np.ndarray,
           what: str, label: str) -> Line:
    """R(a1) - R(a0) for the share table ``curve``: the integral of a launch-year share function."""
    W = [b.line(f"W{nm}_{tag}", f"Whole {'launch ' if tag != 'cap' else ''}years elapsed, capped at the table (a{nm})", "years",
                f"MIN(INT({a}),{Y})", np.minimum(np.floor(a.values), inputs.n_years), "int")
         for nm, a in (("0", a0), ("1", a1))]
    R = [b.line(f"R{nm}_{tag}", f"{what} integral R(a{nm}) (share-years)", "years",
                f"SUMPRODUCT(({inputs.years}<={w})*{curve})+INDEX({curve},MIN({w}+1,{Y}))*({a}-{w})",
                ramp_integral(ramp[None, None, :], a.values[None, None, :])[0, 0], "factor")
         for nm, a, w in (("0", a0, W[0]), ("1", a1, W[1]))]
    return b.line(f"upt{tag}", label, "share-years", f"{R[1]}-{R[0]}",
                  R[1].values - R[0].values, "factor")


def _entry_share(b: Book, result, m: int, cells: TerritoryInputs, inputs: Inputs, time: Timeline, L: Cell) -> Line:
    """The order-of-entry share line (docs/method.md 1, Competition): attraction strength x order^-a."""
    ln, pt = result.asset.lines, result.asset.plan.territories[m]
    a = cells.exponent
    ells = [b.scalar(f"entry_l{m}_{k}", f"{name}: launch (years from t = 0)", "years",
                     f"({d}-{inputs.vdate})/{inputs.const.dpy}", pt.rival_launch[k], "years")
            for k, ((d, _), name) in enumerate(zip(cells.rivals, pt.rival_names))]
    block = b.column(f"entry_l{m}", ells)
    Lv = L.value
    own_order = 1 + sum(x < Lv for x in pt.rival_launch)
    own = b.scalar(f"entry_own{m}", "Asset's attraction = order^-a, order = 1 + rivals launched before L", "",
                   f"(1+SUMPRODUCT(({block}<{L})*1))^-{a}", own_order ** -pt.entry_exponent, "factor")
    attr = []
    for k, (ell, (_, strength)) in enumerate(zip(ells, cells.rivals)):
        order = 1 + sum(x < ell.value for x in pt.rival_launch) + (Lv < ell.value)
        attr.append(b.scalar(f"entry_a{m}_{k}", f"{pt.rival_names[k]}: attraction = strength x order^-a", "",
                             f"{strength}*(1+SUMPRODUCT(({block}<{ell})*1)+IF({L}<{ell},1,0))^-{a}",
                             pt.rival_strength[k] * order ** -pt.entry_exponent, "factor"))
    ablock = b.column(f"entry_a{m}", attr)
    return b.line(f"entry_F{m}", "Order-of-entry share = own / (own + rivals on the market at t_mid)", "fraction",
                  f"{own}/({own}+SUMPRODUCT(({block}<={time.tm})*{ablock}))", ln.entry_share[0, m], "pct")


def _write_capacity(b: Book, result, inputs: Inputs, time: Timeline, demands: list[_Demand]) -> Line:
    """The capacity block: demand in patients, the plant's slots in each period and K = min(1, slots / demand)."""
    ln, plan = result.asset.lines, result.asset.plan
    b.section(CALC, "Manufacturing capacity (docs/method.md 1, Capacity)")
    pats = []
    plant = [d for d in demands if plan.territories[d.m].capacity_limited]
    for d in plant:
        cells = inputs.territories[d.m]
        pats.append(b.line(f"cap_dpt{d.m}", f"Demand in patients, {d.name} = demand / (net price x price factor)",
                           "patients", f"{d.demand}/({cells.price}*{d.growth})",
                           d.demand.values / (plan.territories[d.m].net_price * d.growth.values), "num"))
    zero = np.zeros(len(time.t0.values))
    total = b.line("cap_dpat", "Demand in patients, territories the plant supplies", "patients",
                   "+".join(str(p) for p in pats) if pats else f"0*{time.t0}", sum((p.values for p in pats), zero),
                   "num", total=True)
    first = min((float(ln.launch_time[0, d.m]) for d in plant), default=float(ln.launch_time[0].min()))
    L1 = b.scalar("cap_L1", "First launch L1 = min of L over the territories the plant supplies", "years",
                  f"MIN({','.join(str(d.launch) for d in (plant or demands))})", first, "years")
    Yc = b.const("cap_Y", "Years in the capacity-ramp table", "years", float(inputs.n_years), "int")
    t0 = time.t0.values
    c0 = b.line("cap_c0", "Years since the first launch at period start (>= 0)", "years", f"MAX(0,{time.t0}-{L1})",
                np.maximum(0.0, t0 - L1.value), "years")
    c1 = b.line("cap_c1", "Years since the first launch at period end (>= 0)", "years",
                f"MAX(0,{time.t0}-{L1}+{inputs.dt})", np.maximum(0.0, t0 - L1.value + time.dt), "years")
    upt = uptake(b, "cap", c0, c1, Yc, inputs, inputs.capacity_ramp, np.asarray(plan.capacity.ramp), "Capacity-ramp",
                  "Capacity share-years in the period = R(a1) - R(a0)")
    slots = b.line("cap_slots", "Patients the plant can treat in the period = ceiling x share-years", "patients",
                   f"{inputs.capacity}*{upt}", plan.capacity.patients_per_year * upt.values, "num", total=True)
    return b.line("cap_K", "Capacity factor K = min(1, slots / demand) (1 without demand)", "fraction",
                  f"IF({total}>{slots},{slots}/{total},1)", ln.capacity_factor[0], "pct")


def _write_costs(b: Book, result, d: _Demand, inputs: Inputs, time: Timeline, factor: Line | None = None) -> Territory:
    ln = result.asset.lines
    m, cells, pt = d.m, inputs.territories[d.m], result.asset.plan.territories[d.m]
    t0, t1 = time.t0.values, time.t1.values
    L, cost, gr = d.launch, d.cost, d.growth
    rev_values = ln.revenue_by_territory[0, m]
    if factor is None:
        rev = d.demand
    elif pt.capacity_limited:
        rev = b.line(f"rev{m}", f"Net sales, {d.name} = demand x K", "millions", f"{d.demand}*{factor}", rev_values,
                     total=True)
    else:
        rev = b.line(f"rev{m}", f"Net sales, {d.name} = demand (supplied by another plant)", "millions",
                     f"{d.demand}", rev_values, total=True)
    pts_values = rev_values / (pt.net_price * gr.values) if pt.cogs_per_patient > 0 else np.zeros_like(rev_values)
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
    return Territory(d.name, L, d.exclusivity_end, d.peak, rev, cogs, sga, lc, comm)
