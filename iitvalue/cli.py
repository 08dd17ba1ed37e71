"""The ``iitvalue`` command line: a thin click shell over the library.

Exit codes: 0 success, 2 bad input or usage (with a one-paragraph message naming file, field and line),
1 numerical failure. Heavy imports happen inside the commands so that ``iitvalue --help`` starts fast.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__


def _fail(message: str, code: int) -> None:
    click.echo(f"iitvalue: error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn):
    """Turn library errors into clean messages and exit codes instead of tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import InputError, NumericalError

        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            _fail(str(exc), 2)
        except NumericalError as exc:
            _fail(f"numerical failure: {exc}", 1)
        except FloatingPointError as exc:
            _fail(f"numerical failure: {exc}", 1)

    return wrapper


def check_output_path(path: str, force: bool, suffixes: tuple[str, ...] | None = None) -> Path:
    """Refuse to overwrite without --force, to write into a missing folder, or to use the wrong extension."""
    from .errors import InputError

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
    from .terms import parse_set_option

    return dict(parse_set_option(s) for s in sets)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iitvalue")
def main() -> None:
    """Risk-adjusted valuation (rNPV) of biotech assets and deals built on IIT readouts.

    Money is in millions of the term sheet's currency, time in years, rates as fractions.
    Start with `iitvalue new -o deal.toml`, edit it, then `iitvalue value deal.toml`.
    """


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      show_default=True, help="table: readable report; json: stable keys (docs/cli.md); csv: per-period lines.")
SET = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                   help="Override a term-sheet field, e.g. --set valuation.discount_rate=0.12 or phases[0].probability=0.5. Repeatable.")
OUTPUT = click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
FORCE = click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")


READOUT = click.option("--readout", default=None, metavar="auto|latest|none|DATE",
                       help="Which readouts to use: auto (default: each trial's latest on or before the valuation date), "
                            "latest (the single most recent), none (prior only), or a cut-off date YYYY-MM-DD.")


@main.command("value")
@click.argument("file", type=click.Path(dir_okay=False))
@FORMAT
@SET
@READOUT
@OUTPUT
@FORCE
@handle_errors
def value_cmd(file: str, fmt: str, sets: tuple[str, ...], readout: str | None, output: str | None, force: bool) -> None:
    """Value the term sheet FILE: rNPV, LOA, launch and peak sales, the PoS update from its readouts, and the
    per-period cash flows."""
    from . import report
    from .errors import InputError
    from .terms import load
    from .valuation import value

    sheet = load(file, overrides=parse_sets(sets))
    try:
        result = value(sheet, readout=readout)
    except InputError as exc:
        from .errors import Problem

        problems = [Problem("--readout", p.message) if p.path == "readout" else p for p in exc.problems]
        raise InputError(problems, exc.source or file) from None
    if fmt == "json":
        text = report.to_json(result.to_dict())
    elif fmt == "csv":
        text = result.cashflows.to_csv()
    else:
        text = report.value_table(result)
    emit(text, output, force)


@main.command("pos")
@click.option("--n", "n", type=int, required=True, help="Evaluable patients.")
@click.option("--responders", type=int, required=True, help="Responders (ORR numerator).")
@click.option("--complete", type=int, default=None, help="Complete responses (CR/sCR) among them.")
@click.option("--complete-n", type=int, default=None, help="Patients evaluable for CR, if fewer than n.")
@click.option("--weight", type=float, default=0.5, show_default=True,
              help="Evidence weight w in (0, 1] (power prior); 0.5 is the default for an IIT.")
@click.option("--indication", default="rrmm", show_default=True, help="Class-model indication key.")
@click.option("--modality", default="car-t", show_default=True, help="Class-model modality key.")
@click.option("--stage", default="iit", show_default=True,
              help="Current stage; the prior LOA is the benchmark LOA from it.")
@click.option("--pivotal-n", type=int, default=None, help="Planned single-arm pivotal size, for the assurance.")
@click.option("--pivotal-threshold", type=float, default=None, help="ORR the pivotal's lower bound must exceed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def pos_cmd(n, responders, complete, complete_n, weight, indication, modality, stage, pivotal_n, pivotal_threshold, fmt):
    """Quick probability-of-success update from one readout, without a term sheet."""
    from . import pos as P
    from . import report
    from .errors import InputError, Problem

    try:
        model, note = P.find_model(indication, modality)
        prior_loa, source = P.prior_loa_for_stage(stage, modality, model.therapeutic_area)
        ev = P.Evidence.from_counts(n, responders, complete, complete_n, weight=weight)
    except InputError as exc:  # name the command-line options, not internal fields
        raise InputError([Problem("--" + p.path.replace("_", "-"), p.message) for p in exc.problems]) from None
    upd = P.update(model, prior_loa, [ev])
    d = upd.summary()
    d["prior_loa_source"] = source
    d["model_note"] = note
    if (pivotal_n is None) != (pivotal_threshold is None):
        raise InputError(Problem("--pivotal-n/--pivotal-threshold", "give both, or neither"))
    d["assurance"] = None
    if pivotal_n is not None:
        from .terms import Pivotal

        try:
            design = Pivotal(n=pivotal_n, threshold=pivotal_threshold)
        except Exception:
            raise InputError(Problem("--pivotal-n/--pivotal-threshold",
                                     "need n >= 1 and a threshold strictly between 0 and 1")) from None
        d["assurance"] = upd.assurance(design)
    if fmt == "json":
        click.echo(report.to_json({"pos": d}), nl=False)
    else:
        click.echo(report.pos_table(d) + f"\n  prior LOA from {source}\n  {note}\n")


@main.command("new")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the commented template.")
@FORCE
@handle_errors
def new_cmd(output: str, force: bool) -> None:
    """Write a fully commented term-sheet template to FILE (it validates as it is)."""
    from importlib import resources

    text = resources.files("iitvalue").joinpath("templates", "termsheet.toml").read_text(encoding="utf-8")
    if output == "-":
        click.echo(text, nl=False)
        return
    p = check_output_path(output, force, (".toml",))
    p.write_text(text, encoding="utf-8")
    click.echo(f"wrote {p}; edit it, then run: iitvalue value {p}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
