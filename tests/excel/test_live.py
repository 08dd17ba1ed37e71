"""The workbook's inputs are live and its checks can fail (docs/excel.md, "Scenarios", "Checks", "Layout and
print"), shown by LibreOffice: EsoBiotec's workbook is edited with openpyxl (the valuation date moved past the
July readout, a scenario chosen, inconsistent inputs, locked cells changed), all the edited files are
recalculated in one LibreOffice call, and each must agree with iitvalue valuing the same change, or show the
check that the edit breaks; meanwhile a second LibreOffice renders the workbook to PDF, where Outputs and the
Cover are one page each with no text under 7 points."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from test_book import _RECALC_ON_LOAD, JSON_KEY, _soffice, close, named, recalc

import iitvalue
from iitvalue.cli import main
from iitvalue.excel import write_workbook

ESO = EXAMPLES / "esobiotec.toml"
AFTER_JULY = dt.date(2025, 8, 1)  # after the Lancet readout of 2025-07-02


def set_inputs(path: Path, out: Path, changes: dict, scenario: str | None = None) -> Path:
    """Write ``changes`` (term-sheet key -> value) into the Inputs cells of an exported workbook."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    cells = {row[0].value: ws.cell(row[0].row, 3) for row in ws.iter_rows(min_col=2, max_col=2)}
    for key, v in changes.items():
        cells[key].value = v
    if scenario is not None:
        wb["Scenarios"]["C4"].value = scenario
    wb.save(out)
    return out


# the edits that break one check each: term-sheet key -> value, and the label of the check that must fail
BREAKS = {
    "responders": ({"readouts[1].responders": 5}, "Readout 2: responders <= n"),
    "complete": ({"readouts[1].responders": 1}, "Readout 2: complete responses <= responders"),
    "duration": ({"phases[0].duration": 0}, "Phase 1: duration > 0"),
    "shares": ({"deal.pools[1].shares[0]": 0.6}, "Pool 2: shares >= 0 and summing to 1"),
    "closing": ({"deal.closing": dt.datetime(2025, 3, 1)}, "Closing on or after the deal date"),
    "horizon": ({"valuation.horizon_years": 30}, "Horizon"),
    "years_to_peak": ({"territories[0].years_to_peak": 4}, "US: years to peak"),
}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """EsoBiotec exported with its TOML, the edited copies, their LibreOffice recalculation (one call) and the
    PDF of the unedited workbook (a second LibreOffice, run at the same time)."""
    exe = _soffice()
    tmp = tmp_path_factory.mktemp("live")
    base = tmp / "eso.xlsx"
    write_workbook(iitvalue.value(iitvalue.load(ESO)), base, toml=ESO)
    pdf = _start_pdf(exe, base, tmp)
    sheet = iitvalue.load(ESO)
    bear, bull = (sc for sc in sheet.scenarios)
    files = {"date": set_inputs(base, tmp / "date.xlsx", {"valuation.date": dt.datetime(2025, 8, 1)}),
             "bear": set_inputs(base, tmp / "bear.xlsx", {}, "bear"),
             "bull+upfront": set_inputs(base, tmp / "bull.xlsx", {"deal.upfront": 300}, "bull")}
    for name, (edit, _) in BREAKS.items():
        files[name] = set_inputs(base, tmp / f"break-{name}.xlsx", edit)
    conv = recalc(list(files.values()), tmp)
    pdf.wait(timeout=300)
    return {"sheet": sheet, "base": base, "files": files, "conv": {k: conv[p] for k, p in files.items()},
            "pdf": tmp / "pdf" / "eso.pdf", "bear": dict(bear.set), "bull": dict(bull.set)}


def _start_pdf(exe: str, path: Path, tmp: Path) -> subprocess.Popen:
    profile = tmp / "lo-profile-pdf"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ON_LOAD)
    return subprocess.Popen([exe, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
                             "--outdir", str(tmp / "pdf"), str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _cli_value(*sets: str) -> dict:
    """``iitvalue value examples/esobiotec.toml --set ... --format json``, as the brief compares."""
    args = ["value", str(ESO), "--format", "json"]
    for s in sets:
        args += ["--set", s]
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _flat(doc: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_valuation_date_selects_the_readouts_live(live):
    """Moving the valuation date past the July readout moves the workbook to it, as `iitvalue value --set
    valuation.date=...` does (rNPV 242.45 on the January readout)."""
    got = named(live["conv"]["date"])
    want = _flat(_cli_value(f"valuation.date={AFTER_JULY.isoformat()}"))
    assert set(got) == set(JSON_KEY)
    for n, v in got.items():
        assert close(v, float(want[JSON_KEY[n]])), (n, v, want[JSON_KEY[n]])
    assert not close(got["asset_rnpv"], 242.4508, 1e-3) and got["pos_posterior_loa"] > 0.2
    wb = openpyxl.load_workbook(live["conv"]["date"], data_only=True)
    ws = wb["Inputs"]
    used = [ws.cell(r, 3).value for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "(valuation.date, pos.readout)"]
    assert used == ["no", "yes"]
    assert wb["Checks"]["B3"].value == "OK" and wb["Checks"]["B4"].value == "DIFFERS"  # consistent, but moved


@pytest.mark.parametrize("name", ["bear", "bull+upfront"])
def test_scenario_switch_agrees_with_set(live, name):
    """Choosing a scenario in the dropdown recalculates the model as `iitvalue value --set` values it (with a
    live edit of another input on top for bull)."""
    changes = dict(live[name.split("+")[0]])
    if name == "bull+upfront":
        changes["deal.upfront"] = 300.0
    got = named(live["conv"][name])
    want = iitvalue.value(live["sheet"].replace(changes)).summary
    cli = _flat(_cli_value(*(f"{k}={v}" for k, v in changes.items())))
    for n, v in got.items():
        assert close(v, float(want[JSON_KEY[n]])) and close(v, float(cli[JSON_KEY[n]])), (name, n, v)
    base = iitvalue.value(live["sheet"]).summary
    assert not close(got["asset_rnpv"], float(base["asset.rnpv"]), 1e-3)
    wb = openpyxl.load_workbook(live["conv"][name], data_only=True)
    assert wb["Outputs"]["E3"].value == name.split("+")[0] and wb["Checks"]["B3"].value == "OK"
    # the licensee's IRR and payback are live: they move with the scenario and the upfront
    before = openpyxl.load_workbook(live["base"], data_only=True)["Outputs"]
    row = {wb["Outputs"].cell(r, 1).value: r for r in range(1, 40)}
    for label in ("Licensee IRR (live, period cash flows)", "Licensee payback (years)"):
        now, was = wb["Outputs"].cell(row[label], 2).value, before.cell(row[label], 2).value
        assert isinstance(now, float) and not close(now, was, 1e-6), (label, now, was)
    irr = wb["Outputs"].cell(row["Licensee IRR (live, period cash flows)"], 2).value
    assert (irr > before.cell(row["Licensee IRR (live, period cash flows)"], 2).value) == (name != "bear")


def _flags(path: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(path, data_only=True)["Checks"]
    return {ws.cell(r, 1).value: ws.cell(r, 5).value for r in range(6, ws.max_row + 1)
            if ws.cell(r, 5).value in ("OK", "CHECK")}


@pytest.mark.parametrize("name", list(BREAKS))
def test_an_inconsistent_or_structural_edit_fails_its_check(live, name):
    """Each edit makes its own check say CHECK and the master check checks_ok fail; where the arithmetic still
    runs, every other check stays OK (the check is specific); the unedited workbook has no failing check."""
    _, label = BREAKS[name]
    flags = _flags(live["conv"][name])
    assert flags[label] == "CHECK", (name, label)
    wb = openpyxl.load_workbook(live["conv"][name], data_only=True)
    assert wb["Checks"]["B3"].value == "CHECK" and wb["Outputs"]["B3"].value == "CHECK"
    cover = {r[0].value: r[1].value for r in wb["Cover"].iter_rows(max_col=2)}
    assert cover["All checks"] == "CHECK"
    if name not in ("duration", "horizon", "years_to_peak"):  # these break the arithmetic or the layout too
        assert [k for k, v in flags.items() if v == "CHECK"] == [label], (name, flags)
    assert set(_flags(live["base"]).values()) == {"OK"}


# ---- print: one readable page ------------------------------------------------------------------------------
def _pdf_pages(pdf: Path) -> list[bytes]:
    """Each page's content stream, in page order (LibreOffice's PDF: plain objects, Flate streams)."""
    data = pdf.read_bytes()
    objs = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.DOTALL)}

    def kids(o: bytes):
        for k in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", o, re.DOTALL).group(1)):
            ko = objs[int(k)]
            yield from kids(ko) if re.search(rb"/Type\s*/Pages\b", ko) else [ko]

    top = next(o for o in objs.values() if re.search(rb"/Type\s*/Pages\b", o) and b"/Parent" not in o)
    out = []
    for page in kids(top):
        o = objs[int(re.search(rb"/Contents\s*(\d+) 0 R", page).group(1))]
        raw = re.search(rb"stream\r?\n(.*)\r?\nendstream", o, re.DOTALL).group(1)
        out.append(zlib.decompress(raw) if b"FlateDecode" in o else raw)
    return out


def text_sizes(stream: bytes) -> list[float]:
    """The size of every text run: Tf's size times the scale of the text matrix (Tm) in force."""
    sizes = []
    for block in re.findall(rb"BT(.*?)ET", stream, re.DOTALL):
        scale = 1.0
        for m in re.finditer(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) [-\d.]+ [-\d.]+ Tm|/\S+ ([\d.]+) Tf", block):
            if m.group(5) is None:
                a, b, c, d = map(float, m.groups()[:4])
                scale = abs(a * d - b * c) ** 0.5
            else:
                sizes.append(float(m.group(5)) * scale)
    return sizes


def test_outputs_and_cover_print_on_one_readable_page(live):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = live["pdf"]
    assert pdf.exists()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    streams = _pdf_pages(pdf)
    assert len(streams) >= len([p for p in pages if p.strip()])
    for sheet in ("Outputs", "Cover"):
        where = [i for i, p in enumerate(pages) if f"iitvalue - {sheet}" in p]
        assert len(where) == 1, (sheet, where)  # one page
        sizes = text_sizes(streams[where[0]])
        assert sizes and min(sizes) >= 7.0, (sheet, min(sizes))
        assert _unit_cm(streams[where[0]])  # no scaling outside the text matrices
    outputs = next(p for p in pages if "iitvalue - Outputs" in p)
    for words in ("Value by party", "Bridge", "Payments", "Licensee IRR", "All checks"):
        assert words in outputs, words


def _unit_cm(stream: bytes) -> bool:
    """Every cm operator on the page only translates (so Tf x Tm is the printed size)."""
    return all(abs(float(a) - 1) < 1e-6 and abs(float(d) - 1) < 1e-6 and float(b) == 0 and float(c) == 0
               for a, b, c, d in re.findall(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) [-\d.]+ [-\d.]+ cm", stream))
