"""«Проверка»: experts enter scores against the criteria, the coordinator follows the progress and
runs the second check.

Tabs: «По участнику» (a participant's pages beside one row of task cells), «По заданию» (one task
through every present participant), «Таблица класса» (a spreadsheet-like grid for transcribing
paper score tables), «Журнал и пол», «Ход проверки», «Перепроверка».

Every cell is written the moment it is entered (`ScoreSheet` → `set_score`: one short transaction
with its audit record), and only that participant's row is refreshed. The scores are saved in the
name of the expert chosen in «Эксперт:». Participants are codes everywhere on this page; only the
«Журнал и пол» tab shows ФИО, and only outside expert mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QRegularExpression, \
    QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFocusEvent, QIcon, QKeyEvent, QKeySequence, \
    QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
    QListView, QListWidget, QListWidgetItem, QPushButton, QScrollArea, QSpinBox, QSplitter,
    QStyledItemDelegate, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from coordinator_app.changes import Changes
from coordinator_app.errors import UserError
from coordinator_app.experts import list_experts, work_experts
from coordinator_app.scans.pages import Page, participant_pages
from coordinator_app.scoring import JOURNAL_MARKS, NOT_PASSED, STATUS_RU, ClassProgress, ScoreRow, work_progress
from coordinator_app.second_check import (
    Discrepancy, RecheckUnfinished, TaskDiff, checks, create_check, discrepancies, make_recheck_pdf, sampled_ids,
)
from coordinator_app.works import Work, get_work, list_works

from .. import context, messages
from ..context import AppContext
from ..loader import PageLoader
from ..scan_viewer import ScanViewer
from ..thumbnails import ThumbnailCache
from ..score_grid import ABSENT_BG, ABSENT_FG, MISSING_BG, ScoreGridModel, ScoreGridView, ScoreSheet, shown, \
    task_title
from ..table_model import Column, RecordTableModel
from ..tasks import TaskContext
from ..widgets import page_title, table_view

Index = QModelIndex | QPersistentModelIndex
ERROR_STYLE = "color: #b00020"
OK_STYLE = "color: #2e7d32"
CELL_ERROR_STYLE = "QLineEdit { border: 2px solid #b00020; background: #fdecea; }"
CELL_EMPTY_STYLE = "QLineEdit { background: #fff8dc; }"
THUMB = QSize(58, 82)
PAGE_ID = Qt.ItemDataRole.UserRole
TAB_PARTICIPANT, TAB_TASK, TAB_GRID, TAB_JOURNAL, TAB_PROGRESS, TAB_SECOND = range(6)
NOT_PASSED_KEYS = {"n", "N", "н", "Н"}
X_KEYS = {"x", "X", "х", "Х"}
#: Tasks worth less than this many points take their score from one key (when the setting is on).
ONE_KEY_BELOW = 10


def _safe(text: str) -> str:
    return re.sub(r"[^\w\-]+", "_", text).strip("_")


def _bind(parent: QWidget, keys: list[str], slot: Callable[[], Any]) -> QShortcut:
    shortcut = QShortcut(parent)
    shortcut.setKeys([QKeySequence(k) for k in keys])
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(slot)
    return shortcut


def _restyle(widget: QWidget, style: str) -> None:
    """Set a widget's style sheet only if it differs: setting one re-polishes the widget (~0.5 ms),
    and a row refreshed after each score must cost what changed, not what is shown."""
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)


def _set_text(edit: QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)


def _pages_beside(tab: Any, side: QWidget, sizes: list[int]) -> None:
    """Lay out a scoring tab: its pages panel (`tab.panel`) on the left, `side` on the right; the
    keys that move between participants (`tab.step`) and pages; follow the sheet's row changes."""
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
    _bind(tab, ["PgDown", "Alt+Right"], lambda: tab.step(1))
    _bind(tab, ["PgUp", "Alt+Left"], lambda: tab.step(-1))
    _bind(tab, ["Ctrl+Down"], lambda: tab.panel.step_page(1))
    _bind(tab, ["Ctrl+Up"], lambda: tab.panel.step_page(-1))
    tab.sheet.row_changed.connect(tab._row_changed)


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


class ScoreEdit(QLineEdit):
    """A score cell: Enter/Tab commit and move on, Esc reverts, N (Н) is «не пройд.». Where the
    task is worth at most 9 points and the setting is on, one key (a digit, X/Х) writes the score
    and moves on: the commonest job of the program in half the keystrokes."""

    def __init__(self, owner: Any, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.owner = owner
        self.index = index
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMaxLength(12)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.setFont(font)
        self.setFixedWidth(78)
        # The cell's text when one key brought the cursor here: an Enter (or Tab) pressed out of
        # habit right after it, the text untouched, confirms that key instead of moving on again.
        self.after_one_key: str | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and \
                not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            backwards = event.key() == Qt.Key.Key_Backtab or bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            after_one_key, self.after_one_key = self.after_one_key, None
            if after_one_key == self.text() and not backwards:
                return True   # the Tab of habit after one key: that key has already moved on
            self.owner.commit_and_move(self.index, -1 if backwards else 1)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        after_one_key, self.after_one_key = self.after_one_key, None
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if after_one_key == self.text():
                return
            self.owner.commit_and_move(self.index, 1)
        elif key == Qt.Key.Key_Escape:
            self.owner.revert(self.index)
        elif key == Qt.Key.Key_Down and not event.modifiers():
            self.owner.commit_and_move(self.index, 1, wrap=False)
        elif key == Qt.Key.Key_Up and not event.modifiers():
            self.owner.commit_and_move(self.index, -1, wrap=False)
        elif event.text() in NOT_PASSED_KEYS and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.owner.not_passed(self.index)
        elif (value := self._one_key_value(event)) is not None:
            self.setText(value)
            if self.owner.commit_and_move(self.index, 1):
                target = self.owner.focusWidget()
                if isinstance(target, ScoreEdit):
                    target.after_one_key = target.text()
        else:
            super().keyPressEvent(event)

    def _one_key_value(self, event: QKeyEvent) -> str | None:
        """The score one key stands for, when one key is all this cell needs."""
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return None
        text = event.text()
        if len(text) != 1 or not (text in X_KEYS or "0" <= text <= "9"):
            return None
        maximum = self.owner.one_key_max(self.index)
        if maximum is None or maximum >= ONE_KEY_BELOW:
            return None
        return "X" if text in X_KEYS else text

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        self.owner.focused(self.index)
        self.selectAll()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.after_one_key = None
        if event.reason() not in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason):
            self.owner.commit(self.index, quiet=True)


def _one_key_box(sheet: ScoreSheet) -> QCheckBox:
    """The switch of scoring by one key, kept in step with the sheet's setting."""
    box = QCheckBox("Одна клавиша")
    box.setToolTip("Задание до 9 баллов: цифра, X или N записывает балл и сразу переходит дальше, "
                   "Enter не нужен. Снимите флажок, чтобы подтверждать каждый балл клавишей Enter.")
    box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    box.setChecked(sheet.one_key)
    box.toggled.connect(sheet.set_one_key)
    sheet.reloaded.connect(lambda: box.setChecked(sheet.one_key))
    return box


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setMinimumHeight(36)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def _expert_tip(row: ScoreRow, task_id: str) -> str:
    if row.scores.get(task_id) is None:
        return "Не заполнено"
    who = row.experts.get(task_id)
    return f"Балл внёс(ла): {who}" if who else "Заполнено"


# == «По участнику» ==================================================================================


class ParticipantTab(QWidget):
    def __init__(self, page: "ScoringPage") -> None:
        super().__init__()
        self.page = page
        self.sheet = page.sheet
        self.rows: list[ScoreRow] = []
        self.pos = -1
        self.cells: list[ScoreEdit] = []
        self.cell_labels: list[QLabel] = []
        self.variant_edits: list[QLineEdit] = []
        self._last_cell = 0

        self.panel = PagesPanel(page.ctx)

        self.code_label = QLabel()
        self.code_label.setStyleSheet("font-size: 16pt; font-weight: bold")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.prev_button = QPushButton("◀ Предыдущий")
        self.prev_button.setToolTip("Предыдущий участник (PgUp)")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton("Следующий ▶")
        self.next_button.setToolTip("Следующий участник (PgDown)")
        self.next_button.clicked.connect(lambda: self.step(1))
        self.jump_edit = QLineEdit()
        self.jump_edit.setPlaceholderText("перейти к коду")
        self.jump_edit.setMaximumWidth(130)
        self.jump_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\s*\d{0,6}\s*"), self.jump_edit))
        self.jump_edit.returnPressed.connect(self._jump)
        self.position_label = QLabel()
        self.position_label.setStyleSheet("color: #555")
        for button in (self.prev_button, self.next_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addWidget(self.jump_edit)
        nav.addWidget(self.position_label, 1)

        self.variants_row = QHBoxLayout()
        self.absent_box = QCheckBox("отсутствовал")
        self.absent_box.setToolTip("Участник не писал работу: баллы ему не ставятся")
        self.absent_box.toggled.connect(self._absent_toggled)

        self.cells_widget = QWidget()
        self.cells_grid = QGridLayout(self.cells_widget)
        self.cells_grid.setContentsMargins(0, 0, 0, 0)
        self.cells_grid.setHorizontalSpacing(10)
        self.cells_grid.setVerticalSpacing(4)
        scroll = QScrollArea()
        scroll.setWidget(self.cells_widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setStyleSheet("QScrollArea { background: transparent; }")
        scroll.viewport().setAutoFillBackground(False)
        self.cells_widget.setAutoFillBackground(False)

        self.error = _error_label()
        self.x_button = QPushButton("X — нет ответа")
        self.x_button.setToolTip("Записать X в выбранное задание (можно набрать X или Х)")
        self.x_button.clicked.connect(lambda: self._put(self._last_cell, "X"))
        self.np_button = QPushButton("не пройд. (N)")
        self.np_button.setToolTip("Тема ещё не пройдена (клавиша N или Н в ячейке)")
        self.np_button.clicked.connect(lambda: self.not_passed(self._last_cell))
        for button in (self.x_button, self.np_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.one_key_box = _one_key_box(self.sheet)
        buttons = QHBoxLayout()
        buttons.addWidget(self.x_button)
        buttons.addWidget(self.np_button)
        buttons.addStretch(1)
        buttons.addWidget(self.one_key_box)
        self.total_label = QLabel()
        self.total_label.setStyleSheet("font-size: 14pt; font-weight: bold; color: #1a3d7c")
        self.mark_note = QLabel()
        self.mark_note.setStyleSheet("color: #555")
        hint = QLabel("Enter или Tab — записать и перейти к следующему заданию; после последнего — следующий "
                      "участник. Задание до 9 баллов — одна клавиша (цифра, X, N), без Enter. Esc — вернуть "
                      "прежнее значение. PgDown / PgUp — следующий / предыдущий участник, "
                      "Ctrl+↓ / Ctrl+↑ — страницы скана.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555")

        side = QWidget()
        side.setMinimumWidth(380)
        side.setMaximumWidth(520)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.code_label)
        side_layout.addWidget(self.status_label)
        side_layout.addLayout(nav)
        side_layout.addLayout(self.variants_row)
        side_layout.addWidget(scroll, 1)
        side_layout.addWidget(self.error)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.total_label)
        side_layout.addWidget(self.mark_note)
        side_layout.addWidget(hint)

        _pages_beside(self, side, [640, 420])

    # -- structure --------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """New cells for the work's tasks (only when the work changes)."""
        for widget in self.cells + self.cell_labels:
            widget.deleteLater()
        self.cells, self.cell_labels = [], []
        while self.variants_row.count():
            item = self.variants_row.takeAt(0)
            if item.widget() is not None and item.widget() is not self.absent_box:
                item.widget().deleteLater()
        self.variant_edits = []
        work = self.sheet.work
        if work is not None:
            for part in range(1, work.parts + 1):
                self.variants_row.addWidget(QLabel("Вариант:" if work.parts == 1 else f"Вариант ч. {part}:"))
                edit = QLineEdit()
                edit.setFixedWidth(48)
                edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\s*\d{0,2}\s*"), edit))
                edit.setToolTip("Номер варианта" + (f" части {part}" if work.parts > 1 else ""))
                edit.editingFinished.connect(lambda p=part: self.commit_variant(p))
                edit.returnPressed.connect(lambda: self._focus_cell(0))
                self.variants_row.addWidget(edit)
                self.variant_edits.append(edit)
            tasks = work.tasks
            per_column = len(tasks) if len(tasks) <= 12 else (len(tasks) + 1) // 2
            for i, task in enumerate(tasks):
                label = QLabel(task_title(task))
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell = ScoreEdit(self, i)
                label.setBuddy(cell)
                column = (i // per_column) * 2
                self.cells_grid.addWidget(label, i % per_column, column)
                self.cells_grid.addWidget(cell, i % per_column, column + 1)
                self.cells.append(cell)
                self.cell_labels.append(label)
            self.cells_grid.setRowStretch(per_column, 1)
            self.cells_grid.setColumnStretch(((len(tasks) - 1) // per_column + 1) * 2 if tasks else 0, 1)
            self.np_button.setVisible(work.allows_not_passed)
        self.variants_row.addSpacing(16)
        self.variants_row.addWidget(self.absent_box)
        self.variants_row.addStretch(1)

    def set_rows(self, rows: list[ScoreRow], keep: int | None = None) -> None:
        """The participants to go through (the class filter); keeps participant `keep` (else the
        current one) if it is there."""
        if keep is None and self.current() is not None:
            keep = self.current().participant_id
        self.rows = rows
        pos = next((i for i, r in enumerate(rows) if r.participant_id == keep), 0 if rows else -1)
        self.show_row(pos)

    def current(self) -> ScoreRow | None:
        return self.rows[self.pos] if 0 <= self.pos < len(self.rows) else None

    # -- showing ----------------------------------------------------------------------------------
    def show_row(self, pos: int, focus: int | None = None) -> None:
        self.pos = pos
        row = self.current()
        self.error.clear()
        self._fill(row, force=True)
        if row is None:
            self.panel.show_participant(None, "")
        else:
            self.panel.show_participant(row, f"Код {row.code}")
            self.panel.prefetch([r for r in (self._neighbour(1), self._neighbour(-1)) if r is not None])
        if focus is not None and row is not None:
            if row.absent or not self.cells:
                self.absent_box.setFocus()
            else:
                self._focus_cell(min(focus, len(self.cells) - 1))

    def _neighbour(self, delta: int) -> ScoreRow | None:
        pos = self.pos + delta
        return self.rows[pos] if 0 <= pos < len(self.rows) else None

    def _fill(self, row: ScoreRow | None, force: bool = False) -> None:
        """Texts and states from the row. A cell being typed in keeps its text unless `force`.
        Only what differs is touched, so refreshing the row after a score costs about one cell."""
        focus = self.focusWidget() if not force else None
        for i, cell in enumerate(self.cells):
            task_id = self.sheet.tasks[i].task_id
            if row is None:
                _set_text(cell, "")
                cell.setEnabled(False)
                continue
            value = shown(row.scores.get(task_id))
            if cell is not focus or cell.text().strip() == "" or force:
                _set_text(cell, value)
                _restyle(cell, CELL_EMPTY_STYLE if not value and not row.absent else "")
            cell.setEnabled(not row.absent)
            tip = _expert_tip(row, task_id)
            if cell.toolTip() != tip:
                cell.setToolTip(tip)
        for part, edit in enumerate(self.variant_edits, start=1):
            if edit is not focus or force:
                _set_text(edit, row.variants.get(part) or "" if row else "")
            edit.setEnabled(row is not None and not row.absent)
        self.absent_box.blockSignals(True)
        self.absent_box.setChecked(bool(row and row.absent))
        self.absent_box.setEnabled(row is not None)
        self.absent_box.blockSignals(False)
        self._labels(row)

    def _labels(self, row: ScoreRow | None) -> None:
        if row is None:
            self.code_label.setText("Нет участников" if self.sheet.work else "Выберите работу")
            self.status_label.clear()
            self.total_label.clear()
            self.mark_note.clear()
            self.position_label.clear()
            return
        self.code_label.setText(f"Код {row.code} · {row.class_name}")
        filled = self.sheet.filled(row)
        status = STATUS_RU[row.status]
        self.status_label.setText(f"Статус: <b>{status}</b>" + ("" if row.absent else
                                  f" · заполнено заданий: {filled} из {len(self.sheet.tasks)}"))
        self.position_label.setText(f"{self.pos + 1} из {len(self.rows)}")
        scale = bool(self.sheet.work and self.sheet.work.scale)
        if row.absent:
            self.total_label.setText("Отсутствовал")
            self.mark_note.clear()
        else:
            mark = f" · отметка «{row.mark}»" if row.mark else ""
            self.total_label.setText(f"Итого: {row.total} из {self.sheet.max_total}{mark}")
            self.mark_note.setText("" if row.mark or not scale else "Отметка появится, когда заполнены все задания.")

    def _row_changed(self, participant_id: int) -> None:
        row = self.current()
        if row is not None and row.participant_id == participant_id:
            self._fill(row)

    # -- editing ----------------------------------------------------------------------------------
    def focused(self, index: int) -> None:
        self._last_cell = index

    def _focus_cell(self, index: int) -> None:
        if 0 <= index < len(self.cells) and self.cells[index].isEnabled():
            self.cells[index].setFocus(Qt.FocusReason.OtherFocusReason)
            self.cells[index].selectAll()
            self._last_cell = index

    def _show_error(self, cell: QLineEdit, message: str, focus: bool) -> None:
        self.error.setText(message)
        _restyle(cell, CELL_ERROR_STYLE)
        if focus:
            cell.setFocus()
            cell.selectAll()

    def commit(self, index: int, quiet: bool = False) -> bool:
        """Write the cell if its text changed. Refused → the reason in red, the cell keeps focus."""
        row = self.current()
        if row is None or not (0 <= index < len(self.cells)) or row.absent:
            return True
        cell = self.cells[index]
        task_id = self.sheet.tasks[index].task_id
        text = cell.text().strip()
        if text == shown(row.scores.get(task_id)):
            if cell.styleSheet() == CELL_ERROR_STYLE:
                _restyle(cell, CELL_EMPTY_STYLE if not text else "")
                self.error.clear()
            return True
        try:
            self.sheet.write(row, task_id, text)
        except UserError as err:
            self._show_error(cell, err.message, focus=not quiet)
            return False
        value = shown(row.scores.get(task_id))
        cell.setText(value)
        _restyle(cell, CELL_EMPTY_STYLE if not value else "")
        self.error.clear()
        return True

    def commit_and_move(self, index: int, delta: int, wrap: bool = True) -> bool:
        """Write the cell and move on; False (and the cursor stays) when the value was refused."""
        if not self.commit(index):
            return False
        target = index + delta
        if 0 <= target < len(self.cells):
            self._focus_cell(target)
        elif wrap and delta > 0:
            self.step(1, auto=True)
        elif wrap and delta < 0:
            self.step(-1, focus_last=True)
        return True

    def revert(self, index: int) -> None:
        row = self.current()
        if row is None:
            return
        cell = self.cells[index]
        value = shown(row.scores.get(self.sheet.tasks[index].task_id))
        cell.setText(value)
        _restyle(cell, CELL_EMPTY_STYLE if not value else "")
        cell.selectAll()
        self.error.clear()

    def _put(self, index: int, text: str) -> None:
        if 0 <= index < len(self.cells) and self.cells[index].isEnabled():
            self.cells[index].setText(text)
            self.commit_and_move(index, 1)

    def one_key_max(self, index: int) -> int | None:
        """The task's maximum when one key enters its score (the setting is on), else None."""
        if not self.sheet.one_key or not 0 <= index < len(self.sheet.tasks):
            return None
        return self.sheet.tasks[index].max_score

    def not_passed(self, index: int) -> None:
        work = self.sheet.work
        if work is None or not (0 <= index < len(self.cells)):
            return
        if not work.allows_not_passed:
            self._show_error(self.cells[index], "«не пройд.» в этой работе не допускается.", focus=True)
            return
        self._put(index, NOT_PASSED)

    def commit_variant(self, part: int) -> bool:
        row = self.current()
        if row is None or part > len(self.variant_edits):
            return True
        edit = self.variant_edits[part - 1]
        try:
            self.sheet.write_variant(row, part, edit.text())
        except UserError as err:
            self._show_error(edit, err.message, focus=False)
            return False
        _restyle(edit, "")
        return True

    def commit_focused(self) -> bool:
        widget = self.focusWidget()
        if widget in self.cells:
            return self.commit(self.cells.index(widget))
        if widget in self.variant_edits:
            return self.commit_variant(self.variant_edits.index(widget) + 1)
        return True

    def _absent_toggled(self, on: bool) -> None:
        row = self.current()
        if row is None:
            return
        try:
            self.sheet.write_absent(row, on)
        except UserError as err:
            self.absent_box.blockSignals(True)
            self.absent_box.setChecked(not on)
            self.absent_box.blockSignals(False)
            self.error.setText(err.message)
            return
        self.error.clear()
        self._fill(row, force=True)

    # -- moving between participants --------------------------------------------------------------
    def step(self, delta: int, auto: bool = False, focus_last: bool = False) -> bool:
        """Next/previous participant (the current cell is written first). `auto`: skip the absent."""
        if not self.commit_focused():
            return False
        pos = self.pos + delta
        while auto and 0 <= pos < len(self.rows) and self.rows[pos].absent:
            pos += delta
        if not 0 <= pos < len(self.rows):
            self.error.setText("Это последний участник в списке." if delta > 0 else "Это первый участник в списке.")
            return False
        self.show_row(pos, focus=len(self.cells) - 1 if focus_last else 0)
        return True

    def go_to(self, participant_id: int, task_id: str | None = None) -> bool:
        pos = next((i for i, r in enumerate(self.rows) if r.participant_id == participant_id), None)
        if pos is None:
            return False
        index = next((i for i, t in enumerate(self.sheet.tasks) if t.task_id == task_id), 0)
        self.show_row(pos, focus=index)
        if task_id is not None and task_id.startswith("вариант") and self.variant_edits:
            self.variant_edits[0].setFocus()
        return True

    def _jump(self) -> None:
        code = self.jump_edit.text().strip()
        row = self.sheet.by_code.get(code)
        if row is None or not self.go_to(row.participant_id):
            self.error.setText(f"Участника с кодом {code} нет" + (" в выбранном классе." if row else " в этой работе."))
            return
        self.jump_edit.clear()


# == «По заданию» ====================================================================================


class TaskListModel(QAbstractTableModel):
    """Present participants with their score for one task."""

    HEADERS = ("Код", "Класс", "Балл")

    def __init__(self, sheet: ScoreSheet, parent: Any = None) -> None:
        super().__init__(parent)
        self.sheet = sheet
        self.rows: list[ScoreRow] = []
        self.task_id: str | None = None
        self._row_of: dict[int, int] = {}
        self.filled: set[int] = set()      # participants with a value for the task, kept cell by cell
        sheet.row_changed.connect(self._changed)

    def set_rows(self, rows: list[ScoreRow], task_id: str | None) -> None:
        self.beginResetModel()
        self.rows, self.task_id = rows, task_id
        self._row_of = {r.participant_id: i for i, r in enumerate(rows)}
        self.filled = {r.participant_id for r in rows if task_id and r.scores.get(task_id) is not None}
        self.endResetModel()

    def _changed(self, participant_id: int) -> None:
        row = self._row_of.get(participant_id)
        if row is not None:
            if self.task_id and self.rows[row].scores.get(self.task_id) is not None:
                self.filled.add(participant_id)
            else:
                self.filled.discard(participant_id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, 2))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        value = row.scores.get(self.task_id) if self.task_id else None
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.code, row.class_name, shown(value))[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == 2 and value is None:
            return QBrush(MISSING_BG)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2 and self.task_id:
            return _expert_tip(row, self.task_id)
        return None


class TaskTab(QWidget):
    def __init__(self, page: "ScoringPage") -> None:
        super().__init__()
        self.page = page
        self.sheet = page.sheet
        self.panel = PagesPanel(page.ctx, keep_index=True)
        self.task_box = QComboBox()
        self.task_box.currentIndexChanged.connect(lambda _: self._task_changed())
        self.skip_filled = QCheckBox("пропускать уже оценённых")
        self.skip_filled.setToolTip("Enter переходит к следующему участнику без балла за это задание")
        self.model = TaskListModel(self.sheet, self)
        self.table = table_view(self)
        self.table.setSortingEnabled(False)
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._participant_changed())
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumWidth(220)

        self.cell_label = QLabel()
        self.cell_label.setStyleSheet("font-size: 12pt; font-weight: bold")
        self.cell_label.setWordWrap(True)
        self.cell = ScoreEdit(self, 0)
        self.error = _error_label()
        self.x_button = QPushButton("X — нет ответа")
        self.x_button.clicked.connect(lambda: self._put("X"))
        self.np_button = QPushButton("не пройд. (N)")
        self.np_button.clicked.connect(lambda: self.not_passed(0))
        for button in (self.x_button, self.np_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.one_key_box = _one_key_box(self.sheet)
        self.progress_label = QLabel()
        self.progress_label.setStyleSheet("color: #555")
        hint = QLabel("Enter — записать и перейти к следующему участнику (задание до 9 баллов — одна клавиша, без "
                      "Enter); ↑ / ↓ или PgUp / PgDown — предыдущий / "
                      "следующий участник. Номер страницы скана сохраняется при переходе (Ctrl+↓ / Ctrl+↑ — листать).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555")

        task_row = QHBoxLayout()
        task_row.addWidget(QLabel("Задание:"))
        task_row.addWidget(self.task_box, 1)
        cell_row = QHBoxLayout()
        cell_row.addWidget(QLabel("Балл:"))
        cell_row.addWidget(self.cell)
        cell_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.x_button)
        buttons.addWidget(self.np_button)
        buttons.addWidget(self.one_key_box)
        buttons.addStretch(1)
        side = QWidget()
        side.setMinimumWidth(330)
        side.setMaximumWidth(420)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addLayout(task_row)
        side_layout.addWidget(self.skip_filled)
        side_layout.addWidget(self.table, 1)
        side_layout.addWidget(self.progress_label)
        side_layout.addWidget(self.cell_label)
        side_layout.addLayout(cell_row)
        side_layout.addWidget(self.error)
        side_layout.addLayout(buttons)
        side_layout.addWidget(hint)
        _pages_beside(self, side, [680, 380])
        self._all: list[ScoreRow] = []

    def rebuild(self) -> None:
        keep = self.task_box.currentData()
        self.task_box.blockSignals(True)
        self.task_box.clear()
        for task in self.sheet.tasks:
            self.task_box.addItem(f"Задание {task_title(task)}", task.task_id)
        index = self.task_box.findData(keep)
        self.task_box.setCurrentIndex(max(index, 0))
        self.task_box.blockSignals(False)
        self.np_button.setVisible(bool(self.sheet.work and self.sheet.work.allows_not_passed))

    def set_rows(self, rows: list[ScoreRow]) -> None:
        self._all = rows
        self._refill()

    def _refill(self) -> None:
        current = self.current()
        keep = current.participant_id if current is not None else None
        present = [r for r in self._all if not r.absent]
        self.model.set_rows(present, self.task_id())
        row = next((i for i, r in enumerate(present) if r.participant_id == keep), 0)
        if present:
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self._participant_changed()
        self._progress()

    def task_id(self) -> str | None:
        return self.task_box.currentData()

    def _task_changed(self) -> None:
        task_id = self.task_id()
        self.model.set_rows(self.model.rows, task_id)
        if self.model.rows:
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._participant_changed()
        self._progress()
        self.cell.setFocus()

    def current(self) -> ScoreRow | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    def _participant_changed(self) -> None:
        row = self.current()
        task_id = self.task_id()
        task = next((t for t in self.sheet.tasks if t.task_id == task_id), None)
        self.error.clear()
        _restyle(self.cell, "")
        if row is None or task is None:
            self.cell_label.setText("")
            self.cell.setText("")
            self.cell.setEnabled(False)
            self.panel.show_participant(None, "")
            return
        self.cell.setEnabled(True)
        self.cell_label.setText(f"Код {row.code} · задание {task_title(task)}")
        self.cell.setText(shown(row.scores.get(task.task_id)))
        self.cell.setToolTip(_expert_tip(row, task.task_id))
        self.cell.selectAll()
        self.panel.show_participant(row, f"Код {row.code} · задание {task.task_id}")
        pos = self.table.currentIndex().row()
        self.panel.prefetch([self.model.rows[p] for p in (pos + 1, pos - 1) if 0 <= p < len(self.model.rows)])

    def _progress(self) -> None:
        rows = self.model.rows
        self.progress_label.setText(f"Заполнено: {len(self.model.filled)} из {len(rows)}" if rows else
                                    "Нет присутствовавших участников.")

    def _row_changed(self, participant_id: int) -> None:
        row = self.current()
        if row is not None and row.participant_id == participant_id and not self.cell.hasFocus():
            self.cell.setText(shown(row.scores.get(self.task_id() or "")))
        if self.isVisible():
            self._progress()

    # the ScoreEdit owner API
    def focused(self, index: int) -> None:
        pass

    def commit(self, index: int = 0, quiet: bool = False) -> bool:
        row, task_id = self.current(), self.task_id()
        if row is None or task_id is None:
            return True
        text = self.cell.text().strip()
        if text == shown(row.scores.get(task_id)):
            _restyle(self.cell, "")
            return True
        try:
            self.sheet.write(row, task_id, text)
        except UserError as err:
            self.error.setText(err.message)
            _restyle(self.cell, CELL_ERROR_STYLE)
            if not quiet:
                self.cell.setFocus()
                self.cell.selectAll()
            return False
        self.cell.setText(shown(row.scores.get(task_id)))
        _restyle(self.cell, "")
        self.error.clear()
        self._progress()
        return True

    def commit_and_move(self, index: int, delta: int, wrap: bool = True) -> bool:
        if not self.commit():
            return False
        self.step(delta, skip=wrap and delta > 0 and self.skip_filled.isChecked(), commit=False)
        return True

    def step(self, delta: int, skip: bool = False, commit: bool = True) -> bool:
        if commit and not self.commit():
            return False
        rows, task_id = self.model.rows, self.task_id()
        pos = self.table.currentIndex().row() + delta
        while skip and 0 <= pos < len(rows) and rows[pos].scores.get(task_id or "") is not None:
            pos += delta
        if not 0 <= pos < len(rows):
            self.error.setText("Это последний участник в списке." if delta > 0 else "Это первый участник в списке.")
            self.cell.selectAll()
            return False
        self.table.setCurrentIndex(self.model.index(pos, 0))
        self.table.scrollTo(self.model.index(pos, 0))
        self.cell.setFocus()
        self.cell.selectAll()
        return True

    def revert(self, index: int = 0) -> None:
        self._participant_changed()

    def _put(self, text: str) -> None:
        if self.cell.isEnabled():
            self.cell.setText(text)
            self.commit_and_move(0, 1)

    def one_key_max(self, index: int = 0) -> int | None:
        work, task_id = self.sheet.work, self.task_id()
        if not self.sheet.one_key or work is None:
            return None
        return next((t.max_score for t in work.tasks if t.task_id == task_id), None)

    def not_passed(self, index: int = 0) -> None:
        work = self.sheet.work
        if work is not None and not work.allows_not_passed:
            self.error.setText("«не пройд.» в этой работе не допускается.")
            return
        self._put(NOT_PASSED)


# == «Таблица класса» ================================================================================


class GridTab(QWidget):
    def __init__(self, sheet: ScoreSheet, parent: QWidget | None = None, variants_editable: bool = True,
                 legend: str | None = None) -> None:
        super().__init__(parent)
        self.model = ScoreGridModel(sheet, self, variants_editable=variants_editable)
        self.view = ScoreGridView(self)
        self.view.setModel(self.model)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model.problem.connect(self._problem)
        self.model.saved.connect(self._saved)

        def button(text: str, tip: str, slot) -> QPushButton:
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(slot)
            return b

        self.undo_button = button("↶ Отменить", "Отменить последнее изменение (Ctrl+Z)", self.view.undo)
        self.redo_button = button("↷ Повторить", "Повторить отменённое (Ctrl+Y)", self.view.redo)
        self.copy_button = button("Копировать", "Копировать выделенные ячейки (Ctrl+C)", self.view.copy_selection)
        self.paste_button = button("Вставить", "Вставить диапазон из Excel или другой таблицы (Ctrl+V)",
                                   lambda: self.view.paste())
        self.clear_button = button("Очистить", "Очистить выделенные ячейки (Delete)", self.view.clear_selection_cells)
        stack = self.model.undo_stack
        stack.canUndoChanged.connect(self.undo_button.setEnabled)
        stack.canRedoChanged.connect(self.redo_button.setEnabled)
        stack.undoTextChanged.connect(lambda t: self.undo_button.setToolTip(f"Отменить: {t} (Ctrl+Z)" if t else
                                                                            "Отменить (Ctrl+Z)"))
        stack.redoTextChanged.connect(lambda t: self.redo_button.setToolTip(f"Повторить: {t} (Ctrl+Y)" if t else
                                                                            "Повторить (Ctrl+Y)"))
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)
        toolbar = QHBoxLayout()
        for b in (self.undo_button, self.redo_button, self.copy_button, self.paste_button, self.clear_button):
            toolbar.addWidget(b)
        legend_label = QLabel(legend or "Жёлтые ячейки — не заполнены, серые строки — отсутствовавшие. Наберите балл "
                              "(X или Х — нет ответа), Enter или Tab — следующее задание.")
        legend_label.setWordWrap(True)
        legend_label.setStyleSheet("color: #555")
        toolbar.addWidget(legend_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def _problem(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text)

    def _saved(self, text: str) -> None:
        self.status.setStyleSheet(OK_STYLE)
        self.status.setText(text)


# == «Журнал и пол» ==================================================================================


class JournalModel(QAbstractTableModel):
    """Code, class, (ФИО outside expert mode), the journal mark, (gender), the work's mark."""

    problem = Signal(str)

    def __init__(self, sheet: ScoreSheet, parent: Any = None) -> None:
        super().__init__(parent)
        self.sheet = sheet
        self.rows: list[ScoreRow] = []
        self.names: dict[int, str] = {}
        self.columns: list[tuple[str, str]] = []
        self._row_of: dict[int, int] = {}
        sheet.row_changed.connect(self._changed)

    def set_rows(self, rows: list[ScoreRow], names: dict[int, str]) -> None:
        self.beginResetModel()
        work = self.sheet.work
        self.rows, self.names = rows, names
        self._row_of = {r.participant_id: i for i, r in enumerate(rows)}
        self.columns = [("code", "Код"), ("class", "Класс")]
        if names:
            self.columns.append(("fio", "ФИО"))
        self.columns.append(("journal", "Отметка в журнале"))
        if work is not None and work.has_gender:
            self.columns.append(("gender", "Пол"))
        self.columns.append(("mark", "Отметка за работу"))
        self.endResetModel()

    def column_of(self, kind: str) -> int:
        return next(i for i, (k, _) in enumerate(self.columns) if k == kind)

    def _changed(self, participant_id: int) -> None:
        row = self._row_of.get(participant_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        kind = self.columns[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if kind == "code":
                return row.code
            if kind == "class":
                return row.class_name
            if kind == "fio":
                return self.names.get(row.participant_id, "")
            if kind == "journal":
                return row.journal_mark or ""
            if kind == "gender":
                return {"м": "м", "ж": "ж"}.get(row.gender or "", "")
            if kind == "mark":
                return "отсутствовал" if row.absent else (row.mark or "")
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.absent:
                return QBrush(ABSENT_BG)
            if kind == "journal" and not row.journal_mark:
                return QBrush(MISSING_BG)
        if role == Qt.ItemDataRole.ForegroundRole and row.absent:
            return QBrush(ABSENT_FG)
        if role == Qt.ItemDataRole.TextAlignmentRole and kind in ("journal", "gender", "mark"):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if index.isValid() and self.columns[index.column()][0] in ("journal", "gender"):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self.rows[index.row()]
        kind = self.columns[index.column()][0]
        try:
            if kind == "journal":
                self.sheet.write_journal_mark(row, value)
            elif kind == "gender":
                self.sheet.write_gender(row, value)
            else:
                return False
        except UserError as err:
            self.problem.emit(err.message)
            return False
        return True


class ChoiceDelegate(QStyledItemDelegate):
    """A drop-down for the journal mark and the gender; the choice is saved at once."""

    def __init__(self, model: JournalModel, parent: QWidget) -> None:
        super().__init__(parent)
        self.journal = model

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:  # noqa: N802
        box = QComboBox(parent)
        kind = self.journal.columns[index.column()][0]
        box.addItem("", "")
        if kind == "journal":
            for mark in JOURNAL_MARKS:
                box.addItem(mark, mark)
        else:
            box.addItem("м", "м")
            box.addItem("ж", "ж")
        box.activated.connect(lambda _=0, b=box: (self.commitData.emit(b), self.closeEditor.emit(b)))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole) or ""), 0))
            editor.showPopup()

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class JournalView(QTableView):
    """Typing 5, 4, 3 or 2 sets the journal mark and moves down; 0 or «-» — «нет отметки»;
    м/ж (m/f) in the gender column; Delete clears."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        model = self.model()
        index = self.currentIndex()
        if isinstance(model, JournalModel) and index.isValid() and self.state() != QAbstractItemView.State.EditingState:
            kind = model.columns[index.column()][0]
            text = event.text()
            value: str | None = None
            if kind == "journal" and text in ("5", "4", "3", "2"):
                value = text
            elif kind == "journal" and text in ("0", "-"):
                value = "нет отметки"
            elif kind == "gender" and text.casefold() in ("м", "ж", "m", "f"):
                value = text
            elif kind in ("journal", "gender") and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                value = ""
            if value is not None:
                if model.setData(index, value) and index.row() + 1 < model.rowCount():
                    self.setCurrentIndex(model.index(index.row() + 1, index.column()))
                return
        super().keyPressEvent(event)


class JournalTab(QWidget):
    def __init__(self, page: "ScoringPage") -> None:
        super().__init__()
        self.page = page
        self.model = JournalModel(page.sheet, self)
        self.view = JournalView(self)
        self.view.setModel(self.model)
        self.view.setItemDelegate(ChoiceDelegate(self.model, self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.SelectedClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel()
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setWordWrap(True)
        self.model.problem.connect(self.status.setText)
        self.model.dataChanged.connect(lambda *_: self.status.clear())
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def set_rows(self, rows: list[ScoreRow]) -> None:
        names: dict[int, str] = {}
        work = self.page.work
        if work is not None and not self.page.ctx.expert_mode:
            from coordinator_app.codes import list_participants   # names: coordinator mode only

            names = {p.id: p.who for p in list_participants(self.page.ctx.store, work.id)}
        self.model.set_rows(rows, names)
        widths = {"code": 70, "class": 60, "fio": 260, "journal": 140, "gender": 60}
        header = self.view.horizontalHeader().fontMetrics()
        for i, (kind, title) in enumerate(self.model.columns):
            if kind in widths:          # never narrower than its title, whatever the font and its size
                self.view.setColumnWidth(i, max(widths[kind], header.horizontalAdvance(title) + 24))
        self.hint.setText(
            "Отметка за последнюю четверть (триместр) по журналу: выберите ячейку и нажмите 5, 4, 3 или 2 "
            "(0 — «нет отметки», Delete — очистить), курсор сам перейдёт ниже. Двойной щелчок — список."
            + (" Пол: м или ж." if work is not None and work.has_gender else "")
            + (" ФИО не показываются в режиме эксперта." if self.page.ctx.expert_mode else ""))


# == «Ход проверки» ==================================================================================


class ProgressTab(QWidget):
    def __init__(self, page: "ScoringPage") -> None:
        super().__init__()
        self.page = page
        self.ready = False
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.classes_model: RecordTableModel[ClassProgress] = RecordTableModel([
            Column("Класс", lambda c: c.class_name),
            Column("Проверено", lambda c: c.scored, Qt.AlignmentFlag.AlignRight),
            Column("Частично", lambda c: c.partial, Qt.AlignmentFlag.AlignRight,
                   background=lambda c: MISSING_BG if c.partial else None),
            Column("Не начато", lambda c: c.not_started, Qt.AlignmentFlag.AlignRight,
                   background=lambda c: MISSING_BG if c.not_started else None),
            Column("Отсутствовали", lambda c: c.absent, Qt.AlignmentFlag.AlignRight),
            Column("Всего", lambda c: c.total, Qt.AlignmentFlag.AlignRight),
        ], self)
        self.classes_view = table_view(self)
        self.classes_view.setSortingEnabled(False)
        self.classes_view.setModel(self.classes_model)
        self.missing_model: RecordTableModel[tuple[str, str, list[str]]] = RecordTableModel([
            Column("Код", lambda m: m[0]),
            Column("Класс", lambda m: m[1]),
            Column("Не заполнено", lambda m: ", ".join(m[2])),
        ], self)
        self.missing_view = table_view(self)
        self.missing_view.setSortingEnabled(False)
        self.missing_view.setModel(self.missing_model)
        self.missing_view.horizontalHeader().setStretchLastSection(True)
        self.missing_view.doubleClicked.connect(self._open)
        self.missing_view.activated.connect(self._open)
        self.missing_label = QLabel("Незаполненные ячейки (двойной щелчок — перейти к участнику):")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(QLabel("По классам:"))
        layout.addWidget(self.classes_view)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.missing_view, 1)

    def refresh(self) -> None:
        work = self.page.work
        if work is None:
            self.ready = False
            self.banner.setText("Выберите работу.")
            self.classes_model.set_records([])
            self.missing_model.set_records([])
            return
        progress = work_progress(self.page.ctx.store, work.id)
        self.ready = progress.ready
        classes = {r.code: r.class_name for r in self.page.sheet.rows}
        self.classes_model.set_records(progress.classes)
        self.classes_view.resizeColumnsToContents()
        self.classes_view.setFixedHeight(min(self.classes_view.horizontalHeader().height() + 24 * len(progress.classes)
                                             + 2 * self.classes_view.frameWidth() + 2, 260))
        self.missing_model.set_records([(code, classes.get(code, ""), gaps) for code, gaps in progress.missing])
        self.missing_view.resizeColumnToContents(0)
        if progress.ready:
            style, text = "#e3f4e4; color: #1b5e20", "✔ Работа готова к выгрузке: у всех присутствовавших заполнены " \
                                                     "все задания и варианты."
        elif not self.page.sheet.rows:
            style, text = "#fdecea; color: #8a1c1c", "Не готова: у работы нет участников (выдайте коды)."
        else:
            style, text = "#fff3c4; color: #6d4c00", (f"Не готова: не заполнено у участников — {len(progress.missing)}. "
                                                      "Список ниже.")
        self.banner.setStyleSheet(f"background: {style}; font-size: 12pt; font-weight: bold; padding: 10px; "
                                  "border-radius: 4px")
        self.banner.setText(text)
        self.missing_label.setVisible(bool(progress.missing))
        self.missing_view.setVisible(bool(progress.missing))

    def _open(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        code, _, gaps = self.missing_model.record(index.row())
        self.page.open_participant(code, gaps[0] if gaps else None)


# == «Перепроверка» ==================================================================================


class SecondCheckTab(QWidget):
    def __init__(self, page: "ScoringPage") -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx
        self.report = None
        self.inner = QTabWidget()
        self.inner.addTab(self._build_sample(), "Выборка и ввод вслепую")
        self.inner.addTab(self._build_discrepancies(), "Расхождения")
        self.inner.currentChanged.connect(lambda _: self.refresh_discrepancies() if self.inner.currentIndex() == 1
                                          else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.inner)
        page.sheet2.row_changed.connect(lambda _: setattr(self, "_stale", True))
        self._stale = True

    def _build_sample(self) -> QWidget:
        tab = QWidget()
        self.share = QSpinBox()
        self.share.setRange(0, 100)
        self.share.setValue(10)
        self.share.setSuffix(" %")
        self.share.setSpecialValueText("нет")
        self.share.setToolTip("Доля полностью проверенных работ, которые второй эксперт проверит ещё раз "
                              "(0 — только перечисленные коды)")
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("случайное")
        self.seed.setMaximumWidth(110)
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,9}"), self.seed))
        self.seed.setToolTip("Число, от которого зависит выбор работ: записывается в протокол, чтобы выбор можно "
                             "было повторить. Пусто — программа выберет сама.")
        self.codes = QLineEdit()
        self.codes.setPlaceholderText("и/или коды через запятую")
        self.expert_box = QComboBox()
        self.expert_box.setMinimumWidth(200)
        self.expert_box.setToolTip("Второй эксперт: баллы перепроверки сохраняются от его имени")
        self.create_button = QPushButton("Создать выборку")
        self.create_button.clicked.connect(self.create)
        # Making a sample is the coordinator's: hidden in expert mode (the second expert's blind
        # entry below and the choice of who enters stay).
        self.sample_controls = QWidget()
        sample_row = QHBoxLayout(self.sample_controls)
        sample_row.setContentsMargins(0, 0, 0, 0)
        sample_row.addWidget(QLabel("Доля:"))
        sample_row.addWidget(self.share)
        sample_row.addWidget(QLabel("зерно:"))
        sample_row.addWidget(self.seed)
        sample_row.addWidget(self.codes, 1)
        row = QHBoxLayout()
        row.addWidget(self.sample_controls, 1)
        row.addWidget(QLabel("Второй эксперт:"))
        row.addWidget(self.expert_box)
        row.addWidget(self.create_button)
        self.coordinator_widgets: list[QWidget] = [self.sample_controls, self.create_button]
        self.checks_label = QLabel()
        self.checks_label.setWordWrap(True)
        self.checks_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_error = _error_label()
        self.sample_error.setMinimumHeight(0)
        self.grid = GridTab(self.page.sheet2, tab, variants_editable=False, legend=(
            "Ввод второго эксперта вслепую: баллы первого эксперта здесь не показываются. Enter или Tab — "
            "следующее задание; Ctrl+V — вставить диапазон, Ctrl+Z — отменить."))
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.checks_label)
        layout.addWidget(self.sample_error)
        layout.addWidget(self.grid, 1)
        return tab

    def _build_discrepancies(self) -> QWidget:
        tab = QWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.diff_model: RecordTableModel[tuple[Discrepancy, TaskDiff]] = RecordTableModel([
            Column("Код", lambda d: d[0].code),
            Column("Класс", lambda d: d[0].class_name),
            Column("Задание", lambda d: d[1].task_id),
            Column("Макс.", lambda d: d[1].max_score, Qt.AlignmentFlag.AlignRight),
            Column("Эксперт 1", lambda d: shown(d[1].first), Qt.AlignmentFlag.AlignCenter),
            Column("Эксперт 2", lambda d: shown(d[1].second), Qt.AlignmentFlag.AlignCenter),
            Column("Разница", lambda d: f"{d[1].diff:+d}" if d[1].diff else "0", Qt.AlignmentFlag.AlignCenter,
                   foreground=lambda d: QColor("#b00020") if d[1].diff else None),
            Column("Итоговый", lambda d: shown(d[1].final), Qt.AlignmentFlag.AlignCenter,
                   background=lambda d: None if d[1].final is not None else MISSING_BG,
                   tooltip=lambda d: "Итоговый балл установлен" if d[1].final is not None else "Не урегулировано"),
        ], self)
        self.diff_view = table_view(self)
        self.diff_view.setSortingEnabled(False)
        self.diff_view.setModel(self.diff_model)
        self.diff_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.diff_view.doubleClicked.connect(lambda _: self.settle_current())
        self.totals_model: RecordTableModel[Discrepancy] = RecordTableModel([
            Column("Код", lambda d: d.code),
            Column("Класс", lambda d: d.class_name),
            Column("Итого 1", lambda d: d.first_total, Qt.AlignmentFlag.AlignRight),
            Column("Итого 2", lambda d: d.second_total if d.complete else f"{d.second_total}…",
                   Qt.AlignmentFlag.AlignRight,
                   tooltip=lambda d: None if d.complete else "Второй эксперт проверил не все задания"),
            Column("Отметка 1", lambda d: d.first_mark or "", Qt.AlignmentFlag.AlignCenter),
            Column("Отметка 2", lambda d: d.second_mark or "", Qt.AlignmentFlag.AlignCenter,
                   foreground=lambda d: QColor("#b00020") if d.complete and d.first_mark != d.second_mark else None),
            Column("Итог", lambda d: "" if d.final_total is None else d.final_total, Qt.AlignmentFlag.AlignRight),
            Column("Итоговая отметка", lambda d: d.final_mark or "", Qt.AlignmentFlag.AlignCenter),
        ], self)
        self.totals_view = table_view(self)
        self.totals_view.setSortingEnabled(False)
        self.totals_view.setModel(self.totals_model)
        self.settle_button = QPushButton("Итоговый балл…")
        self.settle_button.setToolTip("Решение комиссии по выбранному расхождению: балл и причина (двойной щелчок)")
        self.settle_button.clicked.connect(lambda: self.settle_current())
        self.pdf_button = QPushButton("Протокол перепроверки (PDF)")
        self.pdf_button.clicked.connect(self.make_pdf)
        self.pdf_status = QLabel()
        self.pdf_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.settle_button)
        buttons.addWidget(self.pdf_button)
        self.coordinator_widgets += [self.settle_button, self.pdf_button]
        buttons.addWidget(self.pdf_status, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Задания с разными баллами:"))
        top_layout.addWidget(self.diff_view)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(QLabel("Итоги по работам выборки:"))
        bottom_layout.addWidget(self.totals_view)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        return tab

    # -- data -------------------------------------------------------------------------------------
    def expert(self) -> str | None:
        return self.expert_box.currentData()

    def fill_experts(self, names: list[tuple[str, bool]]) -> None:
        keep = self.expert_box.currentData()
        self.expert_box.blockSignals(True)
        self.expert_box.clear()
        self.expert_box.addItem("— не выбран —", None)
        for name, assigned in names:
            self.expert_box.addItem(name if assigned else f"{name} (не назначен)", name)
        self.expert_box.setCurrentIndex(max(self.expert_box.findData(keep), 0))
        self.expert_box.blockSignals(False)

    @staticmethod
    def read(store, work: Work | None) -> dict:
        """The samples of `work` and their blind round's rows: only reads (a page loader's thread)."""
        ids = sampled_ids(store, work.id) if work else set()
        return {"ids": ids, "rows": ScoreSheet.read(store, work if ids else None, 2, ids),
                "checks": checks(store, work.id) if work else []}

    def reload(self) -> None:
        self.show_data(self.read(self.ctx.store, self.page.work))

    def show_data(self, data: dict) -> None:
        work = self.page.work
        ids = data["ids"]
        self.page.sheet2.apply(work if ids else None, ids, data["rows"])
        info = data["checks"]
        lines = []
        for number, c in enumerate(info, start=1):
            how = (f"{c.share * 100:g} % проверенных работ, зерно {c.seed}" if c.share else "выбранные коды")
            lines.append(f"Выборка {number} ({c.created_at[:10]}): {how}; второй эксперт: {c.expert or 'не указан'}; "
                         f"работ: {len(c.codes)} — коды {', '.join(c.codes)}")
        self.checks_label.setText("\n".join(lines) if lines else
                                  "Выборки ещё нет. Укажите долю (и, если нужно, зерно) или коды работ и нажмите "
                                  "«Создать выборку».")
        self.create_button.setEnabled(work is not None)
        self.grid.setVisible(bool(ids))
        self._stale = True
        if self.inner.currentIndex() == 1 and self.isVisible():
            self.refresh_discrepancies()

    def create(self) -> None:
        work = self.page.work
        if work is None or self.ctx.expert_mode:      # the coordinator's, not an expert's
            return
        codes = [c for c in re.split(r"[\s,;]+", self.codes.text()) if c]
        seed = int(self.seed.text()) if self.seed.text().strip() else None
        share = self.share.value() / 100 or None
        try:
            _, changes = create_check(self.ctx.store, work.id, share=share, codes=codes or None, seed=seed,
                                      expert=self.expert())
        except UserError as err:
            self.sample_error.setText(err.message)
            return
        self.sample_error.clear()
        self.codes.clear()
        self.page._publish(changes)
        self.reload()

    def refresh_discrepancies(self) -> None:
        work = self.page.work
        self._stale = False
        if work is None:
            self.diff_model.set_records([])
            self.totals_model.set_records([])
            self.summary.setText("Выберите работу.")
            return
        report = discrepancies(self.ctx.store, work.id)
        self.report = report
        rows = [(p, t) for p in report.participants for t in p.differing]
        self.diff_model.set_records(rows)
        self.totals_model.set_records(report.participants)
        for view in (self.diff_view, self.totals_view):
            view.resizeColumnsToContents()
        compared = sum(1 for p in report.participants if p.complete)
        unsettled = sum(1 for _, t in rows if t.final is None)
        if not report.participants:
            self.summary.setText("Выборки для перепроверки ещё нет.")
        else:
            self.summary.setText(
                f"В выборке работ: <b>{len(report.participants)}</b>, второй эксперт проверил полностью: "
                f"<b>{compared}</b>. Расхождений по заданиям: <b>{len(rows)}</b> (не урегулировано: {unsettled}). "
                f"Изменился бы итог у <b>{report.changed_totals}</b>, отметка — у <b>{report.changed_marks}</b>.")
        self.settle_button.setEnabled(bool(rows))

    def settle_current(self, dialog_hook: Callable[[Any], None] | None = None) -> bool:
        if self.ctx.expert_mode:                         # the commission's decision: not an expert's
            return False
        from ..dialogs.second_check_dialog import SettleDialog

        index = self.diff_view.currentIndex()
        work = self.page.work
        if work is None or not index.isValid():
            return False
        participant, task = self.diff_model.record(index.row())
        dialog = SettleDialog(self.ctx.store, work.id, participant.code, task.task_id, task.max_score, task.first,
                              task.second, task.final, expert=self.page.current_expert(), parent=self)
        if dialog_hook is not None:
            dialog_hook(dialog)
        elif dialog.exec() != SettleDialog.DialogCode.Accepted:
            return False
        if dialog.result() != SettleDialog.DialogCode.Accepted:
            return False
        self.page._publish(dialog.changes)
        self.refresh_discrepancies()
        return True

    def make_pdf(self, unfinished_ok: bool = False) -> None:
        if self.ctx.expert_mode:
            return
        work = self.page.work
        if work is None:
            return
        out = self.ctx.documents_dir / (f"Протокол_перепроверки_{_safe(work.subject)}_{work.grade}кл_"
                                        f"{work.work_date:%Y-%m-%d}.pdf")
        work_id = work.id

        def job(task: TaskContext) -> Path:
            return make_recheck_pdf(task.open_store(), work_id, out, progress=task.progress_callback("Протокол"),
                                    unfinished_ok=unfinished_ok)

        def done(path: Path) -> None:
            self.pdf_button.setEnabled(True)
            self.pdf_status.setStyleSheet(OK_STYLE)
            self.pdf_status.setText(f"Сохранено: {path}")
            self.last_pdf = path
            context.open_path(path)

        def failed(err: BaseException) -> None:
            self.pdf_button.setEnabled(True)
            if isinstance(err, RecheckUnfinished):
                self.pdf_status.setText("")
                if messages.confirm(self, err.message + "\n\nНапечатать протокол сейчас?", title="Перепроверка не закончена",
                                    yes="Напечатать", no="Отмена"):
                    self.make_pdf(unfinished_ok=True)
                return
            self.pdf_status.setStyleSheet(ERROR_STYLE)
            self.pdf_status.setText(err.message if isinstance(err, UserError) else
                                    f"Протокол не создан: {err}. Подробности записаны в журнал.")

        self.pdf_button.setEnabled(False)
        self.pdf_status.setStyleSheet("color: #555")
        self.pdf_status.setText("Создаётся протокол…")
        self.ctx.tasks.run(self, "Протокол перепроверки", job, done, failed)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale and self.inner.currentIndex() == 1:
            self.refresh_discrepancies()


# == the page ========================================================================================


def _read_experts(store, work: Work | None) -> list[tuple[str, bool]]:
    """Every expert's name, those assigned to `work` first: (name, assigned)."""
    everyone = list_experts(store)
    assigned = {e.id for e in work_experts(store, work.id)} if work else set()
    return [(e.name, True) for e in everyone if e.id in assigned] + \
           [(e.name, False) for e in everyone if e.id not in assigned]


def _read_work(store, work_id: int | None) -> dict:
    """One work with its score sheets (both rounds), experts and samples: only reads, on the page
    loader's thread."""
    try:
        work = get_work(store, work_id) if work_id is not None else None
    except UserError:
        work = None
    return {"work": work, "sheet": ScoreSheet.read(store, work, 1), "experts": _read_experts(store, work),
            "second": SecondCheckTab.read(store, work)}


def _read_page(store, keep: int | None) -> dict:
    """The works and the one to show: `keep` if it is still there, else the first."""
    works = list_works(store)
    ids = [w.id for w in works]
    return {"works": works, **_read_work(store, keep if keep in ids else (ids[0] if ids else None))}


class ScoringPage(QWidget):
    handles_mode = True          # refreshes itself on Changes.of("mode")

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        # The page's own edits update its rows in place (`ScoreSheet`): they go out to the other pages
        # through `subscription.publish_shown` and do not reload this one.
        self.subscription = ctx.bus.subscribe(
            self, ("works", "participants", "students", "classes", "scores", "mode", "experts", "scans"), self._refresh)
        self.sheet = ScoreSheet(ctx, 1, self)
        self.sheet2 = ScoreSheet(ctx, 2, self)
        self.sheet.expert = self.current_expert
        self.sheet.publish = self._publish
        self.sheet2.publish = self._publish

        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(340)
        self.work_box.currentIndexChanged.connect(lambda _: self._load_work())
        self.class_box = QComboBox()
        self.class_box.setMinimumWidth(120)
        self.class_box.currentIndexChanged.connect(lambda _: self._class_changed())
        self.expert_box = QComboBox()
        self.expert_box.setMinimumWidth(220)
        self.expert_box.setToolTip("Кто вносит баллы: они сохраняются от имени этого эксперта")
        self.expert_box.currentIndexChanged.connect(lambda _: self._expert_changed())
        self.experts_button = QPushButton("Эксперты…")
        self.experts_button.setToolTip("Список экспертов и назначение на эту работу")
        self.experts_button.clicked.connect(self.open_experts)
        self.import_form_button = QPushButton("Импорт формы…")
        self.import_form_button.setToolTip("Импорт заполненной формы ФИС ОКО с баллами (всё или ничего)")
        self.import_form_button.clicked.connect(lambda: self.import_form())
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 2)
        top.addWidget(QLabel("Класс:"))
        top.addWidget(self.class_box)
        top.addWidget(QLabel("Эксперт:"))
        top.addWidget(self.expert_box, 1)
        top.addWidget(self.experts_button)
        top.addWidget(self.import_form_button)
        self.expert_hint = QLabel()
        self.expert_hint.setStyleSheet("color: #8a6d00")
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #555")
        info = QHBoxLayout()
        info.addWidget(self.summary, 1)
        info.addWidget(self.expert_hint)

        self.tabs = QTabWidget()
        self.participant_tab = ParticipantTab(self)
        self.task_tab = TaskTab(self)
        self.grid_tab = GridTab(self.sheet, self)
        self.journal_tab = JournalTab(self)
        self.progress_tab = ProgressTab(self)
        self.second_tab = SecondCheckTab(self)
        self.sheet2.expert = self.second_tab.expert
        self.tabs.addTab(self.participant_tab, "По участнику")
        self.tabs.addTab(self.task_tab, "По заданию")
        self.tabs.addTab(self.grid_tab, "Таблица класса")
        self.tabs.addTab(self.journal_tab, "Журнал и пол")
        self.tabs.addTab(self.progress_tab, "Ход проверки")
        self.tabs.addTab(self.second_tab, "Перепроверка")
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title(
            "Проверка работ",
            "Эксперт вносит баллы по критериям: каждая ячейка сохраняется сразу. Участники — только коды."))
        layout.addLayout(top)
        layout.addLayout(info)
        layout.addWidget(self.tabs, 1)

        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(0)
        self._summary_timer.timeout.connect(self._update_summary)
        self.sheet.row_changed.connect(lambda _: self._summary_timer.start())
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(300)
        self._progress_timer.timeout.connect(self._refresh_progress_if_shown)
        self.sheet.row_changed.connect(lambda _: self._progress_timer.start())
        self._wanted: int | None = None       # a work asked for while the page was loading
        self._focus_cell: int | None = None
        # While a work loads its score cells are not editable: an edit to rows about to be replaced
        # would vanish from the screen (not from the store) when the newer rows are applied.
        self.loader = PageLoader(self, overlay=self.tabs, guard=[
            self.tabs, self.class_box, self.import_form_button, self.experts_button])
        self.apply_mode()
        self.reload()

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the works and the chosen work's score sheets off the GUI thread."""
        self.subscription.forget()
        keep = self.work_box.currentData() if self.work_box.count() else None
        self._remember_focus()
        self.loader.load(lambda store: _read_page(store, keep), self._apply_page)

    def _remember_focus(self) -> None:
        """The score cell being typed in, to come back to after a reload rebuilds the cells."""
        focus = self.focusWidget() if self.isVisible() else None
        cells = self.participant_tab.cells
        self._focus_cell = cells.index(focus) if focus is not None and focus in cells else None

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply_page(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, None
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in data["works"]:
            self.work_box.addItem(f"№ {w.id}. {w.title}", w.id)
        if data["work"] is not None:
            self.work_box.setCurrentIndex(self.work_box.findData(data["work"].id))
        self.work_box.blockSignals(False)
        self._show_work(data, force=True)
        if wanted is not None and (data["work"] is None or wanted != data["work"].id):
            self.select_work(wanted)

    def select_work(self, work_id: int) -> None:
        """Show `work_id`; asked while the page is loading, it is shown once loaded."""
        if self.loader.is_loading():
            self._wanted = work_id      # chosen when the load in progress is applied, not superseding it
            return
        index = self.work_box.findData(work_id)
        if index >= 0:
            self.work_box.setCurrentIndex(index)

    def _load_work(self) -> None:
        work_id = self.work_box.currentData()
        self.loader.load(lambda store: _read_work(store, work_id), self._apply_work)

    def _apply_work(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, None
        self._show_work(data)
        if wanted is not None and (data["work"] is None or wanted != data["work"].id):
            self.select_work(wanted)

    def _show_work(self, data: dict, force: bool = False) -> None:
        """Show one work's score sheets (read by `_read_work`); `force` rebuilds the task cells even
        for the same work (its tasks may have changed)."""
        work = data["work"]
        changed = self.work is None or work is None or work.id != self.work.id
        self.work = work
        keep_class = self.class_box.currentData() if not changed else None
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItem("Все классы", None)
        for class_id, name in (self.work.classes if self.work else []):
            self.class_box.addItem(name, class_id)
        self.class_box.setCurrentIndex(max(self.class_box.findData(keep_class), 0))
        self.class_box.blockSignals(False)
        current = self.participant_tab.current()
        keep_participant = current.participant_id if current is not None and not changed else None
        self.sheet.apply(self.work, None, data["sheet"])
        if changed or force:
            self.participant_tab.rebuild()
            self.task_tab.rebuild()
        self.fill_experts(data["experts"])
        self._apply_rows(keep_participant)
        self.second_tab.show_data(data["second"])
        self._update_summary()
        self._refresh_progress_if_shown()
        self.apply_mode()
        focus, self._focus_cell = self._focus_cell, None
        if focus is not None and not changed and self.tabs.currentWidget() is self.participant_tab:
            # After Qt's queued show of rebuilt cells: focus goes only to a shown widget.
            QTimer.singleShot(0, self, lambda: self.participant_tab._focus_cell(focus))

    def apply_mode(self) -> None:
        """In expert mode only scoring stays: the form import, the experts, the sample and the
        commission's settlement are the coordinator's."""
        coordinator = not self.ctx.expert_mode
        for widget in (self.import_form_button, self.experts_button, *self.second_tab.coordinator_widgets):
            widget.setVisible(coordinator)

    def visible_rows(self) -> list[ScoreRow]:
        class_id = self.class_box.currentData()
        return [r for r in self.sheet.rows if class_id is None or r.class_id == class_id]

    def _apply_rows(self, keep_participant: int | None = None) -> None:
        rows = self.visible_rows()
        class_id = self.class_box.currentData()
        self.participant_tab.set_rows(rows, keep_participant)
        self.task_tab.set_rows(rows)
        self.grid_tab.model.set_class(class_id)
        self.second_tab.grid.model.set_class(class_id)
        self.journal_tab.set_rows(rows)

    def _class_changed(self) -> None:
        current = self.participant_tab.current()
        self._apply_rows(current.participant_id if current is not None else None)

    def fill_experts(self, names: list[tuple[str, bool]] | None = None) -> None:
        """The experts to choose from (`names`: as `_read_experts` returns them; None: read now)."""
        if names is None:
            names = _read_experts(self.ctx.store, self.work)
        assigned = [name for name, on_work in names if on_work]
        keep = self.expert_box.currentData()
        self.expert_box.blockSignals(True)
        self.expert_box.clear()
        self.expert_box.addItem("— не выбран —", None)
        for name, on_work in names:
            self.expert_box.addItem(name if on_work else f"{name} (не назначен на работу)", name)
        index = self.expert_box.findData(keep) if keep is not None else -1
        if index < 0 and len(assigned) == 1:
            index = 1
        self.expert_box.setCurrentIndex(max(index, 0))
        self.expert_box.blockSignals(False)
        self.second_tab.fill_experts(names)
        self._expert_changed()

    def current_expert(self) -> str | None:
        return self.expert_box.currentData()

    def _expert_changed(self) -> None:
        if self.current_expert() is None:
            self.expert_hint.setText(f"Эксперт не выбран: баллы запишутся от имени «{self.ctx.store.actor}».")
        else:
            self.expert_hint.clear()

    def _update_summary(self) -> None:
        if self.work is None:
            self.summary.setText("Работ пока нет: создайте работу на странице «Работы»." if not self.work_box.count()
                                 else "Выберите работу.")
            return
        rows = self.sheet.rows
        if not rows:
            self.summary.setText("У работы ещё нет участников: выдайте коды на странице «Коды и протокол».")
            return
        counts = self.sheet.counts       # kept by the sheet as cells are written: nothing to count here
        self.summary.setText(f"Участников: {len(rows)} · проверено: {counts['scored']} · частично: {counts['partial']}"
                             f" · не начато: {counts['not_started']} · отсутствовали: {counts['absent']}. "
                             f"Максимум за работу: {self.work.max_total}.")

    def _refresh_progress_if_shown(self) -> None:
        if self.tabs.currentIndex() == TAB_PROGRESS and self.isVisible():
            self.progress_tab.refresh()

    def _tab_changed(self, index: int) -> None:
        if index == TAB_PROGRESS:
            self.progress_tab.refresh()
        elif index == TAB_TASK:
            self.task_tab._refill()
            QTimer.singleShot(0, self.task_tab.cell.setFocus)
        elif index == TAB_PARTICIPANT:
            row = self.participant_tab.current()
            if row is not None:
                self.participant_tab._fill(row, force=True)
        elif index == TAB_SECOND:
            if self.second_tab.inner.currentIndex() == 1:
                self.second_tab.refresh_discrepancies()

    def open_participant(self, code: str, task_id: str | None = None) -> bool:
        """«Ход проверки» → the participant in «По участнику», at the given task."""
        row = self.sheet.by_code.get(code)
        if row is None:
            return False
        if self.class_box.currentData() not in (None, row.class_id):
            self.class_box.setCurrentIndex(0)
        self.tabs.setCurrentIndex(TAB_PARTICIPANT)
        return self.participant_tab.go_to(row.participant_id, task_id)

    def import_form(self, path: Path | None = None, take_class_numbers: bool = False) -> None:
        """Import a filled ФИС ОКО form into the work: every cell checked, all or nothing. A form
        numbering whole classes otherwise is offered to be taken as ФИС ОКО's numbering."""
        from PySide6.QtWidgets import QFileDialog

        from ..messages import inform, show_error

        if self.work is None or self.ctx.expert_mode:
            return
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "Заполненная форма ФИС ОКО", str(Path.home()),
                                                  "Книга Excel (*.xlsx);;Все файлы (*)")
            if not name:
                return
            path = Path(name)
        work_id, expert = self.work.id, self.expert_box.currentData()

        def job(ctx: TaskContext):
            from coordinator_app.form_import import import_form

            return import_form(ctx.open_store(), work_id, path, expert=expert,
                               take_form_class_numbers=take_class_numbers)

        def done(result) -> None:
            self.last_form_import = result
            self.ctx.publish(result.changes)
            inform(self, result.summary(), "Форма импортирована")

        def failed(err: BaseException) -> None:
            from coordinator_app.form_import import ClassNumbersDiffer

            self.last_form_import = err
            if isinstance(err, ClassNumbersDiffer):
                if messages.confirm(self, err.message, "Номера классов", yes="Принять номера из формы", no="Отмена"):
                    self.import_form(path, take_class_numbers=True)
                return
            show_error(self, err, "Форма не импортирована")

        self.ctx.tasks.run(self, "Импорт заполненной формы", job, done, failed, cancellable=False)

    def open_experts(self) -> None:
        from ..dialogs.experts_dialog import ExpertsDialog

        if self.ctx.expert_mode:
            return
        dialog = ExpertsDialog(self.ctx, self.work, self)
        dialog.exec()

    # -- the bus ----------------------------------------------------------------------------------
    def _publish(self, changes: Changes) -> None:
        self.subscription.publish_shown(changes)

    def _refresh(self, changes: Changes) -> None:
        """Another page (or a background task) changed what this page shows; called while the page is
        visible, or once when it is shown again."""
        if changes.touches("works", "participants", "students", "classes", "scores", "mode"):
            self.reload()
            return
        if changes.touches("experts"):
            self.fill_experts()
        if changes.touches("scans"):
            for tab in (self.participant_tab, self.task_tab):
                tab.panel.show_participant(tab.panel.row, tab.panel._header)
