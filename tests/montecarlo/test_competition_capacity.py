"""The Monte Carlo with rivals and a capacity ceiling (docs/method.md 1, Competition; Capacity): the fast engine
folds the order-of-entry share into its unit lines; a ceiling (non-linear in the drawn peak) sends every path to
the general engine, whose conditional expectation is the deterministic rNPV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import iitvalue
from iitvalue import montecarlo as mc
from iitvalue.model import reference
from iitvalue.montecarlo.draws import path_probabilities
from iitvalue.montecarlo.setup import prepare
from iitvalue.termsheet import TermSheet


def market(esobiotec_path, capacity: bool) -> TermSheet:
    d = iitvalue.load(esobiotec_path).replace(deal=None).to_dict()
    d["territories"][0]["rivals"] = [{"name": "rival", "launch": dt.date(2029, 6, 30), "strength": 1.5}]
    d["territories"][1]["rivals"] = [{"name": "early", "launch": dt.date(2024, 1, 1)}]
    if capacity:
        for t in d["territories"]:
            t.setdefault("net_price", 0.25)
        d["capacity"] = {"patients_per_year": 1200.0, "ramp": [0.2, 0.5]}
    return TermSheet.from_dict(d)


def test_fast_engine_with_rivals_equals_the_general_engine(esobiotec_path):
    s = market(esobiotec_path, capacity=False)
    fast = mc.simulate(s, 4000, seed=3, engine="fast")
    gen = mc.simulate(s, 4000, seed=3, engine="general")
    assert np.array_equal(fast.outcome, gen.outcome)
    assert np.allclose(fast.asset, gen.asset, rtol=1e-11, atol=1e-8)
    # the rivals changed the values (the comparison is not of an unchanged model)
    plain = mc.simulate(s.replace(territories=[t.model_copy(update={"rivals": []}) for t in s.territories]),
                        4000, seed=3, engine="fast")
    assert not np.allclose(plain.asset, fast.asset)


def test_capacity_goes_to_the_general_engine_and_matches_the_oracle(esobiotec_path):
    s = market(esobiotec_path, capacity=True)
    with pytest.raises(iitvalue.InputError, match="fast engine"):
        mc.simulate(s, 100, seed=1, engine="fast")
    sim = mc.simulate(s, 3000, seed=4, keep_draws=True)  # auto: the general engine
    setup = prepare(s)
    draws = {k: v[:1] for k, v in sim.draws.items()}
    probs = path_probabilities(setup, draws, 1)[0]
    changes = {u.path: float(draws[u.path][0]) for u in setup.entries}
    plan = iitvalue.model.plan.resolve(s.replace(changes)).with_phases(list(probs))
    assert plan.capacity is not None
    assert reference.rnpv(plan)["rnpv"] == pytest.approx(sim.conditional[0], rel=1e-10)
    nothing = s.replace(uncertainty=[], correlation=None, scenarios=[])
    det = iitvalue.value(nothing)
    assert np.allclose(mc.simulate(nothing, 2000, seed=2).conditional, det.asset.summary["rnpv"], rtol=1e-12)
