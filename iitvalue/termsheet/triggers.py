"""Trigger types: what makes a milestone payment due. One class per type, registered in :data:`TRIGGERS`.

Each class says which fields it takes, checks them against the term sheet, describes itself, and evaluates
itself on the engine's output (``plan`` and ``lines`` are the model's :class:`~iitvalue.model.plan.Plan` and
:class:`~iitvalue.model.engine.Lines`, used duck-typed so that this module depends on numpy only):

* :meth:`TriggerType.event` gives the success-path time of the event (years from the valuation date) and its
  probability per scenario;
* :meth:`TriggerType.happens` says in which development outcomes the event happens: outcome o < J is "fails in
  phase o" (0-based), o = J is "approved" — the deal kernel pays a milestone in exactly those outcomes, so the
  expectation over outcomes is the event's probability;
* :meth:`TriggerType.excel` gives the workbook formulas of the time and the probability.

Adding a trigger type means adding one class here (and its row in docs/termsheet.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..units import annual_totals, year_fraction
from ..errors import suggest as _suggest

_FIELDS = ("phase", "territory", "threshold", "date")


@dataclass(frozen=True)
class TriggerContext:
    """What a trigger is checked against: the plan's phase names and kinds, the territories, the deal date."""

    phases: tuple[str, ...]
    kinds: tuple[str, ...]
    territories: tuple[str, ...]
    deal_date: Any
    # with [[indications]]: each indication's territories and phase kinds (the lead is the first), and the
    # territories of any indication (a worldwide or territory sales trigger counts every indication's sales)
    territories_of: dict[str, tuple[str, ...]] | None = None
    kinds_of: dict[str, tuple[str, ...]] | None = None
    markets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExcelRefs:
    """Formula fragments the workbook writer provides: start time and P(start) of phase j (``start(j)``,
    ``p_start(j)``), approval time ``T``, ``loa``, launch time of territory m (``launch(m)``), and for sales
    triggers the key of the payment (rows ``{key}_hit`` and cell ``{key}_idx`` are the writer's)."""

    start: Any
    p_start: Any
    launch: Any
    T: str = "{$T}"
    loa: str = "{$loa}"


class TriggerType:
    """Base class. ``needs``: the field the type requires; ``optional``: fields it may take besides."""

    name: ClassVar[str]
    needs: ClassVar[str]
    optional: ClassVar[tuple[str, ...]] = ()

    def describe(self, t: Any) -> str:
        raise NotImplementedError

    def check(self, t: Any, ctx: TriggerContext) -> list[tuple[str, str]]:
        """(field, message) pairs for what is wrong with trigger ``t`` in this term sheet."""
        out = []
        if getattr(t, self.needs) is None:
            out.append((self.needs, f"a '{self.name}' trigger needs '{self.needs}'"))
        for f in _FIELDS:
            if f != self.needs and f not in self.optional and getattr(t, f) is not None:
                out.append((f, f"does not apply to a '{self.name}' trigger"))
        ind = getattr(t, "indication", None)
        if ind is not None:
            if not self.per_indication:
                out.append(("indication", f"does not apply to a '{self.name}' trigger"
                            + (" (a phase belongs to one indication already)" if self.needs == "phase" else "")))
            elif not ctx.territories_of:
                out.append(("indication", "names an indication, but the sheet has no [[indications]]"))
            elif ind not in ctx.territories_of:
                names = tuple(ctx.territories_of)
                out.append(("indication", f"no indication named '{ind}'{_suggest(ind, names)}; "
                                          f"indications: {', '.join(names)}"))
        return out

    per_indication: ClassVar[bool] = False  # takes ``indication`` (an event of one named indication)

    def event(self, t: Any, plan: Any, ln: Any) -> tuple[np.ndarray, np.ndarray]:
        """(time, probability) of the event per scenario, each (S,); time nan when it never happens."""
        raise NotImplementedError

    def happens(self, t: Any, plan: Any, ln: Any) -> np.ndarray:
        """(S, J + 1) booleans: does the event happen in outcome o (fail in phase o < J, or approved o = J)."""
        raise NotImplementedError

    def excel(self, t: Any, plan: Any, refs: ExcelRefs, key: str) -> tuple[str, str | None]:
        """Workbook templates of (time, probability); probability None means the constant 1."""
        raise NotImplementedError

    def joint(self, t: Any, jl: Any) -> tuple[np.ndarray, np.ndarray]:
        """With several indications: (time, happens), each (S, Omega) over the joint outcomes of ``jl`` (a
        :class:`~iitvalue.model.joint_lines.JointLines`). An event of one indication (the owner of the phase,
        the one named, else the lead) keeps its time on that indication's timeline and happens in the joint
        outcomes whose own outcome for it is one where it happens."""
        k = jl.indication_of(t)
        plan, ln = jl.plans[k], jl.lines[k]
        time, _ = self.event(t, plan, ln)
        return (np.broadcast_to(np.asarray(time, dtype=float)[:, None], (time.shape[0], jl.n_outcomes)).copy(),
                jl.lift(k, self.happens(t, plan, ln)))


TRIGGERS: dict[str, TriggerType] = {}


def register(cls: type[TriggerType]) -> type[TriggerType]:
    TRIGGERS[cls.name] = cls()
    return cls


def kind_of(t: Any) -> TriggerType:
    """The registered type of trigger ``t``."""
    return TRIGGERS[t.type]


def _outcomes(ln: Any) -> np.ndarray:
    """Outcome indices 0..J as a (1, J + 1) row."""
    return np.arange(ln.prob_start.shape[1] + 1)[None, :]


def _from_outcome(ln: Any, k: int) -> np.ndarray:
    """(S, J + 1): True in every outcome o >= k (phase k is reached; k = J: approved; k = 0: always)."""
    o = _outcomes(ln)
    return np.broadcast_to(o >= k, (ln.loa.shape[0], o.size))


def _phase_index(plan: Any, name: str) -> int:
    return [p.name for p in plan.phases].index(name)


def _check_phase(t: Any, ctx: TriggerContext, suggest) -> list[tuple[str, str]]:
    if t.phase is not None and t.phase not in ctx.phases:
        return [("phase", f"no phase named '{t.phase}'{suggest(t.phase, ctx.phases)}; "
                          f"phases: {', '.join(ctx.phases) or 'none'}")]
    return []


def _check_territory(t: Any, ctx: TriggerContext, suggest, any_indication: bool = False) -> list[tuple[str, str]]:
    ind = getattr(t, "indication", None)
    if ind is not None and ctx.territories_of and ind in ctx.territories_of:
        names, where = ctx.territories_of[ind], f" of indication '{ind}'"
    elif any_indication and ctx.markets:
        names, where = ctx.markets, ""
    else:
        names, where = ctx.territories, " of the lead indication" if ctx.territories_of else ""
    if t.territory is not None and t.territory not in names:
        return [("territory", f"no territory named '{t.territory}'{where}{suggest(t.territory, names)}; "
                              f"territories: {', '.join(names)}")]
    return []


@register
class PhaseStart(TriggerType):
    """Start of phase j: time s_j, probability P(start j); happens in every outcome o >= j."""

    name, needs = "phase_start", "phase"

    def describe(self, t):
        return f"start of {t.phase}"

    def check(self, t, ctx):
        return super().check(t, ctx) + _check_phase(t, ctx, _suggest)

    def event(self, t, plan, ln):
        j = _phase_index(plan, t.phase)
        return ln.phase_start[:, j].copy(), ln.prob_start[:, j].copy()

    def happens(self, t, plan, ln):
        return _from_outcome(ln, _phase_index(plan, t.phase))

    def excel(self, t, plan, refs, key):
        j = _phase_index(plan, t.phase)
        return refs.start(j), refs.p_start(j)


@register
class PhaseSuccess(TriggerType):
    """Success of phase j: the start of phase j + 1 (or approval after the last phase); happens when o > j."""

    name, needs = "phase_success", "phase"

    def describe(self, t):
        return f"success of {t.phase}"

    def check(self, t, ctx):
        return super().check(t, ctx) + _check_phase(t, ctx, _suggest)

    def event(self, t, plan, ln):
        j = _phase_index(plan, t.phase)
        if j + 1 < len(plan.phases):  # S_j p_j = S_{j+1}
            return ln.phase_start[:, j + 1].copy(), ln.prob_start[:, j + 1].copy()
        return ln.approval_time.copy(), ln.loa.copy()

    def happens(self, t, plan, ln):
        return _from_outcome(ln, _phase_index(plan, t.phase) + 1)

    def excel(self, t, plan, refs, key):
        j = _phase_index(plan, t.phase)
        if j + 1 < len(plan.phases):
            return refs.start(j + 1), refs.p_start(j + 1)
        return refs.T, refs.loa


def _filing_index(plan: Any) -> int:
    return next(j for j, p in enumerate(plan.phases) if p.kind == "filing")


@register
class Filing(TriggerType):
    """Filing in territory m: the start of the review phase f shifted by m's launch lag, probability P(start f);
    happens when o >= f."""

    name, needs = "filing", "territory"

    def describe(self, t):
        return f"filing in {t.territory}" + (f" ({t.indication})" if getattr(t, "indication", None) else "")

    per_indication = True

    def check(self, t, ctx):
        out = super().check(t, ctx) + _check_territory(t, ctx, _suggest)
        kinds = ctx.kinds_of.get(t.indication, ()) if t.indication is not None and ctx.kinds_of else ctx.kinds
        if "filing" not in kinds:
            out.append(("type", "a filing trigger needs a phase of kind 'filing' in the plan"
                        + (f" of indication '{t.indication}'" if t.indication is not None else "")))
        return out

    def event(self, t, plan, ln):
        f = _filing_index(plan)
        m = [x.name for x in plan.territories].index(t.territory)
        return ln.phase_start[:, f] + (ln.launch_time[:, m] - ln.approval_time), ln.prob_start[:, f].copy()

    def happens(self, t, plan, ln):
        return _from_outcome(ln, _filing_index(plan))

    def excel(self, t, plan, refs, key):
        f = _filing_index(plan)
        m = [x.name for x in plan.territories].index(t.territory)
        return f"{refs.start(f)}+({refs.launch(m)}-{refs.T})", refs.p_start(f)


@register
class Approval(TriggerType):
    """Approval in territory m: its launch time T + lag_m, probability LOA; happens only when approved."""

    name, needs = "approval", "territory"
    per_indication = True

    def describe(self, t):
        return f"approval in {t.territory}" + (f" ({t.indication})" if getattr(t, "indication", None) else "")

    def check(self, t, ctx):
        return super().check(t, ctx) + _check_territory(t, ctx, _suggest)

    def event(self, t, plan, ln):
        m = [x.name for x in plan.territories].index(t.territory)
        return ln.launch_time[:, m].copy(), ln.loa.copy()

    def happens(self, t, plan, ln):
        return _from_outcome(ln, ln.prob_start.shape[1])

    def excel(self, t, plan, refs, key):
        m = [x.name for x in plan.territories].index(t.territory)
        return refs.launch(m), refs.loa


@dataclass(frozen=True)
class _Sales:
    """Sales lines in the shape :meth:`Sales._first` reads (revenue (R, N), by territory (R, M, N))."""

    revenue: np.ndarray
    revenue_by_territory: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray


def _annual_sales(t: Any, plan: Any, ln: Any) -> np.ndarray:
    """Net sales per model year (years from the valuation date) of the trigger's territory or worldwide."""
    sales = (ln.revenue if t.territory is None
             else ln.revenue_by_territory[:, [x.name for x in plan.territories].index(t.territory), :])
    return annual_totals(sales, ln.t_end[0] - ln.t_start[0])


@register
class Sales(TriggerType):
    """Annual net sales >= threshold: paid at the end of the first model year (years from the valuation date)
    whose sales reach it (capped at the horizon), probability LOA; never within the horizon: probability 0."""

    name, needs, optional = "sales", "threshold", ("territory",)
    per_indication = True

    def describe(self, t):
        return (f"annual net sales >= {t.threshold:g} ({t.territory or 'worldwide'}"
                + (f", {t.indication}" if getattr(t, "indication", None) else "") + ")")

    def check(self, t, ctx):
        return super().check(t, ctx) + _check_territory(t, ctx, _suggest, any_indication=True)

    def _first(self, t, plan, ln):
        hit = _annual_sales(t, plan, ln) >= t.threshold * (1 - 1e-12)
        reached = hit.any(axis=1)
        time = np.where(reached, np.minimum(np.argmax(hit, axis=1) + 1.0, ln.t_end[-1]), np.nan)
        return time, reached

    def event(self, t, plan, ln):
        time, reached = self._first(t, plan, ln)
        return time, np.where(reached, ln.loa, 0.0)

    def happens(self, t, plan, ln):
        _, reached = self._first(t, plan, ln)
        return (_outcomes(ln) == ln.prob_start.shape[1]) & reached[:, None]

    def joint(self, t, jl):
        """Without ``indication``: the sales of every approved indication together, so the time depends on the
        joint outcome: the first model year of each outcome's realised sales that reaches the threshold."""
        if t.indication is None:
            time, reached = self._first(t, jl.flat_plan, jl.flat)
        else:  # that indication's own sales in each outcome, after the shared plant
            k = jl.indication_of(t)
            rev = jl.own_sales(k)
            own = _Sales(rev.sum(1), rev, jl.flat.t_start, jl.flat.t_end)
            time, reached = self._first(t, jl.plans[k], own)
        return jl.reshape(time), jl.reshape(reached)

    def excel(self, t, plan, refs, key):
        return (f"IF({{${key}_idx}}>0,MIN(INDEX({{#yidx}},1,{{${key}_idx}})+1,MAX({{#t1}})),0)",
                f"IF({{${key}_idx}}>0,{refs.loa},0)")


@register
class Date(TriggerType):
    """A fixed date: paid in every outcome, probability 1 (deferred consideration)."""

    name, needs = "date", "date"

    def describe(self, t):
        return f"on {t.date}"

    def check(self, t, ctx):
        out = super().check(t, ctx)
        if t.date is not None and ctx.deal_date is not None and t.date < ctx.deal_date:
            out.append(("date", f"{t.date} is before the deal date {ctx.deal_date}"))
        return out

    def event(self, t, plan, ln):
        S = ln.loa.shape[0]
        return np.full(S, year_fraction(plan.valuation_date, t.date)), np.ones(S)

    def happens(self, t, plan, ln):
        return _from_outcome(ln, 0)

    def excel(self, t, plan, refs, key):
        return f"({{${key}_date}}-{{$vdate}})/{{$dpy}}", None
