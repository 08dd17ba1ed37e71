"""The shipped reference data: benchmark tables (phase-transition probabilities, durations, costs, launch
curve) and the Bayesian class models, each number with its source (``iitvalue/data/*.csv``).

This module only reads the tables and chooses rows for an asset: benchmark rows by modality first, then by
therapeutic area (:func:`transition_row`); class models by indication and modality (:func:`find_model`).
"""

from __future__ import annotations

import csv
import math
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


# A thin benchmark row (few transitions behind a rate) is shrunk toward its parent row: beta-binomial shrinkage
# with a prior worth SHRINK_TRANSITIONS transitions at the parent's rate, p~ = (n p + m p_parent) / (n + m)
# (docs/method.md 1, Defaults). Rows without counts in transition_counts.csv are used as published.
SHRINK_TRANSITIONS = 10.0


def _shrunk(row: BenchmarkRow) -> BenchmarkRow:
    counts = {rec["key"]: rec for rec in _read("transition_counts.csv")}
    rec = counts.get(row.key)
    if rec is None:
        return row
    parent = _row(row.table, "transition_probabilities.csv", rec["parent"])
    m = SHRINK_TRANSITIONS
    values = {}
    for c in PHASE_COLUMNS:
        n = float(rec[f"n_{c}"])
        values[c] = (n * row.values[c] + m * parent.values[c]) / (n + m)
    ns = "/".join(rec[f"n_{c}"] for c in PHASE_COLUMNS)
    return BenchmarkRow(row.table, row.key, row.label, values,
                        f"{row.source}; shrunk toward '{parent.key}' with n = {ns} transitions against "
                        f"{m:g} (docs/method.md 1)")


# Benchmark columns: phase k covers the transitions from the first one not yet covered up to its own column
# (a pivotal trial is the phase-3 transition); the last phase absorbs the rest, review included. So the
# prior LOA is the benchmark's LOA from the current stage however the remaining phases are labelled.
OWN_COLUMN = {"phase1": 0, "phase2": 1, "phase3": 2, "pivotal": 2, "filing": 3}
STAGE_COLUMN = {"preclinical": 0, "iit": 0, "phase1": 0, "phase2": 1, "phase3": 2, "filed": 3, "approved": 4}


def covered_columns(kinds: list[str], stage: str) -> list[tuple[int, ...]]:
    """For each phase, the benchmark columns (0 = phase1 .. 3 = filing) its default probability multiplies.

    Walking the phases in order from the stage's column, each covers every column from the first uncovered
    one up to its own (a skipped transition is carried into the phase that absorbs it), the last one up to the
    review; a phase whose own column is already covered (two phase-2 studies in a row) shares that column
    with the phases before it (see :func:`benchmark_probabilities`). Preclinical phases cover nothing."""
    nxt = STAGE_COLUMN.get(stage, 0)
    clinical = [j for j, k in enumerate(kinds) if k in OWN_COLUMN]
    out: list[tuple[int, ...]] = [() for _ in kinds]
    for i, j in enumerate(clinical):
        own = OWN_COLUMN[kinds[j]]
        last = len(PHASE_COLUMNS) - 1 if i == len(clinical) - 1 else own
        cols = tuple(range(nxt, last + 1))
        out[j] = cols if cols else (own,)
        nxt = max(nxt, last + 1)
    return out


def benchmark_probabilities(kinds: list[str], stage: str, row: BenchmarkRow) -> list[tuple[float, str]]:
    """Each phase's default transition probability and the columns it comes from: the product over its
    covered columns of the row's rate, each column's rate split evenly (in log terms) among the phases that
    cover it. Preclinical phases get (nan, "")."""
    cover = covered_columns(kinds, stage)
    share = {}
    for cols in cover:
        for c in cols:
            share[c] = share.get(c, 0) + 1
    out = []
    for cols in cover:
        if not cols:
            out.append((float("nan"), ""))
            continue
        p = 1.0
        for c in cols:
            p *= row.values[PHASE_COLUMNS[c]] ** (1.0 / share[c])
        names = " x ".join(PHASE_COLUMNS[c] + (f"^(1/{share[c]})" if share[c] > 1 else "") for c in cols)
        out.append((p, f"column{'s' if len(cols) > 1 else ''} {names}"))
    return out


# ---- the non-efficacy risk of the remaining phases (docs/method.md 2.4) ----------------------------------------
@lru_cache(maxsize=None)
def efficacy_shares() -> dict[str, float]:
    """Share of the failures of each benchmark transition (``phase1`` .. ``filing``) that are for efficacy, f_c
    (``iitvalue/data/failure_reasons.csv``, each with its source); the rest are safety, manufacturing,
    regulatory and strategic failures."""
    out = {rec["column"]: float(rec["efficacy_share"]) for rec in _read("failure_reasons.csv")}
    missing = [c for c in PHASE_COLUMNS if c not in out]
    if missing:
        raise ValueError(f"failure_reasons.csv lacks the columns {missing}")
    return out


def nonefficacy_shares(kinds: list[str], stage: str, row: BenchmarkRow) -> list[float]:
    """For each phase, the share g_j of its benchmark failure probability that is not for efficacy.

    A phase covering benchmark columns C_j (:func:`covered_columns`, each rate b_c split evenly among the phases
    that share it, as in :func:`benchmark_probabilities`) fails for a non-efficacy reason in column c with
    probability (1 - f_c)(1 - b_c), so

        g_j = (1 - prod_c [1 - (1 - f_c)(1 - b_c)]) / (1 - prod_c b_c),

    the mean of 1 - f_c when the columns carry no risk, and 1 - f_phase1 for a phase that covers no column
    (preclinical). g_j depends on the benchmark only, so it applies unchanged to a phase probability the user
    gives (:func:`nonefficacy_success`).

    Examples
    --------
    >>> row = transition_row("car-t", "haematologic-malignancies")
    >>> [round(g, 4) for g in nonefficacy_shares(["phase1", "pivotal", "filing"], "iit", row)]  # 0.7, -, 0.5
    [0.7, 0.4686, 0.5]
    """
    f = efficacy_shares()
    cover = covered_columns(kinds, stage)
    split: dict[int, int] = {}
    for cols in cover:
        for c in cols:
            split[c] = split.get(c, 0) + 1
    out = []
    for cols in cover:
        if not cols:
            out.append(1.0 - f[PHASE_COLUMNS[0]])
            continue
        b = [row.values[PHASE_COLUMNS[c]] ** (1.0 / split[c]) for c in cols]
        g = [1.0 - f[PHASE_COLUMNS[c]] for c in cols]
        fail = 1.0 - math.prod(b)
        if fail <= 0.0:
            out.append(sum(g) / len(g))
        else:
            out.append((1.0 - math.prod([1.0 - gi * (1.0 - bi) for gi, bi in zip(g, b)])) / fail)
    return out


def nonefficacy_success(probabilities, shares):
    """R = prod_j [1 - g_j (1 - p_j)]: the probability that no remaining phase fails for a non-efficacy reason,
    for each row of ``probabilities`` (..., J) with the phases' non-efficacy shares g_j (J,)
    (:func:`nonefficacy_shares`). R >= prod_j p_j, with equality when every g_j = 1.

    Examples
    --------
    >>> round(float(nonefficacy_success([0.5, 0.8], [0.4, 0.5])), 6)  # (1 - 0.4 * 0.5) (1 - 0.5 * 0.2)
    0.72
    """
    import numpy as np

    p = np.asarray(probabilities, dtype=float)
    g = np.asarray(shares, dtype=float)
    return np.prod(1.0 - g * (1.0 - p), axis=-1)


def class_approval(model: "ClassModel", probabilities, shares, p_active: float | None = None,
                   p_inactive: float | None = None) -> tuple[float, float, float]:
    """P(approval | active) and P(approval | inactive) at the current stage, and R (docs/method.md 2.4).

    The readout speaks to efficacy; the other risks of the remaining phases (safety, manufacturing,
    regulatory, strategy) multiply separately:

        q_c = e_c R,   R = prod_j [1 - g_j (1 - p_j)]   (:func:`nonefficacy_success`)

    with e_A, e_I the class model's efficacy given the class and g_j the non-efficacy share of phase j's
    failures. ``p_active`` / ``p_inactive`` (``pos.p_approval_active`` / ``_inactive``) replace q_A / q_I.

    Parameters
    ----------
    model : ClassModel
        The class model (its ``efficacy_active``, ``efficacy_inactive``).
    probabilities : sequence of float
        The remaining phases' prior transition probabilities p_j.
    shares : sequence of float
        Their non-efficacy shares g_j (:func:`nonefficacy_shares`).
    p_active, p_inactive : float, optional
        Given q_A, q_I.

    Returns
    -------
    tuple of float
        (q_A, q_I, R).

    Examples
    --------
    >>> m, _ = find_model("rrmm", "car-t")
    >>> [round(x, 4) for x in class_approval(m, [0.5, 0.8], [0.4, 0.5])]  # R = 0.8 x 0.9
    [0.72, 0.0144, 0.72]
    """
    r = float(nonefficacy_success(list(probabilities), list(shares))) if len(shares) else 1.0
    qa = model.efficacy_active * r if p_active is None else p_active
    qi = model.efficacy_inactive * r if p_inactive is None else p_inactive
    return qa, qi, r


def transition_row(modality: str, therapeutic_area: str, override: str | None = None) -> BenchmarkRow:
    """Phase-transition probabilities P(pass phase | started it) for the asset."""
    key = override or _TRANSITION_BY_MODALITY.get(modality) or _TRANSITION_BY_AREA.get(therapeutic_area, "all")
    return _shrunk(_row("transition probabilities", "transition_probabilities.csv", key))


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
    efficacy_active: float  # e_A: P(the remaining efficacy tests are passed | active), docs/method.md 2.4
    efficacy_inactive: float  # e_I: the same given inactive
    source: str
    components: tuple[dict, ...] = ()


def jeffreys_rates(n: float, responders: float, complete: float | None) -> tuple[float, float | None]:
    """A published programme's ORR and CR share of responders shrunk with a Jeffreys half-count, so that 100 %
    stays inside (0, 1): ((r + 1/2) / (n + 1), (c + 1/2) / (r + 1)) (docs/method.md 2.3)."""
    return (responders + 0.5) / (n + 1.0), ((complete + 0.5) / (responders + 1.0) if complete is not None else None)


def class_mixture(parts: list[tuple[float, float]], robust: float = 0.0) -> BetaMix:
    """One class's beta mixture: an equal-weight component per (mean, prior sample size) in ``parts``, robustified
    with weight ``robust``; the uniform Beta(1, 1) without parts (no information: identical in both classes,
    Bayes factor 1)."""
    if not parts:
        return UNIFORM
    k = len(parts)
    base = BetaMix.from_components([1.0 / k] * k, [p[0] for p in parts], [p[1] for p in parts])
    return base.robustify(robust) if robust > 0 else base


@lru_cache(maxsize=None)
def _models() -> dict[str, ClassModel]:
    return _build_models(())


def model_without(key: str, programme: str) -> ClassModel:
    """The class model ``key`` built without the components of ``programme`` (a programme id of
    ``iitvalue/data/programmes/``): a leave-one-programme-out model for the backtest."""
    return _build_models((programme,))[key]


def _build_models(exclude: tuple[str, ...]) -> dict[str, ClassModel]:
    comps = [c for c in _read("pos_components.csv") if not c.get("programme") or c["programme"] not in exclude]
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
                n = float(c["n"])
                orr_mean, cr_mean = jeffreys_rates(n, orr * n, float(c["cr"]) * n if c["cr"] else None)
            else:
                orr_mean, cr_mean = orr, (float(c["cr"]) if c["cr"] else None)
            mix.setdefault((c["class"], "orr"), []).append((orr_mean, ess))
            if cr_mean is not None:
                mix.setdefault((c["class"], "cr"), []).append((cr_mean, ess))
            rows.append({"class": c["class"], "label": c["label"], "orr_mean": orr_mean, "cr_mean": cr_mean,
                         "ess": ess, "source": c["source"], "programme": c.get("programme", "")})

        def build(cls: str, endpoint: str) -> BetaMix:
            return class_mixture(mix.get((cls, endpoint), []), robust)

        out[key] = ClassModel(
            key=key, indication=m["indication"], modality=m["modality"], therapeutic_area=m["therapeutic_area"],
            description=m["description"],
            orr_active=build("active", "orr"), orr_inactive=build("inactive", "orr"),
            cr_active=build("active", "cr"), cr_inactive=build("inactive", "cr"),
            efficacy_active=float(m["efficacy_active"]), efficacy_inactive=float(m["efficacy_inactive"]),
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
    sheet, the generic row of its therapeutic area. Raises :class:`InputError` listing the known keys. A
    valuation rebuilds a programme-based row as of its date (:func:`iitvalue.programmes.find_model_at`)."""
    return _find(indication, modality, therapeutic_area, key)


def model_row(key: str) -> dict[str, str]:
    """The ``pos_models.csv`` row of class model ``key``."""
    return next(m for m in _read("pos_models.csv") if m["model"] == key)


def generic_model(therapeutic_area: str) -> ClassModel:
    """The literature-based generic class model of a therapeutic area (haematologic when unknown)."""
    return _models()[_AREA_FALLBACK.get(therapeutic_area, "haematologic")]


def _find(indication: str, modality: str, therapeutic_area: str | None, key: str | None) -> tuple[ClassModel, str]:
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
