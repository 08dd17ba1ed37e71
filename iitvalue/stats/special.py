"""The special functions a valuation needs, in numpy: log-gamma and log-beta, the regularised incomplete beta
function and its inverse, the binomial upper tail, log-sum-exp.

Why not scipy.special: importing it costs 0.15-0.25 s, more than the whole valuation of a term sheet, and
``iitvalue value`` is meant to answer within a few times the start-up of numpy itself (issue 15). These are the
standard algorithms, vectorised, and the tests compare each with scipy.special to 1e-12 over the parameter
ranges the models use (tests/stats/test_special.py). The Monte Carlo, calibration and the distributions of
``[[uncertainty]]`` still use scipy (:func:`scipy_special`): their run time dwarfs the import.

* log Gamma: :func:`math.lgamma` elementwise (the C library's lgamma);
* I_x(a, b): the continued fraction of Numerical Recipes (Press et al., 3rd ed., 6.4, ``betacf``) evaluated by
  the modified Lentz method, on x < (a + 1)/(a + b + 2), and I_x(a, b) = 1 - I_{1-x}(b, a) above it;
* its inverse: Newton's method on I_x(a, b) - p from the initial guess of Numerical Recipes 6.4 (``invbetai``),
  kept inside a bisection bracket, to full precision;
* P(Y > k) for Y ~ Bin(n, p): I_p(k + 1, n - k) (Abramowitz & Stegun 26.5.24).
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

_EPS = np.finfo(float).eps
_TINY = 1e-300
_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def scipy_special() -> ModuleType:
    """The scipy.special module, imported on first use (for the Monte Carlo's normal scores and tables)."""
    from scipy import special

    return special


def gammaln(x) -> np.ndarray:
    """log |Gamma(x)| elementwise (x > 0 in every use here)."""
    return np.asarray(_lgamma(np.asarray(x, dtype=float)), dtype=float)


def betaln(a, b) -> np.ndarray:
    """log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def logsumexp(x, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log sum exp(x) along ``axis``, shifted by the maximum (-inf where every term is -inf)."""
    x = np.asarray(x, dtype=float)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def xlogy(x, y) -> np.ndarray:
    """x log y, with 0 where x = 0 (also at y = 0)."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def xlog1py(x, y) -> np.ndarray:
    """x log(1 + y), with 0 where x = 0."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log1p(y))


def expit(t) -> np.ndarray:
    """1 / (1 + exp(-t))."""
    t = np.asarray(t, dtype=float)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-t))


def logit(p) -> np.ndarray:
    """log(p / (1 - p))."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _betacf(a: np.ndarray, b: np.ndarray, x: np.ndarray, maxiter: int = 10_000) -> np.ndarray:
    """The continued fraction of I_x(a, b) (Numerical Recipes betacf, modified Lentz), elementwise."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < _TINY, _TINY, d)
    d = 1.0 / d
    h = d.copy()
    active = np.ones(x.shape, dtype=bool)
    for m in range(1, maxiter + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        h = np.where(active, h * d * c, h)
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = np.where(active, h * delta, h)
        active &= np.abs(delta - 1.0) > 2.0 * _EPS
        if not active.any():
            break
    return h


def betainc(a, b, x) -> np.ndarray:
    """The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0, x in [0, 1]."""
    a, b, x = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                  np.asarray(x, dtype=float))
    out = np.empty(x.shape)
    inner = (x > 0.0) & (x < 1.0)
    out[x <= 0.0] = 0.0
    out[x >= 1.0] = 1.0
    if inner.any():
        ai, bi, xi = a[inner], b[inner], x[inner]
        lower = xi < (ai + 1.0) / (ai + bi + 2.0)
        # evaluate the fraction where it converges fast: at (a, b, x) below the switch, (b, a, 1 - x) above
        aa, bb, xx = np.where(lower, ai, bi), np.where(lower, bi, ai), np.where(lower, xi, 1.0 - xi)
        front = np.exp(aa * np.log(xx) + bb * np.log1p(-xx) - betaln(aa, bb)) / aa
        val = front * _betacf(aa, bb, xx)
        out[inner] = np.where(lower, val, 1.0 - val)
    return out


def betaincc(a, b, x) -> np.ndarray:
    """1 - I_x(a, b) = I_{1-x}(b, a), accurate in the upper tail."""
    return betainc(b, a, 1.0 - np.asarray(x, dtype=float))


def betaincinv(a, b, p) -> np.ndarray:
    """x with I_x(a, b) = p: Newton's method from Numerical Recipes' initial guess, inside a bisection bracket,
    to full precision; 0 at p = 0 and 1 at p = 1."""
    a, b, p = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                  np.asarray(p, dtype=float))
    out = np.where(p <= 0.0, 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    if not inner.any():
        return out
    a, b, p = a[inner], b[inner], p[inner]
    x = _initial_guess(a, b, p)
    lo, hi = np.zeros_like(x), np.ones_like(x)
    lbeta = betaln(a, b)
    for _ in range(200):
        f = betainc(a, b, x) - p
        lo = np.where(f < 0, x, lo)
        hi = np.where(f > 0, x, hi)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            dens = np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - lbeta)
            step = f / dens
        new = x - step
        bad = ~np.isfinite(new) | (new <= lo) | (new >= hi)
        new = np.where(bad, 0.5 * (lo + hi), new)
        done = (np.abs(new - x) <= 4.0 * _EPS * np.maximum(np.abs(x), _TINY)) | (f == 0) | (hi - lo <= 4 * _EPS * hi)
        x = new
        if done.all():
            break
    out[inner] = x
    return out


def _initial_guess(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Numerical Recipes 6.4 (invbetai): a normal approximation for a, b >= 1, else a power-law tail."""
    x = np.empty_like(p)
    big = (a >= 1.0) & (b >= 1.0)
    if big.any():
        aa, bb, pp = a[big], b[big], p[big]
        pt = np.where(pp < 0.5, pp, 1.0 - pp)
        t = np.sqrt(-2.0 * np.log(pt))
        z = (2.30753 + t * 0.27061) / (1.0 + t * (0.99229 + t * 0.04481)) - t
        z = np.where(pp < 0.5, z, -z)
        al = (z * z - 3.0) / 6.0
        h = 2.0 / (1.0 / (2.0 * aa - 1.0) + 1.0 / (2.0 * bb - 1.0))
        w = z * np.sqrt(al + h) / h - (1.0 / (2.0 * bb - 1.0) - 1.0 / (2.0 * aa - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h))
        x[big] = aa / (aa + bb * np.exp(2.0 * w))
    small = ~big
    if small.any():
        aa, bb, pp = a[small], b[small], p[small]
        lna, lnb = np.log(aa / (aa + bb)), np.log(bb / (aa + bb))
        t = np.exp(aa * lna) / aa
        u = np.exp(bb * lnb) / bb
        w = t + u
        x[small] = np.where(pp < t / w, (aa * w * pp) ** (1.0 / aa), 1.0 - (bb * w * (1.0 - pp)) ** (1.0 / bb))
    return np.clip(x, 1e-300, 1.0 - 1e-16)


def bdtrc(k, n, p) -> np.ndarray:
    """P(Y > k) for Y ~ Binomial(n, p): I_p(k + 1, n - k) for 0 <= k < n, 1 for k < 0, 0 for k >= n."""
    k, n, p = np.broadcast_arrays(np.floor(np.asarray(k, dtype=float)), np.asarray(n, dtype=float),
                                  np.asarray(p, dtype=float))
    out = np.where(k < 0, 1.0, 0.0)
    mid = (k >= 0) & (k < n)
    if mid.any():
        out[mid] = betainc(k[mid] + 1.0, n[mid] - k[mid], p[mid])
    return out
