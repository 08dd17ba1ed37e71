"""The readout history (docs/method.md 6.1): the sheet revalued at the date of each of its readouts, so that the
value of the data can be read off as they came out (ESO-T01: the first patient at J.P. Morgan in January 2025,
the Lancet report of four patients in July 2025).

Each point values the sheet as of its date d, everything else as the sheet has it: ``valuation.date = d``, so the
valuation uses the readouts public by then (its own point-in-time rule), discounts from d and lays the remaining
phases from d; a deal signed before d is valued as if signed on d (``deal.date`` moved to d and ``deal.closing``
kept the same time after it), so that its fair upfront is a price one could still agree then; every other date
(milestone triggers, tranches, expiries, rivals) stays as written. The sheet's own date is always a point, and
there the history equals :func:`iitvalue.value` exactly (tested).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..errors import InputError, NumericalError
from ..tables import Column, Rows, money, percent
from ..termsheet.schema import TermSheet
from ..valuation import value

COLUMNS = [Column("date", "date"), Column("event", "event", max_width=30), Column("readouts", "readouts used"),
           Column("loa", "LOA", percent), Column("rnpv", "rNPV", money),
           Column("fair_upfront", "fair upfront", money), Column("licensee_npv", "buyer NPV", money)]


def dates(sheet: TermSheet) -> list[tuple[_dt.date, str]]:
    """The history's points: each readout's date (its source as the event; readouts of one date together) and the
    sheet's own valuation date, in date order."""
    by_date: dict[_dt.date, list[str]] = {}
    for r in sheet.readouts:
        by_date.setdefault(r.date, []).append(r.source)
    by_date.setdefault(sheet.valuation.date, []).insert(0, "the sheet's valuation date")
    return [(d, "; ".join(ev)) for d, ev in sorted(by_date.items())]


def at_date(sheet: TermSheet, d: _dt.date) -> tuple[TermSheet, bool]:
    """The sheet as of ``d`` (module docstring) and whether its deal was moved to ``d``."""
    if d == sheet.valuation.date:
        return sheet, False
    changes: dict[str, Any] = {"valuation.date": d}
    moved = False
    deal = sheet.deal
    if deal is not None and deal.date < d:
        moved = True
        changes["deal.date"] = d
        if deal.closing is not None:
            changes["deal.closing"] = d + (deal.closing - deal.date)
    return sheet.replace(changes), moved


def history(sheet: TermSheet, calib: Any = None) -> Rows:
    """The sheet revalued at each readout's date (module docstring).

    Parameters
    ----------
    sheet : TermSheet
        Any term sheet; without readouts the history is its own valuation date alone.
    calib : dict or Calibration, optional
        The calibration for the fair upfront (default: the shipped one).

    Returns
    -------
    Rows
        One record per date: ``date``, ``event``, ``readouts`` (how many readouts the valuation used: the latest
        of each trial, which carries its earlier patients), ``loa`` (the
        posterior LOA, or the prior one without readouts), ``rnpv`` (millions), ``fair_upfront`` (the pricing
        methods combined, :func:`iitvalue.price`; None without a deal or when no method prices it),
        ``licensee_npv``, ``licensor_npv`` (None without a deal), ``deal_moved`` (signed on this date instead of
        the sheet's) and ``note``.

    Examples
    --------
    >>> import iitvalue
    >>> h = iitvalue.history(iitvalue.load("examples/esobiotec.toml"))
    >>> [(str(r["date"]), r["readouts"], round(r["loa"], 4)) for r in h]
    [('2025-01-13', 1, 0.1703), ('2025-03-17', 1, 0.1703), ('2025-07-02', 1, 0.3474)]
    """
    from .pricing import price

    out = []
    for d, event in dates(sheet):
        s, moved = at_date(sheet, d)
        res = value(s)
        summ = res.summary
        used = len(res.pos.readouts) if res.pos is not None else 0
        loa = summ.get("pos.posterior_loa") if res.pos is not None else summ.get("asset.loa")
        rec = {"date": d, "event": event, "readouts": used, "loa": float(loa if loa == loa else summ["asset.loa"]),
               "rnpv": float(summ["asset.rnpv"]), "fair_upfront": None, "licensee_npv": None, "licensor_npv": None,
               "deal_moved": moved, "note": ""}
        if s.deal is not None:
            rec["licensee_npv"] = float(summ["deal.licensee_npv"])
            rec["licensor_npv"] = float(summ["deal.licensor_npv"])
            try:
                rec["fair_upfront"] = price(s, calib)["upfront"]
            except (InputError, NumericalError) as exc:
                rec["note"] = f"fair upfront n/a: {exc}"
        out.append(rec)
    return Rows(out, COLUMNS, f"Readout history of {sheet.asset.name} ({sheet.valuation.currency} millions)",
                index="date")
