"""«Сверка результатов ВПР с данными ФИС ОКО»: every difference between what the school holds and
what ФИС ОКО returned, code by code, with a column for the explanation — the document the
coordinator hands to the municipality before its re-check. Codes only, never a pupil's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from .common import PAGE_SIZE, draw_footer, styles
from .story import build_pdf

TITLE = "Сверка результатов ВПР с данными ФИС ОКО"
WIDTH = PAGE_SIZE[0] - 30 * mm
_KIND_ORDER = ("individual", "marks", "journal")


def _imports_table(found: Any, st: dict[str, Any]) -> Table:
    data = [[Paragraph(escape(h), st["head"]) for h in ("Отчёт ФИС ОКО", "Файл", "Строк", "Импортирован")]]
    for kind in _KIND_ORDER:
        info = found.kinds.get(kind)
        if info is None:
            continue
        stamp = str(info.get("imported_at") or "")[:16].replace("T", " ")
        data.append([Paragraph(escape(str(c)), st["note"]) for c in (info["title"], info["file"], info["rows"], stamp)])
    table = Table(data, colWidths=[62 * mm, 62 * mm, 16 * mm, WIDTH - 140 * mm], hAlign="LEFT", repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]))
    return table


def _differences_table(found: Any, st: dict[str, Any]) -> Table:
    head = ["№", "Код участника", "Что различается", "В данных школы", "В ФИС ОКО", "Пояснение"]
    data = [[Paragraph(escape(h), st["head"]) for h in head]]
    for n, d in enumerate(found.differences, start=1):
        cells = [str(n), d.code or "школа в целом", d.field_text, d.school if d.school is not None else "—",
                 d.fisoko if d.fisoko is not None else "—", ""]
        data.append([Paragraph(escape(c), st["note"]) for c in cells])
    table = Table(data, colWidths=[9 * mm, 24 * mm, 38 * mm, 28 * mm, 28 * mm, WIDTH - 127 * mm],
                  hAlign="LEFT", repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]))
    return table


def reconciliation_pdf(school_name: str, login: str, found: Any, today: dt.date) -> bytes:
    """The reconciliation of one work (`results_import.Reconciliation`)."""
    st = styles()
    school = f"{school_name} ({login})" if login else school_name
    story: list = [
        Paragraph(escape(TITLE), st["title"]),
        Paragraph(escape(f"Образовательная организация: {school}"), st["base"]),
        Paragraph(escape(f"Работа: {found.work_title}"), st["base"]),
        Paragraph(escape(f"Дата сверки: {today:%d.%m.%Y}"), st["base"]),
        Spacer(1, 3 * mm), _imports_table(found, st), Spacer(1, 4 * mm),
    ]
    if not found.school_has_data:
        story.append(Paragraph("Работа создана по отчёту ФИС ОКО: данных школы для сверки нет.", st["value"]))
    elif not found.differences:
        story.append(Paragraph(escape(f"Расхождений нет: данные школы совпадают с ФИС ОКО "
                                      f"(сверено участников: {found.compared_codes})."), st["value"]))
    else:
        codes = found.codes_with_differences
        story += [
            Paragraph(escape(f"Расхождений: {len(found.differences)}"
                             + (f", у участников: {len(codes)}" if codes else "")
                             + f" (сверено участников: {found.compared_codes})."), st["value"]),
            Spacer(1, 2 * mm), _differences_table(found, st), Spacer(1, 3 * mm),
            Paragraph("Каждое расхождение — ошибка при загрузке результатов или изменение после неё. "
                      "Укажите причину в столбце «Пояснение» до муниципальной перепроверки. "
                      "«X» (нет ответа) и 0 баллов считаются совпадающими.", st["small"]),
        ]
    story += [Spacer(1, 10 * mm),
              Paragraph("Школьный координатор ____________________ / ____________________", st["base"])]

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, TITLE)

    return build_pdf(story, decorate, title=TITLE, subject=found.work_title, leftMargin=15 * mm,
                     rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
