"""What a banker's review of the file checks without recalculating it (docs/excel.md): valid OOXML formulas,
protection with the inputs unlocked, the very hidden sheet, document properties, number formats, data
validation of inconsistent inputs, conditional formats only on checks, the master check, timeline flags and
grouped rows, the live IRR, the print set-up, and the sensitivity tables' centre and LOA axis against iitvalue."""

from __future__ import annotations

import re
import tomllib
import zipfile

import openpyxl
import pytest
from conftest import EXAMPLES
from openpyxl.utils.cell import range_boundaries
from test_book import close, sheets

import iitvalue
from iitvalue.excel import write_workbook

ESO = EXAMPLES / "esobiotec.toml"


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Each shipped sheet and the kitchen sink, exported (EsoBiotec with its TOML)."""
    tmp = tmp_path_factory.mktemp("structure")
    out = {}
    for name, sheet in sheets().items():
        res = iitvalue.value(sheet)
        write_workbook(res, tmp / f"{name}.xlsx", toml=ESO if name == "esobiotec" else None)
        out[name] = (res, tmp / f"{name}.xlsx")
    return out


def xml_parts(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_every_stored_formula_is_valid_ooxml(books):
    """OOXML stores a formula without its '=': a test over every sheet's XML (and the charts' references)."""
    for name, (_, path) in books.items():
        parts = xml_parts(path)
        sheets_xml = [n for n in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert len(sheets_xml) >= 7
        n_formulas = 0
        for n in sheets_xml:
            formulas = re.findall(r"<f(?:\s[^>]*)?>([^<]*)</f>", parts[n])
            bad = [f for f in formulas if f.startswith("=")]
            assert not bad, (name, n, bad[:3])
            n_formulas += len(formulas)
        assert n_formulas > 1000, (name, n_formulas)
        for n in parts:
            if n.startswith("xl/charts/"):
                assert not re.findall(r"<c:f>=", parts[n]), (name, n)
        assert "<definedName" in parts["xl/workbook.xml"]
        assert not re.search(r"<definedName[^>]*>=", parts["xl/workbook.xml"])


def test_protection_locks_all_but_the_inputs_and_the_source_sheet_is_very_hidden(books):
    _, path = books["esobiotec"]
    wb = openpyxl.load_workbook(path)
    assert wb["iitvalue"].sheet_state == "veryHidden"
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    ws = wb["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    for key in ("valuation.discount_rate", "phases[0].probability", "readouts[1].responders", "deal.upfront",
                "valuation.date", "readouts[1].date"):
        assert ws.cell(rows[key], 3).protection.locked is False, key
    for key in ("valuation.horizon_years", "asset.modality", "pos.model", "phases[0].name", "territories[0].name",
                "phases[0].kind", "territories[0].years_to_peak", "deal.licensee.name"):
        cell = ws.cell(rows[key], 3)
        assert cell.protection.locked is True, key
        assert "change it in the term sheet" in ws.cell(rows[key], 5).value, key
    assert wb["Calculations"]["E20"].protection.locked is True
    assert wb["Scenarios"]["C4"].protection.locked is False  # the scenario selector


def test_document_properties(books):
    parts = xml_parts(books["esobiotec"][1])
    core, app = parts["docProps/core.xml"], parts["docProps/app.xml"]
    assert "<dc:title>ESO-T01 at the AstraZeneca deal announcement: rNPV valuation</dc:title>" in core
    assert "<dc:creator>iitvalue</dc:creator>" in core and "<dc:subject>ESO-T01 (rrmm), valued at 2025-03-17" in core
    assert re.search(r"<dcterms:created[^>]*>\d{4}-\d\d-\d\dT", core)
    assert not re.search(r"<Company>[^<]+</Company>", app)  # company blank


def test_number_formats_and_labels(books):
    _, path = books["esobiotec"]
    wb = openpyxl.load_workbook(path)
    out = wb["Outputs"]
    labels = {out.cell(r, 1).value: out.cell(r, 2) for r in range(1, 40)}
    assert labels["Asset rNPV"].number_format == "#,##0.0;(#,##0.0)"
    assert labels["LOA, posterior (after the readouts)"].number_format == "0.0%"
    ws = wb["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(rows["valuation.discount_rate"], 3).number_format == "0.0%"
    assert ws.cell(rows["phases[0].cost"], 3).number_format == "#,##0.0;(#,##0.0)"
    assert ws.cell(rows["territories[0].treated_share"], 1).value == "US: treated share at peak"
    chk = wb["Checks"]
    assert "Asset rNPV" in [chk.cell(r, 1).value for r in range(1, chk.max_row + 1)]  # a label, key in column F


def test_inconsistent_inputs_are_validated(books):
    _, path = books["esobiotec"]
    ws = openpyxl.load_workbook(path)["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            _, r0, _, r1 = range_boundaries(rng)
            for r in range(r0, r1 + 1):
                rules[r] = dv
    resp, n = rows["readouts[1].responders"], rows["readouts[1].n"]
    assert rules[resp].type == "custom" and f"<=$C${n}" in rules[resp].formula1
    comp = rows["readouts[1].complete"]
    assert rules[comp].type == "custom" and f"<=$C${resp}" in rules[comp].formula1
    dur = rules[rows["phases[0].duration"]]
    assert (dur.type, dur.operator, float(dur.formula1)) == ("decimal", "greaterThan", 0.0)
    closing = rules[rows["deal.closing"]]
    assert closing.type == "custom" and f">=$C${rows['deal.date']}" in closing.formula1
    share = rules[rows["deal.pools[1].shares[0]"]]
    assert (share.type, float(share.formula1), float(share.formula2)) == ("decimal", 0.0, 1.0)


def test_conditional_formats_only_on_checks_and_a_master_check(books):
    _, path = books["esobiotec"]
    wb = openpyxl.load_workbook(path)
    assert {"checks_ok", "parity_ok", "scenario"} <= set(wb.defined_names)
    (sheet, ref), = wb.defined_names["checks_ok"].destinations
    assert (sheet, ref) == ("Checks", "$B$3")
    assert wb["Outputs"]["B3"].value == "=checks_ok" and wb["Cover"]
    ws = wb["Checks"]
    cached = openpyxl.load_workbook(path, data_only=True)["Checks"]
    n = 0
    for cf in ws.conditional_formatting:
        for rng in str(cf.sqref).split():
            c0, r0, c1, r1 = range_boundaries(rng)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    f = ws.cell(r, c).value
                    assert isinstance(f, str) and f.startswith("=") and '"OK"' in f, (rng, r, c, f)
                    assert cached.cell(r, c).value == "OK"
                    n += 1
    assert n > 60
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    for label in ("Phase 1: duration > 0", "Readout 2: responders <= n", "Pool 2: shares >= 0 and summing to 1",
                  "Closing on or after the deal date", "Horizon", "Outputs bridge = licensee NPV"):
        assert label in labels, label


def test_timeline_flags_grouped_rows_and_live_irr(books):
    res, path = books["esobiotec"]
    ws = openpyxl.load_workbook(path)["Calculations"]
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for label in ("Flag: in development (not yet approved at the midpoint)", "Flag: US on the market at the midpoint",
                  "Flag: US in exclusivity at the midpoint", "Licensee: risk-adjusted cash flow after the payments"):
        assert label in labels, label
    irr = ws.cell(labels["Licensee IRR (live): IRR() of the period cash flows, annualised"], 3).value
    assert irr.startswith("=IFERROR((1+IRR($E$") and "Calculations" not in irr
    assert ws.row_dimensions[labels["Flag: US on the market at the midpoint"]].outline_level == 1
    assert ws.row_dimensions[5].outline_level == 0  # the timeline header stays out of the groups
    cached = openpyxl.load_workbook(path, data_only=True)["Calculations"]
    assert abs(cached.cell(labels["Licensee IRR (live): IRR() of the period cash flows, annualised"], 3).value
               - res.deal.summary["licensee_irr"]) < 0.01  # payments in their period: close to the exact-time IRR


def test_print_setup(books):
    _, path = books["esobiotec"]
    wb = openpyxl.load_workbook(path)
    for name in ("Outputs", "Cover"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None)
        assert ws.page_setup.fitToHeight in (1, None) and ws.print_area
    assert {ws.page_setup.paperSize for ws in wb.worksheets if ws.sheet_state == "visible"} == {9}


def _no_pos_deal() -> iitvalue.TermSheet:
    """EsoBiotec without readouts: the LOA is the product of the phase probabilities."""
    d = tomllib.loads(ESO.read_text())
    for k in ("readouts", "pos", "uncertainty", "correlation", "scenarios"):
        d.pop(k, None)
    return iitvalue.TermSheet.from_dict(d)


def test_sensitivity_tables_centre_and_loa_axis_are_iitvalue(tmp_path):
    """The centre of each table is the base case; along the LOA (the last phase's probability moving) the asset
    rNPV and the break-even upfront equal iitvalue's values of that change."""
    sheet = _no_pos_deal()
    res = iitvalue.value(sheet)
    path = tmp_path / "nopos.xlsx"
    write_workbook(res, path)
    ws = openpyxl.load_workbook(path, data_only=True)["Sensitivity"]
    grid = [[ws.cell(r, c).value for c in range(1, 8)] for r in range(1, ws.max_row + 1)]
    heads = [i for i, row in enumerate(grid) if isinstance(row[0], str) and "\u2193" in row[0]]
    assert len(heads) == 3
    tables = [[row[1:7] for row in grid[h:h + 6]] for h in heads]  # header row then 5 rows: [axis, 5 cells]
    summ = res.summary
    assert close(tables[0][3][3], summ["asset.rnpv"]) and close(tables[1][3][3], summ["deal.licensee_npv"])
    assert close(tables[2][3][3], summ["deal.breakeven_upfront"])
    loa, p_last = summ["asset.loa"], sheet.phases[-1].probability or res.asset.plan.phases[-1].probability
    for i in (1, 2):  # LOA below the base (above, it would need the last probability > 1)
        x = tables[0][i][0]
        changed = iitvalue.value(sheet.replace({f"phases[{len(sheet.phases) - 1}].probability": p_last * x / loa}))
        assert close(tables[0][i][3], changed.summary["asset.rnpv"], 1e-9), (i, x)
        assert close(tables[2][i][3], changed.summary["deal.breakeven_upfront"], 1e-9), (i, x)
