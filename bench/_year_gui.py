"""GUI child of bench/year_store.py: the main window on a copy of the year store, driven like a
user would, every action watched by the stall detector (bench/_stall.py).

    python bench/_year_gui.py DATA_DIR --work ID [--switches N] [--scores 50] [--steps 20]

Prints log lines, and one `@@ {json}` line per finished action (the parent collects them; if it
has to stop this process at its time cap, the actions reported so far still count).

Actions, in order:
  start-up           MainWindow built and shown as run_gui does (school set up), until settled
  purge offer        MainWindow.offer_purge() as run_gui schedules it after the first paint; the
                     confirmation is answered «Не сейчас» (the time to the question is reported)
  open «…»           every page of the navigation, in order, until settled
  switch work «…»    on every page with a work list, `--switches` times (user picking in the box)
  scores             `--scores` scores typed + Enter on «Проверка → По участнику» of work ID with
                     every page opened; per score: committed in the DB (ms), GUI CPU until settled
  next participant   PgDown → the next participant's first page shown in the viewer
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import ROOT  # noqa: F401,E402 - project root on sys.path


def page_down(app, tab) -> float:
    """PgDown on «По участнику»; ms until the next participant's first page is shown."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    expected = tab.rows[tab.pos + 1]
    start = time.perf_counter()
    QTest.keyClick(tab.cells[0], Qt.Key.Key_PageDown)
    while tab.panel.viewer.page is None or tab.panel.viewer.page.participant_id != expected.participant_id:
        app.processEvents()
        if time.perf_counter() - start > 30:
            raise SystemExit("the next participant's page never appeared")
    return (time.perf_counter() - start) * 1000

def emit(kind: str, data: dict) -> None:
    print("@@ " + json.dumps({"kind": kind, **data}, ensure_ascii=False), flush=True)


def log(text: str) -> None:
    print(f"# {text}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--work", type=int, required=True, help="the work to score and to switch to")
    parser.add_argument("--other-work", type=int, required=True, help="the second work of the switches")
    parser.add_argument("--switches", type=int, default=2)
    parser.add_argument("--scores", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20, help="PgDown moves measured")
    parser.add_argument("--cap", type=float, default=600, help="seconds one action may take to settle")
    args = parser.parse_args(argv)

    from _stall import StallMeter, dismiss_dialogs
    from PySide6.QtCore import Qt, QThreadPool
    from PySide6.QtTest import QTest

    from ui.app import _application

    app = _application()
    meter = StallMeter(app)
    keep_alive = dismiss_dialogs(app, log)  # noqa: F841

    # The purge offer's question is answered «Не сейчас»; the time it was asked is noted.
    asked: list[float] = []

    def not_now(*_a, **_k) -> bool:
        asked.append(time.perf_counter())
        return False

    import ui.messages

    ui.messages.confirm = not_now
    import ui.dialogs.retention_dialog as retention_dialog

    if hasattr(retention_dialog, "confirm"):
        retention_dialog.confirm = not_now

    from coordinator_app.storage import open_store
    from coordinator_app.storage.lock import DataDirLock

    folder = Path(args.data_dir)
    lock = DataDirLock(folder)
    lock.acquire()
    store = open_store(folder)
    pool = QThreadPool.globalInstance()
    window = None

    def busy() -> bool:
        running = window is not None and window.ctx.tasks.active > 0
        return running or pool.activeThreadCount() > 0

    def report(result, **extra) -> None:
        result.extra.update(extra)
        print(result.line(), flush=True)
        emit("action", result.as_dict())

    # -- start-up ---------------------------------------------------------------------------------
    with meter.action("start-up (window built, shown, settled)", busy, cap_s=args.cap) as r:
        from ui.main_window import MainWindow

        window = MainWindow(store, folder)
        window.show()
        if not window.ensure_school():
            raise SystemExit("the wizard was shown: the store has no school")
    report(r)

    with meter.action("purge offer at start", busy, cap_s=args.cap) as r:
        started = time.perf_counter()
        window.offer_purge()
    report(r, asked_after_ms=round((asked[-1] - started) * 1000, 1) if asked else None)

    # -- every page -------------------------------------------------------------------------------
    titles = list(window.pages.specs)
    for row, title in enumerate(titles):
        with meter.action(f"open «{title}»", busy, cap_s=args.cap) as r:
            window.nav.setCurrentRow(row)
        report(r, page=title)

    # -- switching work on every page with a work list --------------------------------------------
    for row, title in enumerate(titles):
        page = window.pages[title]
        box = getattr(page, "work_box", None)
        if box is None:
            continue
        window.nav.setCurrentRow(row)
        meter.settle(busy, cap_s=args.cap)
        targets = [args.other_work, args.work]
        for n in range(args.switches):
            index = box.findData(targets[n % 2])
            if index < 0 or index == box.currentIndex():
                index = box.findData(targets[(n + 1) % 2])
            with meter.action(f"switch work «{title}»", busy, cap_s=args.cap) as r:
                box.setCurrentIndex(index)
            report(r, page=title, switch=n + 1)

    # -- scoring with every page opened ------------------------------------------------------------
    scoring_row = titles.index("Проверка")
    window.nav.setCurrentRow(scoring_row)
    page = window.pages["Проверка"]
    page.work_box.setCurrentIndex(page.work_box.findData(args.work))
    tab = page.participant_tab
    page.tabs.setCurrentWidget(tab)
    meter.settle(busy, cap_s=args.cap)
    work_tasks = tab.sheet.work.tasks

    def committed_value(participant_id: int, task_id: str):
        return store.scalar("SELECT value FROM scores WHERE participant_id = ? AND round = 1 AND task_id = ?",
                            [participant_id, task_id])

    per_participant = 5
    commit_ms: list[float] = []
    enter_cpu_ms: list[float] = []
    enter_stall_ms: list[float] = []
    next_ms: list[float] = []
    next_stall_ms: list[float] = []
    scores_done = 0
    with meter.action(f"{args.scores} scores with every page opened", busy, quiet_ms=400, cap_s=args.cap) as whole:
        while scores_done < args.scores:
            row = tab.current()
            for index, cell in enumerate(tab.cells[:per_participant]):
                if scores_done >= args.scores:
                    break
                task = work_tasks[index]
                value = "0" if committed_value(row.participant_id, task.task_id) != "0" else "1"
                cell.setFocus()
                cell.setText(value)
                meter.spin(5)
                cpu = time.thread_time()
                gap_before = meter._longest
                meter._longest = 0.0
                start = time.perf_counter()
                QTest.keyClick(cell, Qt.Key.Key_Return)
                while committed_value(row.participant_id, task.task_id) != value:
                    app.processEvents()
                    if time.perf_counter() - start > 10:
                        raise SystemExit("a score was never committed")
                commit_ms.append((time.perf_counter() - start) * 1000)
                meter.settle(busy, quiet_ms=150, cap_s=args.cap)   # the typist's pause: deferred work runs
                enter_cpu_ms.append((time.thread_time() - cpu) * 1000)
                enter_stall_ms.append(meter._longest * 1000)
                meter._longest = max(meter._longest, gap_before)
                scores_done += 1
            if scores_done < args.scores:
                next_ms.append(page_down(app, tab))
                meter.settle(busy, quiet_ms=150, cap_s=args.cap)
    report(whole, scores=scores_done,
           commit_median_ms=round(statistics.median(commit_ms), 1), commit_p95_ms=round(pct(commit_ms, 0.95), 1),
           enter_gui_cpu_median_ms=round(statistics.median(enter_cpu_ms), 1),
           enter_gui_cpu_p95_ms=round(pct(enter_cpu_ms, 0.95), 1),
           enter_longest_stall_ms=round(max(enter_stall_ms), 1))

    # -- the next participant --------------------------------------------------------------------
    for _ in range(args.steps):
        if tab.pos + 1 >= len(tab.rows):
            break
        tab.cells[0].setFocus()
        with meter.action("next participant (PgDown)", busy, quiet_ms=150, cap_s=args.cap) as r:
            next_ms.append(page_down(app, tab))
        next_stall_ms.append(r.longest_stall_ms)
        meter.results.pop()
    emit("next", {"moves": len(next_ms), "first_page_median_ms": round(statistics.median(next_ms), 1),
                  "first_page_max_ms": round(max(next_ms), 1),
                  "longest_stall_ms": round(max(next_stall_ms), 1) if next_stall_ms else None,
                  "stall_median_ms": round(statistics.median(next_stall_ms), 1) if next_stall_ms else None})
    print(f"stall next participant (PgDown): longest {max(next_stall_ms):.0f} ms over {len(next_stall_ms)} moves, "
          f"first page shown median {statistics.median(next_ms):.0f} ms", flush=True)

    window.ctx.tasks.wait_all(60_000)
    window.close()
    store.close()
    lock.release()
    emit("done", {})
    return 0


if __name__ == "__main__":
    sys.exit(main())
