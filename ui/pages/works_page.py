"""«Работы»: the list of works, created from the ФИС ОКО template, the catalogue or by hand."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from coordinator_app.changes import Topic
from coordinator_app.school_years import closed_work_ids
from coordinator_app.works import Work, delete_work, get_work, works_for_view

from .. import style
from ..context import AppContext
from ..dialogs.reference_dialog import ReferenceDialog
from ..dialogs.thresholds_dialog import ThresholdsDialog
from ..dialogs.work_dialog import WorkDialog
from ..loader import PageLoader
from ..ops import ChangeOp
from ..table_model import Column, RecordTableModel, SearchProxy
from ..widgets import fit_columns, page_title, table_view

SOURCES = {"template": "шаблон ФИС ОКО", "catalogue": "каталог", "manual": "вручную",
           "results": "результаты ФИС ОКО"}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


def _scale_text(work: Work) -> str:
    return "/".join(str(x) for x in work.scale) if work.scale else "не задана"


def _read_works(store, year: str | None = None) -> tuple[dict[int, int], list[Work], set[int]]:
    """Participants per work, the works shown and those of closed school years (not to be changed)."""
    counts = {r["work_id"]: r["n"] for r in store.query(
        "SELECT work_id, COUNT(*) AS n FROM participants GROUP BY work_id")}
    return counts, works_for_view(store, year), set(closed_work_ids(store))


class WorksPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.participants: dict[int, int] = {}
        self.closed: set[int] = set()              # works of closed school years
        columns: list[Column[Work]] = [
            Column("№", lambda w: w.id, Qt.AlignmentFlag.AlignRight),
            Column("Предмет", lambda w: w.subject),
            Column("Параллель", lambda w: w.grade, Qt.AlignmentFlag.AlignCenter),
            Column("Дата", lambda w: f"{w.work_date:%d.%m.%Y}", sort_key=lambda w: w.work_date.isoformat()),
            Column("Классы", lambda w: ", ".join(n for _, n in w.classes) or "—"),
            Column("Заданий", lambda w: len(w.tasks), Qt.AlignmentFlag.AlignRight),
            Column("Макс. балл", lambda w: w.max_total, Qt.AlignmentFlag.AlignRight),
            Column("Шкала «3»/«4»/«5»", _scale_text),
            Column("Частей", lambda w: w.parts, Qt.AlignmentFlag.AlignCenter),
            Column("Участников", lambda w: self.participants.get(w.id, 0), Qt.AlignmentFlag.AlignRight),
            Column("Источник", lambda w: SOURCES.get(w.source, w.source)),
        ]
        self.model: RecordTableModel[Work] = RecordTableModel(columns, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = table_view(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(self.table.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _: self.edit_work())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_details())

        self.from_template = QPushButton("Из шаблона ФИС ОКО…")
        self.from_template.setToolTip("Создать работу по форме сбора результатов, скачанной из ФИС ОКО (Ctrl+N)")
        self.from_template.setShortcut(QKeySequence("Ctrl+N"))
        self.from_template.clicked.connect(lambda: self.new_work("template"))
        self.from_catalogue = QPushButton("Из каталога…")
        self.from_catalogue.clicked.connect(lambda: self.new_work("catalogue"))
        self.manual = QPushButton("Вручную…")
        self.manual.clicked.connect(lambda: self.new_work("manual"))
        self.edit_button = QPushButton("Изменить…")
        self.edit_button.clicked.connect(self.edit_work)
        self.delete_button = QPushButton("Удалить")
        self.delete_button.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_button.clicked.connect(self.delete_work)
        # The analysis's data, until the «Анализ» step opens these dialogs itself.
        self.thresholds_button = QPushButton("Пороги анализа…")
        self.thresholds_button.setToolTip("Пороги, с которыми «Анализ» сравнивает результаты; файл муниципалитета")
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        self.references_button = QPushButton("Эталонные данные…")
        self.references_button.setToolTip("Результаты России, региона, муниципалитета для сравнения с этой работой")
        self.references_button.clicked.connect(self.edit_references)
        toolbar = QHBoxLayout()
        for b in (self.from_template, self.from_catalogue, self.manual, self.edit_button, self.delete_button):
            toolbar.addWidget(b)
        toolbar.addStretch(1)
        toolbar.addWidget(self.thresholds_button)
        toolbar.addWidget(self.references_button)

        self.details = QLabel("Выберите работу, чтобы увидеть её задания.")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Работы", "Каждая ВПР — отдельная работа: предмет, параллель, дата, классы, задания с "
                                               "максимальными баллами и шкала перевода в отметку."))
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        self.subscription = ctx.bus.subscribe(self, (Topic.WORKS, Topic.PARTICIPANTS, Topic.CLASSES),
                                              lambda _changes: self.reload())
        self.loader = PageLoader(self, overlay=self.table.viewport(),
                                 guard=[self.edit_button, self.delete_button, self.references_button])
        self.reload()

    def reload(self) -> None:
        """Read the works off the GUI thread; `_apply` shows them."""
        self.subscription.forget()
        year = self.ctx.year
        self.loader.load(lambda store: _read_works(store, year), self._apply)

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply(self, data: tuple[dict[int, int], list[Work], set[int]]) -> None:
        current = self.selected()
        self.participants, works, self.closed = data
        self.model.set_records(works)
        fit_columns(self.table)
        if current is not None:
            for row in range(self.proxy.rowCount()):
                if self.proxy.record_at(row).id == current.id:
                    self.table.selectRow(row)
        self._show_details()

    def selected(self) -> Work | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.proxy.record_at(rows[0].row()) if rows else None

    def _show_details(self) -> None:
        work = self.selected()
        changeable = work is not None and work.id not in self.closed
        self.edit_button.setEnabled(changeable)
        self.delete_button.setEnabled(changeable)
        self.references_button.setEnabled(work is not None)
        if work is None:
            self.details.setText("Выберите работу, чтобы увидеть её задания.")
            return
        if not work.tasks:
            self.details.setText(f"<b>{work.title}</b> — работа прошлых лет по отчёту ФИС ОКО «Статистика по "
                                 "отметкам»: известны только доли отметок школы (они входят в «Динамику»). Задания "
                                 "появятся, когда будут импортированы «Индивидуальные результаты» этой работы.")
            return
        parts = []
        levels = sum(1 for t in work.tasks if t.level)
        for part in range(1, work.parts + 1):
            tasks = ", ".join(f"{t.task_id} ({t.max_score} б.)" for t in work.tasks if t.part == part)
            parts.append((f"<b>Часть {part}:</b> " if work.parts > 1 else "<b>Задания:</b> ") + tasks)
        extras = []
        if work.template_file:
            extras.append("шаблон формы ФИС ОКО сохранён с работой")
        extras.append("столбец «Пол» есть" if work.has_gender else "столбца «Пол» нет")
        if work.allows_not_passed:
            extras.append("допускается «не пройд.»")
        scale = (f"«3» от {work.scale[0]}, «4» от {work.scale[1]}, «5» от {work.scale[2]}" if work.scale
                 else style.error_html("не задана — внесите из критериев оценивания", bold=False))
        described = (f"<br><b>Для анализа:</b> уровень указан у {levels} из {len(work.tasks)} заданий, проверяемое "
                     f"умение — у {sum(1 for t in work.tasks if t.requirement)}")
        self.details.setText(f"<b>{work.title}</b> — максимум {work.max_total} б.<br>" + "<br>".join(parts)
                             + f"<br><b>Шкала:</b> {scale}" + described + "<br>" + _sentence("; ".join(extras)))

    def new_work(self, mode: str) -> None:
        WorkDialog(self.ctx, mode=mode, parent=self).exec()     # the dialog publishes what it saved

    def edit_work(self) -> None:
        work = self.selected()
        if work is None:
            return
        WorkDialog(self.ctx, work=get_work(self.ctx.store, work.id), parent=self).exec()

    def edit_thresholds(self) -> None:
        ThresholdsDialog(self.ctx, parent=self).exec()

    def edit_references(self) -> None:
        work = self.selected()
        if work is not None:
            ReferenceDialog(self.ctx, work.id, parent=self).exec()

    def delete_work(self) -> None:
        work = self.selected()
        if work is None:
            return
        ChangeOp(self.ctx, self, lambda store: delete_work(store, work.id)) \
            .confirm(f"Удалить работу «{work.title}»?", yes="Удалить", destructive=True) \
            .if_asked(lambda store: delete_work(store, work.id, force=True), yes="Удалить", destructive=True) \
            .run()
