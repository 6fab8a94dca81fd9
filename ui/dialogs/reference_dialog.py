"""«Эталонные данные»: a work's reference rows — Russia, the region, the municipality: % of each mark,
% «не подтвердили», % per task, the year and the source. Typed from last year's published figures
(an empty field: not given); saving replaces the row of the chosen level. Read-only in expert mode.
Every change runs through `ChangeOp`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import references
from coordinator_app.errors import UserError
from coordinator_app.references import MARKS, SCOPES, ReferenceRow
from coordinator_app.works import get_work

from .. import style
from ..context import AppContext
from ..ops import ChangeOp
from ..widgets import fit_to_screen


def pct_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


class ReferenceDialog(QDialog):
    def __init__(self, ctx: AppContext, work_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.work = get_work(ctx.store, work_id)
        self.rows: dict[str, ReferenceRow] = {}
        self.read_only = ctx.expert_mode
        self.setWindowTitle(f"Эталонные данные — {self.work.title}")
        fit_to_screen(self, 900, 700)
        hint = QLabel("Результаты, с которыми школа сравнивает свои: Россия, регион, муниципалитет (до выгрузки — "
                      "опубликованные цифры прошлого года). Пустое поле — цифра не указана.")
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED_STYLE)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.summary)
        body = QHBoxLayout()
        body.addLayout(self._fields(), 1)
        body.addWidget(self._tasks_table(), 1)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons())
        self.reload()

    def _fields(self) -> QFormLayout:
        self.scope = QComboBox()
        for key, text in SCOPES.items():
            self.scope.addItem(text, key)
        self.scope.setCurrentIndex(list(SCOPES).index("region"))
        self.scope.currentIndexChanged.connect(lambda _: self._show_scope())
        self.year = QSpinBox()
        self.year.setRange(2014, self.work.work_date.year)
        self.year.setSpecialValueText("не указан")
        self.marks = {m: QLineEdit() for m in MARKS}
        self.not_confirmed = QLineEdit()
        self.mean = QLineEdit()
        self.source = QLineEdit()
        self.source.setPlaceholderText("например, «Аналитика ФИС ОКО, 2025»")
        form = QFormLayout()
        form.addRow("Уровень:", self.scope)
        form.addRow("Год:", self.year)
        for mark, field in self.marks.items():
            field.setPlaceholderText("%")
            form.addRow(f"Доля «{mark}», %:", field)
        self.not_confirmed.setPlaceholderText("%")
        form.addRow("«Не подтвердили», %:", self.not_confirmed)
        self.mean.setPlaceholderText("% от максимального балла")
        form.addRow("Средний % выполнения:", self.mean)
        form.addRow("Источник:", self.source)
        for field in (*self.marks.values(), self.not_confirmed, self.mean, self.source):
            field.setReadOnly(self.read_only)
        self.year.setEnabled(not self.read_only)
        return form

    def _tasks_table(self) -> QTableWidget:
        self.tasks = QTableWidget(len(self.work.tasks), 2)
        self.tasks.setHorizontalHeaderLabels(["Задание", "Выполнение, %"])
        self.tasks.verticalHeader().setVisible(False)
        self.tasks.horizontalHeader().setStretchLastSection(True)
        for row, task in enumerate(self.work.tasks):
            item = QTableWidgetItem(task.task_id)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.tasks.setItem(row, 0, item)
            value = QTableWidgetItem("")
            if self.read_only:
                value.setFlags(value.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.tasks.setItem(row, 1, value)
        return self.tasks

    def _buttons(self) -> QHBoxLayout:
        self.save_button = QPushButton("Сохранить")
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton("Удалить данные этого уровня")
        self.clear_button.clicked.connect(self.clear)
        close = QPushButton("Закрыть")
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        row.addWidget(close)
        for button in (self.save_button, self.clear_button):
            button.setEnabled(not self.read_only)
        return row

    # -- showing ------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.rows = {r.scope: r for r in references.list_references(self.ctx.store, self.work.id)}
        entered = [SCOPES[s] + (f" ({r.year})" if r.year else "") for s, r in self.rows.items()]
        self.summary.setText("Введены: " + ", ".join(entered) + "." if entered else "Эталонных данных пока нет.")
        self._show_scope()
        if self.read_only:
            self.message.setText("Режим эксперта: эталонные данные может изменить только координатор.")

    def _show_scope(self) -> None:
        row = self.rows.get(self.scope.currentData())
        self.year.setValue(row.year if row and row.year else self.year.minimum())
        for mark, field in self.marks.items():
            field.setText(pct_text(row.marks.get(mark)) if row else "")
        self.not_confirmed.setText(pct_text(row.not_confirmed) if row else "")
        self.mean.setText(pct_text(row.mean_pct) if row else "")
        self.source.setText(row.source if row else "")
        for index, task in enumerate(self.work.tasks):
            self.tasks.item(index, 1).setText(pct_text(row.tasks.get(task.task_id)) if row else "")

    def entered_row(self) -> ReferenceRow:
        """What the fields say; `UserError` for a percentage that is not one."""
        marks = {m: references.parse_pct(f.text(), f"доля «{m}»") for m, f in self.marks.items() if f.text().strip()}
        tasks = {}
        for index, task in enumerate(self.work.tasks):
            text = self.tasks.item(index, 1).text().strip()
            if text:
                tasks[task.task_id] = references.parse_pct(text, f"задание {task.task_id}")
        not_confirmed = (references.parse_pct(self.not_confirmed.text(), "«не подтвердили»")
                         if self.not_confirmed.text().strip() else None)
        mean = references.parse_pct(self.mean.text(), "средний % выполнения") if self.mean.text().strip() else None
        year = self.year.value() if self.year.value() != self.year.minimum() else None
        return ReferenceRow(self.work.id, self.scope.currentData(), year, marks, tasks, not_confirmed,
                            self.source.text(), mean_pct=mean)

    # -- changing -----------------------------------------------------------------------------------
    def _done(self, text: str) -> None:
        scope = self.scope.currentData()
        self.reload()
        self.scope.setCurrentIndex(list(SCOPES).index(scope))
        self.message.setStyleSheet(style.OK_STYLE)
        self.message.setText(text)

    def _failed(self, err: BaseException) -> None:
        self.message.setStyleSheet(style.ERROR_STYLE)
        self.message.setText(str(err))

    def save(self) -> None:
        try:
            row = self.entered_row()
        except UserError as err:
            self._failed(err)
            return
        ChangeOp(self.ctx, self, lambda store: references.set_reference(store, row)) \
            .success(lambda _: self._done(f"Сохранено: {SCOPES[row.scope]}.")).failure(self._failed).run()

    def clear(self) -> None:
        scope = self.scope.currentData()
        if scope not in self.rows:
            self._failed(UserError(f"Для уровня «{SCOPES[scope]}» данных нет."))
            return
        ChangeOp(self.ctx, self, lambda store: references.clear_references(store, self.work.id, scope)) \
            .confirm(f"Удалить эталонные данные «{SCOPES[scope]}» для работы «{self.work.title}»?", yes="Удалить",
                     destructive=True) \
            .success(lambda _: self._done(f"Удалено: {SCOPES[scope]}.")).failure(self._failed).run()
