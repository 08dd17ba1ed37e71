"""The comparables dataset (``iitvalue/data/comparables/deals.csv``): sourced, dated licences, co-developments,
options and acquisitions announced from 2015-01-01 to 2025-03-31 for assets priced mainly on early data (its
README documents every column and source). Read, typed and filtered here; ``iitvalue comps`` prints it.

Money in USD millions (the announcement currency is in ``currency``), rates and shares as fractions.
"""

from __future__ import annotations

import csv
import datetime as _dt
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import InputError, Problem, suggest
from ..tables import Column, money, percent

CUTOFF = _dt.date(2025, 3, 31)  # the fitting cutoff: no comparable announced after it (docs/method.md 4)
MONEY = ("upfront", "equity", "milestones_development", "milestones_regulatory", "milestones_commercial",
         "milestones_total", "headline_total", "net_cash")
FRACTIONS = ("orr", "cr_rate", "equity_premium", "royalty_low", "royalty_high")
FLAGS = ("china_origin", "platform", "milestones_disclosed")
TYPES = ("licence", "co-development", "option", "acquisition")
STAGES = ("preclinical", "platform", "iit", "phase1", "phase2", "phase3", "filed", "approved")

COMPS_TABLE = [Column("name", "deal"), Column("date", "date"), Column("type", "type"), Column("stage", "stage"),
               Column("modality", "modality"), Column("upfront", "upfront", money),
               Column("milestones_total", "milestones", money), Column("headline_total", "headline", money),
               Column("upfront_share", "upfront share", percent), Column("tag", "tag")]


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(row)
    for k in MONEY + FRACTIONS + ("n_patients",):
        out[k] = float(row[k]) if row.get(k) not in (None, "") else None
    for k in FLAGS:
        out[k] = row.get(k, "").strip().lower() == "true"
    up, head = out["upfront"], out["headline_total"]
    out["upfront_share"] = up / head if up is not None and head else None
    return out


def _header() -> tuple[str, ...]:
    with resources.files("iitvalue").joinpath("data", "comparables", "deals.csv").open(encoding="utf-8") as fh:
        return tuple(next(csv.reader(fh)))


COLUMNS = _header() + ("upfront_share",)  # the dataset's columns (README) and the derived upfront share


@lru_cache(maxsize=None)
def _rows() -> tuple[dict[str, Any], ...]:
    with resources.files("iitvalue").joinpath("data", "comparables", "deals.csv").open(encoding="utf-8") as fh:
        return tuple(_typed(r) for r in csv.DictReader(fh))


def comps_rows(type: str | None = None, stage: str | None = None, modality: str | None = None,
               china_origin: bool | None = None, platform: bool | None = None,
               since: _dt.date | None = None, until: _dt.date | None = None) -> list[dict[str, Any]]:
    """The comparable deals matching every filter given (None: any), in date order; each a dict of the
    dataset's columns (money as floats or None when undisclosed, flags as bools) plus ``upfront_share`` =
    upfront / headline_total (None when either is missing).

    Examples
    --------
    >>> rows = comps_rows(type="acquisition", modality="car-t", since=_dt.date(2025, 1, 1))
    >>> [(r["name"], r["upfront"]) for r in rows]
    [('azn-esobiotec-2025', 425.0)]
    """
    for name, value, allowed in (("--type", type, TYPES), ("--stage", stage, STAGES)):
        if value is not None and value not in allowed:
            raise InputError(Problem(name, f"'{value}' is not a deal {name[2:]}; allowed: {', '.join(allowed)}"
                                     f"{suggest(value, allowed)}"))
    if modality is not None:
        known = sorted({r["modality"] for r in _rows()})
        if modality not in known:
            raise InputError(Problem("--modality", f"no comparable has modality '{modality}'; present: "
                                     f"{', '.join(known)}{suggest(modality, known)}"))
    out = []
    for r in _rows():
        day = _dt.date.fromisoformat(r["date"])
        if ((type and r["type"] != type) or (stage and r["stage"] != stage) or (modality and r["modality"] != modality)
                or (china_origin is not None and r["china_origin"] != china_origin)
                or (platform is not None and r["platform"] != platform)
                or (since and day < since) or (until and day > until)):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r["date"], r["name"]))


def comps(**filters):
    """The comparable deals as a pandas DataFrame (one row per deal; filters as :func:`comps_rows`).

    Examples
    --------
    >>> import iitvalue
    >>> df = iitvalue.comps(china_origin=True, type="licence")
    >>> bool((df["china_origin"]).all()), df["date"].max() <= "2025-03-31"
    (True, True)
    """
    import pandas as pd

    return pd.DataFrame(comps_rows(**filters))
