"""Fill the ФИС ОКО «форма сбора результатов» (.xlsx) with a work's results.

Two ways to get the file the school uploads:

- `fill_template()`: the coordinator downloaded the form from ФИС ОКО; the rows of «Протокол» are
  filled in place, everything else of the workbook is kept (header, the `Итого баллов` formulas,
  the hidden «Служебный» sheet, data validations, widths, styles, defined names);
- `generate_form()`: there is no template at hand; a form of the same structure is built from the
  work definition (`FormSpec`) and filled the same way.

Nothing is written unless every value passes `check_rows()`: each value is checked against the
form's own validation lists (the lists on «Служебный» behind the cells' data validations), the
code against the form's decimal range; a duplicated code, a present pupil's empty task cell, a
variant missing, or more rows than the form's data area are problems too. All problems are
reported at once in one `UserError` (Russian, one line per problem in `details`).

Values are written the way ФИС ОКО's own forms hold them: the code, variants, scores, class
ordinal and journal mark as numbers, «X» (Latin), «не пройд.», «отсутствовал», «м»/«ж» and
«нет отметки» as text spelled exactly as in the form's list. An absent pupil gets «отсутствовал» in
the variant column of part 1 only (like the real 2025 form), every task cell left empty.

openpyxl drops the Excel 2010+ data validations kept in a sheet's `<extLst>` (lists pointing to
another sheet); they are copied back from the template into the saved file. openpyxl keeps no
cached formula results either: the `Итого баллов` results are computed here (for the ФИС ОКО
formula `=IF(LEN(first task)>0, SUM(tasks), "")`) and stored in the cells, so a reader that does
not calculate sees the right totals; Excel recalculates on opening anyway (`fullCalcOnLoad`).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app.errors import UserError
from coordinator_app.fsutil import atomic_writer
from coordinator_app.imports.cells import value_text
from coordinator_app.imports.fisoko_template import (
    ABSENT,
    CLASSES_SHEET,
    NOT_PASSED,
    PROTOCOL_SHEET,
    SERVICE_SHEET,
    TemplateInfo,
    read_template,
    sheet_paths,
)

__all__ = [
    "FormRowData",
    "ExportProblem",
    "FormSpec",
    "check_rows",
    "fill_template",
    "generate_form",
    "X",
    "NO_MARK",
    "NOT_PASSED",
    "ABSENT",
]

log = logging.getLogger(__name__)

#: The «no answer» value of a task cell (Latin capital X).
X = "X"
#: The journal-mark value of a pupil without a mark.
NO_MARK = "нет отметки"

ProgressFn = Callable[[int, int], None]

# Header texts as ФИС ОКО writes them (used for generated forms and in problem messages).
HEADER_CODE = "Код участника"
HEADER_VARIANT = "Вариант"
HEADER_CLASS_ORDINAL = "Порядковый номер класса"
HEADER_GENDER = "Пол"
HEADER_MARK = "Отметка за предыдущий триместр/ четверть/полугодие"
HEADER_TOTAL = "Итого баллов"
ORDINALS_SHEET = "Порядковый номер класса"
CLASSES_HEADER = (
    "Порядковый номер класса",
    "Основной учебник по предмету",
    "Другое (автор учебника)",
    "Другое (название учебника)",
)
TEXTBOOK_COLUMN = "Основной учебник по предмету (лист «Классы»)"

_CODE_RE = re.compile(r"^\d{5}$")
_X_VARIANTS = {"x", "х"}  # Latin and Cyrillic, after lower-casing
_MARKS = ("5", "4", "3", "2", NO_MARK)
_GENDERS = ("м", "ж")

# Generated forms: the real form's proportions.
_GEN_LAST_ROW = 1499
_GEN_CLASS_ORDINALS = 50
_GEN_CLASSES_ROWS = 1000
_GEN_WIDTH = 9.14
_GEN_SERVICE_WIDTH = 8.71

_X14_DV_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class FormRowData:
    """One participant's row for the form, values as the domain holds them (text)."""

    code: str
    absent: bool
    variants: dict[int, str | None]  # part -> "1", "2", … (ignored when absent)
    # task_id -> "0".."max" | "X" | "не пройд." | None (ignored when absent)
    scores: dict[str, str | None]
    class_ordinal: int | None = None
    gender: str | None = None  # "м" / "ж"
    journal_mark: str | None = None  # "5", "4", "3", "2", "нет отметки"


@dataclass
class ExportProblem:
    """One value that cannot go into the form."""

    code: str  # the participant code ("" for a problem not tied to a participant)
    column: str  # the column's header, e.g. "9.1 (1б)"
    value: str  # the value as text ("" for an empty cell)
    reason: str  # Russian

    def text(self) -> str:
        """«код 40001, столбец «9.1 (1б)», значение «3»: нет в списке допустимых значений формы»."""
        parts = []
        if self.code:
            parts.append(f"код {self.code}")
        if self.column:
            parts.append(f"столбец «{self.column}»")
        if self.value != "":
            parts.append(f"значение «{self.value}»")
        where = ", ".join(parts)
        return f"{where}: {self.reason}" if where else self.reason

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.text()


@dataclass
class FormSpec:
    """The work definition, for generating a form without a template."""

    grade: int
    tasks: list[tuple[str, int, int]]  # (task_id, max, part), in the order of the form
    parts: int
    has_gender: bool
    allows_not_passed: bool
    has_journal_mark: bool = True
    code_range: tuple[int, int] | None = None
    textbooks: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Values




def _canon(value: Any) -> str:
    """For matching a value with a list entry: no spaces, lower case, ё → е, Х → x, no final dot."""
    if isinstance(value, str):
        return _canon_text(value)
    return _canon_text(value_text(value))


@functools.lru_cache(maxsize=4096)
def _canon_text(value: str) -> str:
    # A form of 1500 rows matches the same few dozen values (0, 1, 2, X, …) tens of thousands of times.
    text = re.sub(r"\s+", "", value_text(value)).lower().replace("ё", "е")
    if text in _X_VARIANTS:
        return "x"
    return text.rstrip(".")


@functools.lru_cache(maxsize=256)
def _entries_by_canon(allowed: tuple[str, ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in allowed:
        index.setdefault(_canon(entry), entry)       # the first spelling wins, as in the list
    return index


def _match(value: str, allowed: list[str]) -> str | None:
    """The list's own spelling of `value`, or None if the list has no such entry."""
    return _entries_by_canon(tuple(allowed)).get(_canon(value))


def _describe(allowed: list[str]) -> str:
    """«1, 0, X, не пройд.», or «от 1 до 50» for a run of numbers."""
    numbers = [int(x) for x in allowed if x.isascii() and x.isdigit()]
    if len(numbers) == len(allowed) and len(numbers) > 6:
        ordered = sorted(numbers)
        if ordered == list(range(ordered[0], ordered[-1] + 1)):
            return f"от {ordered[0]} до {ordered[-1]}"
    shown = [f"«{x}»" if not (x.isascii() and x.isdigit()) else x for x in allowed[:12]]
    return ", ".join(shown) + (", …" if len(allowed) > 12 else "")


def _not_in_list(allowed: list[str]) -> str:
    return f"нет в списке допустимых значений формы (допустимы: {_describe(allowed)})"


def _cell_value(text: str) -> int | str:
    """What goes into the cell: digits as a number, anything else as text."""
    return int(text) if text.isascii() and text.isdigit() else text


def _score_text(raw: Any) -> str | None:
    """A task value from the domain as text: None / "" → None, Cyrillic Х → X."""
    text = value_text(raw)
    if not text:
        return None
    if text.lower() in _X_VARIANTS:
        return X
    return text


def _plural_rows(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} строка"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} строки"
    return f"{n} строк"


# --------------------------------------------------------------------------------------------
# Checking


class _Columns:
    """Display names of the form's columns (task headers as in the file)."""

    def __init__(self, info: TemplateInfo) -> None:
        self.info = info

    def variant(self, part: int) -> str:
        return f"{HEADER_VARIANT} (часть {part})" if self.info.parts > 1 else HEADER_VARIANT


@dataclass
class _Planned:
    """A row as it will be written: column -> cell value (None: leave empty)."""

    cells: dict[int, int | str | None]


def _plan(
    info: TemplateInfo, rows: list[FormRowData], textbooks: dict[int, str] | None
) -> tuple[list[_Planned], dict[int, str] | None, list[ExportProblem]]:
    """Check every value; return the cell values to write and the problems."""
    problems: list[ExportProblem] = []
    names = _Columns(info)
    capacity = info.last_data_row - info.first_data_row + 1

    if len(rows) > capacity:
        extra = rows[capacity]
        problems.append(
            ExportProblem(
                extra.code, HEADER_CODE, value_text(extra.code),
                f"участник не помещается в форму: в ней {_plural_rows(capacity)} для участников "
                f"(строки {info.first_data_row}–{info.last_data_row}), а участников {len(rows)}",
            )
        )

    planned: list[_Planned] = []
    seen: set[str] = set()
    for row in rows:
        cells: dict[int, int | str | None] = {}
        code = value_text(row.code)

        def problem(column: str, value: Any, reason: str, code: str = code) -> None:
            problems.append(ExportProblem(code, column, value_text(value), reason))

        # Code.
        if not _CODE_RE.match(code):
            problem(HEADER_CODE, code, "код участника — пять цифр" if code else
                    "не указан код участника")
        elif info.code_range is not None and not (
            info.code_range[0] <= int(code) <= info.code_range[1]
        ):
            low, high = info.code_range
            problem(HEADER_CODE, code, f"код вне диапазона формы ({low}–{high})")
        elif code in seen:
            problem(HEADER_CODE, code, "код повторяется: участник уже есть в форме")
        seen.add(code)
        cells[info.code_column] = int(code) if code.isascii() and code.isdigit() else code

        # Variants and absence.
        if row.absent:
            first_part = min(info.variant_columns)
            col = info.variant_columns[first_part]
            allowed = info.allowed_values.get(col)
            spelled = ABSENT
            if allowed is not None:
                found = _match(ABSENT, allowed)
                if found is None:
                    problem(names.variant(first_part), ABSENT, _not_in_list(allowed))
                else:
                    spelled = found
            cells[col] = spelled
            for part, vcol in info.variant_columns.items():
                if part != first_part:
                    cells[vcol] = None
            for t in info.tasks:
                cells[t.column] = None
        else:
            for part, col in info.variant_columns.items():
                raw = value_text(row.variants.get(part))
                cells[col] = None
                if not raw:
                    problem(names.variant(part), "", "не указан вариант")
                    continue
                allowed = info.allowed_values.get(col)
                if allowed is not None:
                    found = _match(raw, allowed)
                    if found is not None and _canon(found) == _canon(ABSENT):
                        problem(names.variant(part), raw,
                                "ученик не отмечен отсутствующим: нужен номер варианта")
                        continue
                    if found is None:
                        problem(names.variant(part), raw, _not_in_list(allowed))
                        continue
                    cells[col] = _cell_value(found)
                elif raw.isascii() and raw.isdigit() and int(raw) > 0:
                    cells[col] = int(raw)
                else:
                    problem(names.variant(part), raw, "вариант — номер варианта (1, 2, …)")

            # Scores: every task of the form, in the form's order.
            given: dict[int, Any] = {}
            for task_id, value in row.scores.items():
                try:
                    t = info.task(str(task_id))
                except KeyError:
                    if _score_text(value) is not None:
                        problem(str(task_id), value, "в форме нет такого задания")
                    continue
                given[t.column] = value
            for t in info.tasks:
                text = _score_text(given.get(t.column))
                cells[t.column] = None
                if text is None:
                    problem(t.header, "", "не заполнено (для ученика, писавшего работу, нужен "
                                          "балл, X или «не пройд.»)" if info.allows_not_passed
                            else "не заполнено (для ученика, писавшего работу, нужен балл или X)")
                    continue
                allowed = info.allowed_values.get(t.column)
                if allowed is not None:
                    found = _match(text, allowed)
                    if found is None:
                        problem(t.header, text, _not_in_list(allowed))
                        continue
                    cells[t.column] = _cell_value(found)
                    continue
                cells[t.column] = _score_without_list(text, t.max_score, info, t.header, problem)

        # Optional columns, where the form has them.
        if info.class_ordinal_column is not None:
            col = info.class_ordinal_column
            cells[col] = None
            if row.class_ordinal is not None:
                text = value_text(row.class_ordinal)
                allowed = info.allowed_values.get(col)
                if not (text.isascii() and text.isdigit() and int(text) > 0):
                    problem(HEADER_CLASS_ORDINAL, text,
                            "порядковый номер класса — целое число больше нуля")
                elif allowed is not None and _match(text, allowed) is None:
                    problem(HEADER_CLASS_ORDINAL, text, _not_in_list(allowed))
                else:
                    cells[col] = int(text)
        # Optional columns filled from a list: the template's own, else the usual values.
        for col, value, usual, header, as_cell in (
                (info.gender_column, row.gender, _GENDERS, HEADER_GENDER, str),
                (info.journal_mark_column, row.journal_mark, _MARKS, HEADER_MARK, _cell_value)):
            if col is None:
                continue
            cells[col] = None
            text = value_text(value)
            if text:
                allowed = info.allowed_values.get(col) or list(usual)
                found = _match(text, allowed)
                if found is None:
                    problem(header, text, _not_in_list(allowed))
                else:
                    cells[col] = as_cell(found)
        planned.append(_Planned(cells))

    books = _plan_textbooks(info, textbooks, problems)
    return planned, books, problems


def _score_without_list(
    text: str, max_score: int, info: TemplateInfo, header: str,
    problem: Callable[[str, Any, str], None],
) -> int | str | None:
    """A task value for a column the form does not guard with a list: the domain's rules."""
    if text == X:
        return X
    if _canon(text) == _canon(NOT_PASSED):
        if info.allows_not_passed:
            return NOT_PASSED
        problem(header, text, f"«{NOT_PASSED}» в этой форме не используется")
        return None
    if text.isascii() and text.isdigit():
        if int(text) <= max_score:
            return int(text)
        problem(header, text, f"больше максимума {max_score}")
        return None
    problem(header, text, f"допустимо целое от 0 до {max_score} или X")
    return None


def _plan_textbooks(
    info: TemplateInfo, textbooks: dict[int, str] | None, problems: list[ExportProblem]
) -> dict[int, str] | None:
    """Textbooks per class ordinal in the list's own spelling; None: leave «Классы» alone."""
    if textbooks is None or not info.has_classes_sheet:
        return None
    out: dict[int, str] = {}
    for ordinal, book in sorted(textbooks.items(), key=lambda kv: value_text(kv[0])):
        text = value_text(book)
        ordinal_text = value_text(ordinal)
        if not (ordinal_text.isascii() and ordinal_text.isdigit() and int(ordinal_text) > 0):
            problems.append(ExportProblem("", TEXTBOOK_COLUMN, text,
                                          f"порядковый номер класса «{ordinal_text}» — "
                                          f"должно быть целое число больше нуля"))
            continue
        number = int(ordinal_text)
        if not text:
            problems.append(ExportProblem("", TEXTBOOK_COLUMN, "",
                                          f"класс {number}: не выбран учебник"))
            continue
        if info.textbooks:
            found = next((b for b in info.textbooks if value_text(b) == text), None)
            if found is None:
                problems.append(ExportProblem("", TEXTBOOK_COLUMN, text,
                                              f"класс {number}: такого учебника нет в списке "
                                              f"формы"))
                continue
            text = found
        out[number] = text
    return out


def check_rows(
    info: TemplateInfo, rows: list[FormRowData], textbooks: dict[int, str] | None = None
) -> list[ExportProblem]:
    """Every reason the rows (and textbooks) cannot go into the form `info`; [] if they can."""
    return _plan(info, list(rows), textbooks)[2]


def _raise_problems(problems: list[ExportProblem]) -> None:
    n = len(problems)
    raise UserError(
        f"Форма не сохранена: ошибок — {n}. Исправьте данные и сохраните форму снова.",
        details=[p.text() for p in problems],
    )


# --------------------------------------------------------------------------------------------
# Writing into a workbook


def _put(cell: Cell, value: int | str | None) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula


def _clear(ws: Worksheet, columns: list[int], first_row: int, last_row: int) -> None:
    """Empty the values (not the styles) of existing cells in `columns` × rows."""
    cells = ws._cells  # noqa: SLF001 - iterating via ws.cell() would create every empty cell
    for (row, col), cell in list(cells.items()):
        if first_row <= row <= last_row and col in columns and cell.value is not None:
            cell.value = None


def _find_sheet(wb: Workbook, title: str) -> Worksheet | None:
    wanted = value_text(title).lower()
    for ws in wb.worksheets:
        if value_text(ws.title).lower() == wanted:
            return ws
    return None


def _fill_workbook(
    wb: Workbook,
    info: TemplateInfo,
    planned: list[_Planned],
    books: dict[int, str] | None,
    progress: ProgressFn | None,
) -> dict[int, int | str]:
    """Write the rows; return the Итого results to cache ({row: value}, see `_totals`)."""
    ws = wb[info.sheet]
    inputs = [info.code_column, *info.variant_columns.values(), *(t.column for t in info.tasks)]
    inputs += [c for c in (info.class_ordinal_column, info.gender_column,
                           info.journal_mark_column) if c is not None]
    # A template filled before: stale rows below ours must not reach ФИС ОКО.
    _clear(ws, inputs, info.first_data_row, max(ws.max_row, info.last_data_row))
    total = len(planned)
    if progress is not None:
        progress(0, total)
    for i, row in enumerate(planned):
        r = info.first_data_row + i
        for col, value in row.cells.items():
            if value is None:
                continue
            _put(ws.cell(row=r, column=col), value)
        if progress is not None:
            progress(i + 1, total)
    if books is not None:
        _fill_classes(wb, books)
    # openpyxl keeps no cached formula results: let Excel recalculate on opening, and store
    # the Итого results ourselves for readers that never calculate (see `_finish`).
    if wb.calculation is not None:
        wb.calculation.fullCalcOnLoad = True
    return _totals(ws, info)


# «=IF(LEN(C5)>0, SUM(C5,D5,…), "")», the Итого formula of the ФИС ОКО forms.
_TOTAL_RE = re.compile(
    r'^=\s*IF\(\s*LEN\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)\s*>\s*0\s*,\s*SUM\(([^()]*)\)\s*,'
    r'\s*""\s*\)$',
    re.I,
)
_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$", re.I)


def _totals(ws: Worksheet, info: TemplateInfo) -> dict[int, int | str]:
    """What Excel would cache for each data row's Итого formula (other formulas: left out)."""
    if info.total_column is None:
        return {}
    out: dict[int, int | str] = {}
    for r in range(info.first_data_row, max(ws.max_row, info.last_data_row) + 1):
        cell = ws._cells.get((r, info.total_column))  # noqa: SLF001 - do not create cells
        if cell is None or not isinstance(cell.value, str):
            continue
        m = _TOTAL_RE.match(cell.value.strip())
        if m is None:
            continue
        try:
            first_ref = (int(m.group(2)), column_index_from_string(m.group(1).upper()))
            first = ws._cells.get(first_ref)  # noqa: SLF001
            refs: list[tuple[int, int]] = []
            for arg in m.group(3).split(","):
                ref = _REF_RE.match(arg.strip())
                if ref is None:
                    raise ValueError(arg)
                c1, r1 = column_index_from_string(ref.group(1).upper()), int(ref.group(2))
                c2 = column_index_from_string(ref.group(3).upper()) if ref.group(3) else c1
                r2 = int(ref.group(4)) if ref.group(4) else r1
                refs += [(rr, cc) for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1)]
        except ValueError:
            continue
        if first is None or first.value is None or str(first.value) == "":
            out[r] = ""
            continue
        total = 0
        for rr, cc in refs:
            value = ws._cells.get((rr, cc))  # noqa: SLF001
            v = value.value if value is not None else None
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                total += v  # SUM skips text: «X», «не пройд.»
        out[r] = int(total) if float(total).is_integer() else total
    return out


def _fill_classes(wb: Workbook, books: dict[int, str]) -> None:
    ws = _find_sheet(wb, CLASSES_SHEET)
    if ws is None:
        return
    header_row, ordinal_col, book_col = 1, 1, 2
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 10)):
        keys = {cell.column: value_text(cell.value).lower().replace("ё", "е") for cell in row}
        book = [c for c, k in keys.items() if k.startswith("основной учебник")]
        if book:
            header_row, book_col = row[0].row, book[0]
            ordinal = [c for c, k in keys.items() if "номер класса" in k]
            ordinal_col = ordinal[0] if ordinal else 1
            break
    width = max(ws.max_column, book_col, ordinal_col, len(CLASSES_HEADER))
    _clear(ws, list(range(1, width + 1)), header_row + 1, ws.max_row)
    for i, (ordinal, book) in enumerate(sorted(books.items()), start=header_row + 1):
        _put(ws.cell(row=i, column=ordinal_col), ordinal)
        _put(ws.cell(row=i, column=book_col), book)


def _load(data: bytes, read_only: bool = False) -> Workbook:
    with warnings.catch_warnings():
        # "Data Validation extension is not supported": copied back after saving.
        warnings.simplefilter("ignore")
        return load_workbook(io.BytesIO(data), read_only=read_only)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Excel 2010+ data validations (sheet <extLst>), lost by openpyxl

_ROOT_TAG_RE = re.compile(r"<(?:[\w.-]+:)?worksheet\b[^>]*>", re.S)
_NS_DECL_RE = re.compile(r'\bxmlns(?::([\w.-]+))?\s*=\s*"([^"]*)"')
_EXT_RE = re.compile(
    r"<(?P<tag>(?:[\w.-]+:)?ext)\b(?P<attrs>[^>]*\buri\s*=\s*\"" + re.escape(_X14_DV_URI)
    + r"\"[^>]*)>(?P<body>.*?)</(?P=tag)\s*>",
    re.S | re.I,
)
_PREFIX_RE = re.compile(r"</?([\w.-]+):[\w.-]+|\s([\w.-]+):[\w.-]+\s*=")


def _x14_block(xml: str) -> str | None:
    """The sheet's x14 data-validation `<ext>` element, namespaces declared on it; None if none."""
    m = _EXT_RE.search(xml)
    if m is None:
        return None
    root = _ROOT_TAG_RE.search(xml)
    declared_on_root = dict(_NS_DECL_RE.findall(root.group(0))) if root else {}
    block = m.group(0)
    declared_inside = {p for p, _uri in _NS_DECL_RE.findall(block)}
    used = {a or b for a, b in _PREFIX_RE.findall(block)} - {"xmlns", "xml"}
    missing = sorted(p for p in used - declared_inside if p in declared_on_root)
    if any(p not in declared_on_root for p in used - declared_inside):
        return None  # a prefix we cannot resolve: better no block than a broken file
    decls = "".join(f' xmlns:{p}="{declared_on_root[p]}"' for p in missing)
    tag, attrs = m.group("tag"), m.group("attrs")
    if ":" not in tag and declared_on_root.get("", _NS_MAIN) != _NS_MAIN:
        return None
    return f"<{tag}{attrs}{decls}>{m.group('body')}</{tag}>"


def _x14_blocks(template: bytes) -> dict[str, str]:
    """Sheet title → its x14 data-validation `<ext>` block in the template."""
    blocks: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(template)) as zf:
            for title, member in sheet_paths(zf).items():
                try:
                    xml = zf.read(member).decode("utf-8")
                except (KeyError, UnicodeDecodeError):
                    continue
                block = _x14_block(xml)
                if block is not None:
                    blocks[title] = block
    except Exception:  # noqa: BLE001 - the template was read by openpyxl already
        log.warning("could not read the template's x14 data validations", exc_info=True)
    return blocks


def _finish(
    output: bytes,
    *,
    template: bytes | None,
    sheet: str,
    total_column: int | None,
    totals: dict[int, int | str],
) -> bytes:
    """Post-process the saved package: x14 validations back from the template; Итого results
    cached in the formula cells of `sheet`."""
    blocks = _x14_blocks(template) if template is not None else {}
    if not blocks and not (totals and total_column):
        return output
    with zipfile.ZipFile(io.BytesIO(output)) as zf:
        paths = sheet_paths(zf)
        members = [(item, zf.read(item.filename)) for item in zf.infolist()]
    by_member = {paths[t]: b for t, b in blocks.items() if t in paths}
    protocol = paths.get(value_text(sheet))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as out:
        for item, data in members:
            if item.filename == protocol and totals and total_column:
                data = _cache_totals(data, get_column_letter(total_column), totals, item.filename)
            block = by_member.get(item.filename)
            if block is not None:
                data = _insert_ext(data, block, item.filename)
            out.writestr(item, data)
    return result.getvalue()


_FORMULA_CELL_RE = re.compile(
    r'<c r="(?P<col>[A-Z]{1,3})(?P<row>\d+)"(?P<attrs>[^>]*?)>(?P<f><f>[^<]*</f>)'
    r"(?:<v\s*/>|<v></v>)?</c>"
)


def _cache_totals(data: bytes, letter: str, totals: dict[int, int | str], member: str) -> bytes:
    xml = data.decode("utf-8")

    def replace(m: re.Match[str]) -> str:
        if m.group("col") != letter or " t=" in m.group("attrs"):
            return m.group(0)
        value = totals.get(int(m.group("row")))
        if value is None:
            return m.group(0)
        ref, attrs, formula = m.group("col") + m.group("row"), m.group("attrs"), m.group("f")
        if value == "":
            return f'<c r="{ref}"{attrs} t="str">{formula}<v></v></c>'
        return f'<c r="{ref}"{attrs}>{formula}<v>{value}</v></c>'

    new = _FORMULA_CELL_RE.sub(replace, xml)
    try:
        ElementTree.fromstring(new.encode("utf-8"))
    except ElementTree.ParseError:
        log.warning("caching the Итого results broke %s; left out", member, exc_info=True)
        return data
    return new.encode("utf-8")


def _insert_ext(data: bytes, block: str, member: str) -> bytes:
    xml = data.decode("utf-8")
    if "<extLst>" in xml and "</extLst>" in xml:
        new = xml.replace("</extLst>", block + "</extLst>", 1)
    else:
        end = xml.rfind("</worksheet>")
        if end < 0:
            log.warning("no </worksheet> in %s; x14 validations not restored", member)
            return data
        new = xml[:end] + "<extLst>" + block + "</extLst>" + xml[end:]
    try:
        ElementTree.fromstring(new.encode("utf-8"))
    except ElementTree.ParseError:
        log.warning("restoring x14 validations broke %s; left out", member, exc_info=True)
        return data
    return new.encode("utf-8")


# --------------------------------------------------------------------------------------------
# Public: fill a template, generate a form


# --------------------------------------------------------------------------------------------
# Shared strings: openpyxl writes every text cell inline (`t="inlineStr"`); Excel, and the form
# downloaded from ФИС ОКО, keep text in xl/sharedStrings.xml. Uploaders that read only shared
# strings would see «отсутствовал», «X» and «не пройд.» as empty cells, so the saved package is
# rewritten to Excel's own layout.

_INLINE_RE = re.compile(
    r'<c (?P<a>[^>]*?)t="inlineStr"(?P<b>[^>]*)><is><t(?: xml:space="preserve")?>(?P<text>[^<]*)</t></is></c>')
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _shared_strings(data: bytes) -> bytes:
    """The package with inline strings moved into a shared-strings table; the original bytes if
    anything looks unusual (an existing table, rich text) or the result does not read back the same."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "xl/sharedStrings.xml" in names:
                return data
            members = [(item, zf.read(item.filename)) for item in zf.infolist()]
        strings: dict[str, int] = {}
        count = 0

        def replace(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            index = strings.setdefault(m.group("text"), len(strings))
            return f'<c {m.group("a")}t="s"{m.group("b")}><v>{index}</v></c>'

        rewritten = []
        for item, body in members:
            if item.filename.startswith("xl/worksheets/sheet") and item.filename.endswith(".xml"):
                body = _INLINE_RE.sub(replace, body.decode("utf-8")).encode("utf-8")
                if b't="inlineStr"' in body:      # rich text or an odd form: keep the original
                    return data
            rewritten.append((item, body))
        if not strings:
            return data
        sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" '
               f'uniqueCount="{len(strings)}">'
               + "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings) + "</sst>")
        result = io.BytesIO()
        with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as out:
            for item, body in rewritten:
                if item.filename == "[Content_Types].xml":
                    body = body.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                       f'ContentType="{_SST_TYPE}"/></Types>'.encode())
                elif item.filename == "xl/_rels/workbook.xml.rels":
                    body = body.replace(b"</Relationships>", f'<Relationship Id="rIdVprSharedStrings" '
                                                               f'Type="{_SST_REL}" Target="sharedStrings.xml"/>'
                                                               f"</Relationships>".encode())
                out.writestr(item, body)
            out.writestr("xl/sharedStrings.xml", sst.encode("utf-8"))
        converted = result.getvalue()
        if not _same_values(data, converted):
            log.warning("shared-strings rewrite changed values; the inline form is kept")
            return data
        return converted
    except Exception:  # noqa: BLE001 - the inline form is valid; never lose an export over this
        log.warning("shared-strings rewrite failed; the inline form is kept", exc_info=True)
        return data


def _same_values(a: bytes, b: bytes) -> bool:
    first, second = _load(a, read_only=True), _load(b, read_only=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # read-only sheets are parsed here, not in _load
            if first.sheetnames != second.sheetnames:
                return False
            for name in first.sheetnames:
                rows_a = list(first[name].iter_rows(values_only=True))
                rows_b = list(second[name].iter_rows(values_only=True))
                if rows_a != rows_b:
                    return False
            return True
    finally:
        first.close()
        second.close()


def _write(out: Path, data: bytes) -> None:
    data = _shared_strings(data)
    with atomic_writer(out) as stream:
        stream.write(data)


def fill_template(
    template: Path,
    out: Path,
    rows: list[FormRowData],
    *,
    textbooks: dict[int, str] | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Fill the ФИС ОКО form `template` with `rows` (in order) and save it as `out`.

    `textbooks` ({class ordinal: textbook from the form's list}) fills the «Классы» sheet when the
    form has one (None: leave it as it is). `progress(done, total)` counts rows written.
    Raises `UserError` and writes nothing if any value does not fit the form.
    """
    template, out = Path(template), Path(out)
    if out.resolve() == template.resolve():
        raise UserError(
            "Сохраните заполненную форму под другим именем: файл, скачанный из ФИС ОКО, "
            "остаётся пустым шаблоном."
        )
    info = read_template(template)
    planned, books, problems = _plan(info, list(rows), textbooks)
    if problems:
        _raise_problems(problems)
    try:
        data = template.read_bytes()
    except OSError as exc:
        raise UserError(f"Не удалось прочитать файл «{template.name}»: "
                        f"{exc.strerror or exc}.") from None
    _fill_and_write(out, data, info, planned, books, progress, template=data)


def generate_form(
    out: Path,
    spec: FormSpec,
    rows: list[FormRowData],
    *,
    textbooks: dict[int, str] | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Build a form of the ФИС ОКО structure for `spec`, fill it with `rows`, save it as `out`.

    Sheets: «Классы» (when `spec.textbooks`), «Протокол», hidden «Служебный» (the lists),
    «Порядковый номер класса». Raises `UserError` and writes nothing if a value does not fit.
    """
    out = Path(out)
    _check_spec(spec)
    variants = max([2] + [int(v) for r in rows if not r.absent for v in r.variants.values()
                          if value_text(v).isascii() and value_text(v).isdigit()])
    ordinals = max([_GEN_CLASS_ORDINALS] + [int(r.class_ordinal) for r in rows
                                             if isinstance(r.class_ordinal, int)])
    wb = _blank_form(spec, variants=variants, ordinals=ordinals)
    blank = _save(wb)
    wb.close()
    # Read our own form back the way a downloaded one is read: one code path for both.
    with tempfile.TemporaryDirectory(prefix="vpr-form-") as tmp:
        path = Path(tmp) / "form.xlsx"
        path.write_bytes(blank)
        info = read_template(path)
    planned, books, problems = _plan(info, list(rows), textbooks)
    if problems:
        _raise_problems(problems)
    _fill_and_write(out, blank, info, planned, books, progress, template=None)


def _fill_and_write(out: Path, form: bytes, info: TemplateInfo, planned: list[_Planned],
                    books: dict[int, str] | None, progress: ProgressFn | None, *,
                    template: bytes | None) -> None:
    """Fill the (checked) plan into the workbook `form`, restore what openpyxl loses (compared with
    the downloaded `template`, if any) and write the result atomically to `out`."""
    wb = _load(form)
    try:
        totals = _fill_workbook(wb, info, planned, books, progress)
        output = _save(wb)
    finally:
        wb.close()
    output = _finish(output, template=template, sheet=info.sheet, total_column=info.total_column,
                     totals=totals)
    _write(out, output)


def _check_spec(spec: FormSpec) -> None:
    problems = []
    if not spec.tasks:
        problems.append("в работе нет заданий")
    if spec.parts not in (1, 2):
        problems.append(f"частей работы должно быть 1 или 2, а указано {spec.parts}")
    seen: set[str] = set()
    for task_id, max_score, part in spec.tasks:
        tid = value_text(task_id)
        if not tid:
            problems.append("у задания нет номера")
        elif tid in seen:
            problems.append(f"задание «{tid}» указано дважды")
        seen.add(tid)
        if int(max_score) <= 0:
            problems.append(f"у задания «{tid}» максимальный балл должен быть больше нуля")
        if not 1 <= int(part) <= max(spec.parts, 1):
            problems.append(f"задание «{tid}» отнесено к части {part}, а частей {spec.parts}")
    if spec.parts in (1, 2):
        for part in range(1, spec.parts + 1):
            if not any(int(p) == part for _t, _m, p in spec.tasks):
                problems.append(f"в части {part} нет заданий")
    if spec.code_range is not None and spec.code_range[0] > spec.code_range[1]:
        problems.append("диапазон кодов задан наоборот")
    if problems:
        raise UserError("Нельзя построить форму по описанию работы: " + "; ".join(problems) + ".")


def _default_code_range(grade: int) -> tuple[int, int] | None:
    """The real form's range: 70001–71500 for grade 7; unknown for 10–11 (first digit «1»)."""
    if 1 <= grade <= 9:
        return grade * 10000 + 1, grade * 10000 + 1500
    return None


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = _BORDER


def _list_validation(formula: str, sqref: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    dv.add(sqref)
    return dv


def _blank_form(spec: FormSpec, *, variants: int, ordinals: int) -> Workbook:
    """An empty form laid out like ФИС ОКО's (see the module docstring of fisoko_template)."""
    first, last = 2, _GEN_LAST_ROW
    two_parts = spec.parts > 1
    # (key, header, list of values or None)
    columns: list[tuple[str, str, list[Any] | None]] = [("code", HEADER_CODE, None)]
    for part in range(1, spec.parts + 1):
        header = f"{HEADER_VARIANT} (часть {part})" if two_parts else HEADER_VARIANT
        columns.append(("variant", header, [*range(1, variants + 1), ABSENT]))
        for task_id, max_score, task_part in spec.tasks:
            if int(task_part) != part:
                continue
            values: list[Any] = [*range(int(max_score), -1, -1), X]
            if spec.allows_not_passed:
                values.append(NOT_PASSED)
            columns.append(("task", f"{value_text(task_id)} ({int(max_score)}б)", values))
    columns.append(("class_ordinal", HEADER_CLASS_ORDINAL, None))
    if spec.has_gender:
        columns.append(("gender", HEADER_GENDER, list(_GENDERS)))
    if spec.has_journal_mark:
        columns.append(("mark", HEADER_MARK, [5, 4, 3, 2, NO_MARK]))
    columns.append(("total", HEADER_TOTAL, None))

    books = [b for b in (value_text(b) for b in spec.textbooks) if b]
    wb = Workbook()
    wb.remove(wb.active)
    classes = wb.create_sheet(CLASSES_SHEET) if books else None
    ws = wb.create_sheet(PROTOCOL_SHEET)
    service = wb.create_sheet(SERVICE_SHEET)
    service.sheet_state = "hidden"
    ordinal_ws = wb.create_sheet(ORDINALS_SHEET)

    for r, book in enumerate(books, start=1):
        _put(service.cell(row=r, column=1), book)
    service_col = 1
    code_range = spec.code_range or _default_code_range(spec.grade)
    for index, (key, header, values) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sqref = f"{letter}{first}:{letter}{last}"
        _header_cell(ws, 1, index, header)
        ws.column_dimensions[letter].width = _GEN_WIDTH
        if values is not None:
            service_col += 1
            s_letter = get_column_letter(service_col)
            for r, value in enumerate(values, start=1):
                _put(service.cell(row=r, column=service_col), value)
            ref = f"'{SERVICE_SHEET}'!${s_letter}$1:${s_letter}${len(values)}"
            ws.add_data_validation(_list_validation(ref, sqref))
        elif key == "code" and code_range is not None:
            dv = DataValidation(type="decimal", formula1=str(code_range[0]),
                                formula2=str(code_range[1]), allow_blank=True,
                                showErrorMessage=True)
            dv.add(sqref)
            ws.add_data_validation(dv)
        elif key == "class_ordinal":
            ref = f"'{ORDINALS_SHEET}'!$A$1:$A${ordinals}"
            ws.add_data_validation(_list_validation(ref, sqref))
    for c in range(1, service_col + 1):
        service.column_dimensions[get_column_letter(c)].width = _GEN_SERVICE_WIDTH

    task_letters = [get_column_letter(i) for i, (k, _h, _v) in enumerate(columns, 1) if k == "task"]
    total_letter = get_column_letter(len(columns))
    for r in range(first, last + 1):
        refs = ",".join(f"{letter}{r}" for letter in task_letters)
        ws[f"{total_letter}{r}"] = f'=IF(LEN({task_letters[0]}{r})>0, SUM({refs}), "")'

    for n in range(1, ordinals + 1):
        ordinal_ws.cell(row=n, column=1, value=n)
    ordinal_ws.column_dimensions["A"].width = _GEN_SERVICE_WIDTH

    if classes is not None:
        for c, text in enumerate(CLASSES_HEADER, start=1):
            _header_cell(classes, 1, c, text)
        for letter, width in (("A", 9.14), ("B", 33.14), ("C", 9.14), ("D", 9.14)):
            classes.column_dimensions[letter].width = width
        classes.add_data_validation(
            _list_validation(f"'{SERVICE_SHEET}'!$A$1:$A${len(books)}",
                             f"B2:B{_GEN_CLASSES_ROWS}")
        )
    wb.active = wb.sheetnames.index(PROTOCOL_SHEET)
    return wb
