"""Read back a ФИС ОКО «форма сбора результатов» that the school filled in Excel.

Schools often type the scores straight into the form. This module reads such a file: the columns
are found by their headers through the template reader (`template.read_template`, so every layout
it understands works here too), the form's task columns are matched with the work's task list
(plain `(task id, max, part)` values: the use-case supplies them), and every data row with a
participant code becomes a `FormRow` with normalised values. Nothing stops at the first bad cell:
every problem is collected as a `FormProblem` naming the Excel row, the column's header and the
value, so the coordinator can fix them all in one pass.

A file that cannot be read, is not a form, or is the form of another work raises `UserError`.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from coordinator_app.errors import UserError, quoted
from coordinator_app.formats.cells import cell_text, value_text
from coordinator_app.formats.fisoko.ooxml import load
from coordinator_app.formats.fisoko.template import (
    TemplateInfo,
    classes_layout,
    read_template,
)
from coordinator_app.formats.fisoko.validations import find_sheet
from coordinator_app.formats.fisoko.vocabulary import (
    ABSENT,
    CLASSES_SHEET,
    FEMALE,
    MALE,
    NO_MARK,
    NOT_PASSED,
    X,
    gender_of,
    is_code,
    is_not_passed,
    is_x,
)
from coordinator_app.formats.package_guard import check_package

__all__ = [
    "FilledForm",
    "FormProblem",
    "FormRow",
    "normalize_score",
    "read_class_textbooks",
    "read_filled_form",
]

_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_MAX_DIGITS = 15
_HUGE = 10 ** _MAX_DIGITS


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class FormProblem:
    """One bad cell (or row) of the filled form."""

    row: int  # the Excel row number
    column: str  # the column's header text as in the file, e.g. "9.1 (1б)"
    value: str  # the cell's value as text ("" for an empty cell)
    reason: str  # Russian

    def text(self) -> str:
        """«строка 7, столбец «9.1 (1б)», значение «3»: больше максимума 1»."""
        where = f"строка {self.row}, столбец «{self.column}»"
        if self.value != "":
            where += f", значение «{self.value}»"
        return f"{where}: {self.reason}"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.text()


@dataclass
class FormRow:
    """One participant's row, values normalised (None where the cell is empty or unusable)."""

    row: int
    code: str
    absent: bool
    variants: dict[int, str | None]  # part -> "1", "2", … (None if empty or absent)
    scores: dict[str, str | None]  # task_id -> "0".."max" | "X" | "не пройд." | None
    class_ordinal: int | None = None
    gender: str | None = None  # "м" / "ж"
    journal_mark: str | None = None  # "5", "4", "3", "2", "нет отметки"


@dataclass
class FilledForm:
    rows: list[FormRow] = field(default_factory=list)
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems



# --------------------------------------------------------------------------------------------
# Cell values


def _key(value: Any) -> str:
    """For comparisons: text, lower case, ё → е, no spaces."""
    return re.sub(r"\s+", "", cell_text(value)).lower().replace("ё", "е")


def _is_empty(value: Any) -> bool:
    return cell_text(value) == ""


def _whole_number(value: Any) -> int | None:
    """An integer written as a number or as text ("2", "2.0", 2.0); None otherwise.

    Raises ValueError("fraction") for a number with a fractional part.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if not value.is_integer():
            raise ValueError("fraction")
        return int(value)
    if isinstance(value, str):
        s = cell_text(value).replace(" ", "")
        if not _NUMBER_RE.match(s):
            return None
        whole, _, fraction = s.replace(",", ".").partition(".")
        if fraction.strip("0"):
            raise ValueError("fraction")
        if len(whole.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
            # 5000 typed digits: beyond any score or variant, and never converted (float() made
            # them infinity, int() refuses over 4300 digits).
            return -_HUGE if whole.startswith("-") else _HUGE
        return int(whole)
    return None


def _allowed_scores(max_score: int, allows_not_passed: bool) -> str:
    text = f"целое от 0 до {max_score} или {X}"
    if allows_not_passed:
        text = f"целое от 0 до {max_score}, {X} или «{NOT_PASSED}»"
    return f"допустимо {text}"


def normalize_score(raw: Any, max_score: int, allows_not_passed: bool) -> str | None:
    """A task cell's value → "0".."max", "X", "не пройд." or None (empty cell).

    Accepts numbers and numeric text (1.0 → "1"), Latin and Cyrillic X in either case, and
    «не пройд.» written loosely («не пройд», «непройд.», any case) when the work allows it.
    Raises `ValueError` whose message is the Russian reason.
    """
    if _is_empty(raw):
        return None
    key = _key(raw)
    if isinstance(raw, str) and is_x(cell_text(raw)):
        return X
    if is_not_passed(key):
        if allows_not_passed:
            return NOT_PASSED
        raise ValueError(f"«{NOT_PASSED}» в этой работе не используется; "
                         f"{_allowed_scores(max_score, False)}")
    try:
        number = _whole_number(raw)
    except ValueError:
        raise ValueError(
            f"дробный балл; {_allowed_scores(max_score, allows_not_passed)}"
        ) from None
    if number is None:
        raise ValueError(
            f"недопустимое значение; {_allowed_scores(max_score, allows_not_passed)}"
        )
    if number < 0:
        raise ValueError(f"отрицательный балл; {_allowed_scores(max_score, allows_not_passed)}")
    if number > max_score:
        raise ValueError(f"больше максимума {max_score}")
    return str(number)


def _normalize_code(raw: Any) -> str:
    """Code cell → its text: 70032.0 → "70032", " 70032 " → "70032"."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return re.sub(r"\s+", "", cell_text(raw))


def _normalize_variant(raw: Any, allowed: list[str] | None) -> str:
    """Variant cell (not empty, not «отсутствовал») → "1", "2", …; ValueError with the reason."""
    try:
        number = _whole_number(raw)
    except ValueError:
        number = None
    if number is None or number <= 0:
        raise ValueError("вариант — номер варианта (1, 2, …) или «отсутствовал»")
    text = str(number)
    numbers = [x for x in (allowed or []) if x.isascii() and x.isdigit()]
    if numbers and text not in numbers:
        raise ValueError(f"такого варианта нет в форме (допустимы {', '.join(numbers)} "
                         f"или «{ABSENT}»)")
    return text


def _normalize_gender(raw: Any) -> str:
    found = gender_of(cell_text(raw))
    if found is None:
        raise ValueError(f"пол указывается буквой «{MALE}» или «{FEMALE}»")
    return found


def _normalize_class_ordinal(raw: Any) -> int:
    try:
        number = _whole_number(raw)
    except ValueError:
        number = None
    if number is None or number <= 0:
        raise ValueError("порядковый номер класса — целое число больше нуля (1, 2, 3, …), "
                         "а не название класса")
    return number


def _normalize_mark(raw: Any) -> str:
    key = _key(raw).rstrip(".")
    if key == _key(NO_MARK):
        return NO_MARK
    try:
        number = _whole_number(raw)
    except ValueError:
        number = None
    if number is not None and 2 <= number <= 5:
        return str(number)
    raise ValueError(f"отметка — 5, 4, 3, 2 или «{NO_MARK}»")


# --------------------------------------------------------------------------------------------
# Matching the form with the work


def _check_fits(info: TemplateInfo, tasks: list[tuple[str, int, int]], parts: int) -> dict[str, int]:
    """Map each work task id to its column; UserError if the form belongs to another work."""
    columns: dict[str, int] = {}
    issues: list[str] = []
    missing: list[str] = []
    different: list[str] = []
    other_part: list[str] = []
    matched: set[int] = set()
    for task_id, max_score, part in tasks:
        try:
            t = info.task(task_id)
        except KeyError:
            missing.append(str(task_id))
            continue
        matched.add(t.column)
        columns[task_id] = t.column
        if t.max_score != int(max_score):
            different.append(
                f"«{t.header}» — в работе максимум {int(max_score)}, в форме {t.max_score}"
            )
        elif parts == info.parts and t.part != int(part):
            other_part.append(f"«{t.header}» — в работе часть {int(part)}, в форме часть {t.part}")
    extra = [f"«{t.header}»" for t in info.tasks if t.column not in matched]
    if missing:
        issues.append("в форме нет столбцов заданий " + ", ".join(missing))
    if extra:
        issues.append("в форме есть задания, которых нет в работе: " + ", ".join(extra))
    if different:
        issues.append("другой максимальный балл: " + "; ".join(different))
    if parts != info.parts:
        issues.append(f"в работе частей: {parts}, а в форме: {info.parts}")
    elif other_part:
        issues.append("задания в другой части: " + "; ".join(other_part))
    if issues:
        raise UserError(
            "Форма не подходит к работе: " + "; ".join(issues) + ". Проверьте, что выбран файл "
            "формы именно этой работы (предмет, класс, год)."
        )
    return columns


# --------------------------------------------------------------------------------------------
# Reading


def _load_values(path: Path, info: TemplateInfo, max_col: int) -> list[tuple[Any, ...]]:
    """Rows of «Протокол» from the header row down, as values (formulas → cached results)."""
    try:
        data = path.read_bytes()
        check_package(data, path.name)      # the file may have changed since its structure was read
        with warnings.catch_warnings():
            # "Data Validation extension is not supported": the validations are not needed here
            # (read-only sheets are parsed while iterating, so the filter covers that too).
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                ws = wb[info.sheet]
                ws.reset_dimensions()  # some writers store a wrong size; read every row
                rows = list(
                    ws.iter_rows(
                        min_row=info.header_row, min_col=1, max_col=max_col, values_only=True
                    )
                )
            finally:
                wb.close()
    except PermissionError:
        raise UserError(
            f"Нет доступа к файлу «{path.name}». Если он открыт в Excel, закройте его "
            f"и попробуйте снова."
        ) from None
    except UserError:
        raise
    except Exception:  # noqa: BLE001 - the structure was read a moment ago; anything now is a damaged file
        raise UserError(
            f"Не удалось прочитать данные из «{path.name}»: файл повреждён. Откройте его в "
            f"Excel, сохраните заново и попробуйте снова."
        ) from None
    return rows



def read_filled_form(
    path: Path | str,
    *,
    tasks: list[tuple[str, int, int]],
    parts: int,
    allows_not_passed: bool,
    known_codes: set[str] | None = None,
) -> FilledForm:
    """Read a filled ФИС ОКО form for the work with `tasks` ((task_id, max, part), …).

    Every row with a participant code becomes a `FormRow` (in file order), whatever its
    problems; `FilledForm.problems` lists every bad cell. Raises `UserError` if the file is
    unreadable, not a form, or the form of another work.
    """
    path = Path(path)
    info = read_template(path)
    task_columns = _check_fits(info, list(tasks), int(parts))
    reader = _RowReader(info, task_columns, {t: int(m) for t, m, _p in tasks},
                        allows_not_passed, known_codes)
    values = _load_values(path, info, max(reader.used))
    reader.name_columns(values[0] if values else ())
    form = FilledForm()
    for offset, cells in enumerate(values[1:], start=1):
        reader.read(info.header_row + offset, cells, form)
    return form


class _RowReader:
    """The data rows of one form, each read column by column: the code, the variants (or
    absence), the tasks, whether a present pupil's row is complete, the optional columns (each
    with its own normaliser, `_OPTIONAL`)."""

    def __init__(self, info: TemplateInfo, task_columns: dict[str, int], task_max: dict[str, int],
                 allows_not_passed: bool, known_codes: set[str] | None) -> None:
        self.info, self.task_columns, self.task_max = info, task_columns, task_max
        self.allows_not_passed, self.known_codes = allows_not_passed, known_codes
        # Columns in the file's order, so that a row's problems come left to right.
        self.task_order = sorted(task_columns, key=lambda t: task_columns[t])
        self.work_order = list(task_max)
        self.optional = [(col, name, normalise) for attribute, name, normalise in _OPTIONAL
                         if (col := getattr(info, attribute)) is not None]
        self.used = [info.code_column, *info.variant_columns.values(), *task_columns.values(),
                     *(col for col, _n, _f in self.optional)]
        self.headers: dict[int, str] = {}
        self.seen_codes: dict[str, int] = {}

    def name_columns(self, header: tuple[Any, ...]) -> None:
        """Each used column's header text for the problems (a task's as the template read it)."""
        for col in self.used:
            text = cell_text(header[col - 1]) if col - 1 < len(header) else ""
            self.headers[col] = text or f"столбец {col}"
        for t in self.info.tasks:
            self.headers[t.column] = t.header

    def read(self, row_no: int, cells: tuple[Any, ...], form: FilledForm) -> None:
        row = _Row(row_no, cells, self)
        if _is_empty(row.raw_code):
            if not row.all_empty():
                row.problem(self.info.code_column, row.raw_code,
                            "не указан код участника, а вариант или баллы в строке заполнены")
                form.problems.extend(row.sorted_problems())
            return
        code = self._code(row)
        absent, variants = self._variants(row)
        scores = self._scores(row, absent)
        if not absent:
            self._completeness(row)
        optional = {name: self._optional(row, col, normalise)
                    for col, name, normalise in self.optional}
        form.problems.extend(row.sorted_problems())
        form.rows.append(FormRow(row=row_no, code=code, absent=absent, variants=variants,
                                 scores=scores, **optional))

    def _code(self, row: _Row) -> str:
        code = _normalize_code(row.raw_code)
        col = self.info.code_column
        if not is_code(code):
            row.problem(col, row.raw_code, "код участника — пять цифр")
        elif code in self.seen_codes:
            row.problem(col, row.raw_code,
                        f"код повторяется: он уже указан в строке {self.seen_codes[code]}")
        elif self.known_codes is not None and code not in self.known_codes:
            row.problem(col, row.raw_code, "кода нет в протоколе работы")
        self.seen_codes.setdefault(code, row.number)
        return code

    def _variants(self, row: _Row) -> tuple[bool, dict[int, str | None]]:
        absent_parts = {p for p, v in row.variant_raw.items() if _key(v).rstrip(".") == ABSENT}
        absent = bool(absent_parts)
        variants: dict[int, str | None] = {}
        for part, raw in row.variant_raw.items():
            col = self.info.variant_columns[part]
            variants[part] = None
            if part in absent_parts or _is_empty(raw):
                continue
            try:
                variants[part] = _normalize_variant(raw, self.info.allowed_values.get(col))
            except ValueError as err:
                row.problem(col, raw, str(err))
                continue
            if absent:
                row.problem(col, raw, f"в строке указано «{ABSENT}»: для отсутствовавшего "
                                      f"вариант не ставится")
        return absent, variants

    def _scores(self, row: _Row, absent: bool) -> dict[str, str | None]:
        scores: dict[str, str | None] = {}
        for task_id in self.task_order:
            raw = row.score_raw[task_id]
            col = self.task_columns[task_id]
            try:
                value = normalize_score(raw, self.task_max[task_id], self.allows_not_passed)
            except ValueError as err:
                value = None
                row.problem(col, raw, str(err))
            else:
                if absent and value is not None:
                    row.problem(col, raw, f"ученик отмечен как «{ABSENT}», ячейка должна быть пустой")
            scores[task_id] = value
        return {t: scores[t] for t in self.work_order}

    def _completeness(self, row: _Row) -> None:
        """A present pupil's row needs every variant and every task cell."""
        variant_columns = self.info.variant_columns
        if row.all_empty():
            first_variant = variant_columns[min(variant_columns)]
            row.problem(first_variant, None,
                        f"строка с кодом не заполнена: нет ни варианта, ни баллов (если "
                        f"ученик не писал работу, укажите «{ABSENT}»)")
            return
        for part, raw in row.variant_raw.items():
            if _is_empty(raw):
                row.problem(variant_columns[part], raw, "не указан вариант")
        for task_id in self.task_order:
            raw = row.score_raw[task_id]
            if _is_empty(raw):
                row.problem(self.task_columns[task_id], raw, "не заполнено")

    @staticmethod
    def _optional(row: _Row, col: int, normalise: Callable[[Any], Any]) -> Any:
        """An optional column's value, checked when filled."""
        raw = row.cell(col)
        if _is_empty(raw):
            return None
        try:
            return normalise(raw)
        except ValueError as err:
            row.problem(col, raw, str(err))
            return None


class _Row:
    """One data row's cells and the problems found in it."""

    def __init__(self, number: int, cells: tuple[Any, ...], reader: _RowReader) -> None:
        self.number, self.cells, self.headers = number, cells, reader.headers
        info = reader.info
        self.raw_code = self.cell(info.code_column)
        self.variant_raw = {p: self.cell(c) for p, c in info.variant_columns.items()}
        self.score_raw = {t: self.cell(reader.task_columns[t]) for t in reader.task_order}
        self.problems: list[tuple[int, FormProblem]] = []

    def cell(self, col: int) -> Any:
        return self.cells[col - 1] if col - 1 < len(self.cells) else None

    def all_empty(self) -> bool:
        """No variant and no task value in the row."""
        return all(_is_empty(v) for v in [*self.variant_raw.values(), *self.score_raw.values()])

    def problem(self, col: int, raw: Any, reason: str) -> None:
        self.problems.append(
            (col, FormProblem(self.number, self.headers[col], quoted(cell_text(raw)), reason)))

    def sorted_problems(self) -> list[FormProblem]:
        """Left to right within the row (sort is stable: a cell's own order is kept)."""
        return [p for _c, p in sorted(self.problems, key=lambda cp: cp[0])]


#: The optional columns: the form's attribute naming the column, the `FormRow` field, the
#: normaliser (raises ValueError with the reason).
_OPTIONAL: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("class_ordinal_column", "class_ordinal", _normalize_class_ordinal),
    ("gender_column", "gender", _normalize_gender),
    ("journal_mark_column", "journal_mark", _normalize_mark),
)


# --------------------------------------------------------------------------------------------
# The «Классы» sheet


def read_class_textbooks(path: Path | str) -> dict[int, str]:
    """{class ordinal: textbook} of a filled form's «Классы» sheet ({} when it has none or it is
    empty). The reverse of what `fill` writes there."""
    wb = load(Path(path).read_bytes())
    try:
        ws = find_sheet(wb, CLASSES_SHEET)
        if ws is None:
            return {}
        header_row, ordinal_col, book_col, _width = classes_layout(ws)
        books: dict[int, str] = {}
        for r in range(header_row + 1, ws.max_row + 1):
            ordinal = value_text(ws.cell(row=r, column=ordinal_col).value)
            book = value_text(ws.cell(row=r, column=book_col).value)
            if ordinal.isdigit() and book:
                books[int(ordinal)] = book
        return books
    finally:
        wb.close()


