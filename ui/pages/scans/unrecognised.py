"""«Нераспознанные»: the pages the program could not give to a participant, one at a time; typing
a code and Enter gives the page away and shows the next one at once."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QStringListModel, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.scans.pages import Page, assign_page, mark_page, queue

from ...context import AppContext
from ...scan_viewer import ScanViewer
from .common import ERROR_STYLE, HINT_STYLE, NOTE_STYLE, Prefetcher, bind, position_of


class UnrecognisedQueue(QWidget):
    """The «unassigned» pages of the work shown (or of every work), loaded when first needed."""

    published = Signal(object)      # Changes made here
    size_changed = Signal()         # the number of pages waiting changed (the tab's title)

    def __init__(self, ctx: AppContext, prefetcher: Prefetcher, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.prefetcher = prefetcher
        self.work_id: int | None = None
        self.codes: set[str] = set()            # the codes of the work shown
        self.pages: list[Page] = []
        self.pos = 0
        # The pages are loaded when the tab is shown (`ensure`); until then only their number.
        self._stale = False
        self._keep: Page | None = None
        self._size = 0
        self.viewer = ScanViewer(ctx, empty_text="Нераспознанных страниц нет.")
        layout = QHBoxLayout(self)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(self._build_side())
        bind(self, ["PgDown", "Alt+Right"], lambda: self.step(1))
        bind(self, ["PgUp", "Alt+Left"], lambda: self.step(-1))

    def _build_code_field(self) -> QHBoxLayout:
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
        self.code_edit.returnPressed.connect(self.assign)
        self.code_edit.textEdited.connect(lambda _: self.code_error.clear())
        self.assign_button = QPushButton("Назначить")
        self.assign_button.setToolTip("Отдать страницу участнику с этим кодом (Enter)")
        self.assign_button.clicked.connect(self.assign)
        self.code_error = QLabel()
        self.code_error.setWordWrap(True)
        self.code_error.setStyleSheet(ERROR_STYLE)
        code_row = QHBoxLayout()
        code_row.addWidget(self.code_edit, 1)
        code_row.addWidget(self.assign_button)
        return code_row

    def _build_buttons(self) -> QGridLayout:
        self.blank_button = QPushButton("Пустая страница")
        self.blank_button.setToolTip("Страница без ответов: хранится, но не входит в работу участника")
        self.blank_button.clicked.connect(lambda: self.mark("blank"))
        self.extra_button = QPushButton("Лишняя")
        self.extra_button.setToolTip("Чужая или ошибочно отсканированная страница: хранится, но ни к кому не относится")
        self.extra_button.clicked.connect(lambda: self.mark("extra"))
        self.rotate_button = QPushButton("Повернуть")
        self.rotate_button.setToolTip("Повернуть на 90° по часовой стрелке (R, Ctrl+R)")
        self.rotate_button.clicked.connect(lambda: self.viewer.rotate())
        self.skip_button = QPushButton("Пропустить")
        self.skip_button.setToolTip("Оставить страницу в очереди и перейти к следующей (PgDown; назад — PgUp)")
        self.skip_button.clicked.connect(lambda: self.step(1))
        grid = QGridLayout()
        grid.addWidget(self.blank_button, 0, 0)
        grid.addWidget(self.extra_button, 0, 1)
        grid.addWidget(self.rotate_button, 1, 0)
        grid.addWidget(self.skip_button, 1, 1)
        return grid

    def _build_side(self) -> QWidget:
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        code_row = self._build_code_field()
        grid = self._build_buttons()
        hint = QLabel("Введите код участника и нажмите Enter — страница уйдёт к нему, и сразу откроется следующая. "
                      "PgDown / PgUp — следующая / предыдущая страница, Ctrl+R — повернуть.")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)
        side = QFrame()
        side.setFixedWidth(310)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.source)
        side_layout.addWidget(self.note)
        side_layout.addSpacing(8)
        side_layout.addWidget(QLabel("Код участника:"))
        side_layout.addLayout(code_row)
        side_layout.addWidget(self.code_error)
        side_layout.addSpacing(8)
        side_layout.addLayout(grid)
        side_layout.addSpacing(8)
        side_layout.addWidget(hint)
        side_layout.addStretch(1)
        return side

    # == the queue ==================================================================================
    def set_codes(self, codes: list[str]) -> None:
        """The codes of the work shown: offered as the code is typed."""
        self.codes = set(codes)
        self.code_model.setStringList(codes)

    def invalidate(self, work_id: int | None, size: int, changed_work: bool) -> None:
        """The queue changed (or another work is shown): reload it when next needed, back at the
        same page if the work is the same. `size`: the number of pages, for the tab's title."""
        if not self._stale:      # else the page to come back to is kept from before
            self._keep = None if changed_work else self.current()
        elif changed_work:
            self._keep = None
        if changed_work:
            self.pos = 0
        self.work_id = work_id
        self._stale = True
        self._size = size

    def ensure(self) -> None:
        """Load the pages if they changed since last shown."""
        if not self._stale:
            return
        keep, self._keep = self._keep, None
        self._stale = False
        self.pages = queue(self.ctx.store, "unassigned", self.work_id)
        self.pos = position_of(self.pages, keep, self.pos)
        self._show()
        self.size_changed.emit()

    def size(self) -> int:
        return self._size if self._stale else len(self.pages)

    def current(self) -> Page | None:
        return self.pages[self.pos] if 0 <= self.pos < len(self.pages) else None

    def _show(self) -> None:
        page = self.current()
        controls = (self.code_edit, self.assign_button, self.blank_button, self.extra_button,
                    self.rotate_button, self.skip_button)
        for w in controls:
            w.setEnabled(page is not None)
        self.skip_button.setEnabled(len(self.pages) > 1)
        if page is None:
            self.viewer.show_page(None, header="Нераспознанных страниц нет", info="",
                                  empty_text="Сюда попадают страницы, которые программа не смогла отнести "
                                  "к участнику: без наклейки и не следом за титульным листом, с нечитаемой "
                                  "или чужой наклейкой.")
            self.source.clear()
            self.note.clear()
            return
        header = f"Страница {self.pos + 1} из {len(self.pages)}"
        source = "" if self.ctx.expert_mode else f"Файл: {page.source}"
        self.viewer.show_page(page, header=header, info="")
        self.source.setText(source)
        self.source.setVisible(bool(source))
        self.note.setText(f"Почему здесь: {page.note}" if page.note else "")
        if self.pages[self.pos + 1:self.pos + 3]:
            self.prefetcher.prefetch([(self.viewer, p) for p in self.pages[self.pos + 1:self.pos + 3]])

    def step(self, delta: int) -> None:
        self.ensure()
        if len(self.pages) < 2:
            return
        self.pos = (self.pos + delta) % len(self.pages)
        self.code_error.clear()
        self._show()

    def _take(self, page: Page) -> int:
        """Drop the page from the queue on screen and show the next one at once; returns its place."""
        index = next(i for i, p in enumerate(self.pages) if p.id == page.id)
        del self.pages[index]
        self.pos = index if index < len(self.pages) else 0
        self._show()
        self.size_changed.emit()
        return index

    def _put_back(self, page: Page, index: int) -> None:
        self.pages.insert(index, page)
        self.pos = index
        self._show()
        self.size_changed.emit()

    # == actions ====================================================================================
    def assign(self) -> None:
        """Enter in the code field: give the page to that participant and show the next page."""
        self.ensure()
        page = self.current()
        code = self.code_edit.text().strip()
        if page is None or not code:
            return
        self.completer.popup().hide()
        work_id = self.work_id or page.work_id
        if work_id is None:
            self.code_error.setText("Выберите работу в списке «Работа» вверху: страница не привязана ни к одной работе.")
            return
        if not (work_id == self.work_id and code in self.codes):
            try:   # not a code of this work: the domain says what is wrong, nothing is written
                changes = assign_page(self.ctx.store, page.id, code, work_id)
            except UserError as err:
                self.code_error.setText(err.message)
                self.code_edit.selectAll()
                return
            self._take(page)
        else:
            index = self._take(page)     # the next page is on screen before the write
            try:
                changes = assign_page(self.ctx.store, page.id, code, work_id)
            except UserError as err:
                self._put_back(page, index)
                self.code_error.setText(err.message)
                return
        self.code_edit.clear()
        self.code_error.setText("")
        self.code_edit.setFocus()
        self.published.emit(changes)

    def mark(self, status: str) -> None:
        """The page is blank or extra: it leaves the queue."""
        self.ensure()
        page = self.current()
        if page is None:
            return
        index = self._take(page)
        try:
            changes = mark_page(self.ctx.store, page.id, status)
        except UserError as err:
            self._put_back(page, index)
            self.code_error.setText(err.message)
            return
        self.code_error.setText("")
        self.published.emit(changes)
