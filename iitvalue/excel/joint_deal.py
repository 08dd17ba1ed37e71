"""The deal of a several-indication workbook (docs/excel.md, "Several indications"; docs/method.md 5.4): each
party's discounting, the milestones (an event of one indication, or sales of every approved indication
together), royalties over the summed sales of each set of approved indications, the licensor's profit and cost
share, and the two NPVs.

Every component is an expectation over the joint outcomes, live: an event's probability is the sum of the
probabilities of the joint outcomes in which it happens (its time is its indication's), a worldwide sales
milestone and the royalties are computed per set of approved indications (whose sales they depend on) and
weighted by its probability, and the profit share per joint outcome (its pro-rata tax is the outcome's). Cached
values are the joint deal kernel's (:mod:`iitvalue.deal.joint`) at each party's rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..deal.kernel import discount
from ..deal.payments import signing_time, upfront_time
from ..deal.streams import royalty_lines, tiered_amount
from ..errors import Problem
from ..model.outcomes import expectation
from ..termsheet.triggers import ExcelRefs, kind_of
from .cells import CALC, Book, Cell, Line
from .deal import ROLES, DealInputs
from .inputs import Inputs
from .joint import Indication
from .joint_outcomes import JointCells
from .timeline import Timeline


@dataclass(frozen=True)
class JointDeal:
    """The deal's headline cells: the two NPVs, the asset rNPV at each party's rate, the PV of each part for each
    party, the headline value, the break-even upfront (None when the upfront was paid before t = 0)."""

    licensor: Cell
    licensee: Cell
    asset: dict[str, Cell]
    milestones: dict[str, Cell]
    royalties: dict[str, Cell]
    share: dict[str, Cell]
    upfront: dict[str, Cell]
    at_licensee_rate: Cell
    headline: Cell
    breakeven_upfront: Cell | None
    payments: tuple[tuple[str, Cell, dict[str, Cell]], ...]  # (name, P(paid), PV by party)


def deal_problems(sheet) -> list[Problem]:
    """What the workbook refuses in a several-indication deal: a sales milestone of one named indication, a
    profit share or cost share naming a market or phase that the lead indication does not have."""
    d = sheet.deal
    if d is None:
        return []
    out = []
    lead_t, lead_p = {t.name for t in sheet.territories}, {p.name for p in sheet.phases}
    trig = [(f"deal.milestones[{i}].trigger", m.trigger) for i, m in enumerate(d.milestones)]
    trig += [(f"deal.pools[{i}].triggers[{q}]", t) for i, p in enumerate(d.pools) for q, t in enumerate(p.triggers)]
    for where, t in trig:
        if t.type == "sales" and t.indication is not None:
            out.append(Problem(f"{where}.indication", "the workbook counts a sales milestone on the sales of every "
                               "approved indication: leave out 'indication' (value the sheet with value / simulate)"))
    if d.net_cash:
        out.append(Problem("deal.net_cash", "the several-indication workbook has no net-cash row yet (value the sheet "
                           "with value / simulate, which count it)"))
    if d.equity is not None:
        out.append(Problem("deal.equity", "the several-indication workbook has no equity-investment row yet (value the "
                           "sheet with value / simulate, which count it)"))
    if d.tranches:
        out.append(Problem("deal.tranches", "the several-indication workbook has no tranche rows yet (value the sheet "
                           "with value / simulate, which count them)"))
    for what, items in (("milestones", d.milestones), ("pools", d.pools)):
        for i, m in enumerate(items):
            if m.expires is not None:
                out.append(Problem(f"deal.{what}[{i}].expires", "the several-indication workbook does not apply an "
                                   "expiry date yet (value the sheet with value / simulate, which do)"))
    for i, ps in enumerate(d.profit_shares):
        for t in ps.territories:
            if t not in lead_t:
                out.append(Problem(f"deal.profit_shares[{i}].territories", f"'{t}' is not a territory of the lead "
                                   "indication: the workbook shares the markets the lead has"))
    for i, cs in enumerate(d.cost_shares):
        for ph in cs.phases:
            if ph not in lead_p:
                out.append(Problem(f"deal.cost_shares[{i}].phases", f"'{ph}' is a follow-on's phase: the workbook's "
                                   "per-phase cost shares name the lead's phases (the others take "
                                   "deal.licensor_cost_share)"))
    return out


def write_joint_deal(book: Book, result, inputs: Inputs, time: Timeline, inds: list[Indication], jc: JointCells,
                     deal_in: DealInputs) -> JointDeal:
    """Write the deal's blocks on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal and several indications.
    inputs : Inputs
        The lead's inputs (valuation date, horizon, constants).
    time : Timeline
        The timeline header.
    inds : list of Indication
        Every indication's blocks.
    jc : JointCells
        The joint outcomes' cells.
    deal_in : DealInputs
        The deal's input cells.

    Returns
    -------
    JointDeal
    """
    b, d, jl = book, result.sheet.deal, result.asset.joint
    views = {role: getattr(result.deal, role) for role in ROLES}
    comps = {role: v.outcomes(d).components for role, v in views.items()}

    def expect(role: str, values: np.ndarray) -> float:
        return float(expectation(values, views[role].outcome_probabilities)[0])

    b.section(CALC, "Deal: each party's discounting (docs/method.md 3.1)")
    df = {role: b.line(f"df_{role}", f"Discount factor, {role} (its own rate)", "factor",
                       f"(1+{deal_in.rates[role]})^(-{time.tc})", views[role].lines.discount_factor[0], "factor")
          for role in ROLES}
    paid_at = deal_in.closing or deal_in.deal_date
    t_up = b.scalar("t_up", "Upfront paid at (years)", "years", f"({paid_at}-{inputs.vdate})/{inputs.const.dpy}",
                    upfront_time(d, jl.flat_plan), "years")
    t_deal = b.scalar("t_deal", "Deal date (years)", "years", f"({deal_in.deal_date}-{inputs.vdate})/{inputs.const.dpy}",
                      signing_time(d, jl.flat_plan), "years")
    pv_up = {role: b.scalar(f"pvup_{role}", f"PV of the upfront, {role}", "millions",
                            f"{deal_in.upfront}*IF({t_up}<0,0,(1+{deal_in.rates[role]})^(-{t_up}))",
                            expect(role, comps[role][0].pv), "money") for role in ROLES}
    pays, ms_pv = _milestones(b, result, inputs, time, inds, jc, deal_in, t_deal, comps, expect)
    headline = b.scalar("headline", "Headline value = upfront + all milestones (undiscounted, unrisked)", "millions",
                        str(deal_in.upfront) + "".join(f"+{{${p.key}_a}}" for p in deal_in.payments),
                        result.deal.summary["headline_value"], "money")
    roy = _royalties(b, result, inputs, time, inds, jc, deal_in, df, comps, expect)
    share = _shares(b, result, inputs, time, inds, jc, deal_in, t_deal, df, comps, expect)
    b.section(CALC, "Deal: the two NPVs (docs/method.md 3.5)")
    asset = {role: b.scalar(f"asset_{role}", f"Asset rNPV at the {role}'s rate", "millions",
                            f"SUMPRODUCT({jc.risked.all},{df[role].all})",
                            expect(role, views[role].outcomes(d).asset), "money") for role in ROLES}
    summ = result.deal.summary
    lic = b.scalar("lic_npv", "Licensor NPV = upfront + milestones + royalties + profit share", "millions",
                   f"{pv_up['licensor']}+{ms_pv['licensor']}+{roy['licensor']}+{share['licensor']}",
                   summ["licensor_npv"], "money")
    lee = b.scalar("lee_npv", "Licensee NPV = asset rNPV - profit share - upfront - milestones - royalties",
                   "millions", f"{asset['licensee']}-{share['licensee']}-{pv_up['licensee']}-{ms_pv['licensee']}-"
                   f"{roy['licensee']}", summ["licensee_npv"], "money")
    at_lee = b.scalar("lic_at_lee", "Licensor's receipts valued at the licensee's rate", "millions",
                      f"{pv_up['licensee']}+{ms_pv['licensee']}+{roy['licensee']}+{share['licensee']}",
                      pv_up["licensee"].value + ms_pv["licensee"].value + roy["licensee"].value
                      + share["licensee"].value, "money")
    be = None
    if t_up.value >= 0:
        be = b.scalar("be_up", "Break-even upfront = upfront + licensee NPV x (1 + r)^t (linear)", "millions",
                      f"{deal_in.upfront}+{lee}*(1+{deal_in.rates['licensee']})^{t_up}",
                      d.upfront + lee.value / float(discount(deal_in.rates["licensee"].value, t_up.value)), "money")
    return JointDeal(lic, lee, asset, ms_pv, roy, share, pv_up, at_lee, headline, be, tuple(pays))


def _milestones(b: Book, result, inputs: Inputs, time: Timeline, inds, jc: JointCells, deal_in: DealInputs,
                t_deal: Cell, comps, expect):
    """Each milestone: an event of one indication (its time; P = the sum over the joint outcomes where it
    happens), or worldwide sales (per set of approved indications: the first model year reaching the threshold)."""
    jl = result.asset.joint
    c = inputs.const
    b.section(CALC, "Deal: milestones over the joint outcomes (docs/method.md 3.2, 5.4)")
    parts = {role: [] for role in ROLES}
    pays = []

    def within(t: Cell) -> str:
        return f"{t}<={inputs.horizon}+{c.tolp},{t}>={t_deal}-{c.tolp}"

    for n, pay in enumerate(deal_in.payments):
        key, p, trig = pay.key, pay.payment, pay.payment.trigger
        kind = kind_of(trig)
        amount = b.scalar(f"{key}_a", f"{p.name}: amount", "millions", pay.amount_tpl, p.amount, "money")
        pv_values = {role: expect(role, comps[role][n + 1].pv) for role in ROLES}
        paid_value = expect("licensee", comps["licensee"][n + 1].paid.astype(float))
        if trig.type == "sales":
            terms, probs = {role: [] for role in ROLES}, []
            for s, aset in enumerate(jc.sets.values()):
                b.prefix = f"{key}_s{s}_"
                annual = (aset.ysales if trig.territory is None else _market_ysales(b, time, jc, aset, trig.territory))
                hit = b.line("hit", f"{p.name}, approved set {s + 1}: model-year sales reach the threshold", "flag",
                             f"IF({annual}>={pay.trigger_cell}*(1-{c.tol}),1,0)",
                             (annual.values >= trig.threshold * (1 - c.tol.value)).astype(float), "int")
                idx = b.scalar("idx", "First period reaching it (0 = never)", "period",
                               f"IFERROR(MATCH(1,{hit.all},0),0)",
                               int(np.argmax(hit.values)) + 1 if hit.values.any() else 0, "int")
                tv = (min(time.yidx.values[int(idx.value) - 1] + 1, time.t1.values.max()) if idx.value else 0.0)
                t = b.scalar("t", "Paid at the end of that model year", "years",
                             f"IF({idx}>0,MIN(INDEX({time.yidx.all},1,{idx})+1,MAX({time.t1.all})),0)", tv, "years")
                ok = bool(idx.value) and t_deal.value - c.tolp.value <= tv <= inputs.horizon.value + c.tolp.value
                due = b.scalar("due", "Paid in this set (reached, within the horizon, after signing)", "flag",
                               f"IF(AND({idx}>0,{within(t)}),1,0)", float(ok), "int")
                probs.append(f"{aset.probability}*{due}")
                for role in ROLES:
                    terms[role].append(f"{aset.probability}*{due}*IF({t}<0,0,(1+{deal_in.rates[role]})^(-{t}))")
            b.prefix = ""
            paid = b.scalar(f"{key}_p", f"{p.name}: probability paid = sum over sets of P(set) x paid", "fraction",
                            "+".join(probs) or "0", paid_value, "prob")
            pv = {role: b.scalar(f"{key}_pv_{role}", f"{p.name}: PV, {role}", "millions",
                                 f"{amount}*({'+'.join(terms[role]) or '0'})", pv_values[role], "money")
                  for role in ROLES}
        else:
            k = jl.indication_of(trig)
            ind, plan, ln = inds[k], jl.plans[k], jl.lines[k]
            refs = ExcelRefs(start=lambda j, d=ind.dev: str(d.start[j]), p_start=lambda j, d=ind.dev: str(d.p_start[j]),
                             launch=lambda m, ts=ind.territories: str(ts[m].launch), T=str(ind.dev.T),
                             loa=str(ind.dev.loa))
            t_tpl, _ = kind.excel(trig, plan, refs, key)
            tv, _ = kind.event(trig, plan, ln)
            t = b.scalar(f"{key}_t", f"{p.name}: time ({ind.name})", "years", t_tpl, np.nan_to_num(tv[0], nan=0.0),
                         "years")
            happens = jl.lift(k, kind.happens(trig, plan, ln))[0]
            pr_cells = [o.probability for o, h in zip(jc.outcomes, happens) if h]
            pr = b.scalar(f"{key}_pr", f"{p.name}: probability of the event = sum over the joint outcomes where it "
                          "happens", "fraction", "+".join(str(x) for x in pr_cells) or "0",
                          float(sum(x.value for x in pr_cells)), "prob")
            paid = b.scalar(f"{key}_p", f"{p.name}: probability paid (0 after the horizon or before signing)",
                            "fraction", f"IF(AND({within(t)}),{pr},0)", paid_value, "prob")
            pv = {role: b.scalar(f"{key}_pv_{role}", f"{p.name}: PV, {role}", "millions",
                                 f"{amount}*{paid}*IF({t}<0,0,(1+{deal_in.rates[role]})^(-{t}))", pv_values[role],
                                 "money") for role in ROLES}
        for role in ROLES:
            parts[role].append(pv[role])
        pays.append((p.name, paid, pv))
    total = {}
    for role in ROLES:
        if parts[role]:
            total[role] = b.scalar(f"pvms_{role}", f"PV of all milestones, {role}", "millions",
                                   "+".join(str(x) for x in parts[role]), sum(x.value for x in parts[role]), "money")
        else:
            total[role] = b.const(f"pvms_{role}", f"PV of all milestones, {role} (none)", "millions", 0.0, "money")
    return pays, total


def _market_ysales(b: Book, time: Timeline, jc: JointCells, aset, name: str) -> Line:
    """A market's model-year sales in one approved set (0 when none of its indications sells there)."""
    mi = jc.markets.index(name)
    rev = aset.revenue.get(mi)
    tpl = f"SUMIF({time.yidx.all},{time.yidx},{rev.all})" if rev is not None else f"0*{time.t0}"
    vals = time.year_totals(rev.values) if rev is not None else np.zeros(time.t0.values.size)
    return b.line("ys", f"{name}: net sales of this period's model year", "millions per year", tpl, vals)


def _first_set_outcome(jc: JointCells, aset) -> int:
    return next(w for w, o in enumerate(jc.outcomes) if o.approved == aset.members)


def _royalties(b: Book, result, inputs: Inputs, time: Timeline, inds, jc: JointCells, deal_in: DealInputs, df,
               comps, expect) -> dict[str, Cell]:
    """Royalties per set of approved indications on the summed sales of the covered markets (tiers on their
    combined annual sales; each market's step-down after the exclusivity of its first approved indication and
    its term from that launch), weighted by the set's probability."""
    d, jl = result.sheet.deal, result.asset.joint
    if not d.royalties:
        return {role: b.const(f"pvroy_{role}", f"PV of royalties, {role} (no royalties)", "millions", 0.0, "money")
                for role in ROLES}
    b.section(CALC, "Deal: royalties on the summed sales of each set of approved indications (docs/method.md 3.3, 5.4)")
    lines = royalty_lines(d, jl.flat_plan, jl.flat)  # (R, M, N)
    totals = []
    for s, aset in enumerate(jc.sets.values()):
        w = _first_set_outcome(jc, aset)
        b.prefix = f"roy_s{s}_"
        rows = []
        for i, (roy, cells) in enumerate(zip(d.royalties, deal_in.royalties)):
            covered = [jc.markets.index(t) for t in roy.territories if jc.markets.index(t) in aset.revenue]
            if not covered:
                continue
            annual = b.line(f"A{i}", f"Royalty {i + 1}: covered annual sales", "millions per year",
                            "(" + "+".join(str(aset.revenue[m]) for m in covered) + f")/{inputs.dt}",
                            sum(aset.revenue[m].values for m in covered) / time.dt)
            tiers = [(t.above, t.rate) for t in roy.tiers]
            tiered = b.line(f"sum{i}", f"Royalty {i + 1}: tiered amount (annual, marginal tiers)", "millions per year",
                            "+".join(_tier(cells, q, annual) for q in range(len(tiers))),
                            tiered_amount(annual.values, tiers))
            with np.errstate(invalid="ignore", divide="ignore"):
                eff_v = np.where(annual.values > 0, tiered.values / annual.values, 0.0)
            eff = b.line(f"eff{i}", f"Royalty {i + 1}: effective rate", "fraction", f"IF({annual}>0,{tiered}/{annual},0)",
                         eff_v, "pct")
            for m in covered:
                L, X = _market_launch(b, inds, aset, m, jc.markets[m])
                factor = f"IF({time.tm}>{X},1-{cells.step_down},1)"
                if cells.term is not None:
                    factor += f"*IF({time.tm}<{L}+{cells.term},1,0)"
                rows.append(b.line(f"r{i}_{m}", f"Royalty {i + 1}: royalties on {jc.markets[m]}", "millions",
                                   f"{eff}*{aset.revenue[m]}*{factor}", lines[w, m], total=True))
        tot = b.line("roy", "Royalties, all (this set approved)", "millions",
                     "+".join(str(x) for x in rows) if rows else f"0*{time.t0}", lines[w].sum(0), total=True)
        totals.append((aset, tot))
    b.prefix = ""
    risked = b.line("royr", "Royalties, expected = sum over sets of P(set) x royalties", "millions",
                    "+".join(f"{a.probability}*{t}" for a, t in totals),
                    sum(a.probability.value * t.values for a, t in totals), total=True)
    return {role: b.scalar(f"pvroy_{role}", f"PV of royalties, {role}", "millions",
                           f"SUMPRODUCT({risked.all},{df[role].all})",
                           sum(expect(role, c.pv) for c in comps[role] if c.category == "royalties"), "money")
            for role in ROLES}


def _tier(cells, q: int, annual: Line) -> str:
    """Marginal tier q of a royalty on the annual sales ``annual``: rate x the sales within its band."""
    lo, rate = cells.above[q], cells.rate[q]
    if q + 1 < len(cells.above):
        return f"{rate}*MIN(MAX({annual}-{lo},0),{cells.above[q + 1]}-{lo})"
    return f"{rate}*MAX({annual}-{lo},0)"


def _market_launch(b: Book, inds, aset, m: int, name: str) -> tuple[Cell, Cell]:
    """A market's launch (the first approved indication's there) and that indication's exclusivity end."""
    cands = [(t.launch, t.exclusivity_end) for k, i in enumerate(inds) if k in aset.members
             for t in i.territories if t.name == name]
    L_tpl = "MIN(" + ",".join(str(c[0]) for c in cands) + ")"
    X_tpl, best = str(cands[0][1]), cands[0]
    for j in range(1, len(cands)):
        earlier = "MIN(" + ",".join(str(c[0]) for c in cands[:j]) + ")"
        X_tpl = f"IF({cands[j][0]}<{earlier},{cands[j][1]},{X_tpl})"
        if cands[j][0].value < min(c[0].value for c in cands[:j]):
            best = cands[j]
    L = b.scalar(f"L{m}", f"{name}: market launch = the first approved indication's", "years", L_tpl,
                 min(c[0].value for c in cands), "years")
    X = b.scalar(f"X{m}", f"{name}: exclusivity end of that indication", "years", X_tpl, best[1].value, "years")
    return L, X


def _shares(b: Book, result, inputs: Inputs, time: Timeline, inds, jc: JointCells, deal_in: DealInputs,
            t_deal: Cell, df, comps, expect) -> dict[str, Cell]:
    """The licensor's profit and cost share: per set its share of the markets' commercial profit, per joint
    outcome less the pro-rata share of the outcome's tax, the expectation over the outcomes; the licensor's R&D
    (all of it before signing, its cost share after) weighted by each phase's joint P(started)."""
    jl = result.asset.joint
    b.section(CALC, "Deal: licensor's profit and cost share over the joint outcomes (docs/method.md 3.4, 5.4)")
    sm = {}
    for m, cell in deal_in.profit_share.items():
        mi = jl.market_of[0][m]
        sm[mi] = b.scalar(f"sm{mi}", f"Licensor's profit share, {jc.markets[mi]}", "fraction", str(cell), cell.value,
                          "pct")
    sc = {}
    for s, aset in enumerate(jc.sets.values()):
        b.prefix = f"sh_s{s}_"
        parts = [f"{sm[mi]}*{line}" for mi, line in aset.commercial.items() if mi in sm]
        vals = sum((sm[mi].value * line.values for mi, line in aset.commercial.items() if mi in sm),
                   np.zeros(time.t0.values.size))
        sc[aset.members] = b.line("sc", "Licensor's share of the markets' pre-tax commercial profit", "millions",
                                  "+".join(parts) if parts else f"0*{time.t0}", vals, total=True)
    lic = []
    for w, o in enumerate(jc.outcomes):
        if not o.approved:
            continue
        b.prefix = f"sh_w{w}_"
        aset = jc.sets[o.approved]
        share, ctot = sc[o.approved], aset.commercial_total
        with np.errstate(invalid="ignore", divide="ignore"):
            v = share.values - np.where(ctot.values > 0, o.tax.values * share.values / np.where(
                ctot.values > 0, ctot.values, 1.0), 0.0)
        lic.append((o, b.line("lic", f"Outcome {w + 1}: licensor's share after its pro-rata tax", "millions",
                              f"{share}-IF({ctot}>0,{o.tax}*{share}/{ctot},0)", v, total=True)))
    b.prefix = ""
    zero = f"0*{time.t0}"
    liccomm = b.line("liccomm", "Licensor's share of after-tax commercial profit, expected", "millions",
                     "+".join(f"{o.probability}*{x}" for o, x in lic) or zero,
                     sum((o.probability.value * x.values for o, x in lic), np.zeros(time.t0.values.size)), total=True)
    t0 = time.t0.values
    before = b.line("before", "Share of the period before the deal date", "fraction",
                    f"MIN(MAX({t_deal}-{time.t0},0),{inputs.dt})/{inputs.dt}",
                    np.clip(t_deal.value - t0, 0.0, time.dt) / time.dt, "prob")
    all_parts, after_parts, v_all, v_after = [], [], 0.0, 0.0
    for k, ind in enumerate(inds):
        if not ind.rd.by_phase:
            continue
        rho = []
        for j in range(len(ind.rd.by_phase)):
            cell = deal_in.cost_share.get(j) if k == 0 else None
            src = cell if cell is not None else deal_in.licensor_cost_share
            rho.append(b.scalar(f"rho{k}_{j}", f"{ind.name}, phase {j + 1}: licensor's share of its R&D after signing",
                                "fraction", str(src), src.value, "pct"))
        rho_block = b.column(f"rho{k}", rho)
        started = b.column(f"pstarted{k}", list(jc.phase_started[k]))
        rows = f"{ind.rd.by_phase[0]}:{ind.rd.by_phase[-1]}"
        all_parts.append(f"SUMPRODUCT({rows},{started})")
        after_parts.append(f"SUMPRODUCT({rows},{started},{rho_block})")
        ps = np.array([c.value for c in jc.phase_started[k]])
        by = np.array([r.values for r in ind.rd.by_phase])
        v_all = v_all + ps @ by
        v_after = v_after + (ps * [r.value for r in rho]) @ by
    if all_parts:
        rdlic = b.line("rdlic", "Licensor's expected R&D: all of it before signing, its cost share after (joint "
                       "P(started) of each phase)", "millions",
                       f"{before}*({'+'.join(all_parts)})+(1-{before})*({'+'.join(after_parts)})",
                       before.values * v_all + (1 - before.values) * v_after, total=True)
        licshare = b.line("licshare", "Licensor's share of the asset's cash flows, expected", "millions",
                          f"{liccomm}-{rdlic}", liccomm.values - rdlic.values, total=True)
    else:
        licshare = liccomm
    cats = ("profit_share", "rd_before_signing")
    return {role: b.scalar(f"pvsh_{role}", f"PV of the licensor's share, {role}'s view", "millions",
                           f"SUMPRODUCT({licshare.all},{df[role].all})",
                           sum(expect(role, c.pv) for c in comps[role] if c.category in cats), "money")
            for role in ROLES}
