"""What a spreadsheet cell says, as the user would read it in Excel — shared by the readers of
pupil lists and filled ФИС ОКО forms."""

from __future__ import annotations

import datetime as dt
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
