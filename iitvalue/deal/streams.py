"""Income streams of a deal on the success path: tiered royalties and the licensor's share of the asset's
profit and development costs (formulas in docs/method.md, section 3.3-3.4). Arrays keep the engine's
scenario axis, so the same code serves ``value`` and the Monte Carlo."""

from __future__ import annotations

import numpy as np

from ..termsheet.schema import Deal
from .payments import licence_time


def tiered_amount(annual_sales: np.ndarray, tiers: list[tuple[float, float]]) -> np.ndarray:
    """Marginal tiers: sum_i rate_i x max(0, min(A, above_{i+1}) - above_i), A the annual sales (millions)."""
    out = np.zeros_like(annual_sales)
    for i, (lo, rate) in enumerate(tiers):
        hi = tiers[i + 1][0] if i + 1 < len(tiers) else np.inf
        out += rate * np.clip(annual_sales - lo, 0.0, hi - lo)
    return out


def royalty_lines(deal: Deal, plan, ln) -> np.ndarray:
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


def supply_lines(deal: Deal, plan, ln) -> np.ndarray:
    """The licensor's supply margin on the success path, (S, N) millions: sum over the supplied territories of
    transfer_price x net sales - its cost of goods (the territory's COGS line, which ``deal.supply``'s own cost
    replaces in the plan). Needs the per-territory COGS lines (``evaluate(..., cogs=True)`` when lean)."""
    terrs = [t.name for t in plan.territories]
    S, M, N = ln.revenue_by_territory.shape
    out = np.zeros((S, N))
    for sup in deal.supply:
        idx = [terrs.index(t) for t in sup.territories]
        out += sup.transfer_price * ln.revenue_by_territory[:, idx, :].sum(1) - ln.cogs_by_territory[:, idx, :].sum(1)
    return out


def sublicence_lines(deal: Deal, plan, ln) -> np.ndarray:
    """The licensor's share of the sublicence royalties on the success path, (S, N) millions: sum over the
    sublicences of licensor_share x royalty x the sublicensed territories' net sales."""
    terrs = [t.name for t in plan.territories]
    S, M, N = ln.revenue_by_territory.shape
    out = np.zeros((S, N))
    for sub in deal.sublicence:
        idx = [terrs.index(t) for t in sub.territories]
        out += sub.licensor_share * sub.royalty * ln.revenue_by_territory[:, idx, :].sum(1)
    return out


def licensor_commercial_lines(deal: Deal, plan, ln) -> np.ndarray:
    """The licensor's share of the commercial profit after tax on the success path, (S, N):
    sum_m s_m (c_mk - tax_k c_mk / sum_m c_mk), with c the pre-tax commercial profit by territory (the asset's
    tax is allocated pro rata to it; tax > 0 implies sum_m c_mk > 0) and s_m the licensor's profit share."""
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
    return np.einsum("m,smn->sn", s, c - tax_alloc)


def licensor_rd_shares(deal: Deal, plan, ln) -> tuple[np.ndarray, np.ndarray]:
    """The licensor's share of each phase's R&D by period, split into (before the licence, after it), each (J, N),
    or (S, J, N) when timing differs by row: before the licence starts (signing, or the option's exercise) the
    licensor bears all of it, after it the phase's ``cost_shares`` entry or else ``deal.licensor_cost_share``.

    A phase spends its period cost evenly over the part of the period it occupies (the engine's lines), so the
    share before the licence time t is clip(t - lo, 0, hi - lo) / (hi - lo) with [lo, hi] the overlap of phase j
    and period k: exact, also for the period in which one phase ends and the next begins."""
    t_lic = licence_time(deal, plan, ln)
    names = [p.name for p in plan.phases]
    rho = np.full(len(names), deal.licensor_cost_share)
    for cs in deal.cost_shares:
        for ph in cs.phases:
            rho[names.index(ph)] = cs.licensor_share
    dt = ln.t_end - ln.t_start
    if getattr(ln, "phase_start", None) is None:  # joint lines (several indications): the period's share
        before = np.clip(t_lic[0] - ln.t_start, 0.0, dt) / dt
        J = len(names)
        return np.tile(before, (J, 1)), (1.0 - before[None, :]) * rho[:, None]
    starts = ln.phase_start
    ends = np.concatenate([starts[:, 1:], np.asarray(ln.approval_time)[:, None]], axis=1)
    shared = np.all(t_lic == t_lic[0]) and (starts.shape[0] == 1 or starts.strides[0] == 0)
    if shared:
        starts, ends, t = starts[:1], ends[:1], t_lic[:1]
    else:
        t = np.broadcast_to(t_lic, (starts.shape[0],))
    lo = np.maximum(starts[:, :, None], ln.t_start[None, None, :])  # (S, J, N)
    hi = np.minimum(ends[:, :, None], ln.t_end[None, None, :])
    width = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.clip(t[:, None, None] - lo, 0.0, np.maximum(width, 0.0)) / width
    fallback = np.clip(t[:, None, None] - ln.t_start[None, None, :], 0.0, dt) / dt  # no overlap: no R&D there
    before = np.where(width > 1e-12, within, fallback)
    before = np.where(np.isfinite(before), before, np.where(np.isinf(t)[:, None, None], 1.0, 0.0))
    after = (1.0 - before) * rho[None, :, None]
    return (before[0], after[0]) if shared else (before, after)


def licensor_share_lines(deal: Deal, plan, ln, risked: bool = True) -> np.ndarray:
    """The licensor's share of the asset's cash flows, (S, N): risked, LOA x commercial share - sum_j
    P(start j) share_jk R&D_jk; on the success path (``risked=False``), commercial share - sum_j share_jk R&D_jk."""
    before, after = licensor_rd_shares(deal, plan, ln)
    share = before + after
    commercial = licensor_commercial_lines(deal, plan, ln)
    share = np.broadcast_to(share, ln.rd_by_phase.shape)
    if not risked:
        return commercial - np.einsum("sjn,sjn->sn", share, ln.rd_by_phase)
    return ln.loa[:, None] * commercial - np.einsum("sj,sjn,sjn->sn", ln.prob_start, share, ln.rd_by_phase)
