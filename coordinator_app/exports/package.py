"""The re-check package for the municipality (seed 004 §6.9–6.10), written to a USB stick.

    ВПР_<предмет>_<N>кл_<дата>_<логин>/
        works/<code>.pdf            the scanned pages of one participant, upright, in order
        criteria/criteria_variant<V>_<n>.<ext>   the attached criteria, byte for byte
        protocol.xlsx               the electronic protocol, every participant of the work
        cover_letter.pdf            the letter on the school's letterhead
        manifest.json               what, for which work, how chosen, and every file's size and SHA-256
        SHA256SUMS                  `sha256sum -c` format, every file including manifest.json

Nothing in the package carries a pupil's name: files are named by participant code (criteria by
variant), the PDFs' metadata say only the program and the work, scanned JPEGs lose their
EXIF/XMP/comment segments and PNGs every chunk but the image. (What a pupil wrote by hand on the
paper is in the pixels; that is the school's business.)

Crash and stick safety: everything is written into a hidden `.<name>.partial-<random>` folder on
the target. Each file is fsynced, its cached copy dropped (POSIX), and read back through the same
handle: it must be byte for byte what was written (a CRC-32 for files above 32 MiB), and the
manifest's SHA-256 is taken from those bytes, so every byte is hashed once. Then the folder is
renamed to its final name and checked once more (manifest and sums as written, every file of the
right size, nothing missing, nothing extra). Any OSError (stick pulled out, disk full, read-only)
or a failed read-back removes what was written, so nothing that looks complete is ever left
behind. `verify_package` checks a package anywhere, later, against its own manifest.

Scan pages are embedded by a small PDF writer of our own: a JPEG page goes in as is (DCTDecode,
no re-encoding, no ASCII85 inflation), a plain PNG page as its own zlib stream (FlateDecode with
the PNG predictors; 1-bit pages stay 1-bit), anything else as Flate-compressed pixels. Rotation is
applied by the page's transformation matrix. 100 pages at 200 dpi take ≈ 0.4 s (JPEG) / 0.2 s
(black-and-white) plus the time the stick needs to take the bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import json
import math
import os
import random
import re
import secrets
import shutil
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .. import APP_TITLE, audit
from ..errors import UserError
from ..storage import Store, now_iso

FORMAT = "vpr-coordinator-package/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
#: Files an operating system drops into folders by itself; never reported as extra.
OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
A4_LONG_PT = 841.89
WRITE_THREADS = 4
CHUNK = 1 << 20

ProgressFn = Callable[[int, int, str], None]


# ---------------------------------------------------------------------------------- drives


@dataclass
class Drive:
    path: Path
    label: str
    free_bytes: int
    total_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "label": self.label, "free_bytes": self.free_bytes,
                "total_bytes": self.total_bytes}


def removable_drives() -> list[Drive]:
    """Mounted removable drives (USB sticks, SD cards). Never raises; may be empty."""
    try:
        return _windows_drives() if sys.platform == "win32" else _linux_drives()
    except Exception:  # noqa: BLE001 - a drive list is a convenience, never a failure
        return []


def _unescape_mount(text: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _block_removable(device: str) -> bool:
    """Whether `/dev/<x>` lies on a removable or USB block device (per /sys/block)."""
    real = os.path.realpath(device)
    if not real.startswith("/dev/"):
        return False
    node = Path("/sys/class/block") / Path(real).name
    if not node.exists():
        return False
    sys_path = Path(os.path.realpath(node))
    disk = sys_path.parent if (sys_path / "partition").exists() else sys_path
    with contextlib.suppress(OSError):
        if (disk / "removable").read_text().strip() == "1":
            return True
    return "/usb" in str(disk) or disk.name.startswith("mmcblk")


_MEDIA_ROOTS = ("/media/", "/run/media/", "/mnt/")


def _drive(path: Path) -> Drive | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return Drive(path=path, label=path.name or str(path), free_bytes=usage.free, total_bytes=usage.total)


def _linux_drives() -> list[Drive]:
    drives: list[Drive] = []
    seen: set[str] = set()
    have_sys = Path("/sys/class/block").is_dir()   # without /sys (a container) every media mount counts
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        device, mount = fields[0], _unescape_mount(fields[1])
        if not mount.startswith(_MEDIA_ROOTS) or mount in seen or not device.startswith("/dev/"):
            continue
        if have_sys and not _block_removable(device):
            continue
        drive = _drive(Path(mount))
        if drive is not None:
            seen.add(mount)
            drives.append(drive)
    if not lines:     # no /proc: whatever is mounted under the usual media folders
        import glob

        for pattern in ("/media/*/*", "/run/media/*/*", "/mnt/*"):
            for mount in sorted(glob.glob(pattern)):
                if mount not in seen and os.path.ismount(mount):
                    drive = _drive(Path(mount))
                    if drive is not None:
                        seen.add(mount)
                        drives.append(drive)
    return drives


def _windows_drives(kernel32: Any = None) -> list[Drive]:
    """Removable drives through kernel32 (given by tests as a fake with the same five calls)."""
    import ctypes

    if kernel32 is None:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    drive_removable = 2
    # No «insert a disk» dialogs for empty card-reader slots.
    old_mode = kernel32.SetErrorMode(0x0001)
    drives: list[Drive] = []
    try:
        mask = kernel32.GetLogicalDrives()
        for index in range(26):
            if not mask & (1 << index):
                continue
            root = f"{chr(ord('A') + index)}:\\"
            if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) != drive_removable:
                continue
            free, total, _ = ctypes.c_ulonglong(), ctypes.c_ulonglong(), ctypes.c_ulonglong()
            if not kernel32.GetDiskFreeSpaceExW(ctypes.c_wchar_p(root), ctypes.byref(free), ctypes.byref(total),
                                                ctypes.byref(_)):
                continue       # no medium in the slot
            name = ctypes.create_unicode_buffer(261)
            ok = kernel32.GetVolumeInformationW(ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0)
            label = name.value if ok and name.value else "Съёмный диск"
            drives.append(Drive(Path(root), f"{label} ({root[:2]})", int(free.value), int(total.value)))
    finally:
        kernel32.SetErrorMode(old_mode)
    return drives


# ---------------------------------------------------------------------------------- sample


def _code_key(code: str) -> tuple[int, str]:
    return (len(code), code)


def choose_sample(codes: list[str], pct: float | None, seed: int | None,
                  extra: list[str]) -> tuple[list[str], int]:
    """The codes to send: a random draw of at least `pct` % (and at least one) of `codes` (the
    present participants with scans), plus `extra`. `pct=None` or 0: no draw, only `extra`.
    Returns (sorted codes, seed used); the same codes, pct and seed always give the same draw."""
    if seed is None:
        seed = secrets.randbelow(999_999) + 1
    pool = sorted(set(codes), key=_code_key)
    chosen: set[str] = set(extra)
    if pct and pool:
        if pct < 0 or pct > 100:
            raise UserError(f"Доля выборки {pct} % вне пределов 0–100 %.")
        count = min(len(pool), max(1, math.ceil(len(pool) * pct / 100 - 1e-9)))
        chosen.update(random.Random(seed).sample(pool, count))
    return sorted(chosen, key=_code_key), int(seed)


# ---------------------------------------------------------------------------------- names


def _safe(text: str) -> str:
    """Letters (any alphabet), digits, «-», «.», «_»; runs of anything else become one «_»."""
    cleaned = re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("._")
    return cleaned or "_"


def package_name(subject: str, grade: int, date: dt.date, login: str) -> str:
    return f"ВПР_{_safe(subject)}_{grade}кл_{date.isoformat()}_{_safe(login)}"


def _criteria_name(variant: str | None, number: int, original: str) -> str:
    ext = Path(original).suffix.lower().lstrip(".")
    ext = ext if re.fullmatch(r"[a-z0-9]{1,8}", ext or "") else "bin"
    stem = f"criteria_variant{_safe(variant)}" if variant else "criteria"
    return f"{stem}_{number}.{ext}"


# ---------------------------------------------------------------------------------- scan PDFs


class _SourceError(Exception):
    """A stored scan could not be read (a problem of the data dir, not of the target)."""


def _strip_jpeg(data: bytes) -> bytes:
    """The JPEG without APP1..APP13, APP15 and COM segments (EXIF, XMP, ICC, comments: they may
    carry a name or a device owner); the compressed image data are untouched. A JPEG with none of
    them (what a scanner or Pillow writes) is returned as is, without a copy."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    view = memoryview(data)
    kept: list[memoryview] = []       # runs of `data` to keep, in order
    run_start = 0                     # where the current kept run began
    pos = 2
    size = len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise ValueError("bad JPEG marker")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise ValueError("truncated JPEG")
        marker = data[pos]
        pos += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9:
            size = pos
            break
        if pos + 2 > size:
            raise ValueError("truncated JPEG")
        length = int.from_bytes(data[pos:pos + 2], "big")
        if marker == 0xDA:            # start of scan: the rest is image data
            break
        if (0xE1 <= marker <= 0xED) or marker in (0xEF, 0xFE):
            segment_start = pos - 2
            while segment_start > run_start and data[segment_start - 1] == 0xFF:
                segment_start -= 1    # fill bytes before the marker go with it
            kept.append(view[run_start:segment_start])
            run_start = pos + length
        pos += length
    if not kept:
        return data if size == len(data) else data[:size]
    kept.append(view[run_start:size])
    return b"".join(kept)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_passthrough(data: bytes) -> "_PdfImage | None":
    """An 8-bit greyscale or RGB JPEG straight from its header, without decoding it with PIL
    (size, components and JFIF density are in the markers); anything else → None (PIL path)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos, size = 2, len(data)
    dims = None
    dpi: float | None = None
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE0 and body[:5] == b"JFIF\x00" and len(body) >= 12 and body[7] in (1, 2):
            density = int.from_bytes(body[8:10], "big")
            dpi = float(density) * (2.54 if body[7] == 2 else 1.0)
        elif marker == 0xEE:           # Adobe: maybe CMYK/YCCK — let PIL decide
            return None
        elif marker in _SOF and len(body) >= 6:
            precision, height, width, components = body[0], int.from_bytes(body[1:3], "big"), \
                int.from_bytes(body[3:5], "big"), body[5]
            if precision != 8 or components not in (1, 3) or not width or not height:
                return None
            dims = (width, height, components)
        elif marker == 0xDA:
            break
        pos += 2 + length
    if dims is None:
        return None
    try:
        stripped = _strip_jpeg(data)
    except ValueError:
        return None
    width, height, components = dims
    return _PdfImage(width, height, "DeviceGray" if components == 1 else "DeviceRGB", 8, "DCTDecode", stripped,
                     dpi if dpi and 50 <= dpi <= 1200 else None)


@dataclass
class _PdfImage:
    width: int
    height: int
    colorspace: str       # DeviceGray | DeviceRGB
    bits: int
    filter: str           # DCTDecode | FlateDecode
    data: bytes
    dpi: float | None
    decode_parms: str = ""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_passthrough(raw: bytes) -> _PdfImage | None:
    """A plain PNG (grey 1/2/4/8 bit or RGB 8 bit, not interlaced) as it is: its IDAT stream is
    already what PDF's FlateDecode with the PNG predictors reads. Every other chunk (text, time,
    ICC) is left out. None for anything else (it is decoded instead)."""
    if not raw.startswith(_PNG_SIGNATURE):
        return None
    pos, idat, header, dpi = 8, [], None, None
    while pos + 8 <= len(raw):
        length = int.from_bytes(raw[pos:pos + 4], "big")
        kind = raw[pos + 4:pos + 8]
        body = raw[pos + 8:pos + 8 + length]
        if len(body) != length:
            return None
        if kind == b"IHDR" and length == 13:
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"pHYs" and length == 9 and body[8] == 1:
            per_metre = int.from_bytes(body[0:4], "big")
            dpi = per_metre * 0.0254 if per_metre else None
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        return None
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour, interlace = header[8], header[9], header[12]
    if interlace != 0 or not ((colour == 0 and depth in (1, 2, 4, 8)) or (colour == 2 and depth == 8)):
        return None
    colours = 1 if colour == 0 else 3
    parms = f"/DecodeParms << /Predictor 15 /Colors {colours} /BitsPerComponent {depth} /Columns {width} >> "
    return _PdfImage(width, height, "DeviceGray" if colours == 1 else "DeviceRGB", depth, "FlateDecode",
                     b"".join(idat), dpi if dpi and 50 <= dpi <= 1200 else None, parms)


def _plausible_dpi(info: dict[str, Any]) -> float | None:
    dpi = info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi)
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 1200 else None


def _load_page_image(path: Path) -> _PdfImage:
    from PIL import Image

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise _SourceError(f"скан «{path.name}» не читается: {err.strerror or err}") from err
    passed = _png_passthrough(raw) or _jpeg_passthrough(raw)
    if passed is not None:
        return passed
    try:
        with Image.open(io.BytesIO(raw)) as image:
            dpi = _plausible_dpi(image.info)
            if image.format == "JPEG" and image.mode in ("L", "RGB"):
                with contextlib.suppress(ValueError):   # an odd JPEG is decoded below instead
                    return _PdfImage(image.width, image.height, "DeviceGray" if image.mode == "L" else "DeviceRGB",
                                     8, "DCTDecode", _strip_jpeg(raw), dpi)
            image.load()
            if image.mode == "1":
                return _PdfImage(image.width, image.height, "DeviceGray", 1, "FlateDecode",
                                 zlib.compress(image.tobytes(), 6), dpi)
            if image.mode in ("L", "I", "I;16", "I;16B", "F") or (
                    image.mode == "P" and image.palette is not None and image.palette.mode == "L"):
                grey = image.convert("L")
                return _PdfImage(grey.width, grey.height, "DeviceGray", 8, "FlateDecode",
                                 zlib.compress(grey.tobytes(), 6), dpi)
            if "A" in image.getbands() or "transparency" in image.info:
                rgba = image.convert("RGBA")
                rgb = Image.new("RGB", image.size, (255, 255, 255))
                rgb.paste(rgba, mask=rgba.getchannel("A"))
            else:
                rgb = image.convert("RGB")
            return _PdfImage(rgb.width, rgb.height, "DeviceRGB", 8, "FlateDecode",
                             zlib.compress(rgb.tobytes(), 6), dpi)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise _SourceError(f"скан «{path.name}» повреждён: не удалось прочитать изображение") from err


def _page_size(image: _PdfImage) -> tuple[float, float]:
    """Size in points of the unrotated image: its own dpi when it makes a sheet of paper (10–50 cm
    on the long side), else scaled so the long side is that of A4."""
    longest = max(image.width, image.height)
    if image.dpi:
        long_pt = longest / image.dpi * 72
        if 283 <= long_pt <= 1417:
            return image.width / image.dpi * 72, image.height / image.dpi * 72
    scale = A4_LONG_PT / longest
    return image.width * scale, image.height * scale


def _matrix(rotation: int, w: float, h: float) -> tuple[tuple[float, ...], tuple[float, float]]:
    """The `cm` matrix drawing the image (w×h points) turned clockwise by `rotation`, and the
    page size."""
    r = rotation % 360
    if r == 90:      # the image's top edge becomes the page's right edge
        return (0, -w, h, 0, 0, w), (h, w)
    if r == 180:
        return (-w, 0, 0, -h, w, h), (w, h)
    if r == 270:     # the image's top edge becomes the page's left edge
        return (0, w, -h, 0, h, 0), (h, w)
    return (w, 0, 0, h, 0, 0), (w, h)


def _pdf_text(text: str) -> bytes:
    """A PDF text string: UTF-16BE with BOM, as a hex string (safe for any character)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _num(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode("ascii")


def scan_pdf_chunks(pages: list[tuple[Path, int]], title: str, subject: str) -> Iterator[bytes]:
    """A PDF of the page images (path, clockwise rotation), one image per page, produced piece by
    piece (one page image in memory at a time). Its Info holds `title`, `subject` and the program."""
    count = len(pages)
    # Object numbers: 1 catalog, 2 pages, 3 info; page i → 4+3i page, 5+3i contents, 6+3i image.
    offsets: dict[int, int] = {}
    position = 0

    def emit(number: int, body: bytes) -> bytes:
        nonlocal position
        offsets[number] = position
        chunk = f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
        position += len(chunk)
        return chunk

    header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    position += len(header)
    yield header
    yield emit(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(f"{4 + 3 * i} 0 R".encode("ascii") for i in range(count))
    yield emit(2, b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(count).encode("ascii") + b" >>")
    stamp = dt.datetime.now().strftime("D:%Y%m%d%H%M%S")
    yield emit(3, b"<< /Title " + _pdf_text(title) + b" /Subject " + _pdf_text(subject)
               + b" /Creator " + _pdf_text(APP_TITLE) + b" /Producer " + _pdf_text(APP_TITLE)
               + b" /CreationDate (" + stamp.encode("ascii") + b") >>")
    for index, (path, rotation) in enumerate(pages):
        image = _load_page_image(path)
        w, h = _page_size(image)
        cm, (page_w, page_h) = _matrix(rotation, w, h)
        page_no, contents_no, image_no = 4 + 3 * index, 5 + 3 * index, 6 + 3 * index
        yield emit(page_no, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + _num(page_w) + b" " + _num(page_h)
                   + b"] /Resources << /XObject << /Im0 " + str(image_no).encode("ascii") + b" 0 R >> >> /Contents "
                   + str(contents_no).encode("ascii") + b" 0 R >>")
        content = b"q " + b" ".join(_num(v) for v in cm) + b" cm /Im0 Do Q"
        yield emit(contents_no, b"<< /Length " + str(len(content)).encode("ascii") + b" >>\nstream\n"
                   + content + b"\nendstream")
        head = (f"<< /Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
                f"/ColorSpace /{image.colorspace} /BitsPerComponent {image.bits} /Filter /{image.filter} "
                f"{image.decode_parms}/Length {len(image.data)} >>\nstream\n").encode("ascii")
        offsets[image_no] = position
        opening = f"{image_no} 0 obj\n".encode("ascii") + head
        tail = b"\nendstream\nendobj\n"
        position += len(opening) + len(image.data) + len(tail)
        yield opening
        yield image.data
        yield tail
    total = 4 + 3 * count
    xref = [f"xref\n0 {total}\n".encode("ascii"), b"0000000000 65535 f \n"]
    xref += [f"{offsets[n]:010d} 00000 n \n".encode("ascii") for n in range(1, total)]
    ident = hashlib.sha256(f"{title}|{stamp}|{count}".encode()).hexdigest()[:32].upper().encode("ascii")
    trailer = (b"trailer\n<< /Size " + str(total).encode("ascii") + b" /Root 1 0 R /Info 3 0 R /ID [<" + ident
               + b"> <" + ident + b">] >>\nstartxref\n" + str(position).encode("ascii") + b"\n%%EOF\n")
    yield b"".join(xref) + trailer


# ---------------------------------------------------------------------------------- protocol.xlsx


def _cell_value(value: str | None) -> Any:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def protocol_xlsx_bytes(work, rows, sent: set[str]) -> bytes:
    """The electronic protocol: every participant of the work by code, task scores, total, mark,
    and whether the work is in the package."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Протокол"
    book.properties.creator = APP_TITLE
    book.properties.lastModifiedBy = APP_TITLE
    book.properties.title = f"Электронный протокол ВПР: {work.title}"
    variant_heads = ["Вариант"] if work.parts == 1 else [f"Вариант (часть {p})" for p in range(1, work.parts + 1)]
    header = ["Код участника", "Класс", *variant_heads, *[f"{t.task_id} ({t.max_score}б)" for t in work.tasks],
              "Итого баллов", "Отметка", "В пакете"]
    sheet.append(header)
    for row in rows:
        if row.absent:
            variants = ["отсутствовал"] * len(variant_heads)
            scores: list[Any] = [None] * len(work.tasks)
            total = mark = None
        else:
            variants = [_cell_value(row.variants.get(p)) for p in range(1, work.parts + 1)]
            scores = [_cell_value(row.scores.get(t.task_id)) for t in work.tasks]
            total = row.total if row.status in ("scored", "partial") else None
            mark = _cell_value(row.mark)
        sheet.append([_cell_value(row.code), row.class_name, *variants, *scores, total, mark,
                      "да" if row.code in sent else "нет"])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = {1: 15, 2: 8}
    for index, title in enumerate(header, start=1):
        width = widths.get(index) or max(8, min(20, len(title) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------- writing


#: fsync answers these on file systems that cannot sync (some FUSE mounts): the data are written.
_NO_SYNC = (errno.EINVAL, getattr(errno, "ENOTSUP", errno.EINVAL), getattr(errno, "EOPNOTSUPP", errno.EINVAL))


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in _NO_SYNC:
            raise


#: Up to this many bytes of a file are kept in memory while it is written, to compare the
#: read-back with (a scan PDF: ≈ 0.5 MB); a larger file (a big criteria scan) is compared by CRC-32.
KEEP_FOR_COMPARE = 32 << 20


@dataclass
class _Written:
    size: int
    chunks: list[bytes] | None     # what was written, when it is small enough to keep
    crc: int                       # CRC-32 of what was written, when `chunks` is None


def _drop_cached(fd: int) -> None:
    """Ask the OS to forget its cached copy of the (fsynced) file, so that the read-back reads
    what the medium holds, not what is still in memory: a stick that loses writes (a failing or
    fake-capacity one) is caught. Linux and other POSIX systems; elsewhere a no-op."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def _write_into(stream: BinaryIO, chunks: Iterable[bytes]) -> _Written:
    """Write `chunks` to a new file, flush and fsync; what was written, to check the read-back
    against (the bytes themselves, or a CRC-32 for a large file)."""
    kept: list[bytes] | None = []
    crc, size = 0, 0
    for chunk in chunks:
        stream.write(chunk)
        size += len(chunk)
        if kept is not None:
            kept.append(chunk)
            if size > KEEP_FOR_COMPARE:
                for old in kept:
                    crc = zlib.crc32(old, crc)
                kept = None
        else:
            crc = zlib.crc32(chunk, crc)
    stream.flush()
    _fsync(stream.fileno())
    _drop_cached(stream.fileno())
    return _Written(size, kept, crc)


def _read_back(stream: BinaryIO, written: _Written) -> tuple[int, str, bool]:
    """Read the file from its start as the medium returns it: (size, SHA-256, whether it is what
    was written). Every byte is hashed once: the manifest's SHA-256 is taken from these bytes."""
    stream.seek(0)
    digest, crc, size = hashlib.sha256(), 0, 0
    if written.chunks is not None:
        data = stream.read(written.size + 1)
        size = len(data)
        digest.update(data)
        same = size == written.size
        pos = 0
        for chunk in written.chunks if same else ():
            if not data.startswith(chunk, pos):        # a memcmp, no copy
                same = False
                break
            pos += len(chunk)
        while block := stream.read(CHUNK):      # a file that grew: hash it all the same
            digest.update(block)
            size += len(block)
        return size, digest.hexdigest(), same and size == written.size
    while block := stream.read(CHUNK):
        digest.update(block)
        crc = zlib.crc32(block, crc)
        size += len(block)
    return size, digest.hexdigest(), size == written.size and crc == written.crc


class _Mismatch(Exception):
    """A file read back from the target differs from what was written."""


def _write_and_check(path: Path, rel: str, chunks: Iterable[bytes]) -> dict[str, Any]:
    """Write one file, fsync it, read it back: its manifest entry, or _Mismatch naming it."""
    # One handle for both: the write's fsync and the read-back go to the same file on the medium.
    with open(path, "x+b") as stream:
        written = _write_into(stream, chunks)
        size_read, sha, same = _read_back(stream, written)
    if size_read < written.size:
        raise _Mismatch(f"обрезан: {rel} (прочитано {size_read} байт из {written.size})")
    if not same:
        raise _Mismatch(f"изменён: {rel} (прочитано не то, что записано)")
    return {"path": rel, "size": written.size, "sha256": sha}


def _read_chunks(path: Path) -> Iterator[bytes]:
    try:
        stream = open(path, "rb")
    except OSError as err:
        raise _SourceError(f"файл «{path.name}» не читается: {err.strerror or err}") from err
    with stream:
        while True:
            try:
                block = stream.read(CHUNK)
            except OSError as err:
                raise _SourceError(f"файл «{path.name}» не читается: {err.strerror or err}") from err
            if not block:
                return
            yield block


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


def _remove_tree(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_partials(out_dir: Path, name: str) -> None:
    """Partial folders of this package left by an earlier run that was killed (power cut)."""
    pattern = re.compile(re.escape(f".{name}.partial-") + r"[0-9a-f]{8}")
    with contextlib.suppress(OSError):
        for entry in out_dir.iterdir():
            if pattern.fullmatch(entry.name) and entry.is_dir():
                _remove_tree(entry)


def _free_name(out_dir: Path, name: str) -> Path:
    target = out_dir / name
    number = 2
    while target.exists():
        target = out_dir / f"{name} ({number})"
        number += 1
    return target


def _mb(value: int) -> str:
    return f"{value / (1 << 20):.1f}".replace(".", ",") + " МБ"


def _interrupted(err: OSError) -> UserError:
    code = err.errno
    if code == errno.ENOSPC:
        return UserError("Запись на носитель прервана: на носителе не хватает места. Пакет не создан; "
                         "освободите место или вставьте другой носитель и повторите.")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "носитель защищён от записи или нет прав на запись в эту папку"
    elif code in (errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENOTDIR, errno.ENXIO):
        reason = "носитель недоступен (извлечён?)"
    else:
        reason = (err.strerror or str(err)).rstrip(".")
    return UserError(f"Запись на носитель прервана: {reason}. Пакет не создан; вставьте носитель и повторите.")


class _Cancelled(Exception):
    pass


@dataclass
class PackageResult:
    folder: Path
    files: int
    bytes: int
    codes: list[str]
    seed: int
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "files": self.files, "bytes": self.bytes, "codes": self.codes,
                "seed": self.seed, "manifest_sha256": self.manifest_sha256, "warnings": self.warnings}


@dataclass
class _Planned:
    rel: str
    label: str
    chunks: Callable[[], Iterable[bytes]]


def _variant_text(variants: dict[int, str | None]) -> str:
    values = [v for v in variants.values() if v]
    if not values:
        return "—"
    if len(set(values)) == 1 and len(values) == len(variants):
        return values[0]
    return " / ".join(v or "—" for v in variants.values())


def export_package(store: Store, work_id: int, out_dir: Path | str, *, sample_pct: float | None = 1.0,
                   seed: int | None = None, codes: list[str] | None = None, everyone: bool = False,
                   progress: ProgressFn | None = None,
                   cancelled: Callable[[], bool] = lambda: False) -> PackageResult:
    """Write the re-check package of a work into a new folder in `out_dir` (a USB stick's root).

    Which works: `everyone` → all present participants with scans; otherwise a random draw of
    `sample_pct` % (at least one; None = no draw) with `seed` (drawn if None), plus `codes`."""
    from ..attachments import list_attachments
    from ..formats.pdf.cover_letter import CoverLetter, CoverRow, cover_letter_bytes
    from ..scans.pages import page_count_mismatches, work_scans
    from ..school import require_school
    from ..scoring import score_sheet
    from ..works import get_work

    out_dir = Path(out_dir)
    school = require_school(store)
    work = get_work(store, work_id)
    scans = {p.code: p for p in work_scans(store, work_id)}
    sheet = score_sheet(store, work_id, final=True)
    if not sheet:
        raise UserError(f"У работы «{work.title}» ещё нет протокола: сначала выдайте коды.")
    present = [r.code for r in sheet if not r.absent]
    pool = [c for c in present if scans.get(c) and scans[c].pages]
    if not pool:
        raise UserError(f"У работы «{work.title}» нет ни одного отсканированного листа участников, выполнявших "
                        "работу. Сначала отсканируйте работы и импортируйте сканы (шаг «Сканы»).")
    extra = sorted({str(c).strip() for c in (codes or []) if str(c).strip()}, key=_code_key)
    by_code = {r.code: r for r in sheet}
    problems = []
    for code in extra:
        row = by_code.get(code)
        if row is None:
            problems.append(f"код {code}: такого участника в протоколе работы нет")
        elif row.absent:
            problems.append(f"код {code}: участник отмечен отсутствующим")
        elif not (scans.get(code) and scans[code].pages):
            problems.append(f"код {code}: сканов работы нет — отсканируйте её или уберите код из списка")
    if problems:
        raise UserError("Пакет не создан: не все выбранные работы можно отправить.", details=problems)
    if everyone:
        chosen, seed = choose_sample(pool, 100.0, seed, [])
        pct_used: float | None = 100.0
        extra = []
    else:
        pct_used = sample_pct if sample_pct else None
        chosen, seed = choose_sample(pool, pct_used, seed, extra)
    if not chosen:
        raise UserError("Не выбрано ни одной работы: укажите долю выборки, коды участников или «все работы».")
    if not out_dir.is_dir():
        raise UserError(f"Папка «{out_dir}» не найдена (носитель извлечён?). Вставьте носитель и повторите.")

    warnings: list[str] = []
    unscored = [c for c in chosen if by_code[c].status != "scored"]
    if unscored:
        warnings.append("Не все задания оценены у участников: " + ", ".join(unscored)
                        + ". Перед отправкой проверьте, что баллы проставлены за каждое задание.")
    expected, odd = page_count_mismatches(store, work_id, list(scans.values()))
    odd = [s for s in odd if s.code in set(chosen)]
    if odd:
        warnings.append(f"Число страниц не как в работе ({expected}) у участников: "
                        + ", ".join(f"{s.code} — {len(s.pages)}" for s in odd)
                        + ". Проверьте, не попали ли к ним чужие страницы (или не потерялись ли их).")
    attachments = [a for a in list_attachments(store, work_id) if a.kind == "criteria"]
    if not attachments:
        warnings.append("К работе не прикреплены критерии оценивания: пакет создан без них.")
    else:
        covered = {a.variant for a in attachments}
        if None not in covered:
            sent_variants = {v for c in chosen for v in by_code[c].variants.values() if v}
            missing = sorted(sent_variants - covered)
            if missing:
                warnings.append("Нет критериев для вариантов: " + ", ".join(missing) + ".")

    # -- the plan: every file with a producer of its bytes -------------------------------------------
    name = package_name(work.subject, work.grade, work.work_date, school.login)
    subject_line = f"ВПР: {work.subject}, {work.grade} класс, {work.work_date:%d.%m.%Y}"
    plan: list[_Planned] = []
    for code in chosen:
        pages = [(store.path(p.image_path), p.rotation) for p in scans[code].pages]
        plan.append(_Planned(f"works/{code}.pdf", f"Работа {code}",
                             lambda pages=pages, code=code: scan_pdf_chunks(
                                 pages, f"Работа участника {code}", subject_line)))
    used: set[str] = set()
    criteria_variants: list[str] = []
    for attachment in attachments:
        number = 1
        # unique even on a case-insensitive stick (FAT, exFAT, NTFS)
        while (rel := f"criteria/{_criteria_name(attachment.variant, number, attachment.original_name)}"
               ).casefold() in used:
            number += 1
        used.add(rel.casefold())
        source = store.path(attachment.stored_path)
        plan.append(_Planned(rel, "Критерии оценивания", lambda source=source: _read_chunks(source)))
        if attachment.variant and attachment.variant not in criteria_variants:
            criteria_variants.append(attachment.variant)
    sent = set(chosen)
    plan.append(_Planned("protocol.xlsx", "Электронный протокол",
                         lambda: [protocol_xlsx_bytes(work, sheet, sent)]))
    letter = CoverLetter(
        school=school.name, login=school.login, municipality=school.municipality, director=school.director,
        subject=work.subject, grade=work.grade, work_date=work.work_date, outgoing_date=dt.date.today(),
        folder_name=name, participants_present=len(present), pool=len(pool),
        rows=[CoverRow(c, by_code[c].class_name, _variant_text(by_code[c].variants), len(scans[c].pages),
                       scored=by_code[c].status == "scored") for c in chosen],
        sample_pct=pct_used, seed=seed, extra_codes=extra, everyone=everyone,
        criteria_files=len(attachments), criteria_variants=criteria_variants)
    plan.append(_Planned("cover_letter.pdf", "Сопроводительное письмо", lambda: [cover_letter_bytes(letter)]))
    # The letter and the protocol are CPU work; the scans are I/O. Starting the CPU work first lets
    # the writer threads overlap it with the scans' reads, hashing and fsync.
    plan = plan[-2:] + plan[:-2]

    estimate = sum(_size_or_zero(store.path(p.image_path)) for c in chosen for p in scans[c].pages)
    estimate += sum(a.size for a in attachments) + (2 << 20)
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(out_dir).free
        if free < estimate:
            raise UserError(f"На носителе «{out_dir}» свободно {_mb(free)}, а пакету нужно около {_mb(estimate)}. "
                            "Освободите место или вставьте другой носитель.")

    total = len(plan) + 3       # every file written and read back, manifest, sums, the final check
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    _remove_stale_partials(out_dir, name)
    partial: Path | None = out_dir / f".{name}.partial-{secrets.token_hex(4)}"
    final: Path | None = None
    entries: list[dict[str, Any]] = []
    try:
        os.mkdir(partial)
        for sub in ("works", "criteria"):
            os.mkdir(partial / sub)
        # Several files at a time: reading, hashing, writing and fsync release the GIL, so one
        # file's fsync overlaps the others' work (issue 5's target: ≥ 70 % of a plain copy).
        # Each file is read back right after its fsync; its SHA-256 is taken from those bytes.
        stop = threading.Event()       # the first failure stops the other writers at once

        def write(item: _Planned) -> dict[str, Any] | None:
            if stop.is_set():
                return None
            if cancelled():
                stop.set()
                raise _Cancelled()
            try:
                return _write_and_check(partial / item.rel, item.rel, item.chunks())
            except BaseException:
                stop.set()
                raise

        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as writers:
            for item, entry in zip(plan, writers.map(write, plan)):
                entries.append(entry)
                step(f"Запись и проверка: {item.rel}")
        if not attachments:
            os.rmdir(partial / "criteria")
        entries.sort(key=lambda e: e["path"])
        manifest = {
            "format": FORMAT,
            "created_at": now_iso(),
            "app": APP_TITLE,
            "school": {"name": school.name, "login": school.login},
            "work": {"subject": work.subject, "grade": work.grade, "date": work.work_date.isoformat(),
                     "key": work.work_key},
            "sample": {"pct": pct_used, "seed": seed, "codes": chosen, "extra_codes": extra,
                       "everyone": everyone, "pool": len(pool)},
            "files": entries,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        manifest_sha = _write_and_check(partial / MANIFEST, MANIFEST, [manifest_bytes])["sha256"]
        step(f"Запись: {MANIFEST}")
        sums = sorted([(e["path"], e["sha256"]) for e in entries] + [(MANIFEST, manifest_sha)])
        sums_bytes = "".join(f"{sha}  {path}\n" for path, sha in sums).encode("utf-8")
        _write_and_check(partial / SUMS, SUMS, [sums_bytes])
        step(f"Запись: {SUMS}")
        for folder in (partial / "works", partial / "criteria", partial):
            if folder.is_dir():
                _fsync_dir(folder)
        if cancelled():
            raise _Cancelled()
        target = _free_name(out_dir, name)
        os.rename(partial, target)          # only now does the package appear under its name
        final, partial = target, None
        _fsync_dir(out_dir)
        problems = _check_final(final, entries, manifest_bytes, sums_bytes)
        step("Проверка пакета на носителе")
        if problems:
            raise _Mismatch(*problems)
    except _Mismatch as err:
        _remove_tree(partial)
        _remove_tree(final)
        raise UserError("Записанный на носитель пакет не совпадает с исходным (носитель неисправен?). "
                        "Пакет удалён; вставьте другой носитель и повторите.", details=list(err.args)) from None
    except _Cancelled:
        _remove_tree(partial)
        _remove_tree(final)
        raise UserError("Создание пакета отменено; неполная папка удалена с носителя.") from None
    except _SourceError as err:
        _remove_tree(partial)
        _remove_tree(final)
        raise UserError(f"Пакет не создан: {err} Проверьте папку данных («Сервис» → «Проверка данных»).") from err
    except OSError as err:
        _remove_tree(partial)
        _remove_tree(final)
        raise _interrupted(err) from err
    except BaseException:
        _remove_tree(partial)
        _remove_tree(final)
        raise

    files = len(entries) + 2
    written = sum(e["size"] for e in entries) + len(manifest_bytes) + len(sums_bytes)
    details = {"codes": chosen, "seed": seed, "pct": pct_used, "extra_codes": extra, "everyone": everyone,
               "bytes": written, "folder": final.name}
    with store.atomic() as db:
        export_id = db["exports"].insert({
            "kind": "package", "work_id": work_id, "target": str(final), "files": files,
            "manifest_sha256": manifest_sha, "at": now_iso(), "actor": store.actor,
            "details": json.dumps(details, ensure_ascii=False)}).last_pk
        audit.record(store, "package.export", "exports", export_id, work_id=work_id, target=str(final),
                     files=files, manifest_sha256=manifest_sha, codes=chosen, seed=seed, pct=pct_used,
                     everyone=everyone)
    return PackageResult(final, files, written, chosen, seed, manifest_sha, warnings)


def _check_final(folder: Path, entries: list[dict[str, Any]], manifest_bytes: bytes,
                 sums_bytes: bytes) -> list[str]:
    """After the rename: the package under its final name holds exactly the files written (each
    already read back), the manifest and the sums as written, and nothing else. An OSError (the
    stick gone) propagates."""
    problems: list[str] = []
    for rel, expected in ((MANIFEST, manifest_bytes), (SUMS, sums_bytes)):
        if (folder / rel).read_bytes() != expected:
            problems.append(f"изменён: {rel} (прочитано не то, что записано)")
    expected_sizes = {e["path"]: e["size"] for e in entries}
    for rel, size in expected_sizes.items():
        found = (folder / rel).stat().st_size
        if found != size:
            problems.append(f"изменён: {rel} (размер {found} вместо {size})")
    present = _listing(folder)
    for rel in sorted((set(expected_sizes) | {MANIFEST, SUMS}) - present):
        problems.append(f"отсутствует: {rel}")
    for rel in sorted(present - set(expected_sizes) - {MANIFEST, SUMS}):
        problems.append(f"лишний файл: {rel}")
    return problems


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# ---------------------------------------------------------------------------------- verification


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str]
    files_checked: int

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "files_checked": self.files_checked}


def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def _safe_rel(path: Any) -> bool:
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts) and ":" not in path


def _parse_manifest(raw: bytes) -> dict[str, tuple[int | None, str]] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list):
            return None
        files: dict[str, tuple[int | None, str]] = {}
        for entry in data["files"]:
            path, size, sha = entry["path"], entry["size"], entry["sha256"]
            if (not _safe_rel(path) or path in (MANIFEST, SUMS) or not isinstance(size, int) or size < 0
                    or not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha) or path in files):
                return None
            files[path] = (size, sha)
        return files
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, AttributeError):
        return None


def _parse_sums(raw: bytes) -> dict[str, str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sums: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match or not _safe_rel(match.group(2)) or match.group(2) in sums:
            return None
        sums[match.group(2)] = match.group(1).lower()
    return sums or None


def _listing(folder: Path) -> set[str]:
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for file_name in files:
            if file_name in OS_JUNK or file_name.startswith("._"):
                continue
            found.add((Path(root) / file_name).relative_to(folder).as_posix())
    return found


def package_folders(path: Path | str) -> list[Path]:
    """The package folders at `path`: the folder itself when it is a package (has manifest.json),
    else every folder directly inside it that is one (the root of a stick with several packages)."""
    path = Path(path)
    if (path / "manifest.json").is_file() or not path.is_dir():
        return [path]
    try:
        found = sorted(p for p in path.iterdir() if p.is_dir() and (p / "manifest.json").is_file())
    except OSError:
        found = []
    return found or [path]


def verify_packages(path: Path | str) -> list[tuple[Path, VerifyReport]]:
    """`verify_package` for every package folder at `path` (see `package_folders`)."""
    return [(folder, verify_package(folder)) for folder in package_folders(path)]


def verify_package(folder: Path | str, progress: Callable[[str], None] | None = None) -> VerifyReport:
    """Check a package folder against its manifest.json and SHA256SUMS (no store needed): every
    missing, truncated, altered or unexpected file is named. A file that cannot be read is
    reported, not raised."""
    folder = Path(folder)
    if not folder.is_dir():
        return VerifyReport(False, [f"папка пакета не найдена: {folder}"], 0)
    problems: list[str] = []
    checked = 0

    def read(rel: str) -> bytes | None:
        try:
            return (folder / rel).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            problems.append(f"не читается: {rel} ({err.strerror or err})")
            return b""

    def load(rel: str, parse: Callable[[bytes], Any]) -> tuple[bytes | None, Any]:
        """The file's bytes and what `parse` makes of them (None: missing or damaged, said)."""
        nonlocal checked
        raw, parsed = read(rel), None
        if raw is None:
            problems.append(f"отсутствует: {rel}")
        else:
            checked += 1
            parsed = parse(raw)
            if parsed is None:
                problems.append(f"{rel} повреждён")
        if progress:
            progress(rel)
        return raw, parsed

    manifest_raw, expected = load(MANIFEST, _parse_manifest)
    _, sums = load(SUMS, _parse_sums)
    if sums is not None and manifest_raw is not None and expected is not None:
        listed = sums.get(MANIFEST)
        if listed is None:
            problems.append(f"{SUMS}: нет строки для {MANIFEST}")
        elif listed != hashlib.sha256(manifest_raw).hexdigest():
            problems.append(f"изменён: {MANIFEST} (SHA-256 не совпадает)")
        for rel in sorted((set(sums) - {MANIFEST}) ^ set(expected), key=str):
            problems.append(f"{SUMS} не совпадает с {MANIFEST}: {rel}")
        for rel in sorted(set(sums) & set(expected)):
            if sums[rel] != expected[rel][1]:
                problems.append(f"{SUMS} не совпадает с {MANIFEST}: {rel}")
    if expected is None and sums is not None:
        expected = {rel: (None, sha) for rel, sha in sums.items() if rel != MANIFEST}
    expected = expected or {}

    def hashed(rel: str) -> tuple[int, str] | OSError:
        try:
            return _hash_file(folder / rel)
        except OSError as err:
            return err

    # Several files at a time (hashing and reading release the GIL).
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as readers:
        results = dict(zip(sorted(expected), readers.map(hashed, sorted(expected))))
    for rel in sorted(expected):
        size_expected, sha_expected = expected[rel]
        try:
            outcome = results[rel]
            if isinstance(outcome, OSError):
                raise outcome
            size, sha = outcome
        except FileNotFoundError:
            problems.append(f"отсутствует: {rel}")
            continue
        except IsADirectoryError:
            problems.append(f"отсутствует: {rel}")
            continue
        except OSError as err:
            problems.append(f"не читается: {rel} ({err.strerror or err})")
            continue
        checked += 1
        if size_expected is not None and size < size_expected:
            problems.append(f"обрезан: {rel} (размер {size} вместо {size_expected})")
        elif size_expected is not None and size != size_expected:
            problems.append(f"изменён: {rel} (размер {size} вместо {size_expected})")
        elif sha != sha_expected:
            problems.append(f"изменён: {rel} (SHA-256 не совпадает)")
        if progress:
            progress(rel)
    try:
        present = _listing(folder)
    except OSError:
        present = set()
    for rel in sorted(present - set(expected) - {MANIFEST, SUMS}):
        problems.append(f"лишний файл: {rel}")
    return VerifyReport(not problems, problems, checked)
