"""``iitvalue value`` and ``iitvalue new``."""

from __future__ import annotations

import click

from ._shell import (FORCE, FORMAT, OUTPUT, READOUT, SET, attach_source, emit, handle_errors, open_output, parse_sets,
                     require_finite)

# outputs that are always numbers (others, such as the IRR or a break-even, may be null: docs/cli.md)
FINITE_OUTPUTS = ("asset.rnpv", "asset.npv_unrisked", "asset.loa", "pos.prior_loa", "pos.posterior_loa",
                  "deal.licensor_npv", "deal.licensee_npv")


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
    from ..errors import InputError, Problem
    from ..termsheet import load
    from ..valuation import value

    with open_output(output, force) as out, attach_source(file):
        sheet = load(file, overrides=parse_sets(sets))
        try:
            result = value(sheet, readout=readout)
        except InputError as exc:
            problems = [Problem("--readout", p.message) if p.path == "readout" else p for p in exc.problems]
            raise InputError(problems, exc.source or file) from None
        doc = result.to_dict()
        require_finite(doc, FINITE_OUTPUTS, "the valuation")
        if fmt == "json":
            text = report.to_json(doc)
        elif fmt == "csv":
            text = report.to_csv(result.cashflows)
        else:
            text = report.terminal_text(report.value_table(result))
        emit(text, out)


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
    with open_output(output, force, (".toml",)) as out:
        out.write_text(text)
    click.echo(f"wrote {out}; edit it, then run: iitvalue value {out}", err=True)
