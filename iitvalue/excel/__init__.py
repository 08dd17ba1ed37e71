"""The Excel export: a FAST-style workbook of live formulas checked against the engine (docs/excel.md), and the
import of an edited Inputs sheet back into a term sheet."""

from __future__ import annotations

from .book import FIRST, OUTPUT_NAMES, RiskAnalysis, read_workbook, risk_analysis, write_workbook

__all__ = ["FIRST", "OUTPUT_NAMES", "RiskAnalysis", "read_workbook", "risk_analysis", "write_workbook"]
