"""The deal kernel: per-outcome values by hand, and the identity that ties ``value`` to the Monte Carlo.

``value`` reports each party's expectation of the kernel's per-outcome values; the Monte Carlo reads the value of
each path's outcome from the same arrays. Given the drawn inputs (here: none are drawn), the Monte Carlo's
conditional party means must therefore equal ``value``'s party NPVs on any deal.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iitvalue
from iitvalue.deal.kernel import deal_outcomes
from iitvalue.model.engine import arrays_from_plan, evaluate
from iitvalue.model.outcomes import expectation, outcome_probabilities
from iitvalue.model.plan import resolve
from iitvalue.termsheet import TermSheet

from conftest import base_dict

D0 = dt.date(2025, 1, 1)


def three_phase(**deal) -> dict:
    """P1 (1 y, cost 10, p 0.5), P2 (2 y, cost 20, p 0.6), Review (1 y, cost 2, p 0.8): LOA 0.24, approval at 4."""
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 10.0, "probability": 0.5},
                   {"name": "P2", "kind": "phase2", "duration": 2.0, "cost": 20.0, "probability": 0.6},
                   {"name": "Review", "kind": "filing", "duration": 1.0, "cost": 2.0, "probability": 0.8}]
    d["deal"] = {"kind": "licence", "date": D0, "upfront": 0.0,
                 "licensor": {"name": "L", "discount_rate": 0.1}, "licensee": {"name": "B", "discount_rate": 0.1},
                 **deal}
    return d


def kernel_of(d: dict, rate: float):
    sheet = TermSheet.from_dict(d)
    plan = resolve(sheet)
    ln = evaluate(arrays_from_plan(plan))
    return sheet, plan, deal_outcomes(sheet.deal, plan, ln, rate)


def test_per_outcome_values_by_hand():
    """r = 0, so PVs are amounts. Outcomes: fail in P1 (0), fail in P2 (1), fail in review (2), approved (3).
    Upfront 5: every outcome. Success of P1 (100): outcomes 1-3. Approval in US (200): outcome 3 only.
    Licensor cost share 50% of P2's cost (20) through a [[deal.cost_shares]] entry, 0 elsewhere: -10 in outcomes
    1-3, 0 in outcome 0. Licensor total: [5, 95, 95, 295]; with P = [0.5, 0.2, 0.06, 0.24] the expectation is
    2.5 + 19 + 5.7 + 70.8 = 98.0."""
    d = three_phase(upfront=5.0, milestones=[
        {"name": "s1", "amount": 100.0, "category": "development", "trigger": {"type": "phase_success", "phase": "P1"}},
        {"name": "ap", "amount": 200.0, "category": "regulatory", "trigger": {"type": "approval", "territory": "US"}}],
        cost_shares=[{"phases": ["P2"], "licensor_share": 0.5}])
    sheet, plan, out = kernel_of(d, 0.0)
    assert out.licensor[0] == pytest.approx([5.0, 95.0, 95.0, 295.0], abs=1e-12)
    probs = outcome_probabilities(np.array([[0.5, 0.6, 0.8]]))
    assert probs[0] == pytest.approx([0.5, 0.2, 0.06, 0.24])
    assert expectation(out.licensor, probs)[0] == pytest.approx(98.0, abs=1e-12)
    d["deal"]["licensor"]["discount_rate"] = 0.0
    d["deal"]["licensee"]["discount_rate"] = 0.0
    assert iitvalue.value(TermSheet.from_dict(d)).deal.summary["licensor_npv"] == pytest.approx(98.0, abs=1e-12)


def test_payments_outside_signing_and_horizon_pay_in_no_outcome():
    """Signing one year in: the start of P1 (t = 0) is before it and pays nothing in any outcome; an approval
    pushed past the 10-year horizon (launch lag 7, approval at 4) pays nothing either; the licensor bears P1's
    R&D before signing (10 in every outcome, a row of its own)."""
    d = three_phase(date=dt.date(2026, 1, 1), milestones=[
        {"name": "early", "amount": 50.0, "category": "development", "trigger": {"type": "phase_start", "phase": "P1"}},
        {"name": "late", "amount": 80.0, "category": "regulatory", "trigger": {"type": "approval", "territory": "US"}}])
    d["territories"][0]["launch_lag"] = 7.0
    _, _, out = kernel_of(d, 0.0)
    comp = {c.name: c for c in out.components}
    assert not comp["early"].paid.any() and not comp["late"].paid.any()
    before = 365 / 365.25  # the share of P1's year before signing (2026-01-01 is 365 days in)
    assert comp["Licensor's R&D before signing"].pv[0] == pytest.approx([-10.0 * before] * 4, abs=1e-12)
    rows = iitvalue.value(TermSheet.from_dict(d)).deal.payments.set_index("name")
    # end-of-year discounting at the licensor's 10%: P1's cost is paid in period 0, discounted at t = 1
    assert rows.loc["Licensor's R&D before signing", "pv_licensor"] == pytest.approx(-10.0 * before / 1.1, rel=1e-12)
    assert rows.loc["early", "pv_licensor"] == 0.0 and rows.loc["late", "pv_licensor"] == 0.0


def ms(name, amount, trigger):
    return {"name": name, "amount": amount, "category": "development", "trigger": trigger}


@st.composite
def deals(draw):
    """Random deals using every trigger type, pools, per-phase cost shares, royalties, profit shares, a signing
    date up to two years after the valuation date (so some milestones fall before it), long launch lags (so
    some fall after the horizon), each party at its own rate."""
    d = three_phase()
    d["valuation"].update(tax_rate=draw(st.floats(0, 0.4)), tax_loss_carryforward=draw(st.booleans()),
                          mid_period=draw(st.booleans()), discount_rate=draw(st.floats(0.0, 0.2)))
    d["costs"] = {"cogs_fraction": draw(st.floats(0, 0.5)), "sga_fraction": draw(st.floats(0, 0.4)),
                  "launch_cost": draw(st.floats(0, 30))}
    d["territories"][0]["launch_lag"] = draw(st.floats(0, 3))
    d["territories"].append({"name": "EU", "launch_lag": draw(st.floats(0, 8)), "peak_sales": draw(st.floats(0, 300)),
                             "exclusivity_years": draw(st.floats(0, 15)), "erosion": draw(st.floats(0, 0.5))})
    for j in range(3):
        d["phases"][j]["probability"] = draw(st.floats(0.05, 1))
    deal = d["deal"]
    deal["upfront"] = draw(st.floats(0, 200))
    deal["licensor_cost_share"] = draw(st.floats(0, 1))
    deal["date"] = D0 + dt.timedelta(days=draw(st.integers(0, 730)))
    deal["closing"] = deal["date"] + dt.timedelta(days=draw(st.integers(0, 120)))
    triggers = [{"type": "phase_start", "phase": draw(st.sampled_from(["P1", "P2", "Review"]))},
                {"type": "phase_success", "phase": draw(st.sampled_from(["P1", "P2", "Review"]))},
                {"type": "filing", "territory": draw(st.sampled_from(["US", "EU"]))},
                {"type": "approval", "territory": draw(st.sampled_from(["US", "EU"]))},
                {"type": "sales", "threshold": draw(st.floats(1, 400)), **({"territory": "EU"} if draw(st.booleans()) else {})},
                {"type": "date", "date": deal["date"] + dt.timedelta(days=draw(st.integers(0, 4000)))}]
    deal["milestones"] = [ms(f"m{i}", draw(st.floats(0, 150)), t) for i, t in enumerate(triggers)]
    if draw(st.booleans()):
        deal["pools"] = [{"name": "pool", "amount": draw(st.floats(0, 300)), "category": "regulatory",
                          "triggers": [{"type": "approval", "territory": "US"}, {"type": "phase_success", "phase": "P2"}]}]
    if draw(st.booleans()):
        deal["cost_shares"] = [{"phases": [draw(st.sampled_from(["P1", "P2", "Review"]))],
                                "licensor_share": draw(st.floats(0, 1))}]
    if draw(st.booleans()):
        deal["royalties"] = [{"territories": ["US", "EU"], "tiers": [{"above": 0, "rate": draw(st.floats(0, 0.2))},
                                                                     {"above": 100, "rate": draw(st.floats(0, 0.3))}],
                              "step_down": draw(st.floats(0, 1)),
                              **({"term_years": draw(st.floats(0.5, 10))} if draw(st.booleans()) else {})}]
    if draw(st.booleans()):
        deal["profit_shares"] = [{"territories": ["US"], "licensor_share": draw(st.floats(0, 1))},
                                 {"territories": ["EU"], "licensor_share": draw(st.floats(0, 1))}]
    deal["licensor"]["discount_rate"] = draw(st.floats(0.0, 0.25))
    deal["licensee"]["discount_rate"] = draw(st.floats(0.0, 0.25))
    # the deal forms of docs/method.md 3.2: expiry dates, deferred tranches, an acquired company's net cash
    for m in deal["milestones"]:
        if draw(st.booleans()):
            m["expires"] = deal["date"] + dt.timedelta(days=draw(st.integers(0, 4000)))
    if draw(st.booleans()):
        deal["tranches"] = [{"amount": draw(st.floats(0, 100)),
                             "date": deal["date"] + dt.timedelta(days=draw(st.integers(0, 3000)))}]
    if draw(st.booleans()):
        deal["kind"] = "acquisition"
        deal["net_cash"] = draw(st.floats(-100, 200))
    if draw(st.booleans()):
        deal["equity"] = {"amount": draw(st.floats(0, 200)), "premium": draw(st.floats(0, 1))}
    deal["payment_tax"] = draw(st.sampled_from(["pre-tax", "deductible", "amortised"]))
    deal["amortisation_years"] = draw(st.integers(1, 20))
    if draw(st.booleans()):  # the licensor makes the product for a territory (docs/method.md 3.3)
        deal["supply"] = [{"territories": [draw(st.sampled_from(["US", "EU"]))], "transfer_price": draw(st.floats(0, 0.6)),
                           **({"cogs_fraction": draw(st.floats(0, 0.4))} if draw(st.booleans()) else {})}]
    if draw(st.booleans()):
        deal["sublicence"] = [{"territories": ["EU"], "licensor_share": draw(st.floats(0, 1)),
                               "royalty": draw(st.floats(0, 0.3)),
                               "payments": [{"name": "s", "amount": draw(st.floats(0, 100)), "trigger": triggers[3]}]}]
    if "net_cash" not in deal and draw(st.booleans()):  # an option on the licence (docs/method.md 3.7)
        deal["option"] = {"fee": draw(st.floats(0, 50)), "exercise_fee": draw(st.floats(0, 300)),
                          "exercise": draw(st.sampled_from(triggers[:4]))}
    return d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_monte_carlo_party_means_given_the_inputs_equal_value(d):
    """mc.licensor.mean_conditional = deal.licensor_npv and mc.licensee.mean_conditional = deal.licensee_npv
    to 1e-9, and the asset's conditional mean equals asset.rnpv."""
    sheet = TermSheet.from_dict(d)
    res = iitvalue.value(sheet)
    s = iitvalue.simulate(sheet, n_paths=64, seed=1).summary()
    scale = 1.0 + abs(res.deal.summary["licensor_npv"]) + abs(res.deal.summary["licensee_npv"])
    assert s["mc.licensor.mean_conditional"] == pytest.approx(res.deal.summary["licensor_npv"], abs=1e-9 * scale)
    assert s["mc.licensee.mean_conditional"] == pytest.approx(res.deal.summary["licensee_npv"], abs=1e-9 * scale)
    assert s["mc.mean_conditional"] == pytest.approx(res.summary["asset.rnpv"], abs=1e-9 * (1 + abs(res.summary["asset.rnpv"])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals().filter(lambda d: "option" in d["deal"]))
def test_an_option_is_never_worth_less_than_zero_and_its_rule_is_never_beaten(d):
    """The licensee's option is worth max(0, E[G]) >= 0 to it, and its decision gives it at least as much as
    always exercising and as never exercising (each forced through the kernel's ``exercise``), in its own view."""
    sheet = TermSheet.from_dict(d)
    res = iitvalue.value(sheet)
    s, lee = res.deal.summary, res.deal.licensee
    assert s["option_value"] >= 0.0
    probs = lee.outcome_probabilities
    npv = {x: float(expectation(lee.outcomes(sheet.deal, exercise=np.array([x])).licensee, probs)[0])
           for x in (True, False)}
    assert s["licensee_npv"] >= max(npv.values()) - 1e-9 * (1 + abs(s["licensee_npv"]))
    assert s["licensee_npv"] == pytest.approx(npv[s["exercise_probability"] > 0], abs=1e-9 * (1 + abs(s["licensee_npv"])))
    assert npv[True] - npv[False] == pytest.approx(float(expectation(lee.outcomes(sheet.deal).option_gain, probs)[0]),
                                                   abs=1e-9 * (1 + abs(npv[True])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_payment_rows_sum_to_the_licensor_npv_and_parties_to_the_asset(d):
    """The payments table lists every component and the asset the licensee holds, so its licensor PVs sum to
    licensor_npv and its licensee PVs to licensee_npv (tranches, expiring milestones, net cash included); at one
    common rate
    licensor + licensee = asset rNPV (Villiger & Bogdan 2009)."""
    rate = d["deal"]["licensor"]["discount_rate"]
    d["deal"]["licensee"]["discount_rate"] = rate
    d["valuation"]["discount_rate"] = rate
    res = iitvalue.value(TermSheet.from_dict(d))
    s, pay = res.deal.summary, res.deal.payments
    assert pay["pv_licensor"].sum() == pytest.approx(s["licensor_npv"], abs=1e-9 * (1 + abs(s["licensor_npv"])))
    assert pay["pv_licensee"].sum() == pytest.approx(s["licensee_npv"], abs=1e-9 * (1 + abs(s["licensee_npv"])))
    assert s["licensor_gain"] + s["licensee_gain"] == pytest.approx(
        s["licensor_npv"] + s["licensee_npv"] - s["asset_rnpv_licensor_view"], abs=1e-9 * (1 + abs(s["licensor_npv"])))
    if d["deal"]["payment_tax"] != "amortised":  # amortising defers the licensee's deduction: not a zero-sum transfer
        assert s["licensor_npv"] + s["licensee_npv"] == pytest.approx(res.summary["asset.rnpv"], rel=1e-9, abs=1e-9)
