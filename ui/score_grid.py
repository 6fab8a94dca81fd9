"""The scores of a work in memory, kept cell by cell, and the spreadsheet-like grid over them.

`ScoreSheet` holds a work's `ScoreRow`s of one round (1: the school's experts, 2: the blind second
check). Every write goes straight to the domain (`set_score`, `set_scores`, `set_variant`,
`set_absent`: one short transaction per cell, audited), then the one row in memory is updated and
`row_changed(participant_id)` tells every view showing it. Nothing reloads the whole sheet after
a cell: with 1500 participants that would cost ~50 ms per keystroke.

`ScoreGridModel` shows a sheet as participants × (code, class, variant(s), tasks, total, mark).
Task and variant cells are edited in place with the same validation as everywhere (an invalid
value is refused and `problem` carries the reason); ranges are copied as tab-separated text and
pasted all-or-nothing (`set_scores`); every edit is a `QUndoStack` command whose undo writes the
old values back through the same use-cases, so the audit log keeps both directions.

No pupil names here: participants are codes, always.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, \
    QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QKeyEvent, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QStyledItemDelegate, QTableView, QWidget

from coordinator_app import settings
from coordinator_app.changes import Changes
from coordinator_app.codes import set_absent, set_variant
from coordinator_app.errors import UserError
from coordinator_app.names import normalize_gender
from coordinator_app.scoring import (
    ScoreRow, normalize_value, points, score_sheet, set_gender, set_journal_mark, set_score, set_scores,
)
from coordinator_app.works import TaskDef, Work, mark_for

Index = QModelIndex | QPersistentModelIndex
ABSENT_BG, ABSENT_FG, MISSING_BG = QColor("#e4e4e4"), QColor("#777777"), QColor("#fff3c4")
TOTAL_BG = QColor("#eef3fb")
_VARIANT_RE = re.compile(r"\d{1,2}")


def shown(value: str | None) -> str:
    """A stored value as the expert sees it ("" for an empty cell)."""
    return "" if value is None else value


def task_title(task: TaskDef) -> str:
    return f"{task.task_id} (макс. {task.max_score})"


def clean_variant(raw: Any) -> str | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not _VARIANT_RE.fullmatch(text):
        raise UserError(f"Вариант «{text}» неверен: ожидается номер варианта, например 1 или 2.")
    return text


# == the sheet in memory =============================================================================


class ScoreSheet(QObject):
    """A work's participants with their scores of one round, updated row by row as cells are written."""

    row_changed = Signal(int)       # participant id
    reloaded = Signal()

    def __init__(self, ctx, round: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.round = round
        self.work: Work | None = None
        self.rows: list[ScoreRow] = []
        self.by_id: dict[int, ScoreRow] = {}
        self.by_code: dict[str, ScoreRow] = {}
        self.participant_ids: set[int] | None = None
        self.counts: dict[str, int] = {}      # participants by status, kept up to date cell by cell
        self.one_key = True             # the «one key» setting, read at each load
        self.expert: Callable[[], str | None] = lambda: None      # who is entering: set by the page
        self.publish: Callable[[Changes], None] = ctx.publish    # the page marks its own changes

    def set_one_key(self, on: bool) -> None:
        """Turn scoring by one key on or off (a setting of the data dir, kept between starts)."""
        self.one_key = bool(on)
        settings.set_value(self.ctx.store, "one_key_scoring", self.one_key)

    # -- loading ----------------------------------------------------------------------------------
    def load(self, work: Work | None, participant_ids: set[int] | None = None) -> None:
        """Read and show `work`'s rows here and now (`read` + `apply`)."""
        self.apply(work, participant_ids, self.read(self.ctx.store, work, self.round, participant_ids))

    @staticmethod
    def read(store, work: Work | None, round: int, participant_ids: set[int] | None = None) -> tuple[list[ScoreRow], bool]:
        """The rows of `work` for round `round` and the «one key» setting: only reads, so it runs on
        any thread with its own connection (a page loader's)."""
        rows = score_sheet(store, work.id, round, participant_ids=participant_ids) if work else []
        return rows, bool(settings.get(store, "one_key_scoring"))

    def apply(self, work: Work | None, participant_ids: set[int] | None, data: tuple[list[ScoreRow], bool]) -> None:
        """Take the rows `read` returned."""
        self.work = work
        self.participant_ids = participant_ids
        self.rows, self.one_key = data
        self.by_id = {r.participant_id: r for r in self.rows}
        self.by_code = {r.code: r for r in self.rows}
        self.counts = dict.fromkeys(("scored", "partial", "not_started", "absent"), 0)
        for r in self.rows:
            self.counts[r.status] += 1
        self.reloaded.emit()

    @property
    def tasks(self) -> list[TaskDef]:
        return self.work.tasks if self.work else []

    def task(self, task_id: str) -> TaskDef:
        return next(t for t in self.tasks if t.task_id == task_id)

    @property
    def max_total(self) -> int:
        return self.work.max_total if self.work else 0

    # -- checks -----------------------------------------------------------------------------------
    def clean(self, task_id: str, raw: Any) -> str | None:
        """The stored form of `raw` for the task, or UserError with the reason."""
        assert self.work is not None
        return normalize_value(raw, self.task(task_id), self.work.allows_not_passed)

    def problem(self, row: ScoreRow, task_id: str, raw: Any) -> str | None:
        """Why `raw` cannot go into the cell (None if it can); nothing is written."""
        try:
            clean = self.clean(task_id, raw)
        except UserError as err:
            return err.message
        if clean is not None and row.absent and self.round == 1:
            return f"Участник {row.code} отмечен отсутствующим: баллы ему не ставятся."
        return None

    # -- writes -----------------------------------------------------------------------------------
    def _entered(self, row: ScoreRow, task_id: str, clean: str | None) -> None:
        row.scores[task_id] = clean
        row.experts[task_id] = (self.expert() or self.ctx.store.actor) if clean is not None else None

    def write(self, row: ScoreRow, task_id: str, raw: Any) -> bool:
        """One cell. UserError (nothing written) if the value is not allowed; True if it changed."""
        assert self.work is not None
        clean = self.clean(task_id, raw)
        changes = set_score(self.ctx.store, self.work.id, row.code, task_id, clean, expert=self.expert(),
                            round=self.round)
        if not changes:
            return False
        self._entered(row, task_id, clean)
        self.recompute(row)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_many(self, cells: list[tuple[ScoreRow, str, Any]]) -> bool:
        """A range of cells, all or nothing (`set_scores`); UserError lists every problem."""
        assert self.work is not None
        changes = set_scores(self.ctx.store, self.work.id, [(row.code, task_id, raw) for row, task_id, raw in cells],
                             expert=self.expert(), round=self.round)
        if not changes:
            return False
        touched: dict[int, ScoreRow] = {}
        for row, task_id, raw in cells:
            clean = self.clean(task_id, raw)
            if row.scores.get(task_id) != clean:
                self._entered(row, task_id, clean)
            touched[row.participant_id] = row
        for row in touched.values():
            self.recompute(row)
            self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_variant(self, row: ScoreRow, part: int, raw: Any) -> bool:
        assert self.work is not None
        value = clean_variant(raw)
        if row.variants.get(part) == value:
            return False
        changes = set_variant(self.ctx.store, self.work.id, row.code, part, value)
        row.variants[part] = value
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_absent(self, row: ScoreRow, absent: bool) -> bool:
        assert self.work is not None
        if row.absent == absent:
            return False
        changes = set_absent(self.ctx.store, self.work.id, row.code, absent)
        row.absent = absent
        self.recompute(row)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def write_journal_mark(self, row: ScoreRow, mark: Any) -> bool:
        assert self.work is not None
        changes = set_journal_mark(self.ctx.store, self.work.id, row.code, mark)
        if not changes:
            return False
        row.journal_mark = self.ctx.store.scalar("SELECT journal_mark FROM participants WHERE id = ?",
                                                 [row.participant_id])
        self.row_changed.emit(row.participant_id)
        # Only this page shows journal marks: other pages need not reload their participants.
        self.publish(Changes.of("scores"))
        return True

    def write_gender(self, row: ScoreRow, gender: Any) -> bool:
        assert self.work is not None
        changes = set_gender(self.ctx.store, self.work.id, row.code, gender)
        if not changes:
            return False
        row.gender = normalize_gender(gender)
        self.row_changed.emit(row.participant_id)
        self.publish(changes)
        return True

    def recompute(self, row: ScoreRow) -> None:
        """Total, status and mark of one row, as `score_sheet` computes them (and `counts`)."""
        before = row.status
        row.total = sum(points(v) for v in row.scores.values())
        filled = sum(1 for t in self.tasks if row.scores.get(t.task_id) is not None)
        if row.absent:
            row.status = "absent"
        elif filled == 0:
            row.status = "not_started"
        else:
            row.status = "scored" if filled == len(self.tasks) else "partial"
        row.mark = mark_for(self.work.scale, row.total) if self.work and row.status == "scored" else None
        if row.status != before and row.participant_id in self.by_id:
            self.counts[before] = self.counts.get(before, 0) - 1
            self.counts[row.status] = self.counts.get(row.status, 0) + 1

    def filled(self, row: ScoreRow) -> int:
        return sum(1 for t in self.tasks if row.scores.get(t.task_id) is not None)


# == the grid ========================================================================================


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

    def __init__(self, model: "ScoreGridModel", edits: list[CellEdit], text: str) -> None:
        super().__init__(text)
        self.model = model
        self.edits = edits
        self._done = True          # pushed after the write succeeded: the first redo() is a no-op

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.model._apply([(e.participant_id, e.kind, e.key, e.new) for e in self.edits], self.text())

    def undo(self) -> None:
        self.model._apply([(e.participant_id, e.kind, e.key, e.old) for e in self.edits], "Отмена: " + self.text())


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
        absent = row.absent and self.sheet.round == 1
        if column.kind == "task":
            return not absent
        if column.kind == "variant":
            return self.variants_editable and not absent
        return False

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        absent = row.absent and self.sheet.round == 1
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.value(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.kind in ("code", "class"):
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if absent:
                return QBrush(ABSENT_BG)
            if column.kind == "task" and row.scores.get(column.key) is None:
                return QBrush(MISSING_BG)
            if column.kind == "variant" and self.variants_editable and not row.variants.get(column.key):
                return QBrush(MISSING_BG)
            if column.kind in ("total", "mark"):
                return QBrush(TOTAL_BG)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and absent:
            return QBrush(ABSENT_FG)
        if role == Qt.ItemDataRole.FontRole and column.kind in ("total", "mark"):
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            if absent:
                return "Участник отсутствовал на работе"
            if column.kind == "task":
                task = self.sheet.task(column.key)
                value = row.scores.get(column.key)
                who = row.experts.get(column.key)
                text = f"Задание {task.task_id}, максимум {task.max_score}."
                if value is not None:
                    text += f"\nБалл внёс(ла): {who}" if who else ""
                else:
                    text += "\nНе заполнено."
                return text
            if column.kind == "total":
                return f"Проверено заданий: {self.sheet.filled(row)} из {len(self.sheet.tasks)}"
        return None

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
        edits: list[CellEdit] = []
        problems: list[str] = []
        for r, c, raw in cells:
            row, column = self.rows[r], self.columns[c]
            where = f"код {row.code}, " + (f"задание {column.key}" if column.kind == "task"
                                           else column.title.replace("\n", " ").lower())
            if not self.editable(row, column):
                problems.append(f"{where}: " + ("участник отсутствовал." if row.absent and self.sheet.round == 1
                                                else "этот столбец не заполняется."))
                continue
            try:
                if column.kind == "task":
                    clean = self.sheet.clean(column.key, raw)
                    old = row.scores.get(column.key)
                else:
                    clean = clean_variant(raw)
                    old = row.variants.get(column.key)
            except UserError as err:
                problems.append(err.message if len(cells) == 1 else f"{where}: {err.message}")
                continue
            if clean != old:
                edits.append(CellEdit(row.participant_id, column.kind, column.key, old, clean))
        if problems:
            if len(cells) == 1:
                self.problem.emit(problems[0])
            else:
                self.problem.emit(f"Ничего не записано: ошибок — {len(problems)}.\n"
                                  + "\n".join(f"• {p}" for p in problems[:12])
                                  + (f"\n… и ещё {len(problems) - 12}" if len(problems) > 12 else ""))
            return False
        if not edits:
            return True
        if label is None:
            if len(edits) == 1:
                e = edits[0]
                code = self.sheet.by_id[e.participant_id].code
                what = f"задание {e.key}" if e.kind == "task" else "вариант"
                label = f"{code}, {what}: {shown(e.old) or 'пусто'} → {shown(e.new) or 'пусто'}"
            else:
                label = f"ячеек: {len(edits)}"
        if not self._apply([(e.participant_id, e.kind, e.key, e.new) for e in edits], label):
            return False
        self.undo_stack.push(_EditCommand(self, edits, label))
        return True

    def _apply(self, cells: list[tuple[int, str, Any, str | None]], label: str) -> bool:
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


def parse_table_text(text: str) -> list[list[str]]:
    """Tab-separated lines as a spreadsheet puts them on the clipboard (the last line break dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


class ScoreDelegate(QStyledItemDelegate):
    """A plain line editor; Enter or Tab checks the value first: refused → the editor stays open."""

    def __init__(self, view: "ScoreGridView") -> None:
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
        self.setStyleSheet("QTableView { gridline-color: #c8c8c8; } "
                           "QTableView::item:selected { background: #cfe3ff; color: black; }")

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
        model = self.grid()
        text = QGuiApplication.clipboard().text() if text is None else text
        table = parse_table_text(text)
        if not table or not model.rowCount():
            return False
        selected = self.selectionModel().selectedIndexes()
        if not selected and not self.currentIndex().isValid():
            model.problem.emit("Выберите ячейку, с которой начать вставку.")
            return False
        cells: list[tuple[int, int, Any]] = []
        r0 = c0 = height = width = 0
        if len(table) == 1 and len(table[0]) == 1 and len(selected) > 1:
            # One value into a selected range: every editable cell of it.
            for i in selected:
                if model.flags(i) & Qt.ItemFlag.ItemIsEditable:
                    cells.append((i.row(), i.column(), table[0][0]))
        else:
            anchors = selected or [self.currentIndex()]
            r0, c0 = min(i.row() for i in anchors), min(i.column() for i in anchors)
            height, width = len(table), max(len(line) for line in table)
            if r0 + height > model.rowCount() or c0 + width > model.columnCount():
                model.problem.emit(f"Ничего не записано: вставляемый диапазон ({height} × {width}) выходит за край "
                                   "таблицы. Выберите другую начальную ячейку или уберите фильтр по классу.")
                return False
            for i, line in enumerate(table):
                for j, value in enumerate(line):
                    cells.append((r0 + i, c0 + j, value))
        if not cells:
            return False
        ok = model.edit(cells, label=f"вставка, ячеек: {len(cells)}")
        if ok and height:
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

