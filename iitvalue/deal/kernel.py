"""The deal kernel: what each component of a deal is worth in each development outcome, for one party's view
(its plan's timing and its discount rate). Formulas in docs/method.md, section 3.

Outcome o < J is "fails in phase o", o = J "approved" (:mod:`iitvalue.model.outcomes`). For a component paid
at time t in the outcomes where its trigger's event happens, with discount factor DF_r(t) = (1 + r)^-t (0 for
t < 0: paid before the valuation date, sunk):

* upfront:   V(o) = U DF_r(t_up) in every outcome;
* milestone: V(o) = A DF_r(t) 1[event happens in o] 1[signing <= t <= min(horizon, expires)]; a tranche is
  a milestone on a fixed date (paid in every outcome);
* net cash of an acquired company: V(o) = -N DF_r(t_up) (the licensor hands it over with the shares);
* an equity investment's premium: V(o) = A p / (1 + p) DF_r(t_up) (the rest buys shares at fair value);
* royalties: V(J) = sum_k roy_k DF_k, 0 otherwise; a supply margin (transfer price x sales - the licensor's
  cost of goods) and the licensor's share of sublicence royalties likewise;
* profit and cost share: V(J) = sum_k DF_k (commercial share_k - sum_j share_jk R&D_jk), V(o < J) =
  - sum_k DF_k sum_{j <= o} share_jk R&D_jk; the licensor's R&D before signing is its own component.

The licensor receives sum of components; the licensee holds the asset (its value per outcome at the licensee's
rate) minus what it pays. ``value`` takes each party's expectation with its own outcome probabilities, the
Monte Carlo reads the realised outcome of each path: one formula for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from ..model.outcomes import asset_outcome_values, fail_values
from ..termsheet.schema import Deal
from ..termsheet.triggers import kind_of
from .payments import (describe, equity_premium_value, exercise_event, expand_payments, expiry_time, licence_time,
                       payable, signing_time, upfront_time)
from .streams import (licensor_commercial_lines, licensor_rd_shares, royalty_lines, sublicence_lines,
                      supply_lines)
from .tax import payment_tax_factor


# trigger types whose time and outcomes depend only on the plan's timing (not on sales or costs): with timing
# shared by every scenario (a Monte Carlo drawing only amounts and probabilities), computed once on one row
TIMING_TRIGGERS = frozenset({"phase_start", "phase_success", "filing", "approval", "date"})
_PER_PERIOD = frozenset({"t_start", "t_end", "t_cash"})  # (N,) lines, not per scenario
_NOT_RECEIPTS = frozenset({"profit_share", "rd_before_signing", "net_cash", "option_retained"})  # not payments


def _timing_row(ln):
    """The first scenario of ``ln`` as lines of one row when every scenario shares the timing (the engine then
    returns the phase starts, approval and launch times as broadcast views of one row), else None."""
    S = ln.prob_start.shape[0]
    if S < 2 or any(x.strides[0] != 0 for x in (ln.phase_start, ln.approval_time, ln.launch_time)):
        return None
    rows = {f.name: getattr(ln, f.name)[:1] for f in fields(ln)
            if f.name not in _PER_PERIOD and isinstance(getattr(ln, f.name), np.ndarray)
            and getattr(ln, f.name).ndim and getattr(ln, f.name).shape[0] == S}
    return replace(ln, **rows)


def _to_rows(x: np.ndarray, S: int) -> np.ndarray:
    """``x`` with S rows: itself, or a read-only broadcast view of its single row."""
    return x if x.shape[0] == S else np.broadcast_to(x, (S,) + x.shape[1:])


def _sum_rows(arrays: list[np.ndarray], like: np.ndarray) -> np.ndarray:
    """zeros + a_1 + a_2 + ... in that order; when every term is one row broadcast, summed on that row (the same
    numbers) and broadcast."""
    if arrays and all(a.strides[0] == 0 for a in arrays) and like.shape[0] > 1:
        return np.broadcast_to(sum((a[:1] for a in arrays), np.zeros((1,) + like.shape[1:])), like.shape)
    return sum(arrays, np.zeros_like(like))


def discount(rate: float | np.ndarray, t: np.ndarray) -> np.ndarray:
    """(1 + r)^-t, and 0 where t < 0 (a payment before the valuation date is sunk). nan t gives 0."""
    t = np.asarray(t, dtype=float)
    tt = np.where(np.isfinite(t) & (t >= 0), t, 0.0)
    return np.where(np.isfinite(t) & (t >= 0), (1.0 + np.asarray(rate, dtype=float)) ** (-tt), 0.0)


@dataclass
class Component:
    """One part of the deal as the licensor receives it, per outcome: ``pv`` (S, J + 1) at the party's rate,
    ``nominal`` (S, J + 1) undiscounted, ``paid`` (S, J + 1) whether anything flows in that outcome, ``time``
    (S,) the payment time (nan for streams)."""

    name: str
    category: str
    trigger: str
    amount: float
    pv: np.ndarray
    nominal: np.ndarray
    paid: np.ndarray
    time: np.ndarray
    cvr: bool = False
    stream: bool = False
    licence: bool = False  # part of the licence an option gives (paid only if exercised)


@dataclass
class DealOutcomes:
    """Every component's value per outcome for one party's view, and the asset's value per outcome at the
    party's rate. Arrays (S, J + 1)."""

    rate: float
    asset: np.ndarray
    components: list[Component] = field(default_factory=list)
    exercise: np.ndarray | None = None  # with an option: (S,) whether the licensee exercises (its decision)
    option_gain: np.ndarray | None = None  # with an option: (S, J + 1) the licensee's gain G from exercising

    @property
    def licensor(self) -> np.ndarray:
        """What the licensor gets in each outcome: the sum of the components."""
        return _sum_rows([c.pv for c in self.components], self.asset)

    @property
    def licensee(self) -> np.ndarray:
        """What the licensee gets: the asset minus everything the licensor gets."""
        return self.asset - self.licensor

    @property
    def receipts(self) -> np.ndarray:
        """The licensor's receipts (payments and royalties, not its profit or cost share nor the target's net
        cash it hands over), PV."""
        return _sum_rows([c.pv for c in self.components if c.category not in _NOT_RECEIPTS], self.asset)

    @property
    def receipts_nominal(self) -> np.ndarray:
        """The same, undiscounted (payments before the valuation date excluded)."""
        return _sum_rows([c.nominal for c in self.components if c.category not in _NOT_RECEIPTS], self.asset)


def deal_outcomes(deal: Deal, plan, ln, rate: float, upfront: float | None = None,
                  role: str | None = None, exercise: np.ndarray | None = None) -> DealOutcomes:
    """Every component of ``deal`` valued in every development outcome, at discount rate ``rate``.

    Outcome o < J is "fails in phase o", o = J "approved"; a component paid at time t where its trigger's event
    happens is worth A (1 + r)^-t there, royalties and profit shares sum_k DF_k x their lines (formulas in the
    module docstring, docs/method.md section 3.0). :func:`iitvalue.value` takes each party's expectation over the
    outcomes; the Monte Carlo reads each path's realised outcome. Money in millions at the valuation date.

    Parameters
    ----------
    deal : Deal
        The sheet's ``[deal]``.
    plan : Plan
        The party's plan (its beliefs and timing).
    ln : Lines
        The engine's lines of ``plan`` (:func:`iitvalue.model.engine.evaluate`; any number of scenarios S).
    rate : float
        The party's discount rate (fraction).
    upfront : float, optional
        Overrides the deal's upfront (millions).
    role : str, optional
        "licensor" or "licensee": the party whose ``deal.payment_tax`` factors apply (None: pre-tax).
    exercise : ndarray, optional
        With ``[deal.option]``: the licensee's decision (S,) bool, from its own view (default: this view's).

    Returns
    -------
    DealOutcomes
        ``components`` (each with ``pv`` (S, J + 1)), ``licensor`` = their sum, ``licensee`` = asset - licensor,
        ``asset`` (S, J + 1), ``receipts``.

    Examples
    --------
    >>> import iitvalue
    >>> from iitvalue.model.engine import arrays_from_plan, evaluate
    >>> from iitvalue.model.outcomes import expectation, outcome_probabilities
    >>> from iitvalue.model.plan import resolve
    >>> sheet = iitvalue.load("examples/esobiotec.toml")
    >>> plan = resolve(sheet)
    >>> out = deal_outcomes(sheet.deal, plan, evaluate(arrays_from_plan(plan)), 0.10)
    >>> out.licensor.round(1).tolist()     # fails in phase 1, 2, 3, review; approved
    [[418.0, 470.7, 514.4, 514.4, 723.7]]
    >>> pf = outcome_probabilities(np.array([[p.probability for p in plan.phases]]))
    >>> [round(float(expectation(x, pf)[0]), 1) for x in (out.licensor, out.licensee, out.asset)]
    [476.9, -332.1, 144.8]
    """
    return deal_outcomes_at(deal, plan, ln, (rate,), upfront, roles=None if role is None else (role,),
                            exercise=exercise)[0]


def apply_payment_tax(deal: Deal, outs: list[DealOutcomes], roles: tuple[str, ...] | None, tax_rate: float) -> None:
    """Multiply each payment component's PV by its party's ``deal.payment_tax`` factor (:mod:`.tax`), in place;
    ``roles`` names the party of each element of ``outs`` (None: every view pre-tax, as the workbook's cached
    values)."""
    if roles is None or deal.payment_tax == "pre-tax" or tax_rate == 0:
        return
    for out, role in zip(outs, roles):
        for c in out.components:
            f = payment_tax_factor(deal, role, c.category, out.rate, tax_rate)
            if f != 1.0:
                c.pv = c.pv * f


def deal_outcomes_at(deal: Deal, plan, ln, rates: tuple[float, ...], upfront: float | None = None,
                     assets: tuple[bool, ...] | None = None, roles: tuple[str, ...] | None = None,
                     exercise: np.ndarray | None = None) -> list[DealOutcomes]:
    """:func:`deal_outcomes` at several discount rates (one per party), sharing everything that does not depend
    on the rate: which outcomes pay each milestone, the royalty and profit-share lines. ``assets``: per rate,
    whether its ``asset`` values are needed (default all; a skipped one is nan, and so is its ``licensee``).
    With an option the licensee decides (:func:`apply_option`): ``exercise`` gives its decision, else it is taken
    in the view of the role "licensee" (or the last rate).

    The upfront, and with timing shared by every scenario each payment whose trigger depends on timing only,
    are computed on one row and broadcast (read-only views): the same numbers, once."""
    S, J = ln.prob_start.shape
    dfs = [(1.0 + r) ** (-ln.t_cash) for r in rates]
    assets = (True,) * len(rates) if assets is None or deal.option is not None else assets
    outs = [DealOutcomes(r, asset_outcome_values(ln, df) if need else np.broadcast_to(np.nan, (S, J + 1)))
            for r, df, need in zip(rates, dfs, assets)]

    def add(name, category, trigger, amount, pv_of, nominal, paid, time, **kw) -> None:
        nominal, paid, time = _to_rows(nominal, S), _to_rows(paid, S), _to_rows(time, S)
        for out, r, df in zip(outs, rates, dfs):
            out.components.append(Component(name, category, trigger, amount, _to_rows(pv_of(r, df), S), nominal,
                                            paid, time, **kw))

    up = deal.upfront if upfront is None else upfront
    ones = np.ones((1, J + 1))
    t_up = np.full(1, upfront_time(deal, plan))
    paid_up = ones * (t_up[:, None] >= 0)
    add("Upfront", "upfront", f"{'closing' if deal.closing else 'deal date'} {deal.closing or deal.date}", up,
        lambda r, df: up * discount(r, t_up)[:, None] * ones, up * paid_up, paid_up, t_up)
    row = _timing_row(ln)
    t_lic = licence_time(deal, plan, row if row is not None else ln)  # the signing, or an option's exercise
    for p in expand_payments(deal):
        kind = kind_of(p.trigger)
        src = row if row is not None and p.trigger.type in TIMING_TRIGGERS else ln
        t, _ = kind.event(p.trigger, plan, src)
        lic = p.category != "tranche"  # tranches are paid at their dates, exercised or not
        start = t_lic if lic else np.full(1, signing_time(deal, plan))
        paid = kind.happens(p.trigger, plan, src) & payable(t, plan, start, expiry_time(p, plan))[:, None]
        add(p.name, p.category, describe(p.trigger), p.amount,
            lambda r, df, t=t, paid=paid, a=p.amount: a * discount(r, t)[:, None] * paid,
            p.amount * (paid & (np.asarray(t) >= 0)[:, None]), paid, t, cvr=p.cvr, licence=lic)  # nan: False
    success = np.arange(J + 1)[None, :] == J
    nan_t = np.full(S, np.nan)
    every = np.ones((S, J + 1), dtype=bool)
    streams = (("royalties", "Royalties", deal.royalties, lambda: royalty_lines(deal, plan, ln).sum(axis=1)),
               ("supply", "Supply margin", deal.supply, lambda: supply_lines(deal, plan, ln)),
               ("sublicence_royalty", "Sublicence royalties", deal.sublicence, lambda: sublicence_lines(deal, plan, ln)))
    for cat, name, terms, lines in streams:  # paid on the success path only, (S, N) per period
        if terms:
            flow = lines()
            add(name, cat, "net sales", float(flow[0].sum()),
                lambda r, df, flow=flow: np.where(success, (flow * df).sum(-1)[:, None], 0.0),
                np.where(success, flow.sum(-1)[:, None], 0.0), success & (flow.sum(-1) != 0)[:, None], nan_t,
                stream=True, licence=True)
    before, after = licensor_rd_shares(deal, plan, ln)

    def phase_pv_shared(share: np.ndarray, df: np.ndarray) -> np.ndarray:
        """(S, J): sum_k share_jk R&D_jk DF_k, from the unit R&D lines when every scenario shares them."""
        if ln.rd_unit is not None and ln.rd_unit.shape[0] == 1:
            return ln.rd_cost * (ln.rd_unit[0] * share * df[None, :]).sum(-1)
        return (ln.rd_by_phase * share * df).sum(-1)  # share (J, N) or (S, J, N), df (N,)

    if np.any(before != 0) and np.any(ln.rd_by_phase * before != 0):  # (finite R&D: the same test)
        nominal_before = (ln.rd_by_phase * before).sum(-1)  # (S, J) each phase's pre-signing R&D

        def pv_before(r, df):
            v = phase_pv_shared(before, df)
            return fail_values(v, -v.sum(1))

        add("Licensor's R&D before signing" if deal.option is None else "Licensor's R&D before exercise",
            "rd_before_signing", f"development until {deal.date}" if deal.option is None else
            f"development until {describe(deal.option.exercise)}",
            float(-nominal_before[0].sum()), pv_before, fail_values(nominal_before, -nominal_before.sum(1)),
            every, nan_t, stream=True)
    if deal.profit_shares or deal.licensor_cost_share > 0 or deal.cost_shares:
        commercial = licensor_commercial_lines(deal, plan, ln)
        rd_after_nom = (ln.rd_by_phase * after).sum(-1)
        nominal = fail_values(rd_after_nom, commercial.sum(-1) - rd_after_nom.sum(1))

        def pv_share(r, df):
            v = phase_pv_shared(after, df)
            return fail_values(v, (commercial * df).sum(-1) - v.sum(1))

        add("Profit and cost share", "profit_share", "asset cash flows", float(nominal[0, J]), pv_share, nominal,
            every, nan_t, stream=True, licence=True)
    if deal.equity is not None and deal.equity.premium > 0:
        e = equity_premium_value(deal.equity)  # the premium part of the licensee's share purchase, at closing
        add("Equity premium", "equity_premium", f"closing {deal.closing or deal.date}", e,
            lambda r, df: e * discount(r, t_up)[:, None] * ones, e * paid_up, paid_up, t_up)
    if deal.net_cash:
        n = -deal.net_cash  # the sellers receive the price and hand over the target's cash with the shares
        add("Net cash of the target", "net_cash", f"closing {deal.closing or deal.date}", n,
            lambda r, df: n * discount(r, t_up)[:, None] * ones, n * paid_up, paid_up, t_up)
    if deal.option is not None:
        o = deal.option
        add("Option fee", "option_fee", f"closing {deal.closing or deal.date}", o.fee,
            lambda r, df: o.fee * discount(r, t_up)[:, None] * ones, o.fee * paid_up, paid_up, t_up)
        t_e, happens = exercise_event(deal, plan, row if row is not None else ln)
        t_e = np.where(np.isfinite(t_e), t_e, np.nan)
        add("Exercise fee", "exercise_fee", describe(o.exercise), o.exercise_fee,
            lambda r, df: o.exercise_fee * discount(r, t_e)[:, None] * happens,
            o.exercise_fee * (happens & (t_e >= 0)[:, None]), happens, t_e, licence=True)
    apply_payment_tax(deal, outs, roles, plan.tax_rate)
    if deal.option is not None:
        who = len(rates) - 1 if not roles or "licensee" not in roles else roles.index("licensee")
        apply_option(outs, ln, happens, t_e, who, exercise)
    return outs


def apply_option(outs: list[DealOutcomes], ln, happens: np.ndarray, t_e: np.ndarray, who: int,
                 exercise: np.ndarray | None = None) -> None:
    """The licensee's option, in place (docs/method.md 3.7). Its gain from exercising in outcome o is
    G(o) = A_post(o) - sum of the licence's components (exercise fee, milestones, royalties, profit and cost
    share; after payment tax), with A_post the asset's value net of the R&D the licensor bears before exercise
    (G = 0 where the event does not happen). It exercises when E[G] > 0 under its own beliefs and rate (view
    ``who``), on each row (path): X = 1[E[G] > 0], so the option is worth E[X G] = max(0, E[G]) >= 0 to it. The
    licence's components are then paid only where it holds the licence (X and the event happened), and the
    licensor keeps the asset everywhere else (component ``option_retained``, A_post (1 - X 1[event]))."""
    probs = _outcome_probabilities(ln)
    S = outs[0].asset.shape[0]
    happens = np.broadcast_to(happens, outs[0].asset.shape)
    gains = []
    for out in outs:
        pre = _sum_rows([c.pv for c in out.components if c.category == "rd_before_signing"], out.asset)
        post = out.asset - pre
        lic = _sum_rows([c.pv for c in out.components if c.licence], out.asset)
        gains.append((post, np.where(happens, post - lic, 0.0)))
    if exercise is None:
        exercise = (gains[who][1] * probs).sum(axis=1) > 0
    x = np.asarray(exercise, dtype=bool)
    x = np.broadcast_to(x, (S,)) if x.size == 1 else x
    held = x[:, None] & happens  # the licensee holds the licence in these outcomes
    for out, (post, gain) in zip(outs, gains):
        for c in out.components:
            if c.licence:
                c.pv = c.pv * held
                c.nominal = c.nominal * held
                c.paid = c.paid & held
        kept = post * ~held
        out.components.append(Component("Asset kept if the option lapses", "option_retained", "option not exercised",
                                        0.0, kept, kept, ~x[:, None] & happens, _to_rows(t_e, S)))
        out.exercise, out.option_gain = x, gain


def _outcome_probabilities(ln) -> np.ndarray:
    """P(outcome) per row of the lines, (S, J + 1): P(fail in phase j) = P(start j) - P(start j + 1)."""
    start = np.concatenate([ln.prob_start, ln.loa[:, None]], axis=1)
    return np.concatenate([start[:, :-1] - start[:, 1:], ln.loa[:, None]], axis=1)
