"""``iitvalue value`` and ``iitvalue new``."""

from __future__ import annotations

import click

from ._shell import (FORCE, FORMAT, OUTPUT, READOUT, SET, WIDE, attach_source, emit, handle_errors, open_output,
                     parse_sets, require_finite)

# outputs that are always numbers (others, such as the IRR or a break-even, may be null: docs/cli.md)
FINITE_OUTPUTS = ("asset.rnpv", "asset.npv_unrisked", "asset.loa", "pos.prior_loa", "pos.posterior_loa",
                  "deal.licensor_npv", "deal.licensee_npv")


@click.command("value")
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE... | DIR")
@FORMAT
@SET
@READOUT
@OUTPUT
@FORCE
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True, metavar="N",
              help="With several sheets: value them in N worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With several sheets: value them on the Dask cluster at ADDRESS (the 'dask' extra).")
@WIDE
@handle_errors
def value_cmd(files: tuple[str, ...], fmt: str, sets: tuple[str, ...], readout: str | None, output: str | None,
              force: bool, jobs: int, scheduler: str | None, wide: bool) -> None:
    """Value the term sheet FILE: rNPV, LOA, launch and peak sales, the PoS update from its readouts, and the
    per-period cash flows. With several files or a folder of *.toml: one row per sheet (table, CSV, or JSON
    lines), in --jobs processes or on a Dask --scheduler."""
    from pathlib import Path

    if len(files) > 1 or Path(files[0]).is_dir():
        _portfolio(files, fmt, sets, readout, output, force, jobs, scheduler, wide)
        return
    file = files[0]
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
            text = report.table_to_csv(result.asset.table)
        else:
            text = report.screen_text(report.value_table(result, wide, doc), wide)
        emit(text, out)


def _portfolio(files, fmt, sets, readout, output, force, jobs, scheduler, wide=False) -> None:
    """``iitvalue value`` on several sheets: one row per sheet; exit 2 after writing when a sheet failed."""
    import sys

    from .. import report
    from ..analysis.portfolio import COLUMNS, sheet_paths, value_many
    from ..errors import InputError, Problem

    if sets or readout:
        raise InputError(Problem("--set/--readout", "apply to one term sheet; with several, edit the sheets"))
    paths = sheet_paths(files)
    with open_output(output, force) as out:
        bar = None
        if sys.stderr.isatty() and len(paths) > 1:
            from tqdm import tqdm

            bar = tqdm(total=len(paths), unit="sheet", file=sys.stderr)
        try:
            df = value_many(paths, jobs=jobs, scheduler=scheduler, progress=bar.update if bar else None)
        finally:
            if bar is not None:
                bar.close()
        rows = [{k: (None if v != v else v) for k, v in r.items()} for r in df.to_dict(orient="records")]
        if fmt == "json":
            text = "".join(report.to_json_line(r) for r in rows)
        elif fmt == "csv":
            text = report.rows_to_csv(rows, list(COLUMNS))
        else:
            text = report.screen_text(report.portfolio_table(rows, wide), wide)
        emit(text, out)
    failed = [r for r in rows if r.get("error")]
    if failed:
        raise InputError([Problem(r["file"], r["error"]) for r in failed])


@click.command("new")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the commented template (- prints it).")
@click.option("--with-deal", is_flag=True,
              help="Add a readout, a [deal] with milestones and royalties, [[uncertainty]] entries and a scenario.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@handle_errors
def new_cmd(output: str, with_deal: bool, force: bool) -> None:
    """Write a fully commented term-sheet template to FILE (it validates as it is); --with-deal adds the sections
    that price, solve, simulate and sensitivity use."""
    from importlib import resources

    templates = resources.files("iitvalue").joinpath("templates")
    text = templates.joinpath("termsheet.toml").read_text(encoding="utf-8")
    if with_deal:
        text += templates.joinpath("deal_sections.toml").read_text(encoding="utf-8")
    if output == "-":
        click.echo(text, nl=False)
        return
    with open_output(output, force, (".toml",)) as out:
        out.write_text(text)
    click.echo(f"wrote {out}; edit it, then run: iitvalue value {out}", err=True)
