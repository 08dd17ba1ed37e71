"""Deal terms: hand-computed milestones and royalties, the sum identity, invariants, break-evens, bad input."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iitvalue
from iitvalue.cli import main
from iitvalue.deal.streams import tiered_amount
from iitvalue.termsheet import TermSheet

from conftest import COMPARABLES, EXAMPLES, base_dict

D0 = dt.date(2025, 1, 1)


def two_phase(**deal) -> dict:
    """P1: 1 year, cost 10, p = 0.5; Review: 1 year, cost 2, p = 0.8 -> approval at t = 2, LOA = 0.4.
    One territory with 100 a year of sales from t = 2; no costs, no tax; r = 10% for everyone; end of year."""
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 10.0, "probability": 0.5},
                   {"name": "Review", "kind": "filing", "duration": 1.0, "cost": 2.0, "probability": 0.8}]
    d["deal"] = {"kind": "licence", "date": D0, "upfront": 0.0,
                 "licensor": {"name": "L", "discount_rate": 0.1}, "licensee": {"name": "B", "discount_rate": 0.1},
                 **deal}
    return d


def deal_of(d: dict):
    return iitvalue.value(TermSheet.from_dict(d)).deal


def ms(name, amount, **trigger):
    return {"name": name, "amount": amount, "category": "development", "trigger": trigger}


def test_milestones_by_hand():
    """PV to the licensor of each trigger at 10%:
    success of P1: t = 1, P = 0.5 -> 100 * 0.5 / 1.1 = 45.4545;  filing in US: t = 1, P = 0.5 -> same;
    approval in US: t = 2, P = 0.4 -> 200 * 0.4 / 1.21 = 66.1157;  start of Review = success of P1;
    annual sales >= 50: first reached in [2, 3), paid at its end t = 3, P = 0.4 -> 300 * 0.4 / 1.331 = 90.1578;
    a fixed date one year after the deal: 10 / 1.1 = 9.0909 (unconditional)."""
    d = two_phase(milestones=[
        ms("succ", 100, type="phase_success", phase="P1"),
        ms("file", 100, type="filing", territory="US"),
        ms("appr", 200, type="approval", territory="US"),
        ms("start", 100, type="phase_start", phase="Review"),
        ms("sales", 300, type="sales", threshold=50.0),
        ms("fixed", 10, type="date", date=dt.date(2026, 1, 1)),
    ])
    pay = deal_of(d).payments.set_index("name")
    assert pay.loc["succ", "pv_licensor"] == pytest.approx(100 * 0.5 / 1.1, rel=1e-12)
    assert pay.loc["file", "pv_licensor"] == pytest.approx(100 * 0.5 / 1.1, rel=1e-12)
    assert pay.loc["start", "pv_licensor"] == pytest.approx(100 * 0.5 / 1.1, rel=1e-12)
    assert pay.loc["appr", "pv_licensor"] == pytest.approx(200 * 0.4 / 1.21, rel=1e-12)
    assert pay.loc["sales", "pv_licensor"] == pytest.approx(300 * 0.4 / 1.331, rel=1e-12)
    assert pay.loc["fixed", "pv_licensor"] == pytest.approx(10 / 1.1, rel=1e-3)  # 365 days / 365.25
    assert pay.loc["appr", "probability"] == pytest.approx(0.4)
    assert pay.loc["appr", "pv_licensee"] == pytest.approx(-200 * 0.4 / 1.21, rel=1e-12)


def test_pool_spread_equal_and_by_shares():
    d = two_phase(pools=[{"name": "Reg", "amount": 90.0, "category": "regulatory",
                          "triggers": [{"type": "approval", "territory": "US"}, {"type": "phase_success", "phase": "P1"}],
                          "shares": [2 / 3, 1 / 3]}])
    pay = deal_of(d).payments
    assert list(pay["amount"][1:-1]) == pytest.approx([60.0, 30.0])  # the last row is the asset the licensee holds
    d["deal"]["pools"][0].pop("shares")
    assert list(deal_of(d).payments["amount"][1:-1]) == pytest.approx([45.0, 45.0])


def test_marginal_tiers_by_hand():
    tiers = [(0.0, 0.10), (50.0, 0.20), (150.0, 0.30)]
    assert tiered_amount(np.array([40.0, 100.0, 200.0]), tiers) == pytest.approx([4.0, 5 + 10, 5 + 20 + 15])


def test_royalties_by_hand():
    """Sales 100 a year from t = 2; tiers 10% to 50, 20% above -> 15 a year; exclusivity 1 year after launch with
    a 50% step-down -> 7.5 from t = 3; royalty term 2 years. With r = 0: 0.4 * (15 + 7.5) = 9."""
    d = two_phase(royalties=[{"territories": ["US"], "tiers": [{"above": 0, "rate": 0.1}, {"above": 50, "rate": 0.2}],
                              "step_down": 0.5, "term_years": 2.0}])
    d["territories"][0]["exclusivity_years"] = 1.0
    for party in ("licensor", "licensee"):
        d["deal"][party]["discount_rate"] = 0.0
    dv = deal_of(d)
    assert dv.summary["pv_royalties_licensor"] == pytest.approx(0.4 * (15 + 7.5), rel=1e-12)
    row = dv.payments.set_index("name").loc["Royalties"]
    assert row["amount"] == pytest.approx(22.5)


def test_profit_and_cost_share_by_hand():
    """50% of profit and 50% of costs from the deal on, no tax, r = 0:
    licensor = 0.5 * (LOA * sum of sales - (10 + 0.5 * 2)) = 0.5 * (0.4 * 800 - 11) = 154.5 (horizon 10, sales 8 years)."""
    d = two_phase(profit_shares=[{"territories": ["US"], "licensor_share": 0.5}], licensor_cost_share=0.5)
    for party in ("licensor", "licensee"):
        d["deal"][party]["discount_rate"] = 0.0
    d["valuation"]["discount_rate"] = 0.0
    dv = deal_of(d)
    assert dv.summary["pv_profit_share_licensor"] == pytest.approx(0.5 * (0.4 * 800 - 11), rel=1e-12)


@st.composite
def deals(draw):
    d = two_phase()
    d["valuation"].update(tax_rate=draw(st.floats(0, 0.4)), tax_loss_carryforward=draw(st.booleans()),
                          mid_period=draw(st.booleans()))
    d["costs"] = {"cogs_fraction": draw(st.floats(0, 0.5)), "sga_fraction": draw(st.floats(0, 0.4)),
                  "launch_cost": draw(st.floats(0, 30))}
    d["territories"].append({"name": "EU", "launch_lag": draw(st.floats(0, 2)), "peak_sales": draw(st.floats(0, 300)),
                             "exclusivity_years": draw(st.floats(0, 15)), "erosion": draw(st.floats(0, 0.5))})
    d["phases"][0]["probability"] = draw(st.floats(0.05, 1))
    deal = d["deal"]
    deal["upfront"] = draw(st.floats(0, 200))
    deal["licensor_cost_share"] = draw(st.floats(0, 1))
    deal["date"] = D0 + dt.timedelta(days=draw(st.integers(0, 500)))
    deal["milestones"] = [ms("a", draw(st.floats(0, 100)), type="phase_success", phase="P1"),
                          ms("b", draw(st.floats(0, 300)), type="approval", territory="EU"),
                          ms("c", draw(st.floats(0, 100)), type="sales", threshold=draw(st.floats(1, 400)))]
    if draw(st.booleans()):
        deal["royalties"] = [{"territories": ["US", "EU"], "tiers": [{"above": 0, "rate": draw(st.floats(0, 0.2))},
                                                                     {"above": 100, "rate": draw(st.floats(0, 0.3))}],
                              "step_down": draw(st.floats(0, 1))}]
    if draw(st.booleans()):
        deal["profit_shares"] = [{"territories": ["US"], "licensor_share": draw(st.floats(0, 1))},
                                 {"territories": ["EU"], "licensor_share": draw(st.floats(0, 1))}]
    rate = draw(st.floats(0.0, 0.25))
    d["valuation"]["discount_rate"] = rate
    deal["licensor"]["discount_rate"] = rate
    deal["licensee"]["discount_rate"] = rate
    return d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_sum_identity_at_common_rate_and_beliefs(d):
    res = iitvalue.value(TermSheet.from_dict(d))
    s = res.deal.summary
    assert s["licensor_npv"] + s["licensee_npv"] == pytest.approx(res.summary["asset.rnpv"], rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_milestone_pv_never_exceeds_amount(d):
    pay = iitvalue.value(TermSheet.from_dict(d)).deal.payments
    ms_rows = pay[pay["category"].isin(["development", "regulatory", "sales", "manufacturing", "upfront"])]
    assert (ms_rows["pv_licensor"] <= ms_rows["amount"] + 1e-9).all()
    assert (-ms_rows["pv_licensee"] <= ms_rows["amount"] + 1e-9).all()


def test_moving_a_payment_earlier_raises_its_pv():
    late = deal_of(two_phase(milestones=[ms("x", 100, type="date", date=dt.date(2028, 1, 1))]))
    early = deal_of(two_phase(milestones=[ms("x", 100, type="date", date=dt.date(2026, 1, 1))]))
    assert early.payments.loc[1, "pv_licensor"] > late.payments.loc[1, "pv_licensor"]
    assert early.summary["licensor_npv"] > late.summary["licensor_npv"]


@pytest.mark.parametrize("rate", [0.12, 0.20])
def test_higher_seller_rate_lowers_its_value_of_contingent_payments(rate):
    d = two_phase(milestones=[ms("a", 100, type="approval", territory="US")],
                  royalties=[{"territories": ["US"], "tiers": [{"above": 0, "rate": 0.1}]}])
    base = deal_of(d).summary
    d["deal"]["licensor"]["discount_rate"] = rate
    hi = deal_of(d).summary
    assert hi["pv_milestones_licensor"] < base["pv_milestones_licensor"]
    assert hi["pv_royalties_licensor"] < base["pv_royalties_licensor"]
    assert hi["licensee_npv"] == pytest.approx(base["licensee_npv"])  # the buyer's view is unchanged


def test_breakevens_and_irr(tmp_path):
    sheet = iitvalue.load(EXAMPLES / "esobiotec.toml")
    dv = iitvalue.value(sheet).deal
    s = dv.summary
    at_be = iitvalue.value(sheet.replace({"deal.upfront": s["breakeven_upfront"]})).deal.summary
    assert at_be["licensee_npv"] == pytest.approx(0.0, abs=1e-6)
    # break-even LOA: value the licensee with its probabilities spread to that LOA
    from iitvalue.deal.value import PartyView, party_npvs
    from iitvalue.valuation import plan_at_loa as _plan_at_loa

    res = iitvalue.value(sheet)
    plan = _plan_at_loa(res.pos.prior_plan, s["breakeven_loa"])
    v = PartyView.of("B", sheet.deal.licensee.discount_rate, plan)
    assert party_npvs(sheet.deal, dv.licensor, v)["licensee_npv"] == pytest.approx(0.0, abs=1e-5)
    # the IRR is the licensee rate at which its NPV is zero
    at_irr = iitvalue.value(sheet.replace({"deal.licensee.discount_rate": s["licensee_irr"]})).deal.summary
    assert at_irr["licensee_npv"] == pytest.approx(0.0, abs=1e-6)


def test_party_beliefs_differ():
    sheet = iitvalue.load(EXAMPLES / "esobiotec.toml")
    sceptic = sheet.replace({"deal.licensee.iit_weight": 0.1})
    s = iitvalue.value(sceptic).deal.summary
    assert s["licensee_loa"] < s["licensor_loa"]
    assert s["licensor_loa"] == pytest.approx(iitvalue.value(sheet).deal.summary["licensor_loa"])


def test_example_figures_match_docs():
    """The figures quoted in docs/method.md section 3.6."""
    eso = iitvalue.value(iitvalue.load(EXAMPLES / "esobiotec.toml")).deal.summary
    assert eso["licensee_npv"] == pytest.approx(-196.6, abs=0.05)
    assert eso["licensor_npv"] == pytest.approx(475.4, abs=0.05)
    assert eso["breakeven_upfront"] == pytest.approx(225.4, abs=0.05)
    assert eso["breakeven_loa"] == pytest.approx(0.2629, abs=5e-5)
    assert eso["headline_value"] == 1000.0
    leg = iitvalue.value(iitvalue.load(COMPARABLES / "legend.toml")).deal.summary
    assert leg["licensee_npv"] == pytest.approx(-31.6, abs=0.05)
    assert leg["licensor_npv"] == pytest.approx(1164.8, abs=0.05)
    assert leg["breakeven_upfront"] == pytest.approx(318.4, abs=0.05)
    assert leg["pv_profit_share_licensor"] == pytest.approx(422.0, abs=0.05)
    assert leg["headline_value"] == 1700.0


def test_json_keys_and_table():
    out = CliRunner().invoke(main, ["value", str(COMPARABLES / "legend.toml"), "--format", "json"])
    d = json.loads(out.output)["deal"]
    for k in ("upfront", "headline_value", "licensor_npv", "licensee_npv", "licensor_share", "breakeven_upfront"):
        assert k in d
    for k in ("name", "trigger", "amount", "probability", "time", "pv_licensor", "pv_licensee"):
        assert k in d["payments"][0]
    table = CliRunner().invoke(main, ["value", str(COMPARABLES / "legend.toml")]).output
    assert "Payments" in table and "licensee NPV" in table


# ---- bad input ----------------------------------------------------------------------------------------------------
BAD = [
    (lambda d: d["deal"].update(milestones=[ms("x", 1, type="phase_start", phase="P9")]), "no phase named 'P9'"),
    (lambda d: d["deal"].update(milestones=[ms("x", 1, type="approval", territory="EU")]), "no territory named 'EU'"),
    (lambda d: d["deal"].update(milestones=[ms("x", 1, type="approval")]), "needs 'territory'"),
    (lambda d: d["deal"].update(milestones=[ms("x", -1, type="approval", territory="US")]), "milestones[0].amount"),
    (lambda d: d["deal"].update(upfront=-5.0), "deal.upfront"),
    (lambda d: d["deal"].update(milestones=[ms("x", 1, type="date", date=dt.date(2024, 1, 1))]), "before the deal date"),
    (lambda d: d["deal"].update(royalties=[{"territories": ["US"], "tiers": [{"above": 0, "rate": 0.1},
                                                                             {"above": 0, "rate": 0.2}]}]), "increasing order"),
    (lambda d: d["deal"].update(royalties=[{"territories": ["US"], "tiers": [{"above": 0, "rate": 0.1},
                                                                             {"above": 100, "rate": 0.2},
                                                                             {"above": 50, "rate": 0.3}]}]), "without overlap"),
    (lambda d: d["deal"].update(royalties=[{"territories": ["US"], "tiers": [{"above": 10, "rate": 0.1}]}]), "start at 0"),
    (lambda d: d["deal"].update(profit_shares=[{"territories": ["US"], "licensor_share": 1.5}]), "licensor_share"),
    (lambda d: d["deal"].update(licensor_cost_share=-0.1), "licensor_cost_share"),
    (lambda d: d["deal"].update(pools=[{"name": "p", "amount": 1, "category": "sales",
                                        "triggers": [{"type": "sales", "threshold": 5}], "shares": [0.5]}]), "sum to 1"),
]


@pytest.mark.parametrize("mutate,fragment", BAD)
def test_bad_deal_input(mutate, fragment, tmp_path):
    d = two_phase()
    mutate(d["deal"] and d)
    with pytest.raises(iitvalue.InputError) as exc:
        TermSheet.from_dict(d)
    assert fragment in str(exc.value)


def test_bad_deal_input_on_the_command_line(tmp_path):
    text = (COMPARABLES / "legend.toml").read_text().replace('phase = "Phase 1b (US)" }', 'phase = "Phase 1 (US)" }')
    f = tmp_path / "legend.toml"
    f.write_text(text)
    out = CliRunner().invoke(main, ["value", str(f)])
    assert out.exit_code == 2 and "no phase named 'Phase 1 (US)'" in out.output and "did you mean" in out.output
    assert "line " in out.output and "Traceback" not in out.output


def test_milestone_after_the_horizon_or_before_signing_pays_nothing():
    d = two_phase(milestones=[ms("late", 100, type="approval", territory="US"),
                              ms("early", 100, type="phase_start", phase="P1")])
    d["territories"][0]["launch_lag"] = 9.5  # launch at 11.5 years, horizon 10
    dv = deal_of(d)
    pay = dv.payments.set_index("name")
    assert pay.loc["late", "pv_licensor"] == 0.0 and any("after the horizon" in n for n in dv.notes)
    d = two_phase(milestones=[ms("early", 100, type="phase_start", phase="Review")])
    d["deal"]["date"] = dt.date(2026, 6, 1)  # Review starts 2026-01-01, before signing
    dv = deal_of(d)
    assert dv.payments.set_index("name").loc["early", "pv_licensor"] == 0.0
    assert any("before the deal is signed" in n for n in dv.notes)


def test_sum_identity_quarterly_with_phase_cost_shares():
    d = two_phase(milestones=[ms("s", 50, type="sales", threshold=80.0)],
                  profit_shares=[{"territories": ["US"], "licensor_share": 0.3}],
                  cost_shares=[{"phases": ["Review"], "licensor_share": 1.0}], licensor_cost_share=0.2,
                  royalties=[{"territories": ["US"], "tiers": [{"above": 0, "rate": 0.05}]}])
    d["valuation"].update(period="quarterly", mid_period=True, tax_rate=0.25)
    res = iitvalue.value(TermSheet.from_dict(d))
    s = res.deal.summary
    assert s["licensor_npv"] + s["licensee_npv"] == pytest.approx(res.summary["asset.rnpv"], rel=1e-10)
    # sales of 100 a year from t = 2: the model year [2, 3) first reaches 80, paid at t = 3
    assert res.deal.payments.set_index("name").loc["s", "time"] == pytest.approx(3.0)


def test_phase_cost_share_by_hand():
    """Licensor pays all of P1 (10) and none of Review (2); no sales, r = 0: licensor NPV = -10."""
    d = two_phase(cost_shares=[{"phases": ["P1"], "licensor_share": 1.0}])
    d["territories"][0]["peak_sales"] = 0.0
    for party in ("licensor", "licensee"):
        d["deal"][party]["discount_rate"] = 0.0
    assert deal_of(d).summary["licensor_npv"] == pytest.approx(-10.0)
