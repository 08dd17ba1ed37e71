"""The term sheet's validated, frozen input models (pydantic); the ``[deal]`` models live in :mod:`.deal_schema`
and are re-exported here. Every field is documented in docs/termsheet.md.

Units: money in millions of ``valuation.currency``; time in years; rates and probabilities as fractions.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..errors import InputError
from .checks import check_consistency
from .indications import lead_at_top_level
from .messages import problems_from_validation
from .deal_schema import (CostShare, Deal, Equity, Milestone, Observed, Option, Party, Pool,  # noqa: F401
                          ProfitShare, Royalty, Sublicence, SublicencePayment, Supply, Tier, Tranche, Trigger)
from .paths import set_path
from .types import Date, Name, Number, Text, Model
from .vocabulary import (MAX_COUNT, MAX_MONEY, MAX_NAME, MAX_PATIENTS, MAX_TEXT, MAX_YEARS,
                         MODALITIES, PHASE_KINDS, STAGES, THERAPEUTIC_AREAS,
                         UNCERTAINTY_DISTS)

class Valuation(Model):
    """When, in what money and at what rate the asset is valued."""

    name: Name
    date: Date
    currency: str = Field(min_length=1, max_length=MAX_NAME)
    discount_rate: float = Field(ge=0.0, le=1.0)
    horizon_years: float = Field(gt=0.0, le=100.0)
    period: Literal["annual", "quarterly"] = "annual"
    mid_period: bool = True
    tax_rate: float = Field(ge=0.0, lt=1.0)
    tax_loss_carryforward: bool = False


class Asset(Model):
    name: Name
    modality: Literal[MODALITIES]  # type: ignore[valid-type]
    indication: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)  # with [[indications]]: the lead's
    therapeutic_area: Literal[THERAPEUTIC_AREAS]  # type: ignore[valid-type]
    stage: Literal[STAGES]  # type: ignore[valid-type]
    benchmark: Name | None = None


class Phase(Model):
    """One remaining development phase. Omitted duration, cost or probability come from the benchmark tables."""

    name: Name
    kind: Literal[PHASE_KINDS]  # type: ignore[valid-type]
    duration: float | None = Field(default=None, gt=0.0, le=30.0)
    cost: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    cost_profile: list[float] | None = Field(default=None, min_length=1)


class Rival(Model):
    """A competing product in one territory (docs/method.md 1, Competition): its launch date and its strength,
    the attraction it would have against the asset at the same order of entry (1 = as attractive)."""

    name: Name
    launch: Date
    strength: float = Field(default=1.0, gt=0.0, le=100.0)
    source: Text | None = None


class Territory(Model):
    """Launch and sales in one territory. Peak sales either directly or as patients x treated share x net price:
    with ``rivals``, the peak the asset would reach alone (the class's treated patients), of which it takes its
    order-of-entry share."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    launch_lag: float = Field(default=0.0, ge=0.0, le=30.0)
    peak_sales: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    patients: float | None = Field(default=None, ge=0.0, le=MAX_COUNT)
    treated_share: float | None = Field(default=None, ge=0.0, le=1.0)
    net_price: float | None = Field(default=None, gt=0.0, le=MAX_MONEY)
    years_to_peak: float = Field(default=6.0, gt=0.0, le=30.0)
    ramp: Literal["benchmark", "linear"] | list[float] = "benchmark"
    exclusivity_years: float | None = Field(default=None, ge=0.0, le=MAX_YEARS)
    exclusivity_end: Date | None = None
    erosion: float = Field(default=0.0, ge=0.0, le=1.0)
    price_change: float = Field(default=0.0, gt=-1.0, le=1.0)
    cogs_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    cogs_per_patient: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    sga_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    sga_fixed: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    launch_cost: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    rivals: list[Rival] = Field(default_factory=list)
    entry_exponent: float = Field(default=0.49, ge=0.0, le=5.0)
    share_of_lead: float | None = Field(default=None, gt=0.0, le=100.0)  # follow-on indications only
    capacity_limited: bool = True  # with [capacity]: supplied by that plant (False: by another, not capped)

    @property
    def peak(self) -> float:
        """Peak annual net sales in millions (valuation-date money)."""
        if self.peak_sales is not None:
            return self.peak_sales
        return float(self.patients * self.treated_share * self.net_price)  # type: ignore[operator]


class Costs(Model):
    """Operating costs, the defaults for every territory (a territory may override each)."""

    cogs_fraction: float = Field(ge=0.0, le=1.0)
    sga_fraction: float = Field(ge=0.0, le=1.0)
    cogs_per_patient: float = Field(default=0.0, ge=0.0, le=MAX_MONEY)
    sga_fixed: float = Field(default=0.0, ge=0.0, le=MAX_MONEY)
    launch_cost: float = Field(default=0.0, ge=0.0, le=MAX_MONEY)


class Capacity(Model):
    """A manufacturing ceiling on patients treated per year across every territory (an autologous cell therapy's
    plant), ramped by year since the first launch (docs/method.md 1, Capacity)."""

    patients_per_year: float = Field(gt=0.0, le=MAX_COUNT)
    ramp: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=list, max_length=50)
    source: Text | None = None


class Readout(Model):
    """A dated efficacy readout. Counts are patients; ``complete`` counts CR/sCR among responders evaluable for
    it (``complete_n`` patients, default all ``n``). ``centres``, ``assessment``, ``manufacturing``,
    ``median_followup`` (years) and ``dose_level`` set its evidence weight by the rubric of docs/method.md 2.5
    unless ``weight`` is given."""

    date: Date
    source: str = Field(min_length=1, max_length=MAX_TEXT)
    trial: Name = "main"
    design: Literal["iit", "registrational"]
    centres: int | None = Field(default=None, ge=1, le=MAX_PATIENTS)
    assessment: Literal["investigator", "independent"] = "investigator"
    n: int = Field(ge=1, le=MAX_PATIENTS)
    responders: int = Field(ge=0, le=MAX_PATIENTS)
    complete: int | None = Field(default=None, ge=0, le=MAX_PATIENTS)
    complete_n: int | None = Field(default=None, ge=1, le=MAX_PATIENTS)
    mrd_negative: int | None = Field(default=None, ge=0, le=MAX_PATIENTS)
    dose: Name | None = None
    dose_level: Literal["therapeutic", "sub-therapeutic"] | None = None
    manufacturing: Literal["academic", "gmp-clinical", "commercial"] | None = None
    median_followup: float | None = Field(default=None, gt=0.0, le=30.0)  # years
    weight: float | None = Field(default=None, gt=0.0, le=1.0)
    note: Text | None = None


class Pivotal(Model):
    """A planned single-arm pivotal study: success iff the ORR's lower bound at ``level`` exceeds ``threshold``."""

    n: int = Field(ge=1, le=10000)
    threshold: float = Field(gt=0.0, lt=1.0)
    level: float = Field(default=0.975, gt=0.5, lt=1.0)
    rule: Literal["exact", "bayes"] = "exact"


class Transportability(Model):
    """Discount for an evidence base from China only: regulatory success x factor, review + delay (off unless given)."""

    regulatory_factor: float = Field(default=1.0, gt=0.0, le=1.0)
    delay_years: float = Field(default=0.0, ge=0.0, le=10.0)


class Pos(Model):
    """How readouts update the probability of success (docs/method.md, section 2)."""

    model: Name | None = None
    iit_weight: float = Field(default=0.5, gt=0.0, le=1.0)
    registrational_weight: float = Field(default=1.0, gt=0.0, le=1.0)
    p_approval_active: float | None = Field(default=None, gt=0.0, le=1.0)
    p_approval_inactive: float | None = Field(default=None, ge=0.0, lt=1.0)
    readout: Name = "auto"
    pivotal: Pivotal | None = None
    transportability: Transportability | None = None

    @field_validator("readout", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        """A TOML date (``readout = 2025-01-31``, no quotes) means the same as the quoted ISO date."""
        return value.isoformat() if type(value) is _dt.date else value


class IndicationStart(Model):
    """When a follow-on indication starts: ``lag`` years after an event of an earlier indication (the success of
    one of its phases, or its approval), and only if that event happens."""

    after: Name
    event: Literal["phase_success", "approval"]
    phase: Name | None = None
    lag: float = Field(default=0.0, ge=0.0, le=30.0)


class Indication(Model):
    """One indication or line of therapy of the asset (docs/method.md 5). The first entry is the lead: its
    phases, territories and readouts are the sheet's top-level ones (written here or there, not both)."""

    name: Name
    indication: str = Field(min_length=1, max_length=MAX_NAME)  # the class-model key of the Bayesian update
    line: Text | None = None
    stage: Literal[STAGES] | None = None  # type: ignore[valid-type]  # default: from its first phase
    start: IndicationStart | None = None
    phases: list[Phase] = Field(default_factory=list)
    territories: list[Territory] = Field(default_factory=list)
    readouts: list[Readout] = Field(default_factory=list)
    note: Text | None = None


class Uncertainty(Model):
    """One uncertain input: a distribution for ``iitvalue simulate`` and/or a swing for the tornado.

    Parameters by ``dist``: normal and lognormal ``mean``, ``sd`` (of the variable itself); triangular and pert
    ``low``, ``mode``, ``high``; uniform ``low``, ``high``; discrete ``values`` (``weights``, default equal);
    beta ``a``, ``b`` or ``mean``, ``n``; posterior (only on ``pos.orr``) none. ``low``/``high`` are the tornado
    swing for distributions without bounds (and entries without ``dist``); ``swing`` overrides it for any entry."""

    path: str = Field(min_length=1, max_length=MAX_NAME)
    dist: Literal[UNCERTAINTY_DISTS] | None = None  # type: ignore[valid-type]
    mean: Number | None = None
    sd: Number | None = None
    low: Number | None = None
    mode: Number | None = None
    high: Number | None = None
    values: list[Number] | None = None
    weights: list[Number] | None = None
    a: Number | None = None
    b: Number | None = None
    n: Number | None = None
    swing: list[Number] | None = None
    source: Text | None = None


class Correlation(Model):
    """Gaussian-copula correlation between the distributions of some ``[[uncertainty]]`` paths."""

    paths: list[Name] = Field(min_length=2)
    matrix: list[list[float]]


class Scenario(Model):
    """A named set of overrides (dotted path -> value), valued side by side with the base case."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    set: dict[str, Any] = Field(min_length=1)
    note: Text | None = None


class TermSheet(Model):
    """A whole term sheet: the validated, frozen input of every valuation (fields in docs/termsheet.md).

    Build it from a TOML file with :func:`iitvalue.load`, from TOML text with :func:`iitvalue.loads`, from a dict
    with :meth:`from_dict`, or field by field. Change it with :meth:`replace` (a validated copy). Money in
    millions of ``valuation.currency``, durations in years, rates and probabilities as fractions.

    Examples
    --------
    >>> import iitvalue
    >>> sheet = iitvalue.load("examples/esobiotec.toml")
    >>> sheet
    <TermSheet 'ESO-T01' at 2025-03-17: 4 phase(s), 4 territory(ies), 2 readout(s), acquisition ...>
    >>> sheet.valuation.currency, sheet.valuation.discount_rate, [t.name for t in sheet.territories]
    ('USD', 0.1, ['US', 'EU', 'China', 'Japan and RoW'])
    """

    valuation: Valuation
    asset: Asset
    phases: list[Phase] = Field(default_factory=list)
    territories: list[Territory] = Field(min_length=1)
    costs: Costs
    capacity: Capacity | None = None
    readouts: list[Readout] = Field(default_factory=list)
    pos: Pos | None = None
    deal: Deal | None = None
    uncertainty: list[Uncertainty] = Field(default_factory=list)
    correlation: Correlation | None = None
    scenarios: list[Scenario] = Field(default_factory=list)
    indications: list[Indication] = Field(default_factory=list)

    # ---- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None, lines: dict | None = None) -> "TermSheet":
        """Validate a plain dict with the structure of the TOML file (as :func:`tomllib.load` reads it).

        Dates may be :class:`datetime.date` objects or ISO strings (``"2025-03-17"``).

        Parameters
        ----------
        data : dict
            Sections as in docs/termsheet.md: ``valuation``, ``asset``, ``phases``, ``territories``, ``costs``, ...
        source : str, optional
            A name for the messages (the file name).
        lines : dict, optional
            TOML line of each key path, for the messages (:func:`iitvalue.loads` passes them).

        Returns
        -------
        TermSheet

        Raises
        ------
        InputError
            Every problem at once (missing or unknown field, out-of-range value, inconsistent sections), each with
            its dotted path; ``.problems`` lists them as :class:`~iitvalue.errors.Problem`.

        Examples
        --------
        >>> import iitvalue
        >>> data = iitvalue.load("examples/esobiotec.toml").to_dict()
        >>> data["valuation"]["date"] = "2025-06-30"
        >>> iitvalue.TermSheet.from_dict(data).valuation.date
        datetime.date(2025, 6, 30)
        >>> data["valuation"]["discount_rate"] = 10
        >>> iitvalue.TermSheet.from_dict(data)
        Traceback (most recent call last):
        ...
        iitvalue.errors.InputError: valuation.discount_rate: 10 is not allowed; must be <= 1.0 (rates and ...)
        """
        data, lines, moved = lead_at_top_level(data, lines or {})
        if moved:
            raise InputError(moved, source)
        try:
            sheet = cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(problems_from_validation(exc, lines or {}), source) from None
        problems = check_consistency(sheet, lines or {})
        if problems:
            raise InputError(problems, source)
        return sheet

    def to_dict(self) -> dict[str, Any]:
        """The sheet as a plain dict with the structure of the TOML file: the fields that were given, without
        defaults filled in; ``TermSheet.from_dict(sheet.to_dict()) == sheet``.

        Returns
        -------
        dict
            Sections to values; dates as :class:`datetime.date`.

        Examples
        --------
        >>> import iitvalue
        >>> sheet = iitvalue.load("examples/esobiotec.toml")
        >>> d = sheet.to_dict()
        >>> d["phases"][0]
        {'name': 'Phase 1 (sponsor dose-finding)', 'kind': 'phase1', 'duration': 1.5, 'cost': 60.0}
        >>> iitvalue.TermSheet.from_dict(d) == sheet
        True
        """
        return self.model_dump(mode="python", exclude_none=True, exclude_unset=True)

    def replace(self, changes: dict[str, Any] | None = None, **sections: Any) -> "TermSheet":
        """A validated copy with ``changes`` applied (the sheet itself is frozen and unchanged).

        Parameters
        ----------
        changes : dict, optional
            Dotted paths to new values, as the CLI's ``--set``: ``"phases[0].probability"``,
            ``"valuation.discount_rate"``, ``"territories[1].peak_sales"``, ... (indices 0-based).
        **sections
            Whole sections: a dict is merged into the section (nested dicts too, so
            ``replace(valuation={"discount_rate": 0.12})`` keeps the other fields), a list or a model replaces it,
            None removes it (``replace(deal=None)``).

        Returns
        -------
        TermSheet

        Raises
        ------
        InputError
            A path that does not exist, or a value the schema refuses.

        Examples
        --------
        >>> import iitvalue
        >>> sheet = iitvalue.load("examples/esobiotec.toml")
        >>> what_if = sheet.replace({"phases[0].probability": 0.8})
        >>> round(iitvalue.value(what_if).value_of("asset.rnpv"), 1)
        454.9
        >>> dearer = sheet.replace(valuation={"discount_rate": 0.12})
        >>> dearer.valuation.discount_rate, dearer.valuation.currency
        (0.12, 'USD')
        >>> sheet.replace(deal=None).deal is None
        True
        >>> sheet.replace({"phases[9].probability": 0.8})
        Traceback (most recent call last):
        ...
        iitvalue.errors.InputError: phases[9].probability: no entry [9] under phases; it has 4 entries (0-based)
        """
        data = self.to_dict()
        for key, value in sections.items():
            if isinstance(value, BaseModel):
                data[key] = value.model_dump(exclude_none=True, exclude_unset=True)
            elif value is None:
                data.pop(key, None)
            elif isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = _merged(data[key], value)
            else:
                data[key] = value
        for path, value in (changes or {}).items():
            set_path(data, path, value, TermSheet)
        return TermSheet.from_dict(data)

    # ---- display (notebooks and the REPL) ------------------------------------------------------------------
    def _outline(self) -> list[tuple[str, str]]:
        from ..tables import money, percent

        v, a, d = self.valuation, self.asset, self.deal
        rows = [("asset", f"{a.name}: {a.modality}, {a.indication} ({a.therapeutic_area}), stage {a.stage}"),
                ("valuation", f"{v.date}, {v.currency} millions at {percent(v.discount_rate)}, {v.period}, "
                              f"{v.horizon_years:g} years"),
                ("phases", ", ".join(p.name for p in self.phases) or "none (approved)"),
                ("territories", ", ".join(t.name for t in self.territories))]
        if self.readouts:
            rows.append(("readouts", "; ".join(f"{r.date} {r.responders}/{r.n} ({r.design})" for r in self.readouts)))
        if d is not None:
            parts = [f"{len(getattr(d, k))} {k.replace('_', ' ')}" for k in
                     ("milestones", "pools", "royalties", "profit_shares", "cost_shares") if getattr(d, k)]
            rows.append(("deal", f"{d.kind}: {d.licensee.name} (buyer, {percent(d.licensee.discount_rate)}) and "
                                 f"{d.licensor.name} (seller, {percent(d.licensor.discount_rate)}); upfront "
                                 f"{money(d.upfront)}" + "".join(f", {p}" for p in parts)))
        if self.uncertainty:
            rows.append(("uncertain inputs", ", ".join(u.path for u in self.uncertainty)))
        if self.scenarios:
            rows.append(("scenarios", ", ".join(sc.name for sc in self.scenarios)))
        return rows

    def __repr__(self) -> str:
        parts = [f"{len(self.phases)} phase(s)", f"{len(self.territories)} territory(ies)"]
        if self.readouts:
            parts.append(f"{len(self.readouts)} readout(s)")
        if self.deal is not None:
            parts.append(f"{self.deal.kind} {self.deal.licensee.name}-{self.deal.licensor.name}")
        if self.uncertainty:
            parts.append(f"{len(self.uncertainty)} uncertain input(s)")
        return f"<TermSheet {self.asset.name!r} at {self.valuation.date}: {', '.join(parts)}>"

    def __str__(self) -> str:
        return repr(self)

    def _repr_html_(self) -> str:
        from ..tables import html_pairs

        return html_pairs(f"Term sheet: {self.valuation.name}", self._outline(), align="left")


def _merged(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, recursively for nested dicts."""
    out = dict(base)
    for k, v in update.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
