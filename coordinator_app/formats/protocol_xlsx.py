"""The re-check package's electronic protocol (protocol.xlsx): every participant of the work by
code, the class, the variant(s), each task's score, the total, the mark and whether the work is in
the package. No pupil's name: participants are known by code only."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import APP_TITLE

if TYPE_CHECKING:
    from ..scoring import ScoreRow
    from ..works import Work


def _cell_value(value: str | None) -> Any:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def protocol_xlsx_bytes(work: Work, rows: Iterable[ScoreRow], sent: set[str]) -> bytes:
    """The electronic protocol: every participant of the work by code, task scores, total, mark,
    and whether the work is in the package."""
    from openpyxl import Workbook  # start-up: openpyxl only when a protocol is written
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter  # start-up: openpyxl

    book = Workbook()
    sheet = book.active
    sheet.title = "Протокол"
    book.properties.creator = APP_TITLE
    book.properties.lastModifiedBy = APP_TITLE
    book.properties.title = f"Электронный протокол ВПР: {work.title}"
    variant_heads = ["Вариант"] if work.parts == 1 else [f"Вариант (часть {p})" for p in range(1, work.parts + 1)]
    header = ["Код участника", "Класс", *variant_heads, *[f"{t.task_id} ({t.max_score}б)" for t in work.tasks],
              "Итого баллов", "Отметка", "В пакете"]
    sheet.append(header)
    for row in rows:
        if row.absent:
            variants = ["отсутствовал"] * len(variant_heads)
            scores: list[Any] = [None] * len(work.tasks)
            total = mark = None
        else:
            variants = [_cell_value(row.variants.get(p)) for p in range(1, work.parts + 1)]
            scores = [_cell_value(row.scores.get(t.task_id)) for t in work.tasks]
            total = row.total if row.status in ("scored", "partial") else None
            mark = _cell_value(row.mark)
        sheet.append([_cell_value(row.code), row.class_name, *variants, *scores, total, mark,
                      "да" if row.code in sent else "нет"])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = {1: 15, 2: 8}
    for index, title in enumerate(header, start=1):
        width = widths.get(index) or max(8, min(20, len(title) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
