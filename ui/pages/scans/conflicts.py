"""«Спорные»: a participant's second title page (the work scanned twice), shown beside the title
page they have; the coordinator keeps one. The pages that followed a disputed title page are
given to the participant or sent back to «Нераспознанные»."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.scans.pages import (
    Page,
    assign_page,
    mark_page,
    participant_pages,
    queue,
    resolve_conflict,
)

from ...context import AppContext
from ...scan_viewer import ScanViewer
from .common import ERROR_STYLE, bind, position_of, who


class ConflictsQueue(QWidget):
    """The «conflict» pages of the work shown (or of every work), loaded when first needed."""

    published = Signal(object)      # Changes made here
    size_changed = Signal()         # the number of disputed pages changed (the tab's title)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.work_id: int | None = None
        self.names: dict[int, str] = {}         # the pupils' names that may be shown (none for experts)
        self.pages: list[Page] = []
        self.pos = 0
        self._stale = False
        self._keep: Page | None = None
        self._size = 0
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.new_viewer = ScanViewer(ctx, empty_text="Спорных страниц нет.")
        self.old_viewer = ScanViewer(ctx, empty_text="")
        for viewer in (self.new_viewer, self.old_viewer):
            viewer.view.mode = "page"
        self.keep_new_button = QPushButton("Оставить новый титульный лист")
        self.keep_new_button.clicked.connect(lambda: self.resolve("new"))
        self.keep_old_button = QPushButton("Оставить прежний")
        self.keep_old_button.clicked.connect(lambda: self.resolve("old"))
        self.next_button = QPushButton("Следующая спорная")
        self.next_button.clicked.connect(lambda: self.step(1))
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_new_button)
        buttons.addWidget(self.keep_old_button)
        buttons.addWidget(self.error, 1)
        buttons.addWidget(self.next_button)
        pair = QSplitter()
        pair.addWidget(self.new_viewer)
        pair.addWidget(self.old_viewer)
        pair.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addWidget(pair, 1)
        layout.addLayout(buttons)
        bind(self, ["PgDown", "Alt+Right"], lambda: self.step(1))
        bind(self, ["PgUp", "Alt+Left"], lambda: self.step(-1))

    # == the queue ==================================================================================
    def invalidate(self, work_id: int | None, size: int, changed_work: bool) -> None:
        """As `UnrecognisedQueue.invalidate`."""
        if not self._stale:
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
        self.pages = queue(self.ctx.store, "conflict", self.work_id)
        self.pos = position_of(self.pages, keep, self.pos)
        self._show()
        self.size_changed.emit()

    def size(self) -> int:
        return self._size if self._stale else len(self.pages)

    def current(self) -> Page | None:
        return self.pages[self.pos] if 0 <= self.pos < len(self.pages) else None

    def current_viewer(self) -> ScanViewer:
        """The viewer the keys act on: the previous title page's if it has the focus."""
        return self.old_viewer if self.old_viewer.isAncestorOf(self.focusWidget()) else self.new_viewer

    def _show(self) -> None:
        page = self.current()
        self.error.clear()
        for w in (self.keep_new_button, self.keep_old_button):
            w.setEnabled(page is not None)
        self.next_button.setEnabled(len(self.pages) > 1)
        if page is None:
            self.info.setText("Спорных страниц нет. Сюда попадает второй титульный лист участника "
                              "(например, работу отсканировали дважды).")
            self.new_viewer.show_page(None, header="", info="")
            self.old_viewer.show_page(None, header="", info="", empty_text="")
            return
        self._show_new(page)
        self._show_old(page)

    def _show_new(self, page: Page) -> None:
        name = who(self.names, page.code, page.participant_id)
        place = f"Спорная {self.pos + 1} из {len(self.pages)}. "
        source = "" if self.ctx.expert_mode else f" (файл «{page.source}»)"
        if page.is_title:
            self.info.setText(
                place + f"У участника «{name}» второй титульный лист{source}. Слева — новый, справа — прежний. "
                "Оставьте верный: другой лист уйдёт в «Нераспознанные».")
            self.keep_new_button.setText("Оставить новый титульный лист")
            self.keep_old_button.setText("Оставить прежний")
            header = f"Новый титульный лист · {name}"
        else:
            self.info.setText(
                place + f"Эта страница{source} шла следом за спорным титульным листом участника «{name}». "
                "Добавьте её к работе участника или верните в «Нераспознанные».")
            self.keep_new_button.setText("Добавить к работе участника")
            self.keep_old_button.setText("В «Нераспознанные»")
            header = f"Страница после спорного листа · {name}"
        self.new_viewer.show_page(page, header=header, info="")

    def _show_old(self, page: Page) -> None:
        current = participant_pages(self.ctx.store, page.participant_id) if page.participant_id else []
        title = next((p for p in current if p.is_title), current[0] if current else None)
        if title is None:
            self.old_viewer.show_page(None, header="Прежний титульный лист", info="",
                                      empty_text="У участника сейчас нет титульного листа.")
        else:
            self.old_viewer.show_page(title, header="Прежний титульный лист" if title.is_title
                                      else "Первая страница участника", info="")

    def step(self, delta: int) -> None:
        self.ensure()
        if len(self.pages) < 2:
            return
        self.pos = (self.pos + delta) % len(self.pages)
        self._show()

    def resolve(self, keep: str) -> None:
        """Keep the new title page or the previous one («new» / «old»); a following page: give it to
        the participant («new») or send it back to «Нераспознанные»."""
        self.ensure()
        page = self.current()
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
            self.error.setText(err.message)
            return
        self.published.emit(changes)
