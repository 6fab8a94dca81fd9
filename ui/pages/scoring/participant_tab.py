"""«По участнику»: a participant's pages beside one row of task cells, the variants and the
«отсутствовал» box; Enter or Tab writes a cell and moves on, after the last task to the next
participant."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.scoring import NOT_PASSED, STATUS_RU, ScoreRow

from ...context import AppContext
from .cells import ScoreEdit, error_label, expert_tip, one_key_box, restyle, set_text
from .colours import CELL_EMPTY_STYLE, CELL_ERROR_STYLE, HINT_STYLE, TOTAL_STYLE
from .pages_panel import PagesPanel, pages_beside
from .sheet import ScoreSheet, shown, task_title


class ParticipantTab(QWidget):
    """«По участнику»: one participant's task cells beside their pages."""

    def __init__(self, sheet: ScoreSheet, ctx: AppContext) -> None:
        super().__init__()
        self.sheet = sheet
        self.rows: list[ScoreRow] = []
        self.pos = -1
        self.cells: list[ScoreEdit] = []
        self.cell_labels: list[QLabel] = []
        self.variant_edits: list[QLineEdit] = []
        self._last_cell = 0

        self.panel = PagesPanel(ctx)

        nav = self._build_nav()
        scroll = self._build_cells()
        buttons = self._build_buttons()
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
        side_layout.addWidget(self.hint)

        pages_beside(self, side, [640, 420])


    def _build_nav(self) -> QHBoxLayout:
        """The code and status labels, the buttons to the previous and next participant, the jump to a code."""
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
        self.position_label.setStyleSheet(HINT_STYLE)
        for button in (self.prev_button, self.next_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addWidget(self.jump_edit)
        nav.addWidget(self.position_label, 1)
        return nav

    def _build_cells(self) -> QScrollArea:
        """The variants row with «отсутствовал», and the (scrolled) grid the task cells go in."""
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
        return scroll

    def _build_buttons(self) -> QHBoxLayout:
        """The error line, the X and «не пройд.» buttons, the one-key switch, the total and the hint."""
        self.error = error_label()
        self.x_button = QPushButton("X — нет ответа")
        self.x_button.setToolTip("Записать X в выбранное задание (можно набрать X или Х)")
        self.x_button.clicked.connect(lambda: self._put(self._last_cell, "X"))
        self.np_button = QPushButton("не пройд. (N)")
        self.np_button.setToolTip("Тема ещё не пройдена (клавиша N или Н в ячейке)")
        self.np_button.clicked.connect(lambda: self.not_passed(self._last_cell))
        for button in (self.x_button, self.np_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.one_key_box = one_key_box(self.sheet)
        buttons = QHBoxLayout()
        buttons.addWidget(self.x_button)
        buttons.addWidget(self.np_button)
        buttons.addStretch(1)
        buttons.addWidget(self.one_key_box)
        self.total_label = QLabel()
        self.total_label.setStyleSheet(TOTAL_STYLE)
        self.mark_note = QLabel()
        self.mark_note.setStyleSheet(HINT_STYLE)
        self.hint = QLabel("Enter или Tab — записать и перейти к следующему заданию; после последнего — следующий "
                      "участник. Задание до 9 баллов — одна клавиша (цифра, X, N), без Enter. Esc — вернуть "
                      "прежнее значение. PgDown / PgUp — следующий / предыдущий участник, "
                      "Ctrl+↓ / Ctrl+↑ — страницы скана.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(HINT_STYLE)
        return buttons

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
                edit.returnPressed.connect(lambda: self.focus_cell(0))
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
                self.focus_cell(min(focus, len(self.cells) - 1))

    def _neighbour(self, delta: int) -> ScoreRow | None:
        pos = self.pos + delta
        return self.rows[pos] if 0 <= pos < len(self.rows) else None

    def _fill(self, row: ScoreRow | None, force: bool = False) -> None:
        """Texts and states from the row. A cell being typed in keeps its text unless `force`.
        Only what differs is touched, so refreshing the row after a score costs about one cell."""
        focus = self.focusWidget() if not force else None
        read_only = self.sheet.read_only
        for i, cell in enumerate(self.cells):
            self._fill_cell(cell, self.sheet.tasks[i].task_id, row, typing=cell is focus)
            if cell.isReadOnly() != read_only:
                cell.setReadOnly(read_only)
        for part, edit in enumerate(self.variant_edits, start=1):
            if edit is not focus or force:
                set_text(edit, row.variants.get(part) or "" if row else "")
            edit.setEnabled(row is not None and not row.absent)
            edit.setReadOnly(read_only)
        self.absent_box.blockSignals(True)
        self.absent_box.setChecked(bool(row and row.absent))
        self.absent_box.setEnabled(row is not None and not read_only)
        self.absent_box.blockSignals(False)
        self._labels(row)

    @staticmethod
    def _fill_cell(cell: ScoreEdit, task_id: str, row: ScoreRow | None, typing: bool) -> None:
        """One task cell from the row; `typing`: the cell has the focus (its text stays unless empty)."""
        if row is None:
            set_text(cell, "")
            cell.setEnabled(False)
            return
        value = shown(row.scores.get(task_id))
        if not typing or cell.text().strip() == "":
            set_text(cell, value)
            restyle(cell, CELL_EMPTY_STYLE if not value and not row.absent else "")
        cell.setEnabled(not row.absent)
        tip = expert_tip(row, task_id)
        if cell.toolTip() != tip:
            cell.setToolTip(tip)

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

    def row_changed(self, participant_id: int) -> None:
        row = self.current()
        if row is not None and row.participant_id == participant_id:
            self._fill(row)

    def redraw(self) -> None:
        """The current participant drawn again from the sheet (the tab is shown again)."""
        row = self.current()
        if row is not None:
            self._fill(row, force=True)

    # -- editing ----------------------------------------------------------------------------------
    def focused(self, index: int) -> None:
        self._last_cell = index

    def focus_cell(self, index: int) -> None:
        if 0 <= index < len(self.cells) and self.cells[index].isEnabled():
            self.cells[index].setFocus(Qt.FocusReason.OtherFocusReason)
            self.cells[index].selectAll()
            self._last_cell = index

    def _show_error(self, cell: QLineEdit, message: str, focus: bool) -> None:
        self.error.setText(message)
        restyle(cell, CELL_ERROR_STYLE)
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
                restyle(cell, CELL_EMPTY_STYLE if not text else "")
                self.error.clear()
            return True
        try:
            self.sheet.write(row, task_id, text)
        except UserError as err:
            self._show_error(cell, err.message, focus=not quiet)
            return False
        value = shown(row.scores.get(task_id))
        cell.setText(value)
        restyle(cell, CELL_EMPTY_STYLE if not value else "")
        self.error.clear()
        return True

    def commit_and_move(self, index: int, delta: int, wrap: bool = True) -> bool:
        """Write the cell and move on; False (and the cursor stays) when the value was refused."""
        if not self.commit(index):
            return False
        target = index + delta
        if 0 <= target < len(self.cells):
            self.focus_cell(target)
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
        restyle(cell, CELL_EMPTY_STYLE if not value else "")
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
        restyle(edit, "")
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
