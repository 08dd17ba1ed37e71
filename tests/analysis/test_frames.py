"""Tables the library returns are DataFrames with numeric dtypes as well as the rows the JSON shows: the tornado,
the scenarios, the Monte Carlo outcomes and convergence; the pricing result is a dict that displays itself."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import iitvalue
from iitvalue.analysis import pricing, sensitivity
from iitvalue.montecarlo import simulate
from iitvalue.tables import Rows

from conftest import EXAMPLES

ESO = EXAMPLES / "esobiotec.toml"


@pytest.fixture(scope="module")
def sheet():
    return iitvalue.load(ESO)


def test_rows_frame_has_numeric_dtypes_and_the_rows_stay_records():
    rows = Rows([{"a": 1, "b": 0.5, "c": "x", "d": None}, {"a": 2, "b": None, "c": "y", "d": 3.0}], index="c")
    df = rows.frame
    assert df["a"].dtype == "int64" and df["b"].dtype == "float64" and df["d"].dtype == "float64"
    assert list(df.index) == ["x", "y"] and pd.isna(df.loc["y", "b"])
    assert json.loads(json.dumps(rows)) == [dict(r) for r in rows]  # still a list of dicts for JSON


def test_tornado_frame_is_numeric_and_keeps_the_rows(sheet):
    t = sensitivity.tornado(sheet)
    df = t.frame
    assert df.index.name == "path" and df.index[0] == "pos.orr"
    for col in ("base", "low", "high", "asset.rnpv_low", "asset.rnpv_high", "swing", "deal.licensee_npv_high"):
        assert pd.api.types.is_float_dtype(df[col]), col
    assert df["rank"].dtype == "int64"
    assert pd.isna(df.loc["pos.orr", "low"]) and t[0]["low"] == "inactive"  # the class row: NaN in the frame
    assert df["swing"].round(1).iloc[0] == round(t[0]["swing"], 1)
    assert t.base["asset.rnpv"] == pytest.approx(iitvalue.value(sheet).summary["asset.rnpv"], rel=1e-12)
    assert "Tornado" in repr(t) and "<table>" in t._repr_html_()


def test_scenarios_frame_is_indexed_by_name(sheet):
    df = sensitivity.scenarios(sheet).frame
    assert list(df.index[:1]) == ["base"] and "bear" in df.index
    assert pd.api.types.is_float_dtype(df["asset.rnpv"]) and pd.api.types.is_float_dtype(df["deal.licensee_npv"])


def test_simulation_outcomes_and_convergence_frames(sheet):
    sim = simulate(sheet, 3000, seed=1)
    out, conv = sim.outcomes().frame, sim.convergence().frame
    assert out.index.name == "outcome" and out["share"].dtype == "float64"
    assert out["share"].sum() == pytest.approx(1.0)
    assert conv["paths"].dtype == "int64" and conv["mean"].dtype == "float64"
    assert conv["mean"].iloc[-1] == pytest.approx(sim.summary()["mc.mean"], rel=1e-12)
    assert list(sim.outcomes())[-1]["outcome"] == "approved"


def test_price_is_a_dict_with_a_headline(sheet):
    p = pricing.price(sheet)  # the shipped calibration and comparables by default
    assert isinstance(p, dict) and json.loads(json.dumps({k: float(v) if hasattr(v, "item") else v
                                                          for k, v in p.items()}))
    assert repr(p).startswith("<Price 'ESO-T01': fair upfront ") and len(repr(p)) < 160
    html = p._repr_html_()
    assert html.startswith("<h4>Fair price for ESO-T01") and "fair upfront" in html
    from iitvalue.analysis import calibrate

    cal = calibrate.fit(calibrate.load_comparables(calibrate.shipped_comparables()))
    assert pricing.price(sheet, cal)["upfront"] == pytest.approx(
        pricing.price(sheet, cal.to_dict())["upfront"], rel=1e-12)


def test_price_without_a_deal_is_an_input_error(sheet):
    with pytest.raises(iitvalue.InputError, match=r"\[deal\]"):
        pricing.price(sheet.replace(deal=None))


def test_analysis_submodules_load_lazily():
    import importlib
    import sys

    import iitvalue.analysis as analysis

    sys.modules.pop("iitvalue.analysis.goalseek", None)
    assert importlib.import_module("iitvalue.analysis").goalseek.__name__ == "iitvalue.analysis.goalseek"
    assert "pricing" in dir(analysis)
    with pytest.raises(AttributeError):
        analysis.nothing  # noqa: B018
