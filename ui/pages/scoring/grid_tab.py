"""«Таблица класса»: a spreadsheet-like grid for transcribing paper score tables (also the blind
entry of the second check)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .colours import ERROR_STYLE, HINT_STYLE, OK_STYLE
from .grid import ScoreGridModel
from .grid_view import ScoreGridView
from .sheet import ScoreSheet


class GridTab(QWidget):
    """A score grid with its toolbar (undo, redo, copy, paste, clear), legend and status line."""

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
        legend_label.setStyleSheet(HINT_STYLE)
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
