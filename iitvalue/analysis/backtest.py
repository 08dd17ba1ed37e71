"""The backtest of the probability-of-success model against what happened (docs/method.md 2.11).

For every programme of the dated library (``iitvalue/data/programmes/``) whose outcome is known — approved (1),
or not approved: failed on efficacy or safety, or discontinued for strategy (0; a strategic stop says nothing
about the class but is a failure to be approved, as in the benchmark rates) — and for every one of its readouts
public before that outcome, the posterior P(approval) from that
readout alone (readouts of one trial are cumulative: each is scored as what was known on its date) against the
outcome, with:

* the prior: the benchmark LOA from the readout's stage (the shrunk, label-independent benchmark of section 1:
  an IIT or sponsor phase 1 from phase 1, a registrational readout from filing: its data are the pivotal's outcome);
* the class model of the programme's indication and modality built **without the programme's own components**
  (leave one programme out: :func:`iitvalue.catalogue.model_without`);
* the evidence weight of the rubric of docs/method.md 2.5 (:func:`library_weight`): base IIT 0.5, sponsor phase 1
  and registrational 1.0, times the factors of the readout's centres, independent assessment and median
  follow-up; sub-therapeutic dose cohorts are left out (they do not speak to the asset at its dose).

Scores (lower is better): Brier = mean (p - y)^2 and log score = -mean [y ln p + (1 - y) ln (1 - p)], for the
posterior and for the prior, over the scored readouts; a reliability table bins the posterior. The shipped class
models were built from programmes that also appear here, with data published after some readout dates: the
leave-one-out removes a programme's own components, not the look-ahead of the others' (issue #12, item 2).
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from typing import Any

import datetime as _dt

from .. import catalogue
from ..model.evidence import rubric
from ..programmes import find_model_at
from ..errors import InputError, Problem
from ..model import pos as P
from ..tables import Column, percent

OUTCOME = {"approved": 1.0, "failed-efficacy": 0.0, "failed-safety": 0.0, "discontinued-strategy": 0.0}
WEIGHT = {"iit": 0.5, "sponsor-phase1": 1.0, "registrational": 1.0}
STAGE = {"iit": "phase1", "sponsor-phase1": "phase1", "registrational": "filed"}  # its data are the pivotal's outcome
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
TA = "haematologic-malignancies"  # every programme of the library


def _read(name: str) -> list[dict[str, str]]:
    with resources.files("iitvalue").joinpath("data", "programmes", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def prior_loa(modality: str, stage: str) -> float:
    """The benchmark LOA from ``stage`` (product of the shrunk transition probabilities it covers)."""
    return math.prod(P.stage_phases(stage, modality, TA)[0])


def library_weight(r: dict[str, str]) -> float:
    """A library readout's evidence weight: the rubric (:func:`iitvalue.model.evidence.rubric`) on its design's
    base weight (:data:`WEIGHT`), its centres, independent assessment and median follow-up (months)."""
    assessment = {"yes": "independent", "no": "investigator"}.get(r.get("independent_assessment", ""))
    centres = int(float(r["centres"])) if r.get("centres") else None
    followup = float(r["median_followup_months"]) / 12.0 if r.get("median_followup_months") else None
    design = "iit" if r["design"] == "iit" else "registrational"
    return rubric(design, WEIGHT[r["design"]], centres, assessment, None, followup).weight


def brier(p: list[float], y: list[float]) -> float:
    """Mean squared error of the probabilities ``p`` against the outcomes ``y`` (1 approved, 0 failed)."""
    return sum((a - b) ** 2 for a, b in zip(p, y)) / len(p)


def log_score(p: list[float], y: list[float], eps: float = 1e-12) -> float:
    """Mean negative log-likelihood, -mean [y ln p + (1 - y) ln (1 - p)], p clipped to [eps, 1 - eps]."""
    out = 0.0
    for a, b in zip(p, y):
        a = min(1.0 - eps, max(eps, a))
        out -= b * math.log(a) + (1.0 - b) * math.log(1.0 - a)
    return out / len(p)


def backtest_rows() -> tuple[list[dict[str, Any]], list[str]]:
    """One row per scored readout (see the module docstring) and the notes."""
    programmes = {p["programme"]: p for p in _read("programmes.csv")}
    notes: list[str] = []
    rows = []
    skipped = {"no outcome yet (running)": 0, "after the outcome": 0, "sub-therapeutic dose": 0,
               "no counts": 0, "no class model": 0}
    for r in _read("readouts.csv"):
        prog = programmes.get(r["programme"])
        if prog is None or prog["outcome"] not in OUTCOME:
            skipped["no outcome yet (running)"] += 1
            continue
        if prog["outcome_date"] and r["date"] >= prog["outcome_date"]:  # known at the outcome: not a forecast
            skipped["after the outcome"] += 1
            continue
        if r["dose"] == "sub-therapeutic":
            skipped["sub-therapeutic dose"] += 1
            continue
        if not r["n"] or not r["responders"]:
            skipped["no counts"] += 1
            continue
        modality = prog["modality"] if prog["modality"] in ("car-t",) else "car-t"
        try:  # point in time, without the programme itself (leave one out)
            model, _ = find_model_at(prog["indication"], modality, TA, None, _dt.date.fromisoformat(r["date"]),
                                     (prog["programme"],))
        except InputError:
            skipped["no class model"] += 1
            continue
        stage = STAGE[r["design"]]
        probs, shares, _ = P.stage_phases(stage, modality, TA)
        prior = math.prod(probs)
        n, resp = int(float(r["n"])), int(float(r["responders"]))
        complete = int(float(r["complete"])) if r["complete"] else None
        ev = P.Evidence.from_counts(n, resp, complete, None, weight=library_weight(r), label=r["venue"])
        upd = P.update(model, prior, [ev], probabilities=probs, shares=shares)
        rows.append({"programme": prog["programme"], "date": r["date"], "design": r["design"], "n": n,
                     "responders": resp, "complete": complete, "model": model.key, "prior": prior,
                     "posterior": upd.posterior_loa, "outcome": OUTCOME[prog["outcome"]],
                     "outcome_label": prog["outcome"]})
    notes += [f"{v} readout(s) left out: {k}" for k, v in skipped.items() if v]
    return rows, notes


def reliability(rows: list[dict[str, Any]], key: str = "posterior") -> list[dict[str, Any]]:
    """Bins of the predicted probability: readouts, mean prediction and observed approval rate in each."""
    out = []
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        sel = [r for r in rows if lo <= r[key] < hi or (hi == 1.0 and r[key] == 1.0)]
        out.append({"bin": f"{lo:.1f}-{hi:.1f}", "readouts": len(sel),
                    "mean_predicted": sum(r[key] for r in sel) / len(sel) if sel else None,
                    "observed": sum(r["outcome"] for r in sel) / len(sel) if sel else None})
    return out


def run() -> dict[str, Any]:
    """The backtest as the ``backtest`` JSON section (docs/cli.md): scores, reliability, rows and notes."""
    rows, notes = backtest_rows()
    if not rows:
        raise InputError(Problem("backtest", "no scored readouts in the programme library"))
    y = [r["outcome"] for r in rows]
    post, prior = [r["posterior"] for r in rows], [r["prior"] for r in rows]
    scored = sorted({r["programme"] for r in rows})
    library = {r["programme"] for r in _read("readouts.csv")}
    return {"programmes": len(scored), "programmes_in_library": len(library), "readouts": len(rows),
            "approved": sum(y), "failed": len(y) - sum(y),
            "brier_posterior": brier(post, y), "brier_prior": brier(prior, y),
            "log_score_posterior": log_score(post, y), "log_score_prior": log_score(prior, y),
            "reliability": reliability(rows), "rows": rows, "notes": notes}


def backtest():
    """The backtest's rows as a pandas DataFrame (one row per scored readout: ``programme``, ``date``,
    ``design``, ``n``, ``responders``, ``complete``, ``model``, ``prior``, ``posterior``, ``outcome``), with the
    scores in ``.attrs`` (``brier_posterior``, ``brier_prior``, ``log_score_posterior``, ``log_score_prior``,
    ``programmes``, ``reliability``). Formulas and caveats: docs/method.md 2.11.

    Examples
    --------
    >>> import iitvalue
    >>> df = iitvalue.backtest()
    >>> sorted(df.columns)[:3], df.attrs["programmes"] >= 10
    (['complete', 'date', 'design'], True)
    """
    import pandas as pd

    res = run()
    df = pd.DataFrame(res["rows"])
    df.attrs.update({k: v for k, v in res.items() if k != "rows"})
    return df


BACKTEST_TABLE = [Column("programme", "programme"), Column("date", "date"), Column("design", "design"),
                  Column("n", "n"), Column("responders", "resp."), Column("prior", "prior", percent),
                  Column("posterior", "posterior", percent), Column("outcome_label", "outcome")]
RELIABILITY_TABLE = [Column("bin", "posterior"), Column("readouts", "readouts"),
                     Column("mean_predicted", "mean predicted", percent), Column("observed", "approved", percent)]
