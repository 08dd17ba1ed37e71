"""``iitvalue pos``: a quick probability-of-success update from one readout, without a term sheet."""

from __future__ import annotations

import click

from ._shell import WIDE, Count, Finite, handle_errors

PATIENTS = 1_000_000  # = termsheet.vocabulary.MAX_PATIENTS, the most patients of a readout


@click.command("pos")
@click.option("--n", "n", type=Count(1, PATIENTS, "n"), required=True, help="Evaluable patients.")
@click.option("--responders", type=Count(0, PATIENTS, "responders"), required=True, help="Responders (ORR numerator).")
@click.option("--complete", type=Count(0, PATIENTS, "complete"), default=None,
              help="Complete responses (CR/sCR) among them.")
@click.option("--complete-n", type=Count(1, PATIENTS, "complete-n"), default=None,
              help="Patients evaluable for CR, if fewer than n.")
@click.option("--weight", type=Finite(), default=0.5, show_default=True,
              help="Evidence weight w in (0, 1] (power prior); 0.5 is the default for an IIT.")
@click.option("--indication", default="rrmm", show_default=True, help="Class-model indication key.")
@click.option("--modality", default="car-t", show_default=True, help="Class-model modality key.")
@click.option("--stage", default="iit", show_default=True,
              help="Current stage; the prior LOA is the benchmark LOA from it.")
@click.option("--p-approval-active", type=Finite(), default=None,
              help="P(approval | active) (default: the class's efficacy times the non-efficacy success of the "
                   "phases left from --stage, docs/method.md 2.4).")
@click.option("--p-approval-inactive", type=Finite(), default=None,
              help="P(approval | inactive) (default: 0.02 times that non-efficacy success).")
@click.option("--pivotal-n", type=Count(1, 10_000, "the pivotal size"), default=None,
              help="Planned single-arm pivotal size, for the assurance.")
@click.option("--pivotal-threshold", type=Finite(), default=None, help="ORR the pivotal's lower bound must exceed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@WIDE
@handle_errors
def pos_cmd(n, responders, complete, complete_n, weight, indication, modality, stage, p_approval_active,
            p_approval_inactive, pivotal_n, pivotal_threshold, fmt, wide):
    """Quick probability-of-success update from one readout, without a term sheet."""
    import math

    from .. import catalogue
    from ..model import pos as P
    from .. import report
    from ..errors import InputError, Problem

    try:
        model, note = catalogue.find_model(indication, modality)
        probs, shares, source = P.stage_phases(stage, modality, model.therapeutic_area)
        prior_loa = math.prod(probs)
        ev = P.Evidence.from_counts(n, responders, complete, complete_n, weight=weight)
    except InputError as exc:  # name the command-line options, not internal fields
        raise InputError([Problem("--" + p.path.replace("_", "-"), p.message) for p in exc.problems]) from None
    for name, q in (("--p-approval-active", p_approval_active), ("--p-approval-inactive", p_approval_inactive)):
        if q is not None and not 0.0 <= q <= 1.0:
            raise InputError(Problem(name, f"{q} is not allowed; a probability lies in [0, 1]"))
    try:
        upd = P.update(model, prior_loa, [ev], p_approval_active, p_approval_inactive, probs, shares)
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
        from ..termsheet.schema import Pivotal

        try:
            design = Pivotal(n=pivotal_n, threshold=pivotal_threshold)
        except Exception:
            raise InputError(Problem("--pivotal-n/--pivotal-threshold",
                                     "need n >= 1 and a threshold strictly between 0 and 1")) from None
        d["assurance"] = upd.assurance(design)
    if fmt == "json":
        click.echo(report.to_json({"pos": d}), nl=False)
    else:
        click.echo(report.screen_text(report.pos_table(d) + f"\n  prior LOA from {source}\n  {note}\n", wide))


BACKTEST_COLUMNS = ["programme", "date", "design", "n", "responders", "complete", "model", "prior", "posterior",
                    "outcome"]


@click.command("backtest")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="csv: one row per scored readout.")
@click.option("-o", "--output", default=None, metavar="OUT", help="Write to OUT instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@WIDE
@handle_errors
def backtest_cmd(fmt, output, force, wide):
    """Score the probability-of-success model on the dated programme library (docs/method.md 2.11): the
    posterior P(approval) of every readout before each programme's outcome, leave one programme out, against
    the benchmark prior; Brier and log scores, and a reliability table."""
    from .. import report, tables
    from ..analysis.backtest import BACKTEST_TABLE, RELIABILITY_TABLE, run
    from ._shell import emit, open_output

    with open_output(output, force) as out:
        res = run()
        if fmt == "json":
            text = report.to_json({"backtest": res})
        elif fmt == "csv":
            text = report.rows_to_csv(res["rows"], BACKTEST_COLUMNS)
        else:
            scores = [("programmes scored (of the library)", f"{res['programmes']} (of {res['programmes_in_library']})"),
                      ("readouts scored: approved / failed programmes",
                       f"{res['readouts']}: {res['approved']:.0f} / {res['failed']:.0f}"),
                      ("Brier score: posterior / prior", f"{res['brier_posterior']:.4f} / {res['brier_prior']:.4f}"),
                      ("log score: posterior / prior",
                       f"{res['log_score_posterior']:.4f} / {res['log_score_prior']:.4f}")]
            text = (report.key_values("Backtest of the probability of success (lower scores are better)", scores)
                    + "\n\nReliability of the posterior\n" + tables.render(res["reliability"], RELIABILITY_TABLE, wide=wide)
                    + "\n\nScored readouts\n" + tables.render(res["rows"], BACKTEST_TABLE, wide=wide)
                    + "\n\nNotes\n" + "\n".join(f"  - {n}" for n in res["notes"]) + "\n")
            text = report.screen_text(text, wide)
        emit(text, out)
