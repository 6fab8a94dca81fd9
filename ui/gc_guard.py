"""Python's cycle collector runs on the GUI thread only.

The collector runs in whichever thread happens to allocate when a generation fills up. When that is
a worker (an export building an openpyxl workbook) and the garbage holds Qt wrappers, their C++
objects are destroyed off the GUI thread, and Qt crashes the process (seen as a segfault in
«Garbage-collecting» under `fisoko/blank.py`). The cure is the one pyqtgraph ships
(`pyqtgraph.util.garbage_collector`) and Anki uses: turn automatic collection off and collect, by
the same generation thresholds, from a timer on the GUI thread. Reference counting still frees
everything that is not in a cycle at once; only cycles wait for the next tick.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the generation counts.
INTERVAL_MS = 1000
#: The least time between two full collections. CPython's own automatic collection defers a full
#: one until the objects waiting for it are a quarter of the long-lived ones, which Python code
#: cannot see; a full collection of the window's heap costs 80–120 ms, so it runs at most this often.
FULL_EVERY_S = 30.0
_last_full = 0.0


def collect_due(threshold: tuple[int, int, int] | None = None, full_every_s: float = FULL_EVERY_S) -> int:
    """Collect the generations whose counts passed their thresholds, as automatic collection would
    have (a full collection at most every `full_every_s`). Call on the GUI thread. Returns the
    number of unreachable objects found."""
    global _last_full
    t0, t1, t2 = threshold or _thresholds()
    c0, c1, c2 = gc.get_count()
    found = 0
    if c0 > t0:
        found += gc.collect(0)
        if c1 > t1:
            found += gc.collect(1)
            now = time.monotonic()
            if c2 > t2 and now - _last_full >= full_every_s:
                found += gc.collect(2)
                _last_full = now
    return found


def freeze_start_up() -> None:
    """Once the program's modules are all imported: their objects (classes, functions, constants —
    most of the heap) move to the permanent generation, so a full collection scans only what was
    made since (80–120 ms → a few ms on a school year's store)."""
    gc.freeze()


_saved_threshold: tuple[int, int, int] | None = None


def _thresholds() -> tuple[int, int, int]:
    return _saved_threshold or gc.get_threshold()


def take_over_collection() -> tuple[int, int, int]:
    """Turn automatic collection off (idempotent); return the thresholds `collect_due` keeps."""
    global _saved_threshold
    if _saved_threshold is None:
        _saved_threshold = gc.get_threshold()
    gc.disable()
    return _saved_threshold


class GuiThreadCollector(QObject):
    """Owned by the application: from its creation on, cycles are collected on the GUI thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        take_over_collection()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> int:
        return collect_due()
