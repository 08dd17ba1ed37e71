"""The rNPV engine against hand-computed cases, closed forms and the scalar reference implementation."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iitvalue
from iitvalue.model import reference
from iitvalue.model.engine import arrays_from_plan, evaluate
from iitvalue.model.plan import ramp_shares, resolve
from iitvalue.termsheet import TermSheet

from conftest import base_dict


def rnpv_of(d: dict) -> float:
    return iitvalue.value(TermSheet.from_dict(d)).asset.summary["rnpv"]


def test_single_cash_flow_end_and_mid_year():
    """100 of sales in year 1 only (erosion 100% once exclusivity ends after one year), no costs, r = 10%.
    End of year: 100 / 1.1 = 90.909...; mid-year: 100 / 1.1 ** 0.5 = 95.346..."""
    d = base_dict()
    d["territories"][0].update(exclusivity_years=1.0, erosion=1.0)
    assert rnpv_of(d) == pytest.approx(100 / 1.1, rel=1e-12)
    d["valuation"]["mid_period"] = True
    assert rnpv_of(d) == pytest.approx(100 / 1.1 ** 0.5, rel=1e-12)


def test_annuity_closed_form():
    """Level 100 a year for 10 years at 10%: 100 * (1 - 1.1**-10) / 0.1 = 614.4567105704685 (end of year);
    the mid-year value is that times 1.1 ** 0.5."""
    d = base_dict()
    end = 100 * (1 - 1.1 ** -10) / 0.1
    assert rnpv_of(d) == pytest.approx(end, rel=1e-12)
    assert end == pytest.approx(614.4567105704685, rel=1e-12)
    d["valuation"]["mid_period"] = True
    assert rnpv_of(d) == pytest.approx(end * 1.1 ** 0.5, rel=1e-12)


def test_quarterly_annuity_closed_form():
    """Quarterly periods: 25 a quarter for 10 years, discounted at t = (k + 1) / 4 with an annual rate:
    sum_k 25 * 1.1 ** -((k + 1) / 4) = 25 * v (1 - v**40) / (1 - v) with v = 1.1 ** -0.25."""
    d = base_dict()
    d["valuation"]["period"] = "quarterly"
    v = 1.1 ** -0.25
    assert rnpv_of(d) == pytest.approx(25 * v * (1 - v ** 40) / (1 - v), rel=1e-12)


def test_two_phase_asset_by_hand():
    """Phase 1: 1 year, cost 10, p = 0.5. Review: 1 year, cost 2, p = 0.8. Approval at t = 2, so LOA = 0.4.
    Sales of 100 in [2, 3) only. End-of-year discounting at 10%, no tax:

        rNPV = -10 / 1.1  - 0.5 * 2 / 1.1**2 + 0.4 * 100 / 1.1**3
             = -9.090909 - 0.826446 + 30.052592 = 20.135237
        unrisked NPV = -10 / 1.1 - 2 / 1.1**2 + 100 / 1.1**3 = -9.090909 - 1.652893 + 75.131480 = 64.387678
    """
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [
        {"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 10.0, "probability": 0.5},
        {"name": "Review", "kind": "filing", "duration": 1.0, "cost": 2.0, "probability": 0.8},
    ]
    d["territories"][0].update(exclusivity_years=1.0, erosion=1.0)
    res = iitvalue.value(TermSheet.from_dict(d)).asset.summary
    assert res["rnpv"] == pytest.approx(-10 / 1.1 - 0.5 * 2 / 1.1 ** 2 + 0.4 * 100 / 1.1 ** 3, rel=1e-12)
    assert res["rnpv"] == pytest.approx(20.135237, abs=1e-6)
    assert res["npv_unrisked"] == pytest.approx(64.387678, abs=1e-6)
    assert res["loa"] == pytest.approx(0.4)
    assert res["approval_date"] == "2027-01-01"


def test_tax_and_loss_carryforward_by_hand():
    """R&D of 50 in year 1 (p = 1), then sales of 100 a year; tax 20%, end of year, r = 0.
    Without carry-forward tax is 20 a sales year; with it, the first sales year pays 0.2 * (100 - 50) = 10."""
    d = base_dict()
    d["valuation"].update(discount_rate=0.0, tax_rate=0.2, horizon_years=3)
    d["asset"]["stage"] = "filed"
    d["phases"] = [{"name": "Review", "kind": "filing", "duration": 1.0, "cost": 50.0, "probability": 1.0}]
    assert rnpv_of(d) == pytest.approx(-50 + 2 * 80)
    d["valuation"]["tax_loss_carryforward"] = True
    assert rnpv_of(d) == pytest.approx(-50 + (100 - 10) + 80)


def test_cost_profile_and_fractional_phase():
    """Cost 30 over 1.5 years with profile [1, 2]: 10 in [0, 0.75), 20 in [0.75, 1.5); annual periods get
    10 + 20 * 0.25 / 0.75 = 16.667 in year 1 and 13.333 in year 2."""
    d = base_dict()
    d["asset"]["stage"] = "filed"
    d["phases"] = [{"name": "Review", "kind": "filing", "duration": 1.5, "cost": 30.0, "probability": 1.0,
                    "cost_profile": [1, 2]}]
    res = iitvalue.value(TermSheet.from_dict(d))
    rd = res.cashflows["rd"].to_numpy()
    assert rd[:3] == pytest.approx([10 + 20 / 3, 40 / 3, 0.0])


def test_launch_curve_and_patients_route():
    """Peak = 1000 patients x 50% x 0.2 = 100; the benchmark curve gives 11, 31, 58, 76, 89, 100 in years 1-6."""
    d = base_dict()
    d["territories"] = [{"name": "US", "patients": 1000.0, "treated_share": 0.5, "net_price": 0.2,
                         "exclusivity_years": 50.0}]
    res = iitvalue.value(TermSheet.from_dict(d))
    assert res.cashflows["revenue"].to_numpy()[:7] == pytest.approx([11, 31, 58, 76, 89, 100, 100])
    assert res.asset.summary["peak_sales"] == pytest.approx(100)


def test_ramp_stretch_and_linear():
    assert ramp_shares("benchmark", 6, 8) == pytest.approx((0.11, 0.31, 0.58, 0.76, 0.89, 1.0, 1.0, 1.0))
    # stretched to 3 years: year 1 -> curve at 2, year 2 -> at 4, year 3 -> at 6
    assert ramp_shares("benchmark", 3, 4) == pytest.approx((0.31, 0.76, 1.0, 1.0))
    # 12 years: year 1 -> curve at 0.5 = half of 0.11
    assert ramp_shares("benchmark", 12, 2)[0] == pytest.approx(0.055)
    assert ramp_shares("linear", 4, 5) == pytest.approx((0.25, 0.5, 0.75, 1.0, 1.0))
    assert ramp_shares([0.5], 6, 3) == pytest.approx((0.5, 1.0, 1.0))


def test_fractional_launch_integrates_the_curve_exactly():
    """Launch at t = 0.5 (filing of half a year): year-1 share 0.11 applies on [0.5, 1.5), year 2's 0.31 on
    [1.5, 2.5): period [1, 2) gets 0.11 * 0.5 + 0.31 * 0.5 = 0.21 of peak."""
    d = base_dict()
    d["asset"]["stage"] = "filed"
    d["phases"] = [{"name": "Review", "kind": "filing", "duration": 0.5, "cost": 0.0, "probability": 1.0}]
    d["territories"][0].update(ramp="benchmark")
    rev = iitvalue.value(TermSheet.from_dict(d)).cashflows["revenue"].to_numpy()
    assert rev[:3] == pytest.approx([5.5, 21.0, 44.5])


def test_erosion_and_price_change_at_midpoints():
    """Exclusivity ends 2 years after launch; erosion 50% a year and price +10% a year, both evaluated at the
    period midpoint: year 3 (midpoint 2.5) = 100 * 1.1**2.5 * 0.5**0.5."""
    d = base_dict()
    d["territories"][0].update(exclusivity_years=2.0, erosion=0.5, price_change=0.1)
    rev = iitvalue.value(TermSheet.from_dict(d)).cashflows["revenue"].to_numpy()
    assert rev[0] == pytest.approx(100 * 1.1 ** 0.5)
    assert rev[2] == pytest.approx(100 * 1.1 ** 2.5 * 0.5 ** 0.5)


def test_exclusivity_end_as_date():
    d = base_dict()
    d["territories"][0].pop("exclusivity_years")
    d["territories"][0].update(exclusivity_end=dt.date(2026, 1, 1), erosion=1.0)
    rev = iitvalue.value(TermSheet.from_dict(d)).cashflows["revenue"].to_numpy()
    assert rev[0] == pytest.approx(100) and rev[1] == pytest.approx(0.0)


# ---- the scalar oracle against the vectorised core on random valid term sheets --------------------------------
@st.composite
def sheets(draw, profitable: bool = False, market: bool = False):
    """Random valid term sheets; ``market`` adds rivals (some before the valuation date) and a capacity ceiling
    (docs/method.md 1, Competition; Capacity)."""
    n_phases = draw(st.integers(1, 4))
    kinds = ["phase1", "phase2", "phase3", "filing"][4 - n_phases:]
    stage = {"phase1": "phase1", "phase2": "phase2", "phase3": "phase3", "filing": "filed"}[kinds[0]]
    pos = st.floats(0.3 if profitable else 0.05, 1.0)
    phases = []
    for i, k in enumerate(kinds):
        ph = {"name": f"P{i}", "kind": k, "duration": draw(st.floats(0.25, 3.0)),
              "cost": draw(st.floats(0.0, 5.0 if profitable else 200.0)), "probability": draw(pos)}
        if draw(st.booleans()):
            ph["cost_profile"] = draw(st.lists(st.floats(0.1, 3.0), min_size=1, max_size=4))
        phases.append(ph)
    terrs = []
    if profitable:  # sales well inside the horizon and far larger than trial costs
        for ph in phases:
            ph["duration"] = min(ph["duration"], 2.0)
    for m in range(draw(st.integers(1, 3))):
        t = {"name": f"T{m}", "launch_lag": draw(st.floats(0.0, 3.0)), "erosion": draw(st.floats(0.0, 0.6)),
             "price_change": draw(st.floats(-0.05, 0.05)),
             "exclusivity_years": draw(st.floats(5.0 if profitable else 0.0, 20.0))}
        if draw(st.booleans()):
            t["peak_sales"] = draw(st.floats(200.0 if profitable else 0.0, 2000.0))
        else:
            # profitable: peak >= 5000 x 0.2 x 0.2 = 200, as for peak_sales
            t.update(patients=draw(st.floats(5000.0 if profitable else 1000.0, 20000.0)),
                     treated_share=draw(st.floats(0.2 if profitable else 0.0, 0.5)),
                     net_price=draw(st.floats(0.2 if profitable else 0.05, 0.5)))
            if not profitable and draw(st.booleans()):
                t["cogs_per_patient"] = draw(st.floats(0.0, 0.05))
        ramp = draw(st.sampled_from(["benchmark", "linear", "list"]))
        if ramp == "list":
            t["ramp"] = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5))
        else:
            t["ramp"] = ramp
            t["years_to_peak"] = draw(st.floats(1.0, 8.0))
        if not profitable:
            t["sga_fixed"] = draw(st.floats(0.0, 20.0))
            t["launch_cost"] = draw(st.floats(0.0, 50.0))
        terrs.append(t)
    d = base_dict(phases=phases, territories=terrs)
    d["asset"]["stage"] = stage
    if market:
        for t in d["territories"]:
            t.setdefault("net_price", draw(st.floats(0.05, 0.5)))
            t["rivals"] = [{"name": f"R{k}", "launch": dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(-2000, 6000))),
                            "strength": draw(st.floats(0.1, 3.0))} for k in range(draw(st.integers(0, 3)))]
            t["entry_exponent"] = draw(st.floats(0.0, 1.5))
            t["capacity_limited"] = draw(st.booleans())
        if draw(st.booleans()):
            d["capacity"] = {"patients_per_year": draw(st.floats(50.0, 5000.0)),
                             "ramp": draw(st.lists(st.floats(0.0, 1.0), max_size=4))}
    d["valuation"].update(
        discount_rate=draw(st.floats(0.0, 0.3)), horizon_years=float(draw(st.integers(20 if profitable else 5, 30))),
        period=draw(st.sampled_from(["annual", "quarterly"])), mid_period=draw(st.booleans()),
        tax_rate=draw(st.floats(0.0, 0.4)), tax_loss_carryforward=draw(st.booleans()))
    d["costs"] = {"cogs_fraction": draw(st.floats(0.0, 0.3)), "sga_fraction": draw(st.floats(0.0, 0.3))}
    return d


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(sheets(), sheets(market=True)))
def test_vectorised_engine_matches_scalar_oracle(d):
    plan = resolve(TermSheet.from_dict(d))
    fast = evaluate(arrays_from_plan(plan))
    slow = reference.rnpv(plan)
    scale = 1.0 + abs(slow["npv_unrisked"])
    assert fast.rnpv[0] == pytest.approx(slow["rnpv"], abs=1e-9 * scale)
    assert fast.npv_unrisked[0] == pytest.approx(slow["npv_unrisked"], abs=1e-9 * scale)
    assert fast.pv_risked[0] == pytest.approx(slow["pv_risked"], abs=1e-9 * scale)


def test_many_scenarios_at_once_equal_one_at_a_time():
    """Rows of a multi-scenario run are independent: each equals the single-scenario value of its inputs."""
    d = base_dict()
    d["asset"]["stage"] = "phase2"
    d["phases"] = [{"name": "P2", "kind": "phase2", "duration": 2.0, "cost": 20.0, "probability": 0.4},
                   {"name": "P3", "kind": "phase3", "duration": 3.0, "cost": 80.0, "probability": 0.6}]
    plan = resolve(TermSheet.from_dict(d))
    arr = arrays_from_plan(plan, n_scenarios=3)
    arr.probabilities[1, 0] = 0.9
    arr.peak[2, 0] = 500.0
    many = evaluate(arr).rnpv
    for s, (p, peak) in enumerate([(0.4, 100.0), (0.9, 100.0), (0.4, 500.0)]):
        d2 = base_dict(phases=[dict(d["phases"][0], probability=p), d["phases"][1]])
        d2["asset"]["stage"] = "phase2"
        d2["territories"][0]["peak_sales"] = peak
        assert many[s] == pytest.approx(rnpv_of(d2), rel=1e-12)


# ---- invariants ------------------------------------------------------------------------------------------------
def _cash(d):
    return iitvalue.value(TermSheet.from_dict(d)).cashflows["fcf_risked"].to_numpy()


@settings(max_examples=60, deadline=None)
@given(sheets(profitable=True), st.integers(0, 3), st.floats(0.01, 0.5))
def test_rnpv_rises_with_phase_probability_when_continuing_pays(d, j, bump):
    """With small trial costs and a profitable market, continuing after any phase is worth more than stopping,
    so raising any transition probability raises the rNPV."""
    j = j % len(d["phases"])
    p = d["phases"][j]["probability"]
    lo = rnpv_of(d)
    d["phases"][j]["probability"] = min(1.0, p + bump)
    if d["phases"][j]["probability"] > p + 1e-6:
        assert rnpv_of(d) > lo


@settings(max_examples=60, deadline=None)
@given(sheets(), st.floats(1.01, 2.0))
def test_rnpv_rises_with_peak_sales_when_margin_positive(d, factor):
    for t in d["territories"]:
        t.pop("cogs_per_patient", None)  # fractional costs only: every extra unit of sales adds profit
    lo = rnpv_of(d)
    for t in d["territories"]:
        if "peak_sales" in t:
            t["peak_sales"] *= factor
        else:
            t["patients"] *= factor
    assert rnpv_of(d) >= lo - 1e-9


@settings(max_examples=60, deadline=None)
@given(sheets(), st.floats(0.005, 0.1))
def test_rnpv_falls_with_discount_rate_when_positive_with_one_sign_change(d, dr):
    """If the risk-adjusted cash flows change sign once (costs, then profits) and the rNPV is positive, then
    d rNPV / d r = -sum t CF_t (1+r)^(-t-1) < 0 (each term t CF_t >= t* CF_t)."""
    cf = _cash(d)
    signs = np.sign(cf[np.abs(cf) > 1e-12])
    changes = int(np.sum(signs[1:] != signs[:-1]))
    lo = rnpv_of(d)
    if changes <= 1 and lo > 0:
        d["valuation"]["discount_rate"] += dr
        assert rnpv_of(d) < lo


@settings(max_examples=60, deadline=None)
@given(sheets(profitable=True), st.integers(1, 3))
def test_launch_delay_lowers_rnpv_when_commercial_value_positive(d, years):
    """Delaying every territory's launch by whole years shifts its positive commercial stream later (and past the
    horizon), which can only lower the rNPV; development costs are unchanged. (With prices rising faster than the
    discount rate a delay can pay, so prices are held flat here.)"""
    for t in d["territories"]:
        t["price_change"] = 0.0
    lo = rnpv_of(d)
    for t in d["territories"]:
        t["launch_lag"] += years
    assert rnpv_of(d) <= lo + 1e-9


def test_programme_delay_lowers_example_rnpv(esobiotec_path):
    sheet = iitvalue.load(esobiotec_path)
    base = iitvalue.value(sheet).asset.summary["rnpv"]
    slower = iitvalue.value(sheet.replace({"phases[2].duration": 4.0})).asset.summary["rnpv"]
    assert slower < base


@settings(max_examples=60, deadline=None)
@given(sheets())
def test_rnpv_equals_unrisked_when_every_probability_is_one(d):
    for ph in d["phases"]:
        ph["probability"] = 1.0
    s = iitvalue.value(TermSheet.from_dict(d)).asset.summary
    assert s["rnpv"] == pytest.approx(s["npv_unrisked"], rel=1e-12, abs=1e-9)
    assert s["loa"] == 1.0


def test_benchmark_defaults_are_used_and_reported(esobiotec_path):
    d = tomllib.loads(esobiotec_path.read_text(encoding="utf-8"))
    del d["phases"][3]["cost"]  # the review's cost omitted: the PDUFA fee default
    res = iitvalue.value(TermSheet.from_dict(d), readout="none")  # prior probabilities
    ph = res.phases
    row = iitvalue.catalogue.transition_row("car-t", "haematologic-malignancies").values
    v = [row[c] for c in iitvalue.catalogue.PHASE_COLUMNS]  # BIO 2011-2020 CAR-T row, shrunk
    assert list(ph["p_transition"]) == pytest.approx(v, rel=1e-14)
    assert res.asset.summary["loa"] == pytest.approx(v[0] * v[1] * v[2] * v[3])
    assert any("car-t" in n for n in res.notes)
    assert ph.loc[3, "cost"] == pytest.approx(4.31)  # PDUFA FY2025 fee default, 4,310,002 USD
    # cumulative and transition probabilities are distinct columns
    assert ph.loc[2, "p_cumulative"] == pytest.approx(v[0] * v[1] * v[2])
    assert ph.loc[2, "p_start"] == pytest.approx(v[0] * v[1])


def test_replace_revalidates():
    sheet = TermSheet.from_dict(base_dict())
    changed = sheet.replace({"valuation.discount_rate": 0.2})
    assert changed.valuation.discount_rate == 0.2 and sheet.valuation.discount_rate == 0.1
    with pytest.raises(iitvalue.InputError, match="discount_rate"):
        sheet.replace({"valuation.discount_rate": 2.0})


def test_summary_and_cashflows_are_pandas(esobiotec_path):
    import pandas as pd

    res = iitvalue.value(iitvalue.load(esobiotec_path))
    assert isinstance(res.summary, pd.Series) and "asset.rnpv" in res.summary.index
    assert isinstance(res.cashflows, pd.DataFrame) and len(res.cashflows) == 25
    assert res.cashflows["pv_risked"].sum() == pytest.approx(res.summary["asset.rnpv"])
    assert "<table" in res._repr_html_()
    assert math.isfinite(res.summary["asset.peak_sales"])


# ---- benchmark defaults: labels do not change the prior; thin rows shrunk (docs/method.md 1, Defaults) -------
def _car_t(kinds: list[str], stage: str = "phase1") -> float:
    d = base_dict(phases=[{"name": f"P{i}", "kind": k} for i, k in enumerate(kinds)])
    d["asset"].update(stage=stage, modality="car-t", therapeutic_area="haematologic-malignancies")
    return resolve(TermSheet.from_dict(d))


@pytest.mark.parametrize("kinds", [["phase1", "pivotal", "filing"], ["phase1", "phase2", "phase3", "filing"],
                                   ["phase1", "phase3", "filing"], ["phase1", "phase2", "pivotal"],
                                   ["phase1", "phase2", "phase2", "phase3", "filing"]])
def test_prior_loa_of_a_phase_1_asset_does_not_depend_on_the_labels(kinds):
    """However the remaining phases are labelled, the benchmark LOA from phase 1 is the product of the four
    shrunk CAR-T transitions."""
    from iitvalue import catalogue

    row = catalogue.transition_row("car-t", "haematologic-malignancies")
    want = math.prod(row.values[c] for c in catalogue.PHASE_COLUMNS)
    assert math.prod(p.probability for p in _car_t(kinds).phases) == pytest.approx(want, rel=1e-14)
    assert want == pytest.approx(0.12254, abs=5e-6)


def test_a_skipped_transition_goes_into_the_phase_that_absorbs_it():
    """phase1 -> pivotal -> filing: the pivotal phase carries II->III x III->filing; two phase-2 studies each
    carry the square root of II->III."""
    from iitvalue import catalogue

    v = catalogue.transition_row("car-t", "haematologic-malignancies").values
    p = [x.probability for x in _car_t(["phase1", "pivotal", "filing"]).phases]
    assert p == pytest.approx([v["phase1"], v["phase2"] * v["phase3"], v["filing"]], rel=1e-14)
    p = [x.probability for x in _car_t(["phase1", "phase2", "phase2", "phase3", "filing"]).phases]
    assert p[1] == pytest.approx(v["phase2"] ** 0.5, rel=1e-14) and p[2] == p[1]
    p = [x.probability for x in _car_t(["pivotal", "filing"], stage="phase2").phases]
    assert p == pytest.approx([v["phase2"] * v["phase3"], v["filing"]], rel=1e-14)


def test_thin_benchmark_rows_are_shrunk_toward_their_parent_by_hand():
    """CAR-T: n = 43/17/3/4 transitions at 0.442/0.588/0.667/1.000, parent haematologic malignancies
    0.501/0.278/0.600/0.900, m = 10: (43 x 0.442 + 10 x 0.501) / 53 = 0.45313, (17 x 0.588 + 10 x 0.278) / 27 =
    0.47319, (3 x 0.667 + 10 x 0.600) / 13 = 0.61546, (4 x 1.0 + 10 x 0.9) / 14 = 0.92857. Rows without counts
    are unchanged."""
    from iitvalue import catalogue

    v = catalogue.transition_row("car-t", "haematologic-malignancies").values
    assert [v[c] for c in catalogue.PHASE_COLUMNS] == pytest.approx(
        [(43 * 0.442 + 10 * 0.501) / 53, (17 * 0.588 + 10 * 0.278) / 27, (3 * 0.667 + 6) / 13, (4 + 9) / 14], rel=1e-14)
    assert v["phase1"] == pytest.approx(0.45313, abs=1e-5) and v["filing"] == pytest.approx(0.92857, abs=1e-5)
    onc = catalogue.transition_row("antibody", "oncology").values
    assert [onc[c] for c in catalogue.PHASE_COLUMNS] == [0.488, 0.246, 0.477, 0.920]
