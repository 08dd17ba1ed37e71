"""The comparables dataset and `iitvalue comps` (issue #14 item 1)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from click.testing import CliRunner

import iitvalue
from iitvalue.analysis.comps import COLUMNS, CUTOFF, comps_rows
from iitvalue.cli import main


def test_the_dataset_holds_60_deals_none_after_the_cutoff_and_the_anchors():
    rows = comps_rows()
    assert len(rows) >= 60
    assert all(dt.date(2015, 1, 1) <= dt.date.fromisoformat(r["date"]) <= CUTOFF for r in rows)
    names = {r["name"] for r in rows}
    assert {"azn-esobiotec-2025", "janssen-legend-2017"} <= names and len(names) == len(rows)
    assert all(r["source"] and r["tag"] in ("C", "C-sec", "U") for r in rows)
    for r in rows:  # the derived share is upfront / headline where both are known
        if r["upfront"] is not None and r["headline_total"]:
            assert abs(r["upfront_share"] - r["upfront"] / r["headline_total"]) < 1e-15


def test_filters_combine():
    rows = comps_rows(type="licence", china_origin=True, since=dt.date(2020, 1, 1))
    assert rows and all(r["type"] == "licence" and r["china_origin"] and r["date"] >= "2020-01-01" for r in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert len(comps_rows(platform=True)) + len(comps_rows(platform=False)) == len(comps_rows())
    assert list(iitvalue.comps(modality="car-t")["modality"].unique()) == ["car-t"]


def test_cli_formats_and_errors():
    runner = CliRunner()
    out = runner.invoke(main, ["comps", "--type", "option", "--format", "json"])
    assert out.exit_code == 0, out.output
    comps = json.loads(out.output)["comps"]
    assert comps and all(c["type"] == "option" for c in comps) and {"name", "date", "upfront"} <= set(comps[0])
    out = runner.invoke(main, ["comps", "--china", "--format", "csv"])
    table = list(csv.reader(io.StringIO(out.output)))
    assert tuple(table[0]) == COLUMNS and len(table) - 1 == len(comps_rows(china_origin=True))
    out = runner.invoke(main, ["comps", "--stage", "phase1"])
    assert out.exit_code == 0 and "Comparable deals" in out.output
    for args, word in ((["--type", "opton"], "did you mean 'option'"), (["--since", "2024-13-01"], "YYYY-MM-DD"),
                       (["--modality", "cart"], "present:")):
        out = runner.invoke(main, ["comps", *args])
        assert out.exit_code == 2 and word in out.output, out.output
