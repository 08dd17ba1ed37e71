"""The shipped reference data: benchmark tables (phase-transition probabilities, durations, costs, launch
curve) and the Bayesian class models, each number with its source (``iitvalue/data/*.csv``).

This module only reads the tables and chooses rows for an asset: benchmark rows by modality first, then by
therapeutic area (:func:`transition_row`); class models by indication and modality (:func:`find_model`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import InputError, Problem, suggest
from .stats.betamix import BetaMix

UNIFORM = BetaMix.of((1.0, 1.0, 1.0))

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
    """The rows of ``iitvalue/data/<name>`` as dicts (cached: the files are package data)."""
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


# ---- the shipped class models ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassModel:
    """Class distributions and approval probabilities for one indication x modality."""

    key: str
    indication: str
    modality: str
    therapeutic_area: str
    description: str
    orr_active: BetaMix
    orr_inactive: BetaMix
    cr_active: BetaMix
    cr_inactive: BetaMix
    p_approval_active: float
    p_approval_inactive: float
    source: str
    components: tuple[dict, ...] = ()


@lru_cache(maxsize=None)
def _models() -> dict[str, ClassModel]:
    comps = _read("pos_components.csv")
    out = {}
    for m in _read("pos_models.csv"):
        key = m["model"]
        ess_default = float(m["component_ess"])
        robust = float(m["robust_weight"])
        mix: dict[tuple[str, str], list[tuple[float, float]]] = {}
        rows = []
        for c in comps:
            if c["model"] != key:
                continue
            ess = float(c["ess"]) if c["ess"] else ess_default
            orr = float(c["orr"])
            if c["n"]:
                # a published programme: shrink its rates with a Jeffreys half-count so 100% stays inside (0, 1)
                n = float(c["n"])
                r = orr * n
                orr_mean = (r + 0.5) / (n + 1.0)
                cr_mean = (float(c["cr"]) * n + 0.5) / (r + 1.0) if c["cr"] else None
            else:
                orr_mean, cr_mean = orr, (float(c["cr"]) if c["cr"] else None)
            mix.setdefault((c["class"], "orr"), []).append((orr_mean, ess))
            if cr_mean is not None:
                mix.setdefault((c["class"], "cr"), []).append((cr_mean, ess))
            rows.append({"class": c["class"], "label": c["label"], "orr_mean": orr_mean, "cr_mean": cr_mean,
                         "ess": ess, "source": c["source"]})

        def build(cls: str, endpoint: str) -> BetaMix:
            parts = mix.get((cls, endpoint))
            if not parts:
                return UNIFORM  # no information on this endpoint: identical in both classes, Bayes factor 1
            k = len(parts)
            base = BetaMix.from_components([1.0 / k] * k, [p[0] for p in parts], [p[1] for p in parts])
            return base.robustify(robust) if robust > 0 else base

        out[key] = ClassModel(
            key=key, indication=m["indication"], modality=m["modality"], therapeutic_area=m["therapeutic_area"],
            description=m["description"],
            orr_active=build("active", "orr"), orr_inactive=build("inactive", "orr"),
            cr_active=build("active", "cr"), cr_inactive=build("inactive", "cr"),
            p_approval_active=float(m["p_approval_active"]), p_approval_inactive=float(m["p_approval_inactive"]),
            source=m["source"], components=tuple(rows),
        )
    return out


def class_model_keys() -> tuple[str, ...]:
    return tuple(_models())


def known_indications() -> tuple[str, ...]:
    return tuple(sorted({m.indication for m in _models().values()}))


_AREA_FALLBACK = {"haematologic-malignancies": "haematologic", "haematology": "haematologic",
                  "oncology": "solid-tumour", "solid-tumours": "solid-tumour"}


def find_model(indication: str, modality: str, therapeutic_area: str | None = None,
               key: str | None = None) -> tuple[ClassModel, str]:
    """The class model for an asset, and a note saying how it was chosen.

    Order: an explicit key; an exact (indication, modality) row; the indication's any-modality row; for a term
    sheet, the generic row of its therapeutic area. Raises :class:`InputError` listing the known keys."""
    models = _models()
    if key is not None:
        if key not in models:
            raise InputError(Problem("pos.model", f"unknown model '{key}'{suggest(key, models)}; known: {', '.join(models)}"))
        return models[key], f"class model '{key}' (given)"
    for m in models.values():
        if m.indication == indication and m.modality == modality:
            return m, f"class model '{m.key}' ({m.description})"
    for m in models.values():
        if m.indication == indication and m.modality == "*":
            return m, f"class model '{m.key}' ({m.description})"
    if therapeutic_area in _AREA_FALLBACK:
        m = models[_AREA_FALLBACK[therapeutic_area]]
        return m, (f"no class model for indication '{indication}' with modality '{modality}': using the generic "
                   f"'{m.key}' model of therapeutic area '{therapeutic_area}'")
    inds = known_indications()
    if indication not in inds:
        raise InputError(Problem("indication", f"unknown indication '{indication}'{suggest(indication, inds)}; "
                                 f"known: {', '.join(inds)}"))
    mods = sorted({m.modality for m in models.values() if m.indication == indication})
    raise InputError(Problem("modality", f"no class model for modality '{modality}' in '{indication}'"
                             f"{suggest(modality, mods)}; known: {', '.join(mods)}"))
