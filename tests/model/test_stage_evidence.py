"""Approval given the class by stage (docs/method.md 2.4) and the evidence-weight rubric (2.5): hand cases,
label independence, late-stage updates, the Monte Carlo's per-path q and the rubric's typical designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iitvalue import catalogue
from iitvalue.model import evidence as E
from iitvalue.model import pos as P

ROW = catalogue.transition_row("car-t", "haematologic-malignancies")
BCMA, _ = catalogue.find_model("rrmm", "car-t")
F = catalogue.efficacy_shares()


def _stage(stage: str):
    probs, shares, _ = P.stage_phases(stage, "car-t", "haematologic-malignancies")
    return probs, shares


def test_nonefficacy_share_of_one_column_is_one_minus_its_efficacy_share():
    """A phase covering one column c (rate b_c) fails for non-efficacy reasons with probability
    (1 - f_c)(1 - b_c): its share g = 1 - f_c exactly."""
    g = catalogue.nonefficacy_shares(["phase1", "phase2", "phase3", "filing"], "phase1", ROW)
    assert g == pytest.approx([1 - F[c] for c in catalogue.PHASE_COLUMNS], abs=1e-12)


def test_nonefficacy_success_hand_case():
    """Two phases p = (0.5, 0.8), g = (0.4, 0.5): R = (1 - 0.4 x 0.5)(1 - 0.5 x 0.2) = 0.8 x 0.9 = 0.72."""
    assert float(catalogue.nonefficacy_success([0.5, 0.8], [0.4, 0.5])) == pytest.approx(0.72, abs=1e-15)
    rows = catalogue.nonefficacy_success(np.array([[0.5, 0.8], [1.0, 1.0]]), [0.4, 0.5])
    np.testing.assert_allclose(rows, [0.72, 1.0], atol=1e-15)


def test_approval_given_the_class_is_efficacy_times_the_nonefficacy_risk():
    probs, shares = _stage("phase1")
    qa, qi, r = catalogue.class_approval(BCMA, probs, shares)
    expected = math.prod(1 - (1 - F[c]) * (1 - ROW.values[c]) for c in catalogue.PHASE_COLUMNS)
    assert r == pytest.approx(expected, abs=1e-14)
    assert qa == pytest.approx(BCMA.efficacy_active * r) and qi == pytest.approx(BCMA.efficacy_inactive * r)
    assert catalogue.class_approval(BCMA, probs, shares, 0.6, 0.01)[:2] == (0.6, 0.01)  # [pos] replaces them


def test_nonefficacy_risk_does_not_depend_on_labels():
    """phase1 -> pivotal -> filing carries the II->III transition into the pivotal: the same R (and LOA) as
    phase1 -> phase2 -> phase3 -> filing."""
    short = ["phase1", "pivotal", "filing"]
    long = ["phase1", "phase2", "phase3", "filing"]
    rs = []
    for kinds in (short, long):
        probs = [p for p, _ in catalogue.benchmark_probabilities(kinds, "iit", ROW)]
        rs.append(float(catalogue.nonefficacy_success(probs, catalogue.nonefficacy_shares(kinds, "iit", ROW))))
    assert rs[0] == pytest.approx(rs[1], abs=1e-14)


def test_stage_raises_approval_given_active():
    """The later the stage, the less non-efficacy risk is left: q_A rises towards e_A."""
    qas = [catalogue.class_approval(BCMA, *_stage(s))[0] for s in ("phase1", "phase2", "phase3", "filed")]
    assert all(a < b for a, b in zip(qas, qas[1:])) and qas[-1] <= BCMA.efficacy_active


KARMMA = P.Evidence.from_counts(128, 94, 42, weight=1.0)  # ide-cel's registrational readout (approved)


def test_an_approved_products_registrational_readout_at_filing_gives_a_high_loa():
    probs, shares = _stage("filed")
    upd = P.update(BCMA, math.prod(probs), [KARMMA], probabilities=probs, shares=shares)
    assert upd.posterior_loa > 0.85 and upd.posterior_loa >= upd.prior_loa - 0.02


@pytest.mark.parametrize("stage", ["phase3", "filed"])
def test_a_weak_readout_in_a_late_stage_lowers_the_loa(stage):
    probs, shares = _stage(stage)
    prior = math.prod(probs)
    upd = P.update(BCMA, prior, [P.Evidence.from_counts(100, 30, 2, weight=1.0)], probabilities=probs, shares=shares)
    assert upd.posterior_loa < 0.5 * prior


def test_a_phase3_asset_can_gain_more_than_the_old_cap_allowed():
    """The fixed q_A = 0.75 let a phase-3 asset gain at most 0.75 - prior; now the ceiling is R at phase 3."""
    probs, shares = _stage("phase3")
    prior = math.prod(probs)
    cartitude = P.Evidence.from_counts(97, 94, 80, weight=1.0)  # cilta-cel's registrational readout (approved)
    upd = P.update(BCMA, prior, [cartitude], probabilities=probs, shares=shares)
    assert upd.posterior_loa > 0.75 and upd.posterior_loa - prior > 0.08


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["phase1", "phase2", "phase3", "filed"]), st.integers(5, 60), st.data())
def test_monotone_in_responders_and_complete_responses_at_every_stage(stage, n, data):
    probs, shares = _stage(stage)
    prior = math.prod(probs)
    r = data.draw(st.integers(0, n - 1))
    c = data.draw(st.integers(0, r))

    def loa(rr, cc):
        return P.update(BCMA, prior, [P.Evidence.from_counts(n, rr, cc, weight=0.5)], probabilities=probs,
                        shares=shares).posterior_loa

    assert loa(r + 1, None) >= loa(r, None) - 1e-12  # responders (CR not reported), as in test_pos
    if c < r:
        assert loa(r, c + 1) >= loa(r, c) - 1e-12  # complete responses at fixed responders


def test_monte_carlo_rows_recompute_q_from_each_paths_phases():
    probs, shares = _stage("phase1")
    upd = P.update(BCMA, math.prod(probs), [KARMMA], probabilities=probs, shares=shares)
    rows = np.array([probs, [min(1.0, p * 1.1) for p in probs]])
    qa, qi = upd.approval_rows(rows)
    r = catalogue.nonefficacy_success(rows, shares)
    np.testing.assert_allclose(qa, BCMA.efficacy_active * r, atol=1e-15)
    np.testing.assert_allclose(qi, BCMA.efficacy_inactive * r, atol=1e-15)
    assert qa[0] == pytest.approx(upd.p_active, abs=1e-15)
    fixed = P.update(BCMA, math.prod(probs), [KARMMA], 0.7, 0.01, probs, shares)
    np.testing.assert_allclose(fixed.approval_rows(rows)[0], [0.7, 0.7])


# ---- the evidence-weight rubric ---------------------------------------------------------------------------
def test_the_typical_designs_keep_their_base_weights():
    assert E.rubric("iit", 0.5).weight == 0.5
    assert E.rubric("iit", 0.5, centres=1, assessment="investigator", manufacturing="academic",
                    followup=0.5).weight == pytest.approx(0.5, abs=1e-15)
    assert E.rubric("registrational", 1.0, centres=12, assessment="independent", manufacturing="commercial",
                    followup=1.0).weight == pytest.approx(1.0, abs=1e-15)


def test_rubric_hand_case_and_cap():
    w = E.rubric("iit", 0.5, centres=5, assessment="independent", manufacturing="commercial", followup=1.0)
    m = E.MULTIPLIERS
    follow = 1.0 / 0.5 ** 0.3  # m_t(1 year) / m_t(six months)
    expected = 0.5 / (0.8 * 0.9 * 0.9) * follow  # every feature from the typical IIT's to the best
    assert m["centres"]["single"] == 0.8 and m["assessment"]["investigator"] == 0.9
    assert w.weight == pytest.approx(expected, abs=1e-15)  # 0.950
    assert E.rubric("iit", 0.9, centres=5, assessment="independent").weight == 1.0  # capped at 1
    few = E.rubric("iit", 0.5, centres=3, followup=0.25)  # 0.5 x 0.9 / 0.8 x (0.25 / 0.5)^0.3
    assert few.weight == pytest.approx(0.5 * 1.125 * 0.5 ** 0.3, abs=1e-15)
    assert E.rubric("registrational", 1.0, assessment="investigator").weight == pytest.approx(
        m["assessment"]["investigator"] / m["assessment"]["independent"])


def test_an_early_readout_counts_for_less_and_a_sub_therapeutic_cohort_not_at_all():
    ws = [E.rubric("iit", 0.5, followup=t).weight for t in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(ws[:5], ws[1:5])) and ws[5] == ws[4]  # mature from a year on
    assert E.rubric("iit", 0.5, dose_level="sub-therapeutic").weight == 0.0


def test_a_sub_therapeutic_cohort_leaves_the_posterior_at_the_prior():
    import iitvalue
    from iitvalue.termsheet.loading import loads

    from conftest import EXAMPLES

    text = (EXAMPLES / "esobiotec.toml").read_text(encoding="utf-8")
    text = text.replace('assessment = "investigator"\nn = 1\n', 'assessment = "investigator"\n'
                        'dose_level = "sub-therapeutic"\nn = 1\n', 1)
    res = iitvalue.value(loads(text))
    assert res.pos.update.posterior_loa == pytest.approx(res.pos.update.prior_loa, abs=1e-15)
    assert res.pos.readouts[0]["weight"] == 0.0
