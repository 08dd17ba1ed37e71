"""The Examples sections of the analysis layer's public docstrings (price, tornado, calibrate), run as doctests
from the repository root like tests/test_doctests.py does for the other layers."""

from __future__ import annotations

import doctest
import importlib

import pytest

from conftest import ROOT


@pytest.mark.parametrize("name", ["iitvalue.analysis.pricing", "iitvalue.analysis.sensitivity",
                                  "iitvalue.analysis.calibrate"])
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
