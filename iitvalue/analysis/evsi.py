"""The value of the next cohort (docs/method.md 6.3): the expected value of seeing N more IIT patients before
deciding whether to go on with the asset, by preposterior analysis.

The next cohort's outcome o = (r responders, c CR/sCR among them) has the posterior predictive probability

    P(r, c) = sum_K pi_K [sum_k w_Kk BB(r; N, a_Kk, b_Kk)] [sum_j v_Kj BB(c; r, a'_Kj, b'_Kj)]

over the two latent classes K (posterior probability pi_K) and the beta mixtures of the ORR and of the CR share
within each (the valuation's posterior, :class:`iitvalue.model.pos.PosUpdate`); BB is the beta-binomial
probability. When the latest readout gives no CR count, only r is predicted. For each outcome the trial's latest
readout is extended by the cohort (n + N patients, responders + r, CRs + c), dated the valuation date, and the
sheet revalued: its posterior LOA and rNPV V_o. The decision after the cohort goes on when V_o > 0 (else stops,
value 0). EVSI = sum_o P(o) max(V_o, 0) - max(sum_o P(o) V_o, 0): the value of deciding after the cohort against
deciding now on the same beliefs, >= 0 by Jensen's inequality and 0 for a cohort of 0 (tested). With an evidence
weight w < 1 the valuation tempers the whole cumulative readout, so the predictive mean of V_o differs a little
from today's rNPV (both are reported). Waiting's own cost (the time the cohort takes, a rival signing first) is
not in it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..stats.special import betaln
from ..termsheet.schema import TermSheet
from ..valuation import value

MAX_COHORT = 40


def beta_binomial(k: np.ndarray, n: int, a: float, b: float) -> np.ndarray:
    """P(K = k) for K ~ BetaBinomial(n, a, b): C(n, k) B(k + a, n - k + b) / B(a, b).

    Examples
    --------
    >>> np.round(beta_binomial(np.arange(3), 2, 1.0, 1.0), 12).tolist()    # uniform prior: each count 1/3
    [0.333333333333, 0.333333333333, 0.333333333333]
    """
    k = np.asarray(k, dtype=float)
    log_c = math.lgamma(n + 1) - np.array([math.lgamma(x + 1) + math.lgamma(n - x + 1) for x in k.ravel()]).reshape(k.shape)
    return np.exp(log_c + betaln(k + a, n - k + b) - betaln(a, b))


def _mix_bb(k: np.ndarray, n: int, mix) -> np.ndarray:
    return sum(w * beta_binomial(k, n, a, b) for w, a, b in zip(mix.weights, mix.a, mix.b))


def outcomes(update, cohort: int, with_cr: bool) -> list[tuple[int, int | None, float]]:
    """(r, c, P(r, c)) for every outcome of a cohort of ``cohort`` patients (c None without CR counts)."""
    out = []
    pis = ((update.posterior_class, update.orr_active, update.cr_active),
           (1.0 - update.posterior_class, update.orr_inactive, update.cr_inactive))
    r = np.arange(cohort + 1)
    p_r = [(pi, _mix_bb(r, cohort, orr), cr) for pi, orr, cr in pis]
    for ri in range(cohort + 1):
        if not with_cr:
            out.append((ri, None, float(sum(pi * pr[ri] for pi, pr, _ in p_r))))
            continue
        c = np.arange(ri + 1)
        joint = sum(pi * pr[ri] * _mix_bb(c, ri, cr) for pi, pr, cr in p_r)
        out.extend((ri, int(ci), float(joint[ci])) for ci in range(ri + 1))
    return out


def evsi(sheet: TermSheet, cohort: int) -> dict[str, Any]:
    """The expected value of the next ``cohort`` IIT patients (module docstring).

    Returns
    -------
    dict
        ``evsi`` of the JSON (docs/cli.md): ``value`` (millions, >= 0), ``cohort``, ``rnpv_now``,
        ``predictive_mean_rnpv``, ``decide_now``, ``decide_later``, ``trial``, ``outcomes[]`` (``responders``,
        ``complete``, ``probability``, ``loa``, ``rnpv``, ``decision``).

    Examples
    --------
    >>> import iitvalue
    >>> iitvalue.evsi(iitvalue.load("examples/esobiotec.toml"), 0)["value"]
    0.0
    """
    if not isinstance(cohort, int) or isinstance(cohort, bool) or not 0 <= cohort <= MAX_COHORT:
        raise InputError(Problem("--cohort", f"{cohort!r} is not allowed; a whole number of patients in [0, "
                                             f"{MAX_COHORT}]"))
    base = value(sheet)
    if base.pos is None or not base.pos.readouts:
        raise InputError(Problem("readouts", "the value of the next cohort extends the trial's latest readout: the "
                                             "sheet has none public at its valuation date"))
    latest = max(base.pos.readouts, key=lambda r: (r["date"], r["index"]))
    src = sheet.readouts[latest["index"]]
    with_cr = src.complete is not None and src.complete_n is None
    rnpv_now = float(base.summary["asset.rnpv"])
    rows = []
    for r, c, p in outcomes(base.pos.update, cohort, with_cr):
        if cohort == 0:
            loa, v = float(base.summary["pos.posterior_loa"]), rnpv_now
        else:
            new = src.model_dump()
            new.update(date=sheet.valuation.date, n=src.n + cohort, responders=src.responders + r,
                       source=f"next cohort of {cohort}: {r} responders" + (f", {c} CR" if c is not None else ""))
            if c is not None:
                new["complete"] = src.complete + c
            others = [x.model_dump() for x in sheet.readouts]
            s = value(sheet.replace({"readouts": others + [new]})).summary
            loa, v = float(s["pos.posterior_loa"]), float(s["asset.rnpv"])
        rows.append({"responders": r, "complete": c, "probability": p, "loa": loa, "rnpv": v,
                     "decision": "go on" if v > 0 else "stop"})
    total = sum(x["probability"] for x in rows)
    mean = sum(x["probability"] * x["rnpv"] for x in rows) / total
    later = sum(x["probability"] * max(x["rnpv"], 0.0) for x in rows) / total
    now = max(mean, 0.0)
    return {"value": max(0.0, later - now) if cohort else 0.0, "cohort": cohort, "trial": src.trial,
            "rnpv_now": rnpv_now, "predictive_mean_rnpv": mean, "decide_now": now, "decide_later": later,
            "outcomes": rows}
