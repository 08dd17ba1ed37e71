"""The Sensitivity sheet (docs/excel.md, "Sensitivity"): two-way tables written as formulas, live in the inputs.

A spreadsheet data table would need the whole model per cell, so each table is a formula that is closed-form in
its two axes, built from rows and results of Calculations:

* **Asset rNPV against the discount rate and the LOA** (exact): rNPV(r, LOA') = LOA' x SUMPRODUCT(commercial
  cash flow after tax, (1 + r)^-t) - SUMPRODUCT(risk-weighted R&D, (1 + r)^-t). The LOA moves as the last
  phase's probability moves, every phase's P(start) fixed, so LOA' cannot exceed the last phase's P(start).
* **Licensee NPV against its discount rate and the upfront** (exact): the licensee's per-period cash flow before
  payments discounted at r, less each milestone's expected amount at its own time, less the upfront at its time.
* **Break-even upfront against the LOA and a peak-sales multiplier m** (closed form, exact along the LOA as
  above, linear in m): with lambda = LOA' / LOA, NPV' = NPV + (lambda m - 1) K - (lambda - 1) M_L, where K is
  the licensee's commercial value (after the licensor's share and royalties) and M_L the PV of the milestones
  paid only on approval; break-even upfront = upfront + NPV' (1 + r)^t_upfront. Exact in m only when every cost
  scales with sales and no sales threshold, royalty tier or tax-loss balance changes.

Each table has its step as an input (blue) and the offsets as constants; the centre cell is the base case.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .asset import Model
from .cells import Book, Ref, a1
from .deal import DealCells

SENSITIVITY = "Sensitivity"
OFFSETS = (-2.0, -1.0, 0.0, 1.0, 2.0)


def write_tables(book: Book, result, model: Model, deal: DealCells | None) -> int:
    """Write the Sensitivity sheet's tables.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        The valuation (name).
    model : Model
        The asset's rows (commercial cash flow, risk-weighted R&D, discounting time) and the LOA.
    deal : DealCells or None
        The licensee's rows and parts (tables 2 and 3 need a deal).

    Returns
    -------
    int
        The number of tables written.
    """
    b, sh = book, SENSITIVITY
    b.put_text(sh, 0, 0, f"Sensitivity - {result.sheet.valuation.name}", b.f["title"])
    b.put_text(sh, 1, 0, "Live two-way tables: each cell is a formula closed-form in its two axes (docs/excel.md, "
                         "\"Sensitivity\"). Steps are inputs (blue); the centre cell is the base case.", b.f["note"])
    b.row[sh] = 3
    time, dev, asset = model.time, model.dev, model.asset
    tc = time.tc.values
    n = 0
    if model.inputs.phases:
        cap = dev.p_start[-1]
        cat, rdr = asset.commercial, model.rd.risked

        def rnpv(r: str, x: str) -> str:
            return (f'IF({x}>{cap},"n/a",{x}*SUMPRODUCT({cat.all},(1+{r})^(-{time.tc.all}))'
                    f'-SUMPRODUCT({rdr.all},(1+{r})^(-{time.tc.all})))')

        def rnpv_value(r: float, x: float):
            df = (1.0 + r) ** -tc
            return "n/a" if x > cap.value else x * float(cat.values @ df) - float(rdr.values @ df)

        _table(b, "Asset rNPV against the discount rate (columns) and the LOA (rows), exact", "sens_rnpv",
               (model.inputs.rate, 0.01, "pct", "discount rate"), (dev.loa, 0.05, "prob", "LOA"), rnpv, rnpv_value,
               "LOA moved by the last phase's probability (each phase's P(start) fixed): at most the last phase's "
               "P(start)")
        n += 1
    if deal is not None and deal.licensee is not None and deal.option is None:  # an option's exercise decision is
        n += _deal_tables(b, model, deal, tc)  # not linear in the rate or the LOA: no closed-form table
    b.ws[sh].set_column(0, 0, 30)
    b.ws[sh].set_column(1, 7, 13)
    return n


def _deal_tables(b: Book, model: Model, deal: DealCells, tc: np.ndarray) -> int:
    time, dev = model.time, model.dev
    cash, up, t_up = deal.licensee, deal.inputs.upfront, deal.disc.t_up
    rate = deal.disc.parties["licensee"].rate
    disc = deal.disc
    tx, f = disc.taxed("licensee"), disc.factor("licensee")  # deductible payments: the licensee pays x (1 - tau)
    m_amt = np.array([p.amount.value * p.paid.value * (p.time.value >= 0) * f for p in deal.milestones.payments])
    m_t = np.array([p.time.value for p in deal.milestones.payments])
    # the components paid with the upfront: the target's net cash (untaxed), an equity premium
    taxed = [c for c in disc.closing if disc.taxed("licensee", c.category)]
    untaxed = [c for c in disc.closing if not disc.taxed("licensee", c.category)]
    at_close = "".join(f"+{c.amount}{disc.taxed('licensee', c.category)}" for c in taxed)
    close_value = sum(c.amount.value * disc.factor("licensee", c.category) for c in taxed)
    untaxed_tpl = "".join(f"+{c.amount}" for c in untaxed)
    untaxed_value = sum(c.amount.value for c in untaxed)
    d = deal.inputs
    amortised = d.amortisation is not None  # the lump sums' factor 1 - tau a_n(r) / n moves with the rate

    def rescale(r: str) -> str:  # the lump sums' factor at rate r over the one at the licensee's rate
        if not amortised:
            return ""
        n, tau = d.amortisation, model.inputs.tax
        return f"*(1-{tau}*IF({r}=0,{n},(1-(1+{r})^(-{n}))/{r})/{n})/{disc.tax_factor['licensee']}"

    def rescale_value(r: float) -> float:
        if not amortised:
            return 1.0
        n, tau = d.amortisation.value, model.inputs.tax.value
        return (1.0 - tau * (n if r == 0 else (1.0 - (1.0 + r) ** -n) / r) / n) / f

    def npv(r: str, u: str) -> str:
        pays = f"-SUMPRODUCT({cash.m_amount},(1+{r})^(-{cash.m_time})){rescale(r)}" if cash.m_amount else ""
        return (f"SUMPRODUCT({cash.before.all},(1+{r})^(-{time.tc.all})){pays}"
                f"-(({u}{tx}{at_close}){rescale(r)}{untaxed_tpl})*IF({t_up}<0,0,(1+{r})^(-{t_up}))")

    def npv_value(r: float, u: float) -> float:
        k = rescale_value(r)
        base = float(cash.before.values @ (1.0 + r) ** -tc) - k * float(m_amt @ (1.0 + r) ** -m_t) if m_amt.size \
            else float(cash.before.values @ (1.0 + r) ** -tc)
        return base - (k * (u * f + close_value) + untaxed_value) * (0.0 if t_up.value < 0 else
                                                                     (1.0 + r) ** -t_up.value)

    _table(b, "Licensee NPV against its discount rate (columns) and the upfront (rows), exact", "sens_npv",
           (rate, 0.01, "pct", "licensee rate"), (up, max(round(up.value * 0.2, -1), 10.0), "money", "upfront"), npv,
           npv_value, "each milestone at its own time, the upfront at closing (0 when paid before the valuation date)")
    if not model.inputs.phases:
        return 1
    cap, loa, enpv, K, ML = dev.p_start[-1], dev.loa, deal.npvs.licensee, cash.commercial, cash.loa_linked

    def be(m: str, x: str) -> str:
        lam = f"({x}/{loa})"
        return (f'IF(OR({t_up}<0,{x}>{cap},{x}<=0),"n/a",{up}+({enpv}+({lam}*{m}-1)*{K}-({lam}-1)*{ML})'
                f"*(1+{rate})^{t_up}" + (f"/{disc.tax_factor['licensee']}" if disc.tax_factor else "") + ")")

    def be_value(m: float, x: float):
        if t_up.value < 0 or x > cap.value or x <= 0:
            return "n/a"
        lam = x / loa.value
        return up.value + (enpv.value + (lam * m - 1) * K.value - (lam - 1) * ML.value) * (1 + rate.value) ** t_up.value / f

    row = b.row[SENSITIVITY] + 1
    b.put_text(SENSITIVITY, row, 0, "Peak-sales multiplier of the base case")
    b.put_value(SENSITIVITY, row, 1, 1.0, "0.00", "const")
    one = b.register("sens_one", Ref(SENSITIVITY, row, 1), 1.0)
    b.row[SENSITIVITY] = row + 1
    _table(b, "Break-even upfront against a peak-sales multiplier (columns) and the LOA (rows)", "sens_be",
           (one, 0.2, "0.00", "peak multiplier"), (loa, 0.05, "prob", "LOA"), be, be_value,
           "exact along the LOA (last phase's probability); linear in peak sales (exact only when costs scale with "
           "sales and no threshold, tier or tax-loss balance changes)")
    return 2


def _table(b: Book, title: str, key: str, cols: tuple, rows: tuple, tpl: Callable[[str, str], str],
           value: Callable[[float, float], object], note: str) -> None:
    """A 5 x 5 table: axis = base + offset x step for columns and rows (``(base cell, step, kind, label)``), each
    cell ``tpl(column cell, row cell)`` with the cached ``value(column value, row value)``."""
    sh = SENSITIVITY
    b.section(sh, title, 2 + len(OFFSETS))
    row = b.row[sh]
    b.put_text(sh, row, 0, note, b.f["note"])
    row += 1
    axes = []
    for r, (base, step, kind, label) in enumerate((cols, rows)):
        b.put_text(sh, row + r, 0, f"Step of the {label}")
        b.put_value(sh, row + r, 1, step, kind, "input")
        axes.append(b.register(f"{key}_step{r}", Ref(sh, row + r, 1), step))
        b.ws[sh].data_validation(row + r, 1, row + r, 1, {"validate": "decimal", "criteria": ">", "value": 0,
                                                            "error_title": "iitvalue", "error_message": "a step > 0"})
    row += 3
    b.put_text(sh, row, 0, "offset (steps)")
    for c, off in enumerate(OFFSETS):
        b.put_value(sh, row, 2 + c, off, "0", "const")
        b.put_value(sh, row + 2 + c, 0, off, "0", "const")
    head = row + 1
    b.put_text(sh, head, 0, f"{rows[3]} \u2193 / {cols[3]} \u2192", b.f["head"])
    b.put_text(sh, head, 1, "", b.f["head"])
    xs, ys = [], []
    for c, off in enumerate(OFFSETS):
        x = cols[0].value + off * cols[1]
        y = rows[0].value + off * rows[1]
        b.put_formula(sh, head, 2 + c, b.expand(f"{cols[0]}+{a1(row, 2 + c)}*{a1(row - 3, 1, True)}", sh), x, cols[2],
                      "calc")
        b.put_formula(sh, head + 1 + c, 1, b.expand(f"{rows[0]}+{a1(head + 1 + c, 0)}*{a1(row - 2, 1, True)}", sh),
                      y, rows[2], "calc")
        xs.append(x)
        ys.append(y)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            r, c = head + 1 + i, 2 + j
            out = value(x, y)
            b.put_formula(sh, r, c, b.expand(tpl(f"{a1(head, c, True)}", f"{a1(r, 1, True)}"), sh), out, "money",
                          "out" if i == j == 2 else "calc")
    b.row[sh] = head + 1 + len(OFFSETS)
    b.register(f"{key}_centre", Ref(sh, head + 3, 4), value(xs[2], ys[2]))
