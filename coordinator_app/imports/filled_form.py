"""Read back a ФИС ОКО «форма сбора результатов» that the school filled in Excel.

Schools often type the scores straight into the form. This module reads such a file for one
work: the columns are found by their headers through `read_template()` (so every layout it
understands works here too), the form's task set is checked against the work's, and every data
row with a participant code becomes a `FormRow` with normalised values. Nothing stops at the first
bad cell: every problem is collected as a `FormProblem` naming the Excel row, the column's header
and the value, so the coordinator can fix them all in one pass.

A file that cannot be read, is not a form, or is the form of another work raises `UserError`.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook

from coordinator_app.errors import UserError, quoted
from coordinator_app.formats.cells import cell_text
from coordinator_app.formats.package_guard import check_package
from coordinator_app.imports.fisoko_template import (
    ABSENT,
    NOT_PASSED,
    TemplateInfo,
    read_template,
)

if TYPE_CHECKING:  # pragma: no cover
    from coordinator_app.works import Work

__all__ = [
    "FormProblem",
    "FormRow",
    "FilledForm",
    "normalize_score",
    "read_filled_form",
    "read_filled_form_for_work",
    "X",
    "NOT_PASSED",
    "ABSENT",
    "NO_MARK",
]

#: The «no answer» value of a task cell (Latin capital X, as ФИС ОКО spells it).
X = "X"
#: The journal-mark value of a pupil without a mark.
NO_MARK = "нет отметки"

_CODE_RE = re.compile(r"^\d{5}$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_MAX_DIGITS = 15
_HUGE = 10 ** _MAX_DIGITS
_X_VALUES = {"X", "x", "Х", "х"}  # Latin and Cyrillic
_MALE = {"м", "муж", "мужской", "m"}
_FEMALE = {"ж", "жен", "женский"}


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


_text = cell_text


def _key(value: Any) -> str:
    """For comparisons: text, lower case, ё → е, no spaces."""
    return re.sub(r"\s+", "", _text(value)).lower().replace("ё", "е")


def _is_empty(value: Any) -> bool:
    return _text(value) == ""


def _whole_number(value: Any) -> int | None:
    """An integer written as a number or as text ("2", "2.0", 2.0); None otherwise.

    Raises ValueError("fraction") for a number with a fractional part.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if not value.is_integer():
            raise ValueError("fraction")
        return int(value)
    if isinstance(value, str):
        s = _text(value).replace(" ", "")
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


def _is_not_passed(key: str) -> bool:
    return key.replace(".", "").startswith("непройд")


def _allowed_scores(max_score: int, allows_not_passed: bool) -> str:
    text = f"целое от 0 до {max_score} или X"
    if allows_not_passed:
        text = f"целое от 0 до {max_score}, X или «{NOT_PASSED}»"
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
    if isinstance(raw, str) and _text(raw) in _X_VALUES:
        return X
    if _is_not_passed(key):
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
    return re.sub(r"\s+", "", _text(raw))


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
    key = _key(raw).rstrip(".")
    if key in _MALE:
        return "м"
    if key in _FEMALE:
        return "ж"
    raise ValueError("пол указывается буквой «м» или «ж»")


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
    except Exception:  # the structure was read a moment ago; anything now is a damaged file
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
    task_max = {task_id: int(max_score) for task_id, max_score, _part in tasks}
    # Columns in the file's order, so that a row's problems come left to right.
    task_order = sorted(task_columns, key=lambda t: task_columns[t])

    used = [info.code_column, *info.variant_columns.values(), *task_columns.values()]
    optional = {
        "class_ordinal": info.class_ordinal_column,
        "gender": info.gender_column,
        "mark": info.journal_mark_column,
    }
    used += [c for c in optional.values() if c is not None]
    max_col = max(used)
    values = _load_values(path, info, max_col)
    header = values[0] if values else ()

    def header_of(col: int) -> str:
        text = _text(header[col - 1]) if col - 1 < len(header) else ""
        return text or f"столбец {col}"

    headers = {col: header_of(col) for col in used}
    for t in info.tasks:
        headers[t.column] = t.header

    form = FilledForm()
    seen_codes: dict[str, int] = {}

    for offset, cells in enumerate(values[1:], start=1):
        row_no = info.header_row + offset

        def cell(col: int) -> Any:
            return cells[col - 1] if col - 1 < len(cells) else None

        row_problems: list[tuple[int, FormProblem]] = []

        def problem(col: int, raw: Any, reason: str) -> None:
            row_problems.append((col, FormProblem(row_no, headers[col], quoted(_text(raw)), reason)))

        raw_code = cell(info.code_column)
        variant_raw = {p: cell(c) for p, c in info.variant_columns.items()}
        score_raw = {t: cell(task_columns[t]) for t in task_order}
        if _is_empty(raw_code):
            if any(not _is_empty(v) for v in [*variant_raw.values(), *score_raw.values()]):
                problem(
                    info.code_column, raw_code,
                    "не указан код участника, а вариант или баллы в строке заполнены",
                )
                form.problems.extend(p for _c, p in row_problems)
            continue

        # Code.
        code = _normalize_code(raw_code)
        if not _CODE_RE.match(code):
            problem(info.code_column, raw_code, "код участника — пять цифр")
        elif code in seen_codes:
            problem(info.code_column, raw_code,
                    f"код повторяется: он уже указан в строке {seen_codes[code]}")
        elif known_codes is not None and code not in known_codes:
            problem(info.code_column, raw_code, "кода нет в протоколе работы")
        seen_codes.setdefault(code, row_no)

        # Variants and absence.
        absent_parts = {p for p, v in variant_raw.items() if _key(v).rstrip(".") == ABSENT}
        absent = bool(absent_parts)
        variants: dict[int, str | None] = {}
        for part, raw in variant_raw.items():
            col = info.variant_columns[part]
            variants[part] = None
            if part in absent_parts or _is_empty(raw):
                continue
            try:
                variants[part] = _normalize_variant(raw, info.allowed_values.get(col))
            except ValueError as err:
                problem(col, raw, str(err))
                continue
            if absent:
                problem(col, raw, f"в строке указано «{ABSENT}»: для отсутствовавшего "
                                  f"вариант не ставится")

        # Scores.
        scores: dict[str, str | None] = {}
        for task_id in task_order:
            raw = score_raw[task_id]
            col = task_columns[task_id]
            try:
                value = normalize_score(raw, task_max[task_id], allows_not_passed)
            except ValueError as err:
                value = None
                problem(col, raw, str(err))
            else:
                if absent and value is not None:
                    problem(col, raw, f"ученик отмечен как «{ABSENT}», ячейка должна быть пустой")
            scores[task_id] = value
        scores = {t: scores[t] for t, _m, _p in tasks}

        if not absent:
            nothing = all(_is_empty(v) for v in [*variant_raw.values(), *score_raw.values()])
            if nothing:
                first_variant = info.variant_columns[min(info.variant_columns)]
                problem(first_variant, None,
                        f"строка с кодом не заполнена: нет ни варианта, ни баллов (если "
                        f"ученик не писал работу, укажите «{ABSENT}»)")
            else:
                for part, raw in variant_raw.items():
                    if _is_empty(raw):
                        problem(info.variant_columns[part], raw, "не указан вариант")
                for task_id in task_order:
                    raw = score_raw[task_id]
                    if _is_empty(raw):
                        problem(task_columns[task_id], raw, "не заполнено")

        # Optional columns: checked when filled.
        class_ordinal = gender = journal_mark = None
        if info.class_ordinal_column is not None:
            raw = cell(info.class_ordinal_column)
            if not _is_empty(raw):
                try:
                    class_ordinal = _normalize_class_ordinal(raw)
                except ValueError as err:
                    problem(info.class_ordinal_column, raw, str(err))
        if info.gender_column is not None:
            raw = cell(info.gender_column)
            if not _is_empty(raw):
                try:
                    gender = _normalize_gender(raw)
                except ValueError as err:
                    problem(info.gender_column, raw, str(err))
        if info.journal_mark_column is not None:
            raw = cell(info.journal_mark_column)
            if not _is_empty(raw):
                try:
                    journal_mark = _normalize_mark(raw)
                except ValueError as err:
                    problem(info.journal_mark_column, raw, str(err))

        # Left to right within the row (sort is stable: a cell's own order is kept).
        form.problems.extend(p for _c, p in sorted(row_problems, key=lambda cp: cp[0]))
        form.rows.append(
            FormRow(
                row=row_no,
                code=code,
                absent=absent,
                variants=variants,
                scores=scores,
                class_ordinal=class_ordinal,
                gender=gender,
                journal_mark=journal_mark,
            )
        )
    return form


def read_filled_form_for_work(
    path: Path | str, work: Work, *, known_codes: set[str] | None = None
) -> FilledForm:
    """`read_filled_form()` with the tasks, parts and «не пройд.» rule of `work`."""
    return read_filled_form(
        path,
        tasks=[(t.task_id, t.max_score, t.part) for t in work.tasks],
        parts=work.parts,
        allows_not_passed=work.allows_not_passed,
        known_codes=known_codes,
    )
