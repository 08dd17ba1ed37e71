"""The Bayesian PoS update in the workbook: its inputs (readouts, [pos] settings, the class model's beta-mixture
components) and the Calculations block of Bayes factors, posterior class probability and posterior LOA
(docs/method.md 2.2-2.5). Cached values come from the update itself (``result.pos.update``) and from the beta
mixtures' own update (:class:`iitvalue.stats.betamix.BetaMix`)."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

from scipy.special import logsumexp

from ..model.pos import Evidence, readout_rubric
from ..termsheet.schema import Pos
from .cells import CALC, I_VAL, INPUTS, STRUCT_NOTE, Book, Cell, Ref, a1
from .inputs import COUNT, DATE, NAME_NOTE, NONNEG, PROB, WEIGHT, PhaseInputs

CLASSES, ENDPOINTS = ("active", "inactive"), ("orr", "cr")


def nonefficacy_formula(shares, phases) -> str:
    """The workbook formula of R = prod_j (1 - g_j (1 - p_j)) (docs/method.md 2.4) over share cells g_j and the
    phases' probability cells p_j."""
    return "*".join(f"(1-{g}*(1-{p.probability}))" for g, p in zip(shares, phases))


@dataclass(frozen=True)
class ReadoutInputs:
    """One readout's cells: date, count cells (``complete``, ``complete_n`` and ``weight`` only when the term
    sheet gives them) and the Inputs row that shows whether the valuation uses it (a formula written by
    :func:`write_pos`)."""

    date: Cell
    n: Cell
    responders: Cell
    complete: Cell | None
    complete_n: Cell | None
    weight: Cell | None
    used_row: int
    rubric: Cell | None = None  # the rubric's factor on the design's base weight (without an own weight)


@dataclass(frozen=True)
class Component:
    """One beta-mixture component of the class model: weight, a, b."""

    weight: Cell
    a: Cell
    b: Cell


@dataclass(frozen=True)
class PosInputs:
    """The PoS input cells: every readout (by its index in the term sheet), the evidence weights, q_A and q_I (or,
    when they come from the stage, e_A and e_I with the phases' non-efficacy shares g_j), transportability and
    the class model's components per (class, endpoint)."""

    vdate: Cell
    readouts: tuple[ReadoutInputs, ...]
    iit_weight: Cell
    registrational_weight: Cell
    q_active: Cell
    q_inactive: Cell
    transport_factor: Cell | None
    transport_delay: Cell | None
    mix: dict[tuple[str, str], tuple[Component, ...]]
    nonefficacy: tuple[Cell, ...] = ()  # g_j per phase when q_c = e_c R
    q_given: dict[str, bool] | None = None  # per pos.p_approval_*: the cell holds q_c itself (else e_c)


@dataclass(frozen=True)
class PosCells:
    """The PoS results on Calculations."""

    prior_loa: Cell
    prior_class: Cell
    bf_orr: Cell
    bf_cr: Cell
    posterior_class: Cell
    posterior_loa: Cell
    n_used: Cell | None = None
    q_active: Cell | None = None  # q_A, q_I at this stage before the widening (given, or e x R)
    q_inactive: Cell | None = None


def _at_most(book: Book, cell: Cell, limit: Cell, msg: str) -> None:
    """The validation of a count at most another Inputs cell's value: a whole number from 0 to ``limit``."""
    here, there = a1(cell.ref.row, I_VAL), a1(limit.ref.row, I_VAL, True)
    book.validate(cell.ref.row, I_VAL, {"validate": "custom", "msg": f"a whole number >= 0; {msg}",
                                         "value": f"=AND(ISNUMBER({here}),{here}=INT({here}),{here}>=0,"
                                                  f"{here}<={there})"})


def write_pos_inputs(book: Book, result, vdate: Cell) -> PosInputs:
    """Write the readouts, the ``[pos]`` settings and the class model's components on Inputs.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a PoS update (``result.pos`` not None).
    vdate : Cell
        The valuation date (the cut-off of the readout selection).

    Returns
    -------
    PosInputs
    """
    s, pos = result.sheet, result.pos
    cfg = s.pos or Pos()
    inp = book.input_row

    def src(f: str) -> str:
        return "term sheet" if s.pos is not None and f in s.pos.model_fields_set else "default (docs/method.md 2.5)"

    book.section(INPUTS, "Readouts (IIT and registrational)")
    readouts = []
    for i, rd in enumerate(s.readouts):
        pre, tag = f"readouts[{i}]", f"Readout {i + 1}"
        inp(None, f"{tag}: source", f"{pre}.source", rd.source, "", STRUCT_NOTE, style="struct")
        used_row = book.row[INPUTS]
        book.put_text(INPUTS, used_row, 0, f"{tag}: used in this valuation")
        book.put_text(INPUTS, used_row, 1, "(valuation.date, pos.readout)", book.f["note"])
        book.put_text(INPUTS, used_row, 4, "live: the latest readout of its trial dated on or before the valuation "
                                           "date (pos.readout, docs/method.md 2.10)", book.f["note"])
        book.row[INPUTS] += 1
        date = inp(f"rd_d{i}", f"{tag}: date", f"{pre}.date", rd.date, "date", "term sheet", "date", DATE)
        inp(None, f"{tag}: trial", f"{pre}.trial", rd.trial, "", NAME_NOTE + " (readouts of a trial are cumulative)",
            style="struct")
        inp(None, f"{tag}: design", f"{pre}.design", rd.design, "",
            "decides the default evidence weight; " + STRUCT_NOTE, style="struct")
        n = inp(f"rd_n{i}", f"{tag}: evaluable patients n", f"{pre}.n", rd.n, "patients", "term sheet", "int", COUNT)
        r = inp(f"rd_r{i}", f"{tag}: responders", f"{pre}.responders", rd.responders, "patients", "term sheet", "int",
                name=f"responders_{i + 1}")
        _at_most(book, r, n, "responders cannot exceed the evaluable patients n")
        c = cn = w = None
        if rd.complete is not None:
            c = inp(f"rd_c{i}", f"{tag}: complete responses (CR/sCR)", f"{pre}.complete", rd.complete, "patients",
                    "term sheet", "int")
            _at_most(book, c, r, "complete responses cannot exceed the responders")
            if rd.complete_n is not None:
                cn = inp(f"rd_cn{i}", f"{tag}: patients evaluable for CR", f"{pre}.complete_n", rd.complete_n,
                         "patients", "term sheet", "int")
                _at_most(book, cn, n, "patients evaluable for CR cannot exceed n")
        rub = None
        if rd.weight is not None:
            w = inp(f"rd_w{i}", f"{tag}: evidence weight (own)", f"{pre}.weight", rd.weight, "fraction",
                    "term sheet (overrides pos.*_weight)", "prob", WEIGHT)
        else:
            ru = readout_rubric(rd, 1.0, 1.0)
            rub = inp(f"rd_rub{i}", f"{tag}: evidence rubric factor (centres x assessment x manufacturing x "
                      "follow-up; 0 for a sub-therapeutic dose)", "", ru.weight if ru.weight == 0.0 else
                      math.prod(ru.factors.values()), "factor",
                      "from the readout's fields (docs/method.md 2.5): " + (ru.note if ru.weight == 0.0 else ", ".join(
                          f"{k} x{v:.4g}" for k, v in ru.factors.items())), "factor",
                      NONNEG)
        readouts.append(ReadoutInputs(date, n, r, c, cn, w, used_row, rub))
    upd = pos.update
    model = upd.model
    book.section(INPUTS, "Probability of success (docs/method.md section 2)")
    inp(None, "Class model", "pos.model", model.key, "", f"{pos.model_note}; {STRUCT_NOTE}", style="struct")
    iitw = inp("iitw", "Evidence weight of an IIT readout", "pos.iit_weight", cfg.iit_weight, "fraction",
               src("iit_weight"), "prob", WEIGHT, name="iit_weight")
    regw = inp("regw", "Evidence weight of a registrational readout", "pos.registrational_weight",
               cfg.registrational_weight, "fraction", src("registrational_weight"), "prob", WEIGHT,
               name="registrational_weight")
    q = {}
    stage = bool(upd.nonefficacy_shares)  # q_c = e_c R on Calculations (docs/method.md 2.4) unless given
    given = {"p_approval_active": upd.q_given[0] or not stage, "p_approval_inactive": upd.q_given[1] or not stage}
    for f, key, lab, e_f, e_lab in (
            ("p_approval_active", "qa", "P(approval | active)", "efficacy_active", "Efficacy given active, e_A"),
            ("p_approval_inactive", "qi", "P(approval | inactive)", "efficacy_inactive",
             "Efficacy given inactive, e_I")):
        own = getattr(cfg, f)
        if given[f]:
            note = ("term sheet" if own is not None else f"class model '{model.key}'") + (
                "; widened to the prior LOA on Calculations when no readout is used")
            q[f] = inp(key, lab, f"pos.{f}", own if own is not None else getattr(model, e_f), "fraction",
                       note, "prob", PROB)
        else:
            q[f] = inp("e_" + key, e_lab + ": P(remaining efficacy tests passed | class)", "",
                       getattr(model, e_f), "fraction", f"class model '{model.key}' (docs/method.md 2.4); "
                       f"the term sheet's pos.{f} would replace q = e x R", "prob", PROB)
    shares = tuple(inp(f"neff_g{j}", f"Phase {j + 1}: non-efficacy share of its failures, g", "", g, "fraction",
                       "failure_reasons.csv over the phase's benchmark columns (docs/method.md 2.4)", "prob", PROB)
                   for j, g in enumerate(upd.nonefficacy_shares)) if stage and not all(given.values()) else ()
    inp(None, "Readouts used", "pos.readout", cfg.readout, "", "the selection rule; " + STRUCT_NOTE, style="struct")
    tr_f = tr_d = None
    if cfg.transportability is not None:
        t = cfg.transportability
        tr_f = inp("tr_f", "Transportability: review probability factor", "pos.transportability.regulatory_factor",
                   t.regulatory_factor, "factor", "term sheet (docs/method.md 2.9)", "prob", PROB)
        tr_d = inp("tr_d", "Transportability: extra review time", "pos.transportability.delay_years", t.delay_years,
                   "years", "term sheet", "years", NONNEG)
    if cfg.pivotal is not None:
        for f, unit in (("n", "patients"), ("threshold", "ORR"), ("level", "fraction"), ("rule", "")):
            inp(None, f"Planned pivotal study: {f}", f"pos.pivotal.{f}", getattr(cfg.pivotal, f), unit,
                "used by the assurance (computed by iitvalue, shown on Outputs); " + STRUCT_NOTE, style="struct")
    mix = _write_components(book, model)
    return PosInputs(vdate, tuple(readouts), iitw, regw, q["p_approval_active"], q["p_approval_inactive"], tr_f, tr_d, mix,
                     shares, given)


def _write_components(book: Book, model) -> dict[tuple[str, str], tuple[Component, ...]]:
    """The class model's beta-mixture components (weight, a, b) per class and endpoint."""
    book.section(INPUTS, f"Class model '{model.key}': beta-mixture components (weight, a, b)", 6)
    row = book.row[INPUTS]
    for c, h in enumerate(("class / endpoint / component", "", "weight", "a", "b", "source")):
        book.put_text(INPUTS, row, c, h, book.f["head"])
    row += 1
    labels: dict[tuple[str, str], list[str]] = {}
    for comp in model.components:
        labels.setdefault((comp["class"], "orr"), []).append(comp["label"])
        if comp["cr_mean"] is not None:
            labels.setdefault((comp["class"], "cr"), []).append(comp["label"])
    out = {}
    for cls in CLASSES:
        for ep in ENDPOINTS:
            m = getattr(model, f"{ep}_{cls}")
            names = labels.get((cls, ep), [])
            comps = []
            for k in range(m.n_components):
                lab = names[k] if k < len(names) else "uniform Beta(1, 1): no class information"
                book.put_text(INPUTS, row, 0, f"{cls} / {ep.upper()} / {lab}")
                cells = []
                for c, val, what in ((2, m.weights[k], "weight"), (3, m.a[k], "a"), (4, m.b[k], "b")):
                    book.table_input(row, c, float(val), "factor", f"class model {cls} / {ep.upper()} / {lab}: {what}")
                    cells.append(book.register(f"mix_{cls}_{ep}_{k}_{c}", Ref(INPUTS, row, c), float(val)))
                book.put_text(INPUTS, row, 5, "iitvalue/data/pos_components.csv, pos_models.csv (mean x ESS)",
                              book.f["note"])
                comps.append(Component(*cells))
                row += 1
            out[(cls, ep)] = tuple(comps)
    book.row[INPUTS] = row
    return out


@dataclass(frozen=True)
class _State:
    """A class's mixture for one endpoint before a readout: the BetaMix (values) and the templates of each
    component's a, b and log weight (the formulas of the previous readout's posterior)."""

    mix: object
    a: tuple[str, ...]
    b: tuple[str, ...]
    lw: tuple[str, ...]


def write_pos(book: Book, result, phases: tuple[PhaseInputs, ...], inputs: PosInputs) -> PosCells:
    """Write the PoS block of Calculations: prior LOA and class probability, per used readout and endpoint the
    log Bayes factor (log-sum-exp of each class's components), the posterior class probability and LOA.

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a PoS update.
    phases : tuple of PhaseInputs
        The phase input cells (prior transition probabilities).
    inputs : PosInputs
        The PoS input cells.

    Returns
    -------
    PosCells
    """
    upd, sheet = result.pos.update, result.sheet
    book.section(CALC, "Probability of success: Bayes factors from the readouts (docs/method.md 2.2-2.5)")
    used = _write_selection(book, result, inputs)
    prior = book.scalar("prior_loa", "Prior LOA = product of the prior transition probabilities", "fraction",
                        "PRODUCT(" + ",".join(str(p.probability) for p in phases) + ")" if phases else "1",
                        upd.prior_loa, "prob")
    n_used = book.scalar("n_used", "Readouts used", "count", "+".join(str(u) for u in used) if used else "0",
                         float(len(result.pos.readouts)), "int")
    q_a, q_i = inputs.q_active, inputs.q_inactive
    if inputs.nonefficacy:
        r = book.scalar("r_nonefficacy", "Non-efficacy success of the remaining phases R = prod (1 - g_j (1 - p_j))",
                        "fraction", nonefficacy_formula(inputs.nonefficacy, phases),
                        upd.nonefficacy_success, "prob")
        given = inputs.q_given or {}
        if not given.get("p_approval_active"):
            q_a = book.scalar("qa_stage", "q_A = e_A x R: P(approval | active) at this stage", "fraction",
                              f"{inputs.q_active}*{r}", upd.model.efficacy_active * upd.nonefficacy_success, "prob")
        if not given.get("p_approval_inactive"):
            q_i = book.scalar("qi_stage", "q_I = e_I x R: P(approval | inactive) at this stage", "fraction",
                              f"{inputs.q_inactive}*{r}", upd.model.efficacy_inactive * upd.nonefficacy_success,
                              "prob")
    qa = book.scalar("qa_used", "q_A used: P(approval | active), at least the prior LOA when no readout is used",
                     "fraction", f"IF({n_used}>0,{q_a},MAX({q_a},{prior}))", upd.p_active, "prob")
    qi = book.scalar("qi_used", "q_I used: P(approval | inactive), at most the prior LOA when no readout is used",
                     "fraction", f"IF({n_used}>0,{q_i},MIN({q_i},{prior}))", upd.p_inactive, "prob")
    pi = book.scalar("pi", "Prior P(active) = (LOA - q_I) / (q_A - q_I)", "fraction", f"({prior}-{qi})/({qa}-{qi})",
                     upd.prior_class, "prob")
    state = {}
    for (cls, ep), comps in inputs.mix.items():
        state[(cls, ep)] = _State(getattr(upd.model, f"{ep}_{cls}"), tuple(str(c.a) for c in comps),
                                  tuple(str(c.b) for c in comps), tuple(f"LN({c.weight})" for c in comps))
    lbf: dict[str, list[Cell]] = {"orr": [], "cr": []}
    for i, (rd, cells) in enumerate(zip(sheet.readouts, inputs.readouts)):
        tag = f"R{i + 1}"
        if cells.weight is not None:
            base, wsrc = cells.weight, "the readout's own weight"
            formula, value = f"{used[i]}*{base}", used[i].value * base.value
        else:
            base = inputs.iit_weight if rd.design == "iit" else inputs.registrational_weight
            wsrc = f"pos.{rd.design}_weight x the evidence rubric (docs/method.md 2.5)"
            formula = f"{used[i]}*MIN(1,{base}*{cells.rubric})"
            value = used[i].value * min(1.0, base.value * cells.rubric.value)
        w = book.scalar(f"w_{i}", f"{tag}: evidence weight w (0 when the readout is not used)", "fraction",
                        formula, value, "prob", wsrc)
        ev = Evidence.from_counts(rd.n, rd.responders, rd.complete, rd.complete_n, weight=1.0)  # counts only
        endpoints = [("orr", cells.responders, cells.n, ev.responders, ev.n)]
        if cells.complete is not None:
            if cells.complete_n is not None:
                crn = book.scalar(f"crn_{i}", f"{tag}: responders evaluable for CR = max(c, complete_n x r / n)",
                                  "patients", f"MAX({cells.complete},{cells.complete_n}*{cells.responders}/{cells.n})",
                                  ev.cr_n, "num")
            else:
                crn = book.scalar(f"crn_{i}", f"{tag}: responders evaluable for CR (all responders)", "patients",
                                  str(cells.responders), ev.cr_n, "num")
            endpoints.append(("cr", cells.complete, crn, ev.complete, ev.cr_n))
        for ep, x_cell, m_cell, x, m in endpoints:
            lm = {}
            for cls in CLASSES:
                lm[cls], state[(cls, ep)] = _write_marginal(book, f"{i}_{ep}_{cls}", f"{tag} {ep.upper()} {cls}",
                                                            state[(cls, ep)], w, x_cell, m_cell, x, m)
            lbf[ep].append(book.scalar(f"lbf_{i}_{ep}", f"{tag} {ep.upper()}: log Bayes factor (active vs inactive)",
                                       "log", f"{lm['active']}-{lm['inactive']}",
                                       lm["active"].value - lm["inactive"].value, "log"))
    bf, log = {}, {}
    for ep, total, factor in (("orr", upd.log_bf_orr, upd.bayes_factor_orr), ("cr", upd.log_bf_cr, upd.bayes_factor_cr)):
        if lbf[ep]:
            log[ep] = book.scalar(f"lbf_{ep}", f"log Bayes factor, {ep.upper()} (all readouts)", "log",
                                  "+".join(str(c) for c in lbf[ep]), total, "log")
        else:
            log[ep] = book.const(f"lbf_{ep}", f"log Bayes factor, {ep.upper()} (no readout informs it)", "log", 0.0,
                                 "log")
        bf[ep] = book.scalar(f"bf_{ep}", f"Bayes factor, {ep.upper()}", "ratio", f"EXP({log[ep]})", factor, "factor")
    pi2 = book.scalar("pi_post", "Posterior P(active) = pi BF / (pi BF + 1 - pi)", "fraction",
                      f"IF(OR({pi}<=0,{pi}>=1),{pi},1/(1+EXP(LN(1-{pi})-LN({pi})-{log['orr']}-{log['cr']})))",
                      upd.posterior_class, "prob")
    post = book.scalar("post_loa", "Posterior LOA = pi' q_A + (1 - pi') q_I", "fraction", f"{pi2}*{qa}+(1-{pi2})*{qi}",
                       upd.posterior_loa, "prob")
    return PosCells(prior, pi, bf["orr"], bf["cr"], pi2, post, n_used, q_a, q_i)


def _write_selection(book: Book, result, inputs: PosInputs) -> list[Cell]:
    """One flag per readout, 1 when the valuation uses it (``pos.readout``, docs/method.md 2.10), live in the
    valuation date and the readout dates: ``auto`` keeps the latest readout of each trial dated on or before the
    cut-off (the later one of two on the same date), ``latest`` the single latest (the first of two on the same
    date), a date as ``auto`` with that cut-off, ``none`` none. The trials are names (locked), so which readouts
    compete is fixed at export."""
    sheet = result.sheet
    choice = (sheet.pos or Pos()).readout
    used_now = {d["index"] for d in result.pos.readouts}
    if choice in ("auto", "latest"):
        cut = inputs.vdate
    elif choice != "none":
        cut = book.const("rd_cut", "Readout cut-off date (pos.readout)", "date",
                         _dt.date.fromisoformat(choice), "date", "structural: " + STRUCT_NOTE)
    flags = []
    rds, cells = sheet.readouts, inputs.readouts
    for i, rd in enumerate(rds):
        label = f"R{i + 1}: used (1) or not (0)"
        if choice == "none":
            flags.append(book.const(f"used_{i}", label + " - pos.readout = none", "flag", 0.0, "int"))
            book.put_text(INPUTS, cells[i].used_row, I_VAL, "no", book.fmt("num", "struct"))
            continue
        d = cells[i].date
        rivals = [j for j in range(len(rds)) if j != i and (choice == "latest" or rds[j].trial == rd.trial)]
        later = "+".join(f"({cells[j].date}{'>' if (j > i) == (choice == 'latest') else '>='}{d})*"
                         f"({cells[j].date}<={cut})" for j in rivals)
        tpl = f"IF(AND({d}<={cut},{later}=0),1,0)" if rivals else f"IF({d}<={cut},1,0)"
        flags.append(book.scalar(f"used_{i}", label + ": dated on or before the cut-off, no later rival", "flag",
                                 tpl, 1.0 if i in used_now else 0.0, "int"))
        book.put_formula(INPUTS, cells[i].used_row, I_VAL, book.expand(f'IF({flags[-1]}=1,"yes","no")', INPUTS),
                         "yes" if i in used_now else "no", "num", "struct")
    return flags


def _write_marginal(book: Book, key: str, tag: str, st: _State, w: Cell, x_cell: Cell, m_cell: Cell, x: float,
                    m: float) -> tuple[Cell, _State]:
    """One class and endpoint of one readout: each component's log term t_k = ln w_k + ln B(a_k + w x,
    b_k + w (m - x)) - ln B(a_k, b_k), the log marginal max t + ln sum exp(t - max t), and the mixture after the
    readout (the next readout's prior)."""
    if w.value == 0:  # a readout not used: the same as no data
        x = m = 0.0
    wv = w.value or 1.0
    terms, _, _ = st.mix.update_terms(x, m, wv)  # the mixture's own log terms (iitvalue.stats.betamix)
    rows = []
    for k, (a, b, lw) in enumerate(zip(st.a, st.b, st.lw)):
        tpl = (f"{lw}+(GAMMALN({a}+{w}*{x_cell})+GAMMALN({b}+{w}*({m_cell}-{x_cell}))-GAMMALN({a}+{b}+{w}*{m_cell}))"
               f"-(GAMMALN({a})+GAMMALN({b})-GAMMALN({a}+{b}))")
        rows.append(book.scalar(f"t_{key}_{k}", f"{tag} comp. {k + 1}: log w + ln B(a + w x, b + w (m - x)) "
                                                f"- ln B(a, b)", "log", tpl, float(terms[k]), "log"))
    rng = book.column(f"tb_{key}", rows)
    lm = book.scalar(f"lm_{key}", f"{tag}: log marginal likelihood (log-sum-exp)", "log",
                     f"MAX({rng})+LN(SUMPRODUCT(EXP({rng}-MAX({rng}))))", float(logsumexp(terms)), "log",
                     "the binomial coefficient is common to both classes and cancels in the Bayes factor")
    after = _State(st.mix.posterior(x, m, wv),
                   tuple(f"({a}+{w}*{x_cell})" for a in st.a),
                   tuple(f"({b}+{w}*({m_cell}-{x_cell}))" for b in st.b),
                   tuple(f"({t}-{lm})" for t in rows))
    return lm, after
