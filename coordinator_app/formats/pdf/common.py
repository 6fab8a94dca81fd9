"""Shared pieces of the PDFs: DejaVu fonts (the built-in Helvetica has no Cyrillic), the work header
dataclass, paragraph styles, page footer «ВПР-Координатор · Стр. N из M», small grey lines, the
canvas of a sheet printed to measure, progress reporting and the atomic write.

Only reportlab's canvas layer is imported here: the label layouts are read at start-up through
`labels`, which draws on a canvas; the story-built documents get their helpers from `story`.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ... import APP_TITLE
from ...errors import UserError
from ...fsutil import atomic_writer
from ...resources import resource_path

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
PAGE_SIZE = A4
PAGE_W, PAGE_H = A4
FOOTER_FONT_SIZE = 7.5
FOOTER_Y = 8 * mm
#: The small grey text of footers and captions.
MUTED = colors.Color(0.35, 0.35, 0.35)

ProgressFn = Callable[[int, int], None]


@dataclass
class WorkHeader:
    """What every printout says about the work. Filled by the storage layer."""

    school: str
    login: str
    municipality: str
    academic_year: str
    subject: str
    grade: int
    work_date: datetime.date
    title: str = ""


_fonts_registered = False


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with reportlab once per process."""
    global _fonts_registered
    if _fonts_registered:
        return
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        path = resource_path("fonts", filename)
        if not path.is_file():
            raise UserError(
                f"Не найден файл шрифта «{path}». Переустановите ВПР-Координатор."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # So that <b> in paragraphs picks the bold face (there is no oblique face bundled).
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    _fonts_registered = True


def format_date(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def grade_text(grade: int) -> str:
    return f"{grade} класс"


def text_width(text: str, size: float, bold: bool = False) -> float:
    register_fonts()
    return pdfmetrics.stringWidth(text, FONT_BOLD if bold else FONT, size)


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles shared by the documents (fonts must be registered first)."""
    register_fonts()
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=12.5, alignment=TA_LEFT)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=12, leading=15,
                                spaceAfter=3 * mm),
        "label": ParagraphStyle("label", parent=base, textColor=MUTED, fontSize=9, leading=11.5),
        "value": ParagraphStyle("value", parent=base, fontName=FONT_BOLD, fontSize=10, leading=12.5),
        # Long double surnames break at their hyphen rather than mid-word.
        "cell": ParagraphStyle("cell", parent=base, fontSize=10, leading=12, embeddedHyphenation=1,
                               uriWasteReduce=0.3),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=FONT_BOLD, fontSize=10.5,
                                    leading=12.5),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=10),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=10.5),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=9.5, textColor=MUTED),
    }


def draw_footer(canv: Canvas, page: int, total: int, extra: str = "") -> None:
    """Bottom line: «ВПР-Координатор[ · extra]» on the left, «Стр. N из M» on the right if M > 1."""
    canv.saveState()
    canv.setFont(FONT, FOOTER_FONT_SIZE)
    canv.setFillColor(MUTED)
    left = APP_TITLE + (f" · {extra}" if extra else "")
    margin = 15 * mm
    # Never let a long title run into the page number.
    width = canv._pagesize[0]          # the page's own width: a landscape page is wider than A4's
    max_w = width - 2 * margin - (30 * mm if total > 1 else 0)
    canv.drawString(margin, FOOTER_Y, ellipsize(left, FONT, FOOTER_FONT_SIZE, max_w))
    if total > 1:
        canv.drawRightString(width - margin, FOOTER_Y, f"Стр. {page} из {total}")
    canv.restoreState()


def ellipsize(text: str, font: str, size: float, max_width: float) -> str:
    """`text` cut with «…» so it is at most `max_width` wide."""
    if pdfmetrics.stringWidth(text, font, size) <= max_width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def set_metadata(canv: Canvas, title: str, subject: str = "") -> None:
    canv.setTitle(title)
    canv.setAuthor(APP_TITLE)
    canv.setCreator(APP_TITLE)
    if subject:
        canv.setSubject(subject)


def numbered_canvas_class(decorate: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A Canvas that defers page decorations until the page count is known.

    `decorate(canvas, page_number, total_pages)` is called for every page just before it is
    written; attributes the flowables set on the canvas while drawing that page are restored
    for the call.
    """

    class _NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._page_states: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab API
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._page_states)
            for number, state in enumerate(self._page_states, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return _NumberedCanvas


def document_title(what: str, header: WorkHeader) -> str:
    """«<what> — <subject>, <grade> класс, <date>»: the title a PDF viewer shows."""
    return f"{what} — {header.subject}, {grade_text(header.grade)}, {format_date(header.work_date)}"


def draw_muted_line(canv: Canvas, x: float, y: float, text: str, max_width: float, size: float = 8) -> None:
    """One small grey line at (x, y) (a running head, a caption), cut with «…» to `max_width`."""
    canv.saveState()
    canv.setFont(FONT, size)
    canv.setFillColor(MUTED)
    canv.drawString(x, y, ellipsize(text, FONT, size, max_width))
    canv.restoreState()


def print_canvas(buffer: io.BytesIO, title: str, subject: str = "") -> Canvas:
    """An A4 canvas for sheets printed to measure (code slips, labels), with the document's
    metadata; viewers are asked to print at 100 %, since scaling would move the cut lines and
    the labels off the sheet's own."""
    canv = Canvas(buffer, pagesize=PAGE_SIZE)
    set_metadata(canv, title, subject=subject)
    canv.setViewerPreference("PrintScaling", "None")
    return canv


def write_pdf(out: Path | str, data: bytes) -> None:
    """Write finished PDF bytes to `out` atomically."""
    with atomic_writer(out) as stream:
        stream.write(data)


def new_buffer() -> io.BytesIO:
    return io.BytesIO()


def report(progress: ProgressFn | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


class ProgressCounter:
    """Counts units of work done (rows, blocks laid out on pages) towards `total` and reports
    them; reports (0, total) when made. The count never passes `total`."""

    def __init__(self, progress: ProgressFn | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        report(progress, 0, total)

    def add(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        report(self.progress, self.done, self.total)

    def finish(self) -> None:
        report(self.progress, self.total, self.total)
