"""The Outputs sheet: the summary (each cell a link to Calculations, the headline ones under defined names), the
values only iitvalue computes (labelled), the payment table, the yearly table and the two native charts
(docs/excel.md, "Outputs")."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..deal.payments import describe
from ..units import add_years, annual_totals
from .asset import Model
from .cells import Book, Cell, Ref, a1
from .deal import DealCells

OUTPUTS = "Outputs"
OUTPUT_NAMES = ("asset_rnpv", "asset_npv_unrisked", "pos_prior_loa", "pos_posterior_loa", "deal_licensor_npv",
                "deal_licensee_npv")


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary: label, the Calculations cell it links to, number kind, defined name (or None)."""

    label: str
    cell: Cell
    kind: str
    name: str | None = None


def summary_rows(result, model: Model, deal: DealCells | None) -> list[SummaryRow]:
    """The rows of the Outputs summary, in order.

    Parameters
    ----------
    result : Result
        The valuation (party names).
    model : Model
        The asset's and the PoS results that the summary links to.
    deal : DealCells or None
        The NPVs, headline value and break-even upfront.

    Returns
    -------
    list of SummaryRow
    """
    asset, dev, pos = model.asset, model.dev, model.pos
    rows = [SummaryRow("Asset rNPV", asset.rnpv, "money", "asset_rnpv"),
            SummaryRow("Asset NPV, unrisked (every phase succeeds)", asset.npv, "money", "asset_npv_unrisked"),
            SummaryRow("LOA used (after the update)", dev.loa, "prob")]
    if pos is not None:
        rows += [SummaryRow("LOA, prior (benchmark or given probabilities)", pos.prior_loa, "prob", "pos_prior_loa"),
                 SummaryRow("LOA, posterior (after the readouts)", pos.posterior_loa, "prob", "pos_posterior_loa"),
                 SummaryRow("Bayes factor, ORR", pos.bf_orr, "factor"), SummaryRow("Bayes factor, CR", pos.bf_cr, "factor"),
                 SummaryRow("P(active), posterior", pos.posterior_class, "prob")]
    rows += [SummaryRow("PV of risk-weighted R&D", asset.pv_rd, "money"),
             SummaryRow("PV of risk-adjusted commercial cash flow", asset.pv_comm, "money"),
             SummaryRow("Approval date (success path)", asset.approval_date, "date"),
             SummaryRow("First launch date", asset.launch_date, "date"),
             SummaryRow("Peak annual sales (success path)", asset.peak, "money"),
             SummaryRow("Peak sales year", asset.peak_year, "year")]
    if deal is not None:
        d, npv = result.sheet.deal, deal.npvs
        rows += [SummaryRow(f"Licensor NPV ({d.licensor.name})", npv.licensor, "money", "deal_licensor_npv"),
                 SummaryRow(f"Licensee NPV ({d.licensee.name})", npv.licensee, "money", "deal_licensee_npv"),
                 SummaryRow("Licensor's share of the deal value", npv.licensor_share, "pct"),
                 SummaryRow("Headline value (upfront + all milestones)", deal.milestones.headline, "money"),
                 SummaryRow("Risk-adjusted value of the payments (licensee's view)", npv.risk_adjusted_value, "money")]
        if npv.breakeven_upfront is not None:
            rows.append(SummaryRow("Break-even upfront (licensee NPV = 0)", npv.breakeven_upfront, "money"))
    return rows


def write_outputs(book: Book, result, model: Model, rows: list[SummaryRow], deal: DealCells | None,
                  notes: list[str], risk: bool) -> None:
    """Write the Outputs sheet.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (its summary gives the values only iitvalue computes).
    model : Model
        The asset's cells (yearly table: model years, risk-adjusted cash flow and PV).
    rows : list of SummaryRow
        The summary (:func:`summary_rows`).
    deal : DealCells or None
        The deal's cells (payment table, value-split chart).
    notes : list of str
        Notes shown under the title (e.g. party-specific beliefs).
    risk : bool
        Whether the workbook has a Risk sheet (the note points to it).
    """
    b, s = book, result.sheet
    sh = OUTPUTS
    b.put_text(sh, 0, 0, f"Outputs - {s.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, f"Money in millions of {s.valuation.currency}. Grey italic values are computed by "
                         "iitvalue (not live formulas)." + (" Tornado and Monte Carlo histogram: see the Risk "
                                                            "sheet (computed by Python)." if risk else ""),
               b.f["note"])
    b.row[sh] = 3
    if notes:
        b.put_text(sh, 2, 0, " ".join(notes), b.f["note"])
    b.section(sh, "Summary", 4)
    row = b.row[sh]
    npv_row = None
    for r in rows:
        b.put_text(sh, row, 0, r.label)
        b.put_link(sh, row, 1, r.cell, r.kind, "out")
        if r.name:
            b.define(r.name, Ref(sh, row, 1))
            b.put_text(sh, row, 2, r.name, b.f["note"])
        if deal is not None and r.cell is deal.npvs.licensor:
            npv_row = row
        row += 1
    summ = result.summary
    py = []
    if result.pos is not None:
        py += [("Value of the readout (posterior - prior rNPV)", "pos.readout_value", "money"),
               ("Pivotal assurance", "pos.assurance", "pct"), ("Posterior ORR mean", "pos.orr_mean", "pct")]
    if deal is not None:
        py += [("Break-even LOA (licensee NPV = 0)", "deal.breakeven_loa", "prob"),
               ("Licensee IRR", "deal.licensee_irr", "pct")]
    for label, key, kind in py:  # goal seeks, IRR, assurance: values, labelled
        val = summ.get(key)
        b.put_text(sh, row, 0, label + " [computed by iitvalue]")
        if val is None or (isinstance(val, float) and not math.isfinite(val)):
            b.put_text(sh, row, 1, "n/a", b.fmt("num", "python"))
        else:
            b.put_value(sh, row, 1, float(val), kind, "python")
        row += 1
    b.row[sh] = row
    if deal is not None:
        _write_payment_table(b, result, deal)
    _write_yearly(b, result, model)
    if deal is not None:
        ch = b.wb.add_chart({"type": "bar"})
        ch.add_series({"name": "NPV", "categories": [sh, npv_row, 0, npv_row + 1, 0],
                       "values": [sh, npv_row, 1, npv_row + 1, 1],
                       "points": [{"fill": {"color": "#C55A11"}}, {"fill": {"color": "#2F5597"}}],
                       "data_labels": {"value": True, "num_format": "#,##0.0"}})
        ch.set_title({"name": "Value split between the parties (NPV at own rates)"})
        ch.set_legend({"none": True})
        ch.set_y_axis({"label_position": "low"})  # category labels clear of negative bars
        ch.set_size({"width": 720, "height": 240})
        b.ws[sh].insert_chart(22, 10, ch)


def _write_payment_table(b: Book, result, deal: DealCells) -> None:
    """Upfront, each milestone, royalties and the profit and cost share: amount, probability, time, PV for each
    side (the licensee's negative) and totals."""
    sh, d, disc = OUTPUTS, result.sheet.deal, deal.disc
    b.section(sh, "Payments (amounts in millions; PV at each party's own rate)", 8)
    row = b.row[sh]
    heads = ("payment", "category", "trigger", "amount", "probability", "time (years)", "PV licensor (+)",
             "PV licensee (-)")
    for c, h in enumerate(heads):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    first = row
    lines = [("Upfront", "upfront", "closing" if d.closing else "deal date", deal.inputs.upfront, None, disc.t_up,
              disc.pv_up)]
    for p in deal.milestones.payments:
        pay = p.inputs.payment
        lines.append((pay.name, pay.category, describe(pay.trigger), p.amount, p.paid, p.time, p.pv))
    for name, cat, trig, amount, prob, t, pv in lines:
        b.put_text(sh, row, 0, name)
        b.put_text(sh, row, 1, cat)
        b.put_text(sh, row, 2, trig)
        b.put_link(sh, row, 3, amount, "money")
        if prob is None:
            b.put_value(sh, row, 4, 1.0, "prob", "const")
        else:
            b.put_link(sh, row, 4, prob, "prob")
        b.put_link(sh, row, 5, t, "years")
        b.put_link(sh, row, 6, pv["licensor"], "money")
        b.put_link(sh, row, 7, pv["licensee"], "money", negate=True)
        row += 1
    for label, pv in (("Royalties", deal.royalties), ("Profit and cost share", deal.share)):
        b.put_text(sh, row, 0, label)
        b.put_text(sh, row, 1, "stream")
        b.put_text(sh, row, 2, "per period, risk-adjusted")
        b.put_link(sh, row, 6, pv["licensor"], "money")
        b.put_link(sh, row, 7, pv["licensee"], "money", negate=True)
        row += 1
    b.put_text(sh, row, 0, "Total", b.f["sub"])
    for c, role, sign in ((6, "licensor", 1.0), (7, "licensee", -1.0)):
        total = sign * sum(x[role].value for x in (disc.pv_up, deal.milestones.pv, deal.royalties, deal.share))
        b.put_formula(sh, row, c, f"=SUM({a1(first, c)}:{a1(row - 1, c)})", total, "money", "out")
    b.row[sh] = row + 1


def _write_yearly(b: Book, result, model: Model) -> None:
    """Risk-adjusted cash flow and its PV by model year (SUMIF over the model-year row), with their chart."""
    sh, inputs, time, asset = OUTPUTS, model.inputs, model.time, model.asset
    b.section(sh, "Risk-adjusted cash flows by model year (for the chart)", 5)
    row = b.row[sh]
    for c, h in enumerate(("model year", "calendar year (start)", "risk-adjusted cash flow", "PV")):
        b.put_text(sh, row, c, h, b.f["head"])
    row += 1
    first = row
    flows, pvs = annual_totals(asset.risked.values, time.dt), annual_totals(asset.pv.values, time.dt)
    vdate = result.sheet.valuation.date
    for y in range(len(flows)):
        year = a1(row, 0)
        b.put_value(sh, row, 0, y, "int", "struct")
        b.put_formula(sh, row, 1, b.expand(f"YEAR(EDATE({inputs.vdate},{year}*{inputs.const.mpy}))", sh),
                      add_years(vdate, float(y)).year, "year")
        b.put_formula(sh, row, 2, b.expand(f"SUMIF({time.yidx.all},{year},{asset.risked.all})", sh), flows[y], "money")
        b.put_formula(sh, row, 3, b.expand(f"SUMIF({time.yidx.all},{year},{asset.pv.all})", sh), pvs[y], "money")
        row += 1
    last = row - 1
    b.row[sh] = row
    ch = b.wb.add_chart({"type": "column"})
    ch.add_series({"name": "Risk-adjusted cash flow", "categories": [sh, first, 1, last, 1],
                   "values": [sh, first, 2, last, 2], "fill": {"color": "#2F5597"}})
    ch.add_series({"name": "PV", "categories": [sh, first, 1, last, 1], "values": [sh, first, 3, last, 3],
                   "fill": {"color": "#A9D18E"}})
    ch.set_title({"name": "Risk-adjusted cash flows by year"})
    ch.set_y_axis({"name": f"millions of {result.sheet.valuation.currency}", "num_format": "#,##0"})
    ch.set_x_axis({"num_font": {"rotation": -45}})
    ch.set_legend({"position": "bottom"})
    ch.set_size({"width": 720, "height": 360})
    b.ws[sh].insert_chart(3, 10, ch)
