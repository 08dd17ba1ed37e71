"""Dotted field paths (``phases[1].probability``): parsing, reading and setting them in raw dicts, and the
numeric bounds the schema puts on a field. Schema-aware functions take the root model class as an argument so
this module does not depend on the schema module."""

from __future__ import annotations

import math
import re
import tomllib
import typing
from typing import Any

from pydantic import BaseModel

from ..errors import InputError, Problem, suggest
from .lines import nesting_line

Bounds = tuple[float, bool, float, bool]



def numeric_field(path: str, root: type[BaseModel]) -> tuple[tuple, tuple[float, bool, float, bool]]:
    """Check that ``path`` names a numeric field of the schema (indices are not checked here); return its
    location tuple and bounds (low, low inclusive, high, high inclusive). Raises :class:`InputError`."""
    loc = parse_path(path)
    model: type[BaseModel] | None = root
    name = None
    for depth, key in enumerate(loc):
        if isinstance(key, int):
            continue
        here = loc_to_path(loc[:depth]) or "(top level)"
        if model is None or key not in model.model_fields:
            known = sorted(model.model_fields) if model is not None else []
            raise InputError(Problem(path, f"'{key}' is not a field of {here}{suggest(key, known)}; "
                                     f"fields there: {', '.join(known) if known else 'none (a value)'}"))
        if depth == len(loc) - 1:
            name = key
            break
        owner = model
        model, is_list = model_for(owner, key)
        if is_list and not isinstance(loc[depth + 1], int):
            raise InputError(Problem(path, f"'{key}' is a list; name an entry, e.g. {key}[0]"))
    if name is None:
        raise InputError(Problem(path, "names a table or a list entry, not a numeric field"))
    info = model.model_fields[name]
    args = set(typing.get_args(info.annotation)) | {info.annotation}
    if not args & {float, int} or args & {bool}:
        raise InputError(Problem(path, "is not a numeric field; only numbers can be varied"))
    lo, lo_in, hi, hi_in = -math.inf, True, math.inf, True
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_in = float(m.ge), True
        if getattr(m, "gt", None) is not None:
            lo, lo_in = float(m.gt), False
        if getattr(m, "le", None) is not None:
            hi, hi_in = float(m.le), True
        if getattr(m, "lt", None) is not None:
            hi, hi_in = float(m.lt), False
    return loc, (lo, lo_in, hi, hi_in)


def get_path(data: Any, loc: tuple) -> Any:
    """The value at a location tuple in a raw dict, or None when any part is missing."""
    node = data
    for key in loc:
        if isinstance(key, int):
            if not isinstance(node, list) or not 0 <= key < len(node):
                return None
        elif not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def describe_bounds(bounds: tuple[float, bool, float, bool]) -> str:
    lo, lo_in, hi, hi_in = bounds
    parts = []
    if lo > -float("inf"):
        parts.append(f"{'>=' if lo_in else '>'} {lo:g}")
    if hi < float("inf"):
        parts.append(f"{'<=' if hi_in else '<'} {hi:g}")
    return " and ".join(parts) or "any number"


def within(x: float, bounds: tuple[float, bool, float, bool]) -> bool:
    lo, lo_in, hi, hi_in = bounds
    return (x >= lo if lo_in else x > lo) and (x <= hi if hi_in else x < hi)


# parameters each distribution takes (required, optional); low/high are a tornado swing where not listed
_SEG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> tuple:
    """``"phases[1].probability"`` (or ``phases.1.probability``) -> ``("phases", 1, "probability")``."""
    out: list = []
    for part in path.split("."):
        if part.isdigit():
            out.append(int(part))
            continue
        pos = 0
        for m in _SEG.finditer(part):
            if m.start() != pos:
                raise InputError(Problem(path, "not a field path; write it like valuation.discount_rate or phases[0].cost"))
            out.append(m.group(1) if m.group(1) else int(m.group(2)))
            pos = m.end()
        if pos != len(part) or not part:
            raise InputError(Problem(path, "not a field path; write it like valuation.discount_rate or phases[0].cost"))
    return tuple(out)


def loc_to_path(loc: tuple) -> str:
    s = ""
    for x in loc:
        s += f"[{x}]" if isinstance(x, int) else (f".{x}" if s else str(x))
    return s


def model_for(model: type[BaseModel], name: str):
    """The model class (or None for scalars) and whether the field is a list, for field ``name``."""
    ann = model.model_fields[name].annotation
    args = typing.get_args(ann)
    origin = typing.get_origin(ann)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], True
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    for a in args:
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a, False
    return None, origin is list


def set_path(data: dict, path: str, value: Any, root: type[BaseModel]) -> None:
    """Set ``value`` at dotted ``path`` in the raw dict, checking the path against the term-sheet schema."""
    loc = parse_path(path) if isinstance(path, str) else tuple(path)
    model: type[BaseModel] | None = root
    node: Any = data
    for depth, key in enumerate(loc):
        last = depth == len(loc) - 1
        here = loc_to_path(loc[:depth]) or "(top level)"
        if isinstance(key, int):
            if not isinstance(node, list) or not (0 <= key < len(node)):
                n = len(node) if isinstance(node, list) else 0
                raise InputError(Problem(path, f"no entry [{key}] under {here}; it has {n} entries (0-based)"))
            if last:
                node[key] = value
                return
            node = node[key]
            continue
        if model is None or key not in model.model_fields:
            known = sorted(model.model_fields) if model is not None else []
            raise InputError(Problem(path, f"'{key}' is not a field of {here}{suggest(key, known)}; "
                                     f"fields there: {', '.join(known) if known else 'none (a value)'}"))
        sub, is_list = model_for(model, key)
        if last:
            node[key] = value
            return
        if key not in node:
            node[key] = [] if is_list else {}
        node = node[key]
        model = sub if not is_list or isinstance(loc[depth + 1], int) else None


def parse_set_option(text: str) -> tuple[str, Any]:
    """``"valuation.discount_rate=0.12"`` -> ``("valuation.discount_rate", 0.12)``; the value is read as a TOML
    value (numbers, booleans, dates, arrays, quoted strings) and otherwise kept as a bare string."""
    if "=" not in text:
        raise InputError(Problem(text, "--set takes PATH=VALUE, e.g. --set valuation.discount_rate=0.12"))
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if nesting_line(f"v = {raw}") is not None:
        raise InputError(Problem(key, "the value is nested too deeply; a term-sheet value is a number, text, a date "
                                 "or a short list"))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, ValueError):
        value = raw
    return key, value
