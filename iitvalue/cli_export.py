"""``iitvalue export``: the valuation as an Excel workbook with live formulas (docs/excel.md).

Registered on the main group at the end of ``iitvalue/cli.py``. Heavy imports (xlsxwriter, numpy, the engine)
happen inside the command so that ``iitvalue --help`` stays fast.
"""

from __future__ import annotations

import click

from .cli import handle_errors


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="OUT.xlsx", help="Where to write the workbook (.xlsx).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a term-sheet field before exporting, e.g. --set valuation.discount_rate=0.12. Repeatable.")
@handle_errors
def export_cmd(file: str, output: str, force: bool, sets: tuple[str, ...]) -> None:
    """Write the valuation of the term sheet FILE as an Excel workbook: Inputs, Calculations (live formulas on a
    timeline), Outputs (summary, payments, charts) and Checks (the workbook against iitvalue)."""
    from .cli import check_output_path, parse_sets
    from .excel import write_workbook
    from .terms import load
    from .valuation import value

    target = check_output_path(output, force, (".xlsx",))
    sheet = load(file, overrides=parse_sets(sets))
    info = write_workbook(value(sheet), target)
    differs = [k for k, (wv, py) in info["parity"].items() if abs(wv - py) > 1e-9 * max(1.0, abs(py))]
    click.echo(f"wrote {target} (sheets: {', '.join(info['sheets'])}; names: {', '.join(info['names'])})", err=True)
    for note in info["notes"]:
        click.echo(f"note: {note}", err=True)
    if differs:
        click.echo(f"note: the workbook differs from iitvalue for {', '.join(differs)} (see its Checks sheet)",
                   err=True)
