"""``iitvalue simulate``, ``iitvalue sensitivity`` and ``iitvalue plot`` (docs/cli.md, docs/montecarlo.md).

Registered on the main group in :mod:`iitvalue.cli`. numpy, pandas and matplotlib are imported inside the
commands so that ``iitvalue --help`` stays fast.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import click

from ._shell import (DEFAULT_CHUNK, FORCE, MAX_MEMORY, MAX_PATHS, SEED_TYPE, SET, WIDE, Count, attach_source, emit,
                     handle_errors, memory_guard, no_output, open_output, parse_sets, require_finite)

MAX_GRID = 100  # values per axis of a two-way grid
PATHS = click.option("-n", "--paths", "n_paths", type=Count(1, MAX_PATHS, "the number of paths"), default=100_000,
                     show_default=True, help="Number of simulated paths.")
SEED = click.option("--seed", type=SEED_TYPE, default=0, show_default=True,
                    help="Seed: the same seed gives the same numbers.")


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{"mc.licensor.mean": x} -> {"mc": {"licensor": {"mean": x}}}."""
    out: dict[str, Any] = {}
    for key, v in flat.items():
        node = out
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
    return out


def _run_simulation(sheet, n_paths: int, seed: int, chunk: int, keep_draws: bool = False):
    from ..montecarlo import simulate

    if sys.stderr.isatty():
        with click.progressbar(length=n_paths, label="simulating", file=sys.stderr) as bar:
            return simulate(sheet, n_paths, seed, chunk, keep_draws=keep_draws, progress=bar.update)
    return simulate(sheet, n_paths, seed, chunk, keep_draws=keep_draws)


@click.command("simulate")
@click.argument("file", type=click.Path(dir_okay=False))
@PATHS
@SEED
@click.option("--chunk", type=Count(1, MAX_PATHS, "the chunk"), default=None, metavar="N",
              help=f"Paths computed at once (rounded up to blocks of 4,096; default {DEFAULT_CHUNK:,}, smaller when "
                   "needed to fit --max-memory); bounds memory, never changes the numbers.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: readable summary; json: stable keys mc.* (docs/cli.md).")
@SET
@click.option("-o", "--output", default=None, metavar="PATHS_FILE",
              help="Also write one row per path to a .csv or .parquet file (parquet needs pyarrow).")
@FORCE
@MAX_MEMORY
@WIDE
@handle_errors
def simulate_cmd(file: str, n_paths: int, seed: int, chunk: int | None, fmt: str, sets: tuple[str, ...],
                 output: str | None, force: bool, max_memory: int | None, wide: bool) -> None:
    """Monte Carlo simulation of the term sheet FILE: drawn inputs from its [[uncertainty]] table, then each phase
    passes or fails. Prints the mean, standard error, percentiles and P(NPV < 0) of the realised NPV, for the
    asset and, with a [deal], for each party."""
    from .. import report
    from ..errors import InputError
    from ..termsheet import load

    with open_output(output, force, (".csv", ".parquet")) if output is not None else no_output() as out, \
            attach_source(file):
        parquet = output is not None and out.path.suffix.lower() == ".parquet"
        if parquet:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise InputError("writing .parquet needs pyarrow, which is not installed: write a .csv file instead, "
                                 "or pip install pyarrow", output) from None
        sheet = load(file, overrides=parse_sets(sets))
        chunk = memory_guard(sheet, n_paths, chunk, max_memory, keep_draws=output is not None)
        sim = _run_simulation(sheet, n_paths, seed, chunk, keep_draws=output is not None)
        summary = sim.summary()
        require_finite(summary, ("mc.mean", "mc.p5", "mc.p95", "mc.deterministic_rnpv"), "the simulation")
        doc = nest(summary)
        doc["mc"]["convergence"] = list(sim.convergence())
        doc["mc"]["outcomes"] = list(sim.outcomes())
        doc["notes"] = sim.notes
        if output is not None:
            frame = sim.paths_frame()
            out.write_with(lambda p: frame.to_parquet(p, index=False) if parquet else frame.to_csv(p, index=False))
            click.echo(f"wrote {out} ({sim.n:,} paths)", err=True)
    if fmt == "json":
        click.echo(report.to_json(doc), nl=False)
    else:
        click.echo(report.screen_text(_table(sheet, summary, sim), wide), nl=False)


def _table(sheet, s: dict[str, Any], sim) -> str:
    from ..report import key_values
    from ..tables import money, percent

    cur = sheet.valuation.currency
    rows = [("paths (seed)", f"{s['mc.paths']:,} ({s['mc.seed']})"), ("engine", s["mc.engine"]),
            ("deterministic rNPV", s["mc.deterministic_rnpv"])]
    if "mc.mean_conditional" in s:
        rows.append(("mean of E[NPV | drawn inputs]", s["mc.mean_conditional"]))
    rows.append(("P(approval) on the paths", percent(s["mc.prob_approval"])))

    def block(prefix: str) -> list[tuple[str, Any]]:
        return [("mean", s[f"{prefix}mean"]), ("standard error", s[f"{prefix}std_error"]),
                ("P5 / P10 / P50", " / ".join(money(s[f"{prefix}p{q}"]) for q in (5, 10, 50))),
                ("P90 / P95", " / ".join(money(s[f"{prefix}p{q}"]) for q in (90, 95))),
                ("P(NPV < 0)", percent(s[f"{prefix}prob_negative"]))]

    parts = [key_values(f"{sheet.asset.name}: Monte Carlo ({cur} millions, realised NPV per path)",
                        rows + block("mc."))]
    if "mc.licensor.mean" in s:
        for role in ("licensor", "licensee"):
            parts.append(key_values(f"{role}: {getattr(sheet.deal, role).name} (own rate)", block(f"mc.{role}.")))
        parts.append(key_values("seller's realised receipts (upfront + milestones + royalties)", [
            ("PV mean", s["mc.receipts.mean"]),
            ("PV P10 / P50 / P90", f"{s['mc.receipts.p10']:,.1f} / {s['mc.receipts.p50']:,.1f} / {s['mc.receipts.p90']:,.1f}"),
            ("nominal mean", s["mc.receipts.nominal_mean"]),
            ("nominal P10 / P50 / P90",
             f"{s['mc.receipts.nominal_p10']:,.1f} / {s['mc.receipts.nominal_p50']:,.1f} / {s['mc.receipts.nominal_p90']:,.1f}"),
        ]))
    parts.append(key_values("outcomes", [(r["outcome"], percent(r["share"])) for r in sim.outcomes()]))
    parts.append(key_values("convergence (paths: mean +/- standard error)",
                            [(f"{r['paths']:,}", f"{r['mean']:,.2f} +/- {r['std_error']:,.2f}") for r in sim.convergence()]))
    if sim.notes:
        parts.append("Notes\n-----\n" + "\n".join(f"  * {n}" for n in sim.notes))
    return "\n\n".join(parts) + "\n"


def _parse_grid(text: str) -> tuple[str, list[float]]:
    from ..errors import InputError, Problem

    if "=" not in text:
        raise InputError(Problem("--grid", f"'{text}': write PATH=v1,v2,..., e.g. --grid pos.iit_weight=0.25,0.5,1"))
    path, raw = text.split("=", 1)
    try:
        values = [float(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise InputError(Problem("--grid", f"'{raw}' is not a comma-separated list of numbers")) from None
    if not values:
        raise InputError(Problem("--grid", f"no values given for {path.strip()}"))
    if not all(math.isfinite(v) for v in values):
        raise InputError(Problem("--grid", f"'{raw}': every value must be a finite number (no nan or inf)"))
    if len(values) > MAX_GRID:
        raise InputError(Problem("--grid", f"{len(values):,} values for {path.strip()}; at most {MAX_GRID} per axis "
                                 f"(each cell of the grid is a valuation)"))
    return path.strip(), values


@click.command("sensitivity")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--grid", "grids", multiple=True, metavar="PATH=v1,v2,...",
              help="Give twice for a two-way grid of the metric, e.g. --grid pos.iit_weight=0.25,0.5,1 "
                   "--grid territories[0].peak_sales=500,1000.")
@click.option("--metric", default="asset.rnpv", show_default=True, metavar="KEY",
              help="What ranks the tornado and fills the grid: asset.rnpv, asset.loa, deal.licensor_npv, "
                   "deal.licensee_npv, deal.licensor_gain, deal.breakeven_upfront or (with an option) "
                   "deal.option_value.")
@SET
@click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
@FORCE
@WIDE
@handle_errors
def sensitivity_cmd(file: str, fmt: str, grids: tuple[str, ...], metric: str, sets: tuple[str, ...],
                    output: str | None, force: bool, wide: bool) -> None:
    """Tornado of the [[uncertainty]] inputs (one-way swings, ranked by --metric), the [[scenarios]] side by side
    with the base case, and an optional two-way grid. Deterministic: every number is an expected value."""
    from ..analysis import sensitivity as sens
    from .. import report
    from ..errors import InputError, Problem
    from ..termsheet import load

    if len(grids) not in (0, 2):
        raise InputError(Problem("--grid", f"give it twice (rows and columns of a two-way grid), not {len(grids)} time(s)"))
    parsed = [_parse_grid(g) for g in grids]
    with open_output(output, force) as out, attach_source(file):
        sheet = load(file, overrides=parse_sets(sets))
        sens.check_metric(sheet, metric)
        rows = sens.tornado(sheet, metric=metric)
        scen = sens.scenarios(sheet)
        grid = None
        if parsed:
            (xp, xv), (yp, yv) = parsed
            grid = sens.grid(sheet, xp, xv, yp, yv, metric)
        notes = [] if sheet.uncertainty else ["no [[uncertainty]] entries: the tornado is empty (docs/termsheet.md)"]
        if fmt == "json":
            doc: dict[str, Any] = {"sensitivity": {
                "metric": metric, "base": nest_metrics(scen[0]), "tornado": [nest_metrics(r) for r in rows],
                "scenarios": [nest_metrics(r) for r in scen], "grid": grid}, "notes": notes}
            text = report.to_json(doc)
        else:
            text = report.screen_text(_sensitivity_table(sheet, rows, scen, grid, notes, wide, metric), wide)
        emit(text, out)


def nest_metrics(row: dict[str, Any]) -> dict[str, Any]:
    """A tornado or scenario row with its output keys nested like ``value``'s JSON (docs/cli.md, "JSON keys"):
    ``asset.rnpv_low`` -> ``{"asset": {"rnpv_low": ...}}``; other keys (``set``'s term-sheet paths among them)
    stay as they are."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        section, dot, name = k.partition(".")
        if dot and section in ("asset", "deal", "pos"):
            out.setdefault(section, {})[name] = v
        else:
            out[k] = v
    return out


def _num(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _sensitivity_table(sheet, rows, scen, grid, notes: list[str], wide: bool, metric: str = "asset.rnpv") -> str:
    from .. import tables
    from ..analysis.sensitivity import METRICS

    fmt = tables.percent if metric == "asset.loa" else tables.money
    out = [f"{sheet.asset.name}: sensitivity of the {METRICS[metric]} ({sheet.valuation.currency} millions); base "
           f"{fmt(scen[0][metric])}", ""]
    if rows:
        out += [tables.render(rows, rows.columns, wide=wide), ""]
    out += ["Scenarios", tables.render(scen, scen.columns, wide=wide)]
    if grid is not None:
        cols = [tables.Column("y", grid["y_path"], _num)] + [
            tables.Column(str(i), f"{x:.4g}", fmt) for i, x in enumerate(grid["x_values"])]
        cells = [{"y": y, **{str(i): v for i, v in enumerate(row)}} for y, row in zip(grid["y_values"], grid["values"])]
        out += ["", f"Grid of {grid['metric']}: rows {grid['y_path']}, columns {grid['x_path']}",
                tables.render(cells, cols, wide=wide)]
    if notes:
        out += ["", "Notes"] + [f"  * {n}" for n in notes]
    return "\n".join(out) + "\n"


@click.command("plot")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["histogram", "tornado", "cashflows"]), required=True,
              help="histogram: realised NPV of the simulated paths; tornado: one-way swings; cashflows: "
                   "risk-adjusted cash flow by period.")
@click.option("-o", "--output", required=True, metavar="CHART", help="Image file: .png, .svg or .pdf.")
@FORCE
@PATHS
@SEED
@SET
@MAX_MEMORY
@handle_errors
def plot_cmd(file: str, kind: str, output: str, force: bool, n_paths: int, seed: int, sets: tuple[str, ...],
             max_memory: int | None) -> None:
    """Draw a chart of FILE (needs the `plot` extra: pip install 'iitvalue[plot]')."""
    from ..errors import InputError
    from ..termsheet import load

    with open_output(output, force, (".png", ".svg", ".pdf")) as out, attach_source(file):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("plots need matplotlib, which is not installed: pip install 'iitvalue[plot]'") from None
        from ..analysis import sensitivity as sens
        from ..montecarlo import plots

        sheet = load(file, overrides=parse_sets(sets))
        if kind == "histogram":
            chunk = memory_guard(sheet, n_paths, None, max_memory)
            sim = _run_simulation(sheet, n_paths, seed, chunk)
            fig = plots.plot_histogram(sim, currency=sheet.valuation.currency)
        elif kind == "tornado":
            rows = sens.tornado(sheet)
            if not rows:
                raise InputError("no [[uncertainty]] entries to draw a tornado of", file)
            fig = plots.plot_tornado(rows, sens.scenarios(sheet)[0]["asset.rnpv"])
        else:
            from ..valuation import value

            fig = plots.plot_cashflows(value(sheet))
        import matplotlib.pyplot as plt

        try:
            out.write_with(lambda p: fig.savefig(p, dpi=120, format=out.path.suffix[1:].lower()))
        finally:
            plt.close(fig)
    click.echo(f"wrote {out}", err=True)
