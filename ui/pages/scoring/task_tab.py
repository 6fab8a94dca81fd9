"""«По заданию»: one task through every present participant, their pages beside; the page number
of the scan is kept from one participant to the next."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.scoring import NOT_PASSED, ScoreRow

from ...context import AppContext
from ...widgets import table_view
from .cells import ScoreEdit, error_label, expert_tip, one_key_box, restyle
from .colours import CELL_ERROR_STYLE, HINT_STYLE, MISSING_BG
from .pages_panel import PagesPanel, pages_beside
from .sheet import ScoreSheet, shown, task_title

Index = QModelIndex | QPersistentModelIndex


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
            return expert_tip(row, self.task_id)
        return None


class TaskTab(QWidget):
    """«По заданию»: one task through every present participant."""

    def __init__(self, sheet: ScoreSheet, ctx: AppContext) -> None:
        super().__init__()
        self.sheet = sheet
        self.panel = PagesPanel(ctx, keep_index=True)
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
        self.error = error_label()
        self.x_button = QPushButton("X — нет ответа")
        self.x_button.clicked.connect(lambda: self._put("X"))
        self.np_button = QPushButton("не пройд. (N)")
        self.np_button.clicked.connect(lambda: self.not_passed(0))
        for button in (self.x_button, self.np_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.one_key_box = one_key_box(self.sheet)
        self.progress_label = QLabel()
        self.progress_label.setStyleSheet(HINT_STYLE)
        hint = QLabel("Enter — записать и перейти к следующему участнику (задание до 9 баллов — одна клавиша, без "
                      "Enter); ↑ / ↓ или PgUp / PgDown — предыдущий / "
                      "следующий участник. Номер страницы скана сохраняется при переходе (Ctrl+↓ / Ctrl+↑ — листать).")
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT_STYLE)

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
        pages_beside(self, side, [680, 380])
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
        self.refill()

    def refill(self) -> None:
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
        restyle(self.cell, "")
        if row is None or task is None:
            self.cell_label.setText("")
            self.cell.setText("")
            self.cell.setEnabled(False)
            self.panel.show_participant(None, "")
            return
        self.cell.setEnabled(True)
        self.cell.setReadOnly(self.sheet.read_only)
        self.cell_label.setText(f"Код {row.code} · задание {task_title(task)}")
        self.cell.setText(shown(row.scores.get(task.task_id)))
        self.cell.setToolTip(expert_tip(row, task.task_id))
        self.cell.selectAll()
        self.panel.show_participant(row, f"Код {row.code} · задание {task.task_id}")
        pos = self.table.currentIndex().row()
        self.panel.prefetch([self.model.rows[p] for p in (pos + 1, pos - 1) if 0 <= p < len(self.model.rows)])

    def _progress(self) -> None:
        rows = self.model.rows
        self.progress_label.setText(f"Заполнено: {len(self.model.filled)} из {len(rows)}" if rows else
                                    "Нет присутствовавших участников.")

    def row_changed(self, participant_id: int) -> None:
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
            restyle(self.cell, "")
            return True
        try:
            self.sheet.write(row, task_id, text)
        except UserError as err:
            self.error.setText(err.message)
            restyle(self.cell, CELL_ERROR_STYLE)
            if not quiet:
                self.cell.setFocus()
                self.cell.selectAll()
            return False
        self.cell.setText(shown(row.scores.get(task_id)))
        restyle(self.cell, "")
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
