"""«По участникам»: the work's participants with their page counts, the selected participant's
pages (drag to reorder, right click for more) beside the viewer, and their audio recordings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.scans.audio import AudioFile, attach_audio, list_audio
from coordinator_app.scans.pages import (
    METHOD_RU,
    Page,
    ParticipantScans,
    assign_page,
    mark_page,
    reorder_pages,
)
from coordinator_app.works import Work

from ... import context, messages
from ...context import AppContext
from ...dialogs.retention_dialog import offer_purge
from ...scan_viewer import ScanViewer
from ...table_model import Column, RecordTableModel, SearchProxy
from ...thumbnails import ThumbnailCache
from ...widgets import fit_columns, search_field, table_view
from .common import (
    ABSENT_BG,
    ABSENT_FG,
    HINT_STYLE,
    MISSING_BG,
    PAGE_ID,
    THUMB,
    Prefetcher,
    bind,
    who,
)

AUDIO_FILTER = "Аудиозаписи (*.mp3 *.wav *.ogg *.m4a *.MP3 *.WAV *.OGG *.M4A);;Все файлы (*)"


class PageStrip(QListWidget):
    """Thumbnails of a participant's pages, top to bottom; drag one to change the order.

    Qt moves the row in the model (InternalMove), which emits `rowsMoved`; the view saves the
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

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        super().dropEvent(event)
        self.doItemsLayout()   # back to one neat column whatever free position the drop chose


class ParticipantsView(QWidget):
    """The participants of the work shown, each with their pages and audio recordings."""

    published = Signal(object)      # Changes made here
    reload_wanted = Signal()        # what is shown is out of date (a refused reorder)

    def __init__(self, ctx: AppContext, prefetcher: Prefetcher, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.prefetcher = prefetcher
        self.work: Work | None = None
        self.scans: list[ParticipantScans] = []
        self.names: dict[int, str] = {}
        self.codes: list[str] = []
        self.any_pages = False
        self.page_counts: tuple[int | None, list[ParticipantScans]] = (None, [])
        self.audio: list[AudioFile] = []
        self._thumbs = ThumbnailCache(ctx.store, THUMB)
        self._expert = ctx.expert_mode
        self._keep_page_id: int | None = None
        toolbar = self._build_toolbar()
        splitter = QSplitter()
        splitter.addWidget(self._build_table())
        splitter.addWidget(self._build_pages())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([450, 700])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        bind(self, ["PgDown", "Alt+Right"], lambda: self.step_participant(1))
        bind(self, ["PgUp", "Alt+Left"], lambda: self.step_participant(-1))

    # == building ===================================================================================
    def _build_toolbar(self) -> QHBoxLayout:
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
        return toolbar

    def _build_table(self) -> QWidget:
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
        self.summary.setStyleSheet(HINT_STYLE)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.summary)
        return left

    def _build_pages(self) -> QWidget:
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
        self.viewer.rotated.connect(self.page_rotated)
        right = QWidget()
        right_layout = QHBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(middle)
        right_layout.addWidget(self.viewer, 1)
        return right

    def _columns(self) -> list[Column[ParticipantScans]]:
        def bg(p: ParticipantScans):   # «no scans» is worth a colour only once scanning has begun
            return ABSENT_BG if p.absent else (MISSING_BG if not p.pages and self.any_pages else None)

        def fg(p: ParticipantScans):
            return ABSENT_FG if p.absent else None

        def tip(p: ParticipantScans) -> str | None:
            if p.absent:
                return "Отмечен отсутствовавшим"
            return None if p.pages or not self.any_pages else "Сканов этого участника пока нет"

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
    def show_work(self, work: Work | None, data: dict, changed_work: bool) -> None:
        """Show one work's participants and scans (as the page's reader returned them)."""
        keep_participant = None if changed_work else self.current_participant_id()
        keep_page = None if changed_work else self.current_strip_page_id()
        self.work = work
        self.scans = data["scans"]
        self.any_pages = any(p.pages for p in self.scans)
        self.names = data["names"]
        self.page_counts = data["page_counts"]
        self.codes = [p.code for p in self.scans]
        if self._expert != self.ctx.expert_mode:
            self._expert = self.ctx.expert_mode
            self.model.columns = self._columns()
        self.model.set_records(self.scans)
        fit_columns(self.table)
        self._restore_participant(keep_participant, keep_page)

    def update_summary(self, works_to_choose: bool) -> None:
        """The line under the table: how many participants have scans, who has none, odd page counts."""
        self.summary.setText(self._summary(works_to_choose))

    def _summary(self, works_to_choose: bool) -> str:
        if self.work is None:
            return ("Выберите работу, чтобы увидеть сканы по участникам." if works_to_choose
                    else "Работ пока нет: создайте работу на странице «Работы».")
        if not self.scans:
            return "У работы ещё нет участников: выдайте коды на странице «Коды и протокол»."
        if not self.any_pages:
            return (f"Участников: {len(self.scans)}. Сканов этой работы пока нет: импортируйте их кнопками "
                    "вверху или перетащите файлы и папки в окно.")
        with_pages = sum(1 for p in self.scans if p.pages)
        missing = sum(1 for p in self.scans if not p.pages and not p.absent)
        pages = sum(len(p.pages) for p in self.scans)
        text = f"Участников: {len(self.scans)}, со сканами: {with_pages}, страниц: {pages}."
        if missing:
            text += f" Без сканов (не отмечены отсутствующими): {missing} — выделены жёлтым."
        expected, odd = self.page_counts
        if odd:
            listed = ", ".join(f"{p.code} — {len(p.pages)}" for p in odd[:10]) + (" …" if len(odd) > 10 else "")
            text += f" Число страниц не как в работе ({expected}): {listed}."
        return text

    def names_shown(self) -> dict[int, str]:
        """The pupils' names that may be shown: none in expert mode."""
        return {} if self.ctx.expert_mode else self.names

    # == the participant ============================================================================
    def current_participant(self) -> ParticipantScans | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.record_at(index.row())

    def current_participant_id(self) -> int | None:
        participant = self.current_participant()
        return participant.participant_id if participant else None

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
        pages = participant.pages if participant else []
        self._fill_strip(pages, keep)
        self.strip_label.setText(f"Страницы ({len(pages)})" if participant else "Страницы")
        self._load_audio(participant)
        self.audio_button.setEnabled(participant is not None)
        self._show_strip_page()
        self._prefetch_neighbours()

    def _fill_strip(self, pages: list[Page], keep: int | None) -> None:
        self.strip.blockSignals(True)
        self.strip.clear()
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

    # == the strip of pages =========================================================================
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
        header = who(self.names_shown(), participant.code, participant.participant_id)
        if page is None:
            self.viewer.show_page(None, header=header, info="",
                                  empty_text="Участник отмечен отсутствовавшим." if participant.absent
                                  else "Сканов этого участника пока нет.")
            return
        number = self.strip.currentRow()
        self.viewer.show_page(page, header=header, info=self._page_info(page, number, len(participant.pages)))

    def _thumb(self, page: Page) -> QIcon:
        return self._thumbs.icon(page)

    def page_rotated(self, page: Page) -> None:
        """A page was turned (in any of the page's viewers): its thumbnail and the data in memory follow."""
        for participant in self.scans:
            for p in participant.pages:
                if p.id == page.id:
                    p.rotation = page.rotation
        item = self.strip.currentItem()
        if item is not None and item.data(PAGE_ID) == page.id:
            item.setIcon(self._thumb(page))

    def _prefetch_neighbours(self) -> None:
        row = self.table.currentIndex().row()
        items = []
        for r in (row + 1, row - 1):
            if 0 <= r < self.proxy.rowCount():
                pages = self.proxy.record_at(r).pages
                if pages:
                    items.append((self.viewer, pages[0]))
        if items:
            self.prefetcher.prefetch(items)

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
            messages.show_error(self, err)
            self.reload_wanted.emit()
            return
        self.published.emit(changes)

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
            messages.show_error(self, err)
            return
        self.published.emit(changes)

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
            changes = assign_page(self.ctx.store, page.id, code, self.work.id if self.work else None)
        except UserError as err:
            messages.show_error(self, err)
            return
        self.published.emit(changes)

    # == audio ======================================================================================
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
            messages.show_error(self, err)
            return
        self.published.emit(changes)

    def play_audio(self) -> None:
        row = self.audio_list.currentRow()
        if 0 <= row < len(self.audio):
            context.open_path(self.ctx.store.path(self.audio[row].stored_path))

    def purge_expired(self) -> None:
        offer_purge(self.ctx, self)
