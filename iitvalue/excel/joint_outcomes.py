"""The joint outcomes of a several-indication workbook (docs/excel.md, "Several indications"; docs/method.md
5.1-5.3): each indication's outcome probabilities in each class, one probability per joint outcome, the
markets of each set of approved indications (the shared plant's factor K on their patients), the cash flows,
tax and value of every joint outcome, and the asset's and each indication's results.

Exact, not linearised: tax (with its loss pool), the plant's ceiling and the indications' own values are
computed per joint outcome (or per set of approved indications, on which sales depend alone), and the expected
cash flow is the sum over joint outcomes of P(outcome) x its cash flow. Cached values are the joint engine's
(``result.asset.joint``, ``result.asset.summary``, ``result.asset.indications``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.engine import tax_lines
from ..units import annual_totals
from .cells import CALC, Book, Cell, Line
from .commercial import uptake
from .inputs import Inputs
from .joint import Indication, prefix
from .pos import PosCells
from .timeline import Timeline


@dataclass(frozen=True)
class ApprovedSet:
    """The markets when the indications ``members`` (and no other) are approved: the plant's factor K (None
    without a ceiling), sales and pre-tax commercial profit by market, their totals and model-year sales."""

    members: frozenset
    K: Line | None
    revenue: dict[int, Line]  # market index -> line
    commercial: dict[int, Line]
    revenue_total: Line
    commercial_total: Line
    ysales: Line
    probability: Cell | None = None


@dataclass(frozen=True)
class Outcome:
    """One joint outcome: its indices (o_1 .. o_K), probability, set of approved indications (None: none), tax and
    free cash flow, and its value V = sum of FCF x DF."""

    states: tuple[int, ...]
    probability: Cell
    approved: frozenset
    tax: Line
    fcf: Line
    value: Cell


@dataclass(frozen=True)
class JointCells:
    """What the joint block wrote, for the deal, Outputs and Checks."""

    outcomes: tuple[Outcome, ...]
    sets: dict[frozenset, ApprovedSet]
    markets: tuple[str, ...]
    df: Line
    risked: Line  # expected free cash flow
    rd_risked: Line
    rnpv: Cell
    npv: Cell
    loa: Cell
    pv_rd: Cell
    pv_comm: Cell
    peak: Cell
    p_total: Cell
    p_start: tuple[Cell, ...]
    per_indication: tuple[dict[str, Cell], ...]
    phase_started: tuple[tuple[Cell, ...], ...]  # per indication and phase: P(it is started), jointly


def _sum(parts: list[str], zero: str) -> str:
    return "+".join(parts) if parts else zero


def write_joint(book: Book, result, inputs: Inputs, time: Timeline, pos: PosCells,
                inds: list[Indication]) -> JointCells:
    """Write the joint outcomes' blocks on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (``result.asset.joint`` is the joint engine's output).
    inputs : Inputs
        The lead's inputs (tax, rate, the capacity ceiling and its ramp, constants).
    time : Timeline
        The timeline header.
    pos : PosCells
        The posterior P(active).
    inds : list of Indication
        Every indication's blocks.

    Returns
    -------
    JointCells
    """
    b, jl = book, result.asset.joint
    states, prob = jl.states, jl.probabilities[0]
    J = [len(i.dev.start) for i in inds]
    cond = _conditional(b, jl, inds)
    b.section(CALC, "Joint outcomes: P(o_1, ..., o_K) = pi' prod_k P_k(o_k | A) + (1 - pi') prod_k P_k(o_k | I) "
                    "(docs/method.md 5.2)")
    pis = []
    for w, row in enumerate(states):
        label = "; ".join(_describe(inds[k], int(o), J[k]) for k, o in enumerate(row))
        parts = [[cond[k][int(o)][c] for k, o in enumerate(row) if o >= 0] for c in (0, 1)]
        pa, pi_ = (b.scalar(f"wp{c}_{w}", f"Outcome {w + 1} ({label}): P | {'active' if c == 0 else 'inactive'}",
                            "fraction", "*".join(str(x) for x in parts[c]) or "1",
                            float(np.prod([x.value for x in parts[c]])), "prob") for c in (0, 1))
        pis.append(b.scalar(f"wp_{w}", f"Outcome {w + 1}: P(outcome) = pi' x P | active + (1 - pi') x P | inactive",
                            "fraction", f"{pos.posterior_class}*{pa}+(1-{pos.posterior_class})*{pi_}", prob[w],
                            "prob"))
    p_total = b.scalar("wp_sum", "Sum of the joint outcomes' probabilities (= 1)", "fraction",
                       "+".join(str(p) for p in pis), float(prob.sum()), "prob")
    approved = [frozenset(k for k, o in enumerate(row) if o == J[k]) for row in states]
    markets = tuple(t.name for t in jl.flat_plan.territories)
    sets = {}
    for a in sorted({x for x in approved if x}, key=lambda x: (len(x), sorted(x))):
        w = approved.index(a)
        p = b.scalar(f"pset_{len(sets)}", "P(exactly these approved: " + ", ".join(inds[k].name for k in sorted(a)) +
                     ") = sum of their outcomes", "fraction",
                     "+".join(str(pis[x]) for x in range(len(pis)) if approved[x] == a),
                     float(sum(prob[x] for x in range(len(pis)) if approved[x] == a)), "prob")
        sets[a] = _write_set(b, result, inputs, time, inds, a, len(sets), w, p)
    outcomes, df = _write_outcomes(b, result, inputs, time, inds, pis, approved, sets)
    return _results(b, result, inputs, time, inds, pis, outcomes, df, sets, markets, p_total)


def _describe(ind: Indication, o: int, J: int) -> str:
    if o < 0:
        return f"{ind.name} not started"
    if o == J:
        return f"{ind.name} approved"
    return f"{ind.name} fails in phase {o + 1}"


def _conditional(b: Book, jl, inds: list[Indication]) -> list[list[tuple[Cell, Cell]]]:
    """Each indication's outcome probabilities P_k(o) on its spread chain and, per class, tilted so that approval
    has probability q_kc: P_k(o | c) = P_k(o) (1 - q_kc) / (1 - LOA_k) for a failure, P_k(J) q_kc / LOA_k for
    approval (unchanged where LOA_k is 0 or 1)."""
    from ..model.joint import class_conditional
    from ..model.outcomes import outcome_probabilities

    out = []
    for k, ind in enumerate(inds):
        b.prefix = prefix(k)
        b.section(CALC, f"Indication {k + 1}: {ind.name}, outcome probabilities by class (docs/method.md 5.2)")
        dev = ind.dev
        Jk = len(dev.start)
        probs = np.array([[p.probability for p in jl.plans[k].phases]], dtype=float)
        chain = outcome_probabilities(probs)
        loa = chain[:, -1]
        tilt = [class_conditional(chain, (jl.plan.indications[k].q_active, jl.plan.indications[k].q_inactive)[c],
                                  loa)[0] for c in (0, 1)]
        rows = []
        inner = f"AND({dev.loa}>0,{dev.loa}<1)"
        for o in range(Jk + 1):
            if o < Jk:
                tpl = f"{dev.p_start[o]}*(1-{_prob(b, k, o)})"
                label = f"P(fails in phase {o + 1}) = P(start) x (1 - p)"
            else:
                tpl, label = str(dev.loa), "P(approved) = LOA"
            base = b.scalar(f"po_{o}", label, "fraction", tpl, float(chain[0, o]), "prob")
            pair = []
            for c, q in enumerate(ind.q):
                tag = "A" if c == 0 else "I"
                t = (f"IF({inner},{base}*(1-{q})/(1-{dev.loa}),{base})" if o < Jk
                     else f"IF({inner},{base}*{q}/{dev.loa},{base})")
                pair.append(b.scalar(f"po{tag}_{o}", f"  ... given class {tag}", "fraction", t, float(tilt[c][o]),
                                     "prob"))
            rows.append(tuple(pair))
        out.append(rows)
    b.prefix = ""
    return out


def _prob(b: Book, k: int, j: int) -> str:
    """The transition probability used of phase j of indication k (after the update)."""
    pre = prefix(k)
    key = f"{pre}pt{j}" if f"{pre}pt{j}" in b.scalars else f"{pre}pu{j}"
    return "{$" + key + "}"


def _write_set(b: Book, result, inputs: Inputs, time: Timeline, inds: list[Indication], a: frozenset, n: int,
               w: int, p: Cell) -> ApprovedSet:
    """One set of approved indications: the plant's factor K on their patients (ramped from their first launch
    in a territory it supplies), then sales and commercial profit by market, K (c + fixed) - fixed on the
    territories the plant supplies (docs/method.md 5.3)."""
    jl = result.asset.joint
    flat = jl.flat
    b.prefix = f"set{n}_"
    names = ", ".join(inds[k].name for k in sorted(a))
    b.section(CALC, f"Approved: {names} (and no other indication): markets and plant (docs/method.md 5.3)")
    cap = inputs.capacity is not None
    plant = [(k, m) for k in sorted(a) for m, t in enumerate(jl.plans[k].territories) if cap and t.capacity_limited]
    K = None
    if plant:
        pats = [f"{inds[k].territories[m].revenue}/({inds[k].inputs.territories[m].price}*"
                f"{{{prefix(k)}gr{m}}})" for k, m in plant]
        pat_values = sum(jl.lines[k].revenue_by_territory[0, m] /
                         (jl.plans[k].territories[m].net_price * (1 + jl.plans[k].territories[m].price_change)
                          ** time.tm.values) for k, m in plant)
        total = b.line("cap_dpat", "Demand in patients, every approved indication's territories the plant supplies",
                       "patients", "+".join(pats), pat_values, "num", total=True)
        launches = [float(jl.lines[k].launch_time[0, m]) for k, m in plant]
        L1 = b.scalar("cap_L1", "First launch L1 among them", "years",
                      "MIN(" + ",".join(str(inds[k].territories[m].launch) for k, m in plant) + ")", min(launches),
                      "years")
        t0 = time.t0.values
        c0 = b.line("cap_c0", "Years since the first launch at period start (>= 0)", "years",
                    f"MAX(0,{time.t0}-{L1})", np.maximum(0.0, t0 - L1.value), "years")
        c1 = b.line("cap_c1", "Years since the first launch at period end (>= 0)", "years",
                    f"MAX(0,{time.t0}-{L1}+{inputs.dt})", np.maximum(0.0, t0 - L1.value + time.dt), "years")
        Yc = b.const("cap_Y", "Years in the capacity-ramp table", "years", float(inputs.n_years), "int")
        ramp = np.asarray(result.asset.plan.capacity.ramp, dtype=float)
        upt = uptake(b, "cap", c0, c1, Yc, inputs, inputs.capacity_ramp, ramp, "Capacity-ramp",
                     "Capacity share-years in the period = R(a1) - R(a0)")
        slots = b.line("cap_slots", "Patients the plant can treat in the period = ceiling x share-years", "patients",
                       f"{inputs.capacity}*{upt}", inputs.capacity.value * upt.values, "num", total=True)
        K = b.line("cap_K", "Capacity factor K = min(1, slots / demand) (1 without demand)", "fraction",
                   f"IF({total}>{slots},{slots}/{total},1)", flat.capacity[w], "pct")
    revenue, commercial = {}, {}
    for mi, mname in enumerate(t.name for t in jl.flat_plan.territories):
        r_parts, c_parts = [], []
        for k in sorted(a):
            for m, idx in enumerate(jl.market_of[k]):
                if idx != mi:
                    continue
                t = inds[k].territories[m]
                if (k, m) in plant:
                    fixed = f"({{${prefix(k)}sga_fixed{m}}}*{{{prefix(k)}onm{m}}}+{t.launch_costs})"
                    r_parts.append(f"{K}*{t.revenue}")
                    c_parts.append(f"{K}*({t.commercial}+{fixed})-{fixed}")
                else:
                    r_parts.append(str(t.revenue))
                    c_parts.append(str(t.commercial))
        if not r_parts:
            continue
        revenue[mi] = b.line(f"rev{mi}", f"Net sales, {mname}", "millions", "+".join(r_parts),
                             flat.revenue_by_territory[w, mi], total=True)
        commercial[mi] = b.line(f"comm{mi}", f"Pre-tax commercial profit, {mname}", "millions", "+".join(c_parts),
                                flat.commercial_by_territory[w, mi], total=True)
    rev = b.line("revenue", "Net sales, all markets", "millions", _sum([str(x) for x in revenue.values()],
                                                                       f"0*{time.t0}"), flat.revenue[w], total=True)
    comm = b.line("commercial", "Pre-tax commercial profit, all markets", "millions",
                  _sum([str(x) for x in commercial.values()], f"0*{time.t0}"),
                  flat.commercial_by_territory[w].sum(0), total=True)
    ys = b.line("ysales", "Net sales of this period's model year", "millions per year",
                f"SUMIF({time.yidx.all},{time.yidx},{rev.all})", time.year_totals(rev.values))
    b.prefix = ""
    return ApprovedSet(a, K, revenue, commercial, rev, comm, ys, p)


def _tax_block(b: Book, inputs: Inputs, profit: Line) -> tuple[Line, Line]:
    """The loss-pool corkscrew, tax and free cash flow of one profit line (as the single asset's rows)."""
    taxable = tax_lines(profit.values[None, :], np.ones(1), True)[0]
    opening = "{" + b.prefix + "pool<}"
    b.line("pool", "Loss pool at period end (carry-forward; opening balance in column D)", "millions",
           f"{opening}-MIN({opening},MAX({profit},0))+MAX(-{profit},0)", np.cumsum(taxable) - np.cumsum(profit.values),
           opening=0.0)
    used = b.line("used", "Losses used from the pool", "millions", f"MIN({opening},MAX({profit},0))",
                  np.maximum(profit.values, 0.0) - taxable)
    tax_v = tax_lines(profit.values[None, :], np.array([inputs.tax.value]), bool(inputs.carryforward.value))[0]
    tax = b.line("tax", "Tax = rate x (max(0, profit) - losses used if carry-forward)", "millions",
                 f"{inputs.tax}*(MAX({profit},0)-{inputs.carryforward}*{used})", tax_v, total=True)
    fcf = b.line("fcf", "Free cash flow", "millions", f"{profit}-{tax}", profit.values - tax_v, total=True)
    return tax, fcf


def _rd_of(inds: list[Indication], row) -> tuple[list[str], np.ndarray]:
    parts, vals = [], 0.0
    for k, o in enumerate(row):
        for j in range(min(int(o) + 1, len(inds[k].rd.by_phase)) if o >= 0 else 0):
            parts.append(str(inds[k].rd.by_phase[j]))
            vals = vals + inds[k].rd.by_phase[j].values
    return parts, vals


def _write_outcomes(b: Book, result, inputs: Inputs, time: Timeline, inds: list[Indication], pis: list[Cell],
                    approved: list[frozenset], sets: dict) -> tuple[list[Outcome], Line]:
    """Per joint outcome: R&D of the phases started, commercial profit of its approved set, profit, tax, FCF and V."""
    jl = result.asset.joint
    df = b.line("jdf", "Discount factor (1 + r)^-t", "factor", f"(1+{inputs.rate})^(-{time.tc})",
                jl.lines[0].discount_factor[0], "factor")
    out = []
    for w, row in enumerate(jl.states):
        b.prefix = f"w{w}_"
        b.section(CALC, f"Outcome {w + 1}: cash flows, tax and value (docs/method.md 5.3)")
        parts, vals = _rd_of(inds, row)
        zero = f"0*{time.t0}"
        rd = b.line("rd", "R&D of the phases started", "millions", _sum(parts, zero),
                    np.broadcast_to(vals, time.t0.values.shape), total=True)
        a = approved[w]
        comm = sets[a].commercial_total if a else None
        profit = b.line("profit", "Operating profit = commercial profit of the approved indications - R&D", "millions",
                        f"{comm}-{rd}" if comm is not None else f"-{rd}", jl.flat.operating_profit[w], total=True)
        tax, fcf = _tax_block(b, inputs, profit)
        v = b.scalar("V", "Value V = sum of FCF x DF", "millions", f"SUMPRODUCT({fcf.all},{df.all})",
                     float((jl.flat.fcf[w] * df.values).sum()), "money")
        out.append(Outcome(tuple(int(x) for x in row), pis[w], a, tax, fcf, v))
    b.prefix = ""
    return out, df


def _results(b: Book, result, inputs: Inputs, time: Timeline, inds: list[Indication], pis: list[Cell],
             outcomes: list[Outcome], df: Line, sets: dict, markets: tuple[str, ...], p_total: Cell) -> JointCells:
    """The expected cash flows, the asset's results and each indication's (its own cash flows taxed alone)."""
    jl, summ = result.asset.joint, result.asset.summary
    prob = jl.probabilities[0]
    b.section(CALC, "Asset: expected cash flows and results over the joint outcomes (docs/method.md 5.3)")
    rdr = b.line("jrdr", "R&D, expected = sum over outcomes of P(outcome) x its R&D", "millions",
                 "+".join(f"{o.probability}*{{w{w}_rd}}" for w, o in enumerate(outcomes)), prob @ jl.flat.rd[:len(prob)],
                 total=True)
    fcfr = b.line("jfcfr", "Free cash flow, expected = sum of P(outcome) x FCF", "millions",
                  "+".join(f"{o.probability}*{o.fcf}" for o in outcomes), prob @ jl.flat.fcf[:len(prob)], total=True)
    pv = b.line("jpv", "PV of the expected free cash flow", "millions", f"{fcfr}*{df}", fcfr.values * df.values,
                total=True)
    rnpv = b.scalar("jrnpv", "Asset rNPV = sum of PV", "millions", f"SUM({pv.all})", summ["rnpv"], "money")
    b.scalar("jrnpv_w", "Check: sum of P(outcome) x V(outcome)", "millions",
             "+".join(f"{o.probability}*{o.value}" for o in outcomes), float(prob @ [o.value.value for o in outcomes]),
             "money")
    J = [len(i.dev.start) for i in inds]
    w_all = next(w for w, row in enumerate(jl.states) if all(o == J[k] for k, o in enumerate(row)))
    npv = b.scalar("jnpv", "Unrisked NPV = V of the outcome where every indication is approved", "millions",
                   str(outcomes[w_all].value), summ["npv_unrisked"], "money")
    loa = b.scalar("jloa", "P(at least one indication approved)", "fraction",
                   _sum([str(o.probability) for o in outcomes if o.approved], "0"), summ["loa"], "prob")
    pv_rd = b.scalar("jpv_rd", "PV of expected R&D", "millions", f"-SUMPRODUCT({rdr.all},{df.all})",
                     summ["pv_rd_risked"], "money")
    pv_comm = b.scalar("jpv_comm", "PV of expected commercial cash flow after tax = rNPV - PV of R&D", "millions",
                       f"SUMPRODUCT({fcfr.all},{df.all})+SUMPRODUCT({rdr.all},{df.all})", summ["pv_commercial_risked"],
                       "money")
    all_set = sets[frozenset(range(len(inds)))]
    peak = b.scalar("jpeak", "Peak sales: the largest model-year total, every indication approved",
                    "millions per year", f"MAX({all_set.ysales.all})", summ["peak_sales"], "money")
    p_start, per, started = [], [], []
    for k, ind in enumerate(inds):
        b.prefix = prefix(k)
        row = result.asset.indications[k]
        b.section(CALC, f"Indication {k + 1}: {ind.name}, its results (its own cash flows, taxed as if alone)")
        on = [w for w in range(len(outcomes)) if jl.states[w, k] >= 0]
        ps = b.scalar("p_start_j", "P(it starts) = sum over the outcomes where it does", "fraction",
                      _sum([str(pis[w]) for w in on], "0"), row["p_start"], "prob")
        p_start.append(ps)
        pa = b.scalar("p_appr_j", "P(it is approved)", "fraction",
                      _sum([str(pis[w]) for w in on if jl.states[w, k] == J[k]], "0"), row["p_approved"], "prob")
        lk = b.scalar("loa_j", "LOA given that it starts = P(approved) / P(starts)", "fraction",
                      f"IF({ps}>0,{pa}/{ps},0)", row["loa"], "prob")
        started.append(tuple(b.scalar(f"p_ph{j}_j", f"Phase {j + 1}: P(started), over the joint outcomes",
                                      "fraction", _sum([str(pis[w]) for w in on if jl.states[w, k] >= j], "0"),
                                      float(sum(prob[w] for w in on if jl.states[w, k] >= j)), "prob")
                             for j in range(J[k])))
        own = _own_values(b, result, inputs, time, ind, k, outcomes, sets, df)
        rn = b.scalar("rnpv_j", "rNPV of the indication = sum of P(outcome) x its own value", "millions",
                      _sum([f"{pis[w]}*{own[w]}" for w in on if w in own], "0"), row["rnpv"], "money")
        sales = _own_sales(b, result, ind, k, sets, time)
        pk = b.scalar("peak_j", "Peak sales of the indication, every indication approved", "millions per year",
                      f"MAX({sales.all})", row["peak_sales"], "money")
        per.append({"rnpv": rn, "loa": lk, "peak_sales": pk, "p_start": ps, "p_approved": pa})
    b.prefix = ""
    return JointCells(tuple(outcomes), sets, markets, df, fcfr, rdr, rnpv, npv, loa, pv_rd, pv_comm, peak, p_total,
                      tuple(p_start), tuple(per), tuple(started))


def _commercial_of(ind: Indication, k: int, s: ApprovedSet | None, result) -> tuple[str, np.ndarray]:
    """Indication k's own pre-tax commercial profit in the approved set ``s``: after the plant's factor."""
    jl = result.asset.joint
    parts = []
    ln = jl.lines[k]
    vals = np.zeros(ln.t_start.size)
    for m, t in enumerate(ind.territories):
        plant = s is not None and s.K is not None and jl.plans[k].territories[m].capacity_limited
        if plant:
            fixed = f"({{${prefix(k)}sga_fixed{m}}}*{{{prefix(k)}onm{m}}}+{t.launch_costs})"
            parts.append(f"{s.K}*({t.commercial}+{fixed})-{fixed}")
            fx = jl.fixed[k][0, m]
            vals = vals + s.K.values * (ln.commercial_by_territory[0, m] + fx) - fx
        else:
            parts.append(str(t.commercial))
            vals = vals + ln.commercial_by_territory[0, m]
    return "+".join(parts), vals


def _own_values(b: Book, result, inputs: Inputs, time: Timeline, ind: Indication, k: int, outcomes, sets, df
                ) -> dict[int, Cell]:
    """The indication's own value in each joint outcome where it starts: one block per distinct (its outcome, the
    approved set when it is approved), commercial profit when approved minus the R&D it spends, taxed alone."""
    Jk = len(ind.dev.start)
    blocks: dict[tuple, Cell] = {}
    out = {}
    pre = b.prefix
    for w, o in enumerate(outcomes):
        ok = o.states[k]
        if ok < 0:
            continue
        key = (ok, o.approved if ok == Jk else None)
        if key not in blocks:
            n = len(blocks)
            b.prefix = f"{pre}own{n}_"
            what = (f"approved with {', '.join(sorted(str(x + 1) for x in o.approved))} approved" if ok == Jk
                    else f"fails in phase {ok + 1}")
            parts = [str(ind.rd.by_phase[j]) for j in range(min(ok + 1, Jk))]
            rd_v = sum((ind.rd.by_phase[j].values for j in range(min(ok + 1, Jk))), np.zeros(time.t0.values.size))
            if ok == Jk:
                tpl, cv = _commercial_of(ind, k, sets[o.approved], result)
                profit_tpl = f"{tpl}-({_sum(parts, '0')})"
                pv_ = cv - rd_v
            else:
                profit_tpl, pv_ = f"-({_sum(parts, '0')})", -rd_v
            profit = b.line("profit", f"Own operating profit ({what})", "millions", profit_tpl, pv_, total=True)
            _, fcf = _tax_block(b, inputs, profit)
            blocks[key] = b.scalar("V", "Own value = sum of FCF x DF", "millions", f"SUMPRODUCT({fcf.all},{df.all})",
                                   float((fcf.values * df.values).sum()), "money")
        out[w] = blocks[key]
    b.prefix = pre
    return out


def _own_sales(b: Book, result, ind: Indication, k: int, sets, time: Timeline) -> Line:
    """The indication's model-year sales when every indication is approved (after the plant's factor)."""
    jl = result.asset.joint
    s = sets[frozenset(range(len(jl.plans)))]
    parts = []
    for m, t in enumerate(ind.territories):
        plant = s.K is not None and jl.plans[k].territories[m].capacity_limited
        parts.append(f"{s.K}*{t.revenue}" if plant else str(t.revenue))
    w_all = next(w for w, row in enumerate(jl.states) if all(o == len(p.phases) for o, p in zip(row, jl.plans)))
    own = jl.own_sales(k)[w_all].sum(0)
    rev = b.line("own_rev", "Own net sales, every indication approved", "millions", "+".join(parts), own, total=True)
    return b.line("own_ys", "Own net sales of this period's model year", "millions per year",
                  f"SUMIF({time.yidx.all},{time.yidx},{rev.all})", annual_totals(own, time.dt)[time.yidx.values.astype(int)])
