"""Reading a TOML term sheet: parse, apply ``--set`` overrides, validate, with every problem located by line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError
from .lines import toml_key_lines
from .paths import parse_path, set_path
from .schema import TermSheet


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> TermSheet:
    """Read and validate a TOML term sheet. ``overrides`` maps dotted paths to values (the CLI's ``--set``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", str(p)) from None
    return loads(text, source=str(p), overrides=overrides)


def loads(text: str, source: str = "<string>", overrides: dict[str, Any] | None = None) -> TermSheet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source) from None
    lines = toml_key_lines(text)
    problems = []
    for key, value in (overrides or {}).items():
        try:
            set_path(data, key, value, TermSheet)
        except InputError as exc:
            problems += exc.problems
        lines[parse_path(key)] = None  # an overridden value has no line in the file
    if problems:
        raise InputError(problems, source)
    return TermSheet.from_dict(data, source=source, lines=lines)
