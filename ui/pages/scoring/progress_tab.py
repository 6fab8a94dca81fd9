"""«Ход проверки»: is the work ready to be exported, how far each class is, and which present
participants still have unfilled tasks or variants (a double click opens one in «По участнику»)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from coordinator_app.scoring import ClassProgress, work_progress

from ...context import AppContext
from ...table_model import Column, RecordTableModel
from ...widgets import table_view
from .colours import BANNER_EMPTY, BANNER_MISSING, BANNER_READY, MISSING_BG
from .sheet import ScoreSheet


class ProgressTab(QWidget):
    """«Ход проверки»: the work's readiness, the counts by class and the unfilled cells."""

    open_participant = Signal(str, object)    # code, the first unfilled task id (or None)

    def __init__(self, sheet: ScoreSheet, ctx: AppContext) -> None:
        super().__init__()
        self.sheet = sheet
        self.ctx = ctx
        self.ready = False
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.classes_model: RecordTableModel[ClassProgress] = RecordTableModel([
            Column("Класс", lambda c: c.class_name),
            Column("Проверено", lambda c: c.scored, Qt.AlignmentFlag.AlignRight),
            Column("Частично", lambda c: c.partial, Qt.AlignmentFlag.AlignRight,
                   background=lambda c: MISSING_BG if c.partial else None),
            Column("Не начато", lambda c: c.not_started, Qt.AlignmentFlag.AlignRight,
                   background=lambda c: MISSING_BG if c.not_started else None),
            Column("Отсутствовали", lambda c: c.absent, Qt.AlignmentFlag.AlignRight),
            Column("Всего", lambda c: c.total, Qt.AlignmentFlag.AlignRight),
        ], self)
        self.classes_view = table_view(self)
        self.classes_view.setSortingEnabled(False)
        self.classes_view.setModel(self.classes_model)
        self.missing_model: RecordTableModel[tuple[str, str, list[str]]] = RecordTableModel([
            Column("Код", lambda m: m[0]),
            Column("Класс", lambda m: m[1]),
            Column("Не заполнено", lambda m: ", ".join(m[2])),
        ], self)
        self.missing_view = table_view(self)
        self.missing_view.setSortingEnabled(False)
        self.missing_view.setModel(self.missing_model)
        self.missing_view.horizontalHeader().setStretchLastSection(True)
        self.missing_view.doubleClicked.connect(self.open_missing)
        self.missing_view.activated.connect(self.open_missing)
        self.missing_label = QLabel("Незаполненные ячейки (двойной щелчок — перейти к участнику):")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(QLabel("По классам:"))
        layout.addWidget(self.classes_view)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.missing_view, 1)

    def refresh(self) -> None:
        work = self.sheet.work
        if work is None:
            self.ready = False
            self.banner.setText("Выберите работу.")
            self.classes_model.set_records([])
            self.missing_model.set_records([])
            return
        progress = work_progress(self.ctx.store, work.id)
        self.ready = progress.ready
        classes = {r.code: r.class_name for r in self.sheet.rows}
        self.classes_model.set_records(progress.classes)
        self.classes_view.resizeColumnsToContents()
        self.classes_view.setFixedHeight(min(self.classes_view.horizontalHeader().height() + 24 * len(progress.classes)
                                             + 2 * self.classes_view.frameWidth() + 2, 260))
        self.missing_model.set_records([(code, classes.get(code, ""), gaps) for code, gaps in progress.missing])
        self.missing_view.resizeColumnToContents(0)
        if progress.ready:
            style, text = BANNER_READY, "✔ Работа готова к выгрузке: у всех присутствовавших заполнены " \
                                                     "все задания и варианты."
        elif not self.sheet.rows:
            style, text = BANNER_EMPTY, "Не готова: у работы нет участников (выдайте коды)."
        else:
            style, text = BANNER_MISSING, (f"Не готова: не заполнено у участников — {len(progress.missing)}. "
                                                      "Список ниже.")
        self.banner.setStyleSheet(f"background: {style}; font-size: 12pt; font-weight: bold; padding: 10px; "
                                  "border-radius: 4px")
        self.banner.setText(text)
        self.missing_label.setVisible(bool(progress.missing))
        self.missing_view.setVisible(bool(progress.missing))

    def open_missing(self, index: QModelIndex) -> None:
        """A row of the unfilled cells chosen: ask for that participant at their first gap."""
        if not index.isValid():
            return
        code, _, gaps = self.missing_model.record(index.row())
        self.open_participant.emit(code, gaps[0] if gaps else None)


# == «Перепроверка» ==================================================================================
