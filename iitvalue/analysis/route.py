"""The route (docs/method.md 6.2): the asset on its IIT route, as the sheet is, against an IND-first
counterfactual, and the value of the time the IIT route saves.

IND-first, at the same valuation date: first-in-human comes ``delay`` years later, so

* every readout would have come ``delay`` later: the readouts not yet public at the valuation date under that
  route (date + delay after it) are left out;
* the remaining plan takes ``delay`` longer: the first remaining phase's duration grows by ``delay`` (its cost
  is spread over the longer phase, so the whole plan and everything after it shifts);
* the sponsor may carry a phase-1 cost the hospital carried under the IIT route: ``phase1_cost`` (millions, added to
  the first phase's cost; default 0, the sheet's phase costs being the sponsor's own either way).

The value of time is iit_rnpv - ind_rnpv (and likewise each side's NPV with a deal), split into the delay alone
(the later plan with the IIT route's data) and the data not yet public IND-first. With a zero delay and no
extra cost the counterfactual is the sheet itself and the value of time is 0 (tested).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, Problem
from ..termsheet.schema import TermSheet
from ..units import add_years
from ..valuation import value

DEFAULT_DELAY = 2.0  # years: "at least two years" saved by the China IIT route, EsoBiotec's CEO to Endpoints News
# (March 2025) as quoted in the seed article (../shared/seeds) [C-sec]
DELAY_SOURCE = ("default 2 years: the China IIT route saved 'at least two years' (EsoBiotec's CEO, Endpoints News, "
                "March 2025) [C-sec]")


def ind_first(sheet: TermSheet, delay: float, phase1_cost: float = 0.0,
              keep_readouts: bool = False) -> tuple[TermSheet, list[str]]:
    """The IND-first counterfactual of ``sheet`` (module docstring) and the sources of the readouts it leaves out
    (readouts the IIT route uses, public by the valuation date, that would come after it); ``keep_readouts``: the
    delay and the cost only, with the IIT route's data (to split the value of time)."""
    if not delay >= 0:
        raise InputError(Problem("--delay", f"{delay!r} is not allowed; a delay in years >= 0"))
    if not phase1_cost >= 0:
        raise InputError(Problem("--phase1-cost", f"{phase1_cost!r} is not allowed; millions >= 0"))
    if not sheet.phases:
        raise InputError(Problem("phases", "the route needs remaining development phases (an approved asset has "
                                           "no first-in-human left to delay)"))
    vdate = sheet.valuation.date
    late = [add_years(r.date, delay) > vdate for r in sheet.readouts]
    kept = [r for r, x in zip(sheet.readouts, late) if keep_readouts or not x]
    dropped = [] if keep_readouts else [r.source for r, x in zip(sheet.readouts, late) if x and r.date <= vdate]
    if delay == 0 and phase1_cost == 0:
        return sheet, dropped
    first = value(sheet).asset.plan.phases[0]  # as resolved (a benchmark duration or cost when not given)
    changes: dict[str, Any] = {"readouts": [r.model_dump() for r in kept],
                               "phases[0].duration": first.duration + delay}
    if phase1_cost:
        changes["phases[0].cost"] = first.cost + phase1_cost
    return sheet.replace(changes), dropped


def route(sheet: TermSheet, delay: float = DEFAULT_DELAY, phase1_cost: float = 0.0) -> dict[str, Any]:
    """The IIT route against IND-first (module docstring).

    Parameters
    ----------
    sheet : TermSheet
        The asset on its IIT route, as valued by :func:`iitvalue.value`.
    delay : float
        Years by which first-in-human comes later IND-first (default :data:`DEFAULT_DELAY`).
    phase1_cost : float
        Millions the sponsor pays for its own phase 1 IND-first on top of the sheet's first-phase cost.

    Returns
    -------
    dict
        ``route`` of the JSON (docs/cli.md): ``iit_rnpv``, ``ind_rnpv``, ``value_of_time`` (millions) and its
        parts ``of_which_delay`` (the later plan with the IIT data kept) and ``of_which_data`` (the readouts not
        yet public IND-first), ``delay``,
        ``delay_source``, ``phase1_cost``, ``iit_loa``, ``ind_loa``, ``readouts_dropped`` (their sources), and with
        a deal ``iit_licensee_npv``, ``ind_licensee_npv``, ``value_of_time_licensee`` and the same for the licensor.

    Examples
    --------
    >>> import iitvalue
    >>> r = iitvalue.route(iitvalue.load("examples/esobiotec.toml"), delay=0.0)
    >>> r["value_of_time"], r["readouts_dropped"]
    (0.0, [])
    """
    ind, dropped = ind_first(sheet, delay, phase1_cost)
    a, b = value(sheet).summary, value(ind).summary
    t = value(ind_first(sheet, delay, phase1_cost, keep_readouts=True)[0]).summary["asset.rnpv"] if dropped else \
        b["asset.rnpv"]

    def loa(s) -> float:
        x = s.get("pos.posterior_loa")
        return float(s["asset.loa"] if x is None or x != x else x)

    out = {"delay": float(delay), "delay_source": DELAY_SOURCE if delay == DEFAULT_DELAY else "stated (--delay)",
           "phase1_cost": float(phase1_cost), "readouts_dropped": dropped,
           "iit_rnpv": float(a["asset.rnpv"]), "ind_rnpv": float(b["asset.rnpv"]),
           "value_of_time": float(a["asset.rnpv"] - b["asset.rnpv"]),
           "of_which_delay": float(a["asset.rnpv"] - t), "of_which_data": float(t - b["asset.rnpv"]),
           "iit_loa": loa(a), "ind_loa": loa(b)}
    if sheet.deal is not None:
        for side in ("licensee", "licensor"):
            out[f"iit_{side}_npv"] = float(a[f"deal.{side}_npv"])
            out[f"ind_{side}_npv"] = float(b[f"deal.{side}_npv"])
            out[f"value_of_time_{side}"] = float(a[f"deal.{side}_npv"] - b[f"deal.{side}_npv"])
    return out
