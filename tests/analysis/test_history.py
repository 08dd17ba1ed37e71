"""The readout history (issue 19, docs/method.md 6.1): at the sheet's own date it is the valuation itself; each
earlier point uses only the readouts public by then; a deal signed before a point is valued as if signed then;
the command's JSON, CSV and chart."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from conftest import COMPARABLES, EXAMPLES

import iitvalue
from iitvalue.analysis.history import at_date, history
from iitvalue.cli import main

ESO = EXAMPLES / "esobiotec.toml"


@pytest.fixture(scope="module")
def eso():
    return iitvalue.load(ESO), history(iitvalue.load(ESO))


def test_history_at_the_sheets_own_date_equals_value(eso):
    sheet, h = eso
    own = [r for r in h if r["date"] == sheet.valuation.date]
    assert len(own) == 1 and not own[0]["deal_moved"]
    s = iitvalue.value(sheet).summary
    assert own[0]["rnpv"] == s["asset.rnpv"] and own[0]["loa"] == s["pos.posterior_loa"]
    assert own[0]["licensee_npv"] == s["deal.licensee_npv"]
    assert own[0]["fair_upfront"] == iitvalue.price(sheet)["upfront"]


def test_each_point_uses_only_the_readouts_public_by_its_date(eso):
    sheet, h = eso
    assert [r["date"] for r in h] == sorted({r.date for r in sheet.readouts} | {sheet.valuation.date})
    jpm, lancet = h[0], h[-1]
    # at J.P. Morgan the Lancet readout (July 2025) did not exist: the same as the sheet without it
    without = sheet.replace({"readouts": [r.model_dump() for r in sheet.readouts if r.date <= jpm["date"]],
                             "valuation.date": jpm["date"]})
    assert jpm["loa"] == pytest.approx(iitvalue.value(without).summary["pos.posterior_loa"], rel=1e-12)
    assert lancet["loa"] > 2 * jpm["loa"]  # four patients, two sCR: the LOA doubles (docs/method.md 2.11)


def test_a_deal_signed_before_a_point_is_valued_as_if_signed_then(eso):
    sheet, _ = eso
    later = dt.date(2025, 8, 1)
    moved, flag = at_date(sheet, later)
    assert flag and moved.deal.date == later and moved.valuation.date == later
    assert moved.deal.closing - moved.deal.date == sheet.deal.closing - sheet.deal.date
    same, flag = at_date(sheet, sheet.valuation.date)
    assert same is sheet and not flag


def test_a_sheet_without_readouts_has_one_point():
    h = history(iitvalue.load(EXAMPLES / "interius.toml"))
    assert len(h) == 1 and h[0]["readouts"] == 0


def test_history_command_json_csv_and_chart(tmp_path):
    res = CliRunner().invoke(main, ["history", str(COMPARABLES / "legend.toml"), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["history"]
    assert {"date", "loa", "rnpv", "fair_upfront"} <= set(rows[0]) and rows[0]["date"] == "2017-06-05"
    csv = CliRunner().invoke(main, ["history", str(ESO), "--format", "csv"]).output
    assert csv.splitlines()[0].startswith("date,event,readouts,loa,rnpv,fair_upfront") and len(csv.splitlines()) == 4
    chart = tmp_path / "h.png"
    assert CliRunner().invoke(main, ["history", str(ESO), "--plot", str(chart)]).exit_code == 0
    assert chart.read_bytes()[:4] == b"\x89PNG"
    assert CliRunner().invoke(main, ["history", str(ESO), "--plot", str(chart)]).exit_code == 2  # no overwrite
    text = CliRunner().invoke(main, ["history", str(ESO)]).output
    assert "deal valued as if signed on 2025-07-02" in text


def test_documented_history_is_current(eso):
    from conftest import ROOT

    _, h = eso
    text = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")

    def m(x: float) -> str:
        return f"{x:,.1f}".replace("-", "−")

    for r in h:
        cells = f"| {100 * r['loa']:.1f} % | {m(r['rnpv'])} | {m(r['fair_upfront'])} | {m(r['licensee_npv'])} |"
        assert f"| {r['date']} |" in text and cells in text, cells
