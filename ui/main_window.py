"""The main window: navigation along the steps of the job on the left, the step's page on the right."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QSplitter, QStackedWidget, QStyle, QWidget,
)

from coordinator_app import APP_TITLE, __version__
from coordinator_app.changes import Changes
from coordinator_app.school import get_school
from coordinator_app.storage import Store

from .bus import ChangeBus
from .context import AppContext
from .tasks import TaskRunner


class MainWindow(QMainWindow):
    def __init__(self, store: Store, data_dir: Path) -> None:
        super().__init__()
        self.bus = ChangeBus(self)
        self.ctx = AppContext(store=store, bus=self.bus, tasks=TaskRunner(data_dir, store.actor, self),
                              data_dir=data_dir)
        self.setWindowTitle(APP_TITLE)
        self.setMinimumSize(QSize(960, 600))

        from .pages.codes_page import CodesPage
        from .pages.scans_page import ScansPage
        from .pages.school_page import SchoolPage
        from .pages.students_page import StudentsPage
        from .pages.works_page import WorksPage

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setMaximumWidth(230)
        self.nav.setStyleSheet("QListWidget#navigation { font-size: 11pt; } QListWidget#navigation::item { padding: 8px; }")
        self.stack = QStackedWidget()
        style = self.style()
        steps = [
            ("Школа", QStyle.StandardPixmap.SP_DirHomeIcon, SchoolPage(self.ctx)),
            ("Классы и ученики", QStyle.StandardPixmap.SP_FileDialogDetailedView, StudentsPage(self.ctx)),
            ("Работы", QStyle.StandardPixmap.SP_FileDialogContentsView, WorksPage(self.ctx)),
            ("Коды и протокол", QStyle.StandardPixmap.SP_FileDialogListView, CodesPage(self.ctx)),
            ("Сканы", QStyle.StandardPixmap.SP_FileIcon, ScansPage(self.ctx)),
        ]
        self.pages: dict[str, QWidget] = {}
        for number, (title, icon, page) in enumerate(steps, start=1):
            item = QListWidgetItem(style.standardIcon(icon), f"{number}. {title}")
            item.setToolTip(f"{title} (Ctrl+{number})")
            self.nav.addItem(item)
            self.stack.addWidget(page)
            self.pages[title] = page
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, row=number - 1: self.nav.setCurrentRow(row))
            self.addAction(action)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.school_label = QLabel()
        self.statusBar().addWidget(self.school_label, 1)
        self.statusBar().addPermanentWidget(QLabel(f"Данные: {data_dir}"))
        self._build_menu()
        self.bus.changed.connect(self._on_changes)
        self.reload_school()
        self.nav.setCurrentRow(1 if get_school(store) else 0)
        self._settings = QSettings(str(data_dir / "window.ini"), QSettings.Format.IniFormat)
        geometry = self._settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&Файл")
        open_dir = file_menu.addAction("Открыть папку данных")
        open_dir.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.data_dir))))
        open_docs = file_menu.addAction("Открыть папку документов")
        open_docs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.documents_dir))))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Выход")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        help_menu = self.menuBar().addMenu("&Справка")
        logs = help_menu.addAction("Открыть папку журналов")
        logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.data_dir / "logs"))))
        about = help_menu.addAction("О программе")
        about.triggered.connect(self._about)

    def _about(self) -> None:
        QMessageBox.about(self, "О программе",
                          f"<b>{APP_TITLE}</b> {__version__}<br>Помощник школьного координатора ВПР.<br>"
                          "Работает без интернета; данные хранятся только на этом компьютере.<br><br>"
                          f"Папка данных: {self.ctx.data_dir}")

    def reload_school(self) -> None:
        school = get_school(self.ctx.store)
        if school:
            self.school_label.setText(f"{school.name} · {school.login} · {school.academic_year}")
            self.setWindowTitle(f"{APP_TITLE} — {school.name}")
        else:
            self.school_label.setText("Сведения о школе не заполнены")

    def ensure_school(self) -> bool:
        """Run the first-run wizard if the school is not set up; False if the user cancelled it."""
        if get_school(self.ctx.store) is not None:
            return True
        from .wizard import FirstRunWizard

        wizard = FirstRunWizard(self.ctx.store, self)
        if wizard.exec() != FirstRunWizard.DialogCode.Accepted:
            self.close()
            return False
        self.ctx.publish(Changes.of("school"))
        self.nav.setCurrentRow(1)
        return True

    def offer_purge(self) -> None:
        """At start (after `ensure_school`): offer to delete scans whose retention period is over."""
        from .dialogs.retention_dialog import offer_purge

        offer_purge(self.ctx, self, at_start=True)

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("school"):
            self.reload_school()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.ctx.tasks.active:
            answer = QMessageBox.question(
                self, "Идёт работа", "Ещё выполняется задание. Дождаться его завершения и выйти?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.ctx.tasks.wait_all()
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.sync()
        super().closeEvent(event)
