"""«Сканы»: import scanned works, look through them participant by participant, sort out the pages
the program could not place («Нераспознанные») and second title pages («Спорные»).

Everything here reads through `coordinator_app.scans` and changes data only through its use-cases
(`assign_page`, `mark_page`, `rotate_page`, `reorder_pages`, `resolve_conflict`, `attach_audio`,
`purge_work`); the import runs in the background through the task runner.

In expert mode (`ctx.expert_mode`) no pupil's name is loaded or shown: participants are codes.
"""


from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.changes import Changes, Topic
from coordinator_app.codes import list_participants
from coordinator_app.errors import UserError
from coordinator_app.scans.pages import page_count_mismatches, queue_size, work_scans
from coordinator_app.scans.retention import has_expired
from coordinator_app.works import Work, get_work, works_for_view

from ... import messages
from ...context import AppContext
from ...dialogs import scan_report_dialog
from ...loader import PageLoader
from ...ops import ChangeOp
from ...scan_viewer import ScanViewer
from ...tasks import TaskContext
from ...widgets import page_title
from .common import WAITING_TAB, Prefetcher, bind
from .conflicts import ConflictsQueue
from .participants import ParticipantsView
from .unrecognised import UnrecognisedQueue

if TYPE_CHECKING:
    from coordinator_app.scans.importer import ScanImportReport
    from coordinator_app.storage import Store

SCAN_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".pdf")
SCAN_FILTER = ("Сканы (" + " ".join(f"*{s} *{s.upper()}" for s in SCAN_SUFFIXES) + ");;Все файлы (*)")
TAB_PARTICIPANTS, TAB_WAITING, TAB_CONFLICTS = 0, 1, 2
_NO_WORK = object()              # «no work asked for» (None is «Все работы»)


def _read_work(store: Store, work_id: int | None, expert: bool) -> dict:
    """One work's participants with their pages, their names (none in expert mode), the queues'
    sizes and the page-count mismatches: read on the loader's thread."""
    try:
        work = get_work(store, work_id) if work_id is not None else None
    except UserError:
        work = None
    scans = work_scans(store, work.id) if work else []
    names: dict[int, str] = {}
    if work and not expert:
        names = {p.id: (f"{p.surname} {p.name}".strip() + (f" (д. р. {p.namesake_birth})" if p.namesake_birth else ""))
                 for p in list_participants(store, work.id)}
    page_counts = (page_count_mismatches(store, work.id, scans) if work and any(p.pages for p in scans)
                   else (None, []))
    chosen = work.id if work else None
    return {"work_id": chosen, "work": work, "scans": scans, "names": names, "page_counts": page_counts,
            "queue_sizes": (queue_size(store, "unassigned", chosen), queue_size(store, "conflict", chosen))}


def _read_page(store: Store, keep: int | None, first_time: bool, expert: bool, year: str | None = None) -> dict:
    """The works, whether any is past its retention, and the work to show: `keep` if it is still
    there («Все работы» if the user chose it), else the first work."""
    works = works_for_view(store, year)
    ids = [w.id for w in works]
    if not first_time and keep is None:
        work_id = None
    else:
        work_id = keep if keep in ids else (ids[0] if ids else None)
    return {"works": works, "expired": has_expired(store), "work_data": _read_work(store, work_id, expert)}


def import_scans(store: Store, paths: list[Path], **kwargs) -> ScanImportReport:
    """`coordinator_app.scans.importer.import_scans`, imported when an import starts: the importer
    brings Pillow and the worker pool with it, which opening the page does not need."""
    # start-up: the importer brings Pillow and the worker pool
    from coordinator_app.scans.importer import import_scans as run

    return run(store, paths, **kwargs)


class ScansPage(QWidget):
    """The scans step: the work and the import on top, the three lists of pages as tabs."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        self.names: dict[int, str] = {}         # the pupils' names of the work shown (none in expert mode)
        self.importing = False
        self.last_report: ScanImportReport | None = None
        self.import_workers: int | None = None          # tests use 1 (no worker processes)
        self._wanted: object = _NO_WORK          # a work asked for while the list was loading
        self.setAcceptDrops(True)

        # -- top: the work and the import ---------------------------------------------------------
        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(380)
        self.work_box.currentIndexChanged.connect(lambda _: self._work_changed())
        self.import_files_button = QPushButton("Импорт файлов…")
        self.import_files_button.setToolTip("Сканы в JPEG, PNG, TIFF, BMP или PDF; можно выбрать много файлов сразу")
        self.import_files_button.clicked.connect(self.choose_files)
        self.import_folder_button = QPushButton("Импорт папки…")
        self.import_folder_button.setToolTip("Все сканы папки и вложенных папок, по порядку имён")
        self.import_folder_button.clicked.connect(self.choose_folder)
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 1)
        top.addWidget(self.import_files_button)
        top.addWidget(self.import_folder_button)

        # -- the tabs: one widget per list of pages ---------------------------------------------
        prefetcher = Prefetcher(self)
        self.participants = ParticipantsView(ctx, prefetcher)
        self.unrecognised = UnrecognisedQueue(ctx, prefetcher)
        self.conflicts = ConflictsQueue(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.participants, "По участникам")
        self.tabs.addTab(self.unrecognised, "Нераспознанные")
        self.tabs.addTab(self.conflicts, "Спорные")
        self.tabs.currentChanged.connect(self._tab_changed)
        self._wire()

        layout = QVBoxLayout(self)
        layout.addWidget(page_title(
            "Сканы работ",
            "Импортируйте сканы кнопками ниже или перетащите файлы и папки в это окно. Страницы с QR-наклейкой "
            "и следующие за ними раскладываются по участникам сами; остальные ждут во вкладке «Нераспознанные»."))
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self._build_shortcuts()
        # Refreshed when a table it shows changes, at once if shown, else once when next shown.
        self.subscription = ctx.bus.subscribe(
            self, (Topic.SCANS, Topic.WORKS, Topic.PARTICIPANTS, Topic.STUDENTS, Topic.CLASSES, Topic.SETTINGS, Topic.SCHOOL),
            lambda _changes: self.reload())
        self.loader = PageLoader(self, overlay=self.participants.table.viewport(),
                                 guard=[self.participants.audio_button, self.participants.reassign_button])
        self.reload()

    def _wire(self) -> None:
        """What the tabs ask of the page: pass their changes on, reload, retitle, follow a rotation."""
        for part in (self.participants, self.unrecognised, self.conflicts):
            part.published.connect(lambda changes: self.subscription.publish(changes))
        self.participants.reload_wanted.connect(self.reload)
        for queue in (self.unrecognised, self.conflicts):
            queue.size_changed.connect(self._update_tab_titles)
        for viewer in (self.unrecognised.viewer, self.conflicts.new_viewer, self.conflicts.old_viewer):
            viewer.rotated.connect(self.participants.page_rotated)

    def _build_shortcuts(self) -> None:
        bind(self, ["R", "Ctrl+R"], lambda: self.current_viewer().rotate())
        bind(self, ["W"], lambda: self.current_viewer().view.fit_width())
        bind(self, ["Ctrl+0"], lambda: self.current_viewer().view.fit_page())
        bind(self, [QKeySequence.StandardKey.ZoomIn, "Ctrl++", "Ctrl+="], lambda: self.current_viewer().view.zoom_in())
        bind(self, [QKeySequence.StandardKey.ZoomOut, "Ctrl+-"], lambda: self.current_viewer().view.zoom_out())

    # == data =======================================================================================
    @property
    def work_id(self) -> int | None:
        return self.work.id if self.work else None

    def reload(self) -> None:
        """Read the works, the chosen work's participants and scans off the GUI thread."""
        self.subscription.forget()
        keep = self.work_box.currentData() if self.work_box.count() else None
        # «Все работы» stays chosen only if the user chose it while there were works to choose from.
        first_time = self.work_box.count() <= 1
        expert = self.ctx.expert_mode
        year = self.ctx.year
        self.loader.load(lambda store: _read_page(store, keep, first_time, expert, year), self._apply_page)

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply_page(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, _NO_WORK
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in data["works"]:
            self.work_box.addItem(f"№ {w.id}. {w.title}", w.id)
        self.work_box.addItem("Все работы (работа — по наклейкам)", None)
        shown = data["work_data"]["work_id"]
        self.work_box.setCurrentIndex(max(self.work_box.findData(shown) if shown is not None
                                          else self.work_box.count() - 1, 0))
        self.work_box.blockSignals(False)
        # Whatever the work shown: any work whose retention is over (an indexed look-up, not the
        # purge sets themselves, which the offer counts when asked).
        self.participants.purge_button.setEnabled(data["expired"])
        self._show_work(data["work_data"])
        if wanted is not _NO_WORK and wanted != shown:
            self.select_work(wanted)

    def select_work(self, work_id: int | None) -> None:
        """Show `work_id` (None: «Все работы»); asked while the list is loading, once it is loaded."""
        if self.loader.is_loading():
            self._wanted = work_id      # chosen when the load in progress is applied, not superseding it
            return
        index = self.work_box.findData(work_id) if work_id is not None else self.work_box.count() - 1
        if index >= 0 and index != self.work_box.currentIndex():
            self.work_box.setCurrentIndex(index)

    def _work_changed(self) -> None:
        work_id = self.work_box.currentData()
        expert = self.ctx.expert_mode
        self.loader.load(lambda store: _read_work(store, work_id, expert), self._apply_work)

    def _apply_work(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, _NO_WORK
        self._show_work(data)
        if wanted is not _NO_WORK and wanted != data["work_id"]:
            self.select_work(wanted)

    def _show_work(self, data: dict) -> None:
        """Show one work's participants and scans (read by `_read_work`); the queues are reloaded
        when next shown."""
        work = data["work"]
        changed_work = (work.id if work else None) != self.work_id
        self.work = work
        self.names = data["names"]
        self.participants.show_work(work, data, changed_work)
        self.participants.update_summary(works_to_choose=self.work_box.count() > 1)
        self.unrecognised.set_codes(self.participants.codes)
        self.conflicts.names = self.participants.names_shown()
        waiting, conflicts = data["queue_sizes"]
        self.unrecognised.invalidate(self.work_id, waiting, changed_work)
        self.conflicts.invalidate(self.work_id, conflicts, changed_work)
        if self.tabs.currentIndex() in (TAB_WAITING, TAB_CONFLICTS):
            self._ensure_queues()
        else:
            self._update_tab_titles()
        self.import_files_button.setEnabled(not self.importing)
        self.import_folder_button.setEnabled(not self.importing)

    def _ensure_queues(self) -> None:
        """Load the «Нераспознанные» and «Спорные» pages if they changed since last shown."""
        self.unrecognised.ensure()
        self.conflicts.ensure()
        self._update_tab_titles()

    def _update_tab_titles(self) -> None:
        waiting, conflicts = self.unrecognised.size(), self.conflicts.size()
        self.tabs.setTabText(TAB_WAITING, f"Нераспознанные ({waiting})")
        self.tabs.setTabText(TAB_CONFLICTS, f"Спорные ({conflicts})")
        bar = self.tabs.tabBar()
        for tab, size in ((TAB_WAITING, waiting), (TAB_CONFLICTS, conflicts)):
            bar.setTabTextColor(tab, WAITING_TAB if size else QColor())

    # == viewers ====================================================================================
    def current_viewer(self) -> ScanViewer:
        tab = self.tabs.currentIndex()
        if tab == TAB_WAITING:
            return self.unrecognised.viewer
        if tab == TAB_CONFLICTS:
            return self.conflicts.current_viewer()
        return self.participants.viewer

    def _tab_changed(self, index: int) -> None:
        if index in (TAB_WAITING, TAB_CONFLICTS):
            self._ensure_queues()
        if index == TAB_WAITING and self.unrecognised.current() is not None:
            self.unrecognised.code_edit.setFocus()

    # == import =====================================================================================
    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Импорт сканов", "", SCAN_FILTER)
        if names:
            self.import_paths(names)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Папка со сканами")
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: list[str] | list[Path]) -> None:
        """Import files and folders into the selected work (or, with «Все работы», by their labels)."""
        paths = [Path(p) for p in paths]
        if not paths:
            return
        if self.importing:
            messages.show_error(self, "Импорт сканов уже идёт. Дождитесь его окончания.")
            return
        work_id = self.work_box.currentData()     # the work chosen, even if its scans are still loading
        workers = self.import_workers

        def job(task: TaskContext) -> ScanImportReport:
            store = task.open_store()
            report = import_scans(store, paths, work_id=work_id, progress=task.progress,
                                  cancelled=lambda: task.cancelled, workers=workers)
            report.changes = report.changes or Changes.of(Topic.SCANS)   # the queues are re-read in any case
            return report

        def done(report: ScanImportReport) -> None:
            self._import_finished()
            self.last_report = report
            scan_report_dialog.show_import_report(self, report)

        def failed(err: BaseException) -> None:
            self._import_finished()
            self.subscription.publish(Changes.of(Topic.SCANS))
            messages.show_error(self, err if isinstance(err, UserError)
                                else f"Импорт сканов не удался: {err}\nПодробности записаны в журнал.")

        self.importing = True
        self.import_files_button.setEnabled(False)
        self.import_folder_button.setEnabled(False)
        ChangeOp(self.ctx, self, job).success(done).failure(failed).run_in_background("Импорт сканов")

    def _import_finished(self) -> None:
        self.importing = False
        self.import_files_button.setEnabled(True)
        self.import_folder_button.setEnabled(True)

    @staticmethod
    def dropped_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if self.dropped_paths(event) and not self.importing:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        if self.dropped_paths(event) and not self.importing:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        paths = self.dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # Start after the drop returns, so the file manager the files came from is not held up.
        QTimer.singleShot(0, lambda: self.import_paths(paths))
