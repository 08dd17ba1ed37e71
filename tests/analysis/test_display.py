"""Notebook-grade objects (#16): short reprs and HTML with a headline for the term sheet, the calibration and the
pricing result; Result.summary a float Series; .plot() on results with labelled axes and a clear error without
matplotlib; the top-level entry points price, calibrate, tornado and simulate."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import iitvalue

from conftest import COMPARABLES, EXAMPLES

ESO = EXAMPLES / "esobiotec.toml"


@pytest.fixture(scope="module")
def result():
    return iitvalue.value(ESO)


def test_term_sheet_repr_is_one_line_and_html_has_a_headline(result):
    sheet = result.sheet
    text = repr(sheet)
    assert text.startswith("<TermSheet 'ESO-T01' at 2025-03-17:") and "\n" not in text and len(text) < 200
    assert str(sheet) == text  # print(sheet) is not a wall of nested reprs
    html = sheet._repr_html_()
    assert html.startswith("<h4>Term sheet: ESO-T01 at the AstraZeneca deal announcement</h4>")
    for words in ("AstraZeneca (buyer, 9.0%)", "upfront 425.0, 2 pools", "USD millions at 10.0%"):
        assert words in html, words
    assert "TermSheet" in repr(sheet.replace(deal=None)) and "deal" not in repr(sheet.replace(deal=None))


def test_calibration_repr_html_and_deals_frame():
    cal = iitvalue.calibrate()
    assert repr(cal).startswith("<Calibration to 2 deal(s): kappa ") and len(repr(cal)) < 120
    html = cal._repr_html_()
    assert html.startswith("<h4>Calibration of the pricing model to 2 deal(s)</h4>") and "profile interval" in html
    df = cal.deals.frame
    assert df.index.name == "name" and df["predicted_upfront"].dtype == "float64"
    assert cal.to_dict()["deals"][0]["name"] == "esobiotec"
    from iitvalue import calibrate

    assert calibrate.fit is not None and callable(calibrate)  # the module and the function in one name


def test_top_level_entry_points(result):
    import iitvalue.analysis.sensitivity as sens
    from iitvalue.analysis import pricing
    from iitvalue.montecarlo import simulate

    assert iitvalue.price is pricing.price and iitvalue.tornado is sens.tornado and iitvalue.simulate is simulate
    assert {"price", "calibrate", "tornado", "simulate"} <= set(dir(iitvalue))
    assert iitvalue.price(result.sheet)["upfront"] == pytest.approx(
        pricing.price(result.sheet, pricing.load_calibration(None))["upfront"], rel=1e-12)


def test_summary_is_a_float_series_of_the_numeric_outputs(result):
    s = result.summary
    assert s.dtype == "float64"
    assert s.round(1)["asset.rnpv"] == round(result.to_dict()["asset"]["rnpv"], 1)
    assert "asset.name" not in s and "valuation.currency" not in s and "pos.transportability" not in s
    assert result.outputs["asset.name"] == "ESO-T01" and result.outputs.dtype == object
    assert result.value_of("asset.name") == "ESO-T01"
    numeric = [k for k, v in result.outputs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert set(numeric) <= set(s.index)
    legend = iitvalue.value(COMPARABLES / "legend.toml").summary
    assert pd.isna(legend["pos.assurance"]) or legend["pos.assurance"] >= 0  # null in the JSON -> NaN


@pytest.mark.parametrize("make", [
    lambda r: r.plot(), lambda r: r.plot("payments"), lambda r: r.plot("orr"), lambda r: r.pos.update.plot(),
    lambda r: r.deal.plot("USD"), lambda r: iitvalue.simulate(r.sheet, 2000, seed=3).plot(currency="USD"),
    lambda r: iitvalue.tornado(r.sheet).plot(),
], ids=["cashflows", "payments", "orr", "update", "deal", "histogram", "tornado"])
def test_plots_have_labelled_axes(make, result):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = make(result)
    try:
        ax = fig.axes[0]
        assert ax.get_xlabel() and (ax.get_ylabel() or ax.get_yticklabels())
        assert ax.get_title() or ax.get_legend() is not None
    finally:
        plt.close(fig)


def test_plot_of_an_unknown_kind_names_the_choices(result):
    with pytest.raises(iitvalue.InputError, match="cashflows, payments, orr"):
        result.plot("pie")


def test_plots_without_matplotlib_say_how_to_install_it(result, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    for draw in (result.plot, result.pos.update.plot, lambda: result.plot("payments")):
        with pytest.raises(iitvalue.InputError, match=r"pip install 'iitvalue\[plot\]'"):
            draw()


def test_the_update_section_displays_briefly(result):
    text = repr(result.pos)
    assert text == "<PosSection LOA 12.3% -> 17.0% from 1 readout(s); value of the readout 97.7>"
    html = result.pos._repr_html_()
    assert html.startswith("<h4>Probability of success") and "Phase probabilities" in html and "Readouts used" in html
    assert "np.float64" not in html and "np.float64" not in text


def test_the_notebook_verdict_shows_the_calibrated_fair_upfront():
    """As the text verdict of `iitvalue value`: the fair upfront of the shipped calibration with its range, next to
    the proposed and break-even upfronts (registered by analysis.pricing, which iitvalue.value imports)."""
    from iitvalue.analysis.calibrate import load_calibration
    from iitvalue.analysis.pricing import price
    from iitvalue.tables import money

    res = iitvalue.value("examples/esobiotec.toml")
    p = price(res.sheet, load_calibration(None), None)
    html = res._repr_html_()
    assert "fair upfront (pricing methods combined)" in html
    assert f"{money(p['upfront'])}  (80% interval {money(p['low'])} to {money(p['high'])})" in html
    assert html.index("break-even upfront") < html.index("fair upfront") < html.index("buyer NPV, IRR")
