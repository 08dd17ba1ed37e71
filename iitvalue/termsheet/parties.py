"""Each party's own view of the asset: its ``[deal.<party>.assumptions]`` (term-sheet paths to values, as the
CLI's ``--set``) applied to the sheet (docs/method.md 3.1). A China partner and the licensor can differ on China
sales, price or launch; the deal terms themselves are common to both."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, Problem

ROLES = ("licensor", "licensee")
# sections a party cannot hold its own view of: the deal's terms, the valuation's frame (date, horizon, period,
# currency: every party's cash flows share one timeline), and the simulation's inputs
FORBIDDEN = ("deal", "valuation", "uncertainty", "correlation", "scenarios")


def forbidden_path(path: str) -> str | None:
    """Why ``path`` cannot be a party's own assumption, or None when it can."""
    head = path.split(".", 1)[0].split("[", 1)[0]
    if head in FORBIDDEN:
        return (f"'{head}' is common to both parties: a party's assumptions change the asset (phases, territories, "
                "costs, readouts, pos, indications, capacity)")
    return None


def party_sheet(sheet: Any, role: str) -> Any:
    """The sheet as ``role`` ("licensor" or "licensee") sees it: its ``assumptions`` applied, every party's
    assumptions then removed (so the party sheet values as one common view). The sheet itself when the party
    has none.

    Raises
    ------
    InputError
        A path that does not exist, a value the schema refuses, or a path a party cannot assume (each problem
        named ``deal.<role>.assumptions."<path>"``).

    Examples
    --------
    >>> import iitvalue
    >>> sheet = iitvalue.load("examples/esobiotec.toml")
    >>> sheet = sheet.replace({"deal.licensee.assumptions": {"territories[2].peak_sales": 250.0}})
    >>> party_sheet(sheet, "licensee").territories[2].peak_sales, party_sheet(sheet, "licensor") is sheet
    (250.0, True)
    """
    deal = sheet.deal
    changes = getattr(deal, role).assumptions if deal is not None else None
    if not changes:
        return sheet
    where = f"deal.{role}.assumptions"
    bad = [Problem(f'{where}."{p}"', why) for p in changes if (why := forbidden_path(p)) is not None]
    if bad:
        raise InputError(bad)
    try:
        return sheet.replace({**changes, "deal.licensor.assumptions": None, "deal.licensee.assumptions": None})
    except InputError as exc:
        raise InputError([Problem(f"{where}: {p.path}" if p.path else where, p.message)
                          for p in exc.problems]) from None


def has_assumptions(sheet: Any) -> bool:
    """Whether a party of the sheet's deal holds its own assumptions."""
    return sheet.deal is not None and any(getattr(sheet.deal, r).assumptions for r in ROLES)
