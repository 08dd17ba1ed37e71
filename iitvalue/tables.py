"""Plain-text tables that fit the terminal: fixed columns, one format per column kind, no index, split into
blocks of columns (each repeating the first, key column) when the table is wider than the screen.

The width is the ``COLUMNS`` environment variable, else 100 characters; ``wide=True`` never splits. Formats are
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


def _cells(rows: Sequence[dict[str, Any]], col: Column) -> list[str]:
    out = []
    for r in rows:
        s = col.fmt(r.get(col.key))
        out.append(s if len(s) <= col.max_width else s[: col.max_width - 1] + "…")
    return out


def render(rows: Sequence[dict[str, Any]], columns: Sequence[Column], width: int | None = None,
           wide: bool = False, indent: int = 2) -> str:
    """The rows as a table of the given columns, split into blocks no wider than ``width`` (see the module
    docstring); abbreviated headers are explained once below the table."""
    width = width or terminal_width()
    cols = [c for c in columns]
    cells = {c.key: _cells(rows, c) for c in cols}
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
        text_out += "\n" + _wrap(pad + "(" + "; ".join(legend) + ")", width, indent + 1)
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


def html_pairs(title: str, pairs: Sequence[tuple[str, str]]) -> str:
    """A headline block for notebooks: a title and label/value rows (values already formatted)."""
    rows = "".join(f"<tr><th style='text-align:left'>{_esc(k)}</th><td style='text-align:right'>{_esc(v)}</td></tr>"
                   for k, v in pairs)
    return f"<h4>{_esc(title)}</h4><table>{rows}</table>"


def html_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> str:
    """A formatted HTML table (no index) of the given columns."""
    head = "".join(f"<th>{_esc(c.header)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td style='text-align:{'right' if c.right else 'left'}'>{_esc(s)}</td>"
        for c, s in zip(columns, (c.fmt(r.get(c.key)) for c in columns))) + "</tr>" for r in rows)
    return (f"<h4>{_esc(title)}</h4>" if title else "") + f"<table><tr>{head}</tr>{body}</table>"
