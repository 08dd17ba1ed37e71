"""iitvalue: risk-adjusted valuation of biotech assets and deals built on investigator-initiated-trial readouts.

Library entry points::

    import iitvalue
    sheet = iitvalue.load("examples/esobiotec.toml")
    result = iitvalue.value(sheet)
    result.summary      # pandas Series keyed like the JSON output (asset.rnpv, ...)
    result.cashflows    # per-period DataFrame

Money is in millions of the term sheet's currency, time in years from the valuation date, rates are fractions.
Heavy modules (numpy, pandas, pydantic) load on first use so that the command line starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "InputError": "errors",
    "NumericalError": "errors",
    "Problem": "errors",
    "TermSheet": "terms",
    "load": "terms",
    "loads": "terms",
    "Result": "valuation",
    "value": "valuation",
}

__all__ = sorted(_LAZY) + ["__version__"]


_MODULES = {"benchmarks", "betamix", "cli", "errors", "pos", "reference", "report", "rnpv", "terms", "valuation"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'iitvalue' has no attribute {name!r}")


def __dir__():
    return __all__
