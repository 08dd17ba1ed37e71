"""Values of every development outcome for each simulated path (the general engine): the asset at the sheet's
rate and, with a deal, each party from the deal kernel (:mod:`iitvalue.deal.kernel`) — the same per-outcome
values whose expectation ``value`` reports, so a path's party NPVs and the deterministic NPVs cannot drift."""

from __future__ import annotations

import numpy as np

from ..deal.kernel import deal_outcomes
from ..model.engine import ModelArrays, evaluate
from ..model.outcomes import asset_outcome_values
from .setup import Setup


def outcome_values(setup: Setup, arr: ModelArrays, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Realised NPV of every outcome for each row of ``arr``: keys ``asset`` and, with a deal, ``licensor``,
    ``licensee``, ``receipts`` (PV at the licensor's rate) and ``receipts_nominal``; each (S, J + 1)."""
    arr.probabilities[:] = probs
    ln = evaluate(arr, lean=True)
    out = {"asset": asset_outcome_values(ln, ln.discount_factor)}
    deal = setup.sheet.deal
    if deal is None:
        return out
    lic = deal_outcomes(deal, setup.plan, ln, deal.licensor.discount_rate)
    lee = deal_outcomes(deal, setup.plan, ln, deal.licensee.discount_rate)
    out["licensor"] = lic.licensor
    out["receipts"] = lic.receipts
    out["receipts_nominal"] = lic.receipts_nominal
    out["licensee"] = lee.licensee
    return out
