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


class attach_source:
    """Context manager: an InputError raised inside names ``source`` (the term-sheet file) if it names none."""

    def __init__(self, source: str):
        self.source = source

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from .errors import InputError

        if isinstance(exc, InputError) and not exc.source:
            exc.source = self.source
        return False


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
@click.option("--p-approval-active", type=float, default=None,
              help="P(approval | active) (default: the class model's, 0.75 for the shipped models).")
@click.option("--p-approval-inactive", type=float, default=None,
              help="P(approval | inactive) (default: the class model's, 0.02).")
@click.option("--pivotal-n", type=int, default=None, help="Planned single-arm pivotal size, for the assurance.")
@click.option("--pivotal-threshold", type=float, default=None, help="ORR the pivotal's lower bound must exceed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def pos_cmd(n, responders, complete, complete_n, weight, indication, modality, stage, p_approval_active,
            p_approval_inactive, pivotal_n, pivotal_threshold, fmt):
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
    for name, q in (("--p-approval-active", p_approval_active), ("--p-approval-inactive", p_approval_inactive)):
        if q is not None and not 0.0 <= q <= 1.0:
            raise InputError(Problem(name, f"{q} is not allowed; a probability lies in [0, 1]"))
    try:
        upd = P.update(model, prior_loa, [ev], p_approval_active, p_approval_inactive)
    except InputError as exc:
        raise InputError([Problem("--stage", p.message.replace("pos.p_approval_active / pos.p_approval_inactive",
                                                               "--p-approval-active / --p-approval-inactive"))
                          for p in exc.problems]) from None
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


def _parse_params(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip()) if text else ("kappa", "weight", "premium")


@main.command("calibrate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--free", default=None, metavar="P1,P2", help="Parameters to fit: kappa, weight, premium (default all three).")
@click.option("--start", default=None, metavar="P=V,...", help="Start values (and the fixed values of parameters not freed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", default=None, metavar="calibration.toml", help="Also write the calibration as TOML.")
@FORCE
@handle_errors
def calibrate_cmd(files, free, start, fmt, output, force):
    """Fit the pricing model's shared parameters (kappa, evidence weight, platform premium) to comparable deals
    (default: the shipped comparables) by least squares on log(predicted / observed upfront)."""
    from . import calibrate as C
    from . import report

    paths = list(files) or C.shipped_comparables()
    if output:
        out = check_output_path(output, force, (".toml",))
    cal = C.fit(C.load_comparables(paths), _parse_params(free), _parse_start(start))
    if output:
        out.write_text(cal.to_toml(), encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    doc = {"calibration": cal.to_dict()}
    click.echo(report.to_json(doc) if fmt == "json" else report.calibration_table(doc["calibration"]), nl=False)


def _parse_start(text: str | None) -> dict[str, float] | None:
    from .errors import InputError, Problem

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
    from .calibrate import PARAMS

    bad = [k for k in out if k not in PARAMS]
    if bad:
        raise InputError(Problem("--start", f"unknown parameter(s) {', '.join(bad)}; allowed: {', '.join(PARAMS)}"))
    return out


@main.command("implied")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--solve", "param", required=True, type=click.Choice(["loa", "weight", "peak_sales", "buyer_rate"]),
              help="The single input to solve for.")
@click.option("--calibration", "calib_file", default=None, type=click.Path(dir_okay=False),
              help="Calibration TOML (default: the shipped one).")
@click.option("--target", type=float, default=None, help="Upfront to reproduce (default: deal.observed.upfront).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@SET
@handle_errors
def implied_cmd(file, param, calib_file, target, fmt, sets):
    """The value of one input (posterior LOA, evidence weight, peak-sales multiplier or the buyer's discount rate)
    that makes the calibrated pricing model reproduce the deal's observed upfront."""
    from . import calibrate as C
    from . import report
    from .terms import load

    sheet = load(file, overrides=parse_sets(sets))
    cal = C.load_calibration(calib_file)
    p = cal["params"]
    with attach_source(file):
        res = C.implied(sheet, param, float(p["kappa"]), float(p["weight"]), float(p.get("premium", 0.0)), target)
    if fmt == "json":
        click.echo(report.to_json({"implied": res}), nl=False)
    else:
        who = sheet.deal.licensee.name
        val = f"{res['value']:.2%}" if param in ("loa", "weight", "buyer_rate") else f"x {res['value']:.3f}"
        click.echo(f"{who}'s upfront of {res['target_upfront']:,.1f} implies {res['meaning']} = {val}\n"
                   f"  (pricing model with kappa = {res['kappa']:.4f}, weight = {res['weight']:.4f}, platform premium "
                   f"= {res['premium']:,.1f}; docs/method.md section 4)\n"
                   + ("  note: more than one value reproduces it; the smallest is shown\n" if res["multiple_roots"] else ""))


@main.command("price")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--calibration", "calib_file", default=None, type=click.Path(dir_okay=False),
              help="Calibration TOML (default: the shipped one).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@SET
@handle_errors
def price_cmd(file, calib_file, fmt, sets):
    """Fair upfront (with its range) and total risk-adjusted consideration for the deal in FILE; with no
    milestones in FILE, a suggested structure in the comparables' proportions."""
    from . import calibrate as C
    from . import report
    from .errors import InputError, Problem
    from .terms import load

    sheet = load(file, overrides=parse_sets(sets))
    if sheet.deal is None:
        raise InputError(Problem("deal", "pricing needs a [deal] table (kind, parties and their rates)"), file)
    cal = C.load_calibration(calib_file)
    comps = [load(p) for p in C.shipped_comparables()]
    with attach_source(file):
        res = C.price(sheet, cal, comps)
    click.echo(report.to_json({"price": res}) if fmt == "json" else report.price_table(res, sheet), nl=False)


@main.command("solve")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--for", "path", required=True, metavar="dotted.path", help="The numeric field to vary.")
@click.option("--target", "target", required=True, metavar="OUTPUT=VALUE",
              help="The output to hit, e.g. deal.licensee_npv=0 or asset.rnpv=500.")
@click.option("--low", type=float, default=None, help="Lower end of the search range.")
@click.option("--high", type=float, default=None, help="Upper end of the search range.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@SET
@handle_errors
def solve_cmd(file, path, target, low, high, fmt, sets):
    """Goal-seek: the value of one numeric term-sheet field at which an output reaches a target."""
    from . import calibrate as C
    from . import report
    from .errors import InputError, Problem
    from .terms import load

    if "=" not in target:
        raise InputError(Problem("--target", "write OUTPUT=VALUE, e.g. deal.licensee_npv=0"))
    out_key, raw = target.split("=", 1)
    try:
        goal = float(raw)
    except ValueError:
        raise InputError(Problem("--target", f"'{raw}' is not a number")) from None
    from .terms import set_path

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
        res = C.solve_field(sheet, path, out_key.strip(), goal, bounds)
    if fmt == "json":
        click.echo(report.to_json({"solve": res}), nl=False)
    else:
        click.echo(f"{path} = {res['value']:.10g} gives {res['output']} = {res['target']:g} (was {res['base_value']:g}; "
                   f"searched [{res['bounds'][0]:g}, {res['bounds'][1]:g}])\n"
                   + ("  note: several values reach the target; the smallest is shown\n" if res["multiple_roots"] else ""))


def _get_value(sheet, path):
    from .calibrate import _get
    from .terms import parse_path

    return _get(sheet, parse_path(path))


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


from .cli_mc import plot_cmd, sensitivity_cmd, simulate_cmd  # noqa: E402  (Monte Carlo, sensitivity, plots)

main.add_command(simulate_cmd)
main.add_command(sensitivity_cmd)
main.add_command(plot_cmd)

from .cli_export import export_cmd, import_cmd  # noqa: E402  (Excel workbook)

main.add_command(export_cmd)
main.add_command(import_cmd)

