"""pydantic's validation errors turned into one located, readable :class:`Problem` per field."""

from __future__ import annotations

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
    shown = repr(got) if not isinstance(got, dict) else "a table"
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
        return f"{shown} is not allowed; must be {bounds[kind]} {limit}{hint}"
    if kind.startswith("date") or kind == "date_type":
        return f"{shown} is not a date; write a TOML date such as 2025-03-17 (YYYY-MM-DD, no quotes)"
    if kind in ("float_type", "int_type"):
        return f"{shown} is not a number; write a plain number such as 0.12"
    if kind in ("string_type",):
        return f"{shown} is not text; write a quoted string"
    if kind == "bool_type":
        return f"{shown} is not a boolean; write true or false"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return f"{shown} has the wrong shape: {err['msg']}"
    return f"{shown}: {err['msg']}"


def _suggest_literal(got: Any, ctx: dict) -> str:
    if not isinstance(got, str):
        return ""
    options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return suggest(got, options)
