"""Filling a form's package in place: only the sheets that change are rewritten.

A full openpyxl load and save rewrites every cell of every sheet and drops what openpyxl does
not model (the x14 validations, cached results). Here the workbook is read once (by
`open_template`, for the form's structure), and the package is then edited at the XML level:
`<sheetData>` of «Протокол» (and of «Классы» when textbooks are given) is spliced row by row —
untouched rows and cells are copied as they are, a written cell keeps its reference and style —
new text goes into the shared-strings table, `fullCalcOnLoad` is set in the workbook, and every
other member is copied unchanged. Text that openpyxl wrote inline (a generated form, a template
saved by openpyxl) is moved into the shared-strings table too, as Excel keeps it.

What was written is then checked before anything is saved (`readback.check_package`), at a cost
proportional to what changed: every changed part must parse as XML (expat); the cells written
are read back from the output in order — references, and values through the shared-strings
table as written — the cells emptied must be empty and the Итого cells hold their results; a
sheet whose inline text moved into shared strings must read (ElementTree) exactly as before,
values and styles. A layout this splicer does not know (rows or cells without references,
comments in the sheet data, a prefixed main namespace) or a failed check falls back to the
openpyxl path (`fill.fill_with_openpyxl`), with a warning in the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from coordinator_app.formats.fisoko.ooxml import ATTRS, INLINE_RE, NS_MAIN, Unusual
from coordinator_app.formats.fisoko.totals import RECALCULATE, column_index

__all__ = [
    "CELL_REF_RE",
    "TYPE_ATTR_RE",
    "CellWriter",
    "M",
    "SheetEdit",
    "Strings",
    "edit_sheet",
    "shared_inline",
]

_SHEET_DATA_RE = re.compile(r"<sheetData\b" + ATTRS + r"(?:/>|>(?P<body>.*?)</sheetData\s*>)", re.DOTALL)
_ROW_RE = re.compile(r"<row\b" + ATTRS + r"(?:/>|>(?P<body>.*?)</row\s*>)", re.DOTALL)
_CELL_RE = re.compile(r"<c\b" + ATTRS + r"(?:/>|>(?P<body>.*?)</c\s*>)", re.DOTALL)
_ROW_NUMBER_RE = re.compile(r"\sr\s*=\s*\"(\d+)\"")
CELL_REF_RE = re.compile(r"\sr\s*=\s*\"([A-Z]{1,3})(\d+)\"")
_STYLE_ATTR_RE = re.compile(r"\ss\s*=\s*\"(\d+)\"")
TYPE_ATTR_RE = re.compile(r"\st\s*=\s*\"([^\"]*)\"")
_SPANS_ATTR_RE = re.compile(r"\sspans\s*=\s*\"[^\"]*\"")
_FORMULA_ELEMENT_RE = re.compile(r"<f\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>[^<]*</f\s*>)")
_DIMENSION_RE = re.compile(r"(<dimension\b[^>]*?\bref\s*=\s*\")([^\"]*)(\")")
M = "{" + NS_MAIN + "}"


@dataclass
class SheetEdit:
    """What changes on one sheet: values cleared in a region, cells written, Итого results."""

    clear_from: int  # rows from here down …
    clear_columns: frozenset[int] | None  # … lose their values in these columns (None: all)
    writes: dict[int, dict[int, int | str]]  # row -> column -> value (rows, columns ascending)
    total_column: int | None = None
    totals: dict[int, int | str] = field(default_factory=dict)
    # Filled in by the splice, for the read-back: cells emptied, rows whose Итого got its result.
    emptied: list[str] = field(default_factory=list)
    formula_rows: set[int] = field(default_factory=set)

    def cleared(self, row: int, col: int) -> bool:
        return row >= self.clear_from and (self.clear_columns is None or col in self.clear_columns)


class Strings:
    """The shared-strings table: the template's entries, then what the fill adds."""

    def __init__(self, xml: bytes | None) -> None:
        self.index: dict[str, int] = {}
        self.size = 0
        self.added: list[str] = []
        self.references = 0  # t="s" cells written − t="s" cells cleared or overwritten
        if xml is None:
            return
        root = ElementTree.fromstring(xml)
        for i, si in enumerate(root.iter(f"{M}si")):
            t = si.find(f"{M}t")
            if t is not None and len(si) == 1:  # plain text (no runs): reusable as it is
                self.index.setdefault(t.text or "", i)
            self.size = i + 1

    def ref(self, text: str) -> int:
        self.references += 1
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = self.size
            self.size += 1
            self.added.append(text)
        return found

    def table(self, original: bytes | None) -> bytes:
        items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in self.added)
        if original is None:
            return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<sst xmlns="{NS_MAIN}" count="{self.references}" uniqueCount="{self.size}">'
                    f"{items}</sst>").encode()
        xml = original.decode("utf-8")
        root = re.search(r"<sst\b" + ATTRS + r"(?P<end>/?)>", xml)
        end = xml.rfind("</sst>")
        if root is None or root.group("end") or end < 0:
            raise Unusual("shared strings: an unexpected table")
        attrs = root.group("attrs")
        count = re.search(r"\scount\s*=\s*\"(\d+)\"", attrs)
        if count is not None:
            attrs = attrs.replace(count.group(0),
                                  f' count="{max(0, int(count.group(1)) + self.references)}"')
        attrs = re.sub(r"\suniqueCount\s*=\s*\"\d+\"", f' uniqueCount="{self.size}"', attrs)
        return (xml[:root.start()] + f"<sst{attrs}>" + xml[root.end():end] + items
                + xml[end:]).encode("utf-8")


class CellWriter:
    """A written cell's XML, `<c r="B5" s="3" t="s"><v>12</v></c>` (the style kept from the cell
    it replaces); each distinct value's tail made once."""

    def __init__(self, strings: Strings) -> None:
        self.strings = strings
        self._tails: dict[Any, str] = {}
        self.letters: dict[int, str] = {}

    def new(self, col: int, row: int, value: int | str | None) -> str:
        """A cell where the row had none."""
        return self.run([col], row, {col: value})

    def run(self, cols: list[int], row: int, values: dict[int, int | str]) -> str:
        """Cells `cols` of `row` where the row had none, values from `values` (never None)."""
        letters, tails = self.letters, self._tails
        parts = []
        for col in cols:
            value = values[col]
            tail = tails.get(value)
            if tail is None:
                tail = self._tail(value)
            letter = letters.get(col)
            if letter is None:
                letter = letters[col] = get_column_letter(col)
            parts.append(f'<c r="{letter}{row}"{tail}')
            if type(value) is str:
                self.strings.references += 1
        return "".join(parts)

    def _tail(self, value: int | str) -> str:
        if isinstance(value, str):
            tail = f' t="s"><v>{self.strings.ref(value)}</v></c>'
            self.strings.references -= 1  # counted per cell by the caller
        else:
            tail = f"><v>{int(value)}</v></c>"
        self._tails[value] = tail
        return tail

    def __call__(self, ref: str, style: str | None, value: int | str | None) -> str:
        head = f'<c r="{ref}" s="{style}"' if style is not None else f'<c r="{ref}"'
        if value is None:
            return head + "/>"
        tail = self._tails.get(value)
        if tail is None:
            tail = self._tail(value)
        if type(value) is str:
            self.strings.references += 1
        return head + tail


def edit_sheet(xml: str, edit: SheetEdit, strings: Strings,
               progress: Callable[[int], None] | None = None) -> str:
    """The sheet's XML with `edit` applied to its `<sheetData>`; `progress(row)` per written row."""
    m = _SHEET_DATA_RE.search(xml)
    if m is None or re.search(r"<[\w.-]+:sheetData\b", xml):
        raise Unusual("no sheetData in the main namespace")
    body = m.group("body") or ""
    if "<!" in body or "<?" in body:
        raise Unusual("comments or CDATA in sheetData")
    rows = _RowsSplice(edit, CellWriter(strings), progress).splice(body)
    result = xml[:m.start()] + f"<sheetData{m.group('attrs')}>" + rows + "</sheetData>"
    return _widen_dimension(result + xml[m.end():], edit)


class _RowsSplice:
    """The rows of one `<sheetData>`, spliced in order: existing rows edited where something
    changes, copied as they are otherwise; new rows put in between where a write needs one."""

    def __init__(self, edit: SheetEdit, cell: CellWriter,
                 progress: Callable[[int], None] | None) -> None:
        self.edit, self.cell, self.progress = edit, cell, progress
        self.pending = list(edit.writes)  # ascending
        self.p = 0
        self.pieces: list[str] = []

    def splice(self, body: str) -> str:
        pos = last = 0
        for rm in _ROW_RE.finditer(body):
            if body[pos:rm.start()].strip():
                raise Unusual("something other than rows in sheetData")
            pos = rm.end()
            number = _ROW_NUMBER_RE.search(rm.group("attrs"))
            if number is None:
                raise Unusual("a row without its number")
            n = int(number.group(1))
            if n <= last:
                raise Unusual("rows out of order")
            last = n
            self._new_rows(n)
            self._row(rm, n)
        if body[pos:].strip():
            raise Unusual("something other than rows in sheetData")
        self._new_rows(None)
        return "".join(self.pieces)

    def _new_rows(self, before: int | None) -> None:
        """The rows to write that the sheet lacks, up to `before` (None: all that are left)."""
        pending, writes = self.pending, self.edit.writes
        while self.p < len(pending) and (before is None or pending[self.p] < before):
            n = pending[self.p]
            cells = self.cell.run(list(writes[n]), n, writes[n])
            self.pieces.append(f'<row r="{n}">{cells}</row>')
            if self.progress is not None:
                self.progress(n)
            self.p += 1

    def _row(self, rm: re.Match[str], n: int) -> None:
        edit = self.edit
        writes: dict[int, int | str] = {}
        if self.p < len(self.pending) and self.pending[self.p] == n:
            writes = edit.writes[n]
            self.p += 1
        if n < edit.clear_from and not writes and n not in edit.totals:
            self.pieces.append(rm.group(0))
            return
        self.pieces.append(_RowSplice(n, writes, edit, self.cell).splice(rm))
        if writes and self.progress is not None:
            self.progress(n)


class _RowSplice:
    """One existing row's cells, spliced in order: a written cell keeps its reference and style,
    a cleared one is emptied, the Итого cell gets its cached result, new cells go in between."""

    def __init__(self, n: int, writes: dict[int, int | str], edit: SheetEdit,
                 cell: CellWriter) -> None:
        self.n, self.writes, self.edit, self.cell = n, writes, edit, cell
        self.pending = list(writes)  # ascending
        self.p = self.last = 0
        self.out: list[str] = []
        self.cols: list[int] = []
        self.added = False
        self.clearing = n >= edit.clear_from
        self.total_column = edit.total_column if n in edit.totals else None

    def splice(self, rm: re.Match[str]) -> str:
        body = rm.group("body") or ""
        pos = 0
        for cm in _CELL_RE.finditer(body):
            if pos != cm.start() and body[pos:cm.start()].strip():
                raise Unusual("something other than cells in a row")
            pos = cm.end()
            self._cell(cm)
        if body[pos:].strip():
            raise Unusual("something other than cells in a row")
        self._insert(len(self.pending))
        attrs = rm.group("attrs")
        if self.added and _SPANS_ATTR_RE.search(attrs):
            attrs = _SPANS_ATTR_RE.sub(f' spans="{min(self.cols)}:{max(self.cols)}"', attrs, count=1)
        return f"<row{attrs}>" + "".join(self.out) + "</row>"

    def _cell(self, cm: re.Match[str]) -> None:
        ref = CELL_REF_RE.search(cm.group("attrs"))
        if ref is None or int(ref.group(2)) != self.n:
            raise Unusual("a cell without its reference")
        col = column_index(ref.group(1))
        if col <= self.last:
            raise Unusual("cells out of order")
        self.last = col
        end = self.p
        while end < len(self.pending) and self.pending[end] < col:
            end += 1
        self._insert(end)
        self.cols.append(col)
        self.out.append(self._replaced(cm, ref.group(1) + ref.group(2), col))

    def _insert(self, end: int) -> None:
        """New cells for the pending writes up to index `end` (the row had no cell for them)."""
        if self.p < end:
            columns = self.pending[self.p:end]
            self.out.append(self.cell.run(columns, self.n, self.writes))
            self.cols += columns
            self.added = True
            self.p = end

    def _replaced(self, cm: re.Match[str], ref: str, col: int) -> str:
        """The cell as it goes into the row: written, emptied, given its Итого result, or kept."""
        if self.p < len(self.pending) and self.pending[self.p] == col:
            self.p += 1
            return self._written(cm, ref, self.writes[col])
        clear_columns = self.edit.clear_columns
        if self.clearing and (clear_columns is None or col in clear_columns):
            if not cm.group("body"):
                return cm.group(0)  # empty already
            self.edit.emptied.append(ref)
            return self._written(cm, ref, None)
        if col == self.total_column:
            cached = _cached_total(cm, self.edit.totals[self.n])
            if cached is None:
                return cm.group(0)
            self.edit.formula_rows.add(self.n)
            return cached
        return cm.group(0)

    def _written(self, cm: re.Match[str], ref: str, value: int | str | None) -> str:
        attrs = cm.group("attrs")
        kind = TYPE_ATTR_RE.search(attrs)
        if kind is not None and kind.group(1) == "s" and cm.group("body"):
            self.cell.strings.references -= 1  # a shared-string reference overwritten
        style = _STYLE_ATTR_RE.search(attrs)
        return self.cell(ref, style.group(1) if style else None, value)


def _cached_total(cm: re.Match[str], value: int | str) -> str | None:
    """The Итого cell with its formula kept and `value` as the cached result; None if the cell
    holds no formula."""
    formula = _FORMULA_ELEMENT_RE.search(cm.group("body") or "")
    if formula is None:
        return None
    attrs = TYPE_ATTR_RE.sub("", cm.group("attrs")).rstrip()
    if value is RECALCULATE:
        return f"<c{attrs}>{formula.group(0)}</c>"
    if value == "":
        return f'<c{attrs} t="str">{formula.group(0)}<v></v></c>'
    return f"<c{attrs}>{formula.group(0)}<v>{value}</v></c>"


def _widen_dimension(xml: str, edit: SheetEdit) -> str:
    if not edit.writes:
        return xml
    m = _DIMENSION_RE.search(xml)
    if m is None:
        return xml
    try:
        c1, r1, c2, r2 = range_boundaries(m.group(2))
    except (ValueError, TypeError):
        return xml
    rows = max(edit.writes)
    cols = max(next(reversed(row)) for row in edit.writes.values())  # columns ascend
    if (r2 or 0) >= rows and (c2 or 0) >= cols:
        return xml
    ref = f"{get_column_letter(c1 or 1)}{r1 or 1}:{get_column_letter(max(c2 or 1, cols))}{max(r2 or 1, rows)}"
    return xml[:m.start(2)] + ref + xml[m.end(2):]


def shared_inline(xml: str, strings: Strings) -> str:
    """Inline text cells (as openpyxl writes them) moved into the shared-strings table; rich text
    stays inline."""
    if 't="inlineStr"' not in xml:
        return xml

    def replace(m: re.Match[str]) -> str:
        text = m.group("text")
        if "&" in text:
            text = ElementTree.fromstring(f"<t>{text}</t>").text or ""
        return f'<c {m.group("a")}t="s"{m.group("b")}><v>{strings.ref(text)}</v></c>'

    return INLINE_RE.sub(replace, xml)

