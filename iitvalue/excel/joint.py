"""The blocks of each indication of a several-indication workbook (docs/excel.md, "Several indications";
docs/method.md 5): a follow-on's Inputs (start rule, phases, territories), its shared-class block (the
probability that its start event happens in each class, P(active | it starts), the class-conditional approval
probabilities q_kc and its posterior LOA) and, for every indication, the single-indication writers of
:mod:`.development` and :mod:`.commercial` under the key prefix of that indication.

A follow-on indication's keys are prefixed ``i{k + 1}_`` (the lead's are the single workbook's own), so one
formula lives in one place: the development, R&D and territory rows are the single workbook's writers, fed
with the indication's own plan and engine lines (``result.asset.joint``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from ..errors import Problem
from ..termsheet.indications import follow_on_territories, indication_sheet
from .cells import CALC, STRUCT_NOTE, Book, Cell
from .commercial import Territory, write_territories
from .development import RD, Development, write_development, write_rd
from .inputs import NAME_NOTE, NONNEG, PROB, Inputs, TerritoryInputs, launch_curve_table, phase_inputs, territory_inputs
from .pos import PosCells, nonefficacy_formula
from .timeline import Timeline

# the lead's shared-class cells the follow-ons read (registered by :mod:`.pos`)
Q_USED = ("qa_used", "qi_used")


def prefix(k: int) -> str:
    """The key prefix of indication ``k`` (0 the lead, whose keys are the single workbook's)."""
    return "" if k == 0 else f"i{k + 1}_"


@dataclass(frozen=True)
class Template:
    """A formula fragment that stands where a block expects a cell (e.g. a follow-on's peak = share x the
    lead's peak); ``value`` is its cached value."""

    tpl: str
    value: float

    def __str__(self) -> str:
        return f"({self.tpl})"


@dataclass(frozen=True)
class FollowOnInputs:
    """A follow-on's input cells: the lag after its parent's event, its phases and, per territory, either
    ``("share", share cell, lead territory index)`` (a share of the lead's market, every other field the lead's)
    or ``("own", fields of TerritoryInputs)``; its launch-curve columns for its own territories."""

    k: int
    lag: Cell | None
    phases: tuple
    territories: tuple[tuple[str, Any, Any], ...]
    curves: tuple = ()


@dataclass(frozen=True)
class Indication:
    """One indication's Calculations blocks: its development, R&D, territories, the inputs they read, its
    class-conditional approval probabilities (q_A, q_I) and, for a follow-on, its start."""

    k: int
    name: str
    inputs: Inputs
    dev: Development
    rd: RD
    territories: tuple[Territory, ...]
    q: tuple[Any, Any]
    start: Cell | None = None
    calibration: Cell | None = None  # a follow-on's pi_k q_kA + (1 - pi_k) q_kI ...
    prior_loa: Cell | None = None  # ... which equals its prior LOA as exported


def follow_on_problems(sheet) -> list[Problem]:
    """What the workbook cannot show live of a follow-on: its own readouts (the workbook's PoS block reads the
    lead's), and a ``share_of_lead`` territory that also sets fields of its own."""
    problems = []
    for k, ind in enumerate(sheet.indications[1:], start=1):
        if ind.readouts:
            problems.append(Problem(f"indications[{k}].readouts", "the workbook's Bayesian block reads the lead "
                                    "indication's readouts only; value a sheet with follow-on readouts with value / "
                                    "simulate, or give the readouts to the lead"))
        for m, t in enumerate(ind.territories):
            if t.share_of_lead is not None and set(t.model_fields_set) - {"name", "share_of_lead"}:
                problems.append(Problem(f"indications[{k}].territories[{m}]", "in the workbook a share_of_lead "
                                        "territory takes every other field from the lead's: give only name and "
                                        "share_of_lead, or write the territory in full without share_of_lead"))
    return problems


def write_follow_on_inputs(book: Book, result, k: int) -> FollowOnInputs:
    """Write follow-on indication ``k``'s Inputs block: name, key, line and start rule (locked), the lag, its
    phases (as resolved) and territories (a ``share_of_lead`` territory shows its share only).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation of a sheet with several indications.
    k : int
        The indication (>= 1).

    Returns
    -------
    FollowOnInputs
    """
    s, jp = result.sheet, result.asset.joint.plan
    ind, plan = s.indications[k], jp.indications[k]
    b, pre = book, f"indications[{k}]"
    b.prefix = prefix(k)
    b.section("Inputs", f"Indication {k + 1}: {ind.name} (docs/method.md 5)")
    inp = b.input_row
    inp(None, "Name", f"{pre}.name", ind.name, "", NAME_NOTE, style="struct")
    inp(None, "Indication key (class model)", f"{pre}.indication", ind.indication, "", STRUCT_NOTE, style="struct")
    if ind.line is not None:
        inp(None, "Line of therapy", f"{pre}.line", ind.line, "", "text", style="struct")
    lag = None
    if ind.start is not None:
        st = ind.start
        rule = f"{st.event} of {st.after}" + (f", {st.phase}" if st.phase else "")
        inp(None, "Starts after", f"{pre}.start", rule, "", "the event of the parent indication; " + STRUCT_NOTE,
            style="struct")
        lag = inp("lag_start", "Lag after the parent's event", f"{pre}.start.lag", st.lag, "years", "term sheet",
                  "years", NONNEG)
    phases = tuple(phase_inputs(b, j, ph, pp, f"{pre}.phases")
                   for j, (ph, pp) in enumerate(zip(ind.phases, plan.prior_plan.phases)))
    lead = [t.name for t in s.territories]
    resolved = follow_on_territories(s, ind)
    terrs, own = [], []
    for m, (t, rt) in enumerate(zip(ind.territories, resolved)):
        if t.share_of_lead is not None and t.name in lead:
            cell = inp(f"sol{m}", f"{t.name}: peak as a share of the lead's peak (every other field the lead's)",
                       f"{pre}.territories[{m}].share_of_lead", t.share_of_lead, "fraction", "term sheet", "pct", PROB)
            terrs.append(("share", cell, lead.index(t.name)))
        else:
            terrs.append(("own", territory_inputs(b, m, rt, f"{pre}.territories"), None))
            own.append(m)
    curves = ()
    if own:
        planned = [plan.plan.territories[m] for m in own]
        _, cols, _ = launch_curve_table(b, [resolved[m] for m in own], planned)
        curves = tuple(cols)
    b.prefix = ""
    return FollowOnInputs(k, lag, phases, tuple(terrs), curves)


def sub_result(result, k: int) -> SimpleNamespace:
    """Indication ``k`` as the single-indication writers read a valuation: its sheet (phases and resolved
    territories in place of the lead's), plan, engine lines (``result.asset.joint.lines[k]``) and prior plan."""
    jl = result.asset.joint
    ind = jl.plan.indications[k]
    sheet = result.sheet if k == 0 else indication_sheet(result.sheet, k)
    pos = SimpleNamespace(transportability=None, prior_plan=ind.prior_plan, resolved_plan=ind.prior_plan)
    return SimpleNamespace(sheet=sheet, asset=SimpleNamespace(plan=ind.plan, lines=jl.lines[k]), pos=pos)


def lead_cell(book: Book, key: str, value: float) -> Cell:
    """A Cell for a lead's registered key (e.g. q_A used of the PoS block)."""
    return Cell(key, value, book.scalars[key])


def write_lead(book: Book, result, inputs: Inputs, time: Timeline, pos: PosCells, pos_in) -> Indication:
    """The lead indication's development, R&D and territories (the single workbook's blocks, its sales before the
    shared plant's ceiling, which the joint outcomes apply)."""
    upd = result.pos.update
    sub = sub_result(result, 0)
    book.heading = f"Indication 1 ({result.sheet.indications[0].name})"
    dev = write_development(book, sub, inputs.phases, pos, pos_in)
    rd = write_rd(book, sub, time, dev)
    plain = replace(inputs, capacity=None, capacity_ramp=None)
    terrs = write_territories(book, sub, plain, time, dev)
    book.heading = ""
    q = (lead_cell(book, Q_USED[0], upd.p_active), lead_cell(book, Q_USED[1], upd.p_inactive))
    return Indication(0, result.sheet.indications[0].name, plain, dev, rd, terrs, q)


def write_follow_on(book: Book, result, k: int, fin: FollowOnInputs, inputs: Inputs, time: Timeline,
                    pos: PosCells, done: list[Indication]) -> Indication:
    """Follow-on indication ``k``'s Calculations: its shared-class block, then its development (the posterior
    LOA spread over its phases, starting at its parent's event plus the lag), R&D and territories.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation.
    k : int
        The indication (>= 1).
    fin : FollowOnInputs
        Its input cells.
    inputs : Inputs
        The lead's input cells (constants, costs, the lead's territories a share refers to).
    time : Timeline
        The timeline header.
    pos : PosCells
        The lead's PoS cells (prior and posterior P(active)).
    done : list of Indication
        The indications written so far (its parent among them).

    Returns
    -------
    Indication
    """
    jl = result.asset.joint
    ip = jl.plan.indications[k]
    b = book
    b.prefix = prefix(k)
    b.section(CALC, f"Indication {k + 1}: {ip.name}, shared class (docs/method.md 5.2)")
    prior = b.scalar("prior_loa_k", "Prior LOA of the indication = product of its prior probabilities", "fraction",
                     "PRODUCT(" + ",".join(str(p.probability) for p in fin.phases) + ")" if fin.phases else "1",
                     math.prod(p.probability for p in ip.prior_plan.phases), "prob")
    start = None
    reach: tuple[Any, Any] = ("1", "1")
    if ip.parent is not None:
        par = done[ip.parent]
        reach = tuple(_reach(b, result, k, c, par) for c in (0, 1))
        if ip.event == "approval" or ip.phase + 1 >= len(par.dev.start):
            at, what = par.dev.T, "approval"
        else:
            at, what = par.dev.start[ip.phase + 1], f"success of phase {ip.phase + 1}"
        t_value = float(jl.lines[k].phase_start[0, 0]) if ip.plan.phases else at.value + fin.lag.value
        start = b.scalar("t_start", f"Start = {what} of {par.name} + lag", "years", f"{at}+{fin.lag}", t_value,
                         "years")
    pi, pi1 = pos.prior_class, pos.posterior_class
    ra, ri = (r.value if isinstance(r, Cell) else 1.0 for r in reach)
    pik = b.scalar("pi_k", "Prior P(active | it starts) = pi r_A / (pi r_A + (1 - pi) r_I)", "fraction",
                   _given(pi, reach), _given_value(pi.value, ra, ri), "prob")
    qa0, qi0 = _stage_approval(b, result, k, fin, done[0].q)
    delta = _delta(ip.q_active, qa0.value)
    d = b.const(
        "delta_k", "Logit shift delta_k solving pi_k q_kA + (1 - pi_k) q_kI = prior LOA (computed by iitvalue at "
        "export: a root, not live; Checks shows CHECK when an edit moves the calibration)", "log", delta, "log")
    q = tuple(b.scalar(f"q_k{c}", f"q_k{'A' if c == 'a' else 'I'} = logistic(logit of its stage's q_{'A' if c == 'a' else 'I'} "
                       "+ delta_k) (a q of 0 or 1 stays)", "fraction",
                       f"IF(OR({q0}<=0,{q0}>=1),{q0},1/(1+EXP(-(LN({q0}/(1-{q0}))+{d}))))", v, "prob")
              for c, q0, v in (("a", qa0, ip.q_active), ("i", qi0, ip.q_inactive)))
    calib = b.scalar("calib_k", "Calibration: pi_k q_kA + (1 - pi_k) q_kI (= the prior LOA)", "fraction",
                     f"{pik}*{q[0]}+(1-{pik})*{q[1]}", pik.value * q[0].value + (1 - pik.value) * q[1].value, "prob")
    pik1 = b.scalar("pi_post_k", "Posterior P(active | it starts)", "fraction", _given(pi1, reach),
                    _given_value(pi1.value, ra, ri), "prob")
    post = b.scalar("post_loa_k", "Posterior LOA of the indication = pi'_k q_kA + (1 - pi'_k) q_kI", "fraction",
                    f"{pik1}*{q[0]}+(1-{pik1})*{q[1]}", pik1.value * ip.q_active + (1 - pik1.value) * ip.q_inactive,
                    "prob")
    sub = sub_result(result, k)
    b.heading = f"Indication {k + 1} ({ip.name})"
    dev = write_development(b, sub, fin.phases, SimpleNamespace(posterior_loa=post), None, start)
    rd = write_rd(b, sub, time, dev)
    lead_terr = {m: t for m, t in enumerate(done[0].territories)}
    cells, own = [], iter(fin.curves)
    for kind, x, m in fin.territories:
        if kind == "share":
            lt = done[0].inputs.territories[m]
            peak = Template(f"{x}*{lead_terr[m].peak}", x.value * lead_terr[m].peak.value)
            cells.append(replace(lt, peak=peak, patients=None, share=None))
        else:
            cells.append(TerritoryInputs(**x, curve=next(own)))
    kin = replace(inputs, territories=tuple(cells), phases=fin.phases, capacity=None, capacity_ramp=None)
    terrs = write_territories(b, sub, kin, time, dev)
    b.prefix = b.heading = ""
    return Indication(k, ip.name, kin, dev, rd, terrs, q, start, calib, prior)


def _reach(b: Book, result, k: int, c: int, par: Indication) -> Cell:
    """r_kc = r_pc x P(the parent's event | class c) under the prior chain tilted to q_pc (docs/method.md 5.2)."""
    ip = result.asset.joint.plan.indications[k]
    jp = result.asset.joint.plan
    pp = jp.indications[ip.parent]
    probs = [p.probability for p in pp.prior_plan.phases]
    cells = par.inputs.phases
    qc = par.q[c]
    tag = "A" if c == 0 else "I"
    prev = ip.reach  # the engine's r_k (both classes)
    parent_reach = b.scalars.get(prefix(ip.parent) + f"reach_{tag}")
    up = f"{Cell(prefix(ip.parent) + f'reach_{tag}', 0, parent_reach)}*" if parent_reach is not None else ""
    if ip.event == "approval" or ip.phase + 1 >= len(probs):
        tpl, label = f"{up}{qc}", f"r_k{tag}: P(the parent is approved | {tag}) = q_p{tag}"
    else:
        j = ip.phase
        pass_j = "PRODUCT(" + ",".join(str(cells[i].probability) for i in range(j + 1)) + ")"
        loa = "PRODUCT(" + ",".join(str(p.probability) for p in cells) + ")"
        tpl = (f"{up}IF(AND({loa}>0,{loa}<1),{qc}+({pass_j}-{loa})*(1-{qc})/(1-{loa}),{pass_j})")
        label = (f"r_k{tag}: P(the parent passes phase {j + 1} | {tag}) = q + (P(pass) - LOA)(1 - q)/(1 - LOA), "
                 "prior chain")
    return b.scalar(f"reach_{tag}", label, "fraction", tpl, prev[c], "prob")


def _given(pi: Cell, reach: tuple[Any, Any]) -> str:
    ra, ri = reach
    den = f"({pi}*{ra}+(1-{pi})*{ri})"
    return f"IF({den}>0,{pi}*{ra}/{den},{pi})"


def _given_value(p: float, ra: float, ri: float) -> float:
    den = p * ra + (1 - p) * ri
    return p * ra / den if den > 0 else p


def _stage_approval(b: Book, result, k: int, fin, lead_q: tuple[Cell, Cell]) -> tuple[Cell, Cell]:
    """The follow-on's own approval given the class before the shift (docs/method.md 2.4 and 5.2): e_c R_k, with
    R_k = prod_j (1 - g_j (1 - p_j)) over its prior phase probabilities; the lead's q_c when ``[pos]`` gives
    them (``pos.p_approval_active`` / ``_inactive``)."""
    from .. import catalogue

    sheet = indication_sheet(result.sheet, k)
    cfg, upd = result.sheet.pos, result.pos.update
    given = (cfg is not None and cfg.p_approval_active is not None, cfg is not None and cfg.p_approval_inactive is not None)
    kinds = [p.kind for p in sheet.phases]
    if all(given) or not kinds:
        return lead_q
    a = sheet.asset
    row = catalogue.transition_row(a.modality, a.therapeutic_area, a.benchmark)
    shares = catalogue.nonefficacy_shares(kinds, a.stage, row)
    ip = result.asset.joint.plan.indications[k]
    probs = [p.probability for p in ip.prior_plan.phases]
    g = [b.const(f"g_k{j}", f"Phase {j + 1}: non-efficacy share of its failures, g (failure_reasons.csv)", "fraction",
                 gj, "prob") for j, gj in enumerate(shares)]
    r = b.scalar("r_k", "Non-efficacy success of its phases R_k = prod (1 - g_j (1 - p_j))", "fraction",
                 nonefficacy_formula(g, fin.phases),
                 float(catalogue.nonefficacy_success(probs, shares)), "prob")
    out = []
    for c, e in enumerate((upd.model.efficacy_active, upd.model.efficacy_inactive)):
        if given[c]:
            out.append(lead_q[c])
            continue
        ec = b.const(f"e_k{c}", f"Efficacy given the shared class, e_{'AI'[c]} (the lead's class model)", "fraction", e,
                     "prob")
        out.append(b.scalar(f"q0_k{c}", f"Its stage's q_{'AI'[c]} = e_{'AI'[c]} x R_k", "fraction", f"{ec}*{r}",
                            e * r.value, "prob"))
    return out[0], out[1]


def _delta(q_new: float, q_old: float) -> float:
    """The logit shift between two approval probabilities (0 where either is 0 or 1)."""
    if not (0 < q_new < 1 and 0 < q_old < 1):
        return 0.0
    return math.log(q_new / (1 - q_new)) - math.log(q_old / (1 - q_old))

