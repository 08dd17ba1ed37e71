"""The asset's cash flows on the timeline (totals over territories, operating profit, the tax-loss corkscrew, tax,
free cash flow, risk adjustment, discounting) and its results (rNPV, unrisked NPV, peak sales, approval and
launch dates); docs/method.md 1. Cached values are the engine's lines and summary (``result.asset``)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from ..model.engine import tax_lines
from ..units import excel_serial
from .cells import CALC, Book, Cell, Line
from .commercial import Territory
from .development import RD, Development
from .inputs import Inputs
from .pos import PosCells
from .timeline import Timeline


@dataclass(frozen=True)
class Asset:
    """The asset's rows and results."""

    revenue: Line
    tax: Line
    fcf: Line
    commercial: Line  # commercial cash flow after tax (success path)
    risked: Line  # risk-adjusted cash flow
    df: Line
    pv: Line
    ysales: Line  # net sales of each period's model year
    rnpv: Cell
    npv: Cell
    pv_rd: Cell
    pv_comm: Cell
    peak: Cell
    peak_year: Cell
    approval_date: Cell
    launch_date: Cell


@dataclass(frozen=True)
class Model:
    """The cells of the asset's model, as the deal blocks, Outputs and Checks use them."""

    inputs: Inputs
    time: Timeline
    pos: PosCells | None
    dev: Development
    rd: RD
    territories: tuple[Territory, ...]
    asset: Asset


def write_asset(book: Book, result, inputs: Inputs, time: Timeline, dev: Development, rd: RD,
                territories: tuple[Territory, ...]) -> Asset:
    """Write the asset's cash flows and results on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (``result.asset.lines`` and ``result.asset.summary`` give the cached values).
    inputs : Inputs
        The input cells.
    time : Timeline
        The timeline header.
    dev : Development
        The development block (LOA, approval time).
    rd : RD
        The R&D rows.
    territories : tuple of Territory
        The territory blocks.

    Returns
    -------
    Asset
    """
    b, ln, summ = book, result.asset.lines, result.asset.summary
    s0 = lambda a: a[0]
    b.section(CALC, "Asset cash flows, tax, risk adjustment and discounting (docs/method.md 1)")

    def plus(rows: list[Line]) -> str:
        return "+".join(str(r) for r in rows)

    revenue = b.line("revenue", "Net sales, all territories", "millions", plus([t.revenue for t in territories]),
                     s0(ln.revenue), total=True)
    cogs = b.line("cogs", "COGS", "millions", plus([t.cogs for t in territories]), s0(ln.cogs), total=True)
    sga = b.line("sga", "SG&A", "millions", plus([t.sga for t in territories]), s0(ln.sga), total=True)
    launch = b.line("launch", "Launch costs", "millions", plus([t.launch_costs for t in territories]),
                    s0(ln.launch_costs), total=True)
    profit = b.line("profit", "Operating profit (success path)", "millions",
                    f"{revenue}-{cogs}-{sga}-{launch}-{rd.total}", s0(ln.operating_profit), total=True)
    # the loss pool as a corkscrew (opening balance in column D): taxable income to date Y minus cumulative
    # profit C; the losses used each period are the positive profit that is not newly taxable
    taxable = tax_lines(ln.operating_profit[:1], np.ones(1), True)[0]
    opening = "{pool<}"  # this row, previous period
    pool = b.line("pool", "Loss pool at period end (carry-forward; opening balance in column D)", "millions",
                  f"{opening}-MIN({opening},MAX({profit},0))+MAX(-{profit},0)",
                  np.cumsum(taxable) - np.cumsum(profit.values), opening=0.0)
    used = b.line("used", "Losses used from the pool (opening pool, up to the profit)", "millions",
                  f"MIN({pool.prev},MAX({profit},0))", np.maximum(profit.values, 0.0) - taxable)
    tax = b.line("tax", "Tax = rate x (max(0, profit) - losses used if carry-forward)", "millions",
                 f"{inputs.tax}*(MAX({profit},0)-{inputs.carryforward}*{used})", s0(ln.tax), total=True)
    fcf = b.line("fcf", "Free cash flow (success path, after tax)", "millions", f"{profit}-{tax}", s0(ln.fcf),
                 total=True)
    cat = b.line("cat", "Commercial cash flow after tax (success path)", "millions",
                 f"{revenue}-{cogs}-{sga}-{launch}-{tax}", s0(ln.commercial_after_tax), total=True)
    fcfr = b.line("fcfr", "Risk-adjusted cash flow = LOA x commercial - risk-weighted R&D", "millions",
                  f"{dev.loa}*{cat}-{rd.risked}", s0(ln.fcf_risked), total=True)
    df = b.line("df", "Discount factor (1 + r)^-t", "factor", f"(1+{inputs.rate})^(-{time.tc})",
                s0(ln.discount_factor), "factor")
    pv = b.line("pv", "PV of the risk-adjusted cash flow", "millions", f"{fcfr}*{df}", s0(ln.pv_risked), total=True)
    b.line("annual", "Annualised net sales", "millions per year", f"{revenue}/{inputs.dt}", revenue.values / time.dt)
    ysales = b.line("ysales", "Net sales of this period's model year", "millions per year",
                    f"SUMIF({time.yidx.all},{time.yidx},{revenue.all})", time.year_totals(revenue.values))

    b.section(CALC, "Asset results")
    rnpv = b.scalar("rnpv", "Asset rNPV = sum of PV", "millions", f"SUM({pv.all})", summ["rnpv"], "money")
    npv = b.scalar("npv", "Unrisked NPV = sum of FCF x DF", "millions", f"SUMPRODUCT({fcf.all},{df.all})",
                   summ["npv_unrisked"], "money")
    pv_rd = b.scalar("pv_rd", "PV of risk-weighted R&D", "millions", f"-SUMPRODUCT({rd.risked.all},{df.all})",
                     summ["pv_rd_risked"], "money")
    pv_comm = b.scalar("pv_comm", "PV of risk-adjusted commercial cash flow", "millions",
                       f"{dev.loa}*SUMPRODUCT({cat.all},{df.all})", summ["pv_commercial_risked"], "money")
    peak = b.scalar("peak", "Peak sales: the largest model-year total (success path)", "millions per year",
                    f"MAX({ysales.all})", summ["peak_sales"], "money")
    year = summ["peak_sales_year"]
    peak_year = b.scalar("peak_year", "Calendar year in which that model year starts", "year",
                         f'IF({peak}>0,INDEX({time.year.all},1,MATCH({peak},{ysales.all},0)),"n/a")',
                         "n/a" if year is None else float(year), "year")
    appr_date = b.scalar("appr_date", "Approval date", "date", date_formula(dev.T, inputs),
                         excel_serial(_dt.date.fromisoformat(summ["approval_date"])), "date")
    launch_t = b.scalar("launch_t", "First launch (years)", "years",
                        "MIN(" + ",".join(str(t.launch) for t in territories) + ")", summ["launch_time"], "years")
    launch_date = b.scalar("launch_date", "First launch date", "date", date_formula(launch_t, inputs),
                           excel_serial(_dt.date.fromisoformat(summ["launch_date"])), "date")
    return Asset(revenue, tax, fcf, cat, fcfr, df, pv, ysales, rnpv, npv, pv_rd, pv_comm, peak, peak_year, appr_date,
                 launch_date)


def date_formula(t: Cell, inputs: Inputs) -> str:
    """The formula template of the date ``t`` years after the valuation date, as :func:`iitvalue.units.add_years` computes it: whole
    months by EDATE, any other fraction by days of 365.25."""
    c = inputs.const
    months = f"{t}*{c.mpy}"
    return (f"IF(ABS({months}-ROUND({months},0))<{c.tolm},EDATE({inputs.vdate},ROUND({months},0)),"
            f"{inputs.vdate}+ROUND({t}*{c.dpy},0))")
