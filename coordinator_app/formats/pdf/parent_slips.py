"""Slips for parents: one per pupil who wrote the work — the pupil, the class, the work, each task
with what it checks and the pupil's score, the primary score and the mark, and how the mark follows
from the score. Several to an A4 page, cut lines between them, a slip never split over two pages.
They carry the pupil's name: each says it is for the pupil's family and stays out of any report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from .class_list import TaskLegend
from .common import PAGE_SIZE, draw_footer, styles
from .story import build_pdf

TITLE = "Результаты ВПР: листок для родителей"
PERSONAL_DATA = ("Содержит персональные данные обучающегося: передаётся только семье ученика, "
                 "в отчёты и за пределы школы не передаётся.")
WIDTH = PAGE_SIZE[0] - 30 * mm


@dataclass(frozen=True)
class ParentSlip:
    pupil: str
    class_name: str
    scores: dict[str, str | None]       # task → "2", "X", "не пройд.", None
    total: int | None
    mark: int | None


def _scale_text(scale: Sequence[int] | None, max_total: int) -> str:
    if not scale or len(scale) != 3:
        return ""
    lo3, lo4, lo5 = scale
    return (f"Перевод баллов в отметку: «2» — 0–{lo3 - 1}, «3» — {lo3}–{lo4 - 1}, «4» — {lo4}–{lo5 - 1}, "
            f"«5» — {lo5}–{max_total} (из {max_total} баллов).")


def _slip(slip: ParentSlip, school: str, work_title: str, tasks: Sequence[TaskLegend], scale_text: str,
          st: dict) -> KeepTogether:
    small = ParagraphStyle("slip", parent=st["note"], fontSize=7.5, leading=9)
    head = [Paragraph(escape(h), st["head"]) for h in ("Задание", "Что проверяет", "Балл")]
    rows = [head] + [[Paragraph(escape(t.task_id), small), Paragraph(escape(t.requirement or "—"), small),
                      Paragraph(escape(f"{slip.scores.get(t.task_id) or '—'} из {t.max_score}"), small)]
                     for t in tasks]
    table = Table(rows, colWidths=[20 * mm, WIDTH - 44 * mm, 24 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]))
    result = (f"Первичный балл: {'—' if slip.total is None else slip.total}. "
              f"Отметка: {'—' if slip.mark is None else slip.mark}.")
    parts = [Paragraph(escape(f"{school}. {work_title}"), st["small"]),
             Paragraph(escape(f"{slip.pupil}, {slip.class_name}"), st["value"]), Spacer(1, 1.5 * mm), table,
             Spacer(1, 1.5 * mm), Paragraph(escape(result), st["value"])]
    if scale_text:
        parts.append(Paragraph(escape(scale_text), st["small"]))
    parts += [Paragraph(escape(PERSONAL_DATA), st["small"]), Spacer(1, 3 * mm),
              HRFlowable(width="100%", thickness=0.5, dash=(3, 3), color=colors.grey), Spacer(1, 3 * mm)]
    return KeepTogether(parts)


def parent_slips_pdf(school: str, work_title: str, slips: Sequence[ParentSlip], tasks: Sequence[TaskLegend],
                     scale: Sequence[int] | None, max_total: int) -> bytes:
    st = styles()
    scale_text = _scale_text(scale, max_total)
    story = [_slip(s, school, work_title, tasks, scale_text, st) for s in slips]

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, "Листки для родителей: только для семьи ученика")

    return build_pdf(story, decorate, title=TITLE, subject=work_title, leftMargin=15 * mm, rightMargin=15 * mm,
                     topMargin=12 * mm, bottomMargin=15 * mm)
