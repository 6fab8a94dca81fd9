"""«Журнал и пол»: the journal mark of the last term and the gender of each participant (ФИО only
outside expert mode); 5, 4, 3, 2 typed in a cell set the mark and move down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.codes import list_participants
from coordinator_app.errors import UserError
from coordinator_app.scoring import JOURNAL_MARKS, ScoreRow

from ...context import AppContext
from .colours import ABSENT_BG, ABSENT_FG, ERROR_STYLE, HINT_STYLE, MISSING_BG
from .sheet import ScoreSheet

Index = QModelIndex | QPersistentModelIndex


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
            return self._TEXT[kind](self, row)
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.absent:
                return QBrush(ABSENT_BG)
            return QBrush(MISSING_BG) if kind == "journal" and not row.journal_mark else None
        if role == Qt.ItemDataRole.ForegroundRole and row.absent:
            return QBrush(ABSENT_FG)
        if role == Qt.ItemDataRole.TextAlignmentRole and kind in ("journal", "gender", "mark"):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    #: A column's text by its kind.
    _TEXT: ClassVar[dict[str, Callable[[JournalModel, ScoreRow], str]]] = {
        "code": lambda _, row: row.code,
        "class": lambda _, row: row.class_name,
        "fio": lambda model, row: model.names.get(row.participant_id, ""),
        "journal": lambda _, row: row.journal_mark or "",
        "gender": lambda _, row: {"м": "м", "ж": "ж"}.get(row.gender or "", ""),
        "mark": lambda _, row: "отсутствовал" if row.absent else (row.mark or ""),
    }

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if index.isValid() and self.columns[index.column()][0] in ("journal", "gender") and not self.sheet.read_only:
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
            value = _typed_value(model.columns[index.column()][0], event)
            if value is not None:
                if model.setData(index, value) and index.row() + 1 < model.rowCount():
                    self.setCurrentIndex(model.index(index.row() + 1, index.column()))
                return
        super().keyPressEvent(event)


def _typed_value(kind: str, event: QKeyEvent) -> str | None:
    """What a key typed in a column of kind `kind` writes, or None if the key writes nothing."""
    text = event.text()
    if kind == "journal" and text in ("5", "4", "3", "2"):
        return text
    if kind == "journal" and text in ("0", "-"):
        return "нет отметки"
    if kind == "gender" and text.casefold() in ("м", "ж", "m", "f"):
        return text
    if kind in ("journal", "gender") and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
        return ""
    return None


class JournalTab(QWidget):
    """«Журнал и пол»: the journal mark and the gender of every participant, typed or chosen."""

    def __init__(self, sheet: ScoreSheet, ctx: AppContext) -> None:
        super().__init__()
        self.sheet = sheet
        self.ctx = ctx
        self.model = JournalModel(sheet, self)
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
        self.hint.setStyleSheet(HINT_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def set_rows(self, rows: list[ScoreRow]) -> None:
        names: dict[int, str] = {}
        work = self.sheet.work
        if work is not None and not self.ctx.expert_mode:      # names: coordinator mode only
            names = {p.id: p.who for p in list_participants(self.ctx.store, work.id)}
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
            + (" ФИО не показываются в режиме эксперта." if self.ctx.expert_mode else ""))


# == «Ход проверки» ==================================================================================
