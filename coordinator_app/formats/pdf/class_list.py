"""The class teacher's list of a work's results WITH names (issue 14): pupil, code, primary score,
ВПР mark, journal mark and the gap, one class to a page. It holds minors' personal data and says so
on every page: it stays at school, and nothing of it goes into a package, a form or the справка.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Table, TableStyle

from .common import PAGE_SIZE, draw_footer, styles
from .story import build_pdf

TITLE = "Результаты ВПР по классу"
PERSONAL_DATA = "Содержит персональные данные обучающихся. Не выносить за пределы школы."
WIDTH = PAGE_SIZE[0] - 30 * mm


@dataclass(frozen=True)
class ClassRow:
    pupil: str
    code: str
    total: int | None
    mark: int | None
    journal: int | None
    absent: bool = False

    @property
    def gap(self) -> int | None:
        return None if self.mark is None or self.journal is None else self.mark - self.journal


def _cells(row: ClassRow) -> list[str]:
    if row.absent:
        return [row.pupil, row.code, "отсутствовал", "", "" if row.journal is None else str(row.journal), ""]
    gap = row.gap
    return [row.pupil, row.code, "—" if row.total is None else str(row.total), "—" if row.mark is None else str(row.mark),
            "—" if row.journal is None else str(row.journal),
            "" if gap is None else (f"+{gap}" if gap > 0 else str(gap))]


def _table(rows: Sequence[ClassRow], st) -> Table:
    head = ["Обучающийся", "Код", "Первичный балл", "Отметка ВПР", "Отметка по журналу", "Разница"]
    data = [[Paragraph(escape(h), st["head"]) for h in head]]
    data += [[Paragraph(escape(c), st["note"]) for c in _cells(r)] for r in rows]
    table = Table(data, colWidths=[70 * mm, 18 * mm, 24 * mm, 22 * mm, 26 * mm, WIDTH - 160 * mm], repeatRows=1,
                  hAlign="LEFT")
    marked = [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.Color(1, 0.9, 0.85))
              for i, r in enumerate(rows) if r.gap is not None and abs(r.gap) >= 2]
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)), *marked]))
    return table


def class_list_pdf(work_title: str, classes: Sequence[tuple[str, Sequence[ClassRow]]]) -> bytes:
    """One page (or more) per class: the work, the class, the warning, the table; a gap of two marks
    or more is shaded."""
    st = styles()
    story: list = []
    for number, (class_name, rows) in enumerate(classes):
        if number:
            story.append(PageBreak())
        story += [Paragraph(escape(f"{TITLE}: {work_title}, класс {class_name}"), st["title"]),
                  Paragraph(escape(PERSONAL_DATA), st["value"]), _table(rows, st),
                  Paragraph("Разница — отметка ВПР минус отметка по журналу; расхождение на 2 и более выделено.",
                            st["small"])]

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, PERSONAL_DATA)

    return build_pdf(story, decorate, title=TITLE, subject=work_title, leftMargin=15 * mm, rightMargin=15 * mm,
                     topMargin=15 * mm, bottomMargin=15 * mm)
