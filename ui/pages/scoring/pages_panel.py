"""The pages panel of the scoring tabs: a participant's scanned pages (thumbnails and the viewer)
shown beside the score cells, and the layout that puts them side by side."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QWidget,
)

from coordinator_app.scans.pages import Page, participant_pages
from coordinator_app.scoring import ScoreRow

from ...context import AppContext
from ...scan_viewer import ScanViewer
from ...thumbnails import ThumbnailCache
from .cells import bind

THUMB = QSize(58, 82)
PAGE_ID = Qt.ItemDataRole.UserRole


def pages_beside(tab: Any, side: QWidget, sizes: list[int]) -> None:
    """Lay out a scoring tab: its pages panel (`tab.panel`) on the left, `side` on the right; the
    keys that move between participants (`tab.step`) and pages; follow the sheet's row changes
    (`tab.row_changed`)."""
    splitter = QSplitter()
    splitter.addWidget(tab.panel)
    splitter.addWidget(side)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    splitter.setSizes(sizes)
    splitter.setChildrenCollapsible(False)
    layout = QHBoxLayout(tab)
    layout.setContentsMargins(0, 4, 0, 0)
    layout.addWidget(splitter)
    bind(tab, ["PgDown", "Alt+Right"], lambda: tab.step(1))
    bind(tab, ["PgUp", "Alt+Left"], lambda: tab.step(-1))
    bind(tab, ["Ctrl+Down"], lambda: tab.panel.step_page(1))
    bind(tab, ["Ctrl+Up"], lambda: tab.panel.step_page(-1))
    tab.sheet.row_changed.connect(tab.row_changed)


# == the participant's pages =========================================================================


class PagesPanel(QWidget):
    """A participant's scanned pages: thumbnails on the left, the page viewer (reused) on the right."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, keep_index: bool = False) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.keep_index = keep_index          # «По заданию»: the same page number for the next participant
        self.pages: list[Page] = []
        self.row: ScoreRow | None = None
        self._thumbs = ThumbnailCache(ctx.store, THUMB)
        self._header = ""
        self.viewer = ScanViewer(ctx, empty_text="Выберите участника")
        self.viewer.rotated.connect(self._rotated)
        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.TopToBottom)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(THUMB)
        self.strip.setGridSize(QSize(THUMB.width() + 14, THUMB.height() + 22))
        self.strip.setUniformItemSizes(True)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setFixedWidth(THUMB.width() + 34)
        self.strip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.strip.setToolTip("Страницы участника (Ctrl+↓ / Ctrl+↑ — следующая / предыдущая)")
        self.strip.currentRowChanged.connect(lambda _: self._show_current())
        self._prefetch_queue: list[Page] = []
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(30)
        self._prefetch_timer.timeout.connect(self._prefetch_one)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.strip)
        layout.addWidget(self.viewer, 1)

    def show_participant(self, row: ScoreRow | None, header: str) -> None:
        keep = self.strip.currentRow() if self.keep_index else 0
        self.row = row
        self._header = header
        self.pages = participant_pages(self.ctx.store, row.participant_id) if row is not None else []
        self.strip.blockSignals(True)
        self.strip.clear()
        for number, page in enumerate(self.pages, start=1):
            item = QListWidgetItem(self._thumb(page), str(number))
            item.setData(PAGE_ID, page.id)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.strip.addItem(item)
        if self.pages:
            self.strip.setCurrentRow(min(max(keep, 0), len(self.pages) - 1))
        self.strip.blockSignals(False)
        self._show_current()

    def refresh(self) -> None:
        """The same participant again (their pages changed)."""
        self.show_participant(self.row, self._header)

    def _show_current(self) -> None:
        i = self.strip.currentRow()
        page = self.pages[i] if 0 <= i < len(self.pages) else None
        if page is None:
            empty = ("Выберите участника" if self.row is None else
                     "Участник отсутствовал." if self.row.absent else "Сканов этого участника нет.")
            self.viewer.show_page(None, header=self._header, info="", empty_text=empty)
            return
        self.viewer.show_page(page, header=self._header, info=f"страница {i + 1} из {len(self.pages)}")

    def step_page(self, delta: int) -> None:
        if self.pages:
            self.strip.setCurrentRow(min(max(self.strip.currentRow() + delta, 0), len(self.pages) - 1))

    def _thumb(self, page: Page) -> QIcon:
        return self._thumbs.icon(page)

    def _rotated(self, page: Page) -> None:
        item = self.strip.currentItem()
        if item is not None and item.data(PAGE_ID) == page.id:
            item.setIcon(self._thumb(page))

    def prefetch(self, rows: list[ScoreRow]) -> None:
        """Decode the page the user will see next for each of `rows` (after the current one is drawn)."""
        index = self.strip.currentRow() if self.keep_index else 0
        queue = []
        for row in rows:
            pages = participant_pages(self.ctx.store, row.participant_id)
            if pages:
                queue.append(pages[min(max(index, 0), len(pages) - 1)])
        self._prefetch_queue = queue
        if queue:
            self._prefetch_timer.start()

    def _prefetch_one(self) -> None:
        if self._prefetch_queue and self.viewer.isVisible():
            self.viewer.prefetch(self._prefetch_queue.pop(0))
        if self._prefetch_queue:
            self._prefetch_timer.start()


# == one score cell ==================================================================================
