"""`iitvalue calibrate` on the shipped comparables and dataset, end to end, against a process that only imports
numpy (the floor), both measured in this run:

    python benchmarks/bench_calibrate.py [RUNS]

The command fits method (a) on the full-term-sheet comparables, methods (b) and (c) on the 70-deal dataset, the
combination, and both backtests (leave-one-out: 65 refits; time-ordered: 45). Target (issue 14): under 10 s on two
cores. Prints the best and median of RUNS (default 5) alternating runs and the machine's load average.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(runs: int = 5) -> None:
    cal, floor = [], []
    for _ in range(runs):
        cal.append(timed([sys.executable, "-m", "iitvalue", "calibrate", "--format", "json"]))
        floor.append(timed([sys.executable, "-c", "import numpy"]))
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"iitvalue calibrate: best {min(cal):.2f} s, median {statistics.median(cal):.2f} s (target < 10 s)")
    print(f"floor, import numpy: best {min(floor):.3f} s; ratio {min(cal) / min(floor):.1f}x (best/best)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
