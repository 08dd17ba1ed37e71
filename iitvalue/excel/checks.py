"""The Checks sheet: sum checks of the workbook against itself, then iitvalue's headline results next to the
workbook's with the difference and OK within 1e-9 relative (docs/excel.md, "Checks")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .asset import Model
from .cells import Book, Cell, Ref, a1
from .deal import DealCells

CHECKS = "Checks"
TOL = 1e-9


@dataclass(frozen=True)
class SumCheck:
    """A check ``left = right``: the label, the cell on the left, the template and value of the right side."""

    label: str
    left: Cell
    right: str
    value: float


def sum_checks(result, model: Model, deal: DealCells | None) -> list[SumCheck]:
    """The workbook's checks against itself, in order.

    Parameters
    ----------
    result : Result
        The valuation (horizon: the R&D check holds when approval falls inside it).
    model : Model
        The cells on both sides of the asset's checks.
    deal : DealCells or None
        The NPVs, for the check that the two parties add up to the asset.

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
        if dev.T.value <= result.asset.plan.horizon:
            out.append(SumCheck("R&D on the timeline = sum of phase costs", rd.total.total,
                                "+".join(str(p.cost) for p in inputs.phases), sum(p.cost.value for p in inputs.phases)))
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
        pairs += [("deal.headline_value", ms.headline), ("deal.risk_adjusted_value", npv.risk_adjusted_value)]
        if npv.breakeven_upfront is not None:
            pairs.append(("deal.breakeven_upfront", npv.breakeven_upfront))
    return pairs


def write_checks(book: Book, result, sums: list[SumCheck], pairs: list[tuple[str, Cell]],
                 own_beliefs: bool) -> dict[str, tuple[float, float]]:
    """Write the Checks sheet.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (its summary holds iitvalue's results).
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
    b.put_text(sh, 0, 0, "Checks: sum checks, and iitvalue's results next to the workbook's", b.f["title"])
    b.row[sh] = 2
    b.put_text(sh, 1, 0, "Relative tolerance")
    b.put_value(sh, 1, 1, TOL, "0.0E+00", "const")
    tol = b.register("chk_tol", Ref(sh, 1, 1), TOL)
    b.section(sh, "Sum checks (workbook against itself)", 6)
    row = _heads(b, ("check", "left", "right", "difference", "OK"))
    for c in sums:
        b.put_text(sh, row, 0, c.label)
        b.put_link(sh, row, 1, c.left, "num")
        b.put_formula(sh, row, 2, b.expand(c.right, sh), c.value, "num")
        _compare(b, row, tol, c.left.value, c.value, 1, "CHECK")
        row += 1
    b.row[sh] = row
    b.section(sh, "Parity: the workbook against iitvalue (Python)", 6)
    row = _heads(b, ("result", "workbook", "iitvalue", "difference", "OK", "JSON key"))
    summ = result.summary
    parity = {}
    for key, cell in pairs:
        py = summ.get(key)
        if py is None or (isinstance(py, float) and not math.isfinite(py)):
            continue
        py, wv = float(py), float(cell.value)
        b.put_text(sh, row, 0, key)
        b.put_link(sh, row, 1, cell, "num")
        b.put_value(sh, row, 2, py, "num", "python")
        _compare(b, row, tol, wv, py, 2, "DIFFERS")
        b.put_text(sh, row, 5, key, b.f["note"])
        parity[key] = (wv, py)
        row += 1
    if own_beliefs:
        b.put_text(sh, row + 1, 0, "A party has its own evidence weight: iitvalue values that party with its own "
                                   "posterior, the workbook with the common beliefs, so the deal rows may differ.",
                   b.f["note"])
        row += 2
    b.row[sh] = row
    return parity


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
