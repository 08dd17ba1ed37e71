"""The Examples sections of the public API's docstrings, run as doctests from the repository root."""

from __future__ import annotations

import doctest
import importlib

import pytest

from conftest import ROOT

MODULES = ["iitvalue.analysis.portfolio", "iitvalue.valuation", "iitvalue.model.outcomes", "iitvalue.units",
           "iitvalue.stats.roots", "iitvalue.tables", "iitvalue.termsheet.schema", "iitvalue.termsheet.loading",
           "iitvalue.errors", "iitvalue.montecarlo.simulate", "iitvalue.model.engine", "iitvalue.model.plan",
           "iitvalue.deal.kernel", "iitvalue.model.asset", "iitvalue.deal.value", "iitvalue.model.pos",
           "iitvalue.stats.betamix", "iitvalue.analysis.sensitivity", "iitvalue.analysis.pricing",
           "iitvalue.analysis.calibrate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
