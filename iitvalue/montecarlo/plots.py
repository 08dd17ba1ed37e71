"""Plots of simulations, tornados and cash flows (the ``plot`` extra; matplotlib is imported only here).
Each function returns a matplotlib figure; nothing is shown or written."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.charts import pyplot
from .simulate import PERCENTILES, Simulation, stats


def _pyplot():
    """matplotlib.pyplot as every chart gets it (:func:`iitvalue.model.charts.pyplot`: Agg, or a notebook's
    inline backend; an InputError naming the ``plot`` extra without matplotlib)."""
    return pyplot()


def plot_histogram(sim: Simulation, bins: int = 80, currency: str = ""):
    """Histogram of the realised asset NPV with the mean and P5/P10/P50/P90/P95 marked. Returns the figure."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.hist(sim.asset, bins=bins, color="#4c72b0", alpha=0.85)
    s = stats(sim.asset)
    for q in PERCENTILES:
        ax.axvline(s[f"p{q}"], color="#555555", lw=0.8, ls="--")
        ax.text(s[f"p{q}"], ax.get_ylim()[1] * 0.97, f"P{q}", rotation=90, va="top", ha="right", fontsize=8)
    ax.axvline(s["mean"], color="#c44e52", lw=1.5, label=f"mean {s['mean']:,.1f}")
    ax.set_xlabel(f"realised NPV ({currency} millions)".replace(" ()", "").replace("( ", "("))
    ax.set_ylabel("paths")
    ax.set_title(f"{sim.n:,} paths, P(NPV < 0) = {s['prob_negative']:.1%}")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_tornado(rows: list[dict[str, Any]], base: float, metric: str = "asset.rnpv"):
    """Tornado chart: one bar per input from its value at low to its value at high, largest swing on top."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    for k, r in enumerate(reversed(rows)):
        lo, hi = r[f"{metric}_low"], r[f"{metric}_high"]
        ax.barh(k, lo - base, left=base, color="#c44e52", alpha=0.8)
        ax.barh(k, hi - base, left=base, color="#55a868", alpha=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r['path']} [{r['low']}, {r['high']}]" if not isinstance(r["low"], float)
                        else f"{r['path']} [{r['low']:.4g}, {r['high']:.4g}]" for r in reversed(rows)], fontsize=8)
    ax.axvline(base, color="black", lw=1)
    ax.set_xlabel(f"{metric} (red: input at low, green: at high)")
    fig.tight_layout()
    return fig


def plot_cashflows(result):
    """Risk-adjusted cash flow by period (bars), split into risk-adjusted R&D and commercial cash flow."""
    plt = _pyplot()
    cf = result.cashflows
    fig, ax = plt.subplots(figsize=(9, 4.5))
    rd = -cf["rd_risked"].to_numpy()
    commercial = cf["fcf_risked"].to_numpy() - rd
    x = cf["year"].to_numpy()
    ax.bar(x, rd, color="#c44e52", label="risk-adjusted R&D")
    ax.bar(x, commercial, bottom=np.where(commercial >= 0, 0.0, rd), color="#4c72b0",
           label="risk-adjusted commercial (after tax)")
    ax.plot(x, cf["fcf_risked"], color="black", marker="o", ms=3, lw=1, label="risk-adjusted cash flow")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel(f"{result.sheet.valuation.currency} millions")
    ax.set_title(f"{result.sheet.asset.name}: rNPV {result.asset.summary['rnpv']:,.1f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
