"""The numpy special functions against scipy.special over the ranges the models use."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special as ref

from iitvalue.stats import special as sp

RNG = np.random.default_rng(11)
A = np.concatenate([RNG.uniform(0.05, 1.0, 300), RNG.uniform(1.0, 40.0, 400), RNG.uniform(40.0, 400.0, 300)])
B = RNG.permutation(A)
X = RNG.uniform(0.0, 1.0, A.size)


def test_log_gamma_and_beta():
    assert sp.gammaln(A) == pytest.approx(ref.gammaln(A), rel=1e-14, abs=1e-13)
    assert sp.betaln(A, B) == pytest.approx(ref.betaln(A, B), rel=1e-12, abs=1e-11)


def test_incomplete_beta_delegates_to_scipy():
    assert sp.betainc(A, B, X) == pytest.approx(ref.betainc(A, B, X), rel=1e-11, abs=1e-14)
    assert sp.betaincc(A, B, X) == pytest.approx(ref.betaincc(A, B, X), rel=1e-11, abs=1e-14)
    assert sp.betainc(2.0, 3.0, np.array([0.0, 1.0])) == pytest.approx([0.0, 1.0])
    # a closed form: I_x(1, b) = 1 - (1 - x)^b
    assert sp.betainc(1.0, 3.5, 0.3) == pytest.approx(1 - 0.7 ** 3.5, rel=1e-14)


def test_inverse_incomplete_beta():
    p = RNG.uniform(1e-6, 1 - 1e-6, A.size)
    x = sp.betaincinv(A, B, p)
    assert x == pytest.approx(ref.betaincinv(A, B, p), rel=1e-10, abs=1e-14)
    ok = (x > 1e-6) & (x < 1 - 1e-6)  # within 1e-6 of 0 or 1, x cannot carry enough digits to invert p exactly
    assert sp.betainc(A[ok], B[ok], x[ok]) == pytest.approx(p[ok], rel=1e-10, abs=1e-14)
    assert sp.betaincinv(2.0, 2.0, np.array([0.0, 1.0])) == pytest.approx([0.0, 1.0])


def test_binomial_upper_tail():
    n = RNG.integers(1, 300, 200).astype(float)
    k = np.floor(RNG.uniform(-2, 1.0, 200) * n)
    p = RNG.uniform(0, 1, 200)
    assert sp.bdtrc(k, n, p) == pytest.approx(ref.bdtrc(k, n.astype(int), p), rel=1e-11, abs=1e-14)
    assert sp.bdtrc(np.array([5.0, 6.0]), 5.0, 0.3) == pytest.approx([0.0, 0.0])  # P(Y > n) = 0


def test_log_sum_exp_and_friends():
    x = RNG.normal(0, 50, (20, 7))
    x[0] = -np.inf
    assert sp.logsumexp(x, axis=1)[1:] == pytest.approx(ref.logsumexp(x, axis=1)[1:], rel=1e-14)
    assert sp.logsumexp(x, axis=1)[0] == -np.inf
    assert sp.xlogy(np.array([0.0, 2.0]), np.array([0.0, 3.0])) == pytest.approx([0.0, 2 * np.log(3.0)])
    assert sp.expit(sp.logit(np.array([0.2, 0.7]))) == pytest.approx([0.2, 0.7], rel=1e-15)


def test_numpy_incomplete_beta_tails_against_scipy():
    """special.betainc_tails (numpy continued fraction, no scipy) against scipy.special on the random grid and on
    the Clopper-Pearson parameters (r, n - r + 1) the success rules use: both tails to 1e-12 relative for a + b up
    to 800, 1e-13 up to 30."""
    lo, up = sp.betainc_tails(A, B, X)
    assert lo == pytest.approx(ref.betainc(A, B, X), rel=2e-12, abs=1e-300)
    assert up == pytest.approx(ref.betaincc(A, B, X), rel=2e-12, abs=1e-300)
    for n in (1, 5, 30, 100, 400):
        r = np.arange(1.0, n + 1.0)
        for x in (1e-4, 0.05, 0.3, 0.6, 0.97):
            lo, up = sp.betainc_tails(r, n - r + 1.0, x)
            rel = 1e-13 if n <= 30 else 2e-12
            want_lo, want_up = ref.betainc(r, n - r + 1.0, x), ref.betaincc(r, n - r + 1.0, x)
            ok = want_lo > 1e-280  # below, scipy's own values lose digits on the way to underflow
            assert lo[ok] == pytest.approx(want_lo[ok], rel=rel) and np.all(lo[~ok] < 1e-280)
            assert up == pytest.approx(want_up, rel=rel, abs=1e-300)
    lo, up = sp.betainc_tails(2.0, 3.0, np.array([0.0, 1.0, -0.5, 1.5]))
    assert list(lo) == [0.0, 1.0, 0.0, 1.0] and list(up) == [1.0, 0.0, 1.0, 0.0]
    # a closed form: I_x(1, b) = 1 - (1 - x)^b, and the upper tail (1 - x)^b keeps its digits far out
    lo, up = sp.betainc_tails(1.0, 3.5, np.array([0.3, 0.999999]))
    assert lo[0] == pytest.approx(1 - 0.7 ** 3.5, rel=1e-14) and up[1] == pytest.approx(1e-6 ** 3.5, rel=1e-12)
