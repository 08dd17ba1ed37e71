"""The Monte Carlo of an asset with several indications (docs/method.md 5; docs/montecarlo.md).

Each path draws the asset's class (active with the posterior probability pi') and then each indication's
outcome from its class-conditional chain P_k(o | c) (:func:`~iitvalue.model.joint.class_conditional`), by the
inverse CDF of its own uniform; a follow-on indication whose starting event did not happen on the path never
starts. The path's joint outcome indexes the per-outcome values of the joint engine: computed once when nothing
else is drawn, else per path on the drawn inputs of the lead indication (``phases[j]...``,
``territories[m]...``, ``costs...``, ``valuation...``). Uniforms come from a generator per block of ``BLOCK``
paths seeded by (seed, block), so the numbers do not depend on the chunk.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..deal.joint import joint_deal_outcomes_at
from ..errors import InputError, Problem
from ..model.engine import arrays_from_plan
from ..model.joint import class_conditional, joint_probabilities
from ..model.joint_asset import value_joint
from ..model.joint_lines import JointLines, evaluate_joint
from ..model.joint_update import joint_update
from ..model.outcomes import outcome_probabilities
from ..termsheet.indications import follow_on_territories
from ..termsheet.paths import parse_path
from ..termsheet.schema import Pos, TermSheet
from .draws import BLOCK, apply_draws, check_drawn, draw_chunk
from .setup import TERR_ARRAY, prepare

JOINT_CHUNK = 1024  # paths valued at once when inputs are drawn: (paths x outcomes x markets x periods) arrays


def _values(sheet: TermSheet, jl: JointLines, valuation_rate: float | np.ndarray) -> dict[str, np.ndarray]:
    """Per-outcome values (S, Omega): ``asset`` at the valuation rate (scalar, or one per path) and, with a
    deal, each side's."""
    r = np.asarray(valuation_rate, dtype=float)
    df = (1.0 + r.reshape(-1, 1)) ** (-jl.t_cash[None, :])
    out = {"asset": jl.values(np.repeat(df, jl.n_outcomes, axis=0) if r.ndim else df[0])}
    deal = sheet.deal
    if deal is not None:
        lic, lee = joint_deal_outcomes_at(deal, jl, (deal.licensor.discount_rate, deal.licensee.discount_rate),
                                          roles=("licensor", "licensee"))
        out.update(licensor=lic.licensor, receipts=lic.receipts, receipts_nominal=lic.receipts_nominal,
                   licensee=lee.licensee)
    return out


def share_draws(sheet: TermSheet, setup, arrs: list, draws: dict[str, np.ndarray]) -> None:
    """Carry the lead's drawn territory and cost inputs into the follow-on indications that inherit them: a
    ``share_of_lead`` territory takes share x the lead's drawn peak and every drawn field it does not set itself;
    a drawn ``costs`` default reaches every follow-on territory without its own value (as
    :func:`~iitvalue.termsheet.indications.follow_on_territories` resolves them)."""
    lead_names = [t.name for t in sheet.territories]
    for k, ind in enumerate(sheet.indications[1:], start=1):
        resolved = follow_on_territories(sheet, ind)
        for u in setup.entries:
            loc = parse_path(u.path)
            if loc[0] == "territories":
                m, field = loc[1], loc[-1]
                for mc, t in enumerate(ind.territories):
                    if t.share_of_lead is None or t.name != lead_names[m]:
                        continue
                    if field in ("peak_sales", "patients", "treated_share", "net_price"):
                        arrs[k].peak[:, mc] = t.share_of_lead * arrs[0].peak[:, m]
                    if field == "net_price" and "net_price" not in t.model_fields_set:
                        arrs[k].net_price[:, mc] = arrs[0].net_price[:, m]
                    if field in TERR_ARRAY and field not in t.model_fields_set:
                        getattr(arrs[k], TERR_ARRAY[field])[:, mc] = getattr(arrs[0], TERR_ARRAY[field])[:, m]
                    if field == "years_to_peak" and not {"ramp", "years_to_peak"} & t.model_fields_set:
                        arrs[k].ramp[:, mc, :] = arrs[0].ramp[:, m, :]  # the lead's redrawn launch curve
            elif loc[0] == "costs":
                for mc, t in enumerate(resolved):
                    if getattr(t, loc[-1]) is None:
                        getattr(arrs[k], TERR_ARRAY[loc[-1]])[:, mc] = draws[u.path]


def joint_outcomes(jl: JointLines, p_active: float, seed: int, lo_block: int, hi_block: int, n_paths: int) -> np.ndarray:
    """The joint outcome index of each path of blocks lo_block..hi_block-1 (see the module docstring)."""
    states = jl.states
    inds = jl.plan.indications
    chains = [outcome_probabilities(np.array([[p.probability for p in i.plan.phases]], dtype=float))[0] for i in inds]
    conds = [[class_conditional(c[None, :], q, c[-1:])[0] for q in (i.q_active, i.q_inactive)]
             for c, i in zip(chains, inds)]
    radix = np.array([len(i.plan.phases) + 2 for i in inds], dtype=np.int64)  # o_k + 1 in 0 .. J_k + 1
    place = np.concatenate([[1], np.cumprod(radix)[:-1]])
    lookup = np.full(int(np.prod(radix)), -1, dtype=np.intp)
    lookup[(states + 1) @ place] = np.arange(states.shape[0])
    out = []
    for b in range(lo_block, hi_block):
        size = min(BLOCK, n_paths - b * BLOCK)
        rng = np.random.default_rng([seed, 0x1D1C, b])
        u = rng.random((size, len(inds) + 1))
        inactive = (u[:, 0] >= p_active).astype(np.intp)
        own = np.empty((size, len(inds)), dtype=np.int64)
        for k, i in enumerate(inds):
            cdf = np.cumsum(np.array(conds[k]), axis=1)  # (2, J_k + 1)
            cdf[:, -1] = 1.0
            o = (u[:, k + 1, None] >= cdf[inactive, :-1]).sum(axis=1)
            if i.parent is not None:
                par = own[:, i.parent]
                Jp = len(inds[i.parent].plan.phases)
                started = (par >= 0) & ((par == Jp) if i.event == "approval" else (par > i.phase))
                o = np.where(started, o, -1)
            own[:, k] = o
        out.append(lookup[(own + 1) @ place])
    return np.concatenate(out) if out else np.empty(0, dtype=np.intp)


def simulate_joint(sheet: TermSheet, n_paths: int, seed: int, chunk: int | None = None, keep_draws: bool = False,
                   progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The Monte Carlo of a multi-indication sheet: the fields of a
    :class:`~iitvalue.montecarlo.simulate.Simulation` as a dict (the caller builds it)."""
    setup = prepare(sheet)
    bad = [u.path for u in sheet.uncertainty if u.dist == "posterior" or u.path.endswith(".probability")]
    if bad:
        raise InputError(Problem("uncertainty", f"{', '.join(bad)}: with several [[indications]] the class and the "
                                 "phase probabilities come from the shared-class update; drawing them is not "
                                 "supported (docs/method.md 5)"))
    ju = joint_update(sheet)
    jp = ju.posterior
    rate = sheet.valuation.discount_rate
    base = evaluate_joint(jp)
    table = _values(sheet, base, rate) if not setup.entries else None
    probs = base.probabilities  # (1, Omega): the outcome probabilities do not depend on the drawn inputs
    deal = sheet.deal
    own_probs = {}
    for role in ("licensor", "licensee") if deal is not None else ():
        party = getattr(deal, role)
        if party.iit_weight is None and party.registrational_weight is None:
            own_probs[role] = probs
        else:  # the party's own evidence weight: its own class probability and phase probabilities
            cfg = (sheet.pos or Pos()).model_copy(update={k: v for k, v in (
                ("iit_weight", party.iit_weight), ("registrational_weight", party.registrational_weight)) if v is not None})
            own = joint_update(sheet, cfg=cfg).posterior
            own_probs[role] = joint_probabilities(own, base.states)
    keys = ("licensor", "licensee", "receipts", "receipts_nominal") if deal is not None else ()
    asset = np.empty(n_paths)
    cond = np.empty(n_paths)
    party = {k: np.empty(n_paths) for k in keys}
    cond_party = {k: np.empty(n_paths) for k in ("licensor", "licensee") if deal is not None}
    omega = np.empty(n_paths, dtype=np.intp)
    keep: dict[str, list] = {}
    n_blocks = -(-n_paths // BLOCK)
    per = max(1, -(-(chunk or JOINT_CHUNK) // BLOCK)) if table is None else max(1, n_blocks)
    for b0 in range(0, n_blocks, per):
        b1 = min(n_blocks, b0 + per)
        lo, hi = b0 * BLOCK, min(n_paths, b1 * BLOCK)
        w = joint_outcomes(base, jp.p_active, seed, b0, b1, n_paths)
        omega[lo:hi] = w
        if table is None:
            draws = draw_chunk(setup, seed, b0, b1, n_paths)
            check_drawn(setup, draws)
            S = hi - lo
            arrs = [arrays_from_plan(i.plan, S) for i in jp.indications]
            apply_draws(setup, arrs[0], draws)
            arrs[0].probabilities[:] = np.array([p.probability for p in jp.lead.phases])
            share_draws(sheet, setup, arrs, draws)
            for a in arrs[1:]:  # valuation-wide inputs (tax rate, discount rate) are the same for every indication
                a.tax_rate, a.discount_rate = arrs[0].tax_rate, arrs[0].discount_rate
            vals = _values(sheet, evaluate_joint(jp, arrs), arrs[0].discount_rate)
            pick = (np.arange(S), w)
            if keep_draws:
                for k, v in draws.items():
                    if k not in ("_u", "_active"):
                        keep.setdefault(k, []).append(v)
        else:
            vals, pick = table, (np.zeros(hi - lo, dtype=np.intp), w)
        asset[lo:hi] = vals["asset"][pick]
        cond[lo:hi] = (vals["asset"] * probs).sum(axis=1)[pick[0]]
        for k in keys:
            party[k][lo:hi] = vals[k][pick]
        for k in cond_party:
            cond_party[k][lo:hi] = (vals[k] * own_probs[k]).sum(axis=1)[pick[0]]
        if progress is not None:
            progress(hi - lo)
    lead_outcome = base.states[omega, 0].astype(np.int8)
    J = np.array([len(p.phases) for p in base.plans])
    approved = base.states[omega] == J[None, :]
    notes = list(setup.notes) + ["several indications: each path draws the shared class, then every indication's "
                                 "outcome (docs/method.md 5); P(approved) on the paths: "
                                 + ", ".join(f"{i.name} {approved[:, k].mean():.1%}" for k, i in enumerate(jp.indications))]
    return dict(n=n_paths, seed=seed, outcome=lead_outcome, asset=asset, licensor=party.get("licensor"),
                licensee=party.get("licensee"), receipts=party.get("receipts"),
                receipts_nominal=party.get("receipts_nominal"), draws={k: np.concatenate(v) for k, v in keep.items()},
                conditional=cond, conditional_parties=cond_party, engine="joint",
                phase_names=[p.name for p in jp.lead.phases], deterministic_rnpv=value_joint(jp, base).summary["rnpv"],
                notes=notes)
