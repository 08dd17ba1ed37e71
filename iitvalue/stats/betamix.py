"""Mixtures of beta distributions for a binomial response rate.

Modelled on the R package RBesT (``mixbeta``, ``postmix``, ``robustify``,
``ess``, ``decision1S``, ``pos1S``, ``oc1S``).  A prior for a response rate
``p`` is ``f(p) = sum_k w_k Beta(p; a_k, b_k)``; it is conjugate to the
(possibly tempered) binomial likelihood.

References: Schmidli et al., Biometrics 2014;70:1023 (robust priors); Morita,
Thall & Mueller, Biometrics 2008;64:595 and Neuenschwander et al., Biometrics
2020;76:578 (ESS); Ibrahim & Chen, Stat Sci 2000;15:46 (power prior);
O'Hagan, Stevens & Campbell, Pharm Stat 2005;4:187 (assurance).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .roots import bisect_increasing
from . import special as sp

__all__ = ["BetaMix", "Decision1S", "bayes_factor", "pos1s", "oc1s"]

_LOGIT_GRID = np.linspace(-30.0, 30.0, 6001)  # mode search grid on logit(p)



def beta_logpdf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log Beta(x; a, b) = (a - 1) log x + (b - 1) log(1 - x) - log B(a, b), -inf off [0, 1] (scipy.stats'
    beta.logpdf, computed from scipy.special without importing scipy.stats)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = sp.xlogy(a - 1.0, x) + sp.xlog1py(b - 1.0, -x) - sp.betaln(a, b)
    return np.where((x >= 0.0) & (x <= 1.0), out, -np.inf)


def _as_vector(name: str, x: ArrayLike) -> np.ndarray:
    arr = np.array(x, dtype=np.float64)  # always a private copy
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one component")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr}")
    return arr


def _scalar_or_array(x: np.ndarray):
    return x[()] if x.ndim == 0 else x


def _check_data(r: ArrayLike, n: ArrayLike, weight: float) -> tuple[np.ndarray, np.ndarray, float]:
    r_arr = np.asarray(r, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    if not (np.all(np.isfinite(r_arr)) and np.all(np.isfinite(n_arr))):
        raise ValueError(f"r and n must be finite, got r={r}, n={n}")
    if np.any(n_arr < 0):
        raise ValueError(f"n must be >= 0, got n={n}")
    if np.any((r_arr < 0) | (r_arr > n_arr)):
        raise ValueError(f"responders must satisfy 0 <= r <= n, got r={r}, n={n}")
    w = float(weight)
    if not 0.0 < w <= 1.0:
        raise ValueError(f"power-prior weight must lie in (0, 1], got {weight}")
    return r_arr, n_arr, w


def _check_count(name: str, n: int) -> int:
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    return int(n)


def _check_open01(name: str, x: float) -> float:
    x = float(x)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie in (0, 1), got {x}")
    return x


@dataclass(frozen=True, eq=False)
class BetaMix:
    """Mixture ``f(p) = sum_k w_k Beta(p; a_k, b_k)`` (RBesT ``mixbeta``).

    Weights are normalised to sum to one; all arrays are float64 copies and
    read-only.  Equality is identity (arrays make field-wise ``==`` ambiguous).
    Formulas in docs/method.md section 2.1.

    Raises
    ------
    ValueError
        Shapes differ, a or b not positive, or weights negative or all zero.

    Examples
    --------
    A uniform prior updated with the Lancet readout of ``examples/esobiotec.toml`` (4 responders of 4), and the
    active-class ORR prior of its class model tempered by the IIT weight 0.5:

    >>> prior = BetaMix.of((1.0, 1.0, 1.0))
    >>> post = prior.posterior(4, 4)
    >>> post.a.tolist(), post.b.tolist(), round(post.mean(), 3), [round(x, 3) for x in post.interval(0.95)]
    ([5.0], [1.0], 0.833, [0.478, 0.995])
    >>> import iitvalue
    >>> active = iitvalue.value("examples/esobiotec.toml").pos.update.model.orr_active
    >>> active.n_components, round(active.mean(), 3), round(active.ess("moment"), 1)
    (4, 0.878, 7.0)
    >>> round(active.posterior(4, 4, weight=0.5).mean(), 3), active.robustify(0.2).n_components
    (0.906, 5)
    """

    weights: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        w = _as_vector("weights", self.weights)
        a = _as_vector("a", self.a)
        b = _as_vector("b", self.b)
        if not w.shape == a.shape == b.shape:
            raise ValueError(
                f"weights, a and b must have the same shape, got {w.shape}, {a.shape}, {b.shape}"
            )
        if np.any(a <= 0):
            raise ValueError(f"beta parameters a must be > 0, got a={a}")
        if np.any(b <= 0):
            raise ValueError(f"beta parameters b must be > 0, got b={b}")
        if np.any(w < 0):
            raise ValueError(f"weights must be non-negative, got {w}")
        if w.sum() <= 0:
            raise ValueError("weights must not all be zero")
        w = w / w.sum()
        for name, arr in (("weights", w), ("a", a), ("b", b)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    # ----------------------------------------------------------- constructors
    @classmethod
    def of(cls, *components: tuple[float, float, float]) -> BetaMix:
        """Build from ``(weight, a, b)`` triples, e.g. ``BetaMix.of((0.5, 1, 1), (0.5, 9, 1))``."""
        if not components:
            raise ValueError("at least one (weight, a, b) component is required")
        arr = np.array(components, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError("each component must be a (weight, a, b) triple")
        return cls(arr[:, 0], arr[:, 1], arr[:, 2])

    @classmethod
    def from_mean_n(cls, mean: float, n: float, weight: float = 1.0) -> BetaMix:
        """Single ``Beta(a, b)`` with ``a = mean n``, ``b = (1 - mean) n``."""
        return cls.from_components([weight], [mean], [n])

    @classmethod
    def from_components(cls, weights: ArrayLike, means: ArrayLike, ns: ArrayLike) -> BetaMix:
        """Components with ``a_k = m_k n_k`` and ``b_k = (1 - m_k) n_k`` (RBesT ``param="mn"``)."""
        m = _as_vector("means", means)
        n = _as_vector("ns", ns)
        if m.shape != n.shape:
            raise ValueError(f"means and ns must have the same shape, got {m.shape}, {n.shape}")
        if np.any((m <= 0) | (m >= 1)):
            raise ValueError(f"means must lie in (0, 1), got {m}")
        if np.any(n <= 0):
            raise ValueError(f"ns must be > 0, got {n}")
        return cls(weights, m * n, (1.0 - m) * n)

    # -------------------------------------------------------------- summaries
    @property
    def n_components(self) -> int:
        return int(self.weights.size)

    def mean(self) -> float:
        """``E[p] = sum_k w_k a_k / (a_k + b_k)``."""
        return float(np.sum(self.weights * self.a / (self.a + self.b)))

    def var(self) -> float:
        """``Var[p] = sum_k w_k a_k (a_k + 1) / ((a_k + b_k)(a_k + b_k + 1)) - E[p]^2``."""
        s = self.a + self.b
        m2 = np.sum(self.weights * self.a * (self.a + 1.0) / (s * (s + 1.0)))
        return float(max(m2 - self.mean() ** 2, 0.0))

    # ---------------------------------------------------------- distribution
    def _log_weights(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.weights)

    def logpdf(self, x: ArrayLike):
        """``log f(x) = logsumexp_k(log w_k + log Beta(x; a_k, b_k))``; ``-inf`` off [0, 1]."""
        x = np.asarray(x, dtype=np.float64)
        comp = self._log_weights() + beta_logpdf(x[..., None], self.a, self.b)
        return _scalar_or_array(sp.logsumexp(comp, axis=-1))

    def pdf(self, x: ArrayLike):
        """``f(x) = sum_k w_k Beta(x; a_k, b_k)``."""
        return np.exp(self.logpdf(x))

    def cdf(self, x: ArrayLike):
        """``F(x) = sum_k w_k I_x(a_k, b_k)`` (regularised incomplete beta). I_x is 0 at x <= 0 and 1 at x >= 1
        exactly, so only the points inside (0, 1) are passed to it (the CR-rate interval asks for many at 1)."""
        x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
        comp = np.empty(x.shape + self.a.shape)
        at0, at1 = x <= 0.0, x >= 1.0
        comp[at0], comp[at1] = 0.0, 1.0
        inner = ~(at0 | at1)  # and nan
        comp[inner] = sp.betainc(self.a, self.b, x[inner][:, None])
        return _scalar_or_array(comp @ self.weights)

    def sf(self, x: ArrayLike):
        """``1 - F(x) = sum_k w_k (1 - I_x(a_k, b_k))``, accurate in the upper tail."""
        x = np.asarray(x, dtype=np.float64)
        return _scalar_or_array(sp.betaincc(self.a, self.b, np.clip(x[..., None], 0.0, 1.0)) @ self.weights)

    def ppf(self, q: ArrayLike):
        """Quantile ``F^{-1}(q)``, bisected to full precision on ``F(x) - q``.

        The root is bracketed by the smallest and largest component quantile
        (``F`` is a convex combination of the component cdfs).
        """
        q = np.asarray(q, dtype=np.float64)
        if np.any(~((q >= 0) & (q <= 1))):
            raise ValueError(f"probabilities must lie in [0, 1], got {q}")
        comp = sp.betaincinv(self.a, self.b, q[..., None])
        if self.n_components == 1:
            return _scalar_or_array(comp[..., 0])
        lo, hi = comp.min(axis=-1), comp.max(axis=-1)
        return _scalar_or_array(bisect_increasing(self.cdf, q, lo, hi))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed interval ``(F^{-1}((1 - level)/2), F^{-1}((1 + level)/2))``."""
        level = _check_open01("level", level)
        lo, hi = self.ppf(np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0]))
        return float(lo), float(hi)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``k ~ Categorical(w)`` then ``p ~ Beta(a_k, b_k)``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        size = _check_count("size", size)
        k = rng.choice(self.n_components, size=size, p=self.weights)
        return rng.beta(self.a[k], self.b[k])

    # -------------------------------------------------------------------- ESS
    def _info(self, x: ArrayLike) -> np.ndarray:
        """``i(x) = -d^2/dx^2 log f(x) = sum_k pi_k i_k - Var_pi(g_k)`` with
        responsibilities ``pi_k = w_k f_k / f``, ``g_k = (a_k-1)/x - (b_k-1)/(1-x)``
        and ``i_k = (a_k-1)/x^2 + (b_k-1)/(1-x)^2``."""
        x = np.asarray(x, dtype=np.float64)[..., None]
        lw = self._log_weights() + beta_logpdf(x, self.a, self.b)
        pi = np.exp(lw - sp.logsumexp(lw, axis=-1, keepdims=True))
        g = (self.a - 1.0) / x - (self.b - 1.0) / (1.0 - x)
        ik = (self.a - 1.0) / x**2 + (self.b - 1.0) / (1.0 - x) ** 2
        mg = np.sum(pi * g, axis=-1, keepdims=True)
        return np.sum(pi * ik, axis=-1) - np.sum(pi * (g - mg) ** 2, axis=-1)

    def _mode(self) -> float | None:
        """Highest interior local maximum of ``f`` (None if there is none)."""
        ok = (self.a > 1) & (self.b > 1)
        comp_modes = sp.logit((self.a[ok] - 1.0) / (self.a[ok] + self.b[ok] - 2.0))
        t = np.unique(np.concatenate([_LOGIT_GRID, comp_modes]))
        lp = self.logpdf(sp.expit(t))
        peaks = np.flatnonzero((lp[1:-1] > lp[:-2]) & (lp[1:-1] > lp[2:])) + 1
        best_t, best_lp = None, -np.inf
        for i in peaks:
            from scipy.optimize import minimize_scalar  # the Morita ESS only

            res = minimize_scalar(
                lambda u: -float(self.logpdf(sp.expit(u))),
                bounds=(t[i - 1], t[i + 1]), method="bounded", options={"xatol": 1e-12},
            )
            ti, lpi = (res.x, -res.fun) if -res.fun >= lp[i] else (t[i], lp[i])
            if lpi > best_lp:
                best_t, best_lp = ti, lpi
        return None if best_t is None else float(sp.expit(best_t))

    def ess(self, method: str = "moment", *, s: float = math.inf) -> float:
        """Prior effective sample size.

        ``"moment"``: match mean ``m`` and variance ``v`` to one beta,
        ``ESS = a + b = m(1 - m)/v - 1``.

        ``"morita"`` (Morita et al. 2008, evaluated at the mode as in RBesT):
        ``ESS = [i_f(x) - i_0(x)] / (m/x^2 + (1 - m)/(1 - x)^2)`` where
        ``i_f = -(log f)''``, ``x`` is the highest interior mode of ``f`` (the
        mean if ``f`` has no interior local maximum), the denominator is the
        expected information of one Bernoulli observation under the prior
        predictive, and ``i_0(x) = -1/x^2 - 1/(1-x)^2 + (1/x + 1/(1-x))/s`` is
        the information of the flattened prior ``Beta(x/s, (1-x)/s)``.  With
        the default ``s = inf`` this is the ``n`` at which
        ``Beta(m n, (1-m) n)`` has the same curvature as ``f`` at ``x``;
        RBesT uses ``s = 100``.

        ``"elir"`` (Neuenschwander et al. 2020):
        ``ESS = E_f[i_f(p) p (1 - p)]``; requires all ``a_k, b_k >= 1`` (the
        integral diverges otherwise).  Computed as the closed form
        ``sum_k w_k (b_k [a_k > 1] + a_k [b_k > 1])`` minus
        ``int f(p) Var_pi(h(p)) dlogit(p)``, ``h_k = (a_k-1)(1-p) - (b_k-1)p``,
        the latter by ``scipy.integrate.quad``.

        All three give ``a + b`` for a single ``Beta(a, b)`` (ELIR: ``a, b > 1``).
        """
        if method == "moment":
            m, v = self.mean(), self.var()
            return float(m * (1.0 - m) / v - 1.0)
        if method == "morita":
            if not s > 0:
                raise ValueError(f"s must be > 0, got {s}")
            m = self.mean()
            x = self._mode()
            x = m if x is None else min(max(x, 1e-12), 1.0 - 1e-12)
            info0 = -1.0 / x**2 - 1.0 / (1.0 - x) ** 2 + (1.0 / x + 1.0 / (1.0 - x)) / s
            e_info = m / x**2 + (1.0 - m) / (1.0 - x) ** 2
            return float((self._info(x) - info0) / e_info)
        if method == "elir":
            act = self.weights > 0
            w, a, b = self.weights[act], self.a[act], self.b[act]
            if np.any(a < 1) or np.any(b < 1):
                raise ValueError(
                    "ELIR ESS requires all beta parameters >= 1 (the defining integral "
                    f"diverges otherwise), got a={a}, b={b}"
                )
            closed = float(np.sum(w * (np.where(a > 1, b, 0.0) + np.where(b > 1, a, 0.0))))
            if w.size == 1:
                return closed
            lw = np.log(w)

            def integrand(t: float) -> float:
                p = sp.expit(t)
                lf = lw + beta_logpdf(p, a, b)
                lse = sp.logsumexp(lf)
                if not np.isfinite(lse):  # p rounded to 0 or 1
                    return 0.0
                pi = np.exp(lf - lse)
                h = (a - 1.0) * (1.0 - p) - (b - 1.0) * p
                return math.exp(lse) * float(np.sum(pi * (h - np.sum(pi * h)) ** 2))

            cuts = sp.logit(sp.betaincinv(a, b, np.array([[1e-3], [0.5], [1 - 1e-3]])))
            cuts = np.unique(cuts[np.isfinite(cuts)])
            edges = np.concatenate([[-np.inf], cuts, [np.inf]])
            from scipy.integrate import quad  # the ELIR ESS only

            corr = sum(
                quad(integrand, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
                for lo, hi in zip(edges[:-1], edges[1:])
            )
            return closed - corr
        raise ValueError(f"unknown ESS method {method!r}; use 'moment', 'morita' or 'elir'")

    # ------------------------------------------------------------- robustify
    def robustify(self, weight: float, mean: float = 0.5, n: float = 2.0) -> BetaMix:
        """``(1 - weight) f + weight Beta(mean n, (1 - mean) n)`` (Schmidli et al. 2014).

        The defaults give the uniform ``Beta(1, 1)``, the same vague component as RBesT's default; here ``n`` is
        the component's prior sample size a + b.
        """
        weight = float(weight)
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"robust weight must lie in [0, 1], got {weight}")
        rob = BetaMix.from_mean_n(mean, n)
        return BetaMix(
            np.append((1.0 - weight) * self.weights, weight),
            np.append(self.a, rob.a), np.append(self.b, rob.b),
        )

    # ----------------------------------------------------------------- update
    def update_terms(self, r: ArrayLike, n: ArrayLike, weight: float):
        """Unnormalised log posterior weights and parameters, shape ``(..., K)``: log w_k + log B(a_k + w r,
        b_k + w (n - r)) - log B(a_k, b_k), and the updated a and b (the workbook writes these terms as formulas)."""
        r, n, w = _check_data(r, n, weight)
        a1 = self.a + (w * r)[..., None]
        b1 = self.b + (w * (n - r))[..., None]
        lw = self._log_weights() + sp.betaln(a1, b1) - sp.betaln(self.a, self.b)
        return lw, a1, b1

    def posterior(self, r: float, n: float, weight: float = 1.0) -> BetaMix:
        """Posterior after ``r`` of ``n`` responders, likelihood tempered by ``weight``.

        ``a_k' = a_k + w r``, ``b_k' = b_k + w (n - r)`` and
        ``w_k' ∝ w_k B(a_k', b_k') / B(a_k, b_k)``.
        """
        if np.ndim(r) != 0 or np.ndim(n) != 0:
            raise ValueError("posterior() takes scalar r and n")
        lw, a1, b1 = self.update_terms(r, n, weight)
        return BetaMix(np.exp(lw - sp.logsumexp(lw)), a1, b1)

    def _posterior_sf(self, x: float, r: ArrayLike, n: ArrayLike, weight: float = 1.0,
                      upper=sp.betaincc) -> np.ndarray:
        """``P(p > x | r, n)``, vectorised over ``r`` and ``n``; ``upper(a, b, x)`` the upper tail used."""
        lw, a1, b1 = self.update_terms(r, n, weight)
        pi = np.exp(lw - sp.logsumexp(lw, axis=-1, keepdims=True))
        return np.sum(pi * upper(a1, b1, x), axis=-1)

    def log_marginal(self, r: ArrayLike, n: ArrayLike, weight: float = 1.0):
        """``log int [C(n, r) p^r (1-p)^(n-r)]^w f(p) dp``
        ``= w log C(n, r) + log sum_k w_k B(a_k + w r, b_k + w (n - r)) / B(a_k, b_k)``.
        """
        lw, _, _ = self.update_terms(r, n, weight)
        r, n, w = _check_data(r, n, weight)
        log_c = sp.gammaln(n + 1) - sp.gammaln(r + 1) - sp.gammaln(n - r + 1)
        return _scalar_or_array(w * log_c + sp.logsumexp(lw, axis=-1))

    def predictive(self, n_future: int) -> np.ndarray:
        """Prior predictive pmf of ``y = 0..n``: ``sum_k w_k BetaBinom(y; n, a_k, b_k)``."""
        n = _check_count("n_future", n_future)
        y = np.arange(n + 1)[:, None]
        log_c = sp.gammaln(n + 1.0) - sp.gammaln(y + 1.0) - sp.gammaln(n - y + 1.0)
        return np.exp(log_c + sp.betaln(y + self.a, n - y + self.b) - sp.betaln(self.a, self.b)) @ self.weights


def bayes_factor(mix1: BetaMix, mix0: BetaMix, r: ArrayLike, n: ArrayLike, weight: float = 1.0):
    """``BF_10 = m_1(r, n) / m_0(r, n)``, ratio of (tempered) marginal likelihoods (docs/method.md section 2.2).

    Examples
    --------
    The ORR Bayes factor, active against inactive class, of the readouts of ``examples/esobiotec.toml`` at the
    IIT weight 0.5 (1 of 1 responders, the one the valuation uses; then 4 of 4):

    >>> import iitvalue
    >>> model = iitvalue.value("examples/esobiotec.toml").pos.update.model
    >>> [round(float(bayes_factor(model.orr_active, model.orr_inactive, r, r, 0.5)), 3) for r in (1, 4)]
    [1.715, 7.583]
    """
    return np.exp(mix1.log_marginal(r, n, weight) - mix0.log_marginal(r, n, weight))


DECISION_GUARD = 1e-8  # relative distance of a tail from its level below which a decision asks scipy


def _upper_tail(a, b, x) -> np.ndarray:
    return sp.betainc_tails(a, b, x)[1]


@dataclass(frozen=True)
class Decision1S:
    """One-sample success rule (RBesT ``decision1S(level, threshold, lower.tail=FALSE)``).

    ``kind="bayes"``: success iff ``P(p > threshold | r, n) >= level`` under
    ``prior`` (``Beta(1, 1)`` if None).  ``kind="exact"``: success iff the
    one-sided Clopper-Pearson lower bound ``L = Beta^{-1}(1 - level; r, n - r + 1)``
    (``L = 0`` for ``r = 0``) satisfies ``L >= threshold``, i.e. the exact
    binomial test of ``p <= threshold`` rejects at ``1 - level``.

    Examples
    --------
    The ``[pos.pivotal]`` rule of ``examples/esobiotec.toml``: 100 patients, success if the exact one-sided 97.5 %
    lower bound of the ORR is at least 50 %:

    >>> rule = Decision1S(threshold=0.5, level=0.975, kind="exact")
    >>> rule.critical_value(100), rule(61, 100), rule(60, 100)
    (61, True, False)
    """

    threshold: float
    level: float = 0.975
    prior: BetaMix | None = None
    kind: str = "bayes"

    def __post_init__(self) -> None:
        _check_open01("threshold", self.threshold)
        _check_open01("level", self.level)
        if self.kind not in ("bayes", "exact"):
            raise ValueError(f"kind must be 'bayes' or 'exact', got {self.kind!r}")
        if self.prior is not None and not isinstance(self.prior, BetaMix):
            raise ValueError("prior must be a BetaMix or None")
        if self.kind == "exact" and self.prior is not None:
            raise ValueError("kind='exact' is frequentist and takes no prior")

    @property
    def decision_prior(self) -> BetaMix:
        return self.prior if self.prior is not None else BetaMix.of((1.0, 1.0, 1.0))

    def lower_bound(self, r: ArrayLike, n: ArrayLike) -> np.ndarray:
        """One-sided Clopper-Pearson lower bound at confidence ``level``."""
        r, n, _ = _check_data(r, n, 1.0)
        r, n = np.broadcast_arrays(r, n)
        out = np.zeros(r.shape)
        pos = r > 0
        out[pos] = sp.betaincinv(r[pos], n[pos] - r[pos] + 1.0, 1.0 - self.level)
        return _scalar_or_array(out)

    def __call__(self, r: ArrayLike, n: ArrayLike) -> bool | np.ndarray:
        """Success for each (r, n). The tail that decides is computed in numpy (``special.betainc_tails``,
        relative error 1e-12 or better) and compared with its level; only when some tail lies within
        ``DECISION_GUARD`` of its level are the decisions taken from scipy.special as the definitions above state
        (the Bayesian tail, or the Clopper-Pearson bound against the threshold). Either way the same decisions;
        the common case imports no scipy."""
        if self.kind == "bayes":
            prior = self.decision_prior
            sf = np.asarray(prior._posterior_sf(self.threshold, r, n, upper=_upper_tail))
            ok = sf >= self.level
            if np.any(np.abs(sf - self.level) <= DECISION_GUARD * self.level):
                ok = np.asarray(prior._posterior_sf(self.threshold, r, n) >= self.level)
        else:
            # L = Beta^-1(1 - level; r, n - r + 1) >= threshold  <=>  I_threshold(r, n - r + 1) <= 1 - level
            rr, nn, _ = _check_data(r, n, 1.0)
            rr, nn = np.broadcast_arrays(rr, nn)
            alpha = 1.0 - self.level
            tail = np.full(rr.shape, np.inf)  # r = 0: L = 0 < threshold
            pos = rr > 0
            tail[pos] = sp.betainc_tails(rr[pos], nn[pos] - rr[pos] + 1.0, self.threshold)[0]
            ok = tail <= alpha
            if np.any(np.abs(tail - alpha) <= DECISION_GUARD * alpha):
                ok = np.asarray(self.lower_bound(r, n)) >= self.threshold
        ok = np.asarray(ok)
        return bool(ok) if ok.ndim == 0 else ok

    def critical_value(self, n: int) -> int:
        """Smallest ``r`` in ``0..n`` with success, ``n + 1`` if none.

        Both rules are monotone in ``r``: the binomial likelihood has a monotone
        likelihood ratio in ``r``, so the posterior (for any prior) is
        stochastically increasing in ``r``; the Clopper-Pearson bound increases
        in ``r``.  The computed decisions are checked for this.
        """
        n = _check_count("n", n)
        ok = np.asarray(self(np.arange(n + 1), n))
        if not ok.any():
            return n + 1
        crit = int(np.argmax(ok))
        if not ok[crit:].all():
            raise RuntimeError("decision rule is not monotone in r")
        return crit


def pos1s(mix: BetaMix, n: int, decision: Decision1S) -> float:
    """Probability of success (assurance): ``sum_{y >= y_c} P_mix(Y = y)`` with ``Y`` the
    prior-predictive responders out of ``n`` and ``y_c = decision.critical_value(n)``.

    Examples
    --------
    The pivotal assurance of ``examples/esobiotec.toml`` (``pos.assurance``), over its posterior ORR:

    >>> import iitvalue
    >>> orr = iitvalue.value("examples/esobiotec.toml").pos.update.orr_posterior()
    >>> round(pos1s(orr, 100, Decision1S(threshold=0.5, level=0.975, kind="exact")), 3)
    0.411
    """
    pmf = mix.predictive(n)
    return float(np.sum(pmf[decision.critical_value(n):]))


def oc1s(n: int, decision: Decision1S, theta: ArrayLike) -> np.ndarray:
    """Frequentist success probability ``P_theta(Y >= y_c) = binom.sf(y_c - 1, n, theta)``.

    Examples
    --------
    >>> oc1s(100, Decision1S(threshold=0.5, level=0.975, kind="exact"), [0.5, 0.6, 0.7]).round(3).tolist()
    [0.018, 0.462, 0.979]
    """
    theta = np.asarray(theta, dtype=np.float64)
    if np.any(~((theta >= 0) & (theta <= 1))):
        raise ValueError(f"theta must lie in [0, 1], got {theta}")
    crit = decision.critical_value(n)
    # P(Y >= crit) = P(Y > crit - 1); bdtrc(k, n, p) = P(Y > k), and every Y > -1
    return np.asarray(1.0 if crit <= 0 else sp.bdtrc(crit - 1, n, theta)) * np.ones_like(theta)
