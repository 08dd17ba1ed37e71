"""What loading refuses, each with its line (issue 18): non-finite and absurd numbers, long text, counts written
as floats, encodings, nesting, and the Bayesian update's inputs that used to fail only at valuation time."""

from __future__ import annotations

import pytest

import iitvalue
from iitvalue.errors import InputError
from iitvalue.termsheet import loads
from iitvalue.termsheet.vocabulary import MAX_NAME, MAX_PATIENTS, MAX_TEXT

from conftest import ROOT

TEMPLATE = (ROOT / "iitvalue" / "templates" / "termsheet.toml").read_text(encoding="utf-8")
READOUT = '\n[[readouts]]\ndate = 2024-06-01\nsource = "ASH 2024"\ndesign = "iit"\nn = 6\nresponders = 4\n'


def edited(old: str, new: str, text: str = TEMPLATE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(text: str) -> list:
    with pytest.raises(InputError) as exc:
        loads(text, source="s.toml")
    return exc.value.problems


def line_of(text: str, start: str) -> int:
    return next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith(start))


@pytest.mark.parametrize("token", ["inf", "-inf", "nan", "+nan", "1e308", "-1e308", "1e400", "1" + "0" * 400])
@pytest.mark.parametrize("line", ["discount_rate = 0.10", "horizon_years = 25", "cost = 25 ", "probability = 0.50",
                                  "patients = 30000", "net_price = 0.40", "peak_sales = 300", "sga_fixed = 0.0",
                                  "exclusivity_years = 12", "launch_cost = 10"])
def test_every_number_refuses_non_finite_and_absurd_values(line, token):
    key = line.split("=")[0].strip()
    text = edited(line, f"{key} = {token} ")
    found = [p for p in problems(text) if p.path.endswith(key)]
    assert found and found[0].line == line_of(text, f"{key} = {token}")


def test_money_bound_message_names_the_limit():
    p = problems(edited("peak_sales = 300", "peak_sales = 1e308"))[0]
    assert "1,000,000,000" in p.message and "Limits" in p.message


def test_inf_upfront_is_refused_at_load():
    deal = ('\n[deal]\nkind = "licence"\ndate = 2025-01-01\nupfront = inf\n[deal.licensor]\nname = "a"\n'
            'discount_rate = 0.1\n[deal.licensee]\nname = "b"\ndiscount_rate = 0.1\n')
    p = problems(TEMPLATE + deal)[0]
    assert p.path == "deal.upfront" and "finite" in p.message and p.line


@pytest.mark.parametrize("entry, field", [
    ('dist = "normal"\nmean = 0.1\nsd = nan', "sd"),
    ('dist = "normal"\nmean = 0.1\nsd = inf', "sd"),
    ('dist = "beta"\na = inf\nb = 2', "a"),
    ('dist = "discrete"\nvalues = [0.1, 0.12]\nweights = [nan, nan]', "weights"),
    ('dist = "normal"\nmean = 5.0\nsd = 0.1', "mean"),  # a mean the field cannot take
])
def test_uncertainty_parameters_fail_at_load(entry, field):
    path = "phases[0].probability" if "beta" in entry else "valuation.discount_rate"
    text = TEMPLATE + f'\n[[uncertainty]]\npath = "{path}"\n{entry}\n'
    found = [p for p in problems(text) if p.path.startswith(f"uncertainty[0].{field}")]
    assert found and found[0].line


def test_integer_written_as_float_says_so():
    text = TEMPLATE + READOUT.replace("n = 6", "n = 4.0")
    p = problems(text)[0]
    assert p.path == "readouts[0].n" and "write 4, not 4.0" in p.message


def test_huge_count_is_refused_not_an_overflow():
    p = problems(TEMPLATE + READOUT.replace("n = 6", "n = 1" + "0" * 400))[0]
    assert p.path == "readouts[0].n" and f"{MAX_PATIENTS:,}" in p.message and "digits" in p.message


@pytest.mark.parametrize("line, limit", [('name = "Asset X"', MAX_NAME), ('name = "Phase 1"', MAX_NAME),
                                         ('currency = "USD"', MAX_NAME)])
def test_names_are_bounded(line, limit):
    key = line.split("=")[0].strip()
    text = edited(line, f'{key} = "{"x" * (limit + 1)}"')
    p = problems(text)[0]
    assert f"at most {limit}" in p.message and p.line == line_of(text, f'{key} = "xxx')


def test_sources_are_bounded():
    text = TEMPLATE + READOUT.replace('"ASH 2024"', '"' + "s" * (MAX_TEXT + 1) + '"')
    assert f"at most {MAX_TEXT:,}" in problems(text)[0].message


def test_readout_choice_takes_a_toml_date():
    sheet = loads(TEMPLATE + READOUT + "\n[pos]\nreadout = 2024-12-01\n")
    assert sheet.pos.readout == "2024-12-01"
    quoted = loads(TEMPLATE + READOUT + '\n[pos]\nreadout = "2024-12-01"\n')
    assert iitvalue.value(sheet).summary["asset.rnpv"] == iitvalue.value(quoted).summary["asset.rnpv"]
    p = problems(TEMPLATE + READOUT + "\n[pos]\nreadout = 2026-01-01\n")[0]
    assert p.path == "pos.readout" and "after the valuation date" in p.message


def test_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes(b"\xef\xbb\xbf" + TEMPLATE.encode("utf-8"))
    assert iitvalue.load(f).asset.name == "Asset X"
    bad = edited("tax_rate = 0.21", "tax_rate = 2.1")
    f.write_bytes(b"\xef\xbb\xbf" + bad.encode("utf-8"))
    with pytest.raises(InputError) as exc:
        iitvalue.load(f)
    assert exc.value.problems[0].line == line_of(bad, "tax_rate")


def test_latin1_file_is_named_with_its_line(tmp_path):
    text = edited('name = "Asset X"', 'name = "Asset \u00e9"').replace("\u2014", "-")
    f = tmp_path / "latin.toml"
    f.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as exc:
        iitvalue.load(f)
    msg = str(exc.value)
    assert "not UTF-8" in msg and f"line {line_of(text, 'name = ' + chr(34) + 'Asset')}," in msg
    assert "byte offset" not in msg and "position" not in msg


def test_binary_file_and_folder(tmp_path):
    f = tmp_path / "bin.toml"
    f.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="not a text file"):
        iitvalue.load(f)
    with pytest.raises(InputError, match="is a folder"):
        iitvalue.load(tmp_path)


def test_deep_nesting_is_located():
    text = edited("cost_profile = [0.4, 0.6]", "cost_profile = " + "[" * 5000 + "]" * 5000)
    p = problems(text)[0]
    assert "nested" in p.message and p.line == line_of(text, "cost_profile")


# ---- the Bayesian update, checked at load time ------------------------------------------------------------------
def test_unknown_indication_is_located():
    text = edited('therapeutic_area = "haematologic-malignancies"', 'therapeutic_area = "rare-disease"',
                  edited('indication = "rrmm"', 'indication = "zzz"')) + READOUT
    p = problems(text)[0]
    assert p.path == "asset.indication" and "unknown indication 'zzz'" in p.message
    assert p.line == line_of(text, "indication")
    loads(edited('indication = "rrmm"', 'indication = "zzz"'))  # no readouts, no [pos]: no class model needed


def test_transportability_needs_a_filing_phase():
    text = TEMPLATE.replace('[[phases]]\nname = "Regulatory review"\nkind = "filing"\nduration = 1.0\n', "")
    text += "\n[pos.transportability]\nregulatory_factor = 0.9\n"
    p = problems(text)[0]
    assert p.path == "pos.transportability" and "filing" in p.message
    assert p.line == line_of(text, "[pos.transportability]")


def test_prior_loa_outside_the_class_model_is_located():
    text = TEMPLATE + READOUT + "\n[pos]\np_approval_active = 0.05\n"
    p = problems(text)[0]
    assert p.path == "pos.p_approval_active" and "prior LOA" in p.message
    assert p.line == line_of(text, "p_approval_active")
    loads(TEMPLATE + "\n[pos]\np_approval_active = 0.05\n")  # without readouts the update has nothing to do
    loads(TEMPLATE + READOUT + '\n[pos]\np_approval_active = 0.05\nreadout = "none"\n')


def test_prior_loa_benchmark_defaults_match_the_valuation():
    """The load-time prior LOA is the valuation's: a bound just above it passes, just below it fails."""
    sheet = loads(TEMPLATE + READOUT)
    prior = iitvalue.value(sheet).to_dict()["pos"]["prior_loa"]
    loads(TEMPLATE + READOUT + f"\n[pos]\np_approval_active = {prior * 1.001}\n")
    assert problems(TEMPLATE + READOUT + f"\n[pos]\np_approval_active = {prior * 0.999}\n")
