"""The two NPVs of the deal in the workbook (docs/method.md 3.5): each side's NPV as the sum of its components,
the licensor's gain over its stand-alone value and its share of the gains, the risk-adjusted value of the
payments and the break-even upfront (linear in the upfront, so the closed form is exact)."""

from __future__ import annotations

from ..deal.kernel import discount
from .cells import CALC, Book, Cell
from .deal import ROLES, DealInputs, DealNPVs, Discounting, Milestones


def write_npvs(book: Book, result, deal_in: DealInputs, disc: Discounting, milestones: Milestones,
               royalties: dict[str, Cell], share: dict[str, Cell], asset_licensee: Cell,
               asset_licensor: Cell, forms: tuple = (), option=None) -> DealNPVs:
    """Write the two NPVs (with the tranches and the target's net cash where the deal has them), the licensor's
    gain over its stand-alone value and its share of the gains, the risk-adjusted value of the payments and the
    break-even upfront (linear in the upfront, so the closed form is exact).

    Parameters
    ----------
    book : Book
        The cell registry.
    result : Result
        A valuation with a deal (the NPVs are the kernel's expectations, the break-even upfront its closed form).
    deal_in : DealInputs
        The upfront.
    disc : Discounting
        Each party's kernel values and the upfront's time and PV.
    milestones : Milestones
        The milestones' PV for each party.
    royalties, share : dict of str to Cell
        PV of the royalties and of the licensor's profit and cost share, for each party (:mod:`.streams`).
    asset_licensee, asset_licensor : Cell
        The asset rNPV at the licensee's and at the licensor's rate (the licensor's reservation value).
    forms : tuple of FormStream
        The supply margin and sublicence royalties (:mod:`.forms`).
    option : OptionCells, optional
        With an option (:mod:`.option`): the groups above are passed as held, and the asset the licensor keeps
        when the option lapses is added.

    Returns
    -------
    DealNPVs
    """
    b = book
    lic, lee = disc.parties["licensor"], disc.parties["licensee"]
    b.section(CALC, "Deal: the two NPVs (docs/method.md 3.5)")

    def extra(role: str) -> tuple[Cell, ...]:  # tranches, net cash, equity premium, sublicence, supply, if any
        return tuple(x[role] for x in (milestones.tranches, *(c.pv for c in disc.closing), milestones.sublicence,
                                       *(f.pv for f in forms), option.retained if option else None) if x is not None)

    parts = {role: (disc.pv_up[role], milestones.pv[role], royalties[role], share[role]) + extra(role) for role in ROLES}
    label = (" + tranches" * (milestones.tranches is not None)
             + "".join(f" + {c.category.replace('_', ' ')}" for c in disc.closing)
             + " + sublicence lump sums" * (milestones.sublicence is not None)
             + "".join(f" + {f.label.lower()}" for f in forms) + " + asset kept if the option lapses" * bool(option))
    lnpv = b.scalar("lic_npv", f"Licensor NPV = upfront + milestones + royalties + profit share{label}", "millions",
                    "+".join(map(str, parts["licensor"])), lic.expect(lic.final.licensor), "money")
    up, ms, roy, sh = parts["licensee"][:4]
    enpv = b.scalar("lee_npv", f"Licensee NPV = asset rNPV - profit share - upfront - milestones - royalties{label.replace(' + ', ' - ')}",
                    "millions", f"{asset_licensee}-{sh}-{up}-{ms}-{roy}" + "".join(f"-{x}" for x in extra("licensee")),
                    lee.expect(lee.final.licensee), "money")
    at_lee = b.scalar("lic_at_lee", "Licensor's receipts valued at the licensee's rate", "millions",
                      "+".join(map(str, parts["licensee"])), lee.expect(lee.final.licensor), "money")
    g = lnpv.value - asset_licensor.value  # as deal.value.deal_summary, on the workbook's common beliefs
    gain_lic = b.scalar("lic_gain", "Licensor gain = licensor NPV - stand-alone value of the asset (its rate)", "millions",
                        f"{lnpv}-{asset_licensor}", g, "money")
    share_of = b.scalar("lic_share", "Licensor's share of the gains (n/a unless both sides gain)", "fraction",
                        f'IF(AND({gain_lic}>0,{enpv}>0),{gain_lic}/({gain_lic}+{enpv}),"n/a")',
                        g / (g + enpv.value) if g > 0 and enpv.value > 0 else "n/a", "pct")
    rav_parts = (up, ms, roy) + ((milestones.tranches["licensee"],) if milestones.tranches is not None else ()) + tuple(
        c.pv["licensee"] for c in disc.closing if c.category in ("equity_premium", "option_fee")) + (
        (milestones.sublicence["licensee"],) if milestones.sublicence is not None else ()) + tuple(
        f.pv["licensee"] for f in forms)  # as deal.value.PAYMENT_GROUPS
    rav = b.scalar("rav", "Risk-adjusted value of the payments, licensee's view", "millions",
                   "+".join(map(str, rav_parts)), sum(c.value for c in rav_parts), "money")
    be = None
    if disc.t_up.value >= 0:
        be = b.scalar("be_up", "Break-even upfront = upfront + licensee NPV x (1 + r)^t (linear)", "millions",
                      f"{deal_in.upfront}+{enpv}*(1+{lee.rate})^{disc.t_up}"
                      + (f"/{disc.tax_factor['licensee']}" if disc.tax_factor else ""),
                      result.sheet.deal.upfront + enpv.value / (float(discount(lee.rate.value, disc.t_up.value))
                                                                * disc.factor("licensee")), "money")
    sub = [x for x in (milestones.sublicence, *(f.pv for f in forms if f.category == "sublicence_royalty"))
           if x is not None]
    sublicence = {role: b.scalar(f"pvsub_{role}", f"PV of the sublicence income to the licensor (lump sums + "
                                                  f"royalties), {role}", "millions", "+".join(str(x[role]) for x in sub),
                                 sum(x[role].value for x in sub), "money") for role in ROLES} if sub else None
    return DealNPVs(lnpv, enpv, at_lee, share_of, rav, be, gain_lic, sublicence)
