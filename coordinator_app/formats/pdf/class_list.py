"""The class teacher's list of a work's results WITH names: pupil, code, primary score, ВПР mark,
journal mark and the gap, and the score of every task; under the table, what each task checks (its
maximum, level and requirement). One class to a page, A4 landscape. It holds minors' personal data
and says so on every page: it stays at school, and nothing of it goes into a package, a form or the
справка.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle

from .common import PAGE_SIZE, draw_footer, styles
from .story import build_pdf

TITLE = "Результаты ВПР по классу"
PERSONAL_DATA = "Содержит персональные данные обучающихся. Только для использования в школе. Не выносить за пределы школы."
PAGE = landscape(PAGE_SIZE)
WIDTH = PAGE[0] - 24 * mm


@dataclass(frozen=True)
class TaskLegend:
    task_id: str
    max_score: int
    level: str | None = None
    requirement: str = ""


@dataclass(frozen=True)
class ClassRow:
    pupil: str
    code: str
    total: int | None
    mark: int | None
    journal: int | None
    absent: bool = False
    scores: dict[str, str | None] = field(default_factory=dict)     # task → "2", "X", None (not entered)

    @property
    def gap(self) -> int | None:
        return None if self.mark is None or self.journal is None else self.mark - self.journal

    @property
    def gap_text(self) -> str:
        gap = self.gap
        return "" if gap is None else (f"+{gap}" if gap > 0 else str(gap).replace("-", "−"))


def _cells(row: ClassRow, tasks: Sequence[TaskLegend]) -> list[str]:
    if row.absent:
        return [row.pupil, row.code, "отсутствовал", "", "" if row.journal is None else str(row.journal), "",
                *("" for _ in tasks)]
    return [row.pupil, row.code, "—" if row.total is None else str(row.total), "—" if row.mark is None else str(row.mark),
            "—" if row.journal is None else str(row.journal), row.gap_text,
            *(row.scores.get(t.task_id) or "—" for t in tasks)]


def _table(rows: Sequence[ClassRow], tasks: Sequence[TaskLegend], st) -> Table:
    small = ParagraphStyle("task", parent=st["note"], fontSize=7, leading=8.5, alignment=1)
    head = ["Обучающийся", "Код", "Перв. балл", "Отметка ВПР", "Отметка по журналу", "Разница"]
    data = [[Paragraph(escape(h), st["head"]) for h in head] + [Paragraph(escape(t.task_id), small) for t in tasks]]
    data += [[Paragraph(escape(c), st["note"] if i < 6 else small) for i, c in enumerate(_cells(r, tasks))] for r in rows]
    fixed = [60 * mm, 14 * mm, 17 * mm, 20 * mm, 24 * mm, 19 * mm]
    rest = WIDTH - sum(fixed)
    task_w = min(14 * mm, rest / max(len(tasks), 1))
    table = Table(data, colWidths=fixed + [task_w] * len(tasks), repeatRows=1, hAlign="LEFT")
    marked = [("BACKGROUND", (0, i + 1), (5, i + 1), colors.Color(1, 0.9, 0.85))
              for i, r in enumerate(rows) if r.gap is not None and abs(r.gap) >= 2]
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)), *marked]))
    return table


def _legend(tasks: Sequence[TaskLegend], st) -> Table:
    data = [[Paragraph(escape(h), st["head"]) for h in ("Задание", "Макс.", "Уровень", "Что проверяет")]]
    data += [[Paragraph(escape(c), st["note"]) for c in (t.task_id, str(t.max_score), t.level or "—",
                                                        t.requirement or "—")] for t in tasks]
    table = Table(data, colWidths=[22 * mm, 18 * mm, 22 * mm, WIDTH - 62 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]))
    return table


def class_list_pdf(work_title: str, classes: Sequence[tuple[str, Sequence[ClassRow]]],
                   tasks: Sequence[TaskLegend] = ()) -> bytes:
    """One page (or more) per class: the work, the class, the warning, the table, the tasks' legend;
    a gap of two marks or more is shaded."""
    st = styles()
    story: list = []
    for number, (class_name, rows) in enumerate(classes):
        if number:
            story.append(PageBreak())
        story += [Paragraph(escape(f"{TITLE}: {work_title}, класс {class_name}"), st["title"]),
                  Paragraph(escape(PERSONAL_DATA), st["value"]), Spacer(1, 2 * mm), _table(rows, tasks, st),
                  Paragraph("Разница — отметка ВПР минус отметка по журналу; расхождение на 2 и более выделено. "
                            "В столбцах заданий — баллы ученика (X — нет ответа).", st["small"])]
        if tasks:
            story += [Spacer(1, 3 * mm), Paragraph("Задания работы", st["value"]), _legend(tasks, st)]

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, PERSONAL_DATA)

    return build_pdf(story, decorate, title=TITLE, subject=work_title, pagesize=PAGE, leftMargin=12 * mm,
                     rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=15 * mm)
