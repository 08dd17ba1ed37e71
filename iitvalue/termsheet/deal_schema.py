"""The ``[deal]`` table's validated, frozen models: triggers, milestones and pools, tranches, royalties, supply
and sublicence terms, profit and cost shares, the parties, equity, an option (docs/termsheet.md, "[deal]").

Units: money in millions of ``valuation.currency``; time in years; rates and shares as fractions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .types import Date, Name, Text, Model
from .vocabulary import MAX_MONEY, MAX_NAME, MAX_YEARS, MILESTONE_CATEGORIES, TRIGGER_TYPES


class Trigger(Model):
    """What makes a payment due. ``phase`` names a phase (phase_start, phase_success); ``territory`` a territory
    (filing, approval; optional for sales = worldwide); ``threshold`` annual net sales in millions (sales);
    ``date`` a fixed date (date, paid unconditionally)."""

    type: Literal[TRIGGER_TYPES]  # type: ignore[valid-type]
    phase: Name | None = None
    territory: Name | None = None
    threshold: float | None = Field(default=None, gt=0.0, le=MAX_MONEY)
    date: Date | None = None
    indication: Name | None = None  # filing, approval, sales: which indication (default: the lead; sales: all)


class Milestone(Model):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    amount: float = Field(ge=0.0, le=MAX_MONEY)
    category: Literal[MILESTONE_CATEGORIES]  # type: ignore[valid-type]
    trigger: Trigger
    cvr: bool = False
    expires: Date | None = None  # pays only if its trigger happens on or before this date
    source: Text | None = None


class Pool(Model):
    """A milestone amount disclosed only in total, spread over triggers by ``shares`` (default: equal)."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    amount: float = Field(ge=0.0, le=MAX_MONEY)
    category: Literal[MILESTONE_CATEGORIES]  # type: ignore[valid-type]
    triggers: list[Trigger] = Field(min_length=1)
    shares: list[float] | None = None
    cvr: bool = False
    expires: Date | None = None  # every payment of the pool pays only if its trigger happens by then
    source: Text | None = None


class Tranche(Model):
    """Non-contingent deferred consideration: ``amount`` (millions) paid on ``date`` whatever happens."""

    amount: float = Field(ge=0.0, le=MAX_MONEY)
    date: Date
    source: Text | None = None


class Tier(Model):
    above: float = Field(ge=0.0, le=MAX_MONEY)  # annual net sales (millions) from which the rate applies (marginal)
    rate: float = Field(ge=0.0, le=1.0)


class Royalty(Model):
    """Tiered royalties on the covered territories' combined annual net sales (marginal tiers)."""

    territories: list[Name] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    term_years: float | None = Field(default=None, gt=0.0, le=MAX_YEARS)  # years after each launch; None = horizon
    step_down: float = Field(default=0.0, ge=0.0, le=1.0)  # rate reduction after the territory's exclusivity end


class Supply(Model):
    """The licensor makes the product for ``territories`` and sells it to the licensee at ``transfer_price`` (a
    fraction of the licensee's net sales there); its cost of goods is ``cogs_fraction`` of net sales plus
    ``cogs_per_patient`` (millions) per patient, which replace those territories' own COGS when given."""

    territories: list[Name] = Field(min_length=1)
    transfer_price: float = Field(ge=0.0, le=1.0)
    cogs_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    cogs_per_patient: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    source: Text | None = None


class SublicencePayment(Model):
    """A lump sum a sublicensee pays the licensee (millions) when ``trigger`` happens."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    amount: float = Field(ge=0.0, le=MAX_MONEY)
    trigger: Trigger


class Sublicence(Model):
    """The licensee sublicenses ``territories``: the sublicensee pays it ``royalty`` (fraction of those
    territories' net sales) and ``payments``; the licensor receives ``licensor_share`` of that income."""

    territories: list[Name] = Field(min_length=1)
    licensor_share: float = Field(ge=0.0, le=1.0)
    royalty: float = Field(default=0.0, ge=0.0, le=1.0)
    payments: list[SublicencePayment] = Field(default_factory=list)
    source: Text | None = None


class ProfitShare(Model):
    """The licensor's share of the pre-tax commercial profit of some territories (the rest goes to the licensee)."""

    territories: list[Name] = Field(min_length=1)
    licensor_share: float = Field(ge=0.0, le=1.0)
    booked_by: Literal["licensor", "licensee"] = "licensee"


class CostShare(Model):
    """The licensor's share of the development costs of some phases (other phases: ``deal.licensor_cost_share``)."""

    phases: list[Name] = Field(min_length=1)
    licensor_share: float = Field(ge=0.0, le=1.0)


class Party(Model):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    discount_rate: float = Field(ge=0.0, le=1.0)
    iit_weight: float | None = Field(default=None, gt=0.0, le=1.0)  # own belief about the IIT's evidential weight
    registrational_weight: float | None = Field(default=None, gt=0.0, le=1.0)
    # the party's own view of the asset: term-sheet paths to values (termsheet.parties, docs/method.md 3.1)
    assumptions: dict[str, Any] | None = None


class Observed(Model):
    """Announced facts, kept apart from the model's inputs (used by calibration)."""

    upfront: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    headline_value: float | None = Field(default=None, ge=0.0, le=MAX_MONEY)
    source: Text | None = None


class Equity(Model):
    """An equity investment by the licensee: ``amount`` (millions) paid at closing for shares priced ``premium``
    (fraction) over the market; the premium part amount x premium / (1 + premium) is consideration, the rest an
    investment at fair value (worth what is paid)."""

    amount: float = Field(ge=0.0, le=MAX_MONEY)
    premium: float = Field(ge=0.0, le=10.0)
    source: Text | None = None


class Option(Model):
    """An option on the licence: ``fee`` (millions) paid at closing for the right; when the ``exercise`` event
    happens the licensee may pay ``exercise_fee`` (millions) and take the licence (its milestones, royalties and
    shares), which it does only if that is worth more to it than the fee (docs/method.md 3.7)."""

    fee: float = Field(ge=0.0, le=MAX_MONEY)
    exercise_fee: float = Field(ge=0.0, le=MAX_MONEY)
    exercise: Trigger
    source: Text | None = None


class Deal(Model):
    kind: Literal["acquisition", "licence", "co-development"]
    date: Date
    closing: Date | None = None  # when the upfront is paid (default: the deal date)
    licensor: Party
    licensee: Party
    upfront: float = Field(ge=0.0, le=MAX_MONEY)
    # an acquisition of shares takes over the target's net cash (negative: net debt), millions at closing
    structure: Literal["shares", "asset"] | None = None  # default: shares for an acquisition, else asset
    net_cash: float = Field(default=0.0, ge=-MAX_MONEY, le=MAX_MONEY)
    tranches: list[Tranche] = Field(default_factory=list)
    equity_premium: float = Field(default=0.0, ge=0.0, le=MAX_MONEY)
    equity: Equity | None = None
    option: Option | None = None  # an option on the licence (fee now, exercise fee at an event)
    # how each side is taxed on the payments (deal.tax, docs/method.md 3.5): untaxed transfers (default), taxed and
    # deducted when paid, or amortised by the licensee over amortisation_years (IRC section 197: 15 years)
    payment_tax: Literal["pre-tax", "deductible", "amortised"] = "pre-tax"
    amortisation_years: int = Field(default=15, ge=1, le=50)
    licensor_cost_share: float = Field(default=0.0, ge=0.0, le=1.0)  # share of development costs from the deal on
    platform: bool = False  # the buyer also acquires a technology platform beyond this asset (pricing feature)
    # pricing features of the comparables regression (docs/method.md 4.4): where the asset comes from and whether
    # the rights are worldwide or regional (e.g. ex-China, or China only)
    china_origin: bool = False
    territory: Literal["worldwide", "regional"] = "worldwide"
    milestones: list[Milestone] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    royalties: list[Royalty] = Field(default_factory=list)
    profit_shares: list[ProfitShare] = Field(default_factory=list)
    cost_shares: list[CostShare] = Field(default_factory=list)
    supply: list[Supply] = Field(default_factory=list)  # [[deal.supply]]: the licensor sells product at a price
    sublicence: list[Sublicence] = Field(default_factory=list)  # [[deal.sublicence]]: a share of sublicence income
    observed: Observed | None = None
