"""The deal's payment schedule: milestones as given, pools spread over their triggers, and when the deal is
signed and the upfront paid (years from the valuation date)."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from ..termsheet.schema import Deal, Trigger
from ..termsheet.triggers import kind_of
from ..units import year_fraction


@dataclass(frozen=True)
class Payment:
    """One contingent payment after pools are spread (millions, nominal)."""

    name: str
    category: str
    amount: float
    trigger: Trigger
    cvr: bool = False
    source: str | None = None
    expires: _dt.date | None = None  # paid only if the trigger happens on or before this date


def expand_payments(deal: Deal) -> list[Payment]:
    """Milestones as given, each pool spread over its triggers by its shares (equal when not given), the
    licensor's share of a sublicensee's lump sums (category ``sublicence``), then the tranches (category
    ``tranche``: a payment on a fixed date, non-contingent)."""
    out = [Payment(m.name, m.category, m.amount, m.trigger, m.cvr, m.source, m.expires) for m in deal.milestones]
    for pool in deal.pools:
        k = len(pool.triggers)
        shares = pool.shares or [1.0 / k] * k
        for trig, share in zip(pool.triggers, shares):
            out.append(Payment(f"{pool.name}: {describe(trig)}", pool.category, pool.amount * share, trig, pool.cvr,
                               pool.source, pool.expires))
    for sub in deal.sublicence:  # the licensor's share of each lump sum the sublicensee pays the licensee
        for sp in sub.payments:
            out.append(Payment(f"Sublicence: {sp.name} ({sub.licensor_share:.0%} of {sp.amount:g})", "sublicence",
                               sub.licensor_share * sp.amount, sp.trigger, False, sub.source))
    for i, tr in enumerate(deal.tranches):
        out.append(Payment(f"Tranche {i + 1} ({tr.date})", "tranche", tr.amount, Trigger(type="date", date=tr.date),
                           False, tr.source))
    return out


def equity_premium_value(equity) -> float:
    """The consideration in an equity investment at a premium: amount x premium / (1 + premium), millions (the
    shares bought are worth amount / (1 + premium), their market price).

    Examples
    --------
    >>> from iitvalue.termsheet.schema import Equity
    >>> round(equity_premium_value(Equity(amount=150.0, premium=0.25)), 6)   # 150 buys shares worth 120
    30.0
    """
    return equity.amount * equity.premium / (1.0 + equity.premium)


def expiry_time(p: Payment, plan) -> float:
    """Years from the valuation date to the payment's ``expires`` date (inf when it does not expire)."""
    return math.inf if p.expires is None else year_fraction(plan.valuation_date, p.expires)


def describe(t: Trigger) -> str:
    """A trigger in words, e.g. ``approval in US``."""
    return kind_of(t).describe(t)


def signing_time(deal: Deal, plan) -> float:
    """Years from the valuation date to the deal's signing."""
    return year_fraction(plan.valuation_date, deal.date)


def exercise_event(deal: Deal, plan, ln) -> tuple[np.ndarray, np.ndarray]:
    """The option's exercise event: its time (S,) in years from the valuation date (inf where it never happens
    within the horizon or before signing) and in which outcomes it happens, (S, J + 1) bool."""
    kind = kind_of(deal.option.exercise)
    t, _ = kind.event(deal.option.exercise, plan, ln)
    t = np.asarray(t, dtype=float)
    ok = payable(t, plan, signing_time(deal, plan))
    return np.where(ok, t, np.inf), kind.happens(deal.option.exercise, plan, ln) & ok[:, None]


def licence_time(deal: Deal, plan, ln) -> np.ndarray:
    """When the licence starts, (S,) years from the valuation date: the signing, or with an option its exercise
    event (inf where that never happens). Milestones are payable and the licensee bears R&D from then on."""
    signing = signing_time(deal, plan)
    if deal.option is None:
        return np.full(1, signing)
    t, _ = exercise_event(deal, plan, ln)
    return np.maximum(t, signing)


def upfront_time(deal: Deal, plan) -> float:
    """Years from the valuation date to the upfront payment (closing if given, else the deal date)."""
    return year_fraction(plan.valuation_date, deal.closing or deal.date)


def payable(t: np.ndarray, plan, signing: float, expires: float = math.inf) -> np.ndarray:
    """A payment due at time ``t`` is paid only within [signing, min(horizon, expires)] (1e-9 years of
    tolerance): one due before the deal is signed, after the horizon or after its expiry date pays nothing.
    ``t`` nan (never due) is not payable. ``expires`` in years from the valuation date (:func:`expiry_time`)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(invalid="ignore"):
        return (t <= min(plan.horizon, expires) + 1e-9) & (t >= signing - 1e-9)


def trigger_time_probability(trig: Trigger, plan, ln, signing: float | None = None,
                             expires: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """Time (years, success path) and probability that a payment's trigger is met and payable, per scenario
    (the trigger's :meth:`~iitvalue.termsheet.triggers.TriggerType.event`, zero outside [signing,
    min(horizon, expires)])."""
    t, p = kind_of(trig).event(trig, plan, ln)
    ok = payable(t, plan, -np.inf if signing is None else signing, expires)
    return t, np.where(ok, p, 0.0)
