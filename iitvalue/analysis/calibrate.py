"""Calibration against real deals and a fair price for a new asset (docs/method.md, section 4).

Pricing model. For a deal with buyer value V_b (the rNPV of what the buyer receives under the deal's economics,
at its rate and beliefs) and seller reservation value V_s (the seller's own rNPV of what it gives up, at its
higher rate), the buyer-side present value of all payments to the seller is

    PV_b(payments) = V_s + kappa (V_b - V_s) + premium,

kappa in [0, 1] being the seller's share of the surplus. Given the contingent part (milestones, royalties) the
model predicts the upfront:

    upfront = (V_s + kappa (V_b - V_s) + premium - PV_b(milestones + royalties)) / DF_b(t_closing).

Shared parameters (kappa, the IIT evidence weight w, an optional premium in millions) are fitted by least squares
on log(predicted / observed upfront) across the comparables.
"""


from __future__ import annotations

import math
import sys
import types
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..deal.tax import payment_tax_factor
from ..errors import InputError, Problem
from ..stats.roots import brent
from ..tables import Column, Rows, html_pairs, money
from ..termsheet import load
from ..termsheet.lines import line_for, toml_key_lines
from ..termsheet.loading import parse_toml, read_text
from ..termsheet.schema import TermSheet
from ..units import year_fraction
from ..valuation import value
from .combination import market_model, market_toml  # noqa: F401 (market_model: the CLI's)

def _optimize():
    """scipy.optimize on first use: pricing and implied inputs need none of it, the fit does (0.4 s to import)."""
    from scipy import optimize

    return optimize


PARAMS = ("kappa", "weight", "premium")
BOUNDS = {"kappa": (0.0, 1.0), "weight": (0.05, 1.0), "premium": (-2000.0, 2000.0)}
DEFAULTS = {"kappa": 0.5, "weight": 0.5, "premium": 0.0}
SIGMA_LOG = 0.25  # judgement: bargaining noise on log(upfront), about +-25%; sets the profile intervals' width


@dataclass(frozen=True)
class DealValues:
    """What the pricing model needs from one valued deal (millions, buyer = licensee, seller = licensor)."""

    name: str
    v_buyer: float
    v_seller: float
    contingent_buyer: float  # PV_b of milestones and royalties
    df_closing: float
    observed_upfront: float | None
    headline: float
    kind: str
    loa: float
    deferred_buyer: float = 0.0  # PV_b of the tranches and an equity premium: non-contingent, priced with the upfront


def with_weight(sheet: TermSheet, weight: float) -> TermSheet:
    """The sheet with every IIT readout weighted by ``weight`` (both parties share that belief). A sheet without
    readouts is returned unchanged: the weight has nothing to act on."""
    if not sheet.readouts:
        return sheet
    changes: dict[str, Any] = {"pos.iit_weight": weight}
    for role in ("licensor", "licensee"):
        if sheet.deal is not None and getattr(sheet.deal, role).iit_weight is not None:
            changes[f"deal.{role}.iit_weight"] = weight
    for i, r in enumerate(sheet.readouts):
        if r.design == "iit" and r.weight is not None:
            changes[f"readouts[{i}].weight"] = weight
    return sheet.replace(changes)


def values_for(sheet: TermSheet, weight: float, name: str = "") -> DealValues:
    """Value ``sheet``'s deal with IIT readouts weighted by ``weight`` (both parties share that belief)."""

    if sheet.deal is None:
        raise InputError(Problem("deal", "the term sheet has no [deal] table"), name or None)
    res = value(with_weight(sheet, weight))
    return deal_values(sheet, res.deal.summary, name or sheet.asset.name)


def deal_values(sheet: TermSheet, d: dict[str, Any], name: str) -> DealValues:
    """The pricing model's inputs from a deal summary (buyer = licensee, seller = licensor)."""
    lee = sheet.deal.licensee
    t_close = year_fraction(sheet.valuation.date, sheet.deal.closing or sheet.deal.date)
    obs = sheet.deal.observed.upfront if sheet.deal.observed is not None else None
    return DealValues(
        name=name,
        # an acquired company's net cash is worth N to the buyer and given up by the sellers: both values include it
        # (pv_net_cash_* is the licensor component -N DF)
        v_buyer=d["asset_rnpv_licensee_view"] - d["pv_profit_share_licensee"] - d["pv_net_cash_licensee"],
        v_seller=d["asset_rnpv_licensor_view"] - d["pv_profit_share_licensor"] - d["pv_net_cash_licensor"],
        contingent_buyer=d["pv_milestones_licensee"] + d["pv_royalties_licensee"],
        deferred_buyer=d["pv_tranches_licensee"] + d["pv_equity_premium_licensee"],
        # the buyer's PV of one unit of upfront: its discount factor and its payment-tax factor (deal.tax)
        df_closing=(1.0 + lee.discount_rate) ** (-max(t_close, 0.0)) * payment_tax_factor(
            sheet.deal, "licensee", "upfront", lee.discount_rate, sheet.valuation.tax_rate),
        observed_upfront=obs, headline=d["headline_value"], kind=sheet.deal.kind, loa=d["licensee_loa"],
    )


def fair_total(v: DealValues, kappa: float, premium: float = 0.0) -> float:
    """PV_b(payments) = V_s + kappa (V_b - V_s) + premium."""
    return v.v_seller + kappa * (v.v_buyer - v.v_seller) + premium


def predict_upfront(v: DealValues, kappa: float, premium: float = 0.0) -> float:
    """The upfront at closing that, with the sheet's tranches and contingent payments, makes the buyer's PV of the
    payments the fair total: (fair total - PV_b(contingent) - PV_b(tranches)) / DF_b(closing)."""
    return (fair_total(v, kappa, premium) - v.contingent_buyer - v.deferred_buyer) / v.df_closing


# ---- the comparables ------------------------------------------------------------------------------------------
@dataclass
class Comparable:
    name: str
    path: str
    sheet: TermSheet
    _cache: dict = field(default_factory=dict, repr=False)

    def values(self, weight: float) -> DealValues:
        key = round(float(weight), 12)
        if key not in self._cache:
            self._cache[key] = values_for(self.sheet, weight, self.name)
        return self._cache[key]


def load_comparables(paths: list[str | Path]) -> list[Comparable]:
    """Load term sheets with a deal and an observed upfront; every problem is reported."""

    out, problems = [], []
    for p in paths:
        sheet = load(p)
        if sheet.deal is None:
            problems.append(Problem(f"{p}: deal", "a comparable needs a [deal] table"))
        elif sheet.deal.observed is None or sheet.deal.observed.upfront is None:
            problems.append(Problem(f"{p}: deal.observed.upfront", "a comparable needs its announced upfront "
                                    "([deal.observed] upfront = ...)"))
        else:
            out.append(Comparable(Path(p).stem, str(p), sheet))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError(Problem("FILES", "no comparables given"))
    return out


def shipped_comparables() -> list[Path]:

    base = resources.files("iitvalue").joinpath("comparables")
    return sorted(Path(str(base)).glob("*.toml"))


# ---- the fit ------------------------------------------------------------------------------------------------------
def residuals(comps: list[Comparable], params: dict[str, float]) -> np.ndarray:
    """log(predicted / observed upfront) per deal; a non-positive prediction gets a large finite residual.
    The premium applies to platform deals only (``deal.platform = true``)."""
    out = []
    for c in comps:
        v = c.values(params["weight"])
        prem = params["premium"] if c.sheet.deal.platform else 0.0
        pred = predict_upfront(v, params["kappa"], prem)
        obs = v.observed_upfront
        out.append(math.log(pred / obs) if pred > 0 else math.log(1e-3 / obs) - 1e-3 * pred)
    return np.array(out)


def informative(comps: list[Comparable], name: str) -> int:
    """How many deals can inform a parameter: the premium only platform deals, the weight only deals with
    readouts, kappa every deal."""
    if name == "premium":
        return sum(c.sheet.deal.platform for c in comps)
    if name == "weight":
        return sum(bool(c.sheet.readouts) for c in comps)
    return len(comps)


@dataclass
class Calibration:
    """Fitted shared parameters with profile intervals, residuals and leave-one-out predictions."""

    params: dict[str, float]
    free: tuple[str, ...]
    intervals: dict[str, tuple[float, float]]
    deals: list[dict[str, Any]]
    warnings: list[str]
    sse: float
    sigma_log: float = SIGMA_LOG
    files: list[str] = field(default_factory=list)
    market: dict[str, Any] | None = None  # methods (b), (c), their combination and backtest (.combination)

    def __post_init__(self) -> None:
        self.deals = Rows(self.deals, DEAL_COLUMNS, "Deals (upfront, millions)", index="name")

    def __repr__(self) -> str:
        p = ", ".join(f"{k} {v:.4g}" for k, v in self.params.items())
        return f"<Calibration to {len(self.deals)} deal(s): {p}; sse {self.sse:.3g}>"

    def _repr_html_(self) -> str:
        pairs = [(k, f"{v:.4f}" + (f" (95% profile interval {self.intervals[k][0]:.4f} to {self.intervals[k][1]:.4f})"
                                   if k in self.intervals else " (fixed)")) for k, v in self.params.items()]
        pairs += [("sum of squares (log upfront)", f"{self.sse:.3g}"),
                  ("fit or prediction", fit_statement(len(self.deals), len(self.free)))]
        html = html_pairs(f"Calibration of the pricing model to {len(self.deals)} deal(s)", pairs)
        html += self.deals._repr_html_()
        if self.warnings:
            html += "<p>" + "<br>".join(f"warning: {html_escape(w)}" for w in self.warnings) + "</p>"
        return html

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": dict(self.params), "free": list(self.free),
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "sse": self.sse, "sigma_log": self.sigma_log, "deals": list(self.deals), "warnings": list(self.warnings),
            "files": list(self.files),
            "fit_vs_prediction": fit_statement(len(self.deals), len(self.free)),
            **({k: self.market[k] for k in ("regression", "share_regression", "combination", "backtest")}
               if self.market else {}),
        }

    def to_toml(self) -> str:
        lines = ["# iitvalue calibration, written by `iitvalue calibrate` (docs/method.md section 4).",
                 "# Regenerate it with the same command; a test fails when this file is stale.", "", "[params]"]
        lines += [f"{k} = {_num(v)}" for k, v in self.params.items()]
        lines += ["", "[intervals]  # 95% profile intervals, sigma_log on log(upfront)"]
        lines += [f"{k} = [{_num(a)}, {_num(b)}]" for k, (a, b) in self.intervals.items()]
        lines += ["", "[fit]", "free = [" + ", ".join(f'"{f}"' for f in self.free) + "]",
                  f"sse = {_num(self.sse)}", f"sigma_log = {_num(self.sigma_log)}",
                  f'statement = "{fit_statement(len(self.deals), len(self.free))}"',
                  "warnings = [" + ", ".join(f'"{w}"' for w in self.warnings) + "]"]
        if self.market:
            lines += market_toml(self.market)
        for d in self.deals:
            lines += ["", "[[deals]]"]
            for k in ("name", "observed_upfront", "predicted_upfront", "residual_log", "loo_predicted_upfront",
                      "time_predicted_upfront", "loo_note"):
                v = d.get(k)
                if v is None:
                    continue
                lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {_num(v)}")
        return "\n".join(lines) + "\n"


def _num(x: float) -> str:
    return repr(float(x))


def fit_statement(n_deals: int, n_free: int) -> str:
    if n_free >= n_deals:
        return (f"{n_deals} deals and {n_free} free parameters: the fitted upfronts are reproduced by construction "
                "(fit, not prediction); only the leave-one-out numbers say anything about prediction")
    return (f"{n_deals} deals and {n_free} free parameters: {n_deals - n_free} degree(s) of freedom left; the "
            "residuals are partly fit, the leave-one-out numbers are predictions")


W_GRID = np.linspace(0.05, 1.0, 20)


# what the shipped calibration fits: two full-term-sheet comparables (deals announced by the 2025-03-31 cutoff)
# and one parameter, so that the fit has more deals than parameters; the evidence weight stays at its default, the
# IIT weight the examples assume, and a platform's worth is the comparables regression's (docs/method.md 4.3, 4.4)
SHIPPED_FREE = ("kappa",)


def fit(comps: list[Comparable], free: tuple[str, ...] = SHIPPED_FREE,
        start: dict[str, float] | None = None) -> Calibration:
    """Least squares on log(predicted / observed upfront) with bounds.

    kappa and the premium enter the prediction linearly and are fitted by scipy.optimize.least_squares for a
    given weight; the weight (which changes every valuation) is fitted by a grid over [0.05, 1] refined with
    scipy.optimize.minimize_scalar. 95% intervals come from the profile of the sum of squares with sigma_log."""
    free = tuple(dict.fromkeys(free))
    bad = [f for f in free if f not in PARAMS]
    if bad:
        raise InputError(Problem("--free", f"unknown parameter(s) {', '.join(bad)}; allowed: {', '.join(PARAMS)}"))
    base = {**DEFAULTS, **(start or {})}
    for k, v in base.items():
        lo, hi = BOUNDS[k]
        if not lo <= v <= hi:
            raise InputError(Problem(f"start.{k}", f"start {v} lies outside the bounds [{lo}, {hi}]"))
    params, sse = _fit_free(comps, free, base)
    warnings = []
    n_inf = len(comps)
    if len(free) > n_inf:
        warnings.append(f"not identified: {len(free)} free parameters but only {n_inf} deals")
    for k in free:
        if informative(comps, k) == 0:
            warnings.append(f"{k} is not identified: no deal informs it "
                            f"({'no platform deal' if k == 'premium' else 'no deal with readouts'})")
    intervals = {}
    for k in free:
        lo, hi, flat = _profile(comps, free, params, k, sse)
        intervals[k] = (lo, hi)
        if flat:
            warnings.append(f"the profile of {k} is flat over its bounds: the data do not pin it down")
    for k in free:
        lo, hi = BOUNDS[k]
        if min(params[k] - lo, hi - params[k]) <= 1e-6 * max(1.0, hi - lo):
            warnings.append(f"{k} = {params[k]:.4g} sits at its bound [{lo:g}, {hi:g}]: the model cannot reproduce "
                            "every upfront within its bounds (see the log residuals)")
    deals = []
    for i, c in enumerate(comps):
        v = c.values(params["weight"])
        prem = params["premium"] if c.sheet.deal.platform else 0.0
        pred = predict_upfront(v, params["kappa"], prem)
        row = {"name": c.name, "file": c.path, "platform": c.sheet.deal.platform,
               "observed_upfront": v.observed_upfront, "predicted_upfront": pred,
               "residual_log": math.log(pred / v.observed_upfront) if pred > 0 else None,
               "v_buyer": v.v_buyer, "v_seller": v.v_seller, "contingent_pv_buyer": v.contingent_buyer, "loa": v.loa}
        # leave-one-out: refit on the other deals from the defaults; a parameter they cannot inform stays at its
        # default (not at the full fit's value, which would leak the left-out deal)
        others = [o for j, o in enumerate(comps) if j != i]
        loo_free = tuple(k for k in ("kappa", "premium", "weight") if k in free and informative(others, k) > 0)
        while len(loo_free) > len(others):  # drop the least identifiable first: the weight, then the premium
            loo_free = loo_free[:-1]
        fixed = [k for k in free if k not in loo_free]
        if others:
            p_loo, _ = _fit_free(others, loo_free, {**DEFAULTS, **{k: base[k] for k in PARAMS if k not in free}})
            vl = c.values(p_loo["weight"])
            row["loo_predicted_upfront"] = predict_upfront(vl, p_loo["kappa"], p_loo["premium"] if c.sheet.deal.platform else 0.0)
            row["loo_params"] = {k: p_loo[k] for k in free}
            if fixed:
                row["loo_note"] = f"{', '.join(fixed)} at the default ({', '.join(f'{k} = {DEFAULTS[k]:g}' for k in fixed)}): not identified without this deal"
        # time-ordered: refit on the comparables announced before this one (none: no prediction)
        earlier = [o for o in comps if o.sheet.deal.date < c.sheet.deal.date]
        t_free = tuple(k for k in ("kappa", "premium", "weight") if k in free and informative(earlier, k) > 0)
        t_free = t_free[:len(earlier)]
        if earlier and t_free:
            p_t, _ = _fit_free(earlier, t_free, {**DEFAULTS, **{k: base[k] for k in PARAMS if k not in free}})
            vt = c.values(p_t["weight"])
            row["time_predicted_upfront"] = predict_upfront(vt, p_t["kappa"],
                                                            p_t["premium"] if c.sheet.deal.platform else 0.0)
        deals.append(row)
    return Calibration(params, free, intervals, deals, warnings, sse, files=[c.path for c in comps])


def _fit_linear(comps, free_lin, base) -> tuple[dict[str, float], float]:
    """kappa and/or premium for a fixed weight (no new valuations needed)."""

    if not free_lin:
        return dict(base), float(np.sum(residuals(comps, base) ** 2))
    lo = np.array([BOUNDS[k][0] for k in free_lin])
    hi = np.array([BOUNDS[k][1] for k in free_lin])
    best = None
    for x0 in (np.array([base[k] for k in free_lin]), lo + 0.3 * (hi - lo), lo + 0.7 * (hi - lo)):
        sol = _optimize().least_squares(lambda x: residuals(comps, {**base, **dict(zip(free_lin, x))}), np.clip(x0, lo, hi),
                            bounds=(lo, hi), xtol=1e-13, ftol=1e-13, gtol=1e-13)
        cost = float(np.sum(sol.fun ** 2))
        if best is None or cost < best[1] - 1e-15:
            best = (sol.x, cost)
    return {**base, **{k: float(v) for k, v in zip(free_lin, best[0])}}, best[1]


def _fit_free(comps, free, base) -> tuple[dict[str, float], float]:

    lin = tuple(k for k in free if k != "weight")
    if "weight" not in free:
        return _fit_linear(comps, lin, base)
    prof = [(w, *_fit_linear(comps, lin, {**base, "weight": float(w)})) for w in W_GRID]
    i = int(np.argmin([p[2] for p in prof]))
    lo, hi = W_GRID[max(i - 1, 0)], W_GRID[min(i + 1, len(W_GRID) - 1)]
    res = _optimize().minimize_scalar(lambda w: _fit_linear(comps, lin, {**base, "weight": float(w)})[1], bounds=(lo, hi),
                          method="bounded", options={"xatol": 1e-6})
    w = float(res.x) if res.fun <= prof[i][2] else float(prof[i][0])
    return _fit_linear(comps, lin, {**base, "weight": w})


def _profile(comps, free, params, name, sse_min) -> tuple[float, float, bool]:
    """95% profile interval: the values of ``name`` whose re-minimised SSE stays within 3.84 sigma_log^2 of the
    minimum (the other free parameters re-fitted, the weight over its grid). Edges found with brentq for kappa and
    the premium, by linear interpolation on the grid for the weight."""

    lo, hi = BOUNDS[name]
    others = tuple(f for f in free if f != name)
    thr = 3.84 * SIGMA_LOG ** 2

    def excess(g: float) -> float:
        base = {**params, name: float(g)}
        if "weight" in others:
            lin = tuple(k for k in others if k != "weight")
            s = min(_fit_linear(comps, lin, {**base, "weight": float(w)})[1] for w in W_GRID)
        else:
            s = _fit_linear(comps, others, base)[1]
        return s - sse_min - thr

    est = params[name]
    if name == "weight":
        vals = np.array([excess(g) for g in W_GRID])
        ok = vals <= 0
        if ok.all():
            return float(W_GRID[0]), float(W_GRID[-1]), True
        inside = W_GRID[ok]
        return (float(min(inside.min(), est)) if inside.size else est,
                float(max(inside.max(), est)) if inside.size else est, False)
    ends = []
    for bound in (lo, hi):
        if excess(bound) <= 0:
            ends.append(bound)
        elif excess(est) >= 0:
            ends.append(est)
        else:
            ends.append(brent(excess, est, bound, xtol=1e-6) if bound > est else
                        brent(excess, bound, est, xtol=1e-6))
    return ends[0], ends[1], ends[0] == lo and ends[1] == hi


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check a calibration TOML (the shipped one when ``path`` is None), as written by ``calibrate -o``.

    Parameters
    ----------
    path : str or Path, optional
        The file (UTF-8 TOML with ``[params]`` kappa, weight and optionally premium, and optional
        ``[intervals]`` of two numbers each).

    Returns
    -------
    dict
        The file's tables, with ``intervals`` and ``params.premium`` defaulted.

    Raises
    ------
    InputError
        When the file cannot be read, is not TOML, or a parameter is missing, not a finite number or outside its
        bounds; each problem with its line.
    """
    if path is None:
        text = resources.files("iitvalue").joinpath("data", "calibration.toml").read_text(encoding="utf-8")
        src = "shipped calibration"
    else:
        src = str(path)
        text = read_text(path, "calibration file")
    data = parse_toml(text, src)
    lines = toml_key_lines(text)
    problems = []

    def add(loc: tuple, msg: str) -> None:
        problems.append(Problem(".".join(loc), msg, line_for(loc, lines)))

    params, intervals = data.get("params", {}), data.get("intervals", {})
    if not isinstance(params, dict) or not isinstance(intervals, dict):
        raise InputError("[params] and [intervals] must be tables (write it with `iitvalue calibrate -o`)", src)
    for k in PARAMS:
        lo, hi = BOUNDS[k]
        if k not in params:
            if k != "premium":
                add(("params", k), "missing")
        elif not _is_number(params[k]) or not lo <= params[k] <= hi:
            add(("params", k), f"{params[k]!r} is not allowed; a number in [{lo:g}, {hi:g}]")
        iv = intervals.get(k)
        if iv is not None and not (isinstance(iv, list) and len(iv) == 2 and all(_is_number(x) and lo <= x <= hi
                                                                                for x in iv) and iv[0] <= iv[1]):
            add(("intervals", k), f"must be [low, high] with low <= high, both in [{lo:g}, {hi:g}]")
    comb = data.get("combination")
    for table in ("regression", "share_regression"):
        reg = data.get(table)
        if reg is None:
            continue
        feats, coefs, iv = (reg.get(k) if isinstance(reg, dict) else None for k in ("features", "coefficients", "interval"))
        if not (isinstance(feats, list) and isinstance(coefs, list) and len(feats) == len(coefs)
                and all(_is_number(c) for c in coefs)):
            add((table, "coefficients"), "must be one finite number per entry of features")
        if not (isinstance(iv, list) and len(iv) == 2 and all(_is_number(x) for x in iv) and iv[0] <= iv[1]):
            add((table, "interval"), "must be [low, high] (ln units) with low <= high")
    if comb is not None:
        var, iv = (comb.get(k) if isinstance(comb, dict) else None for k in ("variances", "interval"))
        if not (isinstance(var, dict) and all(_is_number(v) and v > 0 for v in var.values())):
            add(("combination", "variances"), "must be a table of positive numbers by method")
        if not (isinstance(iv, list) and len(iv) == 2 and all(_is_number(x) for x in iv) and iv[0] <= iv[1]):
            add(("combination", "interval"), "must be [low, high] (ln units) with low <= high")
    if problems:
        raise InputError(problems, src)
    data.setdefault("intervals", {})
    data["params"].setdefault("premium", 0.0)
    return data


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _signed(x: Any) -> str:
    return "n/a" if x is None else f"{x:+.4f}"


DEAL_COLUMNS = [Column("name", "deal", max_width=32), Column("observed_upfront", "observed", money),
                Column("predicted_upfront", "fitted", money), Column("residual_log", "log resid", _signed),
                Column("loo_predicted_upfront", "left out", money, "predicted with the deal left out of the fit")]


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def calibrate(paths: list[str | Path] | None = None, free: tuple[str, ...] = SHIPPED_FREE,
              start: dict[str, float] | None = None) -> Calibration:
    """Fit the pricing model to comparable deals: :func:`fit` of :func:`load_comparables` of ``paths`` (default:
    the shipped comparables). The module itself is callable the same way: ``iitvalue.calibrate()``.

    Parameters
    ----------
    paths : list of str or Path, optional
        Term sheets of comparable deals with ``[deal.observed]``.
    free : tuple of str
        The parameters to fit by method (a) (kappa, weight, premium; default kappa, the weight fixed at 0.5 and
        the premium at 0).
    start : dict, optional
        Start values, and the values of the parameters not freed.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import iitvalue
    >>> cal = iitvalue.calibrate()
    >>> sorted(cal.params), float(cal.deals.frame.loc["legend", "observed_upfront"])
    (['kappa', 'premium', 'weight'], 350.0)
    >>> [k in cal.market["backtest"] for k in ("median_abs_log_error", "coverage_80", "n_deals")]
    [True, True, True]
    """
    cal = fit(load_comparables(list(paths) if paths else shipped_comparables()), tuple(free), start)
    cal.market = market_model(cal)
    return cal


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`calibrate` (``iitvalue.calibrate()``), so that ``iitvalue.calibrate``
    stays the module of ``from iitvalue import calibrate; calibrate.fit(...)``."""

    def __call__(self, paths: list[str | Path] | None = None, free: tuple[str, ...] = SHIPPED_FREE,
                 start: dict[str, float] | None = None) -> Calibration:
        return calibrate(paths, free, start)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Calibration", "calibrate", "Comparable", "DealValues", "fit", "fit_statement", "load_calibration", "load_comparables",
           "predict_upfront", "fair_total", "shipped_comparables", "values_for", "with_weight"]
