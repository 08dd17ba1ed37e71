"""Monte Carlo, sensitivity and scenarios: identities against the deterministic engine, hand-computed cases,
sampling moments against closed forms, reproducibility across chunk sizes, and clean CLI errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats as sps

import iitvalue
from iitvalue import montecarlo as mc
from iitvalue.montecarlo.draws import draw_block, path_probabilities
from iitvalue.montecarlo.setup import prepare
from iitvalue.model import reference
from iitvalue.cli import main
from iitvalue.termsheet import TermSheet

from conftest import EXAMPLES, base_dict

D0 = dt.date(2025, 1, 1)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def two_phase(**extra) -> dict:
    """P1: 1 year, cost 10, p = 0.5; Review: 1 year, cost 2, p = 0.8 -> approval at t = 2, LOA = 0.4; 100 a year of
    sales from t = 2 to the 10-year horizon; no costs, no tax, 10 %, end-of-year discounting."""
    d = base_dict()
    d["asset"]["stage"] = "phase1"
    d["phases"] = [{"name": "P1", "kind": "phase1", "duration": 1.0, "cost": 10.0, "probability": 0.5},
                   {"name": "Review", "kind": "filing", "duration": 1.0, "cost": 2.0, "probability": 0.8}]
    d.update(extra)
    return d


def sheet_of(d: dict) -> TermSheet:
    return TermSheet.from_dict(copy.deepcopy(d))


# ---- the identity: mean = deterministic rNPV when only phase outcomes are random -------------------------------
def test_realised_values_and_mean_by_hand():
    """Outcomes of the two-phase case, by hand:
    fails in P1 (P = 0.5): -10/1.1 = -9.090909;  fails in review (P = 0.1): -9.090909 - 2/1.21 = -10.743802;
    approved (P = 0.4): -10.743802 + sum_{k=2..9} 100/1.1^(k+1) = 430.159190.
    rNPV = 0.5 (-9.090909) + 0.1 (-10.743802) + 0.4 (430.159190) = 166.443841."""
    s = sheet_of(two_phase())
    assert iitvalue.value(s).asset.summary["rnpv"] == pytest.approx(166.443841, abs=1e-6)
    sim = mc.simulate(s, 40_000, seed=11)
    assert sorted(np.unique(np.round(sim.asset, 6))) == pytest.approx([-10.743802, -9.090909, 430.159190], abs=1e-6)
    summ = sim.summary()
    assert summ["mc.deterministic_rnpv"] == pytest.approx(166.443841, abs=1e-6)
    # within 4 standard errors (sd = 211.6 here, so SE about 1.06 at 40,000 paths)
    assert abs(summ["mc.mean"] - 166.443841) < 4 * summ["mc.std_error"]
    shares = {r["outcome"]: r["share"] for r in sim.outcomes()}
    assert shares["approved"] == pytest.approx(0.4, abs=0.01)
    assert shares["fails in P1"] == pytest.approx(0.5, abs=0.01)


def test_conditional_expectation_equals_rnpv_exactly(esobiotec_path):
    """No distributions: E[NPV | inputs] on every path is the deterministic rNPV (posterior plan, tax carried
    forward, four territories) to rounding; the simulated mean agrees within 4 standard errors."""
    s = iitvalue.load(esobiotec_path)
    s = s.replace(uncertainty=[], correlation=None, scenarios=[])
    det = iitvalue.value(s)
    sim = mc.simulate(s, 30_000, seed=5, engine="general")
    assert np.allclose(sim.conditional, det.asset.summary["rnpv"], rtol=1e-12, atol=1e-9)
    summ = sim.summary()
    assert abs(summ["mc.mean"] - det.asset.summary["rnpv"]) < 4 * summ["mc.std_error"]
    # each party too: E[realised NPV | inputs] = the deterministic deal valuation (both at their own rates)
    for role in ("licensor", "licensee"):
        assert summ[f"mc.{role}.mean_conditional"] == pytest.approx(det.deal.summary[f"{role}_npv"], abs=1e-8)
        assert abs(summ[f"mc.{role}.mean"] - det.deal.summary[f"{role}_npv"]) < 4 * summ[f"mc.{role}.std_error"]


# ---- per-party outcomes ---------------------------------------------------------------------------------------
def rich_deal(rate_lic: float = 0.10, rate_lee: float = 0.10) -> dict:
    """Every trigger type, tiered royalties with a step-down and term, a profit share and a cost share."""
    ms = lambda name, amount, **t: {"name": name, "amount": amount, "category": "development", "trigger": t}  # noqa: E731
    d = two_phase()
    d["valuation"]["tax_rate"] = 0.2
    d["territories"].append({"name": "EU", "peak_sales": 60.0, "ramp": [0.5], "exclusivity_years": 3.0,
                             "launch_lag": 1.0})
    d["deal"] = {
        "kind": "licence", "date": dt.date(2025, 7, 1), "upfront": 20.0, "licensor_cost_share": 0.3,
        "licensor": {"name": "L", "discount_rate": rate_lic}, "licensee": {"name": "B", "discount_rate": rate_lee},
        "milestones": [ms("start", 5, type="phase_start", phase="Review"), ms("succ", 7, type="phase_success", phase="P1"),
                       ms("file", 3, type="filing", territory="EU"), ms("appr", 30, type="approval", territory="US"),
                       ms("sales", 40, type="sales", threshold=120.0), ms("fixed", 2, type="date", date=dt.date(2026, 1, 1))],
        "royalties": [{"territories": ["US", "EU"], "tiers": [{"above": 0.0, "rate": 0.05}, {"above": 120.0, "rate": 0.10}],
                       "step_down": 0.5, "term_years": 6.0}],
        "profit_shares": [{"territories": ["EU"], "licensor_share": 0.4}],
    }
    d["uncertainty"] = [{"path": "territories[0].peak_sales", "dist": "lognormal", "mean": 100.0, "sd": 30.0},
                        {"path": "phases[0].cost", "dist": "triangular", "low": 5.0, "mode": 10.0, "high": 20.0}]
    return d


def test_party_sum_identity_per_path_at_a_common_rate():
    """At one common rate licensor + licensee = asset realised NPV on every path (sales milestones, royalty tiers
    and profit shares evaluated on each path's own drawn sales)."""
    s = sheet_of(rich_deal(0.10, 0.10))
    sim = mc.simulate(s, 8192, seed=2)
    assert np.allclose(sim.licensor + sim.licensee, sim.asset, rtol=0, atol=1e-9)
    assert sim.licensor.std() > 0 and len(np.unique(np.round(sim.asset, 6))) > 100  # inputs really vary


def test_party_conditional_means_match_deal_valuation():
    """No distributions, different rates: E[realised party NPV | inputs] equals deal.py's probability-weighted
    licensor and licensee NPVs (an independent formula: trigger probabilities x discount factors)."""
    d = rich_deal(0.15, 0.09)
    d.pop("uncertainty")
    s = sheet_of(d)
    det = iitvalue.value(s).deal.summary
    sim = mc.simulate(s, 4096, seed=1)
    assert sim.conditional_parties["licensor"] == pytest.approx(np.full(4096, det["licensor_npv"]), abs=1e-9)
    assert sim.conditional_parties["licensee"] == pytest.approx(np.full(4096, det["licensee_npv"]), abs=1e-9)


def test_receipts_by_outcome():
    """Seller's nominal receipts: upfront 20 and the dated 2 always; + start of review 5 and success of P1 7 and
    filing 3 when P1 passes; + approval 30 (+ sales 40 once annual sales reach 120, + royalties) when approved."""
    d = rich_deal()
    d.pop("uncertainty")
    sim = mc.simulate(sheet_of(d), 4096, seed=3)
    fail1 = sim.outcome == 0
    fail2 = sim.outcome == 1
    assert np.allclose(sim.receipts_nominal[fail1], 22.0)
    assert np.allclose(sim.receipts_nominal[fail2], 37.0)
    assert np.all(sim.receipts_nominal[sim.outcome == 2] > 37.0 + 30.0 + 40.0)


# ---- reproducibility ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["general", "fast"])
def test_same_seed_same_numbers_for_any_chunk(engine, esobiotec_path):
    s = iitvalue.load(esobiotec_path)
    if engine == "fast":
        s = s.replace(deal=None)
    a = mc.simulate(s, 10_000, seed=42, chunk=1, engine=engine)
    b = mc.simulate(s, 10_000, seed=42, chunk=50_000, engine=engine)
    c = mc.simulate(s, 10_000, seed=42, engine=engine)
    assert np.array_equal(a.asset, b.asset) and np.array_equal(a.asset, c.asset)
    assert np.array_equal(a.outcome, b.outcome)
    assert a.summary() == b.summary()
    d = mc.simulate(s, 10_000, seed=43, engine=engine)
    assert not np.array_equal(a.asset, d.asset)


def test_fast_engine_agrees_with_general_engine_and_reference(esobiotec_path):
    """The fast path (rank-one success-path lines) gives the general engine's realised NPVs; and one path's
    conditional expectation equals the scalar reference run on that path's drawn inputs."""
    s = iitvalue.load(esobiotec_path).replace(deal=None)
    d = s.to_dict()
    d["territories"][0]["cogs_per_patient"] = 0.05
    d["uncertainty"].append({"path": "valuation.tax_rate", "dist": "uniform", "low": 0.1, "high": 0.3})
    s = TermSheet.from_dict(d)
    fast = mc.simulate(s, 6000, seed=9, engine="fast", keep_draws=True)
    gen = mc.simulate(s, 6000, seed=9, engine="general")
    assert np.array_equal(fast.outcome, gen.outcome)
    assert np.allclose(fast.asset, gen.asset, rtol=1e-11, atol=1e-8)
    # scalar oracle on path 0: its class's phase probabilities and its drawn inputs
    setup = prepare(s)
    draws = {k: v[:1] for k, v in fast.draws.items()}
    probs = path_probabilities(setup, draws, 1)[0]
    changes = {u.path: float(draws[u.path][0]) for u in setup.entries}
    plan = iitvalue.model.plan.resolve(s.replace(changes)).with_phases(list(probs))
    assert reference.rnpv(plan)["rnpv"] == pytest.approx(gen.conditional[0], rel=1e-10)


# ---- the copula ------------------------------------------------------------------------------------------------
def test_copula_correlation_recovered():
    """Gaussian copula with rho = 0.6: the normal marginals keep Pearson 0.6; for a PERT and a lognormal the
    Spearman rank correlation is (6/pi) arcsin(rho/2) = 0.58192 (Kruskal 1958)."""
    d = base_dict(uncertainty=[
        {"path": "territories[0].peak_sales", "dist": "lognormal", "mean": 100.0, "sd": 40.0},
        {"path": "costs.cogs_fraction", "dist": "pert", "low": 0.1, "mode": 0.2, "high": 0.5},
        {"path": "costs.sga_fraction", "dist": "normal", "mean": 0.3, "sd": 0.02},
        {"path": "valuation.discount_rate", "dist": "normal", "mean": 0.1, "sd": 0.01},
    ], correlation={"paths": ["territories[0].peak_sales", "costs.cogs_fraction", "costs.sga_fraction",
                              "valuation.discount_rate"],
                    "matrix": [[1, 0.6, 0, 0], [0.6, 1, 0, 0], [0, 0, 1, -0.6], [0, 0, -0.6, 1]]})
    setup = prepare(sheet_of(d))
    draws = draw_block(setup, 100_000, np.random.default_rng(1))
    rho_s = sps.spearmanr(draws["territories[0].peak_sales"], draws["costs.cogs_fraction"])[0]
    assert rho_s == pytest.approx(6 / math.pi * math.asin(0.3), abs=0.01)
    r = np.corrcoef(draws["costs.sga_fraction"], draws["valuation.discount_rate"])[0, 1]
    assert r == pytest.approx(-0.6, abs=0.01)


def test_posterior_draws(esobiotec_path):
    """Class drawn with the posterior P(active) 0.4169 (the class as of the deal date); each path's LOA is
    q_A = R = 0.3975 or q_I = 0.02 R = 0.0079 (docs/method.md 2.4); the ORR draws have the posterior mean; with the
    copula, higher ORR goes with higher share."""
    s = iitvalue.load(esobiotec_path)
    setup = prepare(s)
    draws = draw_block(setup, 100_000, np.random.default_rng(3))
    assert draws["_active"].mean() == pytest.approx(0.4169, abs=0.005)
    assert draws["_orr"].mean() == pytest.approx(setup.update.orr_posterior().mean(), abs=0.003)
    probs = path_probabilities(setup, draws, 100_000)
    u = setup.update
    assert np.unique(np.round(probs.prod(axis=1), 12)) == pytest.approx([u.p_inactive, u.p_active], abs=1e-12)
    assert u.p_active == pytest.approx(0.3975, abs=1e-4) and u.p_inactive == pytest.approx(0.02 * u.p_active)
    assert sps.spearmanr(draws["_orr"], draws["territories[0].treated_share"])[0] > 0.3


def test_drawn_prior_probabilities_go_through_the_update(esobiotec_path):
    """A drawn phase probability is the update's prior: the vectorised update + spread gives, row by row, the
    posterior phase probabilities that value() computes for that prior."""
    s = iitvalue.load(esobiotec_path).replace(uncertainty=[], correlation=None, scenarios=[])
    d = s.to_dict()
    d["uncertainty"] = [{"path": "phases[0].probability", "dist": "uniform", "low": 0.35, "high": 0.6}]
    s = TermSheet.from_dict(d)
    setup = prepare(s)
    draws = draw_block(setup, 5, np.random.default_rng(0))
    probs = path_probabilities(setup, draws, 5)
    for i in range(5):
        ref = iitvalue.value(s.replace({"phases[0].probability": float(draws["phases[0].probability"][i])}))
        post = [p["posterior_probability"] for p in ref.pos.to_dict()["phases"]]
        assert probs[i] == pytest.approx(post, rel=1e-12)


def test_uncertainty_does_not_change_the_valuation(esobiotec_path):
    s = iitvalue.load(esobiotec_path)
    bare = s.replace(uncertainty=[], correlation=None, scenarios=[])
    assert iitvalue.value(s).to_dict() == iitvalue.value(bare).to_dict()


# ---- CLI: JSON keys and clean errors --------------------------------------------------------------------------
def test_simulate_json_keys(esobiotec_path):
    res = run("simulate", str(esobiotec_path), "-n", "3000", "--seed", "1", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)["mc"]
    for k in ("paths", "mean", "std_error", "p5", "p10", "p50", "p90", "p95", "prob_negative", "convergence"):
        assert k in doc
    assert doc["paths"] == 3000
    for role in ("licensor", "licensee"):
        for k in ("mean", "std_error", "p10", "p50", "p90", "prob_negative"):
            assert k in doc[role]
    assert "nominal_mean" in doc["receipts"]
    table = run("simulate", str(esobiotec_path), "-n", "2000")
    assert table.exit_code == 0 and "standard error" in table.output


def test_simulate_writes_paths_csv(esobiotec_path, tmp_path):
    out = tmp_path / "paths.csv"
    res = run("simulate", str(esobiotec_path), "-n", "1000", "-o", str(out))
    assert res.exit_code == 0, res.output
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 1000 and {"outcome", "npv", "npv_licensor", "territories[0].treated_share"} <= set(df.columns)
    again = run("simulate", str(esobiotec_path), "-n", "1000", "-o", str(out))
    assert again.exit_code == 2 and "--force" in again.output


def test_parquet_without_pyarrow_is_a_clear_error(esobiotec_path, tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "pyarrow":
            raise ImportError("no pyarrow")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    res = run("simulate", str(esobiotec_path), "-n", "100", "-o", str(tmp_path / "p.parquet"))
    assert res.exit_code == 2 and "pyarrow" in res.output and ".csv" in res.output


def test_sensitivity_json_keys(esobiotec_path):
    res = run("sensitivity", str(esobiotec_path), "--format", "json", "--grid", "pos.iit_weight=0.25,1",
              "--grid", "territories[0].treated_share=0.05,0.09")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)["sensitivity"]
    assert {"metric", "base", "tornado", "scenarios", "grid"} <= set(d)
    assert {"path", "rank", "low", "high", "asset", "swing", "basis"} <= set(d["tornado"][0])
    assert {"rnpv_low", "rnpv_high", "loa_low", "loa_high"} == set(d["tornado"][0]["asset"])  # nested like value's
    assert d["tornado"][0]["path"] == "pos.orr"  # the class dominates: LOA 0.008 vs 0.40
    assert len(d["grid"]["values"]) == 2 and len(d["grid"]["values"][0]) == 2
    assert run("sensitivity", str(esobiotec_path)).exit_code == 0
    assert run("sensitivity", str(esobiotec_path), "--grid", "pos.iit_weight=1").exit_code == 2


BAD = [
    ('path = "territories[0].peak_sales"\ndist = "normal"\nmean = 100.0\nsd = -5.0', "uncertainty[0].sd", "must be >= 0"),
    ('path = "territories[0].peak_sales"\ndist = "uniform"\nlow = 9.0\nhigh = 5.0', "uncertainty[0].low", "below high"),
    ('path = "territories[0].peak_sales"\ndist = "triangular"\nlow = 1.0\nmode = 9.0\nhigh = 5.0', "uncertainty[0].mode", "outside"),
    ('path = "phases[0].probability"\ndist = "beta"\nmean = 1.2\nn = 10.0', "uncertainty[0].mean", "(0, 1)"),
    ('path = "phases[0].probability"\ndist = "beta"\na = -1.0\nb = 2.0', "uncertainty[0].a", "> 0"),
    ('path = "territories[0].peak_sale"\ndist = "normal"\nmean = 1.0\nsd = 1.0', "uncertainty[0].path", "did you mean"),
    ('path = "territories[5].peak_sales"\nlow = 1.0\nhigh = 2.0', "uncertainty[0].path", "no entry [5]"),
    ('path = "asset.name"\nlow = 1.0\nhigh = 2.0', "uncertainty[0].path", "not a numeric field"),
    ('path = "pos.iit_weight"\ndist = "uniform"\nlow = 0.2\nhigh = 0.8', "uncertainty[0].dist", "cannot draw"),
    ('path = "phases[0].probability"\ndist = "uniform"\nlow = 0.2\nhigh = 1.5', "uncertainty[0].low", "allows"),
    ('path = "territories[0].peak_sales"\ndist = "normal"\nmean = 1.0', "uncertainty[0].sd", "needs 'sd'"),
]


def _sheet_text(extra: str) -> str:
    return (EXAMPLES / "esobiotec.toml").read_text().split("# ---- Uncertainty, correlation")[0] + extra


@pytest.mark.parametrize("entry,field,words", BAD)
def test_invalid_distribution_exits_2(tmp_path, entry, field, words):
    f = tmp_path / "s.toml"
    f.write_text(_sheet_text("\n[[uncertainty]]\n" + entry + "\n"))
    res = run("simulate", str(f), "-n", "100")
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and field in res.output and words in res.output
    assert str(f) in res.output


def test_correlation_not_psd_exits_2(tmp_path):
    """[[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]] has a negative eigenvalue (about -0.8)."""
    text = _sheet_text("""
[[uncertainty]]
path = "territories[0].treated_share"
dist = "pert"
low = 0.05
mode = 0.09
high = 0.14
[[uncertainty]]
path = "costs.cogs_fraction"
dist = "uniform"
low = 0.1
high = 0.2
[[uncertainty]]
path = "costs.sga_fraction"
dist = "uniform"
low = 0.2
high = 0.3
[correlation]
paths = ["territories[0].treated_share", "costs.cogs_fraction", "costs.sga_fraction"]
matrix = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]
""")
    f = tmp_path / "s.toml"
    f.write_text(text)
    res = run("simulate", str(f), "-n", "100")
    assert res.exit_code == 2 and "correlation.matrix" in res.output and "positive semi-definite" in res.output


def test_bad_scenario_and_out_of_range_draws_exit_2(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(_sheet_text('\n[[scenarios]]\nname = "x"\nset = { "territories[0].treated_share" = 1.5 }\n'))
    res = run("sensitivity", str(f))
    assert res.exit_code == 2 and "scenarios[0].set" in res.output
    f.write_text(_sheet_text('\n[[uncertainty]]\npath = "territories[0].treated_share"\ndist = "normal"\n'
                             'mean = 0.09\nsd = 0.05\n'))
    res = run("simulate", str(f), "-n", "5000")
    assert res.exit_code == 2 and "fall outside" in res.output and "uncertainty[0]" in res.output


# ---- plots ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["histogram", "tornado", "cashflows"])
def test_plots_write_files(kind, esobiotec_path, tmp_path):
    pytest.importorskip("matplotlib", reason="the `plot` extra (matplotlib) is not installed")
    out = tmp_path / f"{kind}.png"
    res = run("plot", str(esobiotec_path), "--kind", kind, "-o", str(out), "-n", "2000")
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 5000 and out.read_bytes()[:4] == b"\x89PNG"
    assert run("plot", str(esobiotec_path), "--kind", kind, "-o", str(tmp_path / "x.txt")).exit_code == 2


def test_closed_form_tax_equals_a_loss_pool_and_ramps_vectorise():
    """The engine's closed-form loss carry-forward (running maximum of cumulative profit) equals a period-by-period
    loss pool (written out here as the oracle), on random profit lines with many sign changes; the vectorised ramp
    rows equal ramp_shares for each years-to-peak."""
    from iitvalue.model.engine import tax_lines
    from iitvalue.model.plan import ramp_rows, ramp_shares

    rng = np.random.default_rng(4)
    profit = rng.normal(0.0, 10.0, (500, 30)) + np.linspace(-10, 10, 30)
    rate = rng.uniform(0.0, 0.4, 500)
    pool_tax = np.zeros_like(profit)
    for s in range(profit.shape[0]):
        pool = 0.0
        for k in range(profit.shape[1]):
            p = profit[s, k]
            used = min(pool, max(p, 0.0))
            pool_tax[s, k] = rate[s] * (max(p, 0.0) - used)
            pool += max(-p, 0.0) - used
    assert np.allclose(tax_lines(profit, rate, True), pool_tax, rtol=0, atol=1e-10)
    assert np.array_equal(tax_lines(profit, rate, False), rate[:, None] * np.maximum(profit, 0.0))
    ytp = np.array([1.0, 2.5, 6.0, 9.3])
    for kind in ("benchmark", "linear"):
        rows = ramp_rows(kind, ytp, 12)
        for i, y in enumerate(ytp):
            assert rows[i] == pytest.approx(ramp_shares(kind, float(y), 12), abs=1e-15)


def test_simulation_displays_its_headline(esobiotec_path):
    sim = mc.simulate(iitvalue.load(esobiotec_path), 2000, seed=3)
    text = repr(sim)
    assert text.startswith("<Simulation 2,000 paths (seed 3, general engine): mean NPV") and "P(NPV < 0)" in text
    html = sim._repr_html_()
    assert "<table>" in html and "licensee: mean NPV" in html
