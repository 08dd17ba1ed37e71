"""The deal-form examples (docs/method.md 3.6): a China licence with a supply price and an option deal value,
simulate and report their new keys, and docs quote their current figures."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

import iitvalue
from iitvalue.cli import main

from conftest import EXAMPLES, ROOT

SUPPLY, OPTION = EXAMPLES / "carsgen-huadong.toml", EXAMPLES / "bluebird-celgene-option.toml"


def m(x: float) -> str:
    """A figure as docs print it: one decimal, thousands separators, a typographic minus."""
    return f"{x:,.1f}".replace("-", "\u2212")


def test_form_examples_match_docs():
    text = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    r = iitvalue.value(SUPPLY)
    s = r.deal.summary
    assert f"Asset rNPV {r.summary['asset.rnpv']:,.1f} at 10 %" in text
    assert f"CARsgen NPV {s['licensor_npv']:,.1f}, of which the supply margin is {s['pv_supply_licensor']:,.1f}" in text
    assert f"Huadong NPV {m(s['licensee_npv'])} (break-even upfront {m(s['breakeven_upfront'])})" in text
    o = iitvalue.value(OPTION).deal.summary
    assert f"(P = {o['exercise_probability']:.3f})" in text
    assert f"worth {m(o['option_value'])} to it against the 25 it paid, NPV {m(o['licensee_npv'])}" in text
    assert f"bluebird NPV {m(o['licensor_npv'])}" in text


def test_the_option_example_is_exercised_exactly_when_phase_1_succeeds():
    res = iitvalue.value(OPTION)
    s, plan = res.deal.summary, res.deal.licensee.plan
    assert s["exercise_probability"] > 0
    assert abs(s["exercise_probability"] - plan.phases[0].probability * plan.phases[1].probability) < 1e-12
    assert s["option_value"] >= 0 and abs(s["licensee_npv"] - (s["option_value"] - 25.0)) < 1e-9
    rows = res.deal.payments.set_index("category")
    assert rows.loc["option_retained", "pv_licensor"] == 0.0  # exercised wherever the event happens


def test_the_supply_example_through_every_command(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["value", str(SUPPLY), "--format", "json"])
    assert out.exit_code == 0, out.output
    deal = json.loads(out.output)["deal"]
    assert deal["pv_supply_licensor"] > 0 and "supply" in {p["category"] for p in deal["payments"]}
    assert abs(sum(p["pv_licensor"] for p in deal["payments"]) - deal["licensor_npv"]) < 1e-6
    sim = iitvalue.simulate(iitvalue.load(SUPPLY), 2000, seed=4)
    assert np.isfinite(sim.licensor).all() and sim.licensor.mean() > 0
    out = runner.invoke(main, ["export", str(SUPPLY), "-o", str(tmp_path / "s.xlsx")])
    assert out.exit_code == 0, out.output  # live formulas; LibreOffice parity in tests/excel/test_book.py


def test_every_sensitivity_metric_has_a_label():
    from iitvalue.analysis.sensitivity import METRICS, tornado_columns

    for metric in METRICS:
        assert tornado_columns(metric)
