"""The Bayesian PoS update: numerical integration, hand-computed cases, monotonicity and the anchor readouts."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import iitvalue
from iitvalue import catalogue
from iitvalue.model import pos
from iitvalue.stats.betamix import BetaMix, Decision1S, oc1s
from iitvalue.cli import main

from conftest import base_dict

BCMA, _ = catalogue.find_model("rrmm", "car-t")
CAR_T_PRIOR_LOA = math.prod(catalogue.transition_row("car-t", "haematologic-malignancies").values[c]
                            for c in catalogue.PHASE_COLUMNS)  # the shrunk CAR-T row, from phase 1 (0.12254)


def quad_marginal(mix: BetaMix, r: float, n: float, w: float) -> float:
    """integral of Bin(r | n, t)^w f(t) dt by adaptive quadrature (binomial coefficient dropped: it cancels)."""
    f = lambda t: (t ** r * (1 - t) ** (n - r)) ** w * mix.pdf(t)  # noqa: E731
    return integrate.quad(f, 0, 1, limit=200, epsabs=0, epsrel=1e-11)[0]


@pytest.mark.parametrize("r,n,c,cn,w", [(4, 4, 2, None, 0.5), (1, 1, None, None, 1.0), (10, 20, 3, None, 0.7),
                                        (35, 35, 14, 19, 0.5)])
def test_bayes_factors_against_numerical_integration(r, n, c, cn, w):
    ev = pos.Evidence.from_counts(n, r, c, cn, weight=w)
    upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [ev])
    bf_orr = quad_marginal(BCMA.orr_active, r, n, w) / quad_marginal(BCMA.orr_inactive, r, n, w)
    assert upd.bayes_factor_orr == pytest.approx(bf_orr, rel=1e-7)
    if c is not None:
        bf_cr = quad_marginal(BCMA.cr_active, c, ev.cr_n, w) / quad_marginal(BCMA.cr_inactive, c, ev.cr_n, w)
        assert upd.bayes_factor_cr == pytest.approx(bf_cr, rel=1e-7)
    else:
        assert upd.bayes_factor_cr == 1.0


def test_posterior_component_density_against_quadrature():
    """The posterior ORR mixture within the active class equals prior x tempered likelihood, normalised."""
    upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [pos.Evidence.from_counts(4, 4, 2, weight=0.5)])
    z = quad_marginal(BCMA.orr_active, 4, 4, 0.5)
    for t in (0.3, 0.6, 0.9, 0.97):
        direct = (t ** 4) ** 0.5 * BCMA.orr_active.pdf(t) / z
        assert upd.orr_active.pdf(t) == pytest.approx(direct, rel=1e-9)


def hand_model() -> catalogue.ClassModel:
    return catalogue.ClassModel("hand", "x", "y", "oncology", "hand", BetaMix.of((1, 9, 1)), BetaMix.of((1, 1, 1)),
                          catalogue.UNIFORM, catalogue.UNIFORM, 0.8, 0.05, "test")


def test_hand_computed_update():
    """Active ORR ~ Beta(9, 1), inactive ~ Beta(1, 1); q_A = 0.8, q_I = 0.05, prior LOA 0.3 -> pi = 0.25/0.75 = 1/3.
    4/4 responders, w = 1: m_A = B(13,1)/B(9,1) = 9/13, m_I = B(5,1)/B(1,1) = 1/5, BF = 45/13.
    pi' = (45/39) / (45/39 + 26/39) = 45/71; LOA' = (45 * 0.8 + 26 * 0.05) / 71 = 37.3/71 = 0.525352."""
    upd = pos.update(hand_model(), 0.3, [pos.Evidence.from_counts(4, 4)])
    assert upd.prior_class == pytest.approx(1 / 3)
    assert upd.bayes_factor == pytest.approx(45 / 13, rel=1e-12)
    assert upd.posterior_class == pytest.approx(45 / 71, rel=1e-12)
    assert upd.posterior_loa == pytest.approx(37.3 / 71, rel=1e-12)


def test_power_prior_weight_halves_the_log_bayes_factor_for_a_point_mass_like_model():
    """With w, the tempered likelihood adds w r and w (n - r): for 4/4 at w = 0.5 the active marginal is
    B(9 + 2, 1)/B(9, 1) = 9/11 and the inactive B(3, 1)/B(1, 1) = 1/3, so BF = 27/11."""
    upd = pos.update(hand_model(), 0.3, [pos.Evidence.from_counts(4, 4, weight=0.5)])
    assert upd.bayes_factor == pytest.approx(27 / 11, rel=1e-12)


def test_weight_to_zero_returns_the_prior():
    upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [pos.Evidence.from_counts(4, 4, 2, weight=1e-12)])
    assert upd.posterior_loa == pytest.approx(CAR_T_PRIOR_LOA, abs=1e-9)
    assert upd.orr_posterior().mean() == pytest.approx(pos._blend(BCMA.orr_active, BCMA.orr_inactive, upd.prior_class).mean(), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(catalogue.class_model_keys()), st.integers(1, 60), st.data(), st.floats(0.05, 1.0))
def test_more_responders_never_lower_the_posterior(key, n, data, w):
    model = catalogue._models()[key]
    r = data.draw(st.integers(0, n - 1))
    lo = pos.update(model, 0.1, [pos.Evidence.from_counts(n, r, weight=w)]).posterior_loa
    hi = pos.update(model, 0.1, [pos.Evidence.from_counts(n, r + 1, weight=w)]).posterior_loa
    assert hi >= lo - 1e-12


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.data(), st.floats(0.05, 1.0))
def test_more_complete_responses_never_lower_the_posterior(n, data, w):
    r = data.draw(st.integers(1, n))
    c = data.draw(st.integers(0, r - 1))
    lo = pos.update(BCMA, 0.1, [pos.Evidence.from_counts(n, r, c, weight=w)]).posterior_loa
    hi = pos.update(BCMA, 0.1, [pos.Evidence.from_counts(n, r, c + 1, weight=w)]).posterior_loa
    assert hi >= lo - 1e-12


@pytest.mark.parametrize("key,active_rate,inactive_rate", [("rrmm-car-t", 0.95, 0.45), ("haematologic", 0.7, 0.03),
                                                           ("solid-tumour", 0.6, 0.02)])
def test_large_n_concentrates_on_the_data_class(key, active_rate, inactive_rate):
    """Classes are distributions over the true ORR, so as n grows the posterior class probability tends to
    pi f_A(theta) / (pi f_A(theta) + (1 - pi) f_I(theta)) at the true theta, and the ORR posterior narrows."""
    model = catalogue._models()[key]
    pi = pos.prior_class_probability(0.1, model.efficacy_active, model.efficacy_inactive)  # R = 1: no phases
    for rate, high in ((active_rate, True), (inactive_rate, False)):
        n = 20000
        upd = pos.update(model, 0.1, [pos.Evidence.from_counts(n, round(rate * n))])
        fa, fi = model.orr_active.pdf(rate) * pi, model.orr_inactive.pdf(rate) * (1 - pi)
        assert upd.posterior_class == pytest.approx(fa / (fa + fi), abs=5e-3)
        assert (upd.posterior_class > 0.95) if high else (upd.posterior_class < 0.05)
        lo, hi = upd.orr_posterior().interval(0.95)
        assert hi - lo < 0.02 and lo < rate < hi


def test_anchor_readouts_match_docs():
    """The numbers quoted in docs/method.md, section 2.7 (BCMA CAR-T model, CAR-T prior LOA 0.12254, w = 0.5)."""
    assert CAR_T_PRIOR_LOA == pytest.approx(0.12254, abs=5e-6)
    cases = {
        "EsoBiotec, JPM 2025-01: 1/1": (pos.Evidence.from_counts(1, 1, weight=0.5), 1.3185, 1.0, 0.1461),
        "EsoBiotec, Lancet 2025-07: 4/4, 2 sCR": (pos.Evidence.from_counts(4, 4, 2, weight=0.5), 2.8875, 0.9678, 0.2175),
        "Legend, ASCO 2017: 35/35, 14/19 sCR": (pos.Evidence.from_counts(35, 35, 14, 19, weight=0.5), 788.37, 11.770, 0.3974),
    }
    probs, shares, _ = pos.stage_phases("phase1", "car-t", "haematologic-malignancies")  # q_A = R = 0.3975
    assert math.prod(probs) == pytest.approx(CAR_T_PRIOR_LOA, rel=1e-15)
    for label, (ev, bf_orr, bf_cr, loa) in cases.items():
        upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [ev], probabilities=probs, shares=shares)
        assert upd.p_active == pytest.approx(0.3975, abs=1e-4) and upd.prior_class == pytest.approx(0.2942, abs=1e-4)
        assert upd.bayes_factor_orr == pytest.approx(bf_orr, rel=1e-4), label
        assert upd.bayes_factor_cr == pytest.approx(bf_cr, rel=1e-4), label
        assert upd.posterior_loa == pytest.approx(loa, abs=1e-4), label


def test_effective_sample_sizes():
    """The readout adds about w x n patients of information: the moment ESS of the ORR mixture grows with it."""
    s0 = pos.update(BCMA, CAR_T_PRIOR_LOA, []).summary()
    s1 = pos.update(BCMA, CAR_T_PRIOR_LOA, [pos.Evidence.from_counts(35, 35, weight=0.5)]).summary()
    assert s0["prior_ess"] == pytest.approx(s0["posterior_ess"])
    assert s1["effective_n"] == 17.5
    assert s1["posterior_ess"] > s1["prior_ess"] + 5  # a moment ESS of a two-class mixture: not exactly w x n


def test_cr_nested_in_responders_uses_cr_evaluable_responders():
    ev = pos.Evidence.from_counts(35, 35, 14, 19)
    assert ev.cr_n == 19  # all 19 CR-evaluable patients responded (ORR 100%)
    ev = pos.Evidence.from_counts(10, 5, 2, 6)
    assert ev.cr_n == pytest.approx(3.0)  # 6 x 5/10 expected responders among the CR-evaluable


@pytest.mark.parametrize("n,c", [(4, 2), (100, 50), (1000, 500)])
def test_cr_rate_quadrature_against_monte_carlo(n, c):
    """Also for concentrated posteriors whose ORR components have b < 1 (infinite density at 1)."""
    upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [pos.Evidence.from_counts(n, n, c, weight=0.5)])
    rng = np.random.default_rng(20250702)
    size = 400_000
    active = rng.random(size) < upd.posterior_class
    theta = np.where(active, upd.orr_active.sample(size, rng), upd.orr_inactive.sample(size, rng))
    phi = np.where(active, upd.cr_active.sample(size, rng), upd.cr_inactive.sample(size, rng))
    mean, lo, hi = upd.cr_rate()
    x = theta * phi
    assert mean == pytest.approx(x.mean(), abs=3e-3)
    assert lo == pytest.approx(np.quantile(x, 0.025), abs=5e-3)
    assert hi == pytest.approx(np.quantile(x, 0.975), abs=5e-3)


def test_assurance_against_integrated_power():
    upd = pos.update(BCMA, CAR_T_PRIOR_LOA, [pos.Evidence.from_counts(4, 4, 2, weight=0.5)])
    design = iitvalue.termsheet.Pivotal(n=100, threshold=0.5)
    post = upd.orr_posterior()
    rule = Decision1S(threshold=0.5, level=0.975, kind="exact")
    direct = integrate.quad(lambda t: oc1s(100, rule, t) * post.pdf(t), 0, 1, limit=400, points=[0.5, 0.6, 0.7])[0]
    assert upd.assurance(design) == pytest.approx(direct, abs=1e-7)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=1, max_size=5), st.floats(0.01, 0.99), st.booleans())
def test_spread_hits_the_target_and_keeps_review(probs, frac, with_filing):
    kinds = ["phase1", "phase2", "phase3", "pivotal", "phase3"][: len(probs)]
    if with_filing:
        probs = probs + [0.9]
        kinds = kinds + ["filing"]
    target = frac * (0.9 if with_filing else 1.0)
    out = pos.spread(probs, kinds, target)
    assert math.prod(out) == pytest.approx(target, rel=1e-9)
    assert all(0 < p <= 1 for p in out)
    if with_filing and math.prod(probs[:-1]) < 1:
        assert out[-1] == 0.9


def test_spread_keeps_each_phase_share_of_log_risk():
    probs, kinds = [0.5, 0.6, 0.7, 0.9], ["phase1", "phase2", "phase3", "filing"]
    out = pos.spread(probs, kinds, 0.4)
    shares_before = [math.log(p) / math.log(0.5 * 0.6 * 0.7) for p in probs[:3]]
    shares_after = [math.log(p) / math.log(0.4 / 0.9) for p in out[:3]]
    assert shares_after == pytest.approx(shares_before)


# ---- through the term sheet ------------------------------------------------------------------------------------
def test_example_uses_only_readouts_known_at_the_deal(esobiotec_path):
    res = iitvalue.value(iitvalue.load(esobiotec_path))
    p = res.to_dict()["pos"]
    assert [r["date"] for r in p["readouts"]] == ["2025-01-13"]
    assert p["posterior_loa"] == pytest.approx(0.1703, abs=1e-4)
    assert p["class_members"] and all(m["as_of"] <= "2025-03-17" for m in p["class_members"])
    assert res.summary["asset.loa"] == pytest.approx(p["posterior_loa"], rel=1e-12)
    assert p["readout_value"] == pytest.approx(p["posterior_rnpv"] - p["prior_rnpv"])
    none = iitvalue.value(iitvalue.load(esobiotec_path), readout="none").to_dict()["pos"]
    assert none["posterior_loa"] == pytest.approx(none["prior_loa"]) and none["readout_value"] == 0.0
    later = iitvalue.load(esobiotec_path, overrides={"valuation.date": dt.date(2025, 7, 2)})
    p2 = iitvalue.value(later).to_dict()["pos"]
    assert [r["date"] for r in p2["readouts"]] == ["2025-07-02"]  # cumulative readouts: the latest only
    assert p2["posterior_loa"] == pytest.approx(0.3474, abs=1e-4)  # the class rebuilt as of 2025-07-02


def test_json_keys(esobiotec_path):
    out = CliRunner().invoke(main, ["value", str(esobiotec_path), "--format", "json"])
    doc = json.loads(out.output)
    for k in ("prior_loa", "posterior_loa", "bayes_factor", "weight", "effective_n", "readout_value", "assurance"):
        assert k in doc["pos"], k
    quick = json.loads(CliRunner().invoke(main, ["pos", "--n", "4", "--responders", "4", "--complete", "2",
                                                  "--format", "json"]).output)
    for k in ("prior_loa", "posterior_loa", "bayes_factor", "weight", "effective_n"):
        assert k in quick["pos"], k
    assert quick["pos"]["posterior_loa"] == pytest.approx(0.2175, abs=1e-4)  # docs/method.md 2.7


def test_transportability_discount():
    d = base_dict()
    d["asset"].update(stage="phase2", modality="car-t", indication="rrmm", therapeutic_area="haematologic-malignancies")
    d["phases"] = [{"name": "P2", "kind": "phase2", "duration": 1.0, "cost": 1.0},
                   {"name": "Review", "kind": "filing", "duration": 1.0, "cost": 1.0, "probability": 0.9}]
    d["readouts"] = [{"date": dt.date(2024, 6, 1), "source": "x", "design": "iit", "n": 10, "responders": 9}]
    plain = iitvalue.value(iitvalue.TermSheet.from_dict(d))
    d["pos"] = {"transportability": {"regulatory_factor": 0.5, "delay_years": 1.0}}
    disc = iitvalue.value(iitvalue.TermSheet.from_dict(d))
    assert disc.summary["asset.loa"] == pytest.approx(0.5 * plain.summary["asset.loa"])
    assert disc.summary["asset.approval_time"] == pytest.approx(plain.summary["asset.approval_time"] + 1.0)
    assert disc.summary["pos.prior_loa"] == plain.summary["pos.prior_loa"]  # the update itself is unchanged


# ---- bad input --------------------------------------------------------------------------------------------------
def _sheet_with(readout: dict, pos_cfg: dict | None = None):
    d = base_dict()
    d["asset"].update(stage="phase1", modality="car-t", indication="rrmm")
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 1.0}]
    d["readouts"] = [{"date": dt.date(2024, 6, 1), "source": "x", "design": "iit", "n": 4, "responders": 4, **readout}]
    if pos_cfg:
        d["pos"] = pos_cfg
    return d


@pytest.mark.parametrize("readout,pos_cfg,fragment", [
    ({"responders": 5}, None, "readouts[0].responders: 5 responders exceed n = 4"),
    ({"complete": 5}, None, "readouts[0].complete: 5 complete responses exceed their denominator 4"),
    ({"complete": 2, "complete_n": 1}, None, "exceed their denominator 1"),
    ({"n": 0, "responders": 0}, None, "readouts[0].n"),
    ({"responders": -1}, None, "readouts[0].responders"),
    ({"weight": 1.5}, None, "readouts[0].weight"),
    ({"weight": 0.0}, None, "readouts[0].weight"),
    ({}, {"model": "rrmm-cart"}, "did you mean 'rrmm-car-t'"),
    ({}, {"readout": "2030-01-01"}, "after the valuation date"),
    ({}, {"readout": "soon"}, "pos.readout"),
])
def test_bad_readouts(readout, pos_cfg, fragment):
    with pytest.raises(iitvalue.InputError) as exc:
        iitvalue.TermSheet.from_dict(_sheet_with(readout, pos_cfg))
    assert fragment in str(exc.value)


def test_readout_after_valuation_date_on_the_command_line(esobiotec_path):
    out = CliRunner().invoke(main, ["value", str(esobiotec_path), "--readout", "2025-07-02"])
    assert out.exit_code == 2 and "--readout" in out.output and "after the valuation date" in out.output


@pytest.mark.parametrize("args,fragment", [
    (["--n", "4", "--responders", "5"], "--responders: 5 responders exceed n = 4"),
    (["--n", "4", "--responders", "4", "--complete", "5"], "--complete"),
    (["--n", "0", "--responders", "0"], "--n"),
    (["--n", "4", "--responders", "-1"], "must not be negative"),
    (["--n", "4", "--responders", "4", "--weight", "0"], "--weight"),
    (["--n", "4", "--responders", "4", "--indication", "myeloma"], "known: haematologic, rrmm, solid-tumour"),
    (["--n", "4", "--responders", "4", "--modality", "car_t"], "did you mean 'car-t'"),
    (["--n", "4", "--responders", "4", "--stage", "phase4"], "--stage"),
])
def test_bad_quick_pos(args, fragment):
    out = CliRunner().invoke(main, ["pos", *args])
    assert out.exit_code == 2, out.output
    assert fragment in out.output and "Traceback" not in out.output
