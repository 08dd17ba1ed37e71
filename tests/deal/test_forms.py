"""Deal forms (docs/method.md 3.2, 3.5): an acquired company's net cash, deferred tranches, milestones that expire,
each side's gain over its reservation value — computed by hand on the three-phase asset of test_kernel (P1 1 y
p 0.5, P2 2 y p 0.6, Review 1 y p 0.8: approval at t = 4, LOA 0.24), both parties at the same rate."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

import iitvalue
from iitvalue.cli import main
from iitvalue.termsheet import TermSheet
from iitvalue.units import year_fraction

from conftest import base_dict
from test_kernel import D0, ms, three_phase

R = 0.1


def value(**deal):
    d = three_phase(**deal)
    d["valuation"]["discount_rate"] = R
    return iitvalue.value(TermSheet.from_dict(d))


def test_net_cash_of_an_acquired_company_by_hand():
    """Upfront 300 and net cash 50 at t = 0: the sellers get 300 - 50 = 250, the buyer the asset + 50 - 300."""
    base = value(kind="acquisition", upfront=300.0)
    res = value(kind="acquisition", upfront=300.0, net_cash=50.0)
    s, asset = res.deal.summary, res.summary["asset.rnpv"]
    assert s["licensor_npv"] == pytest.approx(250.0, rel=1e-12)
    assert s["licensee_npv"] == pytest.approx(asset - 300.0 + 50.0, rel=1e-12)
    assert s["licensee_npv"] == pytest.approx(base.deal.summary["licensee_npv"] + 50.0, rel=1e-12)
    assert s["net_consideration"] == 250.0 and s["structure"] == "shares" and s["net_cash"] == 50.0
    assert s["pv_net_cash_licensor"] == pytest.approx(-50.0) and s["pv_net_cash_licensee"] == pytest.approx(-50.0)
    # the break-even upfront moves by the net cash (closing at t = 0): the buyer can pay 50 more
    assert s["breakeven_upfront"] == pytest.approx(base.deal.summary["breakeven_upfront"] + 50.0, rel=1e-12)
    row = res.deal.payments.set_index("category").loc["net_cash"]
    assert row["amount"] == -50.0 and row["pv_licensor"] == pytest.approx(-50.0) and row["pv_licensee"] == pytest.approx(50.0)
    # net debt works the other way
    debt = value(kind="acquisition", upfront=300.0, net_cash=-40.0).deal.summary
    assert debt["licensor_npv"] == pytest.approx(340.0) and debt["net_consideration"] == 340.0


def test_equity_investment_at_a_premium_by_hand():
    """150 for shares at a 25 % premium buys shares worth 120: the 30 premium is consideration (both sides, at
    closing, t = 0), the 120 an investment at fair value; it counts with the upfront, not in the headline."""
    base = value(upfront=10.0).deal.summary
    s = value(upfront=10.0, equity={"amount": 150.0, "premium": 0.25}).deal.summary
    assert s["equity_premium_value"] == pytest.approx(30.0) and s["equity_amount"] == 150.0
    assert s["licensor_npv"] - base["licensor_npv"] == pytest.approx(30.0, rel=1e-12)
    assert s["licensee_npv"] - base["licensee_npv"] == pytest.approx(-30.0, rel=1e-12)
    assert s["pv_equity_premium_licensee"] == pytest.approx(30.0) and s["headline_value"] == base["headline_value"]
    assert s["risk_adjusted_value"] - base["risk_adjusted_value"] == pytest.approx(30.0)
    # the break-even upfront falls by the premium: the buyer has paid it already
    assert s["breakeven_upfront"] == pytest.approx(base["breakeven_upfront"] - 30.0, rel=1e-12)


def test_tranche_is_paid_in_every_outcome_by_hand():
    """A tranche of 100 on 2027-01-01 is paid whatever happens: PV 100 (1.1)^-t for both sides, P = 1; it counts
    in the headline and with the upfront (pv_upfront), not in the contingent milestones."""
    day = dt.date(2027, 1, 1)
    t = year_fraction(D0, day)
    res = value(upfront=10.0, tranches=[{"amount": 100.0, "date": day}])
    s = res.deal.summary
    assert s["pv_tranches_licensor"] == pytest.approx(100.0 * 1.1 ** -t, rel=1e-12)
    assert s["licensor_npv"] == pytest.approx(10.0 + 100.0 * 1.1 ** -t, rel=1e-12)
    assert s["tranches_total"] == 100.0 and s["headline_value"] == 110.0 and s["milestones_total"] == 0.0
    assert s["net_consideration"] == 110.0 and s["pv_milestones_licensee"] == 0.0
    row = res.deal.payments.set_index("category").loc["tranche"]
    assert row["probability"] == pytest.approx(1.0, abs=1e-12) and row["time"] == pytest.approx(t)


def test_a_milestone_pays_only_if_its_trigger_happens_before_it_expires():
    """Approval (t = 4, 2029-01-01, P 0.24) pays 100 x 0.24 x 1.1^-4 if the milestone expires after it and nothing
    if it expires before; a pool's expiry applies to each of its payments."""
    trig = {"type": "approval", "territory": "US"}
    late = value(milestones=[{**ms("a", 100.0, trig), "expires": dt.date(2029, 6, 30)}]).deal.summary
    early = value(milestones=[{**ms("a", 100.0, trig), "expires": dt.date(2028, 6, 30)}])
    never = value(milestones=[ms("a", 100.0, trig)]).deal.summary
    assert late["licensor_npv"] == pytest.approx(never["licensor_npv"], rel=1e-12)
    assert never["licensor_npv"] == pytest.approx(100.0 * 0.24 * 1.1 ** -4, rel=1e-9)
    assert early.deal.summary["licensor_npv"] == 0.0
    assert any("after it expires (2028-06-30)" in n for n in early.deal.notes)
    pool = {"name": "p", "amount": 100.0, "category": "development", "expires": dt.date(2026, 6, 30),
            "triggers": [{"type": "phase_success", "phase": "P1"}, {"type": "phase_success", "phase": "P2"}]}
    s = value(pools=[pool]).deal.summary  # P1 succeeds at t = 1 (paid, P 0.5), P2 at t = 3 (after the expiry)
    assert s["licensor_npv"] == pytest.approx(50.0 * 0.5 * 1.1 ** -1, rel=1e-12)  # phase times are in years


def test_gains_over_reservation_values_and_the_share_of_the_gains():
    """The licensor's reservation value is its stand-alone rNPV; the licensee's is 0. A low upfront leaves the
    licensor worse off than alone (share null, a note); a middle one makes both gain."""
    asset = value().summary["asset.rnpv"]
    lo = value(upfront=0.0).deal
    assert lo.summary["licensor_gain"] == pytest.approx(-asset) and lo.summary["licensor_share"] is None
    assert any("does not gain" in n for n in lo.notes)
    high = value(upfront=2 * asset).deal.summary  # the licensee pays more than the asset is worth
    assert high["licensee_gain"] < 0 and high["licensor_share"] is None
    # with different rates both can gain: the seller discounts at 25 %, the buyer at 10 %
    d = three_phase(upfront=0.0)
    d["deal"]["licensor"]["discount_rate"] = 0.25
    seller_alone = iitvalue.value(TermSheet.from_dict(d)).deal.summary["asset_rnpv_licensor_view"]
    d["deal"]["upfront"] = max(seller_alone, 0.0) + 1.0
    s = iitvalue.value(TermSheet.from_dict(d)).deal.summary
    assert s["licensee_gain"] > 0 and s["licensor_gain"] > 0
    g = s["licensor_gain"]
    assert g == pytest.approx(s["licensor_npv"] - seller_alone)
    assert s["licensor_share"] == pytest.approx(g / (g + s["licensee_gain"]))


@pytest.mark.parametrize("change, where", [
    ({"kind": "licence", "net_cash": 10.0}, "deal.net_cash"),
    ({"kind": "acquisition", "structure": "asset", "net_cash": 10.0}, "deal.net_cash"),
    ({"kind": "licence", "structure": "shares"}, "deal.structure"),
    ({"equity_premium": 5.0, "upfront": 10.0, "equity": {"amount": 20.0, "premium": 0.1}}, "deal.equity"),
    ({"tranches": [{"amount": 5.0, "date": dt.date(2024, 6, 1)}]}, "deal.tranches[0].date"),
    ({"milestones": [{**ms("a", 1.0, {"type": "approval", "territory": "US"}), "expires": dt.date(2024, 1, 1)}]},
     "deal.milestones[0].expires"),
])
def test_bad_deal_forms_are_refused_naming_the_field(change, where, tmp_path):
    import tomli_w

    d = three_phase(**change)
    f = tmp_path / "s.toml"
    f.write_text(tomli_w.dumps(d))
    res = CliRunner().invoke(main, ["value", str(f)])
    assert res.exit_code == 2 and where in res.output, res.output


# ---- each side's own assumptions (docs/method.md 3.1) ---------------------------------------------------------
def test_a_partys_own_assumptions_change_only_its_view():
    """The licensee's own US peak moves its NPV and its view of the asset, not the licensor's; both parties with
    the same assumption equal the sheet with that change (the common-view identity)."""
    d = three_phase(upfront=20.0)
    change = {"territories[0].peak_sales": 150.0}
    base = iitvalue.value(TermSheet.from_dict(d)).deal.summary
    d["deal"]["licensee"]["assumptions"] = change
    own = iitvalue.value(TermSheet.from_dict(d))
    s = own.deal.summary
    assert s["licensor_npv"] == pytest.approx(base["licensor_npv"], rel=1e-12)
    assert s["asset_rnpv_licensor_view"] == pytest.approx(base["asset_rnpv_licensor_view"], rel=1e-12)
    assert s["licensee_npv"] > base["licensee_npv"]
    assert own.deal.to_dict()["licensee_assumptions"] == change and own.deal.to_dict()["licensor_assumptions"] == {}
    assert any("own assumptions: territories[0].peak_sales = 150.0" in n for n in own.deal.notes)
    d["deal"]["licensor"]["assumptions"] = change
    both = iitvalue.value(TermSheet.from_dict(d)).deal.summary
    d2 = three_phase(upfront=20.0)
    d2["territories"][0]["peak_sales"] = 150.0
    common = iitvalue.value(TermSheet.from_dict(d2)).deal.summary
    for k in ("licensor_npv", "licensee_npv", "asset_rnpv_licensee_view", "breakeven_upfront"):
        assert both[k] == pytest.approx(common[k], rel=1e-12), k
    # the asset rNPV of the headline stays the sheet's own
    assert own.summary["asset.rnpv"] == pytest.approx(iitvalue.value(TermSheet.from_dict(three_phase())).summary["asset.rnpv"])


@pytest.mark.parametrize("assumptions, words", [
    ({"territories[5].peak_sales": 1.0}, "territories[5]"),
    ({"deal.upfront": 1.0}, "common to both parties"),
    ({"valuation.discount_rate": 0.2}, "common to both parties"),
    ({"phases[0].probability": 2.0}, "phases[0].probability"),
])
def test_bad_party_assumptions_exit_2_naming_them(assumptions, words, tmp_path):
    import tomli_w

    d = three_phase()
    d["deal"]["licensee"]["assumptions"] = assumptions
    f = tmp_path / "s.toml"
    f.write_text(tomli_w.dumps(d))
    res = CliRunner().invoke(main, ["value", str(f)])
    assert res.exit_code == 2 and "deal.licensee.assumptions" in res.output and words in res.output, res.output


# ---- tax on the payments (docs/method.md 3.5, deal.tax) -------------------------------------------------------
def test_payment_tax_by_hand():
    """An approved asset (no phases left), upfront 100 at t = 0, a milestone of 50 on a date two years on, tax 20 %,
    both parties at 10 %: deductible -> each side's payment PV x 0.8 (the sum identity holds); amortised over 2
    years -> the licensee's x (1 - 0.2 a_2(0.1) / 2), the licensor's still x 0.8."""
    from iitvalue.deal.tax import annuity

    d = base_dict(deal={"kind": "licence", "date": D0, "upfront": 100.0,
                        "licensor": {"name": "L", "discount_rate": 0.1}, "licensee": {"name": "B", "discount_rate": 0.1},
                        "milestones": [ms("m", 50.0, {"type": "date", "date": dt.date(2027, 1, 1)})]})
    d["valuation"]["tax_rate"] = 0.2
    t = year_fraction(D0, dt.date(2027, 1, 1))
    pay = 100.0 + 50.0 * 1.1 ** -t
    out = {}
    for mode in ("pre-tax", "deductible", "amortised"):
        d["deal"].update(payment_tax=mode, amortisation_years=2)
        out[mode] = iitvalue.value(TermSheet.from_dict(d))
    asset = out["pre-tax"].summary["asset.rnpv"]
    assert out["pre-tax"].deal.summary["licensor_npv"] == pytest.approx(pay, rel=1e-12)
    s = out["deductible"].deal.summary
    assert s["licensor_npv"] == pytest.approx(0.8 * pay, rel=1e-12)
    assert s["licensee_npv"] == pytest.approx(asset - 0.8 * pay, rel=1e-12)
    f = 1 - 0.2 * annuity(0.1, 2) / 2
    s = out["amortised"].deal.summary
    assert s["licensor_npv"] == pytest.approx(0.8 * pay, rel=1e-12)
    assert s["licensee_npv"] == pytest.approx(asset - f * pay, rel=1e-12)
    # the break-even upfront: the licensee pays f per unit of upfront
    assert s["licensee_npv"] - f * (s["breakeven_upfront"] - 100.0) == pytest.approx(0.0, abs=1e-9)


def test_payment_tax_is_refused_by_the_workbook(tmp_path):
    import tomli_w

    d = three_phase(upfront=10.0, payment_tax="amortised")
    f = tmp_path / "s.toml"
    f.write_text(tomli_w.dumps(d))
    res = CliRunner().invoke(main, ["export", str(f), "-o", str(tmp_path / "s.xlsx")])
    assert res.exit_code == 2 and "deal.payment_tax" in res.output, res.output
