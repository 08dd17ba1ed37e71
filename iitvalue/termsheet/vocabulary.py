"""The allowed values of the term sheet's enumerated fields, and the order of development stages.

Used by the schema (as ``Literal`` choices), by the cross-field checks and by the model layers.
"""

from __future__ import annotations

from ..stats.distributions import DISTRIBUTIONS
from .triggers import TRIGGERS

STAGES = ("preclinical", "iit", "phase1", "phase2", "phase3", "filed", "approved")
PHASE_KINDS = ("preclinical", "phase1", "phase2", "phase3", "pivotal", "filing")
MODALITIES = (
    "small-molecule",
    "antibody",
    "adc",
    "bispecific",
    "car-t",
    "tcr-t",
    "cell-therapy",
    "gene-therapy",
    "rna",
    "vaccine",
    "other",
)
THERAPEUTIC_AREAS = ("oncology", "haematologic-malignancies", "solid-tumours", "haematology", "rare-disease", "other")

# Order of development: a plan must not go backwards, and must start at or after the current stage.
KIND_RANK = {"preclinical": 0, "phase1": 1, "phase2": 2, "phase3": 3, "pivotal": 3, "filing": 4}
STAGE_RANK = {"preclinical": 0, "iit": 1, "phase1": 1, "phase2": 2, "phase3": 3, "filed": 4, "approved": 5}
TRIGGER_TYPES = tuple(TRIGGERS)  # the registered trigger types (iitvalue/termsheet/triggers.py)
# events at which an option may be exercised: each tells the licensee that the asset is still alive at that point
OPTION_EXERCISE = ("phase_start", "phase_success", "filing", "approval")
MILESTONE_CATEGORIES = ("development", "regulatory", "sales", "manufacturing", "other")
UNCERTAINTY_DISTS = tuple(DISTRIBUTIONS) + ("posterior",)  # registered distributions (iitvalue/stats/distributions.py)
# Fields a distribution may be put on: the simulation writes them into the engine's arrays path by path. Any
# other numeric field can still carry a tornado swing (an entry without ``dist``).
SIMULATED_FIELDS = {
    "valuation": ("discount_rate", "tax_rate"),
    "phases": ("duration", "cost", "probability"),
    "territories": ("peak_sales", "patients", "treated_share", "net_price", "launch_lag", "years_to_peak",
                    "exclusivity_years", "erosion", "price_change", "cogs_fraction", "cogs_per_patient",
                    "sga_fraction", "sga_fixed", "launch_cost"),
    "costs": ("cogs_fraction", "cogs_per_patient", "sga_fraction", "sga_fixed", "launch_cost"),
}
POSTERIOR_PATH = "pos.orr"

# Sane limits on what a term sheet may hold (docs/termsheet.md, "Limits"): far beyond any real asset or deal, so
# that a typo such as 1e308 is an error rather than an overflow, and text stays printable.
MAX_MONEY = 1e9  # millions of the currency (10^15 units): amounts, prices, costs, sales, thresholds
MAX_COUNT = 1e10  # patients of a territory (more than the world's population)
MAX_PATIENTS = 1_000_000  # patients (and centres) of a readout
MAX_YEARS = 1000.0  # exclusivity_years, royalty term_years
MAX_MAGNITUDE = 1e15  # any parameter of an [[uncertainty]] entry
MAX_WEIGHT = 1e9  # a phase's cost_profile weight
MAX_NAME = 200  # characters of a name, key, path or currency
MAX_TEXT = 2000  # characters of a source, note or other free text
