"""Documents built from a story of flowables (reportlab's platypus): the protocol, the re-check
protocol, the cover letter and the purge act. Builds such a document to bytes with the page
furniture of `common`, tells the caller each flowable laid out (for progress), and makes the
tables they share: a «label — value» header block and the signature lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ... import APP_TITLE
from .common import PAGE_SIZE, new_buffer, numbered_canvas_class

#: decorate(canvas, page, total_pages): the footer and running head of every page.
Decorate = Callable[..., None]
#: The caption row under a signature line.
SIGNATURE_CAPTIONS = ("подпись", "расшифровка подписи (ФИО)")


class _ReportingDocTemplate(SimpleDocTemplate):
    """A document that tells `after(flowable)` of every flowable once it is laid out on a page."""

    def __init__(self, *args, after: Callable[[Flowable], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._after = after

    def afterFlowable(self, flowable):  # noqa: N802 - reportlab API
        self._after(flowable)


def build_pdf(story: list, decorate: Decorate, *, after: Callable[[Flowable], None] | None = None,
              **options) -> bytes:
    """The PDF of `story` on A4, each page decorated by `decorate` once the page count is known.

    `options` are SimpleDocTemplate's (margins, title, subject, …); author and creator are the
    program. `after(flowable)` is called for every flowable laid out, in order.
    """
    options = {"pagesize": PAGE_SIZE, "author": APP_TITLE, "creator": APP_TITLE, **options}
    buffer = new_buffer()
    doc = _ReportingDocTemplate(buffer, after=after or (lambda flowable: None), **options)
    doc.build(story, canvasmaker=numbered_canvas_class(decorate))
    return buffer.getvalue()


def key_value_table(items: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], label_w: float,
                    total_w: float) -> Table:
    """The «label: value» block at the top of a document (labels grey, values bold; «—» for an
    empty value), left-aligned without a frame."""
    data = [
        [Paragraph(escape(k), st["label"]), Paragraph(escape(v or "—"), st["value"])] for k, v in items
    ]
    table = Table(data, colWidths=[label_w, total_w - label_w], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def signature_table(cells: list, st: dict[str, ParagraphStyle], col_widths: list[float], line_height: float,
                    style: list) -> Table:
    """One signature line: `cells` (role, signature, «/», name) over the captions «подпись» and
    «расшифровка подписи (ФИО)»; `style` adds the lines and paddings of the document."""
    caption = st["small"]
    table = Table(
        [cells, ["", Paragraph(SIGNATURE_CAPTIONS[0], caption), "", Paragraph(SIGNATURE_CAPTIONS[1], caption)]],
        colWidths=col_widths,
        rowHeights=[line_height, None],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        *style,
    ]))
    return table
