"""Switching the school year with three years of a 1500-pupil school in the store (issue 15): the
year chosen above the steps, with every page opened, measured by the heartbeat of `bench/_stall.py`
(the longest time the window could not answer). Target: no stall over 100 ms. The baseline, in the
same run, is opening «Работы» on the same store.

The store (`bench/_three_years.py`, about a minute): 1500 pupils in grades 4–8; this year's 30 works
with every participant scored; the two years before as past works imported from «Индивидуальные
результаты» (9000 official rows a year).

    QT_QPA_PLATFORM=offscreen python bench/year_switch.py [FOLDER]   # builds FOLDER/data if absent
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Report  # noqa: E402
from _stall import StallMeter  # noqa: E402
from _three_years import build  # noqa: E402

STEPS = ["Работы", "Коды и протокол", "Сканы", "Проверка", "Выгрузка", "Анализ"]


def main(folder: Path) -> None:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from coordinator_app.storage import open_store

    data = folder / "data"
    if not (data / "coordinator.sqlite3").exists():
        build(folder)
    app = QApplication.instance() or QApplication([])
    store = open_store(data)
    from ui.main_window import MainWindow

    window = MainWindow(store, data)
    window.resize(1366, 728)
    window.show()
    meter = StallMeter(app)
    pool = QThreadPool.globalInstance()

    def busy() -> bool:
        return pool.activeThreadCount() > 0

    report = Report("year_switch")
    with meter.action("start-up (settling, not counted)", busy=busy):
        pass
    with meter.action("open «Работы» (baseline)", busy=busy):
        window.nav.setCurrentRow(window.pages.specs["Работы"][0])
    for step in STEPS[1:]:
        with meter.action(f"open «{step}»", busy=busy):
            window.nav.setCurrentRow(window.pages.specs[step][0])
    years = [window.year_box.itemData(i) for i in range(window.year_box.count())]
    for step in ("Работы", "Анализ", "Проверка"):
        window.nav.setCurrentRow(window.pages.specs[step][0])
        for year in [*years[1:], years[0]]:
            with meter.action(f"year {year} on «{step}»", busy=busy):
                window.choose_year(year)
    for result in meter.results:
        print(result.line())
    base = meter.results[1].longest_stall_ms or 1
    switches = [r for r in meter.results if r.name.startswith("year ")]
    worst = max(r.longest_stall_ms for r in switches)
    report.figure("years", len(years))
    report.figure("baseline_open_works_ms", round(base, 1), "ms")
    report.figure("longest_year_switch_stall_ms", round(worst, 1), "ms")
    report.figure("year_switch_vs_open_works", round(worst / base, 2), "×")
    report.figure("under_100_ms", worst < 100)
    report.data["actions"] = [r.as_dict() for r in meter.results]
    report.finish()
    window.close()
    store.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
