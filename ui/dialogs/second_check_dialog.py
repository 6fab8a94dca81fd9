"""«Итоговый балл»: the commission settles a task where the two experts disagree (round 3).

The value is checked like any score and a reason is required; both experts' scores stay as they
were (`coordinator_app.second_check.settle`).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.changes import Changes
from coordinator_app.second_check import settle
from coordinator_app.storage import Store

from .. import style
from ..ops import ChangeOp


def _shown(value: str | None) -> str:
    return "—" if value is None else value


class SettleDialog(QDialog):
    def __init__(self, store: Store, work_id: int, code: str, task_id: str, max_score: int, first: str | None,
                 second: str | None, final: str | None = None, expert: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.work_id, self.code, self.task_id, self.expert = store, work_id, code, task_id, expert
        self.changes = Changes()
        self.setWindowTitle("Итоговый балл")
        info = QLabel(f"Код {code}, задание {task_id} (максимум {max_score}).<br>"
                      f"Первый эксперт: <b>{_shown(first)}</b>, второй эксперт: <b>{_shown(second)}</b>"
                      + (f", уже установлен итоговый: <b>{final}</b>" if final is not None else "") + ".")
        info.setWordWrap(True)
        self.value = QLineEdit(final if final is not None else (second or ""))
        self.value.setPlaceholderText(f"0–{max_score}, X или «не пройд.»")
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("например: решение предметной комиссии, протокол № 2 от 20.04")
        self.reason.setFixedHeight(70)
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Итоговый балл:", self.value)
        form.addRow("Причина:", self.reason)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("Сохранить", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Отмена", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        note = QLabel("Баллы обоих экспертов сохраняются как есть; итоговый балл заменяет балл первого эксперта "
                      "в результатах работы.")
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def accept(self) -> None:
        if not self.value.text().strip():
            self.error.setText("Укажите итоговый балл.")
            self.value.setFocus()
            return
        if not self.reason.toPlainText().strip():
            self.error.setText("Укажите причину итогового балла (решение комиссии).")
            self.reason.setFocus()
            return
        value, reason = self.value.text(), self.reason.toPlainText().strip()
        ChangeOp(self.store, self, lambda store: settle(store, self.work_id, self.code, self.task_id, value, reason,
                                                        expert=self.expert)) \
            .failure(self._refused).success(self._settled).run()

    def _refused(self, err: BaseException) -> None:
        self.error.setText(getattr(err, "message", str(err)))
        self.value.selectAll()
        self.value.setFocus()

    def _settled(self, changes: Changes) -> None:
        self.changes = changes          # published by the caller, which shows it in place
        super().accept()
