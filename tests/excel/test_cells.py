"""The cell registry (iitvalue.excel.cells): A1 addresses, the template tokens that blocks format into formulas,
and the writers that place rows, register them and store each formula with its cached value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest

from iitvalue.errors import NumericalError
from iitvalue.excel.cells import CALC, FIRST, INPUTS, Book, Cell, Line, Range, Ref, a1, col_name


def test_column_names_and_a1_addresses():
    assert [col_name(c) for c in (0, 4, 25, 26, 51, 701, 702)] == ["A", "E", "Z", "AA", "AZ", "ZZ", "AAA"]
    assert a1(0, 0) == "A1" and a1(9, 27, absolute=True) == "$AB$10"


def test_references_format_as_their_own_tokens():
    ref = Ref(CALC, 5, 2)
    assert str(Cell("loa", 0.5, ref)) == "{$loa}"
    row = Line("rev0", np.zeros(3), 5)
    assert (str(row), row.prev, row.all) == ("{rev0}", "{rev0<}", "{#rev0}")
    assert str(Range("pu")) == "{@pu}"
    assert f"{Cell('loa', 0.5, ref)}*{row}" == "{$loa}*{rev0}"


@pytest.fixture
def book(tmp_path):
    b = Book(tmp_path / "t.xlsx", n_periods=3)
    for name in (INPUTS, CALC, "Outputs"):
        b.sheet(name)
    return b


def test_template_expansion(book):
    named = book.input_row("r", "Discount rate", "valuation.discount_rate", 0.1, "per year", "term sheet", "pct",
                           name="discount_rate")
    plain = book.input_row("tau", "Tax rate", "valuation.tax_rate", 0.25, "fraction", "term sheet", "pct")
    assert (named.ref, plain.ref) == (Ref(INPUTS, 0, 2), Ref(INPUTS, 1, 2))
    book.row[CALC] = 4
    k = book.line("k", "Period number", "", "COLUMNS({OPENCELL}:{k<})-1", np.arange(3.0), "int")
    rng = book.column("rates", [named, plain])
    # a defined name wherever it is used; an address, with the sheet's name from other sheets
    assert book.expand(f"{named}*{plain}", CALC) == "=discount_rate*Inputs!$C$2"
    assert book.expand(f"{plain}", INPUTS) == "=$C$2"
    # a timeline row: the cell of this period column, the previous one, the whole row
    assert book.expand(f"{k}+{k.prev}", CALC, col=FIRST + 1, row=9) == "=F5+E5"
    assert book.expand(f"SUM({k.all})", CALC) == "=SUM($E$5:$G$5)"
    assert book.expand(f"SUM({k.all})", "Outputs") == "=SUM(Calculations!$E$5:$G$5)"
    assert book.expand(f"SUM({rng})", CALC) == "=SUM(Inputs!$C$1:$C$2)"
    assert book.expand("{OPENCELL}", CALC, col=FIRST, row=4) == "=$D$5"
    with pytest.raises(KeyError, match="not defined"):
        book.expand("{later}", CALC, col=FIRST, row=4)


def test_rows_register_what_they_write_and_store_cached_values(book, tmp_path):
    d = book.input_row("vdate", "Valuation date", "valuation.date", dt.date(2025, 1, 1), "date", "term sheet", "date")
    book.input_row(None, "Name", "valuation.name", "=SUM(A1)", "", "term sheet", style="struct")
    book.row[CALC] = 3
    x = book.scalar("x", "x", "", f"YEAR({d})", 2025, "year")
    c = book.const("zero", "zero", "", 0.0)
    row = book.line("flow", "flow", "millions", f"{x}*0+1", [1.0, 2.0, 3.0], total=True, opening=0.0)
    assert (x.ref, c.ref, row.row) == (Ref(CALC, 3, 2), Ref(CALC, 4, 2), 5)
    assert book.scalars["x"] == x.ref and book.timeline["flow"] == row.row
    assert row.total.key == "flow_total" and row.total.value == 6.0 and book.scalars["flow_total"] == row.total.ref
    assert [(r.row, r.path, r.kind, r.style) for r in book.input_map] == [
        (0, "valuation.date", "date", "input"), (1, "valuation.name", "num", "struct")]
    with pytest.raises(AssertionError):
        book.line("short", "short", "", "1", [1.0, 2.0])
    with pytest.raises(NumericalError, match="non-finite"):
        book.scalar("bad", "bad", "", "1/0", float("inf"))
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")[CALC]
    assert ws["C4"].value == "=YEAR(Inputs!$C$1)" and ws["F6"].value == "=$C$4*0+1"
    assert ws["C6"].value == "=SUM(E6:G6)" and ws["D6"].value == 0
    cached = openpyxl.load_workbook(tmp_path / "t.xlsx", data_only=True)
    assert cached[CALC]["C4"].value == 2025 and cached[CALC]["G6"].value == 3 and cached[CALC]["C6"].value == 6
    text = cached[INPUTS]["C2"]
    assert text.value == "=SUM(A1)" and text.data_type == "s"
