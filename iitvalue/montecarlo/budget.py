"""The memory guard of the Monte Carlo: estimate the bytes of a run before it starts and refuse one that would not
fit, with the estimate and the ways to run it (fewer paths, a smaller chunk, a larger ``--max-memory``).

A run holds, for every path, its outcome and NPVs (and the drawn inputs when they are written out), and for one
chunk of paths at a time the engine's arrays of paths x periods (x phases for the general engine). The bytes per
path-period below were measured with ``tracemalloc`` on the shipped examples with 1 to 16 territories and 4 to
8 phases and rounded up; the estimate is meant to be high rather than low (docs/cli.md, "The error contract").
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from ..termsheet.paths import parse_path
from ..termsheet.schema import TermSheet
from .draws import BLOCK, DEFAULT_CHUNK, GENERAL_CHUNK
from .setup import SHAPE

GIB = 1024 ** 3
DEFAULT_CAP = 4 * GIB  # the default budget is the smaller of this and half the physical memory
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": GIB, "t": 1024 ** 4}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Estimate:
    """Estimated peak memory of one Monte Carlo run, in bytes, and what it is made of."""

    paths: int
    periods: int
    chunk: int  # paths computed at once (whole blocks, at most the paths)
    per_path: int  # bytes kept for every path until the end of the run
    per_cell: int  # bytes per path and period of a chunk
    engine: str  # "fast" or "general"

    @property
    def kept(self) -> int:
        """Bytes of the per-path results."""
        return self.paths * self.per_path

    @property
    def working(self) -> int:
        """Bytes of one chunk's arrays."""
        return self.chunk * self.periods * self.per_cell

    @property
    def total(self) -> int:
        return self.kept + self.working


def estimate(sheet: TermSheet, paths: int, chunk: int | None = None, keep_draws: bool = False) -> Estimate:
    """Estimate the peak memory of ``simulate(sheet, paths, chunk=chunk, keep_draws=keep_draws)``.

    Parameters
    ----------
    sheet : TermSheet
        A validated term sheet.
    paths : int
        Paths to simulate.
    chunk : int, optional
        Paths computed at once (rounded up to whole blocks of 4,096, as the simulation does); by default the
        engine's own default chunk, as in :func:`~iitvalue.montecarlo.simulate.simulate`.
    keep_draws : bool
        Whether the drawn inputs are kept to be written out (``simulate -o``).

    Returns
    -------
    Estimate
    """
    step = 1.0 if sheet.valuation.period == "annual" else 0.25
    periods = max(1, int(round(sheet.valuation.horizon_years / step)))
    phases, territories = len(sheet.phases), len(sheet.territories)
    drawn = [u for u in sheet.uncertainty if u.dist is not None]
    deal = sheet.deal is not None
    shape = any(u.dist != "posterior" and parse_path(u.path)[-1] in SHAPE for u in drawn)
    engine = "fast" if not deal and not shape else "general"
    if chunk is None:
        chunk = DEFAULT_CHUNK if engine == "fast" else GENERAL_CHUNK
    blocks = min(-(-max(chunk, 1) // BLOCK), -(-paths // BLOCK))
    if engine == "fast":
        per_cell = 8 * (2 + territories)
    elif drawn:
        per_cell = 8 * (16 + 5 * territories + 2 * (phases + 1) * (2 if deal else 1))
    else:  # nothing drawn: the engine's arrays broadcast over the paths
        per_cell = 8 * (2 + (phases + 1) * (2 if deal else 1))
    per_path = 1 + 8 + 16  # outcome, asset NPV, and the copies the percentiles and outcome counts make
    if engine == "general":
        per_path += 8 + (48 if deal else 0)  # E[NPV | inputs]; licensor, licensee, receipts and their means
    if keep_draws:
        per_path += 3 * 8 * (len(drawn) + 2)  # drawn inputs: kept, joined, and copied into the paths table
    return Estimate(paths, periods, blocks * BLOCK, per_path, per_cell, engine)


def physical_memory() -> int | None:
    """Bytes of memory this process may use: the container's limit (cgroup) or the machine's, None if unknown.

    Returns
    -------
    int or None
    """
    sizes = []
    for f in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(f).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            sizes.append(int(text))
    try:
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    return min(sizes) if sizes else None


def default_budget() -> int:
    """The smaller of 4 GiB and half the physical memory (4 GiB when that is unknown).

    Returns
    -------
    int
        Bytes.
    """
    mem = physical_memory()
    return DEFAULT_CAP if mem is None else min(DEFAULT_CAP, mem // 2)


def parse_memory(text: str) -> int:
    """Bytes of a size such as ``4G``, ``512M``, ``1.5GiB`` or ``2000000000`` (K, M, G, T are powers of 1,024).

    Parameters
    ----------
    text : str

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``text`` is not a positive size.
    """
    m = _SIZE.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a memory size; write e.g. 8G, 512M or 2000000000 (bytes)")
    size = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not math.isfinite(size) or size < 1 or size > 1 << 60:
        raise ValueError(f"{text!r} is not allowed; give a size between 1 byte and 1024P")
    return int(size)


def fit_chunk(sheet: TermSheet, paths: int, budget: int, keep_draws: bool = False,
              chunk: int | None = None) -> int:
    """The largest chunk (whole blocks, at most ``chunk``) whose run fits in ``budget``; one block if none does.
    The chunk never changes the numbers, so a command may use this when the user did not choose one.

    Parameters
    ----------
    sheet : TermSheet
    paths : int
    budget : int
        Bytes.
    keep_draws : bool
    chunk : int, optional
        The largest chunk wanted (default: the engine's default chunk).

    Returns
    -------
    int
    """
    e = estimate(sheet, paths, chunk, keep_draws)
    room = budget - e.kept
    if e.total <= budget or room <= 0:
        return e.chunk
    blocks = max(1, min(e.chunk // BLOCK, room // (BLOCK * e.periods * e.per_cell)))
    return int(blocks * BLOCK)


def check(e: Estimate, budget: int, paths_option: str = "-n", chunk_option: str | None = "--chunk") -> None:
    """Refuse a run whose estimate exceeds ``budget``, saying what it needs and how to run it.

    Parameters
    ----------
    e : Estimate
        From :func:`estimate`.
    budget : int
        Bytes (``--max-memory``, default :func:`default_budget`).
    paths_option, chunk_option : str
        The command's option names, for the advice (``chunk_option`` None: the command has no chunk option).

    Raises
    ------
    InputError
        With exit code 2 in the command line.
    """
    if e.total <= budget:
        return
    ways = []
    per_block = BLOCK * e.periods * e.per_cell
    if chunk_option and e.chunk > BLOCK and e.kept + per_block <= budget:
        fit = min(e.chunk - BLOCK, (budget - e.kept) // per_block * BLOCK)
        ways.append(f"a smaller chunk ({chunk_option} {fit}; it never changes the numbers)")
    most = _most_paths(e, budget)
    if most >= 1:
        ways.append(f"fewer paths (at most about {most:,}: {paths_option} {_round_down(most)})")
    ways.append(f"a larger budget if the machine has the memory (--max-memory {_size(e.total * 1.1, up=True)})")
    raise InputError(Problem(paths_option, (
        f"{e.paths:,} paths x {e.periods} periods would need about {_size(e.total)} of memory ({_size(e.kept)} kept "
        f"for the paths' results + {_size(e.working)} for a chunk of {e.chunk:,} paths), more than the budget of "
        f"{_size(budget)} (--max-memory; default the smaller of 4 GiB and half the physical memory). Run it with "
        + ", or ".join(ways) + " (docs/cli.md, \"The error contract\")")))


def _most_paths(e: Estimate, budget: int) -> int:
    """The most paths that fit in ``budget`` with the same chunk size (fewer paths also shrink the chunk)."""
    full = (budget - e.working) // e.per_path if budget > e.working else 0
    if full >= e.chunk:
        return int(full)
    return int(budget // (BLOCK * (e.periods * e.per_cell + e.per_path)) * BLOCK)


def _round_down(n: int) -> int:
    """``n`` rounded down to two significant digits (a number to type)."""
    if n < 100:
        return int(n)
    scale = 10 ** (len(str(int(n))) - 2)
    return int(n // scale * scale)


def _size(n: float, up: bool = False) -> str:
    """Bytes as ``1.5 GiB``-style text (``up``: rounded up, in the ``--max-memory`` syntax such as ``12G``)."""
    for unit, name in ((1024 ** 4, "T"), (GIB, "G"), (1024 ** 2, "M"), (1024, "K")):
        if n >= unit:
            if up:
                return f"{math.ceil(n / unit)}{name}"
            return f"{n / unit:,.1f} {name}iB"
    return f"{math.ceil(n)}" if up else f"{n:,.0f} bytes"
