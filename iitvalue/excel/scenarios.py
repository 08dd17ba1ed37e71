"""The Scenarios sheet (docs/excel.md, "Scenarios"): a live selector over the term sheet's ``[[scenarios]]``.

A dropdown cell names the scenario in use (``base`` or one of the scenarios); a table holds, for each input any
scenario sets, its base value (a link to Inputs), each scenario's value (the base where a scenario leaves it),
and the value in use, ``INDEX`` of the row at the selected column. The model reads those inputs from the in-use
column (the registry redirects their keys before Calculations is written), so switching the scenario
recalculates the workbook as ``iitvalue value --set ...`` values the scenario. An input that shapes the layout
(locked on Inputs), or that the model reads as part of a block (a cost-profile weight), cannot switch live: the
table lists it as such (value that scenario with ``--set``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..termsheet import loc_to_path, parse_path
from ..units import excel_serial
from .cells import INPUTS, Book, Cell, InputRow, Ref, a1

SCENARIOS = "Scenarios"


@dataclass(frozen=True)
class ScenarioCells:
    """The selector, its column index, and the paths that switch live and those that do not."""

    selector: Cell
    index: Cell
    live: tuple[str, ...]
    not_live: tuple[str, ...]


def _value(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return v


def write_scenarios(book: Book, result) -> ScenarioCells | None:
    """Write the Scenarios sheet and point the model's inputs that scenarios set at its in-use column.

    Call after every Inputs block and before Calculations.

    Parameters
    ----------
    book : Book
        The cell registry (its map of the Inputs rows finds each scenario input's cell).
    result : Result
        The valuation (its term sheet's ``[[scenarios]]``).

    Returns
    -------
    ScenarioCells or None
        None when the term sheet has no scenarios (and then there is no Scenarios sheet).
    """
    sheet, b, sh = result.sheet, book, SCENARIOS
    if not sheet.scenarios:
        return None
    names = ["base"] + [sc.name for sc in sheet.scenarios]
    width = len(names)
    b.put_text(sh, 0, 0, f"Scenarios - {sheet.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, "Choose the scenario in use in C4 (a list). The model reads the inputs below from the "
                         "'in use' column; blue cells are live what-ifs (edit [[scenarios]] in the term sheet to keep "
                         "them).", b.f["note"])
    b.put_text(sh, 3, 0, "Scenario in use", b.f["sub"])
    b.put_text(sh, 3, 2, "base", b.fmt("num", "input"))
    selector = b.register("scenario", Ref(sh, 3, 2), "base")
    b.define("scenario", selector.ref)
    b.put_text(sh, 4, 0, "Its column in the table (1 = base)")
    head = 6
    first_col, in_use = 2, 2 + width
    b.put_formula(sh, 4, 2, f"=MATCH({a1(3, 2, True)},{a1(head, first_col, True)}:{a1(head, in_use - 1, True)},0)",
                  1, "int")
    index = b.register("scenario_index", Ref(sh, 4, 2), 1)
    for c, h in enumerate(["input", "term-sheet key"] + names + ["in use", "note"]):
        b.put_text(sh, head, c, h, b.f["head"])
    b.ws[sh].data_validation(3, 2, 3, 2, {"validate": "list",
                                          "source": f"={a1(head, first_col, True)}:{a1(head, in_use - 1, True)}",
                                          "error_title": "iitvalue", "error_message": "choose base or a scenario"})
    notes = [f"{sc.name}: {sc.note}" for sc in sheet.scenarios if sc.note]
    by_path = {r.path: r for r in b.input_map if r.path and r.sheet == INPUTS}
    paths: list[str] = []
    for sc in sheet.scenarios:
        paths += [p for p in (loc_to_path(parse_path(x)) for x in sc.set) if p not in paths]
    live, not_live = [], []
    row = head + 1
    for path in paths:
        r = by_path.get(path)
        values = [_value(_set_value(sc.set, path)) for sc in sheet.scenarios]
        ok = (r is not None and r.style == "input" and r.key is not None and r.value is not None
              and "cost_profile" not in path)
        b.put_text(sh, row, 0, r.label if r is not None else path)
        b.put_text(sh, row, 1, path, b.f["note"])
        if not ok:
            not_live.append(path)
            for j, v in enumerate(values):
                if v is not None:
                    b.put_text(sh, row, first_col + 1 + j, str(v), b.fmt("num", "struct"))
            b.put_text(sh, row, in_use + 1, "not live (it shapes the layout or a block): value this scenario with "
                                            "--set", b.f["note"])
            row += 1
            continue
        live.append(path)
        base = r.value
        b.put_formula(sh, row, first_col, f"={INPUTS}!{a1(r.row, r.col, True)}", _serial(base), r.kind)
        for j, v in enumerate(values):
            c = first_col + 1 + j
            if v is None:
                b.put_formula(sh, row, c, f"={a1(row, first_col)}", _serial(base), r.kind)
            else:
                b.put_value(sh, row, c, v, r.kind, "input")
                b.input_map.append(InputRow(row, "", r.kind, v, "input", None,
                                            f"scenario {names[j + 1]}: {r.label}", c, sh))
        b.put_formula(sh, row, in_use, f"=INDEX({a1(row, first_col)}:{a1(row, in_use - 1)},1,{a1(4, 2, True)})",
                      _serial(base), r.kind, "out")
        b.redirect(r.key, Ref(sh, row, in_use))
        row += 1
    if notes:
        b.put_text(sh, row + 1, 0, "; ".join(notes), b.f["note"])
    ws = b.ws[sh]
    ws.set_column(0, 0, 46)
    ws.set_column(1, 1, 30)
    ws.set_column(2, in_use, 14)
    ws.set_column(in_use + 1, in_use + 1, 50)
    return ScenarioCells(selector, index, tuple(live), tuple(not_live))


def _set_value(changes: dict, path: str):
    for k, v in changes.items():
        if loc_to_path(parse_path(k)) == path:
            return v
    return None


def _serial(v):
    """A date as the number its cell holds (the cached value of a link to it)."""
    return float(excel_serial(v)) if isinstance(v, _dt.date) else v
