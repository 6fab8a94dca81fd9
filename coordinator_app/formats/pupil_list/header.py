"""The header row of a pupil list: which column holds what, and a class named above the table.

Header texts are matched by a key: the text case-folded, ё→е, the "(...)" parts and filler words
removed, then everything but letters and digits dropped ("Ф.И.О. ученика" -> "фио").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import UserError
from ...names import class_display, normalize_class_name

#: The header row is looked for among this many first rows of a sheet or file.
HEADER_SEARCH_ROWS = 30

#: A table as read from a file: (the row number the user sees, the cell texts of that row).
Rows = list[tuple[int, list[str]]]

_HEADER_KEYS: dict[str, set[str]] = {
    "fio": {
        "фио", "фамилияимяотчество", "фамилияимяиотчество", "фамилияимя", "фамилияиимя",
        "обучающийся", "обучающиеся", "ученик", "ученики", "учащийся", "учащиеся", "ученица",
        "ученикученица", "фиоучащегосяученика",
    },
    "surname": {"фамилия"},
    "name": {"имя"},
    "patronymic": {"отчество"},
    "class": {"класс", "классы", "кл", "классбуква", "класслитера", "класслитер", "классгруппа"},
    "gender": {"пол", "полмж", "полжм"},
    "birth": {"датарождения", "датарожд", "др", "рождение", "деньрождения"},
}  # fmt: skip
_HEADER_FILLER_WORDS = {
    "ученика", "ученицы", "учащегося", "обучающегося", "ребенка", "учеников", "учащихся",
    "обучающихся", "полностью", "при", "наличии", "если", "есть", "n", "номер",
}  # fmt: skip

_TITLE_CLASS_RES = (
    # «Класс: 5А», «Класс 5 «А»», «класса: 10-б»
    re.compile(
        r"класс[а-яё]*\s*[:\-–—]?\s*(\d{1,2}\s*[-–—]?\s*[«\"'“]?\s*[A-Za-zА-Яа-яЁё]\s*[»\"'”]?)"
        r"(?![A-Za-zА-Яа-яЁё0-9])",
        re.IGNORECASE,
    ),
    # «5А класс», «учащихся 5 «А» класса»
    re.compile(
        r"(?<![0-9A-Za-zА-Яа-яЁё])(\d{1,2}\s*[-–—]?\s*[«\"'“]?\s*[A-Za-zА-Яа-яЁё]\s*[»\"'”]?)"
        r"\s*класс",
        re.IGNORECASE,
    ),
)


def header_key(text: str) -> str:
    low = text.casefold().replace("ё", "е")
    low = re.sub(r"\([^)]*\)", " ", low)
    words = [w for w in re.split(r"[^0-9a-zа-я]+", low) if w]
    words = [w for w in words if w not in _HEADER_FILLER_WORDS]
    return "".join(words)


def header_field(text: str) -> str | None:
    """The field ("fio", "surname", "class", …) a header text names, or None."""
    if not text:
        return None
    key = header_key(text)
    if not key:
        return None
    for fld, keys in _HEADER_KEYS.items():
        if key in keys:
            return fld
    return None


@dataclass
class Header:
    index: int  # index of the header row in the row list
    columns: dict[str, int]  # field -> column index
    texts: dict[str, str]  # field -> header text

    @property
    def fio_mode(self) -> bool:
        return not ("surname" in self.columns and "name" in self.columns)

    def needed_width(self) -> int:
        return max(self.columns.values()) + 1


def _match_header(values: list[str]) -> tuple[dict[str, int], dict[str, str]] | None:
    columns: dict[str, int] = {}
    texts: dict[str, str] = {}
    for i, text in enumerate(values):
        fld = header_field(text)
        if fld and fld not in columns:
            columns[fld] = i
            texts[fld] = text
    if "fio" in columns or ("surname" in columns and "name" in columns):
        if "surname" in columns and "name" in columns:
            columns.pop("fio", None)
            texts.pop("fio", None)
        return columns, texts
    return None


def find_header(rows: Rows) -> Header | None:
    for idx, (_, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _match_header(values)
        if found:
            return Header(idx, *found)
    return None


def _class_of(text: str) -> str | None:
    """The class `text` names in any spelling `normalize_class_name` accepts, or None."""
    try:
        grade, letter = normalize_class_name(text)
    except UserError:
        return None
    return class_display(grade, letter)


def _class_in_title(text: str) -> str | None:
    """A class named inside a title text («Список 5А класса», «Класс: 5 «А»»)."""
    for regex in _TITLE_CLASS_RES:
        for match in regex.finditer(text):
            found = _class_of(match.group(1))
            if found:
                return found
    return None


def class_from_title(rows: Rows) -> tuple[str, str] | None:
    """(class, the title text it was found in) from the rows above the header."""
    for _, values in rows:
        cells = [v for v in values if v]
        for i, text in enumerate(cells):
            # «Класс:» in one cell and «5А» in the next one.
            if header_key(text) in ("класс", "кл") and i + 1 < len(cells):
                found = _class_of(cells[i + 1])
                if found:
                    return found, f"{text} {cells[i + 1]}"
            found = _class_in_title(text)
            if found:
                return found, text
    return None


def is_header_repeat(values: list[str], header: Header) -> bool:
    """The header repeated (as it is on every printed page of some exports)."""
    return all(
        header_field(values[i] if i < len(values) else "") == fld
        for fld, i in header.columns.items()
    )
