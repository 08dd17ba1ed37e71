"""Excel workbook export: the whole model as live formulas, in the manner of the FAST Standard.

:func:`write_workbook` writes, in this order (layout and the formula of every row in ``docs/excel.md``):

* **Cover** - name, version, date, master check, contents and colour legend; the document properties
  (:mod:`.cover`);
* **Inputs** - every term-sheet input on its own row (value, unit, source and TOML comment), input cells styled,
  unlocked and validated, locked cells marked, defined names for the key inputs; the resolved launch-curve table
  and the class-model components of the Bayesian update (:mod:`.inputs`, :mod:`.pos`, :mod:`.deal`);
* **Scenarios** (with ``[[scenarios]]``) - the live scenario selector (:mod:`.scenarios`);
* **Calculations** - the timeline header, the readout selection and the PoS update with GAMMALN beta-binomial Bayes
  factors, the development plan with the spread of the posterior LOA, each territory, the asset's cash flows, the
  deal's discounting, milestones, royalties, profit and cost share, NPVs and the licensee's cash flows
  (:mod:`.timeline` ... :mod:`.licensee`);
* **Outputs** - one page: summary, value by party, bridge, payments and two native charts (:mod:`.outputs`,
  :mod:`.bridge`);
* **Sensitivity** - live two-way tables (:mod:`.tables`);
* **Risk** (when the term sheet has ``[[uncertainty]]`` entries and a :class:`RiskAnalysis` is given) - the
  tornado, the Monte Carlo histogram and the football field, as values computed by Python (:mod:`.risk`);
* **Checks** - input checks, locked cells, sum checks, the Python engine's results next to the workbook's and
  the master checks (:mod:`.validation`, :mod:`.checks`);
* the very hidden sheet that ``iitvalue import`` reads (:mod:`.importer`).

Every formula is written with its value (viewers that do not recalculate show the right numbers); where the
engine computes the same row, that value is the engine's. The workbook also asks for a full recalculation on
load. Text from the term sheet is always written as text, never as a formula. Each block is a function that takes
the cell registry (:class:`~.cells.Book`) and the references it needs, and returns the references it defines.

The workbook uses the common beliefs (the asset's probabilities) for both parties of a deal; when a party has its
own evidence weight the workbook says so and Checks shows the Python value next to the workbook's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import checks, outputs
from .asset import Model, write_asset
from .cells import CALC, INPUTS, Book
from .commercial import write_territories
from .cover import COVER, set_properties, write_cover
from .deal import DealCells, own_beliefs, write_deal_inputs, write_discounting, write_milestones
from .forms import with_supply_costs, write_form_streams
from .npvs import write_npvs
from .option import as_held, option_groups, write_option
from .development import write_development, write_rd
from .importer import write_source
from .inputs import write_inputs
from .joint_book import write_joint_workbook
from .layout import finish_sheets
from .licensee import write_licensee
from .pos import write_pos, write_pos_inputs
from .risk import RISK, RiskAnalysis, check_exportable, write_risk
from .scenarios import SCENARIOS, write_scenarios
from .sources import Edit, apply_edits, toml_comments
from .streams import write_royalties, write_shares
from .tables import SENSITIVITY, write_tables
from .timeline import write_timeline
from .validation import Condition, input_conditions

OWN_BELIEFS_NOTE = ("A party has its own evidence weight or assumptions: the workbook values both parties with the "
                    "common beliefs and the sheet's inputs; Checks shows iitvalue's party-specific values.")


def write_workbook(result, path: str | Path, risk: RiskAnalysis | None = None, toml: str | Path | None = None,
                   overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write ``result`` as an .xlsx workbook of live formulas at ``path``.

    Parameters
    ----------
    result : Result
        The valuation (:func:`iitvalue.value`).
    path : str or Path
        The .xlsx file to write.
    risk : RiskAnalysis, optional
        The tornado and Monte Carlo histogram (:func:`risk_analysis`) for a Risk sheet.
    toml : str or Path, optional
        The term sheet's TOML text, or (a ``Path``) its file: its comments go to the Inputs sheet and the text is
        kept in the workbook, so that ``iitvalue import`` edits it in place. Without it the term sheet is written
        out (as ``tomli-w`` does), without comments.
    overrides : mapping, optional
        The ``--set`` changes the valuation made to the text (written into the kept text, noted as such).

    Returns
    -------
    dict
        ``sheets`` (the sheet names), ``names`` (the defined output names), ``parity`` ({JSON key: (workbook value,
        Python value)} as computed at export time) and ``notes``.
    """
    from .. import __version__

    check_exportable(result, risk is not None)
    sheet = result.sheet
    text, source = term_sheet_text(sheet, toml, overrides)
    if len(sheet.indications) > 1:
        return write_joint_workbook(result, path, text, source, __version__)
    book = Book(Path(path), result.asset.plan.n_periods)
    book.comments = toml_comments(text)
    order = [COVER, INPUTS] + ([SCENARIOS] if sheet.scenarios else []) + [CALC, outputs.OUTPUTS, SENSITIVITY]
    for name in order + ([RISK] if risk else []) + [checks.CHECKS]:
        book.sheet(name)
    set_properties(book, result, __version__)
    parts = _write_model(book, result)
    model, deal = parts["model"], parts["deal"]
    beliefs = own_beliefs(result)
    notes = [OWN_BELIEFS_NOTE] if beliefs else []
    scenario = parts["scenarios"].selector if parts["scenarios"] else None
    bridge = outputs.write_outputs(book, result, model, outputs.summary_rows(result, model, deal), deal, notes,
                                   risk is not None, scenario)
    write_tables(book, result, model, deal)
    if risk:
        write_risk(book, sheet, risk)
    tol = checks.start_checks(book)
    conditions = input_conditions(model, parts["pos_in"], model.pos, parts["deal_in"], tol)
    if scenario is not None:
        conditions.append(Condition("The scenario in use is base or one of the [[scenarios]]",
                                    f"ISNUMBER({parts['scenarios'].index})", True))
    sums = checks.sum_checks(result, model, deal, bridge.npv if bridge else None)
    parity = checks.write_checks(book, result, tol, conditions, sums, checks.parity_pairs(model, deal), beliefs)
    write_cover(book, result, list(book.ws), __version__, source, scenario)
    finish_sheets(book, model.time.rows, len(model.territories))
    write_source(book, text, source)
    book.close()
    return {"sheets": list(book.ws), "names": [n for n in outputs.OUTPUT_NAMES if n in book.defined],
            "parity": parity, "notes": notes}


def _write_model(book: Book, result) -> dict[str, Any]:
    """The Inputs, Scenarios and Calculations blocks, in their order; returns the references the other sheets
    use: ``model``, ``deal`` (DealCells or None), ``pos_in``, ``deal_in`` and ``scenarios``."""
    inputs = write_inputs(book, result)
    pos_in = write_pos_inputs(book, result, inputs.vdate) if result.pos is not None else None
    deal_in = write_deal_inputs(book, result) if result.sheet.deal is not None else None
    if deal_in is not None and deal_in.forms.supply_costs:  # the licensor's cost of goods replaces the territory's
        inputs = with_supply_costs(inputs, deal_in.forms.supply_costs)
    scenarios = write_scenarios(book, result)  # redirects the inputs scenarios set, before any formula uses them
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
        forms = write_form_streams(book, result, model, deal_in.forms, disc)
        option = None
        held = (milestones, royalties.pv, shares.pv, forms)  # what each party holds (with an option: x X)
        if deal_in.option is not None:
            option = write_option(book, result, model, disc, option_groups(milestones, royalties.pv, shares.pv, forms),
                                  shares.asset, shares.rd_before)
            held = as_held(option, milestones, forms)
        npvs = write_npvs(book, result, deal_in, disc, held[0], held[1], held[2], shares.asset["licensee"],
                          shares.asset["licensor"], held[3], option)
        cash = write_licensee(book, result, model, deal_in, disc, milestones, royalties, shares, forms, option)
        deal = DealCells(deal_in, disc, held[0], held[1], held[2], shares.asset, npvs, cash, held[3], option)
    return {"model": model, "deal": deal, "pos_in": pos_in, "deal_in": deal_in, "scenarios": scenarios}


def term_sheet_text(sheet, toml: str | Path | None, overrides: Mapping[str, Any] | None) -> tuple[str, str]:
    """The TOML text the workbook keeps, and where it came from: the file or text given (with the ``--set``
    overrides written in), else the term sheet written out by ``tomli-w``.

    Parameters
    ----------
    sheet : TermSheet
        The term sheet valued.
    toml : str or Path or None
        Its TOML text, or its file.
    overrides : mapping or None
        Paths set on top of the text.

    Returns
    -------
    tuple of str
        (text, source name).
    """
    if toml is None:
        import tomli_w

        return tomli_w.dumps(sheet.to_dict()), ""
    source = ""
    if isinstance(toml, Path):
        source, toml = str(toml), toml.read_bytes().decode("utf-8")
    edits = [Edit(k, v, "set at export (--set)") for k, v in (overrides or {}).items()]
    return apply_edits(toml, edits), source
