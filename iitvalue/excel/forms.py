"""The deal forms beyond the licence's own payments in the workbook (docs/method.md 3.3): a supply price
(``[[deal.supply]]``: the licensor makes the product and sells it to the licensee at a transfer price) and
sublicences (``[[deal.sublicence]]``: the licensor's share of what a sublicensee pays the licensee).

Inputs: the transfer price and, where the sheet gives it, the licensor's own cost of goods (which replaces the
supplied territories' COGS in their blocks, as :func:`iitvalue.model.plan.resolve` does); each sublicence's share,
royalty and lump sums (the lump sums are payments of the milestone block, category ``sublicence``). Calculations:
the supply margin and the sublicence royalties on the success path, risk-adjusted by the LOA, and their PV for
each party. Cached values are :func:`iitvalue.deal.streams.supply_lines` and
:func:`iitvalue.deal.streams.sublicence_lines` on the asset's lines, and the PVs the deal kernel's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..deal.streams import sublicence_lines, supply_lines
from .asset import Model
from .cells import CALC, STRUCT_NOTE, Book, Cell, Line
from .inputs import NONNEG, PROB


@dataclass(frozen=True)
class FormInputs:
    """The input cells of the supply and sublicence forms: for each ``[[deal.supply]]`` its transfer price and
    territory indices; for each ``[[deal.sublicence]]`` its licensor share, royalty and territory indices; the
    licensor's cost-of-goods cells by supplied territory index (``cogs_fraction``, ``cogs_per_patient``)."""

    supply: tuple[tuple[Cell, tuple[int, ...]], ...] = ()
    sublicence: tuple[tuple[Cell, Cell, tuple[int, ...]], ...] = ()
    supply_costs: dict[int, dict[str, Cell]] = field(default_factory=dict)


@dataclass(frozen=True)
class FormStream:
    """One income stream of the licensor paid by the licensee: label, kernel category, the success-path and
    risk-adjusted rows and the PV for each party."""

    label: str
    category: str
    total: Line
    risked: Line
    pv: dict[str, Cell]


def write_supply_inputs(book: Book, result) -> tuple[tuple[tuple[Cell, tuple[int, ...]], ...],
                                                   dict[int, dict[str, Cell]]]:
    """The supply inputs on Inputs: territories (structure), transfer price and, when the sheet gives either,
    the licensor's cost of goods (both fields: the one not given is 0, as the plan resolves it)."""
    d, inp = result.sheet.deal, book.input_row
    names = [t.name for t in result.sheet.territories]
    out, costs = [], {}
    for i, sup in enumerate(d.supply):
        pre = f"deal.supply[{i}]"
        inp(None, f"Supply {i + 1}: territories the licensor supplies", f"{pre}.territories",
            ", ".join(sup.territories), "", STRUCT_NOTE, style="struct")
        tp = inp(f"sup{i}_tp", f"Supply {i + 1}: transfer price", f"{pre}.transfer_price", sup.transfer_price,
                 "fraction of the licensee's net sales", sup.source or "term sheet", "pct", PROB)
        idx = tuple(names.index(t) for t in sup.territories)
        out.append((tp, idx))
        if sup.cogs_fraction is not None or sup.cogs_per_patient is not None:
            given = lambda f: "term sheet (the licensor's cost; replaces the territory's COGS)" if getattr(
                sup, f) is not None else "0: not given (the other field is the licensor's whole cost)"
            cells = {"cogs_fraction": inp(f"sup{i}_cf", f"Supply {i + 1}: licensor's COGS", f"{pre}.cogs_fraction",
                                          sup.cogs_fraction or 0.0, "fraction of sales", given("cogs_fraction"),
                                          "pct", PROB),
                     "cogs_per_patient": inp(f"sup{i}_cp", f"Supply {i + 1}: licensor's COGS per treated patient",
                                             f"{pre}.cogs_per_patient", sup.cogs_per_patient or 0.0,
                                             "millions per patient", given("cogs_per_patient"), "money", NONNEG)}
            costs.update({m: cells for m in idx})
    return tuple(out), costs


def write_sublicence_inputs(book: Book, result, payments, rows: list, payment_inputs, trigger_inputs) -> tuple:
    """The sublicence inputs on Inputs: territories (structure), the licensor's share, the royalty, and each lump
    sum (name, amount, trigger) appended to ``rows`` as a payment of amount share x lump sum (``payments``: the
    iterator over :func:`iitvalue.deal.payments.expand_payments`, at the sublicences' lump sums)."""
    d, inp = result.sheet.deal, book.input_row
    names = [t.name for t in result.sheet.territories]
    out = []
    for i, sub in enumerate(d.sublicence):
        pre = f"deal.sublicence[{i}]"
        inp(None, f"Sublicence {i + 1}: territories", f"{pre}.territories", ", ".join(sub.territories), "",
            STRUCT_NOTE, style="struct")
        share = inp(f"sub{i}_share", f"Sublicence {i + 1}: licensor's share of the sublicence income",
                    f"{pre}.licensor_share", sub.licensor_share, "fraction", sub.source or "term sheet", "pct", PROB)
        roy = inp(f"sub{i}_roy", f"Sublicence {i + 1}: royalty the sublicensee pays", f"{pre}.royalty", sub.royalty,
                  "fraction of sales", "term sheet" if "royalty" in sub.model_fields_set else "default", "pct", PROB)
        out.append((share, roy, tuple(names.index(t) for t in sub.territories)))
        for q, sp in enumerate(sub.payments):
            pp, key = f"{pre}.payments[{q}]", f"pay{len(rows)}"
            inp(None, f"Sublicence {i + 1}: {sp.name}", f"{pp}.name", sp.name, "", STRUCT_NOTE, style="struct")
            amount = inp(key + "_amt", f"{sp.name}: lump sum the sublicensee pays", f"{pp}.amount", sp.amount,
                         "millions", "term sheet", "money", NONNEG)
            trig = trigger_inputs(book, key, sp.trigger, pp + ".trigger")
            rows.append(payment_inputs(key, next(payments), f"{share}*{amount}", trig))
    return tuple(out)


def write_form_streams(book: Book, result, model: Model, forms: FormInputs, disc) -> tuple[FormStream, ...]:
    """Write the supply margin (transfer price x net sales - the licensor's COGS, over the supplied territories)
    and the sublicence royalties (share x royalty x net sales, over the sublicensed territories) on the success
    path, each risk-adjusted (LOA x) and its PV for each party (payment-tax factor of a stream, docs/method.md 3.5).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal.
    model : Model
        Net sales and COGS by territory, the LOA.
    forms : FormInputs
        The supply and sublicence inputs.
    disc : Discounting
        Each party's discount factors, payment-tax factors and the kernel's values.

    Returns
    -------
    tuple of FormStream
        One per form the deal has (supply first), none without.
    """
    b, d, plan, ln = book, result.sheet.deal, result.asset.plan, result.asset.lines
    territories, dev = model.territories, model.dev
    out = []
    specs = []
    if forms.supply:
        parts = []
        for tp, idx in forms.supply:
            parts += [f"{tp}*{territories[m].revenue}-{territories[m].cogs}" for m in idx]
        specs.append(("supply", "Supply margin = transfer price x net sales - the licensor's COGS", "supply",
                      "+".join(parts), supply_lines(d, plan, ln)[0]))
    if forms.sublicence:
        parts = []
        for share, roy, idx in forms.sublicence:
            parts += [f"{share}*{roy}*{territories[m].revenue}" for m in idx]
        specs.append(("subroy", "Sublicence royalties to the licensor = share x royalty x net sales",
                      "sublicence_royalty", "+".join(parts), sublicence_lines(d, plan, ln)[0]))
    if specs:
        b.section(CALC, "Deal: supply margin and sublicence royalties (docs/method.md 3.3)")
    for key, label, cat, tpl, values in specs:
        total = b.line(key, f"{label} (success path)", "millions", tpl, values, total=True)
        risked = b.line(key + "r", f"{label.split(' =')[0]}, risk-adjusted = LOA x it", "millions",
                        f"{dev.loa}*{total}", dev.loa.value * total.values, total=True)
        pv = {role: b.scalar(f"pv{key}_{role}", f"PV of the {label.split(' =')[0].lower()}, {role}", "millions",
                             f"SUMPRODUCT({risked.all},{p.df.all}){disc.taxed(role, cat)}", p.pv(cat), "money")
              for role, p in disc.parties.items()}
        out.append(FormStream(label.split(" =")[0], cat, total, risked, pv))
    return tuple(out)


def with_supply_costs(inputs, costs: dict[int, dict[str, Cell]]):
    """``inputs`` with the licensor's cost-of-goods cells as the supplied territories' own COGS inputs, so that
    their blocks price COGS as the plan does (:func:`iitvalue.model.plan.resolve`)."""
    terrs = list(inputs.territories)
    for m, cells in costs.items():
        terrs[m] = replace(terrs[m], own_costs={**terrs[m].own_costs, **cells})
    return replace(inputs, territories=tuple(terrs))
