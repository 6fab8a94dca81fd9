"""Turning an input file into page images, with a Russian reason for every file that can't be used.

Supported: JPEG, PNG, BMP (one page each), TIFF (multi-page), PDF (multi-page, rasterised with
pypdfium2 at `PDF_DPI`). The kind is told by the file's first bytes, not its name.

Memory is bounded whatever the file says: an image's (every TIFF frame's) size is read from its
header and checked against `MAX_PIXELS` before a pixel is decoded, and a PDF page is rendered to
at most `PDF_MAX_PIXELS` (a page larger than A3 is stored downscaled with a warning; one beyond
`PDF_REFUSE_AREA` is refused).
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

PDF_DPI = 200                       # enough for reading the work and its labels; ≈ 1654×2339 px per A4
MAX_PIXELS = 120_000_000            # a 600 dpi A3 page is ≈ 70 Mpx; larger is not a scan
#: What one decoded page may take in memory. Pillow keeps greyscale and 1-bit pages in a byte
#: per pixel and colour in four, so colour is limited to 75 Mpx (a 600 dpi A3 colour scan is 70):
#: a worker then peaks at ≈ 0.4 GB on the largest page it accepts.
MAX_DECODED_BYTES = 300_000_000
#: A TIFF with a page over this is processed as one task (one worker), not in chunks of pages
#: spread over both workers, so that one file never holds two such pages in memory at once.
LARGE_PAGE_PIXELS = 40_000_000
AUDIO_EXTENSIONS = {".mp3", ".wav", ".ogg", ".m4a"}
A3_PT = (842.0, 1191.0)             # ISO A3 in PostScript points
#: A PDF page is rendered to at most this many pixels: A3 at `PDF_DPI` with a margin (≈ 8.5 Mpx,
#: 25 MB as RGB). A larger page is rendered at a lower resolution and reported.
PDF_MAX_PIXELS = int(A3_PT[0] * A3_PT[1] * (PDF_DPI / 72) ** 2 * 1.1)
#: A PDF page of more than this area (pt²), four times A3 (A1), would be rendered below 100 dpi:
#: not a page of a work, refused.
PDF_REFUSE_AREA = 4 * A3_PT[0] * A3_PT[1]

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@contextlib.contextmanager
def _bomb_is_error() -> Iterator[None]:
    """Pillow only warns between MAX_IMAGE_PIXELS and twice that: here its warning is an error
    (caught as "too big"), so no image past the limit is decoded. Local, since a module-level
    filter is lost whenever somebody restores the filters (pytest does, after every test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


class RejectedFile(Exception):
    """The file cannot be imported; `str()` is the Russian reason."""


@dataclass
class DecodedPage:
    image: Image.Image
    encoded: bytes | None      # bytes to store for this page; None = the original file is the page
    ext: str
    warning: str | None = None  # stored, but the coordinator should know (e.g. downscaled)


def _too_big(width: int | None = None, height: int | None = None, page: int | None = None,
             limit: int = MAX_PIXELS) -> str:
    where = f"страница {page}: " if page else ""
    size = f"{width}×{height} точек, " if width and height else ""
    return f"{where}изображение слишком большое для скана страницы ({size}больше {limit // 1_000_000} млн точек)"


def _bytes_per_pixel(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4                       # RGB is kept as RGBX; RGBA, CMYK, I, F


def check_size(width: int, height: int, page: int | None = None, mode: str = "RGB") -> None:
    """Refuse an image whose header declares more than MAX_PIXELS, or more than
    MAX_DECODED_BYTES once decoded in its mode, before it is decoded."""
    if width <= 0 or height <= 0:
        raise RejectedFile(f"{f'страница {page}: ' if page else ''}файл повреждён: размер изображения {width}×{height}")
    limit = min(MAX_PIXELS, MAX_DECODED_BYTES // _bytes_per_pixel(mode))
    if width * height > limit:
        raise RejectedFile(_too_big(width, height, page, limit))


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


_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)
_BROKEN = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error)


def _open_image(data: Source, load: bool = True) -> Image.Image:
    """`data` is the file's bytes or its path (a path lets a multi-page TIFF be read lazily).
    The size in the header is checked before anything is decoded."""
    try:
        with _bomb_is_error():
            image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
            check_size(*image.size, mode=image.mode)
            if load:
                image.load()
    except _BOMB as err:
        raise RejectedFile(_too_big()) from err
    except MemoryError as err:
        raise RejectedFile("изображение слишком большое для скана страницы: не хватило памяти") from err
    except _BROKEN as err:
        raise RejectedFile("файл повреждён: не удалось прочитать изображение") from err
    return image


def _seek_frame(image: Image.Image, number: int) -> None:
    """Go to TIFF page `number` (1-based) and check its declared size (each frame has its own)."""
    try:
        with _bomb_is_error():
            image.seek(number - 1)
    except _BOMB as err:
        raise RejectedFile(_too_big(page=number)) from err
    except _BROKEN as err:
        raise RejectedFile(f"файл TIFF повреждён: не удалось прочитать страницу {number}") from err
    check_size(*image.size, page=number, mode=image.mode)


def page_count(kind: str, data: Source) -> int:
    """Number of pages, cheaply (headers only, no decoding, no rendering); raises RejectedFile
    for a broken file or a page too large to be a scan."""
    return page_info(kind, data)[0]


def page_info(kind: str, data: Source) -> tuple[int, int]:
    """(number of pages, pixels of the largest page) from the headers, as `page_count`."""
    if kind in ("jpeg", "png", "bmp"):
        with contextlib.closing(_open_image(data, load=False)) as image:
            return 1, image.width * image.height
    if kind == "tiff":
        with contextlib.closing(_open_image(data, load=False)) as image:
            largest = image.width * image.height
            try:
                total = getattr(image, "n_frames", 1)
            except _BROKEN as err:
                raise RejectedFile("файл TIFF повреждён: не удалось прочитать список страниц") from err
            for number in range(2, total + 1):
                _seek_frame(image, number)
                largest = max(largest, image.width * image.height)
        return total, largest
    if kind == "pdf":
        pdf = _open_pdf(data)
        try:
            count = len(pdf)
            for index in range(count):
                _pdf_page_scale(pdf.get_page_size(index), index + 1)
        finally:
            pdf.close()
        if count == 0:
            raise RejectedFile("в PDF нет ни одной страницы")
        return count, PDF_MAX_PIXELS
    raise RejectedFile("формат не поддерживается: нужны JPEG, PNG, TIFF, BMP или PDF")


def _mm(points: float) -> int:
    return round(points / 72 * 25.4)


def _pdf_page_scale(size: tuple[float, float], number: int) -> tuple[float, str | None]:
    """(render scale, warning) for a PDF page of `size` points: `PDF_DPI`, or less for a page
    larger than A3 so that it fits `PDF_MAX_PIXELS`; RejectedFile for a page beyond A1."""
    width, height = size
    if not (width > 0 and height > 0 and math.isfinite(width * height)):
        raise RejectedFile(f"страница {number} PDF повреждена: размер {width}×{height}")
    scale = PDF_DPI / 72
    if width * height * scale * scale <= PDF_MAX_PIXELS:
        return scale, None
    if width * height > PDF_REFUSE_AREA:
        raise RejectedFile(f"страница {number} PDF размером {_mm(width)}×{_mm(height)} мм намного больше "
                           "формата A3: это не скан работы")
    scale = math.sqrt(PDF_MAX_PIXELS / (width * height)) * 0.995     # pdfium rounds the size up
    return scale, (f"страница {number} размером {_mm(width)}×{_mm(height)} мм больше формата A3: "
                   f"сохранена уменьшенной ({scale * 72:.0f} точек на дюйм вместо {PDF_DPI})")


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
            _seek_frame(image, number)
            try:
                with _bomb_is_error():
                    frame = image.copy()
            except _BOMB as err:
                raise RejectedFile(_too_big(page=number)) from err
            except _BROKEN as err:
                raise RejectedFile(f"файл TIFF повреждён: не удалось прочитать страницу {number}") from err
            encoded, ext = _page_bytes(frame)
            yield number, DecodedPage(frame, encoded, ext)
        return
    if kind == "pdf":
        yield from _pdf_pages(data, first, last)
        return
    raise RejectedFile("формат не поддерживается: нужны JPEG, PNG, TIFF, BMP или PDF")


def _open_pdf(data: Source):
    import pypdfium2 as pdfium  # start-up: PDFium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise RejectedFile("PDF защищён паролем: сохраните его без пароля") from err
        raise RejectedFile("файл PDF повреждён: не удалось открыть") from err


def _pdf_pages(data: Source, first: int, last: int | None) -> Iterator[tuple[int, DecodedPage]]:
    import pypdfium2 as pdfium  # start-up: PDFium

    pdf = _open_pdf(data)
    try:
        total = len(pdf)
        for number in range(first, min(last or total, total) + 1):
            page = pdf[number - 1]
            try:
                scale, warning = _pdf_page_scale(page.get_size(), number)
                scanned = _scanner_jpeg(page) if warning is None else None
                if scanned is not None:
                    yield number, scanned
                    continue
                image = page.render(scale=scale).to_pil()
            except pdfium.PdfiumError as err:
                raise RejectedFile(f"страница {number} PDF повреждена") from err
            finally:
                page.close()
            if _is_grey(image):
                image = image.convert("L")
            encoded, ext = _page_bytes(image)
            yield number, DecodedPage(image, encoded, ext, warning)
    finally:
        pdf.close()


def _sole_page_jpeg(page):  # type: ignore[no-untyped-def]
    """The page's only object when it is an upright JPEG image covering the whole page, else None."""
    import pypdfium2.raw as pdfium_c  # start-up: pdfium is loaded only for a PDF

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
    edges = (left, bottom, right - width, top - height)
    return obj if all(abs(edge) <= tolerance for edge in edges) else None


def _scanner_jpeg(page) -> DecodedPage | None:
    """The page's JPEG, byte for byte, when the page is what scanners write: one upright JPEG
    covering the whole page and nothing else. Keeps the scanner's own pixels and saves
    rendering and re-encoding; any other page is rendered."""
    obj = _sole_page_jpeg(page)
    if obj is None:
        return None
    encoded = bytes(obj.get_data(decode_simple=False))
    try:
        with _bomb_is_error():
            image = Image.open(io.BytesIO(encoded))
            if image.width * image.height > PDF_MAX_PIXELS:
                return None            # rendered instead, to the pixel budget
            image.load()
    except (*_BOMB, *_BROKEN):
        return None
    if image.mode not in ("L", "RGB") or image.getexif().get(0x0112, 1) != 1:
        return None
    return DecodedPage(image, encoded, "jpg")


def _is_grey(image: Image.Image) -> bool:
    """True when an RGB render has no colour (a greyscale scan inside a PDF): stored as PNG."""
    if image.mode == "L":
        return True
    from PIL import ImageChops  # start-up: Pillow

    # A 4× box reduction keeps thin coloured pen strokes visible and costs ~2 ms (a bicubic
    # resize of the full page cost ~18 ms).
    red, green, blue = image.convert("RGB").reduce(4).split()
    return (ImageChops.difference(red, green).getextrema()[1] < 8
            and ImageChops.difference(green, blue).getextrema()[1] < 8)
