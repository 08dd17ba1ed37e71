"""``iitvalue export``: the valuation as an Excel workbook with live formulas (docs/excel.md).

Registered on the main group in :mod:`iitvalue.cli`. Heavy imports (xlsxwriter, numpy, the engine)
happen inside the command so that ``iitvalue --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._shell import (DEFAULT_CHUNK, MAX_MEMORY, MAX_PATHS, SEED_TYPE, Count, attach_source, handle_errors,
                     memory_guard, open_output, parse_sets)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="OUT.xlsx", help="Where to write the workbook (.xlsx).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a term-sheet field before exporting, e.g. --set valuation.discount_rate=0.12. Repeatable.")
@click.option("--paths", "n_paths", type=Count(1, MAX_PATHS, "the number of paths"), default=20_000,
              show_default=True, metavar="N",
              help="Monte Carlo paths for the Risk sheet's histogram (term sheets with [[uncertainty]]).")
@click.option("--seed", type=SEED_TYPE, default=1, show_default=True, metavar="S",
              help="Seed of the Risk sheet's Monte Carlo simulation (same seed, same numbers).")
@click.option("--no-risk", is_flag=True,
              help="Skip the Risk sheet (tornado and Monte Carlo histogram) even when FILE has [[uncertainty]].")
@MAX_MEMORY
@handle_errors
def export_cmd(file: str, output: str, force: bool, sets: tuple[str, ...], n_paths: int, seed: int,
               no_risk: bool, max_memory: int | None) -> None:
    """Write the valuation of the term sheet FILE as an Excel workbook: Inputs, Calculations (live formulas on a
    timeline), Outputs (summary, payments, charts), Risk (tornado and Monte Carlo histogram computed by Python,
    when FILE has [[uncertainty]] entries) and Checks (the workbook against iitvalue)."""
    from ..excel import risk_analysis, write_workbook
    from ..termsheet import load
    from ..valuation import value

    with open_output(output, force, (".xlsx",)) as out, attach_source(file):
        sheet = load(file, overrides=parse_sets(sets))
        if not no_risk and sheet.uncertainty:  # the Risk sheet's simulation runs with the default chunk
            memory_guard(sheet, n_paths, DEFAULT_CHUNK, max_memory, paths_option="--paths", chunk_option=None)
        result = value(sheet)
        risk = None if no_risk else risk_analysis(result, paths=n_paths, seed=seed)
        info: dict = {}
        out.write_with(lambda p: info.update(write_workbook(result, p, risk, toml=Path(file),
                                                            overrides=parse_sets(sets))))
    differs = [k for k, (wv, py) in info["parity"].items() if abs(wv - py) > 1e-9 * max(1.0, abs(py))]
    click.echo(f"wrote {out} (sheets: {', '.join(info['sheets'])}; names: {', '.join(info['names'])})", err=True)
    for note in info["notes"]:
        click.echo(f"note: {note}", err=True)
    if risk is not None:
        click.echo(f"Risk sheet: tornado of {len(risk.tornado)} inputs; {risk.paths:,} Monte Carlo paths, seed "
                   f"{risk.seed} (values computed by Python, not live formulas)", err=True)
    elif not no_risk:
        click.echo("no [[uncertainty]] entries: no Risk sheet", err=True)
    if differs:
        click.echo(f"note: the workbook differs from iitvalue for {', '.join(differs)} (see its Checks sheet)",
                   err=True)


@click.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="SHEET.toml", help="Where to write the term sheet (.toml).")
@click.option("--into", "into", default=None, type=click.Path(dir_okay=False), metavar="SHEET.toml",
              help="The term sheet to write the edits into (default: the text kept in the workbook).")
@click.option("--force", is_flag=True, help="Overwrite SHEET.toml if it exists.")
@handle_errors
def import_cmd(workbook: str, output: str, into: str | None, force: bool) -> None:
    """Read a workbook written by `iitvalue export`, with the edits made on its Inputs sheet, back into its term
    sheet: the original TOML with the edited values changed in place and noted, comments and layout kept
    (validated; an edit that is not allowed names its cell; every problem is reported at once)."""
    from ..errors import InputError
    from ..excel import import_edits

    if not workbook.lower().endswith(".xlsx"):
        raise InputError("must be an .xlsx workbook written by `iitvalue export`", workbook)
    with open_output(output, force, (".toml",)) as out:
        res = import_edits(workbook, toml_path=into)
        out.write_with(lambda p: p.write_bytes(res.text.encode("utf-8")))
    click.echo(f"wrote {out} ({len(res.changes)} edited input(s))", err=True)


def _comment(text: str) -> str:
    """``text`` on one comment line: line breaks and other control characters escaped."""
    from ..report import terminal_text

    return terminal_text(text).replace("\n", "\\n")
