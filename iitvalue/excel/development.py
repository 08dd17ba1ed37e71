"""The development plan in the workbook: the scalar block (clinical flags, the posterior LOA spread over the
phases, transportability, durations, starts, P(start), LOA, approval time, cost slices; docs/method.md 1, 2.6,
2.9) and the R&D rows on the timeline. Cached values of what the engine computes (phase starts, P(start), LOA,
approval time, R&D by phase, risk-weighted R&D, P(alive)) are the engine's (``result.asset.lines``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import pos as P
from ..model.engine import overlap
from .cells import CALC, I_VAL, INPUTS, Book, Cell, Line, Range
from .inputs import PhaseInputs, resolved_phases
from .pos import PosCells, PosInputs
from .timeline import Timeline


@dataclass(frozen=True)
class Slice:
    """One equal slice of a phase's spending (the whole phase without a cost profile)."""

    phase: int
    start: Cell
    end: Cell
    rate: Cell


@dataclass(frozen=True)
class Development:
    """The development block's results: LOA, approval time T, and per phase its start and end, P(start) and
    cost slices; ``probabilities`` is the block of the transition probabilities used (after the update and
    transportability), ``p_start`` the block of P(start). Blocks are None without phases."""

    loa: Cell
    T: Cell
    start: tuple[Cell, ...]
    end: tuple[Cell, ...]
    p_start: tuple[Cell, ...]
    p_start_block: Range | None
    probabilities: Range | None
    spread_check: Cell | None
    slices: tuple[tuple[Slice, ...], ...]


@dataclass(frozen=True)
class RD:
    """R&D on the timeline: per phase (success path), all phases, risk-weighted, and P(alive)."""

    by_phase: tuple[Line, ...]
    total: Line
    risked: Line
    alive: Line


def write_development(book: Book, result, phases: tuple[PhaseInputs, ...], pos: PosCells | None,
                      pos_inputs: PosInputs | None, start: Cell | None = None) -> Development:
    """Write the development plan's scalar block on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation: ``result.asset.plan`` holds the probabilities and durations used, ``result.asset.lines``
        the engine's starts, P(start), LOA and approval time.
    phases : tuple of PhaseInputs
        The phase input cells.
    pos : PosCells or None
        The PoS results (the posterior LOA to spread), None without a PoS update.
    pos_inputs : PosInputs or None
        The PoS input cells (transportability).
    start : Cell, optional
        When the first phase starts (years from t = 0; a follow-on indication's start), 0 when not given.

    Returns
    -------
    Development
    """
    b = book
    b.section(CALC, "Development plan: probabilities, timing and costs (docs/method.md 1, 2.6)")
    J = len(phases)
    if J == 0:
        return Development(b.const("loa", "LOA (no development phases: approved)", "fraction", 1.0, "prob"),
                           b.const("T", "Approval time (approved)", "years", 0.0, "years"), (), (), (), None, None, None,
                           ())
    prior = resolved_phases(result)
    kinds = [x.kind for x in prior]
    used = result.asset.plan.phases  # the engine's: after the update and transportability
    clin = [b.scalar(f"clin{j}", f"Phase {j + 1}: clinical (absorbs the readout) 1 / review 0", "flag",
                     "IF(OR(" + ",".join(f'{ph.kind}="{k}"' for k in P.CLINICAL_KINDS) + "),1,0)",
                     1.0 if kinds[j] in P.CLINICAL_KINDS else 0.0, "int") for j, ph in enumerate(phases)]
    clin_block = b.column("clin", clin)
    transport = pos_inputs is not None and pos_inputs.transport_factor is not None
    spread_check = None
    if pos is not None:
        values = (P.spread([x.probability for x in prior], kinds, pos.posterior_loa.value) if transport
                  else [x.probability for x in used])
        pu, pu_block, spread_check = _write_spread(b, phases, prior, clin, clin_block, pos.posterior_loa, values)
    else:
        pu = [b.scalar(f"pu{j}", f"Phase {j + 1}: transition probability used", "fraction", str(ph.probability),
                       used[j].probability, "prob") for j, ph in enumerate(phases)]
        pu_block = b.column("pu", pu)
    if transport:
        first = kinds.index("filing")
        flag = [b.const(f"tflag{j}", f"Phase {j + 1}: first review phase, where transportability applies (1/0)",
                        "flag", 1.0 if j == first else 0.0, "int", "structural: from the phase kinds") for j in range(J)]
        pt = [b.scalar(f"pt{j}", f"Phase {j + 1}: probability after the transportability discount", "fraction",
                       f"{pu[j]}*IF({flag[j]}=1,{pos_inputs.transport_factor},1)", used[j].probability, "prob")
              for j in range(J)]
        probabilities = b.column("pt", pt)
        du = [b.scalar(f"du{j}", f"Phase {j + 1}: duration used", "years",
                       f"{ph.duration}+{flag[j]}*{pos_inputs.transport_delay}", used[j].duration, "years")
              for j, ph in enumerate(phases)]
        p_used = pt
    else:
        probabilities = pu_block
        du = [b.scalar(f"du{j}", f"Phase {j + 1}: duration used", "years", str(ph.duration), used[j].duration,
                       "years") for j, ph in enumerate(phases)]
        p_used = pu
    b.column("du", du)
    ln = result.asset.lines
    starts, S = ln.phase_start[0], ln.prob_start[0]
    at = f"{start}+" if start is not None else ""
    end = [b.scalar(f"e{j}", f"Phase {j + 1}: end = {'start + ' if at else ''}sum of durations so far", "years",
                    at + (f"SUM({du[0]}:{du[j]})" if j else str(du[0])), float(starts[j] + used[j].duration), "years")
           for j in range(J)]
    start = [b.scalar(f"s{j}", f"Phase {j + 1}: start = end - duration", "years", f"{end[j]}-{du[j]}",
                      float(starts[j]), "years") for j in range(J)]
    p_start = [b.const("S0", "Phase 1: P(start) (it is under way)", "fraction", 1.0, "prob")]
    p_start += [b.scalar(f"S{j}", f"Phase {j + 1}: P(start) = product of earlier transition probabilities",
                         "fraction", f"PRODUCT({p_used[0]}:{p_used[j - 1]})", float(S[j]), "prob")
                for j in range(1, J)]
    p_start_block = b.column("S", p_start)
    for j in range(J):
        b.scalar(f"cum{j}", f"Phase {j + 1}: cumulative probability through the phase", "fraction",
                 f"{p_start[j]}*{p_used[j]}", float(S[j]) * used[j].probability, "prob")
    loa = b.scalar("loa", "LOA = product of the transition probabilities used", "fraction", f"PRODUCT({probabilities})",
                   float(ln.loa[0]), "prob")
    T = b.scalar("T", "Approval time T (end of the last phase)", "years", str(end[-1]), float(ln.approval_time[0]),
                 "years")
    slices = tuple(_write_slices(b, j, ph, used[j], start[j], du[j]) for j, ph in enumerate(phases))
    return Development(loa, T, tuple(start), tuple(end), tuple(p_start), p_start_block, probabilities, spread_check,
                       slices)


def _write_spread(b: Book, phases: tuple[PhaseInputs, ...], prior, clin: list[Cell], clin_block: Range,
                  target: Cell, values: list[float]) -> tuple[list[Cell], Range, Cell]:
    """Posterior LOA spread over the phases, p_j' = p_j^alpha (docs/method.md 2.6): the rule's intermediate
    steps, then the posterior probabilities (cached: ``values``, the update's own spread) and their product."""
    J = len(phases)
    p = [x.probability for x in prior]
    is_clin = [c.value == 1.0 for c in clin]
    pc = [b.scalar(f"pc{j}", f"Phase {j + 1}: probability if clinical, else 1", "fraction",
                   f"IF({clin[j]}=1,{ph.probability},1)", p[j] if is_clin[j] else 1.0, "prob")
          for j, ph in enumerate(phases)]
    pc_block = b.column("pc", pc)
    pr = [b.scalar(f"pr{j}", f"Phase {j + 1}: probability if review, else 1", "fraction",
                   f"IF({clin[j]}=1,1,{ph.probability})", 1.0 if is_clin[j] else p[j], "prob")
          for j, ph in enumerate(phases)]
    pr_block = b.column("pr", pr)
    clin_p, review, nclin = math.prod(c.value for c in pc), math.prod(c.value for c in pr), sum(is_clin)
    t = target.value
    clinp = b.scalar("clinp", "Clinical product", "fraction", f"PRODUCT({pc_block})", clin_p, "prob")
    revp = b.scalar("revp", "Review product", "fraction", f"PRODUCT({pr_block})", review, "prob")
    totp = b.scalar("totp", "Product of all prior probabilities", "fraction",
                    f"PRODUCT({pr_block})*PRODUCT({pc_block})", review * clin_p, "prob")
    nc = b.scalar("nclin", "Number of clinical phases", "count", f"SUM({clin_block})", nclin, "int")
    rule1 = nclin > 0 and 0.0 < clin_p < 1.0 and review > 0 and t <= review
    case1 = b.scalar("case1", "Rule 1 applies: clinical phases absorb the change (1/0)", "flag",
                     f"IF(AND({nc}>0,{clinp}>0,{clinp}<1,{revp}>0,{target}<={revp}),1,0)", float(rule1), "int")
    alpha1 = b.scalar("alpha1", "alpha = ln(LOA' / review product) / ln(clinical product)", "exponent",
                      f"IF({case1}=1,LN({target}/{revp})/LN({clinp}),0)",
                      math.log(t / review) / math.log(clin_p) if rule1 else 0.0, "factor")
    rule2 = (not rule1) and 0.0 < review * clin_p < 1.0
    case2 = b.scalar("case2", "Rule 2 applies: every phase rescaled (1/0)", "flag",
                     f"IF(AND({case1}=0,{totp}>0,{totp}<1),1,0)", float(rule2), "int")
    alpha2 = b.scalar("alpha2", "alpha = ln(LOA') / ln(product of all)", "exponent",
                      f"IF({case2}=1,LN({target})/LN({totp}),0)",
                      math.log(t) / math.log(review * clin_p) if rule2 else 0.0, "factor")
    k3 = b.scalar("k3", "Rule 3 (every probability is 1): phases sharing the target", "count",
                  f"IF({nc}>0,{nc},COUNT({pc_block}))", nclin if nclin > 0 else J, "int")
    pu = []
    for j, ph in enumerate(phases):
        p_j, c_j = ph.probability, clin[j]
        pu.append(b.scalar(f"pu{j}", f"Phase {j + 1}: posterior transition probability", "fraction",
                           f"IF({case1}=1,IF({c_j}=1,{p_j}^{alpha1},{p_j}),IF({case2}=1,{p_j}^{alpha2},"
                           f"IF(OR({c_j}=1,{nc}=0),{target}^(1/{k3}),{p_j})))", values[j], "prob"))
    block = b.column("pu", pu)
    check = b.scalar("loa_spread", "Check: product of the posterior probabilities", "fraction", f"PRODUCT({block})",
                     math.prod(values), "prob")
    return pu, block, check


def _write_slices(b: Book, j: int, ph: PhaseInputs, planned, start: Cell, du: Cell) -> tuple[Slice, ...]:
    """Phase j's spending: Q equal slices of its duration, each at rate cost x weight / width."""
    prof = planned.profile
    Q = len(prof)
    width = planned.duration / Q
    if Q == 1:
        wid = b.scalar(f"wid{j}", f"Phase {j + 1}: spending period = duration", "years", str(du), width, "years")
    else:
        raw = b.block(f"wraw{j}", INPUTS, ph.weights[0].ref.row, ph.weights[0].ref.row + Q - 1, I_VAL)
        wid = b.scalar(f"wid{j}", f"Phase {j + 1}: slice width = duration / number of slices", "years",
                       f"{du}/COUNT({raw})", width, "years")
    out = []
    for q in range(Q):
        a0 = start.value + q * width
        if Q > 1:
            wn = b.scalar(f"wn{j}_{q}", f"Phase {j + 1} slice {q + 1}: weight / sum of weights", "fraction",
                          f"{ph.weights[q]}/SUM({raw})", prof[q], "prob")
            qi = b.const(f"qi{j}_{q}", f"Phase {j + 1} slice {q + 1}: slices before it", "count", float(q), "int")
            s0 = b.scalar(f"a0_{j}_{q}", f"Phase {j + 1} slice {q + 1}: start", "years", f"{start}+{qi}*{wid}", a0,
                          "years")
            rate = b.scalar(f"rate{j}_{q}", f"Phase {j + 1} slice {q + 1}: spending rate = cost x weight / width",
                            "millions per year", f"{ph.cost}*{wn}/{wid}", planned.cost * prof[q] / width, "money")
        else:
            s0 = b.scalar(f"a0_{j}_{q}", f"Phase {j + 1}: start of spending", "years", str(start), a0, "years")
            rate = b.scalar(f"rate{j}_{q}", f"Phase {j + 1}: spending rate = cost / duration", "millions per year",
                            f"{ph.cost}/{wid}", planned.cost * 1.0 / width, "money")
        s1 = b.scalar(f"a1_{j}_{q}", f"Phase {j + 1} slice {q + 1}: end", "years", f"{s0}+{wid}", a0 + width, "years")
        out.append(Slice(j, s0, s1, rate))
    return tuple(out)


def write_rd(book: Book, result, time: Timeline, dev: Development) -> RD:
    """Write the development rows of the timeline: R&D per cost slice (phases with a profile), per phase, in
    all and risk-weighted; the flags of the phase running at each midpoint and of approval; P(alive).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation; R&D by phase, risk-weighted R&D and P(alive) are the engine's lines.
    time : Timeline
        The timeline header.
    dev : Development
        The development block.

    Returns
    -------
    RD
    """
    b = book
    ln = result.asset.lines
    b.section(CALC, "Development on the timeline (docs/method.md 1, Development)")
    if not dev.slices:
        zero = b.const("zero", "No development phases: no R&D", "millions", 0.0, "money")
        return RD((), b.line("rd", "R&D (none)", "millions", str(zero), ln.rd[0], total=True),
                  b.line("rdr", "R&D, risk-weighted (none)", "millions", str(zero), ln.rd_risked[0], total=True),
                  b.line("alive", "P(alive) (approved)", "fraction", str(dev.loa), ln.prob_alive[0], "prob"))
    t0, t1 = time.t0.values, time.t1.values

    def spend(s: Slice) -> str:
        return f"{s.rate}*MAX(0,MIN({time.t1},{s.end})-MAX({time.t0},{s.start}))"

    sliced = {}
    for j, slices in enumerate(dev.slices):
        if len(slices) > 1:
            sliced[j] = [b.line(f"rds{j}_{q}", f"R&D, phase {j + 1} slice {q + 1}", "millions", spend(s),
                                s.rate.value * overlap(t0, t1, s.start.value, s.end.value), total=True)
                         for q, s in enumerate(slices)]
    by_phase = tuple(b.line(f"rd{j}", f"R&D, phase {j + 1} (success path)", "millions",
                            "+".join(str(x) for x in sliced[j]) if j in sliced else spend(slices[0]),
                            ln.rd_by_phase[0, j], total=True) for j, slices in enumerate(dev.slices))
    J = len(by_phase)
    rd = b.line("rd", "R&D, all phases (success path)", "millions", f"SUM({by_phase[0]}:{by_phase[-1]})", ln.rd[0],
                total=True)
    rdr = b.line("rdr", "R&D, risk-weighted: sum of P(start phase j) x R&D of phase j", "millions",
                 f"SUMPRODUCT({by_phase[0]}:{by_phase[-1]},{dev.p_start_block})", ln.rd_risked[0], total=True)
    tm = time.tm.values
    run = [b.line(f"run{j}", f"Flag: phase {j + 1} running at the midpoint", "flag",
                  f"IF(AND({time.tm}>={dev.start[j]},{time.tm}<{dev.end[j]}),1,0)",
                  ((tm >= dev.start[j].value) & (tm < dev.end[j].value)).astype(float), "int") for j in range(J)]
    appr = b.line("appr", "Flag: approved by the midpoint", "flag", f"IF({time.tm}>={dev.T},1,0)",
                  (tm >= dev.T.value).astype(float), "int")
    b.line("indev", "Flag: in development (not yet approved at the midpoint)", "flag", f"1-{appr}",
           (tm < dev.T.value).astype(float), "int")
    alive = b.line("alive", "P(alive): P(start) of the running phase, LOA once approved", "fraction",
                   f"IF({appr}=1,{dev.loa},SUMPRODUCT({run[0]}:{run[-1]},{dev.p_start_block}))", ln.prob_alive[0],
                   "prob")
    return RD(by_phase, rd, rdr, alive)
