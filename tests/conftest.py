"""Shared fixtures: small term sheets built as dicts so each test states exactly what it values."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COMPARABLES = ROOT / "iitvalue" / "comparables"


def base_dict(**over) -> dict:
    """An approved asset with one territory, no costs and no tax: the building block of hand-computed cases."""
    d = {
        "valuation": {"name": "t", "date": dt.date(2025, 1, 1), "currency": "USD", "discount_rate": 0.10,
                      "horizon_years": 10, "period": "annual", "mid_period": False, "tax_rate": 0.0},
        "asset": {"name": "A", "modality": "antibody", "indication": "x", "therapeutic_area": "oncology",
                  "stage": "approved"},
        "phases": [],
        "territories": [{"name": "US", "peak_sales": 100.0, "ramp": [1.0], "exclusivity_years": 100.0}],
        "costs": {"cogs_fraction": 0.0, "sga_fraction": 0.0},
    }
    for k, v in over.items():
        d[k] = v
    return copy.deepcopy(d)


@pytest.fixture
def esobiotec_path() -> Path:
    return EXAMPLES / "esobiotec.toml"
