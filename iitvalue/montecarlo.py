"""Monte Carlo simulation, sensitivity (tornado, two-way grid) and named scenarios (docs/montecarlo.md).

Two levels per path. First the uncertain inputs of ``[[uncertainty]]`` are drawn (a Gaussian copula when a
``[correlation]`` is given) and written into the engine's arrays; then each phase passes or fails, a Bernoulli
draw with the path's transition probabilities. A path's realised NPV is the present value of the cash flows of
its realised outcome -- NOT probability-weighted:

    fails in phase j:  -sum_k DF_k sum_{i<=j} R&D_ik           (no sales, no tax)
    approved:           sum_k DF_k (profit_k - tax_k)          (the whole success path)

so, given the drawn inputs, E[NPV | inputs] = sum_j S_j (1 - p_j) V_j + LOA V_success is exactly the engine's
rNPV, and the mean over paths equals the deterministic rNPV when only phase outcomes are random.

Per-party outcomes (a ``[deal]``): a milestone is paid iff its trigger is realised on the path (at the time the
engine gives for it), royalties and profit shares are computed on the path's own sales, each party discounts at
its own rate, and licensor + licensee = asset NPV path by path at a common rate.

Reproducibility: paths are cut into blocks of ``BLOCK`` paths; block b draws from its own generator,
``numpy.random.SeedSequence(seed, spawn_key=(b,))`` (the b-th child of ``SeedSequence(seed).spawn``), so the
numbers do not depend on the chunk size used for computing (a chunk is a whole number of blocks).
Pure computation: nothing here prints or writes files (plots return matplotlib figures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
from scipy import special

from .errors import InputError, Problem
from .rnpv import Plan, _overlap, arrays_from_plan, evaluate, resolve
from .terms import POSTERIOR_PATH, TermSheet, Uncertainty, get_path, parse_path

BLOCK = 4096  # paths per random block; part of the seed scheme (changing it changes the numbers)
DEFAULT_CHUNK = 16 * BLOCK
PERCENTILES = (5, 10, 50, 90, 95)


# ---- distributions ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Marginal:
    """A univariate distribution of an ``[[uncertainty]]`` entry (parametrisations in docs/montecarlo.md)."""

    kind: str
    p: dict[str, Any]

    @classmethod
    def of(cls, u: Uncertainty) -> "Marginal":
        k = u.dist
        if k in ("normal",):
            return cls(k, {"mean": u.mean, "sd": u.sd})
        if k == "lognormal":
            # mean m and sd s of the variable itself: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2 / 2
            s2 = math.log1p((u.sd / u.mean) ** 2)
            return cls(k, {"mean": u.mean, "sd": u.sd, "mu": math.log(u.mean) - s2 / 2, "sigma": math.sqrt(s2)})
        if k == "triangular":
            return cls(k, {"low": u.low, "mode": u.mode, "high": u.high})
        if k == "pert":
            # Malcolm et al. 1959 / Vose: low + (high - low) Beta(1 + 4 (c - a)/(b - a), 1 + 4 (b - c)/(b - a))
            w = u.high - u.low
            return cls(k, {"low": u.low, "mode": u.mode, "high": u.high, "alpha": 1 + 4 * (u.mode - u.low) / w,
                           "beta": 1 + 4 * (u.high - u.mode) / w})
        if k == "uniform":
            return cls(k, {"low": u.low, "high": u.high})
        if k == "discrete":
            vals = np.asarray(u.values, dtype=float)
            w = np.asarray(u.weights, dtype=float) if u.weights is not None else np.full(len(vals), 1 / len(vals))
            order = np.argsort(vals, kind="stable")
            return cls(k, {"values": vals[order], "weights": w[order], "cum": np.cumsum(w[order])})
        if k == "beta":
            a, b = (u.a, u.b) if u.a is not None else (u.mean * u.n, (1 - u.mean) * u.n)
            return cls(k, {"a": a, "b": b})
        raise ValueError(f"no marginal for dist {k!r}")  # posterior is handled separately

    # closed-form moments (tests compare sample moments with these)
    def mean(self) -> float:
        p, k = self.p, self.kind
        if k in ("normal", "lognormal"):
            return p["mean"]
        if k == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3
        if k == "pert":
            return (p["low"] + 4 * p["mode"] + p["high"]) / 6
        if k == "uniform":
            return (p["low"] + p["high"]) / 2
        if k == "discrete":
            return float(p["values"] @ p["weights"])
        return p["a"] / (p["a"] + p["b"])

    def var(self) -> float:
        p, k = self.p, self.kind
        if k in ("normal", "lognormal"):
            return p["sd"] ** 2
        if k == "triangular":
            a, c, b = p["low"], p["mode"], p["high"]
            return (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        if k == "pert":
            al, be, w = p["alpha"], p["beta"], p["high"] - p["low"]
            return w * w * al * be / ((al + be) ** 2 * (al + be + 1))
        if k == "uniform":
            return (p["high"] - p["low"]) ** 2 / 12
        if k == "discrete":
            m = self.mean()
            return float(((p["values"] - m) ** 2) @ p["weights"])
        a, b = p["a"], p["b"]
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` in (0, 1)."""
        p, k = self.p, self.kind
        u = np.asarray(u, dtype=float)
        if k == "normal":
            return p["mean"] + p["sd"] * special.ndtri(u)
        if k == "lognormal":
            return np.exp(p["mu"] + p["sigma"] * special.ndtri(u))
        if k == "triangular":
            a, c, b = p["low"], p["mode"], p["high"]
            fc = (c - a) / (b - a)
            return np.where(u < fc, a + np.sqrt(u * (b - a) * (c - a)), b - np.sqrt((1 - u) * (b - a) * (b - c)))
        if k == "pert":
            return p["low"] + (p["high"] - p["low"]) * _beta_ppf(p["alpha"], p["beta"], u)
        if k == "uniform":
            return p["low"] + (p["high"] - p["low"]) * u
        if k == "discrete":
            idx = np.minimum(np.searchsorted(p["cum"], u, side="right"), len(p["values"]) - 1)
            return p["values"][idx]
        return _beta_ppf(p["a"], p["b"], u)

    def from_normal(self, z: np.ndarray) -> np.ndarray:
        """The copula transform x = F^-1(Phi(z)): exact for the normal and lognormal (no Phi needed), closed form
        for the triangular and uniform; for the beta and PERT the exact quantile tabulated on a grid of the normal
        score z (``_beta_table``) and interpolated linearly, error below 1e-6 of the range (tested)."""
        p, k = self.p, self.kind
        z = np.asarray(z, dtype=float)
        if k == "normal":
            x = np.multiply(z, p["sd"])
            x += p["mean"]
            return x
        if k == "lognormal":
            x = np.multiply(z, p["sigma"])
            x += p["mu"]
            return np.exp(x, out=x)
        if k in ("pert", "beta"):
            a, b = (p["alpha"], p["beta"]) if k == "pert" else (p["a"], p["b"])
            table = _beta_table(float(a), float(b))
            if k == "pert":  # the table of the PERT variable itself: one lookup, no rescaling per draw
                table = p["low"] + (p["high"] - p["low"]) * table
            return _table_lookup(z, table)
        if k == "triangular":
            return _triangular_from_u(special.ndtr(z), p["low"], p["mode"], p["high"])
        return self.ppf(special.ndtr(z))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Independent draws with numpy's samplers (a convenience; the simulation uses :meth:`from_normal`)."""
        p, k = self.p, self.kind
        if k == "normal":
            return rng.normal(p["mean"], p["sd"], size)
        if k == "lognormal":
            return rng.lognormal(p["mu"], p["sigma"], size)
        if k == "triangular":
            return rng.triangular(p["low"], p["mode"], p["high"], size)
        if k == "pert":
            return p["low"] + (p["high"] - p["low"]) * rng.beta(p["alpha"], p["beta"], size)
        if k == "uniform":
            return rng.uniform(p["low"], p["high"], size)
        if k == "discrete":
            return self.ppf(rng.random(size))
        return rng.beta(p["a"], p["b"], size)


def _triangular_from_u(u: np.ndarray, a: float, c: float, b: float) -> np.ndarray:
    """The triangular quantile of :meth:`Marginal.ppf` computed on ``u`` (overwritten):
    a + sqrt(u (b - a)(c - a)) below F(c) = (c - a)/(b - a), b - sqrt((1 - u)(b - a)(b - c)) above.
    The branch is selected by multiplying with h = 1[u >= F(c)] and 1 - h (exact: x 1 + y 0 = x), which is
    several times faster than a masked copy on a random mask."""
    h = np.greater_equal(u, (c - a) / (b - a)).astype(float)
    g = np.subtract(1.0, h)
    r = np.subtract(1.0, u)
    r *= (b - a) * (b - c)
    r *= h
    u *= (b - a) * (c - a)
    u *= g
    u += r
    np.sqrt(u, out=u)
    np.subtract(b, u, out=r)
    r *= h
    u += a
    u *= g
    u += r
    return u


def _beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Beta quantile, accurate in both tails: betaincinv(a, b, u) below the median, 1 - betaincinv(b, a, 1 - u)
    above it (1 - u loses no digits there, while u close to 1 would)."""
    u = np.asarray(u, dtype=float)
    lo = special.betaincinv(a, b, np.minimum(u, 0.5))
    hi = 1.0 - special.betaincinv(b, a, np.minimum(1.0 - u, 0.5))
    return np.where(u <= 0.5, lo, hi)


Z_GRID = np.linspace(-9.0, 9.0, 8193)  # normal scores of the quantile tables (P(|z| > 9) < 1e-18)


@lru_cache(maxsize=64)
def _beta_table(a: float, b: float) -> np.ndarray:
    """Beta quantile at Phi(z) for z on ``Z_GRID`` (each tail computed where it keeps its digits)."""
    zg = Z_GRID
    return np.where(zg <= 0, special.betaincinv(a, b, special.ndtr(zg)), 1.0 - special.betaincinv(b, a, special.ndtr(-zg)))


_Z_SCALE = (Z_GRID.size - 1) / (Z_GRID[-1] - Z_GRID[0])  # cells per unit of z
_Z_SHIFT = -Z_GRID[0] * _Z_SCALE


def _table_index(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell index and position within it of z on the uniform ``Z_GRID`` (z beyond the grid: its ends). The last
    grid point is its own cell (index n - 1, position 0), so a lookup needs no clamp of the index."""
    t = np.multiply(z, _Z_SCALE, dtype=float)
    t += _Z_SHIFT
    np.clip(t, 0.0, Z_GRID.size - 1.0, out=t)
    i = t.astype(np.intp)
    t -= i
    return i, t


def _table_at(table: np.ndarray, i: np.ndarray, t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """table[i] + t (table[i + 1] - table[i]) elementwise (the slope after the last point is 0)."""
    slope = np.empty_like(table)
    np.subtract(table[1:], table[:-1], out=slope[:-1])
    slope[-1] = 0.0
    x = np.take(slope, i, mode="clip")  # i is always in range; "clip" skips numpy's per-index range check
    x *= t
    if out is None:
        out = np.take(table, i, mode="clip")
    else:
        np.take(table, i, out=out, mode="clip")
    out += x
    return out


def _table_lookup(z: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation of a table on ``Z_GRID``: np.interp(z, Z_GRID, table) without its binary search."""
    return _table_at(table, *_table_index(z))


@lru_cache(maxsize=16)
def _posterior_tables(post_class: float, wa: tuple, aa: tuple, ba: tuple, wi: tuple, ai: tuple, bi: tuple
                      ) -> tuple[np.ndarray, np.ndarray]:
    """At Phi(z), z on ``Z_GRID``: the quantile of the marginal posterior of theta, pi' f_A + (1 - pi') f_I
    (its CDF, sum of weights x regularised incomplete beta, on a 20,001-point theta grid, inverted linearly),
    and P(active | theta) there."""
    from .betamix import BetaMix

    fa, fi = BetaMix(np.array(wa), np.array(aa), np.array(ba)), BetaMix(np.array(wi), np.array(ai), np.array(bi))
    theta = np.linspace(0.0, 1.0, 20001)
    cdf = sum(post_class * w * special.betainc(a, b, theta) for w, a, b in zip(fa.weights, fa.a, fa.b))
    cdf = cdf + sum((1 - post_class) * w * special.betainc(a, b, theta) for w, a, b in zip(fi.weights, fi.a, fi.b))
    cdf[0], cdf[-1] = 0.0, 1.0
    q = np.interp(special.ndtr(Z_GRID), np.maximum.accumulate(cdf), theta)
    da, di = post_class * _mix_pdf(fa, q), (1 - post_class) * _mix_pdf(fi, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_active = np.where(da + di > 0, da / (da + di), post_class)
    return q, p_active


def _mix_pdf(mix, x: np.ndarray) -> np.ndarray:
    """Density of a beta mixture, sum_k w_k x^(a_k - 1) (1 - x)^(b_k - 1) / B(a_k, b_k), vectorised."""
    x = np.clip(x, 1e-300, 1.0 - 1e-16)
    lx, l1x = np.log(x), np.log1p(-x)
    out = np.zeros_like(x)
    for w, a, b in zip(mix.weights, mix.a, mix.b):
        out += w * np.exp((a - 1.0) * lx + (b - 1.0) * l1x - special.betaln(a, b))
    return out


# ---- the simulation set-up ------------------------------------------------------------------------------------------
_SHAPE = {"discount_rate", "duration", "launch_lag", "years_to_peak", "exclusivity_years", "erosion", "price_change"}
_TERR_ARRAY = {"launch_lag": "launch_lag", "exclusivity_years": "exclusivity", "erosion": "erosion",
               "price_change": "price_change", "cogs_fraction": "cogs_fraction", "cogs_per_patient": "cogs_per_patient",
               "sga_fraction": "sga_fraction", "sga_fixed": "sga_fixed", "launch_cost": "launch_cost"}


@dataclass
class _Posterior:
    """The Bayesian update as the simulation draws from it: class and true ORR."""

    update: Any  # pos.PosUpdate
    post_class: float
    probs_active: np.ndarray  # (J,) phase probabilities given the active class (spread of q_A)
    probs_inactive: np.ndarray
    quantile: np.ndarray  # marginal posterior quantile of theta at Phi(z), z on Z_GRID
    p_active: np.ndarray  # P(active | theta) at those theta


@dataclass
class Setup:
    """Everything the simulation needs, prepared once from a term sheet."""

    sheet: TermSheet
    plan: Plan  # the plan the deterministic valuation uses (posterior probabilities when readouts exist)
    prior_probs: np.ndarray  # (J,) the update's prior (resolved, before transportability)
    kinds: list[str]
    update: Any  # pos.PosUpdate or None
    transport: tuple[float, float] | None
    entries: list[Uncertainty]  # with a distribution, in declaration order (posterior excluded)
    marginals: list[Marginal]
    correlated: list[int]  # indices into entries drawn through the copula
    chol: np.ndarray | None  # lower factor of the correlation matrix over (correlated entries [+ posterior])
    posterior: _Posterior | None
    posterior_in_copula: bool
    shape_drawn: bool
    notes: list[str] = field(default_factory=list)

    @property
    def n_phases(self) -> int:
        return len(self.plan.phases)


def prepare(sheet: TermSheet) -> Setup:
    """Resolve the plan, the Bayesian update and the distributions of ``sheet`` (raises InputError)."""
    from . import pos as P
    from .valuation import posterior_plans

    base = resolve(sheet)
    kinds = [p.kind for p in base.phases]
    prior = np.array([p.probability for p in base.phases], dtype=float)
    upd, plan, transport = None, base, None
    cfg = sheet.pos
    has_post = any(u.dist == "posterior" for u in sheet.uncertainty)
    if sheet.readouts or sheet.pos is not None or has_post:
        upd, _, plan, _, _ = posterior_plans(sheet, base)
        if cfg is not None and cfg.transportability is not None:
            transport = (cfg.transportability.regulatory_factor, cfg.transportability.delay_years)
        if not (sheet.readouts or sheet.pos is not None):
            plan = base  # no update in the deterministic valuation: its plan keeps the prior probabilities
    entries = [u for u in sheet.uncertainty if u.dist is not None and u.dist != "posterior"]
    marginals = [Marginal.of(u) for u in entries]
    notes = []
    post = None
    if has_post:
        qa, qi = upd.p_active, upd.p_inactive
        pa = np.array(_transported(P.spread(list(prior), kinds, qa), kinds, transport))
        pi = np.array(_transported(P.spread(list(prior), kinds, qi), kinds, transport))
        key = lambda m: (tuple(m.weights), tuple(m.a), tuple(m.b))  # noqa: E731
        q, p_act = _posterior_tables(float(upd.posterior_class), *key(upd.orr_active), *key(upd.orr_inactive))
        post = _Posterior(upd, upd.posterior_class, pa, pi, q, p_act)
        if sheet.deal is not None and any(getattr(sheet.deal, r).iit_weight is not None or
                                          getattr(sheet.deal, r).registrational_weight is not None
                                          for r in ("licensor", "licensee")):
            notes.append("the parties' own evidence weights are not simulated: every path uses the term sheet's "
                         "posterior")
    elif sheet.deal is not None and any(getattr(sheet.deal, r).iit_weight is not None or
                                        getattr(sheet.deal, r).registrational_weight is not None
                                        for r in ("licensor", "licensee")):
        notes.append("the parties' own evidence weights are not simulated: every path uses the term sheet's "
                     "posterior phase probabilities, so a party's mean differs from its deterministic NPV")
    correlated, chol, post_in = [], None, False
    if sheet.correlation is not None:
        order = list(sheet.correlation.paths)
        pos_of = {u.path: i for i, u in enumerate(entries)}
        correlated = [pos_of[p] for p in order if p in pos_of]
        post_in = POSTERIOR_PATH in order
        # re-order the matrix: correlated entries in declaration order, then the posterior
        keys = [entries[i].path for i in correlated] + ([POSTERIOR_PATH] if post_in else [])
        idx = [order.index(k) for k in keys]
        m = np.asarray(sheet.correlation.matrix, dtype=float)[np.ix_(idx, idx)]
        chol = _psd_factor(m)
    shape = any(parse_path(u.path)[-1] in _SHAPE for u in entries)
    return Setup(sheet, plan, prior, kinds, upd, transport, entries, marginals, correlated, chol, post, post_in,
                 shape, notes)


def _transported(probs: list[float], kinds: list[str], transport) -> list[float]:
    if transport is None:
        return probs
    out = list(probs)
    for j, k in enumerate(kinds):
        if k == "filing":
            out[j] *= transport[0]
            break
    return out


def _psd_factor(m: np.ndarray) -> np.ndarray:
    """A factor L with L L^T = m for a positive semi-definite m (Cholesky, or eigenvectors when singular)."""
    try:
        return np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(m)
        if w.min() < -1e-10:
            raise InputError(Problem("correlation.matrix", "is not positive semi-definite")) from None
        return v * np.sqrt(np.clip(w, 0.0, None))


# ---- drawing one block ------------------------------------------------------------------------------------------
def block_rng(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: SeedSequence(seed).spawn(...)[block], built directly."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def draw_block(setup: Setup, size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draws of one block, in a fixed order: one standard normal per entry (columns of the copula's entries
    mixed by its factor), then the class uniform of the posterior draw, then the phase uniforms (size, J).
    Every input is x = F^-1(Phi(z)) (``Marginal.from_normal``). Returns path -> values (size,), plus ``_active``
    and ``_orr`` (posterior draw) and ``_u``."""
    z, a, u = _draw_buffers(setup, size)
    _fill_block(rng, z, a, u)
    return _transform(setup, z.T, a, u)


def _draw_buffers(setup: Setup, size: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Normal scores (size, K), class uniforms (size,) or None, phase uniforms (size, J)."""
    k = len(setup.entries) + int(setup.posterior is not None)
    return (np.empty((size, k)), np.empty(size) if setup.posterior is not None else None,
            np.empty((size, setup.n_phases)))


def _fill_block(rng: np.random.Generator, z: np.ndarray, a: np.ndarray | None, u: np.ndarray) -> None:
    """The random numbers of one block in the documented order: normals (row by row), class uniforms, phase
    uniforms (the same streams as rng.standard_normal((size, K)), rng.random(size), rng.random((size, J)))."""
    if z.size:
        rng.standard_normal(out=z)
    if a is not None:
        rng.random(out=a)
    if u.size:
        rng.random(out=u)


def draw_chunk(setup: Setup, seed: int, b0: int, b1: int, n_paths: int) -> dict[str, np.ndarray]:
    """Draws of blocks b0..b1-1 (block b from :func:`block_rng`), transformed at once: the same numbers as
    concatenating :func:`draw_block` of each block (every transform is elementwise, in a fixed order)."""
    lo, hi = b0 * BLOCK, min(n_paths, b1 * BLOCK)
    size = hi - lo
    z, a, u = _draw_buffers(setup, min(size, BLOCK))
    a = None if a is None else np.empty(size)
    zt = np.empty((z.shape[1], size))  # one contiguous row per input (and per phase): fast elementwise work
    ut = np.empty((u.shape[1], size))
    for b in range(b0, b1):
        s0, s1 = b * BLOCK - lo, min(n_paths, (b + 1) * BLOCK) - lo
        m = s1 - s0
        _fill_block(block_rng(seed, b), z[:m], None if a is None else a[s0:s1], u[:m])
        zt[:, s0:s1] = z[:m].T  # while the block is in cache
        ut[:, s0:s1] = u[:m].T
    return _transform(setup, zt, a, ut.T)


def _transform(setup: Setup, zt: np.ndarray, a: np.ndarray | None, u: np.ndarray) -> dict[str, np.ndarray]:
    """Inputs from the normal scores ``zt`` (K, size) (overwritten by the copula mixing), the class uniforms
    ``a`` and the phase uniforms ``u``, in tiles of ``_TILE`` paths (their temporaries stay in cache). The
    copula's factor is applied as explicit sums of products in a fixed order (no BLAS): every operation is
    elementwise, so a path's numbers do not depend on how many paths are transformed together."""
    size = zt.shape[1]
    out: dict[str, np.ndarray] = {e.path: np.empty(size) for e in setup.entries}
    if a is not None:
        out["_orr"], out["_active"] = np.empty(size), np.empty(size, dtype=bool)
    cols = list(setup.correlated) + ([len(setup.entries)] if setup.posterior_in_copula else [])
    for t0 in range(0, size, _TILE):
        t1 = min(size, t0 + _TILE)
        z = zt[:, t0:t1]
        if cols:
            mixed = []
            for r in range(len(cols)):
                acc = np.multiply(z[cols[0]], setup.chol[r, 0])
                for c in range(1, len(cols)):
                    if setup.chol[r, c] != 0.0:
                        acc += setup.chol[r, c] * z[cols[c]]
                mixed.append(acc)
            for r, c in enumerate(cols):
                z[c] = mixed[r]
        for i, (e, m) in enumerate(zip(setup.entries, setup.marginals)):
            out[e.path][t0:t1] = m.from_normal(z[i])
        if a is not None:
            # true ORR from the marginal posterior by its quantile at Phi(z), then the class given it by Bayes,
            # P(active | theta) = pi' f_A(theta) / (pi' f_A(theta) + (1 - pi') f_I(theta)), both tabulated in z
            po = setup.posterior
            i, t = _table_index(z[-1])
            _table_at(po.quantile, i, t, out=out["_orr"][t0:t1])
            np.less(a[t0:t1], _table_at(po.p_active, i, t, out=t), out=out["_active"][t0:t1])
    out["_u"] = u
    return out


_TILE = 16384  # paths transformed (and approved paths taxed) together: vectors of 128 kB, a few fit in L2


@lru_cache(maxsize=256)
def _field_bounds(path: str) -> tuple[float, bool, float, bool]:
    from .terms import numeric_field

    return numeric_field(path)[1]


def _check_drawn(setup: Setup, draws: dict[str, np.ndarray]) -> None:
    """Draws outside what a field allows (normal or lognormal tails) are an error, not silently clipped."""
    from .terms import describe_bounds

    for u in setup.entries:
        x = draws[u.path]
        lo, lo_in, hi, hi_in = _field_bounds(u.path)
        if x.size:  # the common case in two passes: the smallest and largest draw (NaN fails both tests)
            x_lo, x_hi = x.min(), x.max()
            if ((x_lo >= lo) if lo_in else (x_lo > lo)) and ((x_hi <= hi) if hi_in else (x_hi < hi)):
                continue
        bad = ~(((x >= lo) if lo_in else (x > lo)) & ((x <= hi) if hi_in else (x < hi)))
        if bad.any():
            i = setup.sheet.uncertainty.index(u)
            raise InputError(Problem(
                f"uncertainty[{i}]", f"{int(bad.sum())} of {x.size} draws of {u.path} fall outside what it allows "
                f"({describe_bounds((lo, lo_in, hi, hi_in))}); use a bounded distribution (pert, triangular, beta, "
                f"lognormal) or a smaller sd"))


# ---- from draws to engine inputs -------------------------------------------------------------------------------
def path_probabilities(setup: Setup, draws: dict[str, np.ndarray], size: int) -> np.ndarray:
    """Transition probabilities per path (size, J): the plan's, or the drawn class's, or drawn priors put
    through the Bayesian update (same BF) and spread over the phases (pos.spread, vectorised)."""
    J = setup.n_phases
    probs = np.tile(np.array([p.probability for p in setup.plan.phases], dtype=float), (size, 1))
    if setup.posterior is not None:
        act = draws["_active"]
        return np.where(act[:, None], setup.posterior.probs_active[None, :], setup.posterior.probs_inactive[None, :])
    drawn = [(parse_path(u.path)[1], draws[u.path]) for u in setup.entries
             if u.path.startswith("phases") and parse_path(u.path)[-1] == "probability"]
    if not drawn:
        return probs
    prior = np.tile(setup.prior_probs, (size, 1))
    for j, x in drawn:
        prior[:, j] = x
    if setup.update is None:
        return prior
    upd = setup.update
    qa, qi = upd.p_active, upd.p_inactive
    loa = prior.prod(axis=1)
    pi = (loa - qi) / (qa - qi)
    if np.any((pi < 0) | (pi > 1)):
        raise InputError(Problem("uncertainty", f"drawn phase probabilities give a prior LOA outside "
                                 f"[P(approval | inactive), P(approval | active)] = [{qi:g}, {qa:g}] on "
                                 f"{int(np.sum((pi < 0) | (pi > 1)))} paths; narrow their distributions"))
    lbf = upd.log_bf_orr + upd.log_bf_cr
    with np.errstate(divide="ignore"):
        logit = np.log(pi) - np.log1p(-pi) + lbf
    post = np.where(pi <= 0, 0.0, np.where(pi >= 1, 1.0, special.expit(logit)))
    target = post * qa + (1 - post) * qi
    out = spread_rows(prior, setup.kinds, target)
    if setup.transport is not None:
        f = setup.kinds.index("filing")
        out[:, f] *= setup.transport[0]
    return out[:, :J]


def spread_rows(prior: np.ndarray, kinds: list[str], target: np.ndarray) -> np.ndarray:
    """Vectorised :func:`iitvalue.pos.spread`: p_j' = p_j ** alpha on the clinical phases with
    alpha = ln(target / review) / ln(clinical product); other cases row by row with pos.spread."""
    from .pos import CLINICAL_KINDS, spread

    clinical = np.array([k in CLINICAL_KINDS for k in kinds])
    review = prior[:, ~clinical].prod(axis=1)
    clin = prior[:, clinical].prod(axis=1)
    ok = clinical.any() & (clin > 0) & (clin < 1) & (review > 0) & (target <= review)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.log(target / review) / np.log(clin)
        out = np.where(clinical[None, :] & ok[:, None], prior ** alpha[:, None], prior)
    for i in np.nonzero(~ok)[0]:
        out[i] = spread(list(prior[i]), kinds, float(target[i]))
    return out


def apply_draws(setup: Setup, arr: Any, draws: dict[str, np.ndarray]) -> None:
    """Write drawn inputs into engine arrays (a ModelArrays or the fast path's namespace), row = path."""
    sheet = setup.sheet
    terr = sheet.territories
    own = {}
    for u in setup.entries:
        loc = parse_path(u.path)
        x = draws[u.path]
        sec, name = loc[0], loc[-1]
        if sec == "valuation":
            getattr(arr, name)[:] = x
        elif sec == "phases":
            j = loc[1]
            if name == "duration":
                delay = setup.transport[1] if setup.transport is not None and setup.kinds[j] == "filing" else 0.0
                arr.durations[:, j] = x + delay
            elif name == "cost":
                arr.costs[:, j] = x
        elif sec == "territories":
            m = loc[1]
            if name in ("patients", "treated_share", "net_price"):
                own.setdefault(m, {})[name] = x
            elif name == "peak_sales":
                arr.peak[:, m] = x
            elif name == "years_to_peak":
                arr.ramp[:, m, :] = ramp_rows(terr[m].ramp, x, arr.ramp.shape[2])
            else:
                getattr(arr, _TERR_ARRAY[name])[:, m] = x
        elif sec == "costs":
            for m, t in enumerate(terr):
                if getattr(t, name) is None:
                    getattr(arr, _TERR_ARRAY[name])[:, m] = x
    for m, parts in own.items():
        t = terr[m]
        pat = parts.get("patients", t.patients)
        share = parts.get("treated_share", t.treated_share)
        price = parts.get("net_price", t.net_price)
        arr.peak[:, m] = pat * share * price
        if "net_price" in parts:
            arr.net_price[:, m] = price


def ramp_rows(kind, years_to_peak: np.ndarray, n_years: int) -> np.ndarray:
    """:func:`iitvalue.rnpv.ramp_shares` for an array of ``years_to_peak`` (benchmark or linear ramps)."""
    from . import benchmarks

    ytp = np.asarray(years_to_peak, dtype=float)[:, None]
    years = np.arange(1, n_years + 1, dtype=float)[None, :]
    if kind == "linear":
        return np.minimum(1.0, years / ytp)
    curve = benchmarks.launch_curve()
    xs = np.arange(0, len(curve) + 1, dtype=float)
    ys = np.concatenate([[0.0], curve])
    return np.interp(years * len(curve) / ytp, xs, ys, right=1.0)


# ---- values of every outcome (general engine) ------------------------------------------------------------------
def outcome_probabilities(probs: np.ndarray) -> np.ndarray:
    """P(fail in phase j) = S_j (1 - p_j) for j = 1..J, then P(approved) = LOA: shape (S, J + 1)."""
    S, J = probs.shape
    start = np.concatenate([np.ones((S, 1)), np.cumprod(probs, axis=1)[:, :-1]], axis=1) if J else np.ones((S, 0))
    return np.concatenate([start * (1 - probs), probs.prod(axis=1)[:, None]], axis=1)


def realised_outcome(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index of the phase failed (0-based), or J when every phase passes: phase j passes iff u_j < p_j."""
    S, J = probs.shape
    f = np.zeros(S, dtype=np.int8)  # the number of phases passed before the first failure
    alive = np.ones(S, dtype=bool)
    passed = np.empty(S, dtype=bool)
    for j in range(J):
        np.less(u[:, j], probs[:, j], out=passed)
        alive &= passed
        f += alive
    return f


def _passed_count(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Number of phases passed before the first failure with the same probabilities ``p`` (J,) on every path."""
    S, J = u.shape
    f = np.zeros(S, dtype=np.int8)
    alive = np.ones(S, dtype=bool)
    passed = np.empty(S, dtype=bool)
    for j in range(J):
        np.less(u[:, j], p[j], out=passed)
        alive &= passed
        f += alive
    return f


def fast_outcome(setup: Setup, draws: dict[str, np.ndarray]) -> np.ndarray:
    """``realised_outcome(draws["_u"], path_probabilities(setup, draws, size))`` without the (size, J) matrix of
    probabilities when the class is drawn: the outcome under q_A and under q_I (scalar thresholds, the same
    comparisons), then the path's class picks one, f_I + active (f_A - f_I) in exact int8 arithmetic."""
    u = draws["_u"]
    if setup.posterior is None:
        return realised_outcome(u, path_probabilities(setup, draws, u.shape[0]))
    fa = _passed_count(u, setup.posterior.probs_active)
    fi = _passed_count(u, setup.posterior.probs_inactive)
    fa -= fi
    fa *= draws["_active"]
    fi += fa
    return fi


def _fail_values(pv_rd_by_phase: np.ndarray, success: np.ndarray) -> np.ndarray:
    """(S, J + 1): -cumulative R&D PV through phase j for failures, then the success-path value."""
    return np.concatenate([-np.cumsum(pv_rd_by_phase, axis=1), success[:, None]], axis=1)


def outcome_values(setup: Setup, arr, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Realised NPV of every outcome for each row of ``arr`` (general engine): keys ``asset`` and, with a deal,
    ``licensor``, ``licensee``, ``receipts`` (PV at the licensor's rate) and ``receipts_nominal``; each (S, J + 1)."""
    from . import deal as D

    arr.probabilities[:] = probs
    ln = evaluate(arr)
    df = ln.discount_factor
    out = {"asset": _fail_values((ln.rd_by_phase * df[:, None, :]).sum(-1), (ln.fcf * df).sum(-1))}
    deal = setup.sheet.deal
    if deal is None:
        return out
    plan = setup.plan
    S, J = probs.shape
    dt = plan.dt
    t_deal = D.upfront_time(deal, plan)
    before = np.clip((deal.date - plan.valuation_date).days / D.YEAR_DAYS - ln.t_start, 0.0, dt) / dt
    cost_share = before + (1.0 - before) * deal.licensor_cost_share  # the licensor's share of R&D by period
    share_success = D.licensor_share_lines(deal, plan, ln, risked=False)
    roy = D.royalty_lines(deal, plan, ln).sum(axis=1) if deal.royalties else np.zeros_like(ln.fcf)
    f_idx = np.arange(J + 1)[None, :]
    phases = [p.name for p in plan.phases]
    filing = next((j for j, p in enumerate(plan.phases) if p.kind == "filing"), None)
    pays = D.expand_payments(deal)
    trig = []
    for p in pays:
        t, prob = D.trigger_time_probability(p.trigger, plan, ln)
        ty = p.trigger.type
        if ty == "phase_start":
            real = f_idx >= phases.index(p.trigger.phase)
        elif ty == "phase_success":
            real = f_idx >= phases.index(p.trigger.phase) + 1
        elif ty == "filing":
            real = f_idx >= filing
        elif ty == "approval":
            real = f_idx == J
        elif ty == "sales":
            real = (f_idx == J) & np.isfinite(t)[:, None]
        else:
            real = np.ones((1, J + 1), dtype=bool)
        trig.append((p.amount, np.where(np.isfinite(t), t, 0.0), np.broadcast_to(real, (S, J + 1))))
    success = f_idx == J
    for role, rate in (("licensor", deal.licensor.discount_rate), ("licensee", deal.licensee.discount_rate)):
        dfp = (1.0 + rate) ** (-ln.t_cash)
        disc = lambda t: np.where(t < 0, 0.0, (1.0 + rate) ** (-np.maximum(t, 0.0)))  # noqa: E731  (sunk if t < 0)
        up = deal.upfront * float(disc(np.array(t_deal)))
        ms = sum((a * disc(t)[:, None] * real for a, t, real in trig), np.zeros((S, J + 1)))
        royv = np.where(success, (roy * dfp).sum(-1)[:, None], 0.0)
        share = _fail_values((ln.rd_by_phase * (cost_share * dfp)[None, None, :]).sum(-1), (share_success * dfp).sum(-1))
        if role == "licensor":
            out["licensor"] = up + ms + royv + share
            out["receipts"] = up + ms + royv
            nominal_up = deal.upfront if t_deal >= 0 else 0.0
            out["receipts_nominal"] = nominal_up + sum(
                (a * (t >= 0)[:, None] * real for a, t, real in trig), np.zeros((S, J + 1))) + np.where(
                success, roy.sum(-1)[:, None], 0.0)
        else:
            asset = _fail_values((ln.rd_by_phase * dfp[None, None, :]).sum(-1), (ln.fcf * dfp).sum(-1))
            out["licensee"] = asset - share - up - ms - royv
    return out


# ---- the fast path (asset only, timing inputs fixed) ------------------------------------------------------------
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


def _fast_setup(setup: Setup) -> _Fast:
    arr = arrays_from_plan(setup.plan, 1)
    unit = arrays_from_plan(setup.plan, 1)
    unit.peak[:] = 1.0
    unit.costs[:] = 1.0
    ln = evaluate(unit)
    t0, dt = ln.t_start, arr.dt
    tm = t0 + dt / 2
    launch = ln.launch_time[0]
    growth = (1.0 + arr.price_change[0])[:, None] ** tm[None, :]
    on = _overlap(t0[None, :], (t0 + dt)[None, :], launch[:, None], np.inf)
    first = _overlap(t0[None, :], (t0 + dt)[None, :], launch[:, None], launch[:, None] + 1.0)
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


def _drawn_columns(setup: Setup) -> set[tuple[str, int]]:
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
            if name in _TERR_ARRAY:
                out.add((_TERR_ARRAY[name], m))
        elif sec == "costs":
            for m, t in enumerate(setup.sheet.territories):
                if getattr(t, name) is None:
                    out.add((_TERR_ARRAY[name], m))
    return out


def _tax_fast(profit: np.ndarray, rate: np.ndarray, carryforward: bool) -> np.ndarray:
    """:func:`iitvalue.rnpv._tax` without its loop over periods. With unlimited loss carry-forward the taxable
    income to date is the running maximum of cumulative profit, floored at 0: Y_k = max(0, max_{i<=k} C_i),
    C_k = sum_{i<=k} profit_i (income is taxed once it exceeds every loss before it, and never twice), so
    tax_k = rate (Y_k - Y_{k-1}). Tested against the loop through the general engine."""
    if not carryforward:
        return rate[:, None] * np.maximum(profit, 0.0)
    y = np.cumsum(profit, axis=1)
    np.maximum.accumulate(y, axis=1, out=y)
    np.maximum(y, 0.0, out=y)
    y[:, 1:] -= y[:, :-1].copy()
    y *= rate[:, None]
    return y


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


def _fast_terms(setup: Setup, fast: _Fast, drawn: set[tuple[str, int]], drawn_names: set[str]) -> _FastTerms:
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
    vectors of paths (tiles of ``_TILE``): C_k = const_k + sum_t c_t line_tk; with carry-forward the running
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
    for a in range(0, n, _TILE):
        b = min(n, a + _TILE)
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


def _fast_chunk(setup: Setup, fast: _Fast, ft: _FastTerms, draws: dict[str, np.ndarray], f: np.ndarray,
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


# ---- the simulation ---------------------------------------------------------------------------------------------
@dataclass
class Simulation:
    """Per-path results (arrays of length ``n``) and their summary. Money in millions, valuation-date PV."""

    n: int
    seed: int
    outcome: np.ndarray  # int8: phase failed (0-based) or J = approved
    asset: np.ndarray
    licensor: np.ndarray | None
    licensee: np.ndarray | None
    receipts: np.ndarray | None
    receipts_nominal: np.ndarray | None
    draws: dict[str, np.ndarray]  # kept only when asked for
    conditional: np.ndarray | None  # E[NPV | drawn inputs] per path (general engine only)
    conditional_parties: dict[str, np.ndarray]  # the same for licensor and licensee (general engine, deal)
    engine: str
    phase_names: list[str]
    deterministic_rnpv: float
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Flat ``mc.*`` keys (docs/cli.md)."""
        out: dict[str, Any] = {"mc.paths": self.n, "mc.seed": self.seed, "mc.engine": self.engine}
        out.update({f"mc.{k}": v for k, v in stats(self.asset).items()})
        out["mc.deterministic_rnpv"] = self.deterministic_rnpv
        out["mc.prob_approval"] = float(np.mean(self.outcome == len(self.phase_names))) if self.n else math.nan
        if self.conditional is not None:
            out["mc.mean_conditional"] = float(self.conditional.mean())
        for role in ("licensor", "licensee"):
            x = getattr(self, role)
            if x is not None:
                out.update({f"mc.{role}.{k}": v for k, v in stats(x).items()})
                out[f"mc.{role}.mean_conditional"] = float(self.conditional_parties[role].mean())
        if self.receipts is not None:
            out.update({f"mc.receipts.{k}": v for k, v in stats(self.receipts).items() if k != "prob_negative"})
            out["mc.receipts.nominal_mean"] = float(self.receipts_nominal.mean())
            for q in PERCENTILES:
                out[f"mc.receipts.nominal_p{q}"] = float(np.percentile(self.receipts_nominal, q))
        return out

    def convergence(self) -> list[dict[str, float]]:
        """Mean and standard error of the asset NPV over the first n paths, n = 1e3, 2e3, 5e3, 1e4, ..."""
        rows, n = [], 1000
        steps = []
        while n < self.n:
            steps.append(n)
            n = n * 5 // 2 if str(n)[0] == "2" else n * 2
        steps.append(self.n)
        for k in steps:
            x = self.asset[:k]
            rows.append({"paths": k, "mean": float(x.mean()),
                         "std_error": float(x.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan})
        return rows

    def outcomes(self) -> list[dict[str, Any]]:
        """Share of paths ending in each outcome."""
        names = [f"fails in {p}" for p in self.phase_names] + ["approved"]
        counts = np.bincount(self.outcome.astype(np.int64), minlength=len(names))
        return [{"outcome": n, "share": float(c) / self.n} for n, c in zip(names, counts)]

    def paths_frame(self):
        """One row per path: outcome, NPVs and the drawn inputs (pandas DataFrame)."""
        import pandas as pd

        d: dict[str, Any] = {"outcome": self.outcome, "npv": self.asset}
        for k in ("licensor", "licensee", "receipts", "receipts_nominal"):
            if getattr(self, k) is not None:
                d[f"npv_{k}" if k in ("licensor", "licensee") else k] = getattr(self, k)
        for k, v in self.draws.items():
            d[k.lstrip("_")] = v
        return pd.DataFrame(d)


def stats(x: np.ndarray) -> dict[str, float]:
    """mean, std_error = sd / sqrt(n), sd, percentiles P5/P10/P50/P90/P95 (linear interpolation), P(x < 0)."""
    n = x.size
    out = {"mean": float(x.mean()), "std_error": float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
           "sd": float(x.std(ddof=1)) if n > 1 else math.nan}
    qs = np.percentile(x, PERCENTILES)
    out.update({f"p{q}": float(v) for q, v in zip(PERCENTILES, qs)})
    out["prob_negative"] = float(np.mean(x < 0))
    return out


def simulate(sheet: TermSheet, n_paths: int = 100_000, seed: int = 0, chunk: int = DEFAULT_CHUNK,
             engine: str = "auto", keep_draws: bool = False,
             progress: Callable[[int], None] | None = None) -> Simulation:
    """Simulate ``n_paths`` paths of ``sheet`` (see the module docstring). ``chunk`` (paths computed at once) is
    rounded up to whole blocks of ``BLOCK`` paths and does not change the numbers. ``engine``: ``general`` (the
    vectorised engine on every path, with the conditional expectation), ``fast`` (asset only, timing inputs
    fixed; success-path lines only for approved paths) or ``auto`` (fast when it applies)."""
    if n_paths < 1:
        raise InputError(Problem("--paths", f"{n_paths} is not allowed; simulate at least one path"))
    if chunk < 1:
        raise InputError(Problem("--chunk", f"{chunk} is not allowed; must be >= 1"))
    if seed < 0:
        raise InputError(Problem("--seed", f"{seed} is not allowed; a seed is a non-negative integer"))
    setup = prepare(sheet)
    can_fast = sheet.deal is None and not setup.shape_drawn
    if engine == "auto":
        engine = "fast" if can_fast else "general"
    if engine == "fast" and not can_fast:
        raise InputError(Problem("engine", "the fast engine needs no [deal] and no drawn timing inputs"))
    blocks_per_chunk = max(1, -(-chunk // BLOCK))
    has_deal = sheet.deal is not None and engine == "general"
    outcome = np.empty(n_paths, dtype=np.int8)
    asset = np.empty(n_paths)
    cond = np.empty(n_paths) if engine == "general" else None
    party = {k: np.empty(n_paths) for k in ("licensor", "licensee", "receipts", "receipts_nominal")} if has_deal else {}
    cond_party = {k: np.empty(n_paths) for k in ("licensor", "licensee")} if has_deal else {}
    keep: dict[str, list] = {}
    fast = _fast_setup(setup) if engine == "fast" else None
    drawn = _drawn_columns(setup)
    drawn_names = {name for name, _ in drawn} | ({"tax_rate"} if any(u.path == "valuation.tax_rate"
                                                                     for u in setup.entries) else set())
    fast_terms = _fast_terms(setup, fast, drawn, drawn_names) if engine == "fast" else None
    n_blocks = -(-n_paths // BLOCK)
    for b0 in range(0, n_blocks, blocks_per_chunk):
        draws = draw_chunk(setup, seed, b0, min(n_blocks, b0 + blocks_per_chunk), n_paths)
        _check_drawn(setup, draws)
        lo = b0 * BLOCK
        S = draws["_u"].shape[0]
        hi = lo + S
        if engine == "fast":
            f = fast_outcome(setup, draws)
        else:
            probs = path_probabilities(setup, draws, S)
            f = realised_outcome(draws["_u"], probs)
        outcome[lo:hi] = f
        if engine == "fast":
            asset[lo:hi] = _fast_chunk(setup, fast, fast_terms, draws, f, drawn_names)
        else:
            arr = arrays_from_plan(setup.plan, S)
            apply_draws(setup, arr, draws)
            vals = outcome_values(setup, arr, probs)
            pick = np.arange(S), f.astype(np.intp)
            asset[lo:hi] = vals["asset"][pick]
            pf = outcome_probabilities(probs)
            cond[lo:hi] = (vals["asset"] * pf).sum(axis=1)
            for k in party:
                party[k][lo:hi] = vals[k][pick]
            for k in cond_party:
                cond_party[k][lo:hi] = (vals[k] * pf).sum(axis=1)
        if keep_draws:
            for k, v in draws.items():
                if k == "_u":
                    continue
                keep.setdefault(k, []).append(v)
        if progress is not None:
            progress(S)
    det = _deterministic_rnpv(setup)
    return Simulation(n_paths, seed, outcome, asset, party.get("licensor"), party.get("licensee"),
                      party.get("receipts"), party.get("receipts_nominal"),
                      {k: np.concatenate(v) for k, v in keep.items()}, cond, cond_party, engine,
                      [p.name for p in setup.plan.phases], det, list(setup.notes))


def _deterministic_rnpv(setup: Setup) -> float:
    return float(evaluate(arrays_from_plan(setup.plan, 1)).rnpv[0])


# ---- sensitivity: tornado, scenarios, two-way grid --------------------------------------------------------------
def base_value(sheet: TermSheet, path: str) -> float:
    """The value of a numeric input in ``sheet``: as given, or the default the engine resolves it to."""
    loc = parse_path(path)
    v = get_path(sheet.to_dict(), loc)
    if v is not None:
        return float(v)
    plan = resolve(sheet)
    if loc[0] == "phases":
        return float(getattr(plan.phases[loc[1]], loc[-1]))
    if loc[0] == "territories" and loc[-1] in _TERR_ARRAY:
        return float(getattr(plan.territories[loc[1]], loc[-1]))
    raise InputError(Problem(path, "has no value in this term sheet to vary; set it first"))


def swing_of(sheet: TermSheet, u: Uncertainty, pct: float = 0.20) -> tuple[float, float, str]:
    """Tornado swing (low, high, basis): ``swing``; else low/high where they are a swing; else the P10/P90 of
    the distribution; else the base value -/+ ``pct``."""
    if u.swing is not None:
        return float(u.swing[0]), float(u.swing[1]), "declared swing"
    if u.dist not in ("triangular", "pert", "uniform") and u.low is not None and u.high is not None:
        return float(u.low), float(u.high), "declared low/high"
    if u.dist is not None:
        m = Marginal.of(u)
        lo, hi = m.ppf(np.array([0.10, 0.90]))
        return float(lo), float(hi), f"P10/P90 of the {u.dist} distribution"
    b = base_value(sheet, u.path)
    return b * (1 - pct), b * (1 + pct), f"base -/+{pct:.0%}"


def _metrics(result) -> dict[str, float]:
    out = {"asset.rnpv": float(result.asset.summary["rnpv"]), "asset.loa": float(result.asset.summary["loa"])}
    if result.deal is not None:
        out["deal.licensor_npv"] = float(result.deal.summary["licensor_npv"])
        out["deal.licensee_npv"] = float(result.deal.summary["licensee_npv"])
    return out


def _value_with(sheet: TermSheet, changes: dict[str, Any], label: str) -> dict[str, float]:
    from .valuation import value

    try:
        return _metrics(value(sheet.replace(changes)))
    except InputError as exc:
        raise InputError([Problem(f"{label}: {p.path}" if p.path else label, p.message) for p in exc.problems]) from None


def tornado(sheet: TermSheet, pct: float = 0.20) -> list[dict[str, Any]]:
    """One-way swings of every ``[[uncertainty]]`` input, all else at base, ranked by |rNPV(high) - rNPV(low)|.

    Each row: path, basis, base, low, high, and for each metric (asset.rnpv, asset.loa, deal.* when a deal
    exists) its value at low and high. The posterior entry swings the class: P(approval | inactive) against
    P(approval | active), spread over the phases like the Bayesian update."""
    from .valuation import value

    base = _metrics(value(sheet))
    rows = []
    for i, u in enumerate(sheet.uncertainty):
        if u.dist == "posterior":
            lo_m, hi_m = _class_metrics(sheet)
            row = {"path": u.path, "basis": "inactive vs active class", "base": None, "low": "inactive",
                   "high": "active"}
        else:
            lo, hi, basis = swing_of(sheet, u, pct)
            lo_m = _value_with(sheet, {u.path: lo}, f"uncertainty[{i}] low")
            hi_m = _value_with(sheet, {u.path: hi}, f"uncertainty[{i}] high")
            row = {"path": u.path, "basis": basis, "base": base_value(sheet, u.path), "low": lo, "high": hi}
        for k in base:
            row[f"{k}_low"] = lo_m[k]
            row[f"{k}_high"] = hi_m[k]
        row["swing"] = abs(hi_m["asset.rnpv"] - lo_m["asset.rnpv"])
        rows.append(row)
    rows.sort(key=lambda r: -r["swing"])
    for k, r in enumerate(rows, start=1):
        r["rank"] = k
    return rows


def _class_metrics(sheet: TermSheet) -> tuple[dict[str, float], dict[str, float]]:
    """Metrics with the phase probabilities of the inactive and of the active class (deal: both parties)."""
    from .rnpv import value_plan
    from .valuation import _value_deal

    setup = prepare(sheet)
    out = []
    for probs in (setup.posterior.probs_inactive, setup.posterior.probs_active):
        plan = setup.plan.with_phases(list(probs), source="class of the posterior draw")
        v = value_plan(plan)
        m = {"asset.rnpv": float(v.summary["rnpv"]), "asset.loa": float(v.summary["loa"])}
        if sheet.deal is not None:
            d = _value_deal(sheet, plan, plan, plan, None)
            m["deal.licensor_npv"] = float(d.summary["licensor_npv"])
            m["deal.licensee_npv"] = float(d.summary["licensee_npv"])
        out.append(m)
    return out[0], out[1]


def scenarios(sheet: TermSheet) -> list[dict[str, Any]]:
    """The base case and each ``[[scenarios]]`` entry valued side by side (metrics as in :func:`tornado`)."""
    from .valuation import value

    rows = [{"name": "base", "set": {}, **_metrics(value(sheet))}]
    for i, sc in enumerate(sheet.scenarios):
        rows.append({"name": sc.name, "set": dict(sc.set), **_value_with(sheet, dict(sc.set), f"scenarios[{i}]")})
    return rows


def grid(sheet: TermSheet, x_path: str, x_values: list[float], y_path: str, y_values: list[float],
         metric: str = "asset.rnpv") -> dict[str, Any]:
    """A two-way grid: ``metric`` with ``x_path`` = x and ``y_path`` = y for every pair (rows y, columns x)."""
    table = [[_value_with(sheet, {x_path: x, y_path: y}, f"grid {x_path}={x:g}, {y_path}={y:g}")[metric]
              for x in x_values] for y in y_values]
    return {"metric": metric, "x_path": x_path, "x_values": list(x_values), "y_path": y_path,
            "y_values": list(y_values), "values": table}


# ---- plots (the `plot` extra; matplotlib is imported here only) -------------------------------------------------
def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plots need matplotlib: pip install 'iitvalue[plot]'") from None
    return plt


def plot_histogram(sim: Simulation, bins: int = 80, currency: str = ""):
    """Histogram of the realised asset NPV with the mean and P5/P10/P50/P90/P95 marked. Returns the figure."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.hist(sim.asset, bins=bins, color="#4c72b0", alpha=0.85)
    s = stats(sim.asset)
    for q in PERCENTILES:
        ax.axvline(s[f"p{q}"], color="#555555", lw=0.8, ls="--")
        ax.text(s[f"p{q}"], ax.get_ylim()[1] * 0.97, f"P{q}", rotation=90, va="top", ha="right", fontsize=8)
    ax.axvline(s["mean"], color="#c44e52", lw=1.5, label=f"mean {s['mean']:,.1f}")
    ax.set_xlabel(f"realised NPV ({currency} millions)".replace(" ()", "").replace("( ", "("))
    ax.set_ylabel("paths")
    ax.set_title(f"{sim.n:,} paths, P(NPV < 0) = {s['prob_negative']:.1%}")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_tornado(rows: list[dict[str, Any]], base: float, metric: str = "asset.rnpv"):
    """Tornado chart: one bar per input from its value at low to its value at high, largest swing on top."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    for k, r in enumerate(reversed(rows)):
        lo, hi = r[f"{metric}_low"], r[f"{metric}_high"]
        ax.barh(k, lo - base, left=base, color="#c44e52", alpha=0.8)
        ax.barh(k, hi - base, left=base, color="#55a868", alpha=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r['path']} [{r['low']}, {r['high']}]" if not isinstance(r["low"], float)
                        else f"{r['path']} [{r['low']:.4g}, {r['high']:.4g}]" for r in reversed(rows)], fontsize=8)
    ax.axvline(base, color="black", lw=1)
    ax.set_xlabel(f"{metric} (red: input at low, green: at high)")
    fig.tight_layout()
    return fig


def plot_cashflows(result):
    """Risk-adjusted cash flow by period (bars), split into risk-adjusted R&D and commercial cash flow."""
    plt = _pyplot()
    cf = result.cashflows
    fig, ax = plt.subplots(figsize=(9, 4.5))
    rd = -cf["rd_risked"].to_numpy()
    commercial = cf["fcf_risked"].to_numpy() - rd
    x = cf["year"].to_numpy()
    ax.bar(x, rd, color="#c44e52", label="risk-adjusted R&D")
    ax.bar(x, commercial, bottom=np.where(commercial >= 0, 0.0, rd), color="#4c72b0",
           label="risk-adjusted commercial (after tax)")
    ax.plot(x, cf["fcf_risked"], color="black", marker="o", ms=3, lw=1, label="risk-adjusted cash flow")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel(f"{result.sheet.valuation.currency} millions")
    ax.set_title(f"{result.sheet.asset.name}: rNPV {result.asset.summary['rnpv']:,.1f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
