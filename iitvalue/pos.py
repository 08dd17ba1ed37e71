"""Bayesian probability of success from IIT readouts (formulas and sources in docs/method.md, section 2).

Two latent classes: the asset is *active* (good enough to be approved) or *inactive*. Each class has a beta
mixture for the true ORR (theta) and for the share of responders who reach CR/sCR (phi, nested within
responders). A readout (n patients, r responders, c complete responses among r_c responders evaluable for CR)
weighted by w (power prior) has class likelihood

    m_K = integral Bin(r | n, theta)^w f_K(theta) dtheta  x  integral Bin(c | r_c, phi)^w g_K(phi) dphi

and Bayes factor BF = m_active / m_inactive. With P(approval | class) = q_A, q_I and the prior class probability
pi set so that pi q_A + (1 - pi) q_I equals the plan's prior LOA:

    pi' = pi BF / (pi BF + 1 - pi),   LOA' = pi' q_A + (1 - pi') q_I.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .betamix import BetaMix, Decision1S, pos1s
from .errors import InputError, Problem

UNIFORM = BetaMix.of((1.0, 1.0, 1.0))
CLINICAL_KINDS = ("preclinical", "phase1", "phase2", "phase3", "pivotal")


# ---- the shipped class models ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassModel:
    """Class distributions and approval probabilities for one indication x modality."""

    key: str
    indication: str
    modality: str
    therapeutic_area: str
    description: str
    orr_active: BetaMix
    orr_inactive: BetaMix
    cr_active: BetaMix
    cr_inactive: BetaMix
    p_approval_active: float
    p_approval_inactive: float
    source: str
    components: tuple[dict, ...] = ()


def _read(name: str) -> list[dict[str, str]]:
    with resources.files("iitvalue").joinpath("data", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=None)
def _models() -> dict[str, ClassModel]:
    comps = _read("pos_components.csv")
    out = {}
    for m in _read("pos_models.csv"):
        key = m["model"]
        ess_default = float(m["component_ess"])
        robust = float(m["robust_weight"])
        mix: dict[tuple[str, str], list[tuple[float, float]]] = {}
        rows = []
        for c in comps:
            if c["model"] != key:
                continue
            ess = float(c["ess"]) if c["ess"] else ess_default
            orr = float(c["orr"])
            if c["n"]:
                # a published programme: shrink its rates with a Jeffreys half-count so 100% stays inside (0, 1)
                n = float(c["n"])
                r = orr * n
                orr_mean = (r + 0.5) / (n + 1.0)
                cr_mean = (float(c["cr"]) * n + 0.5) / (r + 1.0) if c["cr"] else None
            else:
                orr_mean, cr_mean = orr, (float(c["cr"]) if c["cr"] else None)
            mix.setdefault((c["class"], "orr"), []).append((orr_mean, ess))
            if cr_mean is not None:
                mix.setdefault((c["class"], "cr"), []).append((cr_mean, ess))
            rows.append({"class": c["class"], "label": c["label"], "orr_mean": orr_mean, "cr_mean": cr_mean,
                         "ess": ess, "source": c["source"]})

        def build(cls: str, endpoint: str) -> BetaMix:
            parts = mix.get((cls, endpoint))
            if not parts:
                return UNIFORM  # no information on this endpoint: identical in both classes, Bayes factor 1
            k = len(parts)
            base = BetaMix.from_components([1.0 / k] * k, [p[0] for p in parts], [p[1] for p in parts])
            return base.robustify(robust) if robust > 0 else base

        out[key] = ClassModel(
            key=key, indication=m["indication"], modality=m["modality"], therapeutic_area=m["therapeutic_area"],
            description=m["description"],
            orr_active=build("active", "orr"), orr_inactive=build("inactive", "orr"),
            cr_active=build("active", "cr"), cr_inactive=build("inactive", "cr"),
            p_approval_active=float(m["p_approval_active"]), p_approval_inactive=float(m["p_approval_inactive"]),
            source=m["source"], components=tuple(rows),
        )
    return out


def known_models() -> tuple[str, ...]:
    return tuple(_models())


def known_indications() -> tuple[str, ...]:
    return tuple(sorted({m.indication for m in _models().values()}))


_AREA_FALLBACK = {"haematologic-malignancies": "haematologic", "haematology": "haematologic",
                  "oncology": "solid-tumour", "solid-tumours": "solid-tumour"}


def find_model(indication: str, modality: str, therapeutic_area: str | None = None,
               key: str | None = None) -> tuple[ClassModel, str]:
    """The class model for an asset, and a note saying how it was chosen.

    Order: an explicit key; an exact (indication, modality) row; the indication's any-modality row; for a term
    sheet, the generic row of its therapeutic area. Raises :class:`InputError` listing the known keys."""
    models = _models()
    if key is not None:
        if key not in models:
            raise InputError(Problem("pos.model", f"unknown model '{key}'{_close(key, models)}; known: {', '.join(models)}"))
        return models[key], f"class model '{key}' (given)"
    for m in models.values():
        if m.indication == indication and m.modality == modality:
            return m, f"class model '{m.key}' ({m.description})"
    for m in models.values():
        if m.indication == indication and m.modality == "*":
            return m, f"class model '{m.key}' ({m.description})"
    if therapeutic_area in _AREA_FALLBACK:
        m = models[_AREA_FALLBACK[therapeutic_area]]
        return m, (f"no class model for indication '{indication}' with modality '{modality}': using the generic "
                   f"'{m.key}' model of therapeutic area '{therapeutic_area}'")
    inds = known_indications()
    if indication not in inds:
        raise InputError(Problem("indication", f"unknown indication '{indication}'{_close(indication, inds)}; "
                                 f"known: {', '.join(inds)}"))
    mods = sorted({m.modality for m in models.values() if m.indication == indication})
    raise InputError(Problem("modality", f"no class model for modality '{modality}' in '{indication}'"
                             f"{_close(modality, mods)}; known: {', '.join(mods)}"))


def _close(word: str, options) -> str:
    c = difflib.get_close_matches(word, list(options), n=1, cutoff=0.4)
    return f" (did you mean '{c[0]}'?)" if c else ""


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


def check_readout_choice(choice: str, valuation_date: _dt.date) -> str | None:
    """None when ``choice`` is valid: auto, latest, none, or an ISO date on or before the valuation date."""
    if choice in ("auto", "latest", "none"):
        return None
    try:
        d = _dt.date.fromisoformat(choice)
    except ValueError:
        return f"'{choice}' is not allowed; use auto, latest, none or a date YYYY-MM-DD"
    if d > valuation_date:
        return (f"readouts up to {d} were asked for, but that is after the valuation date {valuation_date}: the "
                f"valuation cannot use later data; value at a later date instead (--set valuation.date={d})")
    return None


def select_readouts(readouts: list, valuation_date: _dt.date, choice: str = "auto") -> list:
    """Which readouts a valuation uses (each readout of a trial is cumulative, so only its latest counts).

    auto: for each trial, its latest readout dated on or before the valuation date; latest: the single most
    recent such readout; none: no readouts; DATE: as auto, with DATE as the cut-off."""
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
    """A fitted update: prior and posterior class probability and LOA, Bayes factors and posterior rates."""

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
        """pi' = pi BF / (pi BF + 1 - pi), computed on the log-odds scale."""
        pi = self.prior_class
        if pi <= 0.0 or pi >= 1.0:
            return pi
        logit = math.log(pi) - math.log1p(-pi) + self.log_bf_orr + self.log_bf_cr
        return 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0

    @property
    def posterior_loa(self) -> float:
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
        """Marginal posterior of the true ORR: pi' f_A(. | data) + (1 - pi') f_I(. | data)."""
        return _blend(self.orr_active, self.orr_inactive, self.posterior_class)

    def cr_posterior(self) -> BetaMix:
        """Marginal posterior of the share of responders reaching CR/sCR."""
        return _blend(self.cr_active, self.cr_inactive, self.posterior_class)

    def cr_rate(self, level: float = 0.95) -> tuple[float, float, float]:
        """Mean and equal-tailed interval of the CR rate among all patients, theta x phi (independent within a
        class): P(theta phi <= x) = sum_K pi_K sum_i w_Ki int_0^1 G_K(min(1, x / F_Ki^-1(u))) du, substituting
        u = F_Ki(t) for each ORR component (no density left to integrate, so components with b < 1, whose density
        is infinite at 1, and concentrated posteriors stay accurate); 400-point Gauss-Legendre in u; quantiles by
        brentq on [0, 1]."""
        from scipy import stats
        from scipy.optimize import brentq

        pc = self.posterior_class
        parts = [(pc, self.orr_active, self.cr_active), (1.0 - pc, self.orr_inactive, self.cr_inactive)]
        mean = sum(w * o.mean() * c.mean() for w, o, c in parts)
        nodes, wts = np.polynomial.legendre.leggauss(400)
        u = 0.5 * (nodes + 1.0)
        wq = 0.5 * wts
        pieces = []  # (weight, theta at the u nodes, CR mixture of the class)
        for w_class, orr, cr in parts:
            if w_class <= 0:
                continue
            for wk, a, b in zip(orr.weights, orr.a, orr.b):
                pieces.append((w_class * wk, np.maximum(stats.beta.ppf(u, a, b), 1e-300), cr))

        def cdf(x: float) -> float:
            return float(sum(w * np.sum(wq * cr.cdf(np.minimum(1.0, x / t))) for w, t, cr in pieces))

        lo = brentq(lambda x: cdf(x) - (1 - level) / 2, 0.0, 1.0, xtol=1e-12)
        hi = brentq(lambda x: cdf(x) - (1 + level) / 2, 0.0, 1.0, xtol=1e-12)
        return mean, lo, hi

    def assurance(self, design) -> float:
        """Probability that a planned single-arm study of ``design.n`` patients meets its rule, averaged over the
        posterior ORR (O'Hagan, Stevens & Campbell 2005)."""
        rule = Decision1S(threshold=design.threshold, level=design.level, kind=design.rule)
        return float(pos1s(self.orr_posterior(), design.n, rule))

    def summary(self) -> dict[str, Any]:
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
            "orr_mean": orr.mean(), "orr_low": lo, "orr_high": hi,
            "cr_share_mean": cr.mean(), "cr_share_low": clo, "cr_share_high": chi,
            "cr_rate_mean": rate, "cr_rate_low": rlo, "cr_rate_high": rhi,
        }

    def _repr_html_(self) -> str:
        import pandas as pd

        return pd.Series(self.summary(), name="value").to_frame()._repr_html_()


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
           p_active: float | None = None, p_inactive: float | None = None) -> PosUpdate:
    """Posterior class probability and LOA after the readouts (trials combined; within a class they share theta)."""
    qa = model.p_approval_active if p_active is None else p_active
    qi = model.p_approval_inactive if p_inactive is None else p_inactive
    pi = prior_class_probability(prior_loa, qa, qi)
    oa, oi, ca, ci = model.orr_active, model.orr_inactive, model.cr_active, model.cr_inactive
    lbf_orr = lbf_cr = 0.0
    for e in evidence:
        lbf_orr += oa.log_marginal(e.responders, e.n, e.weight) - oi.log_marginal(e.responders, e.n, e.weight)
        oa, oi = oa.posterior(e.responders, e.n, e.weight), oi.posterior(e.responders, e.n, e.weight)
        if e.complete is not None and e.cr_n and e.cr_n > 0:
            lbf_cr += ca.log_marginal(e.complete, e.cr_n, e.weight) - ci.log_marginal(e.complete, e.cr_n, e.weight)
            ca, ci = ca.posterior(e.complete, e.cr_n, e.weight), ci.posterior(e.complete, e.cr_n, e.weight)
    return PosUpdate(model, tuple(evidence), prior_loa, qa, qi, pi, float(lbf_orr), float(lbf_cr), oa, oi, ca, ci)


# ---- from LOA to phase probabilities ---------------------------------------------------------------------------
def spread(probabilities: list[float], kinds: list[str], target_loa: float) -> list[float]:
    """Transition probabilities whose product is ``target_loa``.

    The readout speaks to efficacy, so the clinical phases absorb the change and regulatory review (``filing``)
    keeps its probability. Each clinical phase keeps its share of the total clinical log-risk:
    p_j' = p_j ** alpha with alpha = log(target / filing product) / log(clinical product). If no clinical phase
    has risk to rescale, or the target exceeds what review allows, every phase is rescaled the same way.
    """
    p = np.asarray(probabilities, dtype=float)
    if not (0.0 < target_loa <= 1.0):
        raise InputError(Problem("pos", f"posterior LOA {target_loa} is outside (0, 1]"))
    clinical = np.array([k in CLINICAL_KINDS for k in kinds])
    review = float(np.prod(p[~clinical]))
    clin = float(np.prod(p[clinical]))
    if clinical.any() and 0.0 < clin < 1.0 and review > 0 and target_loa <= review:
        alpha = math.log(target_loa / review) / math.log(clin)
        return [float(x ** alpha) if c else float(x) for x, c in zip(p, clinical)]
    total = float(np.prod(p))
    if 0.0 < total < 1.0:
        alpha = math.log(target_loa) / math.log(total)
        return [float(x ** alpha) for x in p]
    # every probability is 1 (or 0): no risk profile to keep, so split the target evenly in log terms
    scope = clinical if clinical.any() else np.ones(len(p), dtype=bool)
    k = int(scope.sum())
    return [float(target_loa ** (1.0 / k)) if c else float(x) for x, c in zip(p, scope)]


def apply_transportability(probabilities: list[float], durations: list[float], kinds: list[str],
                           factor: float, delay: float) -> tuple[list[float], list[float]]:
    """China-only evidence: multiply the review phase's probability by ``factor`` and lengthen it by ``delay``."""
    probs, durs = list(probabilities), list(durations)
    for j, k in enumerate(kinds):
        if k == "filing":
            probs[j] *= factor
            durs[j] += delay
            return probs, durs
    raise InputError(Problem("pos.transportability", "needs a 'filing' phase in the plan to apply to"))


def prior_loa_for_stage(stage: str, modality: str, therapeutic_area: str) -> tuple[float, str]:
    """Benchmark LOA from the start of ``stage``: product of the remaining BIO transition probabilities."""
    from .benchmarks import PHASE_COLUMNS, transition_row

    first = {"preclinical": 0, "iit": 0, "phase1": 0, "phase2": 1, "phase3": 2, "filed": 3}
    if stage not in first:
        raise InputError(Problem("stage", f"'{stage}' is not allowed; expected one of {', '.join(first)}"
                                 f"{_close(stage, first)}"))
    row = transition_row(modality, therapeutic_area)
    cols = PHASE_COLUMNS[first[stage]:]
    return float(np.prod([row.values[c] for c in cols])), f"{row.describe()}, columns {'x'.join(cols)}"
