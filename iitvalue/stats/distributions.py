"""Distributions of ``[[uncertainty]]`` inputs: one class per kind, registered in :data:`DISTRIBUTIONS`.

Each class names its parameters (required and optional), checks them against the bounds of the field it is put
on, and gives its closed-form moments, its quantile function, the copula transform x = F^-1(Phi(z)) from a
normal score, and independent draws. Parametrisations (docs/montecarlo.md): normal and lognormal by the mean and
sd of the variable itself; triangular and PERT by low, mode, high (PERT: Malcolm et al. 1959, Vose 2008);
uniform by low, high; discrete by values and weights; beta by a, b or by its mean and prior sample size n.

Adding a distribution means adding one class here (and its row in docs/montecarlo.md). The ``posterior`` kind
of ``pos.orr`` is not a distribution of a field: the Monte Carlo draws it from the Bayesian update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from .special import scipy_special

Bounds = tuple[float, bool, float, bool]


def _within(x: float, bounds: Bounds) -> bool:
    lo, lo_in, hi, hi_in = bounds
    return (x >= lo if lo_in else x > lo) and (x <= hi if hi_in else x < hi)


@dataclass(frozen=True)
class Distribution:
    """Base class; ``p`` holds the parameters (and derived constants) of one declared distribution."""

    p: dict[str, Any]

    name: ClassVar[str]
    required: ClassVar[frozenset[str]] = frozenset()
    optional: ClassVar[frozenset[str]] = frozenset({"low", "high"})  # low/high: a tornado swing where not listed
    bounded: ClassVar[bool] = False  # low/high are the support (not a tornado swing)

    @classmethod
    def check(cls, u: Any, bounds: Bounds, limits: str) -> list[tuple[str, str]]:
        """(parameter, message) pairs for what is wrong with entry ``u`` on a field with ``bounds``."""
        return []

    @classmethod
    def of(cls, u: Any) -> "Distribution":
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def var(self) -> float:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at probabilities ``u`` in (0, 1)."""
        raise NotImplementedError

    def from_normal(self, z: np.ndarray) -> np.ndarray:
        """The copula transform x = F^-1(Phi(z))."""
        return self.ppf(scipy_special().ndtr(np.asarray(z, dtype=float)))

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Independent draws (a convenience; the simulation uses :meth:`from_normal`)."""
        return self.ppf(rng.random(size))


DISTRIBUTIONS: dict[str, type[Distribution]] = {}


def register(cls: type[Distribution]) -> type[Distribution]:
    DISTRIBUTIONS[cls.name] = cls
    return cls


def distribution(u: Any) -> Distribution:
    """The distribution declared by ``[[uncertainty]]`` entry ``u`` (its ``dist`` must be registered)."""
    return DISTRIBUTIONS[u.dist].of(u)


def parameters(dist: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(required, optional) parameters of ``dist``; an entry without ``dist`` takes a low/high tornado swing."""
    if dist is None:
        return frozenset(), frozenset({"low", "high"})
    cls = DISTRIBUTIONS.get(dist)
    return (cls.required, cls.optional) if cls is not None else (frozenset(), frozenset())


def _check_range(u: Any, bounds: Bounds, limits: str) -> list[tuple[str, str]]:
    if u.low is None or u.high is None:
        return []
    if u.low >= u.high:
        return [("low", f"low {u.low:g} must be below high {u.high:g}")]
    if u.mode is not None and not u.low <= u.mode <= u.high:
        return [("mode", f"{u.mode:g} lies outside [low, high] = [{u.low:g}, {u.high:g}]")]
    if not _within(u.low, bounds) or not _within(u.high, bounds):
        return [("low", f"the range [{u.low:g}, {u.high:g}] leaves what {u.path} allows ({limits})")]
    return []


def _finite(u: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(n, f"{getattr(u, n)} is not allowed; must be a finite number") for n in names
            if getattr(u, n) is not None and not math.isfinite(getattr(u, n))]


def _check_mean_sd(u: Any, bounds: Bounds, limits: str, positive: bool) -> list[tuple[str, str]]:
    """Normal and lognormal: finite mean and sd >= 0, the mean allowed for the field (and > 0 for a lognormal)."""
    out = _finite(u, ("mean", "sd"))
    if u.sd is not None and u.sd < 0:
        out.append(("sd", f"{u.sd:g} is not allowed; a standard deviation must be >= 0"))
    if out or u.mean is None:
        return out
    if positive and u.mean <= 0:
        out.append(("mean", f"{u.mean:g} is not allowed; a lognormal variable has a mean > 0"))
    elif not _within(u.mean, bounds):
        out.append(("mean", f"{u.mean:g} lies outside what {u.path} allows ({limits})"))
    return out


@register
class Normal(Distribution):
    name, required = "normal", frozenset({"mean", "sd"})

    @classmethod
    def check(cls, u, bounds, limits):
        return _check_mean_sd(u, bounds, limits, positive=False)

    @classmethod
    def of(cls, u):
        return cls({"mean": u.mean, "sd": u.sd})

    def mean(self):
        return self.p["mean"]

    def var(self):
        return self.p["sd"] ** 2

    def ppf(self, u):
        return self.p["mean"] + self.p["sd"] * scipy_special().ndtri(np.asarray(u, dtype=float))

    def from_normal(self, z):
        x = np.multiply(z, self.p["sd"])
        x += self.p["mean"]
        return x

    def sample(self, size, rng):
        return rng.normal(self.p["mean"], self.p["sd"], size)


@register
class LogNormal(Distribution):
    """Mean m and sd s of the variable itself: sigma^2 = ln(1 + s^2 / m^2), mu = ln m - sigma^2 / 2."""

    name, required = "lognormal", frozenset({"mean", "sd"})

    @classmethod
    def check(cls, u, bounds, limits):
        return _check_mean_sd(u, bounds, limits, positive=True)

    @classmethod
    def of(cls, u):
        s2 = math.log1p((u.sd / u.mean) ** 2)
        return cls({"mean": u.mean, "sd": u.sd, "mu": math.log(u.mean) - s2 / 2, "sigma": math.sqrt(s2)})

    def mean(self):
        return self.p["mean"]

    def var(self):
        return self.p["sd"] ** 2

    def ppf(self, u):
        return np.exp(self.p["mu"] + self.p["sigma"] * scipy_special().ndtri(np.asarray(u, dtype=float)))

    def from_normal(self, z):
        x = np.multiply(z, self.p["sigma"])
        x += self.p["mu"]
        return np.exp(x, out=x)

    def sample(self, size, rng):
        return rng.lognormal(self.p["mu"], self.p["sigma"], size)


@register
class Triangular(Distribution):
    name, required, optional, bounded = "triangular", frozenset({"low", "mode", "high"}), frozenset(), True

    @classmethod
    def check(cls, u, bounds, limits):
        return _finite(u, ("low", "mode", "high")) or _check_range(u, bounds, limits)

    @classmethod
    def of(cls, u):
        return cls({"low": u.low, "mode": u.mode, "high": u.high})

    def mean(self):
        return (self.p["low"] + self.p["mode"] + self.p["high"]) / 3

    def var(self):
        a, c, b = self.p["low"], self.p["mode"], self.p["high"]
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def ppf(self, u):
        a, c, b = self.p["low"], self.p["mode"], self.p["high"]
        u = np.asarray(u, dtype=float)
        fc = (c - a) / (b - a)
        return np.where(u < fc, a + np.sqrt(u * (b - a) * (c - a)), b - np.sqrt((1 - u) * (b - a) * (b - c)))

    def from_normal(self, z):
        return _triangular_from_u(scipy_special().ndtr(z), self.p["low"], self.p["mode"], self.p["high"])

    def sample(self, size, rng):
        return rng.triangular(self.p["low"], self.p["mode"], self.p["high"], size)


@register
class Pert(Distribution):
    """low + (high - low) Beta(1 + 4 (c - a)/(b - a), 1 + 4 (b - c)/(b - a)) (Malcolm et al. 1959; Vose)."""

    name, required, optional, bounded = "pert", frozenset({"low", "mode", "high"}), frozenset(), True

    @classmethod
    def check(cls, u, bounds, limits):
        return Triangular.check(u, bounds, limits)

    @classmethod
    def of(cls, u):
        w = u.high - u.low
        return cls({"low": u.low, "mode": u.mode, "high": u.high, "alpha": 1 + 4 * (u.mode - u.low) / w,
                    "beta": 1 + 4 * (u.high - u.mode) / w})

    def mean(self):
        return (self.p["low"] + 4 * self.p["mode"] + self.p["high"]) / 6

    def var(self):
        al, be, w = self.p["alpha"], self.p["beta"], self.p["high"] - self.p["low"]
        return w * w * al * be / ((al + be) ** 2 * (al + be + 1))

    def ppf(self, u):
        return self.p["low"] + (self.p["high"] - self.p["low"]) * beta_ppf(self.p["alpha"], self.p["beta"], u)

    def from_normal(self, z):
        # the table of the PERT variable itself: one lookup, no rescaling per draw
        table = self.p["low"] + (self.p["high"] - self.p["low"]) * beta_table(float(self.p["alpha"]), float(self.p["beta"]))
        return table_lookup(z, table)

    def sample(self, size, rng):
        return self.p["low"] + (self.p["high"] - self.p["low"]) * rng.beta(self.p["alpha"], self.p["beta"], size)


@register
class Uniform(Distribution):
    name, required, optional, bounded = "uniform", frozenset({"low", "high"}), frozenset(), True

    @classmethod
    def check(cls, u, bounds, limits):
        return _finite(u, ("low", "high")) or _check_range(u, bounds, limits)

    @classmethod
    def of(cls, u):
        return cls({"low": u.low, "high": u.high})

    def mean(self):
        return (self.p["low"] + self.p["high"]) / 2

    def var(self):
        return (self.p["high"] - self.p["low"]) ** 2 / 12

    def ppf(self, u):
        return self.p["low"] + (self.p["high"] - self.p["low"]) * np.asarray(u, dtype=float)

    def sample(self, size, rng):
        return rng.uniform(self.p["low"], self.p["high"], size)


@register
class Discrete(Distribution):
    name, required, optional = "discrete", frozenset({"values"}), frozenset({"weights", "low", "high"})

    @classmethod
    def check(cls, u, bounds, limits):
        out = []
        if u.values is not None:
            if not u.values:
                out.append(("values", "needs at least one value"))
            elif any(not math.isfinite(v) or not _within(v, bounds) for v in u.values):
                out.append(("values", f"every value must be finite and allowed for {u.path} ({limits})"))
            w = u.weights
            if w is not None and (len(w) != len(u.values) or any(not math.isfinite(x) or x < 0 for x in w)
                                  or abs(sum(w) - 1.0) > 1e-9):
                out.append(("weights", f"needs {len(u.values)} weights >= 0 summing to 1"))
        return out

    @classmethod
    def of(cls, u):
        vals = np.asarray(u.values, dtype=float)
        w = np.asarray(u.weights, dtype=float) if u.weights is not None else np.full(len(vals), 1 / len(vals))
        order = np.argsort(vals, kind="stable")
        return cls({"values": vals[order], "weights": w[order], "cum": np.cumsum(w[order])})

    def mean(self):
        return float(self.p["values"] @ self.p["weights"])

    def var(self):
        return float(((self.p["values"] - self.mean()) ** 2) @ self.p["weights"])

    def ppf(self, u):
        idx = np.minimum(np.searchsorted(self.p["cum"], u, side="right"), len(self.p["values"]) - 1)
        return self.p["values"][idx]


@register
class Beta(Distribution):
    name, optional = "beta", frozenset({"a", "b", "mean", "n", "low", "high"})

    @classmethod
    def check(cls, u, bounds, limits):
        out = []
        by_ab, by_mean = (u.a is not None or u.b is not None), (u.mean is not None or u.n is not None)
        if by_ab == by_mean:
            out.append(("dist", "a beta distribution takes either a and b, or mean and n"))
        elif by_ab:
            for name in ("a", "b"):
                v = getattr(u, name)
                if v is None or not math.isfinite(v) or v <= 0:
                    out.append((name, f"{v} is not allowed; beta parameters must be finite and > 0"))
        else:
            if u.mean is None or not 0 < u.mean < 1:
                out.append(("mean", f"{u.mean} is not allowed; the mean of a beta lies in (0, 1)"))
            if u.n is None or not math.isfinite(u.n) or u.n <= 0:
                out.append(("n", f"{u.n} is not allowed; the prior sample size n must be finite and > 0"))
        if not _within(1e-12, bounds) or not _within(1.0 - 1e-12, bounds):
            out.append(("dist", f"a beta lies in (0, 1), which {u.path} does not allow ({limits})"))
        return out

    @classmethod
    def of(cls, u):
        a, b = (u.a, u.b) if u.a is not None else (u.mean * u.n, (1 - u.mean) * u.n)
        return cls({"a": a, "b": b})

    def mean(self):
        return self.p["a"] / (self.p["a"] + self.p["b"])

    def var(self):
        a, b = self.p["a"], self.p["b"]
        return a * b / ((a + b) ** 2 * (a + b + 1))

    def ppf(self, u):
        return beta_ppf(self.p["a"], self.p["b"], u)

    def from_normal(self, z):
        return table_lookup(z, beta_table(float(self.p["a"]), float(self.p["b"])))

    def sample(self, size, rng):
        return rng.beta(self.p["a"], self.p["b"], size)


# ---- numerical helpers ----------------------------------------------------------------------------------------
def _triangular_from_u(u: np.ndarray, a: float, c: float, b: float) -> np.ndarray:
    """The triangular quantile computed on ``u`` (overwritten): a + sqrt(u (b - a)(c - a)) below
    F(c) = (c - a)/(b - a), b - sqrt((1 - u)(b - a)(b - c)) above. The branch is selected by multiplying with
    h = 1[u >= F(c)] and 1 - h (exact: x 1 + y 0 = x), several times faster than a masked copy."""
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


def beta_ppf(a: float, b: float, u: np.ndarray) -> np.ndarray:
    """Beta quantile, accurate in both tails: betaincinv(a, b, u) below the median, 1 - betaincinv(b, a, 1 - u)
    above it (1 - u loses no digits there, while u close to 1 would)."""
    u = np.asarray(u, dtype=float)
    lo = scipy_special().betaincinv(a, b, np.minimum(u, 0.5))
    hi = 1.0 - scipy_special().betaincinv(b, a, np.minimum(1.0 - u, 0.5))
    return np.where(u <= 0.5, lo, hi)


Z_GRID = np.linspace(-9.0, 9.0, 8193)  # normal scores of the quantile tables (P(|z| > 9) < 1e-18)


@lru_cache(maxsize=64)
def beta_table(a: float, b: float) -> np.ndarray:
    """Beta quantile at Phi(z) for z on ``Z_GRID`` (each tail computed where it keeps its digits); linear
    interpolation in it errs by less than 1e-6 of the range (tested)."""
    zg, sc = Z_GRID, scipy_special()
    low = zg <= 0  # each tail's inverse only where it is used
    out = np.empty_like(zg)
    out[low] = sc.betaincinv(a, b, sc.ndtr(zg[low]))
    out[~low] = 1.0 - sc.betaincinv(b, a, sc.ndtr(-zg[~low]))
    return out


_Z_SCALE = (Z_GRID.size - 1) / (Z_GRID[-1] - Z_GRID[0])  # cells per unit of z
_Z_SHIFT = -Z_GRID[0] * _Z_SCALE


def table_index(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell index and position within it of z on the uniform ``Z_GRID`` (z beyond the grid: its ends). The last
    grid point is its own cell (index n - 1, position 0), so a lookup needs no clamp of the index."""
    t = np.multiply(z, _Z_SCALE, dtype=float)
    t += _Z_SHIFT
    np.clip(t, 0.0, Z_GRID.size - 1.0, out=t)
    i = t.astype(np.intp)
    t -= i
    return i, t


def table_at(table: np.ndarray, i: np.ndarray, t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
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


def table_lookup(z: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation of a table on ``Z_GRID``: np.interp(z, Z_GRID, table) without its binary search."""
    return table_at(table, *table_index(z))

