"""QR labels on A4 self-adhesive label sheets: code in large digits, QR of the label payload
(`coordinator_app.qr_payload`), subject, class and date.

Geometry (all labels of a sheet look the same):

* nothing is drawn within `PAD` (2 mm) of a label edge, and nothing within `PAGE_SAFE` of the
  sheet edge, where many printers cannot print (label sheets have little or no margin);
* the QR symbol keeps a quiet zone of 4 modules (`QUIET_MODULES`) that stays inside the label
  and holds nothing else; the quiet zone may lie in the padding, since it is blank;
* the QR symbol is as large as the label allows while the code still fits beside it, and at
  least `MIN_QR_MM` (17 mm on labels lower than 30 mm).

The PDF asks viewers to print at 100 % (PrintScaling=None): scaling would misalign the labels.

The QR symbol is encoded by zxing-cpp (C++, level M; the same data codewords reportlab's encoder
gives, see docs/qr_format.md) and drawn as vector art: one filled rectangle per horizontal run of
dark modules, written as raw path operators in module units under one scaling transform.
reportlab's QR widget cost ~35 ms per label (a pure-Python encoder run twice per label, trying all
8 masks each time, and one graphics shape per run); this costs a fraction of a millisecond. The
small text beside the QR (subject, class, date) is one Form XObject per class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from ...errors import UserError
from .common import (
    FONT,
    FONT_BOLD,
    PAGE_H,
    PAGE_W,
    WorkHeader,
    document_title,
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

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "LabelLayout",
    "LAYOUTS",
    "DEFAULT_LAYOUT",
    "Label",
    "LabelGeometry",
    "label_geometry",
    "label_origin",
    "write_labels_pdf",
    "QR_LEVEL",
    "qr_matrix",
    "qr_module_count",
]

PAGE_W_MM = 210.0
PAGE_H_MM = 297.0
#: Inner padding of every label, mm.
PAD = 2.0
#: Distance from the sheet edge that printers are assumed to reach, mm.
PAGE_SAFE = 4.5
QR_LEVEL = "M"
QUIET_MODULES = 4
MIN_QR_MM = 18.0
MIN_QR_MM_SMALL = 17.0
CODE_MAX_PT = 28.0
#: Labels wider than this (mm) have room for a larger code and caption.
WIDE_LABEL_MM = 90.0
CODE_MAX_PT_WIDE = 34.0
CODE_MIN_PT = 14.0
SMALL_PT = 7.0
SMALL_PT_WIDE = 8.5
SMALL_PT_LOW = 6.0
SMALL_MIN_PT = 5.0
#: Blank space between the QR quiet zone and the text, mm.
TEXT_GAP = 1.0
MAX_COPIES = 10


@dataclass(frozen=True)
class LabelLayout:
    """One kind of A4 label sheet. All sizes in millimetres; the grid starts at the top left."""

    name: str
    title: str
    cols: int
    rows: int
    label_w_mm: float
    label_h_mm: float
    margin_left_mm: float = 0.0
    margin_top_mm: float = 0.0
    gap_x_mm: float = 0.0
    gap_y_mm: float = 0.0

    @property
    def per_sheet(self) -> int:
        return self.cols * self.rows

    @property
    def width_mm(self) -> float:
        return self.cols * self.label_w_mm + (self.cols - 1) * self.gap_x_mm

    @property
    def height_mm(self) -> float:
        return self.rows * self.label_h_mm + (self.rows - 1) * self.gap_y_mm

    @property
    def margin_right_mm(self) -> float:
        return PAGE_W_MM - self.margin_left_mm - self.width_mm

    @property
    def margin_bottom_mm(self) -> float:
        return PAGE_H_MM - self.margin_top_mm - self.height_mm


LAYOUTS: dict[str, LabelLayout] = {
    layout.name: layout
    for layout in (
        # 3×8 of 70×37 mm: 210 mm wide, 296 mm high, the 1 mm left over split top and bottom.
        LabelLayout("a4-3x8", "A4, 3×8 (70×37 мм), 24 наклейки", 3, 8, 70.0, 37.0,
                    margin_left_mm=0.0, margin_top_mm=0.5),
        # 3×7 of 70×42.3 mm (296.1 mm high, so the margin is 0.45 mm top and bottom).
        LabelLayout("a4-3x7", "A4, 3×7 (70×42,3 мм), 21 наклейка", 3, 7, 70.0, 42.3,
                    margin_left_mm=0.0, margin_top_mm=0.45),
        LabelLayout("a4-2x8", "A4, 2×8 (105×37 мм), 16 наклеек", 2, 8, 105.0, 37.0,
                    margin_left_mm=0.0, margin_top_mm=0.5),
        LabelLayout("a4-4x10", "A4, 4×10 (48,5×25,4 мм), 40 наклеек", 4, 10, 48.5, 25.4,
                    margin_left_mm=8.0, margin_top_mm=21.5),
    )
}
DEFAULT_LAYOUT = "a4-3x8"


@dataclass
class Label:
    code: str
    class_name: str
    payload: str  # encode_label(...)


@dataclass(frozen=True)
class LabelGeometry:
    """Where things go inside one label, in mm from the label's lower-left corner."""

    qr_box: tuple[float, float, float]  # x, y, side of the drawn QR widget (with quiet zone)
    qr_symbol_mm: float  # side of the symbol without the quiet zone
    module_mm: float
    text_x: float
    text_w: float
    pad_left: float
    pad_right: float
    pad_top: float
    pad_bottom: float
    code_pt: float


def get_layout(name: str) -> LabelLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        available = [f"{key} — {layout.title}" for key, layout in LAYOUTS.items()]
        raise UserError(f"Неизвестный формат листа наклеек «{name}». Доступные форматы:",
                        details=available) from None


def qr_matrix(payload: str) -> np.ndarray:
    """The QR symbol of `payload` at level `QR_LEVEL`, without the quiet zone: a square bool array,
    True for a dark module, row 0 at the top."""
    import numpy as np  # start-up: the GUI and CLI import LAYOUTS from here at start-up
    import zxingcpp  # start-up: likewise

    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_LEVEL)
    image = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    n = image.shape[0]
    # A different zxing-cpp API would otherwise print wrong labels silently: fail loudly instead.
    if barcode.ec_level != QR_LEVEL or image.shape != (n, n) or n < 21 or (n - 17) % 4:
        raise RuntimeError(f"zxing-cpp gave an unexpected QR symbol: level {barcode.ec_level!r}, "
                           f"shape {image.shape}")
    return image < 128


def qr_module_count(payload: str) -> int:
    """Modules per side of the QR symbol for `payload` (without the quiet zone)."""
    return len(qr_matrix(payload))


def _qr_path(symbol: np.ndarray) -> str:
    """PDF operators filling the dark modules of `symbol`, in module units with the quiet zone
    included (the symbol's lower-left corner at (QUIET_MODULES, QUIET_MODULES)): one rectangle
    per horizontal run of dark modules, each filled on its own. Renderers (pdfium, poppler, as
    Acrobat) align a path that is a single rectangle to the pixel grid, so the modules stay
    hard-edged at 150 dpi; one path of all the runs would be anti-aliased at every edge."""
    import numpy as np  # start-up: as in qr_matrix

    n = len(symbol)
    padded = np.zeros((n, n + 2), dtype=np.int8)
    padded[:, 1:-1] = symbol
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)  # row-major order: runs pair up with their ends
    ends = np.nonzero(edges == -1)[1]
    flat = np.column_stack((starts + QUIET_MODULES, n - 1 + QUIET_MODULES - rows, ends - starts))
    return ("%d %d %d 1 re f " * len(starts)) % tuple(flat.ravel().tolist())


def _pads(layout: LabelLayout) -> tuple[float, float, float, float]:
    """Left, right, top, bottom padding: at least PAD, and clear of the printer's dead zone."""
    return (
        max(PAD, PAGE_SAFE - layout.margin_left_mm),
        max(PAD, PAGE_SAFE - layout.margin_right_mm),
        max(PAD, PAGE_SAFE - layout.margin_top_mm),
        max(PAD, PAGE_SAFE - layout.margin_bottom_mm),
    )


def label_geometry(layout: LabelLayout, modules: int, code_len: int = 5) -> LabelGeometry:
    """Lay one label out: the biggest QR that leaves room for the code at a readable size."""
    pad_l, pad_r, pad_t, pad_b = _pads(layout)
    w, h = layout.label_w_mm, layout.label_h_mm
    total = modules + 2 * QUIET_MODULES
    code_mm_per_pt = text_width("0" * code_len, 1, bold=True) / mm
    # Symbol side s: the symbol stays inside the paddings and the quiet zone inside the label.
    s_max = min(h - 2 * max(pad_t, pad_b), h * modules / total)

    def text_width_for(s: float) -> float:
        quiet = s * QUIET_MODULES / modules
        x_symbol = max(pad_l, quiet)
        return w - pad_r - (x_symbol + s + quiet + TEXT_GAP)

    def symbol_for_text(code_pt: float) -> float:
        # text_width_for() is decreasing in s; bisect for the largest s leaving room for the code.
        need = code_pt * code_mm_per_pt
        lo, hi = 0.0, s_max
        if text_width_for(hi) >= need:
            return hi
        for _ in range(60):
            mid = (lo + hi) / 2
            if text_width_for(mid) >= need:
                lo = mid
            else:
                hi = mid
        return lo

    min_qr = MIN_QR_MM if h >= 30 else MIN_QR_MM_SMALL
    s = None
    code_pt = CODE_MAX_PT
    while code_pt >= CODE_MIN_PT:
        candidate = symbol_for_text(code_pt)
        if candidate >= min_qr:
            s = candidate
            break
        code_pt -= 1
    if s is None:  # tiny label: the QR wins, the code shrinks
        s = min(s_max, max(min_qr, symbol_for_text(CODE_MIN_PT)))
    module = s / modules
    quiet = module * QUIET_MODULES
    x_symbol = max(pad_l, quiet)
    side = s + 2 * quiet
    y_box = (h - side) / 2
    text_x = x_symbol + s + quiet + TEXT_GAP
    text_w = w - pad_r - text_x
    code_max = CODE_MAX_PT_WIDE if w >= WIDE_LABEL_MM else CODE_MAX_PT
    code_pt = min(code_max, text_w / code_mm_per_pt)
    return LabelGeometry(
        qr_box=(x_symbol - quiet, y_box, side),
        qr_symbol_mm=s,
        module_mm=module,
        text_x=text_x,
        text_w=text_w,
        pad_left=pad_l,
        pad_right=pad_r,
        pad_top=pad_t,
        pad_bottom=pad_b,
        code_pt=code_pt,
    )


def label_origin(layout: LabelLayout, position: int) -> tuple[float, float]:
    """Lower-left corner (mm, PDF coordinates) of the label at `position` (0-based, row-major)."""
    row, col = divmod(position % layout.per_sheet, layout.cols)
    x = layout.margin_left_mm + col * (layout.label_w_mm + layout.gap_x_mm)
    top = layout.margin_top_mm + row * (layout.label_h_mm + layout.gap_y_mm)
    return x, PAGE_H_MM - top - layout.label_h_mm


def _small_lines(header: WorkHeader, label: Label, size: float, width_pt: float) -> list[str]:
    subject = simpleSplit(header.subject, FONT, size, width_pt) or [""]
    if len(subject) > 2:
        subject = [subject[0], ellipsize(" ".join(subject[1:]), FONT, size, width_pt)]
    class_line = f"Класс {label.class_name}" if label.class_name else grade_text(header.grade)
    lines = subject + [class_line, format_date(header.work_date)]
    return [ellipsize(line, FONT, size, width_pt) for line in lines]


@dataclass(frozen=True)
class _TextBlock:
    """The text beside the QR, laid out for one class and one code size."""

    code_pt: float
    small: float
    lines: tuple[str, ...]
    leading: float
    code_h: float
    gap: float
    block: float


def _text_block(layout: LabelLayout, geo: LabelGeometry, header: WorkHeader, label: Label) -> _TextBlock:
    width_pt = geo.text_w * mm
    avail_h = (layout.label_h_mm - geo.pad_top - geo.pad_bottom) * mm
    code_pt = min(geo.code_pt, width_pt / max(text_width(label.code, 1, bold=True), 1e-6))
    if layout.label_w_mm >= WIDE_LABEL_MM:
        small = SMALL_PT_WIDE
    else:
        small = SMALL_PT if layout.label_h_mm >= 30 else SMALL_PT_LOW
    while True:
        lines = _small_lines(header, label, small, width_pt)
        leading = small * 1.18
        code_h = code_pt * 0.73  # cap height of DejaVu digits
        gap = max(1.2 * mm, code_pt * 0.22)
        block = code_h + gap + leading * (len(lines) - 1) + small * 0.76
        if block <= avail_h or (small <= SMALL_MIN_PT and code_pt <= CODE_MIN_PT):
            break
        if small > SMALL_MIN_PT:
            small -= 0.5
        else:
            code_pt -= 1
    return _TextBlock(code_pt, small, tuple(lines), leading, code_h, gap, block)


def _define_caption_form(canv: Canvas, name: str, layout: LabelLayout, geo: LabelGeometry,
                         text: _TextBlock) -> None:
    """The small lines beside the QR (subject, class, date) as a Form XObject `name`, in the
    coordinates of a label whose lower-left corner is at the origin. Every label of a class
    shares it; only the QR and the code are drawn per label."""
    canv.beginForm(name)
    avail_h = (layout.label_h_mm - geo.pad_top - geo.pad_bottom) * mm
    top = geo.pad_bottom * mm + (avail_h - text.block) / 2 + text.block
    tx = geo.text_x * mm
    canv.setFillColor(colors.black)
    canv.setFont(FONT, text.small)
    baseline = top - text.code_h - text.gap - text.small * 0.76
    for line in text.lines:
        canv.drawString(tx, baseline, line)
        baseline -= text.leading
    canv.endForm()


def _draw_label(canv: Canvas, x0: float, y0: float, layout: LabelLayout, geo: LabelGeometry,
                label: Label, modules: int, qr_path: str, text: _TextBlock, caption_form: str) -> None:
    """Draw one label whose lower-left corner is (x0, y0) in mm."""
    qx, qy, side = geo.qr_box
    module = side * mm / (modules + 2 * QUIET_MODULES)
    canv.saveState()
    canv.transform(module, 0, 0, module, (x0 + qx) * mm, (y0 + qy) * mm)
    canv.addLiteral(qr_path)
    canv.restoreState()
    canv.saveState()
    canv.translate(x0 * mm, y0 * mm)
    canv.doForm(caption_form)
    canv.restoreState()

    avail_h = (layout.label_h_mm - geo.pad_top - geo.pad_bottom) * mm
    # Centre the text block vertically within the paddings.
    top = (y0 + geo.pad_bottom) * mm + (avail_h - text.block) / 2 + text.block
    canv.setFont(FONT_BOLD, text.code_pt)
    canv.drawString((x0 + geo.text_x) * mm, top - text.code_h, label.code)


def _outline(canv: Canvas, x0: float, y0: float, layout: LabelLayout) -> None:
    canv.saveState()
    canv.setStrokeColor(colors.Color(0.7, 0.7, 0.7))
    canv.setLineWidth(0.3)
    canv.setDash(2, 2)
    canv.rect(x0 * mm, y0 * mm, layout.label_w_mm * mm, layout.label_h_mm * mm, stroke=1, fill=0)
    canv.restoreState()


def _check_request(sheet: LabelLayout, labels: list[Label], copies: int, skip: int) -> None:
    if not labels:
        raise UserError("Нет наклеек для печати: сначала выдайте участникам коды.")
    if not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
        raise UserError(f"Число копий каждой наклейки должно быть от 1 до {MAX_COPIES}.")
    if not isinstance(skip, int) or not 0 <= skip < sheet.per_sheet:
        raise UserError(
            f"На листе «{sheet.title}» можно пропустить от 0 до {sheet.per_sheet - 1} наклеек."
        )


class _LabelPainter:
    """Draws the labels of one document, reusing what labels share: the QR path of a label's
    copies (they come one after another) and the caption form of a class."""

    def __init__(self, canv: Canvas, sheet: LabelLayout, header: WorkHeader, labels: list[Label]) -> None:
        self.canv, self.sheet, self.header = canv, sheet, header
        self.symbols = {label.payload: qr_matrix(label.payload) for label in labels}
        modules = max(len(symbol) for symbol in self.symbols.values())
        self.geo = label_geometry(sheet, modules, code_len=max(len(label.code) for label in labels))
        self._last_payload: str | None = None
        self._qr_path = ""
        self._text_blocks: dict[tuple[str, float], tuple[_TextBlock, str]] = {}

    def _qr_path_of(self, label: Label) -> str:
        if label.payload != self._last_payload:
            self._last_payload, self._qr_path = label.payload, _qr_path(self.symbols[label.payload])
        return self._qr_path

    def _caption_of(self, label: Label) -> tuple[_TextBlock, str]:
        """The text block and caption form of a label; one per class and code width."""
        key = (label.class_name, text_width(label.code, 1, bold=True))
        if key not in self._text_blocks:
            text = _text_block(self.sheet, self.geo, self.header, label)
            form = f"caption{len(self._text_blocks)}"
            _define_caption_form(self.canv, form, self.sheet, self.geo, text)
            self._text_blocks[key] = text, form
        return self._text_blocks[key]

    def draw(self, position: int, label: Label) -> None:
        x0, y0 = label_origin(self.sheet, position)
        qr_path = self._qr_path_of(label)
        text, form = self._caption_of(label)
        modules = len(self.symbols[label.payload])
        _draw_label(self.canv, x0, y0, self.sheet, self.geo, label, modules, qr_path, text, form)


def write_labels_pdf(
    out: Path,
    header: WorkHeader,
    labels: list[Label],
    layout: str = DEFAULT_LAYOUT,
    copies: int = 1,
    skip: int = 0,
    progress: Callable[[int, int], None] | None = None,
    *,
    outlines: bool = False,
) -> None:
    """Write QR labels to `out` atomically.

    Each label is printed `copies` times in a row; the first `skip` positions of the first sheet
    (already used) stay empty. `outlines=True` draws dashed label borders for a trial print on
    plain paper. `progress(sheets_done, sheets)`.
    """
    register_fonts()
    sheet = get_layout(layout)
    _check_request(sheet, labels, copies, skip)
    per_sheet = sheet.per_sheet
    items = [label for label in labels for _ in range(copies)]
    positions = skip + len(items)
    pages = (positions + per_sheet - 1) // per_sheet
    buffer = new_buffer()
    canv = print_canvas(buffer, document_title("Наклейки ВПР", header), subject=sheet.title)
    painter = _LabelPainter(canv, sheet, header, labels)
    report(progress, 0, pages)
    assert abs(PAGE_W - PAGE_W_MM * mm) < 0.01 and abs(PAGE_H - PAGE_H_MM * mm) < 0.01
    for page in range(pages):
        canv.setFillColor(colors.black)  # the QR paths and the codes use the current colour
        if outlines:
            for p in range(page * per_sheet, (page + 1) * per_sheet):
                _outline(canv, *label_origin(sheet, p), sheet)
        for position in range(max(skip, page * per_sheet), min(positions, (page + 1) * per_sheet)):
            painter.draw(position, items[position - skip])
        canv.showPage()
        report(progress, page + 1, pages)
    canv.save()
    write_pdf(out, buffer.getvalue())
