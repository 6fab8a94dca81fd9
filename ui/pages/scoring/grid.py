"""`ScoreGridModel`: a `ScoreSheet` as participants × (code, class, variant(s), tasks, total, mark).

Task and variant cells are edited in place with the same validation as everywhere (an invalid
value is refused and `problem` carries the reason); ranges are written all-or-nothing
(`set_scores`); every edit is a `QUndoStack` command whose undo writes the old values back through
the same use-cases, so the audit log keeps both directions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QUndoCommand, QUndoStack

from coordinator_app.errors import UserError
from coordinator_app.scoring import ScoreRow

from .colours import ABSENT_BG, ABSENT_FG, MISSING_BG, TOTAL_BG
from .sheet import ScoreSheet, clean_variant, shown

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class GridColumn:
    kind: str                 # code, class, variant, task, total, mark
    key: Any = None           # variant: part; task: task id
    title: str = ""
    tip: str = ""


@dataclass
class CellEdit:
    participant_id: int
    kind: str
    key: Any
    old: str | None
    new: str | None


class _EditCommand(QUndoCommand):
    """Cells written together; undo writes the old values back (through the same use-cases)."""

    def __init__(self, model: ScoreGridModel, edits: list[CellEdit], text: str) -> None:
        super().__init__(text)
        self.model = model
        self.edits = edits
        self._done = True          # pushed after the write succeeded: the first redo() is a no-op

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.model.write_cells([(e.participant_id, e.kind, e.key, e.new) for e in self.edits], self.text())

    def undo(self) -> None:
        self.model.write_cells([(e.participant_id, e.kind, e.key, e.old) for e in self.edits], "Отмена: " + self.text())


class ScoreGridModel(QAbstractTableModel):
    """Participants × (code, class, variants, tasks, total, mark) of one `ScoreSheet`."""

    problem = Signal(str)       # why an edit was refused (Russian)
    saved = Signal(str)         # what was written

    def __init__(self, sheet: ScoreSheet, parent: QObject | None = None, *, variants_editable: bool = True) -> None:
        super().__init__(parent)
        self.sheet = sheet
        self.variants_editable = variants_editable
        self.undo_stack = QUndoStack(self)
        self.columns: list[GridColumn] = []
        self.rows: list[ScoreRow] = []
        self._row_of: dict[int, int] = {}
        self.class_id: int | None = None
        self.row_filter: Callable[[ScoreRow], bool] | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        sheet.reloaded.connect(self.rebuild)
        sheet.row_changed.connect(self._row_changed)
        self.rebuild()

    # -- structure --------------------------------------------------------------------------------
    def rebuild(self) -> None:
        self.beginResetModel()
        work = self.sheet.work
        columns = [GridColumn("code", None, "Код"), GridColumn("class", None, "Класс")]
        if work is not None:
            for part in range(1, work.parts + 1):
                columns.append(GridColumn("variant", part, "Вариант" if work.parts == 1 else f"Вариант\nч. {part}",
                                          "Номер варианта" + (f" части {part}" if work.parts > 1 else "")))
            for task in work.tasks:
                columns.append(GridColumn("task", task.task_id, f"{task.task_id}\nмакс. {task.max_score}",
                                          f"Задание {task.task_id}, максимум {task.max_score}"))
            columns.append(GridColumn("total", None, f"Итого\nиз {work.max_total}", "Сумма баллов"))
            columns.append(GridColumn("mark", None, "Отметка", "Отметка по шкале работы (когда проверены все задания)"))
        self.columns = columns
        self._filter_rows()
        self.undo_stack.clear()
        self.endResetModel()

    def _filter_rows(self) -> None:
        self.rows = [r for r in self.sheet.rows
                     if (self.class_id is None or r.class_id == self.class_id)
                     and (self.row_filter is None or self.row_filter(r))]
        self._row_of = {r.participant_id: i for i, r in enumerate(self.rows)}

    def set_class(self, class_id: int | None) -> None:
        if class_id == self.class_id:
            return
        self.beginResetModel()
        self.class_id = class_id
        self._filter_rows()
        self.endResetModel()

    def _row_changed(self, participant_id: int) -> None:
        row = self._row_of.get(participant_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def row_of(self, participant_id: int) -> int | None:
        return self._row_of.get(participant_id)

    def column_of(self, kind: str, key: Any = None) -> int:
        return next(i for i, c in enumerate(self.columns) if c.kind == kind and (key is None or c.key == key))

    # -- Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.tip or None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def value(self, row: ScoreRow, column: GridColumn) -> str:
        if column.kind == "code":
            return row.code
        if column.kind == "class":
            return row.class_name
        if column.kind == "variant":
            return shown(row.variants.get(column.key))
        if column.kind == "task":
            return shown(row.scores.get(column.key))
        if column.kind == "total":
            if row.absent and self.sheet.round == 1:
                return "отс."
            return str(row.total) if row.status != "not_started" else ""
        if column.kind == "mark":
            return row.mark or ""
        return ""

    def editable(self, row: ScoreRow, column: GridColumn) -> bool:
        if self.sheet.read_only:
            return False
        if column.kind == "task":
            return not self._absent(row)
        if column.kind == "variant":
            return self.variants_editable and not self._absent(row)
        return False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.value(row, column)
        handler = self._ROLES.get(role)
        return handler(self, row, column) if handler is not None else None

    def _absent(self, row: ScoreRow) -> bool:
        """Shown as absent: in the first round only (the blind round lists the sample as it is)."""
        return row.absent and self.sheet.round == 1

    def _alignment(self, row: ScoreRow, column: GridColumn) -> int:
        if column.kind in ("code", "class"):
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return int(Qt.AlignmentFlag.AlignCenter)

    def _background(self, row: ScoreRow, column: GridColumn) -> QBrush | None:
        if self._absent(row):
            return QBrush(ABSENT_BG)
        if column.kind == "task" and row.scores.get(column.key) is None:
            return QBrush(MISSING_BG)
        if column.kind == "variant" and self.variants_editable and not row.variants.get(column.key):
            return QBrush(MISSING_BG)
        if column.kind in ("total", "mark"):
            return QBrush(TOTAL_BG)
        return None

    def _foreground(self, row: ScoreRow, column: GridColumn) -> QBrush | None:
        return QBrush(ABSENT_FG) if self._absent(row) else None

    def _font(self, row: ScoreRow, column: GridColumn) -> QFont | None:
        return self._bold if column.kind in ("total", "mark") else None

    def _tooltip(self, row: ScoreRow, column: GridColumn) -> str | None:
        if self._absent(row):
            return "Участник отсутствовал на работе"
        if column.kind == "task":
            task = self.sheet.task(column.key)
            text = f"Задание {task.task_id}, максимум {task.max_score}."
            if row.scores.get(column.key) is None:
                return text + "\nНе заполнено."
            who = row.experts.get(column.key)
            return text + (f"\nБалл внёс(ла): {who}" if who else "")
        if column.kind == "total":
            return f"Проверено заданий: {self.sheet.filled(row)} из {len(self.sheet.tasks)}"
        return None

    _ROLES: ClassVar[dict[int, Callable[[ScoreGridModel, ScoreRow, GridColumn], Any]]] = {
        Qt.ItemDataRole.TextAlignmentRole: _alignment,
        Qt.ItemDataRole.BackgroundRole: _background,
        Qt.ItemDataRole.ForegroundRole: _foreground,
        Qt.ItemDataRole.FontRole: _font,
        Qt.ItemDataRole.ToolTipRole: _tooltip,
    }

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if self.editable(self.rows[index.row()], self.columns[index.column()]):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self.edit([(index.row(), index.column(), value)])

    # -- checks and edits -------------------------------------------------------------------------
    def check(self, index: Index, raw: Any) -> str | None:
        """Why `raw` cannot go into the cell at `index`, or None; nothing is written."""
        row, column = self.rows[index.row()], self.columns[index.column()]
        if not self.editable(row, column):
            return "Эта ячейка не заполняется."
        if column.kind == "task":
            return self.sheet.problem(row, column.key, raw)
        try:
            clean_variant(raw)
        except UserError as err:
            return err.message
        return None

    def edit(self, cells: list[tuple[int, int, Any]], label: str | None = None) -> bool:
        """Write cells (model row, column, raw value) all or nothing; refused → `problem`, False."""
        edits, problems = self._prepare(cells)
        if problems:
            self.problem.emit(problems[0] if len(cells) == 1 else _problems_text(problems))
            return False
        if not edits:
            return True
        label = label or self._label(edits)
        if not self.write_cells([(e.participant_id, e.kind, e.key, e.new) for e in edits], label):
            return False
        self.undo_stack.push(_EditCommand(self, edits, label))
        return True

    def _prepare(self, cells: list[tuple[int, int, Any]]) -> tuple[list[CellEdit], list[str]]:
        """The edits the cells make (unchanged cells left out) and why any cell is refused."""
        edits: list[CellEdit] = []
        problems: list[str] = []
        for r, c, raw in cells:
            row, column = self.rows[r], self.columns[c]
            where = f"код {row.code}, " + (f"задание {column.key}" if column.kind == "task"
                                           else column.title.replace("\n", " ").lower())
            if not self.editable(row, column):
                problems.append(f"{where}: " + ("участник отсутствовал." if self._absent(row)
                                                else "этот столбец не заполняется."))
                continue
            try:
                old, clean = self._old_and_clean(row, column, raw)
            except UserError as err:
                problems.append(err.message if len(cells) == 1 else f"{where}: {err.message}")
                continue
            if clean != old:
                edits.append(CellEdit(row.participant_id, column.kind, column.key, old, clean))
        return edits, problems

    def _old_and_clean(self, row: ScoreRow, column: GridColumn, raw: Any) -> tuple[str | None, str | None]:
        """The cell's value now and the stored form of `raw` (UserError if it is refused)."""
        if column.kind == "task":
            return row.scores.get(column.key), self.sheet.clean(column.key, raw)
        return row.variants.get(column.key), clean_variant(raw)

    def _label(self, edits: list[CellEdit]) -> str:
        """What the edit is called in the undo history and the status line."""
        if len(edits) > 1:
            return f"ячеек: {len(edits)}"
        e = edits[0]
        code = self.sheet.by_id[e.participant_id].code
        what = f"задание {e.key}" if e.kind == "task" else "вариант"
        return f"{code}, {what}: {shown(e.old) or 'пусто'} → {shown(e.new) or 'пусто'}"

    def write_cells(self, cells: list[tuple[int, str, Any, str | None]], label: str) -> bool:
        """Write through the domain: task cells in one transaction, then variants. Reports the result."""
        tasks = [(self.sheet.by_id[pid], key, value) for pid, kind, key, value in cells if kind == "task"]
        variants = [(self.sheet.by_id[pid], key, value) for pid, kind, key, value in cells if kind == "variant"]
        try:
            if len(tasks) == 1:
                self.sheet.write(*tasks[0])
            elif tasks:
                self.sheet.write_many(tasks)
            for row, part, value in variants:
                self.sheet.write_variant(row, part, value)
        except UserError as err:
            details = "".join(f"\n• {d}" for d in err.details[:12])
            self.problem.emit(err.message + details)
            return False
        self.saved.emit(f"Сохранено: {label}.")
        return True

    def cells_text(self, indexes: list[QModelIndex]) -> str:
        """The selected cells as tab-separated lines (the bounding rectangle; unselected gaps empty)."""
        if not indexes:
            return ""
        chosen = {(i.row(), i.column()) for i in indexes}
        rows = sorted({r for r, _ in chosen})
        cols = sorted({c for _, c in chosen})
        return "\n".join("\t".join(self.value(self.rows[r], self.columns[c]) if (r, c) in chosen else ""
                                   for c in cols) for r in rows)


def _problems_text(problems: list[str]) -> str:
    """Every refused cell of a range (the first 12 named)."""
    return (f"Ничего не записано: ошибок — {len(problems)}.\n"
            + "\n".join(f"• {p}" for p in problems[:12])
            + (f"\n… и ещё {len(problems) - 12}" if len(problems) > 12 else ""))
