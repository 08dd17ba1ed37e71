"""The workbook of an asset with several indications (docs/excel.md, "Several indications"; docs/method.md 5):
exported as live formulas and recalculated by LibreOffice, it equals iitvalue's joint engine.

Two workbooks, one LibreOffice conversion: ``examples/legend.toml`` (two indications, a follow-on that
starts after the lead's phase 1b, rivals, a shared plant, a co-development deal with profit shares and pools)
and a two-indication licence written here (a follow-on that starts after the lead's approval, its own market,
milestones triggered by an event of a named indication and of a follow-on's phase, a worldwide sales milestone,
tiered royalties with step-down and term over the summed sales). Also: the cached values without LibreOffice,
the one-formula-per-row rule, the import round trip, and each refused combination.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from test_book import close, named, numeric_cells, recalc

import iitvalue
from iitvalue.cli import main
from iitvalue.errors import InputError
from iitvalue.excel import FIRST, import_into, write_workbook

TWO = """\
[valuation]
name = "Two-indication licence (test)"
date = 2024-01-01
currency = "USD"
discount_rate = 0.10
horizon_years = 20
period = "annual"
mid_period = true
tax_rate = 0.21
tax_loss_carryforward = true

[asset]
name = "TX-2"
modality = "car-t"
therapeutic_area = "haematologic-malignancies"
stage = "iit"

[pos]
iit_weight = 0.5

[costs]
cogs_fraction = 0.15
sga_fraction = 0.25
launch_cost = 20

[[indications]]
name = "Lead"
indication = "rrmm"

[[indications.phases]]
name = "Phase 1"
kind = "phase1"
duration = 1.5
cost = 30

[[indications.phases]]
name = "Phase 2"
kind = "phase2"
duration = 2.0
cost = 80

[[indications.phases]]
name = "BLA review"
kind = "filing"
duration = 1.0
cost = 5

[[indications.territories]]
name = "US"
peak_sales = 900
exclusivity_years = 12
erosion = 0.2

[[indications.territories]]
name = "EU"
launch_lag = 1.0
peak_sales = 400
exclusivity_years = 10
erosion = 0.2

[[indications.readouts]]
date = 2023-06-01
source = "test readout"
trial = "IIT-1"
design = "iit"
n = 10
responders = 8
complete = 4

[[indications]]
name = "Second line"
indication = "rrmm"
start = { after = "Lead", event = "approval", lag = 0.5 }

[[indications.phases]]
name = "Phase 3 (second line)"
kind = "phase3"
duration = 2.5
cost = 150
probability = 0.55

[[indications.phases]]
name = "sBLA review"
kind = "filing"
duration = 1.0
cost = 2
probability = 0.9

[[indications.territories]]
name = "US"
share_of_lead = 0.7

[[indications.territories]]
name = "Brazil"
peak_sales = 120
launch_lag = 0.5
exclusivity_years = 8
erosion = 0.1
cogs_fraction = 0.3

[deal]
kind = "licence"
date = 2024-01-01
upfront = 100
licensor_cost_share = 0.0

[deal.licensor]
name = "Biotech"
discount_rate = 0.15

[deal.licensee]
name = "Pharma"
discount_rate = 0.09

[[deal.milestones]]
name = "Second-line approval in the US"
amount = 60
category = "regulatory"
trigger = { type = "approval", territory = "US", indication = "Second line" }

[[deal.milestones]]
name = "Second-line phase 3 success"
amount = 25
category = "development"
trigger = { type = "phase_success", phase = "Phase 3 (second line)" }

[[deal.milestones]]
name = "Lead phase 2 start"
amount = 15
category = "development"
trigger = { type = "phase_start", phase = "Phase 2" }

[[deal.milestones]]
name = "Sales of 1,000"
amount = 50
category = "sales"
trigger = { type = "sales", threshold = 1000 }

[[deal.royalties]]
territories = ["US", "EU", "Brazil"]
step_down = 0.5
term_years = 10
tiers = [{ above = 0, rate = 0.08 }, { above = 500, rate = 0.12 }, { above = 1000, rate = 0.15 }]
"""

NAMES = ("asset_rnpv", "asset_npv_unrisked", "pos_prior_loa", "pos_posterior_loa", "deal_licensor_npv",
         "deal_licensee_npv")
JSON = {"asset_rnpv": "asset.rnpv", "asset_npv_unrisked": "asset.npv_unrisked", "pos_prior_loa": "pos.prior_loa",
        "pos_posterior_loa": "pos.posterior_loa", "deal_licensor_npv": "deal.licensor_npv",
        "deal_licensee_npv": "deal.licensee_npv"}


def python_values(res) -> dict[str, float]:
    """iitvalue's results under the JSON keys of the Checks parity rows (indications[k].* included)."""
    out = {k: float(v) for k, v in res.summary.items()}
    for k, row in enumerate(res.asset.indications):
        for f in ("rnpv", "loa", "peak_sales", "p_start", "p_approved"):
            out[f"indications[{k}].{f}"] = float(row[f])
    return out


def parity_rows(path: Path) -> dict[str, float]:
    """{JSON key: workbook value} of the Checks parity rows (column F the key, column B the value)."""
    ws = openpyxl.load_workbook(path, data_only=True)["Checks"]
    return {r[5]: r[1] for r in ws.iter_rows(values_only=True) if isinstance(r[5], str) and "." in r[5]}


@pytest.fixture(scope="module")
def joint_exported(tmp_path_factory):
    """The two sheets valued and exported with their TOML: {name: (result, path, text)}."""
    tmp = tmp_path_factory.mktemp("joint")
    two = tmp / "two.toml"
    two.write_text(TWO)
    out = {}
    for name, src in (("legend", EXAMPLES / "legend.toml"), ("two", two)):
        res = iitvalue.value(src)
        path = tmp / f"{name}.xlsx"
        write_workbook(res, path, toml=src)
        out[name] = (res, path, src.read_text())
    return out


# live edits of the legend workbook (none of them moves a follow-on's calibration, the one value from export)
EDITS = {"territories[1].peak_sales": 1200.0, "valuation.discount_rate": 0.1,
         "indications[1].territories[0].share_of_lead": 0.6, "deal.upfront": 300.0,
         "indications[1].phases[0].cost": 250.0}


@pytest.fixture(scope="module")
def joint_recalculated(joint_exported, tmp_path_factory):
    """Both workbooks and an edited copy of the legend example (EDITS typed into Inputs) recalculated by LibreOffice in
    one conversion."""
    tmp = tmp_path_factory.mktemp("joint-lo")
    wb = openpyxl.load_workbook(joint_exported["legend"][1])
    ws = wb["Inputs"]
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 2).value in EDITS:
            ws.cell(r, 3).value = EDITS[ws.cell(r, 2).value]
    live = tmp / "live.xlsx"
    wb.save(live)
    files = [p for _, p, _ in joint_exported.values()] + [live]
    conv = recalc(files, tmp)
    out = {name: conv[p] for name, (_, p, _) in joint_exported.items()}
    out["live"] = conv[live]
    return out


def test_libreoffice_live_edits_equal_python(joint_recalculated):
    """Five inputs edited in the legend workbook (a lead's peak, the discount rate, a follow-on's share of
    the lead and phase cost, the upfront): the recalculated named outputs equal ``sheet.replace`` valued."""
    res = iitvalue.value(iitvalue.load(EXAMPLES / "legend.toml").replace(EDITS))
    got = named(joint_recalculated["live"])
    assert set(got) == set(NAMES)
    for n, v in got.items():
        assert close(v, float(res.summary[JSON[n]])), (n, v, res.summary[JSON[n]])
    assert abs(got["asset_rnpv"] - 1060.7) > 100  # the edits move it


def _assert_parity(res, path: Path) -> None:
    py = python_values(res)
    got = named(path)
    assert set(got) == set(NAMES)
    for n, v in got.items():
        assert close(v, py[JSON[n]]), (n, v, py[JSON[n]])
    rows = parity_rows(path)
    for key in ("asset.rnpv", "asset.loa", "asset.peak_sales", "deal.licensor_npv", "deal.licensee_npv",
                "deal.pv_royalties_licensor", "deal.pv_milestones_licensee", "deal.pv_profit_share_licensee"):
        assert key in rows, key
    for k in range(2):
        for f in ("rnpv", "loa", "peak_sales"):
            assert f"indications[{k}].{f}" in rows
    for key, v in rows.items():
        assert close(v, py[key]), (key, v, py[key])


@pytest.mark.parametrize("name", ["legend", "two"])
def test_cached_values_equal_python(name, joint_exported):
    """Without recalculation (what a viewer shows): the named outputs and every parity row are iitvalue's."""
    res, path, _ = joint_exported[name]
    _assert_parity(res, path)


@pytest.mark.parametrize("name", ["legend", "two"])
def test_libreoffice_recalculation_matches_python(name, joint_exported, joint_recalculated):
    """Recalculated by LibreOffice: the named outputs, each indication's rNPV / LOA / peak sales and the party
    NPVs equal iitvalue's (1e-9 relative), every numeric cell equals its cached value, Checks shows only OK."""
    res, path, _ = joint_exported[name]
    fresh = joint_recalculated[name]
    _assert_parity(res, fresh)
    if name == "legend":  # docs/method.md 5.6
        got, rows = named(fresh), parity_rows(fresh)
        assert abs(got["asset_rnpv"] - 1060.7) < 0.05
        assert abs(got["deal_licensee_npv"] - (-268.9)) < 0.05
        assert abs(rows["indications[0].p_approved"] - 0.397) < 5e-4
        assert abs(rows["indications[1].p_approved"] - 0.690) < 5e-4
    cached, new = numeric_cells(path), numeric_cells(fresh)
    assert len(cached) > 3000
    diffs = [(k, v, new.get(k)) for k, v in cached.items() if not (isinstance(new.get(k), float) and close(new[k], v))]
    assert not diffs, diffs[:10]
    wb = openpyxl.load_workbook(fresh, data_only=True)
    flags = [c.value for c in wb["Checks"]["E"] if c.value in ("OK", "CHECK", "DIFFERS")]
    assert flags and set(flags) == {"OK"}
    assert wb["Checks"]["B3"].value == "OK" and wb["Checks"]["B4"].value == "OK"


def test_layout_one_formula_per_row_and_blocks(joint_exported):
    """Every Calculations timeline row holds one R1C1 formula; one block per indication and per joint outcome."""
    from openpyxl.formula.translate import Translator

    res, path, _ = joint_exported["legend"]
    ws = openpyxl.load_workbook(path)["Calculations"]
    labels = [ws.cell(r, 1).value or "" for r in range(1, ws.max_row + 1)]
    n_out = res.asset.joint.n_outcomes
    assert sum(x.startswith("Outcome ") and x.endswith("(docs/method.md 5.3)") for x in labels) == n_out
    assert any(x.startswith("Indication 2: RRMM 2L-3L, shared class") for x in labels)
    first = FIRST + 1
    for r in range(1, ws.max_row + 1):
        f0 = ws.cell(r, first).value
        if not (isinstance(f0, str) and f0.startswith("=")):
            continue
        for c in range(first + 1, first + res.asset.plan.n_periods):
            cell = ws.cell(r, c)
            assert Translator(cell.value, origin=cell.coordinate).translate_formula(ws.cell(r, first).coordinate) == f0


def test_no_constants_inside_calculation_formulas(joint_exported):
    """Calculations formulas hold no number but 0 and 1 (the constants are cells on Inputs or Calculations)."""
    from openpyxl.formula.tokenizer import Tokenizer

    for name, (_, path, _) in joint_exported.items():
        for row in openpyxl.load_workbook(path)["Calculations"].iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    nums = {t.value for t in Tokenizer(c.value).items if t.type == "OPERAND" and t.subtype == "NUMBER"}
                    assert nums <= {"0", "1"}, (name, c.coordinate, c.value)


def test_import_round_trip(joint_exported, tmp_path):
    """The kept TOML comes back byte for byte; an edit of a follow-on's share of the lead lands on its line."""
    res, path, text = joint_exported["legend"]
    assert import_into(path) == text
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "indications[1].territories[0].share_of_lead")
    ws.cell(row, 3).value = 0.6
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    new = import_into(edited)
    assert new != text
    sheet = iitvalue.loads(new)
    assert sheet.indications[1].territories[0].share_of_lead == 0.6


@pytest.mark.parametrize("extra, field", [
    ('\n[[scenarios]]\nname = "bear"\nset = { "valuation.discount_rate" = 0.12 }\n', "scenarios"),
    ('\n[[indications.readouts]]\ndate = 2023-07-01\nsource = "x"\ntrial = "F"\ndesign = "iit"\nn = 5\n'
     'responders = 3\n', "indications[1].readouts"),
])
def test_refused_combinations(extra, field, tmp_path):
    """What the several-indication workbook cannot show live is refused, naming the field; exit 2 from the CLI."""
    # the readouts must follow the second indication's tables: append them after its territories
    text = TWO.replace("\n[deal]\n", extra + "\n[deal]\n") if field.startswith("indications") else TWO + extra
    src = tmp_path / "bad.toml"
    src.write_text(text)
    res = iitvalue.value(src)
    with pytest.raises(InputError) as err:
        write_workbook(res, tmp_path / "bad.xlsx", toml=src)
    assert field in str(err.value)
    run = CliRunner().invoke(main, ["export", str(src), "-o", str(tmp_path / "bad2.xlsx")])
    assert run.exit_code == 2, run.output
    assert field in run.output
