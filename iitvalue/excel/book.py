"""Excel workbook export: the whole model as live formulas, in the manner of the FAST Standard.

``write_workbook(result, path)`` writes four sheets (layout and the formula of every row in ``docs/excel.md``):

* **Inputs** - every term-sheet input on its own row (value, unit, source note), input cells styled and
  validated, defined names for the key inputs; plus the resolved launch-curve table and the class-model
  components of the Bayesian update;
* **Calculations** - scalar blocks (PoS update with GAMMALN beta-binomial Bayes factors, spreading of the
  posterior LOA over the phases, development plan, deal payments) and timeline rows, one column per period and
  one formula per row, implementing docs/method.md sections 1-3;
* **Outputs** - summary, payment table and two native charts;
* **Risk** (when the term sheet has ``[[uncertainty]]`` entries and a :class:`RiskAnalysis` is given) - the
  tornado and the Monte Carlo histogram of the asset's realised NPV, as values computed by Python (labelled so),
  each with a native chart;
* **Checks** - sum checks and the Python engine's results next to the workbook's.

Every formula is written together with its value computed here in Python (a mirror of the formula, row by row),
so that viewers which do not recalculate show the right numbers; the workbook also asks for a full
recalculation on load. Text from the term sheet is always written as text (``write_string``), never as a formula.

The workbook uses the common beliefs (the asset's probabilities) for both parties of a deal; when a party has its
own evidence weight the workbook says so and Checks shows the Python value next to the workbook's.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import catalogue
from ..errors import NumericalError

# ---- layout constants ----------------------------------------------------------------------------------------
FIRST = 4  # first period column on Calculations (E); column D holds opening balances, C scalars and row totals
C_LABEL, C_UNIT, C_VAL = 0, 1, 2
I_LABEL, I_KEY, I_VAL, I_UNIT, I_NOTE = 0, 1, 2, 3, 4  # Inputs columns
SOURCE_SHEET = "iitvalue"  # hidden sheet: the term sheet and the Inputs map, for `iitvalue import`
EXCEL_EPOCH = _dt.date(1899, 12, 30)
CLINICAL = ("preclinical", "phase1", "phase2", "phase3", "pivotal")

FMT = {
    "money": "#,##0.00;[Red]-#,##0.00",
    "pct": "0.00%",
    "prob": "0.0000",
    "factor": "0.000000",
    "years": "0.00",
    "date": "yyyy-mm-dd",
    "int": "0",
    "num": "General",
    "log": "0.000000",
    "year": "0",
}

OUTPUT_NAMES = ("asset_rnpv", "asset_npv_unrisked", "pos_prior_loa", "pos_posterior_loa", "deal_licensor_npv",
                "deal_licensee_npv")


def _serial(d: _dt.date) -> float:
    return float((d - EXCEL_EPOCH).days)


def _col(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _a1(row: int, col: int, absolute: bool = False) -> str:
    return f"${_col(col)}${row + 1}" if absolute else f"{_col(col)}{row + 1}"


@dataclass
class _Ref:
    sheet: str
    row: int
    col: int


_TOKEN = re.compile(r"\{([$#@]?)([A-Za-z0-9_.]+)(<?)\}")


class _Book:
    """Cell registry and writers. Keys name cells ({$key}), timeline rows ({key}) and blocks ({@key})."""

    def __init__(self, path: Path):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                                  "strings_to_urls": False, "nan_inf_to_errors": False})
        self.wb.set_calc_mode("auto")  # XlsxWriter also writes fullCalcOnLoad="1": recalculate on open
        self.ws: dict[str, Any] = {}
        self.row: dict[str, int] = {}
        self.scalar: dict[str, _Ref] = {}
        self.timeline: dict[str, int] = {}  # key -> row on Calculations
        self.blocks: dict[str, tuple[str, int, int, int, int]] = {}
        self.names: dict[str, str] = {}  # key -> defined name used in formulas
        self.defined: list[str] = []
        self.n = 0
        self.timeline_rows: list[int] = []
        f = self.wb.add_format
        base = {"font_name": "Arial", "font_size": 10}
        self.f = {
            "title": f({**base, "bold": True, "font_size": 14}),
            "section": f({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864"}),
            "sub": f({**base, "bold": True, "bottom": 1}),
            "text": f(base),
            "note": f({**base, "italic": True, "font_color": "#595959"}),
            "head": f({**base, "bold": True, "bg_color": "#D9E1F2", "bottom": 1}),
        }
        self._num: dict[tuple[str, str], Any] = {}

    def fmt(self, kind: str, style: str = "calc"):
        key = (kind, style)
        if key not in self._num:
            d: dict[str, Any] = {"font_name": "Arial", "font_size": 10, "num_format": FMT.get(kind, kind)}
            if style == "input":
                d.update(font_color="#0000FF", bg_color="#FFF2CC", border=1, border_color="#BFBFBF")
            elif style == "const":
                d.update(font_color="#7030A0", bg_color="#F2F2F2")
            elif style == "python":
                d.update(font_color="#7F7F7F", italic=True)
            elif style == "out":
                d.update(bold=True, bg_color="#E2EFDA")
            elif style == "struct":
                d.update(font_color="#404040", bg_color="#EDEDED")
            self._num[key] = self.wb.add_format(d)
        return self._num[key]

    def sheet(self, name: str):
        ws = self.wb.add_worksheet(name)
        self.ws[name] = ws
        self.row[name] = 0
        return ws

    # ---- formula templates ----------------------------------------------------------------------------------
    def ref(self, key: str, here: str) -> str:
        if key in self.names:
            return self.names[key]
        r = self.scalar[key]
        a = _a1(r.row, r.col, True)
        return a if r.sheet == here else f"{r.sheet}!{a}"

    def expand(self, tpl: str, here: str, col: int | None = None, row: int | None = None) -> str:
        def sub(m: re.Match) -> str:
            kind, key, prev = m.group(1), m.group(2), m.group(3)
            if key == "OPENCELL":  # this row's opening-balance cell (column D), absolute
                return _a1(row, FIRST - 1, True)
            if kind == "$":
                return self.ref(key, here)
            if kind == "#":
                r = self.timeline[key]
                rng = f"{_a1(r, FIRST, True)}:{_a1(r, FIRST + self.n - 1, True)}"
                return rng if here == "Calculations" else f"Calculations!{rng}"
            if kind == "@":
                sh, r0, c0, r1, c1 = self.blocks[key]
                rng = f"{_a1(r0, c0, True)}:{_a1(r1, c1, True)}"
                return rng if sh == here else f"{sh}!{rng}"
            if key not in self.timeline:
                raise KeyError(f"timeline row '{key}' is not defined (yet)")
            assert col is not None, tpl
            a = _a1(self.timeline[key], col - (1 if prev else 0))
            return a if here == "Calculations" else f"Calculations!{a}"

        return "=" + _TOKEN.sub(sub, tpl)

    # ---- writers --------------------------------------------------------------------------------------------
    def put_text(self, sheet: str, row: int, col: int, text: Any, fmt=None) -> None:
        self.ws[sheet].write_string(row, col, "" if text is None else str(text), fmt or self.f["text"])

    def put_value(self, sheet: str, row: int, col: int, value: Any, kind: str, style: str) -> None:
        ws = self.ws[sheet]
        fm = self.fmt(kind, style)
        if value is None:
            ws.write_blank(row, col, None, fm)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fm)
        elif isinstance(value, _dt.date):
            ws.write_number(row, col, _serial(value), self.fmt("date", style))
        else:
            v = float(value)
            if not math.isfinite(v):
                raise NumericalError(f"non-finite value {v} for {sheet}!{_a1(row, col)}")
            ws.write_number(row, col, v, fm)

    def put_formula(self, sheet: str, row: int, col: int, formula: str, value: Any, kind: str,
                    style: str = "calc") -> None:
        if isinstance(value, str):
            cached: Any = value
        else:
            v = float(value)
            if not math.isfinite(v):
                raise NumericalError(f"non-finite cached value {v} for {sheet}!{_a1(row, col)}: {formula}")
            cached = v
        self.ws[sheet].write_formula(row, col, formula, self.fmt(kind, style), cached)

    def name(self, key: str, name: str) -> None:
        r = self.scalar[key]
        self.define(name, r)
        self.names[key] = name

    def define(self, name: str, r: _Ref) -> None:
        self.wb.define_name(name, f"={r.sheet}!{_a1(r.row, r.col, True)}")
        self.defined.append(name)


class _Writer:
    """Lays out one valuation result. Values computed here mirror each formula (the cached values)."""

    def __init__(self, result, path: Path, risk: "RiskAnalysis | None" = None):
        from ..model import pos as P
        from ..model.plan import resolve
        from ..termsheet.schema import Pos

        self.r = result
        self.risk = risk
        self.input_map: list[tuple[int, str, str, Any, str]] = []  # (row, key, kind, value, style) of Inputs rows
        self.sheet_ = result.sheet
        self.b = _Book(path)
        self.P = P
        s = self.sheet_
        self.plan0 = resolve(s)  # untransported prior plan: the PoS update's prior
        self.has_pos = result.pos is not None
        self.cfg = s.pos or Pos()
        self.plan = result.asset.plan
        self.dt = self.plan.dt
        self.N = self.plan.n_periods
        self.b.n = self.N
        self.J = len(self.plan0.phases)
        self.M = len(self.plan0.territories)
        self.V: dict[str, Any] = {}
        self.notes: list[str] = []
        self.deal = s.deal
        self.summary = result.summary  # computed once: it includes quadratures
        self.own_beliefs = bool(self.deal is not None and self.has_pos and any(
            party.iit_weight is not None or party.registrational_weight is not None
            for party in (self.deal.licensor, self.deal.licensee)))

    # ---- small helpers --------------------------------------------------------------------------------------
    def inp(self, key: str | None, label: str, path: str, value: Any, unit: str, note: str, kind: str = "num",
            validate: dict | None = None, name: str | None = None, style: str = "input") -> int:
        b, sh = self.b, "Inputs"
        row = b.row[sh]
        self.input_map.append((row, path, kind, value, style))
        b.put_text(sh, row, I_LABEL, label)
        b.put_text(sh, row, I_KEY, path, b.f["note"])
        if isinstance(value, str):
            b.put_text(sh, row, I_VAL, value, b.fmt("num", "struct" if style == "struct" else "input"))
        else:
            b.put_value(sh, row, I_VAL, value, kind, style)
        b.put_text(sh, row, I_UNIT, unit)
        b.put_text(sh, row, I_NOTE, note, b.f["note"])
        if validate and style == "input":
            opts = {k: v for k, v in validate.items() if k != "msg"}
            opts.update(error_title="iitvalue", error_message=validate["msg"])
            b.ws[sh].data_validation(row, I_VAL, row, I_VAL, opts)
        if key is not None:
            b.scalar[key] = _Ref(sh, row, I_VAL)
            self.V[key] = value
            if name:
                b.name(key, name)
        b.row[sh] += 1
        return row

    def section(self, sheet: str, title: str, width: int = 6) -> None:
        b = self.b
        row = b.row[sheet] + (1 if b.row[sheet] > 2 else 0)
        for c in range(width):
            b.put_text(sheet, row, c, title if c == 0 else "", b.f["section"])
        b.row[sheet] = row + 1

    def sc(self, key: str, label: str, unit: str, tpl: str, value: Any, kind: str = "num", note: str = "") -> int:
        """A scalar calculation on Calculations (value in column C)."""
        b, sh = self.b, "Calculations"
        row = b.row[sh]
        b.put_text(sh, row, C_LABEL, label)
        b.put_text(sh, row, C_UNIT, unit)
        b.scalar[key] = _Ref(sh, row, C_VAL)
        b.put_formula(sh, row, C_VAL, b.expand(tpl, sh), value, kind)
        if note:
            b.put_text(sh, row, FIRST, note, b.f["note"])
        self.V[key] = value
        b.row[sh] += 1
        return row

    def sc_const(self, key: str, label: str, unit: str, value: Any, kind: str = "num", note: str = "") -> int:
        b, sh = self.b, "Calculations"
        row = b.row[sh]
        b.put_text(sh, row, C_LABEL, label)
        b.put_text(sh, row, C_UNIT, unit)
        b.scalar[key] = _Ref(sh, row, C_VAL)
        b.put_value(sh, row, C_VAL, value, kind, "const")
        if note:
            b.put_text(sh, row, FIRST, note, b.f["note"])
        self.V[key] = value
        b.row[sh] += 1
        return row

    def tr(self, key: str, label: str, unit: str, tpl: str, values: np.ndarray, kind: str = "money",
           total: bool = False, opening: float | None = None) -> int:
        """A timeline row: the same formula in every period column."""
        b, sh = self.b, "Calculations"
        row = b.row[sh]
        values = np.asarray(values, dtype=float)
        assert values.shape == (self.N,), (key, values.shape)
        b.timeline[key] = row
        b.timeline_rows.append(row)
        b.put_text(sh, row, C_LABEL, label)
        b.put_text(sh, row, C_UNIT, unit)
        for k in range(self.N):
            b.put_formula(sh, row, FIRST + k, b.expand(tpl, sh, FIRST + k, row), values[k], kind)
        if total:
            b.put_formula(sh, row, C_VAL, f"=SUM({_a1(row, FIRST)}:{_a1(row, FIRST + self.N - 1)})",
                          float(values.sum()), kind)
            b.scalar[f"{key}_total"] = _Ref(sh, row, C_VAL)
            self.V[f"{key}_total"] = float(values.sum())
        if opening is not None:
            b.put_value(sh, row, FIRST - 1, opening, kind, "const")
        self.V[key] = values
        b.row[sh] += 1
        return row

    def year_totals(self, x: np.ndarray) -> np.ndarray:
        """Each period's value of the sum over its model year (what SUMIF on the model-year row gives)."""
        y = self.V["yidx"]
        return np.array([x[y == v].sum() for v in y])

    def block(self, key: str, sheet: str, first_row: int, last_row: int, col: int) -> None:
        self.b.blocks[key] = (sheet, first_row, col, last_row, col)

    # ---- the workbook ---------------------------------------------------------------------------------------
    def write(self) -> None:
        b = self.b
        for name in ("Inputs", "Calculations", "Outputs") + (("Risk",) if self.risk else ()) + ("Checks",):
            b.sheet(name)
        self.write_inputs()
        self.write_calculations()
        self.write_outputs()
        if self.risk:
            self.write_risk()
        self.write_checks()
        self.finish_sheets()
        self.write_source()
        b.wb.close()

    def write_source(self) -> None:
        """A hidden sheet that lets ``iitvalue import`` rebuild the term sheet: the term sheet as TOML (column A, one
        line a row) and, for each Inputs row, its term-sheet key, kind, style and the value exported (columns C-G)."""
        import tomli_w

        ws = self.b.wb.add_worksheet(SOURCE_SHEET)
        ws.hide()
        ws.write_string(0, 0, "term sheet (TOML), read by `iitvalue import`; do not edit")
        for i, line in enumerate(tomli_w.dumps(self.sheet_.to_dict()).splitlines(), start=1):
            ws.write_string(i, 0, line)
        for c, h in enumerate(("Inputs row", "term-sheet key", "kind", "style", "value exported")):
            ws.write_string(0, 2 + c, h)
        for i, (row, path, kind, value, style) in enumerate(self.input_map, start=1):
            ws.write_number(i, 2, row + 1)
            ws.write_string(i, 3, path)
            ws.write_string(i, 4, kind)
            ws.write_string(i, 5, style)
            if isinstance(value, str):
                ws.write_string(i, 6, value)
            elif isinstance(value, _dt.date):
                ws.write_string(i, 6, value.isoformat())
            elif value is not None:
                ws.write_number(i, 6, float(value))

    # ============================================================================================ Inputs
    def write_inputs(self) -> None:
        b, s = self.b, self.sheet_
        ws = b.ws["Inputs"]
        b.put_text("Inputs", 0, 0, f"Inputs - {s.valuation.name}", b.f["title"])
        b.put_text("Inputs", 1, 0, "Blue cells on yellow are inputs: change them and the workbook recalculates. "
                                   "Grey cells are structural (they shape the layout: change them in the term sheet "
                                   "and export again). Money in millions of the currency, time in years, rates as "
                                   "fractions.",
                   b.f["note"])
        for c, h in enumerate(("input", "term-sheet key", "value", "unit", "source / note")):
            b.put_text("Inputs", 2, c, h, b.f["head"])
        b.row["Inputs"] = 3
        prob = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                "msg": "a probability or share: a fraction between 0 and 1 (0.10, not 10)"}
        weight = {"validate": "decimal", "criteria": "between", "minimum": 1e-9, "maximum": 1,
                  "msg": "an evidence weight in (0, 1]"}
        nonneg = {"validate": "decimal", "criteria": ">=", "value": 0, "msg": "must be >= 0"}
        count = {"validate": "integer", "criteria": ">=", "value": 0, "msg": "a count of patients (whole number >= 0)"}
        flag = {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 1, "msg": "1 (yes) or 0 (no)"}
        self.val_prob, self.val_nonneg = prob, nonneg

        def src(model, field: str) -> str:
            return "term sheet" if field in model.model_fields_set else "default (docs/termsheet.md)"

        v = s.valuation
        self.section("Inputs", "Valuation")
        self.inp(None, "Name", "valuation.name", v.name, "", "term sheet")
        self.inp("vdate", "Valuation date (t = 0)", "valuation.date", v.date, "date", "term sheet", kind="date",
                 name="valuation_date")
        self.inp(None, "Currency", "valuation.currency", v.currency, "", "money in millions of it")
        self.inp("r", "Discount rate", "valuation.discount_rate", v.discount_rate, "per year", src(v, "discount_rate"),
                 "pct", prob, name="discount_rate")
        self.inp("horizon", "Horizon", "valuation.horizon_years", v.horizon_years, "years",
                 "structural: sets the number of period columns", "years", style="struct")
        self.inp(None, "Period", "valuation.period", v.period, "", "structural: annual or quarterly columns",
                 style="struct")
        self.inp("dt", "Period length", "(from valuation.period)", self.dt, "years", "structural", "years",
                 style="struct")
        self.inp("mid", "Mid-period discounting (1 = yes, 0 = end of period)", "valuation.mid_period",
                 1 if v.mid_period else 0, "flag", src(v, "mid_period"), "int", flag)
        self.inp("tau", "Tax rate", "valuation.tax_rate", v.tax_rate, "fraction", src(v, "tax_rate"), "pct", prob,
                 name="tax_rate")
        self.inp("cf", "Tax loss carry-forward (1 = yes, 0 = no)", "valuation.tax_loss_carryforward",
                 1 if v.tax_loss_carryforward else 0, "flag", src(v, "tax_loss_carryforward"), "int", flag)

        self.section("Inputs", "Constants (not term-sheet inputs)")
        self.inp("half", "Mid-point of a period, as a fraction of its length", "", 0.5, "fraction",
                 "docs/method.md 1 (timeline)", style="const")
        self.inp("dpy", "Days per year", "", 365.25, "days", "dates to years (iitvalue.units.YEAR_DAYS)", style="const")
        self.inp("mpy", "Months per year", "", 12, "months", "period start dates", style="const")
        self.inp("tol", "Relative tolerance of a sales threshold", "", 1e-12, "fraction",
                 "iitvalue.deal: reached when annual sales >= threshold x (1 - tolerance)", style="const")
        self.inp("tolm", "Tolerance for whole months in a date", "", 1e-9, "months", "iitvalue.rnpv.add_years",
                 style="const")
        self.inp("tolp", "Tolerance on a payment's time (horizon, signing)", "", 1e-9, "years",
                 "iitvalue.termsheet.triggers", style="const")

        a = s.asset
        self.section("Inputs", "Asset")
        for f, lab in (("name", "Asset"), ("modality", "Modality"), ("indication", "Indication"),
                       ("therapeutic_area", "Therapeutic area"), ("stage", "Stage"), ("benchmark", "Benchmark row")):
            self.inp(None, lab, f"asset.{f}", getattr(a, f) or "", "", "term sheet" if f in a.model_fields_set
                     else "not given")

        self.section("Inputs", "Development phases (remaining, back to back)")
        for j, (ph, pp) in enumerate(zip(s.phases, self.plan0.phases)):
            pre = f"phases[{j}]"
            self.inp(f"ph_name{j}", f"Phase {j + 1}: name", f"{pre}.name", ph.name, "", "term sheet")
            self.inp(f"ph_kind{j}", f"Phase {j + 1}: kind", f"{pre}.kind", ph.kind, "",
                     "structural: decides which phases absorb the readout (clinical) and review", style="struct")
            self.inp(f"d{j}", f"Phase {j + 1}: duration", f"{pre}.duration", pp.duration, "years",
                     pp.sources["duration"], "years", nonneg)
            self.inp(f"C{j}", f"Phase {j + 1}: cost", f"{pre}.cost", pp.cost, "millions", pp.sources["cost"], "money",
                     nonneg)
            self.inp(f"p{j}", f"Phase {j + 1}: transition probability P(pass | started), prior",
                     f"{pre}.probability", pp.probability, "fraction", pp.sources["probability"], "prob", prob,
                     name=f"p_phase_{j + 1}")
            if ph.cost_profile and len(ph.cost_profile) > 1:
                for q, w in enumerate(ph.cost_profile):
                    self.inp(f"w{j}_{q}", f"Phase {j + 1}: cost weight of slice {q + 1} of {len(ph.cost_profile)}",
                             f"{pre}.cost_profile[{q}]", w, "weight", "term sheet (normalised to sum 1)", "num", nonneg)

        c = s.costs
        self.section("Inputs", "Operating costs (defaults for every territory)")
        cost_fields = (("cogs_fraction", "COGS", "fraction of sales", "pct", prob),
                       ("cogs_per_patient", "COGS per treated patient", "millions per patient", "money", nonneg),
                       ("sga_fraction", "SG&A", "fraction of sales", "pct", prob),
                       ("sga_fixed", "Fixed SG&A per territory on the market", "millions per year", "money", nonneg),
                       ("launch_cost", "Launch cost per territory (first year on the market)", "millions", "money",
                        nonneg))
        for f, lab, unit, kind, val in cost_fields:
            self.inp(f"costs_{f}", lab, f"costs.{f}", getattr(c, f), unit, src(c, f), kind, val)

        self.section("Inputs", "Territories")
        for m, (t, pt) in enumerate(zip(s.territories, self.plan0.territories)):
            pre = f"territories[{m}]"
            self.inp(f"t_name{m}", f"Territory {m + 1}: name", f"{pre}.name", t.name, "", "term sheet")
            self.inp(f"lag{m}", f"{t.name}: launch lag after approval", f"{pre}.launch_lag", t.launch_lag, "years",
                     src(t, "launch_lag"), "years", nonneg)
            if t.peak_sales is not None:
                self.inp(f"peak_in{m}", f"{t.name}: peak annual net sales", f"{pre}.peak_sales", t.peak_sales,
                         "millions per year", "term sheet (valuation-date money)", "money", nonneg,
                         name=f"peak_sales_{m + 1}")
            else:
                self.inp(f"patients{m}", f"{t.name}: eligible patients per year", f"{pre}.patients", t.patients,
                         "patients", "term sheet", "int", nonneg)
                self.inp(f"share{m}", f"{t.name}: treated share at peak", f"{pre}.treated_share", t.treated_share,
                         "fraction", "term sheet", "pct", prob, name=f"treated_share_{m + 1}")
            self.inp(f"np{m}", f"{t.name}: net price per patient", f"{pre}.net_price", t.net_price, "millions",
                     "term sheet" if t.net_price is not None else "not given (needed only with COGS per patient)",
                     "money", nonneg)
            self.inp(None, f"{t.name}: years to peak", f"{pre}.years_to_peak", t.years_to_peak, "years",
                     "structural: shapes the launch-curve table below", "years", style="struct")
            self.inp(None, f"{t.name}: launch curve", f"{pre}.ramp",
                     t.ramp if isinstance(t.ramp, str) else "list (see the launch-curve table)", "",
                     "structural: shapes the launch-curve table below", style="struct")
            if t.exclusivity_end is not None:
                self.inp(f"xend{m}", f"{t.name}: exclusivity end", f"{pre}.exclusivity_end", t.exclusivity_end, "date",
                         "term sheet", "date")
            else:
                self.inp(f"xyrs{m}", f"{t.name}: exclusivity after launch", f"{pre}.exclusivity_years",
                         t.exclusivity_years, "years", "term sheet", "years", nonneg)
            self.inp(f"ero{m}", f"{t.name}: erosion per year after exclusivity", f"{pre}.erosion", t.erosion,
                     "fraction per year", src(t, "erosion"), "pct", prob)
            self.inp(f"g{m}", f"{t.name}: annual net price change", f"{pre}.price_change", t.price_change,
                     "fraction per year", src(t, "price_change"), "pct")
            for f, lab, unit, kind, val in cost_fields:
                if getattr(t, f) is not None:
                    self.inp(f"{f}_own{m}", f"{t.name}: {lab}", f"{pre}.{f}", getattr(t, f), unit,
                             "term sheet (overrides [costs])", kind, val)

        # the resolved launch curve: share of peak by launch year, one column per territory
        self.section("Inputs", "Launch curve: share of peak sales in launch year y (resolved, editable)", 4 + self.M)
        row = b.row["Inputs"]
        b.put_text("Inputs", row, 0, "launch year y", b.f["head"])
        b.put_text("Inputs", row, 1, "", b.f["head"])
        for m, t in enumerate(s.territories):
            b.put_text("Inputs", row, 2 + m, t.name, b.f["head"])
        notes = []
        for t in s.territories:
            if isinstance(t.ramp, list):
                notes.append(f"{t.name}: the term sheet's list, then 1.0")
            elif t.ramp == "linear":
                notes.append(f"{t.name}: linear, min(1, y / {t.years_to_peak:g})")
            else:
                notes.append(f"{t.name}: Robey & David 2017 curve stretched to {t.years_to_peak:g} years to peak")
        b.put_text("Inputs", row, 2 + self.M, "; ".join(notes), b.f["note"])
        Y = len(self.plan0.territories[0].ramp) if self.M else 0
        self.Y = Y
        first = row + 1
        for y in range(Y):
            rr = first + y
            b.put_value("Inputs", rr, 0, y + 1, "int", "struct")
            for m, pt in enumerate(self.plan0.territories):
                b.put_value("Inputs", rr, 2 + m, pt.ramp[y], "pct", "input")
        if Y:
            ws.data_validation(first, 2, first + Y - 1, 1 + self.M, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                "error_message": "a share of peak sales between 0 and 1"})
        self.block("years", "Inputs", first, first + Y - 1, 0)
        for m in range(self.M):
            self.block(f"u{m}", "Inputs", first, first + Y - 1, 2 + m)
        b.row["Inputs"] = first + Y

        if self.has_pos or s.readouts:
            self.write_pos_inputs(prob, weight, count)
        if self.deal is not None:
            self.write_deal_inputs(prob, nonneg)

    def write_pos_inputs(self, prob, weight, count) -> None:
        s, P, cfg = self.sheet_, self.P, self.cfg
        src = (lambda f: "term sheet" if s.pos is not None and f in s.pos.model_fields_set
               else "default (docs/method.md 2.5)")
        self.section("Inputs", "Readouts (IIT and registrational)")
        used = self.used_readouts()
        for i, rd in enumerate(s.readouts):
            pre = f"readouts[{i}]"
            tag = f"Readout {i + 1}"
            is_used = i in used
            self.inp(None, f"{tag}: source", f"{pre}.source", rd.source, "", "term sheet")
            self.inp(None, f"{tag}: used in this valuation", "(pos.readout)",
                     "yes" if is_used else "no (later than the valuation date, or superseded in its trial)", "",
                     "structural: chosen by pos.readout (docs/method.md 2.10)", style="struct")
            self.inp(None, f"{tag}: date", f"{pre}.date", rd.date, "date", "term sheet", "date", style="struct")
            self.inp(None, f"{tag}: trial", f"{pre}.trial", rd.trial, "", "term sheet")
            self.inp(None, f"{tag}: design", f"{pre}.design", rd.design, "",
                     "structural: decides the default evidence weight", style="struct")
            self.inp(f"rd_n{i}", f"{tag}: evaluable patients n", f"{pre}.n", rd.n, "patients", "term sheet", "int",
                     count)
            self.inp(f"rd_r{i}", f"{tag}: responders", f"{pre}.responders", rd.responders, "patients", "term sheet",
                     "int", count, name=f"responders_{i + 1}")
            if rd.complete is not None:
                self.inp(f"rd_c{i}", f"{tag}: complete responses (CR/sCR)", f"{pre}.complete", rd.complete, "patients",
                         "term sheet", "int", count)
                if rd.complete_n is not None:
                    self.inp(f"rd_cn{i}", f"{tag}: patients evaluable for CR", f"{pre}.complete_n", rd.complete_n,
                             "patients", "term sheet", "int", count)
            if rd.weight is not None:
                self.inp(f"rd_w{i}", f"{tag}: evidence weight (own)", f"{pre}.weight", rd.weight, "fraction",
                         "term sheet (overrides pos.*_weight)", "prob", weight)
        model, note = catalogue.find_model(s.asset.indication, s.asset.modality, s.asset.therapeutic_area, cfg.model)
        self.model, self.model_note = model, note
        self.section("Inputs", "Probability of success (docs/method.md section 2)")
        self.inp(None, "Class model", "pos.model", model.key, "", note)
        self.inp("iitw", "Evidence weight of an IIT readout", "pos.iit_weight", cfg.iit_weight, "fraction",
                 src("iit_weight"), "prob", weight, name="iit_weight")
        self.inp("regw", "Evidence weight of a registrational readout", "pos.registrational_weight",
                 cfg.registrational_weight, "fraction", src("registrational_weight"), "prob", weight,
                 name="registrational_weight")
        qa = model.p_approval_active if cfg.p_approval_active is None else cfg.p_approval_active
        qi = model.p_approval_inactive if cfg.p_approval_inactive is None else cfg.p_approval_inactive
        self.inp("qa", "P(approval | active)", "pos.p_approval_active", qa, "fraction",
                 "term sheet" if cfg.p_approval_active is not None else f"class model '{model.key}'", "prob", prob)
        self.inp("qi", "P(approval | inactive)", "pos.p_approval_inactive", qi, "fraction",
                 "term sheet" if cfg.p_approval_inactive is not None else f"class model '{model.key}'", "prob", prob)
        self.inp(None, "Readouts used", "pos.readout", cfg.readout, "", "structural", style="struct")
        if cfg.transportability is not None:
            t = cfg.transportability
            self.inp("tr_f", "Transportability: review probability factor", "pos.transportability.regulatory_factor",
                     t.regulatory_factor, "factor", "term sheet (docs/method.md 2.9)", "prob", prob)
            self.inp("tr_d", "Transportability: extra review time", "pos.transportability.delay_years", t.delay_years,
                     "years", "term sheet", "years", self.val_nonneg)
        if cfg.pivotal is not None:
            pv = cfg.pivotal
            for f, unit in (("n", "patients"), ("threshold", "ORR"), ("level", "fraction"), ("rule", "")):
                self.inp(None, f"Planned pivotal study: {f}", f"pos.pivotal.{f}", getattr(pv, f), unit,
                         "used by the assurance (computed by iitvalue, shown on Outputs)", style="struct")
        # class-model components: (weight, a, b) per class and endpoint
        self.section("Inputs", f"Class model '{model.key}': beta-mixture components (weight, a, b)", 6)
        row = self.b.row["Inputs"]
        for c, h in enumerate(("class / endpoint / component", "", "weight", "a", "b", "source")):
            self.b.put_text("Inputs", row, c, h, self.b.f["head"])
        row += 1
        labels = {}
        for comp in model.components:
            labels.setdefault((comp["class"], "orr"), []).append(comp["label"])
            if comp["cr_mean"] is not None:
                labels.setdefault((comp["class"], "cr"), []).append(comp["label"])
        self.mix = {}
        for cls in ("active", "inactive"):
            for ep in ("orr", "cr"):
                mix = getattr(model, f"{ep}_{cls}")
                names = labels.get((cls, ep), [])
                rows = []
                for k in range(mix.n_components):
                    lab = names[k] if k < len(names) else "uniform Beta(1, 1): no class information"
                    self.b.put_text("Inputs", row, 0, f"{cls} / {ep.upper()} / {lab}")
                    for c, val in ((2, mix.weights[k]), (3, mix.a[k]), (4, mix.b[k])):
                        self.b.put_value("Inputs", row, c, float(val), "factor", "input")
                        self.b.scalar[f"mix_{cls}_{ep}_{k}_{c}"] = _Ref("Inputs", row, c)
                    self.b.put_text("Inputs", row, 5, "iitvalue/data/pos_components.csv, pos_models.csv (mean x ESS)",
                                    self.b.f["note"])
                    rows.append(row)
                    row += 1
                self.mix[(cls, ep)] = (mix, rows)
        self.b.row["Inputs"] = row

    def write_deal_inputs(self, prob, nonneg) -> None:
        from ..deal.payments import describe

        d = self.deal
        self.section("Inputs", "Deal (docs/method.md section 3)")
        self.inp(None, "Kind", "deal.kind", d.kind, "", "term sheet")
        self.inp("deal_date", "Deal date", "deal.date", d.date, "date", "term sheet", "date")
        if d.closing is not None:
            self.inp("closing", "Closing (upfront paid)", "deal.closing", d.closing, "date", "term sheet", "date")
        self.inp("upfront", "Upfront", "deal.upfront", d.upfront, "millions", "term sheet", "money", nonneg,
                 name="upfront")
        self.inp(None, "Of which equity premium", "deal.equity_premium", d.equity_premium, "millions",
                 "shown only", "money", style="struct")
        self.inp("lcs", "Licensor's share of development costs after the deal", "deal.licensor_cost_share",
                 d.licensor_cost_share, "fraction", "term sheet" if "licensor_cost_share" in d.model_fields_set
                 else "default", "pct", prob)
        for role in ("licensor", "licensee"):
            p = getattr(d, role)
            self.inp(None, f"{role.capitalize()}", f"deal.{role}.name", p.name, "", "term sheet")
            self.inp(f"rate_{role}", f"{role.capitalize()}: discount rate", f"deal.{role}.discount_rate",
                     p.discount_rate, "per year", "term sheet", "pct", prob, name=f"{role}_discount_rate")
            for f in ("iit_weight", "registrational_weight"):
                if getattr(p, f) is not None:
                    self.inp(None, f"{role.capitalize()}: own {f.replace('_', ' ')}", f"deal.{role}.{f}",
                             getattr(p, f), "fraction",
                             "shown only: the workbook uses the common beliefs (see Checks)", "prob", style="struct")
        # milestones and pools, expanded one payment per row
        self.payments = []
        for i, ms in enumerate(d.milestones):
            pre = f"deal.milestones[{i}]"
            key = f"pay{len(self.payments)}"
            self.inp(None, f"Milestone: {ms.name}", f"{pre}.name", ms.name, "", ms.source or "term sheet")
            self.inp(key + "_amt", f"{ms.name}: amount", f"{pre}.amount", ms.amount, "millions", "term sheet", "money",
                     nonneg)
            self.inp(None, f"{ms.name}: trigger", f"{pre}.trigger", describe(ms.trigger), "", "structural",
                     style="struct")
            self.trigger_inputs(key, ms.trigger, pre + ".trigger")
            self.payments.append({"key": key, "name": ms.name, "category": ms.category, "trigger": ms.trigger,
                                  "label": describe(ms.trigger), "amount_tpl": "{$" + key + "_amt}",
                                  "amount": ms.amount})
        for i, pool in enumerate(d.pools):
            pre = f"deal.pools[{i}]"
            self.inp(None, f"Pool: {pool.name}", f"{pre}.name", pool.name, "", pool.source or "term sheet")
            self.inp(f"pool{i}", f"{pool.name}: total", f"{pre}.amount", pool.amount, "millions", "term sheet", "money",
                     nonneg)
            k = len(pool.triggers)
            shares = pool.shares or [1.0 / k] * k
            for q, (trig, sh) in enumerate(zip(pool.triggers, shares)):
                key = f"pay{len(self.payments)}"
                self.inp(key + "_share", f"{pool.name}: share for {describe(trig)}", f"{pre}.shares[{q}]", sh,
                         "fraction", "term sheet" if pool.shares else "equal split (default rule, docs/method.md 3.2)",
                         "pct", prob)
                self.trigger_inputs(key, trig, f"{pre}.triggers[{q}]")
                self.payments.append({"key": key, "name": f"{pool.name}: {describe(trig)}", "category": pool.category,
                                      "trigger": trig, "label": describe(trig),
                                      "amount_tpl": "{$pool%d}*{$%s_share}" % (i, key), "amount": pool.amount * sh})
        for i, roy in enumerate(d.royalties):
            pre = f"deal.royalties[{i}]"
            self.inp(None, f"Royalty {i + 1}: territories", f"{pre}.territories", ", ".join(roy.territories), "",
                     "structural", style="struct")
            for q, tier in enumerate(roy.tiers):
                self.inp(f"roy{i}_lo{q}", f"Royalty {i + 1}: tier {q + 1} applies above", f"{pre}.tiers[{q}].above",
                         tier.above, "millions per year", "term sheet (marginal tiers)", "money", nonneg)
                self.inp(f"roy{i}_rate{q}", f"Royalty {i + 1}: tier {q + 1} rate", f"{pre}.tiers[{q}].rate", tier.rate,
                         "fraction of sales", "term sheet", "pct", prob)
            self.inp(f"roy{i}_step", f"Royalty {i + 1}: step-down after exclusivity", f"{pre}.step_down",
                     roy.step_down, "fraction", "term sheet" if "step_down" in roy.model_fields_set else "default",
                     "pct", prob)
            if roy.term_years is not None:
                self.inp(f"roy{i}_term", f"Royalty {i + 1}: term from each launch", f"{pre}.term_years",
                         roy.term_years, "years", "term sheet", "years", nonneg)
        terrs = [t.name for t in self.sheet_.territories]
        self.share_of = {}
        for i, ps in enumerate(d.profit_shares):
            pre = f"deal.profit_shares[{i}]"
            self.inp(f"ps{i}", f"Profit share {i + 1} ({', '.join(ps.territories)}): licensor's share",
                     f"{pre}.licensor_share", ps.licensor_share, "fraction",
                     f"term sheet; booked by the {ps.booked_by}", "pct", prob)
            for t in ps.territories:
                self.share_of[terrs.index(t)] = f"ps{i}"
        phases = [p.name for p in self.sheet_.phases]
        self.rho_of = {}
        for i, cs in enumerate(d.cost_shares):
            self.inp(f"csh{i}", f"Cost share {i + 1} ({', '.join(cs.phases)}): licensor's share of their R&D",
                     f"deal.cost_shares[{i}].licensor_share", cs.licensor_share, "fraction", "term sheet", "pct", prob)
            for ph in cs.phases:
                self.rho_of[phases.index(ph)] = f"csh{i}"
        if d.observed is not None:
            for f in ("upfront", "headline_value"):
                if getattr(d.observed, f) is not None:
                    self.inp(None, f"Observed {f.replace('_', ' ')}", f"deal.observed.{f}", getattr(d.observed, f),
                             "millions", d.observed.source or "term sheet (shown only)", "money", style="struct")

    def trigger_inputs(self, key: str, trig, pre: str) -> None:
        if trig.type == "sales":
            self.inp(key + "_thr", "  sales threshold", pre + ".threshold", trig.threshold, "millions per year",
                     "term sheet", "money", self.val_nonneg)
        elif trig.type == "date":
            self.inp(key + "_date", "  payment date", pre + ".date", trig.date, "date", "term sheet", "date")

    def used_readouts(self) -> list[int]:
        if not self.has_pos:
            return []
        out = []
        for d in self.r.pos.readouts:
            for i, rd in enumerate(self.sheet_.readouts):
                if (rd.date.isoformat(), rd.source, rd.trial, rd.n, rd.responders) == (
                        d["date"], d["source"], d["trial"], d["n"], d["responders"]) and i not in out:
                    out.append(i)
                    break
        return out

    # ============================================================================================ Calculations
    def write_calculations(self) -> None:
        b = self.b
        sh = "Calculations"
        b.put_text(sh, 0, 0, "Calculations (docs/method.md; one formula per timeline row, every input from Inputs)",
                   b.f["title"])
        b.put_text(sh, 1, 0, "Column C: a scalar result, or the total of a timeline row. Column D: opening balance. "
                             "Columns E onward: one period each.", b.f["note"])
        b.row[sh] = 2
        self.write_timeline_header()
        self.header_rows = b.row[sh]
        if self.has_pos:
            self.write_pos()
        self.write_development()
        self.write_commercial()
        if self.deal is not None:
            self.write_deal()

    def write_timeline_header(self) -> None:
        N, dt = self.N, self.dt
        k = np.arange(N, dtype=float)
        # counts the columns from D up to the previous one (a self-reference would be circular)
        self.tr("k", "Period number k", "", "COLUMNS({OPENCELL}:{k<})-1", k, "int")
        t0 = k * dt
        t1 = t0 + dt
        tm = t0 + dt * 0.5
        tc = tm if self.plan.mid_period else t1
        self.tr("t0", "Period start t0", "years", "{k}*{$dt}", t0, "years")
        self.tr("t1", "Period end t1", "years", "{t0}+{$dt}", t1, "years")
        self.tr("tm", "Period midpoint", "years", "{t0}+{$dt}*{$half}", tm, "years")
        self.tr("tc", "Discounting time (midpoint or end)", "years", "IF({$mid}=1,{tm},{t1})", tc, "years")
        from ..units import add_years

        vdate = self.sheet_.valuation.date
        dates = [add_years(vdate, float(t)) for t in t0]
        self.tr("date", "Period start date", "date", "EDATE({$vdate},{t0}*{$mpy})", [_serial(x) for x in dates],
                "date")
        self.tr("year", "Calendar year of the period start", "year", "YEAR({date})", [x.year for x in dates], "year")
        self.tr("yidx", "Model year (whole years since t = 0)", "year", "INT({t0})", np.floor(t0), "int")
        self.V.update(t0=t0, t1=t1, tm=tm, tc=tc)

    # ---- PoS ------------------------------------------------------------------------------------------------
    def write_pos(self) -> None:
        s = self.sheet_
        self.section("Calculations", "Probability of success: Bayes factors from the readouts (docs/method.md 2.2-2.5)")
        J = self.J
        p = [ph.probability for ph in self.plan0.phases]
        prior_loa = math.prod(p)
        self.sc("prior_loa", "Prior LOA = product of the prior transition probabilities", "fraction",
                "PRODUCT(" + ",".join("{$p%d}" % j for j in range(J)) + ")" if J else "1", prior_loa, "prob")
        qa, qi = self.V["qa"], self.V["qi"]
        pi = (prior_loa - qi) / (qa - qi)
        self.sc("pi", "Prior P(active) = (LOA - q_I) / (q_A - q_I)", "fraction", "({$prior_loa}-{$qi})/({$qa}-{$qi})",
                pi, "prob")
        # current mixtures per class and endpoint: lists of (a, b, logw) values and template refs
        state = {}
        for (cls, ep), (mix, rows) in self.mix.items():
            comps = []
            for k in range(mix.n_components):
                comps.append({"a": float(mix.a[k]), "b": float(mix.b[k]), "lw": math.log(float(mix.weights[k])),
                              "a_t": "{$mix_%s_%s_%d_3}" % (cls, ep, k), "b_t": "{$mix_%s_%s_%d_4}" % (cls, ep, k),
                              "lw_t": "LN({$mix_%s_%s_%d_2})" % (cls, ep, k)})
            state[(cls, ep)] = comps
        lbf = {"orr": [], "cr": []}
        lbf_val = {"orr": 0.0, "cr": 0.0}
        for e, i in enumerate(self.used_readouts()):
            rd = s.readouts[i]
            tag = f"R{i + 1}"
            if "rd_w%d" % i in self.V:
                w_tpl, w = "{$rd_w%d}" % i, rd.weight
                wsrc = "the readout's own weight"
            else:
                key = "iitw" if rd.design == "iit" else "regw"
                w_tpl, w = "{$%s}" % key, self.V[key]
                wsrc = f"pos.{rd.design}_weight"
            self.sc(f"w_{i}", f"{tag}: evidence weight w", "fraction", w_tpl, w, "prob", wsrc)
            endpoints = [("orr", "{$rd_r%d}" % i, "{$rd_n%d}" % i, float(rd.responders), float(rd.n))]
            if rd.complete is not None:
                if rd.complete_n is not None:
                    crn = max(float(rd.complete), rd.complete_n * rd.responders / rd.n)
                    self.sc(f"crn_{i}", f"{tag}: responders evaluable for CR = max(c, complete_n x r / n)", "patients",
                            "MAX({$rd_c%d},{$rd_cn%d}*{$rd_r%d}/{$rd_n%d})" % (i, i, i, i), crn, "num")
                else:
                    crn = float(rd.responders)
                    self.sc(f"crn_{i}", f"{tag}: responders evaluable for CR (all responders)", "patients",
                            "{$rd_r%d}" % i, crn, "num")
                endpoints.append(("cr", "{$rd_c%d}" % i, "{$crn_%d}" % i, float(rd.complete), crn))
            for ep, x_t, m_t, x, mm in endpoints:
                lms = {}
                for cls in ("active", "inactive"):
                    comps = state[(cls, ep)]
                    t_keys, t_vals = [], []
                    for k, c in enumerate(comps):
                        key = f"t_{i}_{ep}_{cls}_{k}"
                        a1, b1 = c["a"] + w * x, c["b"] + w * (mm - x)
                        t = c["lw"] + (math.lgamma(a1) + math.lgamma(b1) - math.lgamma(a1 + b1)) - (
                            math.lgamma(c["a"]) + math.lgamma(c["b"]) - math.lgamma(c["a"] + c["b"]))
                        tpl = ("{lw}+(GAMMALN({a}+{w}*{x})+GAMMALN({b}+{w}*({m}-{x}))-GAMMALN({a}+{b}+{w}*{m}))"
                               "-(GAMMALN({a})+GAMMALN({b})-GAMMALN({a}+{b}))").format(
                            lw=c["lw_t"], a=c["a_t"], b=c["b_t"], w="{$w_%d}" % i, x=x_t, m=m_t)
                        self.sc(key, f"{tag} {ep.upper()} {cls} comp. {k + 1}: log w + ln B(a + w x, b + w (m - x)) "
                                     f"- ln B(a, b)", "log", tpl, t, "log")
                        t_keys.append(key)
                        t_vals.append(t)
                    first, last = self.b.scalar[t_keys[0]].row, self.b.scalar[t_keys[-1]].row
                    self.block(f"tb_{i}_{ep}_{cls}", "Calculations", first, last, C_VAL)
                    mx = max(t_vals)
                    lm = mx + math.log(sum(math.exp(t - mx) for t in t_vals))
                    rng = "{@tb_%d_%s_%s}" % (i, ep, cls)
                    self.sc(f"lm_{i}_{ep}_{cls}", f"{tag} {ep.upper()} {cls}: log marginal likelihood (log-sum-exp)",
                            "log", f"MAX({rng})+LN(SUMPRODUCT(EXP({rng}-MAX({rng}))))", lm, "log",
                            "the binomial coefficient is common to both classes and cancels in the Bayes factor")
                    lms[cls] = lm
                    new = []
                    for k, c in enumerate(comps):
                        new.append({"a": c["a"] + w * x, "b": c["b"] + w * (mm - x), "lw": t_vals[k] - lm,
                                    "a_t": "({a}+{w}*{x})".format(a=c["a_t"], w="{$w_%d}" % i, x=x_t),
                                    "b_t": "({b}+{w}*({m}-{x}))".format(b=c["b_t"], w="{$w_%d}" % i, x=x_t, m=m_t),
                                    "lw_t": "({$%s}-{$lm_%d_%s_%s})" % (t_keys[k], i, ep, cls)})
                    state[(cls, ep)] = new
                key = f"lbf_{i}_{ep}"
                val = lms["active"] - lms["inactive"]
                self.sc(key, f"{tag} {ep.upper()}: log Bayes factor (active vs inactive)", "log",
                        "{$lm_%d_%s_active}-{$lm_%d_%s_inactive}" % (i, ep, i, ep), val, "log")
                lbf[ep].append(key)
                lbf_val[ep] += val
        for ep in ("orr", "cr"):
            tpl = "+".join("{$%s}" % k for k in lbf[ep]) if lbf[ep] else "0"
            if lbf[ep]:
                self.sc(f"lbf_{ep}", f"log Bayes factor, {ep.upper()} (all readouts)", "log", tpl, lbf_val[ep], "log")
            else:
                self.sc_const(f"lbf_{ep}", f"log Bayes factor, {ep.upper()} (no readout informs it)", "log", 0.0, "log")
            self.sc(f"bf_{ep}", f"Bayes factor, {ep.upper()}", "ratio", "EXP({$lbf_%s})" % ep,
                    math.exp(lbf_val[ep]), "factor")
        lb = lbf_val["orr"] + lbf_val["cr"]
        if 0.0 < pi < 1.0:
            logit = math.log(pi) - math.log1p(-pi) + lb
            pi2 = 1.0 / (1.0 + math.exp(-logit))
        else:
            pi2 = pi
        self.sc("pi_post", "Posterior P(active) = pi BF / (pi BF + 1 - pi)", "fraction",
                "IF(OR({$pi}<=0,{$pi}>=1),{$pi},1/(1+EXP(LN(1-{$pi})-LN({$pi})-{$lbf_orr}-{$lbf_cr})))", pi2, "prob")
        post = pi2 * qa + (1 - pi2) * qi
        self.sc("post_loa", "Posterior LOA = pi' q_A + (1 - pi') q_I", "fraction",
                "{$pi_post}*{$qa}+(1-{$pi_post})*{$qi}", post, "prob")

    # ---- development ---------------------------------------------------------------------------------------
    def write_development(self) -> None:
        J = self.J
        self.section("Calculations", "Development plan: probabilities, timing and costs (docs/method.md 1, 2.6)")
        if J == 0:
            self.sc_const("loa", "LOA (no development phases: approved)", "fraction", 1.0, "prob")
            self.sc_const("T", "Approval time (approved)", "years", 0.0, "years")
            return
        ph0 = self.plan0.phases
        p = [x.probability for x in ph0]
        kinds = [x.kind for x in ph0]
        clin = [1.0 if k in CLINICAL else 0.0 for k in kinds]
        rows = []
        for j in range(J):
            rows.append(self.sc(f"clin{j}", f"Phase {j + 1}: clinical (absorbs the readout) 1 / review 0", "flag",
                                'IF(OR(' + ",".join('{$ph_kind%d}="%s"' % (j, k) for k in CLINICAL) + '),1,0)',
                                clin[j], "int"))
        self.block("clin", "Calculations", rows[0], rows[-1], C_VAL)
        if self.has_pos:
            p_used = self.write_spread(p, clin)
        else:
            p_used = list(p)
            rows = [self.sc(f"pu{j}", f"Phase {j + 1}: transition probability used", "fraction", "{$p%d}" % j, p[j],
                            "prob") for j in range(J)]
            self.block("pu", "Calculations", rows[0], rows[-1], C_VAL)
        d = [x.duration for x in ph0]
        trf = self.cfg.transportability if self.has_pos else None
        if trf is not None:
            first_f = kinds.index("filing")
            for j in range(J):
                self.sc_const(f"tflag{j}", f"Phase {j + 1}: first review phase, where transportability applies (1/0)",
                              "flag", 1.0 if j == first_f else 0.0, "int", "structural: from the phase kinds")
            pt = [p_used[j] * (trf.regulatory_factor if j == first_f else 1.0) for j in range(J)]
            rows = [self.sc(f"pt{j}", f"Phase {j + 1}: probability after the transportability discount", "fraction",
                            "{$pu%d}*IF({$tflag%d}=1,{$tr_f},1)" % (j, j), pt[j], "prob") for j in range(J)]
            self.block("pt", "Calculations", rows[0], rows[-1], C_VAL)
            dd = [d[j] + (trf.delay_years if j == first_f else 0.0) for j in range(J)]
            rows = [self.sc(f"du{j}", f"Phase {j + 1}: duration used", "years", "{$d%d}+{$tflag%d}*{$tr_d}" % (j, j),
                            dd[j], "years") for j in range(J)]
            p_used, d, pkey = pt, dd, "pt"
        else:
            rows = [self.sc(f"du{j}", f"Phase {j + 1}: duration used", "years", "{$d%d}" % j, d[j], "years")
                    for j in range(J)]
            pkey = "pu"
        self.block("du", "Calculations", rows[0], rows[-1], C_VAL)
        # cross-check with the engine's plan (guards the mirror, not the workbook)
        for a, bb in zip(p_used, self.plan.phases):
            if abs(a - bb.probability) > 1e-12 * max(1.0, abs(a)):
                raise NumericalError(f"excel mirror: probability {a} differs from the engine's {bb.probability}")
        ends = np.cumsum(d)
        starts = ends - np.asarray(d)
        rows = [self.sc(f"e{j}", f"Phase {j + 1}: end = sum of durations so far", "years",
                        "SUM({$du0}:{$du%d})" % j if j else "{$du0}", float(ends[j]), "years") for j in range(J)]
        rows = [self.sc(f"s{j}", f"Phase {j + 1}: start = end - duration", "years", "{$e%d}-{$du%d}" % (j, j),
                        float(starts[j]), "years") for j in range(J)]
        S = [1.0] + list(np.cumprod(p_used)[:-1])
        rows = [self.sc_const("S0", "Phase 1: P(start) (it is under way)", "fraction", 1.0, "prob")]
        for j in range(1, J):
            rows.append(self.sc(f"S{j}", f"Phase {j + 1}: P(start) = product of earlier transition probabilities",
                                "fraction", "PRODUCT({$%s0}:{$%s%d})" % (pkey, pkey, j - 1), float(S[j]), "prob"))
        self.block("S", "Calculations", rows[0], rows[-1], C_VAL)
        for j in range(J):
            self.sc(f"cum{j}", f"Phase {j + 1}: cumulative probability through the phase", "fraction",
                    "{$S%d}*{$%s%d}" % (j, pkey, j), S[j] * p_used[j], "prob")
        loa = float(np.prod(p_used))
        self.sc("loa", "LOA = product of the transition probabilities used", "fraction",
                "PRODUCT({@%s})" % pkey, loa, "prob")
        self.sc("T", "Approval time T (end of the last phase)", "years", "{$e%d}" % (J - 1), float(ends[-1]), "years")
        self.starts, self.ends, self.S, self.p_used = starts, ends, S, p_used
        # cost profile slices
        self.slices = []
        for j, ph in enumerate(self.sheet_.phases):
            Cj = ph0[j].cost
            prof = ph0[j].profile
            Q = len(prof)
            width = d[j] / Q
            if Q == 1:
                self.sc(f"wid{j}", f"Phase {j + 1}: spending period = duration", "years", "{$du%d}" % j, width,
                        "years")
            else:
                first = self.b.scalar[f"w{j}_0"].row
                self.block(f"wraw{j}", "Inputs", first, first + Q - 1, I_VAL)
                self.sc(f"wid{j}", f"Phase {j + 1}: slice width = duration / number of slices", "years",
                        "{$du%d}/COUNT({@wraw%d})" % (j, j), width, "years")
            for q in range(Q):
                a0 = float(starts[j]) + q * width
                if Q > 1:
                    wq = prof[q]
                    self.sc(f"wn{j}_{q}", f"Phase {j + 1} slice {q + 1}: weight / sum of weights", "fraction",
                            "{$w%d_%d}/SUM({@wraw%d})" % (j, q, j), wq, "prob")
                    self.sc_const(f"qi{j}_{q}", f"Phase {j + 1} slice {q + 1}: slices before it", "count", float(q),
                                  "int")
                    self.sc(f"a0_{j}_{q}", f"Phase {j + 1} slice {q + 1}: start", "years",
                            "{$s%d}+{$qi%d_%d}*{$wid%d}" % (j, j, q, j), a0, "years")
                    rate = Cj * wq / width
                    self.sc(f"rate{j}_{q}", f"Phase {j + 1} slice {q + 1}: spending rate = cost x weight / width",
                            "millions per year", "{$C%d}*{$wn%d_%d}/{$wid%d}" % (j, j, q, j), rate, "money")
                else:
                    self.sc(f"a0_{j}_{q}", f"Phase {j + 1}: start of spending", "years", "{$s%d}" % j, a0, "years")
                    rate = Cj * 1.0 / width
                    self.sc(f"rate{j}_{q}", f"Phase {j + 1}: spending rate = cost / duration", "millions per year",
                            "{$C%d}/{$wid%d}" % (j, j), rate, "money")
                self.sc(f"a1_{j}_{q}", f"Phase {j + 1} slice {q + 1}: end", "years", "{$a0_%d_%d}+{$wid%d}" % (j, q, j),
                        a0 + width, "years")
                self.slices.append((j, q, a0, a0 + width, rate))

    def write_spread(self, p: list[float], clin: list[float]) -> list[float]:
        """Posterior LOA spread over the phases: p_j' = p_j^alpha (docs/method.md 2.6)."""
        J = self.J
        target = self.V["post_loa"]
        pc = [p[j] if clin[j] else 1.0 for j in range(J)]
        pr = [1.0 if clin[j] else p[j] for j in range(J)]
        rows = [self.sc(f"pc{j}", f"Phase {j + 1}: probability if clinical, else 1", "fraction",
                        "IF({$clin%d}=1,{$p%d},1)" % (j, j), pc[j], "prob") for j in range(J)]
        self.block("pc", "Calculations", rows[0], rows[-1], C_VAL)
        rows = [self.sc(f"pr{j}", f"Phase {j + 1}: probability if review, else 1", "fraction",
                        "IF({$clin%d}=1,1,{$p%d})" % (j, j), pr[j], "prob") for j in range(J)]
        self.block("pr", "Calculations", rows[0], rows[-1], C_VAL)
        clin_p, review = math.prod(pc), math.prod(pr)
        nclin = sum(clin)
        self.sc("clinp", "Clinical product", "fraction", "PRODUCT({@pc})", clin_p, "prob")
        self.sc("revp", "Review product", "fraction", "PRODUCT({@pr})", review, "prob")
        self.sc("totp", "Product of all prior probabilities", "fraction", "PRODUCT({@pr})*PRODUCT({@pc})",
                review * clin_p, "prob")
        self.sc("nclin", "Number of clinical phases", "count", "SUM({@clin})", nclin, "int")
        case1 = nclin > 0 and 0.0 < clin_p < 1.0 and review > 0 and target <= review
        self.sc("case1", "Rule 1 applies: clinical phases absorb the change (1/0)", "flag",
                "IF(AND({$nclin}>0,{$clinp}>0,{$clinp}<1,{$revp}>0,{$post_loa}<={$revp}),1,0)", float(case1), "int")
        a1 = math.log(target / review) / math.log(clin_p) if case1 else 0.0
        self.sc("alpha1", "alpha = ln(LOA' / review product) / ln(clinical product)", "exponent",
                "IF({$case1}=1,LN({$post_loa}/{$revp})/LN({$clinp}),0)", a1, "factor")
        tot = review * clin_p
        case2 = (not case1) and 0.0 < tot < 1.0
        self.sc("case2", "Rule 2 applies: every phase rescaled (1/0)", "flag",
                "IF(AND({$case1}=0,{$totp}>0,{$totp}<1),1,0)", float(case2), "int")
        a2 = math.log(target) / math.log(tot) if case2 else 0.0
        self.sc("alpha2", "alpha = ln(LOA') / ln(product of all)", "exponent",
                "IF({$case2}=1,LN({$post_loa})/LN({$totp}),0)", a2, "factor")
        k3 = nclin if nclin > 0 else J
        self.sc("k3", "Rule 3 (every probability is 1): phases sharing the target", "count",
                "IF({$nclin}>0,{$nclin},COUNT({@pc}))", k3, "int")
        # the engine's own spread gives the cached values (checked against the rule above)
        out = self.P.spread(p, [x.kind for x in self.plan0.phases], target)
        rows = []
        for j in range(J):
            rows.append(self.sc(
                f"pu{j}", f"Phase {j + 1}: posterior transition probability", "fraction",
                "IF({$case1}=1,IF({$clin%d}=1,{$p%d}^{$alpha1},{$p%d}),IF({$case2}=1,{$p%d}^{$alpha2},"
                "IF(OR({$clin%d}=1,{$nclin}=0),{$post_loa}^(1/{$k3}),{$p%d})))" % (j, j, j, j, j, j),
                out[j], "prob"))
        self.block("pu", "Calculations", rows[0], rows[-1], C_VAL)
        self.sc("loa_spread", "Check: product of the posterior probabilities", "fraction", "PRODUCT({@pu})",
                math.prod(out), "prob")
        return out

    # ---- timeline: development and commercial --------------------------------------------------------------
    def write_commercial(self) -> None:
        J, M, N, dt = self.J, self.M, self.N, self.dt
        V = self.V
        t0, t1, tm, tc = V["t0"], V["t1"], V["tm"], V["tc"]
        self.section("Calculations", "Development on the timeline (docs/method.md 1, Development)")
        rd_phase = []
        if J:
            for (j, q, a0, a1, rate) in self.slices:
                if len(self.plan0.phases[j].profile) > 1:
                    vals = rate * np.maximum(0.0, np.minimum(t1, a1) - np.maximum(t0, a0))
                    self.tr(f"rds{j}_{q}", f"R&D, phase {j + 1} slice {q + 1}", "millions",
                            "{$rate%d_%d}*MAX(0,MIN({t1},{$a1_%d_%d})-MAX({t0},{$a0_%d_%d}))" % (j, q, j, q, j, q),
                            vals, total=True)
            for j in range(J):
                sl = [x for x in self.slices if x[0] == j]
                if len(sl) > 1:
                    vals = sum(V[f"rds{j}_{q}"] for (_, q, *_r) in sl)
                    tpl = "+".join("{rds%d_%d}" % (j, q) for (_, q, *_r) in sl)
                else:
                    _, q, a0, a1, rate = sl[0]
                    vals = rate * np.maximum(0.0, np.minimum(t1, a1) - np.maximum(t0, a0))
                    tpl = "{$rate%d_0}*MAX(0,MIN({t1},{$a1_%d_0})-MAX({t0},{$a0_%d_0}))" % (j, j, j)
                rd_phase.append(self.tr(f"rd{j}", f"R&D, phase {j + 1} (success path)", "millions", tpl, vals,
                                        total=True))
            rd = sum(V[f"rd{j}"] for j in range(J))
            self.tr("rd", "R&D, all phases (success path)", "millions",
                    f"SUM({{rd0}}:{{rd{J - 1}}})", rd, total=True)
            rdr = sum(self.S[j] * V[f"rd{j}"] for j in range(J))
            self.tr("rdr", "R&D, risk-weighted: sum of P(start phase j) x R&D of phase j", "millions",
                    "SUMPRODUCT({rd0}:{rd%d},{@S})" % (J - 1), rdr, total=True)
            flags = []
            for j in range(J):
                f = ((tm >= self.starts[j]) & (tm < self.ends[j])).astype(float)
                flags.append(self.tr(f"run{j}", f"Flag: phase {j + 1} running at the midpoint", "flag",
                                     "IF(AND({tm}>={$s%d},{tm}<{$e%d}),1,0)" % (j, j), f, "int"))
            appr = (tm >= self.ends[-1]).astype(float)
            self.tr("appr", "Flag: approved by the midpoint", "flag", "IF({tm}>={$T},1,0)", appr, "int")
            alive = sum(V[f"run{j}"] * self.S[j] for j in range(J))
            alive = np.where(appr > 0, V["loa"], alive)
            self.tr("alive", "P(alive): P(start) of the running phase, LOA once approved", "fraction",
                    "IF({appr}=1,{$loa},SUMPRODUCT({run0}:{run%d},{@S}))" % (J - 1), alive, "prob")
        else:
            self.sc_const("zero", "No development phases: no R&D", "millions", 0.0, "money")
            self.tr("rd", "R&D (none)", "millions", "{$zero}", np.zeros(N), total=True)
            self.tr("rdr", "R&D, risk-weighted (none)", "millions", "{$zero}", np.zeros(N), total=True)
            self.tr("alive", "P(alive) (approved)", "fraction", "{$loa}", np.ones(N), "prob")

        # ---- territories
        s = self.sheet_
        T = V["T"]
        Y = self.Y
        rev_rows, cogs_rows, sga_rows, launch_rows, comm_rows = [], [], [], [], []
        self.launch, self.xend = [], []
        for m, (t, pt) in enumerate(zip(s.territories, self.plan0.territories)):
            self.section("Calculations", f"Territory {m + 1}: {t.name} (docs/method.md 1, Sales; Costs)")
            L = T + pt.launch_lag
            self.sc(f"L{m}", "Launch L = T + launch lag", "years", "{$T}+{$lag%d}" % m, L, "years")
            if t.exclusivity_end is not None:
                X = (t.exclusivity_end - s.valuation.date).days / 365.25
                self.sc(f"X{m}", "Exclusivity end X (years from t = 0)", "years", "({$xend%d}-{$vdate})/{$dpy}" % m, X,
                        "years")
            else:
                X = pt.exclusivity + L
                self.sc(f"X{m}", "Exclusivity end X = exclusivity years + L", "years", "{$xyrs%d}+{$L%d}" % (m, m), X,
                        "years")
            self.launch.append(L)
            self.xend.append(X)
            if t.peak_sales is not None:
                self.sc(f"peak{m}", "Peak annual net sales", "millions per year", "{$peak_in%d}" % m, pt.peak, "money")
            else:
                self.sc(f"peak{m}", "Peak annual net sales = patients x treated share x net price", "millions per year",
                        "{$patients%d}*{$share%d}*{$np%d}" % (m, m, m), pt.peak, "money")
            for f in ("cogs_fraction", "cogs_per_patient", "sga_fraction", "sga_fixed", "launch_cost"):
                own = f"{f}_own{m}"
                kind = "pct" if f.endswith("fraction") else "money"
                if own in V:
                    self.sc(f"{f}{m}", f"{f.replace('_', ' ')} (territory's own)", "", "{$%s}" % own, V[own], kind)
                else:
                    self.sc(f"{f}{m}", f"{f.replace('_', ' ')} (= [costs] default)", "", "{$costs_%s}" % f,
                            V[f"costs_{f}"], kind)
            self.sc_const(f"Y{m}", "Launch years in the launch-curve table", "years", float(Y), "int")
            u = np.asarray(pt.ramp, dtype=float)
            cum = np.concatenate([[0.0], np.cumsum(u)])

            def R(a):
                w = np.minimum(np.floor(a), Y).astype(int)
                return cum[w] + u[np.minimum(w, Y - 1)] * (a - w), w

            a0 = np.maximum(0.0, t0 - L)
            a1 = np.maximum(0.0, t0 - L + dt)
            R0, W0 = R(a0)
            R1, W1 = R(a1)
            self.tr(f"a0_{m}", "Years since launch at period start (>= 0)", "years", "MAX(0,{t0}-{$L%d})" % m, a0,
                    "years")
            self.tr(f"a1_{m}", "Years since launch at period end (>= 0)", "years", "MAX(0,{t0}-{$L%d}+{$dt})" % m, a1,
                    "years")
            for nm, aa, W in (("0", "a0", W0), ("1", "a1", W1)):
                self.tr(f"W{nm}_{m}", f"Whole launch years elapsed, capped at the table ({aa})", "years",
                        "MIN(INT({%s_%d}),{$Y%d})" % (aa, m, m), W, "int")
            for nm, aa, RR in (("0", "a0", R0), ("1", "a1", R1)):
                self.tr(f"R{nm}_{m}", f"Launch-curve integral R({aa}) (share-years)", "years",
                        "SUMPRODUCT(({@years}<={W%s_%d})*{@u%d})"
                        "+INDEX({@u%d},MIN({W%s_%d}+1,{$Y%d}))*({%s_%d}-{W%s_%d})"
                        % (nm, m, m, m, nm, m, m, aa, m, nm, m), RR, "factor")
            upt = R1 - R0
            self.tr(f"upt{m}", "Uptake in the period = R(a1) - R(a0)", "share-years", "{R1_%d}-{R0_%d}" % (m, m), upt,
                    "factor")
            growth = (1.0 + pt.price_change) ** tm
            self.tr(f"gr{m}", "Price factor (1 + g)^t_mid", "factor", "(1+{$g%d})^{tm}" % m, growth, "factor")
            ero = (1.0 - pt.erosion) ** np.maximum(0.0, tm - X)
            self.tr(f"er{m}", "Erosion factor (1 - e)^max(0, t_mid - X)", "factor", "(1-{$ero%d})^MAX(0,{tm}-{$X%d})"
                    % (m, m), ero, "factor")
            rev = pt.peak * upt * growth * ero
            rev_rows.append(self.tr(f"rev{m}", f"Net sales, {t.name}", "millions",
                                    "{$peak%d}*{upt%d}*{gr%d}*{er%d}" % (m, m, m, m), rev, total=True))
            if pt.cogs_per_patient > 0:
                pts = rev / (pt.net_price * growth)
            else:
                pts = np.zeros(N)
            self.tr(f"pts{m}", "Treated patients = sales / price (when COGS per patient is used)", "patients",
                    "IF({$cogs_per_patient%d}>0,{rev%d}/({$np%d}*{gr%d}),0)" % (m, m, m, m), pts, "num", total=True)
            cogs = pt.cogs_fraction * rev + pt.cogs_per_patient * pts
            cogs_rows.append(self.tr(f"cogs{m}", "COGS", "millions",
                                     "{$cogs_fraction%d}*{rev%d}+{$cogs_per_patient%d}*{pts%d}" % (m, m, m, m), cogs,
                                     total=True))
            onm = np.maximum(0.0, t1 - np.maximum(t0, L))
            self.tr(f"onm{m}", "Time on the market within the period", "years", "MAX(0,{t1}-MAX({t0},{$L%d}))" % m, onm,
                    "years")
            fy = np.maximum(0.0, np.minimum(t1, L + 1.0) - np.maximum(t0, L))
            self.tr(f"fy{m}", "Time within the first year on the market", "years",
                    "MAX(0,MIN({t1},{$L%d}+1)-MAX({t0},{$L%d}))" % (m, m), fy, "years")
            sga = pt.sga_fraction * rev + pt.sga_fixed * onm
            sga_rows.append(self.tr(f"sga{m}", "SG&A", "millions", "{$sga_fraction%d}*{rev%d}+{$sga_fixed%d}*{onm%d}"
                                    % (m, m, m, m), sga, total=True))
            lc = pt.launch_cost * fy
            launch_rows.append(self.tr(f"lc{m}", "Launch costs", "millions", "{$launch_cost%d}*{fy%d}" % (m, m), lc,
                                       total=True))
            comm = rev - cogs - sga - lc
            comm_rows.append(self.tr(f"comm{m}", "Pre-tax commercial profit = sales - COGS - SG&A - launch", "millions",
                                     "{rev%d}-{cogs%d}-{sga%d}-{lc%d}" % (m, m, m, m), comm, total=True))

        self.section("Calculations", "Asset cash flows, tax, risk adjustment and discounting (docs/method.md 1)")
        tot = lambda pre: sum(V[f"{pre}{m}"] for m in range(M))  # noqa: E731
        plus = lambda pre: "+".join("{%s%d}" % (pre, m) for m in range(M))  # noqa: E731
        self.tr("revenue", "Net sales, all territories", "millions", plus("rev"), tot("rev"), total=True)
        self.tr("cogs", "COGS", "millions", plus("cogs"), tot("cogs"), total=True)
        self.tr("sga", "SG&A", "millions", plus("sga"), tot("sga"), total=True)
        self.tr("launch", "Launch costs", "millions", plus("lc"), tot("lc"), total=True)
        profit = V["revenue"] - V["cogs"] - V["sga"] - V["launch"] - V["rd"]
        self.tr("profit", "Operating profit (success path)", "millions", "{revenue}-{cogs}-{sga}-{launch}-{rd}", profit,
                total=True)
        # tax with the loss pool (a corkscrew: opening balance in column D)
        used = np.zeros(N)
        pool = np.zeros(N)
        tax = np.zeros(N)
        cur = 0.0
        for k in range(N):
            u_ = min(cur, max(profit[k], 0.0))
            used[k] = u_
            tax[k] = self.V["tau"] * (max(profit[k], 0.0) - (u_ if self.plan.tax_loss_carryforward else 0.0))
            cur = cur - u_ + max(-profit[k], 0.0)
            pool[k] = cur
        self.tr("pool", "Loss pool at period end (carry-forward; opening balance in column D)", "millions",
                "{pool<}-MIN({pool<},MAX({profit},0))+MAX(-{profit},0)", pool, opening=0.0)
        self.tr("used", "Losses used from the pool (opening pool, up to the profit)", "millions",
                "MIN({pool<},MAX({profit},0))", used)
        self.tr("tax", "Tax = rate x (max(0, profit) - losses used if carry-forward)", "millions",
                "{$tau}*(MAX({profit},0)-{$cf}*{used})", tax, total=True)
        fcf = profit - tax
        self.tr("fcf", "Free cash flow (success path, after tax)", "millions", "{profit}-{tax}", fcf, total=True)
        cat = V["revenue"] - V["cogs"] - V["sga"] - V["launch"] - tax
        self.tr("cat", "Commercial cash flow after tax (success path)", "millions",
                "{revenue}-{cogs}-{sga}-{launch}-{tax}", cat, total=True)
        fr = V["loa"] * cat - V["rdr"]
        self.tr("fcfr", "Risk-adjusted cash flow = LOA x commercial - risk-weighted R&D", "millions",
                "{$loa}*{cat}-{rdr}", fr, total=True)
        df = (1.0 + V["r"]) ** (-tc)
        self.tr("df", "Discount factor (1 + r)^-t", "factor", "(1+{$r})^(-{tc})", df, "factor")
        pv = fr * df
        self.tr("pv", "PV of the risk-adjusted cash flow", "millions", "{fcfr}*{df}", pv, total=True)
        self.tr("annual", "Annualised net sales", "millions per year", "{revenue}/{$dt}", V["revenue"] / dt)
        ysales = self.year_totals(V["revenue"])
        self.tr("ysales", "Net sales of this period's model year", "millions per year",
                "SUMIF({#yidx},{yidx},{#revenue})", ysales)
        self.section("Calculations", "Asset results")
        self.sc("rnpv", "Asset rNPV = sum of PV", "millions", "SUM({#pv})", float(pv.sum()), "money")
        self.sc("npv", "Unrisked NPV = sum of FCF x DF", "millions", "SUMPRODUCT({#fcf},{#df})",
                float((fcf * df).sum()), "money")
        self.sc("pv_rd", "PV of risk-weighted R&D", "millions", "-SUMPRODUCT({#rdr},{#df})",
                float(-(V["rdr"] * df).sum()), "money")
        self.sc("pv_comm", "PV of risk-adjusted commercial cash flow", "millions", "{$loa}*SUMPRODUCT({#cat},{#df})",
                float((V["loa"] * cat * df).sum()), "money")
        kp = int(np.argmax(ysales))
        self.sc("peak", "Peak sales: the largest model-year total (success path)", "millions per year",
                "MAX({#ysales})", float(ysales.max()), "money")
        self.sc("peak_year", "Calendar year in which that model year starts", "year",
                'IF({$peak}>0,INDEX({#year},1,MATCH({$peak},{#ysales},0)),"n/a")',
                float(V["year"][kp]) if ysales.max() > 0 else "n/a", "year")
        from ..units import add_years

        vdate = s.valuation.date
        date_tpl = ("IF(ABS({$%s}*{$mpy}-ROUND({$%s}*{$mpy},0))<{$tolm},EDATE({$vdate},ROUND({$%s}*{$mpy},0)),"
                    "{$vdate}+ROUND({$%s}*{$dpy},0))")
        self.sc("appr_date", "Approval date", "date", date_tpl % (("T",) * 4), _serial(add_years(vdate, T)), "date")
        first_launch = min(self.launch)
        self.sc("launch_t", "First launch (years)", "years", "MIN(" + ",".join("{$L%d}" % m for m in range(M)) + ")",
                first_launch, "years")
        self.sc("launch_date", "First launch date", "date", date_tpl % (("launch_t",) * 4),
                _serial(add_years(vdate, first_launch)), "date")

    # ---- deal ---------------------------------------------------------------------------------------------------
    def write_deal(self) -> None:
        d, V, N, dt, M, J = self.deal, self.V, self.N, self.dt, self.M, self.J
        s = self.sheet_
        t0, t1, tm, tc = V["t0"], V["t1"], V["tm"], V["tc"]
        self.section("Calculations", "Deal: each party's discounting (docs/method.md 3.1)")
        if self.own_beliefs:
            self.notes.append("A party has its own evidence weight: the workbook values both parties with the common "
                              "beliefs (the asset's probabilities); Checks shows iitvalue's party-specific values.")
            self.sc_const("note_beliefs", "Beliefs: common (see Checks for party-specific values)", "", 0.0, "int")
        rates = {"licensor": d.licensor.discount_rate, "licensee": d.licensee.discount_rate}
        dfp = {}
        for role in ("licensor", "licensee"):
            dfp[role] = (1.0 + rates[role]) ** (-tc)
            self.tr(f"df_{role}", f"Discount factor, {role} (its own rate)", "factor", "(1+{$rate_%s})^(-{tc})" % role,
                    dfp[role], "factor")
        vdate = s.valuation.date
        t_up = ((d.closing or d.date) - vdate).days / 365.25
        self.sc("t_up", "Upfront paid at (years)", "years", "({$%s}-{$vdate})/{$dpy}" % ("closing" if d.closing else
                                                                                          "deal_date"), t_up, "years")
        t_deal = (d.date - vdate).days / 365.25
        self.sc("t_deal", "Deal date (years)", "years", "({$deal_date}-{$vdate})/{$dpy}", t_deal, "years")

        def dfs(role, t):
            return 0.0 if t < 0 else (1.0 + rates[role]) ** (-t)

        pv_up = {}
        for role in ("licensor", "licensee"):
            pv_up[role] = d.upfront * dfs(role, t_up)
            self.sc(f"pvup_{role}", f"PV of the upfront, {role}", "millions",
                    "{$upfront}*IF({$t_up}<0,0,(1+{$rate_%s})^(-{$t_up}))" % role, pv_up[role], "money")
        self.section("Calculations", "Deal: milestones, probability and time of each trigger (docs/method.md 3.2)")
        terrs = [t.name for t in s.territories]
        phases = [p.name for p in s.phases]
        for pay in self.payments:
            key, trig = pay["key"], pay["trigger"]
            self.sc(f"{key}_a", f"{pay['name']}: amount", "millions", pay["amount_tpl"], pay["amount"], "money")
            if trig.type in ("phase_start", "phase_success"):
                j = phases.index(trig.phase)
                if trig.type == "phase_start":
                    tt, pp, tt_t, pp_t = self.starts[j], self.S[j], "{$s%d}" % j, "{$S%d}" % j
                elif j + 1 < J:
                    tt, pp, tt_t, pp_t = self.starts[j + 1], self.S[j + 1], "{$s%d}" % (j + 1), "{$S%d}" % (j + 1)
                else:
                    tt, pp, tt_t, pp_t = V["T"], V["loa"], "{$T}", "{$loa}"
            elif trig.type == "filing":
                f = next(j for j, p in enumerate(self.plan0.phases) if p.kind == "filing")
                m = terrs.index(trig.territory)
                tt = self.starts[f] + (self.launch[m] - V["T"])
                pp = self.S[f]
                tt_t, pp_t = "{$s%d}+({$L%d}-{$T})" % (f, m), "{$S%d}" % f
            elif trig.type == "approval":
                m = terrs.index(trig.territory)
                tt, pp, tt_t, pp_t = self.launch[m], V["loa"], "{$L%d}" % m, "{$loa}"
            elif trig.type == "sales":
                if trig.territory is None:
                    annual, a_t = V["ysales"], "{ysales}"
                else:
                    m = terrs.index(trig.territory)
                    annual = self.year_totals(V[f"rev{m}"])
                    self.tr(f"{key}_ys", f"{terrs[m]}: net sales of this period's model year", "millions per year",
                            "SUMIF({#yidx},{yidx},{#rev%d})" % m, annual)
                    a_t = "{%s_ys}" % key
                hit = (annual >= trig.threshold * (1 - 1e-12)).astype(float)
                self.tr(f"{key}_hit", f"Flag: model-year sales reach {trig.threshold:g}", "flag",
                        "IF(%s>={$%s_thr}*(1-{$tol}),1,0)" % (a_t, key), hit, "int")
                idx = int(np.argmax(hit)) + 1 if hit.any() else 0
                self.sc(f"{key}_idx", f"{pay['name']}: first period reaching it (0 = never)", "period",
                        "IFERROR(MATCH(1,{#%s_hit},0),0)" % key, idx, "int")
                tt = min(float(V["yidx"][idx - 1]) + 1.0, float(t1[-1])) if idx else 0.0
                pp = V["loa"] if idx else 0.0
                tt_t = "IF({$%s_idx}>0,MIN(INDEX({#yidx},1,{$%s_idx})+1,MAX({#t1})),0)" % (key, key)
                pp_t = "IF({$%s_idx}>0,{$loa},0)" % key
            else:  # date
                tt = (trig.date - vdate).days / 365.25
                pp = 1.0
                tt_t, pp_t = "({$%s_date}-{$vdate})/{$dpy}" % key, None
            self.sc(f"{key}_t", f"{pay['name']}: time", "years", tt_t, tt, "years")
            if pp_t is None:
                self.sc_const(f"{key}_pr", f"{pay['name']}: probability of the trigger (a fixed date: 1)",
                              "fraction", 1.0, "prob")
            else:
                self.sc(f"{key}_pr", f"{pay['name']}: probability of the trigger", "fraction", pp_t, pp, "prob")
            payable = (tt <= self.plan.horizon + 1e-9) and (tt >= t_deal - 1e-9)
            pp = pp if payable else 0.0
            self.sc(f"{key}_p", f"{pay['name']}: probability paid (0 after the horizon or before signing)",
                    "fraction", "IF(AND({$%s_t}<={$horizon}+{$tolp},{$%s_t}>={$t_deal}-{$tolp}),{$%s_pr},0)"
                    % (key, key, key), pp, "prob")
            for role in ("licensor", "licensee"):
                val = pay["amount"] * (pp * dfs(role, tt))
                self.sc(f"{key}_pv_{role}", f"{pay['name']}: PV, {role}", "millions",
                        "{$%s_a}*{$%s_p}*IF({$%s_t}<0,0,(1+{$rate_%s})^(-{$%s_t}))" % (key, key, key, role, key),
                        val, "money")
                pay[f"pv_{role}"] = val
            pay["t"], pay["p"] = tt, pp
        pv_ms = {}
        for role in ("licensor", "licensee"):
            pv_ms[role] = sum(p[f"pv_{role}"] for p in self.payments)
            tpl = "+".join("{$%s_pv_%s}" % (p["key"], role) for p in self.payments) if self.payments else None
            if tpl:
                self.sc(f"pvms_{role}", f"PV of all milestones, {role}", "millions", tpl, pv_ms[role], "money")
            else:
                self.sc_const(f"pvms_{role}", f"PV of all milestones, {role} (none)", "millions", 0.0, "money")
        self.sc("headline", "Headline value = upfront + all milestones (undiscounted, unrisked)", "millions",
                "{$upfront}" + "".join("+{$%s_a}" % p["key"] for p in self.payments),
                d.upfront + sum(p["amount"] for p in self.payments), "money")

        # royalties
        roy_total = np.zeros(N)
        roy_rows = []
        if d.royalties:
            self.section("Calculations", "Deal: royalties with marginal tiers (docs/method.md 3.3)")
        for i, roy in enumerate(d.royalties):
            idx = [terrs.index(t) for t in roy.territories]
            annual = sum(V[f"rev{m}"] for m in idx) / dt
            self.tr(f"roy{i}_A", f"Royalty {i + 1}: covered annual sales", "millions per year",
                    "(" + "+".join("{rev%d}" % m for m in idx) + ")/{$dt}", annual)
            tiered = np.zeros(N)
            tier_keys = []
            for q, tier in enumerate(roy.tiers):
                if q + 1 < len(roy.tiers):
                    hi = roy.tiers[q + 1].above
                    vals = tier.rate * np.clip(annual - tier.above, 0.0, hi - tier.above)
                    tpl = "{$roy%d_rate%d}*MIN(MAX({roy%d_A}-{$roy%d_lo%d},0),{$roy%d_lo%d}-{$roy%d_lo%d})" % (
                        i, q, i, i, q, i, q + 1, i, q)
                else:
                    vals = tier.rate * np.maximum(annual - tier.above, 0.0)
                    tpl = "{$roy%d_rate%d}*MAX({roy%d_A}-{$roy%d_lo%d},0)" % (i, q, i, i, q)
                tiered = tiered + vals
                self.tr(f"roy{i}_t{q}", f"Royalty {i + 1}: tier {q + 1} amount (annual)", "millions per year", tpl,
                        vals)
                tier_keys.append(f"roy{i}_t{q}")
            self.tr(f"roy{i}_sum", f"Royalty {i + 1}: tiered amount (annual)", "millions per year",
                    "+".join("{%s}" % k for k in tier_keys), tiered)
            with np.errstate(invalid="ignore", divide="ignore"):
                eff = np.where(annual > 0, tiered / np.where(annual > 0, annual, 1.0), 0.0)
            self.tr(f"roy{i}_eff", f"Royalty {i + 1}: effective rate", "fraction",
                    "IF({roy%d_A}>0,{roy%d_sum}/{roy%d_A},0)" % (i, i, i), eff, "pct")
            for m in idx:
                factor = np.where(tm > self.xend[m], 1.0 - roy.step_down, 1.0)
                ftpl = "IF({tm}>{$X%d},1-{$roy%d_step},1)" % (m, i)
                if roy.term_years is not None:
                    factor = factor * (tm < self.launch[m] + roy.term_years)
                    ftpl += "*IF({tm}<{$L%d}+{$roy%d_term},1,0)" % (m, i)
                vals = eff * V[f"rev{m}"] * factor
                roy_rows.append(f"roy{i}_{m}")
                self.tr(f"roy{i}_{m}", f"Royalty {i + 1}: royalties on {terrs[m]} (success path)", "millions",
                        "{roy%d_eff}*{rev%d}*%s" % (i, m, ftpl), vals, total=True)
                roy_total = roy_total + vals
        pv_roy = {}
        if roy_rows:
            self.tr("roy", "Royalties, all (success path)", "millions", "+".join("{%s}" % k for k in roy_rows),
                    roy_total, total=True)
            royr = V["loa"] * roy_total
            self.tr("royr", "Royalties, risk-adjusted = LOA x royalties", "millions", "{$loa}*{roy}", royr, total=True)
            for role in ("licensor", "licensee"):
                pv_roy[role] = float((royr * dfp[role]).sum())
                self.sc(f"pvroy_{role}", f"PV of royalties, {role}", "millions", "SUMPRODUCT({#royr},{#df_%s})" % role,
                        pv_roy[role], "money")
        else:
            for role in ("licensor", "licensee"):
                pv_roy[role] = 0.0
                self.sc_const(f"pvroy_{role}", f"PV of royalties, {role} (no royalties)", "millions", 0.0, "money")

        # profit and cost shares
        self.section("Calculations", "Deal: licensor's profit and cost share (docs/method.md 3.4)")
        share = []
        rows = []
        for m in range(M):
            if m in self.share_of:
                key = self.share_of[m]
                share.append(V[key])
                rows.append(self.sc(f"sm{m}", f"Licensor's profit share, {terrs[m]}", "fraction", "{$%s}" % key,
                                    V[key], "pct"))
            else:
                share.append(0.0)
                rows.append(self.sc_const(f"sm{m}", f"Licensor's profit share, {terrs[m]} (not shared)", "fraction",
                                          0.0, "pct"))
        self.block("sm", "Calculations", rows[0], rows[-1], C_VAL)
        ctot = sum(V[f"comm{m}"] for m in range(M))
        self.tr("ctot", "Pre-tax commercial profit, all territories", "millions",
                "+".join("{comm%d}" % m for m in range(M)), ctot, total=True)
        at_rows = []
        lic_comm = np.zeros(N)
        for m in range(M):
            with np.errstate(invalid="ignore", divide="ignore"):
                alloc = np.where(ctot > 0, V["tax"] * V[f"comm{m}"] / np.where(ctot > 0, ctot, 1.0), 0.0)
            vals = V[f"comm{m}"] - alloc
            at_rows.append(self.tr(f"cat{m}", f"{terrs[m]}: commercial profit after its pro-rata tax", "millions",
                                   "{comm%d}-IF({ctot}>0,{tax}*{comm%d}/{ctot},0)" % (m, m), vals, total=True))
            lic_comm = lic_comm + share[m] * vals
        self.tr("liccomm", "Licensor's share of after-tax commercial profit (success path)", "millions",
                "SUMPRODUCT({cat0}:{cat%d},{@sm})" % (M - 1), lic_comm, total=True)
        before = np.clip(t_deal - t0, 0.0, dt) / dt
        self.tr("before", "Share of the period before the deal date", "fraction",
                "MIN(MAX({$t_deal}-{t0},0),{$dt})/{$dt}", before, "prob")
        if J:
            rho, rows = [], []
            for j in range(J):
                if j in self.rho_of:
                    key = self.rho_of[j]
                    rho.append(V[key])
                    rows.append(self.sc(f"rho{j}", f"Phase {j + 1}: licensor's share of its R&D after signing",
                                        "fraction", "{$%s}" % key, V[key], "pct"))
                else:
                    rho.append(d.licensor_cost_share)
                    rows.append(self.sc(f"rho{j}", f"Phase {j + 1}: licensor's share of its R&D after signing "
                                                   "(= deal.licensor_cost_share)", "fraction", "{$lcs}",
                                        d.licensor_cost_share, "pct"))
            self.block("rho", "Calculations", rows[0], rows[-1], C_VAL)
            after = sum(rho[j] * self.S[j] * V[f"rd{j}"] for j in range(J))
            self.tr("rdlic_after", "Risk-weighted R&D x the licensor's share after signing", "millions",
                    "SUMPRODUCT({rd0}:{rd%d},{@S},{@rho})" % (J - 1), after, total=True)
            lic_rd = before * V["rdr"] + (1.0 - before) * after
            self.tr("rdlic", "Licensor's risk-weighted R&D (all of it before signing)", "millions",
                    "{before}*{rdr}+(1-{before})*{rdlic_after}", lic_rd, total=True)
            licr = V["loa"] * lic_comm - lic_rd
            self.tr("licshare", "Licensor's share of the asset's cash flows, risk-adjusted", "millions",
                    "{$loa}*{liccomm}-{rdlic}", licr, total=True)
        else:
            licr = V["loa"] * lic_comm
            self.tr("licshare", "Licensor's share of the asset's cash flows, risk-adjusted (no R&D)", "millions",
                    "{$loa}*{liccomm}", licr, total=True)
        pv_sh, asset_p = {}, {}
        for role in ("licensor", "licensee"):
            pv_sh[role] = float((licr * dfp[role]).sum())
            self.sc(f"pvsh_{role}", f"PV of the licensor's share, {role}'s view", "millions",
                    "SUMPRODUCT({#licshare},{#df_%s})" % role, pv_sh[role], "money")
            asset_p[role] = float((V["fcfr"] * dfp[role]).sum())
            self.sc(f"asset_{role}", f"Asset rNPV at the {role}'s rate", "millions", "SUMPRODUCT({#fcfr},{#df_%s})"
                    % role, asset_p[role], "money")
        self.section("Calculations", "Deal: the two NPVs (docs/method.md 3.5)")
        lnpv = pv_up["licensor"] + pv_ms["licensor"] + pv_roy["licensor"] + pv_sh["licensor"]
        self.sc("lic_npv", "Licensor NPV = upfront + milestones + royalties + profit share", "millions",
                "{$pvup_licensor}+{$pvms_licensor}+{$pvroy_licensor}+{$pvsh_licensor}", lnpv, "money")
        enpv = asset_p["licensee"] - pv_sh["licensee"] - pv_up["licensee"] - pv_ms["licensee"] - pv_roy["licensee"]
        self.sc("lee_npv", "Licensee NPV = asset rNPV - profit share - upfront - milestones - royalties", "millions",
                "{$asset_licensee}-{$pvsh_licensee}-{$pvup_licensee}-{$pvms_licensee}-{$pvroy_licensee}", enpv,
                "money")
        lic_at_lee = pv_up["licensee"] + pv_ms["licensee"] + pv_roy["licensee"] + pv_sh["licensee"]
        self.sc("lic_at_lee", "Licensor's receipts valued at the licensee's rate", "millions",
                "{$pvup_licensee}+{$pvms_licensee}+{$pvroy_licensee}+{$pvsh_licensee}", lic_at_lee, "money")
        tv = lnpv + enpv
        self.sc("lic_share", "Licensor's share of the total deal value", "fraction",
                'IF({$lic_npv}+{$lee_npv}>0,{$lic_npv}/({$lic_npv}+{$lee_npv}),"n/a")',
                lnpv / tv if tv > 0 else "n/a", "pct")
        rav = pv_up["licensee"] + pv_ms["licensee"] + pv_roy["licensee"]
        self.sc("rav", "Risk-adjusted value of the payments, licensee's view", "millions",
                "{$pvup_licensee}+{$pvms_licensee}+{$pvroy_licensee}", rav, "money")
        if t_up >= 0:
            be = d.upfront + enpv * (1.0 + rates["licensee"]) ** t_up
            self.sc("be_up", "Break-even upfront = upfront + licensee NPV x (1 + r)^t (linear)", "millions",
                    "{$upfront}+{$lee_npv}*(1+{$rate_licensee})^{$t_up}", be, "money")
        self.pv_up, self.pv_ms, self.pv_roy, self.pv_sh = pv_up, pv_ms, pv_roy, pv_sh

    # ============================================================================================ Outputs
    def write_outputs(self) -> None:
        b, s = self.b, self.sheet_
        sh = "Outputs"
        b.put_text(sh, 0, 0, f"Outputs - {s.valuation.name}", b.f["title"])
        b.put_text(sh, 1, 0, f"Money in millions of {s.valuation.currency}. Grey italic values are computed by "
                             "iitvalue (not live formulas)." + (" Tornado and Monte Carlo histogram: see the Risk "
                                                                "sheet (computed by Python)." if self.risk else ""),
                   b.f["note"])
        b.row[sh] = 3
        if self.notes:
            b.put_text(sh, 2, 0, " ".join(self.notes), b.f["note"])
        self.section(sh, "Summary", 4)
        row = b.row[sh]
        items = [("Asset rNPV", "rnpv", "money", "asset_rnpv"),
                 ("Asset NPV, unrisked (every phase succeeds)", "npv", "money", "asset_npv_unrisked"),
                 ("LOA used (after the update)", "loa", "prob", None)]
        if self.has_pos:
            items += [("LOA, prior (benchmark or given probabilities)", "prior_loa", "prob", "pos_prior_loa"),
                      ("LOA, posterior (after the readouts)", "post_loa", "prob", "pos_posterior_loa"),
                      ("Bayes factor, ORR", "bf_orr", "factor", None), ("Bayes factor, CR", "bf_cr", "factor", None),
                      ("P(active), posterior", "pi_post", "prob", None)]
        items += [("PV of risk-weighted R&D", "pv_rd", "money", None),
                  ("PV of risk-adjusted commercial cash flow", "pv_comm", "money", None),
                  ("Approval date (success path)", "appr_date", "date", None),
                  ("First launch date", "launch_date", "date", None),
                  ("Peak annual sales (success path)", "peak", "money", None),
                  ("Peak sales year", "peak_year", "year", None)]
        if self.deal is not None:
            items += [(f"Licensor NPV ({self.deal.licensor.name})", "lic_npv", "money", "deal_licensor_npv"),
                      (f"Licensee NPV ({self.deal.licensee.name})", "lee_npv", "money", "deal_licensee_npv"),
                      ("Licensor's share of the deal value", "lic_share", "pct", None),
                      ("Headline value (upfront + all milestones)", "headline", "money", None),
                      ("Risk-adjusted value of the payments (licensee's view)", "rav", "money", None)]
            if "be_up" in self.V:
                items.append(("Break-even upfront (licensee NPV = 0)", "be_up", "money", None))
        self.out_rows = {}
        for label, key, kind, nm in items:
            b.put_text(sh, row, 0, label)
            val = self.V[key]
            b.put_formula(sh, row, 1, "=" + b.ref(key, sh), val, kind, "out")
            b.scalar["out_" + key] = _Ref(sh, row, 1)
            if nm:
                b.define(nm, _Ref(sh, row, 1))
                b.put_text(sh, row, 2, nm, b.f["note"])
            self.out_rows[key] = row
            row += 1
        # values that only Python computes (goal seeks, IRR, assurance), labelled
        py = []
        summ = self.summary
        if self.has_pos:
            py += [("Value of the readout (posterior - prior rNPV)", "pos.readout_value", "money"),
                   ("Pivotal assurance", "pos.assurance", "pct"), ("Posterior ORR mean", "pos.orr_mean", "pct")]
        if self.deal is not None:
            py += [("Break-even LOA (licensee NPV = 0)", "deal.breakeven_loa", "prob"),
                   ("Licensee IRR", "deal.licensee_irr", "pct")]
        for label, key, kind in py:
            val = summ.get(key)
            b.put_text(sh, row, 0, label + " [computed by iitvalue]")
            if val is None or (isinstance(val, float) and not math.isfinite(val)):
                b.put_text(sh, row, 1, "n/a", b.fmt("num", "python"))
            else:
                b.put_value(sh, row, 1, float(val), kind, "python")
            row += 1
        b.row[sh] = row
        if self.deal is not None:
            self.write_payment_table()
        self.write_yearly_and_charts()

    def write_payment_table(self) -> None:
        b, sh, d = self.b, "Outputs", self.deal
        self.section(sh, "Payments (amounts in millions; PV at each party's own rate)", 8)
        row = b.row[sh]
        heads = ("payment", "category", "trigger", "amount", "probability", "time (years)", "PV licensor (+)",
                 "PV licensee (-)")
        for c, h in enumerate(heads):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        first = row
        lines = [("Upfront", "upfront", "closing" if d.closing else "deal date", "upfront", None, "t_up", "pvup")]
        for p in self.payments:
            lines.append((p["name"], p["category"], p["label"], p["key"] + "_a", p["key"] + "_p", p["key"] + "_t",
                          p["key"] + "_pv"))
        for name, cat, trig, amt, prob, t, pv in lines:
            b.put_text(sh, row, 0, name)
            b.put_text(sh, row, 1, cat)
            b.put_text(sh, row, 2, trig)
            b.put_formula(sh, row, 3, "=" + b.ref(amt, sh), self.V[amt], "money")
            if prob is None:
                b.put_value(sh, row, 4, 1.0, "prob", "const")
            else:
                b.put_formula(sh, row, 4, "=" + b.ref(prob, sh), self.V[prob], "prob")
            b.put_formula(sh, row, 5, "=" + b.ref(t, sh), self.V[t], "years")
            lk = f"{pv}_licensor"
            ek = f"{pv}_licensee"
            b.put_formula(sh, row, 6, "=" + b.ref(lk, sh), self.V[lk], "money")
            b.put_formula(sh, row, 7, "=-" + b.ref(ek, sh), -self.V[ek], "money")
            row += 1
        for label, key in (("Royalties", "pvroy"), ("Profit and cost share", "pvsh")):
            b.put_text(sh, row, 0, label)
            b.put_text(sh, row, 1, "stream")
            b.put_text(sh, row, 2, "per period, risk-adjusted")
            b.put_formula(sh, row, 6, "=" + b.ref(f"{key}_licensor", sh), self.V[f"{key}_licensor"], "money")
            b.put_formula(sh, row, 7, "=-" + b.ref(f"{key}_licensee", sh), -self.V[f"{key}_licensee"], "money")
            row += 1
        b.put_text(sh, row, 0, "Total", b.f["sub"])
        tot_l = self.pv_up["licensor"] + self.pv_ms["licensor"] + self.pv_roy["licensor"] + self.pv_sh["licensor"]
        tot_e = -(self.pv_up["licensee"] + self.pv_ms["licensee"] + self.pv_roy["licensee"] + self.pv_sh["licensee"])
        b.put_formula(sh, row, 6, f"=SUM({_a1(first, 6)}:{_a1(row - 1, 6)})", tot_l, "money", "out")
        b.put_formula(sh, row, 7, f"=SUM({_a1(first, 7)}:{_a1(row - 1, 7)})", tot_e, "money", "out")
        b.row[sh] = row + 1

    def write_yearly_and_charts(self) -> None:
        b, sh = self.b, "Outputs"
        H = int(math.ceil(self.plan.horizon - 1e-9))
        self.section(sh, "Risk-adjusted cash flows by model year (for the chart)", 5)
        row = b.row[sh]
        for c, h in enumerate(("model year", "calendar year (start)", "risk-adjusted cash flow", "PV")):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        first = row
        yidx, year = self.V["yidx"], self.V["year"]
        for y in range(H):
            b.put_value(sh, row, 0, y, "int", "struct")
            sel = yidx == y
            cal = int(year[sel][0]) if sel.any() else 0
            b.put_formula(sh, row, 1, "=" + b.expand("YEAR(EDATE({$vdate},%s*{$mpy}))" % _a1(row, 0), sh), cal, "year")
            b.put_formula(sh, row, 2, b.expand("SUMIF({#yidx},%s,{#fcfr})" % _a1(row, 0), sh),
                          float(self.V["fcfr"][sel].sum()), "money")
            b.put_formula(sh, row, 3, b.expand("SUMIF({#yidx},%s,{#pv})" % _a1(row, 0), sh),
                          float(self.V["pv"][sel].sum()), "money")
            row += 1
        last = row - 1
        b.row[sh] = row
        ch = b.wb.add_chart({"type": "column"})
        ch.add_series({"name": "Risk-adjusted cash flow", "categories": [sh, first, 1, last, 1],
                       "values": [sh, first, 2, last, 2], "fill": {"color": "#2F5597"}})
        ch.add_series({"name": "PV", "categories": [sh, first, 1, last, 1], "values": [sh, first, 3, last, 3],
                       "fill": {"color": "#A9D18E"}})
        ch.set_title({"name": "Risk-adjusted cash flows by year"})
        ch.set_y_axis({"name": f"millions of {self.sheet_.valuation.currency}", "num_format": "#,##0"})
        ch.set_x_axis({"num_font": {"rotation": -45}})
        ch.set_legend({"position": "bottom"})
        ch.set_size({"width": 720, "height": 360})
        b.ws[sh].insert_chart(3, 10, ch)
        if self.deal is not None:
            r0 = self.out_rows["lic_npv"]
            ch2 = b.wb.add_chart({"type": "bar"})
            ch2.add_series({"name": "NPV", "categories": [sh, r0, 0, r0 + 1, 0], "values": [sh, r0, 1, r0 + 1, 1],
                            "points": [{"fill": {"color": "#C55A11"}}, {"fill": {"color": "#2F5597"}}],
                            "data_labels": {"value": True, "num_format": "#,##0.0"}})
            ch2.set_title({"name": "Value split between the parties (NPV at own rates)"})
            ch2.set_legend({"none": True})
            ch2.set_y_axis({"label_position": "low"})  # category labels clear of negative bars
            ch2.set_size({"width": 720, "height": 240})
            b.ws[sh].insert_chart(22, 10, ch2)

    # ============================================================================================ Risk
    def write_risk(self) -> None:
        """Tornado and Monte Carlo histogram: values computed by Python (docs/excel.md "Risk"), not formulas."""
        b, sh, rk = self.b, "Risk", self.risk
        ws = b.ws[sh]
        cur = self.sheet_.valuation.currency
        tag = rk.label
        b.put_text(sh, 0, 0, f"Risk - {self.sheet_.valuation.name}", b.f["title"])
        b.put_text(sh, 1, 0, f"Every number on this sheet is {tag}: it does not change when the Inputs are edited; "
                             f"export again to refresh it. Money in millions of {cur}.", b.f["note"])
        b.row[sh] = 3
        deal = self.deal is not None
        # ---- tornado
        self.section(sh, f"Tornado: asset rNPV with one [[uncertainty]] input at its low, then its high, all else "
                         f"at base - {tag}", 13 if deal else 9)
        row = b.row[sh]
        b.put_text(sh, row, 0, "Base asset rNPV (iitvalue value)")
        b.put_value(sh, row, 1, rk.base_rnpv, "money", "python")
        self.risk_cells = {"base_rnpv": (row, 1)}
        row += 2
        heads = ["input (term-sheet key)", "rank", "low value", "high value", "base value", "rNPV at low",
                 "rNPV at high", "swing |high - low|", "basis of low / high"]
        if deal:
            heads += ["licensor NPV at low", "licensor NPV at high", "licensee NPV at low", "licensee NPV at high"]
        for c, h in enumerate(heads):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        first = row
        for r in rk.tornado:
            b.put_text(sh, row, 0, r["path"])
            b.put_value(sh, row, 1, r["rank"], "int", "python")
            for c, key in ((2, "low"), (3, "high"), (4, "base")):
                v = r[key]
                if isinstance(v, str) or v is None:  # the posterior entry swings the class, not a number
                    b.put_text(sh, row, c, "" if v is None else f"{v} class", b.fmt("num", "python"))
                else:
                    b.put_value(sh, row, c, v, "0.0000", "python")
            b.put_value(sh, row, 5, r["asset.rnpv_low"], "money", "python")
            b.put_value(sh, row, 6, r["asset.rnpv_high"], "money", "python")
            b.put_value(sh, row, 7, r["swing"], "money", "python")
            b.put_text(sh, row, 8, r["basis"], b.f["note"])
            if deal:
                for c, key in enumerate(("deal.licensor_npv_low", "deal.licensor_npv_high", "deal.licensee_npv_low",
                                         "deal.licensee_npv_high"), start=9):
                    b.put_value(sh, row, c, r[key], "money", "python")
            row += 1
        last = row - 1
        self.risk_cells["tornado"] = (first, last)
        ch = b.wb.add_chart({"type": "bar"})
        for name, col, color in (("input at low", 5, "#C00000"), ("input at high", 6, "#548235")):
            ch.add_series({"name": name, "categories": [sh, first, 0, last, 0], "values": [sh, first, col, last, col],
                           "fill": {"color": color}, "gap": 40, "overlap": 100})
        ch.set_title({"name": f"Tornado: asset rNPV around the base ({rk.base_rnpv:,.1f})"})
        # bars start at the base rNPV: the category axis crosses the value axis there; largest swing on top
        ch.set_x_axis({"name": f"asset rNPV, millions of {cur}", "crossing": rk.base_rnpv, "num_format": "#,##0"})
        ch.set_y_axis({"reverse": True, "label_position": "low"})
        ch.set_legend({"position": "bottom"})
        ch.set_size({"width": 760, "height": 120 + 28 * len(rk.tornado)})
        b.row[sh] = row
        ws.insert_chart(first - 3, 14 if deal else 10, ch)
        # ---- Monte Carlo histogram
        row = max(row + 1, first - 3 + int((120 + 28 * len(rk.tornado)) / 20) + 2)
        b.row[sh] = row
        self.section(sh, f"Monte Carlo: realised NPV of the asset over {rk.paths:,} paths (seed {rk.seed}) - {tag}", 7)
        row = b.row[sh]
        s = rk.summary
        stats_rows = [("Paths", rk.paths, "int"), ("Seed", rk.seed, "int"),
                      ("Engine (docs/montecarlo.md section 5)", s["mc.engine"], "num"),
                      ("Mean realised NPV", s["mc.mean"], "money"), ("Standard error of the mean", s["mc.std_error"],
                                                                      "money"),
                      ("P10", s["mc.p10"], "money"), ("P50 (median)", s["mc.p50"], "money"), ("P90", s["mc.p90"], "money"),
                      ("P(NPV < 0)", s["mc.prob_negative"], "pct"), ("Share of paths approved", s["mc.prob_approval"], "pct"),
                      ("Deterministic rNPV of the simulated model", s["mc.deterministic_rnpv"], "money")]
        if "mc.mean_conditional" in s:
            stats_rows.append(("Mean of E[NPV | drawn inputs] over the paths", s["mc.mean_conditional"], "money"))
        for label, v, kind in stats_rows:
            b.put_text(sh, row, 0, label)
            if isinstance(v, str):
                b.put_text(sh, row, 1, v, b.fmt("num", "python"))
            else:
                b.put_value(sh, row, 1, v, kind, "python")
            self.risk_cells[label] = (row, 1)
            row += 1
        for note in rk.notes:
            b.put_text(sh, row, 0, note, b.f["note"])
            row += 1
        row += 1
        b.put_text(sh, row, 0, f"{len(rk.counts)} equal-width bins from the smallest to the largest realised NPV "
                               "(each bin holds from <= x < to; the last also holds its upper end).", b.f["note"])
        row += 1
        for c, h in enumerate(("bin", "from", "to", "midpoint", "paths", "share of paths")):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        first = row
        for k, cnt in enumerate(rk.counts):
            lo, hi = rk.edges[k], rk.edges[k + 1]
            b.put_value(sh, row, 0, k + 1, "int", "python")
            b.put_value(sh, row, 1, lo, "money", "python")
            b.put_value(sh, row, 2, hi, "money", "python")
            b.put_value(sh, row, 3, 0.5 * (lo + hi), "#,##0", "python")
            b.put_value(sh, row, 4, int(cnt), "int", "python")
            b.put_value(sh, row, 5, int(cnt) / rk.paths, "pct", "python")
            row += 1
        last = row - 1
        b.put_text(sh, row, 0, "Total", b.f["sub"])
        b.put_value(sh, row, 4, int(sum(rk.counts)), "int", "python")
        b.put_value(sh, row, 5, 1.0, "pct", "python")
        self.risk_cells["histogram"] = (first, last)
        b.row[sh] = row + 1
        ch2 = b.wb.add_chart({"type": "column"})
        ch2.add_series({"name": "paths", "categories": [sh, first, 3, last, 3], "values": [sh, first, 4, last, 4],
                        "fill": {"color": "#2F5597"}, "gap": 10})
        ch2.set_title({"name": f"Realised NPV, {rk.paths:,} paths: mean {s['mc.mean']:,.1f}, "
                               f"P(NPV < 0) = {s['mc.prob_negative']:.1%}"})
        ch2.set_x_axis({"name": f"realised NPV, millions of {cur} (bin midpoint)", "num_format": "#,##0",
                        "num_font": {"rotation": -45}})
        ch2.set_y_axis({"name": "paths", "num_format": "#,##0"})
        ch2.set_legend({"none": True})
        ch2.set_size({"width": 760, "height": 380})
        ws.insert_chart(first - 1, 7, ch2)

    # ============================================================================================ Checks
    def write_checks(self) -> None:
        b, sh = self.b, "Checks"
        b.put_text(sh, 0, 0, "Checks: sum checks, and iitvalue's results next to the workbook's", b.f["title"])
        b.row[sh] = 2
        b.put_text(sh, 1, 0, "Relative tolerance")
        b.put_value(sh, 1, 1, 1e-9, "0.0E+00", "const")
        b.scalar["chk_tol"] = _Ref(sh, 1, 1)
        self.section(sh, "Sum checks (workbook against itself)", 6)
        row = b.row[sh]
        for c, h in enumerate(("check", "left", "right", "difference", "OK")):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        self.check_rows = []
        V = self.V
        sums = [("rNPV = PV of R&D + PV of commercial", "rnpv", "{$pv_rd}+{$pv_comm}", V["pv_rd"] + V["pv_comm"]),
                ("Total net sales = sum over territories", "revenue_total",
                 "+".join("{$rev%d_total}" % m for m in range(self.M)),
                 sum(V[f"rev{m}_total"] for m in range(self.M)))]
        if self.J:
            if V["T"] <= self.plan.horizon:
                sums.append(("R&D on the timeline = sum of phase costs", "rd_total",
                             "+".join("{$C%d}" % j for j in range(self.J)), sum(p.cost for p in self.plan0.phases)))
            sums.append(("LOA = product of the transition probabilities", "loa", "PRODUCT({@%s})" % (
                "pt" if "pt0" in V else "pu"), V["loa"]))
        if self.has_pos and self.J:
            sums.append(("Posterior probabilities multiply to the posterior LOA", "loa_spread", "{$post_loa}",
                         V["post_loa"]))
        if self.deal is not None:
            sums.append(("Licensor (at the licensee's rate) + licensee = asset rNPV at that rate", "asset_licensee",
                         "{$lic_at_lee}+{$lee_npv}", V["lic_at_lee"] + V["lee_npv"]))
        for label, left, right_tpl, right_val in sums:
            b.put_text(sh, row, 0, label)
            b.put_formula(sh, row, 1, "=" + b.ref(left, sh), V[left], "num")
            b.put_formula(sh, row, 2, b.expand(right_tpl, sh), right_val, "num")
            diff = V[left] - right_val
            b.put_formula(sh, row, 3, f"={_a1(row, 1)}-{_a1(row, 2)}", diff, "0.0E+00")
            ok = abs(diff) <= 1e-9 * max(1.0, abs(V[left]))
            b.put_formula(sh, row, 4, f'=IF(ABS({_a1(row, 3)})<={b.ref("chk_tol", sh)}*MAX(1,ABS({_a1(row, 1)})),'
                                      f'"OK","CHECK")', "OK" if ok else "CHECK", "num")
            self.check_rows.append(row)
            row += 1
        b.row[sh] = row
        self.section(sh, "Parity: the workbook against iitvalue (Python)", 6)
        row = b.row[sh]
        for c, h in enumerate(("result", "workbook", "iitvalue", "difference", "OK", "JSON key")):
            b.put_text(sh, row, c, h, b.f["head"])
        row += 1
        summ = self.summary
        pairs = [("asset.rnpv", "rnpv"), ("asset.npv_unrisked", "npv"), ("asset.loa", "loa"),
                 ("asset.pv_rd_risked", "pv_rd"), ("asset.pv_commercial_risked", "pv_comm"),
                 ("asset.peak_sales", "peak"), ("asset.peak_sales_year", "peak_year")]
        if self.has_pos:
            pairs += [("pos.prior_loa", "prior_loa"), ("pos.posterior_loa", "post_loa"),
                      ("pos.bayes_factor_orr", "bf_orr"), ("pos.bayes_factor_cr", "bf_cr"),
                      ("pos.prior_class_probability", "pi"), ("pos.posterior_class_probability", "pi_post")]
        if self.deal is not None:
            pairs += [("deal.licensor_npv", "lic_npv"), ("deal.licensee_npv", "lee_npv"),
                      ("deal.asset_rnpv_licensee_view", "asset_licensee"),
                      ("deal.asset_rnpv_licensor_view", "asset_licensor"),
                      ("deal.pv_milestones_licensor", "pvms_licensor"),
                      ("deal.pv_milestones_licensee", "pvms_licensee"),
                      ("deal.pv_royalties_licensor", "pvroy_licensor"),
                      ("deal.pv_royalties_licensee", "pvroy_licensee"),
                      ("deal.pv_profit_share_licensor", "pvsh_licensor"),
                      ("deal.pv_profit_share_licensee", "pvsh_licensee"), ("deal.headline_value", "headline"),
                      ("deal.risk_adjusted_value", "rav")]
            if "be_up" in self.V and summ.get("deal.breakeven_upfront") is not None:
                pairs.append(("deal.breakeven_upfront", "be_up"))
        self.parity = {}
        for jkey, key in pairs:
            py = summ.get(jkey)
            if py is None or (isinstance(py, float) and not math.isfinite(py)):
                continue
            py = float(py)
            wv = float(self.V[key])
            b.put_text(sh, row, 0, jkey)
            b.put_formula(sh, row, 1, "=" + b.ref(key, sh), wv, "num")
            b.put_value(sh, row, 2, py, "num", "python")
            b.put_formula(sh, row, 3, f"={_a1(row, 1)}-{_a1(row, 2)}", wv - py, "0.0E+00")
            ok = abs(wv - py) <= 1e-9 * max(1.0, abs(py))
            b.put_formula(sh, row, 4, f'=IF(ABS({_a1(row, 3)})<={b.ref("chk_tol", sh)}*MAX(1,ABS({_a1(row, 2)})),'
                                      f'"OK","DIFFERS")', "OK" if ok else "DIFFERS", "num")
            b.put_text(sh, row, 5, jkey, b.f["note"])
            self.parity[jkey] = (wv, py)
            self.check_rows.append(row)
            row += 1
        if self.own_beliefs:
            b.put_text(sh, row + 1, 0, "A party has its own evidence weight: iitvalue values that party with its own "
                                       "posterior, the workbook with the common beliefs, so the deal rows may differ.",
                       b.f["note"])
            row += 2
        b.row[sh] = row

    def finish_sheets(self) -> None:
        b = self.b
        n_last = FIRST + self.N - 1
        ws = b.ws["Inputs"]
        ws.set_column(0, 0, 58)
        ws.set_column(1, 1, 34)
        ws.set_column(2, 2, 16)
        ws.set_column(3, 3, 18)
        ws.set_column(4, 4, 70)
        ws.set_column(5, 5 + self.M, 12)
        ws.freeze_panes(3, 1)
        ws = b.ws["Calculations"]
        ws.set_column(0, 0, 70)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 14)
        ws.set_column(3, 3, 8)
        ws.set_column(FIRST, n_last, 11)
        ws.freeze_panes(self.header_rows, FIRST)
        ws = b.ws["Outputs"]
        ws.set_column(0, 0, 58)
        ws.set_column(1, 1, 16)
        ws.set_column(2, 2, 30)
        ws.set_column(3, 7, 14)
        ws.freeze_panes(2, 0)
        ws = b.ws["Checks"]
        ws.set_column(0, 0, 70)
        ws.set_column(1, 3, 18)
        ws.set_column(4, 4, 10)
        ws.set_column(5, 5, 34)
        ws.freeze_panes(2, 0)
        green = b.wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"})
        red = b.wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
        ws.conditional_format(0, 4, 500, 4, {"type": "cell", "criteria": "==", "value": '"OK"', "format": green})
        ws.conditional_format(0, 4, 500, 4, {"type": "cell", "criteria": "!=", "value": '"OK"', "format": red})
        for name, w in b.ws.items():
            w.set_landscape()
            w.set_paper(9)  # A4
            if name != "Calculations":
                w.fit_to_pages(1, 0)  # one page wide
            w.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
            w.set_header(f"&L&\"Arial,Bold\"iitvalue - {name}")
            w.set_footer("&LPage &P of &N&R&D")
        calc = b.ws["Calculations"]
        calc.repeat_rows(0, self.header_rows - 1)
        calc.repeat_columns(0, FIRST - 1)
        calc.set_paper(8)  # A3: a long timeline prints across pages at a readable scale
        calc.set_print_scale(55)
        b.ws["Inputs"].repeat_rows(2)
        if "Risk" in b.ws:
            ws = b.ws["Risk"]
            ws.set_column(0, 0, 46)
            ws.set_column(1, 7, 14)
            ws.set_column(8, 8, 36)
            ws.set_column(9, 12, 14)
            ws.freeze_panes(2, 0)
        b.ws["Outputs"].activate()


@dataclass
class RiskAnalysis:
    """What the Risk sheet shows, all computed by Python (money in millions, PV at the valuation date).

    ``tornado``: :func:`iitvalue.montecarlo.tornado` rows (ranked); ``base_rnpv``: the asset rNPV of
    ``iitvalue value``; ``summary``: :meth:`Simulation.summary` (``mc.*`` keys) of ``paths`` paths with ``seed``;
    ``edges`` / ``counts``: the histogram of the realised asset NPV (``numpy.histogram``: ``len(counts)``
    equal-width bins over [min, max], each [from, to) except the last, [from, to]; counts sum to ``paths``)."""

    tornado: list[dict[str, Any]]
    base_rnpv: float
    summary: dict[str, Any]
    edges: list[float]
    counts: list[int]
    paths: int
    seed: int
    version: str
    notes: list[str]

    @property
    def label(self) -> str:
        return f"computed by Python (iitvalue {self.version}), not live formulas"


def risk_analysis(result, paths: int = 20_000, seed: int = 1, bins: int = 40) -> RiskAnalysis | None:
    """The tornado and the Monte Carlo histogram of ``result.sheet`` for the Risk sheet, or None when the term
    sheet has no ``[[uncertainty]]`` entries. Seeded: the same sheet, ``paths`` and ``seed`` give the same
    numbers (docs/montecarlo.md section 4)."""
    from .. import __version__
    from ..analysis.sensitivity import tornado
    from ..montecarlo import simulate

    sheet = result.sheet
    if not sheet.uncertainty:
        return None
    if bins < 1:
        raise ValueError("bins must be >= 1")
    rows = tornado(sheet)
    sim = simulate(sheet, n_paths=paths, seed=seed)
    counts, edges = np.histogram(sim.asset, bins=bins)
    return RiskAnalysis(rows, float(result.asset.summary["rnpv"]), sim.summary(), [float(e) for e in edges],
                        [int(c) for c in counts], int(paths), int(seed), __version__, list(sim.notes))


def write_workbook(result, path: str | Path, risk: RiskAnalysis | None = None) -> dict[str, Any]:
    """Write ``result`` (from :func:`iitvalue.value`) as an .xlsx workbook at ``path``; with ``risk`` (from
    :func:`risk_analysis`) also a Risk sheet with the tornado and the Monte Carlo histogram.

    Returns a small summary: the sheet names, the defined output names and the workbook-vs-Python parity rows
    ({JSON key: (workbook value, Python value)}) as computed at export time.
    """
    w = _Writer(result, Path(path), risk)
    w.write()
    return {"sheets": list(w.b.ws), "names": [n for n in OUTPUT_NAMES if n in w.b.defined], "parity": w.parity,
            "notes": w.notes}


# ============================================================================================ import
def read_workbook(path: str | Path) -> tuple[Any, list[dict[str, Any]]]:
    """Rebuild the term sheet of a workbook written by :func:`write_workbook`, with the edits made on its Inputs
    sheet: returns (validated TermSheet, list of the changes applied).

    The hidden ``iitvalue`` sheet holds the exported term sheet and, for each Inputs row, its key and the value
    exported; an input cell whose value now differs is written back to its key (flags 1/0 become true/false,
    whole numbers become integers where the field wants one, dates stay dates). A changed structural or constant
    cell, or one without a term-sheet key, is an error naming the cell: such inputs change only by editing the
    term sheet and exporting again. Rows written without a key (e.g. the launch-curve table) are not imported.
    """
    import tomllib

    import openpyxl

    from ..errors import InputError, Problem
    from ..termsheet import TermSheet, set_path

    src = str(path)
    try:
        wb = openpyxl.load_workbook(path)
    except FileNotFoundError:
        raise InputError("file not found", src) from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not an xlsx workbook
        raise InputError(f"cannot read it as an .xlsx workbook ({type(exc).__name__}: {exc})", src) from None
    if SOURCE_SHEET not in wb.sheetnames or "Inputs" not in wb.sheetnames:
        raise InputError("not a workbook written by `iitvalue export` (no Inputs and hidden iitvalue sheets)", src)
    meta = wb[SOURCE_SHEET]
    lines, rows = [], []
    for r in meta.iter_rows(min_row=2, values_only=True):
        if r[0] is not None:
            lines.append(str(r[0]))
        if len(r) > 6 and r[2] is not None:
            rows.append(r[2:7])
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the hidden iitvalue sheet is damaged: {exc}", src) from None
    inputs = wb["Inputs"]
    changes, problems = [], []
    for row, key, kind, style, exported in rows:
        cell = f"Inputs!{_col(I_VAL)}{int(row)}"
        now = inputs.cell(row=int(row), column=I_VAL + 1).value
        before = _from_cell(exported, kind)
        after = _from_cell(now, kind)
        if _same(before, after):
            continue
        if style != "input" or not key or key.startswith("("):
            what = {"struct": "structural", "const": "a constant", "python": "computed by Python"}.get(style, style)
            problems.append(Problem(cell, f"'{key or inputs.cell(row=int(row), column=1).value}' is {what}, not an "
                                    "input: change it in the term sheet and export again"))
            continue
        value = after
        if kind == "int" and isinstance(before, (int, float)) and str(key).rsplit(".", 1)[-1] in _FLAG_FIELDS:
            value = bool(after) if after in (0, 1) else after
        elif kind == "int" and isinstance(after, float) and after.is_integer():
            value = int(after)
        try:
            set_path(data, key, value)
        except InputError as exc:
            problems += [Problem(f"{cell} ({key})", q.message) for q in exc.problems]
            continue
        changes.append({"cell": cell, "key": key, "from": before, "to": value})
    if problems:
        raise InputError(problems, src)
    try:
        sheet = TermSheet.from_dict(data)
    except InputError as exc:
        where = {c["key"]: c["cell"] for c in changes}
        raise InputError([Problem(f"{where[q.path]} ({q.path})" if q.path in where else q.path, q.message)
                          for q in exc.problems], src) from None
    return sheet, changes


_FLAG_FIELDS = {"mid_period", "tax_loss_carryforward", "cvr", "platform"}


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
