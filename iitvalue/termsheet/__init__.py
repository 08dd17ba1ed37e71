"""The term-sheet layer: the validated input models, TOML loading with line numbers, dotted paths for what-ifs,
and the trigger types. It imports nothing of the model: the engines take what it produces.

Modules: ``vocabulary`` (allowed values), ``schema`` (pydantic models), ``checks`` (cross-field rules),
``paths`` (dotted paths and field bounds), ``lines`` (TOML line numbers), ``messages`` (validation errors as
located problems), ``triggers`` (the trigger registry), ``loading`` (``load`` / ``loads``).
"""

from __future__ import annotations

from typing import Any

from .loading import load, loads
from .paths import describe_bounds, get_path, loc_to_path, parse_path, parse_set_option, within
from .paths import numeric_field as _numeric_field
from .paths import set_path as _set_path
from .schema import (Asset, Correlation, CostShare, Costs, Deal, Milestone, Observed, Party, Phase, Pivotal, Pool,
                     Pos, ProfitShare, Readout, Royalty, Scenario, TermSheet, Territory, Tier, Transportability,
                     Trigger, Uncertainty, Valuation)
from .vocabulary import POSTERIOR_PATH, SIMULATED_FIELDS


def numeric_field(path: str) -> tuple[tuple, tuple[float, bool, float, bool]]:
    """Location tuple and bounds (low, low inclusive, high, high inclusive) of a numeric term-sheet field."""
    return _numeric_field(path, TermSheet)


def set_path(data: dict, path: str | tuple, value: Any) -> None:
    """Set ``value`` at dotted ``path`` in a raw term-sheet dict, checking the path against the schema."""
    _set_path(data, path, value, TermSheet)


__all__ = ["Asset", "Correlation", "CostShare", "Costs", "Deal", "Milestone", "Observed", "POSTERIOR_PATH", "Party",
           "Phase", "Pivotal", "Pool", "Pos", "ProfitShare", "Readout", "Royalty", "SIMULATED_FIELDS", "Scenario",
           "TermSheet", "Territory", "Tier", "Transportability", "Trigger", "Uncertainty", "Valuation",
           "describe_bounds", "get_path", "load", "loads", "loc_to_path", "numeric_field", "parse_path",
           "parse_set_option", "set_path", "within"]
