"""Monte Carlo speed and memory, run by hand:  python benchmarks/bench_montecarlo.py [PATHS]

Case: the EsoBiotec asset (examples/esobiotec.toml) without its deal, on a 30-year annual horizon, with the
example's uncertainty (posterior class and ORR in a Gaussian copula with the US treated share, PERT, triangular
and lognormal inputs) and the phase outcomes. Prints

* the time for PATHS paths (default 1,000,000) and the peak memory (resource.getrusage, max RSS of the process);
* the time per path of the scalar reference (iitvalue/reference.py, one call per parameter set) and the ratio;
* the numpy floor: the time to discount one PATHS x 30 float64 matrix, (cf * df).sum(axis=1), and the ratio.

Targets (issue 7): <= 2 s and <= 1.5 GB for 1,000,000 paths; >= 100x faster per path than the reference; within
4x of the numpy floor. The simulation and the floor are timed RUNS times each, alternating (so both see the same
machine load); the ratio is printed for the best and for the median run of each.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import iitvalue  # noqa: E402
from iitvalue import montecarlo as mc  # noqa: E402
from iitvalue.model import reference  # noqa: E402
from iitvalue.model.plan import resolve  # noqa: E402


RUNS = 7


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_of(fn, k: int = 3) -> float:
    return min(timed(fn) for _ in range(k))


def main(n: int = 1_000_000) -> None:
    sheet = iitvalue.load(ROOT / "examples" / "esobiotec.toml")
    sheet = sheet.replace({"valuation.horizon_years": 30}, deal=None)
    periods = int(sheet.valuation.horizon_years)
    mc.simulate(sheet, 10_000, seed=0)  # warm-up: imports, tables
    sim = mc.simulate(sheet, n, seed=1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes

    plan = resolve(sheet)
    k = 200
    t_ref = best_of(lambda: [reference.rnpv(plan) for _ in range(k)], 1) / k

    rng = np.random.default_rng(0)
    cf = rng.standard_normal((n, periods))
    df = 1.10 ** -(np.arange(periods) + 0.5)
    runs_mc, runs_floor = [], []
    for _ in range(RUNS):
        runs_mc.append(timed(lambda: mc.simulate(sheet, n, seed=1)))
        runs_floor.append(timed(lambda: (cf * df).sum(axis=1)))
    t_mc, t_floor = min(runs_mc), min(runs_floor)
    med_mc, med_floor = float(np.median(runs_mc)), float(np.median(runs_floor))
    t_matvec = best_of(lambda: cf @ df)
    del cf

    deal_sheet = iitvalue.load(ROOT / "examples" / "esobiotec.toml").replace({"valuation.horizon_years": 30})
    n_deal = max(1, n // 10)
    t_deal = best_of(lambda: mc.simulate(deal_sheet, n_deal, seed=1), 1)

    per_path = t_mc / n
    print(f"case: {sheet.asset.name}, {periods} annual periods, {len(sheet.uncertainty)} uncertainty entries, "
          f"engine {sim.engine}")
    print(f"simulate {n:,} paths: best {t_mc:.3f} s ({per_path * 1e6:.2f} us per path), median {med_mc:.3f} s, "
          f"worst {max(runs_mc):.3f} s of {RUNS}; mean {sim.asset.mean():,.2f} +/- {sim.asset.std() / np.sqrt(n):.2f}")
    print(f"peak memory (max RSS of this process after the simulations): {peak_mb:,.0f} MB")
    print(f"scalar reference: {t_ref * 1e3:.3f} ms per path -> simulation is {t_ref / per_path:,.0f}x faster per path")
    print(f"general engine with the deal (both parties, every outcome): {n_deal:,} paths in {t_deal:.2f} s "
          f"({t_deal / n_deal * 1e6:.1f} us per path)")
    print(f"numpy floor (cf * df).sum(axis=1) on {n:,} x {periods}: best {t_floor:.3f} s, median {med_floor:.3f} s, "
          f"worst {max(runs_floor):.3f} s -> ratio {t_mc / t_floor:.2f}x (best/best), {med_mc / med_floor:.2f}x "
          f"(median/median); per run {', '.join(f'{a / b:.2f}' for a, b in zip(runs_mc, runs_floor))}")
    print(f"(cf @ df, BLAS matrix-vector: {t_matvec:.3f} s -> {t_mc / t_matvec:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
