"""Charts of results for notebooks: the cash flows of a valuation, the ORR prior against the posterior of an
update, and a deal's payment timeline (the ``plot`` extra; matplotlib is imported on the first chart, not before).

Each function returns a matplotlib figure with labelled axes (money in millions of the sheet's currency); nothing
is shown or written. ``Result.plot()``, ``PosUpdate.plot()`` and ``DealValuation.plot()`` call them; the
Monte Carlo histogram and the tornado are in :mod:`iitvalue.montecarlo.plots`.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..stats.betamix import BetaMix

MISSING = "plots need matplotlib, which is not installed: pip install 'iitvalue[plot]'"


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend (in a notebook, its inline one); an
    :class:`~iitvalue.errors.InputError` saying how to install it when matplotlib is missing."""
    try:
        import matplotlib

        if "ipykernel" not in sys.modules:  # a notebook keeps its inline backend
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError(MISSING) from None
    return plt


def plot_cashflows(cashflows, currency: str = "", title: str = ""):
    """Risk-adjusted R&D and commercial cash flow by year (bars) and their sum (line), from the per-period
    DataFrame of a valuation (``result.cashflows``)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    x = cashflows["year"].to_numpy()
    rd = cashflows["rd_risked"].to_numpy()
    total = cashflows["fcf_risked"].to_numpy()
    commercial = total - rd
    ax.bar(x, rd, color="#c44e52", label="R&D (risk-adjusted)")
    ax.bar(x, commercial, bottom=np.where(commercial >= 0, 0.0, rd), color="#4c72b0",
           label="commercial after tax (risk-adjusted)")
    ax.plot(x, total, color="black", marker="o", ms=3, lw=1, label="cash flow (risk-adjusted)")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("year")
    ax.set_ylabel(_money_label(currency))
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _mixture(active: BetaMix, inactive: BetaMix, p: float) -> BetaMix:
    """The mixture p x active + (1 - p) x inactive."""
    if p >= 1.0 or p <= 0.0:
        return active if p >= 1.0 else inactive
    return BetaMix(np.concatenate([p * np.asarray(active.weights), (1 - p) * np.asarray(inactive.weights)]),
                   np.concatenate([active.a, inactive.a]), np.concatenate([active.b, inactive.b]))


def plot_orr(update, points: int = 400):
    """The ORR density before the readouts (the class model at the prior class probability) and after them
    (the posterior), with the posterior mean marked, for a :class:`~iitvalue.model.pos.PosUpdate`."""
    plt = pyplot()
    x = np.linspace(0.001, 0.999, points)
    prior = _mixture(update.model.orr_active, update.model.orr_inactive, update.prior_class)
    post = update.orr_posterior()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(x, prior.pdf(x), color="#8c8c8c", lw=1.5, ls="--",
            label=f"prior (P(active) {update.prior_class:.0%}, LOA {update.prior_loa:.1%})")
    ax.plot(x, post.pdf(x), color="#4c72b0", lw=2,
            label=f"posterior (P(active) {update.posterior_class:.0%}, LOA {update.posterior_loa:.1%})")
    ax.axvline(post.mean(), color="#4c72b0", lw=0.8, ls=":")
    n = sum(e.n for e in update.evidence)
    r = sum(e.responders for e in update.evidence)
    ax.set_xlabel("objective response rate (ORR)")
    ax.set_ylabel("density")
    ax.set_title(f"{update.model.key}: {r:g}/{n:g} responders, Bayes factor {update.bayes_factor:.3g}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_payments(rows: Sequence[dict[str, Any]], currency: str = "", title: str = ""):
    """A deal's payment timeline: each payment's amount (light) and its expected amount, amount x P(paid) from
    the buyer's view (dark), at its expected time in years; streams (royalties, profit shares) at their
    cash-weighted time."""
    plt = pyplot()
    rows = [r for r in rows if r.get("time") is not None and np.isfinite(r["time"]) and r.get("amount")]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if not rows:
        ax.text(0.5, 0.5, "no payments", ha="center", va="center", transform=ax.transAxes)
    t = np.array([float(r["time"]) for r in rows])
    amount = np.array([float(r["amount"]) for r in rows])
    expected = amount * np.array([float(r.get("probability") or 0.0) for r in rows])
    width = max(0.08, 0.015 * (float(t.max() - t.min()) if rows else 1.0))
    ax.bar(t, amount, width=width, color="#a1c4e8", label="amount if paid")
    ax.bar(t, expected, width=width, color="#2a5d8f", label="expected (x P(paid), buyer's view)")
    for ti, a, r in zip(t, amount, rows):
        ax.annotate(str(r["name"])[:40], (ti, a), textcoords="offset points", xytext=(0, 3), rotation=60,
                    fontsize=7, ha="left", va="bottom")
    ax.set_xlabel("years from the valuation date")
    ax.set_ylabel(_money_label(currency))
    ax.set_title(title)
    ax.margins(y=0.35)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _money_label(currency: str) -> str:
    return f"{currency} millions" if currency else "millions"


def plot_backtest(backtest: dict[str, Any], currency: str = "USD"):
    """Predicted against paid upfront, log-log (docs/method.md 4.7): each deal's time-ordered prediction of the
    combination with its 80 % interval (dark) and its leave-one-out prediction (open circles), the line
    paid = predicted and the band of a factor of 2 either way."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 6))
    loo = [d for d in backtest.get("loo_deals", []) if d.get("predicted")]
    t = backtest.get("deals", [])
    if loo:
        ax.scatter([d["predicted"] for d in loo], [d["paid"] for d in loo], facecolors="none", edgecolors="#7f7f7f",
                   s=22, label=f"leave-one-out ({len(loo)} deals)")
    if t:
        x = np.array([d["predicted"] for d in t])
        y = np.array([d["paid"] for d in t])
        err = np.array([x - np.array([d["low"] for d in t]), np.array([d["high"] for d in t]) - x])
        ax.errorbar(x, y, xerr=err, fmt="o", color="#2a5d8f", ms=4, elinewidth=0.6, alpha=0.8,
                    label=f"time-ordered with 80% interval ({len(t)} deals)")
    values = [v for d in loo + t for v in (d["predicted"], d["paid"])] or [1.0, 10.0]
    lo, hi = min(values) / 2, max(values) * 2
    grid = np.array([lo, hi])
    ax.plot(grid, grid, color="black", lw=0.8, label="paid = predicted")
    ax.fill_between(grid, grid / 2, grid * 2, color="#cccccc", alpha=0.4, label="within a factor of 2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(f"predicted upfront ({_money_label(currency)})")
    ax.set_ylabel(f"paid upfront ({_money_label(currency)})")
    mae, cov = backtest.get("median_abs_log_error"), backtest.get("coverage_80")
    if mae is not None:
        ax.set_title(f"Fair upfront out of sample: median |ln error| {mae:.2f} (x{np.exp(mae):.2f}), "
                     f"{cov:.0%} inside the 80% interval", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_history(rows: Sequence[dict[str, Any]], currency: str = "", title: str = ""):
    """The readout history (docs/method.md 6.1): the LOA (top) and the asset rNPV with the deal's fair upfront
    (bottom) at each revaluation date, each point labelled by its event."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    d = [r["date"] for r in rows]
    top.plot(d, [r["loa"] for r in rows], "o-", color="#2a5d8f")
    top.set_ylabel("LOA")
    top.set_ylim(0, max(0.05, 1.15 * max(r["loa"] for r in rows)))
    bottom.plot(d, [r["rnpv"] for r in rows], "o-", color="#2a5d8f", label="asset rNPV")
    fair = [(r["date"], r["fair_upfront"]) for r in rows if r.get("fair_upfront") is not None]
    if fair:
        bottom.plot([x for x, _ in fair], [y for _, y in fair], "s--", color="#c0504d", label="fair upfront")
    bottom.set_ylabel(_money_label(currency))
    bottom.legend(fontsize=8)
    for r in rows:
        top.annotate(str(r["event"])[:40], (r["date"], r["loa"]), textcoords="offset points", xytext=(4, 6),
                     fontsize=7, rotation=15)
    top.set_title(title, fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
