"""The words of the ФИС ОКО form, in one place: sheet names, header texts, the special cell values
(«X», «не пройд.», «отсутствовал», «нет отметки»), the marks, the gender spellings and the
participant code.

Every reader and writer of the form (and, after the merge, the rest of the program) takes these
from here, so a spelling accepted in one place is accepted in every other.
"""

from __future__ import annotations

import re

__all__ = [
    "ABSENT",
    "CLASSES_HEADER",
    "CLASSES_SHEET",
    "CODE_LENGTH",
    "CODE_PATTERN",
    "CODE_RE",
    "FEMALE",
    "GENDERS",
    "GENDER_SPELLINGS",
    "HEADER_CLASS_ORDINAL",
    "HEADER_CODE",
    "HEADER_GENDER",
    "HEADER_MARK",
    "HEADER_TOTAL",
    "HEADER_VARIANT",
    "MALE",
    "MARKS",
    "NOT_PASSED",
    "NO_MARK",
    "ORDINALS_SHEET",
    "PROTOCOL_SHEET",
    "SERVICE_SHEET",
    "TEXTBOOK_COLUMN",
    "X_SPELLINGS",
    "X",
    "gender_of",
    "is_code",
    "is_not_passed",
    "is_x",
]

# Sheets ------------------------------------------------------------------------------------

PROTOCOL_SHEET = "Протокол"
SERVICE_SHEET = "Служебный"
CLASSES_SHEET = "Классы"
ORDINALS_SHEET = "Порядковый номер класса"

# Header texts as ФИС ОКО writes them (generated forms, problem messages) ---------------------

HEADER_CODE = "Код участника"
HEADER_VARIANT = "Вариант"
HEADER_CLASS_ORDINAL = "Порядковый номер класса"
HEADER_GENDER = "Пол"
HEADER_MARK = "Отметка за предыдущий триместр/ четверть/полугодие"
HEADER_TOTAL = "Итого баллов"
CLASSES_HEADER = (
    "Порядковый номер класса",
    "Основной учебник по предмету",
    "Другое (автор учебника)",
    "Другое (название учебника)",
)
TEXTBOOK_COLUMN = "Основной учебник по предмету (лист «Классы»)"

# Cell values -------------------------------------------------------------------------------

#: The «no answer» value of a task cell (Latin capital X, as ФИС ОКО spells it).
X = "X"
#: How people type it: Latin or Cyrillic, either case.
X_SPELLINGS = frozenset({"X", "x", "Х", "х"})
#: The «topic not taught yet» value of a task cell, as ФИС ОКО spells it.
NOT_PASSED = "не пройд."
#: The variant value of an absent pupil.
ABSENT = "отсутствовал"
#: The journal-mark value of a pupil without a mark.
NO_MARK = "нет отметки"
#: The journal marks in the form's order.
MARKS = ("5", "4", "3", "2", NO_MARK)


def is_x(text: str) -> bool:
    """«X» in any of its spellings (the text already stripped)."""
    return text in X_SPELLINGS


def is_not_passed(text: str) -> bool:
    """«не пройд.» written loosely: «не пройд», «непройд.», «НЕ ПРОЙД», «не пройдено»."""
    key = re.sub(r"\s+", "", str(text)).lower().replace("ё", "е").replace(".", "")
    return key.startswith("непройд")


# Gender ------------------------------------------------------------------------------------

MALE = "м"
FEMALE = "ж"
#: The gender values of the form, in its list's order.
GENDERS = (MALE, FEMALE)
#: Every accepted spelling (lower case, ё → е, no spaces or dots) → «м» / «ж»: the union of what
#: pupil lists and filled forms have been seen to hold.
GENDER_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(("м", "муж", "мужской", "мужск", "мальчик", "юноша",
                     "male", "m", "man", "boy"), MALE),
    **dict.fromkeys(("ж", "жен", "женский", "женск", "девочка", "девушка",
                     "female", "f", "woman", "girl"), FEMALE),
}


def gender_of(text: str) -> str | None:
    """«м» / «ж» for any accepted spelling («Мальчик», «жен.», «мужской пол», «F»); None for
    anything else (the caller words the refusal; an empty text is the caller's to handle)."""
    key = re.sub(r"\s+", "", str(text)).casefold().replace("ё", "е").strip(".")
    found = GENDER_SPELLINGS.get(key)
    if found is None and key.endswith("пол"):   # «мужской пол»
        found = GENDER_SPELLINGS.get(key[: -len("пол")].strip("."))
    return found


# Participant code --------------------------------------------------------------------------

CODE_LENGTH = 5
#: Five ASCII digits. Never `\d`: it matches full-width and other scripts' digits («４０００７»),
#: which no form, scanner or ФИС ОКО takes.
CODE_PATTERN = f"[0-9]{{{CODE_LENGTH}}}"
CODE_RE = re.compile(CODE_PATTERN)


def is_code(text: str) -> bool:
    """Whether `text` is a participant code: exactly five ASCII digits."""
    return isinstance(text, str) and CODE_RE.fullmatch(text) is not None
