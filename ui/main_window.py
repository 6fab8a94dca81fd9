"""The main window: navigation along the steps of the job on the left, the step's page on the right."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import APP_TITLE, __version__
from coordinator_app.changes import Changes, Topic
from coordinator_app.school import get_school
from coordinator_app.school_years import current_year, list_years
from coordinator_app.storage import Store

from . import messages, style
from .bus import ChangeBus
from .context import AppContext
from .expert_mode import ExpertMode
from .gc_guard import freeze_start_up
from .ops import ChangeOp
from .tasks import TaskRunner
from .widgets import fit_to_screen


def _warm_imports(modules: list[str]) -> None:
    """Import modules the window will need soon — never a Qt one — on a background thread, so the
    first page open or the first saved score does not pay for them on the GUI thread. An import
    that fails here fails again, and is reported, where it is really needed.

    Qt's classes must be defined on the GUI thread: a page module subclassing a widget imported
    here raced the GUI thread inside Shiboken and crashed the process (seen as a segfault at
    `class PageStrip(QListWidget)`). So the thread imports the domain the pages use
    (`domain_modules`), and `_WarmPages` imports the page modules themselves on the GUI thread."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the real import reports it
            pass


def domain_modules() -> list[str]:
    """Every module of the domain (`coordinator_app`, without its command line): what the pages
    import besides Qt. Listed by the package's finder, not imported: safe off the GUI thread, and
    the same in the PyInstaller build, whose importer lists packages too."""
    import pkgutil

    import coordinator_app

    return [m.name for m in pkgutil.walk_packages(coordinator_app.__path__, "coordinator_app.")
            if not m.name.startswith(("coordinator_app.cli", "coordinator_app.__main__"))]


class _WarmPages:
    """After the thread has imported what the pages need, the page modules themselves, one per turn
    of the GUI thread's event loop (each a few milliseconds once its libraries are loaded)."""

    def __init__(self, thread: threading.Thread, modules: list[str]) -> None:
        self.thread, self.modules = thread, list(modules)
        self.failed: list[str] = []     # "module: error" of imports that failed here (reported again where needed)
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._step)

    def start(self) -> None:
        self.thread.start()
        self.timer.start()

    def _step(self) -> None:
        if self.thread.is_alive():
            return
        if not self.modules:
            self.timer.stop()
            freeze_start_up()           # every module is loaded: the collector skips them from now on
            return
        name = self.modules.pop(0)
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - the real import reports it
            self.failed.append(f"{name}: {err!r}")

    def join(self, timeout: float | None = None) -> None:
        """Tests: wait for the thread, then import what is left (on the calling, GUI, thread)."""
        self.thread.join(timeout)
        while self.modules:
            self._step()


class _LazyPages:
    """The pages by title, each built on first use and swapped into its place in the stack."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        self.specs: dict[str, tuple[int, str, str]] = {}
        self.built: dict[str, QWidget] = {}

    def register(self, title: str, index: int, module: str, cls: str) -> None:
        self.specs[title] = (index, module, cls)

    def build(self, index: int) -> QWidget:
        title = next(t for t, (i, _, _) in self.specs.items() if i == index)
        return self[title]

    def __getitem__(self, title: str) -> QWidget:
        if title not in self.built:
            index, module, cls = self.specs[title]
            page = getattr(importlib.import_module(f"ui.pages.{module}"), cls)(self.window.ctx)
            stack = self.window.stack
            placeholder = stack.widget(index)
            current = stack.currentIndex()
            stack.insertWidget(index, page)
            stack.removeWidget(placeholder)
            placeholder.deleteLater()
            stack.setCurrentIndex(current)
            self.built[title] = page
        return self.built[title]

    def __contains__(self, title: str) -> bool:
        return title in self.specs

    def values(self) -> list[QWidget]:
        return list(self.built.values())


class MainWindow(QMainWindow):
    def __init__(self, store: Store, data_dir: Path) -> None:
        super().__init__()
        self.bus = ChangeBus(self)
        self.ctx = AppContext(store=store, bus=self.bus, tasks=TaskRunner(data_dir, store.actor, self),
                              data_dir=data_dir)
        self.setWindowTitle(APP_TITLE)
        self.setMinimumSize(QSize(960, 600))

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setMinimumWidth(228)
        self.nav.setMaximumWidth(260)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setStyleSheet(style.NAVIGATION_STYLE)
        self.stack = QStackedWidget()
        qt_style = self.style()
        steps = [
            ("Школа", QStyle.StandardPixmap.SP_DirHomeIcon, "school_page", "SchoolPage"),
            ("Классы и ученики", QStyle.StandardPixmap.SP_FileDialogDetailedView, "students_page", "StudentsPage"),
            ("Работы", QStyle.StandardPixmap.SP_FileDialogContentsView, "works_page", "WorksPage"),
            ("Коды и протокол", QStyle.StandardPixmap.SP_FileDialogListView, "codes_page", "CodesPage"),
            ("Сканы", QStyle.StandardPixmap.SP_FileIcon, "scans", "ScansPage"),
            ("Проверка", QStyle.StandardPixmap.SP_DialogApplyButton, "scoring", "ScoringPage"),
            ("Выгрузка", QStyle.StandardPixmap.SP_DriveFDIcon, "exports_page", "ExportsPage"),
            ("Анализ", QStyle.StandardPixmap.SP_FileDialogInfoView, "analysis", "AnalysisPage"),
        ]
        # Pages are built when first shown: start-up builds only the page the user sees.
        self.pages = _LazyPages(self)
        for number, (title, icon, module, cls) in enumerate(steps, start=1):
            item = QListWidgetItem(qt_style.standardIcon(icon), f"{number}. {title}")
            item.setToolTip(f"{title} (Ctrl+{number})")
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())
            self.pages.register(title, number - 1, module, cls)
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, row=number - 1: self.go_to_step(row))
            self.addAction(action)
        self.nav.currentRowChanged.connect(self._show_step)
        # Start-up imports only what the first page needs; the rest is imported in the background.
        pages = [f"ui.pages.{module}" for _, _, module, _ in steps]
        domain = ["sqlite_utils", "coordinator_app.formats.pdf.labels", "coordinator_app.package"]  # the first write
        self._warm = _WarmPages(threading.Thread(
            target=lambda: _warm_imports(domain + domain_modules()),
            name="warm-imports", daemon=True), pages)
        self._warm_queued = False

        splitter = QSplitter()
        splitter.addWidget(self._year_panel())
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        self.year_banner = QLabel()
        self.year_banner.setStyleSheet(style.PAST_YEAR_BANNER_STYLE)
        self.year_banner.setWordWrap(True)
        self.year_banner.hide()
        right_layout.addWidget(self.year_banner)
        right_layout.addWidget(self.stack, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.school_label = QLabel()
        self.statusBar().addWidget(self.school_label, 1)
        self.statusBar().addPermanentWidget(QLabel(f"Данные: {data_dir}"))
        self.name_revealing_actions: list[QAction] = []   # disabled in expert mode
        self.expert = ExpertMode(self)                     # before any page is built
        self._build_menu()
        self.bus.changed.connect(self._on_changes)
        self.reload_school()
        self.reload_years()
        start = 1 if get_school(store) else 0
        self.nav.setCurrentRow(start if self.expert.allows_row(start) else self.pages.specs["Проверка"][0])
        self._settings = QSettings(str(data_dir / "window.ini"), QSettings.Format.IniFormat)
        geometry = self._settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            fit_to_screen(self, 1200, 760)

    # -- school years ----------------------------------------------------------------------------
    def _year_panel(self) -> QWidget:
        """The navigation with the one place where the school year is chosen above it."""
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(QLabel("Год:"))
        self.year_box = QComboBox()
        self.year_box.setToolTip("Учебный год: работы какого года показывать. Прошлые годы — только для просмотра.")
        self.year_box.currentIndexChanged.connect(self._year_chosen)
        row.addWidget(self.year_box, 1)
        layout.addLayout(row)
        layout.addWidget(self.nav, 1)
        panel.setMinimumWidth(self.nav.minimumWidth())
        panel.setMaximumWidth(self.nav.maximumWidth())
        return panel

    def reload_years(self) -> None:
        """The years in the chooser: every year the store knows, the one shown kept."""
        years = list_years(self.ctx.store)
        shown = self.ctx.year                       # None: the current year's view
        self.year_box.blockSignals(True)
        self.year_box.clear()
        for y in years:
            self.year_box.addItem(y.text, y.year)
        current = next((y.year for y in years if y.current), None)
        index = self.year_box.findData(shown if shown is not None else current)
        self.year_box.setCurrentIndex(max(index, 0))
        self.year_box.blockSignals(False)
        self._show_year_banner()

    def choose_year(self, year: str) -> None:
        index = self.year_box.findData(year)
        if index >= 0:
            self.year_box.setCurrentIndex(index)

    def _year_chosen(self, _index: int) -> None:
        chosen = self.year_box.currentData()
        if chosen == current_year(self.ctx.store):
            chosen = None                           # the current view (`works.works_for_view`)
        if chosen == self.ctx.year:
            return
        self.ctx.year = chosen
        self._show_year_banner()
        self.bus.publish(Changes.of(Topic.WORKS, Topic.PARTICIPANTS, Topic.SCORES))

    def _show_year_banner(self) -> None:
        years = {y.year: y for y in list_years(self.ctx.store)}
        shown = years.get(self.ctx.year) if self.ctx.year else None
        if shown is None or shown.current:
            self.year_banner.hide()
            return
        if shown.closed:
            text = f"{shown.year} — учебный год закрыт: его работы, баллы и анализ только для просмотра."
        else:
            text = (f"{shown.year} — прошлый учебный год: его работы только для просмотра (результаты, "
                    "импортированные из ФИС ОКО).")
        self.year_banner.setText(text)
        self.year_banner.show()

    def start_new_year(self) -> None:
        """«Новый учебный год»: asked first; works left unscored ask once more."""
        from coordinator_app.school_years import next_year, start_new_year

        current = current_year(self.ctx.store)
        if current is None:
            return
        target = next_year(current)

        def start(store, force: bool = False):  # noqa: ANN001, ANN202 - the use-case's types
            result = start_new_year(store, target, force=force)
            self.ctx.year = None                    # before the change is published: pages show the new year
            return result

        def started(result) -> None:  # noqa: ANN001 - NewYearResult
            self.reload_years()
            messages.inform(self, result.summary(), "Новый учебный год")

        ChangeOp(self.ctx, self, start) \
            .confirm(f"Начать учебный год {target}? Год {current} закроется: его работы, баллы и анализ останутся "
                     "только для просмотра, коды учеников сбросятся (в новом году коды выдаются заново). Перед "
                     "этим стоит сделать резервную копию.", title="Новый учебный год", yes=f"Начать {target}") \
            .if_asked(lambda store: start(store, force=True), title="Новый учебный год",
                      yes="Всё равно начать") \
            .success(started).run()

    def go_to_step(self, row: int) -> None:
        if self.expert.allows_row(row):
            self.nav.setCurrentRow(row)

    def _show_step(self, row: int) -> None:
        self.pages.build(row)
        self.stack.setCurrentIndex(row)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&Файл")
        open_dir = file_menu.addAction("Открыть папку данных")
        open_dir.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.data_dir))))
        open_docs = file_menu.addAction("Открыть папку документов")
        open_docs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.documents_dir))))
        self.name_revealing_actions += [open_dir, open_docs]   # the protocol PDFs and the database have names
        file_menu.addSeparator()
        new_year = file_menu.addAction("Новый учебный год…")
        new_year.triggered.connect(self.start_new_year)
        self.name_revealing_actions.append(new_year)      # the coordinator's: never in expert mode
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Выход")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.expert.add_menu(self.menuBar())
        self.expert.apply()
        help_menu = self.menuBar().addMenu("&Справка")
        logs = help_menu.addAction("Открыть папку журналов")
        logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.data_dir / "logs"))))
        about = help_menu.addAction("О программе")
        about.triggered.connect(self._about)

    def _about(self) -> None:
        messages.about(self, "О программе",
                       f"<b>{APP_TITLE}</b> {__version__}<br>Помощник школьного координатора ВПР.<br>"
                       "Работает без интернета; данные хранятся только на этом компьютере.<br><br>"
                       f"Папка данных: {self.ctx.data_dir}")

    def reload_school(self) -> None:
        school = get_school(self.ctx.store)
        if school:
            self.school_label.setText(f"{school.name} · {school.login} · {school.academic_year}")
            self.setWindowTitle(f"{APP_TITLE} — {school.name}" + (" — режим эксперта" if self.ctx.expert_mode else ""))
        else:
            self.school_label.setText("Сведения о школе не заполнены")

    def ensure_school(self) -> bool:
        """Run the first-run wizard if the school is not set up; False if the user cancelled it."""
        if get_school(self.ctx.store) is not None:
            return True
        from .wizard import FirstRunWizard  # start-up: only on the first run

        wizard = FirstRunWizard(self.ctx.store, self)
        if wizard.exec() != FirstRunWizard.DialogCode.Accepted:
            self.close()
            return False
        self.ctx.publish(Changes.of(Topic.SCHOOL))
        self.nav.setCurrentRow(1)
        return True

    def offer_purge(self) -> None:
        """At start (after `ensure_school`): offer to delete scans whose retention period is over."""
        from .dialogs.retention_dialog import offer_purge  # start-up: after the first paint

        if self.ctx.expert_mode:            # purges are the coordinator's: not offered to an expert
            return
        offer_purge(self.ctx, self, at_start=True)

    def run_scheduled_backup(self) -> None:
        """At start: if the coordinator set a backup schedule and a copy is due, make it in the
        background; the status bar says how it went (a missing stick is not an error dialog)."""
        from coordinator_app.backup import backup_due, scheduled_backup  # start-up: after the first paint

        if not backup_due(self.ctx.store):
            return

        def job(ctx):
            # encrypted with the password kept for the scheduled backups (or plain, if so chosen)
            return scheduled_backup(ctx.open_store())

        def done(result) -> None:
            self.statusBar().showMessage(f"Резервная копия по расписанию создана: {result.path}", 15000)

        def failed(err: BaseException) -> None:
            self.statusBar().showMessage(f"Резервная копия по расписанию не создана: {err}", 30000)

        ChangeOp(self.ctx, self, job).success(done).failure(failed) \
            .run_in_background("Резервная копия по расписанию")

    def _on_changes(self, changes: Changes, _initiator: object = None, _shown: bool = False) -> None:
        if changes.touches(Topic.SCHOOL):
            self.reload_school()
        if changes.touches(Topic.SCHOOL) or changes.touches(Topic.WORKS):
            self.reload_years()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._warm_queued:           # after the first paint: it must not wait for them
            self._warm_queued = True
            QTimer.singleShot(0, self._warm.start)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ctx.tasks.active:
            if not messages.confirm(self, "Ещё выполняется задание. Дождаться его завершения и выйти?",
                                    "Идёт работа", yes="Да", no="Нет"):
                event.ignore()
                return
            self.ctx.tasks.wait_all()
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.sync()
        super().closeEvent(event)
