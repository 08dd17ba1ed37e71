"""Pricing method (c): the market benchmark of the upfront's share of headline value by stage (docs/method.md
4.5), computed from the dated comparables.

For the deals of one family (acquisitions; licences, options and co-developments) and one stage group
(preclinical and platform; IIT and phase 1; phase 2; phase 3 and later) with a disclosed headline value, the
benchmark share s is the median of upfront / headline (a group of fewer than :data:`MIN_GROUP` deals falls back
to the family's median). A deal whose contingent consideration C (headline - upfront) is known is then priced at

    upfront = s / (1 - s) x C,

so that upfront / (upfront + C) = s. s is capped at :data:`MAX_SHARE` (an all-cash deal, C = 0, is not priced
by this method). Published averages for 2024-25 licences agree in size: upfronts of about 7 % (preclinical), 9 %
(phase 1) and 10 % (phase 2) of headline value (Satya Bio, 389 licences [C-sec]); docs/method.md 4.5 compares them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_GROUP = 3
MAX_SHARE = 0.95
STAGE_GROUPS = {"preclinical": "preclinical", "platform": "preclinical", "iit": "phase1", "phase1": "phase1",
                "phase2": "phase2", "phase3": "phase3+", "filed": "phase3+", "approved": "phase3+"}


def family(deal: dict[str, Any]) -> str:
    """``acquisition`` or ``licence`` (licences, options and co-developments)."""
    return "acquisition" if deal["type"] == "acquisition" else "licence"


def shares(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """The (deal, upfront share) pairs the benchmark is taken from: upfront and headline disclosed, headline > 0."""
    out = []
    for r in rows:
        up, head = r.get("upfront"), r.get("headline_total")
        if up is not None and head and head > 0 and up <= head:
            out.append((r, up / head))
    return out


def benchmark_group(rows: list[dict[str, Any]], deal: dict[str, Any]) -> tuple[list[float], str] | None:
    """The upfront shares of ``deal``'s benchmark group and its label (the family's when the group has fewer than
    :data:`MIN_GROUP` deals), or None."""
    fam, grp = family(deal), STAGE_GROUPS[deal["stage"]]
    pairs = [(r, s) for r, s in shares(rows) if family(r) == fam]
    cell = [s for r, s in pairs if STAGE_GROUPS[r["stage"]] == grp]
    if len(cell) >= MIN_GROUP:
        return cell, f"{fam}, {grp}"
    if len(pairs) >= MIN_GROUP:
        return [s for _, s in pairs], f"{fam}, all stages"
    return None


def benchmark_share(rows: list[dict[str, Any]], deal: dict[str, Any]) -> tuple[float, int, str] | None:
    """The benchmark share for ``deal`` from ``rows``: (s, number of deals, the group used), or None when even
    the family has fewer than :data:`MIN_GROUP` deals.

    Examples
    --------
    >>> rows = [{"type": "licence", "stage": "phase1", "upfront": u, "headline_total": 100.0} for u in (5, 10, 30)]
    >>> benchmark_share(rows, {"type": "option", "stage": "iit"})
    (0.1, 3, 'licence, phase1')
    """
    g = benchmark_group(rows, deal)
    return None if g is None else (float(np.median(g[0])), len(g[0]), g[1])


def benchmark_upfront(share: float, contingent: float) -> float | None:
    """upfront = s / (1 - s) x C (millions), s capped at :data:`MAX_SHARE`; None when C <= 0.

    Examples
    --------
    >>> round(benchmark_upfront(0.1, 900.0), 9)
    100.0
    """
    if contingent is None or contingent <= 0:
        return None
    s = min(share, MAX_SHARE)
    return s / (1.0 - s) * contingent


def contingent_of(deal: dict[str, Any]) -> float | None:
    """A dataset deal's contingent consideration C = headline - upfront (None when either is undisclosed)."""
    up, head = deal.get("upfront"), deal.get("headline_total")
    if up is None or not head:
        return None
    return head - up
