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


def test_amortised_payment_tax_exports_with_its_factor(tmp_path):
    """The workbook prices amortised payments live: the licensee's lump-sum factor cell is 1 - tau a_n(r) / n,
    the licensor's 1 - tau (LibreOffice recalculates the whole workbook in tests/excel/test_book.py, sheet
    "forms")."""
    import openpyxl
    import tomli_w

    d = three_phase(upfront=10.0, payment_tax="amortised", amortisation_years=4)
    d["valuation"]["tax_rate"] = 0.25
    f = tmp_path / "s.toml"
    f.write_text(tomli_w.dumps(d))
    res = CliRunner().invoke(main, ["export", str(f), "-o", str(tmp_path / "s.xlsx")])
    assert res.exit_code == 0, res.output
    r = d["deal"]["licensee"]["discount_rate"]
    expected = 1 - 0.25 * sum((1 + r) ** -i for i in range(1, 5)) / 4
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx", data_only=True)["Calculations"]  # the values cached at export
    rows = {row[0].value: row[2].value for row in ws.iter_rows() if isinstance(row[0].value, str)}
    assert rows["Payment-tax factor on a lump sum, licensee (amortised: 1 - tau a_n(r) / n)"] == pytest.approx(expected)
    assert rows["Payment-tax factor on a stream, licensor (1 - tax rate)"] == pytest.approx(0.75)


def test_an_option_exports_with_the_licensees_decision(tmp_path):
    """The workbook writes the option live: X = IF(G > 0, 1, 0) with G the licensee's gain, cached as the kernel
    decides; a fee too dear to pay lapses (X = 0). LibreOffice recalculates both cases in
    tests/excel/test_book.py (sheets "option" and "lapsed")."""
    import openpyxl
    import tomli_w

    trig = {"type": "phase_success", "phase": "P1"}
    rnpv = value().summary["asset.rnpv"]
    for fee, x in ((10.0, 1), (2 * 1.1 * (rnpv + 10 / 1.1) + 50.0, 0)):
        d = three_phase(upfront=10.0, option={"fee": 5.0, "exercise_fee": fee, "exercise": trig})
        f = tmp_path / "s.toml"
        f.write_text(tomli_w.dumps(d))
        res = CliRunner().invoke(main, ["export", str(f), "-o", str(tmp_path / f"s{x}.xlsx")])
        assert res.exit_code == 0, res.output
        ws = openpyxl.load_workbook(tmp_path / f"s{x}.xlsx", data_only=True)["Calculations"]
        rows = {row[0].value: row[2].value for row in ws.iter_rows() if isinstance(row[0].value, str)}
        assert rows["Licensee exercises: X = IF(G > 0, 1, 0)"] == x
        assert rows["Option value to the licensee = MAX(0, G)"] == pytest.approx(
            iitvalue.value(iitvalue.TermSheet.from_dict(d)).deal.summary["option_value"], rel=1e-12)


def test_an_option_by_hand():
    """Option fee 5 at t = 0; exercise at the success of P1 (t = 1) for E. The licensor bears P1's R&D (10, paid
    at the end of year 1: -10/1.1 in every outcome); the licensee's gain from exercising is G(o) = asset(o) +
    10/1.1 - E/1.1 where P1 succeeds (P = 0.5) and 0 where it fails, so E[G] = rNPV + 10/1.1 - 0.5 E/1.1. It
    exercises iff E[G] > 0: option value max(0, E[G]), licensee NPV -5 + option value, licensor NPV the rest
    of the asset, 5 + rNPV - option value (one rate, one view)."""
    trig = {"type": "phase_success", "phase": "P1"}
    rnpv = value().summary["asset.rnpv"]
    for fee in (10.0, 2 * 1.1 * (rnpv + 10 / 1.1) + 50.0):  # exercised; too dear: lapses
        res = value(option={"fee": 5.0, "exercise_fee": fee, "exercise": trig},
                    milestones=[ms("at exercise", 7.0, trig), ms("before it", 9.0, {"type": "phase_start", "phase": "P1"})])
        s, rows = res.deal.summary, res.deal.payments.set_index("name")
        gain = rnpv + 10 / 1.1 - 0.5 * (fee + 7.0) / 1.1  # the milestone at exercise is the licence's
        assert s["option_value"] == pytest.approx(max(0.0, gain), rel=1e-12, abs=1e-12)
        assert s["exercise_probability"] == (0.5 if gain > 0 else 0.0)
        assert s["licensee_npv"] == pytest.approx(-5.0 + max(0.0, gain), rel=1e-12)
        assert s["licensor_npv"] == pytest.approx(5.0 + rnpv - max(0.0, gain), rel=1e-12)
        assert rows.loc["Licensor's R&D before exercise", "pv_licensor"] == pytest.approx(-10.0 / 1.1, rel=1e-12)
        assert rows.loc["before it", "pv_licensor"] == 0.0  # due before exercise: pays nothing
        assert rows.loc["Option fee", "pv_licensor"] == pytest.approx(5.0)
        kept = rows.loc["Asset kept if the option lapses", "pv_licensor"]
        assert kept == pytest.approx(0.0 if gain > 0 else rnpv + 10 / 1.1, abs=1e-9)
        assert s["headline_value"] == pytest.approx(5.0 + fee + 16.0) and s["option_fee"] == 5.0
        assert any("before the option is exercised" in n for n in res.deal.notes)
    lapsed = [n for n in res.deal.notes if "never exercised" in n]
    assert lapsed, res.deal.notes


def test_an_option_is_refused_where_it_cannot_be_valued():
    """An exercise at a sales threshold or a date says nothing of what the licensee knows: refused, located."""
    for trig in ({"type": "sales", "threshold": 10.0}, {"type": "date", "date": dt.date(2026, 1, 1)}):
        with pytest.raises(iitvalue.InputError, match=r"deal\.option\.exercise\.type.*phase_start"):
            value(option={"fee": 1.0, "exercise_fee": 1.0, "exercise": trig})
    with pytest.raises(iitvalue.InputError, match="net cash"):
        value(kind="acquisition", net_cash=5.0,
              option={"fee": 1.0, "exercise_fee": 1.0, "exercise": {"type": "phase_success", "phase": "P1"}})


def _pv_sales_on_success() -> tuple[float, float]:
    """LOA and sum_k sales_k (1.1)^-t_k of the three-phase asset's US territory (100 a year from t = 4), from the
    engine's lines (not the kernel)."""
    from iitvalue.model.engine import arrays_from_plan, evaluate
    from iitvalue.model.plan import resolve

    d = three_phase()
    d["valuation"]["discount_rate"] = R
    ln = evaluate(arrays_from_plan(resolve(TermSheet.from_dict(d))))
    return float(ln.loa[0]), float((ln.revenue[0] * (1 + R) ** -ln.t_cash).sum())


def test_a_supply_price_by_hand():
    """The licensor makes the US product at 10 % of sales and sells it at 40 %: it earns LOA x 0.3 x PV(sales);
    the asset, now made at a cost of 10 % (none before), falls by LOA x 0.1 x PV(sales); the licensee, who pays 40 %
    of its sales for product, loses LOA x 0.4 x PV(sales). No tax, one rate."""
    loa, pv = _pv_sales_on_success()
    assert loa == pytest.approx(0.24) and pv > 0
    base = value(upfront=10.0)
    res = value(upfront=10.0, supply=[{"territories": ["US"], "transfer_price": 0.4, "cogs_fraction": 0.1}])
    s, b = res.deal.summary, base.deal.summary
    assert s["licensor_npv"] - b["licensor_npv"] == pytest.approx(loa * 0.3 * pv, rel=1e-12)
    assert s["pv_supply_licensor"] == pytest.approx(loa * 0.3 * pv, rel=1e-12)
    assert res.summary["asset.rnpv"] - base.summary["asset.rnpv"] == pytest.approx(-loa * 0.1 * pv, rel=1e-12)
    assert s["licensee_npv"] - b["licensee_npv"] == pytest.approx(-loa * 0.4 * pv, rel=1e-12)
    row = res.deal.payments.set_index("category").loc["supply"]
    assert row["probability"] == pytest.approx(loa) and row["pv_licensor"] == pytest.approx(loa * 0.3 * pv)
    assert any("cost of goods from deal.supply" in n for n in res.notes)


def test_a_sublicence_revenue_share_by_hand():
    """The licensee sublicenses the US for a 10 % royalty and 20 at approval (t = 4); the licensor gets half:
    LOA x 0.05 x PV(sales) + 0.5 x 20 x LOA / 1.1^4, and the licensee, who keeps the territory's value (a
    sublicence at fair value), pays it."""
    loa, pv = _pv_sales_on_success()
    base = value().deal.summary
    s = value(sublicence=[{"territories": ["US"], "licensor_share": 0.5, "royalty": 0.1,
                           "payments": [{"name": "at approval", "amount": 20.0,
                                         "trigger": {"type": "approval", "territory": "US"}}]}]).deal.summary
    share = loa * 0.05 * pv + 0.5 * 20.0 * loa / 1.1 ** 4
    assert s["licensor_npv"] - base["licensor_npv"] == pytest.approx(share, rel=1e-12)
    assert s["licensee_npv"] - base["licensee_npv"] == pytest.approx(-share, rel=1e-12)
    assert s["pv_sublicence_licensor"] == pytest.approx(share, rel=1e-12)
    assert s["headline_value"] == pytest.approx(10.0)  # the licensor's share of the sublicensee's lump sum
