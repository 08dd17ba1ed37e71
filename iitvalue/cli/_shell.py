"""What every command shares: error handling and exit codes, output files, option types, ``--set`` parsing and
the common options.

The error contract (docs/cli.md): exit 0 success; 2 bad input or usage, including an output that cannot be
written (a one-paragraph message naming file, field and line); 1 a numerical failure. Never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from .safe_io import Output

if TYPE_CHECKING:  # annotations only: the term-sheet layer is imported inside the commands
    from ..termsheet.schema import TermSheet

MAX_PATHS = 1_000_000_000  # Monte Carlo paths of one run (the memory guard usually refuses far fewer)
MAX_SEED = 2 ** 63 - 1
DEFAULT_CHUNK = 65536  # = montecarlo.DEFAULT_CHUNK (16 blocks of 4,096 paths); not imported to keep start-up fast


def _fail(message: str, code: int) -> None:
    from ..report import terminal_text

    click.echo(f"iitvalue: error: {terminal_text(message)}", err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn library errors into clean messages and exit codes instead of tracebacks (docs/cli.md)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from ..errors import InputError, NumericalError

        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            _fail(str(exc), 2)
        except (NumericalError, FloatingPointError, ZeroDivisionError) as exc:
            _fail(f"numerical failure: {exc}", 1)
        except MemoryError:
            _fail("out of memory: the run needs more memory than this machine has; run fewer Monte Carlo paths "
                  "(-n / --paths) or a smaller --chunk", 2)
        except RecursionError:
            _fail("an input is nested too deeply to be read", 2)
        except KeyboardInterrupt:
            _fail("interrupted; no output file was written", 130)
        except Exception as exc:  # a bug: one paragraph instead of a traceback (IITVALUE_DEBUG=1 shows it)
            if os.environ.get("IITVALUE_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug in iitvalue, please report it with "
                  "the command and the term sheet (set IITVALUE_DEBUG=1 for the traceback)", 1)

    return wrapper


class attach_source:
    """Context manager: an InputError raised inside names ``source`` (the term-sheet file) if it names none, and
    each of its problems that names a term-sheet field but no line gets the field's line in that file (errors
    found while valuing or simulating, after loading)."""

    def __init__(self, source: str):
        self.source = source

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from ..errors import InputError

        if isinstance(exc, InputError):
            if not exc.source:
                exc.source = self.source
            if exc.source == self.source and any(p.line is None and p.path for p in exc.problems):
                exc.problems = _locate(exc.problems, self.source)
        return False


def _locate(problems: list, source: str) -> list:
    """``problems`` with the TOML line of each field path that has none (paths that are not fields stay)."""
    import dataclasses

    from ..errors import InputError
    from ..termsheet import parse_path
    from ..termsheet.lines import line_for, toml_key_lines
    from ..termsheet.loading import read_text

    try:
        lines = toml_key_lines(read_text(source))
    except InputError:
        return problems
    out = []
    for p in problems:
        if p.line is None and p.path and not p.path.startswith("-"):
            try:
                p = dataclasses.replace(p, line=line_for(parse_path(p.path), lines))
            except InputError:
                pass
        out.append(p)
    return out


class Stdout:
    """Standard output with the interface of :class:`~iitvalue.cli.safe_io.Output` (``-o -`` or no ``-o``)."""

    def write_text(self, text: str) -> None:
        """Print ``text`` as it is."""
        click.echo(text, nl=False)

    def __enter__(self) -> "Stdout":
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        return False


def open_output(path: str | None, force: bool, suffixes: tuple[str, ...] | None = None) -> Output | Stdout:
    """The output of a command, checked before any work: standard output for None or ``-``, else an
    :class:`Output` (refuses a folder, a missing or read-only folder, the wrong extension, or an existing file
    without ``--force``; writes atomically)."""
    if path in (None, "-"):
        return Stdout()
    return Output(path, force, suffixes)


def no_output() -> contextlib.nullcontext:
    """A context manager standing for "no output file" (an optional ``-o`` not given)."""
    return contextlib.nullcontext(None)


def emit(text: str, out: Output | Stdout) -> None:
    """Write a command's text to its output (see :func:`open_output`), saying on standard error where."""
    out.write_text(text)
    if isinstance(out, Output):
        click.echo(f"wrote {out}", err=True)


def memory_guard(sheet: TermSheet, paths: int, chunk: int | None, max_memory: int | None, keep_draws: bool = False,
                 paths_option: str = "-n", chunk_option: str | None = "--chunk") -> int:
    """Refuse a Monte Carlo run that would not fit in memory (exit 2 with the estimate and the ways to run it),
    before any work; return the chunk to run with (``chunk`` None: the largest up to the default that fits).

    Parameters
    ----------
    sheet : TermSheet
    paths : int
    chunk : int or None
        The user's ``--chunk``, or None.
    max_memory : int or None
        The user's ``--max-memory`` in bytes, or None for the default budget.
    keep_draws : bool
        Whether the paths are written out (``simulate -o``).
    paths_option, chunk_option : str
        Option names for the advice.

    Returns
    -------
    int
    """
    from ..montecarlo import budget

    limit = max_memory if max_memory is not None else budget.default_budget()
    if chunk is None:
        chunk = budget.fit_chunk(sheet, paths, limit, keep_draws)
    budget.check(budget.estimate(sheet, paths, chunk, keep_draws), limit, paths_option, chunk_option)
    return chunk


def require_finite(values: dict, keys: tuple[str, ...], what: str) -> None:
    """Raise :class:`~iitvalue.errors.NumericalError` (exit 1) when one of ``keys`` is present and not finite:
    a result is never printed as null or nan with exit code 0. ``values`` is flat (``{"mc.mean": x}``) or
    nested (``{"asset": {"rnpv": x}}``)."""
    from ..errors import NumericalError

    def get(key: str) -> Any:
        if key in values:
            return values[key]
        node: Any = values
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return 0.0  # absent: nothing to check
            node = node[part]
        return node

    bad = [k for k in keys if not _finite(get(k))]
    if bad:
        raise NumericalError(f"{what} gave a non-finite {', '.join(bad)}; check the inputs' magnitudes")


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def parse_sets(sets: tuple[str, ...]) -> dict:
    """The ``--set PATH=VALUE`` options as a dict of dotted paths to TOML values."""
    from ..termsheet import parse_set_option

    return dict(parse_set_option(s) for s in sets)


class Count(click.ParamType):
    """A whole number within [low, high]: ``-n 100000``, ``1_000_000``; ``4.0`` and ``1e6`` are refused with a
    hint (exit 2)."""

    name = "integer"

    def __init__(self, low: int, high: int, what: str):
        self.low, self.high, self.what = low, high, what

    def convert(self, value: Any, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            text = str(value).strip()
            try:
                n = int(text)
            except ValueError:
                hint = ""
                try:
                    x = float(text)
                    if math.isfinite(x) and x.is_integer() and abs(x) < 1e18:
                        hint = f": write {int(x)}, not {text}"
                except ValueError:
                    pass
                self.fail(f"{text!r} is not a whole number{hint}", param, ctx)
        if n < self.low:
            bound = "must not be negative" if self.low == 0 else f"must be at least {self.low:,}"
            self.fail(f"{n:,} is not allowed; {self.what} {bound}", param, ctx)
        if n > self.high:
            self.fail(f"{n:,} is not allowed; {self.what} must be at most {self.high:,}", param, ctx)
        return n


class Finite(click.ParamType):
    """A finite number (``nan`` and ``inf`` are refused, exit 2), optionally within [low, high]."""

    name = "number"

    def __init__(self, low: float = -math.inf, high: float = math.inf):
        self.low, self.high = low, high

    def convert(self, value: Any, param, ctx) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not allowed; give a finite number", param, ctx)
        if not self.low <= x <= self.high:
            self.fail(f"{x:g} is not allowed; it must lie in [{self.low:g}, {self.high:g}]", param, ctx)
        return x


class MemorySize(click.ParamType):
    """A memory budget: bytes, or a number with K, M, G or T (powers of 1,024): ``4G``, ``512M``, ``1.5GiB``."""

    name = "size"

    def convert(self, value: Any, param, ctx) -> int:
        from ..montecarlo.budget import parse_memory

        try:
            return parse_memory(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True, help="table: readable report; json: stable keys (docs/cli.md); csv: per-period lines.")
SET = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                   help="Override a term-sheet field, e.g. --set valuation.discount_rate=0.12 or phases[0].probability=0.5. Repeatable.")
OUTPUT = click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
def parse_date(option: str, text: str | None):
    """``text`` (YYYY-MM-DD) as a date, None when not given; anything else is a usage error naming ``option``."""
    import datetime as _dt

    from ..errors import InputError, Problem

    if text is None:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(Problem(option, f"'{text}' is not a date; write YYYY-MM-DD, e.g. 2020-01-31")) from None


FORCE = click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
MAX_MEMORY = click.option("--max-memory", "max_memory", type=MemorySize(), default=None, metavar="SIZE",
                          help="Memory budget of the Monte Carlo, e.g. 8G or 512M (default: the smaller of 4 GiB and "
                               "half the physical memory); a run estimated above it is refused at once.")
SEED_TYPE = Count(0, MAX_SEED, "a seed")


READOUT = click.option("--readout", default=None, metavar="auto|latest|none|DATE",
                       help="Which readouts to use: auto (default: each trial's latest on or before the valuation date), "
                            "latest (the single most recent), none (prior only), or a cut-off date YYYY-MM-DD.")
WIDE = click.option("--wide", is_flag=True,
                    help="Print every table whole and no line wrapped, instead of fitting the terminal width "
                         "(COLUMNS, default 100).")


def save_chart(path: str, force: bool, draw) -> None:
    """Draw ``draw()`` (a matplotlib figure; needs the plot extra) into ``path`` (.png, .svg or .pdf), never
    overwriting without ``force``, and say where on standard error."""
    with open_output(path, force, (".png", ".svg", ".pdf")) as chart:
        from ..model.charts import pyplot

        fig = draw()
        try:
            chart.write_with(lambda p: fig.savefig(p, dpi=110, format=chart.path.suffix[1:].lower()))
        finally:
            pyplot().close(fig)
    click.echo(f"wrote {chart}", err=True)
