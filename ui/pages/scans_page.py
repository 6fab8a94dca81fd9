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

from PySide6.QtCore import QModelIndex, QRegularExpression, QSize, QStringListModel, Qt, QTimer
from PySide6.QtGui import (
    QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon, QKeySequence, QRegularExpressionValidator, QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QCompleter, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QInputDialog, QLabel,
    QLineEdit, QListView, QListWidget, QListWidgetItem, QMenu, QPushButton, QSplitter, QTabWidget, QVBoxLayout,
    QWidget,
)

from coordinator_app.changes import Changes
from coordinator_app.errors import UserError
from coordinator_app.scans.audio import AudioFile, attach_audio, list_audio
from coordinator_app.scans.pages import (
    METHOD_RU, Page, ParticipantScans, assign_page, mark_page, participant_pages, queue, queue_size, reorder_pages,
    resolve_conflict, work_scans,
)
from coordinator_app.scans.retention import has_expired
from coordinator_app.works import Work, get_work, list_works

from .. import context
from ..context import AppContext
from ..dialogs.retention_dialog import offer_purge
from ..dialogs.scan_report_dialog import show_import_report
from ..loader import PageLoader
from ..messages import show_error
from ..scan_viewer import ScanViewer
from ..thumbnails import ThumbnailCache
from ..table_model import Column, RecordTableModel, SearchProxy
from ..tasks import TaskContext
from ..widgets import fit_columns, page_title, search_field, table_view

if TYPE_CHECKING:
    from coordinator_app.scans.importer import ScanImportReport
    from coordinator_app.storage import Store

SCAN_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".pdf")
SCAN_FILTER = ("Сканы (" + " ".join(f"*{s} *{s.upper()}" for s in SCAN_SUFFIXES) + ");;Все файлы (*)")
AUDIO_FILTER = "Аудиозаписи (*.mp3 *.wav *.ogg *.m4a *.MP3 *.WAV *.OGG *.M4A);;Все файлы (*)"
ABSENT_BG, ABSENT_FG, MISSING_BG = QColor("#e4e4e4"), QColor("#777777"), QColor("#fff3c4")
ERROR_STYLE = "color: #b00020"
WAITING_TAB = "#a04000"          # a queue tab with pages in it
TAB_PARTICIPANTS, TAB_WAITING, TAB_CONFLICTS = 0, 1, 2
PAGE_ID = Qt.ItemDataRole.UserRole
THUMB = QSize(92, 130)
_NO_WORK = object()              # «no work asked for» (None is «Все работы»)


def _read_work(store: Store, work_id: int | None, expert: bool) -> dict:
    """One work's participants with their pages, their names (none in expert mode), the queues'
    sizes and the page-count mismatches: read on the loader's thread."""
    from coordinator_app.scans.pages import page_count_mismatches

    try:
        work = get_work(store, work_id) if work_id is not None else None
    except UserError:
        work = None
    scans = work_scans(store, work.id) if work else []
    names: dict[int, str] = {}
    if work and not expert:
        from coordinator_app.codes import list_participants

        names = {p.id: (f"{p.surname} {p.name}".strip() + (f" (д. р. {p.namesake_birth})" if p.namesake_birth else ""))
                 for p in list_participants(store, work.id)}
    page_counts = (page_count_mismatches(store, work.id, scans) if work and any(p.pages for p in scans)
                   else (None, []))
    chosen = work.id if work else None
    return {"work_id": chosen, "work": work, "scans": scans, "names": names, "page_counts": page_counts,
            "queue_sizes": (queue_size(store, "unassigned", chosen), queue_size(store, "conflict", chosen))}


def _read_page(store: Store, keep: int | None, first_time: bool, expert: bool) -> dict:
    """The works, whether any is past its retention, and the work to show: `keep` if it is still
    there («Все работы» if the user chose it), else the first work."""
    works = list_works(store)
    ids = [w.id for w in works]
    if not first_time and keep is None:
        work_id = None
    else:
        work_id = keep if keep in ids else (ids[0] if ids else None)
    return {"works": works, "expired": has_expired(store), "work_data": _read_work(store, work_id, expert)}


def import_scans(store: Store, paths: list[Path], **kwargs) -> ScanImportReport:
    """`coordinator_app.scans.importer.import_scans`, imported when an import starts: the importer
    brings Pillow and the worker pool with it, which opening the page does not need."""
    from coordinator_app.scans.importer import import_scans as run

    return run(store, paths, **kwargs)


class PageStrip(QListWidget):
    """Thumbnails of a participant's pages, top to bottom; drag one to change the order.

    Qt moves the row in the model (InternalMove), which emits `rowsMoved`; the page saves the
    new order. Free icon positions are never kept: the strip is re-laid out after every drop.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Snap)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 30))
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(THUMB.width() + 24 + 2 * self.frameWidth() + self.style().pixelMetric(
            self.style().PixelMetric.PM_ScrollBarExtent) + 4)

    def page_ids(self) -> list[int]:
        return [int(self.item(row).data(PAGE_ID)) for row in range(self.count())]

    def dropEvent(self, event: QDropEvent) -> None:
        super().dropEvent(event)
        self.doItemsLayout()   # back to one neat column whatever free position the drop chose


class ScansPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        self.scans: list[ParticipantScans] = []
        self.names: dict[int, str] = {}
        self.codes: list[str] = []
        self.waiting: list[Page] = []
        self.wait_pos = 0
        self.conflicts: list[Page] = []
        self.conflict_pos = 0
        # The queues' pages are loaded when their tab is shown; until then only their sizes.
        self._queues_stale = False
        self._queue_keep: tuple[Page | None, Page | None] = (None, None)
        self._queue_sizes = (0, 0)
        self.audio: list[AudioFile] = []
        self.importing = False
        self.last_report: ScanImportReport | None = None
        self.import_workers: int | None = None          # tests use 1 (no worker processes)
        self._thumbs = ThumbnailCache(ctx.store, THUMB)
        self._expert = ctx.expert_mode
        self._any_pages = False
        self._page_counts: tuple[int | None, list[ParticipantScans]] = (None, [])
        self._wanted: object = _NO_WORK          # a work asked for while the list was loading
        self._keep_page_id: int | None = None
        self._prefetch_queue: list[tuple[ScanViewer, Page]] = []
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(40)
        self._prefetch_timer.timeout.connect(self._prefetch_one)
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

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_participants_tab(), "По участникам")
        self.tabs.addTab(self._build_waiting_tab(), "Нераспознанные")
        self.tabs.addTab(self._build_conflicts_tab(), "Спорные")
        self.tabs.currentChanged.connect(self._tab_changed)

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
            self, ("scans", "works", "participants", "students", "classes", "settings", "school"),
            lambda _changes: self.reload())
        self.loader = PageLoader(self, overlay=self.table.viewport(),
                                 guard=[self.audio_button, self.reassign_button])
        self.reload()

    # == building ===================================================================================
    def _build_participants_tab(self) -> QWidget:
        tab = QWidget()
        self.participants_tab = tab
        self.audio_button = QPushButton("Аудио…")
        self.audio_button.setToolTip("Прикрепить запись устного ответа (MP3, WAV, OGG, M4A) к выбранному участнику")
        self.audio_button.clicked.connect(lambda: self.attach_audio_file())
        self.reassign_button = QPushButton("Переназначить…")
        self.reassign_button.setToolTip("Передать выбранную страницу другому участнику (по коду)")
        self.reassign_button.clicked.connect(lambda: self.reassign())
        self.purge_button = QPushButton("Удалить просроченные…")
        self.purge_button.setToolTip("Удалить сканы и аудиозаписи работ, срок хранения которых истёк, с актом об уничтожении")
        self.purge_button.clicked.connect(self.purge_expired)
        self.search = search_field(self, "Поиск по коду или классу (Ctrl+F)" if self.ctx.expert_mode
                                   else "Поиск по коду, классу или ФИО (Ctrl+F)")
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.search)
        toolbar.addWidget(self.audio_button)
        toolbar.addWidget(self.reassign_button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.purge_button)

        self.model: RecordTableModel[ParticipantScans] = RecordTableModel(self._columns(), self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self.proxy.set_search)
        self.table = table_view(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._participant_changed())
        self.table.setMinimumWidth(260)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #555")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.summary)

        self.strip = PageStrip()
        self.strip.currentRowChanged.connect(lambda _: self._show_strip_page())
        # After the drop has finished (the reload rebuilds the strip, not inside Qt's drop handling).
        self.strip.model().rowsMoved.connect(lambda *_: QTimer.singleShot(0, self._strip_reordered))
        self.strip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.strip.customContextMenuRequested.connect(self._strip_menu)
        self.strip.setToolTip("Перетащите страницу, чтобы изменить порядок. Правая кнопка мыши — другие действия.")
        self.strip_label = QLabel("Страницы")
        self.audio_label = QLabel("Аудиозаписи")
        self.audio_list = QListWidget()
        self.audio_list.setFixedWidth(self.strip.width())
        self.audio_list.setMaximumHeight(76)
        self.audio_list.itemDoubleClicked.connect(lambda _: self.play_audio())
        self.play_button = QPushButton("Прослушать")
        self.play_button.clicked.connect(lambda: self.play_audio())
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.strip_label)
        middle_layout.addWidget(self.strip, 1)
        middle_layout.addWidget(self.audio_label)
        middle_layout.addWidget(self.audio_list)
        middle_layout.addWidget(self.play_button)

        self.viewer = ScanViewer(self.ctx, empty_text="Выберите участника в таблице слева")
        self.viewer.rotated.connect(self._page_rotated)
        right = QWidget()
        right_layout = QHBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(middle)
        right_layout.addWidget(self.viewer, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([450, 700])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(tab)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        return tab

    def _build_waiting_tab(self) -> QWidget:
        tab = QWidget()
        self.waiting_tab = tab
        self.wait_viewer = ScanViewer(self.ctx, empty_text="Нераспознанных страниц нет.")
        self.wait_viewer.rotated.connect(self._page_rotated)
        self.wait_source = QLabel()
        self.wait_source.setWordWrap(True)
        self.wait_note = QLabel()
        self.wait_note.setWordWrap(True)
        self.wait_note.setStyleSheet("color: #8a6d00")
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("например, 40012")
        self.code_edit.setMaxLength(12)
        self.code_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\s*\d{0,5}\s*"), self.code_edit))
        font = self.code_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.code_edit.setFont(font)
        self.code_model = QStringListModel(self)
        self.completer = QCompleter(self.code_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.code_edit.setCompleter(self.completer)
        self.code_edit.returnPressed.connect(self.assign_waiting)
        self.code_edit.textEdited.connect(lambda _: self.code_error.clear())
        self.assign_button = QPushButton("Назначить")
        self.assign_button.setToolTip("Отдать страницу участнику с этим кодом (Enter)")
        self.assign_button.clicked.connect(self.assign_waiting)
        self.code_error = QLabel()
        self.code_error.setWordWrap(True)
        self.code_error.setStyleSheet(ERROR_STYLE)
        self.blank_button = QPushButton("Пустая страница")
        self.blank_button.setToolTip("Страница без ответов: хранится, но не входит в работу участника")
        self.blank_button.clicked.connect(lambda: self.mark_waiting("blank"))
        self.extra_button = QPushButton("Лишняя")
        self.extra_button.setToolTip("Чужая или ошибочно отсканированная страница: хранится, но ни к кому не относится")
        self.extra_button.clicked.connect(lambda: self.mark_waiting("extra"))
        self.rotate_waiting_button = QPushButton("Повернуть")
        self.rotate_waiting_button.setToolTip("Повернуть на 90° по часовой стрелке (R, Ctrl+R)")
        self.rotate_waiting_button.clicked.connect(lambda: self.wait_viewer.rotate())
        self.skip_button = QPushButton("Пропустить")
        self.skip_button.setToolTip("Оставить страницу в очереди и перейти к следующей (PgDown; назад — PgUp)")
        self.skip_button.clicked.connect(lambda: self.step_waiting(1))

        code_row = QHBoxLayout()
        code_row.addWidget(self.code_edit, 1)
        code_row.addWidget(self.assign_button)
        grid = QGridLayout()
        grid.addWidget(self.blank_button, 0, 0)
        grid.addWidget(self.extra_button, 0, 1)
        grid.addWidget(self.rotate_waiting_button, 1, 0)
        grid.addWidget(self.skip_button, 1, 1)
        hint = QLabel("Введите код участника и нажмите Enter — страница уйдёт к нему, и сразу откроется следующая. "
                      "PgDown / PgUp — следующая / предыдущая страница, Ctrl+R — повернуть.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555")
        side = QFrame()
        side.setFixedWidth(310)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.wait_source)
        side_layout.addWidget(self.wait_note)
        side_layout.addSpacing(8)
        side_layout.addWidget(QLabel("Код участника:"))
        side_layout.addLayout(code_row)
        side_layout.addWidget(self.code_error)
        side_layout.addSpacing(8)
        side_layout.addLayout(grid)
        side_layout.addSpacing(8)
        side_layout.addWidget(hint)
        side_layout.addStretch(1)
        layout = QHBoxLayout(tab)
        layout.addWidget(self.wait_viewer, 1)
        layout.addWidget(side)
        return tab

    def _build_conflicts_tab(self) -> QWidget:
        tab = QWidget()
        self.conflicts_tab = tab
        self.conflict_info = QLabel()
        self.conflict_info.setWordWrap(True)
        self.conflict_new = ScanViewer(self.ctx, empty_text="Спорных страниц нет.")
        self.conflict_old = ScanViewer(self.ctx, empty_text="")
        for viewer in (self.conflict_new, self.conflict_old):
            viewer.view.mode = "page"
            viewer.rotated.connect(self._page_rotated)
        self.keep_new_button = QPushButton("Оставить новый титульный лист")
        self.keep_new_button.clicked.connect(lambda: self.resolve("new"))
        self.keep_old_button = QPushButton("Оставить прежний")
        self.keep_old_button.clicked.connect(lambda: self.resolve("old"))
        self.next_conflict_button = QPushButton("Следующая спорная")
        self.next_conflict_button.clicked.connect(lambda: self.step_conflict(1))
        self.conflict_error = QLabel()
        self.conflict_error.setStyleSheet(ERROR_STYLE)
        self.conflict_error.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_new_button)
        buttons.addWidget(self.keep_old_button)
        buttons.addWidget(self.conflict_error, 1)
        buttons.addWidget(self.next_conflict_button)
        pair = QSplitter()
        pair.addWidget(self.conflict_new)
        pair.addWidget(self.conflict_old)
        pair.setChildrenCollapsible(False)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.conflict_info)
        layout.addWidget(pair, 1)
        layout.addLayout(buttons)
        return tab

    def _build_shortcuts(self) -> None:
        def bind(parent: QWidget, keys: list[str | QKeySequence.StandardKey], slot) -> None:
            sequences: list[QKeySequence] = []
            for key in keys:
                for seq in (QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey)
                            else [QKeySequence(key)]):
                    if seq not in sequences:
                        sequences.append(seq)
            shortcut = QShortcut(parent)
            shortcut.setKeys(sequences)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)   # only while `parent` is visible
            shortcut.activated.connect(slot)

        bind(self, ["R", "Ctrl+R"], lambda: self.current_viewer().rotate())
        bind(self, ["W"], lambda: self.current_viewer().view.fit_width())
        bind(self, ["Ctrl+0"], lambda: self.current_viewer().view.fit_page())
        bind(self, [QKeySequence.StandardKey.ZoomIn, "Ctrl++", "Ctrl+="], lambda: self.current_viewer().view.zoom_in())
        bind(self, [QKeySequence.StandardKey.ZoomOut, "Ctrl+-"], lambda: self.current_viewer().view.zoom_out())
        bind(self.participants_tab, ["PgDown", "Alt+Right"], lambda: self.step_participant(1))
        bind(self.participants_tab, ["PgUp", "Alt+Left"], lambda: self.step_participant(-1))
        bind(self.waiting_tab, ["PgDown", "Alt+Right"], lambda: self.step_waiting(1))
        bind(self.waiting_tab, ["PgUp", "Alt+Left"], lambda: self.step_waiting(-1))
        bind(self.conflicts_tab, ["PgDown", "Alt+Right"], lambda: self.step_conflict(1))
        bind(self.conflicts_tab, ["PgUp", "Alt+Left"], lambda: self.step_conflict(-1))

    def _columns(self) -> list[Column[ParticipantScans]]:
        def bg(p: ParticipantScans):   # «no scans» is worth a colour only once scanning has begun
            return ABSENT_BG if p.absent else (MISSING_BG if not p.pages and self._any_pages else None)

        def fg(p: ParticipantScans):
            return ABSENT_FG if p.absent else None

        def tip(p: ParticipantScans) -> str | None:
            if p.absent:
                return "Отмечен отсутствовавшим"
            return None if p.pages or not self._any_pages else "Сканов этого участника пока нет"

        columns: list[Column[ParticipantScans]] = [
            Column("Код", lambda p: p.code, background=bg, foreground=fg, tooltip=tip,
                   sort_key=lambda p: int(p.code) if p.code.isdigit() else 0),
            Column("Класс", lambda p: p.class_name, background=bg, foreground=fg, tooltip=tip),
        ]
        if not self.ctx.expert_mode:
            columns.append(Column("ФИО", lambda p: self.names.get(p.participant_id, ""), background=bg,
                                  foreground=fg, tooltip=tip))
        columns += [
            Column("Страниц", lambda p: len(p.pages), Qt.AlignmentFlag.AlignRight, background=bg, foreground=fg,
                   tooltip=tip),
            Column("Отсутствовал", lambda p: "да" if p.absent else "", Qt.AlignmentFlag.AlignCenter, background=bg,
                   foreground=fg, tooltip=tip),
        ]
        return columns

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
        self.loader.load(lambda store: _read_page(store, keep, first_time, expert), self._apply_page)

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
        self.purge_button.setEnabled(data["expired"])
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
        """Show one work's participants and scans (read by `_read_work`)."""
        work = data["work"]
        changed_work = (work.id if work else None) != self.work_id
        keep_participant = None if changed_work else self.current_participant_id()
        keep_page = None if changed_work else self.current_strip_page_id()
        self.work = work
        self.scans = data["scans"]
        self._any_pages = any(p.pages for p in self.scans)
        self.names = data["names"]
        self._page_counts = data["page_counts"]
        self.codes = [p.code for p in self.scans]
        self._code_set = set(self.codes)
        self.code_model.setStringList(self.codes)
        if self._expert != self.ctx.expert_mode:
            self._expert = self.ctx.expert_mode
            self.model.columns = self._columns()
        self.model.set_records(self.scans)
        fit_columns(self.table)
        self._restore_participant(keep_participant, keep_page)
        self._update_summary()

        if changed_work:
            self.wait_pos = self.conflict_pos = 0
        if not self._queues_stale:      # else the pages to come back to are kept from before
            self._queue_keep = (None if changed_work else self.current_waiting(),
                                None if changed_work else self.current_conflict())
        elif changed_work:
            self._queue_keep = (None, None)
        self._queues_stale = True
        self._queue_sizes = data["queue_sizes"]
        if self.tabs.currentIndex() in (TAB_WAITING, TAB_CONFLICTS):
            self._ensure_queues()
        else:
            self._update_tab_titles()
        self.import_files_button.setEnabled(not self.importing)
        self.import_folder_button.setEnabled(not self.importing)

    @staticmethod
    def _position_of(pages: list[Page], keep: Page | None, old: int) -> int:
        if keep is not None:
            for i, page in enumerate(pages):
                if page.id == keep.id:
                    return i
        return min(max(old, 0), max(len(pages) - 1, 0))

    def _ensure_queues(self) -> None:
        """Load the «Нераспознанные» and «Спорные» pages if they changed since last shown."""
        if not self._queues_stale:
            return
        store = self.ctx.store
        keep_waiting, keep_conflict = self._queue_keep
        self._queues_stale = False
        self._queue_keep = (None, None)
        self.waiting = queue(store, "unassigned", self.work_id)
        self.wait_pos = self._position_of(self.waiting, keep_waiting, self.wait_pos)
        self.conflicts = queue(store, "conflict", self.work_id)
        self.conflict_pos = self._position_of(self.conflicts, keep_conflict, self.conflict_pos)
        self._show_waiting()
        self._show_conflict()
        self._update_tab_titles()

    def _update_tab_titles(self) -> None:
        waiting, conflicts = self._queue_sizes if self._queues_stale else (len(self.waiting), len(self.conflicts))
        self.tabs.setTabText(TAB_WAITING, f"Нераспознанные ({waiting})")
        self.tabs.setTabText(TAB_CONFLICTS, f"Спорные ({conflicts})")
        bar = self.tabs.tabBar()
        for tab, size in ((TAB_WAITING, waiting), (TAB_CONFLICTS, conflicts)):
            bar.setTabTextColor(tab, QColor(WAITING_TAB) if size else QColor())

    def _update_summary(self) -> None:
        if self.work is None:
            self.summary.setText("Выберите работу, чтобы увидеть сканы по участникам." if self.work_box.count() > 1
                                 else "Работ пока нет: создайте работу на странице «Работы».")
            return
        if not self.scans:
            self.summary.setText("У работы ещё нет участников: выдайте коды на странице «Коды и протокол».")
            return
        if not self._any_pages:
            self.summary.setText(f"Участников: {len(self.scans)}. Сканов этой работы пока нет: импортируйте их кнопками "
                                 "вверху или перетащите файлы и папки в окно.")
            return
        with_pages = sum(1 for p in self.scans if p.pages)
        missing = sum(1 for p in self.scans if not p.pages and not p.absent)
        pages = sum(len(p.pages) for p in self.scans)
        text = f"Участников: {len(self.scans)}, со сканами: {with_pages}, страниц: {pages}."
        if missing:
            text += f" Без сканов (не отмечены отсутствующими): {missing} — выделены жёлтым."
        expected, odd = self._page_counts
        if odd:
            listed = ", ".join(f"{p.code} — {len(p.pages)}" for p in odd[:10]) + (" …" if len(odd) > 10 else "")
            text += f" Число страниц не как в работе ({expected}): {listed}."
        self.summary.setText(text)

    # == participants tab ===========================================================================
    def current_participant(self) -> ParticipantScans | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.record_at(index.row())

    def current_participant_id(self) -> int | None:
        participant = self.current_participant()
        return participant.participant_id if participant else None

    def name_of(self, participant_id: int | None) -> str:
        if self.ctx.expert_mode or participant_id is None:
            return ""
        return self.names.get(participant_id, "")

    def who(self, code: str | None, participant_id: int | None) -> str:
        name = self.name_of(participant_id)
        return f"Код {code}" + (f" — {name}" if name else "")

    def _restore_participant(self, participant_id: int | None, page_id: int | None) -> None:
        """After a reload: the same participant (else the first) and the same page of the strip."""
        row = 0
        if participant_id is not None:
            for r in range(self.proxy.rowCount()):
                if self.proxy.record_at(r).participant_id == participant_id:
                    row = r
                    break
        selection = self.table.selectionModel()
        selection.blockSignals(True)     # one refresh below, not one per selection call
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(row, 0))
            self.table.selectRow(row)
        selection.blockSignals(False)
        self.table.viewport().update()
        self._keep_page_id = page_id
        self._participant_changed()

    def select_participant(self, code: str) -> bool:
        for r in range(self.proxy.rowCount()):
            if self.proxy.record_at(r).code == code:
                self.table.setCurrentIndex(self.proxy.index(r, 0))
                self.table.selectRow(r)
                return True
        return False

    def step_participant(self, delta: int) -> None:
        rows = self.proxy.rowCount()
        if not rows:
            return
        current = self.table.currentIndex().row()
        row = min(max((current if current >= 0 else -delta) + delta, 0), rows - 1)
        if row != current:
            self.table.setCurrentIndex(self.proxy.index(row, 0))
            self.table.selectRow(row)
            self.table.scrollTo(self.proxy.index(row, 0))

    def _participant_changed(self) -> None:
        participant = self.current_participant()
        keep, self._keep_page_id = self._keep_page_id, None
        self.strip.blockSignals(True)
        self.strip.clear()
        pages = participant.pages if participant else []
        select = 0
        for number, page in enumerate(pages):
            item = QListWidgetItem(self._thumb(page), f"{number + 1}" + (" · титул" if page.is_title else ""))
            item.setData(PAGE_ID, page.id)
            # Not a drop target itself: a drop lands above or below a page, so the drag reorders.
            item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDragEnabled)
            item.setToolTip(self._page_info(page, number, len(pages)))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.strip.addItem(item)
            if page.id == keep:
                select = number
        if pages:
            self.strip.setCurrentRow(select)
        self.strip.blockSignals(False)
        self.strip_label.setText(f"Страницы ({len(pages)})" if participant else "Страницы")
        self._load_audio(participant)
        self.audio_button.setEnabled(participant is not None)
        self._show_strip_page()
        self._prefetch_neighbours()

    def _page_info(self, page: Page, number: int, total: int) -> str:
        parts = [f"Страница {number + 1} из {total}"]
        if page.is_title:
            parts.append("титульный лист")
        if page.method:
            parts.append(f"определена: {METHOD_RU.get(page.method, page.method)}")
        if not self.ctx.expert_mode:
            parts.append(page.source)   # a file name could carry a pupil's name: not for experts
        if page.rotation:
            parts.append(f"повёрнута на {page.rotation}°")
        return " · ".join(parts)

    def current_strip_page(self) -> Page | None:
        participant = self.current_participant()
        item = self.strip.currentItem()
        if participant is None or item is None:
            return None
        page_id = item.data(PAGE_ID)
        return next((p for p in participant.pages if p.id == page_id), None)

    def current_strip_page_id(self) -> int | None:
        item = self.strip.currentItem()
        return int(item.data(PAGE_ID)) if item is not None else None

    def _show_strip_page(self) -> None:
        participant = self.current_participant()
        page = self.current_strip_page()
        self.reassign_button.setEnabled(page is not None)
        if participant is None:
            self.viewer.show_page(None, header="", info="",
                                  empty_text="Выберите участника в таблице слева" if self.scans else
                                  "Здесь появятся сканы участников выбранной работы.")
            return
        header = self.who(participant.code, participant.participant_id)
        if page is None:
            self.viewer.show_page(None, header=header, info="",
                                  empty_text="Участник отмечен отсутствовавшим." if participant.absent
                                  else "Сканов этого участника пока нет.")
            return
        number = self.strip.currentRow()
        self.viewer.show_page(page, header=header, info=self._page_info(page, number, len(participant.pages)))

    def _thumb(self, page: Page) -> QIcon:
        return self._thumbs.icon(page)

    def _strip_reordered(self) -> None:
        participant = self.current_participant()
        if participant is None:
            return
        ids = self.strip.page_ids()
        if ids == [p.id for p in participant.pages]:
            return
        try:
            changes = reorder_pages(self.ctx.store, participant.participant_id, ids)
        except UserError as err:
            show_error(self, err)
            self.reload()
            return
        self.subscription.publish(changes)

    def move_strip_page(self, row: int, to: int) -> None:
        """Move a page in the strip as a drag does (Qt's InternalMove calls the same moveRow)."""
        if row == to or not (0 <= row < self.strip.count()) or not (0 <= to < self.strip.count()):
            return
        self.strip.model().moveRow(QModelIndex(), row, QModelIndex(), to + 1 if to > row else to)

    def _strip_menu(self, pos) -> None:
        if self.strip.itemAt(pos) is None:
            return
        menu = QMenu(self)
        menu.addAction("Переназначить другому участнику…", lambda: self.reassign())
        menu.addAction("Вернуть в «Нераспознанные»", lambda: self.mark_strip_page("unassigned"))
        menu.addAction("Отметить как пустую", lambda: self.mark_strip_page("blank"))
        menu.addAction("Отметить как лишнюю", lambda: self.mark_strip_page("extra"))
        menu.exec(self.strip.viewport().mapToGlobal(pos))

    def mark_strip_page(self, status: str) -> None:
        page = self.current_strip_page()
        if page is None:
            return
        try:
            changes = mark_page(self.ctx.store, page.id, status)
        except UserError as err:
            show_error(self, err)
            return
        self.subscription.publish(changes)

    def ask_code(self, title: str, label: str) -> str | None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setComboBoxItems(self.codes)
        dialog.setComboBoxEditable(True)
        dialog.setTextValue("")
        dialog.setOkButtonText("Переназначить")
        dialog.setCancelButtonText("Отмена")
        if dialog.exec() != QInputDialog.DialogCode.Accepted:
            return None
        return dialog.textValue().strip() or None

    def reassign(self, code: str | None = None) -> None:
        """Move the selected page to another participant of the work."""
        page = self.current_strip_page()
        participant = self.current_participant()
        if page is None or participant is None:
            return
        if code is None:
            code = self.ask_code("Переназначить страницу",
                                 f"Страница сейчас у участника с кодом {participant.code}.\n"
                                 "Код участника, которому её передать:")
            if code is None:
                return
        try:
            changes = assign_page(self.ctx.store, page.id, code, self.work_id)
        except UserError as err:
            show_error(self, err)
            return
        self.subscription.publish(changes)

    def _load_audio(self, participant: ParticipantScans | None) -> None:
        self.audio = list_audio(self.ctx.store, self.work.id, participant.participant_id) \
            if participant is not None and self.work is not None else []
        self.audio_list.clear()
        for audio in self.audio:
            item = QListWidgetItem(f"{audio.original_name} ({audio.size / 1048576:.1f} МБ)")
            item.setToolTip(audio.original_name)
            self.audio_list.addItem(item)
        if self.audio:
            self.audio_list.setCurrentRow(0)
        for w in (self.audio_label, self.audio_list, self.play_button):
            w.setVisible(bool(self.audio))
        self.audio_label.setText(f"Аудиозаписи ({len(self.audio)})")

    def attach_audio_file(self, path: Path | str | None = None) -> None:
        participant = self.current_participant()
        if participant is None or self.work is None:
            return
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, f"Аудиозапись участника {participant.code}", "", AUDIO_FILTER)
            if not name:
                return
            path = name
        try:
            _, changes = attach_audio(self.ctx.store, self.work.id, participant.code, path)
        except UserError as err:
            show_error(self, err)
            return
        self.subscription.publish(changes)

    def play_audio(self) -> None:
        row = self.audio_list.currentRow()
        if 0 <= row < len(self.audio):
            context.open_path(self.ctx.store.path(self.audio[row].stored_path))

    def purge_expired(self) -> None:
        offer_purge(self.ctx, self)

    # == the «Нераспознанные» queue =================================================================
    def current_waiting(self) -> Page | None:
        return self.waiting[self.wait_pos] if 0 <= self.wait_pos < len(self.waiting) else None

    def _show_waiting(self) -> None:
        page = self.current_waiting()
        controls = (self.code_edit, self.assign_button, self.blank_button, self.extra_button,
                    self.rotate_waiting_button, self.skip_button)
        for w in controls:
            w.setEnabled(page is not None)
        self.skip_button.setEnabled(len(self.waiting) > 1)
        if page is None:
            self.wait_viewer.show_page(None, header="Нераспознанных страниц нет", info="",
                                       empty_text="Сюда попадают страницы, которые программа не смогла отнести "
                                       "к участнику: без наклейки и не следом за титульным листом, с нечитаемой "
                                       "или чужой наклейкой.")
            self.wait_source.clear()
            self.wait_note.clear()
            return
        header = f"Страница {self.wait_pos + 1} из {len(self.waiting)}"
        source = "" if self.ctx.expert_mode else f"Файл: {page.source}"
        self.wait_viewer.show_page(page, header=header, info="")
        self.wait_source.setText(source)
        self.wait_source.setVisible(bool(source))
        self.wait_note.setText(f"Почему здесь: {page.note}" if page.note else "")
        if self.waiting[self.wait_pos + 1:self.wait_pos + 3]:
            self._prefetch([(self.wait_viewer, p) for p in self.waiting[self.wait_pos + 1:self.wait_pos + 3]])

    def step_waiting(self, delta: int) -> None:
        self._ensure_queues()
        if len(self.waiting) < 2:
            return
        self.wait_pos = (self.wait_pos + delta) % len(self.waiting)
        self.code_error.clear()
        self._show_waiting()

    def _take_waiting(self, page: Page) -> int:
        """Drop the page from the queue on screen and show the next one at once; returns its place."""
        index = next(i for i, p in enumerate(self.waiting) if p.id == page.id)
        del self.waiting[index]
        self.wait_pos = index if index < len(self.waiting) else 0
        self._show_waiting()
        self._update_tab_titles()
        return index

    def _put_back_waiting(self, page: Page, index: int) -> None:
        self.waiting.insert(index, page)
        self.wait_pos = index
        self._show_waiting()
        self._update_tab_titles()

    def assign_waiting(self) -> None:
        """Enter in the code field: give the page to that participant and show the next page."""
        self._ensure_queues()
        page = self.current_waiting()
        code = self.code_edit.text().strip()
        if page is None or not code:
            return
        self.completer.popup().hide()
        work_id = self.work_id or page.work_id
        if work_id is None:
            self.code_error.setText("Выберите работу в списке «Работа» вверху: страница не привязана ни к одной работе.")
            return
        if not (work_id == self.work_id and code in self._code_set):
            try:   # not a code of this work: the domain says what is wrong, nothing is written
                changes = assign_page(self.ctx.store, page.id, code, work_id)
            except UserError as err:
                self.code_error.setText(err.message)
                self.code_edit.selectAll()
                return
            self._take_waiting(page)
        else:
            index = self._take_waiting(page)     # the next page is on screen before the write
            try:
                changes = assign_page(self.ctx.store, page.id, code, work_id)
            except UserError as err:
                self._put_back_waiting(page, index)
                self.code_error.setText(err.message)
                return
        self.code_edit.clear()
        self.code_error.setText("")
        self.code_edit.setFocus()
        self.subscription.publish(changes)

    def mark_waiting(self, status: str) -> None:
        self._ensure_queues()
        page = self.current_waiting()
        if page is None:
            return
        index = self._take_waiting(page)
        try:
            changes = mark_page(self.ctx.store, page.id, status)
        except UserError as err:
            self._put_back_waiting(page, index)
            self.code_error.setText(err.message)
            return
        self.code_error.setText("")
        self.subscription.publish(changes)

    # == the «Спорные» queue ========================================================================
    def current_conflict(self) -> Page | None:
        return self.conflicts[self.conflict_pos] if 0 <= self.conflict_pos < len(self.conflicts) else None

    def _show_conflict(self) -> None:
        page = self.current_conflict()
        self.conflict_error.clear()
        for w in (self.keep_new_button, self.keep_old_button):
            w.setEnabled(page is not None)
        self.next_conflict_button.setEnabled(len(self.conflicts) > 1)
        if page is None:
            self.conflict_info.setText("Спорных страниц нет. Сюда попадает второй титульный лист участника "
                                       "(например, работу отсканировали дважды).")
            self.conflict_new.show_page(None, header="", info="")
            self.conflict_old.show_page(None, header="", info="", empty_text="")
            return
        who = self.who(page.code, page.participant_id)
        place = f"Спорная {self.conflict_pos + 1} из {len(self.conflicts)}. "
        source = "" if self.ctx.expert_mode else f" (файл «{page.source}»)"
        current = participant_pages(self.ctx.store, page.participant_id) if page.participant_id else []
        title = next((p for p in current if p.is_title), current[0] if current else None)
        if page.is_title:
            self.conflict_info.setText(
                place + f"У участника «{who}» второй титульный лист{source}. Слева — новый, справа — прежний. "
                "Оставьте верный: другой лист уйдёт в «Нераспознанные».")
            self.keep_new_button.setText("Оставить новый титульный лист")
            self.keep_old_button.setText("Оставить прежний")
            new_header = f"Новый титульный лист · {who}"
        else:
            self.conflict_info.setText(
                place + f"Эта страница{source} шла следом за спорным титульным листом участника «{who}». "
                "Добавьте её к работе участника или верните в «Нераспознанные».")
            self.keep_new_button.setText("Добавить к работе участника")
            self.keep_old_button.setText("В «Нераспознанные»")
            new_header = f"Страница после спорного листа · {who}"
        self.conflict_new.show_page(page, header=new_header, info="")
        if title is None:
            self.conflict_old.show_page(None, header="Прежний титульный лист", info="",
                                        empty_text="У участника сейчас нет титульного листа.")
        else:
            self.conflict_old.show_page(title, header="Прежний титульный лист" if title.is_title
                                        else "Первая страница участника", info="")

    def step_conflict(self, delta: int) -> None:
        self._ensure_queues()
        if len(self.conflicts) < 2:
            return
        self.conflict_pos = (self.conflict_pos + delta) % len(self.conflicts)
        self._show_conflict()

    def resolve(self, keep: str) -> None:
        self._ensure_queues()
        page = self.current_conflict()
        if page is None:
            return
        try:
            if page.is_title:
                changes = resolve_conflict(self.ctx.store, page.id, keep)
            elif keep == "new":
                changes = assign_page(self.ctx.store, page.id, page.code or "", page.work_id)
            else:
                changes = mark_page(self.ctx.store, page.id, "unassigned")
        except UserError as err:
            self.conflict_error.setText(err.message)
            return
        self.subscription.publish(changes)

    # == viewers ====================================================================================
    def current_viewer(self) -> ScanViewer:
        tab = self.tabs.currentIndex()
        if tab == TAB_WAITING:
            return self.wait_viewer
        if tab == TAB_CONFLICTS:
            return self.conflict_old if self.conflict_old.isAncestorOf(self.focusWidget()) else self.conflict_new
        return self.viewer

    def _page_rotated(self, page: Page) -> None:
        for participant in self.scans:
            for p in participant.pages:
                if p.id == page.id:
                    p.rotation = page.rotation
        item = self.strip.currentItem()
        if item is not None and item.data(PAGE_ID) == page.id:
            item.setIcon(self._thumb(page))

    def _tab_changed(self, index: int) -> None:
        if index in (TAB_WAITING, TAB_CONFLICTS):
            self._ensure_queues()
        if index == TAB_WAITING and self.current_waiting() is not None:
            self.code_edit.setFocus()

    def _prefetch(self, items: list[tuple[ScanViewer, Page]]) -> None:
        self._prefetch_queue = items
        self._prefetch_timer.start()

    def _prefetch_one(self) -> None:
        while self._prefetch_queue:
            viewer, page = self._prefetch_queue.pop(0)
            if viewer.isVisible():
                viewer.prefetch(page)
                break
        if self._prefetch_queue:
            self._prefetch_timer.start()

    def _prefetch_neighbours(self) -> None:
        row = self.table.currentIndex().row()
        items = []
        for r in (row + 1, row - 1):
            if 0 <= r < self.proxy.rowCount():
                pages = self.proxy.record_at(r).pages
                if pages:
                    items.append((self.viewer, pages[0]))
        if items:
            self._prefetch(items)

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
            show_error(self, "Импорт сканов уже идёт. Дождитесь его окончания.")
            return
        work_id = self.work_box.currentData()     # the work chosen, even if its scans are still loading
        workers = self.import_workers

        def job(task: TaskContext) -> ScanImportReport:
            store = task.open_store()
            return import_scans(store, paths, work_id=work_id, progress=task.progress,
                                cancelled=lambda: task.cancelled, workers=workers)

        def done(report: ScanImportReport) -> None:
            self._import_finished()
            self.last_report = report
            self.subscription.publish(report.changes or Changes.of("scans"))
            show_import_report(self, report)

        def failed(err: BaseException) -> None:
            self._import_finished()
            self.subscription.publish(Changes.of("scans"))
            show_error(self, err if isinstance(err, UserError)
                       else f"Импорт сканов не удался: {err}\nПодробности записаны в журнал.")

        self.importing = True
        self.import_files_button.setEnabled(False)
        self.import_folder_button.setEnabled(False)
        self.ctx.tasks.run(self, "Импорт сканов", job, done, failed)

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

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.dropped_paths(event) and not self.importing:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.dropped_paths(event) and not self.importing:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self.dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # Start after the drop returns, so the file manager the files came from is not held up.
        QTimer.singleShot(0, lambda: self.import_paths(paths))
