"""Golden snapshots of ``iitvalue value --format json`` for every shipped example and the template: the published
keys and their values. A deliberate change of a figure regenerates them with
``IITVALUE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and is listed in the change's note."""

from __future__ import annotations

import json
import math
import os
from importlib import resources

import pytest
from click.testing import CliRunner

from iitvalue.cli import main

from conftest import COMPARABLES, EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
# the shipped examples, the template, and the one-indication Legend comparable (the calibration anchor; the example
# examples/legend.toml is the same asset with its earlier line, rivals and plant)
CASES = sorted(p.stem for p in EXAMPLES.glob("*.toml")) + ["template", "legend-one"]


def _source(name: str):
    if name == "template":
        return resources.files("iitvalue").joinpath("templates", "termsheet.toml")
    if name == "legend-one":
        return COMPARABLES / "legend.toml"
    return EXAMPLES / f"{name}.toml"


def _compare(want, got, where: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys differ: {set(got) ^ set(want)}"
        for k in want:
            _compare(want[k], got[k], f"{where}.{k}" if where else k)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for i, (a, b) in enumerate(zip(want, got)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {got!r} != {want!r}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.parametrize("name", CASES)
def test_value_json_matches_its_snapshot(name, tmp_path):
    src = tmp_path / f"{name}.toml"
    src.write_text(_source(name).read_text(encoding="utf-8"), encoding="utf-8")
    res = CliRunner().invoke(main, ["value", str(src), "--format", "json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("IITVALUE_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _compare(json.loads(path.read_text(encoding="utf-8")), got)
