"""Bayesian probability of success from IIT readouts (formulas and sources in docs/method.md, section 2).

Two latent classes: the asset is *active* (good enough to be approved) or *inactive*. Each class has a beta
mixture for the true ORR (theta) and for the share of responders who reach CR/sCR (phi, nested within
responders). A readout (n patients, r responders, c complete responses among r_c responders evaluable for CR)
weighted by w (power prior) has class likelihood

    m_K = integral Bin(r | n, theta)^w f_K(theta) dtheta  x  integral Bin(c | r_c, phi)^w g_K(phi) dphi

and Bayes factor BF = m_active / m_inactive. Approval given the class is the efficacy of the class times the
non-efficacy risk of the remaining phases, q_A = e_A R and q_I = e_I R (:func:`class_approval`; R depends on the
stage), and the prior class probability pi is set so that pi q_A + (1 - pi) q_I equals the plan's prior LOA:

    pi' = pi BF / (pi BF + 1 - pi),   LOA' = pi' q_A + (1 - pi') q_I.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import catalogue
from ..catalogue import ClassModel, class_approval
from ..errors import InputError, Problem, suggest
from ..stats.betamix import BetaMix, Decision1S, pos1s
from ..stats.roots import brent
from ..stats import special as sp
from ..tables import factor, html_pairs, percent
from .evidence import Rubric, rubric
CLINICAL_KINDS = ("preclinical", "phase1", "phase2", "phase3", "pivotal")




# ---- readouts ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """One readout as the update uses it. ``cr_n`` is the number of responders evaluable for CR."""

    label: str
    n: float
    responders: float
    weight: float
    complete: float | None = None
    cr_n: float | None = None
    trial: str = "main"
    date: str | None = None

    @classmethod
    def from_counts(cls, n: int, responders: int, complete: int | None = None, complete_n: int | None = None,
                    weight: float = 1.0, label: str = "readout", trial: str = "main", date: str | None = None) -> "Evidence":
        """Validate counts. CR is nested in response: with ``complete_n`` CR-evaluable patients, the responders
        among them are taken as complete_n x responders / n (exact when ORR is 0 or 100%)."""
        problems = []
        if n < 1:
            problems.append(Problem("n", f"{n} is not allowed; a readout needs at least one evaluable patient"))
        if responders < 0 or (complete is not None and complete < 0) or (complete_n is not None and complete_n < 0):
            problems.append(Problem("responders", "counts must not be negative"))
        if n >= 1 and responders > n:
            problems.append(Problem("responders", f"{responders} responders exceed n = {n}"))
        if not (0.0 < weight <= 1.0):
            problems.append(Problem("weight", f"{weight} is not allowed; the evidence weight lies in (0, 1]"))
        if complete_n is not None and n >= 1 and complete_n > n:
            problems.append(Problem("complete_n", f"{complete_n} exceeds n = {n}"))
        if complete is not None and complete >= 0:
            denom = complete_n if complete_n is not None else n
            if complete > denom:
                problems.append(Problem("complete", f"{complete} complete responses exceed their denominator {denom}"))
            elif complete > responders:
                problems.append(Problem("complete", f"{complete} complete responses exceed the {responders} responders"))
        if problems:
            raise InputError(problems)
        cr_n = None
        if complete is not None:
            cr_n = float(responders) if complete_n is None else max(float(complete), complete_n * responders / n)
        return cls(label, float(n), float(responders), float(weight), None if complete is None else float(complete),
                   cr_n, trial, date)


def default_weight(design: str, iit_weight: float, registrational_weight: float) -> float:
    return iit_weight if design == "iit" else registrational_weight


def readout_rubric(r, iit_weight: float, registrational_weight: float) -> Rubric:
    """The rubric weight of a term-sheet readout (:func:`iitvalue.model.evidence.rubric`): its design's base
    weight times the factors of its centres, assessment, manufacturing and follow-up."""
    given = getattr(r, "model_fields_set", set())  # assessment defaults to "investigator": typical only if unset
    return rubric(r.design, default_weight(r.design, iit_weight, registrational_weight), r.centres,
                  r.assessment if "assessment" in given else None, r.manufacturing, r.median_followup, r.dose_level)


def readout_evidence(readouts: list, valuation_date: _dt.date, choice: str, iit_weight: float,
                     registrational_weight: float, extra: dict | None = None) -> tuple[list["Evidence"], list[dict]]:
    """The readouts a valuation uses (:func:`select_readouts`) as Evidence with their weights, and one record
    per readout for the output (``index`` is its position in ``readouts``; ``extra`` is added to each)."""
    chosen = select_readouts(readouts, valuation_date, choice)
    index = {id(r): i for i, r in enumerate(readouts)}
    evidence, used = [], []
    for r in chosen:
        rub = readout_rubric(r, iit_weight, registrational_weight)
        w = r.weight if r.weight is not None else rub.weight
        if w > 0.0:  # a sub-therapeutic cohort (weight 0) is recorded but is no evidence
            evidence.append(Evidence.from_counts(r.n, r.responders, r.complete, r.complete_n, weight=w,
                                                 label=r.source, trial=r.trial, date=r.date.isoformat()))
        used.append({"index": index[id(r)], "date": r.date.isoformat(), "source": r.source, "trial": r.trial,
                     "design": r.design, "n": r.n, "responders": r.responders, "complete": r.complete,
                     "complete_n": r.complete_n, "mrd_negative": r.mrd_negative, "dose": r.dose,
                     "dose_level": r.dose_level, "centres": r.centres, "assessment": r.assessment,
                     "manufacturing": r.manufacturing, "median_followup": r.median_followup, "weight": w,
                     "weight_source": "readout" if r.weight is not None else f"pos.{r.design}_weight x rubric",
                     "weight_rubric": rub.summary(), **(extra or {})})
    return evidence, used


def select_readouts(readouts: list, valuation_date: _dt.date, choice: str = "auto") -> list:
    """Which readouts a valuation uses (each readout of a trial is cumulative, so only its latest counts).

    auto: for each trial, its latest readout dated on or before the valuation date; latest: the single most
    recent such readout; none: no readouts; DATE: as auto, with DATE as the cut-off."""
    from ..termsheet.checks import check_readout_choice  # deferred: `iitvalue pos` needs no term-sheet schema

    msg = check_readout_choice(choice, valuation_date)
    if msg:
        raise InputError(Problem("readout", msg))
    if choice == "none":
        return []
    cutoff = valuation_date if choice in ("auto", "latest") else _dt.date.fromisoformat(choice)
    usable = [r for r in readouts if r.date <= cutoff]
    if choice == "latest":
        return [max(usable, key=lambda r: r.date)] if usable else []
    per_trial: dict[str, Any] = {}
    for r in sorted(usable, key=lambda r: r.date):
        per_trial[r.trial] = r
    return list(per_trial.values())


# ---- the update ----------------------------------------------------------------------------------------------
@dataclass
class PosUpdate:
    """A fitted Bayesian update of the PoS from readouts (``result.pos.update``; docs/method.md section 2).

    Two latent classes, active and inactive, each with a beta-mixture prior on the ORR and the CR share; the
    prior class probability pi solves pi q_A + (1 - pi) q_I = prior LOA; the readouts give the Bayes factor BF
    (ORR x CR, likelihood tempered by the evidence weight w); pi' = pi BF / (pi BF + 1 - pi) and
    posterior LOA = pi' q_A + (1 - pi') q_I. Probabilities and rates are fractions.

    Examples
    --------
    >>> import iitvalue
    >>> u = iitvalue.value("examples/esobiotec.toml").pos.update
    >>> u
    <PosUpdate rrmm-car-t@2025-03-17: LOA 12.3% -> 17.0%, Bayes factor 1.72, 1 readout(s)>
    >>> round(u.prior_class, 3), round(u.posterior_class, 3), u.weight, u.effective_n
    (0.294, 0.417, 0.5, 0.5)
    """

    model: ClassModel
    evidence: tuple[Evidence, ...]
    prior_loa: float
    p_active: float  # q_A
    p_inactive: float  # q_I
    prior_class: float
    log_bf_orr: float
    log_bf_cr: float
    orr_active: BetaMix  # posterior mixtures within each class
    orr_inactive: BetaMix
    cr_active: BetaMix
    cr_inactive: BetaMix
    notes: list[str] = field(default_factory=list)
    # how q_A, q_I were made (docs/method.md 2.4): R and the phases' non-efficacy shares g_j; q_given says which
    # of q_A, q_I pos.p_approval_active / _inactive (or the widening without readouts) fixed instead of e_c R
    nonefficacy_success: float = 1.0
    nonefficacy_shares: tuple[float, ...] = ()
    q_given: tuple[bool, bool] = (True, True)

    def approval_rows(self, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """q_A and q_I for each row of prior phase probabilities (S, J): e_c R(row) for a class whose q comes from
        the stage's non-efficacy risk, else the fixed q_c (for the Monte Carlo's drawn phase probabilities)."""
        p = np.atleast_2d(np.asarray(probabilities, dtype=float))
        r = (catalogue.nonefficacy_success(p, self.nonefficacy_shares) if self.nonefficacy_shares
             else np.ones(p.shape[0]))
        e = (self.model.efficacy_active, self.model.efficacy_inactive)
        fixed = (self.p_active, self.p_inactive)
        qa, qi = (np.full(p.shape[0], fixed[c]) if self.q_given[c] else e[c] * r for c in (0, 1))
        return qa, qi

    @property
    def bayes_factor_orr(self) -> float:
        return math.exp(self.log_bf_orr)

    @property
    def bayes_factor_cr(self) -> float:
        return math.exp(self.log_bf_cr)

    @property
    def bayes_factor(self) -> float:
        return math.exp(self.log_bf_orr + self.log_bf_cr)

    @property
    def posterior_class(self) -> float:
        """pi' = pi BF / (pi BF + 1 - pi) (:func:`posterior_class_rows`)."""
        return float(posterior_class_rows(np.array([self.prior_class]), self.log_bf_orr + self.log_bf_cr)[0])

    @property
    def posterior_loa(self) -> float:
        """pi' q_A + (1 - pi') q_I: the LOA after the readouts (fraction).

        Examples
        --------
        >>> import iitvalue
        >>> u = iitvalue.value("examples/esobiotec.toml").pos.update
        >>> round(u.prior_loa, 4), round(u.posterior_loa, 4), round(u.bayes_factor, 3)
        (0.1225, 0.1703, 1.715)
        """
        pc = self.posterior_class
        return pc * self.p_active + (1.0 - pc) * self.p_inactive

    @property
    def weight(self) -> float | None:
        """The evidence weight (n-weighted mean when several trials are combined)."""
        if not self.evidence:
            return None
        return sum(e.weight * e.n for e in self.evidence) / sum(e.n for e in self.evidence)

    @property
    def effective_n(self) -> float:
        """Patients the readouts count for after down-weighting: sum of w x n."""
        return sum(e.weight * e.n for e in self.evidence)

    def orr_posterior(self) -> BetaMix:
        """Marginal posterior of the true ORR: pi' f_A(. | data) + (1 - pi') f_I(. | data).

        Returns
        -------
        BetaMix

        Examples
        --------
        >>> import iitvalue
        >>> orr = iitvalue.value("examples/esobiotec.toml").pos.update.orr_posterior()
        >>> round(orr.mean(), 3), [round(x, 3) for x in orr.interval(0.95)]
        (0.557, [0.161, 0.997])
        """
        return _blend(self.orr_active, self.orr_inactive, self.posterior_class)

    def cr_posterior(self) -> BetaMix:
        """Marginal posterior of the share of responders reaching CR/sCR."""
        return _blend(self.cr_active, self.cr_inactive, self.posterior_class)

    def cr_rate(self, level: float = 0.95) -> tuple[float, float, float]:
        """Mean and equal-tailed interval of the CR rate among all patients, theta x phi (independent within a
        class): P(theta phi <= x) = sum_K pi_K sum_i w_Ki int_0^1 G_K(min(1, x / F_Ki^-1(u))) du, substituting
        u = F_Ki(t) for each ORR component (no density left to integrate, so components with b < 1, whose density
        is infinite at 1, and concentrated posteriors stay accurate); 400-point Gauss-Legendre in u; quantiles by
        Brent's method on [0, 1].

        Parameters
        ----------
        level : float
            Coverage of the interval.

        Returns
        -------
        (mean, low, high) : tuple of float

        Examples
        --------
        >>> import iitvalue
        >>> [round(x, 3) for x in iitvalue.value("examples/esobiotec.toml").pos.update.cr_rate()]
        [0.305, 0.003, 0.901]
        """
        pc = self.posterior_class
        parts = [(pc, self.orr_active, self.cr_active), (1.0 - pc, self.orr_inactive, self.cr_inactive)]
        mean = sum(w * o.mean() * c.mean() for w, o, c in parts)
        nodes, wts = gauss_legendre(400)
        u = 0.5 * (nodes + 1.0)
        wq = 0.5 * wts
        ws, thetas, crs = [], [], []  # per ORR component: weight, theta at the u nodes, the class's CR mixture
        for w_class, orr, cr in parts:
            if w_class <= 0:
                continue
            for wk, a, b in zip(orr.weights, orr.a, orr.b):
                ws.append(w_class * wk)
                thetas.append(np.maximum(sp.betaincinv(a, b, u), 1e-300))
                crs.append(cr)

        def cdf(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)[:, None]
            return sum(w * (cr.cdf(np.minimum(1.0, x / t[None, :])) @ wq) for w, t, cr in zip(ws, thetas, crs))

        lo = brent(lambda x: float(cdf(np.array([x]))[0]) - (1 - level) / 2, 0.0, 1.0, xtol=1e-12)
        hi = brent(lambda x: float(cdf(np.array([x]))[0]) - (1 + level) / 2, 0.0, 1.0, xtol=1e-12)
        return mean, lo, hi

    def assurance(self, design) -> float:
        """Probability that a planned single-arm study of ``design.n`` patients meets its rule, averaged over the
        posterior ORR (O'Hagan, Stevens & Campbell 2005; docs/method.md section 2.8).

        Parameters
        ----------
        design : Pivotal
            ``n``, ``threshold``, ``level`` and ``rule`` (``"exact"`` or ``"bayes"``), as ``[pos.pivotal]``.

        Returns
        -------
        float

        Examples
        --------
        >>> import iitvalue
        >>> sheet = iitvalue.load("examples/esobiotec.toml")
        >>> round(iitvalue.value(sheet).pos.update.assurance(sheet.pos.pivotal), 3)
        0.411
        """
        rule = Decision1S(threshold=design.threshold, level=design.level, kind=design.rule)
        return float(pos1s(self.orr_posterior(), design.n, rule))

    def summary(self) -> dict[str, Any]:
        """The update's numbers, as the ``pos`` section of the JSON output (docs/cli.md): LOAs, Bayes factors,
        weight, effective n, ESS, class probabilities, ORR, CR share and CR rate with 95 % intervals.

        Examples
        --------
        >>> import iitvalue
        >>> s = iitvalue.value("examples/esobiotec.toml").pos.update.summary()
        >>> s["model"], round(s["orr_mean"], 3), round(s["prior_ess"], 1), round(s["posterior_ess"], 1)
        ('rrmm-car-t@2025-03-17', 0.557, 2.1, 1.8)
        """
        orr = self.orr_posterior()
        lo, hi = orr.interval(0.95)
        cr = self.cr_posterior()
        clo, chi = cr.interval(0.95)
        rate, rlo, rhi = self.cr_rate()
        return {
            "model": self.model.key,
            "prior_loa": self.prior_loa,
            "posterior_loa": self.posterior_loa,
            "bayes_factor": self.bayes_factor,
            "bayes_factor_orr": self.bayes_factor_orr,
            "bayes_factor_cr": self.bayes_factor_cr,
            "weight": self.weight,
            "effective_n": self.effective_n,
            "prior_ess": _blend(self.model.orr_active, self.model.orr_inactive, self.prior_class).ess("moment"),
            "posterior_ess": orr.ess("moment"),
            "prior_class_probability": self.prior_class,
            "posterior_class_probability": self.posterior_class,
            "p_approval_active": self.p_active,
            "p_approval_inactive": self.p_inactive,
            "nonefficacy_success": self.nonefficacy_success,
            "efficacy_active": self.model.efficacy_active,
            "efficacy_inactive": self.model.efficacy_inactive,
            "orr_mean": orr.mean(), "orr_low": lo, "orr_high": hi,
            "cr_share_mean": cr.mean(), "cr_share_low": clo, "cr_share_high": chi,
            "cr_rate_mean": rate, "cr_rate_low": rlo, "cr_rate_high": rhi,
        }

    def __repr__(self) -> str:
        return (f"<PosUpdate {self.model.key}: LOA {percent(self.prior_loa)} -> {percent(self.posterior_loa)}, "
                f"Bayes factor {self.bayes_factor:.3g}, {len(self.evidence)} readout(s)>")

    def _repr_html_(self) -> str:
        s = self.summary()
        return html_pairs(f"Probability of success ({s['model']})", [
            ("LOA: prior -> posterior", f"{percent(s['prior_loa'])} -> {percent(s['posterior_loa'])}"),
            ("Bayes factor (ORR x CR)", f"{s['bayes_factor']:.3g} = {s['bayes_factor_orr']:.3g} x {s['bayes_factor_cr']:.3g}"),
            ("P(active): prior -> posterior",
             f"{percent(s['prior_class_probability'])} -> {percent(s['posterior_class_probability'])}"),
            ("evidence weight, effective patients", f"{factor(s['weight'])}, {s['effective_n']:.2f}"),
            ("ORR, posterior mean [95%]", f"{percent(s['orr_mean'])} [{percent(s['orr_low'])}, {percent(s['orr_high'])}]"),
            ("CR rate, posterior mean [95%]",
             f"{percent(s['cr_rate_mean'])} [{percent(s['cr_rate_low'])}, {percent(s['cr_rate_high'])}]")])

    def plot(self):
        """The ORR density before and after the readouts.

        Returns
        -------
        matplotlib.figure.Figure
            Needs the ``plot`` extra (``pip install 'iitvalue[plot]'``).

        Examples
        --------
        >>> import iitvalue
        >>> fig = iitvalue.value("examples/esobiotec.toml").pos.update.plot()
        >>> fig.axes[0].get_xlabel()
        'objective response rate (ORR)'
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        from .charts import plot_orr

        return plot_orr(self)


def _blend(active: BetaMix, inactive: BetaMix, p: float) -> BetaMix:
    if p >= 1.0:
        return active
    if p <= 0.0:
        return inactive
    return BetaMix(np.concatenate([p * active.weights, (1 - p) * inactive.weights]),
                   np.concatenate([active.a, inactive.a]), np.concatenate([active.b, inactive.b]))


def prior_class_probability(prior_loa: float, q_active: float, q_inactive: float) -> float:
    """pi such that pi q_A + (1 - pi) q_I = prior LOA."""
    if not q_inactive <= prior_loa <= q_active or q_active <= q_inactive:
        raise InputError(Problem(
            "pos", f"the prior LOA {prior_loa:.4f} must lie between P(approval | inactive) = {q_inactive:g} and "
                   f"P(approval | active) = {q_active:g}; set pos.p_approval_active / pos.p_approval_inactive so "
                   f"that it does"))
    return (prior_loa - q_inactive) / (q_active - q_inactive)


def update(model: ClassModel, prior_loa: float, evidence: list[Evidence] | tuple[Evidence, ...] = (),
           p_active: float | None = None, p_inactive: float | None = None, probabilities=(),
           shares=()) -> PosUpdate:
    """Posterior class probability and LOA after the readouts (trials combined; within a class they share theta).

    q_A, q_I are ``p_active`` / ``p_inactive`` when given, else e_c R from the remaining phases'
    ``probabilities`` and non-efficacy ``shares`` (:func:`class_approval`; R = 1 without them)."""
    qa, qi, r = class_approval(model, probabilities, shares, p_active, p_inactive)
    pi = prior_class_probability(prior_loa, qa, qi)
    oa, oi, ca, ci = model.orr_active, model.orr_inactive, model.cr_active, model.cr_inactive
    lbf_orr = lbf_cr = 0.0
    for e in evidence:
        lbf_orr += oa.log_marginal(e.responders, e.n, e.weight) - oi.log_marginal(e.responders, e.n, e.weight)
        oa, oi = oa.posterior(e.responders, e.n, e.weight), oi.posterior(e.responders, e.n, e.weight)
        if e.complete is not None and e.cr_n and e.cr_n > 0:
            lbf_cr += ca.log_marginal(e.complete, e.cr_n, e.weight) - ci.log_marginal(e.complete, e.cr_n, e.weight)
            ca, ci = ca.posterior(e.complete, e.cr_n, e.weight), ci.posterior(e.complete, e.cr_n, e.weight)
    return PosUpdate(model, tuple(evidence), prior_loa, qa, qi, pi, float(lbf_orr), float(lbf_cr), oa, oi, ca, ci,
                     nonefficacy_success=r, nonefficacy_shares=tuple(float(g) for g in shares),
                     q_given=(p_active is not None, p_inactive is not None))


def class_update(sheet, model: ClassModel, cfg, probabilities: list[float], kinds: list[str],
                 evidence: list[Evidence] | tuple[Evidence, ...], widen: bool | None = None) -> PosUpdate:
    """:func:`update` for a term sheet's plan: q_A, q_I from ``cfg`` (``[pos]``) when given, else from the
    stage's non-efficacy risk of the plan's phases (:func:`class_approval`). Without evidence any prior LOA is
    allowed (q_A, q_I widen to include it: there is nothing to update); ``widen`` says whether to (default:
    without evidence)."""
    row = catalogue.transition_row(sheet.asset.modality, sheet.asset.therapeutic_area, sheet.asset.benchmark)
    shares = catalogue.nonefficacy_shares(kinds, sheet.asset.stage, row) if kinds else []
    prior_loa = math.prod(probabilities)
    qa, qi = cfg.p_approval_active, cfg.p_approval_inactive
    if (not evidence) if widen is None else widen:
        qa0, qi0, _ = class_approval(model, probabilities, shares, qa, qi)
        if not qi0 <= prior_loa <= qa0:
            qa, qi = max(qa0, prior_loa), min(qi0, prior_loa)
    return update(model, prior_loa, evidence, qa, qi, probabilities, shares)


# ---- from LOA to phase probabilities ---------------------------------------------------------------------------
@lru_cache(maxsize=8)
def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (numpy's leggauss), computed once per n: an eigenvalue
    problem of size n that costs more than the integrals it serves."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def posterior_class_rows(prior: np.ndarray, log_bf: float | np.ndarray) -> np.ndarray:
    """pi' = pi BF / (pi BF + 1 - pi) for each prior class probability pi, on the log-odds scale
    (logit pi' = logit pi + log BF); pi of 0 or 1 stays where it is."""
    pi = np.asarray(prior, dtype=float)
    inner = (pi > 0.0) & (pi < 1.0)
    safe = np.where(inner, pi, 0.5)
    logit = np.log(safe) - np.log1p(-safe) + log_bf
    with np.errstate(over="ignore"):
        post = np.where(logit > -700, 1.0 / (1.0 + np.exp(-logit)), 0.0)
    return np.where(inner, post, pi)


def spread_rows(prior: np.ndarray, kinds: list[str], target: np.ndarray) -> np.ndarray:
    """Transition probabilities whose product is ``target`` (S,), one row per prior row (S, J).

    The readout speaks to efficacy, so the clinical phases absorb the change and regulatory review (``filing``)
    keeps its probability. Each clinical phase keeps its share of the total clinical log-risk:
    p_j' = p_j ** alpha with alpha = log(target / filing product) / log(clinical product). If no clinical phase
    has risk to rescale, or the target exceeds what review allows, every phase is rescaled the same way; if every
    probability is 1 (or 0), the target is split evenly in log terms over the clinical phases (all phases when
    there are none).
    """
    p = np.atleast_2d(np.asarray(prior, dtype=float))
    target = np.broadcast_to(np.asarray(target, dtype=float), p.shape[:1])
    if np.any(~((target > 0.0) & (target <= 1.0))):
        bad = target[~((target > 0.0) & (target <= 1.0))][0]
        raise InputError(Problem("pos", f"posterior LOA {bad} is outside (0, 1]"))
    clinical = np.array([k in CLINICAL_KINDS for k in kinds], dtype=bool)
    review = p[:, ~clinical].prod(axis=1)
    clin = p[:, clinical].prod(axis=1)
    total = p.prod(axis=1)
    rule1 = clinical.any() & (clin > 0) & (clin < 1) & (review > 0) & (target <= review)
    rule2 = ~rule1 & (total > 0) & (total < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.log(target / review) / np.log(clin)
        a2 = np.log(target) / np.log(total)
    scope = clinical if clinical.any() else np.ones(p.shape[1], dtype=bool)
    even = target ** (1.0 / max(int(scope.sum()), 1))
    out = np.where(rule1[:, None] & clinical[None, :], p ** np.where(rule1, a1, 1.0)[:, None], p)
    out = np.where(rule2[:, None], p ** np.where(rule2, a2, 1.0)[:, None], out)
    rule3 = ~rule1 & ~rule2
    return np.where(rule3[:, None] & scope[None, :], even[:, None], out)


def spread(probabilities: list[float], kinds: list[str], target_loa: float) -> list[float]:
    """:func:`spread_rows` for one plan: a list of transition probabilities with product ``target_loa``."""
    return [float(x) for x in spread_rows(np.array([probabilities], dtype=float), kinds, np.array([target_loa]))[0]]


def transport_rows(probs: np.ndarray, durations: np.ndarray, kinds: list[str], factor: float,
                   delay: float) -> tuple[np.ndarray, np.ndarray]:
    """China-only evidence: multiply the review phase's probability by ``factor`` and lengthen it by ``delay``
    years, for every row of ``probs`` and ``durations`` (S, J). Raises InputError without a filing phase."""
    if "filing" not in kinds:
        raise InputError(Problem("pos.transportability", "needs a 'filing' phase in the plan to apply to"))
    f = list(kinds).index("filing")
    p, d = np.array(probs, dtype=float, copy=True), np.array(durations, dtype=float, copy=True)
    p[..., f] *= factor
    d[..., f] += delay
    return p, d


def apply_transportability(probabilities: list[float], durations: list[float], kinds: list[str],
                           factor: float, delay: float) -> tuple[list[float], list[float]]:
    """:func:`transport_rows` for one plan, as lists."""
    p, d = transport_rows(np.array(probabilities, dtype=float), np.array(durations, dtype=float), kinds, factor, delay)
    return [float(x) for x in p], [float(x) for x in d]


def stage_phases(stage: str, modality: str, therapeutic_area: str) -> tuple[list[float], list[float], str]:
    """The benchmark transitions that remain from the start of ``stage``, one per BIO column: their
    probabilities, their non-efficacy shares g_j (:func:`iitvalue.catalogue.nonefficacy_shares`) and a
    description of the row and columns."""
    first = {"preclinical": 0, "iit": 0, "phase1": 0, "phase2": 1, "phase3": 2, "filed": 3}
    if stage not in first:
        raise InputError(Problem("stage", f"'{stage}' is not allowed; expected one of {', '.join(first)}"
                                 f"{suggest(stage, first)}"))
    row = catalogue.transition_row(modality, therapeutic_area)
    cols = list(catalogue.PHASE_COLUMNS[first[stage]:])  # one phase per column: each column name is its kind
    shares = catalogue.nonefficacy_shares(cols, stage, row)
    return [float(row.values[c]) for c in cols], shares, f"{row.describe()}, columns {'x'.join(cols)}"


def prior_loa_for_stage(stage: str, modality: str, therapeutic_area: str) -> tuple[float, str]:
    """Benchmark LOA from the start of ``stage``: product of the remaining BIO transition probabilities."""
    probs, _, source = stage_phases(stage, modality, therapeutic_area)
    return float(np.prod(probs)), source
