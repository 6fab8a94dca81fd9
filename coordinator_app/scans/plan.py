"""Planning a batch of scans (in the importing thread): which files, in which order, each read
and hashed in blocks, duplicates skipped, the kind told by its first bytes, pages counted, the
original stored (atomic, content-addressed) and the work cut into worker tasks (a file, or 8
pages of a PDF/TIFF). A file that cannot be planned is rejected with a Russian reason; the batch
goes on."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fsutil import sha256_file
from . import filestore
from .decode import LARGE_PAGE_PIXELS, RejectedFile, page_info, reject_reason_for_unknown, sniff
from .worker import Task

if TYPE_CHECKING:
    from .importer import ScanImportReport

log = logging.getLogger(__name__)

PDF_CHUNK = 8
MAX_FILE_BYTES = 1 << 30
SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass
class PlannedFile:
    path: Path
    sha256: str
    kind: str
    size: int
    pages: int
    original_rel: str
    tasks: list[Task]


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", str(path))]


def _folder_files(folder: Path, excluded: Path | None) -> list[Path]:
    """A folder's files, recursively, in natural order, without hidden and system files or the
    program's own data dir."""
    found = [p for p in folder.rglob("*") if p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)
             and not (excluded and p.resolve().is_relative_to(excluded))]
    return sorted((p for p in found if p.name.lower() not in SKIPPED_NAMES), key=_natural_key)


def expand_paths(paths: Iterable[Path | str], report: ScanImportReport, exclude: Path | None = None) -> list[Path]:
    """Files in input order; folders recursively in natural order (scan2 before scan10). Hidden
    files, system files and the program's own data dir are skipped."""
    files: list[Path] = []
    excluded = exclude.resolve() if exclude else None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_folder_files(path, excluded))
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append({"file": str(path), "reason": "файл или папка не найдены"})
    return files


def _reject(report: ScanImportReport, path: Path, reason: str) -> None:
    report.rejected.append({"file": str(path), "reason": reason})


def _read(path: Path, report: ScanImportReport) -> tuple[int, bytes, str] | None:
    """(size, first bytes, SHA-256) of a file, hashed in blocks; None when it is refused."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            _reject(report, path, "файл больше 1 ГБ — это не скан работы")
            return None
        with open(path, "rb") as stream:
            head = stream.read(16)
        return size, head, sha256_file(path)
    except OSError as err:
        _reject(report, path, f"не удалось прочитать файл: {err.strerror or err}")
        return None


def _count_pages(path: Path, kind: str, report: ScanImportReport) -> tuple[int, int] | None:
    """(pages, pixels of the largest page) of a file; None when it is refused."""
    try:
        return page_info(kind, str(path))
    except RejectedFile as err:
        _reject(report, path, str(err))
    except MemoryError:
        _reject(report, path, "не хватило памяти, чтобы прочитать файл: он слишком большой для скана")
    except Exception as err:  # noqa: BLE001 - a decoder's own failure on one file never ends the batch
        log.warning("cannot count the pages of %s", path, exc_info=True)
        _reject(report, path, f"файл не удалось прочитать: ошибка при разборе ({type(err).__name__})")
    return None


def _store_original(path: Path, data_dir: Path, kind: str, sha: str, report: ScanImportReport) -> str | None:
    """The original copied into the store (its relative path); None when the copy failed."""
    original_rel = filestore.rel_path("originals", sha, {"jpeg": "jpg"}.get(kind, kind))
    try:
        filestore.put_copy(data_dir, original_rel, path, sha)
    except filestore.SourceChanged:
        _reject(report, path, "файл изменился во время импорта: повторите импорт")
        return None
    except OSError as err:
        _reject(report, path, f"не удалось прочитать файл: {err.strerror or err}")
        return None
    return original_rel


def _tasks(path: Path, kind: str, sha: str, original_rel: str, pages: int, largest: int) -> list[Task]:
    # Chunks of pages spread a PDF or TIFF over both workers; a TIFF with a page too large for
    # two of them to be held at once stays one task.
    chunked = kind == "pdf" or (kind == "tiff" and largest <= LARGE_PAGE_PIXELS)
    step = PDF_CHUNK if chunked else pages
    return [Task(str(path), kind, sha, original_rel, first, min(first + step - 1, pages))
            for first in range(1, pages + 1, step)]


def plan_file(path: Path, data_dir: Path, known: Callable[[str], bool], batch: set[str],
              report: ScanImportReport) -> PlannedFile | None:
    """A file is read in blocks (hashed, then copied into the store), never whole: planning takes
    the same memory for a 1 GB PDF as for a 300 KB JPEG. None: refused (in `report`) or a duplicate."""
    read = _read(path, report)
    if read is None:
        return None
    size, head, sha = read
    if sha in batch or known(sha):
        report.duplicates += 1
        return None
    kind = sniff(head)
    if kind is None:
        _reject(report, path, reject_reason_for_unknown(path.name, head))
        return None
    counted = _count_pages(path, kind, report)
    if counted is None:
        return None
    pages, largest = counted
    original_rel = _store_original(path, data_dir, kind, sha, report)
    if original_rel is None:
        return None
    batch.add(sha)
    return PlannedFile(path, sha, kind, size, pages, original_rel,
                       _tasks(path, kind, sha, original_rel, pages, largest))
