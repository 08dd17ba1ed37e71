"""Several indications: the follow-on's plan against the joint probabilities, per-indication sales triggers and
lost sales under a shared plant, inherited territory fields, and the Monte Carlo's inherited launch curve
(docs/method.md 5)."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

import iitvalue
from iitvalue import montecarlo as mc
from iitvalue.termsheet import TermSheet

from model.test_joint import two_indications


def with_readout(d: dict, responders: int, weight: float = 0.5) -> dict:
    d = copy.deepcopy(d)
    d["indications"][0]["readouts"] = [{"date": "2024-06-01", "source": "x", "design": "iit", "n": 20,
                                        "responders": responders, "weight": weight}]
    return d


def test_the_follow_on_plan_is_its_probability_of_approval_given_that_it_starts():
    """A good readout raises the follow-on's LOA (its plan is spread to P(approved | it starts)); negligible
    evidence leaves it at its benchmark 0.4."""
    for r, w in ((16, 0.5), (2, 0.5), (10, 1e-9)):
        res = iitvalue.value(TermSheet.from_dict(with_readout(two_indications(), r, w)))
        plan = res.asset.joint.plans[1]
        row = res.asset.indications[1]
        assert np.prod([p.probability for p in plan.phases]) == pytest.approx(row["loa"], rel=1e-9)
        if w < 1e-6:
            assert row["loa"] == pytest.approx(0.4, abs=1e-6)
    good = iitvalue.value(TermSheet.from_dict(with_readout(two_indications(), 16))).asset.indications[1]["loa"]
    bad = iitvalue.value(TermSheet.from_dict(with_readout(two_indications(), 2))).asset.indications[1]["loa"]
    assert good > 0.4 > bad


def plant(d: dict, patients: float) -> dict:
    d = copy.deepcopy(d)
    for ind in d["indications"]:
        for t in ind["territories"]:
            if "share_of_lead" not in t:
                t["net_price"] = 0.1
    d["capacity"] = {"patients_per_year": patients}
    return d


def test_a_sales_milestone_of_one_indication_sees_the_plant():
    """The lead's US sales are 100 a year (1,000 patients); a plant of 500 patients caps them at 50: a
    milestone at 80 of the lead's sales is never paid, with or without naming the indication."""
    d = plant(two_indications(), 500.0)
    d["deal"] = {"kind": "licence", "date": "2025-01-01", "upfront": 0.0,
                 "licensor": {"name": "L", "discount_rate": 0.1}, "licensee": {"name": "E", "discount_rate": 0.1},
                 "milestones": [{"name": "A 80", "amount": 10.0, "category": "sales",
                                 "trigger": {"type": "sales", "threshold": 80.0, "indication": "A"}},
                                {"name": "A 40", "amount": 10.0, "category": "sales",
                                 "trigger": {"type": "sales", "threshold": 40.0, "indication": "A"}}]}
    rows = {r["name"]: r for r in iitvalue.value(TermSheet.from_dict(d)).deal.payment_rows}
    assert rows["A 80"]["probability"] == 0.0
    assert rows["A 40"]["probability"] == pytest.approx(0.5, rel=1e-12)  # A is approved with P 0.5


def test_lost_sales_count_only_the_plant_territories():
    """A follow-on that never sells leaves the lead alone: the same lost sales as the one-indication sheet,
    with a territory the plant does not supply."""
    d = plant(two_indications(), 500.0)
    d["indications"][0]["territories"].append({"name": "EU", "peak_sales": 30.0, "ramp": [1.0],
                                               "exclusivity_years": 100.0, "capacity_limited": False})
    d["indications"][1]["territories"] = [{"name": "US", "share_of_lead": 1e-9}]
    joint = iitvalue.value(TermSheet.from_dict(d)).asset
    lead = copy.deepcopy(d)
    lead["indications"] = lead["indications"][:1]
    alone = iitvalue.value(TermSheet.from_dict(lead)).asset
    assert joint.summary["capacity_lost_sales"] == pytest.approx(alone.summary["capacity_lost_sales"], rel=1e-6)
    cols = [c for c in joint.table if c.startswith("revenue_indication_")]
    assert np.allclose(sum(joint.table[c] for c in cols), joint.table["revenue"], rtol=1e-12, atol=1e-9)


def test_follow_on_territories_replace_the_lead_fields_they_exclude():
    d = two_indications()
    fo = d["indications"][1]["territories"][0]
    fo.update(exclusivity_end=dt.date(2030, 1, 1), ramp=[0.5, 1.0])
    d["indications"][0]["territories"][0].update(years_to_peak=3.0, ramp="linear")
    TermSheet.from_dict(d)  # exclusivity_end replaces the lead's exclusivity_years, the list its years_to_peak
    d["indications"][1]["territories"][0]["peak_sales"] = 300.0
    with pytest.raises(iitvalue.InputError, match=r"indications\[1\]\.territories\[0\]\.peak_sales.*share_of_lead"):
        TermSheet.from_dict(d)


def test_a_drawn_lead_launch_curve_reaches_the_follow_on():
    d = two_indications(r=0.08)
    d["valuation"]["horizon_years"] = 10
    d["indications"][0]["territories"][0].update(ramp="linear", years_to_peak=4.0)
    d["uncertainty"] = [{"path": "territories[0].years_to_peak", "dist": "discrete", "values": [2.0]}]
    s = TermSheet.from_dict(d)
    sim = mc.simulate(s, 500, seed=1)
    want = iitvalue.value(s.replace({"territories[0].years_to_peak": 2.0}).replace(uncertainty=[]))
    assert sim.conditional[0] == pytest.approx(want.asset.summary["rnpv"], rel=1e-10)
