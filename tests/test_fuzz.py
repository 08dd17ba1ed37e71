"""Fuzz tests of the error contract (docs/cli.md, issue 18), through the command line.

Malformed term sheets of every category of issue 18 (non-finite and absurd numbers, wrong types, broken TOML,
strings with brackets and table headers, long blank lines, encodings, deep nesting, hostile text, bad options,
unwritable outputs, Monte Carlo runs too large for memory) must end with exit 2 and a message that names the
file and the line; random valid term sheets must value with finite numbers that keep the documented identities.
Never a traceback. Hypothesis runs derandomized and without a database, so every run tries the same examples;
the whole file takes well under a minute on two cores.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from iitvalue.cli import main

from conftest import ROOT

TEMPLATE = (ROOT / "iitvalue" / "templates" / "termsheet.toml").read_text(encoding="utf-8")
LINES = TEMPLATE.splitlines()


def fuzz(n: int):
    """The suite's settings: fixed examples (derandomized, no database), no deadline, ``n`` examples."""
    return settings(derandomize=True, database=None, deadline=None, max_examples=n, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def invoke(*args):
    """Run the command line; a traceback, an internal error or an unknown exit code fails the test."""
    res = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, res.output)
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.output)
    return res


def write(work: Path, text: str | bytes, name: str = "s.toml") -> Path:
    f = work / name
    f.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return f


def located(res, f: Path, line: int | None = None) -> None:
    """Exit 2 with one message naming the file (and ``line``)."""
    assert res.exit_code == 2, res.output
    assert f"iitvalue: error: {f}: " in res.output or f"'{f}'" in res.output, res.output
    if line is not None:
        assert f"line {line}" in res.output, (line, res.output)


def no_nan(text: str):
    """Parse JSON, refusing NaN and Infinity."""
    def refuse(token):
        raise AssertionError(f"non-finite {token} in the JSON output")

    return json.loads(text, parse_constant=refuse)


# scalar numbers of the template: (0-based line index, key)
NUMBERS = [(i, m.group(1)) for i, line in enumerate(LINES)
           if (m := re.match(r"([a-z_]+) = (-?[0-9][0-9._]*)(\s|$)", line)) and "-" not in m.group(2)[1:]]
BAD = ["inf", "-inf", "+inf", "nan", "-nan", "1e308", "-1e308", "1e400", "1" + "0" * 400, "-" + "9" * 60,
       '"7"', "true", "2025-01-01", "[1, 2]", "{ a = 1 }", "[[0.5]]", "12:00:00"]


def replace_line(i: int, new: str, lines: list[str] = LINES) -> str:
    out = list(lines)
    out[i] = new
    return "\n".join(out) + "\n"


# ---- bad values ------------------------------------------------------------------------------------------------
@fuzz(120)
@given(st.sampled_from(NUMBERS), st.sampled_from(BAD))
def test_bad_numbers_are_located(work, where, token):
    i, key = where
    f = write(work, replace_line(i, f"{key} = {token}   # fuzzed"))
    res = invoke("value", f, "--format", "json")
    located(res, f, i + 1)
    assert key in res.output


@fuzz(60)
@given(st.sampled_from(range(len(LINES))), st.sampled_from(["[valuation", "x = ", "= 1", '"open', "a = [1,",
                                                           "[[phases]", "key = 1 2", "\x00", "date = 2025-13-01"]))
def test_broken_toml_is_located(work, i, junk):
    text = "\n".join(LINES[:i] + [junk] + LINES[i:]) + "\n"
    f = write(work, text)
    res = invoke("value", f)
    assert res.exit_code in (0, 2), res.output  # a blank-value junk line may be valid TOML inside a comment
    if res.exit_code == 2:
        located(res, f)
        assert "line" in res.output


STRING_CHARS = st.sampled_from(list("[]{}\"',=#.\\ ab") + ["[asset]", "[[phases]]", "\n", "\t", "'''"])


@fuzz(80)
@given(st.lists(STRING_CHARS, max_size=30).map("".join), st.booleans())
def test_strings_never_move_lines(work, inner, multiline):
    """A name holding brackets, quotes and table headers (a multi-line literal or a basic string) leaves every
    later line where it is: a bad tax rate further down is reported on its own line."""
    inner = inner.replace("'''", "''") if multiline else json.dumps(inner)[1:-1]
    value = f"'''{inner}'''" if multiline else f'"{inner}"'
    text = TEMPLATE.replace('name = "My asset at signing"', f"name = {value}", 1)
    text = text.replace("cogs_fraction = 0.15", "cogs_fraction = 1.5", 1)
    f = write(work, text)
    res = invoke("value", f)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("cogs_fraction = 1.5"))
    located(res, f, line)


@fuzz(40)
@given(st.sampled_from(range(len(LINES) + 1)), st.sampled_from([" ", "\t", "[x] {y} \"z ' "]), st.integers(1, 5000))
def test_long_blank_and_comment_lines_are_fine(work, i, piece, n):
    filler = piece * n if not piece.strip() else "#" + piece * (n // 10 + 1)
    text = "\n".join(LINES[:i] + [filler] + LINES[i:]) + "\n"
    res = invoke("value", write(work, text), "--format", "json")
    assert res.exit_code == 0, res.output
    assert math.isfinite(no_nan(res.output)["asset"]["rnpv"])


@fuzz(30)
@given(st.sampled_from(range(len(LINES))), st.sampled_from([b"\xe9", b"\xff", b"\xc3", b"\x80abc"]))
def test_files_that_are_not_utf8_name_the_line(work, i, byte):
    raw = [l.encode("utf-8") for l in LINES]
    raw[i] = raw[i] + b" # " + byte
    f = write(work, b"\n".join(raw) + b"\n")
    res = invoke("value", f)
    located(res, f, i + 1)
    assert "not UTF-8" in res.output


def test_byte_order_mark_is_accepted(work):
    res = invoke("value", write(work, b"\xef\xbb\xbf" + TEMPLATE.encode("utf-8")), "--format", "json")
    assert res.exit_code == 0


@fuzz(25)
@given(st.sampled_from(NUMBERS), st.integers(65, 3000), st.sampled_from("[{"))
def test_deep_nesting_is_located(work, where, depth, bracket):
    i, key = where
    inner = "[" * depth + "]" * depth if bracket == "[" else "{ a = " * depth + "1" + " }" * depth
    f = write(work, replace_line(i, f"{key} = {inner}"))
    res = invoke("value", f)
    located(res, f, i + 1)
    assert "nested" in res.output


# ---- hostile text ----------------------------------------------------------------------------------------------
TEXT = st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF) | st.sampled_from(
    ["=", "+", "-", "@", "\t", "\r", "\x1b", "\x07", "\x00", "\x7f", "\x9b", "\u202e", "\u2028", "\uff1d"]),
    min_size=1, max_size=40)


def toml_string(s: str) -> str:
    return '"' + json.dumps(s, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f") + '"'


@fuzz(60)
@given(TEXT, TEXT)
def test_text_is_safe_in_tables_and_csv(work, asset, phase):
    text = TEMPLATE.replace('name = "Asset X"', f"name = {toml_string(asset)}", 1)
    text = text.replace('name = "Phase 1"', f"name = {toml_string(phase)}", 1)
    f = write(work, text)
    table = invoke("value", f)
    if table.exit_code == 2:  # e.g. a phase name equal to another one
        located(table, f)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]", table.output), table.output
    res = invoke("value", f, "--format", "csv")
    if res.exit_code == 0:
        rows = list(csv.reader(io.StringIO(res.output)))
        col = rows[0].index("phase")
        for r in rows[1:]:
            assert not r[col].startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")), r[col]
            float(r[-1])  # numbers stay numbers


@fuzz(20)
@given(st.integers(201, 5000), st.sampled_from(['name = "Asset X"', 'name = "Phase 2"', 'currency = "USD"']))
def test_long_names_are_refused(work, n, line):
    key = line.split(" =")[0]
    text = TEMPLATE.replace(line, f'{key} = "{"n" * n}"', 1)
    f = write(work, text)
    res = invoke("value", f)
    located(res, f, next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(f'{key} = "nnn')))
    assert "characters long" in res.output


# ---- options and outputs ---------------------------------------------------------------------------------------
@fuzz(60)
@given(st.sampled_from(["-n", "--seed", "--chunk"]),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10 ** 30, 0).map(str),
                 st.integers(10 ** 10, 10 ** 400).map(str), st.text(max_size=8)))
def test_bad_counts_are_usage_errors(work, option, value):
    f = write(work, TEMPLATE)
    try:
        valid = int(value.strip()) >= (0 if option == "--seed" else 1)
    except ValueError:
        valid = False
    assume(not valid)
    res = invoke("simulate", f, option, value, "-n" if option != "-n" else "--seed", "1")
    assert res.exit_code == 2, (option, value, res.output)


@fuzz(40)
@given(st.sampled_from(["nan", "inf", "-inf", "1e999", "x"]), st.sampled_from(["solve", "implied", "set"]))
def test_non_finite_targets_are_refused(work, token, command):
    eso = ROOT / "examples" / "esobiotec.toml"
    if command == "solve":
        res = invoke("solve", eso, "--for", "deal.upfront", "--target", f"deal.licensee_npv={token}")
    elif command == "implied":
        res = invoke("implied", eso, "--solve", "loa", "--target", token)
    else:
        res = invoke("value", eso, "--set", f"deal.upfront={token}")
    assert res.exit_code == 2, res.output


@fuzz(30)
@given(st.sampled_from(["missing", "folder", "file-as-folder", "dangling"]),
       st.sampled_from([("value", "--format", "json"), ("sensitivity",), ("simulate", "-n", "200"), ("new",)]))
def test_unwritable_outputs(work, kind, command):
    f = write(work, TEMPLATE)
    out = {"missing": work / "no" / "such" / "out.toml", "folder": work, "file-as-folder": f / "out.toml",
           "dangling": work / "dangling.toml"}[kind]
    if kind == "dangling" and not out.is_symlink():
        out.symlink_to(work / "gone" / "x.toml")
    suffix = {"simulate": ".csv", "new": ".toml"}.get(command[0])
    if suffix and kind != "folder":
        out = out.with_suffix(suffix)
        if kind == "dangling" and not out.is_symlink():
            out.symlink_to(work / "gone" / f"x{suffix}")
    args = (command[0],) + ((f,) if command[0] != "new" else ()) + command[1:] + ("-o", out)
    res = invoke(*args)
    assert res.exit_code == 2 and str(out) in res.output, res.output
    assert not [p for p in work.iterdir() if ".tmp" in p.name]


@fuzz(25)
@given(st.integers(10 ** 6, 10 ** 9), st.sampled_from(["1M", "4M", "16M"]))
def test_memory_guard_refuses_and_its_advice_runs(work, paths, budget):
    f = write(work, TEMPLATE)
    res = invoke("simulate", f, "-n", paths, "--max-memory", budget, "--format", "json")
    assert res.exit_code == 2 and "would need about" in res.output, res.output
    advice = re.search(r"fewer paths \(at most about [0-9,]+: -n ([0-9]+)\)", res.output)
    if advice:
        ok = invoke("simulate", f, "-n", advice.group(1), "--max-memory", budget, "--format", "json")
        assert ok.exit_code == 0, ok.output


# ---- random valid term sheets ----------------------------------------------------------------------------------
def numbers(i: int, value: str, lines: list[str]) -> None:
    key = lines[i].split(" =")[0]
    lines[i] = f"{key} = {value}"


@st.composite
def valid_sheets(draw) -> str:
    lines = list(LINES)
    f = lambda lo, hi: repr(draw(st.floats(lo, hi, allow_nan=False)))  # noqa: E731
    by_key: dict[str, list[int]] = {}
    for i, key in NUMBERS:
        by_key.setdefault(key, []).append(i)
    ranges = {"discount_rate": (0.0, 0.3), "tax_rate": (0.0, 0.45), "duration": (0.25, 4.0), "cost": (0.0, 500.0),
              "probability": (0.05, 1.0), "launch_lag": (0.0, 4.0), "patients": (0.0, 1e6),
              "treated_share": (0.0, 0.5), "net_price": (0.01, 2.0), "years_to_peak": (1.0, 12.0),
              "exclusivity_years": (0.0, 25.0), "erosion": (0.0, 1.0), "price_change": (-0.2, 0.2),
              "peak_sales": (0.0, 5000.0), "sga_fraction": (0.0, 0.5), "cogs_fraction": (0.0, 0.5),
              "launch_cost": (0.0, 100.0), "sga_fixed": (0.0, 20.0)}
    readouts = draw(st.integers(0, 5)) == 0  # the slowest part of a valuation: a few examples
    if readouts:
        ranges["probability"] = (0.1, 1.0)  # a prior LOA the class model can explain (0.02 to 0.75)
    for key, idx in by_key.items():
        for i in idx:
            if key in ranges and draw(st.booleans()):
                numbers(i, f(*ranges[key]), lines)
    numbers(by_key["horizon_years"][0], str(draw(st.integers(5, 60))), lines)
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text.replace('period = "annual"', 'period = "quarterly"', 1)
    text = text.replace("mid_period = true", f"mid_period = {str(draw(st.booleans())).lower()}", 1)
    text = text.replace("tax_loss_carryforward = false",
                        f"tax_loss_carryforward = {str(draw(st.booleans())).lower()}", 1)
    if readouts:
        n = draw(st.integers(1, 60))
        r = draw(st.integers(0, n))
        text += (f'\n[[readouts]]\ndate = 2024-06-01\nsource = "fuzz"\ndesign = "iit"\nn = {n}\nresponders = {r}\n'
                 f"complete = {draw(st.integers(0, r))}\n\n[pos]\niit_weight = {f(0.05, 1.0)}\n")
    if draw(st.booleans()):
        text += (f'\n[deal]\nkind = "licence"\ndate = 2025-01-01\nupfront = {f(0.0, 300.0)}\n'
                 f'[deal.licensor]\nname = "S"\ndiscount_rate = {f(0.05, 0.25)}\n'
                 f'[deal.licensee]\nname = "B"\ndiscount_rate = {f(0.05, 0.15)}\n'
                 f'[[deal.milestones]]\nname = "m"\namount = {f(0.0, 200.0)}\ncategory = "regulatory"\n'
                 f'trigger = {{ type = "approval", territory = "US" }}\n')
    if draw(st.booleans()):
        text += ('\n[[uncertainty]]\npath = "territories[1].peak_sales"\ndist = "pert"\nlow = 100.0\nmode = 300.0\n'
                 'high = 600.0\n')
    return text


@fuzz(60)
@given(valid_sheets())
def test_random_valid_sheets_value_with_finite_numbers(work, text):
    f = write(work, text)
    res = invoke("value", f, "--format", "json")
    if res.exit_code == 2:  # e.g. a prior LOA outside the class model: located, never a crash
        located(res, f)
        assert "line" in res.output or "--set" in res.output, res.output
        return
    assert res.exit_code in (0, 1), res.output
    if res.exit_code == 1:
        assert "numerical failure" in res.output
        return
    doc = no_nan(res.output)
    a = doc["asset"]
    for k in ("rnpv", "npv_unrisked", "loa", "pv_rd_risked", "pv_commercial_risked"):
        assert math.isfinite(a[k]), k
    assert 0.0 <= a["loa"] <= 1.0
    assert a["pv_rd_risked"] + a["pv_commercial_risked"] == pytest.approx(a["rnpv"], rel=1e-9, abs=1e-6)
    assert a["pv_rd_risked"] <= 1e-9
    assert math.prod(p["p_transition"] for p in doc["phases"]) == pytest.approx(a["loa"], rel=1e-9, abs=1e-12)
    if "pos" in doc:
        p = doc["pos"]
        assert 0.0 < p["posterior_loa"] <= 1.0 and p["p_approval_inactive"] <= p["prior_loa"] <= p["p_approval_active"]
        assert p["readout_value"] == pytest.approx(p["posterior_rnpv"] - p["prior_rnpv"], rel=1e-9, abs=1e-6)
    if "deal" in doc:
        d = doc["deal"]
        assert math.isfinite(d["licensor_npv"]) and math.isfinite(d["licensee_npv"])
        total = sum(row["pv_licensor"] for row in d["payments"])
        assert total == pytest.approx(d["licensor_npv"], rel=1e-9, abs=1e-6)


@fuzz(25)
@given(valid_sheets(), st.integers(1, 3000), st.integers(0, 2 ** 32))
def test_random_simulations_are_finite(work, text, n, seed):
    f = write(work, text)
    res = invoke("simulate", f, "-n", n, "--seed", seed, "--format", "json")
    if res.exit_code != 0:
        located(res, f)
        return
    mc = no_nan(res.output)["mc"]  # (sd and std_error are null for a single path)
    assert mc["paths"] == n and math.isfinite(mc["mean"])
    assert mc["p5"] <= mc["p50"] <= mc["p95"] and 0.0 <= mc["prob_negative"] <= 1.0
    assert sum(o["share"] for o in mc["outcomes"]) == pytest.approx(1.0)
