"""The term sheet: validated, frozen input models, TOML loading with line numbers, and what-if edits.

Units: money in millions of ``valuation.currency``; time in years; rates and probabilities as fractions.
Every field is documented in ``docs/termsheet.md``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError, Problem

STAGES = ("preclinical", "iit", "phase1", "phase2", "phase3", "filed", "approved")
PHASE_KINDS = ("preclinical", "phase1", "phase2", "phase3", "pivotal", "filing")
MODALITIES = (
    "small-molecule",
    "antibody",
    "adc",
    "bispecific",
    "car-t",
    "tcr-t",
    "cell-therapy",
    "gene-therapy",
    "rna",
    "vaccine",
    "other",
)
THERAPEUTIC_AREAS = ("oncology", "haematologic-malignancies", "solid-tumours", "haematology", "rare-disease", "other")

# Order of development: a plan must not go backwards, and must start at or after the current stage.
_KIND_RANK = {"preclinical": 0, "phase1": 1, "phase2": 2, "phase3": 3, "pivotal": 3, "filing": 4}
_STAGE_RANK = {"preclinical": 0, "iit": 1, "phase1": 1, "phase2": 2, "phase3": 3, "filed": 4, "approved": 5}

Fraction = Field(ge=0.0, le=1.0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Valuation(_Model):
    """When, in what money and at what rate the asset is valued."""

    name: str
    date: _dt.date
    currency: str = Field(min_length=1)
    discount_rate: float = Field(ge=0.0, le=1.0)
    horizon_years: float = Field(gt=0.0, le=100.0)
    period: Literal["annual", "quarterly"] = "annual"
    mid_period: bool = True
    tax_rate: float = Field(ge=0.0, lt=1.0)
    tax_loss_carryforward: bool = False


class Asset(_Model):
    name: str
    modality: Literal[MODALITIES]  # type: ignore[valid-type]
    indication: str = Field(min_length=1)
    therapeutic_area: Literal[THERAPEUTIC_AREAS]  # type: ignore[valid-type]
    stage: Literal[STAGES]  # type: ignore[valid-type]
    benchmark: str | None = None


class Phase(_Model):
    """One remaining development phase. Omitted duration, cost or probability come from the benchmark tables."""

    name: str
    kind: Literal[PHASE_KINDS]  # type: ignore[valid-type]
    duration: float | None = Field(default=None, gt=0.0, le=30.0)
    cost: float | None = Field(default=None, ge=0.0)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    cost_profile: list[float] | None = Field(default=None, min_length=1)


class Territory(_Model):
    """Launch and sales in one territory. Peak sales either directly or as patients x treated share x net price."""

    name: str = Field(min_length=1)
    launch_lag: float = Field(default=0.0, ge=0.0, le=30.0)
    peak_sales: float | None = Field(default=None, ge=0.0)
    patients: float | None = Field(default=None, ge=0.0)
    treated_share: float | None = Field(default=None, ge=0.0, le=1.0)
    net_price: float | None = Field(default=None, gt=0.0)
    years_to_peak: float = Field(default=6.0, gt=0.0, le=30.0)
    ramp: Literal["benchmark", "linear"] | list[float] = "benchmark"
    exclusivity_years: float | None = Field(default=None, ge=0.0)
    exclusivity_end: _dt.date | None = None
    erosion: float = Field(default=0.0, ge=0.0, le=1.0)
    price_change: float = Field(default=0.0, gt=-1.0, le=1.0)
    cogs_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    cogs_per_patient: float | None = Field(default=None, ge=0.0)
    sga_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    sga_fixed: float | None = Field(default=None, ge=0.0)
    launch_cost: float | None = Field(default=None, ge=0.0)

    @property
    def peak(self) -> float:
        """Peak annual net sales in millions (valuation-date money)."""
        if self.peak_sales is not None:
            return self.peak_sales
        return float(self.patients * self.treated_share * self.net_price)  # type: ignore[operator]


class Costs(_Model):
    """Operating costs, the defaults for every territory (a territory may override each)."""

    cogs_fraction: float = Field(ge=0.0, le=1.0)
    sga_fraction: float = Field(ge=0.0, le=1.0)
    cogs_per_patient: float = Field(default=0.0, ge=0.0)
    sga_fixed: float = Field(default=0.0, ge=0.0)
    launch_cost: float = Field(default=0.0, ge=0.0)


class Readout(_Model):
    """A dated efficacy readout. Counts are patients; ``complete`` counts CR/sCR among responders evaluable for
    it (``complete_n`` patients, default all ``n``)."""

    date: _dt.date
    source: str = Field(min_length=1)
    trial: str = "main"
    design: Literal["iit", "registrational"]
    centres: int | None = Field(default=None, ge=1)
    assessment: Literal["investigator", "independent"] = "investigator"
    n: int = Field(ge=1)
    responders: int = Field(ge=0)
    complete: int | None = Field(default=None, ge=0)
    complete_n: int | None = Field(default=None, ge=1)
    mrd_negative: int | None = Field(default=None, ge=0)
    dose: str | None = None
    weight: float | None = Field(default=None, gt=0.0, le=1.0)
    note: str | None = None


class Pivotal(_Model):
    """A planned single-arm pivotal study: success iff the ORR's lower bound at ``level`` exceeds ``threshold``."""

    n: int = Field(ge=1, le=10000)
    threshold: float = Field(gt=0.0, lt=1.0)
    level: float = Field(default=0.975, gt=0.5, lt=1.0)
    rule: Literal["exact", "bayes"] = "exact"


class Transportability(_Model):
    """Discount for an evidence base from China only: regulatory success x factor, review + delay (off unless given)."""

    regulatory_factor: float = Field(default=1.0, gt=0.0, le=1.0)
    delay_years: float = Field(default=0.0, ge=0.0, le=10.0)


class Pos(_Model):
    """How readouts update the probability of success (docs/method.md, section 2)."""

    model: str | None = None
    iit_weight: float = Field(default=0.5, gt=0.0, le=1.0)
    registrational_weight: float = Field(default=1.0, gt=0.0, le=1.0)
    p_approval_active: float | None = Field(default=None, gt=0.0, le=1.0)
    p_approval_inactive: float | None = Field(default=None, ge=0.0, lt=1.0)
    readout: str = "auto"
    pivotal: Pivotal | None = None
    transportability: Transportability | None = None


TRIGGER_TYPES = ("phase_start", "phase_success", "filing", "approval", "sales", "date")
MILESTONE_CATEGORIES = ("development", "regulatory", "sales", "manufacturing", "other")


class Trigger(_Model):
    """What makes a payment due. ``phase`` names a phase (phase_start, phase_success); ``territory`` a territory
    (filing, approval; optional for sales = worldwide); ``threshold`` annual net sales in millions (sales);
    ``date`` a fixed date (date, paid unconditionally)."""

    type: Literal[TRIGGER_TYPES]  # type: ignore[valid-type]
    phase: str | None = None
    territory: str | None = None
    threshold: float | None = Field(default=None, gt=0.0)
    date: _dt.date | None = None


class Milestone(_Model):
    name: str = Field(min_length=1)
    amount: float = Field(ge=0.0)
    category: Literal[MILESTONE_CATEGORIES]  # type: ignore[valid-type]
    trigger: Trigger
    cvr: bool = False
    source: str | None = None


class Pool(_Model):
    """A milestone amount disclosed only in total, spread over triggers by ``shares`` (default: equal)."""

    name: str = Field(min_length=1)
    amount: float = Field(ge=0.0)
    category: Literal[MILESTONE_CATEGORIES]  # type: ignore[valid-type]
    triggers: list[Trigger] = Field(min_length=1)
    shares: list[float] | None = None
    cvr: bool = False
    source: str | None = None


class Tier(_Model):
    above: float = Field(ge=0.0)  # annual net sales (millions) from which the rate applies (marginal tiers)
    rate: float = Field(ge=0.0, le=1.0)


class Royalty(_Model):
    """Tiered royalties on the covered territories' combined annual net sales (marginal tiers)."""

    territories: list[str] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    term_years: float | None = Field(default=None, gt=0.0)  # years after each territory's launch; None = horizon
    step_down: float = Field(default=0.0, ge=0.0, le=1.0)  # rate reduction after the territory's exclusivity end


class ProfitShare(_Model):
    """The licensor's share of the pre-tax commercial profit of some territories (the rest goes to the licensee)."""

    territories: list[str] = Field(min_length=1)
    licensor_share: float = Field(ge=0.0, le=1.0)
    booked_by: Literal["licensor", "licensee"] = "licensee"


class CostShare(_Model):
    """The licensor's share of the development costs of some phases (other phases: ``deal.licensor_cost_share``)."""

    phases: list[str] = Field(min_length=1)
    licensor_share: float = Field(ge=0.0, le=1.0)


class Party(_Model):
    name: str = Field(min_length=1)
    discount_rate: float = Field(ge=0.0, le=1.0)
    iit_weight: float | None = Field(default=None, gt=0.0, le=1.0)  # own belief about the IIT's evidential weight
    registrational_weight: float | None = Field(default=None, gt=0.0, le=1.0)


class Observed(_Model):
    """Announced facts, kept apart from the model's inputs (used by calibration)."""

    upfront: float | None = Field(default=None, ge=0.0)
    headline_value: float | None = Field(default=None, ge=0.0)
    source: str | None = None


class Deal(_Model):
    kind: Literal["acquisition", "licence", "co-development"]
    date: _dt.date
    closing: _dt.date | None = None  # when the upfront is paid (default: the deal date)
    licensor: Party
    licensee: Party
    upfront: float = Field(ge=0.0)
    equity_premium: float = Field(default=0.0, ge=0.0)
    licensor_cost_share: float = Field(default=0.0, ge=0.0, le=1.0)  # share of development costs from the deal on
    platform: bool = False  # the buyer also acquires a technology platform beyond this asset (calibration premium)
    milestones: list[Milestone] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    royalties: list[Royalty] = Field(default_factory=list)
    profit_shares: list[ProfitShare] = Field(default_factory=list)
    cost_shares: list[CostShare] = Field(default_factory=list)
    observed: Observed | None = None


# ---- uncertainty, correlation and scenarios (Monte Carlo and sensitivity; docs/montecarlo.md) -----------------
UNCERTAINTY_DISTS = ("normal", "lognormal", "triangular", "pert", "uniform", "discrete", "beta", "posterior")
# Fields a distribution may be put on: the simulation writes them into the engine's arrays path by path. Any
# other numeric field can still carry a tornado swing (an entry without ``dist``).
SIMULATED_FIELDS = {
    "valuation": ("discount_rate", "tax_rate"),
    "phases": ("duration", "cost", "probability"),
    "territories": ("peak_sales", "patients", "treated_share", "net_price", "launch_lag", "years_to_peak",
                    "exclusivity_years", "erosion", "price_change", "cogs_fraction", "cogs_per_patient",
                    "sga_fraction", "sga_fixed", "launch_cost"),
    "costs": ("cogs_fraction", "cogs_per_patient", "sga_fraction", "sga_fixed", "launch_cost"),
}
POSTERIOR_PATH = "pos.orr"


class Uncertainty(_Model):
    """One uncertain input: a distribution for ``iitvalue simulate`` and/or a swing for the tornado.

    Parameters by ``dist``: normal and lognormal ``mean``, ``sd`` (of the variable itself); triangular and pert
    ``low``, ``mode``, ``high``; uniform ``low``, ``high``; discrete ``values`` (``weights``, default equal);
    beta ``a``, ``b`` or ``mean``, ``n``; posterior (only on ``pos.orr``) none. ``low``/``high`` are the tornado
    swing for distributions without bounds (and entries without ``dist``); ``swing`` overrides it for any entry."""

    path: str = Field(min_length=1)
    dist: Literal[UNCERTAINTY_DISTS] | None = None  # type: ignore[valid-type]
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    values: list[float] | None = None
    weights: list[float] | None = None
    a: float | None = None
    b: float | None = None
    n: float | None = None
    swing: list[float] | None = None
    source: str | None = None


class Correlation(_Model):
    """Gaussian-copula correlation between the distributions of some ``[[uncertainty]]`` paths."""

    paths: list[str] = Field(min_length=2)
    matrix: list[list[float]]


class Scenario(_Model):
    """A named set of overrides (dotted path -> value), valued side by side with the base case."""

    name: str = Field(min_length=1)
    set: dict[str, Any] = Field(min_length=1)
    note: str | None = None


class TermSheet(_Model):
    """A whole term sheet. Build it from a file with :func:`load`, from a dict, or field by field."""

    valuation: Valuation
    asset: Asset
    phases: list[Phase] = Field(default_factory=list)
    territories: list[Territory] = Field(min_length=1)
    costs: Costs
    readouts: list[Readout] = Field(default_factory=list)
    pos: Pos | None = None
    deal: Deal | None = None
    uncertainty: list[Uncertainty] = Field(default_factory=list)
    correlation: Correlation | None = None
    scenarios: list[Scenario] = Field(default_factory=list)

    # ---- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None, lines: dict | None = None) -> "TermSheet":
        """Validate a plain dict (as read from TOML). Raises :class:`InputError` listing every problem."""
        try:
            sheet = cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(_pydantic_problems(exc, lines or {}), source) from None
        problems = check_consistency(sheet, lines or {})
        if problems:
            raise InputError(problems, source)
        return sheet

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="python", exclude_none=True, exclude_unset=True)

    def replace(self, changes: dict[str, Any] | None = None, **sections: Any) -> "TermSheet":
        """A validated copy with ``changes`` applied: keys are dotted paths such as ``"phases[0].probability"``
        or ``"valuation.discount_rate"``; keyword arguments replace whole sections."""
        data = self.to_dict()
        for key, value in sections.items():
            data[key] = value.model_dump(exclude_none=True, exclude_unset=True) if isinstance(value, BaseModel) else value
        for path, value in (changes or {}).items():
            set_path(data, path, value)
        return TermSheet.from_dict(data)


# ---- consistency checks that span fields ----------------------------------------------------------------------
def check_consistency(sheet: TermSheet, lines: dict) -> list[Problem]:
    """Rules that involve several fields; returns every problem found (empty when consistent)."""
    out: list[Problem] = []

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, _line_for(loc, lines)))

    stage = sheet.asset.stage
    if stage == "approved" and sheet.phases:
        add(("phases",), "an approved asset has no remaining development phases; remove them or change asset.stage")
    if stage != "approved" and not sheet.phases:
        add(("phases",), f"asset.stage is '{stage}' but no remaining phases are given; list the phases up to approval")
    prev = -1
    for i, ph in enumerate(sheet.phases):
        rank = _KIND_RANK[ph.kind]
        if rank < _STAGE_RANK[stage]:
            add(("phases", i, "kind"), f"'{ph.kind}' lies before the asset's current stage '{stage}'; "
                "list only the remaining phases (the current one first)")
        if rank < prev:
            add(("phases", i, "kind"), f"'{ph.kind}' comes after a later phase; phases must be in development order "
                f"({', '.join(PHASE_KINDS)})")
        prev = max(prev, rank)
        if ph.cost_profile is not None:
            if any(w < 0 for w in ph.cost_profile) or sum(ph.cost_profile) <= 0:
                add(("phases", i, "cost_profile"), "weights must be non-negative with a positive sum")
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
        from .pos import check_readout_choice, known_models

        if sheet.pos.model is not None and sheet.pos.model not in known_models():
            add(("pos", "model"), f"unknown model '{sheet.pos.model}'{_suggest(sheet.pos.model, known_models())}; "
                f"known: {', '.join(known_models())}")
        msg = check_readout_choice(sheet.pos.readout, sheet.valuation.date)
        if msg:
            add(("pos", "readout"), msg)
    if sheet.deal is not None:
        out += _check_deal(sheet, lines)
    _dupes([p.name for p in sheet.phases], ("phases",), add)
    _dupes([t.name for t in sheet.territories], ("territories",), add)
    if sheet.asset.benchmark is not None:
        from .benchmarks import transition_keys

        keys = transition_keys()
        if sheet.asset.benchmark not in keys:
            add(("asset", "benchmark"), f"unknown benchmark row '{sheet.asset.benchmark}'{_suggest(sheet.asset.benchmark, keys)}; "
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
    if sheet.uncertainty or sheet.correlation is not None or sheet.scenarios:
        out += _check_uncertainty(sheet, lines, scenarios=not out)  # scenarios only on an otherwise valid sheet
    return out


def _check_deal(sheet: TermSheet, lines: dict) -> list[Problem]:
    out: list[Problem] = []
    d = sheet.deal

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, _line_for(loc, lines)))

    phases = [p.name for p in sheet.phases]
    terrs = [t.name for t in sheet.territories]
    if d.closing is not None and d.closing < d.date:
        add(("deal", "closing"), f"{d.closing} is before the deal date {d.date}")
    if d.equity_premium > d.upfront:
        add(("deal", "equity_premium"), "the equity premium is part of the upfront and cannot exceed it")

    def check_trigger(loc: tuple, t: Trigger) -> None:
        need = {"phase_start": "phase", "phase_success": "phase", "filing": "territory", "approval": "territory",
                "sales": "threshold", "date": "date"}[t.type]
        if getattr(t, need) is None:
            add(loc + (need,), f"a '{t.type}' trigger needs '{need}'")
        if t.phase is not None and t.phase not in phases:
            add(loc + ("phase",), f"no phase named '{t.phase}'{_suggest(t.phase, phases)}; phases: {', '.join(phases) or 'none'}")
        if t.territory is not None and t.territory not in terrs:
            add(loc + ("territory",), f"no territory named '{t.territory}'{_suggest(t.territory, terrs)}; "
                f"territories: {', '.join(terrs)}")
        if t.type == "filing" and "filing" not in [p.kind for p in sheet.phases]:
            add(loc + ("type",), "a filing trigger needs a phase of kind 'filing' in the plan")
        if t.date is not None and t.date < d.date:
            add(loc + ("date",), f"{t.date} is before the deal date {d.date}")
        extra = {"phase", "territory", "threshold", "date"} - {need} - ({"territory"} if t.type == "sales" else set())
        for f in sorted(extra):
            if getattr(t, f) is not None:
                add(loc + (f,), f"does not apply to a '{t.type}' trigger")

    for i, m in enumerate(d.milestones):
        check_trigger(("deal", "milestones", i, "trigger"), m.trigger)
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
                    add(("deal", table, i, "territories"), f"no territory named '{t}'{_suggest(t, terrs)}")
                if t in owner:
                    add(("deal", table, i, "territories"), f"'{t}' is already covered by {table}[{owner[t]}]")
                owner[t] = i

    owner_phase: dict[str, int] = {}
    for i, cs in enumerate(d.cost_shares):
        for ph in cs.phases:
            if ph not in phases:
                add(("deal", "cost_shares", i, "phases"), f"no phase named '{ph}'{_suggest(ph, phases)}; "
                    f"phases: {', '.join(phases) or 'none'}")
            if ph in owner_phase:
                add(("deal", "cost_shares", i, "phases"), f"'{ph}' already has a cost share (cost_shares[{owner_phase[ph]}])")
            owner_phase[ph] = i
    check_territories("royalties", d.royalties)
    check_territories("profit_shares", d.profit_shares)
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


# ---- uncertainty paths ----------------------------------------------------------------------------------------
def numeric_field(path: str) -> tuple[tuple, tuple[float, bool, float, bool]]:
    """Check that ``path`` names a numeric field of the schema (indices are not checked here); return its
    location tuple and bounds (low, low inclusive, high, high inclusive). Raises :class:`InputError`."""
    import math
    import typing

    loc = parse_path(path)
    model: type[BaseModel] | None = TermSheet
    name = None
    for depth, key in enumerate(loc):
        if isinstance(key, int):
            continue
        here = loc_to_path(loc[:depth]) or "(top level)"
        if model is None or key not in model.model_fields:
            known = sorted(model.model_fields) if model is not None else []
            raise InputError(Problem(path, f"'{key}' is not a field of {here}{_suggest(key, known)}; "
                                     f"fields there: {', '.join(known) if known else 'none (a value)'}"))
        if depth == len(loc) - 1:
            name = key
            break
        owner = model
        model, is_list = _model_for(owner, key)
        if is_list and not isinstance(loc[depth + 1], int):
            raise InputError(Problem(path, f"'{key}' is a list; name an entry, e.g. {key}[0]"))
    if name is None:
        raise InputError(Problem(path, "names a table or a list entry, not a numeric field"))
    info = model.model_fields[name]
    args = set(typing.get_args(info.annotation)) | {info.annotation}
    if not args & {float, int} or args & {bool}:
        raise InputError(Problem(path, "is not a numeric field; only numbers can be varied"))
    lo, lo_in, hi, hi_in = -math.inf, True, math.inf, True
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_in = float(m.ge), True
        if getattr(m, "gt", None) is not None:
            lo, lo_in = float(m.gt), False
        if getattr(m, "le", None) is not None:
            hi, hi_in = float(m.le), True
        if getattr(m, "lt", None) is not None:
            hi, hi_in = float(m.lt), False
    return loc, (lo, lo_in, hi, hi_in)


def get_path(data: Any, loc: tuple) -> Any:
    """The value at a location tuple in a raw dict, or None when any part is missing."""
    node = data
    for key in loc:
        if isinstance(key, int):
            if not isinstance(node, list) or not 0 <= key < len(node):
                return None
        elif not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def describe_bounds(bounds: tuple[float, bool, float, bool]) -> str:
    lo, lo_in, hi, hi_in = bounds
    parts = []
    if lo > -float("inf"):
        parts.append(f"{'>=' if lo_in else '>'} {lo:g}")
    if hi < float("inf"):
        parts.append(f"{'<=' if hi_in else '<'} {hi:g}")
    return " and ".join(parts) or "any number"


def within(x: float, bounds: tuple[float, bool, float, bool]) -> bool:
    lo, lo_in, hi, hi_in = bounds
    return (x >= lo if lo_in else x > lo) and (x <= hi if hi_in else x < hi)


# parameters each distribution takes (required, optional); low/high are a tornado swing where not listed
_DIST_PARAMS = {
    "normal": ({"mean", "sd"}, {"low", "high"}),
    "lognormal": ({"mean", "sd"}, {"low", "high"}),
    "triangular": ({"low", "mode", "high"}, set()),
    "pert": ({"low", "mode", "high"}, set()),
    "uniform": ({"low", "high"}, set()),
    "discrete": ({"values"}, {"weights", "low", "high"}),
    "beta": (set(), {"a", "b", "mean", "n", "low", "high"}),
    "posterior": (set(), set()),
    None: (set(), {"low", "high"}),
}
_ALL_PARAMS = ("mean", "sd", "low", "mode", "high", "values", "weights", "a", "b", "n")


def _check_uncertainty(sheet: TermSheet, lines: dict, scenarios: bool = True) -> list[Problem]:
    """Uncertainty declarations, correlation and scenarios (docs/montecarlo.md)."""
    import copy
    import math

    out: list[Problem] = []

    def add(loc: tuple, msg: str) -> None:
        out.append(Problem(loc_to_path(loc), msg, _line_for(loc, lines)))

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
        need, allowed = _DIST_PARAMS[u.dist]
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
            loc, bounds = numeric_field(u.path)
            if loc[0] in ("uncertainty", "correlation", "scenarios"):
                raise InputError(Problem(u.path, "names a Monte Carlo setting, not an input of the valuation"))
            set_path(copy.deepcopy(data), u.path, 0.0)  # checks list indices against this sheet
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
        field_name = u.path
        bad_bound = lambda x: not within(x, bounds)  # noqa: E731
        limits = describe_bounds(bounds)
        # parameter checks
        if u.sd is not None and u.sd < 0:
            add(here + ("sd",), f"{u.sd:g} is not allowed; a standard deviation must be >= 0")
        if u.dist == "lognormal" and u.mean is not None and u.mean <= 0:
            add(here + ("mean",), f"{u.mean:g} is not allowed; a lognormal variable has a mean > 0")
        if u.dist in ("triangular", "pert", "uniform") and u.low is not None and u.high is not None:
            if u.low >= u.high:
                add(here + ("low",), f"low {u.low:g} must be below high {u.high:g}")
            elif u.mode is not None and not u.low <= u.mode <= u.high:
                add(here + ("mode",), f"{u.mode:g} lies outside [low, high] = [{u.low:g}, {u.high:g}]")
            elif bad_bound(u.low) or bad_bound(u.high):
                add(here + ("low",), f"the range [{u.low:g}, {u.high:g}] leaves what {field_name} allows ({limits})")
        if u.dist not in ("triangular", "pert", "uniform") and u.low is not None and u.high is not None and u.low > u.high:
            add(here + ("low",), f"the tornado swing low {u.low:g} is above high {u.high:g}")
        if u.dist == "discrete" and u.values is not None:
            if not u.values:
                add(here + ("values",), "needs at least one value")
            elif any(bad_bound(v) for v in u.values):
                add(here + ("values",), f"every value must be allowed for {field_name} ({limits})")
            if u.weights is not None and (len(u.weights) != len(u.values) or any(w < 0 for w in u.weights)
                                          or abs(sum(u.weights) - 1.0) > 1e-9):
                add(here + ("weights",), f"needs {len(u.values)} weights >= 0 summing to 1")
        if u.dist == "beta":
            pairs = (u.a is not None or u.b is not None, u.mean is not None or u.n is not None)
            if pairs[0] == pairs[1]:
                add(here + ("dist",), "a beta distribution takes either a and b, or mean and n")
            elif pairs[0]:
                for p in ("a", "b"):
                    v = getattr(u, p)
                    if v is None or v <= 0:
                        add(here + (p,), f"{v} is not allowed; beta parameters must be > 0")
            else:
                if u.mean is None or not 0 < u.mean < 1:
                    add(here + ("mean",), f"{u.mean} is not allowed; the mean of a beta lies in (0, 1)")
                if u.n is None or u.n <= 0:
                    add(here + ("n",), f"{u.n} is not allowed; the prior sample size n must be > 0")
            if bad_bound(1e-12) or bad_bound(1.0 - 1e-12):
                add(here + ("dist",), f"a beta lies in (0, 1), which {field_name} does not allow ({limits})")
        swing = u.swing
        if swing is not None:
            if len(swing) != 2 or swing[0] > swing[1]:
                add(here + ("swing",), "write [low, high] with low <= high")
                swing = None
        elif u.dist not in ("triangular", "pert", "uniform") and u.low is not None and u.high is not None:
            swing = [u.low, u.high]
        if swing is not None and any(bad_bound(x) for x in swing):
            add(here + ("swing" if u.swing is not None else "low",),
                f"the swing [{swing[0]:g}, {swing[1]:g}] leaves what {field_name} allows ({limits})")
        if u.dist in ("normal", "lognormal") and u.mean is not None and not math.isfinite(u.mean):
            add(here + ("mean",), "must be finite")
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
            import numpy as np

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
                set_path(trial, path, value)
            TermSheet.from_dict(trial)
        except InputError as exc:
            for p in exc.problems:
                add(("scenarios", i, "set"), f"{p.path}: {p.message}" if p.path else p.message)
    return out


def _has_resolved_default(loc: tuple) -> bool:
    """Fields the engine fills when omitted (benchmark phase inputs, territory cost overrides from [costs])."""
    return (loc[0] == "phases" and loc[-1] in ("duration", "cost", "probability")) or (
        loc[0] == "territories" and loc[-1] in ("cogs_fraction", "cogs_per_patient", "sga_fraction", "sga_fixed",
                                                 "launch_cost"))


def _dupes(names: list[str], table: tuple, add) -> None:
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            add(table + (i, "name"), f"duplicate name '{n}'; names must be unique")
        seen.add(n)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---- loading ------------------------------------------------------------------------------------------------
def load(path: str | Path, overrides: dict[str, Any] | None = None) -> TermSheet:
    """Read and validate a TOML term sheet. ``overrides`` maps dotted paths to values (the CLI's ``--set``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", str(p)) from None
    return loads(text, source=str(p), overrides=overrides)


def loads(text: str, source: str = "<string>", overrides: dict[str, Any] | None = None) -> TermSheet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source) from None
    lines = toml_key_lines(text)
    problems = []
    for key, value in (overrides or {}).items():
        try:
            set_path(data, key, value)
        except InputError as exc:
            problems += exc.problems
        lines[parse_path(key)] = None  # an overridden value has no line in the file
    if problems:
        raise InputError(problems, source)
    return TermSheet.from_dict(data, source=source, lines=lines)


# ---- dotted paths -------------------------------------------------------------------------------------------
_SEG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> tuple:
    """``"phases[1].probability"`` (or ``phases.1.probability``) -> ``("phases", 1, "probability")``."""
    out: list = []
    for part in path.split("."):
        if part.isdigit():
            out.append(int(part))
            continue
        pos = 0
        for m in _SEG.finditer(part):
            if m.start() != pos:
                raise InputError(Problem(path, "not a field path; write it like valuation.discount_rate or phases[0].cost"))
            out.append(m.group(1) if m.group(1) else int(m.group(2)))
            pos = m.end()
        if pos != len(part) or not part:
            raise InputError(Problem(path, "not a field path; write it like valuation.discount_rate or phases[0].cost"))
    return tuple(out)


def loc_to_path(loc: tuple) -> str:
    s = ""
    for x in loc:
        s += f"[{x}]" if isinstance(x, int) else (f".{x}" if s else str(x))
    return s


def _model_for(model: type[BaseModel], name: str):
    """The model class (or None for scalars) and whether the field is a list, for field ``name``."""
    import typing

    ann = model.model_fields[name].annotation
    args = typing.get_args(ann)
    origin = typing.get_origin(ann)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    for a in args:
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a, False
    return None, origin is list


def set_path(data: dict, path: str, value: Any, root: type[BaseModel] | None = None) -> None:
    """Set ``value`` at dotted ``path`` in the raw dict, checking the path against the term-sheet schema."""
    loc = parse_path(path) if isinstance(path, str) else tuple(path)
    model: type[BaseModel] | None = root or TermSheet
    node: Any = data
    for depth, key in enumerate(loc):
        last = depth == len(loc) - 1
        here = loc_to_path(loc[:depth]) or "(top level)"
        if isinstance(key, int):
            if not isinstance(node, list) or not (0 <= key < len(node)):
                n = len(node) if isinstance(node, list) else 0
                raise InputError(Problem(path, f"no entry [{key}] under {here}; it has {n} entries (0-based)"))
            if last:
                node[key] = value
                return
            node = node[key]
            continue
        if model is None or key not in model.model_fields:
            known = sorted(model.model_fields) if model is not None else []
            raise InputError(Problem(path, f"'{key}' is not a field of {here}{_suggest(key, known)}; "
                                     f"fields there: {', '.join(known) if known else 'none (a value)'}"))
        sub, is_list = _model_for(model, key)
        if last:
            node[key] = value
            return
        if key not in node:
            node[key] = [] if is_list else {}
        node = node[key]
        model = sub if not is_list or isinstance(loc[depth + 1], int) else None


def parse_set_option(text: str) -> tuple[str, Any]:
    """``"valuation.discount_rate=0.12"`` -> ``("valuation.discount_rate", 0.12)``; the value is read as a TOML
    value (numbers, booleans, dates, arrays, quoted strings) and otherwise kept as a bare string."""
    if "=" not in text:
        raise InputError(Problem(text, "--set takes PATH=VALUE, e.g. --set valuation.discount_rate=0.12"))
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


# ---- line numbers ---------------------------------------------------------------------------------------------
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEYVAL = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def toml_key_lines(text: str) -> dict[tuple, int]:
    """Map each key's location tuple to its 1-based line: ``("phases", 1, "cost") -> 23``.

    Handles ``[table]``, ``[[array.of.tables]]`` and ``key = value`` lines (including dotted keys). Values inside
    multi-line arrays or inline tables get the line of their key.
    """
    lines: dict[tuple, int] = {}
    counts: dict[tuple, int] = {}
    prefix: tuple = ()
    depth = 0  # bracket depth of a multi-line value
    for no, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if depth > 0:
            depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
            continue
        m = _HEADER.match(line)
        if m and not _KEYVAL.match(line):
            keys = tuple(k.strip().strip('"\'') for k in m.group(2).split("."))
            if m.group(1) == "[[":
                # index of this element within its array; nested arrays are counted under their parent element
                parent = _resolve(keys[:-1], counts)
                base = parent + (keys[-1],)
                idx = counts.get(base, -1) + 1
                counts[base] = idx
                prefix = base + (idx,)
            else:
                prefix = _resolve(keys, counts)
            lines.setdefault(prefix, no)
            continue
        m = _KEYVAL.match(line)
        if m:
            keys = tuple(k.strip().strip('"\'') for k in m.group(1).split("."))
            lines.setdefault(prefix + keys, no)
            value = line[m.end():]
            depth = value.count("[") + value.count("{") - value.count("]") - value.count("}")
    return lines


def _resolve(keys: tuple, counts: dict) -> tuple:
    out: tuple = ()
    for k in keys:
        out = out + (k,)
        if out in counts:
            out = out + (counts[out],)
    return out


def _strip_comment(line: str) -> str:
    in_str: str | None = None
    for i, ch in enumerate(line):
        if in_str:
            if ch == in_str:
                in_str = None
        elif ch in "\"'":
            in_str = ch
        elif ch == "#":
            return line[:i]
    return line


def _line_for(loc: tuple, lines: dict) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


# ---- pydantic errors -> problems ------------------------------------------------------------------------------
def _pydantic_problems(exc: ValidationError, lines: dict) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and ("[" in x or x in _UNION_TAGS)))
        out.append(Problem(loc_to_path(loc), _message(err), _line_for(loc, lines)))
    # a union (e.g. ramp) reports one error per alternative; keep the first per field
    seen, uniq = set(), []
    for p in out:
        if p.path not in seen:
            uniq.append(p)
            seen.add(p.path)
    return uniq


_UNION_TAGS = {"list[float]", "literal['benchmark','linear']", "function-after"}


def _message(err: dict) -> str:
    kind = err["type"]
    got = err.get("input")
    ctx = err.get("ctx", {})
    shown = repr(got) if not isinstance(got, dict) else "a table"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key (value {shown}); see docs/termsheet.md for the allowed keys"
    if kind == "literal_error":
        return f"{shown} is not allowed; expected one of {ctx.get('expected', '')}" + _suggest_literal(got, ctx)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bounds = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
        limit = next(iter(ctx.values()))
        hint = " (rates and probabilities are fractions: 0.10, not 10)" if kind == "less_than_equal" and limit == 1.0 else ""
        return f"{shown} is not allowed; must be {bounds[kind]} {limit}{hint}"
    if kind.startswith("date") or kind == "date_type":
        return f"{shown} is not a date; write a TOML date such as 2025-03-17 (YYYY-MM-DD, no quotes)"
    if kind in ("float_type", "int_type"):
        return f"{shown} is not a number; write a plain number such as 0.12"
    if kind in ("string_type",):
        return f"{shown} is not text; write a quoted string"
    if kind == "bool_type":
        return f"{shown} is not a boolean; write true or false"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return f"{shown} has the wrong shape: {err['msg']}"
    return f"{shown}: {err['msg']}"


def _suggest_literal(got: Any, ctx: dict) -> str:
    if not isinstance(got, str):
        return ""
    options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return _suggest(got, options)
