"""«Школа»: the school's details and the program's settings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import settings
from coordinator_app.access import has_pin
from coordinator_app.changes import Topic
from coordinator_app.scans.retention import set_retention
from coordinator_app.school import get_school, save_school

from .. import style
from ..context import AppContext
from ..expert_mode import SetPinDialog
from ..messages import show_error
from ..ops import ChangeOp
from ..widgets import page_title
from ..wizard import SchoolForm


class SchoolPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.form = SchoolForm()
        self.save_button = QPushButton("Сохранить")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.saved_label = QLabel()
        self.saved_label.setStyleSheet(style.OK_STYLE)

        school_box = QGroupBox("Сведения о школе")
        box_layout = QVBoxLayout(school_box)
        box_layout.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_label, 1)
        box_layout.addLayout(row)

        settings_box = QGroupBox("Настройки")
        settings_form = QFormLayout(settings_box)
        self.one_code = QCheckBox("Один код на ученика для всех работ учебного года")
        self.one_code.setToolTip("Если выключить, каждая работа получает свою нумерацию кодов.")
        self.one_code.toggled.connect(lambda on: self._set("one_code_per_year", on))
        settings_form.addRow(self.one_code)
        self.layout_combo = QComboBox()
        from coordinator_app.formats.pdf.labels import LAYOUTS  # start-up: it loads reportlab

        for name, layout in LAYOUTS.items():
            self.layout_combo.addItem(layout.title, name)
        self.layout_combo.currentIndexChanged.connect(
            lambda _: self._set("label_layout", self.layout_combo.currentData()))
        settings_form.addRow("Лист наклеек по умолчанию:", self.layout_combo)
        self.retention_days = QSpinBox()
        self.retention_days.setRange(1, 3650)
        self.retention_days.setSuffix(" дн.")
        self.retention_days.setToolTip("Сколько дней с даты проведения работы хранить её сканы и аудиозаписи")
        self.retention_order = QLineEdit()
        self.retention_order.setPlaceholderText("основание, например: приказ № 45 от 01.09.2025")
        self.retention_order.setToolTip("Печатается в акте об уничтожении сканов")
        self.retention_save = QPushButton("Сохранить срок")
        self.retention_save.clicked.connect(self.save_retention)
        self.retention_saved = QLabel()
        self.retention_saved.setStyleSheet(style.OK_STYLE)
        retention_row = QHBoxLayout()
        retention_row.addWidget(self.retention_days)
        retention_row.addWidget(self.retention_order, 1)
        retention_row.addWidget(self.retention_save)
        retention_row.addWidget(self.retention_saved)
        settings_form.addRow("Срок хранения сканов:", retention_row)
        self.pin_state = QLabel()
        self.pin_set_button = QPushButton("Задать PIN…")
        self.pin_set_button.clicked.connect(lambda: self.change_pin(remove=False))
        self.pin_remove_button = QPushButton("Удалить PIN…")
        self.pin_remove_button.clicked.connect(lambda: self.change_pin(remove=True))
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_state)
        pin_row.addWidget(self.pin_set_button)
        pin_row.addWidget(self.pin_remove_button)
        pin_row.addStretch(1)
        settings_form.addRow("PIN координатора:", pin_row)
        self.forbid_own_class = QCheckBox("Запретить назначать учителя на проверку своего класса")
        self.forbid_own_class.setToolTip("Если выключено, программа только предупреждает и просит подтверждения.")
        self.forbid_own_class.toggled.connect(lambda on: self._set("forbid_own_class", on))
        settings_form.addRow(self.forbid_own_class)

        self.stats = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Школа", "Сведения о школе печатаются в протоколах; логин ФИС ОКО входит в QR-коды наклеек."))
        layout.addWidget(school_box)
        layout.addWidget(settings_box)
        layout.addWidget(self.stats)
        layout.addStretch(1)
        self._loading = False
        self.subscription = ctx.bus.subscribe(self, (Topic.SCHOOL, Topic.SETTINGS, Topic.CLASSES, Topic.STUDENTS, Topic.WORKS),
                                              lambda _changes: self.reload())
        self.reload()

    def reload(self) -> None:
        self.subscription.forget()
        self._loading = True
        school = get_school(self.ctx.store)
        if school:
            self.form.set_value(school)
        self.one_code.setChecked(bool(settings.get(self.ctx.store, "one_code_per_year")))
        index = self.layout_combo.findData(settings.get(self.ctx.store, "label_layout"))
        self.layout_combo.setCurrentIndex(max(index, 0))
        self.retention_days.setValue(int(settings.get(self.ctx.store, "retention_days")))
        self.retention_order.setText(str(settings.get(self.ctx.store, "retention_order") or ""))
        self.forbid_own_class.setChecked(bool(settings.get(self.ctx.store, "forbid_own_class")))
        self._show_pin_state()
        store = self.ctx.store
        self.stats.setText(
            f"Классов: {store.scalar('SELECT COUNT(*) FROM classes')} · "
            f"учеников: {store.scalar('SELECT COUNT(*) FROM students')} · "
            f"работ: {store.scalar('SELECT COUNT(*) FROM works')}"
        )
        self._loading = False

    def _set(self, key: str, value: object) -> None:
        if self._loading:
            return
        ChangeOp(self.ctx, self, lambda store: settings.set_value(store, key, value)).run()

    def save(self) -> None:
        def failed(err: BaseException) -> None:
            self.saved_label.clear()
            show_error(self, err)

        school = self.form.value()
        ChangeOp(self.ctx, self, lambda store: save_school(store, school)) \
            .failure(failed) \
            .success(lambda _changes: self.saved_label.setText("Сохранено.")) \
            .run()

    def save_retention(self) -> None:
        def failed(err: BaseException) -> None:
            self.retention_saved.clear()
            show_error(self, err)

        days, order = self.retention_days.value(), self.retention_order.text()
        ChangeOp(self.ctx, self, lambda store: set_retention(store, days, order)) \
            .failure(failed) \
            .success(lambda _changes: self.retention_saved.setText("Сохранено.")) \
            .run()

    def _show_pin_state(self) -> None:
        on = has_pin(self.ctx.store)
        self.pin_state.setText("задан" if on else "не задан — из режима эксперта выйдет любой")
        self.pin_set_button.setText("Изменить PIN…" if on else "Задать PIN…")
        self.pin_remove_button.setEnabled(on and not self.ctx.expert_mode)
        self.pin_set_button.setEnabled(not self.ctx.expert_mode)   # an expert must not lock the coordinator out
        # An expert must not lift the rules that bind the experts.
        self.forbid_own_class.setEnabled(not self.ctx.expert_mode)
        self.forbid_own_class.setToolTip("Меняет только координатор (вне режима эксперта)." if self.ctx.expert_mode
                                         else "Если выключено, программа только предупреждает и просит подтверждения.")

    def change_pin(self, remove: bool = False) -> None:
        dialog = SetPinDialog(self.ctx.store, self, remove=remove)
        if dialog.exec() == SetPinDialog.DialogCode.Accepted:
            self._show_pin_state()
            self.subscription.publish(dialog.changes)       # a dialog given only the store: published here

