"""The «Итого баллов» results of a ФИС ОКО form, computed here for the cells' cached values.

openpyxl keeps no cached formula results, and a reader that does not calculate (an uploader, a
viewer) would see empty totals. For the ФИС ОКО formula `=IF(LEN(first task)>0, SUM(tasks), "")`
the result is computed from the values written; a formula of another shape is marked
`RECALCULATE` (Excel computes it on opening: the workbook asks for a full recalculation).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from coordinator_app.formats.fisoko.template import TemplateInfo

__all__ = ["RECALCULATE", "cell_value_at", "column_index", "totals"]


def cell_value_at(ws: Worksheet) -> Callable[[int, int], Any]:
    """`value_at(row, column)` of the sheet's cells as loaded, creating no empty cell."""
    cells = ws._cells

    def value_at(row: int, col: int) -> Any:
        cell = cells.get((row, col))
        return cell.value if cell is not None else None

    return value_at


# «=IF(LEN(C5)>0, SUM(C5,D5,…), "")», the Итого formula of the ФИС ОКО forms.
_TOTAL_RE = re.compile(
    r'^=\s*IF\(\s*LEN\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)\s*>\s*0\s*,\s*SUM\(([^()]*)\)\s*,'
    r'\s*""\s*\)$',
    re.IGNORECASE,
)
_REF = r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"
_REF_RE = re.compile(_REF, re.IGNORECASE)
_SUM_ARGS_RE = re.compile(rf"\s*{_REF}\s*(?:,\s*{_REF}\s*)*", re.IGNORECASE)


class _Recalculate(str):
    """An Итого formula this program does not read (a form's own, e.g. one that weighs parts):
    its cell keeps the formula and loses any cached result, and Excel computes it on opening (the
    workbook asks for a full recalculation), so no reader ever sees a stale 0."""


RECALCULATE = _Recalculate("")


def totals(ws: Worksheet, info: TemplateInfo,
            value_at: Callable[[int, int], Any]) -> dict[int, int | str]:
    """What Excel would cache for each data row's Итого formula, the formulas as `ws` holds them,
    the cells' values as `value_at(row, column)` gives them; `RECALCULATE` for a formula of
    another shape."""
    if info.total_column is None:
        return {}
    out: dict[int, int | str] = {}
    formulas = _TotalFormulas()
    for r in range(info.first_data_row, max(ws.max_row, info.last_data_row) + 1):
        cell = ws._cells.get((r, info.total_column))
        if cell is None or not isinstance(cell.value, str):
            continue
        parsed = formulas.refs(cell.value, r)
        if parsed is None:
            if cell.value.startswith("="):
                out[r] = RECALCULATE
            continue
        first, refs = parsed
        value = value_at(*first)
        if value is None or str(value) == "":
            out[r] = ""
            continue
        total = 0
        for v in [value_at(rr, cc) for rr, cc in refs]:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                total += v  # SUM skips text: «X», «не пройд.»
        out[r] = int(total) if float(total).is_integer() else total
    return out


class _TotalFormulas:
    """Итого formulas read once per shape: the column's formulas differ only in their own row
    number, so a formula whose text is the last parsed one's with this row's number put in the
    same places has the same cells on this row (the text equality is the whole check)."""

    def __init__(self) -> None:
        self._parts: list[str] | None = None  # the last formula split where its row number stood
        self._first = 0
        self._columns: list[int] = []

    def refs(self, formula: str, row: int) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
        text = formula.strip()
        if self._parts is not None and str(row).join(self._parts) == text:
            return (row, self._first), [(row, c) for c in self._columns]
        parsed = _total_refs(text)
        self._parts = None
        if parsed is not None:
            self._learn(text, row, parsed)
        return parsed

    def _learn(self, text: str, row: int,
               parsed: tuple[tuple[int, int], list[tuple[int, int]]]) -> None:
        first, refs = parsed
        if first[0] != row or any(r != row for r, _c in refs):
            return
        m = _TOTAL_RE.match(text)
        assert m is not None
        cuts = [m.span(2)]
        args = m.start(3)
        for ref in _REF_RE.finditer(m.group(3)):
            cuts.append((args + ref.start(2), args + ref.end(2)))
            if ref.group(4):
                cuts.append((args + ref.start(4), args + ref.end(4)))
        parts, at = [], 0
        for start, end in cuts:
            parts.append(text[at:start])
            at = end
        parts.append(text[at:])
        self._parts, self._first, self._columns = parts, first[1], [c for _r, c in refs]


@functools.lru_cache(maxsize=4096)
def column_index(letters: str) -> int:
    """«AB» → 28 (remembered: a form names the same few dozen columns thousands of times)."""
    return column_index_from_string(letters.upper())


def _total_refs(formula: str) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
    """For an Итого formula: (the LEN cell, the SUM cells) as (row, column); None otherwise."""
    m = _TOTAL_RE.match(formula.strip())
    if m is None or _SUM_ARGS_RE.fullmatch(m.group(3)) is None:
        return None
    first = (int(m.group(2)), column_index(m.group(1)))
    refs: list[tuple[int, int]] = []
    for col1, row1, col2, row2 in _REF_RE.findall(m.group(3)):
        c1, r1 = column_index(col1), int(row1)
        if not col2:
            refs.append((r1, c1))
            continue
        c2, r2 = column_index(col2), int(row2)
        refs += [(rr, cc) for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1)]
    return first, refs

