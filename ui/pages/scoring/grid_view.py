"""The score grid's view and its cell editor: typing edits, Enter/Tab check and move on, ranges
are copied and pasted as tab-separated text (Excel's clipboard), Delete clears, Ctrl+Z/Ctrl+Y undo
and redo."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QTableView,
    QWidget,
)

from .colours import GRID_STYLE
from .grid import ScoreGridModel


def parse_table_text(text: str) -> list[list[str]]:
    """Tab-separated lines as a spreadsheet puts them on the clipboard (the last line break dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


class ScoreDelegate(QStyledItemDelegate):
    """A plain line editor; Enter or Tab checks the value first: refused → the editor stays open."""

    def __init__(self, view: ScoreGridView) -> None:
        super().__init__(view)
        self.view = view
        self._index: dict[QWidget, QPersistentModelIndex] = {}

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:  # noqa: N802
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        editor.setFrame(False)
        self._index[editor] = QPersistentModelIndex(index)
        editor.destroyed.connect(lambda _=None, e=editor: self._index.pop(e, None))
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QLineEdit) and editor.text().strip() != str(index.data(Qt.ItemDataRole.EditRole) or ""):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(editor, QLineEdit):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                index = self._index.get(editor)
                model = self.view.model()
                if index is None or not index.isValid() or not isinstance(model, ScoreGridModel):
                    return super().eventFilter(editor, event)
                problem = model.check(index, editor.text())
                if problem:
                    model.problem.emit(problem)
                    editor.selectAll()
                    return True
                target = QModelIndex(index)
                self.commitData.emit(editor)
                self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
                self.view.move_after(target, backwards=key == Qt.Key.Key_Backtab)
                return True
        return super().eventFilter(editor, event)


class ScoreGridView(QTableView):
    """The grid's keys: typing edits, Enter/Tab move on, Ctrl+C/Ctrl+V copy and paste ranges,
    Delete clears, Ctrl+Z/Ctrl+Y undo and redo."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(ScoreDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.setTabKeyNavigation(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setStyleSheet(GRID_STYLE)

    def grid(self) -> ScoreGridModel:
        model = self.model()
        assert isinstance(model, ScoreGridModel)
        return model

    def setModel(self, model) -> None:  # noqa: N802 - Qt's name
        super().setModel(model)
        if isinstance(model, ScoreGridModel):
            model.modelReset.connect(self.size_columns)
            self.size_columns()

    def size_columns(self) -> None:
        model = self.model()
        if not isinstance(model, ScoreGridModel):
            return
        widths = {"code": 64, "class": 48, "variant": 64, "task": 52, "total": 58, "mark": 64}
        for i, column in enumerate(model.columns):
            self.setColumnWidth(i, widths.get(column.kind, 60))

    # -- moving -----------------------------------------------------------------------------------
    def _editable_columns(self, row: int) -> list[int]:
        model = self.grid()
        record = model.rows[row]
        return [c for c, column in enumerate(model.columns) if column.kind == "task" and model.editable(record, column)]

    def move_after(self, index: QModelIndex, backwards: bool = False) -> None:
        """To the next task cell in the row (Enter, Tab), then the next present participant's first."""
        model = self.grid()
        row, col = index.row(), index.column()
        step = -1 if backwards else 1
        columns = self._editable_columns(row)
        later = [c for c in columns if (c > col if step > 0 else c < col)]
        if later:
            target = model.index(row, later[0] if step > 0 else later[-1])
        else:
            target = QModelIndex()
            r = row + step
            while 0 <= r < model.rowCount():
                cols = self._editable_columns(r)
                if cols:
                    target = model.index(r, cols[0] if step > 0 else cols[-1])
                    break
                r += step
        if target.isValid():
            self.setCurrentIndex(target)
            self.scrollTo(target)

    # -- clipboard, undo --------------------------------------------------------------------------
    def copy_selection(self) -> str:
        text = self.grid().cells_text(self.selectionModel().selectedIndexes() or
                                      ([self.currentIndex()] if self.currentIndex().isValid() else []))
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def paste(self, text: str | None = None) -> bool:
        """Paste a range (the clipboard's unless `text`) from the selection's top-left cell, all or
        nothing; one value pasted into a selected range fills every editable cell of it."""
        model = self.grid()
        text = QGuiApplication.clipboard().text() if text is None else text
        table = parse_table_text(text)
        if not table or not model.rowCount():
            return False
        selected = self.selectionModel().selectedIndexes()
        if not selected and not self.currentIndex().isValid():
            model.problem.emit("Выберите ячейку, с которой начать вставку.")
            return False
        if len(table) == 1 and len(table[0]) == 1 and len(selected) > 1:
            cells = [(i.row(), i.column(), table[0][0]) for i in selected
                     if model.flags(i) & Qt.ItemFlag.ItemIsEditable]
            return bool(cells) and model.edit(cells, label=f"вставка, ячеек: {len(cells)}")
        return self._paste_range(table, selected or [self.currentIndex()])

    def _paste_range(self, table: list[list[str]], anchors: list[QModelIndex]) -> bool:
        """`table` written from the top-left of `anchors`; the range pasted is selected after."""
        model = self.grid()
        r0, c0 = min(i.row() for i in anchors), min(i.column() for i in anchors)
        height, width = len(table), max(len(line) for line in table)
        if r0 + height > model.rowCount() or c0 + width > model.columnCount():
            model.problem.emit(f"Ничего не записано: вставляемый диапазон ({height} × {width}) выходит за край "
                               "таблицы. Выберите другую начальную ячейку или уберите фильтр по классу.")
            return False
        cells: list[tuple[int, int, Any]] = [(r0 + i, c0 + j, value) for i, line in enumerate(table)
                                             for j, value in enumerate(line)]
        if not cells:
            return False
        ok = model.edit(cells, label=f"вставка, ячеек: {len(cells)}")
        if ok:
            selection = QItemSelection(model.index(r0, c0), model.index(r0 + height - 1, c0 + width - 1))
            self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return ok

    def clear_selection_cells(self) -> bool:
        model = self.grid()
        cells = [(i.row(), i.column(), "") for i in self.selectionModel().selectedIndexes()
                 if model.flags(i) & Qt.ItemFlag.ItemIsEditable and model.data(i)]
        if not cells:
            return False
        return model.edit(cells, label=f"очистка, ячеек: {len(cells)}" if len(cells) > 1 else None)

    def undo(self) -> None:
        self.grid().undo_stack.undo()

    def redo(self) -> None:
        self.grid().undo_stack.redo()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.state() != QAbstractItemView.State.EditingState:
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return
            if event.matches(QKeySequence.StandardKey.Paste):
                self.paste()
                return
            if event.matches(QKeySequence.StandardKey.Undo):
                self.undo()
                return
            if event.matches(QKeySequence.StandardKey.Redo) or (
                    event.key() == Qt.Key.Key_Y and event.modifiers() == Qt.KeyboardModifier.ControlModifier):
                self.redo()
                return
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.clear_selection_cells()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
                if self.model().flags(self.currentIndex()) & Qt.ItemFlag.ItemIsEditable:
                    self.edit(self.currentIndex())
                    return
        super().keyPressEvent(event)
