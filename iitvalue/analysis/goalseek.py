"""General goal-seek: the value of one numeric input at which an output of the valuation equals a target."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from scipy.optimize import brentq

from ..errors import InputError, NumericalError, Problem
from ..model.plan import resolve
from ..termsheet import numeric_field, parse_path
from ..termsheet.schema import TermSheet
from ..valuation import value

def solve_field(sheet: TermSheet, path: str, output: str, target: float, bounds: tuple[float, float] | None = None,
                evaluate: Callable[[TermSheet], dict] | None = None) -> dict[str, Any]:
    """The value of numeric field ``path`` at which summary key ``output`` (e.g. ``deal.licensee_npv``) equals
    ``target``, by bracketing on a grid of 41 points over ``bounds`` (to find every sign change) and scipy's
    brentq on the first; each evaluation computes only the output asked for (``Result.value_of``).
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
    summary = value(sheet).summary if evaluate is None else evaluate(sheet)
    if output not in summary.index:
        keys = [k for k in summary.index if isinstance(summary[k], (int, float)) and not isinstance(summary[k], bool)]
        raise InputError(Problem("--target", f"unknown output '{output}'; numeric outputs: {', '.join(keys)}"))
    lo, hi = bounds or _field_bounds(path, float(base))
    if not lo < hi:
        raise InputError(Problem("--low/--high", f"empty range [{lo}, {hi}]"))

    def f(x: float) -> float:
        val = output_of(sheet.replace({path: int(round(x)) if isinstance(base, int) and not isinstance(base, float) else x}))
        return float(val) - target

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
    x = float(brentq(f, grid[i], grid[i + 1], xtol=1e-12, rtol=1e-12)) if vals[i] != 0 else float(grid[i])
    return {"path": path, "value": x, "output": output, "target": target, "base_value": float(base),
            "bounds": [lo, hi], "multiple_roots": len(idx) > 1}


def field_value(sheet: TermSheet, loc: tuple) -> Any:
    node: Any = sheet
    for k in loc:
        try:
            node = node[k] if isinstance(k, int) else getattr(node, k)
        except (IndexError, AttributeError):
            raise InputError(Problem(".".join(map(str, loc)), "no such field in this term sheet")) from None
    return node


def _field_bounds(path: str, base: float) -> tuple[float, float]:
    """A default search range from the field's own bounds in the schema (terms.numeric_field): the whole range
    when both ends are finite, else from the finite end (or 0) to 10 x |value| + 1 beyond it. An open end is
    nudged inside by 1e-9 of the range."""


    _, (lo, lo_in, hi, hi_in) = numeric_field(path)
    span = 10.0 * abs(base) + 1.0
    if not math.isfinite(lo):
        lo, lo_in = min(0.0, base - span) if math.isfinite(hi) else min(0.0, base), True
    if not math.isfinite(hi):
        hi, hi_in = max(lo, base) + span, True
    eps = 1e-9 * (hi - lo)
    return lo + (0.0 if lo_in else eps), hi - (0.0 if hi_in else eps)
