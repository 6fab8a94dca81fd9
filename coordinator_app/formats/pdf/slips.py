"""Code slips: a grid of 2×6 slips per A4 page, cut along the dashed lines and handed to pupils.

Each slip carries the participant code in large bold digits, what the code is for, the subject,
grade/class and date. Slips never carry pupil names: they are handed out in the classroom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ...errors import UserError
from .common import (
    FONT,
    FONT_BOLD,
    MUTED,
    PAGE_H,
    PAGE_W,
    WorkHeader,
    document_title,
    draw_footer,
    draw_muted_line,
    ellipsize,
    format_date,
    grade_text,
    new_buffer,
    print_canvas,
    register_fonts,
    report,
    text_width,
    write_pdf,
)

__all__ = ["Slip", "write_slips_pdf", "SLIP_COLS", "SLIP_ROWS"]

SLIP_COLS = 2
SLIP_ROWS = 6
SLIPS_PER_PAGE = SLIP_COLS * SLIP_ROWS
GRID_LEFT = 10 * mm
GRID_RIGHT = PAGE_W - 10 * mm
GRID_TOP = PAGE_H - 14 * mm
GRID_BOTTOM = 14 * mm
SLIP_W = (GRID_RIGHT - GRID_LEFT) / SLIP_COLS
SLIP_H = (GRID_TOP - GRID_BOTTOM) / SLIP_ROWS
SLIP_PAD = 4 * mm
CODE_SIZE = 32
CODE_CHAR_SPACE = 3
INSTRUCTION = "Код участника ВПР — впишите его в бланк работы"


@dataclass
class Slip:
    code: str
    class_name: str


def _draw_slip(canv: Canvas, x: float, y: float, header: WorkHeader, slip: Slip) -> None:
    """Draw one slip whose lower-left corner is (x, y)."""
    inner_w = SLIP_W - 2 * SLIP_PAD
    cx = x + SLIP_W / 2
    top = y + SLIP_H

    canv.setFillColor(colors.black)
    size = 9.5
    while size > 7 and text_width(INSTRUCTION, size) > inner_w:
        size -= 0.5
    canv.setFont(FONT, size)
    canv.drawCentredString(cx, top - SLIP_PAD - size, ellipsize(INSTRUCTION, FONT, size, inner_w))

    # The code, spaced a little so each digit is easy to copy.
    code = slip.code
    code_size = CODE_SIZE
    width = text_width(code, code_size, bold=True) + CODE_CHAR_SPACE * (len(code) - 1)
    text = canv.beginText()
    text.setFont(FONT_BOLD, code_size)
    text.setCharSpace(CODE_CHAR_SPACE)
    text.setTextOrigin(cx - width / 2, y + SLIP_H / 2 - code_size * 0.36 + 1 * mm)
    text.textOut(code)
    text.setCharSpace(0)  # the text state outlives the text object in the page stream
    canv.saveState()
    canv.drawText(text)
    canv.restoreState()

    canv.setFillColor(MUTED)
    small = 8.5
    canv.setFont(FONT, small)
    class_part = f"класс {slip.class_name}" if slip.class_name else grade_text(header.grade)
    line1 = f"{header.subject} · {grade_text(header.grade)} · {class_part}"
    line2 = f"Дата проведения: {format_date(header.work_date)}"
    canv.drawCentredString(cx, y + SLIP_PAD + small * 1.25, ellipsize(line1, FONT, small, inner_w))
    canv.drawCentredString(cx, y + SLIP_PAD, ellipsize(line2, FONT, small, inner_w))
    canv.setFillColor(colors.black)


def _draw_cut_lines(canv: Canvas, used: int) -> None:
    """Dashed lines around the used slips of a page (rows are filled left to right)."""
    canv.saveState()
    canv.setStrokeColor(colors.Color(0.45, 0.45, 0.45))
    canv.setLineWidth(0.6)
    canv.setDash(4, 3)
    rows = (used + SLIP_COLS - 1) // SLIP_COLS

    def in_row(row: int) -> int:
        return max(0, min(SLIP_COLS, used - row * SLIP_COLS)) if 0 <= row < rows else 0

    for row in range(rows + 1):
        # A boundary is as long as the wider of the two rows it separates.
        cols = max(in_row(row - 1), in_row(row))
        y = GRID_TOP - row * SLIP_H
        canv.line(GRID_LEFT, y, GRID_LEFT + cols * SLIP_W, y)
    for row in range(rows):
        y_top = GRID_TOP - row * SLIP_H
        for col in range(in_row(row) + 1):
            x = GRID_LEFT + col * SLIP_W
            canv.line(x, y_top, x, y_top - SLIP_H)
    canv.restoreState()


def write_slips_pdf(
    out: Path,
    header: WorkHeader,
    slips: list[Slip],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write code slips (2×6 per A4 page) to `out` atomically; `progress(pages_done, pages)`."""
    register_fonts()
    if not slips:
        raise UserError("Нет кодов для печати: сначала выдайте участникам коды.")
    pages = (len(slips) + SLIPS_PER_PAGE - 1) // SLIPS_PER_PAGE
    report(progress, 0, pages)
    buffer = new_buffer()
    canv = print_canvas(buffer, document_title("Коды участников ВПР", header))
    caption = (
        f"Коды участников ВПР · {header.subject}, {grade_text(header.grade)} · "
        f"{format_date(header.work_date)} · разрежьте по пунктирным линиям"
    )
    for page in range(pages):
        chunk = slips[page * SLIPS_PER_PAGE:(page + 1) * SLIPS_PER_PAGE]
        draw_muted_line(canv, GRID_LEFT, GRID_TOP + 4 * mm, caption, GRID_RIGHT - GRID_LEFT)
        _draw_cut_lines(canv, len(chunk))
        for index, slip in enumerate(chunk):
            row, col = divmod(index, SLIP_COLS)
            x = GRID_LEFT + col * SLIP_W
            y = GRID_TOP - (row + 1) * SLIP_H
            _draw_slip(canv, x, y, header, slip)
        draw_footer(canv, page + 1, pages)
        canv.showPage()
        report(progress, page + 1, pages)
    canv.save()
    write_pdf(out, buffer.getvalue())
