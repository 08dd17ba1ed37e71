"""The Checks sheet: sum checks of the workbook against itself, then iitvalue's headline results next to the
workbook's with the difference and OK within 1e-9 relative (docs/excel.md, "Checks")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .asset import Model
from .cells import INPUTS, Book, Cell, Ref, a1
from .deal import DealCells
from .validation import Condition

CHECKS = "Checks"
TOL = 1e-9
LABELS = {  # readable labels of the parity rows (the JSON key is in column F)
    "asset.rnpv": "Asset rNPV", "asset.npv_unrisked": "Asset NPV, unrisked", "asset.loa": "LOA used",
    "asset.pv_rd_risked": "PV of risk-weighted R&D", "asset.pv_commercial_risked": "PV of risk-adjusted commercial",
    "asset.peak_sales": "Peak annual sales", "asset.peak_sales_year": "Peak sales year", "pos.prior_loa": "Prior LOA",
    "pos.posterior_loa": "Posterior LOA", "pos.bayes_factor_orr": "Bayes factor, ORR",
    "pos.bayes_factor_cr": "Bayes factor, CR", "pos.prior_class_probability": "Prior P(active)",
    "pos.posterior_class_probability": "Posterior P(active)", "deal.licensor_npv": "Licensor NPV",
    "deal.licensee_npv": "Licensee NPV", "deal.asset_rnpv_licensee_view": "Asset rNPV at the licensee's rate",
    "deal.asset_rnpv_licensor_view": "Asset rNPV at the licensor's rate",
    "deal.pv_milestones_licensor": "PV of milestones, licensor", "deal.pv_milestones_licensee": "PV of milestones, licensee",
    "deal.pv_royalties_licensor": "PV of royalties, licensor", "deal.pv_royalties_licensee": "PV of royalties, licensee",
    "deal.pv_profit_share_licensor": "PV of the licensor's share, licensor's view",
    "deal.pv_profit_share_licensee": "PV of the licensor's share, licensee's view",
    "deal.headline_value": "Headline value", "deal.risk_adjusted_value": "Risk-adjusted value of the payments",
    "deal.breakeven_upfront": "Break-even upfront", "deal.licensor_gain": "Licensor gain over its stand-alone value",
    "deal.pv_tranches_licensor": "PV of the tranches, licensor", "deal.pv_tranches_licensee": "PV of the tranches, licensee",
    "deal.pv_net_cash_licensor": "PV of the net cash component, licensor",
    "deal.pv_net_cash_licensee": "PV of the net cash component, licensee",
    "deal.pv_equity_premium_licensor": "PV of the equity premium, licensor",
    "deal.pv_equity_premium_licensee": "PV of the equity premium, licensee",
    "deal.pv_supply_licensor": "PV of the supply margin, licensor",
    "deal.pv_supply_licensee": "PV of the supply margin, licensee",
    "deal.pv_sublicence_licensor": "PV of the sublicence income, licensor",
    "deal.pv_sublicence_licensee": "PV of the sublicence income, licensee",
    "deal.option_value": "Option value to the licensee", "deal.exercise_probability": "Probability of exercise"}


@dataclass(frozen=True)
class SumCheck:
    """A check ``left = right``: the label, the cell on the left, the template and value of the right side."""

    label: str
    left: Cell
    right: str
    value: float


def sum_checks(result, model: Model, deal: DealCells | None, bridge: dict[str, Cell] | None = None) -> list[SumCheck]:
    """The workbook's checks against itself, in order.

    Parameters
    ----------
    result : Result
        The valuation (horizon: the R&D check holds when approval falls inside it).
    model : Model
        The cells on both sides of the asset's checks.
    deal : DealCells or None
        The NPVs, for the check that the two parties add up to the asset.
    bridge : dict of str to Cell, optional
        The NPV at the foot of each party's bridge on Outputs (checked against the NPV).

    Returns
    -------
    list of SumCheck
    """
    inputs, dev, rd, territories, asset, pos = (model.inputs, model.dev, model.rd, model.territories, model.asset,
                                                model.pos)
    out = [SumCheck("rNPV = PV of R&D + PV of commercial", asset.rnpv, f"{asset.pv_rd}+{asset.pv_comm}",
                    asset.pv_rd.value + asset.pv_comm.value),
           SumCheck("Total net sales = sum over territories", asset.revenue.total,
                    "+".join(str(t.revenue.total) for t in territories),
                    sum(t.revenue.total.value for t in territories))]
    if inputs.phases:
        costs = "+".join(str(p.cost) for p in inputs.phases)
        inside = dev.T.value <= result.asset.plan.horizon
        out.append(SumCheck("R&D on the timeline = sum of phase costs (when approval falls inside the horizon)",
                            rd.total.total, f"IF({dev.T}<={inputs.horizon},{costs},{rd.total.total})",
                            sum(p.cost.value for p in inputs.phases) if inside else rd.total.total.value))
        out.append(SumCheck("LOA = product of the transition probabilities", dev.loa, f"PRODUCT({dev.probabilities})",
                            dev.loa.value))
        if pos is not None:
            out.append(SumCheck("Posterior probabilities multiply to the posterior LOA", dev.spread_check,
                                str(pos.posterior_loa), pos.posterior_loa.value))
    if deal is not None:
        npv = deal.npvs
        out.append(SumCheck("Licensor (at the licensee's rate) + licensee = asset rNPV at that rate",
                            deal.asset["licensee"], f"{npv.licensor_at_licensee_rate}+{npv.licensee}",
                            npv.licensor_at_licensee_rate.value + npv.licensee.value))
        for role, cell in (bridge or {}).items():
            target = npv.licensor if role == "licensor" else npv.licensee
            out.append(SumCheck(f"Outputs bridge = {role} NPV", cell, str(target), target.value))
    return out


def parity_pairs(model: Model, deal: DealCells | None) -> list[tuple[str, Cell]]:
    """iitvalue's headline results (JSON keys) and the workbook cells that compute them.

    Parameters
    ----------
    model : Model
        The cells of the asset's and the PoS results.
    deal : DealCells or None
        The cells of the deal's results.

    Returns
    -------
    list of (str, Cell)
    """
    asset, dev, pos = model.asset, model.dev, model.pos
    pairs = [("asset.rnpv", asset.rnpv), ("asset.npv_unrisked", asset.npv), ("asset.loa", dev.loa),
             ("asset.pv_rd_risked", asset.pv_rd), ("asset.pv_commercial_risked", asset.pv_comm),
             ("asset.peak_sales", asset.peak), ("asset.peak_sales_year", asset.peak_year)]
    if pos is not None:
        pairs += [("pos.prior_loa", pos.prior_loa), ("pos.posterior_loa", pos.posterior_loa),
                  ("pos.bayes_factor_orr", pos.bf_orr), ("pos.bayes_factor_cr", pos.bf_cr),
                  ("pos.prior_class_probability", pos.prior_class),
                  ("pos.posterior_class_probability", pos.posterior_class)]
    if deal is not None:
        npv, ms = deal.npvs, deal.milestones
        pairs += [("deal.licensor_npv", npv.licensor), ("deal.licensee_npv", npv.licensee),
                  ("deal.asset_rnpv_licensee_view", deal.asset["licensee"]),
                  ("deal.asset_rnpv_licensor_view", deal.asset["licensor"])]
        for part, cells in (("milestones", ms.pv), ("royalties", deal.royalties), ("profit_share", deal.share)):
            pairs += [(f"deal.pv_{part}_{role}", cells[role]) for role in ("licensor", "licensee")]
        pairs += [("deal.headline_value", ms.headline), ("deal.risk_adjusted_value", npv.risk_adjusted_value),
                  ("deal.licensor_gain", npv.licensor_gain)]
        if ms.tranches is not None:
            pairs += [(f"deal.pv_tranches_{role}", ms.tranches[role]) for role in ("licensor", "licensee")]
        for c in deal.disc.closing:
            pairs += [(f"deal.pv_{c.category}_{role}", c.pv[role]) for role in ("licensor", "licensee")]
        for f in deal.forms:
            if f.category == "supply":
                pairs += [(f"deal.pv_supply_{role}", f.pv[role]) for role in ("licensor", "licensee")]
        if deal.option is not None:
            pairs += [("deal.option_value", deal.option.value), ("deal.exercise_probability", deal.option.probability)]
        if npv.sublicence is not None:
            pairs += [(f"deal.pv_sublicence_{role}", npv.sublicence[role]) for role in ("licensor", "licensee")]
        if npv.breakeven_upfront is not None:
            pairs.append(("deal.breakeven_upfront", npv.breakeven_upfront))
    return pairs


def start_checks(book: Book) -> Cell:
    """The top of the Checks sheet: title, the relative tolerance (returned) and two rows left for the master
    checks that :func:`write_checks` fills in."""
    b, sh = book, CHECKS
    b.put_text(sh, 0, 0, "Checks: inputs, locked cells, sums, and iitvalue's results next to the workbook's",
               b.f["title"])
    b.put_text(sh, 1, 0, "Relative tolerance")
    b.put_value(sh, 1, 1, TOL, "0.0E+00", "const")
    b.row[sh] = 5
    return b.register("chk_tol", Ref(sh, 1, 1), TOL)


def write_checks(book: Book, result, tol: Cell, conditions: list[Condition], sums: list[SumCheck],
                 pairs: list[tuple[str, Cell]], own_beliefs: bool) -> dict[str, tuple[float, float]]:
    """Write the Checks sheet: the input checks, the locked cells against their exported values, the sum checks,
    the parity rows, and the master checks ``checks_ok`` (every input, locked-cell and sum check OK) and
    ``parity_ok`` (the workbook still equals iitvalue's valuation as exported: false after any edit).

    Parameters
    ----------
    book : Book
        The cell registry (its map of the Inputs rows gives the locked cells).
    result : Result
        The valuation (its summary holds iitvalue's results).
    tol : Cell
        The tolerance cell (:func:`start_checks`).
    conditions : list of Condition
        The input checks (:func:`iitvalue.excel.validation.input_conditions`).
    sums : list of SumCheck
        The sum checks (:func:`sum_checks`).
    pairs : list of (str, Cell)
        The parity rows (:func:`parity_pairs`); a result iitvalue does not give (None, nan) is left out.
    own_beliefs : bool
        Whether a party has its own evidence weight (then the deal rows may differ, and a note says why).

    Returns
    -------
    dict
        {JSON key: (workbook value, iitvalue value)} of the parity rows as exported.
    """
    b, sh = book, CHECKS
    flags: list[tuple[int, int]] = []  # first and last row of each block of OK cells that the master counts
    b.section(sh, "Inputs: consistency (the term sheet's own rules)", 6)
    first = row = _heads(b, ("check", "", "", "", "OK"))
    for c in conditions:
        b.put_text(sh, row, 0, c.label)
        b.put_formula(sh, row, 4, b.expand(f'IF(IFERROR({c.tpl},FALSE),"OK","CHECK")', sh), "OK" if c.ok else "CHECK",
                      "num")
        row += 1
    flags.append((first, row - 1))
    b.row[sh] = row
    b.section(sh, "Locked cells: unchanged since the export (change them in the term sheet)", 6)
    first = row = _heads(b, ("locked cell", "Inputs cell", "value exported", "", "OK"))
    for r in b.input_map:
        if r.style not in ("struct", "const") or r.sheet != INPUTS:
            continue
        where = f"{INPUTS}!{a1(r.row, r.col, True)}"
        b.put_text(sh, row, 0, r.label or r.path)
        b.put_text(sh, row, 1, where, b.f["note"])
        if isinstance(r.value, str) or r.value is None:
            b.put_text(sh, row, 2, r.value or "", b.fmt("num", "const"))
        else:
            b.put_value(sh, row, 2, r.value, r.kind, "const")
        b.put_formula(sh, row, 4, f'=IF(EXACT({where},{a1(row, 2)}),"OK","CHECK")', "OK", "num")
        row += 1
    flags.append((first, row - 1))
    b.row[sh] = row
    b.section(sh, "Sum checks (workbook against itself)", 6)
    first = row = _heads(b, ("check", "left", "right", "difference", "OK"))
    for c in sums:
        b.put_text(sh, row, 0, c.label)
        b.put_link(sh, row, 1, c.left, "num")
        b.put_formula(sh, row, 2, b.expand(c.right, sh), c.value, "num")
        _compare(b, row, tol, c.left.value, c.value, 1, "CHECK")
        row += 1
    flags.append((first, row - 1))
    b.row[sh] = row
    b.section(sh, "Parity: the workbook against iitvalue (Python) as exported; DIFFERS after an edit", 6)
    first = row = _heads(b, ("result", "workbook", "iitvalue", "difference", "OK", "JSON key"))
    summ = result.summary
    parity = {}
    for key, cell in pairs:
        py = summ.get(key)
        if py is None or (isinstance(py, float) and not math.isfinite(py)):
            continue
        py, wv = float(py), float(cell.value)
        b.put_text(sh, row, 0, LABELS.get(key, key))
        b.put_link(sh, row, 1, cell, "num")
        b.put_value(sh, row, 2, py, "num", "python")
        _compare(b, row, tol, wv, py, 2, "DIFFERS")
        b.put_text(sh, row, 5, key, b.f["note"])
        parity[key] = (wv, py)
        row += 1
    parity_rows = (first, row - 1)
    if own_beliefs:
        b.put_text(sh, row + 1, 0, "A party has its own evidence weight or assumptions: iitvalue values that party "
                                   "with its own view, the workbook with the common one, so the deal rows may differ.",
                   b.f["note"])
        row += 2
    b.row[sh] = row
    _masters(b, flags, parity_rows, parity)
    return parity


def _masters(b: Book, flags: list[tuple[int, int]], parity_rows: tuple[int, int], parity: dict) -> None:
    """``checks_ok`` (row 3) and ``parity_ok`` (row 4) count the OK cells of their blocks; conditional formats
    colour exactly the cells that check."""
    sh = CHECKS
    green = b.wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
    red = b.wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
    blocks = [(r0, r1) for r0, r1 in flags if r1 >= r0]

    def count(rows: list[tuple[int, int]]) -> tuple[str, int]:
        ok = "+".join(f'COUNTIF({a1(r0, 4, True)}:{a1(r1, 4, True)},"OK")' for r0, r1 in rows) or "0"
        return ok, sum(r1 - r0 + 1 for r0, r1 in rows)

    for row, name, label, rows, fail in (
            (2, "checks_ok", "All checks (inputs, locked cells, sums)", blocks, "CHECK"),
            (3, "parity_ok", "Same as iitvalue's valuation at export (DIFFERS after an edit)",
             [parity_rows] if parity_rows[1] >= parity_rows[0] else [], "DIFFERS")):
        ok, n = count(rows)
        b.put_text(sh, row, 0, label, b.f["sub"])
        good = all(p[0] == p[1] or abs(p[0] - p[1]) <= TOL * max(1.0, abs(p[1])) for p in parity.values())
        value = "OK" if name == "checks_ok" or good else fail
        b.put_formula(sh, row, 1, f'=IF({ok}={n},"OK","{fail}")', value, "num", "out")
        b.define(name, Ref(sh, row, 1))
        b.register(name, Ref(sh, row, 1), value)
    for r0, r1 in blocks + [parity_rows, (2, 3)]:
        col = 1 if (r0, r1) == (2, 3) else 4
        if r1 < r0:
            continue
        for crit, fm in (("==", green), ("!=", red)):
            b.ws[sh].conditional_format(r0, col, r1, col, {"type": "cell", "criteria": crit, "value": '"OK"',
                                                           "format": fm})


def _heads(b: Book, heads: tuple[str, ...]) -> int:
    row = b.row[CHECKS]
    for c, h in enumerate(heads):
        b.put_text(CHECKS, row, c, h, b.f["head"])
    return row + 1


def _compare(b: Book, row: int, tol: Cell, left: float, right: Any, scale_col: int, fail: str) -> None:
    """Columns D (left - right) and E (OK when |difference| <= tol x max(1, |column scale_col|))."""
    diff = left - right
    b.put_formula(CHECKS, row, 3, f"={a1(row, 1)}-{a1(row, 2)}", diff, "0.0E+00")
    scale = left if scale_col == 1 else right
    ok = abs(diff) <= TOL * max(1.0, abs(scale))
    b.put_formula(CHECKS, row, 4, f'=IF(ABS({a1(row, 3)})<={b.ref(tol.key, CHECKS)}*MAX(1,ABS({a1(row, scale_col)})),'
                                  f'"OK","{fail}")', "OK" if ok else fail, "num")
