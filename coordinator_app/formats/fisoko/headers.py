"""The header row of a ФИС ОКО form: which column is which, read from the header texts.

Task headers look like `1 (1б)`, `9.1 (2 балла)`, `8(1) (1б)`, `4К1 (3б)`; the other columns are
known by their words («Код участника», «Вариант (часть 2)», «Пол (м/ж)», «Итого баллов» …). A
header that is clearly a task's but unusable is a `UserError`.
"""

from __future__ import annotations

import re
from typing import Any

from coordinator_app.errors import UserError
from coordinator_app.imports.cells import value_text
from coordinator_app.words import counted

__all__ = [
    "KIND_NAMES",
    "classify",
    "header_key",
    "is_code_header",
    "normalise_task_id",
    "parse_task_header",
    "points",
    "points_genitive",
    "variant_part",
]


def header_key(text: Any) -> str:
    """Header text for comparison: cleaned, lower case, ё → е."""
    return value_text(text).lower().replace("ё", "е")


# "(2б)", "(2 б.)", "(2 балла)", "(1 балл)", "(3 баллов)"; a fraction is caught to refuse it.
_MAX_RE = re.compile(
    r"\(\s*(?P<max>\d+(?:[.,]\d+)?)\s*(?:б|балл(?:а|ов)?)\s*\.?\s*\)\s*$", re.IGNORECASE
)
# What a task id looks like once spaces are gone: starts with a digit; digits, letters, dots,
# parentheses, hyphens. Permissive on purpose: the styles change with the years.
_TASK_ID_RE = re.compile(r"^\d[0-9A-Za-zА-Яа-яЁё.()\-]*$")
_TASK_PREFIX_RE = re.compile(r"^(?:задание|зад\.|№)\s*", re.IGNORECASE)


def normalise_task_id(raw: str) -> str:
    """A task id as the form's header spells it, normalised: «Задание 4 k 1.» → «4К1»."""
    s = _TASK_PREFIX_RE.sub("", value_text(raw))
    s = re.sub(r"\s+", "", s).replace(",", ".")
    # Criteria of one task: «4К1». People (and some generators) type a Latin K or a lower case к.
    s = re.sub(r"[KkКк]", "К", s)
    return s.rstrip(".")


def points(n: int) -> str:
    """«1 балл», «3 балла», «5 баллов»."""
    return counted(n, "балл", "балла", "баллов")


def points_genitive(n: int) -> str:
    """«до 1 балла», «до 3 баллов»."""
    return f"{n} балла" if n % 10 == 1 and n % 100 != 11 else f"{n} баллов"


def parse_task_header(text: str) -> tuple[str, int] | None:
    """`"9.1 (1б)"` → `("9.1", 1)`; `"4K1(3 б.)"` → `("4К1", 3)`; `"Код участника"` → None.

    Raises `UserError` for a header that is clearly a task but is unusable: no maximum
    (`"5"`, `"5 (1)"`), a zero maximum (`"5 (0б)"`), a fractional one, or no task number.
    """
    return task_header_at(text, where=f"Заголовок «{value_text(text)}»")


def task_header_at(text: Any, *, where: str) -> tuple[str, int] | None:
    """`parse_task_header` whose problems name the place `where` («Столбец D («5»)»)."""
    cleaned = value_text(text)
    if not cleaned:
        return None
    m = _MAX_RE.search(cleaned)
    if m is None:
        if _TASK_ID_RE.match(normalise_task_id(cleaned)):
            raise UserError(
                f"{where}: похоже на столбец задания, но не указан максимальный балл "
                f"(ожидается вид «5 (2б)»). Скачайте форму из ФИС ОКО заново."
            )
        return None
    task_id = normalise_task_id(cleaned[: m.start()])
    if not task_id:
        raise UserError(f"{where}: указан максимальный балл, но нет номера задания.")
    if not _TASK_ID_RE.match(task_id):
        return None
    max_text = m.group("max").replace(",", ".")
    if not max_text.isdigit():
        raise UserError(
            f"{where}: максимальный балл должен быть целым числом, а указано {max_text}."
        )
    max_score = int(max_text)
    if max_score <= 0:
        raise UserError(
            f"{where}: максимальный балл за задание должен быть больше нуля, а указан 0. "
            f"Скачайте форму из ФИС ОКО заново."
        )
    return task_id, max_score


VARIANT_RE = re.compile(r"^вариант(?:\s*\(?\s*(?:часть|ч\.?)\s*(?P<part>\d+)\s*\)?)?$")


#: Headers of the participant code column as forms of different years spell it.
_CODE_HEADERS = {"код участника", "код"}


def is_code_header(header_key: str) -> bool:
    return header_key in _CODE_HEADERS


def classify(header_key: str) -> str | None:
    """Kind of a non-task column from its header key, or None if unknown. Spellings seen in
    real forms: «Код» for «Код участника», «Класс № (список формируется из листа "Классы")»
    for «Порядковый номер класса», «Пол (м/ж)», «Отметка за предыдущий год»."""
    if is_code_header(header_key):
        return "code"
    if VARIANT_RE.match(header_key):
        return "variant"
    if "номер класса" in header_key or re.match(r"^класс\s*№", header_key):
        return "class_ordinal"
    if header_key == "пол" or re.match(r"^пол\s*[(\[]", header_key):
        return "gender"
    if header_key.startswith("отметка"):
        return "mark"
    if header_key.startswith("итого"):
        return "total"
    return None


KIND_NAMES = {
    "code": "Код участника",
    "class_ordinal": "Порядковый номер класса",
    "gender": "Пол",
    "mark": "Отметка за предыдущий триместр/четверть/полугодие",
    "total": "Итого баллов",
}


def variant_part(header_key_text: str) -> int:
    """The part a «Вариант» header is for: «вариант (часть 2)» → 2, «вариант» → 1."""
    m = VARIANT_RE.match(header_key_text)
    return int(m.group("part")) if m and m.group("part") else 1
