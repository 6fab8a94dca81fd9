"""Every value of a work's results checked against a ФИС ОКО form, before anything is written.

Each value is checked against the form's own validation lists (the lists on «Служебный» behind
the cells' data validations), the code against the form's decimal range; a duplicated code, a
present pupil's empty task cell, a variant missing, or more rows than the form's data area are
problems too. `plan()` returns the cell values to write and every problem at once; each column
has its own small check (`_RowPlanner`'s table of optional columns).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coordinator_app.errors import UserError
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.vocabulary import (
    ABSENT,
    GENDERS,
    HEADER_CLASS_ORDINAL,
    HEADER_CODE,
    HEADER_GENDER,
    HEADER_MARK,
    HEADER_VARIANT,
    MARKS,
    NOT_PASSED,
    TEXTBOOK_COLUMN,
    X,
    is_code,
    is_x,
)
from coordinator_app.words import counted

if TYPE_CHECKING:
    from coordinator_app.formats.fisoko.template import TemplateInfo, TemplateTask

__all__ = [
    "ExportProblem",
    "FormRowData",
    "Planned",
    "cell_value",
    "check_rows",
    "plan",
    "raise_problems",
]


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
    if is_x(text):
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


def cell_value(text: str) -> int | str:
    """What goes into the cell: digits as a number, anything else as text."""
    return int(text) if text.isascii() and text.isdigit() else text


def _score_text(raw: Any) -> str | None:
    """A task value from the domain as text: None / "" → None, Cyrillic Х → X."""
    text = value_text(raw)
    if not text:
        return None
    if is_x(text):
        return X
    return text


def _plural_rows(n: int) -> str:
    return counted(n, "строка", "строки", "строк")


# --------------------------------------------------------------------------------------------
# Checking


@dataclass
class Planned:
    """A row as it will be written: column -> cell value (None: leave empty)."""

    cells: dict[int, int | str | None]


Problem = Callable[..., None]   # problem(column header, value, reason)


def plan(
    info: TemplateInfo, rows: list[FormRowData], textbooks: dict[int, str] | None
) -> tuple[list[Planned], dict[int, str] | None, list[ExportProblem]]:
    """Check every value; return the cell values to write and the problems."""
    problems: list[ExportProblem] = []
    _check_capacity(info, rows, problems)
    planner = _RowPlanner(info, problems)
    planned = [planner.plan(row) for row in rows]
    books = _plan_textbooks(info, textbooks, problems)
    return planned, books, problems


def _check_capacity(info: TemplateInfo, rows: list[FormRowData],
                    problems: list[ExportProblem]) -> None:
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


class _RowPlanner:
    """One row's cells, column by column: the code, the variants (or absence), the tasks, and
    the optional columns the form has (each with its own check, in `_OPTIONAL`)."""

    def __init__(self, info: TemplateInfo, problems: list[ExportProblem]) -> None:
        self.info = info
        self.problems = problems
        self.seen: set[str] = set()
        self.tasks = _TaskValues(info)
        self.match = _Matcher()
        self.by_id, self.task_memos = self.tasks.lookups()

    def variant_name(self, part: int) -> str:
        return f"{HEADER_VARIANT} (часть {part})" if self.info.parts > 1 else HEADER_VARIANT

    def plan(self, row: FormRowData) -> Planned:
        cells: dict[int, int | str | None] = {}
        code = value_text(row.code)
        problems = self.problems

        def problem(column: str, value: Any, reason: str) -> None:
            problems.append(ExportProblem(code, column, value_text(value), reason))

        cells[self.info.code_column] = self._code(code, problem)
        if row.absent:
            self._absent(cells, problem)
        else:
            self._variants(row, cells, problem)
            self._scores(row, cells, problem)
        for attribute, check in _OPTIONAL:
            col = getattr(self.info, attribute)
            if col is not None:
                # An absent participant's row holds the code and «отсутствовал» only, as every
                # real filled form does: no class, gender or mark.
                cells[col] = None if row.absent else check(self, col, row, problem)
        return Planned(cells)

    def _code(self, code: str, problem: Problem) -> int | str:
        code_range = self.info.code_range
        if not is_code(code):
            problem(HEADER_CODE, code, "код участника — пять цифр" if code else
                    "не указан код участника")
        elif code_range is not None and not code_range[0] <= int(code) <= code_range[1]:
            problem(HEADER_CODE, code, f"код вне диапазона формы ({code_range[0]}–{code_range[1]})")
        elif code in self.seen:
            problem(HEADER_CODE, code, "код повторяется: участник уже есть в форме")
        self.seen.add(code)
        return int(code) if code.isascii() and code.isdigit() else code

    def _absent(self, cells: dict[int, int | str | None], problem: Problem) -> None:
        """«отсутствовал» in the variant of part 1 (as the form's list spells it), the rest empty."""
        info = self.info
        first_part = min(info.variant_columns)
        col = info.variant_columns[first_part]
        allowed = info.allowed_values.get(col)
        spelled = ABSENT
        if allowed is not None:
            found = self.match(ABSENT, allowed)
            if found is None:
                problem(self.variant_name(first_part), ABSENT, _not_in_list(allowed))
            else:
                spelled = found
        cells[col] = spelled
        for part, vcol in info.variant_columns.items():
            if part != first_part:
                cells[vcol] = None
        for t in info.tasks:
            cells[t.column] = None

    def _variants(self, row: FormRowData, cells: dict[int, int | str | None],
                  problem: Problem) -> None:
        for part, col in self.info.variant_columns.items():
            raw = value_text(row.variants.get(part))
            cells[col] = None
            if not raw:
                problem(self.variant_name(part), "", "не указан вариант")
                continue
            allowed = self.info.allowed_values.get(col)
            if allowed is None:
                if raw.isascii() and raw.isdigit() and int(raw) > 0:
                    cells[col] = int(raw)
                else:
                    problem(self.variant_name(part), raw, "вариант — номер варианта (1, 2, …)")
                continue
            found = self.match(raw, allowed)
            if found is not None and _canon(found) == _canon(ABSENT):
                problem(self.variant_name(part), raw,
                        "ученик не отмечен отсутствующим: нужен номер варианта")
            elif found is None:
                problem(self.variant_name(part), raw, _not_in_list(allowed))
            else:
                cells[col] = cell_value(found)

    def _scores(self, row: FormRowData, cells: dict[int, int | str | None],
                problem: Problem) -> None:
        """Every task of the form, in the form's order; a task the form lacks is a problem."""
        given: dict[int, Any] = {}
        by_id, tasks = self.by_id, self.tasks
        for task_id, value in row.scores.items():
            t = by_id.get(task_id, _UNSEEN)
            if t is _UNSEEN:
                t = tasks.column_of(task_id)
            if t is None:
                if _score_text(value) is not None:
                    problem(str(task_id), value, "в форме нет такого задания")
                continue
            given[t.column] = value
        for t, memo in self.task_memos:
            raw = given.get(t.column)
            try:
                cells[t.column], wrong = memo[raw]
            except (KeyError, TypeError):
                cells[t.column], wrong = tasks.value(t, raw)
            if wrong is not None:
                problem(t.header, *wrong)

    def class_ordinal(self, col: int, row: FormRowData, problem: Problem) -> int | None:
        if row.class_ordinal is None:
            return None
        text = value_text(row.class_ordinal)
        allowed = self.info.allowed_values.get(col)
        if not (text.isascii() and text.isdigit() and int(text) > 0):
            problem(HEADER_CLASS_ORDINAL, text, "порядковый номер класса — целое число больше нуля")
        elif allowed is not None and self.match(text, allowed) is None:
            problem(HEADER_CLASS_ORDINAL, text, _not_in_list(allowed))
        else:
            return int(text)
        return None

    def gender(self, col: int, row: FormRowData, problem: Problem) -> int | str | None:
        found = self._listed(col, row.gender, list(GENDERS), HEADER_GENDER, problem)
        return str(found) if found is not None else None

    def mark(self, col: int, row: FormRowData, problem: Problem) -> int | str | None:
        found = self._listed(col, row.journal_mark, list(MARKS), HEADER_MARK, problem)
        return cell_value(found) if found is not None else None

    def _listed(self, col: int, value: Any, usual: list[str], header: str,
                problem: Problem) -> str | None:
        """A value filled from a list: the template's own, else the usual values."""
        text = value_text(value)
        if not text:
            return None
        allowed = self.info.allowed_values.get(col) or usual
        found = self.match(text, allowed)
        if found is None:
            problem(header, text, _not_in_list(allowed))
        return found


#: The optional columns: the form's attribute naming the column → its check.
_OPTIONAL: tuple[tuple[str, Callable[..., int | str | None]], ...] = (
    ("class_ordinal_column", _RowPlanner.class_ordinal),
    ("gender_column", _RowPlanner.gender),
    ("journal_mark_column", _RowPlanner.mark),
)


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
            self._missing = (f"не заполнено (для ученика, писавшего работу, нужен балл, {X} "
                             f"или «{NOT_PASSED}»)")
        else:
            self._missing = f"не заполнено (для ученика, писавшего работу, нужен балл или {X})"

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
            return cell_value(found), None
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
    return plan(info, list(rows), textbooks)[2]


def raise_problems(problems: list[ExportProblem]) -> None:
    n = len(problems)
    raise UserError(
        f"Форма не сохранена: ошибок — {n}. Исправьте данные и сохраните форму снова.",
        details=[p.text() for p in problems],
    )


