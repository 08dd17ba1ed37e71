"""Line numbers of a TOML file's keys, so that every problem can name the line it is on.

One left-to-right pass over the text (linear in its length, no backtracking regular expressions) that knows
TOML's strings (basic, literal and their multi-line forms, so a ``[`` or a table header inside a string is
text), comments, table headers, dotted and quoted keys, arrays and inline tables. It never raises: on text
that is not valid TOML it still returns the lines it could find (the TOML parser reports the syntax error).
"""

from __future__ import annotations

import re

_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_BASIC_BODY = re.compile(r'(?:[^"\\\n]|\\.)*')  # disjoint alternatives: linear
_LITERAL_BODY = re.compile(r"[^'\n]*")
_SCALAR = re.compile(r"[^\s,\]\}#]*")
_TIME_AFTER_SPACE = re.compile(r" \d\d:")  # a date-time written with a space: 1979-05-27 07:32:00
_BLANK = re.compile(r"[ \t\r]*")

DEEP = 64  # arrays and inline tables nested deeper than this are reported by :func:`nesting_line`


def toml_key_lines(text: str) -> dict[tuple, int]:
    """Map each key's location tuple to its 1-based line: ``("phases", 1, "cost") -> 23``.

    Parameters
    ----------
    text : str
        The TOML text.

    Returns
    -------
    dict
        ``[table]`` and ``[[array.of.tables]]`` headers, ``key = value`` lines (dotted and quoted keys), keys
        inside inline tables, and each element of an array (``("deal", "pools", 0, "triggers", 1)``), each with
        the line where it starts. The first occurrence of a location wins.
    """
    return _Scanner(text).run().lines


def nesting_line(text: str, limit: int = DEEP) -> int | None:
    """The line where arrays or inline tables first nest deeper than ``limit`` levels, or None.

    Parameters
    ----------
    text : str
        The TOML text.
    limit : int
        Deepest nesting accepted.

    Returns
    -------
    int or None
        A 1-based line number.
    """
    return _Scanner(text, limit).run().deep_line


class _Scanner:
    """The single pass behind :func:`toml_key_lines` and :func:`nesting_line`."""

    def __init__(self, text: str, limit: int = DEEP):
        self.text = text
        self.n = len(text)
        self.i = 0
        self.line = 1
        self.lines: dict[tuple, int] = {}
        self.counts: dict[tuple, int] = {}  # index of the latest element of each array of tables
        self.limit = limit
        self.deep_line: int | None = None

    # ---- low-level movement -----------------------------------------------------------------------------------
    def _blank(self) -> None:
        self.i = _BLANK.match(self.text, self.i).end()

    def _to_line_end(self) -> None:
        j = self.text.find("\n", self.i)
        self.i = self.n if j < 0 else j

    def _gap(self, newlines: bool) -> None:
        """Skip blanks and comments, and line breaks too when ``newlines``."""
        while self.i < self.n:
            self._blank()
            if self.i >= self.n:
                return
            c = self.text[self.i]
            if c == "#":
                self._to_line_end()
            elif c == "\n" and newlines:
                self.line += 1
                self.i += 1
            else:
                return

    def _advance_to(self, j: int) -> None:
        self.line += self.text.count("\n", self.i, j)
        self.i = j

    def _string(self) -> str:
        """Skip the string starting at ``i``; return its raw content."""
        t, i = self.text, self.i
        for quote in ('"""', "'''"):
            if t.startswith(quote, i):
                j = i + 3
                while True:
                    k = t.find(quote, j)
                    if k < 0:
                        self._advance_to(self.n)
                        return t[i + 3:]
                    if quote == '"""' and _escaped(t, k):
                        j = k + 1
                        continue
                    end = k + 3
                    while end < self.n and end - k < 5 and t[end] == quote[0]:  # up to two quotes end the content
                        end += 1
                    self._advance_to(end)
                    return t[i + 3:end - 3]
        body = (_BASIC_BODY if t[i] == '"' else _LITERAL_BODY).match(t, i + 1).end()
        end = body + 1 if body < self.n and t[body] == t[i] else body
        self._advance_to(end)
        return t[i + 1:body]

    def _key(self) -> tuple:
        """A dotted key at ``i`` (bare or quoted parts, blanks around the dots)."""
        parts: list[str] = []
        while self.i < self.n:
            self._blank()
            if self.i < self.n and self.text[self.i] in "\"'":
                parts.append(self._string().strip())
            else:
                m = _BARE_KEY.match(self.text, self.i)
                if m is None:
                    break
                parts.append(m.group())
                self.i = m.end()
            self._blank()
            if self.i < self.n and self.text[self.i] == ".":
                self.i += 1
                continue
            break
        return tuple(parts)

    # ---- statements --------------------------------------------------------------------------------------------
    def run(self) -> "_Scanner":
        prefix: tuple = ()
        while True:
            self._gap(newlines=True)
            if self.i >= self.n:
                return self
            start = self.i
            if self.text[self.i] == "[":
                prefix = self._header()
            else:
                found = self._assignment()
                if found:
                    self.lines.setdefault(prefix + found[0], found[1])
                    self._value(prefix + found[0])
            self._gap(newlines=False)
            if self.i < self.n and self.text[self.i] != "\n":
                self._to_line_end()  # not valid TOML: resume at the next line
            if self.i == start:
                self.i += 1

    def _assignment(self) -> tuple[tuple, int] | None:
        """Read ``key =`` at ``i``: the key and its line, or None (not valid TOML) when no ``=`` follows."""
        line = self.line
        keys = self._key()
        self._blank()
        if keys and self.i < self.n and self.text[self.i] == "=":
            self.i += 1
            return keys, line
        return None

    def _header(self) -> tuple:
        double = self.text.startswith("[[", self.i)
        self.i += 2 if double else 1
        line = self.line
        keys = self._key()
        self._blank()
        self.i += 2 if self.text.startswith("]]", self.i) else (1 if self.text.startswith("]", self.i) else 0)
        if double:
            # index of this element within its array; nested arrays are counted under their parent element
            base = self._resolve(keys[:-1]) + keys[-1:]
            idx = self.counts.get(base, -1) + 1
            self.counts[base] = idx
            prefix = base + (idx,)
        else:
            prefix = self._resolve(keys)
        self.lines.setdefault(prefix, line)
        return prefix

    def _resolve(self, keys: tuple) -> tuple:
        out: tuple = ()
        for k in keys:
            out = out + (k,)
            if out in self.counts:
                out = out + (self.counts[out],)
        return out

    def _value(self, loc: tuple) -> None:
        """Skip the value at ``i`` (of any nesting, without recursion), recording the keys and elements in it."""
        stack: list[list] = []  # ["[", loc, element index] or ["{", loc]
        self._blank()
        self._start(loc, stack)
        while stack and self.i < self.n:
            top = stack[-1]
            self._gap(newlines=True)
            if self.i >= self.n:
                return
            c = self.text[self.i]
            start = self.i
            if c in "]}":
                stack.pop()
                self.i += 1
            elif c == ",":
                if top[0] == "[":
                    top[2] += 1
                self.i += 1
            elif top[0] == "[":
                here = self._record(top[1], (top[2],), self.line, stack)
                self._start(here, stack)
            else:
                found = self._assignment()
                if found:
                    here = self._record(top[1], found[0], found[1], stack)
                    self._blank()
                    self._start(here, stack)
            if self.i == start:
                self.i += 1  # not valid TOML: never stall

    def _record(self, parent: tuple, keys: tuple, line: int, stack: list) -> tuple:
        """Record ``parent + keys`` at ``line``; beyond the nesting limit, keep the parent (bounded memory)."""
        if len(stack) > self.limit:
            return parent
        self.lines.setdefault(parent + keys, line)
        return parent + keys

    def _start(self, loc: tuple, stack: list) -> None:
        """Enter the value at ``i``: open an array or inline table, or skip a string or a scalar."""
        if self.i >= self.n:
            return
        c = self.text[self.i]
        if c in "[{":
            stack.append(["[", loc, 0] if c == "[" else ["{", loc])
            self.i += 1
            if len(stack) > self.limit and self.deep_line is None:
                self.deep_line = self.line
        elif c in "\"'":
            self._string()
        else:
            m = _SCALAR.match(self.text, self.i)
            self.i = m.end()
            if _TIME_AFTER_SPACE.match(self.text, self.i):
                self.i = _SCALAR.match(self.text, self.i + 1).end()


def _escaped(text: str, k: int) -> bool:
    """Whether the character at ``k`` is escaped by an odd number of backslashes before it."""
    j = k
    while j > 0 and text[j - 1] == "\\":
        j -= 1
    return (k - j) % 2 == 1


def line_for(loc: tuple, lines: dict) -> int | None:
    """The line of ``loc`` or of its nearest enclosing key (None when there is none, e.g. a ``--set`` value).

    Parameters
    ----------
    loc : tuple
        Location tuple such as ``("phases", 1, "cost")``.
    lines : dict
        From :func:`toml_key_lines`.

    Returns
    -------
    int or None
    """
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
