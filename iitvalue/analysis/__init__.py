"""Analyses built on valuations: ``calibrate`` (the pricing model and its fit), ``pricing`` (implied inputs, fair
price), ``goalseek``, ``sensitivity`` (tornado, scenarios, grids) and ``portfolio`` (many sheets). Each submodule
loads on first use (``iitvalue.analysis.pricing`` works without an import)."""

from __future__ import annotations

import importlib

_SUBMODULES = ("calibrate", "goalseek", "portfolio", "pricing", "sensitivity")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'iitvalue.analysis' has no attribute {name!r}")


def __dir__():
    return sorted(_SUBMODULES)
