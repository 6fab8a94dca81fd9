"""Turning an input file into page images, with a Russian reason for every file that can't be used.

Supported: JPEG, PNG, BMP (one page each), TIFF (multi-page), PDF (multi-page, rasterised with
pypdfium2 at `PDF_DPI`). The kind is told by the file's first bytes, not its name.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageSequence, UnidentifiedImageError

PDF_DPI = 200                       # enough for reading the work and its labels; ≈ 1654×2339 px per A4
MAX_PIXELS = 120_000_000            # a 600 dpi A3 page is ≈ 70 Mpx; larger is not a scan
AUDIO_EXTENSIONS = {".mp3", ".wav", ".ogg", ".m4a"}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class RejectedFile(Exception):
    """The file cannot be imported; `str()` is the Russian reason."""


@dataclass
class DecodedPage:
    image: Image.Image
    encoded: bytes | None      # bytes to store for this page; None = the original file is the page
    ext: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith(b"%PDF"):
        return "pdf"
    return None


def reject_reason_for_unknown(name: str, head: bytes) -> str:
    lower = name.lower()
    if any(lower.endswith(ext) for ext in AUDIO_EXTENSIONS):
        return "это аудиофайл: прикрепите его к участнику кнопкой «Аудио…» или командой attach-audio"
    if not head:
        return "пустой файл"
    if lower.endswith((".heic", ".heif")):
        return "формат HEIC не поддерживается: сохраните снимок как JPEG"
    return "формат не поддерживается: нужны JPEG, PNG, TIFF, BMP или PDF"


def _encode_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def _encode_jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)  # keeps the mode: "L" stays greyscale
    return buf.getvalue()


def _page_bytes(image: Image.Image) -> tuple[bytes, str]:
    """Rendered pages: lossless PNG for black-and-white (small and exact), JPEG q90 otherwise
    (a 200 dpi greyscale A4 page is ≈ 0.3 MB as JPEG and several MB as PNG)."""
    if image.mode == "1":
        return _encode_png(image), "png"
    if image.mode in ("L", "P", "LA", "I;16", "I", "I;16B"):
        image = image.convert("L")
        return _encode_jpeg(image), "jpg"
    return _encode_jpeg(image.convert("RGB")), "jpg"


Source = bytes | str


def _open_image(data: Source, load: bool = True) -> Image.Image:
    """`data` is the file's bytes or its path (a path lets a multi-page TIFF be read lazily)."""
    try:
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        if load:
            image.load()
    except Image.DecompressionBombError as err:
        raise RejectedFile("изображение слишком большое для скана страницы") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise RejectedFile("файл повреждён: не удалось прочитать изображение") from err
    return image


def page_count(kind: str, data: Source) -> int:
    """Number of pages, cheaply (no rendering); raises RejectedFile for a broken file."""
    if kind in ("jpeg", "png", "bmp"):
        return 1
    if kind == "tiff":
        image = _open_image(data, load=False)
        return getattr(image, "n_frames", 1)
    if kind == "pdf":
        pdf = _open_pdf(data)
        try:
            count = len(pdf)
        finally:
            pdf.close()
        if count == 0:
            raise RejectedFile("в PDF нет ни одной страницы")
        return count
    raise RejectedFile("формат не поддерживается: нужны JPEG, PNG, TIFF, BMP или PDF")


def iter_pages(kind: str, data: Source, first: int = 1, last: int | None = None) -> Iterator[tuple[int, DecodedPage]]:
    """(1-based page number, page) for pages `first`..`last` (inclusive; None = to the end).
    `data` is the bytes or the path of the file; with a path, PDF and TIFF pages are read lazily."""
    if kind in ("jpeg", "png", "bmp"):
        image = _open_image(data)
        yield 1, DecodedPage(image, None, {"jpeg": "jpg"}.get(kind, kind))
        return
    if kind == "tiff":
        image = _open_image(data, load=False)
        total = getattr(image, "n_frames", 1)
        for number in range(first, min(last or total, total) + 1):
            try:
                image.seek(number - 1)
                frame = image.copy()
            except (OSError, ValueError, EOFError) as err:
                raise RejectedFile(f"файл TIFF повреждён: не удалось прочитать страницу {number}") from err
            encoded, ext = _page_bytes(frame)
            yield number, DecodedPage(frame, encoded, ext)
        return
    if kind == "pdf":
        yield from _pdf_pages(data, first, last)
        return
    raise RejectedFile("формат не поддерживается: нужны JPEG, PNG, TIFF, BMP или PDF")


def _open_pdf(data: Source):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise RejectedFile("PDF защищён паролем: сохраните его без пароля") from err
        raise RejectedFile("файл PDF повреждён: не удалось открыть") from err


def _pdf_pages(data: Source, first: int, last: int | None) -> Iterator[tuple[int, DecodedPage]]:
    import pypdfium2 as pdfium

    pdf = _open_pdf(data)
    try:
        total = len(pdf)
        for number in range(first, min(last or total, total) + 1):
            page = pdf[number - 1]
            try:
                scanned = _scanner_jpeg(page)
                if scanned is not None:
                    yield number, scanned
                    continue
                image = page.render(scale=PDF_DPI / 72).to_pil()
            except pdfium.PdfiumError as err:
                raise RejectedFile(f"страница {number} PDF повреждена") from err
            finally:
                page.close()
            if _is_grey(image):
                image = image.convert("L")
            encoded, ext = _page_bytes(image)
            yield number, DecodedPage(image, encoded, ext)
    finally:
        pdf.close()


def _scanner_jpeg(page) -> DecodedPage | None:
    """The page's JPEG, byte for byte, when the page is what scanners write: one upright JPEG
    covering the whole page and nothing else. Keeps the scanner's own pixels and saves
    rendering and re-encoding; any other page is rendered."""
    import pypdfium2.raw as pdfium_c

    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    obj = objects[0]
    if obj.get_filters() != ["DCTDecode"]:
        return None
    matrix = obj.get_matrix()
    if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or matrix.d <= 0:
        return None
    width, height = page.get_size()
    left, bottom, right, top = obj.get_bounds()
    tolerance = 0.02 * max(width, height)
    if abs(left) > tolerance or abs(bottom) > tolerance or abs(right - width) > tolerance or abs(top - height) > tolerance:
        return None
    encoded = bytes(obj.get_data(decode_simple=False))
    try:
        image = Image.open(io.BytesIO(encoded))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    if image.mode not in ("L", "RGB") or image.getexif().get(0x0112, 1) != 1:
        return None
    return DecodedPage(image, encoded, "jpg")


def _is_grey(image: Image.Image) -> bool:
    """True when an RGB render has no colour (a greyscale scan inside a PDF): stored as PNG."""
    if image.mode == "L":
        return True
    from PIL import ImageChops

    # A 4× box reduction keeps thin coloured pen strokes visible and costs ~2 ms (a bicubic
    # resize of the full page cost ~18 ms).
    red, green, blue = image.convert("RGB").reduce(4).split()
    return (ImageChops.difference(red, green).getextrema()[1] < 8
            and ImageChops.difference(green, blue).getextrema()[1] < 8)
