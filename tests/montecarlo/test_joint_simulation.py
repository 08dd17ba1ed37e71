"""The Monte Carlo of several indications (docs/method.md 5): path frequencies of the joint outcomes against
their probabilities, conditional means equal to the deterministic values, a path's value against the valuation
of its drawn inputs, and the same numbers for any chunk."""

from __future__ import annotations

import numpy as np
import pytest

import iitvalue
from iitvalue import montecarlo as mc
from iitvalue.termsheet import TermSheet

from model.test_joint import multi_sheets, two_indications  # noqa: F401  (shared builders)


def sheet(**extra) -> TermSheet:
    d = two_indications(r=0.08)
    d["indications"][0]["phases"].insert(0, {"name": "A1", "kind": "phase2", "duration": 1.0, "cost": 5.0,
                                             "probability": 0.6})
    d["asset"]["stage"] = "phase2"
    d["indications"][1]["start"] = {"after": "A", "event": "phase_success", "phase": "A1", "lag": 0.5}
    d["valuation"]["horizon_years"] = 10
    d["deal"] = {"kind": "licence", "date": d["valuation"]["date"], "upfront": 20.0,
                 "licensor": {"name": "L", "discount_rate": 0.15},
                 "licensee": {"name": "E", "discount_rate": 0.09, "iit_weight": 0.8},
                 "milestones": [{"name": "B", "amount": 40.0, "category": "regulatory",
                                 "trigger": {"type": "approval", "territory": "US", "indication": "B"}}],
                 "royalties": [{"territories": ["US"], "tiers": [{"above": 0.0, "rate": 0.1}]}]}
    d["indications"][0]["readouts"] = [{"date": "2024-10-01", "source": "IIT", "design": "iit", "n": 6, "responders": 5}]
    d.update(extra)
    return TermSheet.from_dict(d)


def test_outcome_frequencies_and_conditional_means():
    s = sheet()
    res = iitvalue.value(s)
    sim = mc.simulate(s, 200_000, seed=3)
    jl = res.asset.joint
    p = jl.probabilities[0]
    # the lead's outcome shares (each within 5 standard errors)
    for o in range(3):
        want = p[jl.states[:, 0] == o].sum()
        got = np.mean(sim.outcome == o)
        assert abs(got - want) < 5 * np.sqrt(want * (1 - want) / sim.n) + 1e-12
    summ = sim.summary()
    assert summ["mc.mean_conditional"] == pytest.approx(res.asset.summary["rnpv"], rel=1e-12)
    assert abs(summ["mc.mean"] - res.asset.summary["rnpv"]) < 5 * summ["mc.std_error"]
    for role in ("licensor", "licensee"):  # the licensee weighs the IIT at 0.8: its own probabilities
        assert summ[f"mc.{role}.mean_conditional"] == pytest.approx(res.deal.summary[f"{role}_npv"], rel=1e-10)
    # paths follow the valuation's beliefs: the licensor (no own weight) averages to its NPV
    assert abs(summ["mc.licensor.mean"] - res.deal.summary["licensor_npv"]) < 5 * summ["mc.licensor.std_error"]


def test_drawn_inputs_value_each_path_and_chunks_do_not_matter():
    s = sheet(uncertainty=[{"path": "territories[0].peak_sales", "dist": "uniform", "low": 50.0, "high": 150.0},
                           {"path": "phases[0].duration", "dist": "uniform", "low": 0.5, "high": 1.5}])
    a = mc.simulate(s, 3000, seed=7, keep_draws=True)
    b = mc.simulate(s, 3000, seed=7, chunk=5000)
    assert np.array_equal(a.asset, b.asset) and np.array_equal(a.licensee, b.licensee)
    # path 0: its conditional expectation is the valuation of the sheet with its drawn inputs
    changes = {"territories[0].peak_sales": float(a.draws["territories[0].peak_sales"][0]),
               "phases[0].duration": float(a.draws["phases[0].duration"][0])}
    want = iitvalue.value(s.replace(changes).replace(uncertainty=[])).asset.summary["rnpv"]
    assert a.conditional[0] == pytest.approx(want, rel=1e-10)


def test_drawn_probabilities_are_refused():
    s = sheet(uncertainty=[{"path": "phases[0].probability", "dist": "uniform", "low": 0.4, "high": 0.8}])
    with pytest.raises(iitvalue.InputError, match="shared-class"):
        mc.simulate(s, 100, seed=1)
