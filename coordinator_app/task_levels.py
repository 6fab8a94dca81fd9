"""What the analysis knows of a task beyond its maximum: its level (Б, П, В), whether it is scored
by an expert's judgement («развёрнутый ответ») and the checked requirement («проверяемое умение»).

Pure parsing of those values as a user types them (the work dialog, the command line, an imported
file), each with a Russian message that says what is accepted. Used by `works` (a work created with
them) and `task_info` (edited afterwards).
"""

from __future__ import annotations

#: The levels as ФИС ОКО writes them («Уровень сложности задания»), in their order.
LEVELS = ("Б", "П", "В")
LEVEL_NAMES = {"Б": "базовый", "П": "повышенный", "В": "высокий"}
#: The longest requirement text kept (a description's «проверяемое умение» is a sentence or two).
MAX_REQUIREMENT = 1000

_LEVEL_WORDS = {
    "б": "Б", "баз": "Б", "базовый": "Б", "базовый уровень": "Б", "базовая": "Б",
    "п": "П", "пов": "П", "повышенный": "П", "повышенный уровень": "П", "повышенная": "П",
    "в": "В", "выс": "В", "высокий": "В", "высокий уровень": "В", "высокая": "В",
}
_YES = frozenset({"да", "yes", "y", "1", "+", "истина", "true", "развёрнутый", "развернутый", "р", "ра"})
_NO = frozenset({"нет", "no", "n", "0", "-", "ложь", "false", "краткий", "к", "ко"})


class ValueProblem(ValueError):
    """A value that is not a level or a yes/no: `str()` is the Russian reason."""


def parse_level(text: str | None) -> str | None:
    """«Б», «б», «базовый», «Базовый уровень» → «Б» (likewise П, В); empty → None."""
    plain = " ".join(str(text or "").replace("ё", "е").split()).casefold().rstrip(".")
    if not plain or plain in ("—", "-", "нет"):
        return None
    level = _LEVEL_WORDS.get(plain)
    if level is None:
        hint = " (набрано латиницей: нужна русская буква)" if plain.isascii() and plain.isalpha() else ""
        raise ValueProblem(f"уровень «{text}» не распознан{hint}: укажите Б (базовый), П (повышенный) "
                           "или В (высокий)")
    return level


def parse_open_answer(text: str | None) -> bool | None:
    """«да»/«нет» (also yes/no, 1/0, +/−, «развёрнутый»/«краткий») → True/False; empty → None."""
    plain = str(text or "").strip().casefold().rstrip(".")
    if not plain:
        return None
    if plain in _YES:
        return True
    if plain in _NO:
        return False
    raise ValueProblem(f"«{text}» — не «да» и не «нет»: развёрнутый ответ указывают словами «да» или «нет»")


def clean_requirement(text: str | None) -> str:
    """The requirement as one line without runs of spaces; too long a text is a problem."""
    clean = " ".join(str(text or "").split())
    if len(clean) > MAX_REQUIREMENT:
        raise ValueProblem(f"проверяемое умение длиннее {MAX_REQUIREMENT} знаков ({len(clean)})")
    return clean


def level_text(level: str | None) -> str:
    """«Б (базовый)», or «не указан»."""
    return f"{level} ({LEVEL_NAMES[level]})" if level in LEVEL_NAMES else "не указан"


def open_text(open_answer: bool | None) -> str:
    return "не указано" if open_answer is None else ("да" if open_answer else "нет")
