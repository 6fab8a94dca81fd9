"""Child process of bench/startup.py: start a window, note when it first paints, quit.

    python bench/_startup_driver.py app DATA_DIR     the program's main window, built as run_gui does
    python bench/_startup_driver.py bare             QApplication + an empty QMainWindow

The parent puts its `time.time()` taken right before Popen into $BENCH_T0. Each mark below is
`time.time() - BENCH_T0` in seconds (same clock, same machine), printed as one JSON line:
  python_up    the driver's first line runs (interpreter start + site)
  imports      the modules needed before the window are imported
  window       the window object is built (app: data dir opened, MainWindow constructed)
  painted      the first Paint event of the window or one of its children, after show()
"""

from __future__ import annotations

import time

MARKS: dict[str, float] = {}
_t_first_line = time.time()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

T0 = float(os.environ["BENCH_T0"])
MARKS["python_up"] = _t_first_line - T0


def mark(name: str) -> None:
    MARKS[name] = time.time() - T0


def run_bare() -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    mark("imports")
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1200, 760)
    mark("window")
    return _show_and_wait(app, window, QEvent, QObject, QTimer)


def run_app(data_dir: str) -> int:
    # What `vpr-coordinator --data-dir D` runs: ui.launcher -> coordinator_app.cli.main (argparse)
    # -> ui.app.run_gui. run_gui is re-enacted step by step (minus the crash dialog and the
    # wizard branch, which a set-up data dir never reaches) so the driver can hook the first paint.
    from PySide6.QtCore import QEvent, QObject, QTimer

    import ui.launcher  # noqa: F401 - the entry module and its imports are part of start-up
    from coordinator_app.cli import build_parser
    from coordinator_app.logging_setup import install_crash_hook, setup_logging
    from coordinator_app.paths import resolve_data_dir
    from coordinator_app.storage import open_store
    from coordinator_app.storage.lock import DataDirLock
    from ui.app import _application

    args = build_parser().parse_args(["--data-dir", data_dir])
    app = _application()
    folder = resolve_data_dir(args.data_dir)
    setup_logging(folder)
    install_crash_hook(folder, lambda report, summary: (print(f"crash: {summary} ({report})",
                                                              file=sys.stderr), app.exit(1)))
    lock = DataDirLock(folder)
    lock.acquire()
    try:
        store = open_store(folder)
        from ui.main_window import MainWindow

        mark("imports")
        window = MainWindow(store, folder)
        mark("window")
        code = _show_and_wait(app, window, QEvent, QObject, QTimer,
                              after_show=lambda: window.ensure_school() or sys.exit("wizard shown: set up the school first"))
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)  # loads started by the pages
        store.close()
        return code
    finally:
        lock.release()


def _show_and_wait(app, window, QEvent, QObject, QTimer, after_show=None) -> int:  # noqa: ANN001, N803
    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # noqa: ANN001, N802
            if event.type() == QEvent.Type.Paint and "painted" not in MARKS:
                widget_window = getattr(obj, "window", None)
                if callable(widget_window) and widget_window() is window:
                    mark("painted")
                    app.removeEventFilter(self)
                    QTimer.singleShot(0, app.quit)
            return False

    spy = FirstPaint()
    app.installEventFilter(spy)
    window.show()
    if after_show is not None:
        after_show()
    QTimer.singleShot(15_000, lambda: app.exit(3))  # never painted: give up
    code = app.exec()
    if "painted" not in MARKS:
        print("no paint event within 15 s", file=sys.stderr)
        return code or 3
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "bare"):
        print(__doc__, file=sys.stderr)
        return 2
    code = run_app(argv[1]) if argv[0] == "app" else run_bare()
    print(json.dumps(MARKS), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
