"""What a simulation needs, prepared once from a term sheet: the plan, the Bayesian update as the simulation
draws from it, the declared distributions and the copula's factor (docs/montecarlo.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import special

from ..errors import InputError, Problem
from ..model.plan import Plan, resolve
from ..model.pos import spread_rows, transport_rows
from ..stats.betamix import BetaMix
from ..stats.distributions import Distribution, Z_GRID, distribution
from ..termsheet.parties import has_assumptions
from ..termsheet.paths import parse_path
from ..termsheet.schema import TermSheet, Uncertainty
from ..termsheet.vocabulary import POSTERIOR_PATH
from ..valuation import posterior_plans


@lru_cache(maxsize=16)
def _posterior_tables(post_class: float, wa: tuple, aa: tuple, ba: tuple, wi: tuple, ai: tuple, bi: tuple
                      ) -> tuple[np.ndarray, np.ndarray]:
    """At Phi(z), z on ``Z_GRID``: the quantile of the marginal posterior of theta, pi' f_A + (1 - pi') f_I
    (its CDF, sum of weights x regularised incomplete beta, on a 20,001-point theta grid, inverted linearly),
    and P(active | theta) there."""
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
SHAPE = {  # inputs that move timelines, ramps or discounting: the fast engine cannot draw them
    "discount_rate", "duration", "launch_lag", "years_to_peak", "exclusivity_years", "erosion", "price_change"}
TERR_ARRAY = {"launch_lag": "launch_lag", "exclusivity_years": "exclusivity", "erosion": "erosion",
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
    marginals: list[Distribution]
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
    marginals = [distribution(u) for u in entries]
    notes = []
    post = None
    if has_post:
        qa, qi = upd.p_active, upd.p_inactive
        pa, pi = (class_probabilities(prior, kinds, q, transport) for q in (qa, qi))
        key = lambda m: (tuple(m.weights), tuple(m.a), tuple(m.b))  # noqa: E731
        q, p_act = _posterior_tables(float(upd.posterior_class), *key(upd.orr_active), *key(upd.orr_inactive))
        post = _Posterior(upd, upd.posterior_class, pa, pi, q, p_act)
        if _own_weights(sheet):
            notes.append("the parties' own evidence weights are not simulated: every path uses the term sheet's "
                         "posterior")
    elif _own_weights(sheet):
        notes.append("the parties' own evidence weights are not simulated: every path uses the term sheet's "
                     "posterior phase probabilities, so a party's mean differs from its deterministic NPV")
    if sheet.deal is not None and sheet.deal.option is not None:
        notes.append("the licensee decides on its option path by path with that path's drawn inputs, as though it had "
                     "learnt them by the exercise event (an upper bound on its learning; value decides once, at the "
                     "sheet's inputs: docs/method.md 3.7)")
    if has_assumptions(sheet):
        notes.append("the parties' own assumptions are not simulated: every path values both parties on the term "
                     "sheet's inputs, so a party's mean differs from its deterministic NPV")
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
    shape = any(parse_path(u.path)[-1] in SHAPE for u in entries)
    return Setup(sheet, plan, prior, kinds, upd, transport, entries, marginals, correlated, chol, post, post_in,
                 shape, notes)


def _own_weights(sheet) -> bool:
    """Whether a party of the deal has its own evidence weight."""
    return sheet.deal is not None and any(getattr(sheet.deal, r).iit_weight is not None or
                                          getattr(sheet.deal, r).registrational_weight is not None
                                          for r in ("licensor", "licensee"))


def class_probabilities(prior: np.ndarray, kinds: list[str], q: float, transport) -> np.ndarray:
    """Phase probabilities given a class: the prior spread to P(approval | class) = q, then transported."""
    probs = spread_rows(prior[None, :], kinds, np.array([q]))
    if transport is not None:
        probs, _ = transport_rows(probs, np.zeros_like(probs), kinds, transport[0], 0.0)
    return probs[0]


def _psd_factor(m: np.ndarray) -> np.ndarray:
    """A factor L with L L^T = m for a positive semi-definite m (Cholesky, or eigenvectors when singular)."""
    try:
        return np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(m)
        if w.min() < -1e-10:
            raise InputError(Problem("correlation.matrix", "is not positive semi-definite")) from None
        return v * np.sqrt(np.clip(w, 0.0, None))
