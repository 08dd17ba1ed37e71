"""How each side is taxed on the deal's payments (``deal.payment_tax``, docs/method.md 3.5). The factor multiplies a
payment component's present value in one party's view:

* ``pre-tax`` (default): payments are transfers between the parties, untaxed: factor 1;
* ``deductible``: the licensor is taxed on what it receives and the licensee deducts what it pays, both when paid,
  at the sheet's tax rate tau: factor 1 - tau for both;
* ``amortised``: the licensor as above; the licensee capitalises a lump sum (upfront, tranche, milestone, equity
  premium) and deducts it straight-line over n = ``amortisation_years`` years, one n-th at the end of each year
  after the payment: factor 1 - tau a_n(r) / n with the annuity a_n(r) = sum_{i=1..n} (1 + r)^-i (r the
  licensee's rate; a_n(0) = n, so at r = 0 it equals deductible). Royalties, the supply margin and sublicence
  royalties are deducted when paid (1 - tau).

Both sides at the same rate tau, paid or deducted at once (no loss carry-forward of the payments): the usual
practitioner simplification. The target's net cash, the profit share (already net of its pro-rata tax) and the
asset a licensor keeps when an option lapses are not payments and keep factor 1.
"""

from __future__ import annotations

LUMP = frozenset({"upfront", "tranche", "equity_premium"})  # and every milestone category
STREAM = frozenset({"royalties", "supply", "sublicence_royalty"})
UNTAXED = frozenset({"net_cash", "profit_share", "rd_before_signing", "option_retained"})


def annuity(rate: float, years: float) -> float:
    """a_n(r) = sum_{i=1..n} (1 + r)^-i for whole n (the closed form (1 - (1 + r)^-n) / r; n at r = 0).

    Examples
    --------
    >>> round(annuity(0.10, 2), 12)    # 1/1.1 + 1/1.21
    1.735537190083
    >>> annuity(0.0, 15)
    15.0
    """
    n = int(round(years))
    if rate == 0:
        return float(n)
    return (1.0 - (1.0 + rate) ** -n) / rate


def payment_tax_factor(deal, role: str, category: str, rate: float, tax_rate: float) -> float:
    """The factor on a component's PV for ``role`` ("licensor" or "licensee") at its ``rate`` (module docstring).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> d = NS(payment_tax="amortised", amortisation_years=2)
    >>> round(payment_tax_factor(d, "licensee", "upfront", 0.10, 0.21), 12)   # 1 - 0.21 x 1.7355 / 2
    0.817768595041
    >>> payment_tax_factor(d, "licensor", "upfront", 0.10, 0.21), payment_tax_factor(d, "licensee", "net_cash", 0.1, 0.21)
    (0.79, 1.0)
    """
    mode = getattr(deal, "payment_tax", "pre-tax") or "pre-tax"
    if mode == "pre-tax" or category in UNTAXED or tax_rate == 0:
        return 1.0
    if mode == "deductible" or role == "licensor" or category in STREAM:
        return 1.0 - tax_rate
    return 1.0 - tax_rate * annuity(rate, deal.amortisation_years) / deal.amortisation_years


def licensee_flows(deal, category: str, t: float, paid: float, tax_rate: float) -> list[tuple[float, float]]:
    """The licensee's cash flows (time in years, millions; negative = out) from paying ``paid`` at time ``t`` for
    a component of ``category``, with its tax effect: the payment, less tau x paid at once (deductible, and
    royalties when taxed) or plus tau x paid / n at the end of each of the n years after it (amortised). The
    IRR of the licensee's expected cash flows uses these, so that it agrees with the factors above.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> licensee_flows(NS(payment_tax="amortised", amortisation_years=2), "upfront", 1.0, 100.0, 0.2)
    [(1.0, -100.0), (2.0, 10.0), (3.0, 10.0)]
    >>> licensee_flows(NS(payment_tax="deductible", amortisation_years=2), "regulatory", 1.0, 100.0, 0.2)
    [(1.0, -80.0)]
    """
    mode = getattr(deal, "payment_tax", "pre-tax") or "pre-tax"
    if mode == "pre-tax" or category in UNTAXED or tax_rate == 0:
        return [(t, -paid)]
    if mode == "deductible" or category in STREAM:
        return [(t, -paid * (1.0 - tax_rate))]
    n = deal.amortisation_years
    return [(t, -paid)] + [(t + i, paid * tax_rate / n) for i in range(1, n + 1)]
