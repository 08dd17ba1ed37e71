"""Excel workbook export: the whole model as live formulas, in the manner of the FAST Standard.

:func:`write_workbook` writes, in this order (layout and the formula of every row in ``docs/excel.md``):

* **Inputs** - every term-sheet input on its own row (value, unit, source note), input cells styled and
  validated, defined names for the key inputs; the resolved launch-curve table and the class-model components
  of the Bayesian update (:mod:`.inputs`, :mod:`.pos`, :mod:`.deal`);
* **Calculations** - the timeline header, the PoS update with GAMMALN beta-binomial Bayes factors, the
  development plan with the spread of the posterior LOA, each territory, the asset's cash flows, the deal's
  discounting, milestones, royalties, profit and cost share and NPVs (:mod:`.timeline` ... :mod:`.streams`);
* **Outputs** - summary, payment table and two native charts (:mod:`.outputs`);
* **Risk** (when the term sheet has ``[[uncertainty]]`` entries and a :class:`RiskAnalysis` is given) - the
  tornado and the Monte Carlo histogram, as values computed by Python, labelled so (:mod:`.risk`);
* **Checks** - sum checks and the Python engine's results next to the workbook's (:mod:`.checks`);
* the hidden sheet that ``iitvalue import`` reads (:mod:`.importer`).

Every formula is written with its value (viewers that do not recalculate show the right numbers); where the
engine computes the same row, that value is the engine's. The workbook also asks for a full recalculation on
load. Text from the term sheet is always written as text, never as a formula. Each block is a function that takes
the cell registry (:class:`~.cells.Book`) and the references it needs, and returns the references it defines.

The workbook uses the common beliefs (the asset's probabilities) for both parties of a deal; when a party has its
own evidence weight the workbook says so and Checks shows the Python value next to the workbook's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import checks, outputs
from .asset import Model, write_asset
from .cells import CALC, FIRST, INPUTS, Book
from .commercial import write_territories
from .deal import DealCells, own_beliefs, write_deal_inputs, write_discounting, write_milestones, write_npvs
from .development import write_development, write_rd
from .importer import write_source
from .inputs import write_inputs
from .pos import write_pos, write_pos_inputs
from .risk import RISK, RiskAnalysis, write_risk
from .streams import write_royalties, write_shares
from .timeline import write_timeline

OWN_BELIEFS_NOTE = ("A party has its own evidence weight: the workbook values both parties with the common beliefs "
                    "(the asset's probabilities); Checks shows iitvalue's party-specific values.")


def write_workbook(result, path: str | Path, risk: RiskAnalysis | None = None) -> dict[str, Any]:
    """Write ``result`` as an .xlsx workbook of live formulas at ``path``.

    Parameters
    ----------
    result : Result
        The valuation (:func:`iitvalue.value`).
    path : str or Path
        The .xlsx file to write.
    risk : RiskAnalysis, optional
        The tornado and Monte Carlo histogram (:func:`risk_analysis`) for a Risk sheet.

    Returns
    -------
    dict
        ``sheets`` (the sheet names), ``names`` (the defined output names), ``parity`` ({JSON key: (workbook value,
        Python value)} as computed at export time) and ``notes``.
    """
    sheet = result.sheet
    book = Book(Path(path), result.asset.plan.n_periods)
    for name in (INPUTS, CALC, outputs.OUTPUTS) + ((RISK,) if risk else ()) + (checks.CHECKS,):
        book.sheet(name)
    inputs = write_inputs(book, result)
    pos_in = write_pos_inputs(book, result) if result.pos is not None else None
    deal_in = write_deal_inputs(book, result) if sheet.deal is not None else None

    time = write_timeline(book, result, inputs)
    pos = write_pos(book, result, inputs.phases, pos_in) if pos_in is not None else None
    dev = write_development(book, result, inputs.phases, pos, pos_in)
    rd = write_rd(book, result, time, dev)
    territories = write_territories(book, result, inputs, time, dev)
    asset = write_asset(book, result, inputs, time, dev, rd, territories)
    model = Model(inputs, time, pos, dev, rd, territories, asset)
    deal = None
    if deal_in is not None:
        disc = write_discounting(book, result, model, deal_in)
        milestones = write_milestones(book, result, model, deal_in, disc)
        royalties = write_royalties(book, result, model, deal_in, disc)
        shares = write_shares(book, result, model, deal_in, disc)
        npvs = write_npvs(book, result, deal_in, disc, milestones, royalties, shares.pv, shares.asset["licensee"])
        deal = DealCells(deal_in, disc, milestones, royalties, shares.pv, shares.asset, npvs)

    beliefs = own_beliefs(result)
    notes = [OWN_BELIEFS_NOTE] if beliefs else []
    outputs.write_outputs(book, result, model, outputs.summary_rows(result, model, deal), deal, notes,
                          risk is not None)
    if risk:
        write_risk(book, sheet, risk)
    parity = checks.write_checks(book, result, checks.sum_checks(result, model, deal), checks.parity_pairs(model, deal),
                                 beliefs)
    finish_sheets(book, time.rows, len(territories))
    write_source(book, sheet)
    book.close()
    return {"sheets": list(book.ws), "names": [n for n in outputs.OUTPUT_NAMES if n in book.defined],
            "parity": parity, "notes": notes}


def finish_sheets(book: Book, header_rows: int, n_territories: int) -> None:
    """Column widths, frozen panes, conditional formats of Checks and print set-up of every sheet.

    Parameters
    ----------
    book : Book
        The cell registry.
    header_rows : int
        Rows of the Calculations header (frozen, and repeated on each printed page).
    n_territories : int
        Territories (columns of the launch-curve table on Inputs).
    """
    b = book
    ws = b.ws[INPUTS]
    for first, last, width in ((0, 0, 58), (1, 1, 34), (2, 2, 16), (3, 3, 18), (4, 4, 70), (5, 5 + n_territories, 12)):
        ws.set_column(first, last, width)
    ws.freeze_panes(3, 1)
    ws = b.ws[CALC]
    for first, last, width in ((0, 0, 70), (1, 1, 16), (2, 2, 14), (3, 3, 8), (FIRST, FIRST + b.n - 1, 11)):
        ws.set_column(first, last, width)
    ws.freeze_panes(header_rows, FIRST)
    ws = b.ws[outputs.OUTPUTS]
    for first, last, width in ((0, 0, 58), (1, 1, 16), (2, 2, 30), (3, 7, 14)):
        ws.set_column(first, last, width)
    ws.freeze_panes(2, 0)
    ws = b.ws[checks.CHECKS]
    for first, last, width in ((0, 0, 70), (1, 3, 18), (4, 4, 10), (5, 5, 34)):
        ws.set_column(first, last, width)
    ws.freeze_panes(2, 0)
    green = b.wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
    red = b.wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
    ws.conditional_format(0, 4, 500, 4, {"type": "cell", "criteria": "==", "value": '"OK"', "format": green})
    ws.conditional_format(0, 4, 500, 4, {"type": "cell", "criteria": "!=", "value": '"OK"', "format": red})
    for name, w in b.ws.items():
        w.set_landscape()
        w.set_paper(9)  # A4
        if name != CALC:
            w.fit_to_pages(1, 0)  # one page wide
        w.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        w.set_header(f"&L&\"Arial,Bold\"iitvalue - {name}")
        w.set_footer("&LPage &P of &N&R&D")
    calc = b.ws[CALC]
    calc.repeat_rows(0, header_rows - 1)
    calc.repeat_columns(0, FIRST - 1)
    calc.set_paper(8)  # A3: a long timeline prints across pages at a readable scale
    calc.set_print_scale(55)
    b.ws[INPUTS].repeat_rows(2)
    if RISK in b.ws:
        ws = b.ws[RISK]
        for first, last, width in ((0, 0, 46), (1, 7, 14), (8, 8, 36), (9, 12, 14)):
            ws.set_column(first, last, width)
        ws.freeze_panes(2, 0)
    b.ws[outputs.OUTPUTS].activate()
