"""The deal in the workbook (docs/method.md 3): its inputs, each party's discounting and upfront, the milestones
(time and probability of each trigger, from the trigger registry's own formulas) and the two NPVs. Royalties and
the profit and cost share are in :mod:`.streams`.

The workbook values both parties with the common beliefs (the asset's plan). The cached values are the deal
kernel's (:func:`iitvalue.deal.kernel.deal_outcomes`) on the asset's lines at each party's rate, averaged over the
development outcomes with the asset's probabilities; with no party-specific beliefs they are the valuation's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..deal.kernel import DealOutcomes, deal_outcomes
from ..deal.tax import STREAM, UNTAXED, payment_tax_factor
from ..deal.payments import (describe, expand_payments, expiry_time, signing_time, trigger_time_probability,
                             upfront_time)
from ..model.outcomes import expectation, outcome_probabilities
from ..termsheet.triggers import ExcelRefs, kind_of
from .asset import Model
from .cells import CALC, I_VAL, INPUTS, STRUCT_NOTE, Book, Cell, Line, a1
from .forms import FormInputs, write_sublicence_inputs, write_supply_inputs
from .option import Exercise, OptionInputs, write_exercise, write_option_inputs
from .inputs import DATE, NAME_NOTE, NONNEG, PROB

ROLES = ("licensor", "licensee")
# the kernel's components that are not payments of the milestone block
CLOSING_AND_OPTION = ("upfront", "net_cash", "equity_premium", "option_fee", "exercise_fee", "option_retained")


@dataclass(frozen=True)
class PaymentInputs:
    """One contingent payment after pools are spread: its key prefix, the payment (name, category, amount,
    trigger), the template and value of its amount, and the trigger's own input cell (threshold or date)."""

    key: str
    payment: Any  # iitvalue.deal.payments.Payment
    amount_tpl: str
    trigger_cell: Cell | None
    expires: Cell | None = None  # the date after which its trigger no longer pays


@dataclass(frozen=True)
class RoyaltyInputs:
    """One royalty: tier thresholds and rates, step-down after exclusivity, term from each launch (or None)."""

    above: tuple[Cell, ...]
    rate: tuple[Cell, ...]
    step_down: Cell
    term: Cell | None


@dataclass(frozen=True)
class DealInputs:
    """The deal's input cells. ``profit_share`` maps a territory index to its licensor-share cell,
    ``cost_share`` a phase index to its per-phase cost-share cell."""

    deal_date: Cell
    closing: Cell | None
    upfront: Cell
    licensor_cost_share: Cell
    rates: dict[str, Cell]
    payments: tuple[PaymentInputs, ...]
    royalties: tuple[RoyaltyInputs, ...]
    profit_share: dict[int, Cell]
    cost_share: dict[int, Cell]
    pool_shares: tuple[tuple[Cell, ...], ...] = ()
    net_cash: Cell | None = None  # the target's net cash (acquisitions of shares)
    equity: tuple[Cell, Cell] | None = None  # an equity investment's amount and premium
    forms: FormInputs = FormInputs()  # supply and sublicence (iitvalue.excel.forms)
    amortisation: Cell | None = None  # deal.amortisation_years, with deal.payment_tax = "amortised"
    option: OptionInputs | None = None  # [deal.option] (iitvalue.excel.option)


@dataclass(frozen=True)
class Party:
    """One party's discounting: its rate, discount-factor row, the kernel's component values per outcome at its
    rate (common beliefs) and the outcome probabilities they are averaged with."""

    role: str
    rate: Cell
    df: Line
    outcomes: DealOutcomes
    probabilities: np.ndarray
    decided: DealOutcomes | None = None  # with an option: the licensee's decision (``outcomes``: exercised)

    @property
    def final(self) -> DealOutcomes:
        """The kernel's values with the licensee's own exercise decision (``outcomes`` without an option)."""
        return self.outcomes if self.decided is None else self.decided

    def expect(self, values: np.ndarray) -> float:
        """The expectation over the development outcomes of per-outcome values (1, J + 1)."""
        return float(expectation(values, self.probabilities)[0])

    def pv(self, *categories: str) -> float:
        """The expected PV of the kernel's components of the given categories."""
        return sum(self.expect(c.pv) for c in self.outcomes.components if c.category in categories)


@dataclass(frozen=True)
class Discounting:
    """Each party, the upfront's time, the deal date (years) and the upfront's PV for each party."""

    parties: dict[str, Party]
    t_up: Cell
    t_deal: Cell
    pv_up: dict[str, Cell]
    closing: tuple["ClosingItem", ...] = ()  # components paid at closing besides the upfront (net cash, equity premium)
    # deal.payment_tax: the factor on a lump sum's PV for each party (deductible: 1 - tau; amortised: the
    # licensee's 1 - tau a_n(r) / n) and on a stream's (royalties, supply margin, sublicence royalties: 1 - tau)
    tax_factor: dict[str, Cell] | None = None
    stream_factor: dict[str, Cell] | None = None
    option: OptionInputs | None = None
    exercise: Exercise | None = None  # the option's exercise event and the licence's start

    @property
    def t_lic(self) -> Cell:
        """When the licence starts (years): the deal date, or with an option MAX(exercise event, deal date)."""
        return self.t_deal if self.exercise is None else self.exercise.licence_time

    def taxed(self, role: str, category: str = "upfront") -> str:
        """The formula suffix that applies ``role``'s payment-tax factor to a component of ``category`` (empty for
        pre-tax payments and for what is not a payment, :data:`iitvalue.deal.tax.UNTAXED`)."""
        return _tax_suffix(self.tax_factor, self.stream_factor, role, category)

    def factor(self, role: str, category: str = "upfront") -> float:
        """The value of that factor (1 where there is none)."""
        cell = _tax_cell(self.tax_factor, self.stream_factor, role, category)
        return 1.0 if cell is None else cell.value


def _tax_cell(lump: dict[str, Cell] | None, stream: dict[str, Cell] | None, role: str, category: str) -> Cell | None:
    if not lump or category in UNTAXED:
        return None
    return stream[role] if category in STREAM and stream else lump[role]


def _tax_suffix(lump: dict[str, Cell] | None, stream: dict[str, Cell] | None, role: str, category: str) -> str:
    cell = _tax_cell(lump, stream, role, category)
    return "" if cell is None else f"*{cell}"


@dataclass(frozen=True)
class ClosingItem:
    """A licensor component paid at the upfront's time in every outcome: its kernel category (``net_cash``:
    -N; ``equity_premium``: A p / (1 + p)), label, amount cell and PV for each party."""

    category: str
    label: str
    amount: Cell
    pv: dict[str, Cell]


@dataclass(frozen=True)
class PaymentCells:
    """A milestone's cells on Calculations: amount, time, probability paid and PV for each party."""

    inputs: PaymentInputs
    amount: Cell
    time: Cell
    paid: Cell
    pv: dict[str, Cell]


@dataclass(frozen=True)
class Milestones:
    """Every milestone, the PV of all of them for each party, and the headline value."""

    payments: tuple[PaymentCells, ...]
    pv: dict[str, Cell]
    headline: Cell
    tranches: dict[str, Cell] | None = None  # PV of the tranches for each party (not in ``pv``)
    sublicence: dict[str, Cell] | None = None  # PV of the licensor's share of sublicence lump sums (not in ``pv``)


@dataclass(frozen=True)
class DealNPVs:
    """The two NPVs and what follows from them."""

    licensor: Cell
    licensee: Cell
    licensor_at_licensee_rate: Cell
    licensor_share: Cell
    risk_adjusted_value: Cell
    breakeven_upfront: Cell | None
    licensor_gain: Cell | None = None
    sublicence: dict[str, Cell] | None = None  # PV of the sublicence lump sums and royalties, for each party


@dataclass(frozen=True)
class DealCells:
    """Everything the deal blocks wrote, for Outputs and Checks: inputs, discounting, milestones, the PV of the
    royalties and of the licensor's share for each party, the asset rNPV at each party's rate, the NPVs."""

    inputs: DealInputs
    disc: Discounting
    milestones: Milestones
    royalties: dict[str, Cell]
    share: dict[str, Cell]
    asset: dict[str, Cell]
    npvs: DealNPVs
    licensee: Any = None  # the licensee's cash-flow block (iitvalue.excel.licensee.LicenseeCells)
    forms: tuple = ()  # the supply margin and sublicence royalties (iitvalue.excel.forms.FormStream)
    option: Any = None  # the option block (iitvalue.excel.option.OptionCells)


def own_beliefs(result) -> bool:
    """Whether a party of the deal has its own evidence weight or its own assumptions (the workbook values both
    parties with the common beliefs and the sheet's inputs)."""
    d = result.sheet.deal
    if d is None:
        return False
    weights = result.pos is not None and any(
        p.iit_weight is not None or p.registrational_weight is not None for p in (d.licensor, d.licensee))
    return bool(weights or d.licensor.assumptions or d.licensee.assumptions)


def write_deal_inputs(book: Book, result) -> DealInputs:
    """Write the deal's inputs (dates, upfront, cost share, each party, milestones and pools one payment per row,
    royalty tiers, profit and cost shares) on Inputs.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation of a term sheet with a ``[deal]``.

    Returns
    -------
    DealInputs
    """
    d, s = result.sheet.deal, result.sheet
    inp = book.input_row
    book.section(INPUTS, "Deal (docs/method.md section 3)")
    inp(None, "Kind", "deal.kind", d.kind, "", STRUCT_NOTE, style="struct")
    deal_date = inp("deal_date", "Deal date (signing)", "deal.date", d.date, "date", "term sheet", "date", DATE)
    closing = None
    if d.closing is not None:
        closing = inp("closing", "Closing (upfront paid)", "deal.closing", d.closing, "date", "term sheet", "date",
                      {"validate": "custom", "error_type": "warning",
                       "value": f"=AND(ISNUMBER({a1(book.row[INPUTS], I_VAL)}),"
                                f"{a1(book.row[INPUTS], I_VAL)}>={a1(deal_date.ref.row, I_VAL, True)})",
                       "msg": "closing cannot be before the deal date"})
    upfront = inp("upfront", "Upfront", "deal.upfront", d.upfront, "millions", "term sheet", "money", NONNEG,
                  name="upfront")
    inp(None, "Of which equity premium", "deal.equity_premium", d.equity_premium, "millions", "shown only", "money",
        style="struct")
    net_cash = None
    if d.kind == "acquisition":
        structure = d.structure or "shares"
        inp(None, "Structure", "deal.structure", structure, "", STRUCT_NOTE if d.structure else
            "default for an acquisition (shares)", style="struct")
        if structure == "shares" and "net_cash" in d.model_fields_set:  # written only when the sheet states it
            net_cash = inp("net_cash", "Target's net cash at closing (negative: net debt)", "deal.net_cash", d.net_cash,
                           "millions", "term sheet", "money")
    equity = None
    if d.equity is not None:
        equity = (inp("eq_amt", "Equity investment by the licensee: amount", "deal.equity.amount", d.equity.amount,
                      "millions", d.equity.source or "term sheet", "money", NONNEG),
                  inp("eq_prem", "Equity investment: premium over the market price", "deal.equity.premium",
                      d.equity.premium, "fraction", "term sheet", "pct", NONNEG))
    if "payment_tax" in d.model_fields_set:  # written only when the sheet states it (default: pre-tax transfers)
        inp(None, "Payment tax (docs/method.md 3.5)", "deal.payment_tax", d.payment_tax, "", STRUCT_NOTE,
            style="struct")
    amortisation = None
    if d.payment_tax == "amortised":
        amortisation = inp("amort_n", "Licensee amortises lump sums over", "deal.amortisation_years",
                           d.amortisation_years, "years", "term sheet" if "amortisation_years" in d.model_fields_set
                           else "default 15 (IRC section 197)", "int", {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 50,
                                                      "msg": "whole years, 1 to 50"})
    lcs = inp("lcs", "Licensor's share of development costs after the deal", "deal.licensor_cost_share",
              d.licensor_cost_share, "fraction", "term sheet" if "licensor_cost_share" in d.model_fields_set
              else "default", "pct", PROB)
    rates = {}
    for role in ROLES:
        p, cap = getattr(d, role), role.capitalize()
        inp(None, cap, f"deal.{role}.name", p.name, "", NAME_NOTE, style="struct")
        rates[role] = inp(f"rate_{role}", f"{cap}: discount rate", f"deal.{role}.discount_rate", p.discount_rate,
                          "per year", "term sheet", "pct", PROB, name=f"{role}_discount_rate")
        for f in ("iit_weight", "registrational_weight"):
            if getattr(p, f) is not None:
                inp(None, f"{cap}: own {f.replace('_', ' ')}", f"deal.{role}.{f}", getattr(p, f), "fraction",
                    "shown only: the workbook uses the common beliefs (see Checks)", "prob", style="struct")
        for path, v in (p.assumptions or {}).items():
            inp(None, f"{cap}: own assumption {path}", f'deal.{role}.assumptions."{path}"', v, "",
                "shown only: the workbook values both parties on the sheet's inputs (see Checks)", style="struct")
    payments = iter(expand_payments(d))  # milestones as given, then each pool spread over its triggers
    rows = []
    for i, ms in enumerate(d.milestones):
        pre, key = f"deal.milestones[{i}]", f"pay{len(rows)}"
        inp(None, f"Milestone: {ms.name}", f"{pre}.name", ms.name, "", ms.source or "term sheet", style="struct")
        amount = inp(key + "_amt", f"{ms.name}: amount", f"{pre}.amount", ms.amount, "millions", "term sheet",
                     "money", NONNEG)
        inp(None, f"{ms.name}: trigger", f"{pre}.trigger", describe(ms.trigger), "", STRUCT_NOTE, style="struct")
        trig_cell = trigger_inputs(book, key, ms.trigger, pre + ".trigger")
        rows.append(PaymentInputs(key, next(payments), str(amount), trig_cell, _expiry_input(book, key, ms, pre)))
    pool_shares = []
    for i, pool in enumerate(d.pools):
        pre = f"deal.pools[{i}]"
        inp(None, f"Pool: {pool.name}", f"{pre}.name", pool.name, "", pool.source or "term sheet", style="struct")
        total = inp(f"pool{i}", f"{pool.name}: total", f"{pre}.amount", pool.amount, "millions", "term sheet",
                    "money", NONNEG)
        k = len(pool.triggers)
        expires = _expiry_input(book, f"pool{i}", pool, pre)
        pool_shares.append([])
        for q, (trig, sh) in enumerate(zip(pool.triggers, pool.shares or [1.0 / k] * k)):
            key = f"pay{len(rows)}"
            share = inp(key + "_share", f"{pool.name}: share for {describe(trig)}", f"{pre}.shares[{q}]", sh,
                        "fraction", "term sheet" if pool.shares else "equal split (default rule, docs/method.md 3.2)",
                        "pct", PROB)
            pool_shares[-1].append(share)
            rows.append(PaymentInputs(key, next(payments), f"{total}*{share}",
                                      trigger_inputs(book, key, trig, f"{pre}.triggers[{q}]"), expires))
    sublicence = write_sublicence_inputs(book, result, payments, rows, PaymentInputs, trigger_inputs)
    for i, tr in enumerate(d.tranches):
        pre, key = f"deal.tranches[{i}]", f"pay{len(rows)}"
        pay = next(payments)
        amount = inp(key + "_amt", f"Tranche {i + 1}: amount (non-contingent)", f"{pre}.amount", tr.amount,
                     "millions", tr.source or "term sheet", "money", NONNEG)
        date = book.input_row(key + "_date", f"Tranche {i + 1}: payment date", f"{pre}.date", tr.date, "date",
                              "term sheet", "date", None)
        rows.append(PaymentInputs(key, pay, str(amount), date))
    royalties = []
    for i, roy in enumerate(d.royalties):
        pre = f"deal.royalties[{i}]"
        inp(None, f"Royalty {i + 1}: territories", f"{pre}.territories", ", ".join(roy.territories), "",
            STRUCT_NOTE, style="struct")
        above, rate = [], []
        for q, tier in enumerate(roy.tiers):
            above.append(inp(f"roy{i}_lo{q}", f"Royalty {i + 1}: tier {q + 1} applies above",
                             f"{pre}.tiers[{q}].above", tier.above, "millions per year", "term sheet (marginal tiers)",
                             "money", NONNEG))
            rate.append(inp(f"roy{i}_rate{q}", f"Royalty {i + 1}: tier {q + 1} rate", f"{pre}.tiers[{q}].rate",
                            tier.rate, "fraction of sales", "term sheet", "pct", PROB))
        step = inp(f"roy{i}_step", f"Royalty {i + 1}: step-down after exclusivity", f"{pre}.step_down", roy.step_down,
                   "fraction", "term sheet" if "step_down" in roy.model_fields_set else "default", "pct", PROB)
        term = (inp(f"roy{i}_term", f"Royalty {i + 1}: term from each launch", f"{pre}.term_years", roy.term_years,
                    "years", "term sheet", "years", NONNEG) if roy.term_years is not None else None)
        royalties.append(RoyaltyInputs(tuple(above), tuple(rate), step, term))
    supply, supply_costs = write_supply_inputs(book, result)
    option = write_option_inputs(book, result, trigger_inputs) if d.option is not None else None
    terrs, phases = [t.name for t in s.territories], [p.name for p in s.phases]
    profit_share = {}
    for i, ps in enumerate(d.profit_shares):
        cell = inp(f"ps{i}", f"Profit share {i + 1} ({', '.join(ps.territories)}): licensor's share",
                   f"deal.profit_shares[{i}].licensor_share", ps.licensor_share, "fraction",
                   f"term sheet; booked by the {ps.booked_by}", "pct", PROB)
        profit_share.update({terrs.index(t): cell for t in ps.territories})
    cost_share = {}
    for i, cs in enumerate(d.cost_shares):
        cell = inp(f"csh{i}", f"Cost share {i + 1} ({', '.join(cs.phases)}): licensor's share of their R&D",
                   f"deal.cost_shares[{i}].licensor_share", cs.licensor_share, "fraction", "term sheet", "pct", PROB)
        cost_share.update({phases.index(ph): cell for ph in cs.phases})
    if d.observed is not None:
        for f in ("upfront", "headline_value"):
            if getattr(d.observed, f) is not None:
                inp(None, f"Observed {f.replace('_', ' ')}", f"deal.observed.{f}", getattr(d.observed, f), "millions",
                    d.observed.source or "term sheet (shown only)", "money", style="struct")
    return DealInputs(deal_date, closing, upfront, lcs, rates, tuple(rows), tuple(royalties), profit_share,
                      cost_share, tuple(tuple(x) for x in pool_shares), net_cash, equity,
                      FormInputs(supply, sublicence, supply_costs), amortisation,
                      option)


def _expiry_input(book: Book, key: str, item, pre: str) -> Cell | None:
    """The ``expires`` date of a milestone or pool (``{key}_exp``), when it has one."""
    if item.expires is None:
        return None
    return book.input_row(key + "_exp", f"{item.name}: pays only if its trigger happens by", f"{pre}.expires",
                          item.expires, "date", "term sheet", "date", None)


# the trigger fields that are inputs of their own (the others name a phase or territory): key suffix, label, unit,
# number kind, validation; the suffixes are those of the trigger types' workbook formulas
_TRIGGER_INPUTS = {"threshold": ("_thr", "  sales threshold", "millions per year", "money", NONNEG),
                   "date": ("_date", "  payment date", "date", "date", None)}


def trigger_inputs(book: Book, key: str, trig, pre: str) -> Cell | None:
    """The trigger's own input, when the field its type needs is a number or a date: a sales threshold
    (``{key}_thr``) or a payment date (``{key}_date``)."""
    field = kind_of(trig).needs
    if field not in _TRIGGER_INPUTS:
        return None
    suffix, label, unit, kind, valid = _TRIGGER_INPUTS[field]
    return book.input_row(key + suffix, label, f"{pre}.{field}", getattr(trig, field), unit, "term sheet", kind, valid)


def write_discounting(book: Book, result, model: Model, deal_in: DealInputs) -> Discounting:
    """Write each party's discount factors, the upfront's time and PV, and the deal date on Calculations.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal; the discount factors are each party's own lines', the kernel runs on the asset's.
    model : Model
        The asset's cells (valuation date, discounting time).
    deal_in : DealInputs
        The deal's dates, upfront and rates.

    Returns
    -------
    Discounting
    """
    b, d = book, result.sheet.deal
    inputs, time = model.inputs, model.time
    plan, ln = result.asset.plan, result.asset.lines
    b.section(CALC, "Deal: each party's discounting (docs/method.md 3.1)")
    if own_beliefs(result):
        b.const("note_beliefs", "Beliefs: common (see Checks for party-specific values)", "", 0.0, "int")
    probabilities = outcome_probabilities(np.array([[p.probability for p in plan.phases]], dtype=float))
    parties = {}
    decision = None
    if d.option is not None:  # the licensee decides in its view; the licensor's values follow its decision
        decision = deal_outcomes(d, plan, ln, deal_in.rates["licensee"].value, role="licensee").exercise
    for role in ("licensee", "licensor"):
        rate = deal_in.rates[role]
        if d.option is None:
            outs, decided = deal_outcomes(d, plan, ln, rate.value, role=role), None
        else:  # the blocks show the licence if exercised; the NPVs use the decision
            outs = deal_outcomes(d, plan, ln, rate.value, role=role, exercise=np.ones(1, dtype=bool))
            decided = deal_outcomes(d, plan, ln, rate.value, role=role, exercise=decision)
        parties[role] = (rate, outs, decided)
    for role in ROLES:
        rate, outs, decided = parties[role]
        df = b.line(f"df_{role}", f"Discount factor, {role} (its own rate)", "factor", f"(1+{rate})^(-{time.tc})",
                    getattr(result.deal, role).lines.discount_factor[0], "factor")
        parties[role] = Party(role, rate, df, outs, probabilities, decided)
    tax_factor = stream_factor = None
    if d.payment_tax != "pre-tax":  # taxed on receipt, deducted when paid (or amortised), at the sheet's tax rate
        tau = result.asset.plan.tax_rate
        stream_factor = {role: b.scalar(f"ptfs_{role}", f"Payment-tax factor on a stream, {role} (1 - tax rate)",
                                        "factor", f"1-{inputs.tax}", 1.0 - tau, "factor") for role in ROLES}
        tax_factor = dict(stream_factor)
        if d.payment_tax == "amortised":  # the licensee deducts a lump sum over n years (deal.tax)
            r, n = deal_in.rates["licensee"], deal_in.amortisation
            tax_factor["licensee"] = b.scalar(
                "ptf_licensee", "Payment-tax factor on a lump sum, licensee (amortised: 1 - tau a_n(r) / n)", "factor",
                f"1-{inputs.tax}*IF({r}=0,{n},(1-(1+{r})^(-{n}))/{r})/{n}",
                payment_tax_factor(d, "licensee", "upfront", r.value, tau), "factor")
    paid_at = deal_in.closing or deal_in.deal_date
    t_up = b.scalar("t_up", "Upfront paid at (years)", "years", f"({paid_at}-{inputs.vdate})/{inputs.const.dpy}",
                    upfront_time(d, plan), "years")
    t_deal = b.scalar("t_deal", "Deal date (years)", "years", f"({deal_in.deal_date}-{inputs.vdate})/{inputs.const.dpy}",
                      signing_time(d, plan), "years")
    pv_up = {role: b.scalar(f"pvup_{role}", f"PV of the upfront, {role}", "millions",
                            f"{deal_in.upfront}*IF({t_up}<0,0,(1+{p.rate})^(-{t_up}))"
                            f"{_tax_suffix(tax_factor, stream_factor, role, 'upfront')}", p.pv("upfront"),
                            "money")
             for role, p in parties.items()}
    items = []
    if deal_in.net_cash is not None:
        items.append(("net_cash", "nc", "Net cash of the target",
                      "Net cash of the target, handed over with the shares (-N)",
                      f"-{deal_in.net_cash}", -deal_in.net_cash.value))
    if deal_in.equity is not None and d.equity.premium > 0:
        amt, prem = deal_in.equity
        items.append(("equity_premium", "eqp", "Equity premium",
                      "Equity premium = amount x premium / (1 + premium)",
                      f"{amt}*{prem}/(1+{prem})", amt.value * prem.value / (1.0 + prem.value)))
    if deal_in.option is not None:
        items.append(("option_fee", "optf", "Option fee", "Option fee (paid at closing)", str(deal_in.option.fee),
                      deal_in.option.fee.value))
    closing = []
    for cat, key, label, long_label, tpl, value in items:
        amount = b.scalar(f"{key}_a", long_label, "millions", tpl, value, "money")
        pv = {role: b.scalar(f"pv{key}_{role}", f"{label}: PV, {role}", "millions",
                             f"{amount}*IF({t_up}<0,0,(1+{p.rate})^(-{t_up})){_tax_suffix(tax_factor, stream_factor, role, cat)}",
                             p.pv(cat), "money")
              for role, p in parties.items()}
        closing.append(ClosingItem(cat, label, amount, pv))
    exercise = write_exercise(book, result, model, t_deal) if deal_in.option is not None else None
    return Discounting(parties, t_up, t_deal, pv_up, tuple(closing), tax_factor, stream_factor, deal_in.option,
                       exercise)


def write_milestones(book: Book, result, model: Model, deal_in: DealInputs, disc: Discounting) -> Milestones:
    """Write every milestone: amount, time and probability of its trigger (the trigger type's own workbook
    formulas, :meth:`iitvalue.termsheet.triggers.TriggerType.excel`), probability paid and PV for each party.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal: the triggers' times and probabilities are their own ``event`` on the asset's
        lines, the PVs the kernel's.
    model : Model
        Phase starts, P(start), approval time, LOA, launch times and (model-year) sales.
    deal_in : DealInputs
        The payments and their trigger inputs.
    disc : Discounting
        Each party's rate and the kernel's values; the deal date.

    Returns
    -------
    Milestones
    """
    b, plan, ln = book, result.asset.plan, result.asset.lines
    inputs, dev, territories = model.inputs, model.dev, model.territories
    b.section(CALC, "Deal: milestones, probability and time of each trigger (docs/method.md 3.2)")
    refs = ExcelRefs(start=lambda j: str(dev.start[j]), p_start=lambda j: str(dev.p_start[j]),
                     launch=lambda m: str(territories[m].launch), T=str(dev.T), loa=str(dev.loa))
    # the kernel's milestone components, in the order of the payments (after the upfront)
    components = {role: [c for c in p.outcomes.components
                         if not c.stream and c.category not in CLOSING_AND_OPTION]
                  for role, p in disc.parties.items()}
    signing = signing_time(result.sheet.deal, plan)
    out = []
    for n, pay in enumerate(deal_in.payments):
        key, p, trig = pay.key, pay.payment, pay.payment.trigger
        kind = kind_of(trig)
        amount = b.scalar(f"{key}_a", f"{p.name}: amount", "millions", pay.amount_tpl, p.amount, "money")
        if trig.type == "sales":
            _write_sales_rows(b, key, p.name, trig, pay.trigger_cell, model)
        t_tpl, p_tpl = kind.excel(trig, plan, refs, key)
        t, prob = kind.event(trig, plan, ln)  # time nan: never due (the workbook's formula gives 0)
        t_when = b.scalar(f"{key}_t", f"{p.name}: time", "years", t_tpl, np.nan_to_num(t[0], nan=0.0), "years")
        if p_tpl is None:
            pr = b.const(f"{key}_pr", f"{p.name}: probability of the trigger (a fixed date: 1)", "fraction", 1.0,
                         "prob")
        else:
            pr = b.scalar(f"{key}_pr", f"{p.name}: probability of the trigger", "fraction", p_tpl, prob[0], "prob")
        expiry = ""
        if pay.expires is not None:  # (expires - valuation date) / days per year, as deal.payments.expiry_time
            expiry = f",{t_when}<=({pay.expires}-{inputs.vdate})/{inputs.const.dpy}+{inputs.const.tolp}"
        licence = disc.exercise is not None and p.category != "tranche"  # due only once the option is exercised
        start, p_paid = (disc.t_lic, f"MIN({pr},{disc.exercise.probability})") if licence else (disc.t_deal, str(pr))
        if licence:  # P(trigger and exercise event), from the kernel with the exercise forced
            lee = disc.parties["licensee"]
            paid_value = lee.expect(components["licensee"][n].paid.astype(float))
        else:
            paid_value = trigger_time_probability(trig, plan, ln, signing, expiry_time(p, plan))[1][0]
        paid = b.scalar(f"{key}_p", f"{p.name}: probability paid (0 after the horizon"
                        + (", after it expires" if expiry else "")
                        + (" or before the licence starts; with the exercise event" if licence else " or before signing")
                        + ")", "fraction",
                        f"IF(AND({t_when}<={inputs.horizon}+{inputs.const.tolp},{t_when}>={start}-"
                        f"{inputs.const.tolp}{expiry}),{p_paid},0)", paid_value, "prob")
        pv = {role: b.scalar(f"{key}_pv_{role}", f"{p.name}: PV, {role}", "millions",
                             f"{amount}*{paid}*IF({t_when}<0,0,(1+{party.rate})^(-{t_when})){disc.taxed(role)}",
                             party.expect(components[role][n].pv), "money") for role, party in disc.parties.items()}
        out.append(PaymentCells(pay, amount, t_when, paid, pv))
    total, tranches, sublicence = {}, None, None
    ms = [x for x in out if x.inputs.payment.category not in ("tranche", "sublicence")]
    tr = [x for x in out if x.inputs.payment.category == "tranche"]
    sl = [x for x in out if x.inputs.payment.category == "sublicence"]
    for role in ROLES:
        value = sum(x.pv[role].value for x in ms)
        if ms:
            total[role] = b.scalar(f"pvms_{role}", f"PV of all milestones, {role}", "millions",
                                   "+".join(str(x.pv[role]) for x in ms), value, "money")
        else:
            total[role] = b.const(f"pvms_{role}", f"PV of all milestones, {role} (none)", "millions", 0.0, "money")
    if tr:
        tranches = {role: b.scalar(f"pvtr_{role}", f"PV of the tranches (deferred, non-contingent), {role}", "millions",
                                   "+".join(str(x.pv[role]) for x in tr), sum(x.pv[role].value for x in tr), "money")
                    for role in ROLES}
    if sl:
        sublicence = {role: b.scalar(f"pvsl_{role}", f"PV of the licensor's share of sublicence lump sums, {role}",
                                     "millions", "+".join(str(x.pv[role]) for x in sl),
                                     sum(x.pv[role].value for x in sl), "money") for role in ROLES}
    fees = f"+{disc.option.fee}+{disc.option.exercise_fee}" if disc.option is not None else ""
    headline = b.scalar("headline", "Headline value = upfront + tranches + all milestones"
                        + " + option and exercise fees" * bool(fees) + " (undiscounted, unrisked)",
                        "millions", str(deal_in.upfront) + fees + "".join(f"+{x.amount}" for x in out),
                        result.deal.summary["headline_value"], "money")
    return Milestones(tuple(out), total, headline, tranches, sublicence)


def _write_sales_rows(b: Book, key: str, name: str, trig, threshold: Cell, model: Model) -> None:
    """The helper rows of a sales trigger: the territory's model-year sales (``{key}_ys``), the flag of each period
    whose model year reaches the threshold (``{key}_hit``) and the first such period (``{key}_idx``, 0 = never)."""
    time, tol = model.time, model.inputs.const.tol
    if trig.territory is None:
        annual = model.asset.ysales
    else:
        t = next(x for x in model.territories if x.name == trig.territory)
        annual = b.line(f"{key}_ys", f"{t.name}: net sales of this period's model year", "millions per year",
                        f"SUMIF({time.yidx.all},{time.yidx},{t.revenue.all})", time.year_totals(t.revenue.values))
    hit = b.line(f"{key}_hit", f"Flag: model-year sales reach {trig.threshold:g}", "flag",
                 f"IF({annual}>={threshold}*(1-{tol}),1,0)",
                 (annual.values >= trig.threshold * (1 - tol.value)).astype(float), "int")
    b.scalar(f"{key}_idx", f"{name}: first period reaching it (0 = never)", "period",
             f"IFERROR(MATCH(1,{hit.all},0),0)", int(np.argmax(hit.values)) + 1 if hit.values.any() else 0, "int")
