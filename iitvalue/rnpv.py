"""The rNPV engine: a vectorised (scenarios x periods) numpy core and the result object.

Model (written out with sources in ``docs/method.md``):

* development phases run back to back from the valuation date; phase j starts at s_j = d_1 + ... + d_{j-1};
  its cost is spread over [s_j, s_j + d_j) evenly or by its cost profile;
* P(start phase j) = p_1 ... p_{j-1} (transition probabilities p are P(pass | started));
  LOA = p_1 ... p_J; approval at T = s_J + d_J;
* territory m launches at L_m = T + lag_m; sales in period [t0, t1) are
  peak_m * (R(t1 - L_m) - R(t0 - L_m)) * (1 + g_m)^tm * (1 - e_m)^max(0, tm - X_m), with R the integral of the
  launch curve (share of peak by launch year), tm the period midpoint and X_m the exclusivity end;
* success-path profit = sales - COGS - SG&A - launch costs - R&D; tax = rate * max(0, profit) (losses optionally
  carried forward); risk-adjusted cash flow = LOA * (commercial cash flow after tax) - sum_j P(start j) * R&D_j,
  which equals the probability-weighted sum over the outcomes "fails in phase j" and "approved"
  (Stewart, Allison & Johnson 2001);
* discount factor (1 + r)^-t with t the period midpoint (mid-period convention) or its end.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import benchmarks
from .terms import TermSheet

_PHASE_COLUMN = {"phase1": "phase1", "phase2": "phase2", "phase3": "phase3", "pivotal": "phase3", "filing": "filing"}
YEAR_DAYS = 365.25


# ---- resolved plan: the term sheet with every default filled in and its source recorded -----------------------
@dataclass(frozen=True)
class PlannedPhase:
    name: str
    kind: str
    duration: float
    cost: float
    probability: float  # transition probability P(pass | started)
    profile: tuple[float, ...]  # cost weights over equal slices of the phase, summing to 1
    sources: dict[str, str]  # field -> where its value came from ("term sheet" or a benchmark row)


@dataclass(frozen=True)
class PlannedTerritory:
    name: str
    launch_lag: float
    peak: float
    ramp: tuple[float, ...]  # share of peak in launch years 1..len; 1.0 afterwards
    exclusivity: float  # years: from launch if exclusivity_from_launch else from the valuation date
    exclusivity_from_launch: bool
    erosion: float
    price_change: float
    net_price: float  # millions per patient; nan when not given
    cogs_fraction: float
    cogs_per_patient: float
    sga_fraction: float
    sga_fixed: float
    launch_cost: float


@dataclass(frozen=True)
class Plan:
    """Everything the engines need, in plain Python numbers (units: millions, years, fractions)."""

    valuation_date: _dt.date
    currency: str
    discount_rate: float
    tax_rate: float
    tax_loss_carryforward: bool
    horizon: float
    dt: float
    mid_period: bool
    phases: tuple[PlannedPhase, ...]
    territories: tuple[PlannedTerritory, ...]
    notes: tuple[str, ...] = ()

    @property
    def n_periods(self) -> int:
        return int(round(self.horizon / self.dt))

    def with_phases(self, probabilities: list[float] | None = None, durations: list[float] | None = None,
                    source: str = "set", note: str | None = None) -> "Plan":
        """A copy with new transition probabilities and/or durations (recorded as coming from ``source``)."""
        probs = probabilities if probabilities is not None else [p.probability for p in self.phases]
        durs = durations if durations is not None else [p.duration for p in self.phases]
        phases = tuple(
            PlannedPhase(p.name, p.kind, float(d), p.cost, float(q), p.profile,
                         {**p.sources, "probability": source} if q != p.probability else p.sources)
            for p, q, d in zip(self.phases, probs, durs)
        )
        return Plan(**{**self.__dict__, "phases": phases, "notes": self.notes + ((note,) if note else ())})


def ramp_shares(kind: str | list[float], years_to_peak: float, n_years: int) -> tuple[float, ...]:
    """Share of peak sales in launch years 1..n_years.

    ``benchmark``: the Robey & David (2017) curve (11, 31, 58, 76, 89, 100 % over six years), stretched in time to
    ``years_to_peak`` by linear interpolation at y * 6 / years_to_peak (with 0 at launch);
    ``linear``: min(1, y / years_to_peak); a list: those shares, then 1.0.
    """
    if isinstance(kind, list):
        base = list(kind)
        return tuple(base[:n_years] + [1.0] * max(0, n_years - len(base)))
    years = np.arange(1, n_years + 1, dtype=float)
    if kind == "linear":
        return tuple(np.minimum(1.0, years / years_to_peak))
    curve = benchmarks.launch_curve()
    xs = np.arange(0, len(curve) + 1, dtype=float)
    ys = np.concatenate([[0.0], curve])
    return tuple(np.interp(years * len(curve) / years_to_peak, xs, ys, right=1.0))


def resolve(sheet: TermSheet) -> Plan:
    """Fill every omitted phase input from the benchmark tables and record which row was used."""
    a = sheet.asset
    trans = benchmarks.transition_row(a.modality, a.therapeutic_area, a.benchmark)
    durs = benchmarks.duration_row(a.therapeutic_area)
    costs = benchmarks.cost_row(a.therapeutic_area)
    notes: list[str] = []
    phases = []
    for ph in sheet.phases:
        col = _PHASE_COLUMN.get(ph.kind)
        src = {}
        vals = {}
        for fname, row in (("duration", durs), ("cost", costs), ("probability", trans)):
            given = getattr(ph, fname)
            if given is not None:
                vals[fname], src[fname] = float(given), "term sheet"
            else:
                vals[fname] = row.values[col]  # preclinical phases are required to be explicit (terms check)
                src[fname] = row.describe() + f", column {col}"
                notes.append(f"{ph.name}: {fname} {vals[fname]:g} from {row.table} row '{row.key}'")
        w = list(ph.cost_profile) if ph.cost_profile else [1.0]
        total = sum(w)
        phases.append(PlannedPhase(ph.name, ph.kind, vals["duration"], vals["cost"], vals["probability"],
                                   tuple(x / total for x in w), src))
    c = sheet.costs
    n_years = int(math.ceil(sheet.valuation.horizon_years)) + 1
    terrs = []
    for t in sheet.territories:
        if t.exclusivity_end is not None:
            excl, from_launch = (t.exclusivity_end - sheet.valuation.date).days / YEAR_DAYS, False
        else:
            excl, from_launch = float(t.exclusivity_years), True
        pick = lambda own, default: float(own if own is not None else default)  # noqa: E731
        terrs.append(PlannedTerritory(
            name=t.name, launch_lag=t.launch_lag, peak=t.peak,
            ramp=ramp_shares(t.ramp, t.years_to_peak, n_years),
            exclusivity=excl, exclusivity_from_launch=from_launch, erosion=t.erosion, price_change=t.price_change,
            net_price=float(t.net_price) if t.net_price is not None else math.nan,
            cogs_fraction=pick(t.cogs_fraction, c.cogs_fraction), cogs_per_patient=pick(t.cogs_per_patient, c.cogs_per_patient),
            sga_fraction=pick(t.sga_fraction, c.sga_fraction), sga_fixed=pick(t.sga_fixed, c.sga_fixed),
            launch_cost=pick(t.launch_cost, c.launch_cost),
        ))
    v = sheet.valuation
    return Plan(v.date, v.currency, v.discount_rate, v.tax_rate, v.tax_loss_carryforward, v.horizon_years,
                1.0 if v.period == "annual" else 0.25, v.mid_period, tuple(phases), tuple(terrs), tuple(notes))


# ---- numeric inputs with a scenario axis ----------------------------------------------------------------------
@dataclass
class ModelArrays:
    """Engine inputs as arrays with the scenario axis first: S scenarios, J phases, M territories, Y launch years.

    Only these arrays vary by scenario; the grid (dt, n_periods, mid_period) and the loss carry-forward switch
    are shared. Build one with :func:`arrays_from_plan` and then overwrite rows for what-ifs or Monte Carlo.
    """

    dt: float
    n_periods: int
    mid_period: bool
    tax_loss_carryforward: bool
    discount_rate: np.ndarray  # (S,)
    tax_rate: np.ndarray  # (S,)
    durations: np.ndarray  # (S, J) years
    costs: np.ndarray  # (S, J) millions
    probabilities: np.ndarray  # (S, J) transition probabilities
    profile_weights: np.ndarray  # (J, Q) weights over equal slices, zero-padded
    profile_slices: np.ndarray  # (J,) number of slices of each phase's profile
    launch_lag: np.ndarray  # (S, M)
    peak: np.ndarray  # (S, M)
    ramp: np.ndarray  # (S, M, Y) share of peak by launch year
    exclusivity: np.ndarray  # (S, M)
    exclusivity_from_launch: np.ndarray  # (M,) bool
    erosion: np.ndarray  # (S, M)
    price_change: np.ndarray  # (S, M)
    net_price: np.ndarray  # (S, M), nan when unknown
    cogs_fraction: np.ndarray  # (S, M)
    cogs_per_patient: np.ndarray  # (S, M)
    sga_fraction: np.ndarray  # (S, M)
    sga_fixed: np.ndarray  # (S, M)
    launch_cost: np.ndarray  # (S, M)

    @property
    def n_scenarios(self) -> int:
        return self.discount_rate.shape[0]


def arrays_from_plan(plan: Plan, n_scenarios: int = 1) -> ModelArrays:
    S = n_scenarios
    ph, te = plan.phases, plan.territories
    rep = lambda vals: np.tile(np.asarray(vals, dtype=float), (S, 1))  # noqa: E731
    Q = max((len(p.profile) for p in ph), default=1)
    weights = np.zeros((len(ph), Q))
    for j, p in enumerate(ph):
        weights[j, : len(p.profile)] = p.profile
    ramp = np.array([t.ramp for t in te], dtype=float)
    return ModelArrays(
        dt=plan.dt, n_periods=plan.n_periods, mid_period=plan.mid_period, tax_loss_carryforward=plan.tax_loss_carryforward,
        discount_rate=np.full(S, plan.discount_rate), tax_rate=np.full(S, plan.tax_rate),
        durations=rep([p.duration for p in ph]).reshape(S, len(ph)), costs=rep([p.cost for p in ph]).reshape(S, len(ph)),
        probabilities=rep([p.probability for p in ph]).reshape(S, len(ph)),
        profile_weights=weights, profile_slices=np.array([len(p.profile) for p in ph], dtype=int),
        launch_lag=rep([t.launch_lag for t in te]), peak=rep([t.peak for t in te]),
        ramp=np.tile(ramp, (S, 1, 1)),
        exclusivity=rep([t.exclusivity for t in te]),
        exclusivity_from_launch=np.array([t.exclusivity_from_launch for t in te], dtype=bool),
        erosion=rep([t.erosion for t in te]), price_change=rep([t.price_change for t in te]),
        net_price=rep([t.net_price for t in te]), cogs_fraction=rep([t.cogs_fraction for t in te]),
        cogs_per_patient=rep([t.cogs_per_patient for t in te]), sga_fraction=rep([t.sga_fraction for t in te]),
        sga_fixed=rep([t.sga_fixed for t in te]), launch_cost=rep([t.launch_cost for t in te]),
    )


# ---- the vectorised core ------------------------------------------------------------------------------------
def _overlap(a0, a1, b0, b1):
    """Length of [a0, a1) intersected with [b0, b1), elementwise with broadcasting."""
    return np.maximum(0.0, np.minimum(a1, b1) - np.maximum(a0, b0))


def _ramp_integral(ramp: np.ndarray, a: np.ndarray) -> np.ndarray:
    """R(a) = integral over [0, a) of the launch-year share function, for a >= 0 (years since launch).

    ``ramp``: (S, M, Y); ``a``: (S, M, N). Beyond year Y the share is taken as the last entry (1.0).
    """
    S, M, Y = ramp.shape
    cum = np.concatenate([np.zeros((S, M, 1)), np.cumsum(ramp, axis=2)], axis=2)  # cum[y] = sum of years 1..y
    a = np.maximum(a, 0.0)
    whole = np.minimum(np.floor(a), Y).astype(np.intp)
    frac = a - whole
    base = np.take_along_axis(cum, whole, axis=2)
    share = np.take_along_axis(ramp, np.minimum(whole, Y - 1), axis=2)
    return base + share * frac


@dataclass
class Lines:
    """Per-period engine output; arrays are (S, N) unless noted. Money in millions, unrisked = success path."""

    t_start: np.ndarray  # (N,)
    t_end: np.ndarray  # (N,)
    t_cash: np.ndarray  # (N,) time at which a period's cash flow is discounted
    discount_factor: np.ndarray
    phase_start: np.ndarray  # (S, J)
    prob_start: np.ndarray  # (S, J) cumulative P(start phase j)
    loa: np.ndarray  # (S,)
    approval_time: np.ndarray  # (S,)
    launch_time: np.ndarray  # (S, M)
    rd_by_phase: np.ndarray  # (S, J, N)
    revenue_by_territory: np.ndarray  # (S, M, N)
    commercial_by_territory: np.ndarray  # (S, M, N) pre-tax: revenue - COGS - SG&A - launch costs
    exclusivity_end: np.ndarray  # (S, M) years
    revenue: np.ndarray
    cogs: np.ndarray
    sga: np.ndarray
    launch_costs: np.ndarray
    rd: np.ndarray
    operating_profit: np.ndarray
    tax: np.ndarray
    fcf: np.ndarray  # success path, after tax
    commercial_after_tax: np.ndarray  # revenue - cogs - sga - launch - tax (success path)
    rd_risked: np.ndarray
    fcf_risked: np.ndarray
    prob_alive: np.ndarray  # P(still in development or approved) at each period midpoint
    pv_risked: np.ndarray
    rnpv: np.ndarray  # (S,)
    npv_unrisked: np.ndarray  # (S,)


def evaluate(m: ModelArrays) -> Lines:
    """Run the engine on every scenario at once. See the module docstring for the formulas."""
    S, N, dt = m.n_scenarios, m.n_periods, m.dt
    t0 = np.arange(N) * dt
    t1 = t0 + dt
    tm = t0 + dt / 2
    t_cash = tm if m.mid_period else t1

    # development
    J = m.durations.shape[1]
    ends = np.cumsum(m.durations, axis=1)
    starts = ends - m.durations
    prob_start = np.concatenate([np.ones((S, 1)), np.cumprod(m.probabilities, axis=1)[:, :-1]], axis=1) if J else np.ones((S, 0))
    loa = np.prod(m.probabilities, axis=1) if J else np.ones(S)
    approval = ends[:, -1] if J else np.zeros(S)
    rd_by_phase = np.zeros((S, J, N))
    for j in range(J):
        q = int(m.profile_slices[j])
        width = m.durations[:, j] / q
        for k in range(q):
            a0 = starts[:, j] + k * width
            rate = m.costs[:, j] * m.profile_weights[j, k] / width  # millions per year within this slice
            rd_by_phase[:, j, :] += rate[:, None] * _overlap(t0[None, :], t1[None, :], a0[:, None], (a0 + width)[:, None])
    rd = rd_by_phase.sum(axis=1)
    rd_risked = np.einsum("sj,sjn->sn", prob_start, rd_by_phase)

    # commercial (success path)
    launch = approval[:, None] + m.launch_lag  # (S, M)
    excl = m.exclusivity + np.where(m.exclusivity_from_launch[None, :], launch, 0.0)
    since0 = t0[None, None, :] - launch[:, :, None]
    uptake = _ramp_integral(m.ramp, since0 + dt) - _ramp_integral(m.ramp, since0)  # share-years in the period
    growth = (1.0 + m.price_change)[:, :, None] ** tm[None, None, :]
    erosion = (1.0 - m.erosion)[:, :, None] ** np.maximum(0.0, tm[None, None, :] - excl[:, :, None])
    rev_t = m.peak[:, :, None] * uptake * growth * erosion
    with np.errstate(invalid="ignore", divide="ignore"):
        patients = np.where(m.cogs_per_patient[:, :, None] > 0, rev_t / (m.net_price[:, :, None] * growth), 0.0)
    cogs_t = m.cogs_fraction[:, :, None] * rev_t + m.cogs_per_patient[:, :, None] * patients
    on_market = _overlap(t0[None, None, :], t1[None, None, :], launch[:, :, None], np.inf)
    first_year = _overlap(t0[None, None, :], t1[None, None, :], launch[:, :, None], launch[:, :, None] + 1.0)
    sga_t = m.sga_fraction[:, :, None] * rev_t + m.sga_fixed[:, :, None] * on_market
    launch_t = m.launch_cost[:, :, None] * first_year
    revenue, cogs, sga, launch_costs = rev_t.sum(1), cogs_t.sum(1), sga_t.sum(1), launch_t.sum(1)

    profit = revenue - cogs - sga - launch_costs - rd
    tax = _tax(profit, m.tax_rate, m.tax_loss_carryforward)
    fcf = profit - tax
    commercial = revenue - cogs - sga - launch_costs - tax
    fcf_risked = loa[:, None] * commercial - rd_risked
    df = (1.0 + m.discount_rate[:, None]) ** (-t_cash[None, :])
    pv = fcf_risked * df

    # P(alive) at each midpoint: P(start) of the phase running then, LOA once approved
    if J:
        running = (tm[None, None, :] >= starts[:, :, None]) & (tm[None, None, :] < ends[:, :, None])
        alive = np.einsum("sjn,sj->sn", running.astype(float), prob_start)
        alive = np.where(tm[None, :] >= approval[:, None], loa[:, None], alive)
    else:
        alive = np.ones((S, N))
    return Lines(
        t_start=t0, t_end=t1, t_cash=t_cash, discount_factor=df, phase_start=starts, prob_start=prob_start, loa=loa,
        approval_time=approval, launch_time=launch, rd_by_phase=rd_by_phase, revenue_by_territory=rev_t,
        commercial_by_territory=rev_t - cogs_t - sga_t - launch_t, exclusivity_end=excl,
        revenue=revenue, cogs=cogs, sga=sga, launch_costs=launch_costs, rd=rd, operating_profit=profit, tax=tax,
        fcf=fcf, commercial_after_tax=commercial, rd_risked=rd_risked, fcf_risked=fcf_risked, prob_alive=alive,
        pv_risked=pv, rnpv=pv.sum(axis=1), npv_unrisked=(fcf * df).sum(axis=1),
    )


def _tax(profit: np.ndarray, rate: np.ndarray, carryforward: bool) -> np.ndarray:
    """Tax on the success path: rate * max(0, profit), after using carried-forward losses when enabled."""
    if not carryforward:
        return rate[:, None] * np.maximum(profit, 0.0)
    tax = np.zeros_like(profit)
    pool = np.zeros(profit.shape[0])
    for k in range(profit.shape[1]):
        p = profit[:, k]
        used = np.minimum(pool, np.maximum(p, 0.0))
        tax[:, k] = rate * (np.maximum(p, 0.0) - used)
        pool = pool - used + np.maximum(-p, 0.0)
    return tax


def annual_totals(x: np.ndarray, dt: float) -> np.ndarray:
    """Sum a (..., N) per-period line into model years [y, y + 1) from the valuation date: (..., ceil(N dt))."""
    per_year = int(round(1.0 / dt))
    n = x.shape[-1]
    years = -(-n // per_year)
    pad = years * per_year - n
    if pad:
        x = np.concatenate([x, np.zeros(x.shape[:-1] + (pad,))], axis=-1)
    return x.reshape(x.shape[:-1] + (years, per_year)).sum(axis=-1)


# ---- the result object ------------------------------------------------------------------------------------------
def add_years(date: _dt.date, years: float) -> _dt.date:
    """Calendar date ``years`` after ``date``: whole months by the calendar (clamping to month end), any other
    fraction by days of 365.25 per year."""
    months = years * 12.0
    if abs(months - round(months)) < 1e-9:
        total = date.month - 1 + int(round(months))
        y, m = date.year + total // 12, total % 12 + 1
        last = (_dt.date(y + (m == 12), m % 12 + 1, 1) - _dt.timedelta(days=1)).day
        return _dt.date(y, m, min(date.day, last))
    return date + _dt.timedelta(days=round(years * YEAR_DAYS))


@dataclass
class AssetValuation:
    """Result of :func:`value_plan`: headline numbers in ``summary``, per-period lines in ``cashflows``."""

    plan: Plan
    lines: Lines
    summary: dict[str, Any]
    cashflows: Any  # pandas.DataFrame
    phases: Any  # pandas.DataFrame
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:  # notebooks
        import pandas as pd

        head = pd.Series(self.summary, name="value").to_frame()._repr_html_()
        return f"<h4>Asset valuation</h4>{head}<h4>Phases</h4>{self.phases._repr_html_()}"


def value_plan(plan: Plan) -> AssetValuation:
    """Value one resolved plan; returns the summary, the per-period DataFrame and the phase table."""
    import pandas as pd

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
    cf = pd.DataFrame({
        "period_start": [d.isoformat() for d in dates],
        "year": [d.year for d in dates],
        "t_start": ln.t_start,
        "t_cash": ln.t_cash,
        "phase": phase_names,
        "prob_alive": s0(ln.prob_alive),
    })
    for m, t in enumerate(plan.territories):
        cf[f"revenue_{t.name}"] = ln.revenue_by_territory[0, m]
    for col in ("revenue", "cogs", "sga", "launch_costs", "rd", "operating_profit", "tax", "fcf", "rd_risked",
                "fcf_risked", "discount_factor", "pv_risked"):
        cf[col] = s0(getattr(ln, col))
    cf.index = pd.RangeIndex(plan.n_periods, name="period")
    phases = pd.DataFrame([
        {"name": p.name, "kind": p.kind, "start": float(ln.phase_start[0, j]), "duration": p.duration, "cost": p.cost,
         "p_transition": p.probability, "p_start": float(ln.prob_start[0, j]),
         "p_cumulative": float(ln.prob_start[0, j] * p.probability), "probability_source": p.sources["probability"]}
        for j, p in enumerate(plan.phases)
    ])
    return AssetValuation(plan, ln, summary, cf, phases, notes)
