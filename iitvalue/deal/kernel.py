"""The deal kernel: what each component of a deal is worth in each development outcome, for one party's view
(its plan's timing and its discount rate). Formulas in docs/method.md, section 3.

Outcome o < J is "fails in phase o", o = J "approved" (:mod:`iitvalue.model.outcomes`). For a component paid
at time t in the outcomes where its trigger's event happens, with discount factor DF_r(t) = (1 + r)^-t (0 for
t < 0: paid before the valuation date, sunk):

* upfront:   V(o) = U DF_r(t_up) in every outcome;
* milestone: V(o) = A DF_r(t) 1[event happens in o] 1[signing <= t <= horizon];
* royalties: V(J) = sum_k roy_k DF_k, 0 otherwise;
* profit and cost share: V(J) = sum_k DF_k (commercial share_k - sum_j share_jk R&D_jk), V(o < J) =
  - sum_k DF_k sum_{j <= o} share_jk R&D_jk; the licensor's R&D before signing is its own component.

The licensor receives sum of components; the licensee holds the asset (its value per outcome at the licensee's
rate) minus what it pays. ``value`` takes each party's expectation with its own outcome probabilities, the
Monte Carlo reads the realised outcome of each path: one formula for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.outcomes import asset_outcome_values, fail_values
from ..termsheet.schema import Deal
from ..termsheet.triggers import kind_of
from .payments import describe, expand_payments, payable, signing_time, upfront_time
from .streams import licensor_commercial_lines, licensor_rd_shares, royalty_lines


def discount(rate: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """(1 + r)^-t, and 0 where t < 0 (a payment before the valuation date is sunk). nan t gives 0."""
    t = np.asarray(t, dtype=float)
    tt = np.where(np.isfinite(t) & (t >= 0), t, 0.0)
    return np.where(np.isfinite(t) & (t >= 0), (1.0 + np.asarray(rate, dtype=float)) ** (-tt), 0.0)


@dataclass
class Component:
    """One part of the deal as the licensor receives it, per outcome: ``pv`` (S, J + 1) at the party's rate,
    ``nominal`` (S, J + 1) undiscounted, ``paid`` (S, J + 1) whether anything flows in that outcome, ``time``
    (S,) the payment time (nan for streams)."""

    name: str
    category: str
    trigger: str
    amount: float
    pv: np.ndarray
    nominal: np.ndarray
    paid: np.ndarray
    time: np.ndarray
    cvr: bool = False
    stream: bool = False


@dataclass
class DealOutcomes:
    """Every component's value per outcome for one party's view, and the asset's value per outcome at the
    party's rate. Arrays (S, J + 1)."""

    rate: float
    asset: np.ndarray
    components: list[Component] = field(default_factory=list)

    @property
    def licensor(self) -> np.ndarray:
        """What the licensor gets in each outcome: the sum of the components."""
        return sum((c.pv for c in self.components), np.zeros_like(self.asset))

    @property
    def licensee(self) -> np.ndarray:
        """What the licensee gets: the asset minus everything the licensor gets."""
        return self.asset - self.licensor

    @property
    def receipts(self) -> np.ndarray:
        """The licensor's receipts (payments and royalties, not its profit or cost share), PV."""
        return sum((c.pv for c in self.components if c.category not in ("profit_share", "rd_before_signing")),
                   np.zeros_like(self.asset))

    @property
    def receipts_nominal(self) -> np.ndarray:
        """The same, undiscounted (payments before the valuation date excluded)."""
        return sum((c.nominal for c in self.components if c.category not in ("profit_share", "rd_before_signing")),
                   np.zeros_like(self.asset))


def deal_outcomes(deal: Deal, plan, ln, rate: float, upfront: float | None = None) -> DealOutcomes:
    """Value every component of ``deal`` in every outcome at discount rate ``rate`` (see the module docstring).
    ``ln`` are the engine's lines of ``plan`` (any number of scenarios S); ``upfront`` overrides the sheet's."""
    S, J = ln.prob_start.shape
    df = (1.0 + rate) ** (-ln.t_cash)
    out = DealOutcomes(rate, asset_outcome_values(ln, df))
    ones = np.ones((S, J + 1))
    up = deal.upfront if upfront is None else upfront
    t_up = np.full(S, upfront_time(deal, plan))
    paid_up = ones * (t_up[:, None] >= 0)
    out.components.append(Component(
        "Upfront", "upfront", f"{'closing' if deal.closing else 'deal date'} {deal.closing or deal.date}", up,
        up * discount(rate, t_up)[:, None] * ones, up * paid_up, paid_up, t_up))
    signing = signing_time(deal, plan)
    for p in expand_payments(deal):
        kind = kind_of(p.trigger)
        t, _ = kind.event(p.trigger, plan, ln)
        paid = kind.happens(p.trigger, plan, ln) & payable(t, plan, signing)[:, None]
        out.components.append(Component(
            p.name, p.category, describe(p.trigger), p.amount, p.amount * discount(rate, t)[:, None] * paid,
            p.amount * (paid & (np.nan_to_num(t, nan=-1.0) >= 0)[:, None]), paid, t, cvr=p.cvr))
    success = np.arange(J + 1)[None, :] == J
    nan_t = np.full(S, np.nan)
    if deal.royalties:
        roy = royalty_lines(deal, plan, ln).sum(axis=1)
        pv = np.where(success, (roy * df).sum(-1)[:, None], 0.0)
        out.components.append(Component("Royalties", "royalties", "net sales", float(roy[0].sum()), pv,
                                        np.where(success, roy.sum(-1)[:, None], 0.0), success & (pv != 0), nan_t,
                                        stream=True))
    before, after = licensor_rd_shares(deal, plan, ln)
    rd_before = (ln.rd_by_phase * (before * df[None, :])[None]).sum(-1)  # (S, J) PV of each phase's pre-signing R&D
    if np.any(rd_before != 0):
        nominal = fail_values((ln.rd_by_phase * before[None]).sum(-1), -(ln.rd_by_phase * before[None]).sum((1, 2)))
        out.components.append(Component(
            "Licensor's R&D before signing", "rd_before_signing", f"development until {deal.date}",
            float(-(ln.rd_by_phase[0] * before).sum()), fail_values(rd_before, -rd_before.sum(1)), nominal,
            np.ones((S, J + 1), dtype=bool), nan_t, stream=True))
    if deal.profit_shares or deal.licensor_cost_share > 0 or deal.cost_shares:
        commercial = licensor_commercial_lines(deal, plan, ln)
        rd_after = (ln.rd_by_phase * (after * df[None, :])[None]).sum(-1)
        rd_after_nom = (ln.rd_by_phase * after[None]).sum(-1)
        pv = fail_values(rd_after, (commercial * df).sum(-1) - rd_after.sum(1))
        nominal = fail_values(rd_after_nom, commercial.sum(-1) - rd_after_nom.sum(1))
        out.components.append(Component(
            "Profit and cost share", "profit_share", "asset cash flows", float(nominal[0, J]), pv, nominal,
            np.ones((S, J + 1), dtype=bool), nan_t, stream=True))
    return out
