"""iitvalue: risk-adjusted valuation of biotech assets and deals built on investigator-initiated-trial readouts.

Library entry points::

    import iitvalue
    sheet = iitvalue.load("examples/esobiotec.toml")
    result = iitvalue.value(sheet)
    result.summary      # pandas Series keyed like the JSON output (asset.rnpv, ...)
    result.cashflows    # per-period DataFrame

Money is in millions of the term sheet's currency, time in years from the valuation date, rates are fractions.
Every subpackage and the public names load on first use, so ``import iitvalue`` and the command line start fast.

Layers, lowest first (a module imports only from layers below it): ``errors``, ``units``; ``stats``;
``termsheet``; ``catalogue``; ``model``; ``deal``; ``valuation``; ``analysis``, ``montecarlo``; ``excel``,
``report``; ``cli``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "InputError": "errors",
    "NumericalError": "errors",
    "Problem": "errors",
    "TermSheet": "termsheet.schema",
    "load": "termsheet.loading",
    "loads": "termsheet.loading",
    "Result": "valuation",
    "value": "valuation",
    "simulate": "montecarlo.simulate",
    "Simulation": "montecarlo.simulate",
    "tornado": "analysis.sensitivity",
    "price": "analysis.pricing",
    "value_many": "analysis.portfolio",
}

# subpackages and modules reachable as attributes; the older flat names are aliases of their new homes
_MODULES = {
    "analysis": "analysis", "catalogue": "catalogue", "cli": "cli", "deal": "deal", "errors": "errors",
    "excel": "excel", "model": "model", "montecarlo": "montecarlo", "report": "report", "stats": "stats",
    "termsheet": "termsheet", "units": "units", "valuation": "valuation",
    "betamix": "stats.betamix", "calibrate": "analysis.calibrate", "pos": "model.pos", "reference": "model.reference",
    "rnpv": "model.engine", "terms": "termsheet", "benchmarks": "catalogue",
}

__all__ = sorted(set(_LAZY) | set(_MODULES)) + ["__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    raise AttributeError(f"module 'iitvalue' has no attribute {name!r}")


def __dir__():
    return __all__
