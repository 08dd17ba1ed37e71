"""The building blocks of the term sheet's models: the frozen, strict pydantic base and the annotated scalar
types (dates as ISO strings or dates, bounded labels and texts)."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .vocabulary import MAX_MAGNITUDE, MAX_NAME, MAX_TEXT



def _iso_date(value: Any) -> Any:
    """A 'YYYY-MM-DD' string as a date (for term sheets built in Python); anything else unchanged."""
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


Date = Annotated[_dt.date, BeforeValidator(_iso_date)]
Name = Annotated[str, Field(max_length=MAX_NAME)]  # a label: names, keys, currency
Text = Annotated[str, Field(max_length=MAX_TEXT)]  # free text: sources and notes
Number = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]  # a parameter of an [[uncertainty]] entry


class Model(BaseModel):
    # inf and nan are refused for every number (a located "must be a finite number")
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
