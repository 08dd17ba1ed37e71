"""The Risk sheet: the tornado and the Monte Carlo histogram of the asset's realised NPV, as values computed by
Python and labelled so, each with a native chart (docs/excel.md, "Risk"). Numbers only, never formulas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import Book

RISK = "Risk"


@dataclass
class RiskAnalysis:
    """What the Risk sheet shows, all computed by Python (money in millions, PV at the valuation date).

    ``tornado``: :func:`iitvalue.montecarlo.tornado` rows (ranked); ``base_rnpv``: the asset rNPV of
    ``iitvalue value``; ``summary``: :meth:`Simulation.summary` (``mc.*`` keys) of ``paths`` paths with ``seed``;
    ``edges`` / ``counts``: the histogram of the realised asset NPV (``numpy.histogram``: ``len(counts)``
    equal-width bins over [min, max], each [from, to) except the last, [from, to]; counts sum to ``paths``)."""

    tornado: list[dict[str, Any]]
    base_rnpv: float
    summary: dict[str, Any]
    edges: list[float]
    counts: list[int]
    paths: int
    seed: int
    version: str
    notes: list[str]

    @property
    def label(self) -> str:
        """The label of every value on the Risk sheet."""
        return f"computed by Python (iitvalue {self.version}), not live formulas"


def risk_analysis(result, paths: int = 20_000, seed: int = 1, bins: int = 40) -> RiskAnalysis | None:
    """The tornado and the Monte Carlo histogram of ``result.sheet`` for the Risk sheet.

    Seeded: the same sheet, ``paths`` and ``seed`` give the same numbers (docs/montecarlo.md section 4).

    Parameters
    ----------
    result : Result
        The valuation (:func:`iitvalue.value`).
    paths : int
        Monte Carlo paths.
    seed : int
        Seed of the random draws.
    bins : int
        Number of equal-width bins of the histogram (>= 1).

    Returns
    -------
    RiskAnalysis or None
        None when the term sheet has no ``[[uncertainty]]`` entries.
    """
    from .. import __version__
    from ..analysis.sensitivity import tornado
    from ..montecarlo import simulate

    sheet = result.sheet
    if not sheet.uncertainty:
        return None
    if bins < 1:
        raise ValueError("bins must be >= 1")
    rows = tornado(sheet)
    sim = simulate(sheet, n_paths=paths, seed=seed)
    counts, edges = np.histogram(sim.asset, bins=bins)
    return RiskAnalysis(rows, float(result.asset.summary["rnpv"]), sim.summary(), [float(e) for e in edges],
                        [int(c) for c in counts], int(paths), int(seed), __version__, list(sim.notes))


def write_risk(book: Book, sheet, rk: RiskAnalysis) -> None:
    """Write the Risk sheet: the tornado (table and bar chart crossing at the base rNPV), the Monte Carlo
    statistics and the histogram (table and column chart). Values computed by Python, not formulas.

    Parameters
    ----------
    book : Book
        The cell registry.
    sheet : TermSheet
        The term sheet (name, currency, whether it has a deal).
    rk : RiskAnalysis
        The tornado and the simulation (:func:`risk_analysis`).
    """
    b, sh = book, RISK
    ws = b.ws[sh]
    cur = sheet.valuation.currency
    tag = rk.label
    b.put_text(sh, 0, 0, f"Risk - {sheet.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, f"Every number on this sheet is {tag}: it does not change when the Inputs are edited; "
                         f"export again to refresh it. Money in millions of {cur}.", b.f["note"])
    b.row[sh] = 3
    deal = sheet.deal is not None
    # ---- tornado
    b.section(sh, f"Tornado: asset rNPV with one [[uncertainty]] input at its low, then its high, all else "
                     f"at base - {tag}", 13 if deal else 9)
    row = b.row[sh]
    b.put_text(sh, row, 0, "Base asset rNPV (iitvalue value)")
    b.put_value(sh, row, 1, rk.base_rnpv, "money", "python")
    row += 2
    heads = ["input (term-sheet key)", "rank", "low value", "high value", "base value", "rNPV at low",
             "rNPV at high", "swing |high - low|", "basis of low / high"]
    if deal:
        heads += ["licensor NPV at low", "licensor NPV at high", "licensee NPV at low", "licensee NPV at high"]
    for c, h in enumerate(heads):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    first = row
    for r in rk.tornado:
        b.put_text(sh, row, 0, r["path"])
        b.put_value(sh, row, 1, r["rank"], "int", "python")
        for c, key in ((2, "low"), (3, "high"), (4, "base")):
            v = r[key]
            if isinstance(v, str) or v is None:  # the posterior entry swings the class, not a number
                b.put_text(sh, row, c, "" if v is None else f"{v} class", b.fmt("num", "python"))
            else:
                b.put_value(sh, row, c, v, "0.0000", "python")
        b.put_value(sh, row, 5, r["asset.rnpv_low"], "money", "python")
        b.put_value(sh, row, 6, r["asset.rnpv_high"], "money", "python")
        b.put_value(sh, row, 7, r["swing"], "money", "python")
        b.put_text(sh, row, 8, r["basis"], b.f["note"])
        if deal:
            for c, key in enumerate(("deal.licensor_npv_low", "deal.licensor_npv_high", "deal.licensee_npv_low",
                                     "deal.licensee_npv_high"), start=9):
                b.put_value(sh, row, c, r[key], "money", "python")
        row += 1
    last = row - 1
    ch = b.wb.add_chart({"type": "bar"})
    for name, col, color in (("input at low", 5, "#C00000"), ("input at high", 6, "#548235")):
        ch.add_series({"name": name, "categories": [sh, first, 0, last, 0], "values": [sh, first, col, last, col],
                       "fill": {"color": color}, "gap": 40, "overlap": 100})
    ch.set_title({"name": f"Tornado: asset rNPV around the base ({rk.base_rnpv:,.1f})"})
    # bars start at the base rNPV: the category axis crosses the value axis there; largest swing on top
    ch.set_x_axis({"name": f"asset rNPV, millions of {cur}", "crossing": rk.base_rnpv, "num_format": "#,##0"})
    ch.set_y_axis({"reverse": True, "label_position": "low"})
    ch.set_legend({"position": "bottom"})
    ch.set_size({"width": 760, "height": 120 + 28 * len(rk.tornado)})
    b.row[sh] = row
    ws.insert_chart(first - 3, 14 if deal else 10, ch)
    # ---- Monte Carlo histogram
    row = max(row + 1, first - 3 + int((120 + 28 * len(rk.tornado)) / 20) + 2)
    b.row[sh] = row
    b.section(sh, f"Monte Carlo: realised NPV of the asset over {rk.paths:,} paths (seed {rk.seed}) - {tag}", 7)
    row = b.row[sh]
    s = rk.summary
    stats_rows = [("Paths", rk.paths, "int"), ("Seed", rk.seed, "int"),
                  ("Engine (docs/montecarlo.md section 5)", s["mc.engine"], "num"),
                  ("Mean realised NPV", s["mc.mean"], "money"), ("Standard error of the mean", s["mc.std_error"],
                                                                  "money"),
                  ("P10", s["mc.p10"], "money"), ("P50 (median)", s["mc.p50"], "money"), ("P90", s["mc.p90"], "money"),
                  ("P(NPV < 0)", s["mc.prob_negative"], "pct"), ("Share of paths approved", s["mc.prob_approval"], "pct"),
                  ("Deterministic rNPV of the simulated model", s["mc.deterministic_rnpv"], "money")]
    if "mc.mean_conditional" in s:
        stats_rows.append(("Mean of E[NPV | drawn inputs] over the paths", s["mc.mean_conditional"], "money"))
    for label, v, kind in stats_rows:
        b.put_text(sh, row, 0, label)
        if isinstance(v, str):
            b.put_text(sh, row, 1, v, b.fmt("num", "python"))
        else:
            b.put_value(sh, row, 1, v, kind, "python")
        row += 1
    for note in rk.notes:
        b.put_text(sh, row, 0, note, b.f["note"])
        row += 1
    row += 1
    b.put_text(sh, row, 0, f"{len(rk.counts)} equal-width bins from the smallest to the largest realised NPV "
                           "(each bin holds from <= x < to; the last also holds its upper end).", b.f["note"])
    row += 1
    for c, h in enumerate(("bin", "from", "to", "midpoint", "paths", "share of paths")):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    first = row
    for k, cnt in enumerate(rk.counts):
        lo, hi = rk.edges[k], rk.edges[k + 1]
        b.put_value(sh, row, 0, k + 1, "int", "python")
        b.put_value(sh, row, 1, lo, "money", "python")
        b.put_value(sh, row, 2, hi, "money", "python")
        b.put_value(sh, row, 3, 0.5 * (lo + hi), "#,##0", "python")
        b.put_value(sh, row, 4, int(cnt), "int", "python")
        b.put_value(sh, row, 5, int(cnt) / rk.paths, "pct", "python")
        row += 1
    last = row - 1
    b.put_text(sh, row, 0, "Total", b.f["sub"])
    b.put_value(sh, row, 4, int(sum(rk.counts)), "int", "python")
    b.put_value(sh, row, 5, 1.0, "pct", "python")
    b.row[sh] = row + 1
    ch2 = b.wb.add_chart({"type": "column"})
    ch2.add_series({"name": "paths", "categories": [sh, first, 3, last, 3], "values": [sh, first, 4, last, 4],
                    "fill": {"color": "#2F5597"}, "gap": 10})
    ch2.set_title({"name": f"Realised NPV, {rk.paths:,} paths: mean {s['mc.mean']:,.1f}, "
                           f"P(NPV < 0) = {s['mc.prob_negative']:.1%}"})
    ch2.set_x_axis({"name": f"realised NPV, millions of {cur} (bin midpoint)", "num_format": "#,##0",
                    "num_font": {"rotation": -45}})
    ch2.set_y_axis({"name": "paths", "num_format": "#,##0"})
    ch2.set_legend({"none": True})
    ch2.set_size({"width": 760, "height": 380})
    ws.insert_chart(first - 1, 7, ch2)
