"""Text, JSON and CSV renderings of results (used by the CLI; the library itself never prints)."""

from __future__ import annotations

import json
import math
from typing import Any


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> null, numpy scalars -> Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(_clean(doc), indent=2, ensure_ascii=False) + "\n"


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def key_values(title: str, rows: list[tuple[str, Any]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    out = [title, "-" * len(title)]
    out += [f"  {k.ljust(width)}  {_fmt(v)}" for k, v in rows]
    return "\n".join(out)


def frame(df, columns: list[str] | None = None, floatfmt: str = "{:,.1f}") -> str:
    view = df[columns] if columns else df
    fmts = {}
    for c in view.columns:
        if view[c].dtype.kind == "f":
            small = len(view) and float(view[c].abs().max()) <= 1.0
            fmts[c] = (lambda x, f=("{:.4f}" if small else floatfmt): f.format(x))
    return view.to_string(formatters=fmts)


def value_table(result) -> str:
    """The readable report of ``iitvalue value``: summary, phases, per-period table and notes."""
    doc = result.to_dict()
    a = doc["asset"]
    cur = doc["valuation"]["currency"]
    parts = [key_values(
        f"{a['name']} — {doc['valuation']['name']} (valued {doc['valuation']['date']}, {cur} millions)",
        [
            ("rNPV (risk-adjusted)", a["rnpv"]),
            ("NPV if every phase succeeds", a["npv_unrisked"]),
            ("LOA (probability of approval)", a["loa"]),
            ("expected approval", f"{a['approval_date']} ({a['approval_time']:.2f} years)"),
            ("first launch", f"{a['launch_date']} ({a['launch_time']:.2f} years)"),
            ("peak annual sales (success path)", f"{a['peak_sales']:,.1f} in {a['peak_sales_year']}"),
            ("PV of risk-adjusted R&D", a["pv_rd_risked"]),
            ("PV of risk-adjusted commercial cash flow", a["pv_commercial_risked"]),
            ("discount rate", doc["valuation"]["discount_rate"]),
        ],
    )]
    for extra in getattr(result, "table_sections", lambda: [])():
        parts.append(extra)
    ph = result.phases
    if len(ph):
        parts.append("Development plan (p_transition = P(pass | started); p_start and p_cumulative are cumulative)\n"
                     + frame(ph, ["name", "kind", "start", "duration", "cost", "p_transition", "p_start", "p_cumulative"],
                             "{:,.3f}"))
    cf = result.cashflows
    cols = ["year", "phase", "prob_alive", "revenue", "cogs", "sga", "rd", "tax", "fcf", "fcf_risked",
            "discount_factor", "pv_risked"]
    parts.append(f"Cash flows by period ({cur} millions; fcf is the success path, fcf_risked is probability-weighted)\n"
                 + frame(cf, cols))
    if result.notes:
        parts.append("Notes\n" + "\n".join(f"  - {n}" for n in result.notes))
    return "\n\n".join(parts) + "\n"
