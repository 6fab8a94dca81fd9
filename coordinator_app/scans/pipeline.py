"""Processing a planned batch: each file's worker tasks (render pages, store page images and
thumbnails, read QR labels) run in worker processes, and the results come back file by file in
input order.

The worker-process protocol: a spawn-context pool whose workers run `worker.run_task` (after
`worker.init_process`, which ends a worker with its importer); a task returns its pages, or a
Russian reason (str) that rejects its file. A worker that dies breaks the pool; the files not yet
returned then go one by one, each in a worker of its own, so only the file that kills its worker
is rejected. Without worker support at all (a frozen build), files are processed in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .plan import PlannedFile
from .worker import PageResult, Task, init_process, run_task

log = logging.getLogger(__name__)

#: A file's pages, or the reason it is rejected.
FileResult = tuple[PlannedFile, list[PageResult] | str]
Cancelled = Callable[[], bool]

#: The reason given for a file whose worker died under it (a decoder's crash, the system killing
#: a process that ran out of memory): the file is rejected, the batch goes on.
WORKER_DIED = ("обработка файла оборвалась аварийно (программа чтения страниц завершилась): "
               "файл повреждён или слишком велик")


def _sequential(planned: list[PlannedFile], data_dir: Path, cancelled: Cancelled) -> Iterator[FileResult]:
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


def results(planned: list[PlannedFile], data_dir: Path, workers: int, cancelled: Cancelled) -> Iterator[FileResult]:
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
        for item in pooled(tasks, data_dir, workers, cancelled):
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


def _in_pool(pool: ProcessPoolExecutor, f: PlannedFile, data_dir: Path,
             cancelled: Cancelled) -> list[PageResult] | str | None:
    """One file's tasks in `pool`, one after another; None when the batch is cancelled."""
    pages: list[PageResult] | str = []
    for task in f.tasks:
        if cancelled():
            return None
        result = pool.submit(run_task, task, str(data_dir)).result()
        if isinstance(result, str):
            return result
        pages = pages + result
    return pages


def _isolated(planned: list[PlannedFile], data_dir: Path, cancelled: Cancelled) -> Iterator[FileResult]:
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
            try:
                pages = _in_pool(pool, f, data_dir, cancelled)
            except BrokenProcessPool:
                log.warning("a scan worker died on %s", f.path)
                pool.shutdown(wait=False, cancel_futures=True)
                pool, pages = None, WORKER_DIED
            if pages is None:
                return
            yield f, pages
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _outcome(owner: PlannedFile, future: Future) -> list[PageResult] | str:
    """A task's pages or reason; a failure of the transport (not a dead worker) rejects the file."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as err:  # noqa: BLE001 - run_task returns reasons; this is the transport's
        log.warning("scan task of %s failed", owner.path, exc_info=True)
        return f"файл не удалось прочитать: ошибка при разборе ({type(err).__name__})"


def pooled(tasks: list[tuple[PlannedFile, Task]], data_dir: Path, workers: int,
           cancelled: Cancelled) -> Iterator[FileResult]:
    """The tasks in a pool of `workers` processes, at most 3 per worker submitted ahead; the
    results gathered per file, in input order. A dead worker raises BrokenProcessPool."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=init_process,
                             initargs=(os.getpid(),)) as pool:
        futures: list[tuple[PlannedFile, Future]] = []
        queue = iter(tasks)

        def submit_next() -> None:
            nxt = next(queue, None)
            if nxt is not None:
                futures.append((nxt[0], pool.submit(run_task, nxt[1], str(data_dir))))

        try:
            for _ in range(workers * 3):
                submit_next()
            current: PlannedFile | None = None
            collected: list[PageResult] | str = []
            while futures:
                if cancelled():
                    return
                owner, future = futures.pop(0)
                result = _outcome(owner, future)
                submit_next()
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
