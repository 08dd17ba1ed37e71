"""The backtest (docs/method.md 2.11): scores by hand, the leave-one-programme-out class model, point in time,
the CLI formats and keys, and the figures quoted in the docs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re

import pytest
from click.testing import CliRunner

import iitvalue
from iitvalue import catalogue
from iitvalue.analysis import backtest as B
from iitvalue.cli import main
from iitvalue.programmes import find_model_at

from conftest import ROOT


def test_scores_by_hand():
    """p = (0.9, 0.2), y = (1, 0): Brier ((0.1)^2 + 0.2^2) / 2 = 0.025; log score -(ln 0.9 + ln 0.8) / 2."""
    assert B.brier([0.9, 0.2], [1.0, 0.0]) == pytest.approx(0.025, rel=1e-14)
    assert B.log_score([0.9, 0.2], [1.0, 0.0]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, rel=1e-14)
    assert B.log_score([1.0], [0.0]) == pytest.approx(-math.log(1e-12))  # clipped, finite


@pytest.fixture(scope="module")
def res():
    return B.run()


def test_the_run_covers_the_library_and_scores_only_readouts_before_the_outcome(res):
    library = {r["programme"] for r in B._read("readouts.csv")}
    assert res["programmes_in_library"] == len(library) >= 30
    assert res["programmes"] >= 30  # scored: an outcome and a readout with counts public before it (issue #12)
    progs = {p["programme"]: p for p in B._read("programmes.csv")}
    for r in res["rows"]:
        p = progs[r["programme"]]
        assert p["outcome"] in B.OUTCOME and (r["date"] < p["outcome_date"] or not p["outcome_date"])
        assert r["outcome"] == B.OUTCOME[p["outcome"]]
        assert 0.0 < r["posterior"] < 1.0
    assert res["brier_posterior"] == pytest.approx(B.brier([r["posterior"] for r in res["rows"]],
                                                           [r["outcome"] for r in res["rows"]]))
    assert sum(b["readouts"] for b in res["reliability"]) == res["readouts"]


def test_a_programme_is_scored_without_its_own_class_components():
    full = catalogue.find_model("rrmm", "car-t", "haematologic-malignancies")[0]
    loo = catalogue.model_without(full.key, "cilta-cel")
    assert {c["label"] for c in full.components} - {c["label"] for c in loo.components} == {
        "cilta-cel LEGEND-2", "cilta-cel CARTITUDE-1"}
    rows = {(r["programme"], r["date"]): r for r in B.run()["rows"]}
    # KarMMa in NEJM: the class as of that date, without ide-cel (at the December-2019 topline no CAR-T had failed
    # on efficacy with counts public, so that readout is scored with the generic model)
    ide = rows[("ide-cel", "2021-02-25")]
    model, note = find_model_at("rrmm", "car-t", "haematologic-malignancies", None, dt.date(2021, 2, 25), ("ide-cel",))
    assert "ide-cel" not in {c.get("programme") for c in model.components} and model.key.endswith("@2021-02-25")
    assert all(c["as_of"] <= "2021-02-25" for c in model.components)
    assert rows[("ide-cel", "2019-12-06")]["model"] == "haematologic"
    rec = next(r for r in B._read("readouts.csv") if (r["programme"], r["date"]) == ("ide-cel", "2021-02-25"))
    ev = iitvalue.model.pos.Evidence.from_counts(128, 94, ide["complete"], None, weight=B.library_weight(rec))
    probs, shares, _ = iitvalue.model.pos.stage_phases("filed", "car-t", "haematologic-malignancies")
    assert ide["prior"] == pytest.approx(B.prior_loa("car-t", "filed"), rel=1e-15)  # registrational: at filing
    want = iitvalue.model.pos.update(model, ide["prior"], [ev], probabilities=probs, shares=shares).posterior_loa
    assert ide["posterior"] == pytest.approx(want, rel=1e-12)


def test_cli_formats(res):
    out = CliRunner().invoke(main, ["backtest", "--format", "json"])
    assert out.exit_code == 0
    d = json.loads(out.output)["backtest"]
    for k in ("programmes", "brier_posterior", "brier_prior", "log_score_posterior", "log_score_prior"):
        assert d[k] == pytest.approx(res[k])
    rows = list(csv.reader(io.StringIO(CliRunner().invoke(main, ["backtest", "--format", "csv"]).output)))
    assert rows[0][:2] == ["programme", "date"] and len(rows) == res["readouts"] + 1
    text = CliRunner().invoke(main, ["backtest"], env={"COLUMNS": "100"}).output
    assert "Brier score" in text and max(len(x) for x in text.splitlines()) <= 100
    df = iitvalue.backtest()
    assert len(df) == res["readouts"] and df.attrs["brier_posterior"] == pytest.approx(res["brier_posterior"])


def test_docs_quote_the_current_figures(res):
    text = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    sec = " ".join(text[text.index("### 2.11"):text.index("## 3. Deal terms")].split())
    assert f"Brier **{res['brier_posterior']:.4f}** for the posterior against {res['brier_prior']:.4f}" in sec
    assert f"log score **{res['log_score_posterior']:.4f}** against {res['log_score_prior']:.4f}" in sec
    assert f"{res['programmes']} programmes and {res['readouts']} readouts" in sec
    for b in res["reliability"]:
        assert re.search(rf"\| {b['bin']} \| {b['readouts']} \|", text)
