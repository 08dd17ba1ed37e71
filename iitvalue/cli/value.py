"""``iitvalue value`` and ``iitvalue new``."""

from __future__ import annotations

import click

from ._shell import FORCE, FORMAT, OUTPUT, READOUT, SET, check_output_path, emit, handle_errors, parse_sets

@click.command("value")
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
    from .. import report
    from ..errors import InputError
    from ..termsheet import load
    from ..valuation import value

    sheet = load(file, overrides=parse_sets(sets))
    try:
        result = value(sheet, readout=readout)
    except InputError as exc:
        from ..errors import Problem

        problems = [Problem("--readout", p.message) if p.path == "readout" else p for p in exc.problems]
        raise InputError(problems, exc.source or file) from None
    if fmt == "json":
        text = report.to_json(result.to_dict())
    elif fmt == "csv":
        text = result.cashflows.to_csv()
    else:
        text = report.value_table(result)
    emit(text, output, force)


@click.command("new")
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
