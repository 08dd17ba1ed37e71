"""Tests for iitvalue.betamix (beta mixtures, RBesT-style)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import gammaln

from iitvalue.stats.betamix import BetaMix, Decision1S, bayes_factor, oc1s, pos1s

MIX3 = BetaMix.of((0.5, 2.0, 8.0), (0.3, 10.0, 5.0), (0.2, 1.0, 1.0))


def _quad01(fun, points=(0.1, 0.3, 0.5, 0.7, 0.9)) -> float:
    return integrate.quad(fun, 0.0, 1.0, points=points, limit=400, epsabs=1e-14, epsrel=1e-12)[0]


# ------------------------------------------------------------------ construction
def test_weights_normalised_readonly_and_copied():
    w = np.array([2.0, 6.0])
    mix = BetaMix(w, [1.0, 3.0], [1.0, 4.0])
    w[0] = 100.0
    np.testing.assert_allclose(mix.weights, [0.25, 0.75])
    assert mix.weights.dtype == np.float64
    with pytest.raises(ValueError):
        mix.weights[0] = 0.5
    with pytest.raises(ValueError):
        mix.a[0] = 0.5


def test_from_mean_n_and_components():
    single = BetaMix.from_mean_n(0.3, 10)
    np.testing.assert_allclose([single.a[0], single.b[0]], [3.0, 7.0])
    mix = BetaMix.from_components([1, 3], [0.2, 0.5], [10, 4])
    np.testing.assert_allclose(mix.a, [2.0, 2.0])
    np.testing.assert_allclose(mix.b, [8.0, 2.0])
    np.testing.assert_allclose(mix.weights, [0.25, 0.75])


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: BetaMix.of((1.0, 0.0, 1.0)), "a must be > 0"),
        (lambda: BetaMix.of((1.0, -1.0, 1.0)), "a must be > 0"),
        (lambda: BetaMix.of((1.0, 1.0, 0.0)), "b must be > 0"),
        (lambda: BetaMix.of((-0.1, 1.0, 1.0), (1.0, 2.0, 2.0)), "non-negative"),
        (lambda: BetaMix.of((0.0, 1.0, 1.0), (0.0, 2.0, 2.0)), "not all be zero"),
        (lambda: BetaMix([0.5, 0.5], [1.0], [1.0]), "same shape"),
        (lambda: BetaMix([1.0], [np.nan], [1.0]), "finite"),
        (lambda: BetaMix([1.0], [np.inf], [1.0]), "finite"),
        (lambda: BetaMix.of(), "at least one"),
        (lambda: BetaMix.from_mean_n(1.2, 10), r"means must lie in \(0, 1\)"),
        (lambda: BetaMix.from_mean_n(0.5, 0), "ns must be > 0"),
        (lambda: MIX3.posterior(5, 4), r"0 <= r <= n"),
        (lambda: MIX3.posterior(-1, 4), r"0 <= r <= n"),
        (lambda: MIX3.posterior(2, 4, weight=0.0), r"weight must lie in \(0, 1\]"),
        (lambda: MIX3.posterior(2, 4, weight=1.5), r"weight must lie in \(0, 1\]"),
        (lambda: MIX3.log_marginal(2, 4, weight=0.0), r"weight must lie in \(0, 1\]"),
        (lambda: MIX3.robustify(1.5), r"robust weight must lie in \[0, 1\]"),
        (lambda: MIX3.predictive(-1), "non-negative integer"),
        (lambda: MIX3.predictive(2.5), "non-negative integer"),
        (lambda: MIX3.ppf(1.5), r"\[0, 1\]"),
        (lambda: MIX3.ess("bogus"), "unknown ESS method"),
        (lambda: BetaMix.of((1.0, 0.5, 3.0)).ess("elir"), ">= 1"),
        (lambda: Decision1S(threshold=1.2), "threshold"),
        (lambda: Decision1S(threshold=0.3, level=1.0), "level"),
        (lambda: Decision1S(threshold=0.3, kind="fancy"), "kind"),
        (lambda: Decision1S(0.3, prior=MIX3, kind="exact"), "no prior"),
        (lambda: Decision1S(0.3)(11, 10), r"0 <= r <= n"),
    ],
)
def test_bad_inputs_raise(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_sample_requires_generator():
    with pytest.raises(TypeError):
        MIX3.sample(10, rng=None)  # type: ignore[arg-type]


# ------------------------------------------------------------------ distribution
def test_moments_pdf_cdf_against_quadrature():
    assert _quad01(MIX3.pdf) == pytest.approx(1.0, abs=1e-10)
    assert MIX3.mean() == pytest.approx(_quad01(lambda p: p * MIX3.pdf(p)), rel=1e-10)
    m2 = _quad01(lambda p: p * p * MIX3.pdf(p))
    assert MIX3.var() == pytest.approx(m2 - MIX3.mean() ** 2, rel=1e-9)
    for x in (0.05, 0.37, 0.8):
        cdf_q = integrate.quad(MIX3.pdf, 0.0, x, epsabs=1e-14)[0]
        assert MIX3.cdf(x) == pytest.approx(cdf_q, rel=1e-9)
        assert MIX3.sf(x) == pytest.approx(1.0 - cdf_q, rel=1e-9)
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(np.log(MIX3.pdf(x)), MIX3.logpdf(x), rtol=1e-12)
    assert MIX3.pdf(1.5) == 0.0 and MIX3.cdf(-0.1) == 0.0 and MIX3.cdf(1.1) == 1.0


@pytest.mark.parametrize("mix", [MIX3, BetaMix.of((0.9, 200.0, 50.0), (0.1, 0.5, 0.5))])
def test_ppf_cdf_round_trip_and_endpoints(mix):
    x = np.array([1e-4, 0.01, 0.2, 0.5, 0.77, 0.95, 0.999])
    np.testing.assert_allclose(mix.ppf(mix.cdf(x)), x, rtol=1e-9)
    q = np.array([1e-12, 0.025, 0.5, 0.975, 1 - 1e-9])
    np.testing.assert_allclose(mix.cdf(mix.ppf(q)), q, rtol=1e-9)
    assert mix.ppf(0.0) == 0.0 and mix.ppf(1.0) == 1.0


def test_interval_coverage():
    lo, hi = MIX3.interval(0.9)
    assert MIX3.cdf(lo) == pytest.approx(0.05, abs=1e-12)
    assert MIX3.sf(hi) == pytest.approx(0.05, abs=1e-12)
    draws = MIX3.sample(200_000, np.random.default_rng(20240501))
    cover = np.mean((draws >= lo) & (draws <= hi))
    assert cover == pytest.approx(0.9, abs=0.005)  # binomial sd ~ 0.0007


def test_sample_moments():
    draws = MIX3.sample(200_000, np.random.default_rng(7))
    assert draws.mean() == pytest.approx(MIX3.mean(), abs=0.003)
    assert draws.var() == pytest.approx(MIX3.var(), rel=0.02)


# ---------------------------------------------------------------------- posterior
@pytest.mark.parametrize("r, n, w", [(3, 10, 1.0), (7.5, 12, 0.5), (0, 5, 0.3), (20, 20, 1.0), (2.25, 9.5, 0.8)])
def test_posterior_against_quadrature(r, n, w):
    """Posterior ∝ f(p) [p^r (1-p)^(n-r)]^w; the binomial coefficient cancels."""
    post = MIX3.posterior(r, n, weight=w)

    def lik(p):
        return p ** (w * r) * (1.0 - p) ** (w * (n - r))

    comp = [
        (lambda p, k=k: MIX3.weights[k] * stats.beta.pdf(p, MIX3.a[k], MIX3.b[k]) * lik(p))
        for k in range(3)
    ]
    z = np.array([_quad01(c) for c in comp])
    np.testing.assert_allclose(post.weights, z / z.sum(), rtol=1e-8)
    for k in range(3):  # component parameters: compare each component's mean and 2nd moment
        m1 = _quad01(lambda p: p * comp[k](p)) / z[k]
        m2 = _quad01(lambda p: p * p * comp[k](p)) / z[k]
        ak, bk = post.a[k], post.b[k]
        assert ak / (ak + bk) == pytest.approx(m1, rel=1e-8)
        assert ak * (ak + 1) / ((ak + bk) * (ak + bk + 1)) == pytest.approx(m2, rel=1e-8)
    for x in (0.1, 0.45, 0.8):
        assert post.pdf(x) == pytest.approx(MIX3.pdf(x) * lik(x) / z.sum(), rel=1e-8)
    # log marginal includes the tempered binomial coefficient C(n, r)^w (via gammaln)
    lc = gammaln(n + 1) - gammaln(r + 1) - gammaln(n - r + 1)
    assert MIX3.log_marginal(r, n, w) == pytest.approx(w * lc + np.log(z.sum()), rel=1e-9, abs=1e-9)


def test_posterior_weights_hand_computed():
    """0.5 Beta(1,1) + 0.5 Beta(9,1), then 4 responders of 4.

    Components become Beta(5,1) and Beta(13,1).  Marginal-likelihood ratios:
    B(5,1)/B(1,1) = (1/5)/1 = 1/5 and B(13,1)/B(9,1) = (1/13)/(1/9) = 9/13.
    Weights ∝ 0.5*1/5 : 0.5*9/13 = 1/10 : 9/26 = 13/130 : 45/130,
    so w' = (13/58, 45/58) ≈ (0.224138, 0.775862).
    """
    post = BetaMix.of((0.5, 1, 1), (0.5, 9, 1)).posterior(4, 4)
    w1, w2 = Fraction(1, 2) * Fraction(1, 5), Fraction(1, 2) * Fraction(9, 13)
    expected = [float(w1 / (w1 + w2)), float(w2 / (w1 + w2))]
    assert expected == pytest.approx([13 / 58, 45 / 58])
    np.testing.assert_allclose(post.weights, expected, rtol=1e-13)
    np.testing.assert_allclose(post.a, [5.0, 13.0])
    np.testing.assert_allclose(post.b, [1.0, 1.0])


def test_tiny_power_weight_returns_prior():
    post = MIX3.posterior(17, 20, weight=1e-12)
    for got, want in ((post.weights, MIX3.weights), (post.a, MIX3.a), (post.b, MIX3.b)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    frac=st.floats(0.0, 1.0),
    x=st.floats(0.01, 0.99),
    w=st.floats(0.05, 1.0),
)
def test_more_responders_never_lower_posterior(n, frac, x, w):
    r = int(frac * (n - 1))
    lo, hi = MIX3.posterior(r, n, w), MIX3.posterior(r + 1, n, w)
    assert hi.mean() >= lo.mean() - 1e-12
    assert hi.sf(x) >= lo.sf(x) - 1e-12


def test_bayes_factor_against_quadrature():
    mix1, mix0 = BetaMix.of((1, 6, 4)), BetaMix.of((1, 1, 1))
    r, n = 7, 10
    m1 = _quad01(lambda p: stats.binom.pmf(r, n, p) * mix1.pdf(p))
    m0 = _quad01(lambda p: stats.binom.pmf(r, n, p) * mix0.pdf(p))
    assert bayes_factor(mix1, mix0, r, n) == pytest.approx(m1 / m0, rel=1e-9)
    assert m0 == pytest.approx(1 / 11, rel=1e-12)  # uniform prior: marginal is 1/(n+1)


# --------------------------------------------------------------------- predictive
def test_predictive_single_component_is_betabinom():
    pmf = BetaMix.of((1, 2.5, 4.0)).predictive(12)
    np.testing.assert_allclose(pmf, stats.betabinom.pmf(np.arange(13), 12, 2.5, 4.0), rtol=1e-13)


def test_predictive_sums_to_one_and_matches_monte_carlo():
    pmf = MIX3.predictive(15)
    assert pmf.shape == (16,) and pmf.sum() == pytest.approx(1.0, abs=1e-13)
    rng = np.random.default_rng(12345)
    y = rng.binomial(15, MIX3.sample(400_000, rng))
    freq = np.bincount(y, minlength=16) / y.size
    np.testing.assert_allclose(freq, pmf, atol=0.003)


def test_lee_liu_predictive_probability():
    """Lee & Liu (Clin Trials 2008;5:93-106), Section 2 example.

    Prior Beta(0.6, 0.4), Nmax = 40, 16 responses in the first 23 patients,
    p0 = 0.60, theta_T = 0.90: predictive probability PP = 0.5656 (paper).
    PP = sum_i P(Y = i | 16/23) * 1[P(p > 0.6 | 16 + i of 40) > 0.9], i = 0..17.
    Our computation gives 0.565559; success needs i >= 12 further responses.
    """
    post = BetaMix.of((1, 0.6, 0.4)).posterior(16, 23)
    m = 40 - 23
    pred = post.predictive(m)
    b_i = np.array([post.posterior(i, m).sf(0.6) for i in range(m + 1)])
    pp = float(np.sum(pred[b_i > 0.9]))
    assert round(pp, 4) == 0.5656
    # the same via the RBesT-style machinery: decision prior = interim posterior
    rule = Decision1S(threshold=0.6, level=0.9, prior=post)
    assert rule.critical_value(m) == 12
    assert pos1s(post, m, rule) == pytest.approx(pp, abs=1e-14)


# ---------------------------------------------------------------------------- ESS
@pytest.mark.parametrize("a, b", [(2.0, 3.0), (5.0, 1.5), (40.0, 60.0), (0.5, 0.5), (0.3, 4.0), (1.0, 1.0)])
def test_ess_single_beta_moment_and_morita_equal_a_plus_b(a, b):
    """Moment: m(1-m)/v - 1 = a+b exactly for Beta(a,b); Morita et al. (2008)
    ESS of Beta(a,b) is a+b (their Section 3.1 / Neuenschwander et al. 2020)."""
    mix = BetaMix.of((1.0, a, b))
    assert mix.ess("moment") == pytest.approx(a + b, rel=1e-12)
    assert mix.ess("morita") == pytest.approx(a + b, rel=1e-10)


@pytest.mark.parametrize("a, b", [(2.0, 3.0), (5.0, 1.5), (1.01, 7.0), (40.0, 60.0)])
def test_ess_elir_single_beta(a, b):
    """Neuenschwander et al. (Biometrics 2020): ELIR ESS of Beta(a,b) is a+b
    (for a, b > 1; not a+b-2).  Checked by brute-force quadrature:
    E[(a-1)(1-p)/p + (b-1)p/(1-p)] = (a-1) b/(a-1) + (b-1) a/(b-1) = a + b."""
    mix = BetaMix.of((1.0, a, b))
    assert mix.ess("elir") == pytest.approx(a + b, rel=1e-12)
    if a >= 2 and b >= 2:
        brute = integrate.quad(
            lambda p: stats.beta.pdf(p, a, b) * ((a - 1) * (1 - p) / p + (b - 1) * p / (1 - p)), 0, 1, limit=200
        )[0]
        assert brute == pytest.approx(a + b, rel=1e-8)


def test_ess_elir_uniform_is_zero():
    # the uniform prior has zero curvature everywhere, so its local information ratio is 0
    assert BetaMix.of((1, 1, 1)).ess("elir") == 0.0


def test_ess_moment_mixture_by_hand():
    mix = BetaMix.of((0.5, 1, 1), (0.5, 9, 1))
    # m = 0.5*0.5 + 0.5*0.9 = 0.7 ; E[p^2] = 0.5*(1/3) + 0.5*(90/110) ; ESS = m(1-m)/v - 1
    m2 = 0.5 / 3 + 0.5 * 90 / 110
    v = m2 - 0.49
    assert mix.ess("moment") == pytest.approx(0.21 / v - 1, rel=1e-12)


def _fd_info(mix: BetaMix, p, h=1e-4):
    return -(mix.logpdf(p + h) - 2 * mix.logpdf(p) + mix.logpdf(p - h)) / h**2


def test_ess_elir_mixture_brute_force_and_predictive_consistency():
    mix = BetaMix.of((0.6, 12, 8), (0.4, 3, 9))
    brute = integrate.quad(
        lambda p: mix.pdf(p) * _fd_info(mix, p) * p * (1 - p), 1e-4, 1 - 1e-4, limit=400, points=[0.25, 0.6]
    )[0]
    elir = mix.ess("elir")
    assert elir == pytest.approx(brute, rel=1e-5)
    # Neuenschwander et al. 2020, predictive consistency: E_Y[ESS(post | Y of N)] = ESS(prior) + N
    for prior in (mix, mix.robustify(0.2, mean=0.5, n=2.0)):
        n_new = 10
        pred = prior.predictive(n_new)
        avg = sum(pred[y] * prior.posterior(y, n_new).ess("elir") for y in range(n_new + 1))
        assert avg == pytest.approx(prior.ess("elir") + n_new, rel=1e-9)


def test_ess_morita_mixture_brute_force():
    mix = BetaMix.of((0.6, 12, 8), (0.4, 3, 9))
    grid = np.linspace(0.001, 0.999, 200_001)
    mode = grid[np.argmax(mix.logpdf(grid))]
    m = mix.mean()
    expected = (_fd_info(mix, mode) + 1 / mode**2 + 1 / (1 - mode) ** 2) / (m / mode**2 + (1 - m) / (1 - mode) ** 2)
    assert mix.ess("morita") == pytest.approx(expected, rel=1e-5)
    # RBesT's flattening constant s=100 changes i_0 by (1/x + 1/(1-x))/s, i.e.
    # ESS(s) = ESS(inf) - 1/(s x (1-x) E[i_Y(x)])
    shift = 1 / (100 * mode * (1 - mode) * (m / mode**2 + (1 - m) / (1 - mode) ** 2))
    assert mix.ess("morita", s=100) == pytest.approx(mix.ess("morita") - shift, rel=1e-6)


def test_robustify():
    rob = MIX3.robustify(0.2, mean=0.4, n=5)
    np.testing.assert_allclose(rob.weights, np.append(0.8 * MIX3.weights, 0.2), rtol=1e-14)
    np.testing.assert_allclose(rob.a, np.append(MIX3.a, 2.0))
    np.testing.assert_allclose(rob.b, np.append(MIX3.b, 3.0))
    default = BetaMix.of((1, 10, 10)).robustify(0.1)
    np.testing.assert_allclose([default.a[-1], default.b[-1]], [1.0, 1.0])  # uniform Beta(1, 1), n = a + b = 2
    x = np.array([0.2, 0.6])
    np.testing.assert_allclose(rob.pdf(x), 0.8 * MIX3.pdf(x) + 0.2 * stats.beta.pdf(x, 2, 3), rtol=1e-12)


# ----------------------------------------------------------------------- decisions
def test_bayes_decision_matches_posterior_probability():
    prior = BetaMix.of((0.8, 6, 14), (0.2, 1, 1))
    rule = Decision1S(threshold=0.25, level=0.95, prior=prior)
    r = np.arange(31)
    direct = np.array([prior.posterior(ri, 30).sf(0.25) >= 0.95 for ri in r])
    np.testing.assert_array_equal(rule(r, 30), direct)
    assert rule.critical_value(30) == int(np.argmax(direct))
    assert isinstance(rule(12, 30), bool)
    # default decision prior is Beta(1,1): posterior Beta(r+1, n-r+1)
    flat = Decision1S(threshold=0.25, level=0.95)
    np.testing.assert_array_equal(flat(r, 30), stats.beta.sf(0.25, r + 1, 31 - r) >= 0.95)


@pytest.mark.parametrize("n", [10, 25, 40])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.975])
def test_exact_decision_against_clopper_pearson(n, level):
    rule = Decision1S(threshold=0.3, level=level, kind="exact")
    r = np.arange(n + 1)
    lows = np.array(
        [stats.binomtest(int(k), n).proportion_ci(confidence_level=2 * level - 1, method="exact").low for k in r]
    )
    np.testing.assert_allclose(rule.lower_bound(r, n), lows, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(rule(r, n), lows >= 0.3)
    crit = rule.critical_value(n)
    assert lows[crit] >= 0.3 and (crit == 0 or lows[crit - 1] < 0.3)


def test_critical_value_none_succeeds():
    rule = Decision1S(threshold=0.9, level=0.99)
    assert rule.critical_value(3) == 4
    np.testing.assert_allclose(oc1s(3, rule, [0.5, 0.99]), 0.0)


def test_pos1s_brute_force_and_integral_of_oc():
    """Assurance = sum_y pred(y) 1[success(y)] = ∫ OC(theta) f(theta) dtheta."""
    design = BetaMix.of((0.7, 12, 8), (0.3, 1, 1))
    rule = Decision1S(threshold=0.45, level=0.9)
    n = 40
    pred = design.predictive(n)
    brute = float(np.sum(pred * rule(np.arange(n + 1), n)))
    pos = pos1s(design, n, rule)
    assert pos == pytest.approx(brute, abs=1e-14)
    integral = _quad01(lambda t: oc1s(n, rule, t) * design.pdf(t), points=(0.3, 0.45, 0.6, 0.8))
    assert abs(pos - integral) < 1e-8
    assert 0.0 < pos < 1.0


def test_oc1s_is_binomial_tail():
    rule = Decision1S(threshold=0.3, level=0.975)
    n = 25
    crit = rule.critical_value(n)
    theta = np.array([0.2, 0.3, 0.5, 0.7])
    want = [sum(stats.binom.pmf(y, n, t) for y in range(crit, n + 1)) for t in theta]
    np.testing.assert_allclose(oc1s(n, rule, theta), want, rtol=1e-10)
    # type-I error at the threshold is below 1 - level for the flat-prior Bayes rule
    assert oc1s(n, rule, 0.3) < 0.05


def test_decisions_equal_their_scipy_definitions():
    """Decision1S decides from numpy tails (scipy only within 1e-8 of a level): on a grid of designs the decisions
    equal the definitions computed with scipy.special, P(p > threshold | r, n) >= level and the Clopper-Pearson
    bound >= threshold; a rule with a tail at its level is decided by scipy (here exactly at the boundary)."""
    from scipy import special as ref

    for n in (1, 2, 5, 10, 17, 30, 60, 100, 250):
        r = np.arange(n + 1.0)
        for thr in (0.05, 0.2, 0.3, 0.45, 0.6, 0.8):
            for level in (0.8, 0.9, 0.95, 0.975, 0.99):
                exact = Decision1S(threshold=thr, level=level, kind="exact")
                bound = np.where(r > 0, ref.betaincinv(np.maximum(r, 1.0), n - r + 1.0, 1.0 - level), 0.0)
                assert np.array_equal(exact(r, n), bound >= thr)
                for prior in (None, MIX3):
                    rule = Decision1S(threshold=thr, level=level, prior=prior)
                    mix = rule.decision_prior
                    post = [mix.posterior(float(k), float(n)) for k in r]
                    sf = np.array([p.weights @ ref.betaincc(p.a, p.b, thr) for p in post])
                    assert np.array_equal(rule(r, n), sf >= level)
    # a threshold equal to the Clopper-Pearson bound of r = 3 of 10: that tail is at its level, scipy decides
    thr = float(ref.betaincinv(3.0, 8.0, 0.025))
    rule = Decision1S(threshold=thr, level=0.975, kind="exact")
    assert np.array_equal(rule(np.arange(11), 10), rule.lower_bound(np.arange(11), 10) >= thr)
