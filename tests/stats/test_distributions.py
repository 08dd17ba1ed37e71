"""The distribution registry: sampling moments against closed forms, exact and tabulated quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from iitvalue.stats.distributions import DISTRIBUTIONS, distribution
from iitvalue.termsheet import Uncertainty


# ---- -----------------------------------------------------------------------------
DISTS = [
    # (entry, closed-form mean, closed-form variance)
    ({"dist": "normal", "mean": 10.0, "sd": 2.0}, 10.0, 4.0),
    ({"dist": "lognormal", "mean": 10.0, "sd": 3.0}, 10.0, 9.0),
    ({"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0}, 3.0, (1 + 4 + 36 - 2 - 6 - 12) / 18),
    # PERT: mean (a + 4c + b)/6 = 2.5; alpha = 1 + 4 (c-a)/(b-a) = 1.8, beta = 1 + 4 (b-c)/(b-a) = 4.2,
    # var = (b-a)^2 alpha beta / ((alpha+beta)^2 (alpha+beta+1)) = 25 x 1.8 x 4.2 / (36 x 7) = 0.75
    ({"dist": "pert", "low": 1.0, "mode": 2.0, "high": 6.0}, 2.5, 0.75),
    ({"dist": "uniform", "low": 2.0, "high": 5.0}, 3.5, 0.75),
    ({"dist": "discrete", "values": [1.0, 2.0, 4.0], "weights": [0.5, 0.3, 0.2]}, 1.9, 0.5 + 1.2 + 3.2 - 1.9 ** 2),
    ({"dist": "beta", "a": 2.0, "b": 6.0}, 0.25, 12 / (64 * 9)),
    ({"dist": "beta", "mean": 0.3, "n": 10.0}, 0.3, 0.21 / 11),
]


@pytest.mark.parametrize("entry,mean,var", DISTS)
def test_sampling_moments_match_closed_forms(entry, mean, var):
    m = distribution(Uncertainty(path="x", **entry))
    assert m.mean() == pytest.approx(mean, rel=1e-12) and m.var() == pytest.approx(var, rel=1e-12)
    n = 200_000
    rng = np.random.default_rng(0)
    for x in (m.sample(n, rng), m.from_normal(rng.standard_normal(n))):  # independent and copula routes
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
        assert x.var() == pytest.approx(var, rel=0.03)


def test_quantiles_exact_and_tabulated():
    """The PERT/beta copula transform (tabulated quantile) is within 1e-6 of the range of the exact quantile; the
    exact ppf matches scipy's beta and triangular distributions."""
    m = distribution(Uncertainty(path="x", dist="pert", low=0.05, mode=0.09, high=0.14))
    z = np.linspace(-6, 6, 20001)
    exact = m.ppf(sps.norm.cdf(z))
    assert np.max(np.abs(m.from_normal(z) - exact)) < 1e-6 * 0.09
    u = np.linspace(0.001, 0.999, 999)
    assert np.allclose(m.ppf(u), 0.05 + 0.09 * sps.beta(m.p["alpha"], m.p["beta"]).ppf(u), atol=1e-12)
    t = distribution(Uncertainty(path="x", dist="triangular", low=1.0, mode=2.0, high=6.0))
    assert np.allclose(t.ppf(u), sps.triang(c=0.2, loc=1.0, scale=5.0).ppf(u), atol=1e-12)




def test_every_registered_distribution_is_tested():
    assert {e["dist"] for e, _, _ in DISTS} == set(DISTRIBUTIONS)
