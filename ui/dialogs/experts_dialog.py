"""«Эксперты»: the school's experts (name, subjects, classes taught) and who scores this work.

Assigning a teacher to a work of a class they teach asks for confirmation (the regulation advises
against it) or is refused when the setting «Запретить назначать учителя на проверку своего
класса» is on (`coordinator_app.experts.assign_expert`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.classes import list_classes
from coordinator_app.experts import (
    Expert,
    assign_expert,
    delete_expert,
    list_experts,
    save_expert,
    unassign_expert,
    work_experts,
)
from coordinator_app.storage import Store
from coordinator_app.works import Work

from .. import style
from ..context import AppContext
from ..ops import ChangeOp
from ..table_model import Column, RecordTableModel
from ..widgets import fit_columns, fit_to_screen, table_view


class ExpertsDialog(QDialog):
    def __init__(self, ctx: AppContext, work: Work | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.work = work
        self.experts: list[Expert] = []
        self.assigned: set[int] = set()
        self.editing: int | None = None
        self.setWindowTitle("Эксперты")
        fit_to_screen(self, 1040, 540)

        self._build_table()
        buttons_row = self._buttons_row()
        self._build_form()

        self.message = QLabel()
        self.message.setWordWrap(True)
        hint = QLabel(f"Работа: {work.title}. Положение о ВПР рекомендует не поручать учителю проверку работ "
                      "его класса." if work else "Эксперты школьной комиссии.")
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED_STYLE)

        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(buttons_row)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(self.form_box, 2)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("Закрыть")
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.reload()
        self.new_expert()

    # -- building -----------------------------------------------------------------------------------
    def _build_table(self) -> None:
        """The school's experts, one selected at a time."""
        self.model: RecordTableModel[Expert] = RecordTableModel([
            Column("ФИО", lambda e: e.name),
            Column("Предметы", lambda e: ", ".join(e.subjects)),
            Column("Преподаёт в классах", lambda e: ", ".join(e.classes)),
            Column("На этой работе", lambda e: "да" if e.id in self.assigned else "",
                   Qt.AlignmentFlag.AlignCenter),
        ], self)
        self.table = table_view(self)
        self.table.setSortingEnabled(False)
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        header = self.table.horizontalHeader()
        # Names are sized to be read whole (long Russian ФИО are common); the last column takes what
        # is left, and a table wider than its place scrolls rather than cutting a name.
        header.setStretchLastSection(True)

    def _buttons_row(self) -> QHBoxLayout:
        """New, delete; assign to / take off this work (when there is one)."""
        self.new_button = QPushButton("Новый эксперт")
        self.new_button.clicked.connect(self.new_expert)
        self.delete_button = QPushButton("Удалить…")
        self.delete_button.clicked.connect(self.delete_current)
        self.assign_button = QPushButton("Назначить на эту работу")
        self.assign_button.clicked.connect(lambda: self.assign_current())
        self.unassign_button = QPushButton("Снять с работы")
        self.unassign_button.clicked.connect(self.unassign_current)
        for button in (self.assign_button, self.unassign_button):
            button.setVisible(self.work is not None)
        buttons_row = QHBoxLayout()
        for button in (self.new_button, self.delete_button):
            buttons_row.addWidget(button)
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.assign_button)
        buttons_row.addWidget(self.unassign_button)
        return buttons_row

    def _build_form(self) -> None:
        """The expert being edited: name, subjects, the classes taught."""
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Фамилия Имя Отчество")
        self.subjects_edit = QLineEdit()
        self.subjects_edit.setPlaceholderText("через запятую: Математика, Физика")
        self.classes_list = QListWidget()
        self.classes_list.setToolTip("Отметьте классы, в которых эксперт преподаёт")
        self.classes_list.setFlow(QListWidget.Flow.LeftToRight)
        self.classes_list.setWrapping(True)
        self.classes_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.classes_list.setSpacing(2)
        self.save_button = QPushButton("Сохранить")
        self.save_button.clicked.connect(self.save_current)
        self.form_box = QGroupBox("Новый эксперт")
        form = QFormLayout(self.form_box)
        form.addRow("ФИО:", self.name_edit)
        form.addRow("Предметы:", self.subjects_edit)
        form.addRow("Преподаёт в классах:", self.classes_list)
        form.addRow("", self.save_button)

    # -- data -------------------------------------------------------------------------------------
    def reload(self, select: int | None = None) -> None:
        store = self.ctx.store
        self.experts = list_experts(store)
        self.assigned = {e.id for e in work_experts(store, self.work.id)} if self.work else set()
        self.model.set_records(self.experts)
        fit_columns(self.table)
        checked = self._checked_classes()
        self.classes_list.clear()
        for info in list_classes(store):
            item = QListWidgetItem(info.name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if info.name in checked else Qt.CheckState.Unchecked)
            self.classes_list.addItem(item)
        if select is not None:
            self.select(select)
        self._buttons()

    def select(self, expert_id: int) -> None:
        for row, expert in enumerate(self.experts):
            if expert.id == expert_id:
                self.table.setCurrentIndex(self.model.index(row, 0))
                self.table.selectRow(row)
                return

    def current(self) -> Expert | None:
        index = self.table.currentIndex()
        return self.experts[index.row()] if index.isValid() and index.row() < len(self.experts) else None

    def _checked_classes(self) -> set[str]:
        return {self.classes_list.item(i).text() for i in range(self.classes_list.count())
                if self.classes_list.item(i).checkState() == Qt.CheckState.Checked}

    def _buttons(self) -> None:
        expert = self.current()
        self.delete_button.setEnabled(expert is not None)
        self.assign_button.setEnabled(expert is not None and expert.id not in self.assigned)
        self.unassign_button.setEnabled(expert is not None and expert.id in self.assigned)

    def _selected(self) -> None:
        expert = self.current()
        self._buttons()
        if expert is None:
            return
        self.editing = expert.id
        self.form_box.setTitle(f"Эксперт: {expert.name}")
        self.name_edit.setText(expert.name)
        self.subjects_edit.setText(", ".join(expert.subjects))
        for i in range(self.classes_list.count()):
            item = self.classes_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in expert.classes else Qt.CheckState.Unchecked)
        self.message.clear()

    def _say(self, text: str, ok: bool = False) -> None:
        self.message.setStyleSheet(style.OK_STYLE if ok else style.ERROR_STYLE)
        self.message.setText(text)

    def _op(self, op: Callable[[Store], Any]) -> ChangeOp:
        """A change made in this dialog: an error is said in the dialog, not in a box."""
        return ChangeOp(self.ctx, self, op).failure(lambda err: self._say(getattr(err, "message", str(err))))

    # -- actions ----------------------------------------------------------------------------------
    def new_expert(self) -> None:
        self.editing = None
        self.table.clearSelection()
        self.table.setCurrentIndex(self.model.index(-1, -1))
        self.form_box.setTitle("Новый эксперт")
        self.name_edit.clear()
        self.subjects_edit.clear()
        for i in range(self.classes_list.count()):
            self.classes_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.name_edit.setFocus()
        self._buttons()

    def save_current(self) -> int | None:
        subjects = [s.strip() for s in self.subjects_edit.text().replace(";", ",").split(",") if s.strip()]
        name, classes, editing = self.name_edit.text(), sorted(self._checked_classes()), self.editing
        result = self._op(lambda store: save_expert(store, name, subjects, classes, editing)).run()
        if result is None:
            return None
        expert_id = result[0]
        self.reload(select=expert_id)
        self._say("Сохранено.", ok=True)
        return expert_id

    def delete_current(self) -> None:
        expert = self.current()
        if expert is None:
            return
        if self._op(lambda store: delete_expert(store, expert.id)) \
                .confirm(f"Удалить эксперта «{expert.name}»? Уже выставленные им баллы останутся.",
                         yes="Удалить", destructive=True).run() is None:
            return
        self.reload()
        self.new_expert()
        self._say(f"Эксперт «{expert.name}» удалён.", ok=True)

    def assign_current(self) -> bool:
        expert = self.current()
        if expert is None or self.work is None:
            return False
        work_id = self.work.id
        if self._op(lambda store: assign_expert(store, work_id, expert.id)) \
                .if_asked(lambda store: assign_expert(store, work_id, expert.id, force=True),
                          title="Учитель своего класса", yes="Назначить",
                          declined=lambda: self._say("Эксперт не назначен.")).run() is None:
            return False
        self.reload(select=expert.id)
        self._say(f"{expert.name} проверяет эту работу.", ok=True)
        return True

    def unassign_current(self) -> None:
        expert = self.current()
        if expert is None or self.work is None:
            return
        work_id = self.work.id
        if self._op(lambda store: unassign_expert(store, work_id, expert.id)).run() is None:
            return
        self.reload(select=expert.id)
        self._say(f"{expert.name} больше не проверяет эту работу.", ok=True)
