"""The Excel export: a FAST-style workbook of live formulas checked against the engine (docs/excel.md), and the
import of an edited Inputs sheet back into a term sheet."""

from __future__ import annotations

from .book import write_workbook
from .cells import FIRST
from .importer import read_workbook
from .outputs import OUTPUT_NAMES
from .risk import RiskAnalysis, risk_analysis

__all__ = ["FIRST", "OUTPUT_NAMES", "RiskAnalysis", "read_workbook", "risk_analysis", "write_workbook"]
