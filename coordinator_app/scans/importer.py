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
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import audit, settings
from ..changes import Changes
from ..errors import UserError
from ..qr_payload import LabelFormatError, decode_label
from ..school import require_school
from ..storage import Store, now_iso
from . import filestore
from ..fsutil import sha256_file
from .decode import LARGE_PAGE_PIXELS, RejectedFile, page_info, reject_reason_for_unknown, sniff
from .worker import PageResult, Task, init_process, run_task

log = logging.getLogger(__name__)

PDF_CHUNK = 8
MAX_FILE_BYTES = 1 << 30
SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
# A code in a file name is a whole segment of the name: `40012`, `40012_2`, `4А_40012`, `40012-1`.
# Digits glued to letters (`scan00001`, `IMG40012`) are a scanner's counter, not a code.
FILENAME_CODE = re.compile(r"(?:^|[_\-\s.])([1-9]\d{4})(?=$|[_\-\s.])")
SCANS = "scans"
PAGES = "scan_pages"

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


# -- planning ---------------------------------------------------------------------------------


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", str(path))]


def expand_paths(paths: Iterable[Path | str], report: ScanImportReport, exclude: Path | None = None) -> list[Path]:
    """Files in input order; folders recursively in natural order (scan2 before scan10). Hidden
    files, system files and the program's own data dir are skipped."""
    files: list[Path] = []
    excluded = exclude.resolve() if exclude else None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file()
                     and not any(part.startswith(".") for part in p.relative_to(path).parts)
                     and not (excluded and p.resolve().is_relative_to(excluded))]
            files.extend(sorted((p for p in found if p.name.lower() not in SKIPPED_NAMES), key=_natural_key))
        elif path.is_file():
            files.append(path)
        else:
            report.rejected.append({"file": str(path), "reason": "файл или папка не найдены"})
    return files


@dataclass
class PlannedFile:
    path: Path
    sha256: str
    kind: str
    size: int
    pages: int
    original_rel: str
    tasks: list[Task]


def _plan_file(path: Path, data_dir: Path, known: Callable[[str], bool], batch: set[str],
               report: ScanImportReport) -> PlannedFile | None:
    """A file is read in blocks (hashed, then copied into the store), never whole: planning takes
    the same memory for a 1 GB PDF as for a 300 KB JPEG."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            report.rejected.append({"file": str(path), "reason": "файл больше 1 ГБ — это не скан работы"})
            return None
        with open(path, "rb") as stream:
            head = stream.read(16)
        sha = sha256_file(path)
    except OSError as err:
        report.rejected.append({"file": str(path), "reason": f"не удалось прочитать файл: {err.strerror or err}"})
        return None
    if sha in batch or known(sha):
        report.duplicates += 1
        return None
    kind = sniff(head)
    if kind is None:
        report.rejected.append({"file": str(path), "reason": reject_reason_for_unknown(path.name, head)})
        return None
    try:
        pages, largest = page_info(kind, str(path))
    except RejectedFile as err:
        report.rejected.append({"file": str(path), "reason": str(err)})
        return None
    except MemoryError:
        report.rejected.append({"file": str(path), "reason": "не хватило памяти, чтобы прочитать файл: "
                                                             "он слишком большой для скана"})
        return None
    except Exception as err:  # noqa: BLE001 - a decoder's own failure on one file never ends the batch
        log.warning("cannot count the pages of %s", path, exc_info=True)
        report.rejected.append({"file": str(path), "reason": f"файл не удалось прочитать: ошибка при разборе "
                                                             f"({type(err).__name__})"})
        return None
    original_rel = filestore.rel_path("originals", sha, {"jpeg": "jpg"}.get(kind, kind))
    try:
        filestore.put_copy(data_dir, original_rel, path, sha)
    except filestore.SourceChanged:
        report.rejected.append({"file": str(path), "reason": "файл изменился во время импорта: повторите импорт"})
        return None
    except OSError as err:
        report.rejected.append({"file": str(path), "reason": f"не удалось прочитать файл: {err.strerror or err}"})
        return None
    batch.add(sha)
    # Chunks of pages spread a PDF or TIFF over both workers; a TIFF with a page too large for
    # two of them to be held at once stays one task.
    chunked = kind == "pdf" or (kind == "tiff" and largest <= LARGE_PAGE_PIXELS)
    step = PDF_CHUNK if chunked else pages
    tasks = [Task(str(path), kind, sha, original_rel, first, min(first + step - 1, pages))
             for first in range(1, pages + 1, step)]
    return PlannedFile(path, sha, kind, size, pages, original_rel, tasks)


# -- matching ---------------------------------------------------------------------------------


@dataclass
class _Chain:
    work_id: int
    participant_id: int | None     # None: the chain is a conflict without a participant
    status: str                    # assigned | conflict
    rotation: int
    code: str = ""
    pages: int = 1                 # the title page and the pages that followed it so far
    overflow: bool = False         # more pages followed than the work has: the rest wait unassigned


#: Completed works of a batch needed before their most common page count limits the next ones: one
#: is enough, since a page held back waits in «Нераспознанные» for one click, while a page given to
#: the wrong participant goes unnoticed.
LEARN_FROM_WORKS = 1


class Matcher:
    """Decides where each page goes, in batch order. Holds the batch's state (the chain)."""

    def __init__(self, store: Store, work_id: int | None) -> None:
        self.store = store
        self.work_id = work_id
        self.login = require_school(store).login
        self.works = {r["work_key"]: r for r in store.query("SELECT id, work_key, subject, grade, work_date FROM works")}
        self.work_by_id = {r["id"]: r for r in self.works.values()}
        self.codes: dict[int, dict[str, int]] = {}
        for r in store.query("SELECT id, work_id, code FROM participants"):
            self.codes.setdefault(r["work_id"], {})[r["code"]] = r["id"]
        # What the store already holds is looked up per participant the batch reaches (through
        # the index on scan_pages(participant_id, position)), so a batch costs the same in a store
        # of 20,000 pages as in an empty one. Both maps then follow the batch's own rows.
        self.titles: dict[int, int | None] = {}          # participant -> assigned title page id
        self.next_position: dict[int, int] = {}
        self.follow = bool(settings.get(store, "follow_unlabelled"))
        self.chain: _Chain | None = None
        self.last_rotation = 0
        # Pages per participant's work: set on the work, else learned from the batch's labelled
        # works (the most common count of those followed by the next title page).
        self.pages_set: dict[int, int | None] = {r["id"]: r["pages_per_work"] for r in store.query(
            "SELECT id, pages_per_work FROM works")}
        self.pages_seen: dict[int, Counter[int]] = {}
        # Rotations of the batch's labelled pages: a page without a label takes the previous
        # label's rotation only when that is what the batch shows (the whole stack fed turned).
        self.rotations: Counter[int] = Counter()
        self.used: set[int] = set()        # works the batch's labels named
        self.implied_work: int | None = work_id
        if work_id is not None and work_id not in self.work_by_id:
            raise UserError(f"Работа № {work_id} не найдена.")

    def _load(self, participant_id: int) -> None:
        if participant_id in self.next_position:
            return
        row = self.store.db.execute(
            f"SELECT MAX(position), (SELECT id FROM {PAGES} WHERE participant_id = ?1 AND is_title = 1"
            f" AND status = 'assigned' LIMIT 1) FROM {PAGES} WHERE participant_id = ?1",
            [participant_id]).fetchone()
        self.next_position[participant_id] = 1 if row[0] is None else int(row[0]) + 1
        self.titles.setdefault(participant_id, row[1])

    def has_title(self, participant_id: int) -> bool:
        self._load(participant_id)
        return self.titles.get(participant_id) is not None

    def _position(self, participant_id: int, title: bool = False) -> int:
        self._load(participant_id)
        if title:
            first = self.store.scalar(f"SELECT MIN(position) FROM {PAGES} WHERE participant_id = ?", [participant_id])
            return 0 if first is None or first > 0 else int(first) - 1
        position = self.next_position[participant_id]
        self.next_position[participant_id] = position + 1
        return position

    def _work_title(self, work_id: int) -> str:
        w = self.work_by_id[work_id]
        return f"{w['subject']}, {w['grade']} класс, {w['work_date']}"

    def _labels(self, page: PageResult) -> tuple[list[tuple[int, int, str]], list[str]]:
        """Valid (work_id, participant_id, code) labels and the reasons of flagged ones."""
        valid, flags = [], []
        for text in page.labels:
            try:
                payload = decode_label(text)
            except LabelFormatError as err:
                if err.kind == "foreign":
                    continue          # somebody else's QR (e.g. printed on the variant): not a label
                flags.append(f"наклейка не читается: {err.reason}")
                continue
            if payload.login != self.login:
                flags.append(f"наклейка другой школы ({payload.login}), код {payload.code}")
                continue
            work = self.works.get(payload.work_key)
            if work is None:
                flags.append(f"наклейка работы, которой нет в программе (ключ {payload.work_key}), код {payload.code}")
                continue
            if self.work_id is not None and work["id"] != self.work_id:
                flags.append(f"наклейка другой работы («{self._work_title(work['id'])}»), код {payload.code}")
                continue
            participant = self.codes.get(work["id"], {}).get(payload.code)
            if participant is None:
                flags.append(f"кода {payload.code} нет в протоколе работы «{self._work_title(work['id'])}»")
                continue
            valid.append((work["id"], participant, payload.code))
        distinct = {(w, p) for w, p, _ in valid}
        if len(distinct) > 1:
            flags.append("на странице наклейки разных участников: " + ", ".join(sorted({c for _, _, c in valid})))
            valid = []
        return valid[:1], flags

    def _filename_target(self, name: str) -> tuple[int, int, str] | str | None:
        match = FILENAME_CODE.search(Path(name).stem)
        if not match:
            return None
        code = match.group(1)
        candidates = [self.implied_work] if self.implied_work is not None else [
            w for w, codes in self.codes.items() if code in codes]
        candidates = [w for w in candidates if code in self.codes.get(w, {})]
        if len(candidates) == 1:
            return candidates[0], self.codes[candidates[0]][code], code
        if not candidates:
            return None          # a number that is no participant's code: the name says nothing
        return f"код {code} из имени файла есть в нескольких работах: выберите работу при импорте"

    def expected_pages(self, work_id: int) -> tuple[int | None, bool]:
        """(pages of one participant's work, learned from the batch?) — None while unknown."""
        if self.pages_set.get(work_id):
            return self.pages_set[work_id], False
        seen = self.pages_seen.get(work_id)
        if not seen or sum(seen.values()) < LEARN_FROM_WORKS:
            return None, True
        return seen.most_common(1)[0][0], True

    def _batch_rotation(self, rotation: int) -> int:
        """`rotation` for a page without a label, if most of the batch's labelled pages have it."""
        if not rotation or not self.rotations:
            return 0
        return rotation if self.rotations[rotation] * 2 > sum(self.rotations.values()) else 0

    def _end_chain(self) -> None:
        """The chain ends (a new title, a flagged page): a whole work's page count is learned."""
        chain = self.chain
        if chain is not None and chain.status == "assigned" and not chain.overflow:
            self.pages_seen.setdefault(chain.work_id, Counter())[chain.pages] += 1
        self.chain = None

    def pages_note(self) -> dict[str, str]:
        """The page counts used, per work title, for the import report."""
        notes = {}
        for work_id in sorted(set(self.pages_seen) | {w for w, n in self.pages_set.items() if n and w in self.used}):
            pages, learned = self.expected_pages(work_id)
            if pages is not None:
                notes[self._work_title(work_id)] = f"{pages} (по первым работам пакета)" if learned else str(pages)
        return notes

    def match(self, file_name: str, page: PageResult) -> dict[str, Any]:
        row: dict[str, Any] = {"work_id": self.implied_work, "participant_id": None, "status": "unassigned",
                               "method": None, "is_title": 0,
                               "rotation": page.rotation or self._batch_rotation(self.last_rotation),
                               "qr_text": "\n".join(page.labels) or None, "note": None, "position": None}
        valid, flags = self._labels(page)
        if page.labels and (valid or flags):
            self.last_rotation = page.rotation
            row["rotation"] = page.rotation
        if valid:
            self.rotations[page.rotation] += 1
            self._end_chain()
            work_id, participant_id, code = valid[0]
            self.used.add(work_id)
            self.implied_work = self.work_id or work_id
            row.update(work_id=work_id, participant_id=participant_id, is_title=1, method="qr")
            if self.has_title(participant_id):
                row.update(status="conflict",
                           note=f"второй титульный лист участника {code}: проверьте, какой из них верный")
                self.chain = _Chain(work_id, participant_id, "conflict", page.rotation, code)
            else:
                self.titles[participant_id] = -1
                row.update(status="assigned", position=self._position(participant_id, title=True))
                self.chain = _Chain(work_id, participant_id, "assigned", page.rotation, code)
            return row
        if flags:
            row["note"] = "; ".join(flags)
            self._end_chain()
            return row
        target = self._filename_target(file_name)
        if isinstance(target, tuple):
            work_id, participant_id, _ = target
            row.update(work_id=work_id, participant_id=participant_id, status="assigned", method="filename",
                       position=self._position(participant_id))
            self._end_chain()
            return row
        if isinstance(target, str):
            row["note"] = target
            self._end_chain()
            return row
        if self.follow and self.chain is not None:
            chain = self.chain
            expected, _learned = self.expected_pages(chain.work_id)
            if chain.overflow or (expected is not None and chain.pages >= expected):
                # More pages than a work has: most likely the next participant's title page has
                # no readable label. Never guess: the pages wait for the coordinator.
                chain.overflow = True
                row.update(work_id=chain.work_id, rotation=self._batch_rotation(chain.rotation),
                           note=f"лишняя страница после работы {chain.code} (в работе страниц: {expected}) — "
                                "возможно, титульный лист без наклейки")
                return row
            chain.pages += 1
            row.update(work_id=chain.work_id, participant_id=chain.participant_id,
                       rotation=self._batch_rotation(chain.rotation), method="following", status=chain.status)
            if chain.status == "assigned":
                row["position"] = self._position(chain.participant_id)
            else:
                row["note"] = "следует за спорным титульным листом"
            return row
        row["note"] = "на странице нет наклейки, и она не следует за титульным листом"
        return row


# -- the import -------------------------------------------------------------------------------


def _known(store: Store) -> Callable[[str], bool]:
    """Whether a file with this SHA-256 is already stored (the UNIQUE index of scan_files)."""
    def known(sha: str) -> bool:
        return store.db.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", [sha]).fetchone() is not None
    return known


def _sequential(planned: list[PlannedFile], data_dir: Path,
                cancelled: Callable[[], bool]) -> Iterator[tuple[PlannedFile, list[PageResult] | str]]:
    for f in planned:
        pages: list[PageResult] | str = []
        for task in f.tasks:
            if cancelled():
                return
            result = run_task(task, str(data_dir))
            if isinstance(result, str):
                pages = result
                break
            pages = pages + result  # type: ignore[operator]
        yield f, pages


#: The reason given for a file whose worker died under it (a decoder's crash, the system killing
#: a process that ran out of memory): the file is rejected, the batch goes on.
WORKER_DIED = ("обработка файла оборвалась аварийно (программа чтения страниц завершилась): "
               "файл повреждён или слишком велик")


def _iter_results(planned: list[PlannedFile], data_dir: Path, workers: int,
                  cancelled: Callable[[], bool]) -> Iterator[tuple[PlannedFile, list[PageResult] | str]]:
    """Results per file in input order; tasks run in a process pool with a bounded window. If the
    pool breaks (a worker died on a file, or a frozen build without worker support), the files
    not yet yielded go through `_isolated`: each in a worker of its own, so the one that kills
    its worker is rejected and the rest are imported."""
    tasks = [(f, t) for f in planned for t in f.tasks]
    if workers <= 1 or len(tasks) <= 2:
        yield from _sequential(planned, data_dir, cancelled)
        return
    yielded: set[int] = set()
    try:
        for item in _pooled(tasks, data_dir, workers, cancelled):
            yielded.add(id(item[0]))
            yield item
    except BrokenProcessPool:
        log.warning("scan worker pool broke; the remaining files are processed one at a time")
        yield from _isolated([f for f in planned if id(f) not in yielded], data_dir, cancelled)


def _new_pool(data_dir: Path) -> ProcessPoolExecutor | None:
    """A one-worker pool that has shown it can run (None: this build cannot start workers)."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_process, initargs=(os.getpid(),))
    try:
        pool.submit(os.getpid).result()
    except (BrokenProcessPool, OSError):
        pool.shutdown(wait=False, cancel_futures=True)
        return None
    return pool


def _isolated(planned: list[PlannedFile], data_dir: Path,
              cancelled: Callable[[], bool]) -> Iterator[tuple[PlannedFile, list[PageResult] | str]]:
    """File after file in one worker: a file whose worker dies is rejected (`WORKER_DIED`) and
    the next gets a new worker. Without worker support at all, the files are processed here."""
    pool: ProcessPoolExecutor | None = None
    try:
        for index, f in enumerate(planned):
            if pool is None:
                pool = _new_pool(data_dir)
                if pool is None:
                    log.warning("scan workers cannot start; continuing in-process")
                    yield from _sequential(planned[index:], data_dir, cancelled)
                    return
            pages: list[PageResult] | str = []
            try:
                for task in f.tasks:
                    if cancelled():
                        return
                    result = pool.submit(run_task, task, str(data_dir)).result()
                    if isinstance(result, str):
                        pages = result
                        break
                    pages = pages + result  # type: ignore[operator]
            except BrokenProcessPool:
                log.warning("a scan worker died on %s", f.path)
                pool.shutdown(wait=False, cancel_futures=True)
                pool, pages = None, WORKER_DIED
            yield f, pages
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _pooled(tasks: list[tuple[PlannedFile, Task]], data_dir: Path, workers: int,
            cancelled: Callable[[], bool]) -> Iterator[tuple[PlannedFile, list[PageResult] | str]]:
    context = multiprocessing.get_context("spawn")
    window = workers * 3
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=init_process,
                             initargs=(os.getpid(),)) as pool:
        futures: list[tuple[PlannedFile, Future]] = []
        queue = iter(tasks)
        try:
            for _ in range(window):
                nxt = next(queue, None)
                if nxt is None:
                    break
                futures.append((nxt[0], pool.submit(run_task, nxt[1], str(data_dir))))
            current: PlannedFile | None = None
            collected: list[PageResult] | str = []
            while futures:
                if cancelled():
                    return
                owner, future = futures.pop(0)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as err:  # noqa: BLE001 - run_task returns reasons; this is the transport's
                    log.warning("scan task of %s failed", owner.path, exc_info=True)
                    result = f"файл не удалось прочитать: ошибка при разборе ({type(err).__name__})"
                nxt = next(queue, None)
                if nxt is not None:
                    futures.append((nxt[0], pool.submit(run_task, nxt[1], str(data_dir))))
                if current is not owner:
                    if current is not None:
                        yield current, collected
                    current, collected = owner, []
                if isinstance(collected, list):
                    collected = result if isinstance(result, str) else collected + result
            if current is not None:
                yield current, collected
        finally:
            for _, future in futures:
                future.cancel()


_MATCH_COLUMNS = ("work_id", "participant_id", "status", "method", "is_title", "rotation", "qr_text", "note",
                  "position")
_INSERT_PAGE = (f"INSERT INTO {PAGES} (file_id, page_no, sha256, image_path, thumb_path, width, height, batch_id, seq, "
                f"{', '.join(_MATCH_COLUMNS)}) VALUES ({', '.join('?' * (9 + len(_MATCH_COLUMNS)))})")


def _record_file(store: Store, planned: PlannedFile, pages: list[PageResult], matcher: Matcher,
                 batch_id: int, seq: int, report: ScanImportReport) -> int:
    stamp = now_iso()
    rows = []
    for page in pages:
        row = matcher.match(planned.path.name, page)
        rows.append((page, row))
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
            report.imported += 1
            if row["status"] == "conflict":
                report.conflicts += 1
            elif row["status"] == "unassigned":
                report.unassigned += 1
            elif row["method"] == "qr":
                report.identified_qr += 1
            elif row["method"] == "filename":
                report.identified_filename += 1
            elif row["method"] == "following":
                report.identified_following += 1
            if row["note"] and row["status"] == "unassigned" and row["qr_text"]:
                report.flagged.append({"file": str(planned.path), "page": page.page_no, "reason": row["note"]})
            if page.warning:
                report.warnings.append({"file": str(planned.path), "page": page.page_no, "reason": page.warning})
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
    from ..storage.lock import DataDirLock

    from .leftovers import IMPORT_LOCK

    lock = DataDirLock(store.data_dir, IMPORT_LOCK,
                       "Уже идёт импорт сканов в эту папку данных. Дождитесь его окончания.")
    lock.acquire()
    try:
        return _import(store, paths, work_id, progress, cancelled, workers)
    finally:
        lock.release()


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
    files = expand_paths(paths, report, exclude=data_dir)
    known = _known(store)
    in_batch: set[str] = set()
    planned: list[PlannedFile] = []
    for index, path in enumerate(files, start=1):
        if cancelled():
            report.cancelled = True
            break
        if progress:
            progress(0, 0, f"Подготовка файлов: {index} из {len(files)}")
        plan = _plan_file(path, data_dir, known, in_batch, report)
        if plan is not None:
            planned.append(plan)
    with store.atomic() as db:
        batch_id = db["scan_batches"].insert({"started_at": now_iso(), "work_id": work_id, "actor": store.actor}).last_pk
    report.batch_id = batch_id
    total_pages = sum(p.pages for p in planned)
    workers = workers or min(2, os.cpu_count() or 1)
    seq, done = 0, 0
    handled: set[str] = set()
    if not report.cancelled:
        for plan, pages in _iter_results(planned, data_dir, workers, cancelled):
            handled.add(plan.sha256)
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
    if report.cancelled or len(handled) < len(planned) or report.rejected:
        # Files stored for pages that never got their rows (cancelled or rejected mid-way).
        filestore.sweep_orphans(data_dir, store.db, older_than_s=0)
    report.pages_per_work = matcher.pages_note()
    report.seconds = time.perf_counter() - started
    with store.atomic() as db:
        db["scan_batches"].update(batch_id, {"finished_at": now_iso(),
                                             "report": json.dumps(report.as_dict(), ensure_ascii=False)})
        audit.record(store, "scans.import", "scan_batches", batch_id, work_id=work_id,
                     **{k: v for k, v in report.as_dict().items() if k not in ("rejected", "flagged")},
                     rejected=len(report.rejected))
    filestore.end_writes(data_dir)
    report.changes = Changes.of(SCANS)
    return report
