"""Add or edit one pupil."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from coordinator_app.changes import Changes
from coordinator_app.classes import list_classes
from coordinator_app.storage import Store
from coordinator_app.students import Student, add_student, update_student

from .. import style
from ..context import AppContext
from ..ops import ChangeOp


class StudentDialog(QDialog):
    def __init__(self, ctx: AppContext, student: Student | None = None, default_class: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.student = student
        self.setWindowTitle("Изменить ученика" if student else "Добавить ученика")
        self.surname = QLineEdit(student.surname if student else "")
        self.name = QLineEdit(student.name if student else "")
        self.patronymic = QLineEdit(student.patronymic if student else "")
        self.class_box = QComboBox()
        self.class_box.setEditable(True)
        self.class_box.addItems([c.name for c in list_classes(ctx.store)])
        self.class_box.setCurrentText(student.class_name if student else (default_class or ""))
        self.class_box.lineEdit().setPlaceholderText("например, 4А")
        self.gender = QComboBox()
        self.gender.addItem("не указан", None)
        self.gender.addItem("м", "м")
        self.gender.addItem("ж", "ж")
        if student and student.gender:
            self.gender.setCurrentIndex(self.gender.findData(student.gender))
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Фамилия:", self.surname)
        form.addRow("Имя:", self.name)
        form.addRow("Отчество:", self.patronymic)
        form.addRow("Класс:", self.class_box)
        form.addRow("Пол:", self.gender)
        if student and student.code:
            form.addRow("Код участника:", QLabel(f"<b>{student.code}</b> (меняется отдельно: «Изменить код…»)"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("Сохранить")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Отмена")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.changes = None
        self.resize(420, 0)

    def accept(self) -> None:
        """Save the pupil (its changes published by the op); an error stays in the dialog."""
        ChangeOp(self.ctx, self, self._save) \
            .failure(lambda err: self.error.setText(str(err))) \
            .success(self._saved) \
            .run()

    def _save(self, store: Store) -> Changes:
        if self.student is None:
            return add_student(store, self.surname.text(), self.name.text(), self.patronymic.text(),
                               self.class_box.currentText(), self.gender.currentData())[1]
        return update_student(store, self.student.id, surname=self.surname.text(), name=self.name.text(),
                              patronymic=self.patronymic.text(), gender=self.gender.currentData(),
                              class_name=self.class_box.currentText())

    def _saved(self, changes: Changes) -> None:
        self.changes = changes
        super().accept()
