"""Russian numerals agreeing with their count: «1 день», «3 дня», «11 дней», «21 работа».

One home for the rule, so no text says «1 дней» or «21 работ».
"""

from __future__ import annotations


def plural(count: int, one: str, few: str, many: str) -> str:
    """The form of the word for `count`: `one` (1, 21, 101), `few` (2–4, 22–24), `many` (0, 5–20, 25…)."""
    count = abs(int(count))
    if 11 <= count % 100 <= 14:
        return many
    if count % 10 == 1:
        return one
    if 2 <= count % 10 <= 4:
        return few
    return many


def counted(count: int, one: str, few: str, many: str) -> str:
    """«1 день», «3 дня», «11 дней»."""
    return f"{count} {plural(count, one, few, many)}"


def days(count: int) -> str:
    return counted(count, "день", "дня", "дней")


def works(count: int) -> str:
    return counted(count, "работа", "работы", "работ")
