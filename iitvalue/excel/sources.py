"""The term sheet's own TOML text in the workbook: the comment on each input's line (shown on Inputs), the text
stored line by line in the hidden sheet so that ``iitvalue import`` returns it byte for byte, and edits written
into it in place with tomlkit, keeping every comment and the layout (docs/excel.md, "Import").

TOML allows no control character but tab in comments and strings, so a line is stored as a string cell; only a
carriage return before the line feed needs a flag of its own (XML turns ``\\r\\n`` into ``\\n``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, Bool, Comment, Float, InlineTable, Integer, Table

from ..termsheet import parse_path

BOM = "\ufeff"


@dataclass(frozen=True)
class Edit:
    """A value written at a term-sheet key, with the note added to the comment on its line."""

    path: str
    value: Any
    note: str


def digest(text: str) -> str:
    """SHA-256 of the text (UTF-8), to check that the stored lines rebuild it exactly."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_lines(text: str) -> list[tuple[str, bool]]:
    """The text as (line without its line feed and carriage return, whether it ended with ``\\r``) pairs; joined
    by :func:`join_lines` they give the text back (a final line feed gives a last empty line)."""
    out = []
    for line in text.split("\n"):
        cr = line.endswith("\r")
        out.append((line[:-1] if cr else line, cr))
    return out


def join_lines(lines: Iterable[tuple[str, bool]]) -> str:
    """The inverse of :func:`split_lines`."""
    return "\n".join(line + ("\r" if cr else "") for line, cr in lines)


def _body(node: Any) -> list:
    if isinstance(node, (Table, InlineTable)):
        return node.value.body
    return getattr(node, "body", [])


def toml_comments(text: str) -> dict[str, str]:
    """The comment on the line of each key of a TOML term sheet, keyed like the Inputs sheet
    (``phases[0].duration``, ``deal.pools[1].shares``); an indented comment line right below a key continues its
    comment.

    Parameters
    ----------
    text : str
        The TOML text (a leading byte-order mark is allowed).

    Returns
    -------
    dict of str to str
        Term-sheet key to its comment, without the ``#``.
    """
    out: dict[str, str] = {}
    _walk(tomlkit.parse(text.removeprefix(BOM)), "", out)
    return out


def _walk(node: Any, prefix: str, out: dict[str, str]) -> None:
    last = None
    for key, item in _body(node):
        if key is None:
            if isinstance(item, Comment) and last and item.as_string()[:1] in (" ", "\t"):
                out[last] = f"{out[last]} {_text(item.as_string())}" if last in out else _text(item.as_string())
            else:
                last = None
            continue
        path = f"{prefix}.{key.key}" if prefix else key.key
        last = path
        if isinstance(item, AoT):
            for i, t in enumerate(item.body):
                _walk(t, f"{path}[{i}]", out)
            last = None
            continue
        if isinstance(item, (Table, InlineTable)):
            _walk(item, path, out)
        elif isinstance(item, Array):
            for i, x in enumerate(item):
                if isinstance(x, InlineTable):
                    _walk(x, f"{path}[{i}]", out)
        comment = item.trivia.comment if hasattr(item, "trivia") else ""
        if comment:
            out[path] = _text(comment)
        if isinstance(item, Table):
            last = None


def _text(comment: str) -> str:
    return comment.strip().lstrip("#").strip()


def has_path(text: str, path: str) -> bool:
    """Whether the TOML text holds a value at term-sheet key ``path``."""
    node: Any = tomlkit.parse(text.removeprefix(BOM))
    for seg in parse_path(path):
        try:
            node = node[seg]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with each edit's value written at its key, in place: every other byte is kept (comments, layout,
    order); the edited line's comment gets the edit's note appended, and a key the text does not have is added
    after the last key of its table (the table is added at the end when it is missing).

    Parameters
    ----------
    text : str
        The TOML text (a leading byte-order mark is kept).
    edits : sequence of Edit
        The values to write.

    Returns
    -------
    str
        The edited text; ``text`` itself when there are no edits.
    """
    if not edits:
        return text
    bom = BOM if text.startswith(BOM) else ""
    doc = tomlkit.parse(text.removeprefix(BOM))
    for e in edits:
        _write(doc, parse_path(e.path), e.value, e.note)
    return bom + doc.as_string()


def _write(doc: Any, segs: tuple, value: Any, note: str) -> None:
    node, holder = doc, None  # holder: (table, key) whose line carries the comment
    for seg in segs[:-1]:
        if isinstance(seg, str) and seg not in node:
            _insert(node, seg, tomlkit.table())
        if isinstance(seg, str) and not isinstance(node, (InlineTable, Array)):
            holder = (node, seg)
        node = node[seg]
    last = segs[-1]
    if isinstance(last, int):
        node[last] = _like(node[last], value)
    elif last in node:
        old = _item(node, last)
        width = len(old.as_string())
        node[last] = _like(node[last], value)
        new = _item(node, last)
        if new.trivia.comment:  # keep the comment in its column
            new.trivia.comment_ws = " " * max(1, len(new.trivia.comment_ws) + width - len(new.as_string()))
        if not isinstance(node, InlineTable):
            holder = (node, last)
    else:
        _insert(node, last, tomlkit.item(_plain(value)))
        if not isinstance(node, InlineTable):
            holder = (node, last)
    if holder is not None:
        _note(_item(*holder), note)


def _item(node: Any, key: str) -> Any:
    """The tomlkit item (with its comment) at ``key`` of a table or the document (``node[key]`` gives a plain
    value for a boolean)."""
    return node.item(key) if hasattr(node, "item") else node[key]


def _plain(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.date()
    return value


def _like(old: Any, value: Any) -> Any:
    """``value`` as the type of the value it replaces (an integer stays an integer, a flag a boolean)."""
    value = _plain(value)
    if isinstance(old, (bool, Bool)) and value in (0, 1):
        return bool(value)
    if isinstance(old, Integer) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(old, Float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _insert(node: Any, key: str, item: Any) -> None:
    """Add ``key`` after the last key-value line of ``node`` and the indented comment lines that continue it
    (before the table's trailing comments and blank lines); tables go where tomlkit puts them (at the end)."""
    body = _body(node)
    last = max((i for i, (k, v) in enumerate(body) if k is not None and not isinstance(v, (Table, AoT))),
               default=None)
    if last is None or isinstance(item, Table) or isinstance(node, InlineTable):
        node[key] = item
        return
    at = last + 1
    while at < len(body) and body[at][0] is None and isinstance(body[at][1], Comment) and \
            body[at][1].as_string()[:1] in (" ", "\t"):
        at += 1
    container = node.value if isinstance(node, Table) else node
    if at < len(body):
        container._insert_at(at, key, item)  # tomlkit's own insertion, which keeps its index of the keys
    else:
        node[key] = item


def _note(item: Any, note: str) -> None:
    trivia = getattr(item, "trivia", None)
    if trivia is None:
        return
    if trivia.comment:
        trivia.comment = f"{trivia.comment.rstrip()} [{note}]"
    else:
        trivia.comment_ws = "  "
        trivia.comment = f"# {note}"
