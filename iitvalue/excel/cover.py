"""The Cover sheet and the document properties (docs/excel.md, "Cover"): what the workbook values, when and with
which version, the master check and the scenario in use, the contents (a link to each sheet) and the colour
legend of the cells. One landscape page."""

from __future__ import annotations

import datetime as _dt

from ..units import excel_serial
from .cells import Book, Cell

COVER = "Cover"

# what each sheet holds, for the contents
CONTENTS = {
    "Cover": "this page: the valuation, the version, the contents and the colour legend",
    "Inputs": "every term-sheet input with its unit, source and TOML comment; blue cells are the inputs",
    "Scenarios": "the scenario selector and the values of each [[scenarios]] entry",
    "Calculations": "the model, one formula per row on a timeline of periods (docs/method.md)",
    "Outputs": "one-page summary: values, value by party, bridge, payments, charts",
    "Sensitivity": "live two-way tables: asset rNPV, licensee NPV and break-even upfront",
    "Risk": "tornado, Monte Carlo and the football field (computed by Python, not live)",
    "Checks": "input checks, locked cells, sum checks and parity with iitvalue; the master check checks_ok",
}

# the colour legend: (style of Book.fmt, sample, meaning)
LEGEND = (("input", 0.1, "input: change it and the workbook recalculates (unlocked)"),
          ("struct", "text", "locked: shapes the layout or names a thing; change it in the term sheet, export again"),
          ("const", 0.5, "constant the layout fixes (days per year, tolerances)"),
          ("calc", 1.0, "formula (black)"),
          ("out", 1.0, "result (bold on green)"),
          ("python", 1.0, "computed by iitvalue at export, not live (grey italic)"))


def set_properties(book: Book, result, version: str) -> None:
    """The document properties: title, subject, author ``iitvalue``, company blank, created now.

    Parameters
    ----------
    book : Book
        The cell registry (its workbook).
    result : Result
        The valuation (names and date).
    version : str
        iitvalue's version.
    """
    s = result.sheet
    book.wb.set_properties({
        "title": f"{s.valuation.name}: rNPV valuation",
        "subject": f"{s.asset.name} ({s.asset.indication}), valued at {s.valuation.date.isoformat()}"
                   + (f"; deal {s.deal.licensor.name} / {s.deal.licensee.name}" if s.deal else ""),
        "author": "iitvalue", "manager": "", "company": "", "category": "rNPV valuation",
        "keywords": "rNPV, biotech, licensing, iitvalue",
        "comments": f"Exported by iitvalue {version}; live formulas (see the Cover and Checks sheets)",
        "created": _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)})


def write_cover(book: Book, result, sheets: list[str], version: str, source: str, scenario: Cell | None) -> None:
    """Write the Cover sheet.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation.
    sheets : list of str
        The visible sheets, in order (the contents).
    version : str
        iitvalue's version.
    source : str
        The term-sheet file the workbook was exported from ("" when not known).
    scenario : Cell or None
        The scenario selector, when the term sheet has scenarios.
    """
    b, s, sh = book, result.sheet, COVER
    b.put_text(sh, 0, 0, s.valuation.name, b.f["title"])
    b.put_text(sh, 1, 0, "rNPV valuation of live formulas (iitvalue); money in millions of "
                         f"{s.valuation.currency}, rates and probabilities in %.", b.f["note"])
    rows = [("Asset", s.asset.name), ("Indication", s.asset.indication), ("Stage", s.asset.stage)]
    if s.deal is not None:
        rows.append(("Deal", f"{s.deal.kind}: {s.deal.licensor.name} / {s.deal.licensee.name}"))
    rows += [("Term sheet", source or "(given as data)"), ("Version", f"iitvalue {version}"),
             ("Exported", _dt.datetime.now().strftime("%Y-%m-%d %H:%M"))]
    row = 3
    for label, text in rows:
        b.put_text(sh, row, 0, label, b.f["sub"])
        b.put_text(sh, row, 1, text)
        row += 1
    b.put_text(sh, row, 0, "Valuation date", b.f["sub"])
    b.put_formula(sh, row, 1, "=valuation_date", float(excel_serial(s.valuation.date)), "date")
    row += 1
    b.put_text(sh, row, 0, "All checks", b.f["sub"])
    b.put_formula(sh, row, 1, "=checks_ok", "OK", "num", "out")
    row += 1
    if scenario is not None:
        b.put_text(sh, row, 0, "Scenario in use", b.f["sub"])
        b.put_link(sh, row, 1, scenario, "num", "out")
        row += 1
    row += 1
    b.put_text(sh, row, 0, "Contents", b.f["head"])
    b.put_text(sh, row, 1, "", b.f["head"])
    row += 1
    link = b.wb.add_format({"font_name": "Arial", "font_size": 10, "font_color": "#0563C1", "underline": 1})
    for name in sheets:
        b.ws[sh].write_url(row, 0, f"internal:'{name}'!A1", link, name)
        b.put_text(sh, row, 1, CONTENTS.get(name, ""))
        row += 1
    row += 1
    b.put_text(sh, row, 0, "Colour legend", b.f["head"])
    b.put_text(sh, row, 1, "", b.f["head"])
    row += 1
    for style, sample, meaning in LEGEND:
        if isinstance(sample, str):
            b.put_text(sh, row, 0, sample, b.fmt("num", style))
        else:
            b.put_value(sh, row, 0, sample, "num", style)
        b.put_text(sh, row, 1, meaning)
        row += 1
    b.put_text(sh, row + 1, 0, "A model, not advice: every input and its source is on Inputs; Checks shows whether "
                               "the workbook is consistent and whether it still equals iitvalue's valuation.",
               b.f["note"])
    ws = b.ws[sh]
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 100)
    b.print_area[sh] = (0, 0, row + 1, 1)
