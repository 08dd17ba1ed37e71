"""The round trip through Excel: the hidden ``iitvalue`` sheet that :func:`write_source` adds to every exported
workbook (the term sheet as TOML, and a map of the Inputs rows), and :func:`read_workbook`, which rebuilds the
term sheet with the edits made on the Inputs sheet (``iitvalue import``; docs/excel.md, "Import")."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from ..units import EXCEL_EPOCH
from .cells import I_VAL, INPUTS, Book, col_name

SOURCE_SHEET = "iitvalue"  # hidden sheet: the term sheet and the Inputs map, for `iitvalue import`


def write_source(book: Book, sheet) -> None:
    """Add the hidden sheet that lets ``iitvalue import`` rebuild the term sheet: the term sheet as TOML (column
    A, one line a row) and, for each Inputs row, its term-sheet key, kind, style and the value exported (columns
    C-G).

    Parameters
    ----------
    book : Book
        The cell registry (its map of the Inputs rows).
    sheet : TermSheet
        The term sheet exported.
    """
    import tomli_w

    ws = book.wb.add_worksheet(SOURCE_SHEET)
    ws.hide()
    ws.write_string(0, 0, "term sheet (TOML), read by `iitvalue import`; do not edit")
    for i, line in enumerate(tomli_w.dumps(sheet.to_dict()).splitlines(), start=1):
        ws.write_string(i, 0, line)
    for c, h in enumerate(("Inputs row", "term-sheet key", "kind", "style", "value exported")):
        ws.write_string(0, 2 + c, h)
    for i, r in enumerate(book.input_map, start=1):
        ws.write_number(i, 2, r.row + 1)
        ws.write_string(i, 3, r.path)
        ws.write_string(i, 4, r.kind)
        ws.write_string(i, 5, r.style)
        if isinstance(r.value, str):
            ws.write_string(i, 6, r.value)
        elif isinstance(r.value, _dt.date):
            ws.write_string(i, 6, r.value.isoformat())
        elif r.value is not None:
            ws.write_number(i, 6, float(r.value))


def read_workbook(path: str | Path) -> tuple[Any, list[dict[str, Any]]]:
    """Rebuild the term sheet of a workbook written by :func:`write_workbook`, with the edits made on its Inputs
    sheet: returns (validated TermSheet, list of the changes applied).

    The hidden ``iitvalue`` sheet holds the exported term sheet and, for each Inputs row, its key and the value
    exported; an input cell whose value now differs is written back to its key (flags 1/0 become true/false,
    whole numbers become integers where the field wants one, dates stay dates). A changed structural or constant
    cell, or one without a term-sheet key, is an error naming the cell: such inputs change only by editing the
    term sheet and exporting again. Rows written without a key (e.g. the launch-curve table) are not imported.

    Parameters
    ----------
    path : str or Path
        The .xlsx workbook.

    Returns
    -------
    tuple
        (TermSheet, list of {"cell", "key", "from", "to"} for each change applied).

    Raises
    ------
    InputError
        The file is not a workbook written by ``iitvalue export``, or an edit is not allowed or not valid.
    """
    import tomllib

    import openpyxl

    from ..errors import InputError, Problem
    from ..termsheet import TermSheet, set_path

    src = str(path)
    try:
        wb = openpyxl.load_workbook(path)
    except FileNotFoundError:
        raise InputError("file not found", src) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not an xlsx workbook
        raise InputError(f"cannot read it as an .xlsx workbook ({type(exc).__name__}: {exc})", src) from None
    if SOURCE_SHEET not in wb.sheetnames or INPUTS not in wb.sheetnames:
        raise InputError("not a workbook written by `iitvalue export` (no Inputs and hidden iitvalue sheets)", src)
    meta = wb[SOURCE_SHEET]
    lines, rows = [], []
    for r in meta.iter_rows(min_row=2, values_only=True):
        if r[0] is not None:
            lines.append(str(r[0]))
        if len(r) > 6 and r[2] is not None:
            rows.append(r[2:7])
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the hidden iitvalue sheet is damaged: {exc}", src) from None
    inputs = wb[INPUTS]
    changes, problems = [], []
    for row, key, kind, style, exported in rows:
        cell = f"{INPUTS}!{col_name(I_VAL)}{int(row)}"
        now = inputs.cell(row=int(row), column=I_VAL + 1).value
        before = _from_cell(exported, kind)
        after = _from_cell(now, kind)
        if _same(before, after):
            continue
        if style != "input" or not key or key.startswith("("):
            what = {"struct": "structural", "const": "a constant", "python": "computed by Python"}.get(style, style)
            problems.append(Problem(cell, f"'{key or inputs.cell(row=int(row), column=1).value}' is {what}, not an "
                                    "input: change it in the term sheet and export again"))
            continue
        value = after
        if kind == "int" and isinstance(before, (int, float)) and str(key).rsplit(".", 1)[-1] in _FLAG_FIELDS:
            value = bool(after) if after in (0, 1) else after
        elif kind == "int" and isinstance(after, float) and after.is_integer():
            value = int(after)
        try:
            set_path(data, key, value)
        except InputError as exc:
            problems += [Problem(f"{cell} ({key})", q.message) for q in exc.problems]
            continue
        changes.append({"cell": cell, "key": key, "from": before, "to": value})
    if problems:
        raise InputError(problems, src)
    try:
        sheet = TermSheet.from_dict(data)
    except InputError as exc:
        where = {c["key"]: c["cell"] for c in changes}
        raise InputError([Problem(f"{where[q.path]} ({q.path})" if q.path in where else q.path, q.message)
                          for q in exc.problems], src) from None
    return sheet, changes


_FLAG_FIELDS = {"mid_period", "tax_loss_carryforward", "cvr", "platform"}


def _from_cell(v: Any, kind: str) -> Any:
    if isinstance(v, _dt.datetime):
        return v.date()
    if kind == "date" and isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            return v
    if kind == "date" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return EXCEL_EPOCH + _dt.timedelta(days=float(v))
    return v


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
    if a in (None, "") and b in (None, ""):
        return True
    return a == b
