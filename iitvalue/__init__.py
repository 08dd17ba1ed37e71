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
import os
import sys

__version__ = "0.1.0"


def _command_line_process() -> bool:
    """Whether this process is the command line: the console script (``sys.argv[0]`` is the ``iitvalue`` script),
    or ``python -m iitvalue`` (while the package is imported for it, ``sys.argv[0]`` is ``-m`` and
    ``sys.orig_argv`` names the module)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.splitext(os.path.basename(argv0))[0] == "iitvalue":
        return True
    orig = list(getattr(sys, "orig_argv", []))
    return argv0 == "-m" and "-m" in orig and orig[orig.index("-m") + 1:orig.index("-m") + 2] == ["iitvalue"]


# The command line's linear algebra is small (the 400-point Gauss-Legendre nodes of a readout valuation, a few
# least-squares fits): OpenBLAS's threads only cost there, and on a busy machine they turn the nodes' 10-20 ms
# eigenvalue problem into 1-3 s (benchmarks/README.md). So the command line runs OpenBLAS single-threaded unless
# OPENBLAS_NUM_THREADS is set; a library user's process is left alone, and so is one that imported numpy first.
if "numpy" not in sys.modules and _command_line_process():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
    "backtest": "analysis.backtest",
    "comps": "analysis.comps",
    "history": "analysis.history",
    "route": "analysis.route",
    "evsi": "analysis.evsi",
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


# modules that register into a lower one when imported (the notebook verdict's fair upfront: analysis.pricing)
_WITH = {"value": ("analysis.pricing",), "Result": ("analysis.pricing",), "value_many": ("analysis.pricing",)}


def __getattr__(name: str):
    if name in _LAZY:
        for extra in _WITH.get(name, ()):
            importlib.import_module(f".{extra}", __name__)
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{_MODULES[name]}", __name__)
    raise AttributeError(f"module 'iitvalue' has no attribute {name!r}")


def __dir__():
    return __all__
