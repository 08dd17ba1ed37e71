"""The resolved plan: a term sheet with every default filled in from the benchmark tables and the source of
each value recorded, in plain Python numbers (millions, years, fractions). The engines take a :class:`Plan`.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from .. import catalogue
from ..termsheet.schema import TermSheet
from ..units import year_fraction

_PHASE_COLUMN = {"phase1": "phase1", "phase2": "phase2", "phase3": "phase3", "pivotal": "phase3", "filing": "filing"}


@dataclass(frozen=True)
class PlannedPhase:
    name: str
    kind: str
    duration: float
    cost: float
    probability: float  # transition probability P(pass | started)
    profile: tuple[float, ...]  # cost weights over equal slices of the phase, summing to 1
    sources: dict[str, str]  # field -> where its value came from ("term sheet" or a benchmark row)


@dataclass(frozen=True)
class PlannedTerritory:
    name: str
    launch_lag: float
    peak: float
    ramp: tuple[float, ...]  # share of peak in launch years 1..len; 1.0 afterwards
    exclusivity: float  # years: from launch if exclusivity_from_launch else from the valuation date
    exclusivity_from_launch: bool
    erosion: float
    price_change: float
    net_price: float  # millions per patient; nan when not given
    cogs_fraction: float
    cogs_per_patient: float
    sga_fraction: float
    sga_fixed: float
    launch_cost: float
    rival_names: tuple[str, ...] = ()
    rival_launch: tuple[float, ...] = ()  # years from the valuation date (negative: already on the market)
    rival_strength: tuple[float, ...] = ()
    entry_exponent: float = 0.49
    capacity_limited: bool = True  # supplied by the [capacity] plant


@dataclass(frozen=True)
class PlannedCapacity:
    """The manufacturing ceiling: patients per year at full scale and its share in years 1, 2, ... after the
    asset's first launch (1.0 afterwards), padded to the horizon."""

    patients_per_year: float
    ramp: tuple[float, ...]


@dataclass(frozen=True)
class Plan:
    """Everything the engines need, in plain Python numbers (units: millions, years, fractions)."""

    valuation_date: _dt.date
    currency: str
    discount_rate: float
    tax_rate: float
    tax_loss_carryforward: bool
    horizon: float
    dt: float
    mid_period: bool
    phases: tuple[PlannedPhase, ...]
    territories: tuple[PlannedTerritory, ...]
    notes: tuple[str, ...] = ()
    capacity: PlannedCapacity | None = None

    @property
    def n_periods(self) -> int:
        return int(round(self.horizon / self.dt))

    def with_phases(self, probabilities: list[float] | None = None, durations: list[float] | None = None,
                    source: str = "set", note: str | None = None) -> "Plan":
        """A copy with new transition probabilities and/or durations (recorded as coming from ``source``)."""
        probs = probabilities if probabilities is not None else [p.probability for p in self.phases]
        durs = durations if durations is not None else [p.duration for p in self.phases]
        phases = tuple(
            PlannedPhase(p.name, p.kind, float(d), p.cost, float(q), p.profile,
                         {**p.sources, "probability": source} if q != p.probability else p.sources)
            for p, q, d in zip(self.phases, probs, durs)
        )
        return Plan(**{**self.__dict__, "phases": phases, "notes": self.notes + ((note,) if note else ())})


def ramp_rows(kind: str | list[float], years_to_peak, n_years: int) -> np.ndarray:
    """Share of peak sales in launch years 1..n_years for each entry of ``years_to_peak``: (K, n_years).

    ``benchmark``: the Robey & David (2017) curve (11, 31, 58, 76, 89, 100 % over six years), stretched in time to
    ``years_to_peak`` by linear interpolation at y * 6 / years_to_peak (with 0 at launch);
    ``linear``: min(1, y / years_to_peak); a list: those shares, then 1.0 (``years_to_peak`` unused).
    """
    ytp = np.atleast_1d(np.asarray(years_to_peak, dtype=float))[:, None]
    if isinstance(kind, (list, tuple)):
        base = list(kind)[:n_years] + [1.0] * max(0, n_years - len(kind))
        return np.tile(np.asarray(base, dtype=float), (ytp.shape[0], 1))
    years = np.arange(1, n_years + 1, dtype=float)[None, :]
    if kind == "linear":
        return np.minimum(1.0, years / ytp)
    curve = catalogue.launch_curve()
    xs = np.arange(0, len(curve) + 1, dtype=float)
    ys = np.concatenate([[0.0], curve])
    return np.interp(years * len(curve) / ytp, xs, ys, right=1.0)


def ramp_shares(kind: str | list[float], years_to_peak: float, n_years: int) -> tuple[float, ...]:
    """:func:`ramp_rows` for one ``years_to_peak``, as a tuple."""
    return tuple(float(x) for x in ramp_rows(kind, years_to_peak, n_years)[0])


def resolve(sheet: TermSheet) -> Plan:
    """The sheet as the engines see it: every omitted phase input filled from the benchmark tables, noted.

    A phase's omitted duration, cost or transition probability comes from the row of ``iitvalue/data/*.csv`` for
    the asset's modality and therapeutic area (docs/method.md section 1, "Defaults"); territories get the
    ``[costs]`` defaults, the launch curve as shares of peak by year and exclusivity in years from the valuation
    date. No readouts are applied here: this is the prior plan (:func:`iitvalue.value` updates it).

    Parameters
    ----------
    sheet : TermSheet

    Returns
    -------
    Plan
        Plain numbers (millions, years, fractions); ``notes`` says where each default came from and each phase's
        ``sources`` names its row.

    Raises
    ------
    InputError
        No benchmark row for the asset's modality or therapeutic area.

    Examples
    --------
    >>> import iitvalue
    >>> plan = resolve(iitvalue.load("examples/esobiotec.toml"))
    >>> [round(p.probability, 3) for p in plan.phases], plan.discount_rate, plan.n_periods
    ([0.453, 0.473, 0.615, 0.929], 0.1, 25)
    >>> plan.notes[0]
    "Phase 1 (sponsor dose-finding): probability 0.4531 from transition probabilities row 'car-t', column phase1"
    """
    a = sheet.asset
    trans = catalogue.transition_row(a.modality, a.therapeutic_area, a.benchmark)
    durs = catalogue.duration_row(a.therapeutic_area)
    costs = catalogue.cost_row(a.therapeutic_area)
    notes: list[str] = []
    phases = []
    bench = catalogue.benchmark_probabilities([p.kind for p in sheet.phases], a.stage, trans)
    for ph, (p_bench, cols) in zip(sheet.phases, bench):
        col = _PHASE_COLUMN.get(ph.kind)
        src = {}
        vals = {}
        for fname, row in (("duration", durs), ("cost", costs), ("probability", trans)):
            given = getattr(ph, fname)
            if given is not None:
                vals[fname], src[fname] = float(given), "term sheet"
            elif fname == "probability":  # label-independent: the transitions this phase covers
                vals[fname], src[fname] = p_bench, row.describe() + f", {cols}"
                notes.append(f"{ph.name}: probability {p_bench:.4g} from {row.table} row '{row.key}', {cols}")
            else:
                vals[fname] = row.values[col]  # preclinical phases are required to be explicit (terms check)
                src[fname] = row.describe() + f", column {col}"
                notes.append(f"{ph.name}: {fname} {vals[fname]:g} from {row.table} row '{row.key}'")
        w = list(ph.cost_profile) if ph.cost_profile else [1.0]
        total = sum(w)
        phases.append(PlannedPhase(ph.name, ph.kind, vals["duration"], vals["cost"], vals["probability"],
                                   tuple(x / total for x in w), src))
    c = sheet.costs
    n_years = int(math.ceil(sheet.valuation.horizon_years)) + 1
    terrs = []
    made_by_licensor = {name: sup for sup in (sheet.deal.supply if sheet.deal is not None else ())
                        for name in sup.territories}
    for t in sheet.territories:
        if t.name in made_by_licensor:  # the licensor's cost of goods replaces the territory's (deal.supply)
            sup = made_by_licensor[t.name]
            if sup.cogs_fraction is not None or sup.cogs_per_patient is not None:
                t = t.model_copy(update={"cogs_fraction": sup.cogs_fraction or 0.0,
                                         "cogs_per_patient": sup.cogs_per_patient or 0.0})
                notes.append(f"{t.name}: cost of goods from deal.supply (the licensor makes the product)")
        if t.exclusivity_end is not None:
            excl, from_launch = year_fraction(sheet.valuation.date, t.exclusivity_end), False
        else:
            excl, from_launch = float(t.exclusivity_years), True
        pick = lambda own, default: float(own if own is not None else default)  # noqa: E731
        terrs.append(PlannedTerritory(
            name=t.name, launch_lag=t.launch_lag, peak=t.peak,
            ramp=ramp_shares(t.ramp, t.years_to_peak, n_years),
            exclusivity=excl, exclusivity_from_launch=from_launch, erosion=t.erosion, price_change=t.price_change,
            net_price=float(t.net_price) if t.net_price is not None else math.nan,
            cogs_fraction=pick(t.cogs_fraction, c.cogs_fraction), cogs_per_patient=pick(t.cogs_per_patient, c.cogs_per_patient),
            sga_fraction=pick(t.sga_fraction, c.sga_fraction), sga_fixed=pick(t.sga_fixed, c.sga_fixed),
            launch_cost=pick(t.launch_cost, c.launch_cost),
            rival_names=tuple(r.name for r in t.rivals),
            rival_launch=tuple(year_fraction(sheet.valuation.date, r.launch) for r in t.rivals),
            rival_strength=tuple(float(r.strength) for r in t.rivals), entry_exponent=float(t.entry_exponent),
            capacity_limited=bool(t.capacity_limited),
        ))
    cap = None
    if sheet.capacity is not None:
        cap = PlannedCapacity(float(sheet.capacity.patients_per_year),
                              ramp_shares(list(sheet.capacity.ramp) or [1.0], 1.0, n_years))
    v = sheet.valuation
    return Plan(v.date, v.currency, v.discount_rate, v.tax_rate, v.tax_loss_carryforward, v.horizon_years,
                1.0 if v.period == "annual" else 0.25, v.mid_period, tuple(phases), tuple(terrs), tuple(notes), cap)
