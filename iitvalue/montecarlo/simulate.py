"""Monte Carlo simulation of an asset and its deal (docs/montecarlo.md).

Two levels per path. First the uncertain inputs of ``[[uncertainty]]`` are drawn (a Gaussian copula when a
``[correlation]`` is given) and written into the engine's arrays; then each phase passes or fails, a Bernoulli
draw with the path's transition probabilities. A path's realised NPV is the present value of the cash flows of
its realised outcome -- NOT probability-weighted:

    fails in phase j:  -sum_k DF_k sum_{i<=j} R&D_ik           (no sales, no tax)
    approved:           sum_k DF_k (profit_k - tax_k)          (the whole success path)

so, given the drawn inputs, E[NPV | inputs] = sum_j S_j (1 - p_j) V_j + LOA V_success is exactly the engine's
rNPV, and the mean over paths equals the deterministic rNPV when only phase outcomes are random.

Per-party outcomes (a ``[deal]``) come from the deal kernel: a milestone is paid iff its trigger's event happens
in the path's outcome and falls within [signing, horizon], royalties and profit shares are computed on the
path's own sales, each party discounts at its own rate, and licensor + licensee = asset NPV path by path at a
common rate. The seed scheme is in :mod:`iitvalue.montecarlo.draws`. Pure computation: nothing here prints or
writes files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import InputError, Problem
from ..model.engine import arrays_from_plan, evaluate
from ..model.outcomes import outcome_probabilities, realised_outcome
from ..tables import Rows, html_pairs, money, percent
from ..termsheet.schema import TermSheet
from .draws import BLOCK, DEFAULT_CHUNK, GENERAL_CHUNK, apply_draws, check_drawn, draw_chunk, path_probabilities
from .fast import drawn_columns, fast_chunk, fast_outcome, fast_setup, fast_terms
from .outcomes import outcome_values
from . import budget
from .joint import simulate_joint
from .setup import Setup, prepare

PERCENTILES = (5, 10, 50, 90, 95)


@dataclass
class Simulation:
    """What :func:`simulate` returns: per-path results (arrays of length ``n``) and their summary.

    Money in millions of the sheet's currency, present values at the valuation date, each party at its own rate.
    ``outcome[i]`` is the phase path i failed in (0-based) or J = the number of phases (approved); ``asset[i]``
    its realised NPV, ``licensor`` / ``licensee`` the parties' realised NPVs (None without a ``[deal]`` or with
    the fast engine), ``conditional`` E[NPV | drawn inputs] (general engine only). ``summary()`` gives the
    ``mc.*`` numbers, ``outcomes()`` and ``convergence()`` tables, ``paths_frame()`` one row per path and
    ``plot()`` the histogram (docs/montecarlo.md).

    Examples
    --------
    >>> import iitvalue
    >>> sim = iitvalue.simulate(iitvalue.load("examples/esobiotec.toml"), n_paths=2000, seed=1)
    >>> sim
    <Simulation 2,000 paths (seed 1, general engine): mean NPV 276.9, P10 -181.8, P90 2,042.3, P(NPV < 0) 83.0%>
    >>> sim.outcomes().frame["share"].round(4).tolist()
    [0.612, 0.1575, 0.0485, 0.0115, 0.1705]
    >>> list(sim.paths_frame().columns[:4])
    ['outcome', 'npv', 'npv_licensor', 'npv_licensee']
    """

    n: int
    seed: int
    outcome: np.ndarray  # int8: phase failed (0-based) or J = approved
    asset: np.ndarray
    licensor: np.ndarray | None
    licensee: np.ndarray | None
    receipts: np.ndarray | None
    receipts_nominal: np.ndarray | None
    draws: dict[str, np.ndarray]  # kept only when asked for
    conditional: np.ndarray | None  # E[NPV | drawn inputs] per path (general engine only)
    conditional_parties: dict[str, np.ndarray]  # the same for licensor and licensee (general engine, deal)
    engine: str
    phase_names: list[str]
    deterministic_rnpv: float
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        s = stats(self.asset)
        return (f"<Simulation {self.n:,} paths (seed {self.seed}, {self.engine} engine): mean NPV {money(s['mean'])}, "
                f"P10 {money(s['p10'])}, P90 {money(s['p90'])}, P(NPV < 0) {percent(s['prob_negative'])}>")

    def _repr_html_(self) -> str:
        s = self.summary()
        pairs = [("paths (seed), engine", f"{self.n:,} ({self.seed}), {self.engine}"),
                 ("deterministic rNPV", money(s["mc.deterministic_rnpv"])),
                 ("mean NPV (standard error)", f"{money(s['mc.mean'])} ({money(s['mc.std_error'])})"),
                 ("P10 / P50 / P90", f"{money(s['mc.p10'])} / {money(s['mc.p50'])} / {money(s['mc.p90'])}"),
                 ("P(NPV < 0)", percent(s["mc.prob_negative"])), ("P(approval) on the paths", percent(s["mc.prob_approval"]))]
        for role in ("licensor", "licensee"):
            if f"mc.{role}.mean" in s:
                pairs.append((f"{role}: mean NPV (P10, P90)",
                              f"{money(s[f'mc.{role}.mean'])} ({money(s[f'mc.{role}.p10'])}, {money(s[f'mc.{role}.p90'])})"))
        return html_pairs("Monte Carlo (realised NPV, valuation-date money)", pairs)

    def summary(self) -> dict[str, Any]:
        """The simulation's numbers as flat ``mc.*`` keys (docs/cli.md): ``mc.mean``, ``mc.std_error`` (sd / sqrt n),
        ``mc.sd``, ``mc.p5`` ... ``mc.p95``, ``mc.prob_negative``, ``mc.deterministic_rnpv`` (the engine's rNPV at
        the base inputs), ``mc.prob_approval``, and the same per party (``mc.licensor.mean``, ...) and for the
        licensor's receipts with a deal. Money in millions at the valuation date.

        Returns
        -------
        dict
            Key to number (``mc.engine`` is text).

        Examples
        --------
        >>> import iitvalue
        >>> s = iitvalue.simulate(iitvalue.load("examples/esobiotec.toml"), n_paths=2000, seed=1).summary()
        >>> round(s["mc.deterministic_rnpv"], 1), s["mc.prob_approval"], round(s["mc.licensor.mean"], 1)
        (242.5, 0.1705, 467.4)
        """
        out: dict[str, Any] = {"mc.paths": self.n, "mc.seed": self.seed, "mc.engine": self.engine}
        out.update({f"mc.{k}": v for k, v in stats(self.asset).items()})
        out["mc.deterministic_rnpv"] = self.deterministic_rnpv
        out["mc.prob_approval"] = float(np.mean(self.outcome == len(self.phase_names))) if self.n else math.nan
        if self.conditional is not None:
            out["mc.mean_conditional"] = float(self.conditional.mean())
        for role in ("licensor", "licensee"):
            x = getattr(self, role)
            if x is not None:
                out.update({f"mc.{role}.{k}": v for k, v in stats(x).items()})
                out[f"mc.{role}.mean_conditional"] = float(self.conditional_parties[role].mean())
        if self.receipts is not None:
            out.update({f"mc.receipts.{k}": v for k, v in stats(self.receipts).items() if k != "prob_negative"})
            out["mc.receipts.nominal_mean"] = float(self.receipts_nominal.mean())
            for q in PERCENTILES:
                out[f"mc.receipts.nominal_p{q}"] = float(np.percentile(self.receipts_nominal, q))
        return out

    def convergence(self) -> Rows:
        """Mean and standard error of the asset NPV over the first n paths, n = 1e3, 2e3, 5e3, 1e4, ... (rows;
        ``.frame`` is the DataFrame)."""
        rows, n = [], 1000
        steps = []
        while n < self.n:
            steps.append(n)
            n = n * 5 // 2 if str(n)[0] == "2" else n * 2
        steps.append(self.n)
        for k in steps:
            x = self.asset[:k]
            rows.append({"paths": k, "mean": float(x.mean()),
                         "std_error": float(x.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan})
        return Rows(rows, title="Convergence of the mean NPV")

    def outcomes(self) -> Rows:
        """Share of paths ending in each outcome (rows; ``.frame`` is the DataFrame)."""
        names = [f"fails in {p}" for p in self.phase_names] + ["approved"]
        counts = np.bincount(self.outcome.astype(np.int64), minlength=len(names))
        return Rows([{"outcome": n, "share": float(c) / self.n} for n, c in zip(names, counts)], title="Outcomes",
                    index="outcome")

    def plot(self, bins: int = 80, currency: str = ""):
        """Histogram of the realised asset NPV with the mean and P5/P10/P50/P90/P95 marked (docs/montecarlo.md
        section 7).

        Parameters
        ----------
        bins : int
            Histogram bins.
        currency : str
            For the axis label (``"USD"`` gives "NPV (USD millions)").

        Returns
        -------
        matplotlib.figure.Figure
            Needs the ``plot`` extra (``pip install 'iitvalue[plot]'``).

        Examples
        --------
        >>> import iitvalue
        >>> sim = iitvalue.simulate(iitvalue.load("examples/esobiotec.toml"), n_paths=2000, seed=1)
        >>> fig = sim.plot(currency="USD")
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_title()
        ('realised NPV (USD millions)', '2,000 paths, P(NPV < 0) = 83.0%')
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        from .plots import plot_histogram

        return plot_histogram(self, bins, currency)

    def paths_frame(self):
        """One row per path: outcome, NPVs and the drawn inputs (pandas DataFrame)."""
        import pandas as pd

        d: dict[str, Any] = {"outcome": self.outcome, "npv": self.asset}
        for k in ("licensor", "licensee", "receipts", "receipts_nominal"):
            if getattr(self, k) is not None:
                d[f"npv_{k}" if k in ("licensor", "licensee") else k] = getattr(self, k)
        for k, v in self.draws.items():
            d[k.lstrip("_")] = v
        return pd.DataFrame(d)


def stats(x: np.ndarray) -> dict[str, float]:
    """mean, std_error = sd / sqrt(n), sd, percentiles P5/P10/P50/P90/P95 (linear interpolation), P(x < 0)."""
    n = x.size
    out = {"mean": float(x.mean()), "std_error": float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
           "sd": float(x.std(ddof=1)) if n > 1 else math.nan}
    qs = np.percentile(x, PERCENTILES)
    out.update({f"p{q}": float(v) for q, v in zip(PERCENTILES, qs)})
    out["prob_negative"] = float(np.mean(x < 0))
    return out


def simulate(sheet: TermSheet, n_paths: int = 100_000, seed: int = 0, chunk: int | None = None,
             engine: str = "auto", keep_draws: bool = False,
             progress: Callable[[int], None] | None = None) -> Simulation:
    """Simulate what the asset, and each party to its deal, realises on ``n_paths`` Monte Carlo paths.

    Each path draws the ``[[uncertainty]]`` inputs (Gaussian copula with a ``[correlation]``), then each phase
    passes iff u_j < p_j; its NPV is the present value of the cash flows of its realised outcome, not
    probability-weighted: -sum_k DF_k sum_{i<=j} R&D_ik when it fails in phase j, sum_k DF_k (profit_k - tax_k)
    when approved (docs/montecarlo.md section 1). With only the phase outcomes random the mean over paths tends
    to the deterministic rNPV. Money in millions of the sheet's currency at the valuation date.

    Parameters
    ----------
    sheet : TermSheet
    n_paths : int
        Number of paths (at least 1).
    seed : int
        Non-negative seed; the same seed gives the same paths whatever ``chunk`` (docs/montecarlo.md section 4).
    chunk : int, optional
        Paths computed at once, rounded up to whole blocks of ``BLOCK`` paths; it does not change the numbers.
    engine : {"auto", "general", "fast"}
        ``general``: the vectorised engine on every path, with the conditional expectation and the deal;
        ``fast``: asset only, timing inputs fixed, success-path lines only for approved paths; ``auto``: fast when
        it applies. A sheet with several indications uses the joint engine.
    keep_draws : bool
        Keep the drawn inputs (``draws``, and columns of ``paths_frame()``).
    progress : callable, optional
        Called with the number of paths after each chunk (e.g. a tqdm bar's ``update``).

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        ``n_paths`` < 1, ``chunk`` < 1, a negative seed, an engine that does not apply, a drawn value outside
        its field's range, or a simulation that would not fit the memory budget.

    Examples
    --------
    >>> import iitvalue
    >>> sheet = iitvalue.load("examples/esobiotec.toml")
    >>> sim = iitvalue.simulate(sheet, n_paths=2000, seed=1)
    >>> sim.n, sim.engine, round(float(sim.asset.mean()), 1), round(float(sim.licensee.mean()), 1)
    (2000, 'general', 276.9, -151.3)
    >>> iitvalue.simulate(sheet.replace(deal=None, uncertainty=[], correlation=None), 4000).engine
    'fast'
    """
    if n_paths < 1:
        raise InputError(Problem("--paths", f"{n_paths} is not allowed; simulate at least one path"))
    if chunk is not None and chunk < 1:
        raise InputError(Problem("--chunk", f"{chunk} is not allowed; must be >= 1"))
    if seed < 0:
        raise InputError(Problem("--seed", f"{seed} is not allowed; a seed is a non-negative integer"))
    budget.check(budget.estimate(sheet, n_paths, chunk, keep_draws), budget.default_budget())
    if len(sheet.indications) > 1:  # several indications: the joint engine (docs/method.md 5)
        if engine not in ("auto", "general", "joint"):
            raise InputError(Problem("engine", "a sheet with several [[indications]] is simulated by the joint engine"))
        return Simulation(**simulate_joint(sheet, n_paths, seed, chunk, keep_draws, progress))
    setup = prepare(sheet)
    can_fast = sheet.deal is None and not setup.shape_drawn and setup.plan.capacity is None
    if engine == "auto":
        engine = "fast" if can_fast else "general"
    if engine == "fast" and not can_fast:
        raise InputError(Problem("engine", "the fast engine needs no [deal] and no drawn timing inputs"))
    if chunk is None:  # the general engine's temporaries are (chunk x territories x periods): keep them in cache
        chunk = DEFAULT_CHUNK if engine == "fast" else GENERAL_CHUNK
    blocks_per_chunk = max(1, -(-chunk // BLOCK))
    has_deal = sheet.deal is not None and engine == "general"
    outcome = np.empty(n_paths, dtype=np.int8)
    asset = np.empty(n_paths)
    cond = np.empty(n_paths) if engine == "general" else None
    party = {k: np.empty(n_paths) for k in ("licensor", "licensee", "receipts", "receipts_nominal")} if has_deal else {}
    cond_party = {k: np.empty(n_paths) for k in ("licensor", "licensee")} if has_deal else {}
    keep: dict[str, list] = {}
    fast = fast_setup(setup) if engine == "fast" else None
    drawn = drawn_columns(setup)
    drawn_names = {name for name, _ in drawn} | ({"tax_rate"} if any(u.path == "valuation.tax_rate"
                                                                     for u in setup.entries) else set())
    terms = fast_terms(setup, fast, drawn, drawn_names) if engine == "fast" else None
    # nothing but outcomes (and the posterior class) drawn: every path has the same per-outcome values, so they
    # are computed once and looked up (they do not depend on the phase probabilities)
    table = None
    if engine == "general" and not setup.entries:
        base = arrays_from_plan(setup.plan, 1)
        table = outcome_values(setup, base, base.probabilities.copy())
    n_blocks = -(-n_paths // BLOCK)
    arr = None
    for b0 in range(0, n_blocks, blocks_per_chunk):
        draws = draw_chunk(setup, seed, b0, min(n_blocks, b0 + blocks_per_chunk), n_paths)
        check_drawn(setup, draws)
        lo = b0 * BLOCK
        S = draws["_u"].shape[0]
        hi = lo + S
        if engine == "fast":
            f = fast_outcome(setup, draws)
        else:
            probs = path_probabilities(setup, draws, S)
            f = realised_outcome(draws["_u"], probs)
        outcome[lo:hi] = f
        if engine == "fast":
            asset[lo:hi] = fast_chunk(setup, fast, terms, draws, f, drawn_names)
        else:
            if table is None:
                if arr is None or arr.n_scenarios != S:  # reused: each chunk overwrites its drawn columns
                    arr = arrays_from_plan(setup.plan, S)
                apply_draws(setup, arr, draws)
                vals = outcome_values(setup, arr, probs)
                pick = np.arange(S), f.astype(np.intp)
            else:
                vals, pick = table, (np.zeros(S, dtype=np.intp), f.astype(np.intp))
            asset[lo:hi] = vals["asset"][pick]
            pf = outcome_probabilities(probs)
            cond[lo:hi] = (vals["asset"] * pf).sum(axis=1)
            for k in party:
                party[k][lo:hi] = vals[k][pick]
            for k in cond_party:
                cond_party[k][lo:hi] = (vals[k] * pf).sum(axis=1)
        if keep_draws:
            for k, v in draws.items():
                if k == "_u":
                    continue
                keep.setdefault(k, []).append(v)
        if progress is not None:
            progress(S)
    det = _deterministic_rnpv(setup)
    return Simulation(n_paths, seed, outcome, asset, party.get("licensor"), party.get("licensee"),
                      party.get("receipts"), party.get("receipts_nominal"),
                      {k: np.concatenate(v) for k, v in keep.items()}, cond, cond_party, engine,
                      [p.name for p in setup.plan.phases], det, list(setup.notes))


def _deterministic_rnpv(setup: Setup) -> float:
    return float(evaluate(arrays_from_plan(setup.plan, 1)).rnpv[0])
