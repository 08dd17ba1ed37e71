"""A scalar reference implementation of the rNPV engine, in plain Python loops, written to be read.

It shares nothing with :mod:`iitvalue.rnpv` but the resolved :class:`~iitvalue.rnpv.Plan`, and the tests use it
as an oracle for the vectorised core. It walks each period, and within a period each launch year and each
cost slice, and adds up what falls inside. It is slow on purpose; do not use it for real work.
"""

from __future__ import annotations

import math

from .plan import Plan


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def share_years(ramp: tuple[float, ...], launch: float, t0: float, t1: float) -> float:
    """Integral over [t0, t1) of the share of peak, which is ramp[y-1] during launch year y and 1.0 after."""
    total = 0.0
    year = 1
    while True:
        y0 = launch + (year - 1)
        if y0 >= t1:
            break
        share = ramp[year - 1] if year <= len(ramp) else ramp[-1]
        y1 = launch + year if year <= len(ramp) else math.inf
        total += share * overlap(t0, t1, y0, y1)
        if y1 == math.inf:
            break
        year += 1
    return total


def entry_share(te, launch: float, mid: float) -> float:
    """The asset's share against the territory's rivals at time ``mid``: each product on the market has
    attraction strength x order^-exponent, order = 1 + the number launched strictly before it."""
    if not te.rival_launch:
        return 1.0
    dates = [launch] + list(te.rival_launch)
    strengths = [1.0] + list(te.rival_strength)
    attraction = [s * (1 + sum(1 for d2 in dates if d2 < d)) ** -te.entry_exponent for d, s in zip(dates, strengths)]
    on_market = sum(a for a, d in zip(attraction[1:], dates[1:]) if d <= mid)
    return attraction[0] / (attraction[0] + on_market)


def rnpv(plan: Plan) -> dict[str, float]:
    """Return rnpv, npv_unrisked, loa and the list of risk-adjusted cash flows, one per period."""
    dt = plan.dt
    n = plan.n_periods

    # when each phase starts and the probability of getting to start it
    starts, p_start = [], []
    clock, alive = 0.0, 1.0
    for ph in plan.phases:
        starts.append(clock)
        p_start.append(alive)
        clock += ph.duration
        alive *= ph.probability
    approval, loa = clock, alive

    risked, unrisked = [], []
    loss_pool = 0.0
    for k in range(n):
        t0, t1 = k * dt, (k + 1) * dt
        mid = t0 + dt / 2
        t_cash = mid if plan.mid_period else t1

        rd = 0.0
        rd_risked = 0.0
        for ph, s, ps in zip(plan.phases, starts, p_start):
            slices = len(ph.profile)
            width = ph.duration / slices
            for i, w in enumerate(ph.profile):
                a0 = s + i * width
                spent = ph.cost * w * overlap(t0, t1, a0, a0 + width) / width
                rd += spent
                rd_risked += ps * spent

        commercial = 0.0
        demand, patients = [], 0.0
        for te in plan.territories:
            launch = approval + te.launch_lag
            excl = te.exclusivity + (launch if te.exclusivity_from_launch else 0.0)
            growth = (1.0 + te.price_change) ** mid
            erosion = (1.0 - te.erosion) ** max(0.0, mid - excl)
            sales = te.peak * share_years(te.ramp, launch, t0, t1) * growth * erosion * entry_share(te, launch, mid)
            demand.append(sales)
            if plan.capacity is not None and te.capacity_limited:
                patients += sales / (te.net_price * growth)
        factor = 1.0
        if plan.capacity is not None and plan.territories:
            first = approval + min(te.launch_lag for te in plan.territories if te.capacity_limited) \
                if any(te.capacity_limited for te in plan.territories) else math.inf
            slots = plan.capacity.patients_per_year * share_years(plan.capacity.ramp, first, t0, t1)
            if patients > slots:
                factor = slots / patients
        for te, sales in zip(plan.territories, demand):
            launch = approval + te.launch_lag
            growth = (1.0 + te.price_change) ** mid
            sales *= factor if te.capacity_limited else 1.0
            cogs = te.cogs_fraction * sales
            if te.cogs_per_patient > 0:
                cogs += te.cogs_per_patient * sales / (te.net_price * growth)
            sga = te.sga_fraction * sales + te.sga_fixed * overlap(t0, t1, launch, math.inf)
            launch_cost = te.launch_cost * overlap(t0, t1, launch, launch + 1.0)
            commercial += sales - cogs - sga - launch_cost

        profit = commercial - rd
        if plan.tax_loss_carryforward:
            if profit < 0:
                loss_pool += -profit
                tax = 0.0
            else:
                used = min(loss_pool, profit)
                loss_pool -= used
                tax = plan.tax_rate * (profit - used)
        else:
            tax = plan.tax_rate * max(0.0, profit)

        discount = (1.0 + plan.discount_rate) ** (-t_cash)
        unrisked.append((profit - tax) * discount)
        risked.append((loa * (commercial - tax) - rd_risked) * discount)

    return {"rnpv": sum(risked), "npv_unrisked": sum(unrisked), "loa": loa, "pv_risked": risked}
