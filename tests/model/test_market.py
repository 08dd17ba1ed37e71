"""Competition (order-of-entry share against rivals) and a manufacturing-capacity ceiling, by hand
(docs/method.md 1, Competition; Capacity)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import iitvalue
from iitvalue.model import reference
from iitvalue.model.engine import arrays_from_plan, capacity_factor, entry_share, evaluate
from iitvalue.model.plan import resolve
from iitvalue.termsheet import TermSheet

from conftest import base_dict

V = dt.date(2025, 1, 1)  # base_dict's valuation date


def _on(years: float) -> dt.date:
    return V + dt.timedelta(days=round(years * 365.25))


def lines(d: dict):
    plan = resolve(TermSheet.from_dict(d))
    return plan, evaluate(arrays_from_plan(plan))


def test_entry_share_by_hand():
    """The asset launches at 2.0; rival A (strength 1) at 1.0, rival B (strength 2) at 3.0; exponent 0.5.
    Orders: A 1, asset 2, B 3, so the attractions are 1, 2^-0.5 = 0.70711 and 2 x 3^-0.5 = 1.15470. At
    t = 0.5 nothing else is on the market: share 1; at 1.5 A is: 0.70711 / 1.70711 = 0.41421; from 3.5 both
    are: 0.70711 / (0.70711 + 1 + 1.15470) = 0.247084."""
    got = entry_share(np.array([[2.0]]), np.array([[1.0, 3.0]]), np.array([[1.0, 2.0]]), np.array([0.5]),
                      np.array([0.5, 1.5, 2.5, 3.5]))[0, 0]
    own = 2 ** -0.5
    want = [1.0, own / (own + 1), own / (own + 1), own / (own + 1 + 2 * 3 ** -0.5)]
    assert got == pytest.approx(want, rel=1e-14)
    assert want[1] == pytest.approx(0.41421356, rel=1e-7) and want[3] == pytest.approx(0.247084, abs=1e-6)


def test_a_pioneer_keeps_its_order_when_rivals_follow():
    """Asset first (launch 0): it keeps order 1 (attraction 1); a follower at 2.0 with strength 1 is order 2,
    attraction 2^-0.49 = 0.71202: the asset's share falls from 1 to 1 / 1.71202 = 0.58411 (Urban et al.'s 0.71
    for the second entrant)."""
    got = entry_share(np.array([[0.0]]), np.array([[2.0]]), np.array([[1.0]]), np.array([0.49]),
                      np.array([1.5, 2.5]))[0, 0]
    assert got == pytest.approx([1.0, 1 / (1 + 2 ** -0.49)], rel=1e-14)
    assert got[1] == pytest.approx(0.58411, abs=1e-5)


def test_rivals_set_the_sales_in_the_engine_and_the_oracle():
    """base_dict: 100 a year from t = 0 (an approved asset, ramp [1.0]). A rival with strength 1 launched a year
    before the valuation date and a second at 4.2 years: the asset is order 2 (attraction 2^-0.49); sales are
    100 x 0.71202 / 1.71202 = 41.589 in years 1-4, then 100 x 0.71202 / (0.71202 + 1 + 3^-0.49) from the
    period whose midpoint 4.5 is past 4.2 (year 5)."""
    d = base_dict()
    d["territories"][0]["rivals"] = [{"name": "first", "launch": _on(-1.0)}, {"name": "third", "launch": _on(4.2)}]
    plan, ln = lines(d)
    own = 2 ** -0.49
    two, three = 100 * own / (own + 1), 100 * own / (own + 1 + 3 ** -0.49)
    assert ln.revenue[0] == pytest.approx([two] * 4 + [three] * 6, rel=1e-12)
    assert two == pytest.approx(41.589, abs=1e-3)
    assert reference.rnpv(plan)["rnpv"] == pytest.approx(ln.rnpv[0], rel=1e-13)


def test_no_rivals_and_no_ceiling_leave_the_sales_unchanged():
    """The new fields at their defaults are the old model: the same lines to the last bit."""
    d = base_dict(phases=[{"name": "P", "kind": "filing", "duration": 1.3, "cost": 5.0, "probability": 0.9}])
    d["asset"]["stage"] = "filed"
    d["territories"][0].update(ramp="benchmark", years_to_peak=4.0)
    _, a = lines(d)
    d["territories"][0]["rivals"] = []
    _, b = lines(d)
    assert a.entry_share is None and a.capacity_factor is None
    np.testing.assert_array_equal(a.fcf, b.fcf)


def test_capacity_ceiling_by_hand():
    """Sales 100 a year at a net price of 0.1 are 1,000 patients a year. A plant of 400 patients a year at half
    scale in its first year treats 200 then 400: K = 0.2, then 0.4; sales 20, then 40 a year. Per-patient COGS
    of 0.01 follow the patients treated (2 then 4)."""
    d = base_dict()
    d["territories"][0].update(net_price=0.1, cogs_per_patient=0.01)
    d["capacity"] = {"patients_per_year": 400.0, "ramp": [0.5]}
    plan, ln = lines(d)
    assert ln.capacity_factor[0] == pytest.approx([0.2] + [0.4] * 9, rel=1e-14)
    assert ln.revenue[0] == pytest.approx([20.0] + [40.0] * 9, rel=1e-14)
    assert ln.cogs[0] == pytest.approx([2.0] + [4.0] * 9, rel=1e-14)
    assert reference.rnpv(plan)["rnpv"] == pytest.approx(ln.rnpv[0], rel=1e-13)
    res = iitvalue.value(TermSheet.from_dict(d))
    assert res.asset.summary["capacity_lost_sales"] == pytest.approx(1000 - 380, rel=1e-12)
    assert res.asset.summary["capacity_binding_years"] == 10
    assert res.asset.table["capacity_factor"][0] == pytest.approx(0.2)


def test_capacity_ramps_from_the_first_launch_across_territories():
    """Two territories (the second launching a year later) share the plant: the ceiling's ramp starts at the
    first launch, and K applies to both. Year 1: demand 1,000 patients (US only), slots 300 -> K 0.3; year 2:
    demand 2,000 (both), slots 600 -> K 0.3; year 3 on: 1,000 slots -> K 0.5."""
    d = base_dict()
    d["territories"][0]["net_price"] = 0.1
    d["territories"].append({"name": "EU", "peak_sales": 50.0, "net_price": 0.05, "ramp": [1.0],
                             "launch_lag": 1.0, "exclusivity_years": 100.0})
    d["capacity"] = {"patients_per_year": 1000.0, "ramp": [0.3, 0.6]}
    _, ln = lines(d)
    assert ln.capacity_factor[0] == pytest.approx([0.3, 0.3] + [0.5] * 8, rel=1e-14)
    assert ln.revenue_by_territory[0, 1] == pytest.approx([0.0, 15.0] + [25.0] * 8, rel=1e-14)


def test_capacity_factor_function_partial_first_period():
    """A launch in mid-period gets the ceiling for the part of the period after it: launch at 0.5, a ceiling of
    100 a year at full scale from the start: 50 slots in [0, 1)."""
    k = capacity_factor(np.array([[100.0, 100.0]]), np.array([100.0]), np.array([1.0]), np.array([0.5]),
                        np.array([0.0, 1.0]), 1.0)
    assert k[0] == pytest.approx([0.5, 1.0])


def test_capacity_needs_every_net_price():
    d = base_dict()
    d["capacity"] = {"patients_per_year": 400.0}
    with pytest.raises(iitvalue.InputError, match=r"territories\[0\]\.net_price.*capacity"):
        TermSheet.from_dict(d)


def test_bad_rival_input_is_located():
    d = base_dict()
    d["territories"][0]["rivals"] = [{"name": "x", "launch": "2026-01-01", "strength": 0.0},
                                     {"name": "x", "launch": "2027-01-01"}]
    with pytest.raises(iitvalue.InputError) as e:
        TermSheet.from_dict(d)
    text = str(e.value)
    assert "territories[0].rivals[0].strength" in text


def test_a_territory_supplied_elsewhere_is_not_capped_and_not_counted():
    """US (1,000 patients a year of demand) is supplied by the plant of 400 a year, EU (50 a year, 500 patients
    at 0.1) by another: K = 0.4 on the US only; the EU's patients do not count against the ceiling, and the
    plant's ramp starts at the first launch among its own territories (the EU launching first changes nothing)."""
    d = base_dict()
    d["territories"][0].update(net_price=0.1, launch_lag=1.0)
    d["territories"].append({"name": "EU", "peak_sales": 50.0, "net_price": 0.1, "ramp": [1.0],
                             "exclusivity_years": 100.0, "capacity_limited": False})
    d["capacity"] = {"patients_per_year": 400.0}
    plan, ln = lines(d)
    assert ln.capacity_factor[0] == pytest.approx([1.0] + [0.4] * 9, rel=1e-14)
    assert ln.revenue_by_territory[0, 0] == pytest.approx([0.0] + [40.0] * 9, rel=1e-14)
    assert ln.revenue_by_territory[0, 1] == pytest.approx([50.0] * 10, rel=1e-14)
    assert reference.rnpv(plan)["rnpv"] == pytest.approx(ln.rnpv[0], rel=1e-13)
    d["territories"][1].pop("net_price")  # not needed for a territory the plant does not supply
    TermSheet.from_dict(d)
