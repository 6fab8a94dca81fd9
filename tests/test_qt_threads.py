"""Qt objects and Qt classes belong to the GUI thread: the start-up's background imports define no
Qt class (a page module imported on that thread crashed the process inside Shiboken)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path


class _Recorder:
    """A meta-path finder that finds nothing and notes which thread asked for which `ui` module."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 - the finder protocol
        if name.startswith("ui."):
            self.seen.append((name, threading.current_thread() is threading.main_thread()))
        return None


def test_page_modules_are_imported_on_the_gui_thread_only(qtbot, school_store, data_dir: Path, monkeypatch) -> None:
    import ui.pages
    from ui.main_window import MainWindow

    pages = ("works_page", "exports_page", "scans", "scoring", "analysis")
    for name in [m for m in list(sys.modules) if m.startswith(tuple(f"ui.pages.{p}" for p in pages))]:
        monkeypatch.delitem(sys.modules, name)
    for p in pages:
        monkeypatch.delattr(ui.pages, p, raising=False)
    recorder = _Recorder()
    monkeypatch.setattr(sys, "meta_path", [recorder, *sys.meta_path])
    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        qtbot.waitUntil(lambda: all(f"ui.pages.{p}" in sys.modules for p in pages), timeout=30000)
    except Exception:
        warm = win._warm
        raise AssertionError(f"not imported: {[p for p in pages if f'ui.pages.{p}' not in sys.modules]}; "
                             f"queued {win._warm_queued}, thread alive {warm.thread.is_alive()}, "
                             f"timer active {warm.timer.isActive()}, left {warm.modules}, "
                             f"failed {warm.failed}") from None
    win._warm.join(30)
    assert {n for n, _main in recorder.seen} >= {f"ui.pages.{p}" for p in pages}
    assert [n for n, main in recorder.seen if not main] == []
    assert "coordinator_app.work_analysis" in sys.modules          # the domain was warmed by the thread
