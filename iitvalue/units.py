"""Day counts and calendar arithmetic: the one place where dates become years and years become dates.

Convention (docs/method.md, section 1): a year is 365.25 days (Julian year, so leap days average out), and a
time is the number of years from the valuation date. Whole months added to a date follow the calendar.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

YEAR_DAYS = 365.25
EXCEL_EPOCH = _dt.date(1899, 12, 30)  # day 0 of Excel's (1900) date system, as the workbook writes dates


def year_fraction(start: _dt.date, end: _dt.date) -> float:
    """Years from ``start`` to ``end``: (end - start) in days / 365.25 (negative when ``end`` is earlier)."""
    return (end - start).days / YEAR_DAYS


def add_years(date: _dt.date, years: float) -> _dt.date:
    """Calendar date ``years`` after ``date``: whole months by the calendar (clamping to the month's end), any
    other fraction by days of 365.25 per year, rounded to the nearest day."""
    months = years * 12.0
    if abs(months - round(months)) < 1e-9:
        total = date.month - 1 + int(round(months))
        y, m = date.year + total // 12, total % 12 + 1
        last = (_dt.date(y + (m == 12), m % 12 + 1, 1) - _dt.timedelta(days=1)).day
        return _dt.date(y, m, min(date.day, last))
    return date + _dt.timedelta(days=round(years * YEAR_DAYS))


def excel_serial(date: _dt.date) -> float:
    """The date as an Excel serial number (days since 1899-12-30)."""
    return float((date - EXCEL_EPOCH).days)


def annual_totals(x: np.ndarray, dt: float) -> np.ndarray:
    """Sum a (..., N) per-period line of period length ``dt`` years into model years [y, y + 1) from the
    valuation date: (..., ceil(N dt)); a last, partial year holds what falls in it."""
    per_year = int(round(1.0 / dt))
    n = x.shape[-1]
    years = -(-n // per_year)
    pad = years * per_year - n
    if pad:
        x = np.concatenate([x, np.zeros(x.shape[:-1] + (pad,))], axis=-1)
    return x.reshape(x.shape[:-1] + (years, per_year)).sum(axis=-1)
