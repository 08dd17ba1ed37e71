"""Drawing the uncertain inputs of a simulation: blocks of paths with their own generators, the copula, the
transforms into each input, and writing the draws into the engine's arrays (docs/montecarlo.md).

Reproducibility: paths are cut into blocks of ``BLOCK`` paths; block b draws from its own generator,
``numpy.random.SeedSequence(seed, spawn_key=(b,))`` (the b-th child of ``SeedSequence(seed).spawn``), so the
numbers do not depend on the chunk size used for computing (a chunk is a whole number of blocks).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..model.plan import ramp_rows
from ..model.pos import posterior_class_rows, spread_rows, transport_rows
from ..stats.distributions import table_at, table_index
from ..termsheet import describe_bounds, numeric_field
from ..termsheet.paths import parse_path
from .setup import TERR_ARRAY, Setup

BLOCK = 4096  # paths per random block; part of the seed scheme (changing it changes the numbers)
DEFAULT_CHUNK = 16 * BLOCK  # paths computed at once by the fast engine
GENERAL_CHUNK = BLOCK  # ... and by the general engine (measured fastest: benchmarks/README.md)
TILE = 16384  # paths transformed (and approved paths taxed) together: vectors of 128 kB, a few fit in L2


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
    ``a`` and the phase uniforms ``u``, in tiles of ``TILE`` paths (their temporaries stay in cache). The
    copula's factor is applied as explicit sums of products in a fixed order (no BLAS): every operation is
    elementwise, so a path's numbers do not depend on how many paths are transformed together."""
    size = zt.shape[1]
    out: dict[str, np.ndarray] = {e.path: np.empty(size) for e in setup.entries}
    if a is not None:
        out["_orr"], out["_active"] = np.empty(size), np.empty(size, dtype=bool)
    cols = list(setup.correlated) + ([len(setup.entries)] if setup.posterior_in_copula else [])
    for t0 in range(0, size, TILE):
        t1 = min(size, t0 + TILE)
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
            i, t = table_index(z[-1])
            table_at(po.quantile, i, t, out=out["_orr"][t0:t1])
            np.less(a[t0:t1], table_at(po.p_active, i, t, out=t), out=out["_active"][t0:t1])
    out["_u"] = u
    return out


@lru_cache(maxsize=256)
def _field_bounds(path: str) -> tuple[float, bool, float, bool]:
    return numeric_field(path)[1]


def check_drawn(setup: Setup, draws: dict[str, np.ndarray]) -> None:
    """Draws outside what a field allows (normal or lognormal tails) are an error, not silently clipped."""
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
    qa, qi = upd.approval_rows(prior)  # e_c R of each path's drawn phases (docs/method.md 2.4)
    loa = prior.prod(axis=1)
    pi = (loa - qi) / (qa - qi)
    if np.any((pi < 0) | (pi > 1)):
        bad = (pi < 0) | (pi > 1)
        raise InputError(Problem("uncertainty", f"drawn phase probabilities give a prior LOA outside "
                                 f"[P(approval | inactive), P(approval | active)] (first: [{qi[bad][0]:g}, "
                                 f"{qa[bad][0]:g}]) on {int(bad.sum())} paths; narrow their distributions"))
    post = posterior_class_rows(pi, upd.log_bf_orr + upd.log_bf_cr)
    target = post * qa + (1 - post) * qi
    out = spread_rows(prior, setup.kinds, target)
    if setup.transport is not None:
        out, _ = transport_rows(out, np.zeros_like(out), setup.kinds, setup.transport[0], 0.0)
    return out[:, :J]


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
                getattr(arr, TERR_ARRAY[name])[:, m] = x
        elif sec == "costs":
            for m, t in enumerate(terr):
                if getattr(t, name) is None:
                    getattr(arr, TERR_ARRAY[name])[:, m] = x
    for m, parts in own.items():
        t = terr[m]
        pat = parts.get("patients", t.patients)
        share = parts.get("treated_share", t.treated_share)
        price = parts.get("net_price", t.net_price)
        arr.peak[:, m] = pat * share * price
        if "net_price" in parts:
            arr.net_price[:, m] = price
