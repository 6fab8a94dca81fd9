"""Reading back the PDFs we generate: render pages, extract text and character boxes, decode QRs."""

from __future__ import annotations

import datetime
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

MM = 72 / 25.4  # points per millimetre


def sample_header():
    """The work heading the PDF tests print: a long school name, a municipality, Cyrillic throughout."""
    from coordinator_app.formats.pdf.common import WorkHeader

    return WorkHeader(
        school="МБОУ «Средняя общеобразовательная школа № 17»",
        login="sch123456",
        municipality="городской округ Тольятти",
        academic_year="2024/2025",
        subject="Математика",
        grade=5,
        work_date=datetime.date(2025, 4, 15),
        title="ВПР по математике",
    )


def page_count(path: Path) -> int:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_page(path: Path, index: int = 0, dpi: int = 150) -> Image.Image:
    """Page `index` as an RGB PIL image at `dpi`."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[index]
        image = page.render(scale=dpi / 72).to_pil().convert("RGB")
        page.close()
        return image
    finally:
        pdf.close()


def page_texts(path: Path) -> list[str]:
    """The text of every page."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return texts
    finally:
        pdf.close()


def char_boxes(path: Path, index: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(character, (left, bottom, right, top) in points) for every visible character of a page."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[index]
        textpage = page.get_textpage()
        result = []
        for i in range(textpage.count_chars()):
            char = textpage.get_text_range(i, 1)
            if not char.strip():
                continue
            result.append((char, textpage.get_charbox(i)))
        textpage.close()
        page.close()
        return result
    finally:
        pdf.close()


def decode_qrs(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Every QR code zxing-cpp finds in `image`."""
    return list(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))


def to_black_and_white(image: Image.Image, dither: bool = True) -> Image.Image:
    """What a 1-bit scanner produces: PIL `convert("1")` (Floyd-Steinberg by default, or a plain
    threshold), handed back in L mode for the reader."""
    if dither:
        return image.convert("1").convert("L")
    return image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1").convert("L")
