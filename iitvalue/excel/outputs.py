"""The Outputs sheet, one landscape page: the master check and the scenario in use, the summary (each cell a link to
Calculations, the headline ones under defined names) and the values only iitvalue computes (labelled), the deal
panel (:mod:`.bridge`), two native charts, and the yearly table they plot (right of the printed page)
(docs/excel.md, "Outputs")."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..units import add_years, annual_totals, excel_serial
from .asset import Model
from .bridge import OUTPUTS, Bridge, bar, heads, write_bridge, write_payments, write_value_table
from .cells import Book, Cell, Ref, a1
from .deal import DealCells

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
            SummaryRow("Asset NPV, unrisked (all phases succeed)", asset.npv, "money", "asset_npv_unrisked"),
            SummaryRow("LOA used (after the update)", dev.loa, "prob")]
    if pos is not None:
        rows += [SummaryRow("LOA, prior (benchmark or given)", pos.prior_loa, "prob", "pos_prior_loa"),
                 SummaryRow("LOA, posterior (after the readouts)", pos.posterior_loa, "prob", "pos_posterior_loa")]
    rows += [SummaryRow("PV of risk-weighted R&D", asset.pv_rd, "money"),
             SummaryRow("PV of risk-adjusted commercial", asset.pv_comm, "money"),
             SummaryRow("Approval date (success path)", asset.approval_date, "date"),
             SummaryRow("First launch date", asset.launch_date, "date"),
             SummaryRow("Peak annual sales (success path)", asset.peak, "money"),
             SummaryRow("Peak sales year", asset.peak_year, "year")]
    if deal is not None:
        d, npv = result.sheet.deal, deal.npvs
        rows += [SummaryRow(f"Licensor NPV ({d.licensor.name})", npv.licensor, "money", "deal_licensor_npv"),
                 SummaryRow(f"Licensee NPV ({d.licensee.name})", npv.licensee, "money", "deal_licensee_npv"),
                 SummaryRow("Licensor's share of the gains", npv.licensor_share, "pct"),
                 SummaryRow("Headline value (upfront + milestones)", deal.milestones.headline, "money"),
                 SummaryRow("Risk-adjusted payments (licensee's view)", npv.risk_adjusted_value, "money")]
        if npv.breakeven_upfront is not None:
            rows.append(SummaryRow("Break-even upfront (licensee NPV = 0)", npv.breakeven_upfront, "money"))
        if deal.licensee is not None:
            cash = deal.licensee
            rows += [SummaryRow("Licensee IRR (live, period cash flows)", cash.irr, "pct"),
                     SummaryRow("Licensee payback (years)", cash.payback, "years"),
                     SummaryRow("Licensee payback date", cash.payback_date, "date")]
    return rows


def write_outputs(book: Book, result, model: Model, rows: list[SummaryRow], deal: DealCells | None,
                  notes: list[str], risk: bool, scenario: Cell | None = None) -> Bridge | None:
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
        The deal's cells (value by party, bridge, payment table, value-split chart).
    notes : list of str
        Notes shown under the title (e.g. party-specific beliefs).
    risk : bool
        Whether the workbook has a Risk sheet (the note points to it).
    scenario : Cell, optional
        The scenario selector (Scenarios sheet), shown at the top.

    Returns
    -------
    Bridge or None
        The bridge's NPV cells (checked on Checks), None without a deal.
    """
    b, s = book, result.sheet
    sh = OUTPUTS
    b.put_text(sh, 0, 0, f"Outputs - {s.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, f"Money in millions of {s.valuation.currency}; rates and probabilities in %. Grey italic "
                         "values are computed by iitvalue (not live formulas)." + (
                             " Tornado and Monte Carlo: Risk sheet (computed by Python)." if risk else ""),
               b.f["note"])
    b.put_text(sh, 2, 0, "All checks (Checks sheet)", b.f["sub"])
    b.put_formula(sh, 2, 1, "=checks_ok", "OK", "num", "out")
    if scenario is not None:
        b.put_text(sh, 2, 3, "Scenario in use (Scenarios sheet)", b.f["sub"])
        b.put_link(sh, 2, 4, scenario, "num", "out")
    ok = b.wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE", "bold": True})
    bad = b.wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE", "bold": True})
    for crit, fm in (("==", ok), ("!=", bad)):
        b.ws[sh].conditional_format(2, 1, 2, 1, {"type": "cell", "criteria": crit, "value": '"OK"', "format": fm})
    if notes:
        b.put_text(sh, 3, 0, " ".join(notes), b.f["note"])
    top = 4
    bar(b, top, 0, 2, "Summary")
    row = top + 1
    for r in rows:
        b.put_text(sh, row, 0, r.label)
        b.put_link(sh, row, 1, r.cell, r.kind, "out" if r.name else "calc")
        if r.name:
            b.define(r.name, Ref(sh, row, 1))
        row += 1
    row = _write_python_values(b, result, row)
    bridge = None
    right = top
    if deal is not None:
        right, parties = write_value_table(b, result, model, deal, right, 3)
        right, npv = write_bridge(b, model, deal, right, 3)
        right = write_payments(b, result, deal, right, 3)
        bridge = Bridge(npv, parties, 3)
    charts = max(row, right) + 1
    first, last = _write_yearly(b, result, model, 13)
    _charts(b, result, first, last, bridge, charts)
    b.print_area[sh] = (0, 0, charts + 13, 9)
    return bridge


def _write_python_values(b: Book, result, row: int) -> int:
    """The values only iitvalue computes (goal seeks, the exact-time IRR, the assurance), labelled."""
    summ, py = result.summary, []
    if result.pos is not None:
        py += [("Value of the readout (posterior - prior)", "pos.readout_value", "money"),
               ("Pivotal assurance", "pos.assurance", "pct"), ("Posterior ORR mean", "pos.orr_mean", "pct")]
    if result.deal is not None:
        py += [("Break-even LOA (licensee NPV = 0)", "deal.breakeven_loa", "prob"),
               ("Licensee IRR (payments at exact times)", "deal.licensee_irr", "pct")]
    if py:
        row += 1
        bar(b, row, 0, 2, "Computed by iitvalue at export (not live)")
        row += 1
    for label, key, kind in py:
        val = summ.get(key)
        b.put_text(OUTPUTS, row, 0, label)
        if val is None or (isinstance(val, float) and not math.isfinite(val)):
            b.put_text(OUTPUTS, row, 1, "n/a", b.fmt("num", "python"))
        else:
            b.put_value(OUTPUTS, row, 1, float(val), kind, "python")
        row += 1
    return row


def _write_yearly(b: Book, result, model: Model, col: int) -> tuple[int, int]:
    """Risk-adjusted cash flow and its PV by model year (SUMIF over the model-year row), the data of the cash-flow
    chart, from column ``col`` (right of the printed page); returns its first and last rows."""
    sh, inputs, time, asset = OUTPUTS, model.inputs, model.time, model.asset
    bar(b, 4, col, 5, "Chart data: risk-adjusted cash flows by model year")
    heads(b, 5, col, ("model year", "label", "starts", "risk-adjusted cash flow", "PV"))
    first = row = 6
    flows, pvs = annual_totals(asset.risked.values, time.dt), annual_totals(asset.pv.values, time.dt)
    vdate = result.sheet.valuation.date
    for y in range(len(flows)):
        year = a1(row, col)
        b.put_value(sh, row, col, y, "int", "struct")
        b.put_formula(sh, row, col + 1, f'="Y"&({year}+1)', f"Y{y + 1}", "num")
        b.put_formula(sh, row, col + 2, b.expand(f"EDATE({inputs.vdate},{year}*{inputs.const.mpy})", sh),
                      float(excel_serial(add_years(vdate, float(y)))), "date")
        b.put_formula(sh, row, col + 3, b.expand(f"SUMIF({time.yidx.all},{year},{asset.risked.all})", sh), flows[y],
                      "money")
        b.put_formula(sh, row, col + 4, b.expand(f"SUMIF({time.yidx.all},{year},{asset.pv.all})", sh), pvs[y], "money")
        row += 1
    return first, row - 1


def _charts(b: Book, result, first: int, last: int, bridge: Bridge | None, row: int) -> None:
    """The cash-flow chart (model years; the first starts at the valuation date) and the value split."""
    sh, cur, col = OUTPUTS, result.sheet.valuation.currency, 13
    font = {"name": "Arial", "size": 10}
    ch = b.wb.add_chart({"type": "column"})
    for name, c, colour in (("Risk-adjusted cash flow", 3, "#2F5597"), ("PV", 4, "#A9D18E")):
        ch.add_series({"name": name, "categories": [sh, first, col + 1, last, col + 1],
                       "values": [sh, first, col + c, last, col + c], "fill": {"color": colour}})
    ch.set_title({"name": "Risk-adjusted cash flows by model year (Y1 starts at the valuation date)",
                  "name_font": {**font, "size": 11}})
    ch.set_y_axis({"name": f"millions of {cur}", "num_format": "#,##0", "num_font": font, "name_font": font})
    ch.set_x_axis({"num_font": {**font, "rotation": -45}})
    ch.set_legend({"position": "bottom", "font": font})
    ch.set_size({"width": 515, "height": 230})
    b.ws[sh].insert_chart(row, 0, ch)
    if bridge is None:
        return
    r0, r1 = bridge.chart_rows
    ch = b.wb.add_chart({"type": "bar"})
    ch.add_series({"name": "NPV", "categories": [sh, r0, bridge.col, r1, bridge.col],
                   "values": [sh, r0, bridge.col + 3, r1, bridge.col + 3],
                   "points": [{"fill": {"color": "#C55A11"}}, {"fill": {"color": "#2F5597"}}],
                   "data_labels": {"value": True, "num_format": "#,##0.0", "font": font}})
    ch.set_title({"name": "Value split: each party's NPV at its own rate", "name_font": {**font, "size": 11}})
    ch.set_legend({"none": True})
    ch.set_x_axis({"num_font": font})
    ch.set_y_axis({"label_position": "low", "num_font": font})  # category labels clear of negative bars
    ch.set_size({"width": 515, "height": 230})
    b.ws[sh].insert_chart(row, 4, ch, {"x_offset": 12})
