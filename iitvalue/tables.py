"""Plain-text tables that fit the terminal: fixed columns, one format per column kind, no index, split into
blocks of columns (each repeating the first, key column) when the table is wider than the screen.

The width is the ``COLUMNS`` environment variable, else 100 characters; ``wide=True`` (``--wide``) never splits
and never shortens a cell. Formats are
the same everywhere (docs/cli.md): money with thousands separators and one decimal, probabilities and rates as
percentages with one decimal, factors with four decimals, counts and years as integers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

DEFAULT_WIDTH = 100


def terminal_width() -> int:
    """``COLUMNS`` when it is a positive integer, else 100."""
    try:
        w = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return DEFAULT_WIDTH
    return w if w > 20 else DEFAULT_WIDTH


def money(x: Any) -> str:
    """1,234.5 (millions; n/a when missing or not finite)."""
    return _num(x, "{:,.1f}")


def percent(x: Any) -> str:
    """12.3% for 0.123."""
    return _num(x, "{:.1%}")


def factor(x: Any) -> str:
    """0.1234."""
    return _num(x, "{:.4f}")


def years(x: Any) -> str:
    """2.50 (years)."""
    return _num(x, "{:.2f}")


def integer(x: Any) -> str:
    return _num(x, "{:.0f}")


def text(x: Any) -> str:
    return "" if x is None else str(x)


def _num(x: Any, fmt: str) -> str:
    if x is None or isinstance(x, str):
        return "n/a" if x is None else x
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return fmt.format(v) if math.isfinite(v) else "n/a"


@dataclass(frozen=True)
class Column:
    """A table column: the record key, a short header, a formatter, and the long name listed under the table
    when the header abbreviates it."""

    key: str
    header: str
    fmt: Callable[[Any], str] = text
    long: str | None = None
    max_width: int = 40

    @property
    def right(self) -> bool:
        return self.fmt is not text


def _cells(rows: Sequence[dict[str, Any]], col: Column, cut: bool = True) -> list[str]:
    out = []
    for r in rows:
        s = col.fmt(r.get(col.key))
        out.append(s if len(s) <= col.max_width or not cut else s[: col.max_width - 1] + "…")
    return out


def render(rows: Sequence[dict[str, Any]], columns: Sequence[Column], width: int | None = None,
           wide: bool = False, indent: int = 2) -> str:
    """The rows as a table of the given columns, split into blocks no wider than ``width`` (see the module
    docstring), or with ``wide`` one block with every cell whole; abbreviated headers are explained once below
    the table."""
    width = width or terminal_width()
    cols = [c for c in columns]
    cells = {c.key: _cells(rows, c, cut=not wide) for c in cols}
    widths = {c.key: max([len(c.header)] + [len(s) for s in cells[c.key]]) for c in cols}
    pad = " " * indent
    blocks: list[list[Column]] = []
    if wide or not cols:
        blocks = [cols]
    else:
        first, rest = cols[0], cols[1:]
        block = [first]
        used = indent + widths[first.key]
        for c in rest:
            need = 2 + widths[c.key]
            if used + need > width and len(block) > 1:
                blocks.append(block)
                block, used = [first], indent + widths[first.key]
            block.append(c)
            used += need
        blocks.append(block)
    parts = []
    for block in blocks:
        def line(values: list[str]) -> str:
            return pad + "  ".join(v.rjust(widths[c.key]) if c.right else v.ljust(widths[c.key])
                                   for c, v in zip(block, values)).rstrip()
        out = [line([c.header for c in block]), line(["-" * widths[c.key] for c in block])]
        out += [line([cells[c.key][i] for c in block]) for i in range(len(rows))]
        parts.append("\n".join(out))
    legend = [f"{c.header} = {c.long}" for c in cols if c.long]
    text_out = "\n\n".join(parts)
    if legend:
        line = pad + "(" + "; ".join(legend) + ")"
        text_out += "\n" + (line if wide else _wrap(line, width, indent + 1))
    return text_out


def _wrap(line: str, width: int, indent: int) -> str:
    words, out, cur = line.split(" "), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = " " * indent + w
        else:
            cur = f"{cur} {w}" if cur else w
    out.append(cur)
    return "\n".join(out)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_pairs(title: str, pairs: Sequence[tuple[str, str]], align: str = "right") -> str:
    """A headline block for notebooks: a title and label/value rows (values already formatted; ``align`` "left"
    for text)."""
    rows = "".join(f"<tr><th style='text-align:left'>{_esc(k)}</th><td style='text-align:{align}'>{_esc(v)}</td></tr>"
                   for k, v in pairs)
    return f"<h4>{_esc(title)}</h4><table>{rows}</table>"


def html_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> str:
    """A formatted HTML table (no index) of the given columns."""
    head = "".join(f"<th>{_esc(c.header)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td style='text-align:{'right' if c.right else 'left'}'>{_esc(s)}</td>"
        for c, s in zip(columns, (c.fmt(r.get(c.key)) for c in columns))) + "</tr>" for r in rows)
    return (f"<h4>{_esc(title)}</h4>" if title else "") + f"<table><tr>{head}</tr>{body}</table>"


class Rows(list):
    """Records as the JSON output shows them (a list of dicts) that also give a pandas DataFrame with numeric
    dtypes (:attr:`frame`), print as a table that fits the terminal and display as a formatted table in a
    notebook. Tornado rows, scenarios and the Monte Carlo outcomes and convergence are ``Rows``.

    Examples
    --------
    >>> rows = Rows([{"paths": 1000, "mean": 1.5}, {"paths": 2000, "mean": 2.0}], title="convergence")
    >>> rows.frame.dtypes.tolist()
    [dtype('int64'), dtype('float64')]
    >>> rows[0]["mean"]
    1.5
    """

    def __init__(self, rows: Sequence[dict[str, Any]] = (), columns: Sequence[Column] | None = None, title: str = "",
                 index: str | None = None, numeric: Sequence[str] = ()):
        super().__init__(rows)
        self.columns, self.title, self.index, self.numeric = columns, title, index, tuple(numeric)

    def _columns(self) -> list[Column]:
        if self.columns:
            return list(self.columns)
        keys = list(dict.fromkeys(k for r in self for k in r))
        return [Column(k, k, _auto(k, [r.get(k) for r in self])) for k in keys]

    @property
    def frame(self):
        """The rows as a DataFrame: columns of numbers (or None) as int64 or float64, the ``numeric`` columns
        coerced to float (text in them becomes NaN), indexed by ``index`` when it is set."""
        import pandas as pd

        df = pd.DataFrame(list(self))
        for c in df.columns:
            values = [v for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))]
            if c in self.numeric:
                df[c] = pd.to_numeric(df[c].map(lambda v: v if _is_number(v) else None), errors="coerce").astype(float)
            elif values and all(_is_number(v) for v in values):
                df[c] = df[c].astype("int64" if all(isinstance(v, int) for v in values) and len(values) == len(df)
                                     else float)
        return df.set_index(self.index) if self.index and self.index in df.columns else df

    def __repr__(self) -> str:
        return (self.title + "\n" if self.title else "") + render(self, self._columns())

    def _repr_html_(self) -> str:
        return html_table(self, self._columns(), self.title or None)


def _is_number(v: Any) -> bool:
    import numbers

    return isinstance(v, numbers.Number) and not isinstance(v, bool)


def _auto(key: str, values: list[Any]) -> Callable[[Any], str]:
    """The format of a column without a declared one: text, integers, or numbers with four significant digits."""
    nums = [v for v in values if v is not None]
    if not nums or not all(_is_number(v) for v in nums):
        return text
    if all(isinstance(v, int) for v in nums):
        return lambda x: _num(x, "{:,.0f}")
    return lambda x: _num(x, "{:,.4g}")
