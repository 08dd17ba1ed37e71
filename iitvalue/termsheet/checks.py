"""Rules of a term sheet that span several fields; each returns every problem found, located by TOML line.

The schema calls :func:`check_consistency` after pydantic has validated each field on its own.
"""

from __future__ import annotations

import copy
import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import catalogue
from ..errors import InputError, Problem, suggest
from ..stats.distributions import DISTRIBUTIONS, parameters
from .lines import line_for
from .parties import party_sheet
from .indications import indication_sheet, sub_lines
from .triggers import TriggerContext, kind_of
from .paths import describe_bounds, get_path, loc_to_path, numeric_field, set_path, within
from .vocabulary import KIND_RANK, MAX_WEIGHT, OPTION_EXERCISE, PHASE_KINDS, POSTERIOR_PATH, SIMULATED_FIELDS, STAGE_RANK

if TYPE_CHECKING:  # annotations only: the schema imports this module
    from .schema import TermSheet, Trigger


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


def check_consistency(sheet: TermSheet, lines: dict) -> list[Problem]:
    """Rules that involve several fields; returns every problem found (empty when consistent)."""
    out: list[Problem] = []

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, line_for(loc, lines)))

    stage = sheet.asset.stage
    if stage == "approved" and sheet.phases:
        add(("phases",), "an approved asset has no remaining development phases; remove them or change asset.stage")
    if stage != "approved" and not sheet.phases:
        add(("phases",), f"asset.stage is '{stage}' but no remaining phases are given; list the phases up to approval")
    prev = -1
    for i, ph in enumerate(sheet.phases):
        rank = KIND_RANK[ph.kind]
        if rank < STAGE_RANK[stage]:
            add(("phases", i, "kind"), f"'{ph.kind}' lies before the asset's current stage '{stage}'; "
                "list only the remaining phases (the current one first)")
        if rank < prev:
            add(("phases", i, "kind"), f"'{ph.kind}' comes after a later phase; phases must be in development order "
                f"({', '.join(PHASE_KINDS)})")
        prev = max(prev, rank)
        if ph.cost_profile is not None:
            if any(w < 0 for w in ph.cost_profile) or sum(ph.cost_profile) <= 0:
                add(("phases", i, "cost_profile"), "weights must be non-negative with a positive sum")
            elif max(ph.cost_profile) > MAX_WEIGHT:
                add(("phases", i, "cost_profile"), f"weights are relative; each must be <= {MAX_WEIGHT:g} "
                    "(write [0.4, 0.6] or [2, 3])")
        if ph.kind == "preclinical":
            for f in ("duration", "cost", "probability"):
                if getattr(ph, f) is None:
                    add(("phases", i, f), "no benchmark exists for preclinical phases; give it explicitly")
    for i, r in enumerate(sheet.readouts):
        if r.responders > r.n:
            add(("readouts", i, "responders"), f"{r.responders} responders exceed n = {r.n} evaluable patients")
        if r.complete_n is not None and r.complete_n > r.n:
            add(("readouts", i, "complete_n"), f"{r.complete_n} exceeds n = {r.n}")
        if r.complete is not None:
            denom = r.complete_n if r.complete_n is not None else r.n
            if r.complete > denom:
                add(("readouts", i, "complete"), f"{r.complete} complete responses exceed their denominator {denom}")
            elif r.complete > r.responders:
                add(("readouts", i, "complete"), f"{r.complete} complete responses exceed the {r.responders} responders")
        if r.complete_n is not None and r.complete is None:
            add(("readouts", i, "complete_n"), "gives the CR denominator, but 'complete' (the CR count) is missing")
        if r.mrd_negative is not None and r.mrd_negative > r.n:
            add(("readouts", i, "mrd_negative"), f"{r.mrd_negative} exceeds n = {r.n}")
    if sheet.pos is not None:
        if sheet.pos.model is not None and sheet.pos.model not in catalogue.class_model_keys():
            add(("pos", "model"), f"unknown model '{sheet.pos.model}'{suggest(sheet.pos.model, catalogue.class_model_keys())}; "
                f"known: {', '.join(catalogue.class_model_keys())}")
        msg = check_readout_choice(sheet.pos.readout, sheet.valuation.date)
        if msg:
            add(("pos", "readout"), msg)
    if sheet.indications or any(t.share_of_lead is not None for t in sheet.territories):
        out += _check_indications(sheet, lines)
    elif sheet.asset.indication is None:
        add(("asset", "indication"), "is required (the class-model key of the Bayesian update, e.g. \"rrmm\"); "
            "with several indications, give it as indications[0].indication")
    if sheet.deal is not None and not out:
        out += _check_deal(sheet, lines)
    _dupes([p.name for p in sheet.phases], ("phases",), add)
    _dupes([t.name for t in sheet.territories], ("territories",), add)
    if sheet.asset.benchmark is not None:
        keys = catalogue.transition_keys()
        if sheet.asset.benchmark not in keys:
            add(("asset", "benchmark"), f"unknown benchmark row '{sheet.asset.benchmark}'{suggest(sheet.asset.benchmark, keys)}; "
                f"known rows: {', '.join(keys)}")
    step = 1.0 if sheet.valuation.period == "annual" else 0.25
    if abs(sheet.valuation.horizon_years / step - round(sheet.valuation.horizon_years / step)) > 1e-9:
        add(("valuation", "horizon_years"), f"must be a whole number of {sheet.valuation.period} periods "
            f"(a multiple of {step} years)")
    for i, t in enumerate(sheet.territories):
        if isinstance(t.ramp, list) and "years_to_peak" in t.model_fields_set:
            add(("territories", i, "years_to_peak"), "does not apply to a custom ramp list (its length sets the "
                "years to peak); remove one of them")
        direct = t.peak_sales is not None
        parts = [t.patients is not None, t.treated_share is not None]
        if direct and any(parts):
            add(("territories", i), "give either peak_sales or patients + treated_share + net_price, not both")
        elif not direct and not all(parts + [t.net_price is not None]):
            add(("territories", i), "needs peak_sales, or all of patients, treated_share and net_price")
        if (t.exclusivity_years is None) == (t.exclusivity_end is None):
            add(("territories", i), "give exactly one of exclusivity_years (after launch) or exclusivity_end (a date)")
        if t.exclusivity_end is not None and t.exclusivity_end <= sheet.valuation.date:
            add(("territories", i, "exclusivity_end"), "must be after valuation.date")
        cpp = t.cogs_per_patient if t.cogs_per_patient is not None else sheet.costs.cogs_per_patient
        if cpp > 0 and t.net_price is None:
            add(("territories", i, "net_price"), "a per-patient COGS needs the territory's net_price to count patients")
        if isinstance(t.ramp, list):
            if not t.ramp or any(not (0.0 <= x <= 1.0) for x in t.ramp):
                add(("territories", i, "ramp"), "a custom ramp is a list of shares of peak in [0, 1], one per launch year")
        if sheet.capacity is not None and t.capacity_limited and t.net_price is None:
            add(("territories", i, "net_price"), "a [capacity] ceiling counts patients as sales / net price: give "
                "every territory its net_price (millions per patient)")
        _dupes([r.name for r in t.rivals], ("territories", i, "rivals"), add)
    if not out:  # the Bayesian update's inputs need a plan that is otherwise valid
        out += _check_update(sheet, lines)
    if sheet.uncertainty or sheet.correlation is not None or sheet.scenarios:
        out += _check_uncertainty(sheet, lines, scenarios=not out)  # scenarios only on an otherwise valid sheet
    return out


def _check_update(sheet: TermSheet, lines: dict) -> list[Problem]:
    """What the Bayesian update needs, checked at load time so that each problem has its line: a class model
    for the asset, a filing phase for a transportability discount, and a prior LOA that the class model (or the
    ``[pos]`` overrides) can explain when readouts are used (docs/method.md section 2)."""
    out: list[Problem] = []

    def add(loc: tuple, msg: str, line_loc: tuple | None = None) -> None:
        out.append(Problem(loc_to_path(loc), msg, line_for(line_loc or loc, lines)))

    cfg = sheet.pos
    if cfg is not None and cfg.transportability is not None and not any(p.kind == "filing" for p in sheet.phases):
        add(("pos", "transportability"), "needs a phase with kind = \"filing\" in [[phases]]: the discount "
            "multiplies the review phase's probability and lengthens it; add the filing phase or remove "
            "[pos.transportability]")
    posterior = any(u.dist == "posterior" for u in sheet.uncertainty)
    if not (sheet.readouts or cfg is not None or posterior or any(i.readouts for i in sheet.indications[1:])):
        return out  # no update: no class model needed
    key = cfg.model if cfg is not None else None
    if key is not None and key not in catalogue.class_model_keys():
        return out  # reported with the other [pos] fields
    a = sheet.asset
    try:
        model, _ = catalogue.find_model(a.indication, a.modality, a.therapeutic_area, key)
    except InputError as exc:
        for p in exc.problems:
            add(("asset", p.path.split(".")[-1]), p.message + " (the Bayesian update of the readouts needs a class "
                "model: give [pos] model = \"...\", or an asset.therapeutic_area with a generic one)")
        return out
    follow_on = any(_uses_readouts(sheet.model_copy(update={"readouts": ind.readouts}))
                    for ind in sheet.indications[1:])
    if not (_uses_readouts(sheet) or follow_on):  # any indication's readouts update the shared class
        return out
    row = catalogue.transition_row(a.modality, a.therapeutic_area, a.benchmark)
    prior = 1.0
    bench = catalogue.benchmark_probabilities([p.kind for p in sheet.phases], a.stage, row)
    for ph, (p_bench, _) in zip(sheet.phases, bench):
        prior *= ph.probability if ph.probability is not None else p_bench
    given_a = cfg is not None and cfg.p_approval_active is not None
    given_i = cfg is not None and cfg.p_approval_inactive is not None
    probs = [ph.probability if ph.probability is not None else p_bench for ph, (p_bench, _) in zip(sheet.phases, bench)]
    kinds = [p.kind for p in sheet.phases]
    shares = catalogue.nonefficacy_shares(kinds, a.stage, row) if kinds else []
    qa, qi, _ = catalogue.class_approval(model, probs, shares, cfg.p_approval_active if given_a else None,
                                         cfg.p_approval_inactive if given_i else None)
    bounds = (f"P(approval | inactive) = {qi:g} and P(approval | active) = {qa:g} "
              f"({'[pos], with ' if given_a or given_i else ''}class model '{model.key}')")
    fix = ("set pos.p_approval_active / pos.p_approval_inactive so that it does, or change the phase "
           "probabilities")
    if qa <= qi:
        add(("pos", "p_approval_active" if given_a else "p_approval_inactive"),
            f"P(approval | active) = {qa:g} must be above P(approval | inactive) = {qi:g}")
    elif prior <= 0.0:
        add(("phases",), "a phase probability of 0 gives a prior LOA of 0, which no readout can update; "
            "give every phase a probability > 0", ("phases", 0))
    elif not qi <= prior <= qa:
        side = ("p_approval_active", given_a) if prior > qa else ("p_approval_inactive", given_i)
        where = ("pos", side[0]) if side[1] else ("phases",)
        add(where, f"the prior LOA {prior:.4f} (the product of the phase probabilities, given or benchmark) "
            f"must lie between {bounds} for the readouts to update it; {fix}",
            None if side[1] else ("phases", 0))
    return out


def _uses_readouts(sheet: TermSheet) -> bool:
    """Whether ``pos.readout`` selects at least one readout (the selection rule of the valuation)."""
    choice = sheet.pos.readout if sheet.pos is not None else "auto"
    if choice == "none":
        return False
    cutoff = sheet.valuation.date if choice in ("auto", "latest") else _dt.date.fromisoformat(choice)
    return any(r.date <= cutoff for r in sheet.readouts)


def _check_deal(sheet: TermSheet, lines: dict) -> list[Problem]:
    out: list[Problem] = []
    d = sheet.deal

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, line_for(loc, lines)))

    phases, terrs = all_phase_names(sheet), all_market_names(sheet)
    if d.closing is not None and d.closing < d.date:
        add(("deal", "closing"), f"{d.closing} is before the deal date {d.date}")
    if d.equity_premium > d.upfront:
        add(("deal", "equity_premium"), "the equity premium is part of the upfront and cannot exceed it")
    for role in ("licensor", "licensee"):
        if getattr(d, role).assumptions:
            try:
                party_sheet(sheet, role)
            except InputError as exc:
                for p in exc.problems:
                    out.append(Problem(p.path, p.message, line_for(("deal", role, "assumptions"), lines)))
    if d.equity is not None and d.equity_premium > 0:
        add(("deal", "equity"), "give the equity investment once: [deal.equity] (amount and premium, valued) or "
            "equity_premium (the part of the upfront that is a premium, shown only), not both")
    if d.structure == "shares" and d.kind != "acquisition":
        add(("deal", "structure"), f"a '{d.kind}' transfers rights, not shares: use structure = \"asset\" or leave it out")
    if d.net_cash != 0 and (d.kind != "acquisition" or d.structure == "asset"):
        add(("deal", "net_cash"), "the target's net cash applies only to an acquisition of shares "
            "(kind = \"acquisition\", structure = \"shares\", the default for acquisitions)")
    for i, tr in enumerate(d.tranches):
        if tr.date < d.date:
            add(("deal", "tranches", i, "date"), f"{tr.date} is before the deal date {d.date}: a tranche is paid "
                "after signing (money paid before is part of the upfront)")
    if d.option is not None:
        if d.option.exercise.type not in OPTION_EXERCISE:
            add(("deal", "option", "exercise", "type"), f"an option is exercised at a development event: one of "
                f"{', '.join(OPTION_EXERCISE)} (a '{d.option.exercise.type}' trigger does not say what the licensee "
                "has learnt when it decides)")
        if sheet.indications:
            add(("deal", "option"), "an option is valued for one indication: a sheet with [[indications]] cannot "
                "have [deal.option] (value the option on the lead indication's sheet)")
        if d.net_cash != 0:
            add(("deal", "option"), "an option on an acquisition with the target's net cash is not supported: the "
                "net cash would change hands at exercise; give the net cash inside the exercise fee instead")
    for what, items in (("milestones", d.milestones), ("pools", d.pools)):
        for i, m in enumerate(items):
            if m.expires is not None and m.expires < d.date:
                add(("deal", what, i, "expires"), f"{m.expires} is before the deal date {d.date}: it could never pay")

    if sheet.indications:
        subs = [sheet] + [indication_sheet(sheet, k) for k in range(1, len(sheet.indications))]
        ctx = TriggerContext(tuple(phases), tuple(p.kind for sub in subs for p in sub.phases),
                             tuple(t.name for t in sheet.territories), d.date,
                             {ind.name: tuple(t.name for t in sub.territories) for ind, sub in zip(sheet.indications, subs)},
                             {ind.name: tuple(p.kind for p in sub.phases) for ind, sub in zip(sheet.indications, subs)},
                             tuple(terrs))
    else:
        ctx = TriggerContext(tuple(phases), tuple(p.kind for p in sheet.phases), tuple(terrs), d.date)

    def check_trigger(loc: tuple, t: Trigger) -> None:
        for field_name, msg in kind_of(t).check(t, ctx):
            add(loc + (field_name,), msg)

    for i, m in enumerate(d.milestones):
        check_trigger(("deal", "milestones", i, "trigger"), m.trigger)
    if d.option is not None and d.option.exercise.type in OPTION_EXERCISE:
        check_trigger(("deal", "option", "exercise"), d.option.exercise)
    for i, pool in enumerate(d.pools):
        for k, t in enumerate(pool.triggers):
            check_trigger(("deal", "pools", i, "triggers", k), t)
        if pool.shares is not None:
            if len(pool.shares) != len(pool.triggers):
                add(("deal", "pools", i, "shares"), f"{len(pool.shares)} shares for {len(pool.triggers)} triggers")
            elif any(x < 0 for x in pool.shares) or abs(sum(pool.shares) - 1.0) > 1e-9:
                add(("deal", "pools", i, "shares"), "shares must be >= 0 and sum to 1")
    _dupes([m.name for m in d.milestones], ("deal", "milestones"), add)
    def check_territories(table: str, items: list) -> None:
        """Each listed territory exists and appears in only one entry of ``table``."""
        owner: dict[str, int] = {}
        for i, item in enumerate(items):
            for t in item.territories:
                if t not in terrs:
                    add(("deal", table, i, "territories"), f"no territory named '{t}'{suggest(t, terrs)}")
                if t in owner:
                    add(("deal", table, i, "territories"), f"'{t}' is already covered by {table}[{owner[t]}]")
                owner[t] = i

    owner_phase: dict[str, int] = {}
    for i, cs in enumerate(d.cost_shares):
        for ph in cs.phases:
            if ph not in phases:
                add(("deal", "cost_shares", i, "phases"), f"no phase named '{ph}'{suggest(ph, phases)}; "
                    f"phases: {', '.join(phases) or 'none'}")
            if ph in owner_phase:
                add(("deal", "cost_shares", i, "phases"), f"'{ph}' already has a cost share (cost_shares[{owner_phase[ph]}])")
            owner_phase[ph] = i
    check_territories("royalties", d.royalties)
    check_territories("profit_shares", d.profit_shares)
    check_territories("supply", d.supply)
    check_territories("sublicence", d.sublicence)
    for i, sub in enumerate(d.sublicence):
        for k, sp in enumerate(sub.payments):
            check_trigger(("deal", "sublicence", i, "payments", k, "trigger"), sp.trigger)
    for what in ("supply", "sublicence"):
        if getattr(d, what) and sheet.indications:
            add(("deal", what), f"[[deal.{what}]] is valued for one indication: a sheet with [[indications]] "
                "cannot have it yet (value it on the lead indication's sheet)")
    for i, r in enumerate(d.royalties):
        prev = None
        for k, tier in enumerate(r.tiers):
            if k == 0 and tier.above != 0:
                add(("deal", "royalties", i, "tiers", 0, "above"), "the first tier must start at 0")
            if prev is not None and tier.above <= prev:
                add(("deal", "royalties", i, "tiers", k, "above"),
                    f"tiers must be in increasing order without overlap ({tier.above:g} <= {prev:g})")
            prev = tier.above
    return out


_ALL_PARAMS = ("mean", "sd", "low", "mode", "high", "values", "weights", "a", "b", "n")


def _check_uncertainty(sheet: TermSheet, lines: dict, scenarios: bool = True) -> list[Problem]:
    """Uncertainty declarations, correlation and scenarios (docs/montecarlo.md)."""
    out: list[Problem] = []

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, line_for(loc, lines)))

    data = sheet.model_dump(mode="python", exclude_none=True)
    seen: dict[str, int] = {}
    with_dist: set[str] = set()
    has_posterior = False
    for i, u in enumerate(sheet.uncertainty):
        here = ("uncertainty", i)
        if u.path in seen:
            add(here + ("path",), f"'{u.path}' is already declared in uncertainty[{seen[u.path]}]")
        seen[u.path] = i
        given = {p for p in _ALL_PARAMS if getattr(u, p) is not None}
        need, allowed = (set(), set()) if u.dist == "posterior" else parameters(u.dist)
        for p in sorted(given - need - allowed):
            add(here + (p,), f"does not apply to {'an entry without dist' if u.dist is None else 'a ' + u.dist + ' distribution'}")
        for p in sorted(need - given):
            add(here + (p,), f"a {u.dist} distribution needs '{p}'")
        if u.dist == "posterior" or u.path == POSTERIOR_PATH:
            if u.dist != "posterior":
                add(here + ("dist",), f"'{POSTERIOR_PATH}' takes dist = \"posterior\" (the Bayesian update's class and ORR)")
            elif u.path != POSTERIOR_PATH:
                add(here + ("path",), f"dist = \"posterior\" applies only to path = \"{POSTERIOR_PATH}\"")
            if u.swing is not None:
                add(here + ("swing",), "the posterior's tornado swing is fixed: the inactive class against the active one")
            has_posterior = True
            with_dist.add(u.path)
            continue
        try:
            loc, bounds = numeric_field(u.path, type(sheet))
            if loc[0] in ("uncertainty", "correlation", "scenarios"):
                raise InputError(Problem(u.path, "names a Monte Carlo setting, not an input of the valuation"))
            set_path(_copy_along(data, loc), u.path, 0.0, type(sheet))  # checks list indices against this sheet
        except InputError as exc:
            add(here + ("path",), exc.problems[0].message)
            continue
        base = get_path(data, loc)
        if base is None and not _has_resolved_default(loc):
            add(here + ("path",), f"'{u.path}' has no value in this term sheet to vary; set it first")
        if u.dist is not None:
            with_dist.add(u.path)
            if not (len(loc) in (2, 3) and loc[0] in SIMULATED_FIELDS and loc[-1] in SIMULATED_FIELDS[loc[0]]):
                add(here + ("dist",), f"the simulation cannot draw '{u.path}'; a distribution may be put on "
                    + "; ".join(f"{k}: {', '.join(v)}" for k, v in SIMULATED_FIELDS.items())
                    + f", or on '{POSTERIOR_PATH}'. Give only low/high (a tornado swing) for other fields")
        bad_bound = lambda x: not within(x, bounds)  # noqa: E731
        limits = describe_bounds(bounds)
        if u.dist is not None and not (need - given):
            for p, msg in DISTRIBUTIONS[u.dist].check(u, bounds, limits):
                add(here + (p,), msg)
        bounded = u.dist is not None and DISTRIBUTIONS[u.dist].bounded
        if not bounded and u.low is not None and u.high is not None and u.low > u.high:
            add(here + ("low",), f"the tornado swing low {u.low:g} is above high {u.high:g}")
        swing = u.swing
        if swing is not None:
            if len(swing) != 2 or swing[0] > swing[1]:
                add(here + ("swing",), "write [low, high] with low <= high")
                swing = None
        elif not bounded and u.low is not None and u.high is not None:
            swing = [u.low, u.high]
        if swing is not None and any(bad_bound(x) for x in swing):
            add(here + ("swing" if u.swing is not None else "low",),
                f"the swing [{swing[0]:g}, {swing[1]:g}] leaves what {u.path} allows ({limits})")
    if has_posterior:
        for i, u in enumerate(sheet.uncertainty):
            if u.dist is not None and (u.path.startswith("phases") and u.path.endswith("probability")):
                add(("uncertainty", i, "path"), f"the posterior draw ('{POSTERIOR_PATH}') sets the phase probabilities "
                    "from the drawn class; a distribution on a phase probability cannot be combined with it")
    if sheet.correlation is not None:
        c = sheet.correlation
        k = len(c.paths)
        for i, p in enumerate(c.paths):
            if p not in with_dist:
                add(("correlation", "paths"), f"'{p}' is not an [[uncertainty]] path with a distribution")
            if c.paths.index(p) != i:
                add(("correlation", "paths"), f"'{p}' is listed twice")
        if len(c.matrix) != k or any(len(row) != k for row in c.matrix):
            add(("correlation", "matrix"), f"must be {k} x {k}, one row and column per path")
        else:
            m = np.array(c.matrix, dtype=float)
            if not np.allclose(np.diag(m), 1.0, atol=1e-12, rtol=0):
                add(("correlation", "matrix"), "the diagonal must be 1")
            elif not np.allclose(m, m.T, atol=1e-12, rtol=0):
                add(("correlation", "matrix"), "must be symmetric")
            elif np.any(np.abs(m) > 1):
                add(("correlation", "matrix"), "correlations lie in [-1, 1]")
            else:
                low = float(np.linalg.eigvalsh(m).min())
                if low < -1e-10:
                    add(("correlation", "matrix"), f"is not positive semi-definite (smallest eigenvalue {low:.4g}): "
                        "no joint distribution has these correlations; lower the strongest ones")
    names: set[str] = set()
    for i, sc in enumerate(sheet.scenarios if scenarios else []):
        if sc.name in names:
            add(("scenarios", i, "name"), f"duplicate scenario name '{sc.name}'")
        names.add(sc.name)
        trial = {k: v for k, v in sheet.to_dict().items() if k not in ("uncertainty", "correlation", "scenarios")}
        try:
            for path, value in sc.set.items():
                set_path(trial, path, value, type(sheet))
            type(sheet).from_dict(trial)
        except InputError as exc:
            for p in exc.problems:
                add(("scenarios", i, "set"), f"{p.path}: {p.message}" if p.path else p.message)
    return out


def _has_resolved_default(loc: tuple) -> bool:
    """Fields the engine fills when omitted (benchmark phase inputs, territory cost overrides from [costs])."""
    return (loc[0] == "phases" and loc[-1] in ("duration", "cost", "probability")) or (
        loc[0] == "territories" and loc[-1] in ("cogs_fraction", "cogs_per_patient", "sga_fraction", "sga_fixed",
                                                 "launch_cost"))


def all_phase_names(sheet: TermSheet) -> list[str]:
    """Phase names of every indication, the lead's first (unique across indications: checked)."""
    return [p.name for p in sheet.phases] + [p.name for ind in sheet.indications[1:] for p in ind.phases]


def all_market_names(sheet: TermSheet) -> list[str]:
    """Territory names of every indication, each once, the lead's first."""
    out = [t.name for t in sheet.territories]
    for ind in sheet.indications[1:]:
        out += [t.name for t in ind.territories if t.name not in out]
    return out


def _check_indications(sheet: TermSheet, lines: dict) -> list[Problem]:
    """Several indications (docs/termsheet.md, [[indications]]): unique names, starts that follow an earlier
    indication's event, follow-on territories that are either whole or a share of the lead's, phase names unique
    across indications, and each follow-on indication valid as a sheet of its own."""
    out: list[Problem] = []

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, line_for(loc, lines)))

    if not sheet.indications:
        for m, t in enumerate(sheet.territories):
            if t.share_of_lead is not None:
                add(("territories", m, "share_of_lead"), "applies only to the territories of a follow-on "
                    "[[indications]] entry (a share of the lead indication's peak in that territory)")
        return out
    inds = sheet.indications
    _dupes([ind.name for ind in inds], ("indications",), add)
    lead = inds[0]
    if lead.start is not None:
        add(("indications", 0, "start"), "the lead indication (the first entry) starts at the valuation date")
    if lead.stage is not None and lead.stage != sheet.asset.stage:
        add(("indications", 0, "stage"), f"the lead's stage is asset.stage ('{sheet.asset.stage}')")
    for m, t in enumerate(sheet.territories):
        if t.share_of_lead is not None:
            add(("territories", m, "share_of_lead"), "the lead indication's territories give their own peak")
    names = [ind.name for ind in inds]
    lead_terrs = [t.name for t in sheet.territories]
    owner: dict[str, int] = {p.name: 0 for p in sheet.phases}
    for k, ind in enumerate(inds[1:], start=1):
        st = ind.start
        if st is not None:
            earlier = names[:k]
            if st.after not in earlier:
                add(("indications", k, "start", "after"), f"'{st.after}' is not an earlier indication"
                    f"{suggest(st.after, earlier)}; a follow-on indication starts after one listed before it: "
                    f"{', '.join(earlier)}")
            else:
                parent = inds[names.index(st.after)]
                ph_names = [p.name for p in (sheet.phases if names.index(st.after) == 0 else parent.phases)]
                if st.event == "phase_success":
                    if st.phase is None:
                        add(("indications", k, "start", "phase"), "a start after 'phase_success' names the phase")
                    elif st.phase not in ph_names:
                        add(("indications", k, "start", "phase"), f"'{st.phase}' is not a phase of '{st.after}'"
                            f"{suggest(st.phase, ph_names)}; its phases: {', '.join(ph_names) or 'none'}")
                elif st.phase is not None:
                    add(("indications", k, "start", "phase"), "applies only with event = \"phase_success\"")
        if not ind.territories:
            add(("indications", k, "territories"), "a follow-on indication needs [[indications.territories]] "
                "(its own, or share_of_lead = x of a lead territory)")
        for m, t in enumerate(ind.territories):
            both = [f for f in ("peak_sales", "patients", "treated_share") if getattr(t, f) is not None]
            if t.share_of_lead is not None and both:
                add(("indications", k, "territories", m, both[0]), "share_of_lead sets the peak (x the lead's); "
                    f"remove {' and '.join(both)} or share_of_lead")
            if t.share_of_lead is not None and t.name not in lead_terrs:
                add(("indications", k, "territories", m, "name"), f"share_of_lead needs a lead territory named "
                    f"'{t.name}'{suggest(t.name, lead_terrs)}; the lead's territories: {', '.join(lead_terrs)}")
        for j, p in enumerate(ind.phases):
            if p.name in owner:
                add(("indications", k, "phases", j, "name"), f"'{p.name}' is already a phase of "
                    f"'{inds[owner[p.name]].name}'; phase names are unique across indications (triggers and cost "
                    "shares name them)")
            owner[p.name] = k
        if out:
            continue
        sub = indication_sheet(sheet, k)
        sub_out = check_consistency(sub, sub_lines(lines, k))
        for p in sub_out:
            own = p.path.split(".")[0].split("[")[0] in ("phases", "territories", "readouts", "asset")
            path = f"indications[{k}].{p.path}" if own else p.path
            if p.path.startswith("asset.stage"):
                path = f"indications[{k}].stage"
            out.append(Problem(path, p.message, p.line))
    return out


def _copy_along(data: dict, loc: tuple) -> dict:
    """``data`` with every container on the path ``loc`` copied (shallowly), so that :func:`set_path` can probe
    the path without touching ``data`` and without a deep copy of the whole sheet per entry."""
    root = dict(data)
    node: Any = root
    for key in loc[:-1]:
        if isinstance(node, dict) and isinstance(node.get(key), (dict, list)):
            node[key] = copy.copy(node[key])
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node) \
                and isinstance(node[key], (dict, list)):
            node[key] = copy.copy(node[key])
        else:
            break
        node = node[key]
    return root


def _dupes(names: list[str], table: tuple, add) -> None:
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            add(table + (i, "name"), f"duplicate name '{n}'; names must be unique")
        seen.add(n)
