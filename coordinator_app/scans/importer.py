"""The batch import of scans: plan, process in worker processes, match, record.

1. Plan (this thread): expand folders (recursive, natural order), read and hash each file, skip
   duplicates (same SHA-256 already stored or earlier in the batch), tell the kind by its first
   bytes, count pages, store the original (atomic, content-addressed) and cut the work into tasks
   (a file, or 8 pages of a PDF/TIFF).
2. Process (worker processes): render pages, store page images and thumbnails, read QR labels.
3. Record (this thread, in input order): match every page and insert the file's rows in ONE
   transaction. A file either has all its rows or none; a crash or a cancel leaves at most files
   without rows, which `filestore.sweep_orphans` removes, never a row without its file.

Matching precedence, page by page (docs/scans.md):
   a valid label of this school → that participant (the title page);
   a flagged label (damaged, another school, another work, a code not in the protocol) → the
     «Нераспознанные» queue with the reason, and the chain of following pages is broken;
   a code in the file name (`40012.pdf`, `40012_2.jpg`, `4А_40012.tif`) → that participant;
   a page following a labelled page in the same batch (setting `follow_unlabelled`) → the same
     participant;
   anything else → the «Нераспознанные» queue.
A second title page for a participant goes to the conflicts queue; nothing is overwritten.

Step 1 is `scans.plan`, step 2 `scans.pipeline` (the worker-process protocol), the matching
`scans.matcher`; this module runs the batch (one import at a time per data dir), records each
file and reports.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import audit
from ..changes import Changes, Topic
from ..storage import Store, now_iso
from ..storage.lock import DataDirLock
from . import filestore
from .leftovers import IMPORT_LOCK
from .matcher import PAGES, Matcher, Row
from .pipeline import results
from .plan import PlannedFile, expand_paths, plan_file
from .worker import PageResult

log = logging.getLogger(__name__)


ProgressFn = Callable[[int, int, str], None]


@dataclass
class ScanImportReport:
    files: int = 0
    imported: int = 0                 # pages stored
    identified_qr: int = 0
    identified_filename: int = 0
    identified_following: int = 0
    unassigned: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)
    # Pages stored with a remark the coordinator should see (a PDF page larger than A3, downscaled).
    warnings: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False
    batch_id: int | None = None
    seconds: float = 0.0
    changes: Changes = field(default_factory=Changes)
    # Pages per participant's work, by work title, as the matcher used them: "3" (set on the
    # work) or "3 (по первым работам пакета)" (learned from this batch).
    pages_per_work: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "imported": self.imported, "identified_qr": self.identified_qr,
            "identified_filename": self.identified_filename, "identified_following": self.identified_following,
            "unassigned": self.unassigned, "duplicates": self.duplicates, "conflicts": self.conflicts,
            "rejected": self.rejected, "flagged": self.flagged, "warnings": self.warnings,
            "cancelled": self.cancelled,
            "batch_id": self.batch_id, "seconds": round(self.seconds, 2), "pages_per_work": self.pages_per_work,
        }

    def summary(self) -> str:
        lines = [("Импорт прерван. Сохранено" if self.cancelled else "Импорт завершён. Сохранено")
                 + f" страниц: {self.imported} (файлов: {self.files})."]
        lines.append(f"По QR-наклейке: {self.identified_qr}; по имени файла: {self.identified_filename}; "
                     f"следом за титульным листом: {self.identified_following}.")
        if self.unassigned:
            lines.append(f"Ждут в «Нераспознанных»: {self.unassigned}.")
        if self.conflicts:
            lines.append(f"Спорные (второй титульный лист участника): {self.conflicts}.")
        if self.duplicates:
            lines.append(f"Повторы уже сохранённых файлов пропущены: {self.duplicates}.")
        if self.rejected:
            lines.append(f"Не приняты файлы: {len(self.rejected)}.")
        if self.warnings:
            lines.append(f"Сохранены с замечаниями страниц: {len(self.warnings)}.")
        for title, pages in self.pages_per_work.items():
            learned = "по первым" in pages
            lines.append(f"Страниц в работе («{title}»): {pages}"
                         + ("; если не так, укажите число страниц в свойствах работы." if learned else "."))
        return "\n".join(lines)


# -- the import -------------------------------------------------------------------------------


def _known(store: Store) -> Callable[[str], bool]:
    """Whether a file with this SHA-256 is already stored (the UNIQUE index of scan_files)."""
    def known(sha: str) -> bool:
        return store.db.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", [sha]).fetchone() is not None
    return known


_MATCH_COLUMNS = ("work_id", "participant_id", "status", "method", "is_title", "rotation", "qr_text", "note",
                  "position")
_INSERT_PAGE = (f"INSERT INTO {PAGES} (file_id, page_no, sha256, image_path, thumb_path, width, height, batch_id, seq, "
                f"{', '.join(_MATCH_COLUMNS)}) VALUES ({', '.join('?' * (9 + len(_MATCH_COLUMNS)))})")

#: Which report counter a stored page adds to: by its status, else by how it was matched.
_COUNTED_STATUS = {"conflict": "conflicts", "unassigned": "unassigned"}
_COUNTED_METHOD = {"qr": "identified_qr", "filename": "identified_filename", "following": "identified_following"}


def _count_page(report: ScanImportReport, planned: PlannedFile, page: PageResult, row: Row) -> None:
    """A stored page in the report: its counter, a flagged label, a remark on the page."""
    report.imported += 1
    counter = _COUNTED_STATUS.get(row["status"]) or _COUNTED_METHOD.get(row["method"])
    if counter:
        setattr(report, counter, getattr(report, counter) + 1)
    if row["note"] and row["status"] == "unassigned" and row["qr_text"]:
        report.flagged.append({"file": str(planned.path), "page": page.page_no, "reason": row["note"]})
    if page.warning:
        report.warnings.append({"file": str(planned.path), "page": page.page_no, "reason": page.warning})


def _record_file(store: Store, planned: PlannedFile, pages: list[PageResult], matcher: Matcher,
                 batch_id: int, seq: int, report: ScanImportReport) -> int:
    """Match a file's pages and insert the file's rows and audit record in ONE transaction."""
    stamp = now_iso()
    rows = [(page, matcher.match(planned.path.name, page)) for page in pages]
    with store.atomic() as db:
        file_id = db.execute(
            "INSERT INTO scan_files (sha256, kind, original_name, stored_path, size, pages, batch_id, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [planned.sha256, planned.kind, planned.path.name, planned.original_rel, planned.size, planned.pages,
             batch_id, stamp]).lastrowid
        for page, row in rows:
            seq += 1
            page_id = db.execute(_INSERT_PAGE, [
                file_id, page.page_no, page.sha256, page.image_rel, page.thumb_rel, page.width, page.height,
                batch_id, seq, *(row[name] for name in _MATCH_COLUMNS)]).lastrowid
            if row["is_title"] and row["status"] == "assigned":
                matcher.titles[row["participant_id"]] = page_id
            _count_page(report, planned, page, row)
        audit.record(store, "scans.file", "scan_files", file_id, batch_id=batch_id, sha256=planned.sha256,
                     pages=len(rows), name=planned.path.name)
    report.files += 1
    return seq


def import_scans(
    store: Store,
    paths: Iterable[Path | str],
    *,
    work_id: int | None = None,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    workers: int | None = None,
) -> ScanImportReport:
    """Import files and folders of scans. One import at a time per data dir (an OS lock), so the
    orphan sweep can never remove a file another import is about to record."""
    lock = DataDirLock(store.data_dir, IMPORT_LOCK,
                       "Уже идёт импорт сканов в эту папку данных. Дождитесь его окончания.")
    lock.acquire()
    try:
        return _import(store, paths, work_id, progress, cancelled, workers)
    finally:
        lock.release()


def _plan(store: Store, files: list[Path], report: ScanImportReport, progress: ProgressFn | None,
          cancelled: Callable[[], bool]) -> list[PlannedFile]:
    """Every file planned in input order (stored, cut into tasks); a cancel stops the planning."""
    known = _known(store)
    in_batch: set[str] = set()
    planned: list[PlannedFile] = []
    for index, path in enumerate(files, start=1):
        if cancelled():
            report.cancelled = True
            break
        if progress:
            progress(0, 0, f"Подготовка файлов: {index} из {len(files)}")
        plan = plan_file(path, store.data_dir, known, in_batch, report)
        if plan is not None:
            planned.append(plan)
    return planned


def _process(store: Store, planned: list[PlannedFile], matcher: Matcher, batch_id: int, workers: int,
             progress: ProgressFn | None, cancelled: Callable[[], bool], report: ScanImportReport,
             started: float) -> int:
    """Process the planned files in workers and record each as its result comes; how many were
    handled. The progress names the rate since `started` (the import's start)."""
    total_pages = sum(p.pages for p in planned)
    seq, done, handled = 0, 0, 0
    for plan, pages in results(planned, store.data_dir, workers, cancelled):
        handled += 1
        if isinstance(pages, str):
            log.info("scan file rejected: %s: %s", plan.path, pages)
            report.rejected.append({"file": str(plan.path), "reason": pages})
        else:
            seq = _record_file(store, plan, pages, matcher, batch_id, seq, report)
        done += plan.pages
        if progress:
            rate = done / max(time.perf_counter() - started, 1e-6)
            progress(done, total_pages, f"Страниц: {done} из {total_pages} ({rate:.0f} стр./с)")
    if cancelled():
        report.cancelled = True
    return handled


def _finish(store: Store, batch_id: int, work_id: int | None, report: ScanImportReport) -> None:
    """The batch's row completed with its report, and its audit record, in one transaction."""
    with store.atomic() as db:
        db["scan_batches"].update(batch_id, {"finished_at": now_iso(),
                                             "report": json.dumps(report.as_dict(), ensure_ascii=False)})
        audit.record(store, "scans.import", "scan_batches", batch_id, work_id=work_id,
                     **{k: v for k, v in report.as_dict().items() if k not in ("rejected", "flagged")},
                     rejected=len(report.rejected))


def _import(store: Store, paths: Iterable[Path | str], work_id: int | None, progress: ProgressFn | None,
            cancelled: Callable[[], bool], workers: int | None) -> ScanImportReport:
    started = time.perf_counter()
    report = ScanImportReport()
    matcher = Matcher(store, work_id)
    data_dir = store.data_dir
    # Files written before their rows are left without rows only by an import that did not
    # finish (a crash, a kill); the marker says one did, so a finished store is not walked.
    if filestore.writes_unfinished(data_dir):
        filestore.sweep_orphans(data_dir, store.db, older_than_s=0)
    filestore.begin_writes(data_dir)
    planned = _plan(store, expand_paths(paths, report, exclude=data_dir), report, progress, cancelled)
    with store.atomic() as db:
        batch_id = db["scan_batches"].insert({"started_at": now_iso(), "work_id": work_id, "actor": store.actor}).last_pk
    report.batch_id = batch_id
    handled = 0
    if not report.cancelled:
        handled = _process(store, planned, matcher, batch_id, workers or min(2, os.cpu_count() or 1),
                           progress, cancelled, report, started)
    if report.cancelled or handled < len(planned) or report.rejected:
        # Files stored for pages that never got their rows (cancelled or rejected mid-way).
        filestore.sweep_orphans(data_dir, store.db, older_than_s=0)
    report.pages_per_work = matcher.pages_note()
    report.seconds = time.perf_counter() - started
    _finish(store, batch_id, work_id, report)
    filestore.end_writes(data_dir)
    report.changes = Changes.of(Topic.SCANS)
    return report
