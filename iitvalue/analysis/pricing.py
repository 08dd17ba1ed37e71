"""What the calibrated bargaining model says about a deal: the input a paid upfront implies (``implied``), the
fair upfront of a new asset and a suggested milestone structure (``price``). docs/method.md, section 4."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..deal.payments import describe, expand_payments, trigger_time_probability, upfront_time
from ..deal.value import PartyView, value_deal
from ..errors import InputError, NumericalError, Problem
from ..deal.joint import value_deal_joint
from ..model.joint import at_class
from ..model.joint_update import joint_update
from ..model.plan import resolve
from ..model.pos import spread
from ..stats.roots import brent
from ..tables import Column, factor, html_pairs, html_table, money, percent
from ..termsheet.loading import load
from ..termsheet.schema import TermSheet, Trigger
from ..valuation import VERDICT_ROWS, plan_at_loa, posterior_plans, value
from .combination import market_prices
from .calibrate import (BOUNDS, Calibration, DealValues, deal_values, fair_total, load_calibration, predict_upfront,
                        shipped_comparables, values_for, with_weight)

IMPLIED = {
    "loa": "posterior LOA (both parties)",
    "weight": "evidence weight of the IIT readouts",
    "peak_sales": "multiplier on every territory's peak sales",
    "buyer_rate": "the buyer's discount rate",
}


def implied(sheet: TermSheet, solve: str, kappa: float, weight: float, premium: float = 0.0,
            target: float | None = None) -> dict[str, Any]:
    """The single input that makes the model's predicted upfront equal the observed (or ``target``) upfront."""

    if solve not in IMPLIED:
        raise InputError(Problem("--solve", f"'{solve}' is not allowed; choose one of {', '.join(IMPLIED)}"))
    if sheet.deal is None:
        raise InputError(Problem("deal", "the term sheet has no [deal] table"))
    premium = premium if sheet.deal.platform else 0.0
    if solve == "weight" and not sheet.readouts:
        raise InputError(Problem("--solve", "the sheet has no readouts: the evidence weight has nothing to act on "
                                 "and cannot be implied"))
    if solve == "loa" and not sheet.phases:
        raise InputError(Problem("--solve", "the asset has no remaining phases (LOA = 1): there is no LOA to solve for"))
    if target is None:
        if sheet.deal.observed is None or sheet.deal.observed.upfront is None:
            raise InputError(Problem("deal.observed.upfront", "needed as the target (or give --target)"))
        target = sheet.deal.observed.upfront

    def upfront_at(x: float) -> float:
        if solve == "weight":
            return predict_upfront(values_for(sheet, x), kappa, premium)
        if solve == "buyer_rate":
            return predict_upfront(values_for(sheet.replace({"deal.licensee.discount_rate": x}), weight), kappa, premium)
        if solve == "peak_sales":
            changes = {}
            for i, t in enumerate(sheet.territories):
                if t.peak_sales is not None:
                    changes[f"territories[{i}].peak_sales"] = t.peak_sales * x
                else:
                    changes[f"territories[{i}].patients"] = t.patients * x
            return predict_upfront(values_for(sheet.replace(changes), weight), kappa, premium)
        return predict_upfront(_values_at_loa(sheet, x), kappa, premium)

    lo, hi = {"loa": (1e-4, 0.9999), "weight": BOUNDS["weight"], "peak_sales": (0.01, 20.0), "buyer_rate": (0.0, 0.5)}[solve]
    grid = np.linspace(lo, hi, 25) if solve != "peak_sales" else np.geomspace(lo, hi, 25)
    vals = np.array([upfront_at(float(x)) - target for x in grid])
    idx = np.nonzero(np.sign(vals[1:]) * np.sign(vals[:-1]) <= 0)[0]
    if idx.size == 0:
        raise InputError(Problem("--solve", f"no {IMPLIED[solve]} in [{lo:g}, {hi:g}] reproduces an upfront of "
                                 f"{target:,.1f}: the model's upfront ranges over [{vals.min() + target:,.1f}, "
                                 f"{vals.max() + target:,.1f}] there"))
    i = int(idx[0])
    x = brent(lambda z: upfront_at(z) - target, float(grid[i]), float(grid[i + 1]), xtol=1e-10)
    return {"parameter": solve, "meaning": IMPLIED[solve], "value": x, "target_upfront": target,
            "kappa": kappa, "weight": weight, "premium": premium,
            "multiple_roots": bool(idx.size > 1)}


def _values_at_loa(sheet: TermSheet, loa: float) -> DealValues:
    """Deal values with both parties' probabilities spread to ``loa`` (docs/method.md 2.6). With several
    indications ``loa`` is the lead's, moved through the shared class (docs/method.md 5.4): P(active) =
    (loa - q_I) / (q_A - q_I), clamped to [0, 1], and every indication's LOA follows."""
    if len(sheet.indications) > 1:
        jp = joint_update(sheet).posterior
        lead = jp.indications[0]
        p = min(1.0, max(0.0, (loa - lead.q_inactive) / (lead.q_active - lead.q_inactive)))
        at = at_class(jp, p, spread)
        return deal_values(sheet, value_deal_joint(sheet.deal, at, at, spread).summary, sheet.asset.name)
    plan = resolve(sheet)
    prior = posterior_plans(sheet, plan)[1] if (sheet.readouts or sheet.pos is not None) else plan
    at = plan_at_loa(prior, loa)
    return deal_values(sheet, value_deal(sheet.deal, at, at, None).summary, sheet.asset.name)


# ---- pricing a new asset ------------------------------------------------------------------------------------------
def price(sheet: TermSheet, calib: Any = None, comparables: list[TermSheet] | None = None) -> "Price":
    """Fair upfront for ``sheet``'s proposed milestones (or a suggested structure when it has none): each
    method's price and range, and their combination with its 80 % prediction interval (docs/method.md 4.6).

    Parameters
    ----------
    sheet : TermSheet
        A term sheet with a ``[deal]``.
    calib : Calibration, dict or None
        A fitted :class:`~iitvalue.analysis.calibrate.Calibration`, the dict of a calibration TOML
        (``load_calibration``), or None for the shipped calibration.
    comparables : list of TermSheet, optional
        The deals whose proportions a suggested structure follows (default: the shipped comparables).

    Returns
    -------
    Price
        A dict with the keys of ``iitvalue price --format json`` (docs/cli.md) that displays in a notebook.

    Raises
    ------
    InputError
        The sheet has no ``[deal]``.

    Examples
    --------
    >>> import iitvalue
    >>> p = iitvalue.price(iitvalue.load("iitvalue/comparables/legend.toml"))
    >>> round(p["upfront"]), round(p["rnpv_upfront"])        # the combination; method (a) alone
    (283, 318)
    >>> p = iitvalue.price(iitvalue.load("examples/esobiotec.toml"))
    >>> round(p["upfront"], 1), round(p["low"]), round(p["high"]), round(p["v_buyer"], 1)
    (613.6, 171, 2253, 300.4)
    >>> [(m["method"], round(m["upfront"], 1)) for m in p["methods"]]
    [('rnpv', 225.4), ('regression', 296.7), ('share', 2902.7), ('benchmark', 1048.5)]
    """
    if sheet.deal is None:
        raise InputError(Problem("deal", "pricing needs a [deal] table (kind, parties and their rates)"))
    if calib is None:
        calib = load_calibration(None)
    elif isinstance(calib, Calibration):
        calib = calib.to_dict()
    p = calib["params"]
    kappa, weight = float(p["kappa"]), float(p["weight"])
    premium = float(p.get("premium", 0.0)) if sheet.deal.platform else 0.0  # the premium is for platform deals
    iv = calib.get("intervals", {})
    v = values_for(sheet, weight)
    total = fair_total(v, kappa, premium)
    has_schedule = bool(sheet.deal.milestones or sheet.deal.pools or sheet.deal.royalties or sheet.deal.tranches)
    corners = []
    prems = iv.get("premium", [premium, premium]) if sheet.deal.platform else [0.0]
    for w in (iv.get("weight", [weight, weight])):
        vw = values_for(sheet, float(w))
        for k in (iv.get("kappa", [kappa, kappa])):
            for pr in prems:
                corners.append(predict_upfront(vw, float(k), float(pr)) if has_schedule
                               else fair_total(vw, float(k), float(pr)))
    out: dict[str, Any] = {
        "kappa": kappa, "weight": weight, "premium": premium,
        "v_buyer": v.v_buyer, "v_seller": v.v_seller, "total_pv": total, "loa": v.loa,
        "upfront_low": min(corners), "upfront_high": max(corners),
    }
    if has_schedule:
        out["upfront"] = predict_upfront(v, kappa, premium)
        out["contingent_pv_buyer"] = v.contingent_buyer
        out["deferred_pv_buyer"] = v.deferred_buyer
        out["structure"] = []
        out["basis"] = "the term sheet's proposed milestones and royalties"
        out["notes"] = []
    else:
        if comparables is None:  # read only when a structure is suggested
            comparables = [load(c) for c in shipped_comparables()]
        struct = suggest_structure(with_weight(sheet, weight), total, comparables)
        out.update(struct)
        # the suggested structure scales with the total: the upfront's range follows the total's
        ratio = struct["upfront"] / total
        out["upfront_low"], out["upfront_high"] = min(corners) * ratio, max(corners) * ratio
    # the football field: method (a) above, (b) the comparables regression, (c) the stage benchmark, combined
    rnpv = (out["upfront"], out["upfront_low"], out["upfront_high"])
    contingent = v.headline - sheet.deal.upfront if has_schedule else None
    field = market_prices(sheet, calib, rnpv, contingent)
    out["rnpv_upfront"] = out["upfront"]
    out["methods"], out["warnings"] = field["methods"], field["warnings"]
    if field["upfront"] is not None:
        out["upfront"], out["low"], out["high"] = field["upfront"], field["low"], field["high"]
    else:  # no method prices it positively: the rNPV's figure, flagged
        out["low"], out["high"] = out["upfront_low"], out["upfront_high"]
        out["warnings"].append("no method gives a positive upfront: the rNPV split's figure is shown")
    out["upfront_low"], out["upfront_high"] = out["low"], out["high"]
    out["proposed_upfront"] = sheet.deal.upfront
    return Price(out, asset=sheet.asset.name, currency=sheet.valuation.currency)


class Price(dict):
    """The result of :func:`price`: a dict of the JSON keys (docs/cli.md, ``price``) with a short repr and a
    notebook headline (the fair upfront and its range first)."""

    def __init__(self, data: dict[str, Any], asset: str = "", currency: str = ""):
        super().__init__(data)
        self.asset, self.currency = asset, currency

    def __repr__(self) -> str:
        return (f"<Price {self.asset!r}: fair upfront {money(self['upfront'])} {self.currency} m "
                f"(80% interval {money(self['low'])} to {money(self['high'])}), {len(self['methods'])} methods>")

    def _repr_html_(self) -> str:
        pairs = [("fair upfront (the methods combined)", money(self["upfront"])),
                 ("80% prediction interval", f"{money(self['low'])} to {money(self['high'])}"),
                 ("proposed upfront", money(self["proposed_upfront"])),
                 ("method (a): fair total risk-adjusted consideration (buyer view)", money(self["total_pv"])),
                 ("buyer value V_b / seller reservation value V_s", f"{money(self['v_buyer'])} / {money(self['v_seller'])}"),
                 ("LOA (buyer)", percent(self["loa"])),
                 ("kappa, evidence weight, platform premium",
                  f"{factor(self['kappa'])}, {factor(self['weight'])}, {money(self['premium'])}"),
                 ("basis", self["basis"])]
        html = html_pairs(f"Fair price for {self.asset} ({self.currency} millions)", pairs)
        html += html_table(self["methods"], METHOD_COLUMNS, "Football field: the fair upfront by method")
        if self["warnings"]:
            html += "<p>" + "<br>".join(f"warning: {w}" for w in self["warnings"]) + "</p>"
        if self["structure"]:
            html += html_table(self["structure"], STRUCTURE_COLUMNS, "Suggested structure")
        return html


METHOD_COLUMNS = [Column("label", "method"), Column("upfront", "fair upfront", money), Column("low", "low", money),
                  Column("high", "high", money), Column("weight", "weight", factor), Column("basis", "basis")]
STRUCTURE_COLUMNS = [Column("name", "payment"), Column("trigger", "trigger"), Column("amount", "amount", money),
                     Column("pv_buyer", "PV to buyer", money)]


def suggest_structure(sheet: TermSheet, total_pv: float, comparables: list[TermSheet]) -> dict[str, Any]:
    """Upfront and milestones in the comparables' proportions whose buyer-side PV equals ``total_pv``.

    Proportions (shares of headline value by category) come from comparables of the same deal kind, else all;
    development milestones are tied to the start of the last clinical phase, regulatory ones to the first approval,
    sales ones to worldwide annual sales reaching half the success-path peak. The headline H solves
    H (u + sum_c s_c P_c DF_c) = total PV (u: upfront share, s_c: category shares)."""

    kinds = [c for c in comparables if c.deal is not None and c.deal.kind == sheet.deal.kind] or \
            [c for c in comparables if c.deal is not None]
    if not kinds:
        raise InputError(Problem("comparables", "no comparable deal with a [deal] table to take a structure from; "
                                               "pass comparables (term sheets with a [deal]) or give the sheet its "
                                               "own milestones"))
    cats = ("upfront", "development", "regulatory", "sales")
    shares = np.zeros(len(cats))
    for c in kinds:

        head = c.deal.upfront + sum(p.amount for p in expand_payments(c.deal))
        row = np.zeros(len(cats))
        row[0] = c.deal.upfront
        for pmt in expand_payments(c.deal):
            cat = pmt.category if pmt.category in cats else "development"  # manufacturing: a development-stage event
            row[cats.index(cat)] += pmt.amount
        shares += row / head
    shares /= len(kinds)
    res = value(sheet)
    plan = res.pos.posterior_plan if res.pos is not None else res.asset.plan
    lee = PartyView.of("buyer", sheet.deal.licensee.discount_rate, plan)
    clinical = [p.name for p in plan.phases if p.kind != "filing"]
    notes = []
    if not clinical and shares[cats.index("development")] > 0:
        notes.append("no clinical phase remains: the comparables' development share goes to the upfront")
        shares[0] += shares[cats.index("development")]
        shares[cats.index("development")] = 0.0
    triggers = {
        "development": Trigger(type="phase_start", phase=clinical[-1]) if clinical else None,
        "regulatory": Trigger(type="approval", territory=min(plan.territories, key=lambda t: t.launch_lag).name),
        "sales": Trigger(type="sales", threshold=max(1.0, 0.5 * res.asset.summary["peak_sales"])),
    }
    t_close = upfront_time(sheet.deal, plan)
    unit = shares[0] * (1.0 + lee.discount_rate) ** (-max(t_close, 0.0))
    pv_unit = {}
    for c in cats[1:]:
        trig = triggers[c]
        if trig is None or shares[cats.index(c)] == 0:
            pv_unit[c] = 0.0
            continue
        t, pr = trigger_time_probability(trig, plan, lee.lines)
        pv_unit[c] = float(np.nan_to_num(pr[0] * lee.df(t[0])))
        unit += shares[cats.index(c)] * pv_unit[c]
    if unit <= 0 or total_pv <= 0:
        raise NumericalError("the fair total value is not positive: no structure can be suggested")
    headline = total_pv / unit
    rows = [{"name": "Upfront", "category": "upfront", "trigger": "closing", "amount": headline * shares[0],
             "pv_buyer": headline * shares[0] * (1.0 + lee.discount_rate) ** (-max(t_close, 0.0))}]
    for c in cats[1:]:
        amt = headline * shares[cats.index(c)]
        if amt <= 0:
            continue

        rows.append({"name": f"{c.capitalize()} milestone", "category": c, "trigger": describe(triggers[c]),
                     "trigger_spec": triggers[c].model_dump(mode="json", exclude_none=True),
                     "amount": amt, "pv_buyer": amt * pv_unit[c]})
    return {"upfront": rows[0]["amount"], "headline_value": headline, "structure": rows,
            "basis": f"proportions of {len(kinds)} comparable(s) of kind '{kinds[0].deal.kind}'",
            "shares": dict(zip(cats, shares.tolist())), "notes": notes}


def fair_upfront_rows(result) -> list[tuple[str, str]]:
    """The verdict's row of the fair upfront with its 80 % interval (the pricing methods combined, shipped
    calibration; docs/method.md 4.6), or n/a with the reason; none without a deal. Used by the text verdict and, registered in
    :data:`iitvalue.valuation.VERDICT_ROWS`, by the notebook display of a result."""
    if result.deal is None:
        return []
    from .calibrate import load_calibration

    try:
        p = price(result.sheet, load_calibration(None), None)
        fair = f"{money(p['upfront'])}  (80% interval {money(p['low'])} to {money(p['high'])})"
    except (InputError, NumericalError) as exc:
        fair = f"n/a ({exc})"
    return [("fair upfront (pricing methods combined)", fair)]


VERDICT_ROWS.append(fair_upfront_rows)
