"""Create a work (from the ФИС ОКО template, the catalogue or by hand) or edit an existing one.

Besides its number, maximum and part, each task has what the analysis needs: its level (Б/П/В),
whether the answer is «развёрнутый» (scored by an expert's judgement) and the checked requirement;
they are typed in the table or imported from a task-description file («Импорт описания заданий…»),
and saved with the work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.catalogue import load_catalogue
from coordinator_app.changes import Changes
from coordinator_app.classes import list_classes
from coordinator_app.errors import UserError
from coordinator_app.storage import Store
from coordinator_app.task_info import TaskInfo, merge_infos, read_task_file, set_tasks, task_infos
from coordinator_app.task_levels import LEVEL_NAMES, LEVELS
from coordinator_app.words import counted
from coordinator_app.works import (
    MAX_PAGES_PER_WORK,
    TaskDef,
    Work,
    WorkDef,
    create_work,
    unknown_columns_notice,
    update_work,
    validate_work,
    work_from_template,
)

from .. import style
from ..context import AppContext
from ..ops import ChangeOp
from ..tasks import TaskContext
from ..widgets import fit_to_screen

SUBJECTS = ["Русский язык", "Математика", "Окружающий мир", "История", "Обществознание", "География", "Биология",
            "Физика", "Химия", "Литература", "Английский язык", "Немецкий язык", "Французский язык", "Информатика"]
TEMPLATE, CATALOGUE, MANUAL = "template", "catalogue", "manual"
#: The task table's columns.
ID_COL, MAX_COL, PART_COL, LEVEL_COL, OPEN_COL, REQUIREMENT_COL = range(6)
_LEVEL_CHOICES = [("—", None)] + [(level, level) for level in LEVELS]
_OPEN_CHOICES = [("—", None), ("да", True), ("нет", False)]


class WorkDialog(QDialog):
    def __init__(self, ctx: AppContext, mode: str = TEMPLATE, work: Work | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.work = work
        self.template_def: WorkDef | None = None
        self.created_id: int | None = None
        self.changes = None
        self.setWindowTitle(f"Работа «{work.title}»" if work else "Новая работа")
        fit_to_screen(self, 1040, 820)

        self.source_box = self._source_box()
        form = self._fields_form()
        tasks_box = self._tasks_box()
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Сохранить работу")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Отмена")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.source_box)
        layout.addLayout(form)
        layout.addWidget(tasks_box, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        if work is not None:
            self._load_work(work)
        else:
            self.radio[mode].setChecked(True)
            self._set_mode(mode)

    # -- building -----------------------------------------------------------------------------------
    def _source_box(self) -> QGroupBox:
        """Where the tasks come from: the ФИС ОКО template (its file), the catalogue (its entry), by hand."""
        box = QGroupBox("Откуда взять задания и максимальные баллы")
        source_layout = QVBoxLayout(box)
        self.mode_group = QButtonGroup(self)
        self.radio = {}
        for key, text in ((TEMPLATE, "Из шаблона формы сбора результатов ФИС ОКО (.xlsx) — рекомендуется"),
                          (CATALOGUE, "Из встроенного каталога"), (MANUAL, "Ввести вручную")):
            button = QRadioButton(text)
            self.radio[key] = button
            self.mode_group.addButton(button)
            source_layout.addWidget(button)
            button.toggled.connect(lambda on, k=key: on and self._set_mode(k))
        self.template_path = QLineEdit()
        self.template_path.setReadOnly(True)
        self.template_path.setPlaceholderText("Файл формы, скачанный из личного кабинета ФИС ОКО")
        browse = QPushButton("Выбрать файл…")
        browse.clicked.connect(self.choose_template)
        self.template_row = QWidget()
        row = QHBoxLayout(self.template_row)
        row.setContentsMargins(20, 0, 0, 0)
        row.addWidget(self.template_path, 1)
        row.addWidget(browse)
        source_layout.insertWidget(1, self.template_row)
        self.catalogue = QComboBox()
        for entry in load_catalogue():
            self.catalogue.addItem(f"{entry.title} — максимум {entry.max_total} б.", entry.id)
        self.catalogue.currentIndexChanged.connect(lambda _: self._apply_catalogue())
        self.catalogue_row = QWidget()
        crow = QHBoxLayout(self.catalogue_row)
        crow.setContentsMargins(20, 0, 0, 0)
        crow.addWidget(self.catalogue, 1)
        source_layout.insertWidget(3, self.catalogue_row)
        self.source_note = QLabel()
        self.source_note.setWordWrap(True)
        self.source_note.setStyleSheet(style.MUTED_STYLE)
        source_layout.addWidget(self.source_note)
        return box

    def _fields_form(self) -> QFormLayout:
        """Subject, grade, date, classes, the mark scale and the pages per work."""
        self.subject = QComboBox()
        self.subject.setEditable(True)
        self.subject.addItems(SUBJECTS)
        self.subject.setCurrentText("")
        self.subject.lineEdit().setPlaceholderText("например, Русский язык")
        self.grade = QSpinBox()
        self.grade.setRange(4, 11)
        self.grade.valueChanged.connect(lambda _: self._fill_classes())
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd.MM.yyyy")
        self.classes = QListWidget()
        self.classes.setMaximumHeight(64)
        self.classes.setFlow(QListWidget.Flow.LeftToRight)
        self.classes.setWrapping(True)
        form = QFormLayout()
        form.addRow("Предмет:", self.subject)
        form.addRow("Параллель:", self.grade)
        form.addRow("Дата проведения:", self.date)
        form.addRow("Классы:", self.classes)
        form.addRow("Шкала перевода в отметку:", self._scale_row())
        self.pages = QSpinBox()
        self.pages.setRange(0, MAX_PAGES_PER_WORK)
        self.pages.setSpecialValueText("не задано (по первым работам пакета)")
        self.pages.setToolTip("Сколько страниц в работе одного участника. Лишние страницы после работы при "
                              "импорте сканов попадут в «Нераспознанные», а не к участнику: так титульный лист "
                              "без наклейки не припишет свои страницы предыдущему участнику.")
        form.addRow("Страниц в работе:", self.pages)
        return form

    def _scale_row(self) -> QHBoxLayout:
        """The scale of marks: the first score of «3», «4» and «5», if known."""
        self.scale_known = QCheckBox("задана")
        self.scale = [QSpinBox() for _ in range(3)]
        scale_row = QHBoxLayout()
        scale_row.addWidget(self.scale_known)
        for mark, box in zip("345", self.scale):
            box.setRange(1, 200)
            scale_row.addWidget(QLabel(f"«{mark}» от"))
            scale_row.addWidget(box)
        scale_row.addStretch(1)
        self.scale_known.toggled.connect(lambda on: [b.setEnabled(on) for b in self.scale])
        self.scale_known.setChecked(False)
        for box in self.scale:
            box.setEnabled(False)
        return scale_row

    def _tasks_box(self) -> QGroupBox:
        """The table of tasks (number, maximum, part) with its buttons and the total."""
        self.tasks = QTableWidget(0, 6)
        self.tasks.setHorizontalHeaderLabels(["Задание", "Макс. балл", "Часть", "Уровень", "Развёрнутый ответ",
                                              "Проверяемое умение"])
        self.tasks.horizontalHeader().setStretchLastSection(True)
        header_tips = {LEVEL_COL: "Уровень сложности: " + ", ".join(f"{k} — {v}" for k, v in LEVEL_NAMES.items()),
                       OPEN_COL: "Да — задание с развёрнутым ответом, его оценивает эксперт по критериям",
                       REQUIREMENT_COL: "Проверяемое умение из описания работы (для «типичных затруднений»)"}
        for column, tip in header_tips.items():
            self.tasks.horizontalHeaderItem(column).setToolTip(tip)
        metrics = self.tasks.horizontalHeader().fontMetrics()
        for column in range(REQUIREMENT_COL):    # each title whole, the requirement takes the rest
            title = self.tasks.horizontalHeaderItem(column).text()
            self.tasks.horizontalHeader().resizeSection(column, max(64, metrics.horizontalAdvance(title) + 24))
        self.tasks.setMinimumHeight(140)
        self.tasks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tasks.itemChanged.connect(lambda _: self._update_total())
        self.add_task = QPushButton("Добавить задание")
        self.add_task.clicked.connect(lambda: self._add_task_row(TaskDef(str(self.tasks.rowCount() + 1), 1, 1)))
        self.remove_task = QPushButton("Удалить задание")
        self.remove_task.clicked.connect(self._remove_task_rows)
        self.import_tasks = QPushButton("Импорт описания заданий…")
        self.import_tasks.setToolTip("Таблица .xlsx или .csv: номер задания и проверяемое умение; если есть — "
                                     "уровень и развёрнутый ответ")
        self.import_tasks.clicked.connect(self.choose_task_file)
        self.total = QLabel()
        task_buttons = QHBoxLayout()
        task_buttons.addWidget(self.add_task)
        task_buttons.addWidget(self.remove_task)
        task_buttons.addWidget(self.import_tasks)
        task_buttons.addStretch(1)
        task_buttons.addWidget(self.total)
        tasks_box = QGroupBox("Задания (номер, максимальный балл, часть работы; для анализа — уровень, "
                              "развёрнутый ответ, проверяемое умение)")
        tasks_layout = QVBoxLayout(tasks_box)
        tasks_layout.addWidget(self.tasks)
        tasks_layout.addLayout(task_buttons)
        return tasks_box

    # -- modes ------------------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.template_row.setEnabled(mode == TEMPLATE)
        self.catalogue_row.setEnabled(mode == CATALOGUE)
        editable = mode == MANUAL
        self.add_task.setEnabled(editable)
        self.remove_task.setEnabled(editable)
        self.grade.setEnabled(mode != CATALOGUE)
        self._set_structure_editable(editable)
        notes = {
            TEMPLATE: "Задания, максимальные баллы, части и необязательные столбцы читаются из заголовка формы. "
                      "Файл формы сохраняется вместе с работой, чтобы позже заполнить его результатами.",
            CATALOGUE: "Структура взята из каталога программы. Сверьте её с критериями оценивания этого года.",
            MANUAL: "Номера заданий — как в критериях: 1, 9.1, 8(1), 4К1. Вторая часть работы — «Часть» = 2.",
        }
        self.source_note.setText(notes[mode])
        if mode == CATALOGUE:
            self._apply_catalogue()
        elif mode == TEMPLATE:
            self._set_tasks(self.template_def.tasks if self.template_def else [])
        elif mode == MANUAL and self.tasks.rowCount() == 0:
            self._set_tasks([TaskDef("1", 1, 1)])

    def _apply_catalogue(self) -> None:
        if getattr(self, "mode", None) != CATALOGUE:
            return
        entry = next(e for e in load_catalogue() if e.id == self.catalogue.currentData())
        self.subject.setCurrentText(entry.subject)
        self.grade.setValue(entry.grade)
        self._set_tasks(list(entry.tasks))
        self._set_scale(list(entry.scale) if entry.scale else None)
        self.source_note.setText(f"Источник: {entry.source}.")

    def choose_template(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Форма сбора результатов ФИС ОКО", str(Path.home()),
                                              "Книга Excel (*.xlsx);;Все файлы (*)")
        if name:
            self.load_template(Path(name))

    def load_template(self, path: Path) -> None:
        self.template_path.setText(str(path))
        self.error.clear()
        self.source_note.setText("Чтение шаблона…")
        work_date = self.date.date().toPython()

        def job(ctx: TaskContext) -> WorkDef:
            return work_from_template(path, subject=self.subject.currentText() or "—", work_date=work_date)

        def done(defn: WorkDef) -> None:
            self.template_def = defn
            self.grade.setValue(defn.grade)
            self._set_tasks(defn.tasks)
            extras = []
            extras.append("две части" if defn.parts == 2 else "одна часть")
            extras.append("есть столбец «Пол»" if defn.has_gender else "без столбца «Пол»")
            if defn.has_classes_sheet:
                extras.append("есть лист «Классы»")
            if defn.allows_not_passed:
                extras.append("допускается «не пройд.»")
            notice = unknown_columns_notice(defn.template_info)
            self.source_note.setText(f"Шаблон прочитан: заданий {len(defn.tasks)}, максимум {defn.max_total} б.; "
                                     + ", ".join(extras) + "." + (f"\n{notice}" if notice else ""))

        def failed(err: BaseException) -> None:
            self.template_def = None
            self._set_tasks([])
            self.source_note.setText("")
            self.error.setText(str(err))

        ChangeOp(self.ctx, self, job).success(done).failure(failed) \
            .run_in_background("Чтение шаблона ФИС ОКО", cancellable=False)

    # -- helpers --------------------------------------------------------------------------------
    def _fill_classes(self, checked: set[str] | None = None) -> None:
        if checked is None:
            checked = set(self.selected_classes())
        self.classes.clear()
        for info in list_classes(self.ctx.store, grade=self.grade.value()):
            item = QListWidgetItem(info.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if info.name in checked else Qt.CheckState.Unchecked)
            self.classes.addItem(item)
        if self.classes.count() == 0:
            item = QListWidgetItem(f"В {self.grade.value()}-й параллели нет классов — сначала импортируйте списки.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.classes.addItem(item)

    def selected_classes(self) -> list[str]:
        return [self.classes.item(i).text() for i in range(self.classes.count())
                if self.classes.item(i).flags() & Qt.ItemFlag.ItemIsUserCheckable
                and self.classes.item(i).checkState() == Qt.CheckState.Checked]

    def _set_structure_editable(self, editable: bool) -> None:
        """Number, maximum and part are typed only for a work made by hand and not yet saved; the
        analysis columns always."""
        self.structure_editable = editable
        for row in range(self.tasks.rowCount()):
            self._lock_structure(row)

    def _lock_structure(self, row: int) -> None:
        for col in (ID_COL, MAX_COL, PART_COL):
            item = self.tasks.item(row, col)
            if item is not None:
                flags = item.flags() | Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags if getattr(self, "structure_editable", True) else flags & ~Qt.ItemFlag.ItemIsEditable)

    @staticmethod
    def _combo(choices: list[tuple[str, object]], value: object) -> QComboBox:
        combo = QComboBox()
        for text, data in choices:
            combo.addItem(text, data)
        combo.setCurrentIndex(next((i for i, (_, data) in enumerate(choices) if data == value), 0))
        return combo

    def _add_task_row(self, task: TaskDef) -> None:
        row = self.tasks.rowCount()
        self.tasks.insertRow(row)
        for col, value in enumerate((task.task_id, task.max_score, task.part)):
            self.tasks.setItem(row, col, QTableWidgetItem(str(value)))
        self._lock_structure(row)
        self.tasks.setCellWidget(row, LEVEL_COL, self._combo(_LEVEL_CHOICES, task.level))
        self.tasks.setCellWidget(row, OPEN_COL, self._combo(_OPEN_CHOICES, task.open_answer))
        requirement = QTableWidgetItem(task.requirement)
        requirement.setToolTip(task.requirement)
        self.tasks.setItem(row, REQUIREMENT_COL, requirement)
        self._update_total()

    def _remove_task_rows(self) -> None:
        for row in sorted({i.row() for i in self.tasks.selectedIndexes()}, reverse=True):
            self.tasks.removeRow(row)
        self._update_total()

    def _set_tasks(self, tasks: list[TaskDef]) -> None:
        self.tasks.blockSignals(True)
        self.tasks.setRowCount(0)
        for task in tasks:
            self._add_task_row(task)
        self.tasks.blockSignals(False)
        self._update_total()

    def _set_scale(self, scale: list[int] | None) -> None:
        self.scale_known.setChecked(bool(scale))
        for box, value in zip(self.scale, scale or [0, 0, 0]):
            if value:
                box.setValue(value)

    def _analysis_fields(self, row: int) -> tuple[str | None, bool | None, str]:
        """The level, «развёрнутый ответ» and requirement of the table's row."""
        level, open_answer = (self.tasks.cellWidget(row, col) for col in (LEVEL_COL, OPEN_COL))
        item = self.tasks.item(row, REQUIREMENT_COL)
        return (level.currentData() if level else None, open_answer.currentData() if open_answer else None,
                item.text().strip() if item else "")

    def _read_tasks(self) -> list[TaskDef]:
        tasks, problems = [], []
        for row in range(self.tasks.rowCount()):
            cells = [(self.tasks.item(row, c).text().strip() if self.tasks.item(row, c) else "") for c in range(3)]
            try:
                tasks.append(TaskDef(cells[0], int(cells[1]), int(cells[2] or 1), *self._analysis_fields(row)))
            except ValueError:
                problems.append(f"строка {row + 1}: максимальный балл и часть — целые числа")
        if problems:
            raise UserError("Задания записаны неверно.", details=problems)
        return tasks

    def _update_total(self) -> None:
        try:
            total = sum(t.max_score for t in self._read_tasks())
            self.total.setText(f"Заданий: {self.tasks.rowCount()}, максимум: {total} б.")
        except UserError:
            self.total.setText("Проверьте баллы в таблице заданий.")

    def _load_work(self, work: Work) -> None:
        self.source_box.setVisible(False)
        self.mode = "edit"
        self.subject.setCurrentText(work.subject)
        self.grade.setValue(work.grade)
        self.grade.setEnabled(False)
        self.date.setDate(QDate(work.work_date.year, work.work_date.month, work.work_date.day))
        self._fill_classes({name for _, name in work.classes})
        self._set_scale(work.scale)
        self.pages.setValue(work.pages_per_work or 0)
        self._set_structure_editable(False)
        self._set_tasks(work.tasks)
        self.add_task.setVisible(False)
        self.remove_task.setVisible(False)

    def definition(self) -> WorkDef:
        scale = [b.value() for b in self.scale] if self.scale_known.isChecked() else None
        work_date: dt.date = self.date.date().toPython()
        if self.mode == TEMPLATE:
            if self.template_def is None:
                raise UserError("Выберите файл формы сбора результатов ФИС ОКО.")
            defn = self.template_def
            for row, task in enumerate(defn.tasks):
                task.level, task.open_answer, task.requirement = self._analysis_fields(row)
            defn.subject, defn.work_date, defn.scale = self.subject.currentText(), work_date, scale
            defn.grade, defn.classes = self.grade.value(), self.selected_classes()
            defn.pages_per_work = self.pages.value() or None
            return defn
        tasks = self._read_tasks()
        return WorkDef(subject=self.subject.currentText(), grade=self.grade.value(), work_date=work_date,
                       tasks=tasks, parts=max((t.part for t in tasks), default=1), scale=scale,
                       classes=self.selected_classes(), source=self.mode, pages_per_work=self.pages.value() or None)

    def accept(self) -> None:
        """Save the work (its changes published by the op); an error stays in the dialog."""
        ChangeOp(self.ctx, self, self._update if self.work is not None else self._create) \
            .failure(lambda err: self.error.setText(str(err))) \
            .success(self._saved) \
            .run()

    def _update(self, store: Store) -> Changes:
        assert self.work is not None
        scale = [b.value() for b in self.scale] if self.scale_known.isChecked() else None
        infos = task_infos(self._read_tasks())
        with store.atomic():                    # the work and its tasks' descriptions together
            changes = update_work(store, self.work.id, subject=self.subject.currentText(),
                                  work_date=self.date.date().toPython(), scale=scale, classes=self.selected_classes(),
                                  pages_per_work=self.pages.value() or None)
            return changes | set_tasks(store, self.work.id, infos)

    # -- the task-description file ------------------------------------------------------------------
    def choose_task_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Описание заданий", str(Path.home()),
                                              "Таблицы (*.xlsx *.csv);;Все файлы (*)")
        if name:
            self.load_task_file(Path(name))

    def load_task_file(self, path: Path) -> None:
        """Read the file off the GUI thread; its levels and requirements fill the table (all or
        nothing: a problem in any row leaves the table as it was and says which rows)."""
        self.error.clear()

        def job(ctx: TaskContext) -> tuple[list[TaskInfo], list[str]]:
            return read_task_file(path)

        ChangeOp(self.ctx, self, job).success(self._apply_task_file) \
            .failure(lambda err: self.error.setText(str(err))) \
            .run_in_background("Чтение описания заданий", cancellable=False)

    def _apply_task_file(self, read: tuple[list[TaskInfo], list[str]]) -> None:
        infos, where = read
        try:
            tasks = self._read_tasks()
            merged = merge_infos(tasks, infos, where)
        except UserError as err:
            self.error.setText(str(err))
            return
        self._set_tasks([merged.get(t.task_id, t) for t in tasks])
        self.source_note.setText(f"Описание заданий прочитано ({counted(len(infos), 'строка', 'строки', 'строк')}): "
                                 "проверьте таблицу и сохраните работу.")

    def _create(self, store: Store) -> tuple[int, Changes]:
        defn = self.definition()
        validate_work(defn)
        return create_work(store, defn)

    def _saved(self, result: Changes | tuple[int, Changes]) -> None:
        if isinstance(result, tuple):
            self.created_id, self.changes = result
        else:
            self.changes = result
        super().accept()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        if self.classes.count() == 0:
            self._fill_classes()
        super().showEvent(event)
