"""What a spreadsheet cell says, as the user would read it in Excel — shared by the readers of
pupil lists and filled ФИС ОКО forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


def cell_text(value: Any) -> str:
    """"3" for 3.0, "09.01.2025" for a date, "ИСТИНА"/"ЛОЖЬ" for booleans; one line, no
    non-breaking spaces or BOM; "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y" if value.time() == dt.time(0, 0) else "%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return " ".join(str(value).replace("\ufeff", "").split())


def value_text(value: Any) -> str:
    """A value of a ФИС ОКО template as one-line text, for matching it with the template's own
    headers and lists: 3.0 → "3" (other numbers as Python writes them), no-break spaces and runs
    of spaces collapsed. Unlike `cell_text`, no rendering as Excel shows it (booleans, dates,
    decimal commas): the template's lists hold the plain values."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\xa0", " ").replace("\u202f", " ")
    return _SPACES_RE.sub(" ", text).strip()


_SPACES_RE = re.compile(r"\s+")
