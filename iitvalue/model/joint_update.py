"""The Bayesian update with several indications (docs/method.md 5): one latent class for the asset, each
indication's readouts weighed by their own indication's class model, every indication's LOA moved by all of
them (:mod:`iitvalue.model.joint`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .. import catalogue
from ..programmes import find_model_at
from ..termsheet.indications import indication_sheet
from ..termsheet.schema import Pos, TermSheet
from . import pos as P
from .joint import IndicationPlan, JointPlan, given_start, logit_shift
from .plan import Plan, resolve


@dataclass
class JointUpdate:
    """The update over every indication: ``update`` is the lead's PosUpdate with the Bayes factors of all the
    readouts (its within-class rate posteriors are the lead's readouts'), the prior and posterior joint plans,
    the readouts used (each with its ``indication``) and a note."""

    update: P.PosUpdate
    prior: JointPlan
    posterior: JointPlan
    readouts: list[dict[str, Any]]
    note: str
    resolved: list[Plan]


def event_probability(plan: Plan, q: float, phase: int | None) -> float:
    """P(the event happens | class) for a plan whose class approval probability is ``q``: passing phase
    ``phase`` (None: approval), from the class-conditional chain of docs/method.md 5.2 (the prior chain tilted
    so that approval has probability q)."""
    probs = [p.probability for p in plan.phases]
    loa = math.prod(probs)
    if phase is None or phase + 1 >= len(probs):
        return q
    reach = math.prod(probs[: phase + 1])  # P(pass phase `phase`) on the chain
    if not 0.0 < loa < 1.0:
        return reach
    # passing the phase = approval, or failing in a later phase: loa q / loa + (reach - loa) (1 - q) / (1 - loa)
    return q + (reach - loa) * (1.0 - q) / (1.0 - loa)


def _transport(plan: Plan, cfg: Pos, source: str) -> Plan:
    t = cfg.transportability
    if t is None or not any(p.kind == "filing" for p in plan.phases):
        return plan
    probs, durs = P.apply_transportability([p.probability for p in plan.phases], [p.duration for p in plan.phases],
                                           [p.kind for p in plan.phases], t.regulatory_factor, t.delay_years)
    return plan.with_phases(probs, durs, source=source)


def joint_update(sheet: TermSheet, readout: str | None = None, cfg: Pos | None = None) -> JointUpdate:
    """Resolve every indication, fit the shared class to all readouts and spread each indication's posterior LOA
    over its phases; transportability (when configured) applies to each indication that has a filing phase."""
    cfg = cfg or sheet.pos or Pos()
    choice = readout or cfg.readout
    subs = [sheet] + [indication_sheet(sheet, k) for k in range(1, len(sheet.indications))]
    plans = [resolve(s) for s in subs]
    a = sheet.asset
    models, notes = [], []
    for s in subs:
        model, note = find_model_at(s.asset.indication, a.modality, a.therapeutic_area, cfg.model, sheet.valuation.date)
        models.append(model)
        notes.append(note)
    priors = [math.prod(p.probability for p in plan.phases) for plan in plans]
    groups, used = [], []
    for k, s in enumerate(subs):
        ev, u = P.readout_evidence(s.readouts, sheet.valuation.date, choice, cfg.iit_weight, cfg.registrational_weight,
                                   {"indication": sheet.indications[k].name})
        groups.append(ev)
        used += u
    lead_prior = priors[0]
    lead_probs = [p.probability for p in plans[0].phases]
    lead_upd = P.class_update(sheet, models[0], cfg, lead_probs, [p.kind for p in plans[0].phases],
                              groups[0], widen=not any(groups))
    lbf_orr, lbf_cr = lead_upd.log_bf_orr, lead_upd.log_bf_cr
    for model, ev in zip(models[1:], groups[1:]):
        if ev:
            u = P.update(model, lead_prior, ev, lead_upd.p_active, lead_upd.p_inactive)
            lbf_orr, lbf_cr = lbf_orr + u.log_bf_orr, lbf_cr + u.log_bf_cr
    upd = replace(lead_upd, log_bf_orr=lbf_orr, log_bf_cr=lbf_cr,
                  evidence=tuple(e for g in groups for e in g))
    pi0, pi1 = upd.prior_class, upd.posterior_class
    prior_inds, post_inds = [], []
    names = [i.name for i in sheet.indications]
    reach: list[tuple[float, float]] = []  # P(indication k starts | active), (| inactive), under the prior
    qs: list[tuple[float, float]] = []
    for k, (s, plan, prior) in enumerate(zip(subs, plans, priors)):
        ind = sheet.indications[k]
        if k == 0:
            q = (upd.p_active, upd.p_inactive)
            reach.append((1.0, 1.0))
        else:
            # a benchmark LOA is measured on programmes that reached the phase: calibrate the follow-on's class
            # approvals on the class probability given that it starts (its parent's event happened)
            p = names.index(ind.start.after) if ind.start is not None else None
            if p is None:
                reach.append((1.0, 1.0))
            else:
                phase = (None if ind.start.event == "approval" else
                         [x.name for x in plans[p].phases].index(ind.start.phase))
                reach.append(tuple(reach[p][c] * event_probability(plans[p], qs[p][c], phase) for c in (0, 1)))
            # its own stage's approval given the class (docs/method.md 2.4), shifted to its benchmark prior
            row = catalogue.transition_row(a.modality, a.therapeutic_area, a.benchmark)
            k_kinds = [p.kind for p in plan.phases]
            shares = catalogue.nonefficacy_shares(k_kinds, s.asset.stage, row) if k_kinds else []
            base = P.class_approval(models[0], [p.probability for p in plan.phases], shares,  # the shared class's e_c
                                    cfg.p_approval_active, cfg.p_approval_inactive)
            q = logit_shift(given_start(pi0, reach[k]), base[0], base[1], prior)
        qs.append(q)
        pik1 = given_start(pi1, reach[k])  # the posterior class odds given that it starts
        post_loa = pik1 * q[0] + (1.0 - pik1) * q[1]
        kinds = [p.kind for p in plan.phases]
        post_plan = (plan.with_phases(P.spread([p.probability for p in plan.phases], kinds, post_loa),
                                      source="Bayesian update of the readouts, shared class (docs/method.md 5)",
                                      note=f"{ind.name}: LOA {prior:.4f} -> {post_loa:.4f} (shared class)")
                     if plan.phases and used else plan)
        prior_t = _transport(plan, cfg, "transportability discount")
        post_t = _transport(post_plan, cfg, "Bayesian update and transportability discount")
        # transportability multiplies the review phase's probability: the class approvals scale with it
        before, before0 = math.prod(p.probability for p in post_plan.phases), prior
        scale = math.prod(p.probability for p in post_t.phases) / before if before > 0 else 1.0
        scale0 = math.prod(p.probability for p in prior_t.phases) / before0 if before0 > 0 else 1.0
        parent = event = phase = None
        lag = 0.0
        if ind.start is not None:
            parent = [i.name for i in sheet.indications].index(ind.start.after)
            event, lag = ind.start.event, ind.start.lag
            if event == "phase_success":
                phase = [p.name for p in plans[parent].phases].index(ind.start.phase)
        common = dict(name=ind.name, key=s.asset.indication, line=ind.line, parent=parent, event=event, phase=phase,
                      lag=lag, reach=reach[k])
        prior_inds.append(IndicationPlan(plan=prior_t, prior_plan=plan, q_active=q[0] * scale0,
                                         q_inactive=q[1] * scale0, **common))
        post_inds.append(IndicationPlan(plan=post_t, prior_plan=plan, q_active=q[0] * scale, q_inactive=q[1] * scale,
                                        **common))
    note = "; ".join(dict.fromkeys(notes))
    return JointUpdate(upd, JointPlan(tuple(prior_inds), pi0), JointPlan(tuple(post_inds), pi1), used,
                       f"{note}; one latent class shared by {len(subs)} indications", plans)
