"""The joint engine (docs/method.md 5): each indication's lines on its own timeline, then the realised lines of
every joint outcome, flattened to rows s x Omega + omega so that the deal's streams and triggers, written for
the engine's scenario axis, read them unchanged.

In joint outcome omega, indication k spends the R&D of the phases it started (every phase up to the one it
fails in; all when approved; none when never started) and, when approved, earns its sales. Territories of the
same name are one market: their sales add up, the market launches with the first approved indication there
and takes that indication's exclusivity end. One plant serves every indication: a ``[capacity]`` ceiling
applies to the patients of all approved indications together, ramped from the first launch of any
(:func:`~iitvalue.model.engine.capacity_factor`); commercial profit is scaled on its variable part,
c = K (c + fixed) - fixed. Tax is charged on the asset's total profit in each outcome
(:func:`~iitvalue.model.engine.tax_lines`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import (Lines, ModelArrays, arrays_from_plan, capacity_factor, evaluate, fixed_cost_terms, market_time,
                     tax_lines)
from .joint import JointPlan, joint_probabilities, joint_states
from .plan import PlannedCapacity


@dataclass(frozen=True)
class Named:
    name: str
    kind: str = ""


@dataclass(frozen=True)
class FlatPlan:
    """What the deal's streams and triggers read of a plan, for the joint outcomes: the markets (territory names
    of all indications) and every indication's phases, the valuation date, the horizon and the period."""

    valuation_date: Any
    horizon: float
    dt: float
    territories: tuple[Named, ...]
    phases: tuple[Named, ...]


@dataclass
class FlatLines:
    """Realised lines of every (scenario, joint outcome), rows s x Omega + omega: per market (R, M, N), per phase
    of any indication (R, J, N), and totals (R, N). Money in millions."""

    t_start: np.ndarray
    t_end: np.ndarray
    t_cash: np.ndarray
    revenue_by_territory: np.ndarray
    commercial_by_territory: np.ndarray
    launch_time: np.ndarray  # (R, M) first launch in the market, inf when no indication is approved there
    exclusivity_end: np.ndarray  # (R, M)
    rd_by_phase: np.ndarray
    capacity: np.ndarray | None  # (R, N) the plant's factor K, None without a ceiling
    revenue_free: np.ndarray | None  # (R, N) sales of territories the plant does not supply (with a ceiling)
    revenue: np.ndarray
    rd: np.ndarray
    operating_profit: np.ndarray
    tax: np.ndarray
    fcf: np.ndarray


@dataclass
class JointLines:
    """The joint engine's output: ``states`` (Omega, K), each indication's ``lines`` (S scenarios), the
    flattened realised lines ``flat`` with their ``flat_plan``, and ``probabilities`` (S, Omega)."""

    plan: JointPlan
    states: np.ndarray
    lines: list[Lines]
    arrays: list[ModelArrays]
    flat: FlatLines
    flat_plan: FlatPlan
    probabilities: np.ndarray
    market_of: list[list[int]]  # per indication, the market index of each of its territories
    phase_owner: list[int]  # per phase of flat_plan, the indication it belongs to
    fixed: list[np.ndarray] = field(default_factory=list)  # per indication, fixed costs by territory (S, M_k, N)

    @property
    def n_scenarios(self) -> int:
        return self.lines[0].loa.shape[0]

    @property
    def n_outcomes(self) -> int:
        return self.states.shape[0]

    @property
    def t_cash(self) -> np.ndarray:
        return self.flat.t_cash

    @property
    def plans(self):
        return [i.plan for i in self.plan.indications]

    def values(self, df: np.ndarray) -> np.ndarray:
        """The asset's NPV in each joint outcome, (S, Omega): sum_k fcf_k DF_k of the outcome's realised lines."""
        return (self.flat.fcf * df).sum(-1).reshape(self.n_scenarios, self.n_outcomes)

    def indication_of(self, trigger) -> int:
        """The indication a trigger is about: the owner of its phase, the one it names, else the lead."""
        if getattr(trigger, "phase", None) is not None:
            return self.phase_owner[[p.name for p in self.flat_plan.phases].index(trigger.phase)]
        name = getattr(trigger, "indication", None)
        return self.plan.names.index(name) if name is not None else 0

    def lift(self, k: int, happens: np.ndarray) -> np.ndarray:
        """(S, J_k + 1) per-outcome booleans of indication k as (S, Omega) over joint outcomes (False where it
        never starts)."""
        idx = self.states[:, k]
        return np.where(idx[None, :] >= 0, happens[:, np.maximum(idx, 0)], False)

    def reshape(self, x: np.ndarray) -> np.ndarray:
        """Flat rows (S x Omega, ...) as (S, Omega, ...)."""
        return x.reshape((self.n_scenarios, self.n_outcomes) + x.shape[1:])

    def own_sales(self, k: int) -> np.ndarray:
        """Indication k's realised sales by its territories in every (scenario, joint outcome), (S x Omega, M_k,
        N): its success-path sales where it is approved (after the plant's factor on the territories the plant
        supplies), 0 elsewhere."""
        S, O = self.n_scenarios, self.n_outcomes
        ln, st = self.lines[k], self.states[:, k]
        J = ln.prob_start.shape[1]
        rev = np.broadcast_to(ln.revenue_by_territory[:, None], (S, O) + ln.revenue_by_territory.shape[1:])
        rev = rev * (st == J)[None, :, None, None]
        if self.flat.capacity is not None:
            plant = np.array([t.capacity_limited for t in self.plans[k].territories], dtype=bool)
            K = self.reshape(self.flat.capacity)[:, :, None, :]
            rev = np.where(plant[None, None, :, None], rev * K, rev)
        return rev.reshape((S * O,) + rev.shape[2:])

    def own_values(self, k: int, df: np.ndarray) -> np.ndarray:
        """Indication k's own cash flows in each joint outcome, taxed as if it were alone, (S, Omega): its
        commercial profit when approved (after the shared plant's factor) minus the R&D it spends."""
        S, O = self.n_scenarios, self.n_outcomes
        ln, st = self.lines[k], self.states[:, k]
        J = ln.prob_start.shape[1]
        inc = (st[:, None] >= np.arange(J)[None, :]) & (st[:, None] >= 0)
        rd = np.einsum("sjn,oj->son", ln.rd_by_phase, inc.astype(float))
        comm = ln.commercial_by_territory.sum(1)  # (S, N)
        if self.flat.capacity is not None:
            K = self.reshape(self.flat.capacity)
            plant = np.array([t.capacity_limited for t in self.plans[k].territories], dtype=float)
            c_in = np.einsum("m,smn->sn", plant, ln.commercial_by_territory)
            fixed = np.einsum("m,smn->sn", plant, self.fixed[k])
            comm_o = K * (c_in + fixed)[:, None, :] - fixed[:, None, :] + (comm - c_in)[:, None, :]
        else:
            comm_o = np.broadcast_to(comm[:, None, :], (S, O, comm.shape[-1]))
        profit = np.where((st == J)[None, :, None], comm_o, 0.0) - rd
        arr = self.arrays[k]
        tax = tax_lines(profit.reshape(S * O, -1), np.repeat(arr.tax_rate, O), arr.tax_loss_carryforward)
        return ((profit.reshape(S * O, -1) - tax) * df).sum(-1).reshape(S, O)


def start_offset(jp: JointPlan, k: int, lines: list[Lines]) -> np.ndarray | None:
    """Years from the valuation date to indication k's start, (S,): its parent's event time plus the lag."""
    ind = jp.indications[k]
    if ind.parent is None:
        return None
    ln = lines[ind.parent]
    J = ln.prob_start.shape[1]
    if ind.event == "approval" or ind.phase + 1 >= J:
        t = ln.approval_time
    else:
        t = ln.phase_start[:, ind.phase + 1]
    return np.asarray(t, dtype=float) + ind.lag


def evaluate_joint(jp: JointPlan, arrays: list[ModelArrays] | None = None, rate: float | None = None,
                   capacity: PlannedCapacity | None = None) -> JointLines:
    """Run every indication through the engine (on its own timeline) and build the realised lines of every joint
    outcome. ``arrays`` (one per indication, S scenarios) default to the plans'; ``rate`` sets every
    indication's discount rate; ``capacity`` is the shared plant (the lead plan's by default)."""
    inds = jp.indications
    capacity = capacity if capacity is not None else jp.lead.capacity
    arrs = arrays or [arrays_from_plan(i.plan) for i in inds]
    lines: list[Lines] = []
    for k, arr in enumerate(arrs):
        arr.capacity = arr.capacity_ramp = None  # one plant for all: applied jointly below
        if rate is not None:
            arr.discount_rate = np.full(arr.n_scenarios, float(rate))
        off = start_offset(jp, k, lines)
        if off is not None:
            arr.offset = np.broadcast_to(off, (arr.n_scenarios,)).copy()
        lines.append(evaluate(arr))
    states = joint_states(inds)
    S, O = lines[0].loa.shape[0], states.shape[0]
    t0, t1, tc = lines[0].t_start, lines[0].t_end, lines[0].t_cash
    N, dt = t0.size, t1[0] - t0[0]

    markets: list[str] = []
    market_of = []
    for i in inds:
        idx = []
        for t in i.plan.territories:
            if t.name not in markets:
                markets.append(t.name)
            idx.append(markets.index(t.name))
        market_of.append(idx)
    M = len(markets)
    rev = np.zeros((S, O, M, N))  # territories the plant supplies (all without a ceiling) ...
    comm = np.zeros((S, O, M, N))
    fixed_all = np.zeros((S, O, M, N))
    rev_free = np.zeros((S, O, M, N))  # ... and the others, never capped
    comm_free = np.zeros((S, O, M, N))
    patients = np.zeros((S, O, N))
    launch = np.full((S, O, M), np.inf)
    excl = np.full((S, O, M), np.inf)
    first_plant = np.full((S, O), np.inf)  # first launch among the territories the plant supplies
    rd_parts, phase_owner, fixed = [], [], []
    for k, (ind, ln, arr) in enumerate(zip(inds, lines, arrs)):
        st = states[:, k]
        J = ln.prob_start.shape[1]
        inc = ((st[:, None] >= np.arange(J)[None, :]) & (st[:, None] >= 0)).astype(float)  # (O, J)
        rd_parts.append(ln.rd_by_phase[:, None, :, :] * inc[None, :, :, None])
        phase_owner += [k] * J
        appr = (st == J).astype(float)[None, :, None]  # (1, O, 1)
        on, first = market_time(np.broadcast_to(ln.launch_time, (S, len(market_of[k]))), t0, t1)
        fx = np.zeros((S, len(market_of[k]), N))
        for c, line in fixed_cost_terms(arr, on, first):
            fx = fx + c[:, :, None] * line
        fixed.append(fx)
        growth = (1.0 + arr.price_change)[:, :, None] ** ((t0 + t1) / 2)[None, None, :]
        for mk, mi in enumerate(market_of[k]):
            plant = capacity is None or ind.plan.territories[mk].capacity_limited
            (rev if plant else rev_free)[:, :, mi, :] += appr * ln.revenue_by_territory[:, None, mk, :]
            (comm if plant else comm_free)[:, :, mi, :] += appr * ln.commercial_by_territory[:, None, mk, :]
            if plant:
                fixed_all[:, :, mi, :] += appr * fx[:, None, mk, :]
            cand = np.where(appr[..., 0] > 0, np.broadcast_to(ln.launch_time[:, mk, None], (S, O)), np.inf)
            if capacity is not None and plant:
                patients += appr * (ln.revenue_by_territory[:, mk, :] / (arr.net_price[:, mk, None] * growth[:, mk, :]))[:, None, :]
                first_plant = np.minimum(first_plant, cand)
            better = cand < launch[:, :, mi]
            launch[:, :, mi] = np.where(better, cand, launch[:, :, mi])
            excl[:, :, mi] = np.where(better, np.broadcast_to(ln.exclusivity_end[:, mk, None], (S, O)), excl[:, :, mi])
    R = S * O
    K = None
    if capacity is not None:
        first_launch = first_plant.reshape(R)
        ceiling = np.full(R, capacity.patients_per_year)
        K = capacity_factor(patients.reshape(R, N), ceiling, np.asarray(capacity.ramp, dtype=float),
                            np.where(np.isfinite(first_launch), first_launch, 1e300), t0, dt)
        rev = rev * K.reshape(S, O, 1, N)
        comm = K.reshape(S, O, 1, N) * (comm + fixed_all) - fixed_all
    rev, comm = rev + rev_free, comm + comm_free
    rd_by_phase = np.concatenate(rd_parts, axis=2).reshape(R, -1, N) if rd_parts else np.zeros((R, 0, N))
    revenue = rev.sum(2).reshape(R, N)
    rd = rd_by_phase.sum(1)
    profit = comm.sum(2).reshape(R, N) - rd
    tax = tax_lines(profit, np.repeat(arrs[0].tax_rate, O), arrs[0].tax_loss_carryforward)
    free = rev_free.sum(2).reshape(R, N) if capacity is not None else None
    flat = FlatLines(t0, t1, tc, rev.reshape(R, M, N), comm.reshape(R, M, N), launch.reshape(R, M),
                     excl.reshape(R, M), rd_by_phase, K, free, revenue, rd, profit, tax, profit - tax)
    lead = jp.lead
    flat_plan = FlatPlan(lead.valuation_date, lead.horizon, lead.dt, tuple(Named(m) for m in markets),
                         tuple(Named(p.name, p.kind) for i in inds for p in i.plan.phases))
    probs = [np.asarray(a.probabilities, dtype=float) for a in arrs]
    return JointLines(jp, states, lines, arrs, flat, flat_plan, joint_probabilities(jp, states, probs), market_of,
                      phase_owner, fixed)
