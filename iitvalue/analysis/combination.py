"""The three pricing methods combined, and their honest out-of-sample error (docs/method.md 4.6, 4.7).

Methods: (a) the rNPV bargaining split (:mod:`.calibrate`, full term sheets only), (b) the comparables
regression of the log upfront and (b') of the upfront's share of headline value (:mod:`.regression`), (c) the
stage benchmark of the upfront's share (:mod:`.benchmark`).

Combination. In logs, each available method m with a positive price p_m is weighted by the inverse of its error
variance, v_m = (n_m MSE_m + n0 MSE_pool) / (n_m + n0): its mean squared leave-one-out log error over its n_m
backtest deals, shrunk towards the pooled one with n0 = :data:`N0` pseudo-deals, so that a method tested on two
deals cannot claim precision two deals cannot show. The fair upfront is exp(sum_m w_m ln p_m), w_m = (1/v_m) /
sum_k (1/v_k), and its 80 % prediction interval adds the 10 % and 90 % quantiles of the combination's own
leave-one-out log errors.

Backtest. Leave-one-out: each deal priced by every method fitted without it (method (a) by the calibration fit
without that comparable). Time-ordered: the deals in date order, each priced with only the deals announced
before it (methods (b) and (c) need :data:`iitvalue.analysis.regression.MIN_DEALS` earlier deals; the
weights from the earlier deals' time-ordered errors; the interval from the earlier combined errors once there
are :data:`MIN_INTERVAL`, before that +-1.2816 x the regression's robust scale). Reported: the median |ln(paid /
predicted)|, the share of paid upfronts inside their 80 % interval and the number of deals.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from .benchmark import benchmark_share, benchmark_upfront, contingent_of
from .regression import MIN_DEALS, features, huber, response, usable

N0 = 5.0  # pseudo-deals of shrinkage towards the pooled error variance
PRIOR_VARIANCE = 1.0  # ASSUMPTION: a log error of sd 1 (a factor of e) before any error is seen; basis: the
# dataset's upfronts span 10 to 11,900 millions, and the pre-#14 model erred by a factor of 6 (ln 6 = 1.8)
MIN_INTERVAL = 10
METHODS = ("rnpv", "regression", "share", "benchmark")
LABELS = {"rnpv": "(a) rNPV bargaining split", "regression": "(b) comparables regression",
          "share": "(b') regression of the upfront share", "benchmark": "(c) stage benchmark of the upfront share"}
# the comparables that are full term sheets (iitvalue/comparables/*.toml) and their rows in the dataset
ANCHOR_ROWS = {"esobiotec": "azn-esobiotec-2025", "legend": "janssen-legend-2017"}


def variances(errors: dict[str, list[float]]) -> dict[str, float]:
    """v_m = (n_m MSE_m + n0 MSE_pool) / (n_m + n0) for each method (module docstring); the prior variance
    where no method has an error yet.

    Examples
    --------
    >>> v = variances({"rnpv": [0.5, -0.5], "regression": [1.0] * 8, "benchmark": []})
    >>> round(v["rnpv"], 6), round(v["regression"], 6), round(v["benchmark"], 6)   # pool: 8.5 / 10 = 0.85
    (0.892857, 0.907692, 0.85)
    """
    every = [e for m in METHODS for e in errors.get(m, [])]
    pool = float(np.mean(np.square(every))) if every else PRIOR_VARIANCE
    out = {}
    for m in METHODS:
        e = errors.get(m, [])
        out[m] = (len(e) * float(np.mean(np.square(e))) + N0 * pool) / (len(e) + N0) if e else pool
    return out


def combine(prices: dict[str, float | None], var: dict[str, float]) -> tuple[float | None, dict[str, float]]:
    """The combined price exp(sum w_m ln p_m) over the methods with a positive price, and the weights.

    Examples
    --------
    >>> p, w = combine({"rnpv": 100.0, "regression": 400.0, "benchmark": None}, {"rnpv": 1.0, "regression": 1.0})
    >>> round(p, 9), w
    (200.0, {'rnpv': 0.5, 'regression': 0.5})
    """
    ok = {m: p for m, p in prices.items() if p is not None and p > 0 and np.isfinite(p)}
    if not ok:
        return None, {}
    fallback = max(var.values()) if var else PRIOR_VARIANCE  # a method without a backtest: the least precise
    inv = {m: 1.0 / var.get(m, fallback) for m in ok}
    total = sum(inv.values())
    w = {m: inv[m] / total for m in ok}
    return float(np.exp(sum(w[m] * np.log(ok[m]) for m in ok))), w


def _date(r: dict[str, Any]) -> _dt.date:
    return r["date"] if isinstance(r["date"], _dt.date) else _dt.date.fromisoformat(str(r["date"]))


def _regression_prediction(train: list[dict[str, Any]], deal: dict[str, Any]) -> tuple[float | None, float]:
    """Method (b) fitted on ``train`` without its leave-one-out loop: (price, robust scale)."""
    rows = usable(train)
    if len(rows) < MIN_DEALS:
        return None, float("nan")
    X = np.array([features(r) for r in rows])
    beta, scale = huber(X, np.log([r["upfront"] for r in rows]))
    return float(np.exp(features(deal) @ beta)), scale


def _share_prediction(train: list[dict[str, Any]], deal: dict[str, Any]) -> float | None:
    """Method (b') fitted on ``train`` (no leave-one-out loop): exp(x' gamma) x C, None without C > 0."""
    c = contingent_of(deal)
    rows = usable(train, "share")
    if c is None or c <= 0 or len(rows) < MIN_DEALS:
        return None
    gamma, _ = huber(np.array([features(r) for r in rows]), response(rows, "share"))
    return float(np.exp(features(deal) @ gamma) * c)


def _benchmark_prediction(train: list[dict[str, Any]], deal: dict[str, Any]) -> float | None:
    b = benchmark_share(train, deal)
    return None if b is None else benchmark_upfront(b[0], contingent_of(deal))


def _metrics(errors: list[float], covered: list[bool]) -> dict[str, Any]:
    return {"median_abs_log_error": float(np.median(np.abs(errors))) if errors else None,
            "coverage_80": float(np.mean(covered)) if covered else None, "n_deals": len(errors)}


def backtest(rows: list[dict[str, Any]], rnpv_loo: dict[str, float], rnpv_time: dict[str, float]) -> dict[str, Any]:
    """Leave-one-out and time-ordered backtests of the three methods and their combination (module docstring).

    Parameters
    ----------
    rows : list of dict
        The comparables dataset (:func:`iitvalue.analysis.comps.comps_rows`).
    rnpv_loo, rnpv_time : dict of str to float
        Method (a)'s upfront for a dataset deal, fitted without it (leave-one-out) and on the full term sheets
        announced before it (time-ordered), by dataset name.

    Returns
    -------
    dict
        ``backtest``'s JSON (docs/cli.md, ``calibrate``): the time-ordered figures of the combination at the top
        level (``median_abs_log_error``, ``coverage_80``, ``n_deals``), ``loo`` the same for leave-one-out,
        ``methods`` each method's, ``deals`` one record per deal, ``variances`` and ``interval`` the shipped
        combination's.
    """
    deals = sorted(usable(rows), key=_date)
    # leave-one-out
    loo: dict[str, dict[str, float]] = {}
    for i, d in enumerate(deals):
        train = deals[:i] + deals[i + 1:]
        loo[d["name"]] = {"rnpv": rnpv_loo.get(d["name"]), "regression": _regression_prediction(train, d)[0],
                          "share": _share_prediction(train, d), "benchmark": _benchmark_prediction(train, d)}
    errs = {m: [float(np.log(d["upfront"] / loo[d["name"]][m])) for d in deals
                if loo[d["name"]][m] is not None and loo[d["name"]][m] > 0] for m in METHODS}
    var = variances(errs)
    comb = {d["name"]: combine(loo[d["name"]], var) for d in deals}
    c_err = {d["name"]: float(np.log(d["upfront"] / comb[d["name"]][0])) for d in deals if comb[d["name"]][0]}
    names = list(c_err)
    values = np.array([c_err[n] for n in names])
    covered = []
    for k, n in enumerate(names):  # each deal's interval from the other deals' errors
        others = np.delete(values, k)
        covered.append(bool(np.quantile(others, 0.10) <= values[k] <= np.quantile(others, 0.90)))
    interval = (float(np.quantile(values, 0.10)), float(np.quantile(values, 0.90)))
    # time-ordered
    t_errs: dict[str, list[float]] = {m: [] for m in METHODS}
    t_comb: list[float] = []
    t_cov: list[bool] = []
    records = []
    for i, d in enumerate(deals):
        earlier = [r for r in deals[:i] if _date(r) < _date(d)]
        if len(earlier) < MIN_DEALS:
            continue
        reg, scale = _regression_prediction(earlier, d)
        prices = {"rnpv": rnpv_time.get(d["name"]), "regression": reg, "share": _share_prediction(earlier, d),
                  "benchmark": _benchmark_prediction(earlier, d)}
        p, w = combine(prices, variances(t_errs))
        if p is None:
            continue
        e = float(np.log(d["upfront"] / p))
        lo, hi = ((float(np.quantile(t_comb, 0.10)), float(np.quantile(t_comb, 0.90))) if len(t_comb) >= MIN_INTERVAL
                  else (-1.2816 * scale, 1.2816 * scale))
        t_cov.append(bool(lo <= e <= hi))
        t_comb.append(e)
        for m, pm in prices.items():
            if pm is not None and pm > 0:
                t_errs[m].append(float(np.log(d["upfront"] / pm)))
        records.append({"name": d["name"], "date": str(d["date"]), "paid": d["upfront"], "predicted": p,
                        "low": p * float(np.exp(lo)), "high": p * float(np.exp(hi)), "covered": t_cov[-1],
                        **{f"predicted_{m}": prices[m] for m in METHODS}})
    out = _metrics(t_comb, t_cov)
    out["scheme"] = "time-ordered: each deal priced with only the deals announced before it"
    out["loo"] = _metrics(list(values), covered)
    out["methods"] = [{"method": m, "label": LABELS[m], "loo": _metrics(errs[m], []),
                       "time_ordered": _metrics(t_errs[m], [])} for m in METHODS]
    out["deals"] = records
    out["loo_deals"] = [{"name": d["name"], "date": str(d["date"]), "paid": d["upfront"],
                         "predicted": comb[d["name"]][0], **{f"predicted_{m}": loo[d["name"]][m] for m in METHODS}}
                        for d in deals]
    out["variances"] = var
    out["interval"] = list(interval)
    return out


def market_model(cal) -> dict[str, Any]:
    """Methods (b) and (c) on the comparables dataset, their combination with method (a) of the fitted
    calibration ``cal`` (its leave-one-out and time-ordered predictions of the full-term-sheet comparables that
    are dataset deals, :data:`ANCHOR_ROWS`) and the backtest: ``regression``, ``combination`` and ``backtest`` of
    ``calibrate``'s JSON (docs/cli.md)."""
    from .comps import comps_rows
    from .regression import FEATURES, fit_regression

    rows = comps_rows()
    by_row = {ANCHOR_ROWS[d["name"]]: d for d in cal.deals if d["name"] in ANCHOR_ROWS}
    loo = {k: d["loo_predicted_upfront"] for k, d in by_row.items() if d.get("loo_predicted_upfront") is not None}
    time = {k: d["time_predicted_upfront"] for k, d in by_row.items() if d.get("time_predicted_upfront") is not None}
    reg = fit_regression(rows)
    share = fit_regression(rows, target="share")
    bt = backtest(rows, loo, time)
    anchors = []
    for r in rows:
        if r["name"] in by_row:
            bench = benchmark_share(rows, r)
            c = contingent_of(r)
            anchors.append({"name": r["name"], "paid": r["upfront"], "rnpv": by_row[r["name"]]["predicted_upfront"],
                            "regression": reg.predict(r)[0],
                            "share": share.predict(r)[0] * c if c and c > 0 else None,
                            "benchmark": None if bench is None else benchmark_upfront(bench[0], contingent_of(r))})
    bt["anchors_in_sample"] = anchors
    def summary(f) -> dict[str, Any]:
        return {"features": list(FEATURES), "coefficients": [float(b) for b in f.beta], "scale": f.scale,
                "interval": list(f.interval), "n_deals": len(f.names),
                "loo_median_abs_log_error": float(np.median(np.abs(f.loo_errors)))}

    return {"regression": summary(reg), "share_regression": summary(share),
            "combination": {"variances": bt.pop("variances"), "interval": bt.pop("interval"), "n0": N0},
            "backtest": bt}


def _num(x: float) -> str:
    return repr(float(x))


def market_toml(market: dict[str, Any]) -> list[str]:
    """The calibration TOML's lines for the market model (what :func:`iitvalue.analysis.pricing.price` reads)."""
    comb, bt = market["combination"], market["backtest"]
    lines = []
    for table, what in (("regression", "method (b): Huber regression of ln(upfront)"),
                        ("share_regression", "method (b'): Huber regression of ln(upfront / contingent)")):
        reg = market[table]
        lines += ["", f"[{table}]  # {what} on the features (docs/method.md 4.4)",
                  "features = [" + ", ".join(f'"{f}"' for f in reg["features"]) + "]",
                  "coefficients = [" + ", ".join(map(_num, reg["coefficients"])) + "]",
                  f"scale = {_num(reg['scale'])}",
                  f"interval = [{_num(reg['interval'][0])}, {_num(reg['interval'][1])}]", f"n_deals = {reg['n_deals']}"]
    lines += ["", "[combination]  # inverse-variance weights in logs and the 80% interval (docs/method.md 4.6)",
             "variances = {" + ", ".join(f"{m} = {_num(v)}" for m, v in comb["variances"].items()) + "}",
             f"interval = [{_num(comb['interval'][0])}, {_num(comb['interval'][1])}]", f"n0 = {_num(comb['n0'])}",
             "", "[backtest]  # time-ordered; loo_* leave-one-out (docs/method.md 4.7)",
             f"median_abs_log_error = {_num(bt['median_abs_log_error'])}", f"coverage_80 = {_num(bt['coverage_80'])}",
             f"n_deals = {bt['n_deals']}", f"loo_median_abs_log_error = {_num(bt['loo']['median_abs_log_error'])}",
             f"loo_coverage_80 = {_num(bt['loo']['coverage_80'])}", f"loo_n_deals = {bt['loo']['n_deals']}"]
    return lines


def market_prices(sheet, calib: dict[str, Any], rnpv: tuple[float, float, float] | None,
                  contingent: float | None) -> dict[str, Any]:
    """The football field of a term sheet's deal: each method's fair upfront and range, and their combination
    with its 80 % prediction interval (module docstring; docs/method.md 4.6).

    Parameters
    ----------
    sheet : TermSheet
        A sheet with a ``[deal]`` (its type, stage, modality, territory, China origin, platform and date are the
        regression's features).
    calib : dict
        A calibration (:func:`iitvalue.analysis.calibrate.load_calibration`); without ``[regression]`` or
        ``[combination]`` they are fitted on the shipped dataset.
    rnpv : (float, float, float) or None
        Method (a)'s upfront and range (millions).
    contingent : float or None
        The sheet's contingent consideration (headline - upfront, millions) for method (c); None or 0: (c) does
        not apply.

    Returns
    -------
    dict
        ``methods`` (one record per method: ``method``, ``label``, ``upfront``, ``low``, ``high``, ``weight``,
        ``basis``), ``upfront``, ``low``, ``high`` (the combination; None when no method gives a positive price)
        and ``warnings``.
    """
    from .benchmark import benchmark_group
    from .comps import comps_rows
    from .regression import FEATURES, fit_regression, sheet_record

    rows = comps_rows()
    record = sheet_record(sheet)
    reg = calib.get("regression")
    if reg and list(reg.get("features", [])) == list(FEATURES):
        beta, r_iv, r_n = np.asarray(reg["coefficients"], dtype=float), tuple(reg["interval"]), reg["n_deals"]
    else:
        f = fit_regression(rows)
        beta, r_iv, r_n = f.beta, f.interval, len(f.names)
    sreg = calib.get("share_regression")
    if sreg and list(sreg.get("features", [])) == list(FEATURES):
        gamma, s_iv, s_n = np.asarray(sreg["coefficients"], dtype=float), tuple(sreg["interval"]), sreg["n_deals"]
    else:
        f = fit_regression(rows, target="share")
        gamma, s_iv, s_n = f.beta, f.interval, len(f.names)
    comb = calib.get("combination")
    if not comb:
        bt = backtest(rows, {}, {})
        comb = {"variances": bt["variances"], "interval": bt["interval"]}
    mu = float(features(record) @ beta)
    methods = {"rnpv": None if rnpv is None else {"upfront": float(rnpv[0]), "low": float(rnpv[1]),
                                                  "high": float(rnpv[2]),
                                                  "basis": "kappa fitted on the full-term-sheet comparables"},
               "regression": {"upfront": float(np.exp(mu)), "low": float(np.exp(mu + r_iv[0])),
                              "high": float(np.exp(mu + r_iv[1])),
                              "basis": f"Huber regression on {r_n} dated comparables; 80% interval from its "
                                       "leave-one-out errors"}}
    warnings = []
    if sheet.valuation.currency != "USD":  # the dataset's upfronts are USD millions (two in EUR, within 15 %)
        methods["regression"] = None
        warnings.append(f"{LABELS['regression']} does not apply: the comparables' upfronts are USD millions and "
                        f"the sheet is in {sheet.valuation.currency}")
    if contingent and contingent > 0:
        nu = float(features(record) @ gamma)
        methods["share"] = {"upfront": float(np.exp(nu) * contingent), "low": float(np.exp(nu + s_iv[0]) * contingent),
                            "high": float(np.exp(nu + s_iv[1]) * contingent),
                            "basis": f"Huber regression of the upfront share on {s_n} dated comparables with "
                                     "milestones, times the proposed contingent consideration"}
    else:
        methods["share"] = None
    group = benchmark_group(rows, record)
    if group is not None and contingent and contingent > 0:
        q25, q50, q75 = np.quantile(group[0], [0.25, 0.5, 0.75])
        methods["benchmark"] = {"upfront": float(benchmark_upfront(q50, contingent)),
                                "low": float(benchmark_upfront(q25, contingent)),
                                "high": float(benchmark_upfront(q75, contingent)),
                                "basis": f"median upfront share {q50:.1%} of {len(group[0])} deals ({group[1]}), "
                                         "range its interquartile shares"}
    else:
        methods["benchmark"] = None
    for m, rec in methods.items():
        if rec is not None and not rec["upfront"] > 0:
            warnings.append(f"{LABELS[m]} gives a non-positive upfront ({rec['upfront']:.1f}): left out of the "
                            "combination" + (" (the proposed milestones and royalties already exceed the buyer's "
                                             "fair share of the value)" if m == "rnpv" else ""))
    if not contingent or contingent <= 0:
        warnings.append(f"{LABELS['share']} and {LABELS['benchmark']} do not apply: the deal has no contingent "
                        "consideration to scale")
    elif methods["benchmark"] is None:
        warnings.append(f"{LABELS['benchmark']} does not apply: too few comparables of its kind")
    p, w = combine({m: (rec["upfront"] if rec else None) for m, rec in methods.items()}, comb["variances"])
    out = {"methods": [{"method": m, "label": LABELS[m], **rec, "weight": w.get(m, 0.0)}
                       for m, rec in methods.items() if rec is not None],
           "upfront": p, "low": None if p is None else p * float(np.exp(comb["interval"][0])),
           "high": None if p is None else p * float(np.exp(comb["interval"][1])), "warnings": warnings}
    return out
