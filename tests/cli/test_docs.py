"""docs/cli.md and the commands agree: every option of every command is documented in its section, the JSON keys of
`pos` and `price` are the documented ones, JSON documents nest by the dots of their keys (docs/cli.md, "Output
conventions"), the help texts say what the commands do, and `--wide` prints whole tables."""

from __future__ import annotations

import json
import re

import click
import openpyxl
import pytest
from click.testing import CliRunner

import iitvalue
from iitvalue.cli import main

from conftest import COMPARABLES, EXAMPLES, ROOT

DOCS = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
ESO = str(EXAMPLES / "esobiotec.toml")


def run(*args: str, **env: str):
    return CliRunner(env=env or None).invoke(main, list(args), catch_exceptions=False)


def section(command: str) -> str:
    """The text of docs/cli.md from `## `iitvalue COMMAND` to the next `## ` heading."""
    m = re.search(rf"^## `iitvalue {command}\b.*?(?=^## |\Z)", DOCS, re.S | re.M)
    assert m, f"docs/cli.md has no section for {command}"
    return m.group(0)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_option_is_documented_in_its_section(command):
    text = section(command)
    def named(opt: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text) is not None

    missing = [p.opts for p in main.commands[command].params
               if isinstance(p, click.Option) and "--help" not in p.opts and not any(map(named, p.opts))]
    assert not missing, f"docs/cli.md, section {command}, does not mention {missing}"


def test_pos_json_has_the_documented_keys():
    """`pos` JSON = value's pos.* keys minus those that need a term sheet and a valuation, plus prior_loa_source."""
    quick = json.loads(run("pos", "--n", "4", "--responders", "4", "--complete", "2", "--format", "json").output)["pos"]
    full = json.loads(run("value", ESO, "--format", "json").output)["pos"]
    text = section("pos")
    left_out = {"readout_value", "prior_rnpv", "posterior_rnpv", "readouts", "phases", "transportability",
                "class_members"}
    assert all(f"`{k}`" in text for k in left_out | {"prior_loa_source"})
    assert set(quick) == (set(full) - left_out) | {"prior_loa_source"}


def test_pos_readout_keys_are_documented():
    readout = json.loads(run("value", ESO, "--format", "json").output)["pos"]["readouts"][0]
    row = next(line for line in DOCS.splitlines() if line.startswith("| `pos.readouts[]`"))
    assert [k for k in readout if f"`{k}`" not in row] == []
    assert "`mrd_negative`" in row and "`dose`" in row


@pytest.mark.parametrize("sheet", ["esobiotec", "without a schedule"])
def test_price_json_keys_are_documented(sheet, tmp_path):
    path = ESO
    if sheet != "esobiotec":  # the same deal without milestones or royalties: a suggested structure
        import tomli_w

        data = iitvalue.load(ESO).to_dict()
        data["deal"] = {k: v for k, v in data["deal"].items() if k not in ("milestones", "royalties", "pools")}
        path = str(tmp_path / "bare.toml")
        (tmp_path / "bare.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    res = run("price", path, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)["price"]
    text = section("price")
    keys = set(doc) | {k for r in doc["structure"] for k in r}
    assert [k for k in keys if f"`{k}`" not in text and f"`{k}[]`" not in text] == []
    assert "notes" in doc
    if sheet != "esobiotec":
        assert doc["structure"] and "trigger_spec" in doc["structure"][1]


def _dotted_keys(obj, parent: str = "") -> list[str]:
    """Keys with a dot anywhere in a JSON document, except under a `set` (term-sheet paths are data)."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if "." in k and parent != "set":
                out.append(k)
            out += _dotted_keys(v, k)
    elif isinstance(obj, list):
        for v in obj:
            out += _dotted_keys(v, parent)
    return out


@pytest.mark.parametrize("args", [
    ("value", ESO), ("pos", "--n", "4", "--responders", "3"), ("calibrate",), ("price", ESO),
    ("implied", ESO, "--solve", "loa"), ("solve", ESO, "--for", "deal.upfront", "--target", "deal.licensee_npv=0"),
    ("simulate", ESO, "-n", "2000"), ("sensitivity", ESO),
], ids=lambda a: a[0])
def test_json_documents_nest_by_the_dots_of_their_keys(args):
    res = run(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert _dotted_keys(doc) == []


def test_sensitivity_json_nests_like_value():
    doc = json.loads(run("sensitivity", ESO, "--format", "json").output)["sensitivity"]
    value = json.loads(run("value", ESO, "--format", "json").output)
    assert doc["base"]["asset"]["rnpv"] == pytest.approx(value["asset"]["rnpv"], rel=1e-12)
    assert doc["base"]["deal"]["licensee_npv"] == pytest.approx(value["deal"]["licensee_npv"], rel=1e-12)
    row = doc["tornado"][0]
    assert row["swing"] == pytest.approx(abs(row["asset"]["rnpv_high"] - row["asset"]["rnpv_low"]))
    bear = next(s for s in doc["scenarios"] if s["name"] == "bear")
    assert all("." in k for k in bear["set"])  # term-sheet paths kept as written


def test_help_texts_name_things_rightly():
    new = run("new", "--help").output
    assert "Overwrite FILE" in new and "OUT" not in new
    sens = run("sensitivity", "--help").output
    assert "Deterministic" in sens and "simulat" not in sens.lower()


def test_import_reports_every_bad_cell_at_once(tmp_path):
    book = tmp_path / "m.xlsx"
    assert run("export", ESO, "-o", str(book), "--no-risk").exit_code == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    ws.cell(rows["phases[0].probability"], 3).value = 1.5
    ws.cell(rows["valuation.discount_rate"], 3).value = "ten percent"
    ws.cell(rows["asset.modality"], 3).value = "antibody"
    wb.save(book)
    res = CliRunner().invoke(main, ["import", str(book), "-o", str(tmp_path / "out.toml")])
    assert res.exit_code == 2, res.output
    for key in ("phases[0].probability", "valuation.discount_rate", f"C{rows['asset.modality']}"):
        assert key in res.output, (key, res.output)
    assert not (tmp_path / "out.toml").exists()


# ---- --wide -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,header", [
    (("value", ESO), "P(alive)"), (("sensitivity", ESO), "swing"), (("calibrate",), "left out"),
    (("value", ESO, str(COMPARABLES / "legend.toml")), "buyer NPV"),
], ids=["value", "sensitivity", "calibrate", "portfolio"])
def test_wide_prints_each_table_in_one_block(args, header, monkeypatch):
    """At COLUMNS=60 a table is split into blocks (its first column repeated); with --wide it is one block: every
    header once, on one line with the last column's, and lines longer than the terminal."""
    monkeypatch.chdir(ROOT)
    fitted = run(*args, COLUMNS="60").output
    wide = run(*args, "--wide", COLUMNS="60").output
    assert max(map(len, fitted.splitlines())) <= 60
    assert max(map(len, wide.splitlines())) > 60
    head = next(line for line in wide.splitlines() if header in line)
    last = {"P(alive)": "PV", "swing": "basis", "left out": "note", "buyer NPV": "error"}[header]
    assert head.rstrip().endswith(last), head
    assert "…" not in wide


def test_wide_keeps_long_lines_whole(monkeypatch):
    fitted = run("pos", "--n", "4", "--responders", "4", COLUMNS="60").output
    wide = run("pos", "--n", "4", "--responders", "4", "--wide", COLUMNS="60").output
    source = next(line for line in wide.splitlines() if "prior LOA from" in line)
    assert len(source) > 60 and source not in fitted.splitlines()
    assert max(map(len, fitted.splitlines())) <= 60


# ---- one format per kind of number (#16) -----------------------------------------------------------------------
def test_probabilities_and_rates_are_percentages_and_money_has_one_decimal(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = run("value", ESO).output
    labels = ("LOA", "P(active)", "P(approval", "discount rate", "IRR", "pivotal assurance", "ORR: posterior")
    lines = [line for line in text.splitlines()  # the key-value lines (notes keep the JSON's wording)
             if line.startswith("  ") and not line.startswith("  - ") and any(w in line for w in labels)]
    assert len(lines) >= 10
    for line in lines:
        assert re.search(r"\d%", line), line  # 18.0%, not 0.1798
    assert re.search(r"rNPV \(risk-adjusted\)\s+242\.5$", text, re.M)
    assert re.search(r"NPV if every phase succeeds\s+2,089\.0$", text, re.M)
    solved = run("solve", ESO, "--for", "deal.upfront", "--target", "deal.licensee_npv=0").output
    assert solved.startswith("deal.upfront = 225.4 gives") and "225.42" not in solved
    prob = run("solve", ESO, "--for", "phases[0].probability", "--target", "asset.rnpv=500").output
    assert re.match(r"phases\[0\]\.probability = \d+\.\d% gives asset\.rnpv = 500\.0", prob), prob
    sim = run("simulate", ESO, "-n", "2000").output
    assert re.search(r"P\(NPV < 0\)\s+\d+\.\d%$", sim, re.M) and re.search(r"P\(approval\) on the paths\s+\d+\.\d%$", sim, re.M)
    cal = run("calibrate").output
    assert re.search(r"premium\s+0\.0  \(fixed\)", cal), cal  # money with one decimal
