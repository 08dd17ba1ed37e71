"""The rNPV engine: a vectorised (scenarios x periods) numpy core.

Model (written out with sources in ``docs/method.md``):

* development phases run back to back from the valuation date; phase j starts at s_j = d_1 + ... + d_{j-1};
  its cost is spread over [s_j, s_j + d_j) evenly or by its cost profile;
* P(start phase j) = p_1 ... p_{j-1} (transition probabilities p are P(pass | started));
  LOA = p_1 ... p_J; approval at T = s_J + d_J;
* territory m launches at L_m = T + lag_m; sales in period [t0, t1) are
  peak_m * (R(t1 - L_m) - R(t0 - L_m)) * (1 + g_m)^tm * (1 - e_m)^max(0, tm - X_m) * F_m(tm) * K(t0), with R the
  integral of the launch curve (share of peak by launch year), tm the period midpoint, X_m the exclusivity end,
  F_m the order-of-entry share against the territory's rivals (:func:`entry_share`, 1 without rivals) and K the
  manufacturing-capacity factor (:func:`capacity_factor`, 1 without a ceiling);
* success-path profit = sales - COGS - SG&A - launch costs - R&D; tax = rate * max(0, profit) (losses optionally
  carried forward); risk-adjusted cash flow = LOA * (commercial cash flow after tax) - sum_j P(start j) * R&D_j,
  which equals the probability-weighted sum over the outcomes "fails in phase j" and "approved"
  (Stewart, Allison & Johnson 2001);
* discount factor (1 + r)^-t with t the period midpoint (mid-period convention) or its end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import Plan


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
    rival_launch: np.ndarray | None = None  # (M, R) years, +inf padding; None without rivals
    rival_strength: np.ndarray | None = None  # (M, R), 0 padding
    entry_exponent: np.ndarray | None = None  # (M,)
    capacity: np.ndarray | None = None  # (S,) patients per year at full scale; None without a ceiling
    capacity_ramp: np.ndarray | None = None  # (Y,) share of the ceiling by year since the first launch
    capacity_mask: np.ndarray | None = None  # (M,) 1.0 for territories the plant supplies, else 0.0
    offset: np.ndarray | None = None  # (S,) years from the valuation date to the first phase's start (a
    # follow-on indication that starts after an event of another); None: 0

    @property
    def n_scenarios(self) -> int:
        return self.discount_rate.shape[0]


def arrays_from_plan(plan: Plan, n_scenarios: int = 1) -> ModelArrays:
    """The engine's input arrays for ``n_scenarios`` copies of one resolved plan (docs/method.md section 1).

    Every scenario row starts as the plan; overwrite rows (``peak[s, m]``, ``probabilities[s, j]``,
    ``discount_rate[s]``, ...) for what-ifs or Monte Carlo draws, then run :func:`evaluate` once on all of them.
    Units as in the plan: millions of its currency, years, fractions.

    Parameters
    ----------
    plan : Plan
        A resolved plan (:func:`iitvalue.model.plan.resolve`).
    n_scenarios : int
        S, the length of the scenario axis.

    Returns
    -------
    ModelArrays
        Arrays (S, ...) for J phases and M territories; the period grid is shared.

    Examples
    --------
    >>> import iitvalue
    >>> from iitvalue.model.plan import resolve
    >>> m = arrays_from_plan(resolve(iitvalue.load("examples/esobiotec.toml")), 3)
    >>> m.n_scenarios, m.probabilities.shape, m.peak.shape, m.n_periods
    (3, (3, 4), (3, 4), 25)
    >>> m.durations[0].tolist(), m.costs[0].round(2).tolist()
    ([1.5, 2.0, 3.0, 1.0], [60.0, 160.0, 360.0, 25.0])
    """
    S = n_scenarios
    ph, te = plan.phases, plan.territories
    rep = lambda vals: np.tile(np.asarray(vals, dtype=float), (S, 1))  # noqa: E731
    Q = max((len(p.profile) for p in ph), default=1)
    weights = np.zeros((len(ph), Q))
    for j, p in enumerate(ph):
        weights[j, : len(p.profile)] = p.profile
    ramp = np.array([t.ramp for t in te], dtype=float)
    R = max((len(t.rival_launch) for t in te), default=0)
    rivals = {}
    if R:
        rl, rs = np.full((len(te), R), np.inf), np.zeros((len(te), R))
        for i, t in enumerate(te):
            rl[i, : len(t.rival_launch)], rs[i, : len(t.rival_strength)] = t.rival_launch, t.rival_strength
        rivals = dict(rival_launch=rl, rival_strength=rs, entry_exponent=np.array([t.entry_exponent for t in te]))
    if plan.capacity is not None:
        rivals.update(capacity=np.full(S, plan.capacity.patients_per_year),
                      capacity_ramp=np.asarray(plan.capacity.ramp, dtype=float),
                      capacity_mask=np.array([1.0 if t.capacity_limited else 0.0 for t in te]))
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
        sga_fixed=rep([t.sga_fixed for t in te]), launch_cost=rep([t.launch_cost for t in te]), **rivals,
    )


# ---- the vectorised core ------------------------------------------------------------------------------------
def overlap(a0, a1, b0, b1):
    """Length of [a0, a1) intersected with [b0, b1), elementwise with broadcasting."""
    return np.maximum(0.0, np.minimum(a1, b1) - np.maximum(a0, b0))


def ramp_integral(ramp: np.ndarray, a: np.ndarray) -> np.ndarray:
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


def market_time(launch: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time on the market and time within the first year on the market in each period, each (S, M, N), for
    launch times (S, M): the lines that fixed SG&A and launch costs are spread over."""
    on = overlap(t0[None, None, :], t1[None, None, :], launch[:, :, None], np.inf)
    first = overlap(t0[None, None, :], t1[None, None, :], launch[:, :, None], launch[:, :, None] + 1.0)
    return on, first


def fixed_cost_terms(m: "ModelArrays", on_market: np.ndarray, first_year: np.ndarray) -> list:
    """The fixed commercial costs as (amount (S, M), line (S or 1, M, N)) pairs: fixed SG&A x time on the market,
    launch cost x time in the first year; pairs whose amount is zero everywhere are left out."""
    return [(c, line) for c, line in ((m.sga_fixed, on_market), (m.launch_cost, first_year)) if np.any(c != 0)]


def _first_launch(launch: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The first launch among the territories the plant supplies (all without a mask), (S,)."""
    if not launch.shape[1]:
        return np.zeros(launch.shape[0])
    if mask is None or not np.any(mask > 0):
        return launch.min(axis=1)
    return np.where(mask[None, :] > 0, launch, np.inf).min(axis=1)


def entry_share(launch: np.ndarray, rival_launch: np.ndarray, strength: np.ndarray, exponent: np.ndarray,
                tm: np.ndarray) -> np.ndarray:
    """The asset's order-of-entry share of its territory's treated patients at each period midpoint, (S, M, N).

    Every product on the market at ``tm`` (the asset launched at ``launch`` (S, M), rival r at
    ``rival_launch[m, r]`` years, +inf for padding) has attraction A = s n^-a: s its strength (the asset's 1),
    n its order of entry (1 + the number of products launched strictly before it), a the territory's
    ``exponent`` (Urban et al. 1986 estimate the share of the n-th entrant relative to the pioneer as
    n^-0.49 at parity). The asset's share is A_asset / (A_asset + sum of the rivals' A on the market at tm);
    1 with no rival on the market, so a territory without rivals keeps its sales."""
    L = launch[:, :, None]  # (S, M, 1)
    rl = rival_launch[None, :, :]  # (1, M, R)
    order_asset = 1.0 + (rl < L).sum(-1)  # (S, M)
    before = (rival_launch[:, None, :] < rival_launch[:, :, None]).sum(-1)  # (M, R): rivals launched before r
    order_rival = 1.0 + before[None] + (L < rl)  # (S, M, R)
    a = exponent[None, :]
    own = order_asset ** -a
    rivals = strength[None] * order_rival ** -a[:, :, None]
    on = (rival_launch[:, :, None] <= tm[None, None, :]).astype(float)  # (M, R, N)
    return own[:, :, None] / (own[:, :, None] + np.einsum("smr,mrn->smn", rivals, on))


def capacity_factor(demand: np.ndarray, ceiling: np.ndarray, ramp: np.ndarray, first_launch: np.ndarray,
                    t0: np.ndarray, dt: float) -> np.ndarray:
    """K_k = min(1, C_k / D_k), (S, N): the share of the period's demand that the plant can treat.

    ``demand`` (S, N) is patients in the period, sum over territories of sales / (net price (1 + g)^t) before the
    ceiling; the plant treats C_k = ceiling x (Rc(t1 - L1) - Rc(t0 - L1)) patients in the period, ``ceiling``
    (S,) patients per year at full scale, Rc the integral of its ``ramp`` (share of the ceiling by year since the
    first launch L1 = ``first_launch`` (S,), 1.0 after the table) as for the launch curve. Patients beyond the
    ceiling are lost to the asset, not deferred; K = 1 in periods without demand."""
    a0 = (t0[None, :] - first_launch[:, None])[:, None, :]  # ramp_integral counts only a >= 0
    rc = ramp[None, None, :]
    slots = ceiling[:, None] * (ramp_integral(rc, a0 + dt) - ramp_integral(rc, a0))[:, 0, :]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(demand > slots, slots / demand, 1.0)


@dataclass
class Lines:
    """Per-period engine output; arrays are (S, N) unless noted. Money in millions, unrisked = success path.
    The fields after ``fcf`` are None for a ``lean`` evaluation."""

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
    rd: np.ndarray
    operating_profit: np.ndarray
    tax: np.ndarray
    fcf: np.ndarray  # success path, after tax
    revenue: np.ndarray | None = None
    rd_unit: np.ndarray | None = None  # (1 or S, J, N) R&D per unit of phase cost; rd_by_phase = costs x rd_unit
    rd_cost: np.ndarray | None = None  # (S, J) phase costs
    cogs: np.ndarray | None = None
    sga: np.ndarray | None = None
    cogs_by_territory: np.ndarray | None = None  # (S, M, N), not lean
    sga_by_territory: np.ndarray | None = None  # (S, M, N), not lean
    launch_costs: np.ndarray | None = None
    commercial_after_tax: np.ndarray | None = None  # revenue - cogs - sga - launch - tax (success path)
    rd_risked: np.ndarray | None = None
    fcf_risked: np.ndarray | None = None
    prob_alive: np.ndarray | None = None  # P(still in development or approved) at each period midpoint
    pv_risked: np.ndarray | None = None
    rnpv: np.ndarray | None = None  # (S,)
    npv_unrisked: np.ndarray | None = None  # (S,)
    entry_share: np.ndarray | None = None  # (S or 1, M, N) order-of-entry share; None without rivals
    capacity_factor: np.ndarray | None = None  # (S, N) share of demand the plant treats; None without a ceiling
    demand_by_territory: np.ndarray | None = None  # (S, M, N) sales before the ceiling; None without one or lean


def _same_rows(x: np.ndarray) -> bool:
    return bool((x == x[:1]).all())


def evaluate(m: ModelArrays, lean: bool = False, by_territory: bool = True, cogs: bool = False) -> Lines:
    """Run the rNPV engine on every scenario at once (formulas in the module docstring and docs/method.md 1).

    Per scenario s: success-path lines by period (R&D, sales by territory, costs, tax, free cash flow fcf), the
    risk-adjusted cash flow LOA x commercial after tax - sum_j P(start j) R&D_j, and
    rNPV_s = sum_k DF_k x risk-adjusted cash flow_k with DF_k = (1 + r_s)^-t_k. Money in millions, times in years
    from the valuation date, rates as fractions.

    When the timing inputs (durations, launch lags, ramps, exclusivity, erosion, price change, discount rate) are
    the same in every scenario — a Monte Carlo that draws only amounts and probabilities — the timelines, ramp
    integrals and discount factors are computed once and broadcast: the same formulas on one row. ``lean`` skips
    the per-period table lines (COGS, SG&A, launch costs) and the risk adjustment (``rd_risked``, ``fcf_risked``,
    ``prob_alive``, ``pv_risked``, ``rnpv``, ...), which are then None: per-outcome values need only the
    success-path lines. ``by_territory=False`` (with ``lean`` and shared timing) also skips the per-territory
    (S, M, N) lines, summing over territories directly (a deal without royalties, profit shares or territory
    sales triggers needs only the totals).

    Parameters
    ----------
    m : ModelArrays
        S scenarios (:func:`arrays_from_plan`).
    lean : bool
        Success-path lines only (the risk-adjusted fields are None).
    by_territory : bool
        Keep the (S, M, N) per-territory lines (only honoured as False with ``lean`` and shared timing).
    cogs : bool
        With ``lean``: keep the per-territory COGS lines ``cogs_by_territory`` too (a supply deal's cost).

    Returns
    -------
    Lines
        Arrays (S, N) per period unless noted: ``rnpv`` (S,), ``loa`` (S,), ``approval_time`` (S,), ``fcf``,
        ``fcf_risked``, ``pv_risked``, ``revenue_by_territory`` (S, M, N), ...

    Examples
    --------
    The plan of ``examples/esobiotec.toml`` before the readouts, its peak sales 20 % higher in scenario 1 and
    its discount rate 12 % in scenario 2:

    >>> import iitvalue
    >>> from iitvalue.model.plan import resolve
    >>> m = arrays_from_plan(resolve(iitvalue.load("examples/esobiotec.toml")), 3)
    >>> m.peak[1] *= 1.2
    >>> m.discount_rate[2] = 0.12
    >>> lines = evaluate(m)
    >>> lines.rnpv.round(1).tolist(), lines.loa.round(4).tolist(), lines.fcf.shape
    ([144.8, 205.8, 80.3], [0.1225, 0.1225, 0.1225], (3, 25))
    """
    S, N, dt = m.n_scenarios, m.n_periods, m.dt
    t0 = np.arange(N) * dt
    t1 = t0 + dt
    tm = t0 + dt / 2
    t_cash = tm if m.mid_period else t1
    timing = (m.durations, m.launch_lag, m.ramp, m.exclusivity, m.erosion, m.price_change, m.discount_rate)
    shared = S > 1 and all(_same_rows(x) for x in timing + ((m.offset,) if m.offset is not None else ()))
    T = (lambda x: x[:1]) if shared else (lambda x: x)  # noqa: E731  (the rows that timing is computed on)

    # development
    J = m.durations.shape[1]
    ends = np.cumsum(T(m.durations), axis=1)
    if m.offset is not None:
        ends = ends + T(m.offset)[:, None]
    starts = ends - T(m.durations)
    prob_start = np.concatenate([np.ones((S, 1)), np.cumprod(m.probabilities, axis=1)[:, :-1]], axis=1) if J else np.ones((S, 0))
    loa = np.prod(m.probabilities, axis=1) if J else np.ones(S)
    approval = ends[:, -1] if J else (T(m.offset).astype(float) if m.offset is not None else np.zeros(ends.shape[0]))
    # R&D per unit of phase cost (rows, J, N), then scaled by each scenario's costs in one pass
    unit_rd = np.zeros((starts.shape[0], J, N))
    for j in range(J):
        q = int(m.profile_slices[j])
        width = T(m.durations)[:, j] / q
        for k in range(q):
            a0 = starts[:, j] + k * width
            unit_rd[:, j, :] += (m.profile_weights[j, k] / width)[:, None] * overlap(
                t0[None, :], t1[None, :], a0[:, None], (a0 + width)[:, None])  # per year within the slice
    rd_by_phase = m.costs[:, :, None] * unit_rd
    rd = rd_by_phase.sum(axis=1)

    # commercial (success path)
    launch = approval[:, None] + T(m.launch_lag)  # (S, M), or (1, M) when shared
    excl = T(m.exclusivity) + np.where(m.exclusivity_from_launch[None, :], launch, 0.0)
    since0 = t0[None, None, :] - launch[:, :, None]
    ramp = T(m.ramp)
    uptake = ramp_integral(ramp, since0 + dt) - ramp_integral(ramp, since0)  # share-years in the period
    growth = (1.0 + T(m.price_change))[:, :, None] ** tm[None, None, :]
    erosion = (1.0 - T(m.erosion))[:, :, None] ** np.maximum(0.0, tm[None, None, :] - excl[:, :, None])
    on_market, first_year = market_time(launch, t0, t1)
    # pre-tax commercial profit by territory: sales x (1 - cogs - sga fractions) - per-patient COGS - fixed SG&A
    # - launch costs, with patients = sales / (net price (1 + g)^t): per-patient COGS = sales x cpp / price / growth
    unit = uptake * growth * erosion  # sales per unit of peak
    share = None
    if m.rival_launch is not None:
        share = entry_share(launch, m.rival_launch, m.rival_strength, m.entry_exponent, tm)
        unit = unit * share
    margin = 1.0 - m.cogs_fraction - m.sga_fraction  # (S, M)
    per_patient = None
    if np.any(m.cogs_per_patient > 0):
        with np.errstate(invalid="ignore", divide="ignore"):
            per_patient = np.where(m.cogs_per_patient > 0, m.cogs_per_patient / m.net_price, 0.0)
    fixed = fixed_cost_terms(m, on_market, first_year)
    cap = demand_t = None
    first_launch = np.broadcast_to(_first_launch(launch, m.capacity_mask), (S,))
    if lean and not by_territory and shared:
        # one unit line per territory for every scenario: sum over territories without (S, M, N) arrays
        u = unit[0]
        revenue = np.einsum("sm,mn->sn", m.peak, u)
        comm = np.einsum("sm,mn->sn", m.peak * margin, u)
        if m.capacity is not None:  # capped part (plant territories) x K + the rest
            w = m.capacity_mask
            with np.errstate(invalid="ignore", divide="ignore"):
                pat = np.where(w > 0, m.peak / m.net_price, 0.0)
            cap = capacity_factor(np.einsum("sm,mn->sn", pat, u / growth[0]), m.capacity, m.capacity_ramp,
                                  first_launch, t0, dt)
            revenue = cap * np.einsum("sm,mn->sn", m.peak * w, u) + np.einsum("sm,mn->sn", m.peak * (1 - w), u)
            comm = cap * np.einsum("sm,mn->sn", m.peak * margin * w, u) + np.einsum("sm,mn->sn", m.peak * margin * (1 - w), u)
        if per_patient is not None:
            pp = np.einsum("sm,mn->sn", m.peak * per_patient, u / growth[0]) if cap is None else (
                cap * np.einsum("sm,mn->sn", m.peak * per_patient * m.capacity_mask, u / growth[0])
                + np.einsum("sm,mn->sn", m.peak * per_patient * (1 - m.capacity_mask), u / growth[0]))
            comm -= pp
        for c, line in fixed:
            comm -= np.einsum("sm,mn->sn", c, line[0])
        rev_t = comm_t = None
    else:
        rev_t = m.peak[:, :, None] * unit  # one pass over (S, M, N)
        if m.capacity is not None:
            w = m.capacity_mask
            with np.errstate(invalid="ignore", divide="ignore"):
                pat = np.where(w[None, :, None] > 0, rev_t / (m.net_price[:, :, None] * growth), 0.0)
            cap = capacity_factor(pat.sum(1), m.capacity, m.capacity_ramp, first_launch, t0, dt)
            demand_t = rev_t
            rev_t = rev_t * np.where(w[None, :, None] > 0, cap[:, None, :], 1.0)
        comm_t = rev_t * (margin[:, :, None] - per_patient[:, :, None] / growth if per_patient is not None
                          else margin[:, :, None])
        for c, line in fixed:
            comm_t -= c[:, :, None] * line
        revenue, comm = rev_t.sum(1), comm_t.sum(1)
    profit = comm - rd
    tax = tax_lines(profit, m.tax_rate, m.tax_loss_carryforward)
    fcf = profit - tax
    df = np.broadcast_to((1.0 + T(m.discount_rate)[:, None]) ** (-t_cash[None, :]), (S, N))
    full = lambda x: np.broadcast_to(x, (S,) + x.shape[1:])  # noqa: E731  (shared timing as read-only views)
    ln = Lines(t_start=t0, t_end=t1, t_cash=t_cash, discount_factor=df, phase_start=full(starts),
               prob_start=prob_start, loa=loa, approval_time=full(approval), launch_time=full(launch),
               rd_by_phase=rd_by_phase, revenue_by_territory=rev_t, commercial_by_territory=comm_t,
               exclusivity_end=full(excl), rd=rd, operating_profit=profit, tax=tax, fcf=fcf, revenue=revenue,
               rd_unit=unit_rd, rd_cost=m.costs, entry_share=share, capacity_factor=cap,
               demand_by_territory=demand_t)
    if lean and not (cogs and rev_t is not None):
        return ln
    cogs_t = m.cogs_fraction[:, :, None] * rev_t + (rev_t * per_patient[:, :, None] / growth if per_patient is not None
                                                    else 0.0)
    if lean:  # only the per-territory COGS a supply deal needs
        ln.cogs_by_territory = cogs_t
        return ln
    # the per-period table and the risk adjustment
    sga_t = m.sga_fraction[:, :, None] * rev_t + m.sga_fixed[:, :, None] * on_market
    launch_t = np.broadcast_to(m.launch_cost[:, :, None] * first_year, rev_t.shape)
    ln.cogs, ln.sga, ln.launch_costs = cogs_t.sum(1), sga_t.sum(1), launch_t.sum(1)
    ln.cogs_by_territory, ln.sga_by_territory = cogs_t, sga_t
    rd_risked = np.einsum("sj,sjn->sn", prob_start, rd_by_phase)
    commercial = profit + rd - tax  # revenue - cogs - sga - launch costs - tax
    fcf_risked = loa[:, None] * commercial - rd_risked
    pv = fcf_risked * df
    # P(alive) at each midpoint: P(start) of the phase running then, LOA once approved
    if J:
        running = (tm[None, None, :] >= starts[:, :, None]) & (tm[None, None, :] < ends[:, :, None])
        alive = np.einsum("sjn,sj->sn", np.broadcast_to(running, (S, J, N)).astype(float), prob_start)
        alive = np.where(tm[None, :] >= approval[:, None], loa[:, None], alive)
    else:
        alive = np.ones((S, N))
    ln.commercial_after_tax, ln.rd_risked, ln.fcf_risked, ln.prob_alive = commercial, rd_risked, fcf_risked, alive
    ln.pv_risked, ln.rnpv, ln.npv_unrisked = pv, pv.sum(axis=1), (fcf * df).sum(axis=1)
    return ln


def tax_lines(profit: np.ndarray, rate: np.ndarray, carryforward: bool) -> np.ndarray:
    """Tax per period on the success path, (S, N): rate * max(0, profit) without loss carry-forward.

    With unlimited carry-forward, taxable income to date is the running maximum of cumulative profit floored
    at 0, Y_k = max(0, max_{i<=k} C_i) with C_k = profit_1 + ... + profit_k (income is taxed once it exceeds
    every loss before it, and never twice), so tax_k = rate (Y_k - Y_{k-1}), Y_0 = 0. This equals the
    period-by-period loss pool of the scalar reference (``iitvalue.model.reference``), which the tests check.
    """
    if not carryforward:
        return rate[:, None] * np.maximum(profit, 0.0)
    y = np.maximum.accumulate(np.cumsum(profit, axis=1), axis=1)
    np.maximum(y, 0.0, out=y)
    return rate[:, None] * np.diff(y, axis=1, prepend=0.0)
