"""Line numbers of a TOML file's keys, so that every problem can name the line it is on."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEYVAL = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def toml_key_lines(text: str) -> dict[tuple, int]:
    """Map each key's location tuple to its 1-based line: ``("phases", 1, "cost") -> 23``.

    Handles ``[table]``, ``[[array.of.tables]]`` and ``key = value`` lines (including dotted keys). Values inside
    multi-line arrays or inline tables get the line of their key.
    """
    lines: dict[tuple, int] = {}
    counts: dict[tuple, int] = {}
    prefix: tuple = ()
    depth = 0  # bracket depth of a multi-line value
    for no, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if depth > 0:
            depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
            continue
        m = _HEADER.match(line)
        if m and not _KEYVAL.match(line):
            keys = tuple(k.strip().strip('"\'') for k in m.group(2).split("."))
            if m.group(1) == "[[":
                # index of this element within its array; nested arrays are counted under their parent element
                parent = _resolve(keys[:-1], counts)
                base = parent + (keys[-1],)
                idx = counts.get(base, -1) + 1
                counts[base] = idx
                prefix = base + (idx,)
            else:
                prefix = _resolve(keys, counts)
            lines.setdefault(prefix, no)
            continue
        m = _KEYVAL.match(line)
        if m:
            keys = tuple(k.strip().strip('"\'') for k in m.group(1).split("."))
            lines.setdefault(prefix + keys, no)
            value = line[m.end():]
            depth = value.count("[") + value.count("{") - value.count("]") - value.count("}")
    return lines


def _resolve(keys: tuple, counts: dict) -> tuple:
    out: tuple = ()
    for k in keys:
        out = out + (k,)
        if out in counts:
            out = out + (counts[out],)
    return out


def _strip_comment(line: str) -> str:
    in_str: str | None = None
    for i, ch in enumerate(line):
        if in_str:
            if ch == in_str:
                in_str = None
        elif ch in "\"'":
            in_str = ch
        elif ch == "#":
            return line[:i]
    return line


def line_for(loc: tuple, lines: dict) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
