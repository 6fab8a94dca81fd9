"""«Пороги анализа»: every threshold of the «Анализ» step with its value, unit, source and default.

The coordinator types a new value (and where it comes from) and saves; a changed threshold is
marked, «изменено муниципалитетом» when it came from a municipality's file. «Вернуть по умолчанию»
resets the selected ones or all; the thresholds go to a file for the schools of a municipality and
come back from one. In expert mode the table is read-only. Every change runs through `ChangeOp`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import thresholds
from coordinator_app.changes import Changes
from coordinator_app.errors import UserError
from coordinator_app.storage import Store

from .. import style
from ..context import AppContext
from ..ops import ChangeOp
from ..widgets import fit_to_screen

TITLE, VALUE, UNIT, DEFAULT, STATE, SOURCE = range(6)
HEADERS = ["Порог", "Значение", "Ед.", "По умолчанию", "Изменён", "Источник"]


def state_text(item: thresholds.Threshold) -> str:
    if item.municipal:
        return "изменено муниципалитетом"
    return "изменено" if item.changed else ""


class ThresholdsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[thresholds.Threshold] = []
        self.read_only = ctx.expert_mode
        self.setWindowTitle("Пороги анализа")
        fit_to_screen(self, 1300, 700)
        hint = QLabel("Числа, с которыми «Анализ» сравнивает результаты. Значение по умолчанию взято из источника в "
                      "последнем столбце; муниципалитет может передать школам свои значения файлом. Чтобы изменить "
                      "порог, введите новое значение (и источник) и нажмите «Сохранить изменения».")
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED_STYLE)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons())
        self.reload()

    def _buttons(self) -> QHBoxLayout:
        self.save_button = QPushButton("Сохранить изменения")
        self.save_button.clicked.connect(self.save)
        self.reset_button = QPushButton("Вернуть по умолчанию")
        self.reset_button.setToolTip("Выбранные пороги — к значениям программы")
        self.reset_button.clicked.connect(self.reset_selected)
        self.reset_all_button = QPushButton("Все по умолчанию…")
        self.reset_all_button.clicked.connect(self.reset_all)
        self.export_button = QPushButton("Экспорт в файл…")
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = QPushButton("Импорт файла муниципалитета…")
        self.import_button.clicked.connect(self.choose_import)
        close = QPushButton("Закрыть")
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        for button in (self.save_button, self.reset_button, self.reset_all_button, self.export_button,
                       self.import_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        for button in (self.save_button, self.reset_button, self.reset_all_button, self.import_button):
            button.setEnabled(not self.read_only)
        return row

    # -- showing ------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.items = thresholds.list_thresholds(self.ctx.store)
        self.table.setRowCount(0)
        for item in self.items:
            self._add_row(item)
        self.table.resizeColumnToContents(TITLE)
        for column in (VALUE, UNIT, DEFAULT, STATE):
            self.table.resizeColumnToContents(column)
        if self.read_only:
            self.message.setText("Режим эксперта: пороги может изменить только координатор.")

    def _add_row(self, item: thresholds.Threshold) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        d = item.definition
        cells = [d.title, thresholds.value_text(item.value), d.unit, thresholds.value_text(d.default),
                 state_text(item), item.source]
        for column, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            if column not in (VALUE, SOURCE) or self.read_only:
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if item.changed:
                cell.setBackground(QBrush(style.color(style.WARNING_ROW)))
            if column == TITLE:
                cell.setToolTip(f"{d.key}: допустимо {thresholds.value_text(d.low)}–{thresholds.value_text(d.high, d.unit)}")
            if column == SOURCE:
                cell.setToolTip(text)
            self.table.setItem(row, column, cell)

    def _edited(self) -> list[tuple[str, str, str]]:
        """(key, typed value, typed source) of the rows whose value or source differ from what is stored."""
        edited = []
        for row, item in enumerate(self.items):
            value = self.table.item(row, VALUE).text().strip()
            source = self.table.item(row, SOURCE).text().strip()
            if value != thresholds.value_text(item.value) or source != item.source:
                edited.append((item.key, value, source))
        return edited

    def _selected_keys(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.items[row].key for row in rows]

    # -- changing -----------------------------------------------------------------------------------
    def _done(self, text: str) -> None:
        self.reload()
        self.message.setStyleSheet(style.OK_STYLE)
        self.message.setText(text)

    def _failed(self, err: BaseException) -> None:
        self.message.setStyleSheet(style.ERROR_STYLE)
        self.message.setText(str(err))

    def _run(self, op: Callable[[Store], Changes], done_text: str, **confirm: Any) -> None:
        change = ChangeOp(self.ctx, self, op).success(lambda _: self._done(done_text)).failure(self._failed)
        if confirm:
            change.confirm(**confirm)
        change.run()

    def save(self) -> None:
        edited = self._edited()
        if not edited:
            self.message.setStyleSheet(style.MUTED_STYLE)
            self.message.setText("Изменений нет.")
            return

        def op(store: Store) -> Changes:
            changes = Changes()
            with store.atomic():
                for key, value, source in edited:
                    if value in ("", "не задано"):
                        changes |= thresholds.reset_thresholds(store, key)
                    else:
                        old = next(i for i in self.items if i.key == key)
                        keep = source if source != old.definition.source or old.changed else ""
                        changes |= thresholds.set_threshold(store, key, value, keep or None)
            return changes

        self._run(op, f"Сохранено порогов: {len(edited)}.")

    def reset_selected(self) -> None:
        keys = self._selected_keys()
        if not keys:
            self._failed(UserError("Выберите пороги в таблице."))
            return

        def op(store: Store) -> Changes:
            changes = Changes()
            with store.atomic():
                for key in keys:
                    changes |= thresholds.reset_thresholds(store, key)
            return changes

        self._run(op, f"Значения по умолчанию: {len(keys)}.")

    def reset_all(self) -> None:
        self._run(lambda store: thresholds.reset_thresholds(store), "Все пороги — значения программы по умолчанию.",
                  text="Вернуть все пороги к значениям программы по умолчанию? Значения муниципалитета тоже "
                       "будут сброшены.", yes="Вернуть", destructive=True)

    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Экспорт порогов", str(Path.home() / "пороги-анализа.json"),
                                              "Файл порогов (*.json)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        if path.suffix.casefold() != ".json":
            path = path.with_name(path.name + ".json")
        ChangeOp(self.ctx, self, lambda store: thresholds.export_thresholds(store, path)) \
            .success(lambda written: self._done(f"Пороги записаны в файл {written}.")).failure(self._failed).run()

    def choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Пороги муниципалитета", str(Path.home()),
                                              "Файл порогов (*.json);;Все файлы (*)")
        if name:
            self.import_from(Path(name))

    def import_from(self, path: Path) -> None:
        ChangeOp(self.ctx, self, lambda store: thresholds.import_thresholds(store, path)) \
            .success(lambda result: self._done(result.summary())).failure(self._failed).run()
