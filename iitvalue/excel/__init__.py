"""The Excel export: a FAST-style workbook of live formulas checked against the engine (docs/excel.md), and the
import of the edits made in it back into the term sheet's own TOML text, in place."""

from __future__ import annotations

from .book import write_workbook
from .cells import FIRST
from .importer import Imported, import_edits, import_into, read_workbook
from .outputs import OUTPUT_NAMES
from .risk import RiskAnalysis, risk_analysis

__all__ = ["FIRST", "OUTPUT_NAMES", "Imported", "RiskAnalysis", "import_edits", "import_into", "read_workbook",
           "risk_analysis", "write_workbook"]
