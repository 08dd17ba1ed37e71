"""Root finders against closed-form roots, and their refusal of a missing bracket."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iitvalue.errors import NumericalError
from iitvalue.stats.roots import bisect, bisect_increasing, brent


@pytest.mark.parametrize("solver", [brent, bisect])
@pytest.mark.parametrize("f, lo, hi, root", [
    (lambda x: math.exp(x) - 3.0, 0.0, 5.0, math.log(3.0)),
    (lambda x: x ** 3 - 1e-9, 0.0, 1.0, 1e-3),
    (lambda x: math.atan(x - 0.3), -10.0, 50.0, 0.3),
    (lambda x: 1.0 if x > 0.123 else -1.0, 0.0, 1.0, 0.123),  # a step: only bisection-like steps converge
])
def test_roots_by_closed_form(solver, f, lo, hi, root):
    assert solver(f, lo, hi, xtol=1e-13) == pytest.approx(root, abs=1e-12)


@pytest.mark.parametrize("solver", [brent, bisect])
def test_no_bracket_is_a_numerical_error(solver):
    with pytest.raises(NumericalError, match="no sign change"):
        solver(lambda x: x * x + 1.0, -1.0, 1.0)


def test_brent_is_fast_on_smooth_functions():
    calls = []
    brent(lambda x: calls.append(x) or math.exp(x) - 3.0, 0.0, 5.0)
    assert len(calls) < 20  # bisection to 1e-12 needs about 42


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 100), st.floats(-5, 5))
def test_brent_finds_the_root_of_a_shifted_cubic(scale, root):
    x = brent(lambda t: scale * (t - root) ** 3 + (t - root), -10.0, 10.0, xtol=1e-12)
    assert x == pytest.approx(root, abs=1e-10)


def test_elementwise_bisection_inverts_an_increasing_function():
    targets = np.array([0.0, 0.1, 0.5, 0.99])
    x = bisect_increasing(lambda v: v ** 2, targets, 0.0, 1.0)
    assert x == pytest.approx(np.sqrt(targets), abs=1e-15)
