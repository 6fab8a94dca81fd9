"""Cycles are collected on the GUI thread only: a worker that allocates never runs the collector
(which would destroy Qt objects off the GUI thread and crash the program)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = r"""
import gc, json, threading, sys
from PySide6.QtCore import QRunnable, QThreadPool, QTimer
sys.path.insert(0, {root!r})
from ui.app import _application

gc.enable()                       # a fresh interpreter collects automatically
app = _application()
main = threading.get_ident()
seen = []
gc.callbacks.append(lambda phase, info: phase == "start" and seen.append(threading.get_ident() == main))

class Job(QRunnable):
    def run(self):
        keep = []
        for i in range(200_000):   # far past generation 0's threshold, all in cycles
            a = []; a.append(a); keep.append(a) if i % 1000 == 0 else None

QThreadPool.globalInstance().start(Job())
QThreadPool.globalInstance().waitForDone()
QTimer.singleShot(1500, app.quit)  # the collector's timer gets to run on the GUI thread
app.exec()
print(json.dumps({{"enabled": gc.isenabled(), "worker": seen.count(False), "main": seen.count(True)}}))
"""


def test_the_collector_runs_on_the_gui_thread_only(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", _PROBE.format(root=str(ROOT))], env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["enabled"] is False
    assert result["worker"] == 0
    assert result["main"] >= 1          # the garbage the worker left is collected, on the GUI thread


def test_collect_due_follows_the_thresholds() -> None:
    import gc

    from ui.gc_guard import collect_due

    gc.collect()
    assert collect_due((10**9, 10, 10)) == 0          # below the threshold: nothing runs
    for _ in range(50):
        a: list = []
        a.append(a)
    del a
    assert collect_due((1, 10**9, 10**9)) >= 50       # past it: the cycles are found


def test_a_full_collection_runs_at_most_every_interval(monkeypatch) -> None:
    import gc

    from ui import gc_guard

    full = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: full.append(generation) or 0)
    monkeypatch.setattr(gc, "get_count", lambda: (800, 11, 11))
    monkeypatch.setattr(gc_guard, "_last_full", 0.0)
    gc_guard.collect_due((700, 10, 10), full_every_s=3600)
    gc_guard.collect_due((700, 10, 10), full_every_s=3600)
    assert full == [0, 1, 2, 0, 1]                    # the second full one waits for the interval
