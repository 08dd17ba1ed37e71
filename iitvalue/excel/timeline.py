"""The timeline header of Calculations (rows 3-10, frozen): period number, start, end, midpoint, discounting time,
start date, calendar year and model year of each period column (docs/excel.md, "Calculations")."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from ..units import annual_totals, excel_serial
from .cells import CALC, Book, Line
from .inputs import Inputs


@dataclass(frozen=True)
class Timeline:
    """The header rows and the number of rows they take (frozen with columns A-D)."""

    k: Line
    t0: Line
    t1: Line
    tm: Line
    tc: Line
    date: Line
    year: Line
    yidx: Line
    rows: int
    dt: float

    def year_totals(self, x: np.ndarray) -> np.ndarray:
        """Each period's value of the sum of ``x`` over its model year (what SUMIF on the model-year row gives)."""
        return annual_totals(np.asarray(x, dtype=float), self.dt)[self.yidx.values.astype(int)]


def write_timeline(book: Book, result, inputs: Inputs) -> Timeline:
    """Write the title of Calculations and its timeline header.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation; the times are the engine's (``result.asset.lines``), the dates its cash-flow table's.
    inputs : Inputs
        The input cells (valuation date, period length, mid-period flag, constants).

    Returns
    -------
    Timeline
    """
    b = book
    b.put_text(CALC, 0, 0, "Calculations (docs/method.md; one formula per timeline row, every input from Inputs)",
               b.f["title"])
    b.put_text(CALC, 1, 0, "Column C: a scalar result, or the total of a timeline row. Column D: opening balance. "
                           "Columns E onward: one period each.", b.f["note"])
    b.row[CALC] = 2
    ln, cf, c = result.asset.lines, result.asset.cashflows, inputs.const
    dt = result.asset.plan.dt
    n = ln.t_start.size
    # counts the columns from D up to the previous one (a self-reference would be circular)
    k = b.line("k", "Period number k", "", "COLUMNS({OPENCELL}:{k<})-1", np.arange(n, dtype=float), "int")
    t0 = b.line("t0", "Period start t0", "years", f"{k}*{inputs.dt}", ln.t_start, "years")
    t1 = b.line("t1", "Period end t1", "years", f"{t0}+{inputs.dt}", ln.t_end, "years")
    tm = b.line("tm", "Period midpoint", "years", f"{t0}+{inputs.dt}*{c.half}", ln.t_start + dt * 0.5, "years")
    tc = b.line("tc", "Discounting time (midpoint or end)", "years", f"IF({inputs.mid}=1,{tm},{t1})", ln.t_cash,
                "years")
    dates = [_dt.date.fromisoformat(x) for x in cf["period_start"]]
    date = b.line("date", "Period start date", "date", f"EDATE({inputs.vdate},{t0}*{c.mpy})",
                  [excel_serial(x) for x in dates], "date")
    year = b.line("year", "Calendar year of the period start", "year", f"YEAR({date})", cf["year"], "year")
    yidx = b.line("yidx", "Model year (whole years since t = 0)", "year", f"INT({t0})", np.floor(ln.t_start), "int")
    return Timeline(k, t0, t1, tm, tc, date, year, yidx, b.row[CALC], dt)
