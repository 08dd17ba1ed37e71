"""The fast engine: realised asset NPVs per path when no timing input is drawn, from per-unit success-path
lines computed once (rank-one terms in the drawn inputs, tax by its closed form on cumulative profit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..model.engine import arrays_from_plan, evaluate, overlap
from ..model.outcomes import realised_outcome
from ..termsheet.paths import parse_path
from .draws import TILE, apply_draws, path_probabilities
from .setup import TERR_ARRAY, Setup


def fast_outcome(setup: Setup, draws: dict[str, np.ndarray]) -> np.ndarray:
    """``realised_outcome(draws["_u"], path_probabilities(setup, draws, size))`` without the (size, J) matrix of
    probabilities when the class is drawn: the outcome under q_A and under q_I (scalar thresholds, the same
    comparisons), then the path's class picks one, f_I + active (f_A - f_I) in exact int8 arithmetic."""
    u = draws["_u"]
    if setup.posterior is None:
        return realised_outcome(u, path_probabilities(setup, draws, u.shape[0]))
    fa = realised_outcome(u, setup.posterior.probs_active)
    fi = realised_outcome(u, setup.posterior.probs_inactive)
    fa -= fi
    fa *= draws["_active"]
    fi += fa
    return fi


@dataclass
class _Fast:
    """Per-unit success-path lines of the base plan: sales per unit of peak (M, N), sales per unit of peak
    divided by the price index (M, N), time on the market and in the first year (M, N), R&D per unit of
    phase cost (J, N), discount factors (N,)."""

    unit_sales: np.ndarray
    unit_patients: np.ndarray
    on_market: np.ndarray
    first_year: np.ndarray
    unit_rd: np.ndarray
    pv_unit_rd: np.ndarray
    df: np.ndarray
    base: Any  # ModelArrays with one row: the base inputs
    carry: bool


def fast_setup(setup: Setup) -> _Fast:
    arr = arrays_from_plan(setup.plan, 1)
    unit = arrays_from_plan(setup.plan, 1)
    unit.peak[:] = 1.0
    unit.costs[:] = 1.0
    ln = evaluate(unit)
    t0, dt = ln.t_start, arr.dt
    tm = t0 + dt / 2
    launch = ln.launch_time[0]
    growth = (1.0 + arr.price_change[0])[:, None] ** tm[None, :]
    on = overlap(t0[None, :], (t0 + dt)[None, :], launch[:, None], np.inf)
    first = overlap(t0[None, :], (t0 + dt)[None, :], launch[:, None], launch[:, None] + 1.0)
    df = ln.discount_factor[0]
    sales = ln.revenue_by_territory[0]
    return _Fast(sales, sales / growth, on, first, ln.rd_by_phase[0], ln.rd_by_phase[0] @ df, df, arr,
                 arr.tax_loss_carryforward)


class _Rows:
    """Engine inputs for the fast path: the base row broadcast (a read-only view), copied where drawn."""

    _FIELDS = ("tax_rate", "costs", "peak", "net_price", "cogs_fraction", "cogs_per_patient", "sga_fraction",
               "sga_fixed", "launch_cost")

    def __init__(self, base, size: int, drawn: set[str]):
        for f in self._FIELDS:
            v = getattr(base, f)
            setattr(self, f, np.repeat(v, size, axis=0) if f in drawn else np.broadcast_to(v, (size,) + v.shape[1:]))


def drawn_columns(setup: Setup) -> set[tuple[str, int]]:
    """Engine-array columns (name, territory or phase index) that the simulation draws: a fixed property of the
    term sheet, so the fast path folds the same terms into its constant part for every chunk."""
    out: set[tuple[str, int]] = set()
    for u in setup.entries:
        loc = parse_path(u.path)
        sec, name = loc[0], loc[-1]
        if sec == "phases" and name == "cost":
            out.add(("costs", loc[1]))
        elif sec == "territories":
            m = loc[1]
            if name in ("peak_sales", "patients", "treated_share", "net_price"):
                out.add(("peak", m))
            if name == "net_price":
                out.add(("net_price", m))
            if name in TERR_ARRAY:
                out.add((TERR_ARRAY[name], m))
        elif sec == "costs":
            for m, t in enumerate(setup.sheet.territories):
                if getattr(t, name) is None:
                    out.add((TERR_ARRAY[name], m))
    return out


@dataclass
class _FastTerms:
    """The success-path profit of the fast engine split into a constant line and the drawn rank-one terms,
    profit_k = const_k + sum_t c_t(path) line_tk, with what the tax and discounting need of each line:
    its PV, sum_k DF_k line_tk, and the line the tax works on (cumulative with loss carry-forward)."""

    coefs: list[Callable[[_Rows], np.ndarray]]  # c_t of the approved paths' rows
    pv_lines: list[float]
    tax_lines: np.ndarray  # (T, N)
    pv_const: float
    tax_const: np.ndarray  # (N,)
    tax_weights: np.ndarray  # (N,): DF_k - DF_{k+1} with carry-forward (DF_{N+1} = 0), else DF_k
    taxed: bool  # False when the tax rate is 0 and not drawn: no per-period work at all
    fail_const: np.ndarray  # (J,): -cumulative PV of the R&D of the phases whose cost is not drawn
    fail_drawn: list[tuple[int, str]]  # (phase, path of the entry drawing its cost)


def fast_terms(setup: Setup, fast: _Fast, drawn: set[tuple[str, int]], drawn_names: set[str]) -> _FastTerms:
    """Sort the rank-one terms of the success-path profit into constant and drawn ones (once per simulation):
    profit_k = sum_m [peak_m (1 - cogs_m - sga_m) s_mk - peak_m cpp_m / price_m s_mk / g_mk - sga_fixed_m on_mk
    - launch_m first_mk] - sum_j cost_j rd_jk."""
    base = _Rows(fast.base, 1, set())
    terms = []  # (coefficient of the rows, line (N,), inputs it depends on)
    M = fast.unit_sales.shape[0]
    for m in range(M):
        terms.append((lambda rw, m=m: rw.peak[:, m] * (1.0 - rw.cogs_fraction[:, m] - rw.sga_fraction[:, m]),
                      fast.unit_sales[m], {("peak", m), ("cogs_fraction", m), ("sga_fraction", m)}))
        if ("cogs_per_patient", m) in drawn or np.any(base.cogs_per_patient[:, m] > 0):
            terms.append((lambda rw, m=m: -np.where(rw.cogs_per_patient[:, m] > 0,
                                                    rw.peak[:, m] * rw.cogs_per_patient[:, m] / rw.net_price[:, m], 0.0),
                          fast.unit_patients[m], {("peak", m), ("cogs_per_patient", m), ("net_price", m)}))
        terms.append((lambda rw, m=m: -rw.sga_fixed[:, m], fast.on_market[m], {("sga_fixed", m)}))
        terms.append((lambda rw, m=m: -rw.launch_cost[:, m], fast.first_year[m], {("launch_cost", m)}))
    J = fast.unit_rd.shape[0]
    for j in range(J):
        terms.append((lambda rw, j=j: -rw.costs[:, j], fast.unit_rd[j], {("costs", j)}))
    df = fast.df
    const = np.zeros(df.size)
    coefs, lines = [], []
    for coef, line, deps in terms:
        if deps & drawn:
            coefs.append(coef)
            lines.append(line)
        else:
            const += coef(base)[0] * line
    carry = fast.carry
    tax_lines = np.array([np.cumsum(x) if carry else x for x in lines]).reshape(len(lines), df.size)
    weights = df - np.append(df[1:], 0.0) if carry else df.copy()
    cost_path = {parse_path(u.path)[1]: u.path for u in setup.entries  # the last entry wins, as in apply_draws
                 if parse_path(u.path)[0] == "phases" and parse_path(u.path)[-1] == "cost"}
    fail_drawn = sorted(cost_path.items())
    pv_rd = base.costs[0] * fast.pv_unit_rd
    pv_rd[[j for j, _ in fail_drawn]] = 0.0
    return _FastTerms(coefs, [float(np.dot(x, df)) for x in lines], tax_lines, float(np.dot(const, df)),
                      np.cumsum(const) if carry else const, weights,
                      "tax_rate" in drawn_names or float(fast.base.tax_rate[0]) != 0.0, -np.cumsum(pv_rd), fail_drawn)




def _tax_pv(ft: _FastTerms, coefs: list[np.ndarray], carry: bool, n: int) -> np.ndarray:
    """sum_k w_k Y_k per path (times the tax rate: the PV of the tax). A loop over the periods on contiguous
    vectors of paths (tiles of ``TILE``): C_k = const_k + sum_t c_t line_tk; with carry-forward the running
    maximum Y_k = max(Y_{k-1}, C_k), Y_0 = 0, else Y_k = max(C_k, 0); the sum accumulates over k in order.
    Elementwise only, so a path's digits do not depend on the tile or the chunk."""
    if not coefs:  # nothing drawn in the profit: the same tax on every approved path
        y = np.maximum.accumulate(ft.tax_const) if carry else ft.tax_const
        return np.full(n, float(np.maximum(y, 0.0) @ ft.tax_weights))
    out = np.empty(n)
    lines = ft.tax_lines
    N = ft.tax_const.size
    active = [[t for t in range(len(coefs)) if lines[t, k] != 0.0] for k in range(N)]  # a zero line adds nothing
    eps = 8 * (len(coefs) + 2) * np.finfo(float).eps
    for a in range(0, n, TILE):
        b = min(n, a + TILE)
        cs = [c[a:b] for c in coefs]
        lo_hi = [(float(c.min()), float(c.max())) for c in cs]
        acc = out[a:b]
        acc[:] = 0.0
        y = np.zeros(b - a)
        ck, tmp = np.empty(b - a), np.empty(b - a)
        started = False  # with carry-forward: some path's running maximum may be > 0
        for k in range(N):
            if not started:
                # skip a period in which no path of the tile can have C_k > 0 (bound with a rounding margin):
                # its Y_k stays 0 and it adds exactly 0, so the result is the same bit for bit
                terms = [max(lo * lines[t, k], hi * lines[t, k]) for t, (lo, hi) in
                         ((t, lo_hi[t]) for t in active[k])]
                bound = ft.tax_const[k] + sum(terms)
                if bound < -eps * (abs(ft.tax_const[k]) + sum(abs(x) for x in terms)):
                    continue
                started = carry
            ck.fill(ft.tax_const[k])
            for t in active[k]:
                np.multiply(cs[t], lines[t, k], out=tmp)
                ck += tmp
            if carry:
                np.maximum(y, ck, out=y)
            else:
                np.maximum(ck, 0.0, out=y)
            np.multiply(y, ft.tax_weights[k], out=tmp)
            acc += tmp
    return out


def fast_chunk(setup: Setup, fast: _Fast, ft: _FastTerms, draws: dict[str, np.ndarray], f: np.ndarray,
                drawn_names: set[str]) -> np.ndarray:
    """Realised NPV of each path of a chunk (fast engine) given its outcome ``f``.

    Failure in phase j: -sum_{i<=j} cost_i PV(unit R&D_i). Approved: PV(profit) - PV(tax), where
    PV(profit) = PV(const) + sum_t c_t PV(line_t) needs no per-period work, and with loss carry-forward
    PV(tax) = rate sum_k DF_k (Y_k - Y_{k-1}) = rate sum_k (DF_k - DF_{k+1}) Y_k, Y_k = max(0, max_{i<=k} C_i) on
    the cumulative profit C = cumsum(const) + sum_t c_t cumsum(line_t) (``_tax_fast``; summation by parts),
    without it rate sum_k DF_k max(profit_k, 0). Every operation is elementwise or along one path's periods,
    in a fixed order (no BLAS): a path's digits do not depend on the chunk."""
    J = setup.n_phases
    fc = np.minimum(f, J - 1) if J else f
    res = ft.fail_const[fc] if J else np.zeros(f.size)
    for j, path in ft.fail_drawn:
        v = draws[path] * fast.pv_unit_rd[j]
        v *= f >= j
        res -= v
    ok = np.flatnonzero(f == J)
    if not ok.size:
        return res
    rows = _Rows(fast.base, ok.size, drawn_names)
    apply_draws(setup, rows, {u.path: draws[u.path][ok] for u in setup.entries})
    coefs = [c(rows) for c in ft.coefs]
    succ = np.full(ok.size, ft.pv_const)
    for c, pv in zip(coefs, ft.pv_lines):
        succ += c * pv
    if ft.taxed:
        succ -= _tax_pv(ft, coefs, fast.carry, ok.size) * rows.tax_rate
    res[ok] = succ
    return res
