"""«Протокол проведения ВПР: соответствие кодов участников и ФИО» — one section per class.

The protocol holds personal data and stays at school. Each class starts on a new page, the table
header repeats on every page, continuation pages carry a running line naming the class, and each
class ends with the signature lines of the organiser and the school coordinator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ...errors import UserError
from .common import (
    PAGE_H,
    PAGE_W,
    ProgressCounter,
    WorkHeader,
    document_title,
    draw_footer,
    draw_muted_line,
    format_date,
    grade_text,
    register_fonts,
    styles,
    write_pdf,
)
from .story import build_pdf, key_value_table, signature_table

__all__ = ["WorkHeader", "ProtocolRow", "ClassSection", "write_protocol_pdf", "PROTOCOL_TITLE"]

PROTOCOL_TITLE = "Протокол проведения ВПР: соответствие кодов участников и ФИО"
PERSONAL_DATA_NOTE = (
    "<b>Протокол содержит персональные данные участников.</b> Он хранится только в "
    "образовательной организации, не передаётся в ФИС ОКО и не выносится за пределы школы."
)
MARGIN_X = 15 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 16 * mm
#: № · Код участника · ФИО · Вариант · Присутствовал/отсутствовал · Подпись (sum = 180 mm).
COL_WIDTHS = [9 * mm, 23 * mm, 69 * mm, 17 * mm, 31 * mm, 31 * mm]
HEAD_CELLS = ["№", "Код участника", "ФИО", "Вариант", "Присутствовал / отсутствовал", "Подпись"]


@dataclass
class ProtocolRow:
    code: str
    surname: str
    name: str
    patronymic: str
    variant: str | None
    absent: bool


@dataclass
class ClassSection:
    class_name: str
    rows: list[ProtocolRow]


class _SectionMarker(Flowable):
    """Zero-size flowable telling the canvas which class the following pages belong to."""

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name

    def wrap(self, avail_w, avail_h):
        return 0, 0

    def draw(self):
        self.canv._vpr_section = self.class_name
        self.canv._vpr_section_page = self.canv.getPageNumber()


class _RowsTable(Table):
    """The participants table; a marker class so the document can count rows already drawn."""


def _full_name(row: ProtocolRow) -> str:
    return " ".join(part.strip() for part in (row.surname, row.name, row.patronymic) if part and part.strip())


def _header_block(header: WorkHeader, class_name: str, st) -> list:
    items = [
        ("Образовательная организация", header.school),
        ("Логин ФИС ОКО", header.login),
        ("Муниципалитет", header.municipality),
        ("Учебный год", header.academic_year),
        ("Предмет", header.subject),
        ("Параллель", grade_text(header.grade)),
        ("Класс", class_name),
        ("Дата проведения", format_date(header.work_date)),
    ]
    if header.title:
        items.insert(4, ("Работа", header.title))
    table = key_value_table(items, st, 52 * mm, sum(COL_WIDTHS))
    return [Paragraph(PROTOCOL_TITLE, st["title"]), table]


def _rows_table(rows: list[ProtocolRow], st) -> Table:
    data = [[Paragraph(escape(h), st["head"]) for h in HEAD_CELLS]]
    for number, row in enumerate(rows, start=1):
        data.append([
            Paragraph(str(number), st["cell"]),
            Paragraph(escape(row.code), st["cell_bold"]),
            Paragraph(escape(_full_name(row)), st["cell"]),
            Paragraph(escape((row.variant or "").strip()), st["cell"]),
            Paragraph("отсутствовал" if row.absent else "присутствовал", st["cell"]),
            "",
        ])
    table = _RowsTable(data, colWidths=COL_WIDTHS, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, 0), 3),
        ("BOTTOMPADDING", (0, 0), (-1, 0), 3),
        # Room to write a variant or sign by hand.
        ("TOPPADDING", (0, 1), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
    ]
    for index, row in enumerate(rows, start=1):
        if row.absent:
            style.append(("BACKGROUND", (0, index), (-1, index), colors.Color(0.94, 0.94, 0.94)))
    table.setStyle(TableStyle(style))
    return table


def _signatures(st) -> KeepTogether:
    lines = [
        ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
        ("LINEBELOW", (3, 0), (3, 0), 0.6, colors.black),
        ("TOPPADDING", (0, 1), (-1, 1), 1),
    ]
    blocks: list = [Spacer(1, 8 * mm)]
    for role in ("Организатор в аудитории", "Школьный координатор"):
        cells = [Paragraph(role, st["base"]), "", Paragraph("/", st["base"]), ""]
        table = signature_table(cells, st, [50 * mm, 40 * mm, 6 * mm, 70 * mm], 9 * mm, lines)
        blocks += [table, Spacer(1, 4 * mm)]
    return KeepTogether(blocks)


def _decorate(header: WorkHeader):
    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, extra=f"Протокол · {header.subject}, {grade_text(header.grade)}")
        section = getattr(canv, "_vpr_section", None)
        if section is not None and getattr(canv, "_vpr_section_page", page) != page:
            # Continuation page: say which class and work this is.
            text = (
                f"Протокол (продолжение) · {header.subject}, {grade_text(header.grade)} · "
                f"класс {section} · {format_date(header.work_date)}"
            )
            draw_muted_line(canv, MARGIN_X, PAGE_H - 10 * mm, text, PAGE_W - 2 * MARGIN_X)

    return decorate


def _section(header: WorkHeader, section: ClassSection, st) -> list:
    """One class: the header block, the personal-data note, the table and the signatures."""
    return [
        _SectionMarker(section.class_name),
        *_header_block(header, section.class_name, st),
        Spacer(1, 3 * mm),
        Paragraph(PERSONAL_DATA_NOTE, st["note"]),
        Spacer(1, 4 * mm),
        _rows_table(section.rows, st),
        _signatures(st),
    ]


def write_protocol_pdf(
    out: Path,
    header: WorkHeader,
    sections: list[ClassSection],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the protocol of one work (one section per class) to `out` atomically.

    `progress(done_rows, total_rows)` is called as table rows are laid out on pages.
    """
    register_fonts()
    sections = [s for s in sections if s.rows]
    if not sections:
        raise UserError("В протоколе нет ни одного участника: сначала добавьте учеников и выдайте коды.")
    st = styles()
    counter = ProgressCounter(progress, sum(len(s.rows) for s in sections))

    def after(flowable: Flowable) -> None:
        if isinstance(flowable, _RowsTable):
            counter.add(len(flowable._cellvalues) - flowable.repeatRows)

    story: list = []
    for index, section in enumerate(sections):
        if index:
            story.append(PageBreak())
        story += _section(header, section, st)
    data = build_pdf(
        story, _decorate(header), after=after,
        leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        title=document_title(PROTOCOL_TITLE, header),
    )
    write_pdf(out, data)
    counter.finish()
