"""Values of every development outcome for each simulated path (the general engine): the asset at the sheet's
rate and, with a deal, each party from the deal kernel (:mod:`iitvalue.deal.kernel`) — the same per-outcome
values whose expectation ``value`` reports, so a path's party NPVs and the deterministic NPVs cannot drift."""

from __future__ import annotations

import numpy as np

from ..deal.kernel import deal_outcomes_at
from ..deal.payments import expand_payments
from ..model.engine import ModelArrays, evaluate
from ..model.outcomes import asset_outcome_values
from .setup import Setup


def needs_territories(deal) -> bool:
    """Whether a deal's values need sales or profit by territory (royalties, profit shares, a territory's sales
    trigger), rather than only the totals."""
    if deal is None:
        return False
    return bool(deal.royalties or deal.profit_shares or deal.supply or deal.sublicence or any(
        p.trigger.type == "sales" and p.trigger.territory is not None for p in expand_payments(deal)))


def outcome_values(setup: Setup, arr: ModelArrays, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Realised NPV of every outcome for each row of ``arr``: keys ``asset`` and, with a deal, ``licensor``,
    ``licensee``, ``receipts`` (PV at the licensor's rate) and ``receipts_nominal``; each (S, J + 1)."""
    arr.probabilities[:] = probs
    deal = setup.sheet.deal
    ln = evaluate(arr, lean=True, by_territory=needs_territories(deal), cogs=deal is not None and bool(deal.supply))
    df = ln.discount_factor[0] if ln.discount_factor.strides[0] == 0 else ln.discount_factor  # shared: one row
    out = {"asset": asset_outcome_values(ln, df)}
    if deal is None:
        return out
    lic, lee = deal_outcomes_at(deal, setup.plan, ln, (deal.licensor.discount_rate, deal.licensee.discount_rate),
                                roles=("licensor", "licensee"),
                                assets=(False, True))  # the asset at the licensor's rate is not reported
    out["licensor"] = lic.licensor
    out["receipts"] = lic.receipts
    out["receipts_nominal"] = lic.receipts_nominal
    out["licensee"] = lee.licensee
    return out
