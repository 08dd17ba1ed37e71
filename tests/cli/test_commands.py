"""The command line: output formats, --set, new, and one clean error (exit 2, no traceback) per bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from iitvalue.cli import main
from iitvalue.termsheet.lines import toml_key_lines

from conftest import COMPARABLES, EXAMPLES, ROOT

TEMPLATE = ROOT / "iitvalue" / "templates" / "termsheet.toml"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def bad(tmp_path: Path, text: str, *extra: str):
    f = tmp_path / "sheet.toml"
    f.write_text(text)
    res = run("value", str(f), *extra)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert str(f) in res.output  # the message names the file
    return res.output


def edited(old: str, new: str) -> str:
    text = TEMPLATE.read_text()
    assert old in text, old
    return text.replace(old, new, 1)


# ---- good paths ------------------------------------------------------------------------------------------------
def test_value_table_json_csv(esobiotec_path):
    table = run("value", str(esobiotec_path))
    assert table.exit_code == 0 and "rNPV" in table.output and "Cash flows by period" in table.output
    doc = json.loads(run("value", str(esobiotec_path), "--format", "json").output)
    for key in ("rnpv", "npv_unrisked", "loa", "peak_sales", "launch_year"):
        assert key in doc["asset"]
    assert doc["asset"]["launch_year"] == 2032
    csv = run("value", str(esobiotec_path), "--format", "csv").output
    assert csv.splitlines()[0].startswith("period,period_start,year")


def test_set_overrides_and_changes_value(esobiotec_path):
    base = json.loads(run("value", str(esobiotec_path), "--format", "json").output)["asset"]["rnpv"]
    res = run("value", str(esobiotec_path), "--format", "json", "--set", "valuation.discount_rate=0.15",
              "--set", "phases[0].probability=0.9")
    doc = json.loads(res.output)
    assert doc["valuation"]["discount_rate"] == 0.15
    assert doc["pos"]["phases"][0]["prior_probability"] == 0.9  # a given probability is the update's prior
    assert doc["phases"][0]["p_transition"] > 0.9  # the 1/1 readout raises it
    assert doc["asset"]["rnpv"] != base


def test_new_writes_a_template_that_validates_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "deal.toml"
    assert run("new", "-o", str(out)).exit_code == 0
    assert out.read_text() == TEMPLATE.read_text()
    assert run("value", str(out)).exit_code == 0
    again = run("new", "-o", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    assert run("new", "-o", str(out), "--force").exit_code == 0


def test_output_file_not_overwritten_without_force(tmp_path, esobiotec_path):
    out = tmp_path / "r.json"
    out.write_text("keep me")
    res = run("value", str(esobiotec_path), "--format", "json", "-o", str(out))
    assert res.exit_code == 2 and out.read_text() == "keep me"
    assert run("value", str(esobiotec_path), "--format", "json", "-o", str(out), "--force").exit_code == 0
    assert json.loads(out.read_text())["asset"]["rnpv"] > 0
    missing = run("value", str(esobiotec_path), "-o", str(tmp_path / "nope" / "r.txt"))
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_version_and_help():
    assert "iitvalue" in run("--version").output
    assert "value" in run("--help").output


def test_console_script_runs_without_traceback(tmp_path):
    """Through the installed console script when there is one, else through ``python -m iitvalue``."""
    exe = shutil.which("iitvalue")
    cmd = [exe] if exe else [sys.executable, "-m", "iitvalue"]
    f = tmp_path / "x.toml"
    f.write_text("[valuation\n")
    proc = subprocess.run(cmd + ["value", str(f)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "not valid TOML" in proc.stderr


# ---- bad input: one clear paragraph, exit 2 ----------------------------------------------------------------------
def test_unreadable_toml(tmp_path):
    out = bad(tmp_path, "[valuation]\nname = \n")
    assert "not valid TOML" in out and "line 2" in out


def test_missing_file(tmp_path):
    res = run("value", str(tmp_path / "absent.toml"))
    assert res.exit_code == 2 and "file not found" in res.output


def test_unknown_key_with_line(tmp_path):
    out = bad(tmp_path, edited("mid_period = true", "mid_period = true\ndiscount = 0.1"))
    line = next(i for i, l in enumerate(edited("mid_period = true", "mid_period = true\ndiscount = 0.1").splitlines(), 1)
                if l.startswith("discount ="))
    assert f"line {line}, valuation.discount: unknown key" in out


def test_wrong_type(tmp_path):
    out = bad(tmp_path, edited("discount_rate = 0.10", 'discount_rate = "ten percent"'))
    assert "valuation.discount_rate" in out and "not a number" in out


def test_missing_required_field(tmp_path):
    out = bad(tmp_path, edited('currency = "USD"', ""))
    assert "valuation.currency: required field is missing" in out


def test_negative_duration_and_cost_reported_together(tmp_path):
    text = edited("duration = 2.0\ncost = 60", "duration = -2.0\ncost = -60")
    out = bad(tmp_path, text)
    assert "2 problems" in out
    assert "phases[1].duration" in out and "phases[1].cost" in out and "must be >" in out
    lines = toml_key_lines(text)
    assert f"line {lines[('phases', 1, 'duration')]}, phases[1].duration" in out


def test_probability_outside_unit_interval(tmp_path):
    out = bad(tmp_path, edited("probability = 0.50", "probability = 50"))
    assert "phases[0].probability" in out and "<= 1" in out and "fractions" in out


def test_date_in_wrong_form(tmp_path):
    out = bad(tmp_path, edited("date = 2025-01-01", 'date = "01/01/2025"'))
    assert "valuation.date" in out and "YYYY-MM-DD" in out


def test_invalid_calendar_date_is_a_toml_error(tmp_path):
    out = bad(tmp_path, edited("date = 2025-01-01", "date = 2025-13-01"))
    assert "not valid TOML" in out


def test_set_path_that_does_not_exist(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(TEMPLATE.read_text())
    res = run("value", str(f), "--set", "valuation.discount=0.1")
    assert res.exit_code == 2 and "'discount' is not a field of valuation" in res.output and "discount_rate" in res.output
    res = run("value", str(f), "--set", "phases[9].cost=1")
    assert res.exit_code == 2 and "no entry [9]" in res.output
    res = run("value", str(f), "--set", "novalue")
    assert res.exit_code == 2 and "PATH=VALUE" in res.output


def test_set_value_is_validated(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(TEMPLATE.read_text())
    res = run("value", str(f), "--set", "valuation.discount_rate=12")
    assert res.exit_code == 2 and "valuation.discount_rate" in res.output and "0.10, not 10" in res.output


def test_unknown_enum_suggests_closest(tmp_path):
    out = bad(tmp_path, edited('modality = "car-t"', 'modality = "cart"'))
    assert "asset.modality" in out and "did you mean 'car-t'" in out


def test_inconsistent_sheet(tmp_path):
    out = bad(tmp_path, edited('kind = "phase2"', 'kind = "filing"'))  # filing before phase 3
    assert "development order" in out
    out = bad(tmp_path, edited("peak_sales = 300", "peak_sales = 300\npatients = 10"))
    assert "not both" in out


def test_key_lines_for_arrays_of_tables():
    text = TEMPLATE.read_text()
    lines = toml_key_lines(text)
    src = text.splitlines()
    assert src[lines[("phases", 2, "cost")] - 1].strip().startswith("cost = 200")
    assert src[lines[("territories", 1, "peak_sales")] - 1].strip().startswith("peak_sales = 300")
    assert src[lines[("valuation", "tax_rate")] - 1].startswith("tax_rate")


def test_examples_validate():
    for f in sorted(EXAMPLES.glob("*.toml")):
        assert run("value", str(f), "--format", "json").exit_code == 0, f


def test_value_of_several_sheets_is_one_row_each(tmp_path):
    """`iitvalue value a.toml b.toml --format csv`: a header and two rows; JSON lines; a folder; a bad sheet is
    its own row and exit 2."""
    import csv
    import io
    import json

    res = CliRunner().invoke(main, ["value", str(EXAMPLES / "esobiotec.toml"), str(COMPARABLES / "legend.toml"),
                                    "--format", "csv"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO(res.output)))
    assert len(rows) == 3 and rows[0][:2] == ["file", "name"] and rows[1][1].startswith("ESO-T01")
    res = CliRunner().invoke(main, ["value", str(EXAMPLES), "--format", "json", "--jobs", "2"], catch_exceptions=False)
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert res.exit_code == 0 and len(lines) == len(list(EXAMPLES.glob("*.toml"))) == 5
    assert all(x["error"] is None for x in lines)
    bad = tmp_path / "bad.toml"
    bad.write_text("[valuation]\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["value", str(bad), str(COMPARABLES / "legend.toml")])
    assert res.exit_code == 2 and "LCAR-B38M" in res.output


@pytest.mark.parametrize("args", [["value", "examples/esobiotec.toml"], ["value", "examples/legend.toml"],
                                  ["pos", "--n", "4", "--responders", "4", "--complete", "2"], ["calibrate"],
                                  ["sensitivity", "examples/esobiotec.toml"], ["price", "examples/esobiotec.toml"],
                                  ["implied", "examples/esobiotec.toml", "--solve", "loa"]])
def test_text_output_fits_100_columns(args, monkeypatch):
    """COLUMNS=100: no line over 100 characters; value opens with the verdict."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 100
    if args[0] == "value":
        assert res.output.startswith("Verdict")


def test_sensitivity_ranks_by_a_deal_metric():
    """--metric deal.licensee_npv ranks by the licensee's swing; the reference discount rate moves no deal NPV;
    an unknown metric or a deal metric without a deal exits 2."""
    import json

    res = CliRunner().invoke(main, ["sensitivity", str(EXAMPLES / "esobiotec.toml"), "--metric", "deal.licensee_npv",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.output)["sensitivity"]
    assert s["metric"] == "deal.licensee_npv"
    swings = [abs(r["deal"]["licensee_npv_high"] - r["deal"]["licensee_npv_low"]) for r in s["tornado"]]
    assert swings == sorted(swings, reverse=True) and [r["swing"] for r in s["tornado"]] == swings
    rate = next(r for r in s["tornado"] if r["path"] == "valuation.discount_rate")
    assert rate["deal"]["licensee_npv_low"] == rate["deal"]["licensee_npv_high"] == s["base"]["deal"]["licensee_npv"]
    assert rate["asset"]["rnpv_low"] != rate["asset"]["rnpv_high"]
    bad = CliRunner().invoke(main, ["sensitivity", str(EXAMPLES / "esobiotec.toml"), "--metric", "asset.npv"])
    assert bad.exit_code == 2 and "allowed: asset.rnpv" in bad.output
    nodeal = CliRunner().invoke(main, ["sensitivity", str(ROOT / "templates" / "termsheet.toml"), "--metric",
                                       "deal.licensee_npv"])
    assert nodeal.exit_code == 2 and "needs a [deal]" in nodeal.output
