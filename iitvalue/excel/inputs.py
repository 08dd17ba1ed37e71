"""The Inputs sheet, asset part: valuation settings, constants, the asset, its phases, operating costs,
territories and the resolved launch-curve table (docs/excel.md, "Inputs"). The PoS and deal inputs follow, written
by :mod:`.pos` and :mod:`.deal`."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from ..model.plan import PlannedPhase
from ..units import YEAR_DAYS
from .cells import INPUTS, STRUCT_NOTE, Book, Cell, Range

NAME_NOTE = "locked: a name other tables refer to; change it in the term sheet"

# data validation of input cells (XlsxWriter options, with the message shown on a bad entry)
PROB = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
        "msg": "a probability or share: a fraction between 0 and 1 (0.10, not 10)"}
WEIGHT = {"validate": "decimal", "criteria": "between", "minimum": 1e-9, "maximum": 1,
          "msg": "an evidence weight in (0, 1]"}
NONNEG = {"validate": "decimal", "criteria": ">=", "value": 0, "msg": "must be >= 0"}
POSITIVE = {"validate": "decimal", "criteria": ">", "value": 0, "msg": "must be > 0"}
DATE = {"validate": "date", "criteria": "between", "minimum": _dt.date(1990, 1, 1), "maximum": _dt.date(2200, 12, 31),
        "msg": "a date (yyyy-mm-dd)"}
COUNT = {"validate": "integer", "criteria": ">=", "value": 0, "msg": "a count of patients (whole number >= 0)"}
FLAG = {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 1, "msg": "1 (yes) or 0 (no)"}

# operating-cost fields: [costs] defaults that a territory may override (field, label, unit, kind, validation)
COST_FIELDS = (("cogs_fraction", "COGS", "fraction of sales", "pct", PROB),
               ("cogs_per_patient", "COGS per treated patient", "millions per patient", "money", NONNEG),
               ("sga_fraction", "SG&A", "fraction of sales", "pct", PROB),
               ("sga_fixed", "Fixed SG&A per territory on the market", "millions per year", "money", NONNEG),
               ("launch_cost", "Launch cost per territory (first year on the market)", "millions", "money", NONNEG))


@dataclass(frozen=True)
class Constants:
    """The purple constant cells, so that formulas hold no numbers but 0 and 1."""

    half: Cell  # the period midpoint, as a fraction of its length
    dpy: Cell  # days per year
    mpy: Cell  # months per year
    tol: Cell  # relative tolerance of a sales threshold
    tolm: Cell  # tolerance for whole months in a date
    tolp: Cell  # tolerance on a payment's time


@dataclass(frozen=True)
class PhaseInputs:
    """One development phase as resolved (untransported prior): kind, duration, cost, probability, and the cost
    weights of its slices when it has a cost profile."""

    kind: Cell
    duration: Cell
    cost: Cell
    probability: Cell
    weights: tuple[Cell, ...]


@dataclass(frozen=True)
class TerritoryInputs:
    """One territory: launch lag, peak sales (given, or patients x share x price), exclusivity (an end date or
    years after launch), erosion, price change, its own cost fields and its launch-curve column."""

    lag: Cell
    peak: Cell | None
    patients: Cell | None
    share: Cell | None
    price: Cell
    exclusivity_end: Cell | None
    exclusivity_years: Cell | None
    erosion: Cell
    growth: Cell
    own_costs: dict[str, Cell]
    curve: Range
    rivals: tuple[tuple[Cell, Cell], ...] = ()  # (launch date, strength) per rival
    exponent: Cell | None = None  # order-of-entry exponent, with rivals only


@dataclass(frozen=True)
class Inputs:
    """The asset's input cells."""

    vdate: Cell
    rate: Cell
    horizon: Cell
    dt: Cell
    mid: Cell
    tax: Cell
    carryforward: Cell
    const: Constants
    phases: tuple[PhaseInputs, ...]
    costs: dict[str, Cell]
    territories: tuple[TerritoryInputs, ...]
    years: Range  # launch years 1 .. Y of the launch-curve table
    n_years: int  # Y
    capacity: Cell | None = None  # patients per year at full scale, with [capacity] only
    capacity_ramp: Range | None = None  # share of the ceiling by year since the first launch (the table's last column)


def resolved_phases(result) -> tuple[PlannedPhase, ...]:
    """The phases as resolved from the term sheet, before the PoS update and transportability (the prior the
    Inputs sheet shows, with the source of each value)."""
    if result.pos is None:
        return result.asset.plan.phases
    if result.pos.transportability is None:
        return result.pos.prior_plan.phases
    return result.pos.resolved_plan.phases


def source(model: Any, field: str, default: str = "default (docs/termsheet.md)") -> str:
    """Where a field's value comes from: the term sheet when it was given there, else ``default``."""
    return "term sheet" if field in model.model_fields_set else default


def write_inputs(book: Book, result) -> Inputs:
    """Write the top of the Inputs sheet (title, valuation, constants, asset, phases, costs, territories and the
    launch-curve table).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (:func:`iitvalue.value`).

    Returns
    -------
    Inputs
        The input cells, for the formulas that use them.
    """
    s = result.sheet
    plan = result.asset.plan
    b = book
    b.put_text(INPUTS, 0, 0, f"Inputs - {s.valuation.name}", b.f["title"])
    b.put_text(INPUTS, 1, 0, "Blue cells on yellow are inputs: change them and the workbook recalculates. "
                             "Grey cells are locked: they shape the layout or name things (change them in the "
                             "term sheet and export again). Money in millions of the currency, time in years, "
                             "rates as fractions. Column E: the source, then the comment on the TOML line.",
               b.f["note"])
    for c, h in enumerate(("input", "term-sheet key", "value", "unit", "source / note")):
        b.put_text(INPUTS, 2, c, h, b.f["head"])
    b.row[INPUTS] = 3

    v = s.valuation
    inp = b.input_row
    b.section(INPUTS, "Valuation")
    inp(None, "Name", "valuation.name", v.name, "", NAME_NOTE, style="struct")
    vdate = inp("vdate", "Valuation date (t = 0; also selects the readouts)", "valuation.date", v.date, "date",
                "term sheet", kind="date", validate=DATE, name="valuation_date")
    inp(None, "Currency", "valuation.currency", v.currency, "", "money in millions of it; " + STRUCT_NOTE,
        style="struct")
    rate = inp("r", "Discount rate", "valuation.discount_rate", v.discount_rate, "per year",
               source(v, "discount_rate"), "pct", PROB, name="discount_rate")
    horizon = inp("horizon", "Horizon", "valuation.horizon_years", v.horizon_years, "years",
                  "sets the number of period columns; " + STRUCT_NOTE, "years", style="struct")
    inp(None, "Period", "valuation.period", v.period, "", "annual or quarterly columns; " + STRUCT_NOTE,
        style="struct")
    dt = inp("dt", "Period length", "(from valuation.period)", plan.dt, "years", STRUCT_NOTE, "years",
             style="struct")
    mid = inp("mid", "Mid-period discounting (1 = yes, 0 = end of period)", "valuation.mid_period",
              1 if v.mid_period else 0, "flag", source(v, "mid_period"), "int", FLAG)
    tax = inp("tau", "Tax rate", "valuation.tax_rate", v.tax_rate, "fraction", source(v, "tax_rate"), "pct", PROB,
              name="tax_rate")
    cf = inp("cf", "Tax loss carry-forward (1 = yes, 0 = no)", "valuation.tax_loss_carryforward",
             1 if v.tax_loss_carryforward else 0, "flag", source(v, "tax_loss_carryforward"), "int", FLAG)

    b.section(INPUTS, "Constants (not term-sheet inputs)")
    const = Constants(
        inp("half", "Mid-point of a period, as a fraction of its length", "", 0.5, "fraction",
            "docs/method.md 1 (timeline)", style="const"),
        inp("dpy", "Days per year", "", YEAR_DAYS, "days", "dates to years (iitvalue.units.YEAR_DAYS)",
            style="const"),
        inp("mpy", "Months per year", "", 12, "months", "period start dates", style="const"),
        inp("tol", "Relative tolerance of a sales threshold", "", 1e-12, "fraction",
            "iitvalue.termsheet.triggers (sales): reached when annual sales >= threshold x (1 - tolerance)", style="const"),
        inp("tolm", "Tolerance for whole months in a date", "", 1e-9, "months", "iitvalue.units.add_years",
            style="const"),
        inp("tolp", "Tolerance on a payment's time (horizon, signing)", "", 1e-9, "years",
            "iitvalue.deal.payments.payable", style="const"))

    a = s.asset
    b.section(INPUTS, "Asset")
    for f, lab in (("name", "Asset"), ("modality", "Modality"), ("indication", "Indication"),
                   ("therapeutic_area", "Therapeutic area"), ("stage", "Stage"), ("benchmark", "Benchmark row")):
        why = "" if f == "name" else "chooses the benchmark row and the class model; "
        inp(None, lab, f"asset.{f}", getattr(a, f) or "", "", f"{source(a, f, 'not given')}; {why}{STRUCT_NOTE}",
            style="struct")

    b.section(INPUTS, "Development phases (remaining, back to back)")
    phases = tuple(phase_inputs(b, j, ph, pp) for j, (ph, pp) in enumerate(zip(s.phases, resolved_phases(result))))

    c = s.costs
    b.section(INPUTS, "Operating costs (defaults for every territory)")
    costs = {f: inp(f"costs_{f}", lab, f"costs.{f}", getattr(c, f), unit, source(c, f), kind, val)
             for f, lab, unit, kind, val in COST_FIELDS}

    b.section(INPUTS, "Territories")
    rows = [territory_inputs(b, m, t) for m, t in enumerate(s.territories)]
    capacity = None
    if s.capacity is not None:
        b.section(INPUTS, "Manufacturing capacity (docs/method.md 1, Capacity)")
        capacity = inp("cap", "Ceiling: patients treated per year at full scale, all territories", "capacity.patients_per_year",
                       s.capacity.patients_per_year, "patients per year",
                       (s.capacity.source or "term sheet") + "; ramped by the capacity column of the table below",
                       "num", POSITIVE, name="capacity_patients")
    years, curves, n_years = launch_curve_table(b, s.territories, plan.territories, plan.capacity)
    territories = tuple(TerritoryInputs(**r, curve=u) for r, u in zip(rows, curves))
    return Inputs(vdate, rate, horizon, dt, mid, tax, cf, const, phases, costs, territories, years, n_years,
                  capacity, curves[len(rows)] if capacity is not None else None)


def phase_inputs(b: Book, j: int, ph, pp: PlannedPhase, path: str = "phases") -> PhaseInputs:
    """Phase ``j``'s rows on Inputs (name, kind, duration, cost, prior probability, cost weights) under the
    term-sheet table ``path`` (``phases``, or ``indications[k].phases`` for a follow-on indication)."""
    pre = f"{path}[{j}]"
    b.input_row(f"ph_name{j}", f"Phase {j + 1}: name", f"{pre}.name", ph.name, "", NAME_NOTE, style="struct")
    kind = b.input_row(f"ph_kind{j}", f"{ph.name}: kind", f"{pre}.kind", ph.kind, "",
                       "decides which phases absorb the readout (clinical) and review; " + STRUCT_NOTE, style="struct")
    d = b.input_row(f"d{j}", f"{ph.name}: duration", f"{pre}.duration", pp.duration, "years",
                    pp.sources["duration"], "years", POSITIVE)
    cost = b.input_row(f"C{j}", f"{ph.name}: cost", f"{pre}.cost", pp.cost, "millions", pp.sources["cost"],
                       "money", NONNEG)
    p = b.input_row(f"p{j}", f"{ph.name}: transition probability P(pass | started), prior", f"{pre}.probability",
                    pp.probability, "fraction", pp.sources["probability"], "prob", PROB, name=f"p_phase_{j + 1}")
    weights = ()
    if ph.cost_profile and len(ph.cost_profile) > 1:
        weights = tuple(b.input_row(f"w{j}_{q}", f"{ph.name}: cost weight of slice {q + 1} of "
                                                 f"{len(ph.cost_profile)}", f"{pre}.cost_profile[{q}]", w, "weight",
                                    "term sheet (normalised to sum 1)", "num", NONNEG)
                        for q, w in enumerate(ph.cost_profile))
    return PhaseInputs(kind, d, cost, p, weights)


def territory_inputs(b: Book, m: int, t, path: str = "territories") -> dict[str, Any]:
    """Territory ``m``'s rows on Inputs under the term-sheet table ``path``; returns the fields of
    :class:`TerritoryInputs` but its launch-curve column."""
    pre = f"{path}[{m}]"
    inp = b.input_row
    inp(f"t_name{m}", f"Territory {m + 1}: name", f"{pre}.name", t.name, "", NAME_NOTE, style="struct")
    out: dict[str, Any] = {"peak": None, "patients": None, "share": None, "exclusivity_end": None,
                           "exclusivity_years": None}
    out["lag"] = inp(f"lag{m}", f"{t.name}: launch lag after approval", f"{pre}.launch_lag", t.launch_lag, "years",
                     source(t, "launch_lag"), "years", NONNEG)
    if t.peak_sales is not None:
        out["peak"] = inp(f"peak_in{m}", f"{t.name}: peak annual net sales", f"{pre}.peak_sales", t.peak_sales,
                          "millions per year", "term sheet (valuation-date money)", "money", NONNEG,
                          name=f"peak_sales_{m + 1}")
    else:
        out["patients"] = inp(f"patients{m}", f"{t.name}: eligible patients per year", f"{pre}.patients",
                              t.patients, "patients", "term sheet", "int", NONNEG)
        out["share"] = inp(f"share{m}", f"{t.name}: treated share at peak", f"{pre}.treated_share", t.treated_share,
                           "fraction", "term sheet", "pct", PROB, name=f"treated_share_{m + 1}")
    out["price"] = inp(f"np{m}", f"{t.name}: net price per patient", f"{pre}.net_price", t.net_price, "millions",
                       "term sheet" if t.net_price is not None else "not given (needed only with COGS per patient)",
                       "money", NONNEG)
    inp(None, f"{t.name}: years to peak", f"{pre}.years_to_peak", t.years_to_peak, "years",
        "shapes the launch-curve table below; " + STRUCT_NOTE, "years", style="struct")
    inp(None, f"{t.name}: launch curve", f"{pre}.ramp",
        t.ramp if isinstance(t.ramp, str) else "list (see the launch-curve table)", "",
        "shapes the launch-curve table below; " + STRUCT_NOTE, style="struct")
    if t.exclusivity_end is not None:
        out["exclusivity_end"] = inp(f"xend{m}", f"{t.name}: exclusivity end", f"{pre}.exclusivity_end",
                                     t.exclusivity_end, "date", "term sheet", "date", DATE)
    else:
        out["exclusivity_years"] = inp(f"xyrs{m}", f"{t.name}: exclusivity after launch", f"{pre}.exclusivity_years",
                                       t.exclusivity_years, "years", "term sheet", "years", NONNEG)
    out["erosion"] = inp(f"ero{m}", f"{t.name}: erosion per year after exclusivity", f"{pre}.erosion", t.erosion,
                         "fraction per year", source(t, "erosion"), "pct", PROB)
    out["growth"] = inp(f"g{m}", f"{t.name}: annual net price change", f"{pre}.price_change", t.price_change,
                        "fraction per year", source(t, "price_change"), "pct")
    out["own_costs"] = {f: inp(f"{f}_own{m}", f"{t.name}: {lab}", f"{pre}.{f}", getattr(t, f), unit,
                               "term sheet (overrides [costs])", kind, val)
                        for f, lab, unit, kind, val in COST_FIELDS if getattr(t, f) is not None}
    rivals = []
    for k, r in enumerate(t.rivals):
        rp = f"{pre}.rivals[{k}]"
        inp(None, f"{t.name}: rival {k + 1}", f"{rp}.name", r.name, "", NAME_NOTE, style="struct")
        rivals.append((inp(f"rl{m}_{k}", f"{t.name}, {r.name}: launch date", f"{rp}.launch", r.launch, "date",
                           r.source or "term sheet", "date", DATE),
                       inp(f"rs{m}_{k}", f"{t.name}, {r.name}: strength (attraction against the asset at the same "
                           "order of entry)", f"{rp}.strength", r.strength, "relative", source(r, "strength"), "num",
                           POSITIVE)))
    out["rivals"] = tuple(rivals)
    if "capacity_limited" in t.model_fields_set:
        inp(None, f"{t.name}: supplied by the [capacity] plant", f"{pre}.capacity_limited",
            int(t.capacity_limited), "flag", "1 = yes; shapes the capacity block; " + STRUCT_NOTE, "int",
            style="struct")
    out["exponent"] = (inp(f"entry_exp{m}", f"{t.name}: order-of-entry exponent a (share ~ order^-a)",
                           f"{pre}.entry_exponent", t.entry_exponent, "",
                           source(t, "entry_exponent", "default 0.49 (Urban et al. 1986; docs/method.md 1)"), "num",
                           NONNEG) if rivals else None)
    return out


def launch_curve_table(b: Book, terms, planned, capacity=None) -> tuple[Range, list[Range], int]:
    """Share of peak by launch year, one column per territory, as resolved (editable inputs); with a capacity
    ceiling, a last column of its share by year since the first launch."""
    M = len(terms)
    C = M + (capacity is not None)
    b.section(INPUTS, "Launch curve: share of peak sales in launch year y (resolved, editable)", 4 + C)
    row = b.row[INPUTS]
    b.put_text(INPUTS, row, 0, "launch year y", b.f["head"])
    b.put_text(INPUTS, row, 1, "", b.f["head"])
    notes = []
    for m, t in enumerate(terms):
        b.put_text(INPUTS, row, 2 + m, t.name, b.f["head"])
        if isinstance(t.ramp, list):
            notes.append(f"{t.name}: the term sheet's list, then 1.0")
        elif t.ramp == "linear":
            notes.append(f"{t.name}: linear, min(1, y / {t.years_to_peak:g})")
        else:
            notes.append(f"{t.name}: Robey & David 2017 curve stretched to {t.years_to_peak:g} years to peak")
    if capacity is not None:
        b.put_text(INPUTS, row, 2 + M, "capacity", b.f["head"])
        notes.append("capacity: share of the ceiling in year y after the first launch (capacity.ramp, then 1.0)")
    b.put_text(INPUTS, row, 2 + C, "; ".join(notes), b.f["note"])
    Y = len(planned[0].ramp) if M else 0
    first = row + 1
    for y in range(Y):
        b.put_value(INPUTS, first + y, 0, y + 1, "int", "struct")
        for m, pt in enumerate(planned):
            b.table_input(first + y, 2 + m, pt.ramp[y], "pct", f"launch curve, {terms[m].name}, launch year {y + 1}")
        if capacity is not None:
            b.table_input(first + y, 2 + M, capacity.ramp[y], "pct", f"capacity ramp, year {y + 1}")
    if Y:
        b.ws[INPUTS].data_validation(first, 2, first + Y - 1, 1 + C, {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
            "error_message": "a share of peak sales between 0 and 1"})
    b.row[INPUTS] = first + Y
    years = b.block("years", INPUTS, first, first + Y - 1, 0)
    return years, [b.block(f"u{m}", INPUTS, first, first + Y - 1, 2 + m) for m in range(C)], Y
