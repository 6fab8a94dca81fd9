"""GUI stall detector for the benchmarks: a heartbeat timer on the GUI thread.

A precise QTimer beats every `interval_ms` (5 ms) on the GUI thread; whatever keeps that thread
busy (a slow query in a slot, a page rebuilding itself) delays the next beat, so the longest gap
between beats during an action is the longest time the window could not repaint or answer a key.

    meter = StallMeter(app)            # after QApplication exists
    with meter.action("open «Сканы»", busy=lambda: runner.active > 0):
        window.nav.setCurrentRow(4)    # synchronous part; the settling is done by the meter
    print(meter.results[-1].line())

An action is "settled" when, for `quiet_ms` in a row, the heartbeat saw no gap over
`busy_gap_ms` and `busy()` (e.g. the TaskRunner's running jobs, the thread pool) said nothing is
running. Its total time runs from the action's start to the end of the last busy moment (the last
long gap or the last poll that found work running), so the quiet wait itself is not counted.
`gui_cpu_ms` is the GUI thread's CPU time (time.thread_time) over the action and its settling.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class ActionResult:
    name: str
    longest_stall_ms: float
    total_ms: float
    gui_cpu_ms: float
    timed_out: bool = False
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        flag = " (not settled within the cap)" if self.timed_out else ""
        return (f"stall {self.name}: longest {self.longest_stall_ms:.0f} ms, total {self.total_ms:.0f} ms, "
                f"GUI-thread CPU {self.gui_cpu_ms:.0f} ms{flag}")

    def as_dict(self) -> dict:
        data = {"action": self.name, "longest_stall_ms": round(self.longest_stall_ms, 1),
                "total_ms": round(self.total_ms, 1), "gui_cpu_ms": round(self.gui_cpu_ms, 1)}
        if self.timed_out:
            data["timed_out"] = True
        data.update(self.extra)
        return data


class StallMeter:
    def __init__(self, app, interval_ms: int = 5, busy_gap_ms: float = 25.0) -> None:  # noqa: ANN001
        from PySide6.QtCore import QObject, Qt, QTimer

        self.app = app
        self.interval_ms = interval_ms
        self.busy_gap = busy_gap_ms / 1000
        self._holder = QObject()
        self._timer = QTimer(self._holder)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = time.perf_counter()
        self._longest = 0.0
        self._last_busy = self._last
        self.results: list[ActionResult] = []
        self._timer.start()

    # -- heartbeat --------------------------------------------------------------------------------
    def _beat(self) -> None:
        now = time.perf_counter()
        gap = now - self._last
        if gap > self._longest:
            self._longest = gap
        if gap > self.busy_gap:
            self._last_busy = now
        self._last = now

    def reset(self) -> None:
        self._last = time.perf_counter()
        self._longest = 0.0
        self._last_busy = self._last

    # -- waiting ----------------------------------------------------------------------------------
    def spin(self, ms: float) -> None:
        """Run the GUI event loop for `ms` (timers, queued signals, paint events)."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(max(1, int(ms)), loop.quit)
        loop.exec()

    def settle(self, busy: Callable[[], bool] | None = None, quiet_ms: float = 400, cap_s: float = 600) -> bool:
        """Run the event loop until quiet for `quiet_ms`; False if `cap_s` passed first."""
        start = time.perf_counter()
        while True:
            self.spin(10)
            now = time.perf_counter()
            if busy is not None and busy():
                self._last_busy = now
            if now - self._last_busy >= quiet_ms / 1000 and now - self._last < self.busy_gap:
                return True
            if now - start > cap_s:
                return False

    # -- one measured action ----------------------------------------------------------------------
    @contextlib.contextmanager
    def action(self, name: str, busy: Callable[[], bool] | None = None, quiet_ms: float = 400,
               cap_s: float = 600, settle: bool = True) -> Iterator[ActionResult]:
        result = ActionResult(name, 0.0, 0.0, 0.0)
        self.spin(5)
        self.reset()
        start = time.perf_counter()
        cpu = time.thread_time()
        self._last_busy = start
        yield result
        after_call = time.perf_counter()
        self._last_busy = max(self._last_busy, after_call)
        if settle:
            result.timed_out = not self.settle(busy, quiet_ms, cap_s)
        else:
            self.spin(self.interval_ms * 3)   # one beat after the call, to see its gap
        result.longest_stall_ms = self._longest * 1000
        result.total_ms = (max(self._last_busy, after_call) - start) * 1000
        result.gui_cpu_ms = (time.thread_time() - cpu) * 1000
        self.results.append(result)


def dismiss_dialogs(app, log: Callable[[str], None] = print, every_ms: int = 300):  # noqa: ANN001
    """Close any modal dialog that pops up (an error box, a question) so a run never hangs; each
    one is logged with its text. Returns the timer (keep a reference)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog

    def sweep() -> None:
        widget = app.activeModalWidget()
        if isinstance(widget, QProgressDialog):    # a background job's progress: let it run
            return
        if isinstance(widget, QMessageBox):
            log(f"dismissed a message box: {widget.windowTitle()!r}: {widget.text()[:200]!r}")
            widget.reject()
        elif isinstance(widget, QDialog) and widget.isVisible():
            log(f"dismissed a dialog: {widget.windowTitle()!r}")
            widget.reject()

    timer = QTimer()
    timer.setInterval(every_ms)
    timer.timeout.connect(sweep)
    timer.start()
    return timer
