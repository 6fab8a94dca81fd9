"""Processing of pages in worker processes: render, store, thumbnail, find the QR labels.

A task is one image file, or a range of pages of a PDF/TIFF, so a single 500-page PDF keeps both
cores busy. Workers take and return plain data and never touch the database. Every file they
write is content-addressed and written atomically, so two workers, a retry or a crash can never
leave a half-written or wrong file under a name.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import UserError
from . import filestore
from .decode import RejectedFile, iter_pages

THUMB_SIZE = (240, 340)


@dataclass
class PageResult:
    page_no: int
    sha256: str
    image_rel: str
    thumb_rel: str
    width: int
    height: int
    labels: list[str]          # texts of the QR codes found on the page
    rotation: int              # clockwise rotation that makes the page upright (from its label)
    warning: str | None = None  # stored, but the report names it (a PDF page larger than A3)


@dataclass
class Task:
    path: str
    kind: str
    sha256: str
    original_rel: str
    first_page: int = 1        # 1-based, inclusive
    last_page: int | None = None


#: How often a worker looks whether the importing process is still there.
PARENT_CHECK_S = 0.5


def _watch_parent(parent_pid: int | None) -> None:
    """End this worker as soon as the importing process is gone. A killed importer cannot shut
    its pool down, and its workers would otherwise wait for tasks (or finish a long PDF) for
    ever. `parent_process()` is the parent's sentinel (a pipe on POSIX, its process handle on
    Windows); on POSIX a changed parent pid (re-parented to init) says the same."""
    import multiprocessing
    import os
    import threading
    import time

    parent = multiprocessing.parent_process()

    def gone() -> bool:
        if parent is not None and not parent.is_alive():
            return True
        return parent_pid is not None and os.name == "posix" and os.getppid() != parent_pid

    def watch() -> None:
        while not gone():
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def init_process(parent_pid: int | None = None) -> None:
    """Set up a worker process: a watchdog that ends it with its parent (`_watch_parent`), and
    the allocator. Pages come one after another, each with buffers of several MB
    (the decoded page, its array copy for the QR decoder): glibc returns such blocks to the
    OS when they are freed and the next page faults them in again, page by page (10 ms of
    system time per A4 page measured on a loaded 2-core machine, as much as decoding it).
    Serving them from the heap and keeping it makes them reused instead."""
    import sys

    _watch_parent(parent_pid)
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)    # M_MMAP_THRESHOLD: blocks under 32 MB (its maximum) from the heap
        libc.mallopt(-1, 128 << 20)   # M_TRIM_THRESHOLD: keep up to 128 MB of free heap
    except (ImportError, OSError, AttributeError):
        pass                          # not glibc (musl, ...): it only costs time


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _quarter(image: Image.Image) -> Image.Image | None:
    """A greyscale page box-reduced by 4, shared by the thumbnail and the QR locator (for other
    modes the two work on different images)."""
    if image.mode != "L" or min(image.size) < 4 * max(THUMB_SIZE):
        return None
    return image.reduce(4)


def _thumbnail(image: Image.Image, quarter: Image.Image | None = None) -> bytes:
    """A ≤240×340 JPEG preview: integer box reduction first (fast), then a small bilinear resize.
    `quarter` is `image.reduce(4)` when the caller has it."""
    if quarter is not None:
        image = quarter
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB" if image.mode in ("P", "RGBA", "CMYK") else "L")
    factor = max(1, min(image.width // THUMB_SIZE[0], image.height // THUMB_SIZE[1]))
    small = image.reduce(factor) if factor > 1 else image
    scale = min(THUMB_SIZE[0] / small.width, THUMB_SIZE[1] / small.height, 1.0)
    if scale < 1.0:
        small = small.resize((max(1, round(small.width * scale)), max(1, round(small.height * scale))),
                             Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=75)
    return buf.getvalue()


def run_task(task: Task, data_dir: str) -> list[PageResult] | str:
    """Pages of the task, or a Russian reason why the file cannot be used. Whatever goes wrong
    with one file (a decoder's own error, a bomb, memory running out) rejects that file only:
    nothing but a string or the pages ever leaves this function, so a batch goes on."""
    try:
        return _run_task(task, data_dir)
    except RejectedFile as err:
        return str(err)
    except UserError as err:          # a page could not be stored (disk full, no rights)
        return err.message
    except MemoryError:
        return "не хватило памяти, чтобы прочитать файл: он слишком большой для скана"
    except Exception as err:          # noqa: BLE001 - a decoder's own failure on this file
        # No logging here: a worker process has no log file, and its stderr is the CLI's.
        return f"файл не удалось прочитать: ошибка при разборе ({type(err).__name__})"


def _run_task(task: Task, data_dir: str) -> list[PageResult] | str:
    # start-up: the QR reader loads numpy and zxing, needed in the worker processes only
    from .qr import find_labels, page_rotation

    root = Path(data_dir)
    # Pages come from the stored original (already hashed, immutable), never from the source,
    # which may change or vanish (a pulled-out stick) after planning. Files are opened by path:
    # a task reads only its own pages of a large PDF or TIFF, and an image only as far as its
    # header until its size has been checked.
    stored = root / task.original_rel
    if not stored.is_file():
        return "не удалось прочитать файл: его копия в папке данных пропала"
    data = str(stored)
    results: list[PageResult] = []
    try:
        for page_no, page in iter_pages(task.kind, data, task.first_page, task.last_page):
            image = page.image
            if page.encoded is None:
                page_sha, image_rel = task.sha256, task.original_rel
            else:
                page_sha = sha256_bytes(page.encoded)
                image_rel = filestore.rel_path("pages", page_sha, page.ext)
                filestore.put(root, image_rel, page.encoded)
            thumb_rel = filestore.rel_path("thumbs", page_sha, "jpg")
            quarter = _quarter(image)
            filestore.put(root, thumb_rel, _thumbnail(image, quarter))
            hits = find_labels(image, quarter=quarter)
            results.append(PageResult(page_no, page_sha, image_rel, thumb_rel, image.width, image.height,
                                      [hit.text for hit in hits], page_rotation(hits) or 0, page.warning))
    except RejectedFile as err:
        return str(err)
    return results
