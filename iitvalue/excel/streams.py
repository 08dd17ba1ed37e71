"""The deal's income streams in the workbook: tiered royalties (docs/method.md 3.3) and the licensor's profit and
cost share (3.4). Cached values of the stream lines are the deal library's (:mod:`iitvalue.deal.streams`) on the
asset's lines, and their PVs the deal kernel's (see :mod:`.deal`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..deal.streams import (
    licensor_commercial_lines,
    licensor_rd_shares,
    licensor_share_lines,
    royalty_lines,
    tiered_amount,
)
from .asset import Model
from .cells import CALC, Book, Cell, Line
from .deal import ROLES, DealInputs, Discounting


@dataclass(frozen=True)
class Shares:
    """The PV of the licensor's profit and cost share and the asset rNPV at each party's rate; the licensor's
    risk-adjusted share of the cash flows and its after-tax commercial share on the success path (rows)."""

    pv: dict[str, Cell]
    asset: dict[str, Cell]
    line: Line
    commercial: Line
    rd_before: Line | None = None  # the licensor's risk-weighted R&D before the licence starts (by phase)


@dataclass(frozen=True)
class Royalties:
    """The PV of the royalties for each party; the royalties on the success path and risk-adjusted (rows, None
    without royalties)."""

    pv: dict[str, Cell]
    total: Line | None
    risked: Line | None


def write_royalties(book: Book, result, model: Model, deal_in: DealInputs, disc: Discounting) -> Royalties:
    """Write the royalties: covered annual sales, one row per marginal tier, the effective rate, the royalties
    on each covered territory (step-down after exclusivity, nothing after the term), their total, risk-adjusted
    total and PV for each party.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal; the royalty lines are :func:`iitvalue.deal.streams.royalty_lines` of the asset's.
    model : Model
        Net sales, launch and exclusivity end by territory; the LOA; the period length.
    deal_in : DealInputs
        Tiers, step-downs and terms.
    disc : Discounting
        Each party's discount factors and the kernel's values.

    Returns
    -------
    Royalties
    """
    b, d = book, result.sheet.deal
    time, dev, territories = model.time, model.dev, model.territories
    if not d.royalties:
        return Royalties({role: b.const(f"pvroy_{role}", f"PV of royalties, {role} (no royalties)", "millions", 0.0,
                                        "money") for role in ROLES}, None, None)
    b.section(CALC, "Deal: royalties with marginal tiers (docs/method.md 3.3)")
    names = [t.name for t in territories]
    lines = royalty_lines(d, result.asset.plan, result.asset.lines)[0]  # (M, N), each territory in one royalty
    rows = []
    for i, (roy, cells) in enumerate(zip(d.royalties, deal_in.royalties)):
        covered = [territories[names.index(t)] for t in roy.territories]
        annual = b.line(f"roy{i}_A", f"Royalty {i + 1}: covered annual sales", "millions per year",
                        "(" + "+".join(str(t.revenue) for t in covered) + f")/{model.inputs.dt}",
                        sum(t.revenue.values for t in covered) / time.dt)
        tiers = [(t.above, t.rate) for t in roy.tiers]
        parts = []
        for q, (lo, rate) in enumerate(zip(cells.above, cells.rate)):
            if q + 1 < len(tiers):
                hi = cells.above[q + 1]
                tpl = f"{rate}*MIN(MAX({annual}-{lo},0),{hi}-{lo})"
                band = [tiers[q], (tiers[q + 1][0], 0.0)]  # this tier alone: nothing above the next threshold
            else:
                tpl, band = f"{rate}*MAX({annual}-{lo},0)", [tiers[q]]
            parts.append(b.line(f"roy{i}_t{q}", f"Royalty {i + 1}: tier {q + 1} amount (annual)", "millions per year",
                                tpl, tiered_amount(annual.values, band)))
        tiered = b.line(f"roy{i}_sum", f"Royalty {i + 1}: tiered amount (annual)", "millions per year",
                        "+".join(str(x) for x in parts), tiered_amount(annual.values, tiers))
        with np.errstate(invalid="ignore", divide="ignore"):
            eff_values = np.where(annual.values > 0, tiered.values / annual.values, 0.0)
        eff = b.line(f"roy{i}_eff", f"Royalty {i + 1}: effective rate", "fraction",
                     f"IF({annual}>0,{tiered}/{annual},0)", eff_values, "pct")
        for t in covered:
            m = names.index(t.name)
            factor = f"IF({time.tm}>{t.exclusivity_end},1-{cells.step_down},1)"
            if cells.term is not None:
                factor += f"*IF({time.tm}<{t.launch}+{cells.term},1,0)"
            rows.append(b.line(f"roy{i}_{m}", f"Royalty {i + 1}: royalties on {t.name} (success path)", "millions",
                               f"{eff}*{t.revenue}*{factor}", lines[m], total=True))
    total = b.line("roy", "Royalties, all (success path)", "millions", "+".join(str(x) for x in rows), lines.sum(0),
                   total=True)
    risked = b.line("royr", "Royalties, risk-adjusted = LOA x royalties", "millions", f"{dev.loa}*{total}",
                    dev.loa.value * total.values, total=True)
    return Royalties({role: b.scalar(f"pvroy_{role}", f"PV of royalties, {role}", "millions",
                                     f"SUMPRODUCT({risked.all},{p.df.all}){disc.taxed(role, 'royalties')}", p.pv("royalties"),
                                     "money")
                      for role, p in disc.parties.items()}, total, risked)


def write_shares(book: Book, result, model: Model, deal_in: DealInputs, disc: Discounting) -> Shares:
    """Write the licensor's profit and cost share: its profit share by territory, each territory's commercial
    profit less its pro-rata tax, the licensor's share of it, the share of each period before signing, the
    per-phase cost shares, the licensor's risk-weighted R&D and its risk-adjusted share of the cash flows, with
    the PV for each party and the asset rNPV at each party's rate.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal; the stream lines are :mod:`iitvalue.deal.streams`' on the asset's lines.
    model : Model
        Commercial profit by territory, tax, R&D by phase, P(start), LOA, the risk-adjusted cash flow.
    deal_in : DealInputs
        Profit shares, cost shares and the licensor's default cost share.
    disc : Discounting
        Each party's discount factors, the deal date and the kernel's values.

    Returns
    -------
    Shares
    """
    b, d = book, result.sheet.deal
    inputs, time, dev, rd, territories, asset = (model.inputs, model.time, model.dev, model.rd, model.territories,
                                                 model.asset)
    plan, ln = result.asset.plan, result.asset.lines
    b.section(CALC, "Deal: licensor's profit and cost share (docs/method.md 3.4)")
    sm = []
    for m, t in enumerate(territories):
        if m in deal_in.profit_share:
            cell = deal_in.profit_share[m]
            sm.append(b.scalar(f"sm{m}", f"Licensor's profit share, {t.name}", "fraction", str(cell), cell.value, "pct"))
        else:
            sm.append(b.const(f"sm{m}", f"Licensor's profit share, {t.name} (not shared)", "fraction", 0.0, "pct"))
    sm_block = b.column("sm", sm)
    comm = ln.commercial_by_territory[0]
    ctot = b.line("ctot", "Pre-tax commercial profit, all territories", "millions",
                  "+".join(str(t.commercial) for t in territories), comm.sum(0), total=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        alloc = np.where(ctot.values > 0, asset.tax.values * comm / np.where(ctot.values > 0, ctot.values, 1.0), 0.0)
    after_tax = [b.line(f"cat{m}", f"{t.name}: commercial profit after its pro-rata tax", "millions",
                        f"{t.commercial}-IF({ctot}>0,{asset.tax}*{t.commercial}/{ctot},0)", comm[m] - alloc[m],
                        total=True) for m, t in enumerate(territories)]
    liccomm = b.line("liccomm", "Licensor's share of after-tax commercial profit (success path)", "millions",
                     f"SUMPRODUCT({after_tax[0]}:{after_tax[-1]},{sm_block})",
                     licensor_commercial_lines(d, plan, ln)[0], total=True)
    before_rd, after_rd = licensor_rd_shares(d, plan, ln)  # (J, N): the licensor's share before / after signing
    start = disc.t_lic  # the deal date, or an option's exercise
    share_lines = licensor_share_lines(d, plan, ln)[0]
    rdpre = None
    if rd.by_phase:
        rho = []
        for j in range(len(rd.by_phase)):
            if j in deal_in.cost_share:
                cell = deal_in.cost_share[j]
                rho.append(b.scalar(f"rho{j}", f"Phase {j + 1}: licensor's share of its R&D after signing", "fraction",
                                    str(cell), cell.value, "pct"))
            else:
                rho.append(b.scalar(f"rho{j}", f"Phase {j + 1}: licensor's share of its R&D after signing "
                                               "(= deal.licensor_cost_share)", "fraction",
                                    str(deal_in.licensor_cost_share), deal_in.licensor_cost_share.value, "pct"))
        b.column("rho", rho)
        S, by_phase = ln.prob_start[0], ln.rd_by_phase[0]
        # each phase spends its period cost evenly over the part of the period it occupies [lo, hi]: the share
        # before the licence starts is clip(t - lo, 0, hi - lo) / (hi - lo), the period's share where it is absent
        before = []
        for j in range(len(rd.by_phase)):
            lo = f"MAX({dev.start[j]},{time.t0})"
            hi = f"MIN({dev.end[j] if j + 1 < len(rd.by_phase) else dev.T},{time.t0}+{inputs.dt})"
            before.append(b.line(f"before{j}", f"Phase {j + 1}: share of its R&D in the period before the licence "
                                               "starts" + (" (the option's exercise)" if disc.exercise else
                                                           " (the deal date)"), "fraction",
                                 f"IF({hi}-{lo}>{inputs.const.tolp},MIN(MAX({start}-{lo},0),{hi}-{lo})/({hi}-{lo}),"
                                 f"MIN(MAX({start}-{time.t0},0),{inputs.dt})/{inputs.dt})", before_rd[j], "prob"))
        rdpre = b.line("rdpre", "Licensor's risk-weighted R&D before the licence starts (it bears all of it)",
                       "millions", "+".join(f"{rd.by_phase[j]}*{dev.p_start[j]}*{x}" for j, x in enumerate(before)),
                       np.einsum("j,jn,jn->n", S, before_rd, by_phase), total=True)
        rdlic = b.line("rdlic", "Licensor's risk-weighted R&D (all of it before the licence starts)", "millions",
                       f"{rdpre}+" + "+".join(f"{rd.by_phase[j]}*{dev.p_start[j]}*(1-{x})*{rho[j]}"
                                              for j, x in enumerate(before)),
                       np.einsum("j,jn,jn->n", S, before_rd + after_rd, by_phase), total=True)
        licshare = b.line("licshare", "Licensor's share of the asset's cash flows, risk-adjusted", "millions",
                          f"{dev.loa}*{liccomm}-{rdlic}", share_lines, total=True)
    else:
        licshare = b.line("licshare", "Licensor's share of the asset's cash flows, risk-adjusted (no R&D)", "millions",
                          f"{dev.loa}*{liccomm}", share_lines, total=True)
    pv, value = {}, {}
    for role, p in disc.parties.items():
        pv[role] = b.scalar(f"pvsh_{role}", f"PV of the licensor's share, {role}'s view", "millions",
                            f"SUMPRODUCT({licshare.all},{p.df.all})", p.pv("profit_share", "rd_before_signing"),
                            "money")
        value[role] = b.scalar(f"asset_{role}", f"Asset rNPV at the {role}'s rate", "millions",
                               f"SUMPRODUCT({asset.risked.all},{p.df.all})", p.expect(p.outcomes.asset), "money")
    return Shares(pv, value, licshare, liccomm, rdpre)
