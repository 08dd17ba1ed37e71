"""Text, JSON and CSV renderings of results (used by the CLI; the library itself never prints)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from . import tables

# C0 and C1 control characters except the line break, DEL, the Unicode line and paragraph separators and the
# bidirectional controls ("Trojan source"): shown escaped, never sent raw to a terminal
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# a spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection); full-width forms too
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def terminal_text(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``, ``\\x07``, ``\\r``, ``\\u202e``), line breaks kept:
    what the tables and error messages print, so that a name cannot move the cursor, ring the bell or reorder the
    line on a terminal.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return _CONTROL.sub(_escape, text)


def _escape(m: re.Match) -> str:
    c = m.group()
    return {"\t": "\\t", "\r": "\\r"}.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def csv_cell(value: Any) -> Any:
    """A text cell made safe for spreadsheets (OWASP CSV injection): text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading single quote, and control characters are escaped as in
    :func:`terminal_text`; numbers (also negative ones) are unchanged.

    Parameters
    ----------
    value : Any

    Returns
    -------
    Any
    """
    if not isinstance(value, str):
        return value
    return "'" + terminal_text(value) if value.startswith(_FORMULA_START) else terminal_text(value)


def table_to_csv(columns: dict[str, Any], index_name: str = "period") -> str:
    """Columns of equal length (name -> values) as CSV text, with a leading 0-based index column named
    ``index_name`` and every text cell passed through :func:`csv_cell` (no pandas needed)."""
    import csv
    import io

    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(index_name)] + [csv_cell(c) for c in names])
    for i in range(n):
        w.writerow([i] + [csv_cell(_plain(columns[c][i])) for c in names])
    return buf.getvalue()


def rows_to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Records as CSV text with a header and no index, every text cell passed through :func:`csv_cell`."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(c) for c in columns])
    for r in rows:
        w.writerow([csv_cell(_plain(r.get(c))) for c in columns])
    return buf.getvalue()


PORTFOLIO_COLUMNS = [tables.Column("name", "sheet", max_width=40), tables.Column("date", "date"),
                     tables.Column("asset.rnpv", "rNPV", tables.money), tables.Column("asset.loa", "LOA", tables.percent),
                     tables.Column("asset.peak_sales", "peak", tables.money, "peak annual sales"),
                     tables.Column("asset.launch_year", "launch", tables.integer),
                     tables.Column("pos.posterior_loa", "LOA post.", tables.percent, "LOA after the readouts"),
                     tables.Column("deal.licensee_npv", "buyer NPV", tables.money),
                     tables.Column("deal.licensor_npv", "seller NPV", tables.money),
                     tables.Column("deal.breakeven_upfront", "b/e upfront", tables.money, "break-even upfront"),
                     tables.Column("error", "error", max_width=60)]


def portfolio_table(rows: list[dict[str, Any]], wide: bool = False) -> str:
    """One row per term sheet (money in each sheet's currency, millions); ``wide``: one block, however wide."""
    return "Portfolio (millions of each sheet's currency)\n" + tables.render(rows, PORTFOLIO_COLUMNS, wide=wide) + "\n"


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (so CSV shows 0.5, not np.float64(0.5))."""
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


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


def to_json_line(doc: dict[str, Any]) -> str:
    """One JSON object on one line (JSON lines), with NaN/inf as null."""
    return json.dumps(_clean(doc), ensure_ascii=False) + "\n"


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(_clean(doc), indent=2, ensure_ascii=False) + "\n"


def _fmt(v: Any) -> str:
    """A value of a key-value block: text as it is, None as n/a, a number as money (callers format
    probabilities, rates and factors themselves with :mod:`iitvalue.tables`)."""
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return tables.money(v)
    return str(v)


def key_values(title: str, rows: list[tuple[str, Any]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    out = [title, "-" * len(title)]
    out += [f"  {k.ljust(width)}  {_fmt(v)}" for k, v in rows]
    return "\n".join(out)


def verdict(result) -> str | None:
    """The verdict block that opens ``iitvalue value`` for a sheet with a deal: the asset's value to each side
    at its own rate, the proposed, break-even and calibrated fair upfronts, and the buyer's NPV and IRR."""
    if result.deal is None:
        return None
    from .analysis.pricing import fair_upfront_rows

    d, cur = result.deal.summary, result.sheet.valuation.currency
    rows = [
        (f"value to {d['licensee']} (buyer, at {tables.percent(d['licensee_discount_rate'])})",
         tables.money(d["asset_rnpv_licensee_view"])),
        (f"value to {d['licensor']} (seller, at {tables.percent(d['licensor_discount_rate'])})",
         tables.money(d["asset_rnpv_licensor_view"])),
        ("proposed upfront", tables.money(d["upfront"])),
        ("break-even upfront (buyer NPV = 0)", tables.money(d["breakeven_upfront"])),
        *fair_upfront_rows(result),
        ("buyer NPV and IRR at the proposed terms",
         f"{tables.money(d['licensee_npv'])}, IRR {tables.percent(d['licensee_irr'])}"),
    ]
    return key_values(f"Verdict ({cur} millions; each side at its own discount rate)", rows)


def value_table(result, wide: bool = False, doc: dict | None = None) -> str:
    """The readable report of ``iitvalue value``: the verdict (with a deal), summary, phases, per-period table
    and notes; fitted to the terminal width, or with ``wide`` every table in one block and no line wrapped."""
    doc = doc if doc is not None else result.to_dict()  # the caller's, when it has built it already
    a = doc["asset"]
    cur = doc["valuation"]["currency"]
    head = verdict(result)
    parts = ([head] if head else []) + [key_values(
        f"{a['name']} — {doc['valuation']['name']} (valued {doc['valuation']['date']}, {cur} millions)",
        [
            ("rNPV (risk-adjusted)", a["rnpv"]),
            ("NPV if every phase succeeds", a["npv_unrisked"]),
            ("LOA (probability of approval)", tables.percent(a["loa"])),
            ("expected approval", f"{a['approval_date']} ({a['approval_time']:.2f} years)"),
            ("first launch", f"{a['launch_date']} ({a['launch_time']:.2f} years)"),
            ("peak annual sales (success path)", tables.money(a["peak_sales"])
             + (f" in the model year starting in {a['peak_sales_year']}" if a["peak_sales_year"] else " (no sales)")),
            ("PV of risk-adjusted R&D", a["pv_rd_risked"]),
            ("PV of risk-adjusted commercial cash flow", a["pv_commercial_risked"]),
            ("discount rate (reference)", tables.percent(doc["valuation"]["discount_rate"])),
        ],
    )]
    if "pos" in doc:
        parts.append(pos_table(doc["pos"]))
    if "deal" in doc:
        parts.append(deal_table(doc["deal"], cur, wide))
    if result.asset.indications:
        parts.append("Indications (one latent class; LOA given that it starts; P(approved) counts the chance that "
                     "it starts)\n" + tables.render(result.asset.indications, INDICATION_COLUMNS, wide=wide))
    if result.asset.phase_rows:
        columns = PHASE_COLUMNS if not result.asset.indications else PHASE_COLUMNS[:1] + [
            tables.Column("indication", "indication", max_width=20)] + PHASE_COLUMNS[1:]
        parts.append("Development plan (P(pass) = P(pass | started); P(start) and P(through) are cumulative)\n"
                     + tables.render(result.asset.phase_rows, columns, wide=wide))
    cf = result.asset.table
    rows = [{k: cf[k][i] for k in cf} for i in range(len(cf["year"]))]
    parts.append(f"Cash flows by period ({cur} millions; fcf is the success path, fcf risk. is "
                 "probability-weighted)\n" + tables.render(rows, CASHFLOW_COLUMNS, wide=wide))
    if result.notes:
        parts.append("Notes\n" + "\n".join(f"  - {n}" for n in result.notes))
    text = "\n\n".join(parts)
    return (text if wide else fit_lines(text)) + "\n"


def screen_text(text: str, wide: bool = False) -> str:
    """A command's text output for the terminal: control characters escaped (:func:`terminal_text`) and every
    line fitted to the terminal width (:func:`fit_lines`), unless ``wide`` (``--wide``)."""
    return terminal_text(text) if wide else fit_lines(terminal_text(text))


def fit_lines(text: str, width: int | None = None) -> str:
    """Wrap every line longer than the terminal width (``COLUMNS``, else 100) at spaces, continuing under its
    own indent plus two; tables are rendered to fit already and stay as they are."""
    import textwrap

    width = width or tables.terminal_width()
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(line, width, subsequent_indent=" " * (lead + 2), break_long_words=True,
                             break_on_hyphens=False) or [line]
    return "\n".join(out)


PHASE_COLUMNS = [tables.Column("name", "phase", max_width=32), tables.Column("kind", "kind"),
                 tables.Column("start", "start", tables.years, "start (years)"),
                 tables.Column("duration", "years", tables.years), tables.Column("cost", "cost", tables.money),
                 tables.Column("p_transition", "P(pass)", tables.percent),
                 tables.Column("p_start", "P(start)", tables.percent),
                 tables.Column("p_cumulative", "P(through)", tables.percent)]
INDICATION_COLUMNS = [tables.Column("name", "indication", max_width=24), tables.Column("line", "line", max_width=16),
                      tables.Column("start", "starts", max_width=34),
                      tables.Column("p_start", "P(start)", tables.percent), tables.Column("loa", "LOA", tables.percent),
                      tables.Column("p_approved", "P(appr.)", tables.percent, "P(approved)"),
                      tables.Column("rnpv", "rNPV", tables.money, "own rNPV, taxed alone"),
                      tables.Column("peak_sales", "peak", tables.money, "peak annual sales, success path")]
CASHFLOW_COLUMNS = [tables.Column("year", "year", tables.integer), tables.Column("phase", "phase", max_width=20),
                    tables.Column("prob_alive", "P(alive)", tables.percent),
                    tables.Column("revenue", "sales", tables.money), tables.Column("cogs", "COGS", tables.money),
                    tables.Column("sga", "SG&A", tables.money), tables.Column("rd", "R&D", tables.money),
                    tables.Column("tax", "tax", tables.money), tables.Column("fcf", "fcf", tables.money),
                    tables.Column("fcf_risked", "fcf risk.", tables.money, "risk-adjusted cash flow"),
                    tables.Column("discount_factor", "DF", tables.factor, "discount factor"),
                    tables.Column("pv_risked", "PV", tables.money, "present value of fcf risk.")]
STRUCTURE_COLUMNS = [tables.Column("name", "payment", max_width=32), tables.Column("amount", "amount", tables.money),
                     tables.Column("pv_buyer", "PV to buyer", tables.money), tables.Column("trigger", "trigger")]
PAYMENT_COLUMNS = [tables.Column("name", "payment", max_width=60), tables.Column("trigger", "trigger", max_width=28),
                   tables.Column("amount", "amount", tables.money), tables.Column("probability", "P(paid)", tables.percent),
                   tables.Column("date", "expected"), tables.Column("pv_licensor", "PV seller", tables.money),
                   tables.Column("pv_licensee", "PV buyer", tables.money)]


def pos_table(p: dict[str, Any]) -> str:
    """The Bayesian update: LOA prior and posterior, Bayes factors, posterior rates, readout value."""
    pct, f4 = tables.percent, tables.factor

    def interval(key: str) -> str:
        return f"{pct(p[key + '_mean'])} [{pct(p[key + '_low'])}, {pct(p[key + '_high'])}]"

    rows = [
        ("class model", p["model"]),
        ("prior LOA", pct(p["prior_loa"])),
        ("posterior LOA", pct(p["posterior_loa"])),
        ("Bayes factor (total = ORR x CR)", f"{p['bayes_factor']:.4g} = {p['bayes_factor_orr']:.4g} x {p['bayes_factor_cr']:.4g}"),
        ("P(active): prior -> posterior", f"{pct(p['prior_class_probability'])} -> {pct(p['posterior_class_probability'])}"),
        ("P(approval | active), P(approval | inactive)", f"{pct(p['p_approval_active'])}, {pct(p['p_approval_inactive'])}"),
        ("non-efficacy success of the phases left, R", pct(p["nonefficacy_success"])),
        ("evidence weight w", "n/a (no readouts)" if p["weight"] is None else f"{p['weight']:.2f}"),
        ("effective patients (w x n)", f"{p['effective_n']:.2f}"),
        ("ORR effective sample size, prior -> posterior", f"{p['prior_ess']:.2f} -> {p['posterior_ess']:.2f}"),
        ("ORR: posterior mean [95% interval]", interval("orr")),
        ("CR share of responders", interval("cr_share")),
        ("CR rate (all patients)", interval("cr_rate")),
    ]
    if p.get("assurance") is not None:
        rows.append(("pivotal assurance", pct(p["assurance"])))
    if "readout_value" in p:
        rows += [("rNPV with prior", p["prior_rnpv"]), ("rNPV with posterior", p["posterior_rnpv"]),
                 ("value of the readout (posterior - prior rNPV)", p["readout_value"])]
    out = key_values("Probability of success from the readouts (docs/method.md section 2)", rows)
    if p.get("readouts"):
        out += "\n  readouts used:" + "".join(
            f"\n    {r['date']} {r['responders']}/{r['n']} responders"
            + (f", {r['complete']} CR/sCR" if r.get("complete") is not None else "")
            + f", weight {r['weight']:g} ({r['source']})" for r in p["readouts"])
    elif "readouts" in p:
        out += "\n  readouts used: none (posterior = prior)"
    if p.get("phases"):
        out += "\n  phase probabilities, prior -> posterior:" + "".join(
            f"\n    {ph['name']}: {tables.percent(ph['prior_probability'])} -> {tables.percent(ph['posterior_probability'])}"
            for ph in p["phases"])
    return out


def deal_table(d: dict[str, Any], currency: str, wide: bool = False) -> str:
    """Party summary and the payment table of a deal."""
    pct = tables.percent
    rows = [
        ("kind", d["kind"]),
        ("licensor (seller), discount rate", f"{d['licensor']}, {pct(d['licensor_discount_rate'])}"),
        ("licensee (buyer), discount rate", f"{d['licensee']}, {pct(d['licensee_discount_rate'])}"),
        ("upfront", d["upfront"]),
        *([("tranches (deferred, non-contingent)", d["tranches_total"])] if d.get("tranches_total") else []),
        *([("net cash of the target (taken over)", d["net_cash"]),
           ("net consideration (upfront + tranches - net cash)", d["net_consideration"])]
          if d.get("net_cash") else []),
        *([("option fee (at closing)", d["option_fee"]), ("exercise fee (at exercise)", d["exercise_fee"]),
           ("option value to the licensee (before its fees)", d["option_value"]),
           ("P(licensee exercises)", pct(d["exercise_probability"]))] if d.get("option_fee") is not None else []),
        ("headline value (upfront + fees + tranches + all milestones)", d["headline_value"]),
        ("risk-adjusted value of payments, licensee view", d["risk_adjusted_value"]),
        ("risk-adjusted value of payments, licensor view", d["risk_adjusted_value_licensor_view"]),
        ("licensor NPV", d["licensor_npv"]),
        ("licensee NPV", d["licensee_npv"]),
        ("licensor gain (NPV - stand-alone value of the asset)", d["licensor_gain"]),
        ("licensee gain (NPV)", d["licensee_gain"]),
        ("licensor share of the gains", pct(d["licensor_share"]) if d["licensor_share"] is not None
         else "n/a: a side does not gain (notes)"),
        ("asset rNPV at the licensee's rate and beliefs", d["asset_rnpv_licensee_view"]),
        ("break-even upfront (licensee NPV = 0)", d["breakeven_upfront"]),
        ("break-even LOA (licensee NPV = 0)", pct(d["breakeven_loa"])),
        ("licensee IRR on expected cash flows", pct(d["licensee_irr"])),
    ]
    out = key_values(f"Deal ({currency} millions; PVs are each party's own, signed: + receives, - pays)", rows)
    return (out + "\n\nPayments (probability and expected date from the buyer's view; PVs at each side's rate)\n"
            + tables.render(d["payments"], PAYMENT_COLUMNS, wide=wide))


def calibration_table(c: dict[str, Any], wide: bool = False) -> str:
    """The fitted parameters with their intervals, the deals (observed, fitted, left out) and the warnings."""
    from .analysis.calibrate import DEAL_COLUMNS

    def shown(k: str, x: float) -> str:  # the premium is money, kappa and the weight are factors
        return tables.money(x) if k == "premium" else tables.factor(x)

    rows = [(k, f"{shown(k, v)}  (95% profile interval {shown(k, c['intervals'][k][0])} to "
                f"{shown(k, c['intervals'][k][1])})" if k in c["intervals"] else f"{shown(k, v)}  (fixed)")
            for k, v in c["params"].items()]
    rows.append(("sum of squares (log upfront)", f"{c['sse']:.3g}"))
    out = key_values("Calibration of the pricing model (docs/method.md section 4)", rows)
    out += "\n  " + c["fit_vs_prediction"]
    out += "\n\nDeals (upfront, millions)\n" + tables.render(c["deals"], DEAL_COLUMNS + [tables.Column("loo_note", "note", max_width=60)], wide=wide)
    if c.get("backtest"):
        out += "\n\n" + backtest_table(c["backtest"], c["combination"], wide)
    if c["warnings"]:
        out += "\n\nWarnings\n" + "\n".join(f"  - {w}" for w in c["warnings"])
    return out + "\n"


def backtest_table(bt: dict[str, Any], comb: dict[str, Any], wide: bool = False) -> str:
    """Each pricing method's and the combination's out-of-sample error (docs/method.md 4.7)."""
    short = {"rnpv": "(a) rNPV split", "regression": "(b) regression", "share": "(b') share regression",
             "benchmark": "(c) stage benchmark"}

    def fmt(m: dict[str, Any]) -> dict[str, Any]:
        return {"mae": m["median_abs_log_error"], "factor": None if m["median_abs_log_error"] is None
                else math.exp(m["median_abs_log_error"]), "cov": m["coverage_80"], "n": m["n_deals"]}

    rows = []
    for m in bt["methods"]:
        rows.append({"method": short[m["method"]], "scheme": "leave-one-out", **fmt(m["loo"]),
                     "weight": 1.0 / comb["variances"][m["method"]]})
        rows.append({"method": "", "scheme": "time-ordered", **fmt(m["time_ordered"]), "weight": None})
    rows.append({"method": "combination", "scheme": "leave-one-out", **fmt(bt["loo"]), "weight": None})
    rows.append({"method": "", "scheme": "time-ordered", **fmt(bt), "weight": None})
    cols = [tables.Column("method", "method"), tables.Column("scheme", "backtest"),
            tables.Column("mae", "median |ln err|", tables.factor), tables.Column("factor", "x", tables.factor),
            tables.Column("cov", "in 80% PI", tables.percent), tables.Column("n", "deals"),
            tables.Column("weight", "1/var", tables.factor)]
    return ("Out-of-sample error of the fair upfront (comparables dataset; docs/method.md 4.7)\n"
            + tables.render(rows, cols, wide=wide))


def price_table(p: dict[str, Any], sheet, wide: bool = False) -> str:
    cur = sheet.valuation.currency
    proposed = p.get("proposed_upfront")
    where = ("inside" if p["low"] <= proposed <= p["high"] else "below" if proposed < p["low"] else "above")
    rows = [
        ("fair upfront (combination of the methods)", p["upfront"]),
        ("80% prediction interval", f"{tables.money(p['low'])} to {tables.money(p['high'])}"),
        ("proposed upfront", f"{tables.money(proposed)}  ({where} the interval)"),
        ("method (a): fair total risk-adjusted consideration (buyer view)", p["total_pv"]),
        ("method (a): buyer value V_b / seller reservation value V_s",
         f"{tables.money(p['v_buyer'])} / {tables.money(p['v_seller'])}"),
        ("method (a): kappa, evidence weight, platform premium",
         f"{tables.factor(p['kappa'])}, {tables.factor(p['weight'])}, {tables.money(p['premium'])}"),
        ("LOA (buyer)", tables.percent(p["loa"])),
        ("basis", p["basis"]),
    ]
    out = key_values(f"Fair price for {sheet.asset.name} ({cur} millions; docs/method.md section 4)", rows)
    out += "\n\n" + football_field(p)
    if p.get("structure"):
        out += "\n\nSuggested structure\n" + tables.render(p["structure"], STRUCTURE_COLUMNS, wide=wide)
        out += f"\n  headline value {tables.money(p['headline_value'])}"
    if p.get("notes"):
        out += "\n\nNotes\n" + "\n".join(f"  - {n}" for n in p["notes"])
    if p.get("warnings"):
        out += "\n\nWarnings\n" + "\n".join(f"  - {w}" for w in p["warnings"])
    return out + "\n"


def football_field(p: dict[str, Any], width: int = 30) -> str:
    """Each method's fair upfront and range and the combination as bars on a log scale (``=`` the range, ``|``
    the price, ``P`` the proposed upfront), with the numbers beside them."""
    short = {"rnpv": "(a) rNPV split", "regression": "(b) regression", "share": "(b') share regression",
             "benchmark": "(c) stage benchmark"}
    items = [(short.get(m["method"], m["method"]), m["upfront"], m["low"], m["high"], m["weight"])
             for m in p["methods"]]
    items.append(("combination", p["upfront"], p["low"], p["high"], None))
    pos = [x for it in items for x in it[1:4] if x is not None and x > 0] + [p["proposed_upfront"]] * (
        p.get("proposed_upfront", 0) > 0)
    lo, hi = math.log(min(pos)), math.log(max(pos))
    span = max(hi - lo, 1e-9)

    def col(x: float) -> int:
        return int(round((math.log(x) - lo) / span * (width - 1))) if x > 0 else 0

    lines = ["Football field (fair upfront by method, log scale; = range, | price, P proposed upfront)"]
    for label, up, a, b, w in items:
        bar = [" "] * width
        if a > 0 and b > 0:
            for k in range(col(a), col(b) + 1):
                bar[k] = "="
        if up > 0:
            bar[col(up)] = "|"
        if p.get("proposed_upfront", 0) > 0:
            bar[col(p["proposed_upfront"])] = "P"
        weight = "" if w is None else f" w {w:.2f}"
        lines.append(f"  {label:<19} [{''.join(bar)}] {tables.money(up):>8} ({tables.money(a)} to "
                     f"{tables.money(b)}){weight}")
    return "\n".join(lines)
