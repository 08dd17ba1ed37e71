"""The analyses on a sheet with several indications (docs/method.md 5): the implied LOA moves every indication
through the shared class, goal-seeks reach follow-on inputs, and what cannot be shown is refused clearly."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import iitvalue
from iitvalue.analysis.calibrate import deal_values
from iitvalue.analysis.pricing import _values_at_loa
from iitvalue.cli import main
from iitvalue.deal.joint import value_deal_joint
from iitvalue.model.joint import at_class
from iitvalue.model.joint_update import joint_update
from iitvalue.model.pos import spread

from conftest import EXAMPLES

LINES = EXAMPLES / "legend.toml"


def test_deal_values_at_a_lead_loa_move_the_class():
    """At the lead's posterior LOA the deal values are the valuation's; a lower lead LOA lowers the follow-on's
    too (the shared class), and with it the licensee's NPV."""
    sheet = iitvalue.load(LINES)
    res = iitvalue.value(sheet)
    lead = res.asset.indications[0]
    same = _values_at_loa(sheet, lead["loa"])
    want = deal_values(sheet, res.deal.summary, sheet.asset.name)
    assert same.v_buyer == pytest.approx(want.v_buyer, rel=1e-9) and same.v_seller == pytest.approx(want.v_seller, rel=1e-9)
    jp = joint_update(sheet).posterior
    low = at_class(jp, 0.5, spread)
    assert low.loas()[1] < jp.loas()[1]
    d = value_deal_joint(sheet.deal, low, low, spread)
    assert d.summary["licensee_npv"] < res.deal.summary["licensee_npv"]


def test_goal_seek_on_a_follow_on_input():
    res = CliRunner().invoke(main, ["solve", str(LINES), "--for", "indications[1].territories[0].share_of_lead",
                                    "--target", "asset.rnpv=1600", "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    x = json.loads(res.output)["solve"]["value"]
    got = iitvalue.value(iitvalue.load(LINES).replace({"indications[1].territories[0].share_of_lead": x}))
    assert got.summary["asset.rnpv"] == pytest.approx(1600, rel=1e-6)


def test_export_of_several_indications_writes_the_joint_workbook_and_refuses_a_risk_sheet(tmp_path):
    """The workbook of several indications is written (its parity: tests/excel/test_joint_book.py); a Risk sheet
    with several indications is refused with exit 2 naming [[uncertainty]], and --no-risk exports."""
    res = CliRunner().invoke(main, ["export", str(LINES), "-o", str(tmp_path / "m.xlsx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.xlsx").exists()
    text = LINES.read_text(encoding="utf-8") + ('\n[[uncertainty]]\npath = "territories[0].treated_share"\n'
                                                'dist = "pert"\nlow = 0.1\nmode = 0.15\nhigh = 0.2\n')
    f = tmp_path / "u.toml"
    f.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["export", str(f), "-o", str(tmp_path / "u.xlsx")])
    assert res.exit_code == 2 and "uncertainty" in res.output and "--no-risk" in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "u.xlsx").exists()
    res = CliRunner().invoke(main, ["export", str(f), "-o", str(tmp_path / "u.xlsx"), "--no-risk"])
    assert res.exit_code == 0, res.output


def test_posterior_draws_with_several_indications_are_refused(tmp_path):
    text = LINES.read_text(encoding="utf-8") + '\n[[uncertainty]]\npath = "pos.orr"\ndist = "posterior"\n'
    f = tmp_path / "p.toml"
    f.write_text(text, encoding="utf-8")
    for cmd in (["simulate", str(f), "-n", "100"], ["sensitivity", str(f)]):
        res = CliRunner().invoke(main, cmd)
        assert res.exit_code == 2, (cmd, res.output)
