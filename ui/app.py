"""GUI start-up: data dir, single-instance lock, logging, crash dialog, wizard, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from coordinator_app import APP_TITLE, __version__
from coordinator_app.errors import AlreadyRunningError, StorageError
from coordinator_app.logging_setup import install_crash_hook, setup_logging
from coordinator_app.paths import resolve_data_dir
from coordinator_app.resources import resource_path
from coordinator_app.school import School, save_school
from coordinator_app.storage import open_store
from coordinator_app.storage.lock import DataDirLock

from . import messages
from .gc_guard import GuiThreadCollector

log = logging.getLogger(__name__)
SMOKE_TEST_MS = 800


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("vpr-coordinator")
    app.setApplicationDisplayName(APP_TITLE)
    app.setApplicationVersion(__version__)
    icon = resource_path("icons", "app.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    install_russian_qt(app)
    if getattr(app, "_vpr_collector", None) is None:
        app._vpr_collector = GuiThreadCollector(app)  # type: ignore[attr-defined]
    return app


#: Qt's own catalogues loaded for its built-in texts: buttons of message boxes («Да», «Нет»,
#: «Показать подробности…»), context menus of text fields, file dialogs.
QT_CATALOGUES = ("qtbase",)


def install_russian_qt(app: QApplication) -> list[str]:
    """Load Qt's bundled Russian translation (shipped with PySide6 and kept in the PyInstaller
    build by the spec), whatever the system's language: every text the user reads is Russian.
    Returns the catalogues loaded; a missing one is logged, never fatal."""
    QLocale.setDefault(QLocale(QLocale.Language.Russian, QLocale.Country.Russia))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = getattr(app, "_vpr_translators", None)
    if loaded is not None:  # already installed on this application
        return [name for name, _ in loaded]
    loaded = []
    for name in QT_CATALOGUES:
        translator = QTranslator(app)
        if translator.load(f"{name}_ru", folder):
            app.installTranslator(translator)
            loaded.append((name, translator))
        else:
            log.warning("Qt translation %s_ru not found in %s", name, folder)
    app._vpr_translators = loaded  # type: ignore[attr-defined]  # kept alive with the application
    return [name for name, _ in loaded]


def run_gui(data_dir: str | None = None, smoke_test: bool = False) -> int:
    app = _application()
    throwaway: Path | None = None
    if smoke_test:
        import tempfile

        throwaway = Path(tempfile.mkdtemp(prefix="vpr-smoke-"))
        folder = throwaway
    else:
        folder = resolve_data_dir(data_dir)
    failures: list[str] = []
    try:
        setup_logging(folder)

        def notify(report: Path, summary: str) -> None:
            failures.append(summary)
            if smoke_test:
                print(f"smoke test: crash {summary} ({report})", file=sys.stderr)
                app.exit(1)
            else:
                messages.show_crash(report, summary)

        install_crash_hook(folder, notify)
        lock = DataDirLock(folder)
        try:
            lock.acquire()
        except AlreadyRunningError as err:
            messages.inform(None, str(err), APP_TITLE)
            return 0
        try:
            try:
                store = open_store(folder)
            except StorageError as err:
                messages.show_error(None, str(err), APP_TITLE, critical=True)
                return 1
            from coordinator_app.scans.leftovers import remove_leftovers  # start-up: once the lock is held

            remove_leftovers(store)       # files of an import that was killed (one stat when none)
            from .main_window import MainWindow  # start-up: once the lock is held

            window = MainWindow(store, folder)
            if smoke_test:
                save_school(store, School(name="Проверочная школа", login="sch000001"))
                window.reload_school()
                window.show()
                QTimer.singleShot(SMOKE_TEST_MS, window.close)
                code = app.exec()
                russian = bool(getattr(app, "_vpr_translators", None))
                if not russian:
                    print("smoke test: Qt's Russian translation (qtbase_ru.qm) was not loaded", file=sys.stderr)
                ok = code == 0 and not failures and window.isVisible() is False and russian
                print("smoke test: ok" if ok else "smoke test: FAILED")
                return 0 if ok else 1
            window.show()
            if not window.ensure_school():
                return 0
            QTimer.singleShot(0, window.offer_purge)   # once the window is on screen
            QTimer.singleShot(0, window.run_scheduled_backup)
            return app.exec()
        finally:
            lock.release()
    finally:
        if throwaway is not None:
            import shutil

            logging.shutdown()
            shutil.rmtree(throwaway, ignore_errors=True)
