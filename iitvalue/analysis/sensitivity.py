"""Deterministic re-valuations: the tornado of the ``[[uncertainty]]`` inputs, the named ``[[scenarios]]`` and
two-way grids (docs/montecarlo.md, section 5)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..model.asset import value_plan
from ..model.plan import resolve
from ..montecarlo.setup import TERR_ARRAY, prepare
from ..stats.distributions import DISTRIBUTIONS, distribution
from ..tables import Column, Rows, integer, money, percent, text
from ..termsheet.paths import get_path, parse_path
from ..termsheet.schema import TermSheet, Uncertainty
from ..valuation import value, value_deal_for


def base_value(sheet: TermSheet, path: str) -> float:
    """The value of a numeric input in ``sheet``: as given, or the default the engine resolves it to."""
    loc = parse_path(path)
    v = get_path(sheet.to_dict(), loc)
    if v is not None:
        return float(v)
    plan = resolve(sheet)
    if loc[0] == "phases":
        return float(getattr(plan.phases[loc[1]], loc[-1]))
    if loc[0] == "territories" and loc[-1] in TERR_ARRAY:
        return float(getattr(plan.territories[loc[1]], loc[-1]))
    raise InputError(Problem(path, "has no value in this term sheet to vary; set it first"))


def swing_of(sheet: TermSheet, u: Uncertainty, pct: float = 0.20) -> tuple[float, float, str]:
    """Tornado swing (low, high, basis): ``swing``; else low/high where they are a swing; else the P10/P90 of
    the distribution; else the base value -/+ ``pct``."""
    if u.swing is not None:
        return float(u.swing[0]), float(u.swing[1]), "declared swing"
    if not (u.dist is not None and DISTRIBUTIONS[u.dist].bounded) and u.low is not None and u.high is not None:
        return float(u.low), float(u.high), "declared low/high"
    if u.dist is not None:
        lo, hi = distribution(u).ppf(np.array([0.10, 0.90]))
        return float(lo), float(hi), f"P10/P90 of the {u.dist} distribution"
    b = base_value(sheet, u.path)
    return b * (1 - pct), b * (1 + pct), f"base -/+{pct:.0%}"


# what a tornado, a scenario table or a grid can rank or tabulate (docs/cli.md, sensitivity)
METRICS = {"asset.rnpv": "asset rNPV", "asset.loa": "asset LOA", "deal.licensor_npv": "licensor NPV",
           "deal.licensee_npv": "licensee NPV", "deal.licensor_gain": "licensor gain",
           "deal.breakeven_upfront": "break-even upfront", "deal.option_value": "option value"}


def check_metric(sheet: TermSheet, metric: str) -> None:
    """An unknown metric, or a deal metric of a sheet without a deal, is an input error (exit 2)."""
    if metric not in METRICS:
        raise InputError(Problem("--metric", f"unknown metric '{metric}'; allowed: {', '.join(METRICS)}"))
    if metric.startswith("deal.") and sheet.deal is None:
        raise InputError(Problem("--metric", f"'{metric}' needs a [deal] table"))
    if metric == "deal.option_value" and sheet.deal.option is None:
        raise InputError(Problem("--metric", "'deal.option_value' needs a [deal.option] table"))


def _metrics(result) -> dict[str, float]:
    out = {"asset.rnpv": float(result.asset.summary["rnpv"]), "asset.loa": float(result.asset.summary["loa"])}
    if result.deal is not None:
        out.update(_deal_metrics(result.deal.summary))
    return out


def _deal_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """The deal metrics of :data:`METRICS` from a deal summary (a missing break-even upfront is nan; the option
    value only with an option)."""
    return {k: float("nan") if summary[k[5:]] is None else float(summary[k[5:]])
            for k in METRICS if k.startswith("deal.")
            and (k != "deal.option_value" or summary.get("option_fee") is not None)}


def _value_with(sheet: TermSheet, changes: dict[str, Any], label: str) -> dict[str, float]:
    try:
        return _metrics(value(sheet.replace(changes)))
    except InputError as exc:
        raise InputError([Problem(f"{label}: {p.path}" if p.path else label, p.message) for p in exc.problems]) from None


class Tornado(Rows):
    """The ranked rows of :func:`tornado` (a list of dicts, as ``iitvalue sensitivity --format json`` shows them
    nested) with the base case's metrics (``base``), a DataFrame with numeric dtypes (``frame``: ``low``,
    ``high`` and ``base`` are NaN for the posterior's class row), a formatted notebook table and :meth:`plot`."""

    def __init__(self, rows: list[dict[str, Any]], base: dict[str, float], asset: str = "", currency: str = "",
                 metric: str = "asset.rnpv"):
        super().__init__(rows, tornado_columns(metric), f"Tornado of the {METRICS[metric]} of {asset} ({currency} "
                         f"millions; base {money(base[metric]) if metric != 'asset.loa' else percent(base[metric])})",
                         index="path", numeric=("base", "low", "high"))
        self.base, self.metric = base, metric

    def plot(self, metric: str | None = None):
        """A tornado chart of ``metric``: one bar per input from its value at low (red) to high (green) around the
        base, largest swing on top (docs/montecarlo.md section 7).

        Parameters
        ----------
        metric : str, optional
            ``asset.rnpv``, ``asset.loa`` or, with a deal, ``deal.licensor_npv``, ``deal.licensee_npv``, ...
            (:data:`METRICS`); default the metric the tornado was ranked by.

        Returns
        -------
        matplotlib.figure.Figure
            Needs the ``plot`` extra (``pip install 'iitvalue[plot]'``).

        Raises
        ------
        InputError
            The sheet has no ``[[uncertainty]]`` entries.

        Examples
        --------
        >>> import iitvalue
        >>> fig = iitvalue.tornado(iitvalue.load("examples/esobiotec.toml")).plot()
        >>> fig.axes[0].get_title()
        'Tornado of the asset rNPV of ESO-T01: base 242.5'
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        from ..montecarlo.plots import plot_tornado

        metric = metric or self.metric
        if not self:
            raise InputError(Problem("uncertainty", "no [[uncertainty]] entries to draw a tornado of"))
        fig = plot_tornado(list(self), self.base[metric], metric)
        fig.axes[0].set_title(f"{self.title.split(' (')[0]}: base {money(self.base[metric])}" if metric == "asset.rnpv"
                              else f"{metric}: base {self.base[metric]:,.4g}")
        fig.tight_layout()
        return fig


def _swing_text(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else text(x)


def tornado_columns(metric: str = "asset.rnpv") -> list[Column]:
    """The tornado table's columns for ``metric`` (its value at low and at high, the swing)."""
    short = {"asset.rnpv": "rNPV", "asset.loa": "LOA", "deal.licensor_npv": "seller NPV",
             "deal.licensee_npv": "buyer NPV", "deal.licensor_gain": "seller gain",
             "deal.breakeven_upfront": "BE upfront", "deal.option_value": "option value"}[metric]
    fmt = percent if metric == "asset.loa" else money
    return [Column("rank", "#", integer), Column("path", "input", max_width=36),
            Column("low", "low", _swing_text), Column("high", "high", _swing_text),
            Column(f"{metric}_low", f"{short} low", fmt, f"{METRICS[metric]} at low"),
            Column(f"{metric}_high", f"{short} high", fmt, f"{METRICS[metric]} at high"), Column("swing", "swing", fmt),
            Column("basis", "basis")]


TORNADO_COLUMNS = tornado_columns()


def tornado(sheet: TermSheet, pct: float = 0.20, metric: str = "asset.rnpv") -> Tornado:
    """One-way swings of every ``[[uncertainty]]`` input, all else at base, ranked by |metric(high) -
    metric(low)| (default the asset rNPV; ``metric`` one of :data:`METRICS`, e.g. ``deal.licensee_npv``).

    Each row: path, basis, base, low, high, and for each metric (asset.rnpv, asset.loa, deal.* when a deal
    exists) its value at low and high. The posterior entry swings the class: P(approval | inactive) against
    P(approval | active), spread over the phases like the Bayesian update.

    Parameters
    ----------
    sheet : TermSheet
    pct : float
        The relative swing of an input that declares neither a swing, low/high nor a distribution.
    metric : str
        What ranks the rows and is tabulated (every metric is in each row either way).

    Returns
    -------
    Tornado
        The rows (largest swing first), also as ``.frame``; ``.plot()`` draws them.

    Examples
    --------
    >>> import iitvalue
    >>> t = iitvalue.tornado(iitvalue.load("examples/esobiotec.toml"))
    >>> t.frame["swing"].dtype, t[0]["rank"]
    (dtype('float64'), 1)
    """
    check_metric(sheet, metric)
    base = _metrics(value(sheet))
    rows = []
    for i, u in enumerate(sheet.uncertainty):
        if u.dist == "posterior":
            lo_m, hi_m = _class_metrics(sheet)
            row = {"path": u.path, "basis": "inactive vs active class", "base": None, "low": "inactive",
                   "high": "active"}
        else:
            lo, hi, basis = swing_of(sheet, u, pct)
            lo_m = _value_with(sheet, {u.path: lo}, f"uncertainty[{i}] low")
            hi_m = _value_with(sheet, {u.path: hi}, f"uncertainty[{i}] high")
            row = {"path": u.path, "basis": basis, "base": base_value(sheet, u.path), "low": lo, "high": hi}
        for k in base:
            row[f"{k}_low"] = lo_m[k]
            row[f"{k}_high"] = hi_m[k]
        row["swing"] = abs(hi_m[metric] - lo_m[metric])
        rows.append(row)
    rows.sort(key=lambda r: -r["swing"] if np.isfinite(r["swing"]) else 0.0)
    for k, r in enumerate(rows, start=1):
        r["rank"] = k
    return Tornado(rows, base, sheet.asset.name, sheet.valuation.currency, metric)


def _class_metrics(sheet: TermSheet) -> tuple[dict[str, float], dict[str, float]]:
    """Metrics with the phase probabilities of the inactive and of the active class (deal: both parties)."""
    if len(sheet.indications) > 1:
        raise InputError(Problem("uncertainty", "a posterior entry with several [[indications]]: the shared class "
                                 "sets every indication's probabilities; swing an input instead (docs/method.md 5)"))
    setup = prepare(sheet)
    out = []
    for probs in (setup.posterior.probs_inactive, setup.posterior.probs_active):
        plan = setup.plan.with_phases(list(probs), source="class of the posterior draw")
        v = value_plan(plan)
        m = {"asset.rnpv": float(v.summary["rnpv"]), "asset.loa": float(v.summary["loa"])}
        if sheet.deal is not None:
            m.update(_deal_metrics(value_deal_for(sheet, plan, plan, plan).summary))
        out.append(m)
    return out[0], out[1]


def scenarios(sheet: TermSheet) -> Rows:
    """The base case and each ``[[scenarios]]`` entry valued side by side (metrics as in :func:`tornado`): rows
    ``name``, ``set`` and the metrics, also as a DataFrame indexed by name (``.frame``).

    Parameters
    ----------
    sheet : TermSheet
        Its ``[[scenarios]]`` entries, each a ``set`` of dotted paths applied with :meth:`TermSheet.replace`.

    Returns
    -------
    Rows
        The base case first, then each scenario; money in millions, LOA as a fraction.

    Raises
    ------
    InputError
        A scenario sets a path that does not exist or a value the schema refuses (named ``scenarios[i]``).

    Examples
    --------
    >>> import iitvalue
    >>> rows = scenarios(iitvalue.load("examples/esobiotec.toml"))
    >>> [r["name"] for r in rows], round(float(rows.frame.loc["bear", "asset.rnpv"]), 1)
    (['base', 'bear', 'bull'], 34.9)
    """
    rows = [{"name": "base", "set": {}, **_metrics(value(sheet))}]
    for i, sc in enumerate(sheet.scenarios):
        rows.append({"name": sc.name, "set": dict(sc.set), **_value_with(sheet, dict(sc.set), f"scenarios[{i}]")})
    cols = [Column("name", "scenario")] + [Column(k, k, percent if k.endswith("loa") else money)
                                           for k in rows[0] if k not in ("name", "set")]
    return Rows(rows, cols, f"Scenarios of {sheet.asset.name} ({sheet.valuation.currency} millions)", index="name")


def grid(sheet: TermSheet, x_path: str, x_values: list[float], y_path: str, y_values: list[float],
         metric: str = "asset.rnpv") -> dict[str, Any]:
    """A two-way grid: ``metric`` with ``x_path`` = x and ``y_path`` = y for every pair (rows y, columns x)."""
    check_metric(sheet, metric)
    table = [[_value_with(sheet, {x_path: x, y_path: y}, f"grid {x_path}={x:g}, {y_path}={y:g}")[metric]
              for x in x_values] for y in y_values]
    return {"metric": metric, "x_path": x_path, "x_values": list(x_values), "y_path": y_path,
            "y_values": list(y_values), "values": table}
