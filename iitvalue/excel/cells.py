"""The cell registry of the workbook: it owns the XlsxWriter workbook, places rows on the sheets, expands formula
templates into A1 references and writes every formula with its cached value.

A template names cells by key: ``{$key}`` a scalar cell (or its defined name), ``{key}`` the cell of timeline row
``key`` in the current period column, ``{key<}`` the one in the previous column, ``{#key}`` the whole timeline
row, ``{@key}`` a block (a column of cells) and ``{OPENCELL}`` the opening-balance cell of the current row. The
objects that blocks return (:class:`Cell`, :class:`Line`, :class:`Range`) format as their own token, so that a
template is an f-string of the references a block was given: ``f"{dev.loa}*{asset.cat}-{rd.risked}"``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NumericalError
from ..units import excel_serial

FIRST = 4  # first period column on Calculations (E); column D holds opening balances, C scalars and row totals
C_LABEL, C_UNIT, C_VAL = 0, 1, 2  # Calculations columns
I_LABEL, I_KEY, I_VAL, I_UNIT, I_NOTE = 0, 1, 2, 3, 4  # Inputs columns
INPUTS, CALC = "Inputs", "Calculations"

FMT = {
    "money": "#,##0.0;(#,##0.0)",
    "pct": "0.0%",
    "prob": "0.0%",
    "factor": "0.000000",
    "years": "0.00",
    "date": "yyyy-mm-dd",
    "int": "0",
    "num": "General",
    "log": "0.000000",
    "year": "0",
}

_STYLE = {  # every cell is locked (the sheets are protected) except the input style's
    "input": {"font_color": "#0000FF", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF", "locked": False},
    "const": {"font_color": "#7030A0", "bg_color": "#F2F2F2"},
    "python": {"font_color": "#7F7F7F", "italic": True},
    "out": {"bold": True, "bg_color": "#E2EFDA"},
    "struct": {"font_color": "#404040", "bg_color": "#EDEDED"},
}

_TOKEN = re.compile(r"\{([$#@]?)([A-Za-z0-9_.]+)(<?)\}")


def col_name(c: int) -> str:
    """Spreadsheet column letters of the 0-based column ``c`` (0 is A, 26 is AA)."""
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def a1(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of the 0-based ``row`` and ``col`` (``$A$1`` when ``absolute``)."""
    return f"${col_name(col)}${row + 1}" if absolute else f"{col_name(col)}{row + 1}"


@dataclass(frozen=True)
class Ref:
    """Where a cell is: sheet name and 0-based row and column."""

    sheet: str
    row: int
    col: int


@dataclass(frozen=True, eq=False)
class Cell:
    """A scalar cell: its registry key, the value written (cached) and where it is. Formats as ``{$key}``."""

    key: str
    value: Any
    ref: Ref

    def __str__(self) -> str:
        return "{$" + self.key + "}"


@dataclass(frozen=True, eq=False)
class Line:
    """A timeline row on Calculations: key, cached values (one per period), its row and the cell holding its
    total (column C) when written. Formats as ``{key}``, the cell in the current period column."""

    key: str
    values: np.ndarray
    row: int
    total: Cell | None = None

    def __str__(self) -> str:
        return "{" + self.key + "}"

    @property
    def prev(self) -> str:
        """Token of this row's cell in the previous period column."""
        return "{" + self.key + "<}"

    @property
    def all(self) -> str:
        """Token of the whole row (every period column), for SUM, SUMIF, MATCH."""
        return "{#" + self.key + "}"


@dataclass(frozen=True)
class Range:
    """A block: a column of cells, e.g. one probability per phase. Formats as ``{@key}``."""

    key: str

    def __str__(self) -> str:
        return "{@" + self.key + "}"


@dataclass(frozen=True)
class InputRow:
    """One cell of the Inputs sheet as ``iitvalue import`` reads it back: row, term-sheet key (empty for an input
    without one, e.g. the launch-curve table), number kind, value exported, style, the registry key of the cell
    (None when no formula uses it), its label, column and sheet."""

    row: int
    path: str
    kind: str
    value: Any
    style: str
    key: str | None = None
    label: str = ""
    col: int = 2
    sheet: str = INPUTS


STRUCT_NOTE = "locked: change it in the term sheet and export again"
NOTE_CHARS = 52  # characters of a note per line in the Inputs note column (its width, 48)
ROW_HEIGHT = 12.75  # points: a row of 10-point Arial


def _finite(value: Any, where: str) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise NumericalError(f"non-finite value {v} for {where}")
    return v


class Book:
    """The cell registry and its writers: owns the XlsxWriter workbook, the row cursor of each sheet, the cells
    registered under keys (scalars, timeline rows, blocks, defined names) and the map of the Inputs rows.

    Parameters
    ----------
    path : Path
        Where the .xlsx file is written (on :meth:`close`).
    n_periods : int
        Number of period columns on Calculations (from column ``FIRST``).
    """

    def __init__(self, path: Path, n_periods: int):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                  "strings_to_urls": False, "nan_inf_to_errors": False})
        self.wb.set_calc_mode("auto")  # XlsxWriter also writes fullCalcOnLoad="1": recalculate on open
        self.n = n_periods
        self.ws: dict[str, Any] = {}
        self.row: dict[str, int] = {}
        self.scalars: dict[str, Ref] = {}
        self.timeline: dict[str, int] = {}  # key -> row on Calculations
        self.blocks: dict[str, tuple[str, int, int, int, int]] = {}
        self.names: dict[str, str] = {}  # key -> defined name used in formulas
        self.defined: list[str] = []
        self.input_map: list[InputRow] = []
        self.comments: dict[str, str] = {}  # term-sheet key -> the comment on its TOML line
        self.print_area: dict[str, tuple[int, int, int, int]] = {}  # sheet -> first row, col, last row, col
        self.grouped = False  # Calculations rows after the first section are grouped (outline level 1)
        self.prefix = ""  # prepended to every key registered (one indication's blocks of a several-indication book)
        self.heading = ""  # prepended to the Calculations section titles of those blocks (the indication's name)
        base = {"font_name": "Arial", "font_size": 10}
        f = self.wb.add_format
        self.f = {
            "title": f({**base, "bold": True, "font_size": 14}),
            "section": f({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864"}),
            "sub": f({**base, "bold": True, "bottom": 1}),
            "text": f(base),
            "note": f({**base, "italic": True, "font_color": "#595959"}),
            "wrap": f({**base, "italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"}),
            "head": f({**base, "bold": True, "bg_color": "#D9E1F2", "bottom": 1}),
        }
        self._num: dict[tuple[str, str], Any] = {}

    def fmt(self, kind: str, style: str = "calc") -> Any:
        """The cell format of a number ``kind`` (a key of ``FMT`` or a number format) in a ``style``."""
        key = (kind, style)
        if key not in self._num:
            self._num[key] = self.wb.add_format({"font_name": "Arial", "font_size": 10,
                                                 "num_format": FMT.get(kind, kind), **_STYLE.get(style, {})})
        return self._num[key]

    def sheet(self, name: str) -> Any:
        """Add a worksheet (its row cursor at 0)."""
        self.ws[name] = self.wb.add_worksheet(name)
        self.row[name] = 0
        return self.ws[name]

    def close(self) -> None:
        """Write the file."""
        self.wb.close()

    # ---- formula templates ----------------------------------------------------------------------------------
    def ref(self, key: str, here: str) -> str:
        """Reference to scalar ``key`` from sheet ``here``: its defined name, else its absolute address."""
        if key in self.names:
            return self.names[key]
        r = self.scalars[key]
        a = a1(r.row, r.col, True)
        return a if r.sheet == here else f"{r.sheet}!{a}"

    def expand(self, tpl: str, here: str, col: int | None = None, row: int | None = None) -> str:
        """The formula (with its ``=``) of template ``tpl`` written on sheet ``here`` in column ``col`` of ``row``.

        Parameters
        ----------
        tpl : str
            Template with ``{$key}``, ``{key}``, ``{key<}``, ``{#key}``, ``{@key}`` and ``{OPENCELL}`` tokens.
        here : str
            Sheet the formula is written on (references to other sheets get the sheet's name).
        col, row : int, optional
            Period column and row of the cell, for timeline tokens.

        Returns
        -------
        str
            The formula in A1 notation.
        """
        def sub(m: re.Match) -> str:
            kind, key, prev = m.group(1), m.group(2), m.group(3)
            if key == "OPENCELL":  # this row's opening-balance cell (column D), absolute
                return a1(row, FIRST - 1, True)
            if kind == "$":
                return self.ref(key, here)
            if kind == "#":
                r = self.timeline[key]
                rng = f"{a1(r, FIRST, True)}:{a1(r, FIRST + self.n - 1, True)}"
                return rng if here == CALC else f"{CALC}!{rng}"
            if kind == "@":
                sh, r0, c0, r1, c1 = self.blocks[key]
                rng = f"{a1(r0, c0, True)}:{a1(r1, c1, True)}"
                return rng if sh == here else f"{sh}!{rng}"
            if key not in self.timeline:
                raise KeyError(f"timeline row '{key}' is not defined (yet)")
            assert col is not None, tpl
            a = a1(self.timeline[key], col - (1 if prev else 0))
            return a if here == CALC else f"{CALC}!{a}"

        return "=" + _TOKEN.sub(sub, tpl)

    # ---- cell writers ---------------------------------------------------------------------------------------
    def put_text(self, sheet: str, row: int, col: int, text: Any, fmt: Any = None) -> None:
        """Text, always as a string (a name such as ``=SUM(A1)`` never becomes a formula). Text beyond Excel's
        32,767 characters per cell is cut visibly, with a note of how much (the model never reads these cells:
        the term sheet itself travels in the hidden sheet, which refuses such lines)."""
        s = "" if text is None else str(text)
        if len(s) > 32_767:
            note = f" [cut: {len(s):,} characters, Excel holds 32,767]"
            s = s[: 32_767 - len(note)] + note
        self.ws[sheet].write_string(row, col, s, fmt or self.f["text"])

    def put_value(self, sheet: str, row: int, col: int, value: Any, kind: str, style: str) -> None:
        """A value: blank for None, text, a date as its serial number, or a finite number."""
        ws = self.ws[sheet]
        fm = self.fmt(kind, style)
        if value is None:
            ws.write_blank(row, col, None, fm)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fm)
        elif isinstance(value, _dt.date):
            ws.write_number(row, col, excel_serial(value), self.fmt("date", style))
        else:
            ws.write_number(row, col, _finite(value, f"{sheet}!{a1(row, col)}"), fm)

    def put_formula(self, sheet: str, row: int, col: int, formula: str, value: Any, kind: str,
                    style: str = "calc") -> None:
        """A formula (one leading ``=``) with its cached ``value`` (text or a finite number)."""
        if not formula.startswith("=") or formula.startswith("=="):
            raise ValueError(f"{sheet}!{a1(row, col)}: a formula starts with exactly one '=': {formula!r}")
        cached = value if isinstance(value, str) else _finite(value, f"{sheet}!{a1(row, col)}: {formula}")
        self.ws[sheet].write_formula(row, col, formula, self.fmt(kind, style), cached)

    def put_link(self, sheet: str, row: int, col: int, cell: Cell, kind: str, style: str = "calc",
                 negate: bool = False) -> None:
        """``=cell`` (or ``=-cell``) with the cell's value."""
        value = -cell.value if negate else cell.value
        self.put_formula(sheet, row, col, ("=-" if negate else "=") + self.ref(cell.key, sheet), value, kind, style)

    def redirect(self, key: str, r: Ref) -> None:
        """Make formulas written from now on read scalar ``key`` from ``r`` (e.g. the scenario in use) instead of
        its input cell; the defined name, if any, stays on the input cell."""
        self.scalars[key] = r
        self.names.pop(key, None)

    def define(self, name: str, r: Ref) -> None:
        """A workbook-level defined name for the cell at ``r``."""
        self.wb.define_name(name, f"={r.sheet}!{a1(r.row, r.col, True)}")
        self.defined.append(name)

    # ---- rows -----------------------------------------------------------------------------------------------
    def section(self, sheet: str, title: str, width: int = 6) -> None:
        """A section title bar across ``width`` columns, after one blank row (except near the top). On
        Calculations the rows of a section are grouped under its title."""
        row = self.row[sheet] + (1 if self.row[sheet] > 2 else 0)
        if self.heading and sheet == CALC:
            title = f"{self.heading}: {title}"
        for c in range(width):
            self.put_text(sheet, row, c, title if c == 0 else "", self.f["section"])
        self.row[sheet] = row + 1
        if sheet == CALC:
            self.grouped = True

    def comment(self, path: str) -> str:
        """The comment on the TOML line of term-sheet key ``path`` (or of its list, for an element), else ""."""
        while path:
            if path in self.comments:
                return self.comments[path]
            if not path.endswith("]"):
                return ""
            path = path[:path.rindex("[")]
        return ""

    def input_row(self, key: str | None, label: str, path: str, value: Any, unit: str, note: str,
                  kind: str = "num", validate: dict | None = None, name: str | None = None,
                  style: str = "input") -> Cell | None:
        """One row of the Inputs sheet: label, term-sheet key, value, unit, note; recorded for the import.

        Parameters
        ----------
        key : str or None
            Registry key of the value cell; None for a row that no formula uses.
        label, path, unit, note : str
            The row's text: what it is, its term-sheet key, its unit and its source.
        value : Any
            The value (text for structural rows).
        kind : str
            Number kind (a key of ``FMT``).
        validate : dict, optional
            Data-validation options (XlsxWriter's) with a ``msg``; applied to input cells only.
        name : str, optional
            A defined name for the cell, used in formulas instead of its address.
        style : str
            ``input``, ``struct`` (shapes the layout) or ``const``.

        Returns
        -------
        Cell or None
            The value cell when ``key`` is given.
        """
        sh = INPUTS
        row = self.row[sh]
        self.input_map.append(InputRow(row, path, kind, value, style, key, label))
        comment = self.comment(path) if path and not path.startswith("(") else ""
        if comment:
            note = f"{note} | {comment}" if note else comment
        self.put_text(sh, row, I_LABEL, label)
        self.put_text(sh, row, I_KEY, path, self.f["note"])
        if isinstance(value, str):
            self.put_text(sh, row, I_VAL, value, self.fmt("num", "struct" if style == "struct" else "input"))
        else:
            self.put_value(sh, row, I_VAL, value, kind, style)
        self.put_text(sh, row, I_UNIT, unit)
        self.put_text(sh, row, I_NOTE, note, self.f["wrap"])
        lines = -(-len(note) // NOTE_CHARS)
        if lines > 1:  # the note wraps inside its column: room for its lines
            self.ws[sh].set_row(row, ROW_HEIGHT * lines)
        if validate and style == "input":
            self.validate(row, I_VAL, validate)
        self.row[sh] += 1
        if key is None:
            return None
        cell = self.register(key, Ref(sh, row, I_VAL), value)
        if name:
            name = f"{name}_{self.prefix.rstrip('_')}" if self.prefix else name
            self.define(name, cell.ref)
            self.names[cell.key] = name
        return cell

    def validate(self, row: int, col: int, rule: dict, last_row: int | None = None, last_col: int | None = None) -> None:
        """Data validation (XlsxWriter's options, with the message ``msg`` shown on a bad entry) of an Inputs cell
        or range."""
        opts = {k: v for k, v in rule.items() if k != "msg"}
        opts.update(error_title="iitvalue", error_message=rule["msg"])
        self.ws[INPUTS].data_validation(row, col, row if last_row is None else last_row,
                                        col if last_col is None else last_col, opts)

    def table_input(self, row: int, col: int, value: float, kind: str, label: str) -> None:
        """An input cell of a table on Inputs (launch curve, class-model components): live in the workbook but
        without a term-sheet key, so ``iitvalue import`` refuses an edit of it (naming the cell)."""
        self.put_value(INPUTS, row, col, value, kind, "input")
        self.input_map.append(InputRow(row, "", kind, value, "input", None, label, col))

    def register(self, key: str, ref: Ref, value: Any) -> Cell:
        """Register the cell at ``ref`` under ``key`` (for cells written by hand, e.g. in a table), after the
        current :attr:`prefix`. A key names one cell: registering it twice is a bug (a formula would silently
        point at the other cell)."""
        key = self.prefix + key
        if key in self.scalars and self.scalars[key] != ref:
            raise ValueError(f"workbook cell key {key!r} registered twice")
        self.scalars[key] = ref
        return Cell(key, value, ref)

    def _calc_row(self, label: str, unit: str) -> int:
        row = self.row[CALC]
        if self.grouped:
            self.ws[CALC].set_row(row, None, None, {"level": 1})
        self.put_text(CALC, row, C_LABEL, label)
        self.put_text(CALC, row, C_UNIT, unit)
        self.row[CALC] += 1
        return row

    def scalar(self, key: str, label: str, unit: str, tpl: str, value: Any, kind: str = "num",
               note: str = "") -> Cell:
        """A scalar calculation on Calculations: formula of ``tpl`` in column C, cached ``value``."""
        row = self._calc_row(label, unit)
        self.put_formula(CALC, row, C_VAL, self.expand(tpl, CALC), value, kind)
        if note:
            self.put_text(CALC, row, FIRST, note, self.f["note"])
        return self.register(key, Ref(CALC, row, C_VAL), value)

    def const(self, key: str, label: str, unit: str, value: Any, kind: str = "num", note: str = "") -> Cell:
        """A constant on Calculations (purple): a value the layout fixes, not a formula."""
        row = self._calc_row(label, unit)
        self.put_value(CALC, row, C_VAL, value, kind, "const")
        if note:
            self.put_text(CALC, row, FIRST, note, self.f["note"])
        return self.register(key, Ref(CALC, row, C_VAL), value)

    def line(self, key: str, label: str, unit: str, tpl: str, values: Any, kind: str = "money",
             total: bool = False, opening: float | None = None) -> Line:
        """A timeline row: the same template in every period column, each cell with its cached value.

        Parameters
        ----------
        key, label, unit : str
            Registry key, label (column A) and unit (column B).
        tpl : str
            The formula template of one period.
        values : array_like
            The cached value of each period, shape (n_periods,).
        kind : str
            Number kind.
        total : bool
            Also write the row's total in column C (registered as ``{key}_total``).
        opening : float, optional
            Opening balance of a corkscrew, written in column D as a constant.

        Returns
        -------
        Line
        """
        values = np.asarray(values, dtype=float)
        assert values.shape == (self.n,), (key, values.shape)
        row = self._calc_row(label, unit)
        self.timeline[self.prefix + key] = row
        for k in range(self.n):
            self.put_formula(CALC, row, FIRST + k, self.expand(tpl, CALC, FIRST + k, row), values[k], kind)
        cell = None
        if total:
            s = float(values.sum())
            self.put_formula(CALC, row, C_VAL, f"=SUM({a1(row, FIRST)}:{a1(row, FIRST + self.n - 1)})", s, kind)
            cell = self.register(f"{key}_total", Ref(CALC, row, C_VAL), s)
        if opening is not None:
            self.put_value(CALC, row, FIRST - 1, opening, kind, "const")
        return Line(self.prefix + key, values, row, cell)

    def block(self, key: str, sheet: str, first_row: int, last_row: int, col: int) -> Range:
        """Register rows ``first_row`` .. ``last_row`` of column ``col`` as block ``key`` (after the prefix)."""
        key = self.prefix + key
        self.blocks[key] = (sheet, first_row, col, last_row, col)
        return Range(key)

    def column(self, key: str, cells: Sequence[Cell]) -> Range:
        """Register consecutive cells of one column (e.g. one per phase) as block ``key``."""
        return self.block(key, cells[0].ref.sheet, cells[0].ref.row, cells[-1].ref.row, cells[0].ref.col)
