"""The workbook's finish (docs/excel.md, "Layout and print"): column widths, frozen panes, print set-up (A4
landscape everywhere; the Cover and Outputs each one page), and sheet protection (every cell locked but the
inputs; formatting rows and columns stays allowed)."""

from __future__ import annotations

from .cells import CALC, FIRST, INPUTS, Book

# column widths: sheet -> ((first, last, width), ...)
WIDTHS = {
    INPUTS: ((0, 0, 42), (1, 1, 24), (2, 2, 12), (3, 3, 14), (4, 4, 48)),
    "Outputs": ((0, 0, 34), (1, 1, 10), (2, 2, 1), (3, 3, 28), (4, 4, 20), (5, 5, 11), (6, 7, 10), (8, 9, 11),
                (10, 12, 3), (13, 17, 13)),
    "Checks": ((0, 0, 62), (1, 3, 18), (4, 4, 10), (5, 5, 34)),
    "Risk": ((0, 0, 46), (1, 7, 14), (8, 8, 36), (9, 13, 14)),
}
PROTECT = {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True}


def finish_sheets(book: Book, header_rows: int, n_territories: int) -> None:
    """Column widths, frozen panes, print set-up and protection of every sheet.

    Parameters
    ----------
    book : Book
        The cell registry (its sheets and the print areas the blocks recorded).
    header_rows : int
        Rows of the Calculations header (frozen, and repeated on each printed page).
    n_territories : int
        Territories (columns of the launch-curve table on Inputs).
    """
    b = book
    for name, widths in WIDTHS.items():
        if name in b.ws:
            for first, last, width in widths:
                b.ws[name].set_column(first, last, width)
    b.ws[INPUTS].set_column(5, 5 + n_territories, 12)
    b.ws[INPUTS].print_area(0, 0, b.row[INPUTS], max(5, 1 + n_territories))  # the notes wrap inside the page
    calc = b.ws[CALC]
    for first, last, width in ((0, 0, 70), (1, 1, 16), (2, 2, 14), (3, 3, 8), (FIRST, FIRST + b.n - 1, 11)):
        calc.set_column(first, last, width)
    calc.freeze_panes(header_rows, FIRST)
    b.ws[INPUTS].freeze_panes(3, 1)
    for name in ("Outputs", "Checks", "Risk"):
        if name in b.ws:
            b.ws[name].freeze_panes(2 if name != "Outputs" else 0, 0)
    for name, w in b.ws.items():
        w.set_landscape()
        w.set_paper(9)  # A4
        w.set_margins(left=0.25, right=0.25, top=0.6, bottom=0.6)
        w.set_header(f"&L&\"Arial,Bold\"iitvalue - {name}")
        w.set_footer("&LPage &P of &N&R&D")
        if name in b.print_area:
            w.print_area(*b.print_area[name])
            w.fit_to_pages(1, 1)  # one readable page
        elif name != CALC:
            w.fit_to_pages(1, 0)  # one page wide
        w.protect("", PROTECT)
    calc.repeat_rows(0, header_rows - 1)
    calc.repeat_columns(0, FIRST - 1)
    calc.set_print_scale(70)  # a long timeline prints across pages, its labels repeated, at 7 pt
    b.ws[INPUTS].repeat_rows(2)
    b.ws["Outputs"].activate()
