"""Several indications of one asset: their plans, the shared-efficacy model and the joint outcome probabilities
(docs/method.md 5).

Each indication k has its own phases and outcome o_k: fails in phase o (0-based), approved (o = J_k), or -1,
never started (a follow-on indication starts only if the event of an earlier one that it waits for happens). A
joint outcome is the tuple (o_1, ..., o_K); :func:`joint_states` lists those that can happen.

Shared efficacy: the asset is active or inactive (the latent class of section 2), the same for every
indication. Given the class c, indication k is approved with probability q_kc, and the indications develop
independently. The lead's (q_A, q_I) are the update's; a follow-on's start from its own stage's approval given
the class, q0_kc = e_c R_k (docs/method.md 2.4), shifted on the log-odds scale by delta_k,
logit q_kc = logit q0_kc + delta_k, with delta_k set so that its prior LOA is its benchmark
(sum_c pi_c q_kc = LOA_k before the readouts). Readouts of any indication multiply the class odds by their
Bayes factor (under their own indication's class model), so every indication's LOA moves with all the
evidence: LOA_k' = pi' q_kA + (1 - pi') q_kI.

Within a class, indication k's outcome distribution is its spread chain P_k(o) (section 2.6, LOA_k') tilted
so that approval has probability q_kc: P_k(o | c) = P_k(o) q_kc / LOA_k' if o = J_k, P_k(o) (1 - q_kc) /
(1 - LOA_k') otherwise. Averaged over the class, each indication's outcomes are its spread chain exactly, so a
single indication values as in section 1; jointly,

    P(o_1, ..., o_K) = sum_c pi'_c prod_{k started} P_k(o_k | c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError, Problem
from ..stats.roots import brent
from .outcomes import outcome_probabilities
from .plan import Plan


@dataclass(frozen=True)
class IndicationPlan:
    """One indication as the joint engine uses it: its plan (posterior, with transportability), its prior plan,
    when it starts (``parent`` indication index, ``event`` "phase_success" or "approval", the parent's ``phase``
    index, ``lag`` years) and its approval probability in each class (q_active, q_inactive)."""

    name: str
    key: str
    line: str | None
    plan: Plan
    prior_plan: Plan
    parent: int | None = None
    event: str | None = None
    phase: int | None = None
    lag: float = 0.0
    q_active: float = math.nan
    q_inactive: float = math.nan
    reach: tuple[float, float] = (1.0, 1.0)  # P(it starts | active), (| inactive), under the prior


def given_start(p_active: float, reach: tuple[float, float]) -> float:
    """P(active | the indication starts) from P(active) and ``reach`` = P(it starts | active), (| inactive)."""
    ra, ri = reach
    den = p_active * ra + (1.0 - p_active) * ri
    return p_active * ra / den if den > 0 else p_active


@dataclass(frozen=True)
class JointPlan:
    """Every indication of the asset (the lead first) and the probability that the asset is active."""

    indications: tuple[IndicationPlan, ...]
    p_active: float

    @property
    def lead(self) -> Plan:
        return self.indications[0].plan

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.indications]

    def loas(self) -> list[float]:
        """Each indication's marginal LOA (given that it starts): the product of its plan's probabilities."""
        return [math.prod(p.probability for p in i.plan.phases) for i in self.indications]


def logit_shift(p_active: float, q_active: float, q_inactive: float, target: float) -> tuple[float, float]:
    """(q_A', q_I') with logit q' = logit q + delta and p_active q_A' + (1 - p_active) q_I' = ``target``.

    The mean is increasing in delta, so delta is found by Brent's method; a q of 0 or 1 stays put. Raises
    InputError when no delta reaches the target (e.g. a target above P(active) while q_I = 0)."""
    if target <= 0.0:
        return 0.0, 0.0
    if target >= 1.0:
        return 1.0, 1.0

    def shifted(q: float, d: float) -> float:
        if q <= 0.0 or q >= 1.0:
            return q
        z = math.log(q) - math.log1p(-q) + d
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def mean(d: float) -> float:
        return p_active * shifted(q_active, d) + (1.0 - p_active) * shifted(q_inactive, d) - target

    lo, hi = -60.0, 60.0
    if mean(lo) > 0 or mean(hi) < 0:
        top = p_active * (q_active > 0) + (1 - p_active) * (q_inactive > 0)
        low = p_active * (q_active >= 1) + (1 - p_active) * (q_inactive >= 1)
        raise InputError(Problem("indications", f"a prior LOA of {target:.4f} cannot be reached under the shared "
                                 f"class (P(active) = {p_active:.4f}, q = {q_active:g} / {q_inactive:g}): it must lie "
                                 f"between {low:.4f} and {top:.4f}; change the indication's phase probabilities or "
                                 "pos.p_approval_active / pos.p_approval_inactive"))
    d = brent(mean, lo, hi, xtol=1e-13)
    return shifted(q_active, d), shifted(q_inactive, d)


def joint_states(inds: tuple[IndicationPlan, ...] | list[IndicationPlan]) -> np.ndarray:
    """Every joint outcome that can happen, (Omega, K) ints: o_k in 0..J_k, or -1 (never started). Rows are in
    lexicographic order of the indications' outcomes, the lead's slowest."""
    rows: list[list[int]] = [[]]
    for ind in inds:
        J = len(ind.plan.phases)
        out = []
        for r in rows:
            if ind.parent is None:
                started = True
            else:
                o, Jp = r[ind.parent], len(inds[ind.parent].plan.phases)
                started = o >= 0 and (o == Jp if ind.event == "approval" else o > ind.phase)
            out += [r + [o] for o in range(J + 1)] if started else [r + [-1]]
        rows = out
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(inds))


def class_conditional(chain: np.ndarray, q: float | np.ndarray, loa: np.ndarray) -> np.ndarray:
    """P_k(o | c) from the spread chain P_k(o) (S, J + 1) and q_kc (scalar or (S,)): the approval outcome scaled by
    q / LOA, the failure outcomes by (1 - q) / (1 - LOA); unchanged where LOA is 0 or 1."""
    q = np.broadcast_to(np.asarray(q, dtype=float), loa.shape)
    inner = (loa > 0.0) & (loa < 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.where(inner, q / loa, 1.0)
        down = np.where(inner, (1.0 - q) / (1.0 - loa), 1.0)
    out = chain * down[:, None]
    out[:, -1] = chain[:, -1] * up
    return out


def joint_probabilities(jp: JointPlan, states: np.ndarray, probabilities: list[np.ndarray] | None = None,
                        p_active: float | np.ndarray | None = None) -> np.ndarray:
    """P(omega) per scenario, (S, Omega), summing to 1 over omega (see the module docstring).

    ``probabilities`` (optional) are the indications' transition probabilities, each (S, J_k), default their
    plans'; ``p_active`` overrides the class probability (scalar or (S,))."""
    inds = jp.indications
    probs = probabilities or [np.array([[p.probability for p in i.plan.phases]], dtype=float) for i in inds]
    S = max(p.shape[0] for p in probs)
    pa = np.broadcast_to(np.asarray(jp.p_active if p_active is None else p_active, dtype=float), (S,))
    total = np.zeros((S, states.shape[0]))
    for c, weight in ((0, pa), (1, 1.0 - pa)):
        f = np.ones((S, states.shape[0]))
        for k, ind in enumerate(inds):
            p = np.broadcast_to(probs[k], (S, probs[k].shape[1]))
            chain = outcome_probabilities(p)
            cond = class_conditional(chain, ind.q_active if c == 0 else ind.q_inactive, chain[:, -1])
            idx = states[:, k]
            f *= np.where(idx[None, :] >= 0, cond[:, np.maximum(idx, 0)], 1.0)
        total += weight[:, None] * f
    return total


def at_class(jp: JointPlan, p_active: float, spread) -> JointPlan:
    """The joint plan with class probability ``p_active``: each indication's phases spread (``spread(probs,
    kinds, loa)``, the rule of the update) to LOA_k = p_k q_kA + (1 - p_k) q_kI, p_k = P(active | k starts)."""
    inds = []
    for i in jp.indications:
        pk = given_start(p_active, i.reach)
        loa = pk * i.q_active + (1.0 - pk) * i.q_inactive
        probs = [p.probability for p in i.plan.phases]
        plan = (i.plan.with_phases(spread(probs, [p.kind for p in i.plan.phases], loa),
                                   source=f"P(active) set to {p_active:.4f}") if i.plan.phases else i.plan)
        inds.append(replace(i, plan=plan))
    return JointPlan(tuple(inds), p_active)
