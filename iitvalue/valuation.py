"""One call that values a term sheet end to end: resolve defaults, (update PoS,) run the engine, collect results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .rnpv import AssetValuation, resolve, value_plan
from .terms import TermSheet


@dataclass
class Result:
    """What :func:`value` returns. ``summary`` is a pandas Series whose index is the JSON key path
    (``asset.rnpv``, ...); ``cashflows`` is the per-period DataFrame; ``to_dict()`` is the JSON document."""

    sheet: TermSheet
    asset: AssetValuation
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def cashflows(self):
        return self.asset.cashflows

    @property
    def phases(self):
        return self.asset.phases

    @property
    def notes(self) -> list[str]:
        return self.asset.notes

    @property
    def summary(self):
        import pandas as pd

        flat: dict[str, Any] = {}
        for section, values in self.to_dict().items():
            if isinstance(values, dict):
                for k, v in values.items():
                    if not isinstance(v, (list, dict)):
                        flat[f"{section}.{k}"] = v
        return pd.Series(flat, name=self.sheet.asset.name, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "valuation": {
                "name": self.sheet.valuation.name,
                "date": self.sheet.valuation.date.isoformat(),
                "currency": self.sheet.valuation.currency,
                "discount_rate": self.sheet.valuation.discount_rate,
                "period": self.sheet.valuation.period,
                "mid_period": self.sheet.valuation.mid_period,
            },
            "asset": {"name": self.sheet.asset.name, **{k: v for k, v in self.asset.summary.items()
                                                        if k not in ("discount_rate", "currency")}},
            "phases": self.asset.phases.to_dict(orient="records"),
        }
        out.update(self.sections)
        out["notes"] = list(self.notes)
        return out

    def _repr_html_(self) -> str:
        return self.asset._repr_html_()


def value(sheet: TermSheet) -> Result:
    """Value a term sheet: the asset's rNPV with every default resolved and noted."""
    plan = resolve(sheet)
    return Result(sheet, value_plan(plan))
