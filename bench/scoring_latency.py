"""Scoring latency in the GUI, with a full store: 1500 participants and 3000 scanned pages.

Figures (issue 4): the time from a score typed into a cell of «Проверка → По участнику» and Enter
pressed to the value being committed in the database (median and p95, target < 15 ms), and the
time from moving to the next participant (PgDown) to their first page shown in the viewer
(target < 100 ms). Every page of the main window is opened first (and the program settles), as a
coordinator's session has them: a hidden page that reacts to each score is part of the figure
(issue 9); before that change only «Проверка» was opened. Measured offscreen with QTest key events,
so painting on a real screen is not included. Pages are 150 dpi greyscale JPEGs (smaller than a 200 dpi scan, to keep the set-up short).

Usage: QT_QPA_PLATFORM=offscreen python bench/scoring_latency.py [--participants 1500] [--pages 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import Report


def build(root: Path, participants: int, pages: int):
    from PIL import ImageDraw

    from coordinator_app.codes import assign_codes
    from coordinator_app.scans.importer import import_scans
    from coordinator_app.school import School, save_school
    from coordinator_app.storage import open_store
    from coordinator_app.students import add_student
    from coordinator_app.works import TaskDef, WorkDef, create_work
    from tests.fixtures.scan_pages import plain_page

    store = open_store(root / "data")
    save_school(store, School(name="Школа", login="sch123456", academic_year="2025/2026"))
    letters = "АБВГДЕЖИКЛМНОПРС"
    with store.atomic():
        for i in range(participants):
            add_student(store, f"Фамилия{chr(1072 + i % 32)}", "Имя", "", f"5{letters[i // 100 % len(letters)]}")
    classes = sorted({f"5{letters[i // 100 % len(letters)]}" for i in range(participants)})
    tasks = [TaskDef(str(i), 2) for i in range(1, 16)]
    work_id, _ = create_work(store, WorkDef("Русский язык", 5, dt.date.today(), tasks, classes=classes, scale=[10, 16, 21]))
    assign_codes(store, work_id)
    codes = [r["code"] for r in store.query("SELECT code FROM participants WHERE work_id = ? ORDER BY code", [work_id])]
    folder = root / "pages"
    folder.mkdir()
    base = plain_page(dpi=150, seed=3)
    per = max(1, pages // len(codes))
    for code in codes:
        for k in range(per):
            page = base.copy()
            ImageDraw.Draw(page).text((40, 40), f"{code}-{k}", fill=0)
            page.save(folder / f"{code}_{k + 1}.jpg", "JPEG", quality=80)
    import_scans(store, [folder], work_id=work_id, workers=2)
    return store, work_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=1500)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=60, help="participants to go through")
    args = parser.parse_args()
    report = Report("scoring_latency")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        store, work_id = build(root, args.participants, args.pages)
        report.note(f"store: {args.participants} participants, "
                    f"{store.scalar('SELECT COUNT(*) FROM scan_pages')} pages, built in {time.perf_counter() - t:.0f} s")
        from ui.main_window import MainWindow

        window = MainWindow(store, root / "data")
        window.resize(1400, 900)
        window.show()
        from PySide6.QtCore import QThreadPool

        def settle() -> None:     # until no background job runs and pending events are done
            deadline = time.perf_counter() + 600
            while (window.ctx.tasks.active or QThreadPool.globalInstance().activeThreadCount()) \
                    and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.01)
            for _ in range(20):
                app.processEvents()
                time.sleep(0.01)

        t = time.perf_counter()
        titles = list(window.pages.specs)
        for row in range(len(titles)):       # every page, as in a coordinator's session
            window.nav.setCurrentRow(row)
            settle()
        report.note(f"all {len(titles)} pages opened in {time.perf_counter() - t:.1f} s")
        window.nav.setCurrentRow(titles.index("Проверка"))
        page = window.pages["Проверка"]
        page.work_box.setCurrentIndex(page.work_box.findData(work_id))
        tab = page.participant_tab
        page.tabs.setCurrentWidget(tab)
        settle()
        score_times, switch_times = [], []
        for step in range(args.steps):
            row = tab.current()
            for index, cell in enumerate(tab.cells[:5]):
                cell.setFocus()
                value = str((step + index) % 3)
                cell.setText(value)
                start = time.perf_counter()
                QTest.keyClick(cell, Qt.Key.Key_Return)
                while store.scalar("SELECT value FROM scores WHERE participant_id = ? AND round = 1 AND task_id = ?",
                                   [row.participant_id, tab.sheet.work.tasks[index].task_id]) != value:
                    app.processEvents()       # today the commit is synchronous: no wait here
                    if time.perf_counter() - start > 10:
                        raise SystemExit("a score was never committed")
                score_times.append(time.perf_counter() - start)
                for _ in range(3):            # the typist's pause: deferred work (hidden pages) runs
                    app.processEvents()
            expected = tab.rows[tab.pos + 1]
            start = time.perf_counter()
            QTest.keyClick(tab.cells[0], Qt.Key.Key_PageDown)
            while tab.panel.viewer.page is None or tab.panel.viewer.page.participant_id != expected.participant_id:
                app.processEvents()
                if time.perf_counter() - start > 5:
                    raise SystemExit("the next participant's page never appeared")
            switch_times.append(time.perf_counter() - start)
        scores = store.scalar("SELECT COUNT(*) FROM scores")
        report.figure("scores_committed", scores)
        report.figure("score_median_ms", round(statistics.median(score_times) * 1000, 1), "ms",
                      "score typed + Enter → committed, median")
        report.figure("score_p95_ms", round(sorted(score_times)[int(len(score_times) * 0.95)] * 1000, 1), "ms",
                      "score typed + Enter → committed, p95")
        report.figure("switch_median_ms", round(statistics.median(switch_times) * 1000, 1), "ms",
                      "PgDown → next participant's first page shown, median")
        report.figure("switch_max_ms", round(max(switch_times) * 1000, 1), "ms",
                      "PgDown → next participant's first page shown, max")
        window.close()
        store.close()
    report.finish()


if __name__ == "__main__":
    sys.exit(main())
