"""Development outcomes: the asset fails in phase o (o = 0..J-1, 0-based) or is approved (o = J).

Every value in iitvalue is an expectation over these J + 1 outcomes (Stewart, Allison & Johnson 2001):
P(fail in phase o) = S_o (1 - p_o) with S_o = p_0 ... p_{o-1} the probability of starting phase o, and
P(approved) = LOA. ``value`` takes the expectation; the Monte Carlo draws one outcome per path.
"""

from __future__ import annotations

import numpy as np


def outcome_probabilities(probs: np.ndarray) -> np.ndarray:
    """P(fail in phase j) = S_j (1 - p_j) for j = 0..J-1, then P(approved) = LOA: shape (S, J + 1)."""
    S, J = probs.shape
    start = np.concatenate([np.ones((S, 1)), np.cumprod(probs, axis=1)[:, :-1]], axis=1) if J else np.ones((S, 0))
    return np.concatenate([start * (1 - probs), probs.prod(axis=1)[:, None]], axis=1)


def realised_outcome(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index of the phase failed (0-based), or J when every phase passes: phase j passes iff u_j < p_j.
    ``probs`` is (S, J) or (J,) (the same on every path)."""
    S, J = u.shape
    p = np.broadcast_to(probs, (S, J))
    f = np.zeros(S, dtype=np.int8)  # the number of phases passed before the first failure
    alive = np.ones(S, dtype=bool)
    passed = np.empty(S, dtype=bool)
    for j in range(J):
        np.less(u[:, j], p[:, j], out=passed)
        alive &= passed
        f += alive
    return f


def fail_values(pv_by_phase: np.ndarray, success: np.ndarray) -> np.ndarray:
    """(S, J + 1): outcome o < J is minus the PV of what phases 0..o cost (``pv_by_phase`` (S, J)); outcome J
    is ``success`` (S,), the success path's value."""
    return np.concatenate([-np.cumsum(pv_by_phase, axis=1), success[:, None]], axis=1)


def phase_pv(ln, weights: np.ndarray) -> np.ndarray:
    """sum_k R&D_jk w_k per scenario and phase, (S, J), for per-period weights ``w`` (N,) such as discount
    factors: from the unit R&D lines when every scenario shares them (costs x sum_k unit_jk w_k), else directly."""
    if ln.rd_unit is not None and ln.rd_unit.shape[0] == 1 and weights.ndim == 1:
        return ln.rd_cost * (ln.rd_unit[0] * weights).sum(-1)
    return (ln.rd_by_phase * np.broadcast_to(weights, ln.fcf.shape)[:, None, :]).sum(-1)


def asset_outcome_values(ln, df: np.ndarray) -> np.ndarray:
    """The asset's NPV in each outcome, (S, J + 1), with discount factors ``df`` (S, N) or (N,): failing in
    phase o loses the R&D of phases 0..o; approval earns the success path's after-tax cash flow."""
    return fail_values(phase_pv(ln, df), (ln.fcf * df).sum(-1))


def expectation(values: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """sum_o P(o) V(o) per scenario: (S,)."""
    return (values * probabilities).sum(axis=1)
