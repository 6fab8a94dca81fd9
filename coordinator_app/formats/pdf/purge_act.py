"""«Акт об уничтожении»: the act printed when a work's scans and audio are purged after retention.

Lists the work, the retention basis, when and by whom, how many pages and files, and every file
with its SHA-256, with signature lines for the commission. Carries no pupil names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .common import PAGE_SIZE, draw_footer, format_date, new_buffer, numbered_canvas_class, styles, write_pdf


@dataclass
class ActData:
    school: str
    director: str
    work_title: str
    work_date: dt.date
    basis: str                          # «90 дней с даты проведения работы (приказ …)»
    purged_at: str                      # ISO local time
    actor: str
    pages: int
    files: list[tuple[str, str, int]] = field(default_factory=list)   # (name, sha256, size)


def write_purge_act(out: Path, data: ActData) -> None:
    st = styles()
    buffer = new_buffer()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=18 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=18 * mm, title="Акт об уничтожении",
                            author="ВПР-Координатор")
    when = dt.datetime.fromisoformat(data.purged_at)
    story = [
        Paragraph(data.school, st["label"]),
        Spacer(1, 4 * mm),
        Paragraph("АКТ об уничтожении материалов ВПР с истёкшим сроком хранения", st["title"]),
        Paragraph(f"Дата и время: {when:%d.%m.%Y %H:%M}", st["base"]),
        Spacer(1, 3 * mm),
        Paragraph(f"Работа: <b>{data.work_title}</b>; дата проведения {format_date(data.work_date)}.", st["base"]),
        Paragraph(f"Основание: срок хранения — {data.basis}; срок истёк.", st["base"]),
        Paragraph(
            f"Уничтожены электронные копии работ (сканы) и аудиозаписи: страниц — {data.pages}, "
            f"файлов — {len(data.files)}. Контрольные суммы SHA-256 уничтоженных файлов приведены ниже; "
            "запись об уничтожении сохранена в журнале программы.", st["base"]),
        Paragraph(f"Действие выполнил: {data.actor}.", st["base"]),
        Spacer(1, 4 * mm),
    ]
    rows = [[Paragraph("№", st["head"]), Paragraph("Файл", st["head"]), Paragraph("Размер, байт", st["head"]),
             Paragraph("SHA-256", st["head"])]]
    for number, (name, sha, size) in enumerate(data.files, start=1):
        rows.append([Paragraph(str(number), st["small"]), Paragraph(name, st["small"]),
                     Paragraph(f"{size:,}".replace(",", " "), st["small"]),
                     Paragraph(f"{sha[:32]}<br/>{sha[32:]}", st["small"])])
    if not data.files:
        rows.append(["", Paragraph("файлов нет (только страницы)", st["small"]), "", ""])
    table = Table(rows, colWidths=[10 * mm, 62 * mm, 24 * mm, 81 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 10 * mm)]
    for role in ("Председатель комиссии", "Члены комиссии", "", "Школьный координатор"):
        story.append(Paragraph(f"{role or '&nbsp;'}{' ' * 4}_______________ / ______________________", st["base"]))
        story.append(Spacer(1, 6 * mm))
    if data.director:
        story.append(Paragraph(f"Директор: {data.director}{' ' * 4}_______________", st["base"]))

    def decorate(canv, page, total):
        draw_footer(canv, page, total, "Акт об уничтожении")

    doc.build(story, canvasmaker=numbered_canvas_class(decorate))
    write_pdf(out, buffer.getvalue())
