"""scipy.special on first use.

Importing scipy.special costs about a quarter of a second; a term sheet without readouts, ``iitvalue --help``
and the validation of a file need none of it. Every module that evaluates special functions (log-gamma, the
incomplete beta and its inverse, the normal quantile) gets them through :func:`scipy_special`.
"""

from __future__ import annotations

from types import ModuleType


def scipy_special() -> ModuleType:
    """The scipy.special module (imported once, then cached by Python's import system)."""
    from scipy import special

    return special
