"""The round trip through Excel: the very hidden ``iitvalue`` sheet that :func:`write_source` adds to every exported
workbook (the term sheet's own TOML text, line by line, and a map of the input cells), and the import of the
edits made in the workbook back into that text, in place (``iitvalue import``; docs/excel.md, "Import").

:func:`import_edits` does the work and returns the edited text, the changes and the validated term sheet;
:func:`import_into` returns the text only, :func:`read_workbook` the term sheet and the changes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..units import EXCEL_EPOCH
from .cells import INPUTS, Book, col_name
from .sources import Edit, apply_edits, digest, has_path, join_lines, split_lines

SOURCE_SHEET = "iitvalue"  # very hidden: the term sheet's text and the map of the input cells
FORMAT = 2  # layout of the hidden sheet
_MAP_COL = 3  # first column of the map (D): sheet, row, column, key, kind, style, value exported, label
_META_COL = 12  # column M: meta data (labels), N: values
_FLAG_FIELDS = {"mid_period", "tax_loss_carryforward", "cvr", "platform"}


@dataclass(frozen=True)
class Imported:
    """What :func:`import_edits` returns: the edited TOML text, the changes applied ({"cell", "key", "from",
    "to"}) and the term sheet the text validates to."""

    text: str
    changes: list[dict[str, Any]]
    sheet: Any


def write_source(book: Book, text: str, source: str = "") -> None:
    """Add the very hidden sheet that ``iitvalue import`` reads: the term sheet's TOML text (column A one line a
    row, column B "CR" where the line ended with a carriage return), its line count and SHA-256, and for each
    input cell its sheet, row, column, term-sheet key, kind, style, value exported and label (columns D-K).

    Parameters
    ----------
    book : Book
        The cell registry (its map of the input cells).
    text : str
        The term sheet's TOML text, exactly as the import should give it back.
    source : str
        Where the text came from (shown only).
    """
    ws = book.wb.add_worksheet(SOURCE_SHEET)
    ws.very_hidden()
    ws.protect()
    ws.write_string(0, 0, "term sheet (TOML), read by `iitvalue import`; do not edit")
    lines = split_lines(text)
    too_long = [i for i, (line, _) in enumerate(lines, start=1) if len(line) > EXCEL_CELL_LIMIT]
    if too_long:  # Excel cuts a longer cell: the workbook could not give the term sheet back
        raise InputError(f"line {too_long[0]} has {len(lines[too_long[0] - 1][0]):,} characters; a workbook cell "
                         f"holds at most {EXCEL_CELL_LIMIT:,}, so the export could not be imported again: split "
                         "the line (TOML arrays and inline tables may span several lines)", source)
    for i, (line, cr) in enumerate(lines, start=1):
        if line:
            ws.write_string(i, 0, line)
        if cr:
            ws.write_string(i, 1, "CR")
    for c, h in enumerate(("sheet", "row", "column", "term-sheet key", "kind", "style", "value exported", "label")):
        ws.write_string(0, _MAP_COL + c, h)
    for i, r in enumerate(book.input_map, start=1):
        ws.write_string(i, _MAP_COL, r.sheet)
        ws.write_number(i, _MAP_COL + 1, r.row + 1)
        ws.write_number(i, _MAP_COL + 2, r.col + 1)
        for c, v in ((3, r.path), (4, r.kind), (5, r.style), (7, r.label)):
            ws.write_string(i, _MAP_COL + c, v)
        if isinstance(r.value, str):
            ws.write_string(i, _MAP_COL + 6, r.value)
        elif isinstance(r.value, _dt.date):
            ws.write_string(i, _MAP_COL + 6, r.value.isoformat())
        elif r.value is not None:
            ws.write_number(i, _MAP_COL + 6, float(r.value))
    for k, (label, value) in enumerate((("format", FORMAT), ("lines", len(lines)), ("sha256", digest(text)),
                                        ("source", source))):
        ws.write_string(k, _META_COL, label)
        (ws.write_number if isinstance(value, int) else ws.write_string)(k, _META_COL + 1, value)


def import_into(workbook: str | Path, toml_path: str | Path | None = None) -> str:
    """The term sheet with the edits made in ``workbook``, as TOML text (:func:`import_edits`).

    Parameters
    ----------
    workbook : str or Path
        An .xlsx workbook written by ``iitvalue export``.
    toml_path : str or Path, optional
        The term sheet to write the edits into; by default the text the workbook was exported from.

    Returns
    -------
    str
        The edited TOML text (the original byte for byte when nothing was edited).
    """
    return import_edits(workbook, toml_path).text


def read_workbook(path: str | Path) -> tuple[Any, list[dict[str, Any]]]:
    """The validated term sheet of an exported workbook with its edits, and the list of changes applied
    (:func:`import_edits` on the text the workbook was exported from).

    Parameters
    ----------
    path : str or Path
        The .xlsx workbook.

    Returns
    -------
    tuple
        (TermSheet, list of {"cell", "key", "from", "to"}).
    """
    out = import_edits(path)
    return out.sheet, out.changes


def import_edits(workbook: str | Path, toml_path: str | Path | None = None) -> Imported:
    """Write the edits made in an exported workbook into the term sheet's TOML text, in place.

    Each mapped input cell whose value differs from the value exported is written to its term-sheet key in the
    text (tomlkit: comments and layout kept, the edited line's comment notes the cell and the old value; flags
    1/0 become true/false, whole numbers stay integers where the text has one). Refused, naming the cell: a
    changed locked cell (structural, a name, a constant), a changed input without a term-sheet key (the
    launch-curve table, the class model's components, the scenario table), a cleared cell, a formula or text
    where a number belongs. The edited text is then validated like a term-sheet file, each problem naming its
    cell. Every problem is reported at once.

    Parameters
    ----------
    workbook : str or Path
        An .xlsx workbook written by ``iitvalue export``.
    toml_path : str or Path, optional
        The term sheet to write the edits into; by default the text the workbook was exported from (kept in the
        workbook).

    Returns
    -------
    Imported

    Raises
    ------
    InputError
        The file is not such a workbook, or one or more edits are not allowed or not valid (all of them listed).
    """
    from ..termsheet import loads
    from ..termsheet.loading import read_text

    src = str(workbook)
    wb = _open(workbook)
    stored, rows = _read_source(wb, src)
    text = stored
    if toml_path is not None:
        try:
            text = Path(toml_path).read_bytes().decode("utf-8")  # as is: a byte-order mark and line ends kept
        except (OSError, UnicodeDecodeError):
            text = read_text(toml_path)  # raises the term-sheet file's own error

    problems, edits, changes = [], [], []
    for sheet, row, col, key, kind, style, exported, label in rows:
        cell = f"{sheet}!{col_name(int(col) - 1)}{int(row)}"
        now = wb[sheet].cell(row=int(row), column=int(col)).value if sheet in wb.sheetnames else None
        before, after = _from_cell(exported, kind), _from_cell(now, kind)
        if _same(before, after):
            continue
        what = f"'{key or label}'"
        if style != "input":
            kind_of = {"struct": "locked (structural or a name)", "const": "a constant"}.get(style, style)
            problems.append(Problem(cell, f"{what} is {kind_of}, not an input: change it in the term sheet and "
                                          "export again"))
        elif not key or key.startswith("("):
            problems.append(Problem(cell, f"{label or key} has no term-sheet key, so the edit cannot be imported: "
                                          "make the change in the term sheet (or undo it in the workbook)"))
        elif after in (None, ""):
            problems.append(Problem(f"{cell} ({key})", f"is empty; type a value (the import does not bring back "
                                                       f"a default; exported: {before!r})"))
        elif isinstance(after, str) and after.startswith("="):
            problems.append(Problem(f"{cell} ({key})", "holds a formula; type a value"))
        elif kind not in ("num", "date") and not isinstance(after, (int, float)):
            problems.append(Problem(f"{cell} ({key})", f"{after!r} is not a number"))
        else:
            value = _typed(key, kind, before, after)
            was = bool(before) if isinstance(value, bool) else float(before) if (
                isinstance(value, float) and isinstance(before, int)) else before
            edits.append(Edit(key, value, f"edited in Excel, {cell}: was {_shown(was)}"))
            changes.append({"cell": cell, "key": key, "from": before, "to": value})
    edits = _whole_lists(text, edits, rows, wb)
    try:
        edited = apply_edits(text, edits)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise InputError(problems + [Problem("", f"cannot write the edits into the term sheet: {exc}")], src) from None
    sheet = None
    try:
        sheet = loads(edited.removeprefix("\ufeff"), source=src)
    except InputError as exc:
        where = {c["key"]: c["cell"] for c in changes}
        problems += [Problem(f"{where[q.path]} ({q.path})" if q.path in where else q.path, q.message)
                     for q in exc.problems]
    if problems:
        raise InputError(problems, src)
    return Imported(edited, changes, sheet)


def _open(workbook: str | Path):
    import openpyxl

    src = str(workbook)
    if not src.lower().endswith(".xlsx"):
        raise InputError("must be an .xlsx workbook written by `iitvalue export`", src)
    try:
        wb = openpyxl.load_workbook(workbook)
    except FileNotFoundError:
        raise InputError("file not found", src) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not an xlsx workbook
        raise InputError(f"cannot read it as an .xlsx workbook ({type(exc).__name__}: {exc})", src) from None
    if SOURCE_SHEET not in wb.sheetnames or INPUTS not in wb.sheetnames:
        raise InputError("not a workbook written by `iitvalue export` (no Inputs and hidden iitvalue sheets)", src)
    return wb


EXCEL_CELL_LIMIT = 32_767  # characters in one cell (Excel's specification and limits)


def _read_source(wb, src: str) -> tuple[str, list[tuple]]:
    """The stored text (checked against its SHA-256) and the map rows of the hidden sheet."""
    meta = wb[SOURCE_SHEET]
    info = {meta.cell(k + 1, _META_COL + 1).value: meta.cell(k + 1, _META_COL + 2).value for k in range(4)}
    if info.get("format") != FORMAT:
        raise InputError("the hidden iitvalue sheet is from another version of iitvalue; export the workbook again",
                         src)
    damaged = InputError("the hidden iitvalue sheet was edited or is damaged; export the workbook again", src)
    try:
        n = int(info["lines"])
    except (TypeError, ValueError):
        raise damaged from None
    lines = [(str(meta.cell(i, 1).value or ""), meta.cell(i, 2).value == "CR") for i in range(2, n + 2)]
    text = join_lines(lines)
    if digest(text) != info["sha256"]:
        raise InputError("the hidden iitvalue sheet is damaged (its term sheet does not match its checksum)", src)
    rows = [r[_MAP_COL:_MAP_COL + 8] for r in meta.iter_rows(min_row=2, values_only=True)
            if len(r) > _MAP_COL + 7 and r[_MAP_COL] is not None]
    for r in rows:  # sheet, row, column: a map row that is not (text, whole number, whole number) was edited
        if not (isinstance(r[0], str) and all(isinstance(x, (int, float)) and float(x).is_integer() for x in r[1:3])):
            raise damaged
    return text, rows


def _whole_lists(text: str, edits: list[Edit], rows: list[tuple], wb) -> list[Edit]:
    """An edited element of a list the text does not have (e.g. a pool's shares, shown as the equal split) becomes
    the whole list, from the workbook's cells of its elements."""
    out, done = [], set()
    for e in edits:
        if not e.path.endswith("]") or has_path(text, e.path):
            out.append(e)
            continue
        parent = e.path[:e.path.rindex("[")]
        if parent in done:
            continue
        done.add(parent)
        values = [_from_cell(wb[s].cell(row=int(r), column=int(c)).value, kind)
                  for s, r, c, key, kind, *_ in rows if key and key.rsplit("[", 1)[0] == parent]
        out.append(Edit(parent, values, e.note.split(": was")[0] + " (the list written out)"))
    return out


def _typed(key: str, kind: str, before: Any, after: Any) -> Any:
    if kind == "int" and key.rsplit(".", 1)[-1] in _FLAG_FIELDS and after in (0, 1):
        return bool(after)
    if kind == "int" and isinstance(after, float) and after.is_integer():
        return int(after)
    if isinstance(after, int) and not isinstance(after, bool) and isinstance(before, float):
        return float(after)
    return after


def _shown(v: Any) -> str:
    """A value as TOML writes it (for the comment that notes an edit)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    return repr(v) if isinstance(v, str) else str(v)


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
