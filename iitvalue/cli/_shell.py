"""What every command shares: error handling and exit codes, output paths, ``--set`` parsing and the common
options. Exit codes: 0 success, 2 bad input or usage (a one-paragraph message naming file, field and line),
1 numerical failure (docs/cli.md)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

def _fail(message: str, code: int) -> None:
    click.echo(f"iitvalue: error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn library errors into clean messages and exit codes instead of tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from ..errors import InputError, NumericalError

        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            _fail(str(exc), 2)
        except NumericalError as exc:
            _fail(f"numerical failure: {exc}", 1)
        except FloatingPointError as exc:
            _fail(f"numerical failure: {exc}", 1)

    return wrapper


class attach_source:
    """Context manager: an InputError raised inside names ``source`` (the term-sheet file) if it names none."""

    def __init__(self, source: str):
        self.source = source

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from ..errors import InputError

        if isinstance(exc, InputError) and not exc.source:
            exc.source = self.source
        return False


def check_output_path(path: str, force: bool, suffixes: tuple[str, ...] | None = None) -> Path:
    """Refuse to overwrite without --force, to write into a missing folder, or to use the wrong extension."""
    from ..errors import InputError

    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"output must end in {' or '.join(suffixes)}", str(p))
    if p.exists() and not force:
        raise InputError("file exists; pass --force to overwrite it", str(p))
    if not p.parent.exists():
        raise InputError(f"folder '{p.parent}' does not exist", str(p))
    if p.exists() and p.is_dir():
        raise InputError("is a folder, not a file", str(p))
    return p


def emit(text: str, output: str | None, force: bool) -> None:
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    p = check_output_path(output, force)
    p.write_text(text, encoding="utf-8")
    click.echo(f"wrote {p}", err=True)


def parse_sets(sets: tuple[str, ...]) -> dict:
    from ..termsheet import parse_set_option

    return dict(parse_set_option(s) for s in sets)


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True, help="table: readable report; json: stable keys (docs/cli.md); csv: per-period lines.")
SET = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                   help="Override a term-sheet field, e.g. --set valuation.discount_rate=0.12 or phases[0].probability=0.5. Repeatable.")
OUTPUT = click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
FORCE = click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")


READOUT = click.option("--readout", default=None, metavar="auto|latest|none|DATE",
                       help="Which readouts to use: auto (default: each trial's latest on or before the valuation date), "
                            "latest (the single most recent), none (prior only), or a cut-off date YYYY-MM-DD.")
