"""Reading a TOML term sheet: parse, apply ``--set`` overrides, validate, with every problem located by line.

:func:`read_text` and :func:`parse_toml` are also what other TOML inputs (the calibration file) are read with,
so every input file gets the same messages: not found, a folder, not UTF-8 (with the line), not text, not valid
TOML, nested too deeply.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from ..errors import SET_OPTION, InputError, Problem
from .lines import DEEP, nesting_line, toml_key_lines
from .paths import parse_path, set_path
from .schema import TermSheet

BOM = "\ufeff"


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> TermSheet:
    """Read and validate a TOML term sheet (fields in docs/termsheet.md).

    Parameters
    ----------
    path : str or Path
        The term-sheet file (UTF-8; a leading byte-order mark is accepted).
    overrides : dict, optional
        Dotted paths to values (the CLI's ``--set``).

    Returns
    -------
    TermSheet

    Raises
    ------
    InputError
        Every problem found, each with the file, the field and the TOML line (``--set`` for an override).

    Examples
    --------
    >>> import iitvalue
    >>> sheet = iitvalue.load("examples/esobiotec.toml")
    >>> sheet.asset.name, sheet.valuation.date.isoformat()
    ('ESO-T01', '2025-03-17')
    >>> iitvalue.load("examples/esobiotec.toml", {"valuation.discount_rate": 0.12}).valuation.discount_rate
    0.12
    >>> iitvalue.load("examples/esobiotec.toml", {"valuation.discount_rate": -1})
    Traceback (most recent call last):
    ...
    iitvalue.errors.InputError: examples/esobiotec.toml: --set valuation.discount_rate: -1 is not allowed; ...
    """
    return loads(read_text(path), source=str(path), overrides=overrides)


def read_text(path: str | Path, what: str = "term sheet") -> str:
    """The text of an input file, or an :class:`InputError` that says why it cannot be read.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file should be, for the messages ("term sheet", "calibration file").

    Returns
    -------
    str
        The text, without a leading byte-order mark.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(p)) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a file; name the {what} file", str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(p)) from None
    return decode(raw, str(p), what)


def decode(raw: bytes, source: str, what: str = "term sheet") -> str:
    """UTF-8 text of ``raw``; an error naming the line and column of the first byte that is not UTF-8.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        The file name, for the message.
    what : str
        What the file should be, for the message.

    Returns
    -------
    str
        The text, without a leading byte-order mark.
    """
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(Problem("", f"is not a text file (it contains a NUL byte); a {what} is a UTF-8 TOML text "
                                     "file", raw.count(b"\n", 0, nul) + 1), source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(Problem("", f"the file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column} "
                                     f"cannot be read as UTF-8 (the file was probably saved as Latin-1 or "
                                     f"Windows-1252); save it as UTF-8 and run again", line), source) from None
    return text[1:] if text.startswith(BOM) else text


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """``tomllib.loads`` with its failures as :class:`InputError` (syntax error with its line; nesting too deep).

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        The file name, for the message.

    Returns
    -------
    dict
    """
    if text.startswith(BOM):
        text = text[1:]
    deep = nesting_line(text)
    if deep is not None:
        raise InputError(Problem("", f"arrays or inline tables are nested more than {DEEP} levels deep; no field "
                                     "of a term sheet needs more than two", deep), source)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source) from None
    except (RecursionError, ValueError) as exc:  # ValueError: an integer of more than 4,300 digits
        raise InputError(f"not valid TOML: {exc}", source) from None


def loads(text: str, source: str = "<string>", overrides: dict[str, Any] | None = None) -> TermSheet:
    """Validate a term sheet given as TOML text (see :func:`load`).

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        A name for the messages.
    overrides : dict, optional
        Dotted paths to values.

    Returns
    -------
    TermSheet

    Raises
    ------
    InputError
        Not valid TOML, or every problem of the sheet, each with its TOML line.

    Examples
    --------
    >>> import iitvalue
    >>> from pathlib import Path
    >>> text = Path("examples/esobiotec.toml").read_text(encoding="utf-8")
    >>> iitvalue.loads(text) == iitvalue.load("examples/esobiotec.toml")
    True
    >>> iitvalue.loads("[valuation]\\ndate = 2025-01-01\\n")
    Traceback (most recent call last):
    ...
    iitvalue.errors.InputError: <string>: 8 problems:
      line 1, valuation.name: required field is missing
    ...
    """
    data = parse_toml(text, source)
    lines = toml_key_lines(text[1:] if text.startswith(BOM) else text)
    problems = []
    for key, value in (overrides or {}).items():
        try:
            set_path(data, key, value, TermSheet)
        except InputError as exc:
            problems += [dataclasses.replace(p, line=SET_OPTION) for p in exc.problems]
        else:
            lines[parse_path(key)] = SET_OPTION  # an overridden value has no line in the file
    if problems:
        raise InputError(problems, source)
    return TermSheet.from_dict(data, source=source, lines=lines)
