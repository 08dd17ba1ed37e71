"""The TOML line finder: linear time, strings that contain brackets or table headers, arrays and inline tables,
and nesting that is too deep (issue 18)."""

from __future__ import annotations

import time
import tomllib

import pytest

from iitvalue.termsheet.lines import line_for, nesting_line, toml_key_lines

from conftest import EXAMPLES, ROOT

TEMPLATE = (ROOT / "iitvalue" / "templates" / "termsheet.toml").read_text(encoding="utf-8")


# pathological inputs as functions of a size k: a quadratic scan of them once took minutes (issue 18)
PATHOLOGICAL = [
    lambda k: " " * (4 * k), lambda k: "[" * (4 * k), lambda k: "a = [" + "[" * (4 * k), lambda k: "a = {" * k,
    lambda k: 'a = "' + "[" * (4 * k) + '"', lambda k: 'a = """' + '\\"""' * k, lambda k: "\\" * (4 * k),
    lambda k: "a" + ".a" * k + " = 1", lambda k: "a = 1\n" * k,
]


def _cost(text: str) -> float:
    """The best of five runs of the line finder and the nesting check on ``text`` (seconds)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        toml_key_lines(text)
        nesting_line(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("make", PATHOLOGICAL)
def test_linear_time_on_pathological_lines(make):
    """A complexity check, not a speed test: four times the input costs well under the 16 times a quadratic
    scan would (best-of-five runs of both sizes on the same machine, so a loaded machine does not change it)."""
    small, large = _cost(make(16_000)), _cost(make(64_000))
    assert large < 10 * small + 0.05, (small, large)


def test_three_thousand_spaces_no_longer_hang():
    text = TEMPLATE + "\n" + " " * 3000 + "\n"
    assert toml_key_lines(text) == toml_key_lines(TEMPLATE)
    small = _cost(TEMPLATE + "\n" + " " * 12000 + "\n")
    large = _cost(TEMPLATE + "\n" + " " * 48000 + "\n")
    assert large < 10 * small + 0.05, (small, large)


def test_strings_with_brackets_and_headers_do_not_move_lines():
    text = ('[valuation]\nname = "Asset [X"\nnote = \'\'\'\n[asset]\n[[phases]]\n\'\'\'\n'
            'desc = """x\n[deal]\n"""\nrate = 0.1  # [ comment\n[asset]\nname = "a"\n')
    tomllib.loads(text)
    lines = toml_key_lines(text)
    src = text.splitlines()
    assert src[lines[("valuation", "rate")] - 1].startswith("rate")
    assert src[lines[("asset", "name")] - 1] == 'name = "a"'
    assert ("deal",) not in lines and ("phases", 0) not in lines


def test_arrays_inline_tables_quoted_and_dotted_keys():
    text = ('[[deal.pools]]\nname = "p"\ntriggers = [\n  { type = "phase_start", phase = "A" },\n'
            '  { type = "approval", territory = "US" },\n]\n[x . "y.z"]\n"q" . r = 1979-05-27 07:32:00\ns = 2\n')
    tomllib.loads(text)
    lines = toml_key_lines(text)
    assert lines[("deal", "pools", 0, "triggers", 1, "territory")] == 5
    assert lines[("deal", "pools", 0, "triggers", 0)] == 4
    assert lines[("x", "y.z", "q", "r")] == 8 and lines[("x", "y.z", "s")] == 9
    assert line_for(("deal", "pools", 0, "triggers", 1, "nothing"), lines) == 5


def test_every_key_of_the_examples_is_on_its_line():
    for f in sorted(EXAMPLES.glob("*.toml")):
        text = f.read_text(encoding="utf-8")
        src = text.splitlines()
        for loc, no in toml_key_lines(text).items():
            if isinstance(loc[-1], str):
                assert loc[-1] in src[no - 1], (f.name, loc, no)


def test_nesting_line():
    assert nesting_line("a = 1\nb = [[1, 2]]\n") is None
    assert nesting_line("a = 1\nb = [\n" + "[" * 70 + "]" * 70 + "]\n") == 3


def test_never_raises_on_text_that_is_not_toml():
    for text in ('[', '"""', "a = [", "= 1", "[a\nb = ]", "'''x", "a.=1", 'k = "\\', "[[]]\n[.]", "x = {a=}"):
        toml_key_lines(text)
        nesting_line(text)


def test_validating_uncertainty_paths_leaves_the_input_untouched():
    """The path probes of [[uncertainty]] entries work on copies along each path (no deep copy of the sheet)."""
    import copy

    import iitvalue

    d = tomllib.loads((EXAMPLES / "esobiotec.toml").read_text(encoding="utf-8"))
    before = copy.deepcopy(d)
    iitvalue.TermSheet.from_dict(d)
    assert d == before
    d["uncertainty"].append({"path": "territories[9].peak_sales", "dist": "uniform", "low": 1.0, "high": 2.0})
    with pytest.raises(iitvalue.InputError, match=r"no entry \[9\]"):
        iitvalue.TermSheet.from_dict(d)
