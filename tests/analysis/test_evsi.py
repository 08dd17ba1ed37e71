"""The value of the next cohort (issue 19, docs/method.md 6.3): a cohort of 0 is worth 0, EVSI is never negative,
the predictive is a proper distribution whose one-patient case is the posterior mean ORR, the beta-binomial
agrees with scipy, and the command's JSON and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import COMPARABLES, EXAMPLES

import iitvalue
from iitvalue.analysis.evsi import beta_binomial, evsi, outcomes
from iitvalue.cli import main

ESO = EXAMPLES / "esobiotec.toml"
LEGEND = COMPARABLES / "legend.toml"


def test_beta_binomial_against_scipy():
    from scipy.stats import betabinom

    k = np.arange(8)
    assert beta_binomial(k, 7, 2.5, 0.7) == pytest.approx(betabinom.pmf(k, 7, 2.5, 0.7), rel=1e-12)


@pytest.mark.parametrize("path", [ESO, LEGEND])
def test_a_cohort_of_zero_is_worth_zero_and_evsi_is_never_negative(path):
    sheet = iitvalue.load(path)
    assert evsi(sheet, 0)["value"] == 0.0
    for n in (1, 3, 6):
        e = evsi(sheet, n)
        assert e["value"] >= 0.0
        assert sum(o["probability"] for o in e["outcomes"]) == pytest.approx(1.0, abs=1e-12)
        assert e["decide_later"] >= e["decide_now"] - 1e-12


def test_one_patient_responds_with_the_posterior_mean_orr():
    u = iitvalue.value(ESO).pos.update
    mean = u.posterior_class * u.orr_active.mean() + (1 - u.posterior_class) * u.orr_inactive.mean()
    out = {r: p for r, c, p in outcomes(u, 1, False)}
    assert out[1] == pytest.approx(mean, rel=1e-12)
    with_cr = outcomes(u, 2, True)
    assert len(with_cr) == 6 and sum(p for *_, p in with_cr) == pytest.approx(1.0, abs=1e-12)


def test_better_outcomes_raise_the_loa():
    rows = evsi(iitvalue.load(ESO), 4)["outcomes"]
    assert [o["loa"] for o in rows] == sorted(o["loa"] for o in rows)
    assert rows[0]["decision"] == "stop" and rows[-1]["decision"] == "go on"


def test_evsi_command_json_and_errors():
    res = CliRunner().invoke(main, ["evsi", str(ESO), "--cohort", "3", "--format", "json"])
    assert res.exit_code == 0, res.output
    e = json.loads(res.output)["evsi"]
    assert {"value", "outcomes"} <= set(e) and {"responders", "probability", "loa", "rnpv", "decision"} <= set(
        e["outcomes"][0])
    assert CliRunner().invoke(main, ["evsi", str(ESO), "--cohort", "-1"]).exit_code == 2
    res = CliRunner().invoke(main, ["evsi", str(EXAMPLES / "interius.toml"), "--cohort", "3"])
    assert res.exit_code == 2 and "readouts" in res.output


def test_documented_evsi_is_current():
    from conftest import ROOT

    e = evsi(iitvalue.load(ESO), 4)
    text = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    first, last = e["outcomes"][0], e["outcomes"][-1]
    want = (f"four more patients: EVSI {e['value']:.1f} (rNPV {e['rnpv_now']:.1f} now, predictive mean "
            f"{e['predictive_mean_rnpv']:.1f}); with no responder (P {100 * first['probability']:.1f} %) the LOA "
            f"falls to {100 * first['loa']:.1f} %")
    assert want in text, want
    assert f"with four (P {100 * last['probability']:.1f} %) it rises to {100 * last['loa']:.1f} %" in text
