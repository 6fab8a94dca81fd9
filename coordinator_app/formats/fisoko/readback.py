"""Reading back what the splicer wrote, before anything is saved: a real XML parser, cell by cell.

Every changed member must be well-formed XML; every cell written, emptied or given its Итого
result must read back (through the shared-strings table as written) as intended; a sheet whose
inline text moved into shared strings must hold the same values and styles as before. Anything
else raises `Unusual`, and the form is filled the other way.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.utils import get_column_letter

from coordinator_app.formats.fisoko.ooxml import Unusual
from coordinator_app.formats.fisoko.splice import (
    CELL_REF_RE,
    TYPE_ATTR_RE,
    M,
    SheetEdit,
)
from coordinator_app.formats.fisoko.totals import RECALCULATE

__all__ = ["cell_values", "check_package", "number"]


def _table(xml: bytes | None) -> list[str]:
    if xml is None:
        return []
    root = ElementTree.fromstring(xml)
    out = []
    for si in root.iter(f"{M}si"):
        t = si.find(f"{M}t")
        if t is not None:
            out.append(t.text or "")
        else:  # rich text: the runs' text, phonetic hints left out
            out.append("".join(r.findtext(f"{M}t") or "" for r in si.iter(f"{M}r")))
    return out


def cell_values(xml: bytes, strings: list[str]) -> dict[str | None, tuple[Any, str | None]]:
    """{reference: (value, style)} of every cell with a value or a style, read with a real XML
    parser (used for the small sheets whose text was moved into shared strings)."""
    root = ElementTree.fromstring(xml)
    values: dict[str | None, tuple[Any, str | None]] = {}
    for c in root.iter(f"{M}c"):
        ref, kind, style = c.get("r"), c.get("t"), c.get("s")
        f = c.find(f"{M}f")
        v = c.findtext(f"{M}v")
        if f is not None:
            value: Any = ("=", f.text, tuple(sorted(f.attrib.items())))
        elif kind == "s":
            value = strings[int(v)] if v is not None else None
        elif kind == "inlineStr":
            node = c.find(f"{M}is")
            value = "".join(node.itertext()) if node is not None else None
        elif kind in (None, "n"):
            value = None if v is None or v == "" else number(v)
        else:
            value = (kind, v)
        if value is not None or style not in (None, "0"):
            values[ref] = (value, style)
    return values


def number(text: str) -> int | float:
    """A cell's `<v>` number as Python reads it: «3» → 3, «2.5» → 2.5."""
    try:
        return int(text)
    except ValueError:
        return float(text)


# The cells as `_CellWriter` writes them: with a value (reference, what follows the style), and
# emptied (reference).
_WRITTEN_VALUE_RE = re.compile(r'<c r="([A-Z]{1,3}\d+)"(?: s="\d+")?((?: t="s")?><v>[^<]*</v>)</c>')
_WRITTEN_TAIL_RE = re.compile(r'( t="s")?><v>([^<]*)</v>')
_EMPTIED_RE = re.compile(r'<c r="([A-Z]{1,3}\d+)"(?: s="\d+")?/>')
_TOTAL_CELL_RE = re.compile(r"<c\b([^>]*)><f\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>[^<]*</f\s*>)"
                            r"<v>([^<]*)</v></c>")


def check_package(members: dict[str, bytes], changed: dict[str, bytes],
                   edits: dict[str, SheetEdit], sst_member: str | None) -> None:
    """Raise `Unusual` unless the package says what was meant: every changed member is
    well-formed XML; every cell written, cleared or given its Итого result reads back (through
    the shared-strings table as written) as intended; the sheets whose inline text moved into
    shared strings hold the same values and styles as before."""
    try:
        for body in changed.values():
            expat.ParserCreate().Parse(body, True)
        strings = _table(changed.get(sst_member, members.get(sst_member)) if sst_member else None)
        for name, edit in edits.items():
            _check_edit(changed[name].decode("utf-8"), edit, strings, name)
        before = _table(members.get(sst_member) if sst_member in members else None)
        for name, body in changed.items():
            if name in edits or not name.startswith("xl/worksheets/"):
                continue
            if cell_values(members[name], before) != cell_values(body, strings):
                raise Unusual(f"{name}: the text moved into shared strings reads back changed")
    except Unusual:
        raise
    except Exception as exc:
        raise Unusual(f"read-back failed: {exc!r}") from exc


def _check_edit(xml: str, edit: SheetEdit, strings: list[str], name: str) -> None:
    """The cells written read back in order, from the first written row down: references and
    values (text through the shared-strings table), nothing else with a value among them; the
    cells emptied hold nothing; the Итого cells their results."""
    if edit.writes:
        _check_written(xml, edit, strings, name)
    if edit.emptied:
        empty = set(_EMPTIED_RE.findall(xml))
        missing = [ref for ref in edit.emptied if ref not in empty]
        if missing:
            raise Unusual(f"{name}: {missing[0]} not emptied")
    if edit.total_column is not None and edit.totals:
        _check_totals(xml, edit, name)


def _check_written(xml: str, edit: SheetEdit, strings: list[str], name: str) -> None:
    first = re.search(rf'<row\b[^>]*\sr="{min(edit.writes)}"', xml)
    found = _WRITTEN_VALUE_RE.findall(xml, first.start() if first else len(xml))
    refs = "".join(map(itemgetter(0), found))
    tails = list(map(itemgetter(1), found))
    patterns: dict[tuple[int, ...], str] = {}  # the references of a row, per set of columns
    want_refs: list[str] = []
    values: list[int | str] = []
    for row, writes in edit.writes.items():
        cols = tuple(writes)
        pattern = patterns.get(cols)
        if pattern is None:
            pattern = patterns[cols] = "".join(get_column_letter(c) + "{0}" for c in cols)
        want_refs.append(pattern.format(row))
        values.extend(writes.values())
    if refs != "".join(want_refs):
        raise Unusual(f"{name}: the cells written are not where they were meant to go")
    meaning = {tail: _tail_value(tail, strings) for tail in set(tails)}  # each distinct form once
    read = list(map(meaning.__getitem__, tails))
    if read != values:
        wrong = next(i for i, (a, b) in enumerate(zip(read, values)) if a != b)
        raise Unusual(f"{name}: cell {wrong} written reads {read[wrong]!r}, "
                      f"not {values[wrong]!r}")


def _tail_value(tail: str, strings: list[str]) -> Any:
    """What a written cell's tail (`><v>3</v>`, ` t="s"><v>12</v>`) holds."""
    m = _WRITTEN_TAIL_RE.fullmatch(tail)
    if m is None:
        return None
    return strings[int(m.group(2))] if m.group(1) else number(m.group(2))


def _check_totals(xml: str, edit: SheetEdit, name: str) -> None:
    assert edit.total_column is not None
    letter = get_column_letter(edit.total_column)
    cached: dict[int, tuple[bool, str]] = {}
    for attrs, v in _TOTAL_CELL_RE.findall(xml):
        ref = CELL_REF_RE.search(" " + attrs)
        if ref is not None and ref.group(1) == letter:
            kind = TYPE_ATTR_RE.search(" " + attrs)
            cached[int(ref.group(2))] = (kind is not None and kind.group(1) == "str", v)
    for row, value in edit.totals.items():
        if value is RECALCULATE:
            if row in cached:
                raise Unusual(f"{name}: Итого in row {row} keeps a cached result")
        elif row in edit.formula_rows and cached.get(row) != (value == "", str(value)):
            raise Unusual(f"{name}: Итого in row {row} reads {cached.get(row)}, not {value!r}")
