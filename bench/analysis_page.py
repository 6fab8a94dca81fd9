"""The «Анализ» step's GUI-thread stalls (issue 14): opening it on a store and switching to another
work, to the year and to a class, measured by the heartbeat of `bench/_stall.py`. Target: no stall
over 100 ms. The baseline, in the same run, is opening «Работы» (a table page read by a worker).

    cp -r bench/out/year_store/<key>/year/data /tmp/year
    QT_QPA_PLATFORM=offscreen python bench/analysis_page.py /tmp/year
(the copy's works get a scale if they have none, as in bench/analysis_store.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _stall import StallMeter  # noqa: E402
from analysis_store import _give_scales  # noqa: E402
from PySide6.QtCore import QThreadPool  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from coordinator_app.storage import open_store  # noqa: E402

WORKS, ANALYSIS = 2, 7


def main(folder: str) -> None:
    app = QApplication.instance() or QApplication([])
    store = open_store(folder)
    _give_scales(store)
    from ui.main_window import MainWindow

    window = MainWindow(store, Path(folder))
    window.resize(1366, 728)
    window.show()
    meter = StallMeter(app)
    pool = QThreadPool.globalInstance()

    def busy() -> bool:
        return pool.activeThreadCount() > 0

    with meter.action("start-up (settling, not counted)", busy=busy):
        pass
    with meter.action("open «Работы» (baseline)", busy=busy):
        window.nav.setCurrentRow(WORKS)
    with meter.action("open «Анализ»", busy=busy):
        window.nav.setCurrentRow(ANALYSIS)
    page = window.pages["Анализ"]
    with meter.action("another work", busy=busy):
        page.work_box.setCurrentIndex(min(1, page.work_box.count() - 1))
    with meter.action("a class", busy=busy):
        page.class_box.setCurrentIndex(min(1, page.class_box.count() - 1))
    with meter.action("the year", busy=busy):
        page.work_box.setCurrentIndex(page.work_box.findData(-1))
    for result in meter.results:
        print(result.line())
    base = meter.results[1].longest_stall_ms or 1
    worst = max(r.longest_stall_ms for r in meter.results[2:])
    print(f"longest stall on «Анализ»: {worst:.0f} ms ({worst / base:.1f}× opening «Работы»)")
    window.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
