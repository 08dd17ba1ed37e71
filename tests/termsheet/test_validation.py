"""Validation of term sheets, tested on the library (not through the CLI): every problem located by field path
and TOML line, all problems reported at once, and the cross-field rules of checks.py."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from iitvalue.errors import InputError
from iitvalue.termsheet import TermSheet, loads, numeric_field, parse_path, set_path
from iitvalue.termsheet.lines import toml_key_lines

from conftest import COMPARABLES, EXAMPLES, base_dict

SHEET = """[valuation]
name = "t"
date = 2025-01-01
currency = "USD"
discount_rate = 0.1
horizon_years = 10
tax_rate = 0.0

[asset]
name = "A"
modality = "antibody"
indication = "x"
therapeutic_area = "oncology"
stage = "phase1"

[[phases]]
name = "P1"
kind = "phase1"
duration = 1.0

[[phases]]
name = "Review"
kind = "filing"

[[territories]]
name = "US"
peak_sales = 100
exclusivity_years = 10

[costs]
cogs_fraction = 0.1
sga_fraction = 0.2
"""


def problems(text: str) -> list:
    with pytest.raises(InputError) as exc:
        loads(text, source="t.toml")
    return exc.value.problems


def test_a_valid_sheet_loads():
    sheet = loads(SHEET)
    assert sheet.phases[1].kind == "filing" and sheet.territories[0].peak == 100


def test_field_errors_are_located_by_line_and_all_reported_at_once():
    text = SHEET.replace("discount_rate = 0.1", "discount_rate = 10").replace('stage = "phase1"', 'stage = "phase9"')
    ps = {p.path: p for p in problems(text)}
    assert ps["valuation.discount_rate"].line == 5 and "<= 1" in ps["valuation.discount_rate"].message
    assert "fractions" in ps["valuation.discount_rate"].message
    assert ps["asset.stage"].line == 14 and "phase1" in ps["asset.stage"].message  # a suggestion is offered


def test_unknown_keys_and_missing_fields():
    text = SHEET.replace("tax_rate = 0.0", "tax_rate = 0.0\ndiscount = 0.2").replace('currency = "USD"\n', "")
    ps = {p.path: p for p in problems(text)}
    assert "unknown key" in ps["valuation.discount"].message
    assert ps["valuation.currency"].message == "required field is missing"


@pytest.mark.parametrize("edit, path, words", [
    (lambda d: d["phases"].reverse(), "phases[1].kind", "development order"),
    (lambda d: d["territories"][0].update(patients=10), "territories[0]", "not both"),
    (lambda d: d["territories"][0].pop("exclusivity_years"), "territories[0]", "exactly one"),
    (lambda d: d["valuation"].update(horizon_years=10.5), "valuation.horizon_years", "whole number"),
    (lambda d: d["phases"].append(dict(d["phases"][0])), "phases[2].name", "duplicate"),
    (lambda d: d["asset"].update(stage="approved"), "phases", "approved asset"),
])
def test_cross_field_rules(edit, path, words):
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 1.0, "probability": 0.5},
                   {"name": "R", "kind": "filing", "duration": 1.0, "cost": 1.0, "probability": 0.9}]
    edit(d)
    with pytest.raises(InputError) as exc:
        TermSheet.from_dict(d)
    hits = [p for p in exc.value.problems if p.path == path]
    assert hits and words in hits[0].message, exc.value.problems


def test_readout_counts():
    d = base_dict()
    d["readouts"] = [{"date": dt.date(2024, 1, 1), "source": "s", "design": "iit", "n": 4, "responders": 5},
                     {"date": dt.date(2024, 1, 1), "source": "s", "design": "iit", "n": 4, "responders": 2,
                      "complete": 3}]
    with pytest.raises(InputError) as exc:
        TermSheet.from_dict(d)
    msgs = {p.path: p.message for p in exc.value.problems}
    assert "exceed n = 4" in msgs["readouts[0].responders"]
    assert "exceed the 2 responders" in msgs["readouts[1].complete"]


def deal_dict(trigger: dict) -> dict:
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 1.0, "probability": 0.5}]
    d["deal"] = {"kind": "licence", "date": dt.date(2025, 1, 1), "upfront": 1.0,
                 "licensor": {"name": "L", "discount_rate": 0.1}, "licensee": {"name": "B", "discount_rate": 0.1},
                 "milestones": [{"name": "m", "amount": 1.0, "category": "development", "trigger": trigger}]}
    return d


@pytest.mark.parametrize("trigger, field, words", [
    ({"type": "phase_start"}, "phase", "needs 'phase'"),
    ({"type": "phase_start", "phase": "P9"}, "phase", "no phase named 'P9'"),
    ({"type": "approval", "territory": "EU"}, "territory", "no territory named 'EU'"),
    ({"type": "filing", "territory": "US"}, "type", "kind 'filing'"),
    ({"type": "sales", "threshold": 10.0, "phase": "P1"}, "phase", "does not apply"),
    ({"type": "date", "date": dt.date(2024, 1, 1)}, "date", "before the deal date"),
    ({"type": "launch"}, "type", "not allowed"),
])
def test_trigger_checks_come_from_the_registry(trigger, field, words):
    with pytest.raises(InputError) as exc:
        TermSheet.from_dict(deal_dict(trigger))
    hits = [p for p in exc.value.problems if p.path == f"deal.milestones[0].trigger.{field}"]
    assert hits and words in hits[0].message, exc.value.problems


@pytest.mark.parametrize("entry, field, words", [
    ({"dist": "normal", "mean": 1.0}, "sd", "needs 'sd'"),
    ({"dist": "normal", "mean": 1.0, "sd": -1.0}, "sd", ">= 0"),
    ({"dist": "lognormal", "mean": -1.0, "sd": 1.0}, "mean", "mean > 0"),
    ({"dist": "triangular", "low": 2.0, "mode": 1.0, "high": 3.0}, "mode", "outside"),
    ({"dist": "uniform", "low": 3.0, "high": 1.0}, "low", "below high"),
    ({"dist": "discrete", "values": [1.0, 2.0], "weights": [0.5, 0.6]}, "weights", "summing to 1"),
    ({"dist": "beta", "a": 1.0, "mean": 0.5}, "dist", "either a and b"),
    ({"dist": "pert", "low": 1.0, "mode": 2.0, "high": 3.0, "sd": 1.0}, "sd", "does not apply"),
])
def test_distribution_checks_come_from_the_registry(entry, field, words):
    d = base_dict()
    d["uncertainty"] = [{"path": "territories[0].peak_sales", **entry}]
    with pytest.raises(InputError) as exc:
        TermSheet.from_dict(d)
    hits = [p for p in exc.value.problems if p.path == f"uncertainty[0].{field}"]
    assert hits and words in hits[0].message, exc.value.problems


def test_a_beta_on_a_field_outside_0_1_is_refused():
    d = base_dict()
    d["uncertainty"] = [{"path": "territories[0].peak_sales", "dist": "beta", "a": 2.0, "b": 2.0}]
    TermSheet.from_dict(d)  # peak sales >= 0 contains (0, 1)
    d["uncertainty"] = [{"path": "territories[0].launch_lag", "dist": "normal", "mean": 1.0, "sd": 0.1,
                         "swing": [-1.0, 2.0]}]
    with pytest.raises(InputError) as exc:
        TermSheet.from_dict(d)
    assert any("leaves what" in p.message for p in exc.value.problems)


def test_paths_parse_set_and_bound():
    assert parse_path("phases[1].probability") == ("phases", 1, "probability")
    assert parse_path("phases.1.probability") == ("phases", 1, "probability")
    loc, bounds = numeric_field("valuation.discount_rate")
    assert loc == ("valuation", "discount_rate") and bounds == (0.0, True, 1.0, True)
    data = copy.deepcopy(base_dict())
    set_path(data, "territories[0].peak_sales", 5.0)
    assert data["territories"][0]["peak_sales"] == 5.0
    with pytest.raises(InputError, match="did you mean 'peak_sales'"):
        set_path(data, "territories[0].peak_sale", 5.0)
    with pytest.raises(InputError, match="no entry"):
        set_path(data, "territories[3].peak_sales", 5.0)


def test_toml_key_lines_of_an_example():
    text = (COMPARABLES / "legend.toml").read_text(encoding="utf-8")
    lines = toml_key_lines(text)
    for loc, no in list(lines.items())[:40]:
        key = loc[-1]
        if isinstance(key, str):
            assert key in text.splitlines()[no - 1], (loc, no)


def test_python_callers_may_pass_iso_date_strings_and_merge_sections():
    import iitvalue

    sheet = iitvalue.load(COMPARABLES / "legend.toml")
    d = sheet.to_dict()
    d["valuation"]["date"] = "2017-12-21"
    d["deal"]["date"] = "2017-12-21"
    assert TermSheet.from_dict(d).valuation.date == dt.date(2017, 12, 21)
    d["valuation"]["date"] = "21/12/2017"
    with pytest.raises(InputError, match="valuation.date"):
        TermSheet.from_dict(d)
    merged = sheet.replace(valuation={"discount_rate": 0.12})
    assert merged.valuation.discount_rate == 0.12 and merged.valuation.name == sheet.valuation.name
    assert sheet.replace(deal=None).deal is None
    assert issubclass(InputError, ValueError)
