"""A page's data, loaded after its skeleton is on screen: `PageLoader`.

A page shows its widgets at once and asks its loader for the data:

    self.loader = PageLoader(self, overlay=self.table, guard=[self.assign_button])
    self.loader.load(lambda store: list_participants(store, work_id), self._apply)

`job(store)` only reads. It runs on the thread pool with its own SQLite connection
(`TaskRunner.load`: WAL lets it read while the GUI thread writes), so a slow query never holds the
GUI thread; the GUI thread only runs `apply(result)`. A job given `off_thread=False` (small data)
runs on the GUI thread in a following event-loop turn instead, after the skeleton has been painted.

A newer `load` supersedes an older one (a generation counter): a result that comes back after the
user picked another work is dropped, never applied over the newer one. While a load is under way
the `guard` widgets (actions that need the data) are disabled, and if it lasts more than a moment
«Загрузка…» appears over `overlay`. `is_loading()` says whether a load is pending, `loaded` is
emitted after each applied result (tests wait on either).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from shiboken6 import isValid

from . import messages, style

log = logging.getLogger(__name__)

OVERLAY_DELAY_MS = 150       # a load shorter than this shows no «Загрузка…» (no flicker)


class _Overlay(QLabel):
    """«Загрузка…» centred over a widget (a table's viewport), not taking its input."""

    def __init__(self, over: QWidget) -> None:
        super().__init__("Загрузка…", over)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(style.LOADING_STYLE)
        self.hide()
        over.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def appear(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()


class PageLoader(QObject):
    loaded = Signal()

    def __init__(self, page: QWidget, overlay: QWidget | None = None, guard: Iterable[QWidget] = ()) -> None:
        super().__init__(page)
        self.page = page
        self.ctx = page.ctx                     # the page's AppContext
        self.guard = list(guard)
        self._generation = 0
        self._pending = 0                       # the generation being loaded (0: none)
        self._guarded: list[tuple[QWidget, bool]] = []
        self._focus: QWidget | None = None
        self._overlay = _Overlay(overlay) if overlay is not None else None
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setSingleShot(True)
        self._overlay_timer.setInterval(OVERLAY_DELAY_MS)
        if self._overlay is not None:
            self._overlay_timer.timeout.connect(self._overlay.appear)

    def is_loading(self) -> bool:
        return self._pending != 0

    def load(self, job: Callable[[Any], Any], apply: Callable[[Any], None], off_thread: bool = True) -> None:
        """Run `job(store)` (a read) and then `apply(result)` on the GUI thread, unless a newer load
        was asked for meanwhile."""
        self._generation += 1
        generation = self._generation
        if not self._pending:
            self._begin()
        self._pending = generation

        def done(result: Any) -> None:
            if generation != self._generation:
                return                                   # superseded: the newer load applies its own
            self._finish()
            apply(result)
            self._restore_focus()
            self.loaded.emit()

        def failed(err: BaseException, trace: str) -> None:
            if generation != self._generation:
                return
            self._finish()
            log.error("loading %s failed:\n%s", type(self.page).__name__, trace)
            messages.show_error(self.page, f"Не удалось загрузить данные страницы: {err}\nПодробности записаны в журнал.")

        if off_thread:
            self.ctx.tasks.load(lambda tctx: job(tctx.open_store()), _alive(self, done), _alive(self, failed))
            return

        def here() -> None:
            if generation != self._generation:
                return
            try:
                result = job(self.ctx.store)
            except Exception as err:  # noqa: BLE001 - reported like a worker's failure
                failed(err, traceback.format_exc())
                return
            done(result)

        QTimer.singleShot(0, self, here)

    def _begin(self) -> None:
        # Disabling a widget takes the keyboard focus from it: given back after the load (unless
        # the widget is gone, e.g. a score cell rebuilt for the new work, or the user moved on).
        focus = QApplication.focusWidget()
        self._focus = focus if focus is not None and any(w is focus or w.isAncestorOf(focus) for w in self.guard) \
            else None
        self._guarded = [(w, w.isEnabled()) for w in self.guard]
        for widget in self.guard:
            widget.setEnabled(False)
        self._overlay_timer.start()

    def _restore_focus(self) -> None:
        focus, self._focus = self._focus, None
        if focus is None or not isValid(focus) or not focus.isVisible() or not focus.isEnabled():
            return
        current = QApplication.focusWidget()
        if current is None or not self.page.isAncestorOf(current) or not current.isEnabled():
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def _finish(self) -> None:
        self._pending = 0
        self._overlay_timer.stop()
        if self._overlay is not None:
            self._overlay.hide()
        for widget, enabled in self._guarded:   # `apply` then sets what depends on the data
            widget.setEnabled(enabled)
        self._guarded = []


def _alive(loader: PageLoader, slot: Callable[..., None]) -> Callable[..., None]:
    """`slot`, unless the page was closed (and the loader deleted) while the job ran."""
    def call(*args: Any) -> None:
        if isValid(loader):
            slot(*args)

    return call
