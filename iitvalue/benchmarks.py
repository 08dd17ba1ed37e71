"""Shipped benchmark tables (phase-transition probabilities, durations, costs, launch curve).

Every number lives in a CSV under ``iitvalue/data`` with a ``source`` column; this module only reads them and
chooses a row for an asset. Rows are chosen by modality first, then by therapeutic area (see ``choose_row``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

PHASE_COLUMNS = ("phase1", "phase2", "phase3", "filing")

# Which BIO transition row a modality or a therapeutic area maps to.  Modality wins over area because the
# modality rows (CAR-T, gene therapy) are the closer comparables for cell and gene therapies.
_TRANSITION_BY_MODALITY = {"car-t": "car-t", "gene-therapy": "gene-therapy"}
_TRANSITION_BY_AREA = {
    "oncology": "oncology",
    "haematologic-malignancies": "haematologic-malignancies",
    "solid-tumours": "solid-tumours",
    "haematology": "haematology",
    "rare-disease": "rare-disease",
}
# BIO reports durations for three cohorts only; haematologic malignancies and solid tumours are oncology.
_DURATION_BY_AREA = {
    "oncology": "oncology",
    "haematologic-malignancies": "oncology",
    "solid-tumours": "oncology",
    "haematology": "haematology",
}
_COST_BY_AREA = {
    "oncology": "oncology",
    "haematologic-malignancies": "oncology",
    "solid-tumours": "oncology",
}

THERAPEUTIC_AREAS = ("oncology", "haematologic-malignancies", "solid-tumours", "haematology", "rare-disease", "other")


@dataclass(frozen=True)
class BenchmarkRow:
    table: str
    key: str
    label: str
    values: dict[str, float]
    source: str

    def describe(self) -> str:
        return f"{self.table} row '{self.key}' ({self.label}; {self.source})"


@lru_cache(maxsize=None)
def _read(name: str) -> tuple[dict[str, str], ...]:
    with resources.files("iitvalue").joinpath("data", name).open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def _row(table: str, filename: str, key: str) -> BenchmarkRow:
    for rec in _read(filename):
        if rec["key"] == key:
            values = {c: float(rec[c]) for c in PHASE_COLUMNS}
            return BenchmarkRow(table, key, rec["label"], values, rec["source"])
    raise KeyError(f"no row '{key}' in {filename}")


def transition_row(modality: str, therapeutic_area: str, override: str | None = None) -> BenchmarkRow:
    """Phase-transition probabilities P(pass phase | started it) for the asset."""
    key = override or _TRANSITION_BY_MODALITY.get(modality) or _TRANSITION_BY_AREA.get(therapeutic_area, "all")
    return _row("transition probabilities", "transition_probabilities.csv", key)


def duration_row(therapeutic_area: str) -> BenchmarkRow:
    """Median phase durations in years."""
    return _row("phase durations", "phase_durations.csv", _DURATION_BY_AREA.get(therapeutic_area, "all"))


def cost_row(therapeutic_area: str) -> BenchmarkRow:
    """Cost per phase in millions (one trial per phase)."""
    return _row("phase costs", "phase_costs.csv", _COST_BY_AREA.get(therapeutic_area, "all"))


def transition_keys() -> tuple[str, ...]:
    return tuple(rec["key"] for rec in _read("transition_probabilities.csv"))


@lru_cache(maxsize=None)
def launch_curve() -> tuple[float, ...]:
    """Share of peak sales in launch years 1, 2, ... (Robey & David 2017); 1.0 after the last year."""
    rows = sorted(_read("launch_curve.csv"), key=lambda r: int(r["year_after_launch"]))
    return tuple(float(r["share_of_peak"]) for r in rows)
