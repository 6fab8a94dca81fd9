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
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from .common import draw_footer, format_date, styles, write_pdf
from .story import build_pdf

ACT_TITLE = "Акт об уничтожении"


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


def _intro(data: ActData, st) -> list:
    """What was destroyed, on what grounds, when and by whom."""
    when = dt.datetime.fromisoformat(data.purged_at)
    return [
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


def _files_table(data: ActData, st) -> Table:
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
    return table


def _signatures(data: ActData, st) -> list:
    story: list = []
    for role in ("Председатель комиссии", "Члены комиссии", "", "Школьный координатор"):
        story.append(Paragraph(f"{role or '&nbsp;'}{' ' * 4}_______________ / ______________________", st["base"]))
        story.append(Spacer(1, 6 * mm))
    if data.director:
        story.append(Paragraph(f"Директор: {data.director}{' ' * 4}_______________", st["base"]))
    return story


def _decorate(canv, page: int, total: int) -> None:
    draw_footer(canv, page, total, ACT_TITLE)


def write_purge_act(out: Path, data: ActData) -> None:
    st = styles()
    story = [*_intro(data, st), _files_table(data, st), Spacer(1, 10 * mm), *_signatures(data, st)]
    write_pdf(out, build_pdf(story, _decorate, leftMargin=18 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                             bottomMargin=18 * mm, title=ACT_TITLE))
