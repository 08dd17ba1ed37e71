"""``iitvalue calibrate``, ``implied``, ``price`` and ``solve``: the pricing model and goal-seek."""

from __future__ import annotations

import math

import click

from ._shell import (FORCE, SET, WIDE, Finite, attach_source, handle_errors, no_output, open_output, parse_sets,
                     save_chart)


def _parse_params(text: str | None) -> tuple[str, ...]:
    from ..analysis.calibrate import SHIPPED_FREE

    return tuple(x.strip() for x in text.split(",") if x.strip()) if text else SHIPPED_FREE


@click.command("calibrate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--free", default=None, metavar="P1,P2",
              help="Parameters of method (a) to fit: kappa, weight, premium (default kappa; weight stays at --start or "
                   "0.5, premium at 0).")
@click.option("--start", default=None, metavar="P=V,...", help="Start values (and the fixed values of parameters not freed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@click.option("-o", "--output", default=None, metavar="calibration.toml", help="Also write the calibration as TOML.")
@click.option("--plot", "plot", default=None, metavar="CHART",
              help="Also draw predicted against paid upfronts of the backtest (.png, .svg or .pdf; the plot extra).")
@FORCE
@handle_errors
def calibrate_cmd(files, free, start, fmt, wide, output, plot, force):
    """Fit the pricing methods and report their out-of-sample error: (a) the rNPV split kappa over the full
    term sheets FILES (default: the shipped comparables) by least squares on log(predicted / observed upfront),
    (b) the comparables regression and (c) the stage benchmark over the comparables dataset, their combination,
    and the leave-one-out and time-ordered backtests (docs/method.md 4)."""
    from ..analysis import calibrate as C
    from .. import report

    paths = list(files) or C.shipped_comparables()
    with open_output(output, force, (".toml",)) if output else no_output() as out:
        cal = C.fit(C.load_comparables(paths), _parse_params(free), _parse_start(start))
        cal.market = C.market_model(cal)
        if output:
            out.write_text(cal.to_toml())
            click.echo(f"wrote {out}", err=True)
    if plot:
        from ..model.charts import plot_backtest

        save_chart(plot, force, lambda: plot_backtest(cal.market["backtest"]))
    doc = {"calibration": cal.to_dict()}
    text = report.to_json(doc) if fmt == "json" else report.screen_text(report.calibration_table(doc["calibration"], wide), wide)
    click.echo(text, nl=False)


def _parse_start(text: str | None) -> dict[str, float] | None:
    from ..errors import InputError, Problem

    if not text:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(Problem("--start", f"'{part}' is not P=V (e.g. kappa=0.4)"))
        k, v = part.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise InputError(Problem("--start", f"'{v}' is not a number")) from None
        if not math.isfinite(out[k.strip()]):
            raise InputError(Problem("--start", f"'{v}' is not allowed; give a finite number"))
    from ..analysis.calibrate import PARAMS

    bad = [k for k in out if k not in PARAMS]
    if bad:
        raise InputError(Problem("--start", f"unknown parameter(s) {', '.join(bad)}; allowed: {', '.join(PARAMS)}"))
    return out


@click.command("implied")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--solve", "param", required=True, type=click.Choice(["loa", "weight", "peak_sales", "buyer_rate"]),
              help="The single input to solve for.")
@click.option("--calibration", "calib_file", default=None, type=click.Path(dir_okay=False),
              help="Calibration TOML (default: the shipped one).")
@click.option("--target", type=Finite(0.0, 1e9), default=None,
              help="Upfront to reproduce, in millions (default: deal.observed.upfront).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@SET
@handle_errors
def implied_cmd(file, param, calib_file, target, fmt, wide, sets):
    """The value of one input (posterior LOA, evidence weight, peak-sales multiplier or the buyer's discount rate)
    that makes the calibrated pricing model reproduce the deal's observed upfront."""
    from ..analysis import calibrate as C, pricing
    from .. import report
    from ..termsheet import load

    sheet = load(file, overrides=parse_sets(sets))
    cal = C.load_calibration(calib_file)
    p = cal["params"]
    with attach_source(file):
        res = pricing.implied(sheet, param, float(p["kappa"]), float(p["weight"]), float(p.get("premium", 0.0)), target)
    if fmt == "json":
        click.echo(report.to_json({"implied": res}), nl=False)
    else:
        from ..tables import factor, money, percent

        who = sheet.deal.licensee.name
        val = (percent(res["value"]) if param in ("loa", "buyer_rate") else factor(res["value"]) if param == "weight"
               else f"x {res['value']:.3f}")
        text = (f"{who}'s upfront of {money(res['target_upfront'])} implies {res['meaning']} = {val}\n"
                f"  (pricing model with kappa = {factor(res['kappa'])}, weight = {factor(res['weight'])}, platform "
                f"premium = {money(res['premium'])}; docs/method.md section 4)\n"
                + ("  note: more than one value reproduces it; the smallest is shown\n" if res["multiple_roots"]
                   else ""))
        click.echo(report.screen_text(text, wide))


@click.command("price")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--calibration", "calib_file", default=None, type=click.Path(dir_okay=False),
              help="Calibration TOML (default: the shipped one).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@SET
@handle_errors
def price_cmd(file, calib_file, fmt, wide, sets):
    """Fair upfront (with its range) and total risk-adjusted consideration for the deal in FILE; with no
    milestones in FILE, a suggested structure in the comparables' proportions."""
    from ..analysis import calibrate as C, pricing
    from .. import report
    from ..errors import InputError, Problem
    from ..termsheet import load

    sheet = load(file, overrides=parse_sets(sets))
    if sheet.deal is None:
        raise InputError(Problem("deal", "pricing needs a [deal] table (kind, parties and their rates)"), file)
    cal = C.load_calibration(calib_file)
    comps = [load(p) for p in C.shipped_comparables()]
    with attach_source(file):
        res = pricing.price(sheet, cal, comps)
    text = report.to_json({"price": res}) if fmt == "json" else report.screen_text(report.price_table(res, sheet, wide), wide)
    click.echo(text, nl=False)


@click.command("solve")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--for", "path", required=True, metavar="dotted.path", help="The numeric field to vary.")
@click.option("--target", "target", required=True, metavar="OUTPUT=VALUE",
              help="The output to hit, e.g. deal.licensee_npv=0 or asset.rnpv=500.")
@click.option("--low", type=Finite(), default=None, help="Lower end of the search range.")
@click.option("--high", type=Finite(), default=None, help="Upper end of the search range.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@SET
@handle_errors
def solve_cmd(file, path, target, low, high, fmt, wide, sets):
    """Goal-seek: the value of one numeric term-sheet field at which an output reaches a target."""
    from ..analysis import goalseek
    from .. import report
    from ..errors import InputError, Problem
    from ..termsheet import load

    if "=" not in target:
        raise InputError(Problem("--target", "write OUTPUT=VALUE, e.g. deal.licensee_npv=0"))
    out_key, raw = target.split("=", 1)
    try:
        goal = float(raw)
    except ValueError:
        raise InputError(Problem("--target", f"'{raw}' is not a number")) from None
    if not math.isfinite(goal):
        raise InputError(Problem("--target", f"'{raw.strip()}' is not allowed; the target must be a finite number"))
    from ..termsheet import set_path

    sheet = load(file, overrides=parse_sets(sets))
    try:
        set_path(sheet.to_dict(), path, 0.0)  # the path must name a field of the schema
        sheet.replace({path: _get_value(sheet, path)})
    except InputError as exc:
        raise InputError([Problem("--for " + p.path, p.message) for p in exc.problems], file) from None
    bounds = None
    if low is not None or high is not None:
        if low is None or high is None:
            raise InputError(Problem("--low/--high", "give both ends of the range"))
        bounds = (low, high)
    with attach_source(file):
        res = goalseek.solve_field(sheet, path, out_key.strip(), goal, bounds)
    if fmt == "json":
        click.echo(report.to_json({"solve": res}), nl=False)
    else:
        def shown(key: str, x: float) -> str:  # a probability, rate, share or weight as a percentage, else money
            return percent(x) if any(w in key for w in FRACTIONS) else money(x) if abs(x) >= 1 else f"{x:.4g}"

        from ..tables import money, percent

        field = path.rsplit(".", 1)[-1]
        text = (f"{path} = {shown(field, res['value'])} gives {res['output']} = {shown(res['output'], res['target'])} "
                f"(the sheet's {shown(field, res['base_value'])}; searched {shown(field, res['bounds'][0])} to "
                f"{shown(field, res['bounds'][1])})\n"
                + ("  note: several values reach the target; the smallest is shown\n" if res["multiple_roots"] else ""))
        click.echo(report.screen_text(text, wide))


# words of field and output names that hold fractions (shown as percentages)
FRACTIONS = ("probability", "rate", "share", "weight", "loa", "fraction", "irr", "factor")


def _get_value(sheet, path):
    from ..analysis.goalseek import field_value
    from ..termsheet import parse_path

    return field_value(sheet, parse_path(path))


@click.command("comps")
@click.option("--type", "deal_type", default=None, metavar="TYPE",
              help="licence, co-development, option or acquisition.")
@click.option("--stage", default=None, metavar="STAGE", help="preclinical, platform, iit, phase1, ... approved.")
@click.option("--modality", default=None, metavar="MODALITY", help="car-t, gene-therapy, antibody, ...")
@click.option("--china/--no-china", "china", default=None, help="Only China-origin assets, or only the others.")
@click.option("--platform/--no-platform", "platform", default=None, help="Only platform deals, or only the others.")
@click.option("--since", default=None, metavar="DATE", help="Announced on or after DATE (YYYY-MM-DD).")
@click.option("--until", default=None, metavar="DATE", help="Announced on or before DATE (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
@FORCE
@WIDE
@handle_errors
def comps_cmd(deal_type, stage, modality, china, platform, since, until, fmt, output, force, wide):
    """List and filter the comparable deals (iitvalue/data/comparables/deals.csv: sourced, dated, announced
    2015-01-01 to 2025-03-31; USD millions). JSON: comps[] with every column of the dataset."""
    from .. import report, tables
    from ..analysis.comps import COLUMNS, COMPS_TABLE, comps_rows
    from ._shell import emit, open_output, parse_date

    rows = comps_rows(deal_type, stage, modality, china, platform, parse_date("--since", since),
                      parse_date("--until", until))
    with open_output(output, force) as out:
        if fmt == "json":
            text = report.to_json({"comps": rows})
        elif fmt == "csv":
            text = report.rows_to_csv(rows, list(COLUMNS))
        else:
            text = report.screen_text(f"Comparable deals ({len(rows)} of {len(comps_rows())}; USD millions)\n"
                                      + tables.render(rows, COMPS_TABLE, wide=wide) + "\n", wide)
        emit(text, out)


@click.command("history")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the table, JSON or CSV here.")
@click.option("--plot", "plot", default=None, metavar="CHART",
              help="Also draw the LOA, rNPV and fair upfront through time (.png, .svg or .pdf; the plot extra).")
@FORCE
@WIDE
@SET
@handle_errors
def history_cmd(file, fmt, output, plot, force, wide, sets):
    """Revalue FILE at the date of each of its readouts and at its own date (docs/method.md 6.1): the LOA, the
    asset rNPV and the deal's fair upfront as the data came out. JSON: history[] with date, loa, rnpv,
    fair_upfront (docs/cli.md)."""
    from .. import report, tables
    from ..analysis.history import COLUMNS, history
    from ..termsheet import load
    from ._shell import emit

    sheet = load(file, overrides=parse_sets(sets))
    with attach_source(file):
        rows = history(sheet)
    keys = ["date", "event", "readouts", "loa", "rnpv", "fair_upfront", "licensee_npv", "licensor_npv",
            "deal_moved", "note"]
    with open_output(output, force) as out:
        if fmt == "json":
            text = report.to_json({"history": [{k: str(r[k]) if k == "date" else r[k] for k in keys} for r in rows]})
        elif fmt == "csv":
            text = report.rows_to_csv([{k: str(r[k]) if k == "date" else r[k] for k in keys} for r in rows], keys)
        else:
            moved = [str(r["date"]) for r in rows if r["deal_moved"]]
            text = report.screen_text(
                f"Readout history of {sheet.asset.name} ({sheet.valuation.currency} millions; docs/method.md 6.1)\n"
                + tables.render(rows, COLUMNS, wide=wide)
                + ("\n  deal valued as if signed on " + ", ".join(moved) + " (it was signed earlier)" if moved else "")
                + "".join(f"\n  {r['date']}: {r['note']}" for r in rows if r["note"]) + "\n", wide)
        emit(text, out)
    if plot:
        from ..model.charts import plot_history

        save_chart(plot, force, lambda: plot_history(rows, sheet.valuation.currency,
                                                     f"Readout history of {sheet.asset.name}"))


@click.command("route")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--delay", type=Finite(0.0, 30.0), default=None, metavar="YEARS",
              help="Years by which first-in-human comes later IND-first (default 2: 'at least two years', "
                   "EsoBiotec's CEO, March 2025).")
@click.option("--phase1-cost", "phase1_cost", type=Finite(0.0, 1e6), default=0.0, show_default=True, metavar="M",
              help="Millions the sponsor pays for its own phase 1 IND-first, on top of the first phase's cost.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@SET
@handle_errors
def route_cmd(file, delay, phase1_cost, fmt, wide, sets):
    """Value FILE on its IIT route and on an IND-first counterfactual (first-in-human later by --delay, the IIT
    readouts not yet public, the sponsor's own phase-1 cost): the value of the time saved, for the asset and each
    side of a deal (docs/method.md 6.2). JSON: route.iit_rnpv, route.ind_rnpv, route.value_of_time."""
    from .. import report
    from ..analysis.route import DEFAULT_DELAY, route
    from ..termsheet import load

    sheet = load(file, overrides=parse_sets(sets))
    with attach_source(file):
        r = route(sheet, DEFAULT_DELAY if delay is None else delay, phase1_cost)
    if fmt == "json":
        click.echo(report.to_json({"route": r}), nl=False)
        return
    rows = [("IIT route (the sheet): rNPV", r["iit_rnpv"]), ("IND-first: rNPV", r["ind_rnpv"]),
            ("value of the time saved", r["value_of_time"]),
            ("  of which the later plan (IIT data kept)", r["of_which_delay"]),
            ("  of which the readouts not yet public IND-first", r["of_which_data"]),
            ("LOA: IIT route / IND-first", f"{r['iit_loa']:.1%} / {r['ind_loa']:.1%}"),
            ("delay", f"{r['delay']:g} years ({r['delay_source']})"),
            ("sponsor's own phase-1 cost IND-first", r["phase1_cost"])]
    if "iit_licensee_npv" in r:
        for side in ("licensee", "licensor"):
            rows.append((f"{side} NPV: IIT route / IND-first / value of time",
                         f"{r[f'iit_{side}_npv']:,.1f} / {r[f'ind_{side}_npv']:,.1f} / {r[f'value_of_time_{side}']:,.1f}"))
    text = report.key_values(f"Route of {sheet.asset.name} ({sheet.valuation.currency} millions; docs/method.md 6.2)",
                             rows)
    if r["readouts_dropped"]:
        text += "\n\nReadouts not yet public IND-first\n" + "\n".join(f"  - {x}" for x in r["readouts_dropped"])
    click.echo(report.screen_text(text + "\n", wide), nl=False)


@click.command("evsi")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--cohort", type=click.IntRange(0, 40), required=True, metavar="N",
              help="Patients in the next IIT cohort (0 to 40).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@SET
@handle_errors
def evsi_cmd(file, cohort, fmt, wide, sets):
    """The expected value of seeing N more IIT patients before deciding whether to go on with the asset in FILE
    (preposterior analysis over the predictive of their responders and CRs; docs/method.md 6.3). JSON:
    evsi.value, evsi.outcomes[]."""
    from .. import report, tables
    from ..analysis.evsi import evsi

    sheet = load_sheet(file, sets)
    with attach_source(file):
        e = evsi(sheet, cohort)
    if fmt == "json":
        click.echo(report.to_json({"evsi": e}), nl=False)
        return
    rows = [("value of the next cohort (EVSI)", e["value"]), ("cohort", f"{cohort} patients ({e['trial']})"),
            ("rNPV now", e["rnpv_now"]), ("predictive mean of the rNPV after the cohort", e["predictive_mean_rnpv"]),
            ("deciding now: max(mean, 0)", e["decide_now"]), ("deciding after it: mean of max(rNPV, 0)", e["decide_later"])]
    cols = [tables.Column("responders", "responders"), tables.Column("complete", "CR"),
            tables.Column("probability", "probability", tables.percent), tables.Column("loa", "LOA", tables.percent),
            tables.Column("rnpv", "rNPV", tables.money), tables.Column("decision", "decision")]
    text = (report.key_values(f"Value of the next cohort for {sheet.asset.name} ({sheet.valuation.currency} millions; "
                              "docs/method.md 6.3)", rows) + "\n\nOutcomes of the cohort\n"
            + tables.render(e["outcomes"], cols, wide=wide) + "\n")
    click.echo(report.screen_text(text, wide), nl=False)


def load_sheet(file, sets):
    from ..termsheet import load

    return load(file, overrides=parse_sets(sets))
