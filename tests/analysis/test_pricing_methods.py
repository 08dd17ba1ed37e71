"""The pricing methods of issue 14 (docs/method.md 4.4-4.7): the robust regression (hand cases, recovery of known
coefficients on synthetic deals, leave-one-out by an independent refit), the stage benchmark, the combination,
backtests that cannot see the future, the shipped fit and the documented figures current, and the football
field of `iitvalue price`."""

from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

import iitvalue
from iitvalue.analysis import calibrate as C
from iitvalue.analysis.benchmark import benchmark_share, benchmark_upfront, contingent_of
from iitvalue.analysis.combination import backtest, combine, market_model, variances
from iitvalue.analysis.comps import comps_rows
from iitvalue.analysis.regression import FEATURES, features, fit_regression, huber, usable
from iitvalue.cli import main

ESO = EXAMPLES / "esobiotec.toml"


@pytest.fixture(scope="module")
def market():
    return market_model(C.fit(C.load_comparables(C.shipped_comparables())))


def test_huber_is_least_squares_inside_c_and_resists_an_outlier():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 10, 40)
    X = np.c_[np.ones_like(x), x]
    y = 1.0 + 0.5 * x + rng.normal(0, 0.05, x.size)
    b, s = huber(X, y)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert b == pytest.approx(ols, abs=0.02)  # small residuals: (nearly) every weight is 1
    y[-1] += 50.0  # one wild deal
    b_out, _ = huber(X, y)
    ols_out = np.linalg.lstsq(X, y, rcond=None)[0]
    assert abs(b_out[1] - 0.5) < 0.02 < abs(ols_out[1] - 0.5)


def test_regression_recovers_known_coefficients_on_synthetic_deals():
    """The dataset's own features, a known beta, ln(upfront) = x'beta + N(0, 0.05) noise: the fit recovers beta."""
    rows = usable(comps_rows())
    truth = np.array([4.0, 1.5, 0.8, -0.3, 0.4, 0.2, 0.6, 0.9, -0.4, 0.5, 0.3, 0.05])
    assert truth.size == len(FEATURES)
    rng = np.random.default_rng(14)
    synthetic = [{**r, "upfront": float(np.exp(features(r) @ truth + rng.normal(0, 0.05)))} for r in rows]
    fit = fit_regression(synthetic)
    assert fit.beta == pytest.approx(truth, abs=0.12)
    assert fit.scale == pytest.approx(0.05, rel=0.5)


def test_leave_one_out_errors_are_refits_without_the_deal():
    rows = usable(comps_rows())
    fit = fit_regression(rows)
    k = 7
    X = np.array([features(r) for r in rows])
    y = np.log([r["upfront"] for r in rows])
    b, _ = huber(np.delete(X, k, 0), np.delete(y, k))
    assert fit.loo_errors[k] == pytest.approx(y[k] - X[k] @ b, abs=1e-12)
    assert fit.interval == pytest.approx(tuple(np.quantile(fit.loo_errors, [0.10, 0.90])))
    assert len(fit.names) == len(rows) == 65  # every comparable with a disclosed upfront enters the regression


def test_benchmark_groups_and_fallback():
    rows = [{"type": "licence", "stage": s, "upfront": u, "headline_total": 100.0}
            for s, u in (("phase2", 10), ("phase2", 20), ("phase2", 30), ("phase1", 50))]
    assert benchmark_share(rows, {"type": "licence", "stage": "phase2"}) == (0.2, 3, "licence, phase2")
    assert benchmark_share(rows, {"type": "licence", "stage": "phase3"}) == (0.25, 4, "licence, all stages")
    assert benchmark_share(rows, {"type": "acquisition", "stage": "phase2"}) is None
    assert benchmark_upfront(0.2, 400.0) == pytest.approx(100.0)  # 100 / (100 + 400) = 0.2
    assert benchmark_upfront(0.2, 0.0) is None and contingent_of({"upfront": 5.0, "headline_total": None}) is None


def test_combination_weights_and_exclusions():
    p, w = combine({"rnpv": 100.0, "regression": 1000.0, "benchmark": -5.0}, {"rnpv": 1.0, "regression": 3.0,
                                                                            "benchmark": 1.0})
    assert w == pytest.approx({"rnpv": 0.75, "regression": 0.25})
    assert p == pytest.approx(np.exp(0.75 * np.log(100) + 0.25 * np.log(1000)))
    assert combine({"rnpv": None, "regression": 0.0}, {"rnpv": 1.0, "regression": 1.0}) == (None, {})
    v = variances({"rnpv": [], "regression": [], "benchmark": []})
    assert set(v.values()) == {1.0}  # the stated prior before any error is seen


def test_time_ordered_backtest_never_sees_a_later_deal():
    rows = comps_rows()
    base = backtest(rows, {}, {})
    last = max(usable(rows), key=lambda r: r["date"])
    changed = [{**r, "upfront": r["upfront"] * 10.0} if r["name"] == last["name"] else r for r in rows]
    moved = backtest(changed, {}, {})
    before = {d["name"]: d["predicted"] for d in base["deals"] if d["name"] != last["name"]}
    after = {d["name"]: d["predicted"] for d in moved["deals"] if d["name"] != last["name"]}
    assert before == after  # no earlier prediction moved
    loo = {d["name"]: d for d in base["loo_deals"]}
    loo_moved = {d["name"]: d for d in moved["loo_deals"]}
    assert loo[last["name"]]["predicted_regression"] == pytest.approx(loo_moved[last["name"]]["predicted_regression"])


def test_shipped_market_model_is_current(market):
    data = tomllib.loads((ROOT / "iitvalue" / "data" / "calibration.toml").read_text())
    assert data["regression"]["features"] == list(FEATURES)
    assert data["regression"]["coefficients"] == pytest.approx(market["regression"]["coefficients"], rel=1e-9)
    assert data["combination"]["interval"] == pytest.approx(market["combination"]["interval"], rel=1e-9)
    assert data["combination"]["variances"] == pytest.approx(market["combination"]["variances"], rel=1e-9)
    for k in ("median_abs_log_error", "coverage_80", "n_deals"):
        assert data["backtest"][k] == pytest.approx(market["backtest"][k], rel=1e-9), k


def test_documented_backtest_and_coefficients_are_current(market):
    """docs/method.md 4.4 and 4.7 print what `iitvalue calibrate` computes now."""
    text = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    bt, reg = market["backtest"], market["regression"]
    sentence = (f"time-ordered, the combination's median |ln(paid / predicted)| is {bt['median_abs_log_error']:.3f} "
                f"(a factor of {np.exp(bt['median_abs_log_error']):.2f}) over {bt['n_deals']} deals, with "
                f"{100 * bt['coverage_80']:.1f} % of the paid upfronts inside their 80 % interval; leave-one-out "
                f"{bt['loo']['median_abs_log_error']:.3f} (a factor of {np.exp(bt['loo']['median_abs_log_error']):.2f}) "
                f"over {bt['loo']['n_deals']} deals, {100 * bt['loo']['coverage_80']:.1f} % inside.")
    assert sentence in text, sentence
    m = {x["method"]: x for x in bt["methods"]}
    for tag, k in (("(b)", "regression"), ("(b′)", "share"), ("(c)", "benchmark")):
        part = (f"{tag} {m[k]['loo']['median_abs_log_error']:.3f} over {m[k]['loo']['n_deals']} and "
                f"{m[k]['time_ordered']['median_abs_log_error']:.3f} over {m[k]['time_ordered']['n_deals']}")
        assert part in text, part
    coef = dict(zip(reg["features"], reg["coefficients"]))
    assert f"acquisition {coef['acquisition']:.3f}" in text and f"platform {coef['platform']:.3f}" in text
    assert f"robust scale {reg['scale']:.3f}" in text
    v, iv = market["combination"]["variances"], market["combination"]["interval"]
    assert (f"(a) {v['rnpv']:.3f}, (b) {v['regression']:.3f}, (b′) {v['share']:.3f}, (c) {v['benchmark']:.3f}; "
            f"interval −{-iv[0]:.3f} to +{iv[1]:.3f}") in text
    share = dict(zip(market["share_regression"]["features"], market["share_regression"]["coefficients"]))
    assert f"acquisition {share['acquisition']:.3f}, IIT {share['iit']:.3f}" in text


@pytest.mark.parametrize("name, label", [("esobiotec", "EsoBiotec–AstraZeneca (2025-03)"),
                                         ("legend", "Legend–Janssen (2017-12)")])
def test_documented_football_fields_are_current(name, label):
    path = ESO if name == "esobiotec" else ROOT / "iitvalue" / "comparables" / "legend.toml"
    p = iitvalue.price(iitvalue.load(path))
    by = {m["method"]: m["upfront"] for m in p["methods"]}
    row = (f"| {label} | {by['rnpv']:,.1f} | {by['regression']:,.1f} | {by['share']:,.1f} | {by['benchmark']:,.1f} | "
           f"{p['upfront']:,.1f} ({p['low']:,.1f}–{p['high']:,.1f}) |")
    text = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    assert row in text, row


def test_price_football_field_json_and_text():
    res = CliRunner().invoke(main, ["price", str(ESO), "--format", "json"])
    assert res.exit_code == 0, res.output
    p = json.loads(res.output)["price"]
    assert p["low"] < p["upfront"] < p["high"] and p["proposed_upfront"] == 425.0
    assert [m["method"] for m in p["methods"]] == ["rnpv", "regression", "share", "benchmark"]
    assert sum(m["weight"] for m in p["methods"]) == pytest.approx(1.0)
    logs = sum(m["weight"] * np.log(m["upfront"]) for m in p["methods"])
    assert p["upfront"] == pytest.approx(np.exp(logs), rel=1e-12)
    text = CliRunner().invoke(main, ["price", str(ESO)]).output
    assert "Football field" in text and re.search(r"combination\s+\[.*P.*\]", text)


def test_a_non_positive_method_is_left_out_with_a_warning(tmp_path):
    """Milestones worth more to the buyer than its fair share: method (a) prices the upfront below zero."""
    sheet = iitvalue.load(ESO)
    d = sheet.to_dict()
    for pool in d["deal"].get("pools", []):
        pool["amount"] *= 40
    for ms in d["deal"].get("milestones", []):
        ms["amount"] *= 40
    p = iitvalue.price(iitvalue.TermSheet.from_dict(d))
    assert p["rnpv_upfront"] < 0
    assert any("non-positive upfront" in w for w in p["warnings"])
    assert {m["method"]: m["weight"] for m in p["methods"]}["rnpv"] == 0.0 and p["upfront"] > 0


def test_other_currencies_skip_the_usd_regression():
    p = iitvalue.price(iitvalue.load(EXAMPLES / "carsgen-huadong.toml"))
    assert "regression" not in [m["method"] for m in p["methods"]]
    assert any("USD" in w for w in p["warnings"])


def test_calibrate_json_backtest_keys_and_plot(tmp_path):
    res = CliRunner().invoke(main, ["calibrate", "--format", "json", "--plot", str(tmp_path / "b.png")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output[res.output.index("{"):])["calibration"]
    for k in ("median_abs_log_error", "coverage_80", "n_deals"):
        assert k in doc["backtest"] and k in doc["backtest"]["loo"]
    assert doc["backtest"]["n_deals"] >= 40 and 0 < doc["backtest"]["coverage_80"] <= 1
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = CliRunner().invoke(main, ["calibrate", "--plot", str(tmp_path / "b.png")])
    assert again.exit_code == 2  # never overwrite without --force


def test_bad_regression_table_in_a_calibration_file(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[params]\nkappa = 0.5\nweight = 0.5\n\n[regression]\nfeatures = [\"intercept\"]\n"
                 "coefficients = [1.0, 2.0]\ninterval = [0.5, -0.5]\n")
    res = CliRunner().invoke(main, ["price", str(ESO), "--calibration", str(f)])
    assert res.exit_code == 2 and "regression.coefficients" in res.output and "regression.interval" in res.output
