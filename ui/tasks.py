"""Slow work off the GUI thread: one `run_task` helper over QThreadPool.

The job is a plain function `job(ctx)`; it reports progress as data through
`ctx.progress(done, total, label)` and checks `ctx.cancelled`. It never touches a widget. A job
that writes to the database opens its own Store (a SQLite connection belongs to its thread):
`ctx.open_store()`. The progress dialog appears only if the job outlasts 500 ms. `on_done` and
`on_error` run on the GUI thread. Tests may set `TaskRunner.synchronous = True`.

Pages do not call `run` themselves: a use-case goes through `ui.ops.ChangeOp.run_in_background`,
which shows the errors and publishes the changes; `load` is the pages' reads (`ui.loader`).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from coordinator_app.errors import UserError
from coordinator_app.storage import Store, open_store

from . import messages
from .messages import INTERNAL_ERROR

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised by `ctx.check()` when the user pressed «Отмена»."""


class TaskContext:
    def __init__(self, data_dir: Path, actor: str) -> None:
        self._data_dir = data_dir
        self._actor = actor
        self._cancel = threading.Event()
        self._signals: _Signals | None = None
        self._stores: list[Store] = []

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def progress(self, done: int, total: int, label: str = "") -> None:
        if self._signals is not None:
            self._signals.progress.emit(int(done), int(total), label)

    def progress_callback(self, label: str = "") -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self.check()
            self.progress(done, total, label)

        return report

    def open_store(self) -> Store:
        store = open_store(self._data_dir, actor=self._actor)
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()
        self._stores.clear()


class _Signals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object, str)


class _Runnable(QRunnable):
    def __init__(self, job: Callable[[TaskContext], Any], ctx: TaskContext, signals: _Signals) -> None:
        super().__init__()
        self.job, self.ctx, self.signals = job, ctx, signals

    def run(self) -> None:
        try:
            result = self.job(self.ctx)
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the GUI thread
            self.signals.failed.emit(err, traceback.format_exc())
        else:
            self.signals.finished.emit(result)
        finally:
            self.ctx.close()


class TaskRunner(QObject):
    synchronous = False

    def __init__(self, data_dir: Path, actor: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.actor = actor
        self.pool = QThreadPool.globalInstance()
        self._alive: set[_Signals] = set()
        self.active = 0

    def run(
        self,
        parent: QWidget | None,
        title: str,
        job: Callable[[TaskContext], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        cancellable: bool = True,
    ) -> TaskContext:
        ctx = TaskContext(self.data_dir, self.actor)
        signals = _Signals()
        ctx._signals = signals
        self._alive.add(signals)
        self.active += 1

        dialog = QProgressDialog(title, "Отмена" if cancellable else "", 0, 0, parent)
        dialog.setWindowTitle("Подождите")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(500)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if not cancellable:
            dialog.setCancelButton(None)
        dialog.canceled.connect(ctx.cancel)

        def on_progress(done: int, total: int, label: str) -> None:
            dialog.setMaximum(max(total, 0))
            dialog.setValue(min(done, total) if total else 0)
            if label:
                dialog.setLabelText(f"{title}\n{label}")

        def finish() -> None:
            self.active -= 1
            dialog.canceled.disconnect(ctx.cancel)
            dialog.close()
            dialog.deleteLater()
            self._alive.discard(signals)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(err: BaseException, trace: str) -> None:
            finish()
            if isinstance(err, Cancelled):
                return
            if not isinstance(err, UserError):
                log.error("background task %r failed:\n%s", title, trace)
            if on_error is not None:
                on_error(err)
            else:
                messages.show_error(parent, err if isinstance(err, UserError) else INTERNAL_ERROR.format(err=err))

        # Queued: the slots run on the GUI thread whatever thread emits (direct when synchronous).
        kind = Qt.ConnectionType.DirectConnection if self.synchronous else Qt.ConnectionType.QueuedConnection
        signals.progress.connect(on_progress, kind)
        signals.finished.connect(done, kind)
        signals.failed.connect(failed, kind)
        runnable = _Runnable(job, ctx, signals)
        if self.synchronous:
            runnable.run()
        else:
            self.pool.start(runnable)
        return ctx

    def load(
        self,
        job: Callable[[TaskContext], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException, str], None],
    ) -> TaskContext:
        """A page's read on the pool: no dialog, not counted in `active` (closing the window does not
        wait for a read). `job(ctx)` opens its own connection with `ctx.open_store()` and only reads;
        `on_done(result)` / `on_error(err, trace)` run on the GUI thread. The caller decides whether
        a result still matters (`ui.loader.PageLoader` drops superseded ones)."""
        ctx = TaskContext(self.data_dir, self.actor)
        signals = _Signals()
        self._alive.add(signals)

        def done(result: Any) -> None:
            self._alive.discard(signals)
            on_done(result)

        def failed(err: BaseException, trace: str) -> None:
            self._alive.discard(signals)
            on_error(err, trace)

        kind = Qt.ConnectionType.DirectConnection if self.synchronous else Qt.ConnectionType.QueuedConnection
        signals.finished.connect(done, kind)
        signals.failed.connect(failed, kind)
        runnable = _Runnable(job, ctx, signals)
        if self.synchronous:
            runnable.run()
        else:
            self.pool.start(runnable)
        return ctx

    def wait_all(self, timeout_ms: int = 30000) -> bool:
        return self.pool.waitForDone(timeout_ms)
