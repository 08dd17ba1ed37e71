"""The deal Monte Carlo, goal-seeks and command latencies, each against a floor measured in the same run:

    python benchmarks/bench_deal.py [PATHS] [commands] [loop] [deal]      (default: all three parts)

1. **Deal paths** (examples/esobiotec.toml with its deal and its uncertainty, 30 annual periods): the time and peak
   memory of PATHS paths (default 1,000,000), against a vectorised numpy floor of the same work -- the draws (one
   normal score per uncertain input and one uniform per phase, per path), the outcome (phases passed), the
   paths x 30 cash-flow matrix of the approved paths times the discount factors, tax on cumulative profit, and the
   payments as outcome indicators x amounts x discount factors for both parties. Also the quarterly and the
   60-year horizons (memory), and the asset-only fast engine.
2. **value() in a loop** with a deal: valuations per second.
3. **Commands end to end** (subprocesses): ``iitvalue value`` on each example and ``iitvalue pos`` against
   ``python -c "import numpy"``; ``solve``, ``implied`` and ``export`` in seconds. Both sides run with a bytecode
   cache (as an installed package has compiled bytecode); one line shows the environment's own setting (no cache)
   and one OpenBLAS on every core, numpy's default, which the command line no longer uses (its threads on a loaded
   2-core machine can make the 400-point Gauss-Legendre nodes of a readout valuation take a second and more
   instead of 10-20 ms).

Every timing is the best of several runs, alternating with its floor; the machine's load average is printed.
Targets (issue 15): deal paths within 4x of the floor and under 1.5 GB (also quarterly and 60 years); value and pos
within 3x of the numpy import; solve and implied under 2 s; export under 2 s; at least 200 valuations per second.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import iitvalue  # noqa: E402

EXAMPLES = ROOT / "examples"


def best(fn, k: int = 3) -> float:
    out = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def floor_deal(n: int, periods: int, k_inputs: int, phases: int, payments: int, chunk: int = 65536) -> None:
    """The irreducible numpy work of n deal paths, in chunks: the draws (k_inputs normal scores and one uniform per
    phase), the outcome (phases passed), the paths x periods success-path cash flow scaled by a drawn input, tax
    on its running cumulative maximum, its discounted sum, and the payments as outcome indicators x amounts x
    discount factors for two parties."""
    rng = np.random.default_rng(0)
    df = 1.09 ** -(np.arange(periods) + 0.5)
    base = np.linspace(-50.0, 400.0, periods)
    p = np.full(phases, 0.6)
    due = np.arange(payments) % (phases + 1)  # the outcome from which each payment is made
    amounts = np.linspace(10.0, 200.0, payments)
    dfp = {r: (1.0 + r) ** -np.linspace(0.5, 8.0, payments) for r in (0.09, 0.15)}
    for lo in range(0, n, chunk):
        s = min(chunk, n - lo)
        z = rng.standard_normal((s, k_inputs))
        u = rng.random((s, phases))
        passed = np.cumprod(u < p, axis=1).sum(axis=1)
        profit = np.exp(0.1 * z[:, 0])[:, None] * base[None, :]
        y = np.maximum(np.maximum.accumulate(np.cumsum(profit, axis=1), axis=1), 0.0)
        tax = 0.21 * np.diff(y, axis=1, prepend=0.0)
        asset = np.where(passed == phases, ((profit - tax) * df).sum(axis=1), 0.0)
        paid = passed[:, None] >= due[None, :]
        for r, d in dfp.items():
            _ = asset - (paid * (amounts * d)).sum(axis=1)


def deal_case(n: int) -> None:
    sheet = iitvalue.load(EXAMPLES / "esobiotec.toml").replace({"valuation.horizon_years": 30})
    iitvalue.simulate(sheet, 10_000, seed=0)
    k_inputs = sum(1 for u in sheet.uncertainty if u.dist is not None)
    payments = 1 + len(sheet.deal.milestones) + sum(len(p.triggers) for p in sheet.deal.pools)
    runs, floors = [], []
    for _ in range(3):
        runs.append(best(lambda: iitvalue.simulate(sheet, n, seed=1), 1))
        floors.append(best(lambda: floor_deal(n, 30, k_inputs, len(sheet.phases), payments), 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"deal paths: {n:,} x 30 annual, engine {iitvalue.simulate(sheet, 1000, seed=1).engine}: "
          f"best {min(runs):.2f} s ({min(runs) / n * 1e6:.2f} us per path); numpy floor best {min(floors):.2f} s "
          f"-> ratio {min(runs) / min(floors):.2f}x (median {np.median(runs) / np.median(floors):.2f}x); "
          f"peak memory {peak:,.0f} MB")
    for label, changes in (("quarterly, 30 years", {"valuation.period": "quarterly", "valuation.horizon_years": 30}),
                           ("annual, 60 years", {"valuation.horizon_years": 60})):
        other = iitvalue.load(EXAMPLES / "esobiotec.toml").replace(changes)
        t = best(lambda: iitvalue.simulate(other, n, seed=1), 1)
        print(f"  {label}: {t:.2f} s, peak memory so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    asset_only = sheet.replace(deal=None)
    t = best(lambda: iitvalue.simulate(asset_only, n, seed=1), 2)
    f = best(lambda: (np.random.default_rng(0).standard_normal((n, 30)) * 1.0).sum(axis=1), 2)
    print(f"asset only ({iitvalue.simulate(asset_only, 1000, seed=1).engine} engine): {t:.2f} s; floor (draw and sum a "
          f"{n:,} x 30 matrix) {f:.2f} s -> ratio {t / f:.2f}x")


def loop_case() -> None:
    sheet = iitvalue.load(EXAMPLES / "esobiotec.toml")
    iitvalue.value(sheet)
    k = 100
    runs = [best(lambda: [iitvalue.value(sheet) for _ in range(k)], 1) for _ in range(5)]
    print(f"value() in a loop, with the deal: {k / min(runs):,.0f} valuations per second at best, "
          f"{k / np.median(runs):,.0f} at the median of 5 runs of {k}")


def command_env(cache: Path | None) -> dict[str, str]:
    """The environment of the timed subprocesses. With ``cache``, compiled bytecode is kept there (as an installed
    package has it: pip compiles its modules), for iitvalue and the floor alike; without, the caller's own
    environment, which on the development machine sets PYTHONDONTWRITEBYTECODE=1 so that every start compiles
    iitvalue's ~60 modules again (numpy's come precompiled from its wheel)."""
    env = dict(os.environ)
    if cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def command(args: list[str], env: dict[str, str], k: int = 5, floor: list[str] | None = None
            ) -> tuple[float, float, float, float]:
    """Best and median wall time of ``k`` runs of a subprocess, and (with ``floor``) of ``k`` runs of the floor
    command alternating with them, so that both see the same load; else the floor's are nan."""
    out, ref = [], []
    for _ in range(k):
        for cmd, times in ((floor, ref), (args, out)):
            if cmd is None:
                continue
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT, env=env)
            times.append(time.perf_counter() - t)
    nan = float("nan")
    return min(out), float(np.median(out)), min(ref) if ref else nan, float(np.median(ref)) if ref else nan


def command_case() -> None:
    py = sys.executable
    numpy_only = [py, "-c", "import numpy"]
    with tempfile.TemporaryDirectory() as tmp:
        env = command_env(Path(tmp))
        for warm in (numpy_only, [py, "-m", "iitvalue", "value", "examples/esobiotec.toml"]):
            subprocess.run(warm, capture_output=True, check=True, cwd=ROOT, env=env)  # fills the bytecode cache
        print("commands against python -c 'import numpy' run alternately with each (bytecode compiled once); "
              "ratio best/best (median/median)")
        runs = [(f"value {ex} --format {fmt}", ["value", f"examples/{ex}.toml", "--format", fmt])
                for ex in ("esobiotec", "legend", "interius") for fmt in ("table", "json")]
        runs += [("pos", ["pos", "--n", "4", "--responders", "4", "--complete", "2"]), ("--help", ["--help"])]
        for label, args in runs:
            t, med, f0, f_med = command([py, "-m", "iitvalue", *args], env, 7, numpy_only)
            print(f"  iitvalue {label}: {t:.3f} s, floor {f0:.3f} s -> {t / f0:.2f}x ({med / f_med:.2f}x)")
        for label, extra in (("as the environment has it (no bytecode cache)", command_env(None)),
                             (f"with OpenBLAS on {os.cpu_count()} threads (numpy's default, which the command "
                              f"line no longer uses)", {**env, "OPENBLAS_NUM_THREADS": str(os.cpu_count())})):
            t, med, f0, f_med = command([py, "-m", "iitvalue", "value", "examples/esobiotec.toml"], extra, 5,
                                        numpy_only)
            print(f"  iitvalue value esobiotec {label}: {t:.3f} s, floor {f0:.3f} s -> {t / f0:.2f}x "
                  f"({med / f_med:.2f}x)")
        for args in (["solve", "examples/esobiotec.toml", "--for", "deal.upfront", "--target", "deal.licensee_npv=0"],
                     ["solve", "examples/esobiotec.toml", "--for", "territories[0].treated_share", "--target",
                      "asset.rnpv=500"],
                     ["implied", "examples/esobiotec.toml", "--solve", "loa"],
                     ["export", "examples/esobiotec.toml", "-o", str(Path(tmp) / "bench-export.xlsx"), "--force"]):
            t, med, _, _ = command([py, "-m", "iitvalue", *args], env, 3)
            print(f"  iitvalue {' '.join(args[:1] + args[2:4])}: best {t:.2f} s (median {med:.2f} s)")


def main() -> None:
    args = sys.argv[1:]
    n = int(args.pop(0)) if args and args[0].isdigit() else 1_000_000
    parts = set(args) or {"commands", "loop", "deal"}
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on "
          f"{os.cpu_count()} cores")
    if "commands" in parts:
        command_case()
    if "loop" in parts:
        loop_case()
    if "deal" in parts:
        deal_case(n)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
