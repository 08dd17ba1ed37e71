"""General goal-seek: the value of one numeric input at which an output of the valuation equals a target."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from ..stats.roots import brent

from ..errors import InputError, NumericalError, Problem
from ..model.plan import resolve
from ..termsheet import numeric_field, parse_path
from ..termsheet.schema import TermSheet
from ..valuation import value

def solve_field(sheet: TermSheet, path: str, output: str, target: float, bounds: tuple[float, float] | None = None,
                evaluate: Callable[[TermSheet], dict] | None = None) -> dict[str, Any]:
    """The value of numeric field ``path`` at which summary key ``output`` (e.g. ``deal.licensee_npv``) equals
    ``target``, by bracketing on a grid of 41 points over ``bounds`` (to find every sign change) and Brent's
    method on the first; each evaluation computes only the output asked for (``Result.value_of``), and an asset
    or deal output is checked against its section's summary, not the whole summary (pandas, intervals).
    ``evaluate`` (optional) maps a sheet to a mapping of outputs instead."""
    if evaluate is None:
        def output_of(s: TermSheet) -> float:
            return value(s).value_of(output)
    else:
        def output_of(s: TermSheet) -> float:
            return evaluate(s)[output]
    loc = parse_path(path)
    base = field_value(sheet, loc)
    if base is None and len(loc) == 3 and loc[0] == "phases" and loc[2] in ("duration", "cost", "probability"):

        base = getattr(resolve(sheet).phases[loc[1]], loc[2])  # the benchmark default the valuation uses
    if not isinstance(base, (int, float)) or isinstance(base, bool):
        raise InputError(Problem(path, f"is not a numeric field (its value is {base!r})"))
    if evaluate is None:
        res = value(sheet)
        summary = None if _publishes(res, output) else res.summary
    else:
        summary = evaluate(sheet)
    if summary is not None and output not in summary.index:
        keys = [k for k in summary.index if isinstance(summary[k], (int, float)) and not isinstance(summary[k], bool)]
        raise InputError(Problem("--target", f"unknown output '{output}'; numeric outputs: {', '.join(keys)}"))
    lo, hi = bounds or _field_bounds(path, float(base))
    if not lo < hi:
        raise InputError(Problem("--low/--high", f"empty range [{lo}, {hi}]"))

    def f(x: float) -> float:
        val = output_of(sheet.replace({path: int(round(x)) if isinstance(base, int) and not isinstance(base, float) else x}))
        return float(val) - target

    linear = _linear_root(f, lo, hi, isinstance(base, int) and not isinstance(base, float))
    if linear is not None:  # the output is linear in the input (e.g. the licensee NPV in the upfront)
        return {"path": path, "value": linear, "output": output, "target": target, "base_value": float(base),
                "bounds": [lo, hi], "multiple_roots": False}
    grid = np.linspace(lo, hi, 41)
    vals = []
    first_error: InputError | None = None
    for x in grid:
        try:
            vals.append(f(float(x)))
        except InputError as exc:  # some values of the field are not allowed (e.g. a probability of 0)
            first_error = first_error or exc
            vals.append(np.nan)
    vals = np.array(vals)
    ok = np.isfinite(vals)
    if not ok.any():
        if first_error is not None:
            raise InputError([Problem(path, f"no value in [{lo:g}, {hi:g}] gives a valid term sheet, e.g. "
                                            f"{q.path}: {q.message}") for q in first_error.problems[:1]])
        raise NumericalError(f"{output} could not be evaluated anywhere in [{lo}, {hi}]")
    sign = np.sign(vals)
    idx = [i for i in range(len(grid) - 1) if ok[i] and ok[i + 1] and sign[i] * sign[i + 1] <= 0]
    if not idx:
        reach = (np.nanmin(vals) + target, np.nanmax(vals) + target)
        raise InputError(Problem(path, f"{output} = {target:g} cannot be reached for {path} in [{lo:g}, {hi:g}]: "
                                 f"it ranges over [{reach[0]:,.4g}, {reach[1]:,.4g}] there (widen with --low/--high)"))
    i = idx[0]
    x = brent(f, float(grid[i]), float(grid[i + 1]), xtol=1e-12) if vals[i] != 0 else float(grid[i])
    return {"path": path, "value": x, "output": output, "target": target, "base_value": float(base),
            "bounds": [lo, hi], "multiple_roots": len(idx) > 1}


def _publishes(res, output: str) -> bool:
    """Whether ``output`` is a key of ``res.summary`` for the asset's and the deal's own outputs, read from their
    summaries (the same keys and values ``Result.to_dict`` flattens) without building the whole summary (which
    needs pandas and the posterior intervals); False means: ask the summary."""
    section, _, name = output.partition(".")
    if section in getattr(res, "sections", {}) or not name:
        return False
    if section == "asset":
        found = name in res.asset.summary and name not in ("discount_rate", "currency")
        return found and not isinstance(res.asset.summary[name], (list, dict))
    if section == "deal" and res.deal is not None and name != "payments" and name in res.deal.summary:
        return not isinstance(res.deal.summary[name], (list, dict))
    return False


def _linear_root(f: Callable[[float], float], lo: float, hi: float, integer: bool) -> float | None:
    """The root in closed form when f is linear on [lo, hi] (f at the midpoint is the mean of the ends to 1e-10
    of their scale, and f vanishes at the interpolated root to the same precision); None otherwise."""
    if integer:
        return None
    try:
        f_lo, f_hi, f_mid = f(lo), f(hi), f(0.5 * (lo + hi))
    except InputError:
        return None
    scale = max(abs(f_lo), abs(f_hi), 1e-12)
    if f_lo == f_hi or abs(f_mid - 0.5 * (f_lo + f_hi)) > 1e-10 * scale or f_lo * f_hi > 0:
        return None
    x = lo - f_lo * (hi - lo) / (f_hi - f_lo)
    try:
        return x if abs(f(x)) <= 1e-9 * scale else None
    except InputError:
        return None


def field_value(sheet: TermSheet, loc: tuple) -> Any:
    node: Any = sheet
    for k in loc:
        try:
            node = node[k] if isinstance(k, int) else getattr(node, k)
        except (IndexError, AttributeError):
            raise InputError(Problem(".".join(map(str, loc)), "no such field in this term sheet")) from None
    return node


def _field_bounds(path: str, base: float) -> tuple[float, float]:
    """A default search range from the field's own bounds in the schema (termsheet.numeric_field), capped at
    10 x |value| + 1 beyond the value on a side whose bound is infinite or farther (money fields are bounded only
    by a sanity limit); an open end is nudged inside by 1e-9 of the range."""
    _, (lo, lo_in, hi, hi_in) = numeric_field(path)
    span = 10.0 * abs(base) + 1.0
    if not math.isfinite(lo) or lo < min(0.0, base - span):
        lo, lo_in = min(0.0, base - span) if math.isfinite(hi) else min(0.0, base), True
    if not math.isfinite(hi) or hi > max(lo, base) + span:
        hi, hi_in = max(lo, base) + span, True
    eps = 1e-9 * (hi - lo)
    return lo + (0.0 if lo_in else eps), hi - (0.0 if hi_in else eps)
