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

The workbook is read once, by openpyxl (`open_template`: the form's structure and formulas); the
file is then filled at the XML level (`_fill_package`): only the `<sheetData>` of «Протокол» (and
of «Классы» when textbooks are given) is spliced, every other part of the package is copied as it
is — styles, the x14 data validations, drawings, everything openpyxl would rewrite or drop — and
what was written is read back and compared before anything is saved. A package laid out in a way
the splicer does not know is filled the old way instead (`_fill_with_openpyxl`: openpyxl's load
and save, the x14 validations copied back from the template, text moved into shared strings).
Either way the `Итого баллов` results are computed here (for the ФИС ОКО formula
`=IF(LEN(first task)>0, SUM(tasks), "")`) and stored in the cells, so a reader that does not
calculate sees the right totals; Excel recalculates on opening anyway (`fullCalcOnLoad`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app import APP_TITLE
from coordinator_app.errors import UserError
from coordinator_app.fsutil import atomic_writer
from coordinator_app.formats.cells import value_text
from coordinator_app.imports.fisoko_template import (
    ABSENT,
    CLASSES_SHEET,
    NOT_PASSED,
    PROTOCOL_SHEET,
    SERVICE_SHEET,
    TemplateInfo,
    TemplateTask,
    open_template,
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
#: zlib level of the written form's members: level 1 is several times faster than the default 6 and
#: the form stays a few hundred kilobytes; Excel and ФИС ОКО read any level.
PACKAGE_DEFLATE_LEVEL = 1

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


class _Matcher:
    """`_match` remembered per list and value for one plan (the lists are kept alive here, so
    their ids stay theirs): 1500 rows match the same few values against the same few lists."""

    def __init__(self) -> None:
        self._lists: dict[int, list[str]] = {}
        self._found: dict[tuple[int, str], str | None] = {}

    def __call__(self, value: str, allowed: list[str]) -> str | None:
        key = (id(allowed), value)
        try:
            return self._found[key]
        except KeyError:
            self._lists[id(allowed)] = allowed
            found = self._found[key] = _match(value, allowed)
            return found


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
    tasks = _TaskValues(info)
    match = _Matcher()
    usual_genders, usual_marks = list(_GENDERS), list(_MARKS)
    by_id, task_memos = tasks.lookups()
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
                found = match(ABSENT, allowed)
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
                    found = match(raw, allowed)
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
                t = by_id.get(task_id, _UNSEEN)
                if t is _UNSEEN:
                    t = tasks.column_of(task_id)
                if t is None:
                    if _score_text(value) is not None:
                        problem(str(task_id), value, "в форме нет такого задания")
                    continue
                given[t.column] = value
            for t, memo in task_memos:
                raw = given.get(t.column)
                try:
                    cells[t.column], wrong = memo[raw]
                except (KeyError, TypeError):
                    cells[t.column], wrong = tasks.value(t, raw)
                if wrong is not None:
                    problem(t.header, *wrong)

        # Optional columns, where the form has them. An absent participant's row holds the code
        # and «отсутствовал» only, as every real filled form does: no class, gender or mark.
        if row.absent:
            for col in (info.class_ordinal_column, info.gender_column, info.journal_mark_column):
                if col is not None:
                    cells[col] = None
            planned.append(_Planned(cells))
            continue
        if info.class_ordinal_column is not None:
            col = info.class_ordinal_column
            cells[col] = None
            if row.class_ordinal is not None:
                text = value_text(row.class_ordinal)
                allowed = info.allowed_values.get(col)
                if not (text.isascii() and text.isdigit() and int(text) > 0):
                    problem(HEADER_CLASS_ORDINAL, text,
                            "порядковый номер класса — целое число больше нуля")
                elif allowed is not None and match(text, allowed) is None:
                    problem(HEADER_CLASS_ORDINAL, text, _not_in_list(allowed))
                else:
                    cells[col] = int(text)
        # Optional columns filled from a list: the template's own, else the usual values.
        for col, value, usual, header, as_cell in (
                (info.gender_column, row.gender, usual_genders, HEADER_GENDER, str),
                (info.journal_mark_column, row.journal_mark, usual_marks, HEADER_MARK,
                 _cell_value)):
            if col is None:
                continue
            cells[col] = None
            text = value_text(value)
            if text:
                allowed = info.allowed_values.get(col) or usual
                found = match(text, allowed)
                if found is None:
                    problem(header, text, _not_in_list(allowed))
                else:
                    cells[col] = as_cell(found)
        planned.append(_Planned(cells))

    books = _plan_textbooks(info, textbooks, problems)
    return planned, books, problems


_UNSEEN = object()


class _TaskValues:
    """Task ids and task values as the form takes them, each distinct one worked out once: a form of
    1500 rows holds tens of thousands of task cells but only a few dozen distinct values."""

    def __init__(self, info: TemplateInfo) -> None:
        self.info = info
        self._by_id: dict[str, TemplateTask | None] = {}
        self._values: dict[int, dict[Any, tuple[int | str | None, tuple[str, str] | None]]] = {
            t.column: {} for t in info.tasks}
        if info.allows_not_passed:
            self._missing = ("не заполнено (для ученика, писавшего работу, нужен балл, X или "
                             "«не пройд.»)")
        else:
            self._missing = "не заполнено (для ученика, писавшего работу, нужен балл или X)"

    def lookups(self) -> tuple[dict[Any, TemplateTask | None],
                               list[tuple[TemplateTask, dict[Any, Any]]]]:
        """The memos themselves, for the plan's inner loop: {task id: task} as `column_of` fills
        it, and each task with its {value: `value()`}."""
        return self._by_id, [(t, self._values[t.column]) for t in self.info.tasks]

    def column_of(self, task_id: Any) -> TemplateTask | None:
        """The form's task for a domain task id (ids normalised like the headers), or None."""
        try:
            return self._by_id[task_id]
        except KeyError:
            pass
        except TypeError:  # an unhashable id: not remembered
            return self._find(task_id)
        found = self._by_id[task_id] = self._find(task_id)
        return found

    def _find(self, task_id: Any) -> TemplateTask | None:
        try:
            return self.info.task(str(task_id))
        except KeyError:
            return None

    def value(self, t: TemplateTask, raw: Any) -> tuple[int | str | None, tuple[str, str] | None]:
        """(the cell value or None, (value text, reason) if the value does not fit the column)."""
        memo = self._values[t.column]
        try:
            return memo[raw]
        except KeyError:
            result = memo[raw] = self._work_out(t, raw)
            return result
        except TypeError:  # an unhashable value: not remembered
            return self._work_out(t, raw)

    def _work_out(self, t: TemplateTask, raw: Any) -> tuple[int | str | None,
                                                              tuple[str, str] | None]:
        text = _score_text(raw)
        if text is None:
            return None, ("", self._missing)
        allowed = self.info.allowed_values.get(t.column)
        if allowed is not None:
            found = _match(text, allowed)
            if found is None:
                return None, (text, _not_in_list(allowed))
            return _cell_value(found), None
        wrong: list[tuple[str, str]] = []
        value = _score_without_list(text, t.max_score, self.info, t.header,
                                    lambda _column, v, reason: wrong.append((value_text(v), reason)))
        return value, (wrong[0] if wrong else None)


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
    return _totals(ws, info, _cell_value_at(ws))


def _cell_value_at(ws: Worksheet) -> Callable[[int, int], Any]:
    cells = ws._cells  # noqa: SLF001 - do not create cells

    def value_at(row: int, col: int) -> Any:
        cell = cells.get((row, col))
        return cell.value if cell is not None else None

    return value_at


# «=IF(LEN(C5)>0, SUM(C5,D5,…), "")», the Итого formula of the ФИС ОКО forms.
_TOTAL_RE = re.compile(
    r'^=\s*IF\(\s*LEN\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)\s*>\s*0\s*,\s*SUM\(([^()]*)\)\s*,'
    r'\s*""\s*\)$',
    re.I,
)
_REF = r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"
_REF_RE = re.compile(_REF, re.I)
_SUM_ARGS_RE = re.compile(rf"\s*{_REF}\s*(?:,\s*{_REF}\s*)*", re.I)


class _Recalculate(str):
    """An Итого formula this program does not read (a form's own, e.g. one that weighs parts):
    its cell keeps the formula and loses any cached result, and Excel computes it on opening (the
    workbook asks for a full recalculation), so no reader ever sees a stale 0."""


RECALCULATE = _Recalculate("")


def _totals(ws: Worksheet, info: TemplateInfo,
            value_at: Callable[[int, int], Any]) -> dict[int, int | str]:
    """What Excel would cache for each data row's Итого formula, the formulas as `ws` holds them,
    the cells' values as `value_at(row, column)` gives them; `RECALCULATE` for a formula of
    another shape."""
    if info.total_column is None:
        return {}
    out: dict[int, int | str] = {}
    formulas = _TotalFormulas()
    for r in range(info.first_data_row, max(ws.max_row, info.last_data_row) + 1):
        cell = ws._cells.get((r, info.total_column))  # noqa: SLF001 - do not create cells
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
def _column_index(letters: str) -> int:
    return column_index_from_string(letters.upper())


def _total_refs(formula: str) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
    """For an Итого formula: (the LEN cell, the SUM cells) as (row, column); None otherwise."""
    m = _TOTAL_RE.match(formula.strip())
    if m is None or _SUM_ARGS_RE.fullmatch(m.group(3)) is None:
        return None
    first = (int(m.group(2)), _column_index(m.group(1)))
    refs: list[tuple[int, int]] = []
    for col1, row1, col2, row2 in _REF_RE.findall(m.group(3)):
        c1, r1 = _column_index(col1), int(row1)
        if not col2:
            refs.append((r1, c1))
            continue
        c2, r2 = _column_index(col2), int(row2)
        refs += [(rr, cc) for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1)]
    return first, refs


def _classes_layout(ws: Worksheet) -> tuple[int, int, int, int]:
    """(header row, ordinal column, textbook column, columns to clear) of the «Классы» sheet."""
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
    return header_row, ordinal_col, book_col, width


def read_class_textbooks(path: Path | str) -> dict[int, str]:
    """{class ordinal: textbook} of a filled form's «Классы» sheet ({} when it has none or it is
    empty). The reverse of `_fill_classes`."""
    wb = _load(Path(path).read_bytes())
    try:
        ws = _find_sheet(wb, CLASSES_SHEET)
        if ws is None:
            return {}
        header_row, ordinal_col, book_col, _width = _classes_layout(ws)
        books: dict[int, str] = {}
        for r in range(header_row + 1, ws.max_row + 1):
            ordinal = value_text(ws.cell(row=r, column=ordinal_col).value)
            book = value_text(ws.cell(row=r, column=book_col).value)
            if ordinal.isdigit() and book:
                books[int(ordinal)] = book
        return books
    finally:
        wb.close()


def _fill_classes(wb: Workbook, books: dict[int, str]) -> None:
    ws = _find_sheet(wb, CLASSES_SHEET)
    if ws is None:
        return
    header_row, ordinal_col, book_col, width = _classes_layout(ws)
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
        if value is None or value is RECALCULATE:   # openpyxl wrote no cached result: Excel computes
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


# --------------------------------------------------------------------------------------------
# Filling the package in place: only the sheets that change are rewritten.
#
# A full openpyxl load and save rewrites every cell of every sheet and drops what openpyxl does
# not model (the x14 validations, cached results). Here the workbook is read once (by
# `open_template`, for the form's structure), and the package is then edited at the XML level:
# `<sheetData>` of «Протокол» (and of «Классы» when textbooks are given) is spliced row by row —
# untouched rows and cells are copied as they are, a written cell keeps its reference and style —
# new text goes into the shared-strings table, `fullCalcOnLoad` is set in the workbook, and every
# other member is copied unchanged. Text that openpyxl wrote inline (a generated form, a template
# saved by openpyxl) is moved into the shared-strings table too, as Excel keeps it.
#
# What was written is then checked before anything is saved (`_check_package`), at a cost
# proportional to what changed: every changed part must parse as XML (expat); the cells written
# are read back from the output in order — references, and values through the shared-strings
# table as written — the cells emptied must be empty and the Итого cells hold their results; a
# sheet whose inline text moved into shared strings must read (ElementTree) exactly as before,
# values and styles. A layout this splicer does not know (rows or cells without references,
# comments in the sheet data, a prefixed main namespace) or a failed check falls back to the
# openpyxl path above (`_fill_with_openpyxl`), with a warning in the log.


class _Unusual(Exception):
    """The package is not laid out the way the splicer expects (or did not read back as meant)."""


_ATTRS = r"(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*?)"
_SHEET_DATA_RE = re.compile(r"<sheetData\b" + _ATTRS + r"(?:/>|>(?P<body>.*?)</sheetData\s*>)", re.S)
_ROW_RE = re.compile(r"<row\b" + _ATTRS + r"(?:/>|>(?P<body>.*?)</row\s*>)", re.S)
_CELL_RE = re.compile(r"<c\b" + _ATTRS + r"(?:/>|>(?P<body>.*?)</c\s*>)", re.S)
_ROW_NUMBER_RE = re.compile(r"\sr\s*=\s*\"(\d+)\"")
_CELL_REF_RE = re.compile(r"\sr\s*=\s*\"([A-Z]{1,3})(\d+)\"")
_STYLE_ATTR_RE = re.compile(r"\ss\s*=\s*\"(\d+)\"")
_TYPE_ATTR_RE = re.compile(r"\st\s*=\s*\"([^\"]*)\"")
_SPANS_ATTR_RE = re.compile(r"\sspans\s*=\s*\"[^\"]*\"")
_FORMULA_ELEMENT_RE = re.compile(r"<f\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>[^<]*</f\s*>)")
_DIMENSION_RE = re.compile(r"(<dimension\b[^>]*?\bref\s*=\s*\")([^\"]*)(\")")
_CALC_PR_RE = re.compile(r"<calcPr\b" + _ATTRS + r"(?P<end>/?)>")
_FULL_CALC_RE = re.compile(r"\sfullCalcOnLoad\s*=\s*\"[^\"]*\"")
_AFTER_CALC_PR = ("<oleSize", "<customWorkbookViews", "<pivotCaches", "<smartTagPr",
                  "<smartTagTypes", "<webPublishing", "<fileRecoveryPr", "<webPublishObjects",
                  "<extLst", "</workbook>")
_M = "{" + _NS_MAIN + "}"


@dataclass
class _SheetEdit:
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


class _Strings:
    """The shared-strings table: the template's entries, then what the fill adds."""

    def __init__(self, xml: bytes | None) -> None:
        self.index: dict[str, int] = {}
        self.size = 0
        self.added: list[str] = []
        self.references = 0  # t="s" cells written − t="s" cells cleared or overwritten
        if xml is None:
            return
        root = ElementTree.fromstring(xml)
        for i, si in enumerate(root.iter(f"{_M}si")):
            t = si.find(f"{_M}t")
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
                    f'<sst xmlns="{_NS_MAIN}" count="{self.references}" uniqueCount="{self.size}">'
                    f"{items}</sst>").encode("utf-8")
        xml = original.decode("utf-8")
        root = re.search(r"<sst\b" + _ATTRS + r"(?P<end>/?)>", xml)
        end = xml.rfind("</sst>")
        if root is None or root.group("end") or end < 0:
            raise _Unusual("shared strings: an unexpected table")
        attrs = root.group("attrs")
        count = re.search(r"\scount\s*=\s*\"(\d+)\"", attrs)
        if count is not None:
            attrs = attrs.replace(count.group(0),
                                  f' count="{max(0, int(count.group(1)) + self.references)}"')
        attrs = re.sub(r"\suniqueCount\s*=\s*\"\d+\"", f' uniqueCount="{self.size}"', attrs)
        return (xml[:root.start()] + f"<sst{attrs}>" + xml[root.end():end] + items
                + xml[end:]).encode("utf-8")


class _CellWriter:
    """A written cell's XML, `<c r="B5" s="3" t="s"><v>12</v></c>` (the style kept from the cell
    it replaces); each distinct value's tail made once."""

    def __init__(self, strings: _Strings) -> None:
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


def _edit_sheet(xml: str, edit: _SheetEdit, strings: _Strings,
                progress: Callable[[int], None] | None = None) -> str:
    """The sheet's XML with `edit` applied to its `<sheetData>`; `progress(row)` per written row."""
    m = _SHEET_DATA_RE.search(xml)
    if m is None or re.search(r"<[\w.-]+:sheetData\b", xml):
        raise _Unusual("no sheetData in the main namespace")
    body = m.group("body") or ""
    if "<!" in body or "<?" in body:
        raise _Unusual("comments or CDATA in sheetData")
    cell = _CellWriter(strings)
    pending = list(edit.writes)  # ascending
    pieces: list[str] = []
    p = pos = last = 0

    def new_rows(before: int | None) -> None:
        nonlocal p
        while p < len(pending) and (before is None or pending[p] < before):
            n = pending[p]
            cells = cell.run(list(edit.writes[n]), n, edit.writes[n])
            pieces.append(f'<row r="{n}">{cells}</row>')
            if progress is not None:
                progress(n)
            p += 1

    for rm in _ROW_RE.finditer(body):
        if body[pos:rm.start()].strip():
            raise _Unusual("something other than rows in sheetData")
        pos = rm.end()
        number = _ROW_NUMBER_RE.search(rm.group("attrs"))
        if number is None:
            raise _Unusual("a row without its number")
        n = int(number.group(1))
        if n <= last:
            raise _Unusual("rows out of order")
        last = n
        new_rows(n)
        writes: dict[int, int | str] = {}
        if p < len(pending) and pending[p] == n:
            writes = edit.writes[n]
            p += 1
        if n < edit.clear_from and not writes and n not in edit.totals:
            pieces.append(rm.group(0))
            continue
        pieces.append(_edit_row(rm, n, writes, edit, cell))
        if writes and progress is not None:
            progress(n)
    if body[pos:].strip():
        raise _Unusual("something other than rows in sheetData")
    new_rows(None)
    result = xml[:m.start()] + f"<sheetData{m.group('attrs')}>" + "".join(pieces) + "</sheetData>"
    return _widen_dimension(result + xml[m.end():], edit)


def _edit_row(rm: re.Match[str], n: int, writes: dict[int, int | str], edit: _SheetEdit,
              cell: _CellWriter) -> str:
    body = rm.group("body") or ""
    pending = list(writes)  # ascending
    out: list[str] = []
    cols: list[int] = []
    p = pos = last = 0
    added = False
    clearing = n >= edit.clear_from
    clear_columns = edit.clear_columns
    total_column = edit.total_column if n in edit.totals else None
    for cm in _CELL_RE.finditer(body):
        if pos != cm.start() and body[pos:cm.start()].strip():
            raise _Unusual("something other than cells in a row")
        pos = cm.end()
        attrs = cm.group("attrs")
        ref = _CELL_REF_RE.search(attrs)
        if ref is None or int(ref.group(2)) != n:
            raise _Unusual("a cell without its reference")
        col = _column_index(ref.group(1))
        if col <= last:
            raise _Unusual("cells out of order")
        last = col
        if p < len(pending) and pending[p] < col:
            start = p
            while p < len(pending) and pending[p] < col:
                p += 1
            out.append(cell.run(pending[start:p], n, writes))
            cols += pending[start:p]
            added = True
        cols.append(col)
        if p < len(pending) and pending[p] == col:
            value: int | str | None = writes[col]
            p += 1
        elif clearing and (clear_columns is None or col in clear_columns):
            if not cm.group("body"):
                out.append(cm.group(0))  # empty already
                continue
            value = None
            edit.emptied.append(ref.group(1) + ref.group(2))
        elif col == total_column:
            cached = _cached_total(cm, edit.totals[n])
            if cached is None:
                out.append(cm.group(0))
            else:
                edit.formula_rows.add(n)
                out.append(cached)
            continue
        else:
            out.append(cm.group(0))
            continue
        kind = _TYPE_ATTR_RE.search(attrs)
        if kind is not None and kind.group(1) == "s" and cm.group("body"):
            cell.strings.references -= 1  # a shared-string reference overwritten
        style = _STYLE_ATTR_RE.search(attrs)
        out.append(cell(ref.group(1) + ref.group(2), style.group(1) if style else None, value))
    if body[pos:].strip():
        raise _Unusual("something other than cells in a row")
    if p < len(pending):
        out.append(cell.run(pending[p:], n, writes))
        cols += pending[p:]
        added = True
    attrs = rm.group("attrs")
    if added and _SPANS_ATTR_RE.search(attrs):
        attrs = _SPANS_ATTR_RE.sub(f' spans="{min(cols)}:{max(cols)}"', attrs, count=1)
    return f"<row{attrs}>" + "".join(out) + "</row>"


def _cached_total(cm: re.Match[str], value: int | str) -> str | None:
    """The Итого cell with its formula kept and `value` as the cached result; None if the cell
    holds no formula."""
    formula = _FORMULA_ELEMENT_RE.search(cm.group("body") or "")
    if formula is None:
        return None
    attrs = _TYPE_ATTR_RE.sub("", cm.group("attrs")).rstrip()
    if value is RECALCULATE:
        return f"<c{attrs}>{formula.group(0)}</c>"
    if value == "":
        return f'<c{attrs} t="str">{formula.group(0)}<v></v></c>'
    return f"<c{attrs}>{formula.group(0)}<v>{value}</v></c>"


def _widen_dimension(xml: str, edit: _SheetEdit) -> str:
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


def _shared_inline(xml: str, strings: _Strings) -> str:
    """Inline text cells (as openpyxl writes them) moved into the shared-strings table; rich text
    stays inline."""
    if 't="inlineStr"' not in xml:
        return xml

    def replace(m: re.Match[str]) -> str:
        text = m.group("text")
        if "&" in text:
            text = ElementTree.fromstring(f"<t>{text}</t>").text or ""
        return f'<c {m.group("a")}t="s"{m.group("b")}><v>{strings.ref(text)}</v></c>'

    return _INLINE_RE.sub(replace, xml)


def _full_calc_on_load(xml: str) -> str:
    """workbook.xml asking Excel to recalculate on opening (the cached results are ours)."""
    m = _CALC_PR_RE.search(xml)
    if m is not None:
        attrs = _FULL_CALC_RE.sub("", m.group("attrs")).rstrip()
        return xml[:m.start()] + f'<calcPr{attrs} fullCalcOnLoad="1"{m.group("end")}>' + xml[m.end():]
    for tag in _AFTER_CALC_PR:
        at = xml.find(tag)
        if at >= 0:
            return xml[:at] + '<calcPr fullCalcOnLoad="1"/>' + xml[at:]
    raise _Unusual("no </workbook>")


def _relationships(zf: zipfile.ZipFile, member: str) -> list[dict[str, str]]:
    root = ElementTree.fromstring(zf.read(member))
    return [dict(rel.attrib) for rel in root]


_CREATOR_RE = re.compile(r"<(\w+:)?creator(\b[^>]*)>([^<]*)</(\w+:)?creator>")
_LAST_BY_RE = re.compile(r"<(\w+:)?lastModifiedBy\b[^>]*>[^<]*</(\w+:)?lastModifiedBy>|<(\w+:)?lastModifiedBy\b[^>]*/>")
_MODIFIED_RE = re.compile(r"(<(\w+:)?modified\b[^>]*>)[^<]*(</(\w+:)?modified>)")
_CORE_END_RE = re.compile(r"</(\w+:)?coreProperties>")
_APPLICATION_RE = re.compile(r"<Application>[^<]*</Application>|<Application\s*/>")
#: Names of libraries a template may carry as its author: the form is this program's work.
_LIBRARY_AUTHORS = {"", "openpyxl", "xlsxwriter", "npoi", "epplus", "closedxml", "apache poi"}


def _document_properties(members: dict[str, bytes]) -> dict[str, bytes]:
    """docProps/core.xml and app.xml naming this program as the form's last writer (and as its
    author where the template names only a library), modified now. Unusual properties are left."""
    import datetime as dt

    changed: dict[str, bytes] = {}
    who = escape(APP_TITLE)
    core = members.get("docProps/core.xml")
    if core is not None:
        try:
            xml = core.decode("utf-8")
        except UnicodeDecodeError:
            xml = None
        end = _CORE_END_RE.search(xml) if xml else None
        if xml is not None and end is not None:
            cp = end.group(1) or ""
            creator = _CREATOR_RE.search(xml)
            if creator is not None and creator.group(3).strip().casefold() in _LIBRARY_AUTHORS:
                prefix = creator.group(1) or ""
                xml = (xml[:creator.start()] + f"<{prefix}creator{creator.group(2)}>{who}</{prefix}creator>"
                       + xml[creator.end():])
            by = f"<{cp}lastModifiedBy>{who}</{cp}lastModifiedBy>"
            xml, found = _LAST_BY_RE.subn(lambda _m: by, xml, count=1)
            if not found:
                end = _CORE_END_RE.search(xml)
                xml = xml[:end.start()] + by + xml[end.start():]
            now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            xml = _MODIFIED_RE.sub(lambda m: m.group(1) + now + m.group(3), xml, count=1)
            changed["docProps/core.xml"] = xml.encode("utf-8")
    app = members.get("docProps/app.xml")
    if app is not None:
        try:
            text = app.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and _APPLICATION_RE.search(text):
            changed["docProps/app.xml"] = _APPLICATION_RE.sub(
                lambda _m: f"<Application>{who}</Application>", text, count=1).encode("utf-8")
    return changed


def _fill_package(data: bytes, info: TemplateInfo, wb: Workbook, planned: list[_Planned],
                  books: dict[int, str] | None, progress: ProgressFn | None) -> bytes:
    """The filled package, every change read back and checked (raises `_Unusual` otherwise)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        items = zf.infolist()
        members = {item.filename: zf.read(item.filename) for item in items}
        paths = sheet_paths(zf)
        rels = _relationships(zf, "xl/_rels/workbook.xml.rels")
    sst_targets = [r.get("Target", "") for r in rels if r.get("Type") == _SST_REL]
    if len(sst_targets) > 1:
        raise _Unusual("two shared-strings tables")
    sst_member = None
    if sst_targets:
        target = sst_targets[0]
        sst_member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if sst_member not in members:
            raise _Unusual("the shared-strings table is missing")
    elif "xl/sharedStrings.xml" in members:
        raise _Unusual("a shared-strings table without its relationship")
    strings = _Strings(members[sst_member] if sst_member else None)

    edits: dict[str, _SheetEdit] = {}
    ws = wb[info.sheet]
    protocol = paths.get(value_text(info.sheet))
    if protocol is None or protocol not in members:
        raise _Unusual("no «Протокол» member")
    inputs = frozenset([info.code_column, *info.variant_columns.values(),
                        *(t.column for t in info.tasks),
                        *(c for c in (info.class_ordinal_column, info.gender_column,
                                      info.journal_mark_column) if c is not None)])
    writes: dict[int, dict[int, int | str]] = {}
    for i, row in enumerate(planned):
        cells = {c: v for c, v in sorted(row.cells.items()) if v is not None}
        if cells:
            writes[info.first_data_row + i] = cells
    first = info.first_data_row
    written = {first + i: row.cells for i, row in enumerate(planned)}
    template_value = _cell_value_at(ws)

    def value_at(r: int, c: int) -> Any:
        if r >= first and c in inputs:
            return written.get(r, {}).get(c)
        return template_value(r, c)

    edits[protocol] = _SheetEdit(first, inputs, writes, info.total_column,
                                 _totals(ws, info, value_at))
    if books is not None:
        classes = _find_sheet(wb, CLASSES_SHEET)
        member = paths.get(value_text(classes.title)) if classes is not None else None
        if classes is not None:
            if member is None or member not in members:
                raise _Unusual("no «Классы» member")
            header_row, ordinal_col, book_col, _width = _classes_layout(classes)
            rows: dict[int, dict[int, int | str]] = {}
            for r, (ordinal, book) in enumerate(sorted(books.items()), start=header_row + 1):
                rows[r] = dict(sorted({ordinal_col: ordinal, book_col: book}.items()))
            edits[member] = _SheetEdit(header_row + 1, None, rows)

    total = len(planned)
    if progress is not None:
        progress(0, total)
    row_of = {first + i: i + 1 for i in range(total) if first + i in writes}
    done = 0

    def row_done(n: int) -> None:
        nonlocal done
        if n in row_of and progress is not None:
            done = row_of[n]
            progress(done, total)

    changed: dict[str, bytes] = {}
    sheets = set(paths.values())
    for name, body in members.items():
        if name in edits:
            xml = _edit_sheet(body.decode("utf-8"), edits[name], strings,
                              row_done if name == protocol else None)
        elif name in sheets and b't="inlineStr"' in body:
            xml = body.decode("utf-8")
        else:
            continue
        changed[name] = _shared_inline(xml, strings).encode("utf-8")
    if progress is not None and done < total:
        progress(total, total)    # rows with nothing to write (there are none for a real row)
    changed["xl/workbook.xml"] = _full_calc_on_load(members["xl/workbook.xml"].decode("utf-8")
                                                    ).encode("utf-8")
    changed.update(_document_properties(members))
    if strings.references or strings.added or sst_member:
        if sst_member is None:
            sst_member = "xl/sharedStrings.xml"
            changed["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
                b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                             f'ContentType="{_SST_TYPE}"/></Types>'.encode())
            ids = {r.get("Id") for r in rels}
            rid = next(f"rIdVprSharedStrings{k or ''}" for k in range(len(ids) + 1)
                       if f"rIdVprSharedStrings{k or ''}" not in ids)
            changed["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
                b"</Relationships>", f'<Relationship Id="{rid}" Type="{_SST_REL}" '
                                     f'Target="sharedStrings.xml"/></Relationships>'.encode())
            changed[sst_member] = strings.table(None)
        elif strings.added or strings.references:
            changed[sst_member] = strings.table(members[sst_member])

    _check_package(members, changed, edits, sst_member)
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, compresslevel=PACKAGE_DEFLATE_LEVEL) as out:
        for item in items:
            out.writestr(item, changed.get(item.filename, members[item.filename]),
                         compresslevel=PACKAGE_DEFLATE_LEVEL)
        if sst_member is not None and sst_member not in members:
            out.writestr(zipfile.ZipInfo(sst_member, date_time=items[0].date_time),
                         changed[sst_member], compress_type=zipfile.ZIP_DEFLATED)
    return result.getvalue()


# --------------------------------------------------------------------------------------------
# Reading back what the splicer wrote: a real XML parser, cell by cell


def _table(xml: bytes | None) -> list[str]:
    if xml is None:
        return []
    root = ElementTree.fromstring(xml)
    out = []
    for si in root.iter(f"{_M}si"):
        t = si.find(f"{_M}t")
        if t is not None:
            out.append(t.text or "")
        else:  # rich text: the runs' text, phonetic hints left out
            out.append("".join(r.findtext(f"{_M}t") or "" for r in si.iter(f"{_M}r")))
    return out


def _cells(xml: bytes, strings: list[str]) -> dict[str | None, tuple[Any, str | None]]:
    """{reference: (value, style)} of every cell with a value or a style, read with a real XML
    parser (used for the small sheets whose text was moved into shared strings)."""
    root = ElementTree.fromstring(xml)
    values: dict[str | None, tuple[Any, str | None]] = {}
    for c in root.iter(f"{_M}c"):
        ref, kind, style = c.get("r"), c.get("t"), c.get("s")
        f = c.find(f"{_M}f")
        v = c.findtext(f"{_M}v")
        if f is not None:
            value: Any = ("=", f.text, tuple(sorted(f.attrib.items())))
        elif kind == "s":
            value = strings[int(v)] if v is not None else None
        elif kind == "inlineStr":
            node = c.find(f"{_M}is")
            value = "".join(node.itertext()) if node is not None else None
        elif kind in (None, "n"):
            value = None if v is None or v == "" else _number(v)
        else:
            value = (kind, v)
        if value is not None or style not in (None, "0"):
            values[ref] = (value, style)
    return values


def _number(text: str) -> int | float:
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


def _check_package(members: dict[str, bytes], changed: dict[str, bytes],
                   edits: dict[str, _SheetEdit], sst_member: str | None) -> None:
    """Raise `_Unusual` unless the package says what was meant: every changed member is
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
            if _cells(members[name], before) != _cells(body, strings):
                raise _Unusual(f"{name}: the text moved into shared strings reads back changed")
    except _Unusual:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the parser says: not what we meant
        raise _Unusual(f"read-back failed: {exc!r}") from exc


def _check_edit(xml: str, edit: _SheetEdit, strings: list[str], name: str) -> None:
    """The cells written read back in order, from the first written row down: references and
    values (text through the shared-strings table), nothing else with a value among them; the
    cells emptied hold nothing; the Итого cells their results."""
    if edit.writes:
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
            raise _Unusual(f"{name}: the cells written are not where they were meant to go")
        meaning: dict[str, Any] = {}
        for tail in set(tails):  # each distinct written form read once
            m = _WRITTEN_TAIL_RE.fullmatch(tail)
            meaning[tail] = (None if m is None else strings[int(m.group(2))] if m.group(1)
                             else _number(m.group(2)))
        read = list(map(meaning.__getitem__, tails))
        if read != values:
            wrong = next(i for i, (a, b) in enumerate(zip(read, values)) if a != b)
            raise _Unusual(f"{name}: cell {wrong} written reads {read[wrong]!r}, "
                           f"not {values[wrong]!r}")
    if edit.emptied:
        empty = set(_EMPTIED_RE.findall(xml))
        missing = [ref for ref in edit.emptied if ref not in empty]
        if missing:
            raise _Unusual(f"{name}: {missing[0]} not emptied")
    if edit.total_column is not None and edit.totals:
        letter = get_column_letter(edit.total_column)
        cached: dict[int, tuple[bool, str]] = {}
        for attrs, v in _TOTAL_CELL_RE.findall(xml):
            ref = _CELL_REF_RE.search(" " + attrs)
            if ref is not None and ref.group(1) == letter:
                kind = _TYPE_ATTR_RE.search(" " + attrs)
                cached[int(ref.group(2))] = (kind is not None and kind.group(1) == "str", v)
        for row, value in edit.totals.items():
            if value is RECALCULATE:
                if row in cached:
                    raise _Unusual(f"{name}: Итого in row {row} keeps a cached result")
            elif row in edit.formula_rows and cached.get(row) != (value == "", str(value)):
                raise _Unusual(f"{name}: Итого in row {row} reads {cached.get(row)}, not {value!r}")


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
    info, wb, data = _open_template_once(template)
    _check_fill_and_write(out, data, info, wb, rows, textbooks, progress, template=data)


#: Templates already read in this process: (path, size, mtime) → (info, workbook, bytes). A
#: coordinator exports the same work's form again after each correction; the downloaded template
#: never changes, so it is parsed once. The workbook is only read from (the fallback that edits a
#: workbook loads its own copy); closing it is a no-op for a workbook openpyxl loaded in full.
_TEMPLATES: dict[tuple[str, int, int], tuple[TemplateInfo, Workbook, bytes]] = {}
_TEMPLATES_LOCK = threading.Lock()
_TEMPLATES_KEPT = 2


def _open_template_once(path: Path) -> tuple[TemplateInfo, Workbook, bytes]:
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        return open_template(path)     # it reports what is wrong with the file
    with _TEMPLATES_LOCK:
        cached = _TEMPLATES.get(key)
    if cached is not None and hashlib.sha256(cached[2]).digest() == _file_digest(path):
        return cached
    opened = open_template(path)
    with _TEMPLATES_LOCK:
        while len(_TEMPLATES) >= _TEMPLATES_KEPT:
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
        _TEMPLATES[key] = opened
    return opened


def _file_digest(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None


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
        info, form, _data = open_template(path)
    _check_fill_and_write(out, blank, info, form, rows, textbooks, progress, template=None)


def _check_fill_and_write(out: Path, form: bytes, info: TemplateInfo, wb: Workbook, rows: list[FormRowData],
                          textbooks: dict[int, str] | None, progress: ProgressFn | None, *,
                          template: bytes | None) -> None:
    """Check every value of `rows` against the form, then fill and write it; closes `wb`."""
    try:
        planned, books, problems = _plan(info, list(rows), textbooks)
        if problems:
            _raise_problems(problems)
        _fill_and_write(out, form, info, wb, planned, books, progress, template=template)
    finally:
        wb.close()


def _fill_and_write(out: Path, form: bytes, info: TemplateInfo, wb: Workbook,
                    planned: list[_Planned], books: dict[int, str] | None,
                    progress: ProgressFn | None, *, template: bytes | None) -> None:
    """Fill the (checked) plan into the package `form` (`wb`: the same, as openpyxl read it) and
    write the result atomically to `out`."""
    try:
        output = _fill_package(form, info, wb, planned, books, progress)
    except (_Unusual, UnicodeDecodeError, ElementTree.ParseError) as exc:
        log.warning("the form is filled through openpyxl: %s", exc)
        output = _fill_with_openpyxl(form, info, planned, books, progress, template=template)
    with atomic_writer(out) as stream:
        stream.write(output)


def _fill_with_openpyxl(form: bytes, info: TemplateInfo, planned: list[_Planned],
                        books: dict[int, str] | None, progress: ProgressFn | None, *,
                        template: bytes | None) -> bytes:
    """The fallback: the whole workbook loaded and saved by openpyxl, then what openpyxl loses
    restored (compared with the downloaded `template`, if any) and text moved into shared
    strings, kept only if the workbook reads back the same."""
    wb = _load(form)
    try:
        if (wb.properties.creator or "").strip().casefold() in _LIBRARY_AUTHORS:
            wb.properties.creator = APP_TITLE
        wb.properties.lastModifiedBy = APP_TITLE
        totals = _fill_workbook(wb, info, planned, books, progress)
        output = _save(wb)
    finally:
        wb.close()
    output = _finish(output, template=template, sheet=info.sheet, total_column=info.total_column,
                     totals=totals)
    return _shared_strings(output)


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
