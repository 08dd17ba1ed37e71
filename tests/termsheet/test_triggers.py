"""The trigger registry: for every trigger type, the outcomes in which its event happens carry exactly the
event's probability (sum over outcomes of P(o) 1[happens in o] = P(event)), and the event times match the plan."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iitvalue.model.engine import arrays_from_plan, evaluate
from iitvalue.model.outcomes import expectation, outcome_probabilities
from iitvalue.model.plan import resolve
from iitvalue.termsheet import TermSheet, Trigger
from iitvalue.termsheet.triggers import TRIGGERS, kind_of

from conftest import base_dict


def plan_and_lines(p1: float, p2: float, lag: float):
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.5, "cost": 1.0, "probability": p1},
                   {"name": "R", "kind": "filing", "duration": 1.0, "cost": 1.0, "probability": p2}]
    d["territories"].append({"name": "EU", "launch_lag": lag, "peak_sales": 80.0, "exclusivity_years": 9.0})
    plan = resolve(TermSheet.from_dict(d))
    return plan, evaluate(arrays_from_plan(plan))


TRIGGER_CASES = [
    {"type": "phase_start", "phase": "P1"}, {"type": "phase_start", "phase": "R"},
    {"type": "phase_success", "phase": "P1"}, {"type": "phase_success", "phase": "R"},
    {"type": "filing", "territory": "EU"}, {"type": "approval", "territory": "US"},
    {"type": "sales", "threshold": 60.0}, {"type": "sales", "threshold": 60.0, "territory": "EU"},
    {"type": "sales", "threshold": 1e6}, {"type": "date", "date": dt.date(2027, 6, 1)},
]


def test_every_registered_type_is_covered():
    assert {c["type"] for c in TRIGGER_CASES} == set(TRIGGERS)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 1.0), st.floats(0.05, 1.0), st.floats(0.0, 3.0))
def test_outcomes_carry_the_event_probability(p1, p2, lag):
    plan, ln = plan_and_lines(p1, p2, lag)
    probs = outcome_probabilities(np.array([[p1, p2]]))
    for case in TRIGGER_CASES:
        t = Trigger(**case)
        kind = kind_of(t)
        _, p = kind.event(t, plan, ln)
        happens = kind.happens(t, plan, ln).astype(float)
        assert happens.shape == (1, 3)
        assert expectation(happens, probs)[0] == pytest.approx(p[0], abs=1e-15), case


def test_event_times_by_hand():
    """P1 runs [0, 1.5), review [1.5, 2.5): approval at 2.5; EU launches 1 year later, so its filing is at
    1.5 + 1; a date 2027-06-01 is 881 days after 2025-01-01."""
    plan, ln = plan_and_lines(0.5, 0.8, 1.0)
    t = {c["type"] + str(c.get("phase", c.get("territory", ""))): kind_of(Trigger(**c)).event(Trigger(**c), plan, ln)
         for c in TRIGGER_CASES}
    assert t["phase_startR"][0][0] == pytest.approx(1.5) and t["phase_startR"][1][0] == pytest.approx(0.5)
    assert t["phase_successR"][0][0] == pytest.approx(2.5) and t["phase_successR"][1][0] == pytest.approx(0.4)
    assert t["filingEU"][0][0] == pytest.approx(2.5) and t["filingEU"][1][0] == pytest.approx(0.5)
    assert t["approvalUS"][0][0] == pytest.approx(2.5)
    assert t["date"][0][0] == pytest.approx(881 / 365.25)


def test_descriptions():
    assert kind_of(Trigger(type="approval", territory="US")).describe(Trigger(type="approval", territory="US")) == \
        "approval in US"
    s = Trigger(type="sales", threshold=500.0)
    assert kind_of(s).describe(s) == "annual net sales >= 500 (worldwide)"
