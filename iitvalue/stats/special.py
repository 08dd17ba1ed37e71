"""The special functions of the Bayesian update and its summaries, with scipy.special imported only when needed.

Importing scipy.special costs 0.15-0.25 s, more than a valuation. The update itself needs only log-gamma,
log-beta and log-sum-exp, computed here in numpy (log-gamma by the C library's lgamma, :func:`math.lgamma`), so
term sheets without readouts, validation and the update's Bayes factor import no scipy. The posterior intervals
need the regularised incomplete beta function and its inverse: these come from scipy.special (fast compiled
code, imported on first use). tests/stats/test_special.py compares the numpy functions with scipy.special.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

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


def betainc(a, b, x) -> np.ndarray:
    """The regularised incomplete beta function I_x(a, b) (scipy.special.betainc)."""
    return scipy_special().betainc(a, b, x)


def betaincc(a, b, x) -> np.ndarray:
    """1 - I_x(a, b), accurate in the upper tail (scipy.special.betaincc)."""
    return scipy_special().betaincc(a, b, x)


def betaincinv(a, b, p) -> np.ndarray:
    """x with I_x(a, b) = p (scipy.special.betaincinv)."""
    return scipy_special().betaincinv(a, b, p)


def bdtrc(k, n, p) -> np.ndarray:
    """P(Y > k) for Y ~ Binomial(n, p): I_p(k + 1, n - k) for 0 <= k < n, 1 for k < 0, 0 for k >= n
    (Abramowitz & Stegun 26.5.24)."""
    k, n, p = np.broadcast_arrays(np.floor(np.asarray(k, dtype=float)), np.asarray(n, dtype=float),
                                  np.asarray(p, dtype=float))
    out = np.where(k < 0, 1.0, 0.0)
    mid = (k >= 0) & (k < n)
    if mid.any():
        out[mid] = betainc(k[mid] + 1.0, n[mid] - k[mid], p[mid])
    return out
