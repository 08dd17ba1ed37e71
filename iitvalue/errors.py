"""Errors that carry enough context for a one-paragraph message: file, field path, line, what is allowed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


SET_OPTION = 0  # the "line" of a value given with --set: it is not in the file


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: dotted field path, what was wrong, and the TOML line if known
    (:data:`SET_OPTION` for a value given on the command line with ``--set``).

    Examples
    --------
    >>> Problem("valuation.discount_rate", "must be <= 1.0", 12).render()
    'line 12, valuation.discount_rate: must be <= 1.0'
    """

    path: str
    message: str
    line: int | None = None

    def render(self) -> str:
        """``line N, path: message`` (``--set path: message`` for a command-line value)."""
        where = f"line {self.line}, " if self.line else ("--set " if self.line == SET_OPTION else "")
        if not self.path:  # a problem with the file or option as a whole
            return f"{where}{self.message}"
        return f"{where}{self.path}: {self.message}"


class InputError(ValueError):
    """Bad user input (term sheet, option or readout); a :class:`ValueError`. The CLI exits with code 2.

    The message is one paragraph naming the file, each field, its TOML line and what is allowed; every problem
    found is reported at once.

    Parameters
    ----------
    problems : list of Problem, Problem or str
        What is wrong (a str is a problem with the input as a whole).
    source : str, optional
        The file or input the problems are in.

    Attributes
    ----------
    problems : list of Problem
    source : str or None

    Examples
    --------
    >>> import iitvalue
    >>> try:
    ...     iitvalue.load("examples/esobiotec.toml", {"phases[0].probability": 1.5})
    ... except iitvalue.InputError as exc:
    ...     print(exc)
    ...     print(exc.problems[0].path, isinstance(exc, ValueError))
    examples/esobiotec.toml: --set phases[0].probability: 1.5 is not allowed; must be <= 1.0 ...
    phases[0].probability True
    """

    def __init__(self, problems: list[Problem] | Problem | str, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return head + self.problems[0].render()
        lines = [f"{head}{len(self.problems)} problems:"]
        lines += ["  " + p.render() for p in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:  # re-render so a source attached after construction shows up
        return self.render()


class NumericalError(ArithmeticError):
    """A computation that could not be completed (no root in range, non-finite result); an
    :class:`ArithmeticError`. The CLI exits with code 1.

    Examples
    --------
    >>> from iitvalue.stats.roots import brent
    >>> brent(lambda x: x * x + 1.0, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    iitvalue.errors.NumericalError: no sign change on [0, 1]: f = 1 and 2
    """


def suggest(word: str, options) -> str:
    """`` (did you mean 'x'?)`` naming the closest of ``options``, or an empty string when none is close."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""
