"""Finding the label QR codes on a scanned page (zxing-cpp).

`find_labels(image)` returns every QR code found on the page, whatever its text (checking the
payload with `coordinator_app.qr_payload.decode_label` is the caller's job), de-duplicated by
text, in the order found. `page_rotation(hits)` is the orientation of the page its labels imply.

Strategy. The page is turned into 8-bit greyscale; pages finer than `WORK_MAX_DPI` (the
resolution is estimated as if the sheet were A4) are first box-reduced by an integer factor
(300 dpi -> 150, 400 -> 200, 600 -> 200): the smallest label's modules stay 4 pixels or wider
and the decoder runs several times faster. The chain of decoder passes, which stops at the
first pass that finds a label of ours (text starting with ``VPR``; other QR codes found on the
way are returned too, but do not stop the search), is:

1. the fast pass: LocalAverage binarizer with zxing-cpp's own internal downscaling (its
   averaging also defeats moderate salt-and-pepper noise), inverted symbols not tried;
2. the fallbacks:
   a. a separable 3x3 median of the image (specks, dust, noisy 1-bit scans, JPEG mosquito
      noise) - first, since in the stress runs it rescued every label the fast pass missed;
   b. the GlobalHistogram binarizer (another threshold: low contrast, uneven paper);
   c. the image box-averaged by 2 or more, down to about `REDUCED_DPI` or less, with both
      binarizers (averages 1-bit grain and heavy noise away).

Where it runs. A locator first marks the regions that may hold a symbol (`_candidate_boxes`:
2 mm cells; a 6 mm square at least half as dark as the page's ink; printed text and
handwriting stay below a third, labels measure about a half), and the whole chain runs on a
crop around each of them (with zxing-cpp's 1/3 downscale added, which a crop is too small to
get): a labelled page costs the locator and a few runs on small crops. If no label was found
there, the fast pass runs on the whole page: the safety net for a label the locator missed
(a faint print on a page with black ink). The fallbacks run on the whole page only when a QR
code was read but no label of ours; a page with no symbol pays one whole-page pass and no
fallback. Images under `LOCATE_MIN_PIXELS` skip the locator and get the whole chain on the
whole image, as do pages whose marked regions would cover most of the page. Tried and
dropped, since they never rescued a page the median had not and cost 25-100 ms on every page
without a label: a 1.5x upscale of 150 dpi pages, and a pass at full resolution for reduced
pages.

Cost, one core of a loaded 2-CPU test machine (bench/qr_identification.py measures it): a
200 dpi A4 page WITH a label ~3-5 ms beyond the locator's reduction (its crops only),
WITHOUT one ~10-12 ms (one whole-page pass); before the locator, a page without a label ran
every pass on the whole page (~40 ms). Heavy noise costs more, since every run chases false
finder patterns. Inputs over `MAX_PIXELS` are reduced before anything else (a 140 Mpx image:
~0.25 s, nearly all of it the reduction). The whole page is copied into an array only for the
whole-page passes. On Linux, a process that frees page-sized buffers gives them back to the
OS and faults them in again for the next page (~10 ms of system time per A4 page here); the
import's worker processes keep them (`worker.init_process`).

Rotation convention: `QrHit.rotation` is how far the PAGE image has to be turned CLOCKWISE
(0/90/180/270) to make the label upright; with PIL that is ``image.rotate(-rotation,
expand=True)``. It comes from the direction of the symbol's top edge (zxing-cpp's corner
positions), snapped to the nearest quarter turn, so a few degrees of skew do not matter.
EXIF orientation is not applied here: the caller passes the image as it wants it displayed.

Nothing here raises on odd input: a tiny, blank, truncated or unconvertible image gives [].
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..qr_payload import MAGIC as LABEL_MAGIC

__all__ = ["QrHit", "find_labels", "page_rotation"]

#: Larger inputs are box-reduced by an integer factor before anything else (a 600 dpi A3 page
#: is 70 Mpx: decoding that at full resolution is pointless and slow).
MAX_PIXELS = 40_000_000
#: Nothing can be read from a smaller image.
MIN_SIDE = 21
#: Long side of an A4 sheet, inches: the scan resolution is guessed from the image size.
A4_LONG_IN = 297 / 25.4
#: Pages finer than this are box-reduced before the fast pass.
WORK_MAX_DPI = 250
#: Target resolution of the box-reduced fallback (c).
REDUCED_DPI = 150

#: Images with fewer working pixels run every pass on the whole image (each pass is cheap).
LOCATE_MIN_PIXELS = 1_000_000
#: The locator's cell, mm, and the darkness (0 paper .. 1 ink) of a 3x3-cell block that marks
#: a region as a possible symbol (labels measure 0.48 and more, text at most ~0.3).
CELL_MM = 2.0
SYMBOL_DARKNESS = 0.36
#: Room around a marked region for the rest of the symbol and its quiet zone, mm.
BOX_MARGIN_MM = 10.0
#: Regions covering more than this share of the page: search the whole page instead.
MAX_BOXES_SHARE = 0.5

#: zxing-cpp's `try_downscale` adds a 1/3 copy of images whose longer side exceeds this.
ZXING_DOWNSCALE_THRESHOLD = 500

_FAST = "LocalAverage"
_OTHER = "GlobalHistogram"


@dataclass(frozen=True)
class QrHit:
    text: str  # raw QR text
    rotation: int  # 0/90/180/270: rotate the PAGE clockwise by this to make the label upright
    center: tuple[float, float]  # label (QR symbol) centre in the given image's pixel coordinates


def find_labels(image: Image.Image, *, quarter: Image.Image | None = None) -> list[QrHit]:
    """Every QR code on the page, de-duplicated by text, in the order found. Never raises.
    `quarter`: ``image.reduce(4)`` if the caller already made it (for a thumbnail)."""
    found: dict[str, QrHit] = {}
    try:
        page, scale = _to_grey(image)
        if page is None:
            return []
        work_image, work_factor, dpi = _working(page)
        ink, paper = work_image.getextrema()
        if ink == paper:
            return []  # blank: nothing to find
        to_image = scale / work_factor  # work pixels per input-image pixel
        width, height = work_image.size
        if work_image is not image:
            quarter = None  # reduced or converted: the caller's quarter is of another image
        boxes = (_candidate_boxes(work_image, dpi, ink, quarter) if width * height >= LOCATE_MIN_PIXELS
                 else None)
        if boxes is None:
            # A small image (every pass is cheap) or one with too many symbol-like regions to
            # be worth cutting up: the whole chain on the whole page.
            work = np.asarray(work_image)
            _search(found, work, to_image, (0, 0), _passes(work, dpi))
            return list(found.values())
        # 1. Every symbol-like region, each with the whole chain of passes on its own crop.
        for top, left, bottom, right in boxes:
            crop = np.asarray(work_image.crop((left, top, right, bottom)))
            _search(found, crop, to_image, (left, top), _passes(crop, dpi, crop=True))
        if _has_label(found):
            return list(found.values())
        # 2. The fast pass on the whole page: the safety net for a label the locator missed.
        # Only here is the whole page copied into an array.
        work = np.asarray(work_image)
        passes = _passes(work, dpi)
        _search(found, work, to_image, (0, 0), itertools.islice(passes, 1))
        # 3. The fallbacks on the whole page only where a symbol was seen (some other QR code
        # was read but no label of ours): a page with nothing on it does not pay for them.
        if found and not _has_label(found):
            _search(found, work, to_image, (0, 0), passes)
    except Exception:  # noqa: BLE001 - a broken page must not stop an import: it has no label
        return list(found.values())
    return list(found.values())


def _has_label(found: dict[str, QrHit]) -> bool:
    return any(text.startswith(LABEL_MAGIC) for text in found)


def _search(found: dict[str, QrHit], array: np.ndarray, to_image: float,
            origin: tuple[int, int], passes: Iterator[tuple[np.ndarray, float, str]]) -> None:
    """Run `passes` over `array` (a part of the working image whose top left corner is at
    `origin`), adding what they read to `found`; stop at the first pass that finds a label of
    ours. Some other QR code (a publisher's, a URL) does not stop the search."""
    shift_x, shift_y = origin[0] / to_image, origin[1] / to_image
    for pass_array, factor, binarizer in passes:
        hits = _read(pass_array, binarizer, to_image * factor)
        for hit in hits:
            if origin != (0, 0):
                hit = QrHit(hit.text, hit.rotation, (hit.center[0] + shift_x, hit.center[1] + shift_y))
            found.setdefault(hit.text, hit)
        if any(hit.text.startswith(LABEL_MAGIC) for hit in hits):
            break


def page_rotation(hits: list[QrHit]) -> int | None:
    """The clockwise rotation that makes the page upright, as its labels say (None if no hit).

    Our labels (text starting with ``VPR``) vote if there are any, otherwise every QR code on
    the page does; the most common rotation wins, a tie goes to the one found first.
    """
    if not hits:
        return None
    ours = [hit for hit in hits if hit.text.startswith(LABEL_MAGIC)]
    hits = ours or hits
    counts = Counter(hit.rotation for hit in hits)
    best = max(counts.values())
    return next(hit.rotation for hit in hits if counts[hit.rotation] == best)


# ---------------------------------------------------------------------------------------------


def _working(page: Image.Image) -> tuple[Image.Image, int, float]:
    """The working image (`page` box-reduced when finer than `WORK_MAX_DPI`), the reduction
    factor and the working image's resolution (guessed as if the sheet were A4)."""
    width, height = page.size
    dpi = max(width, height) / A4_LONG_IN
    work_factor = math.ceil(dpi / WORK_MAX_DPI) if dpi > WORK_MAX_DPI else 1
    if min(width, height) // work_factor < MIN_SIDE:
        work_factor = 1
    work_image = page.reduce(work_factor) if work_factor > 1 else page
    return work_image, work_factor, dpi / work_factor


def _passes(work: np.ndarray, dpi: float, crop: bool = False) -> Iterator[tuple[np.ndarray, float, str]]:
    """(greyscale array, its scale relative to `work`, binarizer): the fast pass, then the
    fallbacks. A generator, so a page pays only for the passes it needs. `dpi` is the
    working resolution (of the whole page, also when `work` is a `crop` of it)."""
    if min(work.shape) < MIN_SIDE:
        return
    # 1. The fast pass.
    yield work, 1.0, _FAST
    if crop and max(work.shape) <= ZXING_DOWNSCALE_THRESHOLD and min(work.shape) // 3 >= MIN_SIDE:
        # On a whole page zxing-cpp also reads a 1/3 box-reduced copy of the image (its
        # `try_downscale`), which averages noise away; a crop is too small for it to do so.
        yield np.asarray(Image.fromarray(work).reduce(3)), 1.0 / 3, _FAST
    # 2a. Specks removed.
    yield _median3(work), 1.0, _FAST
    # 2b. Another threshold.
    yield work, 1.0, _OTHER
    # 2c. Box-averaged down to 1/2 or less.
    factor = max(2, round(dpi / REDUCED_DPI))
    if min(work.shape) // factor >= MIN_SIDE:
        reduced = np.asarray(Image.fromarray(work).reduce(factor))
        yield reduced, 1.0 / factor, _FAST
        yield reduced, 1.0 / factor, _OTHER
        del reduced


def _candidate_boxes(work: Image.Image, dpi: float, ink: int,
                     quarter: Image.Image | None = None) -> list[tuple[int, int, int, int]] | None:
    """Regions of the working image that may hold a QR symbol, as (top, left, bottom, right)
    boxes with room for the quiet zone around it; None when they would cover so much of the
    page that cutting it up saves nothing.

    A label's symbol is at least 17 mm wide and about half its modules are dark, so averaged
    over a 6 mm square anywhere inside it, the page is about half as dark as its ink (0.48 and
    more on the degraded test set, whatever the rotation, skew, noise, JPEG quality or
    binarisation), while printed text and handwriting stay below ~0.3: lines of text have
    white between them. The page is box-reduced to 2 mm cells (about 0.2 ms), and every 3x3
    block of cells darker than `SYMBOL_DARKNESS` marks a region."""
    cell = max(2, round(dpi * CELL_MM / 25.4))
    if cell >= 8:  # two integer steps are several times cheaper than one large one
        cell = 4 * round(cell / 4)
        cells = (quarter if quarter is not None else work.reduce(4)).reduce(cell // 4)
    else:
        cells = work.reduce(cell)
    means = np.asarray(cells, dtype=np.float32)
    rows, cols = means.shape
    if rows < 3 or cols < 3:
        return None
    paper = float(np.percentile(means, 90))
    darkness = (paper - means) / max(paper - ink, 1.0)
    block = sum(darkness[i:rows - 2 + i, j:cols - 2 + j] for i in range(3) for j in range(3)) / 9
    marked = block >= SYMBOL_DARKNESS
    if not marked.any():
        return []
    boxes = []
    width, height = work.size
    # Marked blocks grouped in squares of 4x4 (8 mm), so that grouping them costs little.
    rows, cols = marked.shape
    group = np.zeros((-(-rows // 4) * 4, -(-cols // 4) * 4), dtype=bool)
    group[:rows, :cols] = marked
    group = group.reshape(group.shape[0] // 4, 4, group.shape[1] // 4, 4).any(axis=(1, 3))
    for top, left, bottom, right in _components(group):
        # Group (i, j) holds blocks 4i..4i+3, 4j..4j+3; block (k, l) covers cells k..k+2,
        # l..l+2. Add the margin, then go to pixels.
        top, left, bottom, right = 4 * top, 4 * left, 4 * bottom + 3 + 3, 4 * right + 3 + 3
        margin = math.ceil(BOX_MARGIN_MM * dpi / 25.4 / cell + max(bottom - top, right - left) / 4)
        boxes.append((max(0, (top - margin) * cell), max(0, (left - margin) * cell),
                      min(height, (bottom + margin) * cell), min(width, (right + margin) * cell)))
    if sum((b - t) * (r - l) for t, l, b, r in boxes) > MAX_BOXES_SHARE * width * height:
        return None
    return boxes


def _components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (top, left, bottom, right; inclusive) of the 8-connected groups of
    True in a small boolean array, largest first."""
    todo = {(int(r), int(c)) for r, c in zip(*np.nonzero(mask))}
    boxes = []
    while todo:
        stack = [todo.pop()]
        top, left = bottom, right = stack[0]
        count = 0
        while stack:
            r, c = stack.pop()
            count += 1
            top, bottom, left, right = min(top, r), max(bottom, r), min(left, c), max(right, c)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    near = (r + dr, c + dc)
                    if near in todo:
                        todo.remove(near)
                        stack.append(near)
        boxes.append((count, (top, left, bottom, right)))
    return [box for _, box in sorted(boxes, key=lambda item: -item[0])]


def _median3(grey: np.ndarray) -> np.ndarray:
    """Separable 3x3 median (median of 3 along rows, then along columns; the one-pixel border is
    kept as it is): removes isolated specks while keeping edges. Written with `out=` buffers
    (3 allocations) since at this size allocation costs as much as the arithmetic."""
    height, width = grey.shape
    if height < 3 or width < 3:
        return grey.copy()
    out = np.empty_like(grey)
    out[0], out[-1] = grey[0], grey[-1]
    out[:, 0], out[:, -1] = grey[:, 0], grey[:, -1]
    rows = np.empty((height, width - 2), dtype=grey.dtype)
    scratch = np.empty_like(rows)
    a, b, c = grey[:, :-2], grey[:, 1:-1], grey[:, 2:]
    np.minimum(a, b, out=rows)
    np.maximum(a, b, out=scratch)
    np.minimum(scratch, c, out=scratch)
    np.maximum(rows, scratch, out=rows)  # median of each horizontal triple
    a, b, c = rows[:-2], rows[1:-1], rows[2:]
    low, high = scratch[:-2], out[1:-1, 1:-1]
    np.minimum(a, b, out=low)
    np.maximum(a, b, out=high)
    np.minimum(high, c, out=high)
    np.maximum(low, high, out=high)
    return out


def _read(array: np.ndarray, binarizer: str, scale: float) -> list[QrHit]:
    """Decode `array`; positions are divided by `scale` to get back to the input image."""
    import zxingcpp  # start-up: the QR reader

    try:
        barcodes = zxingcpp.read_barcodes(
            np.ascontiguousarray(array),
            formats=zxingcpp.BarcodeFormat.QRCode,
            try_rotate=True,
            try_downscale=True,
            try_invert=False,
            binarizer=getattr(zxingcpp.Binarizer, binarizer),
        )
    except Exception:  # noqa: BLE001 - a decoder failure on one pass: try the next one
        return []
    hits: dict[str, QrHit] = {}
    for barcode in barcodes:
        text = barcode.text
        if not text or text in hits:
            continue
        position = barcode.position
        corners = (position.top_left, position.top_right, position.bottom_right,
                   position.bottom_left)
        cx = sum(p.x for p in corners) / 4 / scale
        cy = sum(p.y for p in corners) / 4 / scale
        dx = position.top_right.x - position.top_left.x
        dy = position.top_right.y - position.top_left.y
        if dx == 0 and dy == 0:
            angle = float(getattr(barcode, "orientation", 0) or 0)
        else:
            # Image coordinates, y down: a positive angle is the symbol turned clockwise
            # (zxing-cpp's `orientation` has the same sign: 90 for a symbol lying on its left
            # side, which the page needs turned by 270 clockwise to stand upright).
            angle = math.degrees(math.atan2(dy, dx))
        rotation = (-round(angle / 90) * 90) % 360
        hits[text] = QrHit(text=text, rotation=rotation, center=(cx, cy))
    return list(hits.values())


def _to_grey(image: Image.Image) -> tuple[Image.Image | None, float]:
    """The page as a mode "L" image and its scale relative to `image` (below 1 when a huge
    image was reduced); (None, 1) if it cannot be used."""
    if not isinstance(image, Image.Image):
        return None, 1.0
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        return None, 1.0
    scale = 1.0
    if width * height > MAX_PIXELS:
        factor = math.ceil(math.sqrt(width * height / MAX_PIXELS))
        if image.mode in ("1", "P"):
            image = image.convert("L")
        elif image.mode not in ("L", "RGB", "RGBA", "LA", "CMYK"):
            image = _grey(image)
        image = image.reduce(factor)
        scale = 1.0 / factor
        if min(image.size) < MIN_SIDE:
            return None, 1.0
    return _grey(image), scale


def _grey(image: Image.Image) -> Image.Image:
    """`image` in mode "L": transparency over white paper, high bit depths stretched."""
    mode = image.mode
    if mode == "L":
        return image
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    if mode in ("1", "P", "RGB", "RGBX", "CMYK", "YCbCr"):
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        # 16-bit, 32-bit integer or float: stretch the range actually used to 0..255.
        values = np.asarray(image, dtype=np.float32)
        if values.ndim != 2:
            raise ValueError(f"unsupported image mode {mode}")
        low, high = float(values.min()), float(values.max())
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            return Image.new("L", image.size, 255)
        scaled = (values - low) * (255.0 / (high - low))
        return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L")
    try:
        return image.convert("L")
    except (ValueError, OSError):
        return image.convert("RGB").convert("L")
