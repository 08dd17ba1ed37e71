"""Tornado, scenarios and two-way grids: hand-computed swings and the default swing rules."""

from __future__ import annotations

import copy

import pytest

import iitvalue
from iitvalue.analysis import sensitivity as sens
from iitvalue.termsheet import TermSheet

from conftest import base_dict


def sheet_of(d: dict) -> TermSheet:
    return TermSheet.from_dict(copy.deepcopy(d))


# ---- sensitivity and scenarios --------------------------------------------------------------------------------
def test_tornado_ranking_by_hand():
    """Approved asset, 100 a year for 10 years at 10 %, end of year: rNPV = 100 (1 - 1.1^-10)/0.1 = 614.4567.
    peak 50..150: 307.2284 .. 921.6851 (swing 614.46); cogs 0..0.5: 614.4567 .. 307.2284 (swing 307.23);
    rate 9 %..11 %: 641.7658 .. 588.9232 (swing 52.84)."""
    d = base_dict(uncertainty=[
        {"path": "valuation.discount_rate", "low": 0.09, "high": 0.11},
        {"path": "costs.cogs_fraction", "swing": [0.0, 0.5]},
        {"path": "territories[0].peak_sales", "low": 50.0, "high": 150.0},
    ])
    rows = sens.tornado(sheet_of(d))
    assert [r["path"] for r in rows] == ["territories[0].peak_sales", "costs.cogs_fraction", "valuation.discount_rate"]
    assert rows[0]["asset.rnpv_low"] == pytest.approx(307.2284, abs=1e-4)
    assert rows[0]["asset.rnpv_high"] == pytest.approx(921.6851, abs=1e-4)
    assert rows[1]["swing"] == pytest.approx(307.2284, abs=1e-4)
    assert rows[2]["asset.rnpv_low"] == pytest.approx(641.7658, abs=1e-4)
    assert rows[2]["asset.rnpv_high"] == pytest.approx(588.9232, abs=1e-4)


def test_tornado_default_swings():
    """No swing given: P10/P90 of the distribution (uniform 50..150 -> 60, 140) or the base -/+20 % (100 -> 80, 120)."""
    d = base_dict(uncertainty=[{"path": "territories[0].peak_sales", "dist": "uniform", "low": 50.0, "high": 150.0},
                               {"path": "costs.sga_fraction"}])
    s = sheet_of(d)
    lo, hi, _ = sens.swing_of(s, s.uncertainty[0])
    assert (lo, hi) == pytest.approx((60.0, 140.0))
    d["costs"]["sga_fraction"] = 0.25
    s = sheet_of(d)
    assert sens.swing_of(s, s.uncertainty[1])[:2] == pytest.approx((0.2, 0.3))


def test_scenarios_and_grid(esobiotec_path):
    s = iitvalue.load(esobiotec_path)
    rows = sens.scenarios(s)
    assert [r["name"] for r in rows] == ["base", "bear", "bull"]
    assert rows[0]["asset.rnpv"] == pytest.approx(iitvalue.value(s).asset.summary["rnpv"], rel=1e-12)
    assert rows[1]["asset.rnpv"] < rows[0]["asset.rnpv"] < rows[2]["asset.rnpv"]
    g = sens.grid(s, "pos.iit_weight", [0.25, 1.0], "territories[0].treated_share", [0.05, 0.09])
    assert g["values"][1][0] < rows[0]["asset.rnpv"] < g["values"][1][1]  # weight 0.5 lies between 0.25 and 1
    assert g["values"][0][0] < g["values"][1][0]


