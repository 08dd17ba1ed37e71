"""``import`` edits the original TOML in place (docs/excel.md, "Import"): without edits it returns the original
byte for byte, comments included; an edit changes that value only, with a comment noting it; edits that cannot be
imported are refused naming their cells, a cleared cell is an error, and every problem is reported at once."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

import openpyxl
import pytest
from conftest import COMPARABLES, EXAMPLES, ROOT

import iitvalue
from iitvalue.errors import InputError
from iitvalue.excel import import_edits, import_into, read_workbook, write_workbook
from iitvalue.excel.sources import toml_comments

ESO = EXAMPLES / "esobiotec.toml"
TEMPLATE = ROOT / "iitvalue" / "templates" / "termsheet.toml"


def export(src: Path, out: Path, **kw) -> Path:
    write_workbook(iitvalue.value(iitvalue.load(src)), out, toml=src, **kw)
    return out


def edit(book: Path, out: Path, changes: dict, cells: dict | None = None) -> Path:
    """Set Inputs cells by term-sheet key (and other cells by sheet!address)."""
    wb = openpyxl.load_workbook(book)
    ws = wb["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    for key, v in changes.items():
        ws.cell(rows[key], 3).value = v
    for where, v in (cells or {}).items():
        sheet, addr = where.split("!")
        wb[sheet][addr].value = v
    wb.save(out)
    return out


def changed_lines(a: str, b: str) -> list[str]:
    return [x for x in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if x[:1] in "+-" and not x.startswith(("+++", "---"))]


@pytest.mark.parametrize("src", [ESO, COMPARABLES / "legend.toml", TEMPLATE], ids=["esobiotec", "legend", "template"])
def test_untouched_round_trip_is_byte_for_byte(src, tmp_path):
    book = export(src, tmp_path / "m.xlsx")
    original = src.read_bytes()
    assert import_into(book).encode("utf-8") == original
    assert import_into(book, src).encode("utf-8") == original  # into the file itself: the same
    out = import_edits(book)
    assert out.changes == [] and out.sheet == iitvalue.load(src)
    assert sum(line.lstrip().startswith("#") for line in original.decode().splitlines()) > 5  # comments kept


def test_crlf_and_byte_order_mark_survive(tmp_path):
    src = tmp_path / "crlf.toml"
    src.write_bytes(b"\xef\xbb\xbf" + ESO.read_bytes().replace(b"\n", b"\r\n"))
    book = export(src, tmp_path / "m.xlsx")
    assert import_into(book).encode("utf-8") == src.read_bytes()


def test_an_edit_changes_that_value_with_a_comment(tmp_path):
    # the review's cost left out (its PDUFA-fee default, 4.31), so that an edit of it adds a key
    lines = ESO.read_text().splitlines(keepends=True)
    i = next(k for k, x in enumerate(lines) if x.startswith("cost = 25 "))
    src = tmp_path / "esobiotec.toml"
    src.write_text("".join(lines[:i] + lines[i + 2:]))
    book = export(src, tmp_path / "m.xlsx")
    edited = edit(book, tmp_path / "e.xlsx", {"valuation.discount_rate": 0.12, "phases[1].duration": 2.5,
                                               "valuation.mid_period": 0, "readouts[1].responders": 3,
                                               "phases[3].cost": 5.0, "deal.pools[0].shares[0]": 0.25,
                                               "deal.pools[0].shares[1]": 0.75})
    out = import_edits(edited)
    original = src.read_text()
    diff = changed_lines(original, out.text)
    removed = [x for x in diff if x.startswith("-")]
    added = [x for x in diff if x.startswith("+")]
    assert len(removed) == 4 and len(added) == 6, diff  # four lines edited, two keys added
    assert any(x.startswith("+discount_rate = 0.12 ") and "large-buyer cost of capital" in x and
               "[edited in Excel, Inputs!C" in x and "was 0.1]" in x for x in added), added
    keys = {x.split("=")[0][1:]: x for x in removed}
    assert all(x.index("#") == keys[x.split("=")[0][1:]].index("#") for x in added if x.split("=")[0][1:] in keys)
    assert any(x.startswith("+mid_period = false ") and "was true" in x for x in added), added
    assert any(x.startswith("+responders = 3 ") and "ORR 4/4 [C]" in x for x in added), added  # an integer
    assert any(x.startswith("+cost = 5.0  # edited in Excel") and "was 4.31" in x for x in added), added
    assert any(x.startswith("+shares = [0.25, 0.75]") for x in added), added  # the equal split written out
    sheet = iitvalue.loads(out.text)
    want = iitvalue.load(src).replace({"valuation.discount_rate": 0.12, "phases[1].duration": 2.5,
                                       "valuation.mid_period": False, "readouts[1].responders": 3,
                                       "phases[3].cost": 5.0, "deal.pools[0].shares": [0.25, 0.75]})
    assert sheet == want == out.sheet
    assert {c["key"] for c in out.changes} >= {"valuation.discount_rate", "phases[3].cost"}
    # read_workbook gives the same term sheet and changes
    again, changes = read_workbook(edited)
    assert again == sheet and changes == out.changes
    # the comments of every other line are still there
    before, after = toml_comments(original), toml_comments(out.text)
    assert all(after[k].startswith(v) for k, v in before.items())


def test_refused_edits_are_all_reported_naming_their_cells(tmp_path):
    book = export(ESO, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["Inputs"]
    rows = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1)}
    curve = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "launch year y") + 2
    comp = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value).startswith("active / ORR"))
    bad = edit(book, tmp_path / "bad.xlsx",
               {"phases[0].probability": 1.5, "asset.modality": "antibody", "valuation.tax_rate": None,
                "phases[0].name": "Renamed"},
               {f"Inputs!C{curve}": 0.5, f"Inputs!D{comp}": 99.0, "Scenarios!D8": 0.2})
    with pytest.raises(InputError) as err:
        import_into(bad)
    text = str(err.value)
    for where, why in ((f"Inputs!C{curve}", "no term-sheet key"), (f"Inputs!D{comp}", "no term-sheet key"),
                       ("Scenarios!D8", "no term-sheet key"), (f"Inputs!C{rows['asset.modality']}", "locked"),
                       (f"Inputs!C{rows['phases[0].name']}", "locked"),
                       (f"Inputs!C{rows['valuation.tax_rate']} (valuation.tax_rate)", "is empty"),
                       (f"Inputs!C{rows['phases[0].probability']} (phases[0].probability)", "<= 1")):
        assert where in text and why in text, (where, why, text)
    assert len(err.value.problems) == 7


def test_overrides_at_export_are_written_into_the_kept_text(tmp_path):
    res = iitvalue.value(iitvalue.load(ESO, overrides={"valuation.discount_rate": 0.12}))
    book = tmp_path / "m.xlsx"
    write_workbook(res, book, toml=ESO, overrides={"valuation.discount_rate": 0.12})
    text = import_into(book)
    assert changed_lines(ESO.read_text(), text) == [
        ("-discount_rate = 0.10         # large-buyer cost of capital, ~10% (practitioner norm, benchmarks.md "
         "\"Discount rates\")"),
        ("+discount_rate = 0.12         # large-buyer cost of capital, ~10% (practitioner norm, benchmarks.md "
         "\"Discount rates\") [set at export (--set)]")]
    assert tomllib.loads(text)["valuation"]["discount_rate"] == 0.12


def test_inputs_carry_each_source_and_toml_comment(tmp_path):
    book = export(ESO, tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(book)["Inputs"]
    notes = {ws.cell(r, 2).value: ws.cell(r, 5).value for r in range(1, ws.max_row + 1)}
    assert notes["valuation.discount_rate"].startswith("term sheet | large-buyer cost of capital")
    assert "benchmarked on the CAR-T row of BIO 2011-2020" in notes["asset.modality"]  # the continued comment
    assert "change it in the term sheet" in notes["asset.modality"]
    assert "BIO/Informa/QLS 2011-2020" in notes["phases[0].probability"]  # a benchmark value keeps its source
    assert "ASSUMPTION: the US approval carries half" in notes["deal.pools[1].shares[0]"]
    assert "deal announced 2025-03-17 [C]" in notes["valuation.date"]
    carried = sum("|" in str(n) for n in notes.values())
    assert carried > 40, carried


def test_text_in_a_numeric_cell_of_the_hidden_sheet_is_a_clear_error(tmp_path):
    """The hidden sheet's map holds each input's row and column; text typed there is refused (exit 2), not a crash."""
    import subprocess
    import sys

    import openpyxl

    book = tmp_path / "l.xlsx"
    subprocess.run([sys.executable, "-m", "iitvalue", "export", str(COMPARABLES / "legend.toml"), "-o", str(book)],
                   check=True, capture_output=True)
    wb = openpyxl.load_workbook(book)
    ws = wb["iitvalue"]
    cell = next(c for row in ws.iter_rows(min_row=2, max_row=40) for c in row[3:]
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool))
    cell.value = "garbage"
    wb.save(book)
    res = subprocess.run([sys.executable, "-m", "iitvalue", "import", str(book), "-o", str(tmp_path / "x.toml")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "hidden iitvalue sheet" in res.stderr and "Traceback" not in res.stderr


def test_a_line_longer_than_an_excel_cell_is_refused_on_export(tmp_path):
    """A TOML line over 32,767 characters could not come back from the workbook: export refuses it (exit 2)."""
    import subprocess
    import sys

    text = (COMPARABLES / "legend.toml").read_text(encoding="utf-8") + "\n# " + "x" * 40_000 + "\n"
    sheet = tmp_path / "long.toml"
    sheet.write_text(text, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "iitvalue", "export", str(sheet), "-o", str(tmp_path / "l.xlsx")],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and "32,767" in res.stderr and not (tmp_path / "l.xlsx").exists()
