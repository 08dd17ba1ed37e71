"""The error contract of the command line (docs/cli.md, issue 18): outputs that cannot be written, atomic
writes, option values, the memory guard, text that leaves the program, and errors found after loading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from iitvalue.cli import main
from iitvalue.cli.pos import PATIENTS
from iitvalue.termsheet.vocabulary import MAX_PATIENTS

from conftest import COMPARABLES, EXAMPLES, ROOT

TEMPLATE = ROOT / "iitvalue" / "templates" / "termsheet.toml"
ESO = str(EXAMPLES / "esobiotec.toml")


def run(*args: str):
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    return res


def sheet(tmp_path: Path, text: str | None = None, name: str = "s.toml") -> Path:
    f = tmp_path / name
    f.write_text(TEMPLATE.read_text() if text is None else text, encoding="utf-8")
    return f


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# ---- outputs ---------------------------------------------------------------------------------------------------
WRITERS = [
    lambda f, o: ("value", f, "--format", "json", "-o", o),
    lambda f, o: ("sensitivity", f, "-o", o),
    lambda f, o: ("simulate", f, "-n", "500", "-o", o),
    lambda f, o: ("new", "-o", o),
    lambda f, o: ("calibrate", "-o", o),
    lambda f, o: ("export", f, "-o", o, "--no-risk"),
]
SUFFIX = [".json", ".txt", ".csv", ".toml", ".toml", ".xlsx"]


@pytest.mark.parametrize("i", range(len(WRITERS)))
def test_unwritable_outputs_exit_2_before_the_work(tmp_path, i):
    f = sheet(tmp_path)
    cases = {
        "missing folder": (tmp_path / "nope" / f"out{SUFFIX[i]}", "does not exist"),
        "folder": (tmp_path, "is a folder"),
        "file as folder": (f / f"out{SUFFIX[i]}", "is not a folder"),
        "dangling link": (tmp_path / f"link{SUFFIX[i]}", "does not exist"),
    }
    os.symlink(tmp_path / "missing" / f"x{SUFFIX[i]}", tmp_path / f"link{SUFFIX[i]}")
    for what, (out, words) in cases.items():
        res = run(*WRITERS[i](f, out))
        assert res.exit_code == 2 and words in res.output, (what, res.output)
    assert leftovers(tmp_path) == []


def test_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        res = run("value", ESO, "-o", "/proc/iitvalue-test.txt")  # root can write anywhere but /proc
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        res = run("value", ESO, "-o", ro / "out.txt")
    assert res.exit_code == 2 and "cannot be written" in res.output


def test_existing_output_is_replaced_whole_and_keeps_its_mode(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o640)
    assert run("value", ESO, "--format", "json", "-o", out).exit_code == 2 and out.read_text() == "old"
    assert run("value", ESO, "--format", "json", "-o", out, "--force").exit_code == 0
    assert json.loads(out.read_text())["asset"]["rnpv"] > 0 and (out.stat().st_mode & 0o777) == 0o640
    assert leftovers(tmp_path) == []


def test_failed_run_leaves_no_file(tmp_path):
    f = sheet(tmp_path, TEMPLATE.read_text().replace("tax_rate = 0.21", "tax_rate = 2.1"))
    out = tmp_path / "r.csv"
    assert run("value", f, "--format", "csv", "-o", out).exit_code == 2
    assert not out.exists() and leftovers(tmp_path) == []


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    import pandas as pd

    def broken(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    out = tmp_path / "paths.csv"
    res = run("simulate", ESO, "-n", "500", "-o", out)
    assert res.exit_code == 130 and not out.exists() and leftovers(tmp_path) == []


def test_link_to_an_existing_folder_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    link = tmp_path / "link.json"
    os.symlink(tmp_path / "real" / "r.json", link)
    assert run("value", ESO, "--format", "json", "-o", link).exit_code == 0
    assert link.is_symlink() and json.loads((tmp_path / "real" / "r.json").read_text())


def test_device_output(tmp_path):
    assert run("value", ESO, "--format", "json", "-o", "/dev/null", "--force").exit_code == 0
    if Path("/dev/full").exists():
        res = run("value", ESO, "--format", "json", "-o", "/dev/full", "--force")
        assert res.exit_code == 2 and "cannot be written" in res.output


# ---- options ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (("simulate", ESO, "-n", "4.0"), "write 4, not 4.0"),
    (("simulate", ESO, "-n", "0"), "at least 1"),
    (("simulate", ESO, "-n", "10000000000"), "at most 1,000,000,000"),
    (("simulate", ESO, "-n", "abc"), "not a whole number"),
    (("simulate", ESO, "--seed", "-1"), "must not be negative"),
    (("simulate", ESO, "--chunk", "0"), "at least 1"),
    (("simulate", ESO, "--max-memory", "lots"), "not a memory size"),
    (("export", ESO, "-o", "x.xlsx", "--paths", "1e9"), "write 1000000000"),
    (("solve", ESO, "--for", "deal.upfront", "--target", "deal.licensee_npv=nan"), "finite"),
    (("solve", ESO, "--for", "deal.upfront", "--target", "deal.licensee_npv=0", "--low", "inf", "--high", "1"),
     "finite"),
    (("implied", ESO, "--solve", "loa", "--target", "inf"), "finite"),
    (("implied", ESO, "--solve", "loa", "--target", "nan"), "finite"),
    (("pos", "--n", "4", "--responders", "4", "--weight", "nan"), "finite"),
    (("pos", "--n", "1" + "0" * 400, "--responders", "1"), "at most"),
    (("calibrate", "--start", "kappa=nan"), "finite"),
    (("sensitivity", ESO, "--grid", "valuation.discount_rate=0.1,nan", "--grid", "pos.iit_weight=0.5"), "finite"),
    (("value", ESO, "--set", "deal.upfront=inf"), "--set deal.upfront: inf is not allowed"),
    (("value", ESO, "--set", "phases[0].cost=" + "[" * 100 + "]" * 100), "nested"),
])
def test_bad_option_values_exit_2(args, words):
    res = run(*args)
    assert res.exit_code == 2 and words in res.output, res.output


def test_quick_pos_limit_is_the_term_sheets():
    assert PATIENTS == MAX_PATIENTS


# ---- the memory guard ------------------------------------------------------------------------------------------
def test_memory_guard_refuses_at_once_with_the_ways_to_run_it():
    res = run("simulate", ESO, "-n", "1000000000")
    assert res.exit_code == 2
    for words in ("would need about", "GiB", "--max-memory", "fewer paths", "-n "):
        assert words in res.output, res.output
    res = run("export", ESO, "-o", "never.xlsx", "--paths", "1000000000")
    assert res.exit_code == 2 and "--paths" in res.output and not Path("never.xlsx").exists()
    res = run("plot", ESO, "--kind", "histogram", "-o", "never.png", "-n", "200000", "--max-memory", "1M")
    assert res.exit_code == 2 and "budget of 1.0 MiB" in res.output
    res = run("simulate", ESO, "-n", "300000", "--chunk", "65536", "--max-memory", "200M")
    assert res.exit_code == 2 and "--chunk" in res.output


def test_default_chunk_shrinks_to_fit_and_gives_the_same_numbers():
    small = json.loads(run("simulate", ESO, "-n", "20000", "--format", "json", "--max-memory", "60M").output)
    full = json.loads(run("simulate", ESO, "-n", "20000", "--format", "json").output)
    assert small["mc"]["mean"] == full["mc"]["mean"]


def test_memory_estimate_is_high_rather_than_low():
    import tracemalloc

    import iitvalue
    from iitvalue.montecarlo import budget, simulate

    s = iitvalue.load(ESO)
    simulate(s, 4096, 0, 4096)
    tracemalloc.start()
    try:
        simulate(s, 40_000, 0, 16_384)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = budget.estimate(s, 40_000, 16_384).total
    assert peak <= est <= 4 * peak


def test_parse_memory():
    from iitvalue.montecarlo.budget import parse_memory

    assert parse_memory("4G") == 4 * 1024 ** 3 and parse_memory("512MiB") == 512 * 1024 ** 2
    assert parse_memory("1.5g") == int(1.5 * 1024 ** 3) and parse_memory("2000") == 2000
    for bad in ("0", "-1G", "x", "1e400", "G"):
        with pytest.raises(ValueError):
            parse_memory(bad)


# ---- text that leaves the program ------------------------------------------------------------------------------
def test_csv_cells_are_neutralised(tmp_path):
    f = sheet(tmp_path, TEMPLATE.read_text().replace('name = "Phase 1"', 'name = "=1+1"')
              .replace('name = "Phase 2"', 'name = "-2+3"'))
    out = run("value", f, "--format", "csv").output.splitlines()
    rows = [line.split(",") for line in out[1:]]
    phase = out[0].split(",").index("phase")
    assert {r[phase] for r in rows} >= {"'=1+1", "'-2+3"}
    assert any(float(r[-1]) < 0 for r in rows)  # negative numbers stay numbers


def test_control_characters_are_escaped_in_tables(tmp_path):
    f = sheet(tmp_path, TEMPLATE.read_text().replace('name = "Asset X"', 'name = "A\\u001b[31mred\\u0007\\r\\u202e"'))
    res = CliRunner().invoke(main, ["value", str(f)], color=True)
    assert res.exit_code == 0
    assert "\x1b" not in res.output and "\x07" not in res.output and "\r" not in res.output
    assert "\u202e" not in res.output and "A\\x1b[31mred\\x07\\r\\u202e" in res.output
    res = CliRunner().invoke(main, ["value", str(f), "--set", 'phases[0].name="x\\u0007"', "--set",
                                    'phases[1].name="x\\u0007"'], color=True)
    assert res.exit_code == 2 and "\x07" not in res.output and "duplicate" in res.output


# ---- errors found after loading name the file and the line -------------------------------------------------------
def test_simulation_errors_are_located(tmp_path):
    text = TEMPLATE.read_text() + ('\n[[uncertainty]]\npath = "territories[0].treated_share"\ndist = "normal"\n'
                                   'mean = 0.05\nsd = 0.05\n')
    f = sheet(tmp_path, text)
    res = run("simulate", f, "-n", "5000")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l == "[[uncertainty]]")
    assert res.exit_code == 2 and f"{f}: line {line}, uncertainty[0]" in res.output and "fall outside" in res.output


def test_readout_option_errors_are_located(tmp_path):
    text = (TEMPLATE.read_text() + '\n[[readouts]]\ndate = 2024-06-01\nsource = "x"\ndesign = "iit"\nn = 6\n'
            'responders = 4\n\n[pos]\np_approval_active = 0.05\nreadout = "none"\n')
    f = sheet(tmp_path, text)
    assert run("value", f).exit_code == 0
    res = run("value", f, "--readout", "auto")
    assert res.exit_code == 2 and "prior LOA" in res.output and f"{f}: line " in res.output


def test_calibration_file_problems(tmp_path):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(bytes(range(256)) * 10)
    res = run("price", ESO, "--calibration", binary)
    assert res.exit_code == 2 and "not a text file" in res.output
    bad = tmp_path / "cal.toml"
    bad.write_text("[params]\nkappa = nan\nweight = \"half\"\n[intervals]\nkappa = [0.1, 0.2, 0.3]\n")
    res = run("implied", ESO, "--solve", "loa", "--calibration", bad)
    assert res.exit_code == 2
    for words in ("line 2, params.kappa", "line 3, params.weight", "line 5, intervals.kappa"):
        assert words in res.output, res.output


def test_import_of_a_workbook_named_with_a_newline_returns_the_sheet_unchanged(tmp_path):
    """The workbook's name never reaches the imported TOML: without edits it is the original, byte for byte."""
    book = tmp_path / "new\nline.xlsx"
    assert run("export", COMPARABLES / "legend.toml", "-o", book).exit_code == 0
    out = tmp_path / "back.toml"
    assert run("import", book, "-o", out).exit_code == 0
    assert out.read_bytes() == (COMPARABLES / "legend.toml").read_bytes()
    assert run("value", out, "--format", "json").exit_code == 0
    assert run("import", book, "-o", tmp_path).exit_code == 2  # a folder
