"""The workbook's blocks (iitvalue.excel.inputs ... checks), run one by one in the order write_workbook runs them:
each returns the references it defines (registered in the cell registry where it says), its cached values of
what the engine computes are the engine's own lines, the PoS block uses the readouts the valuation recorded, and
the milestones' formulas are the trigger registry's."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import tomli_w
from conftest import EXAMPLES
from test_book import sink_sheet

import iitvalue
from iitvalue.excel import asset as xa
from iitvalue.excel import (checks, commercial, deal, development, forms, inputs, licensee, npvs, outputs, pos,
                            streams, timeline, validation)
from iitvalue.excel.cells import CALC, INPUTS, Book, Cell, Line
from iitvalue.excel.importer import write_source
from iitvalue.termsheet.triggers import ExcelRefs, kind_of


def run_blocks(result, path: Path) -> dict:
    """Every block of write_workbook on ``result``, in its order; returns what each block returned."""
    book = Book(path, result.asset.plan.n_periods)
    for name in (INPUTS, CALC, outputs.OUTPUTS, checks.CHECKS):
        book.sheet(name)
    out: dict = {"book": book, "inputs": inputs.write_inputs(book, result)}
    out["pos_in"] = pos.write_pos_inputs(book, result, out["inputs"].vdate) if result.pos is not None else None
    out["deal_in"] = deal.write_deal_inputs(book, result) if result.sheet.deal is not None else None
    if out["deal_in"] is not None and out["deal_in"].forms.supply_costs:
        out["inputs"] = forms.with_supply_costs(out["inputs"], out["deal_in"].forms.supply_costs)
    out["time"] = timeline.write_timeline(book, result, out["inputs"])
    out["pos"] = pos.write_pos(book, result, out["inputs"].phases, out["pos_in"]) if out["pos_in"] else None
    out["dev"] = development.write_development(book, result, out["inputs"].phases, out["pos"], out["pos_in"])
    out["rd"] = development.write_rd(book, result, out["time"], out["dev"])
    out["territories"] = commercial.write_territories(book, result, out["inputs"], out["time"], out["dev"])
    out["asset"] = xa.write_asset(book, result, out["inputs"], out["time"], out["dev"], out["rd"], out["territories"])
    model = xa.Model(out["inputs"], out["time"], out["pos"], out["dev"], out["rd"], out["territories"], out["asset"])
    out["model"], out["deal"] = model, None
    if out["deal_in"] is not None:
        d_in = out["deal_in"]
        disc = deal.write_discounting(book, result, model, d_in)
        ms = deal.write_milestones(book, result, model, d_in, disc)
        roy = streams.write_royalties(book, result, model, d_in, disc)
        sh = streams.write_shares(book, result, model, d_in, disc)
        fs = forms.write_form_streams(book, result, model, d_in.forms, disc)
        npvs_ = npvs.write_npvs(book, result, d_in, disc, ms, roy.pv, sh.pv, sh.asset["licensee"], sh.asset["licensor"],
                                fs)
        cash = licensee.write_licensee(book, result, model, d_in, disc, ms, roy, sh, fs)
        out["deal"] = deal.DealCells(d_in, disc, ms, roy.pv, sh.pv, sh.asset, npvs_, cash, fs)
    outputs.write_outputs(book, result, model, outputs.summary_rows(result, model, out["deal"]), out["deal"], [], False)
    tol = checks.start_checks(book)
    conds = validation.input_conditions(model, out["pos_in"], out["pos"], out["deal_in"], tol)
    out["parity"] = checks.write_checks(book, result, tol, conds, checks.sum_checks(result, model, out["deal"]),
                                        checks.parity_pairs(model, out["deal"]), False)
    write_source(book, tomli_w.dumps(result.sheet.to_dict()))
    book.close()
    return out


def references(x) -> list:
    """Every Cell and Line inside a block's return value (dataclasses, dicts, tuples)."""
    if isinstance(x, (Cell, Line)):
        return [x]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return [r for f in dataclasses.fields(x) for r in references(getattr(x, f.name))]
    if isinstance(x, dict):
        return [r for v in x.values() for r in references(v)]
    if isinstance(x, (list, tuple)):
        return [r for v in x for r in references(v)]
    return []


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    result = iitvalue.value(iitvalue.TermSheet.from_dict(sink_sheet()))
    path = tmp_path_factory.mktemp("blocks") / "sink.xlsx"
    return result, path, run_blocks(result, path)


def test_each_block_returns_the_references_it_registered(sink):
    _, path, out = sink
    book = out["book"]
    wb = openpyxl.load_workbook(path)
    seen = 0
    for name in ("inputs", "pos_in", "deal_in", "time", "pos", "dev", "rd", "territories", "asset", "deal"):
        refs = references(out[name])
        assert refs, name
        for r in refs:
            if isinstance(r, Cell):
                assert book.scalars[r.key] == r.ref, (name, r.key)
                written = wb[r.ref.sheet].cell(r.ref.row + 1, r.ref.col + 1).value
                assert written is not None or r.value is None, (name, r.key)  # None: a blank input
            else:
                assert book.timeline[r.key] == r.row, (name, r.key)
                assert r.values.shape == (book.n,)
            seen += 1
    assert seen > 300


def test_cached_values_are_the_engines_lines(sink):
    result, path, out = sink
    ln, summ = result.asset.lines, result.asset.summary
    same = np.testing.assert_array_equal
    time, dev, rd, asset = out["time"], out["dev"], out["rd"], out["asset"]
    same(time.t0.values, ln.t_start), same(time.t1.values, ln.t_end), same(time.tc.values, ln.t_cash)
    assert dev.loa.value == ln.loa[0] and dev.T.value == ln.approval_time[0]
    assert [c.value for c in dev.start] == list(ln.phase_start[0])
    assert [c.value for c in dev.p_start[1:]] == list(ln.prob_start[0, 1:])
    for j, row in enumerate(rd.by_phase):
        same(row.values, ln.rd_by_phase[0, j])
    same(rd.risked.values, ln.rd_risked[0]), same(rd.alive.values, ln.prob_alive[0])
    for m, t in enumerate(out["territories"]):
        assert t.launch.value == ln.launch_time[0, m] and t.exclusivity_end.value == ln.exclusivity_end[0, m]
        same(t.revenue.values, ln.revenue_by_territory[0, m])
        same(t.commercial.values, ln.commercial_by_territory[0, m])
    for row, line in ((asset.tax, ln.tax), (asset.fcf, ln.fcf), (asset.risked, ln.fcf_risked),
                      (asset.df, ln.discount_factor), (asset.pv, ln.pv_risked)):
        same(row.values, line[0])
    assert (asset.rnpv.value, asset.npv.value) == (summ["rnpv"], summ["npv_unrisked"])
    upd = result.pos.update
    p = out["pos"]
    assert (p.prior_loa.value, p.posterior_loa.value, p.bf_orr.value) == (upd.prior_loa, upd.posterior_loa,
                                                                         upd.bayes_factor_orr)
    # transportability: the probabilities and durations used are the posterior plan's
    assert out["pos_in"].transport_factor is not None and dev.probabilities.key == "pt"
    cached = openpyxl.load_workbook(path, data_only=True)[CALC]
    for j, ph in enumerate(result.asset.plan.phases):
        for key, want in ((f"pt{j}", ph.probability), (f"du{j}", ph.duration)):
            r = out["book"].scalars[key]
            assert cached.cell(r.row + 1, r.col + 1).value == want, key


def test_deal_cells_are_the_kernels_and_agree_with_the_valuation(sink):
    result, _, out = sink
    d, summ = out["deal"], result.deal.summary
    for key, cell in (("licensor_npv", d.npvs.licensor), ("licensee_npv", d.npvs.licensee),
                      ("pv_royalties_licensee", d.royalties["licensee"]),
                      ("pv_profit_share_licensor", d.share["licensor"]),
                      ("asset_rnpv_licensee_view", d.asset["licensee"]), ("headline_value", d.milestones.headline),
                      ("breakeven_upfront", d.npvs.breakeven_upfront)):
        assert cell.value == pytest.approx(summ[key], rel=1e-12, abs=1e-9), key
    assert out["parity"] and all(abs(w - p) <= 1e-9 * max(1.0, abs(p)) for w, p in out["parity"].values())


def test_milestone_formulas_come_from_the_trigger_registry(sink):
    result, path, out = sink
    book, dev, terr = out["book"], out["dev"], out["territories"]
    refs = ExcelRefs(start=lambda j: str(dev.start[j]), p_start=lambda j: str(dev.p_start[j]),
                     launch=lambda m: str(terr[m].launch), T=str(dev.T), loa=str(dev.loa))
    ws = openpyxl.load_workbook(path)[CALC]
    kinds = set()
    for p in out["deal"].milestones.payments:
        trig = p.inputs.payment.trigger
        t_tpl, _ = kind_of(trig).excel(trig, result.asset.plan, refs, p.inputs.key)
        cell = ws.cell(p.time.ref.row + 1, p.time.ref.col + 1)
        assert cell.value == book.expand(t_tpl, CALC), (p.inputs.payment.name, cell.value)
        kinds.add(trig.type)
    assert kinds == {"filing", "date", "phase_success", "sales", "phase_start", "approval"}
    # a sales trigger's helper rows, as the registry's formulas expect them
    sales = [p.inputs.key for p in out["deal"].milestones.payments if p.inputs.payment.trigger.type == "sales"]
    assert all(f"{k}_hit" in book.timeline and f"{k}_idx" in book.scalars for k in sales)


def test_the_pos_block_uses_the_readouts_the_valuation_recorded(tmp_path):
    """Readouts out of date order across two trials: the update uses the latest readout of each trial on or before
    the valuation date, in the order the valuation recorded (``result.pos.readouts[*]["index"]``)."""
    d = tomllib.loads((EXAMPLES / "esobiotec.toml").read_text())
    first = d["readouts"][0]
    earlier = {**copy.deepcopy(first), "date": dt.date(2024, 12, 1), "responders": 0}
    other = {**copy.deepcopy(first), "date": dt.date(2024, 10, 1), "trial": "second IIT", "n": 3, "responders": 2,
             "weight": 0.3}
    d["readouts"] = [earlier, first, other, d["readouts"][1]]
    result = iitvalue.value(iitvalue.TermSheet.from_dict(d))
    used = [r["index"] for r in result.pos.readouts]
    assert used == [2, 1]
    out = run_blocks(result, tmp_path / "readouts.xlsx")
    book = out["book"]
    # every readout has its rows; the flags say which the valuation uses, and the others weigh 0
    flags = [book.scalars[f"used_{i}"] for i in range(4)]
    cached = openpyxl.load_workbook(tmp_path / "readouts.xlsx", data_only=True)
    assert [cached[CALC].cell(f.row + 1, f.col + 1).value for f in flags] == [0, 1, 1, 0]
    weights = [cached[CALC].cell(book.scalars[f"w_{i}"].row + 1, 3).value for i in range(4)]
    assert weights == [0, 0.5, 0.3, 0]
    assert out["pos"].posterior_loa.value == result.pos.update.posterior_loa
    wb = openpyxl.load_workbook(tmp_path / "readouts.xlsx")
    ws = wb[INPUTS]
    shown = [cached[INPUTS].cell(r, 3).value for r in range(1, ws.max_row + 1)
             if ws.cell(r, 2).value == "(valuation.date, pos.readout)"]
    assert shown == ["no", "yes", "yes", "no"]
    own, w = out["pos_in"].readouts[2].weight.ref, book.scalars["w_2"]  # its own weight, not pos.iit_weight
    assert wb[CALC].cell(w.row + 1, w.col + 1).value == f"=$C${flags[2].row + 1}*Inputs!$C${own.row + 1}"
    # the flag of readout 2 (trial "second IIT") has no rival; readout 1 competes with 0 and 3 (same trial)
    f1 = wb[CALC].cell(flags[1].row + 1, 3).value
    d = {i: f"Inputs!$C${out['pos_in'].readouts[i].date.ref.row + 1}" for i in range(4)}
    assert f1 == (f"=IF(AND({d[1]}<=valuation_date,({d[0]}>{d[1]})*({d[0]}<=valuation_date)+"
                  f"({d[3]}>={d[1]})*({d[3]}<=valuation_date)=0),1,0)")
    assert wb[CALC].cell(flags[2].row + 1, 3).value == f"=IF({d[2]}<=valuation_date,1,0)"


def test_checks_and_outputs_list_what_the_workbook_holds(sink, tmp_path):
    result, _, out = sink
    rows = outputs.summary_rows(result, out["model"], out["deal"])
    names = [r.name for r in rows if r.name]
    assert names == list(outputs.OUTPUT_NAMES)
    sums = checks.sum_checks(result, out["model"], out["deal"])
    assert [c.label.split(" ")[0] for c in sums] == ["rNPV", "Total", "R&D", "LOA", "Posterior",
                                                          "Licensor"]
    assert all(c.left.value == pytest.approx(c.value, rel=1e-9, abs=1e-9) for c in sums)
    template = iitvalue.value(iitvalue.load(Path(iitvalue.__file__).parent / "templates" / "termsheet.toml"))
    plain = run_blocks(template, tmp_path / "template.xlsx")
    assert plain["pos"] is None and plain["deal"] is None
    assert [r.name for r in outputs.summary_rows(template, plain["model"], None) if r.name] == [
        "asset_rnpv", "asset_npv_unrisked"]
