"""Monte Carlo simulation: set-up (``setup``), random draws and the copula (``draws``), per-outcome values from
the deal kernel (``outcomes``), the fast asset-only engine (``fast``), the simulation and its result
(``simulate``) and plots (``plots``). ``simulate`` and ``Simulation`` are re-exported here."""

from __future__ import annotations

from .simulate import PERCENTILES, Simulation, simulate, stats

__all__ = ["PERCENTILES", "Simulation", "simulate", "stats"]
