"""The route (issue 19, docs/method.md 6.2): the IIT route against IND-first. A zero delay and no extra cost give
no value of time; the counterfactual equals the sheet rebuilt by hand; the parts add up; bad input exits 2."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import COMPARABLES, EXAMPLES

import iitvalue
from iitvalue.analysis.route import DEFAULT_DELAY, ind_first, route
from iitvalue.cli import main

ESO = EXAMPLES / "esobiotec.toml"


@pytest.mark.parametrize("path", [ESO, COMPARABLES / "legend.toml"])
def test_zero_delay_gives_zero_value_of_time(path):
    r = route(iitvalue.load(path), delay=0.0)
    assert r["value_of_time"] == 0.0 and r["readouts_dropped"] == []
    assert r["value_of_time_licensee"] == 0.0 and r["value_of_time_licensor"] == 0.0


def test_the_counterfactual_is_the_sheet_rebuilt_by_hand():
    sheet = iitvalue.load(ESO)
    first = iitvalue.value(sheet).asset.plan.phases[0]
    by_hand = sheet.replace({"readouts": [], "phases[0].duration": first.duration + 2.0,
                             "phases[0].cost": first.cost + 15.0})
    r = route(sheet, delay=2.0, phase1_cost=15.0)
    assert r["ind_rnpv"] == pytest.approx(iitvalue.value(by_hand).summary["asset.rnpv"], rel=1e-12)
    assert r["of_which_delay"] + r["of_which_data"] == pytest.approx(r["value_of_time"], rel=1e-12)
    # the January readout is public in March on the IIT route; IND-first it would come in January 2027
    assert r["readouts_dropped"] == [sheet.readouts[0].source]


def test_a_later_plan_and_a_cost_lower_the_value():
    sheet = iitvalue.load(EXAMPLES / "interius.toml")  # no readouts: the delay and the cost alone
    base = route(sheet, delay=0.0)["ind_rnpv"]
    assert route(sheet, delay=1.0)["ind_rnpv"] < base
    costly = route(sheet, delay=0.0, phase1_cost=20.0)
    first = iitvalue.value(sheet).asset.plan.phases[0]
    assert costly["ind_rnpv"] == pytest.approx(
        iitvalue.value(sheet.replace({"phases[0].cost": first.cost + 20.0})).summary["asset.rnpv"], rel=1e-12)
    assert costly["of_which_data"] == 0.0


def test_route_command_json_and_bad_input():
    res = CliRunner().invoke(main, ["route", str(ESO), "--format", "json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)["route"]
    assert {"iit_rnpv", "ind_rnpv", "value_of_time"} <= set(r) and r["delay"] == DEFAULT_DELAY
    assert "at least two years" in r["delay_source"]
    for bad in (["--delay", "-1"], ["--delay", "nan"], ["--phase1-cost", "-5"]):
        assert CliRunner().invoke(main, ["route", str(ESO), *bad]).exit_code == 2
    with pytest.raises(iitvalue.InputError):
        ind_first(iitvalue.load(ESO).replace({"asset.stage": "approved", "phases": []}), 1.0)


def test_documented_route_figures_are_current():
    from conftest import ROOT

    r = route(iitvalue.load(ESO))
    text = " ".join((ROOT / "docs" / "method.md").read_text(encoding="utf-8").split())
    want = (f"rNPV {r['iit_rnpv']:.1f} on the IIT route against {r['ind_rnpv']:.1f} IND-first, a value of time of "
            f"{r['value_of_time']:.1f}, of which {r['of_which_delay']:.1f} is the later plan and "
            f"{r['of_which_data']:.1f} the January readout")
    assert want in text, want
    assert f"AstraZeneca's NPV at its terms is {r['value_of_time_licensee']:.1f} higher" in text
    assert f"EsoBiotec's {r['value_of_time_licensor']:.1f} higher" in text
