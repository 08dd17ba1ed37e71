"""pydantic's validation errors turned into one located, readable :class:`Problem` per field."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, suggest
from .lines import line_for
from .paths import loc_to_path


def problems_from_validation(exc: ValidationError, lines: dict) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and ("[" in x or x in _UNION_TAGS)))
        out.append(Problem(loc_to_path(loc), _message(err), line_for(loc, lines)))
    # a union (e.g. ramp) reports one error per alternative; keep the first per field
    seen, uniq = set(), []
    for p in out:
        if p.path not in seen:
            uniq.append(p)
            seen.add(p.path)
    return uniq


_UNION_TAGS = {"list[float]", "literal['benchmark','linear']", "function-after"}


def _message(err: dict) -> str:
    kind = err["type"]
    got = err.get("input")
    ctx = err.get("ctx", {})
    shown = show(got)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key (value {shown}); see docs/termsheet.md for the allowed keys"
    if kind == "literal_error":
        return f"{shown} is not allowed; expected one of {ctx.get('expected', '')}" + _suggest_literal(got, ctx)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bounds = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
        limit = next(iter(ctx.values()))
        hint = " (rates and probabilities are fractions: 0.10, not 10)" if kind == "less_than_equal" and limit == 1.0 else ""
        if kind == "less_than_equal" and limit >= 1e6:
            hint = " (the largest value allowed; docs/termsheet.md \"Limits\")"
            limit = f"{limit:,.0f}"
        return f"{shown} is not allowed; must be {bounds[kind]} {limit}{hint}"
    if kind == "finite_number":
        return f"{shown} is not allowed; must be a finite number (inf and nan are not numbers of a term sheet)"
    if kind.startswith("date") or kind == "date_type":
        return f"{shown} is not a date; write a TOML date such as 2025-03-17 (YYYY-MM-DD, no quotes)"
    if kind == "int_type" and isinstance(got, float):
        if got.is_integer():
            return f"{shown} is not allowed; a whole number is needed: write {int(got)}, not {shown}"
        return f"{shown} is not allowed; a whole number (a count) is needed, such as 4"
    if kind == "float_type" and isinstance(got, int) and not isinstance(got, bool):
        return f"{shown} is too large to be a number here; see docs/termsheet.md \"Limits\""
    if kind == "int_type":
        return f"{shown} is not a whole number; write an integer such as 4 (no quotes)"
    if kind == "float_type":
        return f"{shown} is not a number; write a plain number such as 0.12"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return (f"is {len(got):,} characters long; at most {limit:,} are allowed (docs/termsheet.md \"Limits\"); "
                "shorten it or move the detail into a comment")
    if kind in ("string_type",):
        return f"{shown} is not text; write a quoted string"
    if kind == "bool_type":
        return f"{shown} is not a boolean; write true or false"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return f"{shown} has the wrong shape: {err['msg']}"
    return f"{shown}: {err['msg']}"


def show(value: Any, limit: int = 60) -> str:
    """A short printable rendering of an input value for a message: a table is "a table", long values are cut.

    Parameters
    ----------
    value : Any
        The value as read from TOML (or given in Python).
    limit : int
        Longest rendering, in characters.

    Returns
    -------
    str
    """
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 30:
        return f"an integer of about {int(abs(value).bit_length() * math.log10(2)) + 1:,} digits"
    if isinstance(value, (list, tuple)) and len(value) > 20:
        return f"a list of {len(value):,} entries"
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return "a deeply nested value"
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text):,} characters)"


def _suggest_literal(got: Any, ctx: dict) -> str:
    if not isinstance(got, str):
        return ""
    options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return suggest(got, options)
