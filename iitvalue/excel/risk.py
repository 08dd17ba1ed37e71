"""The Risk sheet: the tornado and the Monte Carlo histogram of the asset's realised NPV, as values computed by
Python and labelled so, each with a native chart (docs/excel.md, "Risk"). Numbers only, never formulas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from .cells import Book

RISK = "Risk"
LABELS = {"pos.orr": "Asset class from the readouts (posterior): inactive vs active"}


@dataclass
class RiskAnalysis:
    """What the Risk sheet shows, all computed by Python (money in millions, PV at the valuation date).

    ``tornado``: :func:`iitvalue.montecarlo.tornado` rows (ranked); ``base_rnpv``: the asset rNPV of
    ``iitvalue value``; ``summary``: :meth:`Simulation.summary` (``mc.*`` keys) of ``paths`` paths with ``seed``;
    ``edges`` / ``counts``: the histogram of the realised asset NPV (``numpy.histogram``: ``len(counts)``
    equal-width bins over [min, max], each [from, to) except the last, [from, to]; counts sum to ``paths``);
    ``football``: the football field of the upfront (:func:`football_field`)."""

    tornado: list[dict[str, Any]]
    base_rnpv: float
    summary: dict[str, Any]
    edges: list[float]
    counts: list[int]
    paths: int
    seed: int
    version: str
    notes: list[str]
    football: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The label of every value on the Risk sheet."""
        return f"computed by Python (iitvalue {self.version}), not live formulas"


def check_exportable(result, risk: bool = False) -> None:
    """Raise InputError for what the workbook cannot show as live formulas: with several indications, a payment
    tax other than pre-tax, an option, a supply price, a sublicence share and the combinations :func:`iitvalue.excel.joint_book.joint_problems` names
    (``risk``: a Risk sheet is asked for)."""
    d = result.sheet.deal
    several = len(result.sheet.indications) > 1
    if d is not None and d.payment_tax != "pre-tax" and several:
        raise InputError(Problem("deal.payment_tax", f"'{d.payment_tax}' with several indications is not in this "
                                 "workbook yet (pre-tax is): value the sheet with value / simulate, which apply it "
                                 "(docs/method.md 3.5)"))
    for what in ("option", "supply", "sublicence"):
        if d is not None and getattr(d, what) and several:
            raise InputError(Problem(f"deal.{what}", f"deal.{what} with several indications is not in this "
                                     "workbook yet: value the sheet with value / simulate, which include it "
                                     "(docs/method.md 3.3, 3.7)"))
    if len(result.sheet.indications) > 1:
        from .joint_book import joint_problems

        problems = joint_problems(result, risk)
        if problems:
            raise InputError(problems)


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
    check_exportable(result, risk=bool(result.sheet.uncertainty))
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
    summary = sim.summary()
    return RiskAnalysis(rows, float(result.asset.summary["rnpv"]), summary, [float(e) for e in edges],
                        [int(c) for c in counts], int(paths), int(seed), __version__, list(sim.notes),
                        football_field(result, rows, summary))


def football_field(result, rows: list[dict[str, Any]], summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The upfront the licensee would pay by each pricing method (low, high, base; millions): each method of
    ``iitvalue price`` and their combination (docs/method.md 4.6), and the break-even upfront (licensee
    NPV = 0) across the tornado's swings, the Monte Carlo P10-P90 of the licensee's NPV and the ``[[scenarios]]``;
    the observed upfront when the term sheet gives it. Empty without a deal, or when the upfront was paid before
    the valuation date (no break-even upfront).

    Parameters
    ----------
    result : Result
        The valuation.
    rows : list of dict
        The tornado (:func:`iitvalue.analysis.sensitivity.tornado`).
    summary : dict
        The Monte Carlo summary (``mc.licensee.p10`` ...).

    Returns
    -------
    list of dict
        One row per method: ``method``, ``low``, ``high``, ``base`` and ``basis``.
    """
    from ..analysis import calibrate as C
    from ..analysis import pricing
    from ..deal.payments import upfront_time
    from ..errors import InputError, NumericalError
    from ..termsheet import load
    from ..valuation import value

    sheet = result.sheet
    d = sheet.deal
    be0 = None if result.deal is None else result.deal.summary.get("breakeven_upfront")
    if d is None or be0 is None:
        return []
    growth = (1.0 + d.licensee.discount_rate) ** upfront_time(d, result.asset.plan)  # be = upfront + NPV x growth

    def be(enpv: float) -> float:
        return d.upfront + enpv * growth

    method = "Calibrated bargaining model (iitvalue price)"
    try:
        comps = None if (d.milestones or d.pools or d.royalties) else [load(p) for p in C.shipped_comparables()]
        p = pricing.price(sheet, C.load_calibration(None), comps)
        out = [{"method": f"Pricing method {m['label']}", "low": m["low"], "high": m["high"], "base": m["upfront"],
                "basis": m["basis"]} for m in p["methods"]]
        out.append({"method": "Fair upfront, the methods combined (iitvalue price)", "low": p["low"],
                    "high": p["high"], "base": p["upfront"], "basis": "inverse-variance weights in logs; 80% "
                                                                      "prediction interval (docs/method.md 4.6)"})
    except (InputError, NumericalError) as exc:
        out = [{"method": method, "low": None, "high": None, "base": None, "basis": f"not available: {exc}"}]
    swings = [be(r[f"deal.licensee_npv_{k}"]) for r in rows for k in ("low", "high")
              if r["path"] != "deal.licensee.discount_rate"]
    if swings:
        out.append({"method": "Break-even upfront over the tornado's swings", "low": min(swings), "high": max(swings),
                    "base": be0, "basis": "one [[uncertainty]] input at its low or high, all else at base"})
    if "mc.licensee.p10" in summary:
        out.append({"method": "Break-even upfront, Monte Carlo P10-P90 of the licensee NPV",
                    "low": be(summary["mc.licensee.p10"]), "high": be(summary["mc.licensee.p90"]), "base": be0,
                    "basis": "the licensee's realised NPV over the paths"})
    if sheet.scenarios:
        values = [be0] + [value(sheet.replace(dict(sc.set))).deal.summary.get("breakeven_upfront")
                          for sc in sheet.scenarios]
        values = [v for v in values if v is not None]
        out.append({"method": "Break-even upfront across the scenarios", "low": min(values), "high": max(values),
                    "base": be0, "basis": "base and each [[scenarios]] entry, revalued"})
    if d.observed is not None and d.observed.upfront is not None:
        out.append({"method": "Observed upfront", "low": d.observed.upfront, "high": d.observed.upfront,
                    "base": d.observed.upfront, "basis": d.observed.source or "deal.observed.upfront"})
    return out


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
    heads = ["input", "term-sheet key", "rank", "low value", "high value", "base value", "rNPV at low",
             "rNPV at high", "swing |high - low|", "basis of low / high"]
    if deal:
        heads += ["licensor NPV at low", "licensor NPV at high", "licensee NPV at low", "licensee NPV at high"]
    for c, h in enumerate(heads):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    first = row
    labels = {**{r.path: r.label for r in b.input_map if r.path}, **LABELS}
    for r in rk.tornado:
        b.put_text(sh, row, 0, labels.get(r["path"], r["path"]))
        b.put_text(sh, row, 1, r["path"], b.f["note"])
        b.put_value(sh, row, 2, r["rank"], "int", "python")
        for c, key in ((3, "low"), (4, "high"), (5, "base")):
            v = r[key]
            if isinstance(v, str) or v is None:  # the posterior entry swings the class, not a number
                b.put_text(sh, row, c, "" if v is None else f"{v} class", b.fmt("num", "python"))
            else:
                b.put_value(sh, row, c, v, "0.0000", "python")
        b.put_value(sh, row, 6, r["asset.rnpv_low"], "money", "python")
        b.put_value(sh, row, 7, r["asset.rnpv_high"], "money", "python")
        b.put_value(sh, row, 8, r["swing"], "money", "python")
        b.put_text(sh, row, 9, r["basis"], b.f["note"])
        if deal:
            for c, key in enumerate(("deal.licensor_npv_low", "deal.licensor_npv_high", "deal.licensee_npv_low",
                                     "deal.licensee_npv_high"), start=10):
                b.put_value(sh, row, c, r[key], "money", "python")
        row += 1
    last = row - 1
    ch = b.wb.add_chart({"type": "bar"})
    for name, col, color in (("input at low", 6, "#C00000"), ("input at high", 7, "#548235")):
        ch.add_series({"name": name, "categories": [sh, first, 0, last, 0], "values": [sh, first, col, last, col],
                       "fill": {"color": color}, "gap": 40, "overlap": 100})
    ch.set_title({"name": f"Tornado: asset rNPV around the base ({rk.base_rnpv:,.1f})"})
    # bars start at the base rNPV: the category axis crosses the value axis there; largest swing on top
    ch.set_x_axis({"name": f"asset rNPV, millions of {cur}", "crossing": rk.base_rnpv, "num_format": "#,##0"})
    ch.set_y_axis({"reverse": True, "label_position": "low"})
    ch.set_legend({"position": "bottom"})
    ch.set_size({"width": 760, "height": 120 + 28 * len(rk.tornado)})
    b.row[sh] = row
    ws.insert_chart(first - 3, 15 if deal else 11, ch)
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
    if rk.football:
        _write_football(b, sheet, rk, b.row[sh] + 22)


def _write_football(b: Book, sheet, rk: RiskAnalysis, row: int) -> None:
    """The football field of the upfront: a table (method, low, high, base, basis) and a chart of a bar from each
    method's low to its high, the base marked."""
    sh, cur = RISK, sheet.valuation.currency
    b.row[sh] = row
    b.section(sh, f"Football field: the upfront by pricing method (millions of {cur}) - {rk.label}", 7)
    row = b.row[sh]
    for c, h in enumerate(("method", "low", "high", "base", "range (high - low)", "basis")):
        b.put_text(sh, row, c, h, b.f["head"])
    first = row = row + 1
    for f in rk.football:
        b.put_text(sh, row, 0, f["method"])
        for c, key in ((1, "low"), (2, "high"), (3, "base")):
            if f[key] is None:
                b.put_text(sh, row, c, "n/a", b.fmt("num", "python"))
            else:
                b.put_value(sh, row, c, f[key], "money", "python")
        if f["low"] is not None:
            b.put_value(sh, row, 4, f["high"] - f["low"], "money", "python")
        b.put_text(sh, row, 5, f["basis"], b.f["note"])
        row += 1
    last = row - 1
    b.row[sh] = row
    ch = b.wb.add_chart({"type": "line"})  # the bars run from each method's low to its high (up-down bars)
    for name, c, marker in (("low", 1, None), ("high", 2, None), ("base", 3, {"type": "diamond", "size": 8})):
        ch.add_series({"name": name, "categories": [sh, first, 0, last, 0], "values": [sh, first, c, last, c],
                       "line": {"none": True}, "marker": marker or {"type": "none"}})
    ch.set_up_down_bars({"up": {"fill": {"color": "#2F5597"}}, "down": {"fill": {"color": "#2F5597"}}})
    ch.set_title({"name": f"Football field: upfront by method, low to high (diamond: base), millions of {cur}"})
    ch.set_y_axis({"num_format": "#,##0", "name": f"upfront, millions of {cur}"})
    ch.set_x_axis({"num_font": {"rotation": -20}})
    ch.set_legend({"none": True})
    ch.set_size({"width": 760, "height": 420})
    b.ws[sh].insert_chart(first - 1, 7, ch)
