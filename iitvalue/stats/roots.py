"""Bracketed root finding: Brent's method and bisection (scalar), and elementwise bisection.

Each keeps a bracket [lo, hi] with a sign change until it is narrower than the tolerance; each always
converges and needs no derivative. iitvalue uses it where
a root is bracketed by construction (break-even LOA, the licensee's IRR, quantiles of mixtures), so that the
valuation does not import scipy.optimize (about 0.4 s of start-up) for a handful of one-dimensional roots.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import NumericalError


def bisect(f: Callable[[float], float], lo: float, hi: float, xtol: float = 1e-12, rtol: float = 4e-16,
           maxiter: int = 2000) -> float:
    """A root of ``f`` in [lo, hi], where f(lo) and f(hi) differ in sign (or one is 0), by bisection: the
    midpoint of a bracket narrower than ``xtol + rtol |x|``. Raises :class:`~iitvalue.errors.NumericalError`
    when the ends do not bracket a root."""
    flo, fhi = f(lo), f(hi)
    if flo == 0.0:
        return float(lo)
    if fhi == 0.0:
        return float(hi)
    if np.sign(flo) == np.sign(fhi):
        raise NumericalError(f"no sign change on [{lo:g}, {hi:g}]: f = {flo:g} and {fhi:g}")
    for _ in range(maxiter):
        mid = 0.5 * (lo + hi)
        if hi - lo <= xtol + rtol * abs(mid) or mid in (lo, hi):
            return float(mid)
        fm = f(mid)
        if fm == 0.0:
            return float(mid)
        if np.sign(fm) == np.sign(flo):
            lo, flo = mid, fm
        else:
            hi = mid
    return float(0.5 * (lo + hi))


def brent(f: Callable[[float], float], lo: float, hi: float, xtol: float = 1e-12, maxiter: int = 200) -> float:
    """A root of ``f`` in [lo, hi] (a sign change) by Brent's method (Brent, *Algorithms for Minimization
    without Derivatives*, 1973, ch. 4; the zbrent form of Press et al., *Numerical Recipes*, 3rd ed., 9.3):
    inverse quadratic interpolation or the secant when they stay inside the bracket and shrink it fast enough,
    bisection otherwise, so it converges superlinearly on smooth functions and never worse than bisection.
    Returns x within ``xtol`` (plus 2 eps |x|) of a root; raises NumericalError without a bracket."""
    a, b = float(lo), float(hi)
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if np.sign(fa) == np.sign(fb):
        raise NumericalError(f"no sign change on [{lo:g}, {hi:g}]: f = {fa:g} and {fb:g}")
    c, fc = b, fb
    d = e = b - a
    eps = np.finfo(float).eps
    for _ in range(maxiter):
        if np.sign(fb) == np.sign(fc):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2.0 * eps * abs(b) + 0.5 * xtol
        m = 0.5 * (c - b)
        if abs(m) <= tol or fb == 0.0:
            return float(b)
        if abs(e) >= tol and abs(fa) > abs(fb):
            s_ = fb / fa
            if a == c:  # secant
                p_, q_ = 2.0 * m * s_, 1.0 - s_
            else:  # inverse quadratic interpolation
                q_, r_ = fa / fc, fb / fc
                p_ = s_ * (2.0 * m * q_ * (q_ - r_) - (b - a) * (r_ - 1.0))
                q_ = (q_ - 1.0) * (r_ - 1.0) * (s_ - 1.0)
            if p_ > 0:
                q_ = -q_
            p_ = abs(p_)
            if 2.0 * p_ < min(3.0 * m * q_ - abs(tol * q_), abs(e * q_)):
                e, d = d, p_ / q_
            else:
                d = e = m
        else:
            d = e = m
        a, fa = b, fb
        b += d if abs(d) > tol else (tol if m > 0 else -tol)
        fb = f(b)
    raise NumericalError(f"no convergence in {maxiter} iterations on [{lo:g}, {hi:g}]")


def bisect_increasing(g: Callable[[np.ndarray], np.ndarray], target: np.ndarray, lo: np.ndarray,
                      hi: np.ndarray, maxiter: int = 1100, xtol: float = 0.0) -> np.ndarray:
    """x with g(x) = target elementwise, for g non-decreasing and g(lo) <= target <= g(hi): every element
    bisected at once until its bracket is narrower than ``xtol`` or cannot be halved in floating point."""
    target = np.asarray(target, dtype=float)
    lo = np.array(np.broadcast_to(lo, target.shape), dtype=float)
    hi = np.array(np.broadcast_to(hi, target.shape), dtype=float)
    for _ in range(maxiter):
        mid = 0.5 * (lo + hi)
        open_ = (mid > lo) & (mid < hi) & (hi - lo > xtol)
        if not open_.any():
            break
        below = np.asarray(g(mid)) < target
        lo = np.where(open_ & below, mid, lo)
        hi = np.where(open_ & ~below, mid, hi)
    return 0.5 * (lo + hi)
