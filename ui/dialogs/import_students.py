"""Import of pupil lists with a preview: every row and its problem shown before anything is saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.errors import UserError
from coordinator_app.formats.pupil_list import ParsedPupilList, PupilRow, parse_pupil_list
from coordinator_app.students import ImportResult, import_pupils

from .. import style
from ..context import AppContext
from ..messages import inform, show_error
from ..ops import ChangeOp
from ..table_model import Column, RecordTableModel, SearchProxy
from ..tasks import TaskContext
from ..widgets import fit_to_screen, table_view

BAD = style.color(style.BAD_ROW)
WARN = style.color(style.WARNING_ROW)
FILE_FILTER = "Списки учеников (*.xlsx *.csv *.xls);;Все файлы (*)"


def _row_color(row: PupilRow) -> QColor | None:
    return BAD if row.problems else (WARN if row.warnings else None)


class ImportStudentsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.parsed: ParsedPupilList | None = None
        self.result: ImportResult | None = None
        self.setWindowTitle("Импорт списка учеников")
        fit_to_screen(self, 900, 600)

        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("Выберите файл .xlsx или .csv (выгрузка из электронного журнала)")
        browse = QPushButton("Выбрать файл…")
        browse.clicked.connect(self.choose_file)
        self.class_edit = QLineEdit()
        self.class_edit.setPlaceholderText("если в файле нет столбца «Класс», например 5А")
        self.class_edit.setMaximumWidth(260)
        reread = QPushButton("Перечитать")
        reread.clicked.connect(self.reparse)

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(browse)
        second = QHBoxLayout()
        second.addWidget(QLabel("Класс для всего файла:"))
        second.addWidget(self.class_edit)
        second.addWidget(reread)
        second.addStretch(1)

        color = lambda r: _row_color(r)  # noqa: E731
        columns: list[Column[PupilRow]] = [
            Column("Строка", lambda r: r.row_number, Qt.AlignmentFlag.AlignRight, background=color,
                   sort_key=lambda r: (r.sheet or "", r.row_number)),
            Column("Лист", lambda r: r.sheet or "", background=color),
            Column("Класс", lambda r: r.class_name or "", background=color),
            Column("Фамилия", lambda r: r.surname, background=color),
            Column("Имя", lambda r: r.name, background=color),
            Column("Отчество", lambda r: r.patronymic, background=color),
            Column("Пол", lambda r: r.gender or "", background=color),
            Column("Замечания", lambda r: "; ".join(r.problems + r.warnings), background=color,
                   tooltip=lambda r: "\n".join(r.problems + r.warnings) or None),
        ]
        self.model: RecordTableModel[PupilRow] = RecordTableModel(columns, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.only_bad = QCheckBox("Показать только строки с замечаниями")
        self.only_bad.toggled.connect(self._filter_changed)
        self.table = table_view(self)
        self.table.setModel(self.proxy)
        self.summary = QLabel("Файл не выбран.")
        self.summary.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Импортировать")
        self.import_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Закрыть")
        self.buttons.accepted.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.summary)
        layout.addWidget(self.only_bad)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        if path is not None:
            self.load(path)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Список учеников", str(Path.home()), FILE_FILTER)
        if name:
            self.load(Path(name))

    def reparse(self) -> None:
        if self.path_edit.text():
            self.load(Path(self.path_edit.text()))

    def load(self, path: Path) -> None:
        self.path_edit.setText(str(path))
        self.import_button.setEnabled(False)
        self.summary.setText("Чтение файла…")
        default_class = self.class_edit.text().strip() or None

        def job(ctx: TaskContext) -> ParsedPupilList:
            return parse_pupil_list(path, default_class=default_class)

        ChangeOp(self.ctx, self, job).success(self._show).failure(self._failed) \
            .run_in_background("Чтение списка учеников", cancellable=False)

    def _failed(self, err: BaseException) -> None:
        self.parsed = None
        self.model.set_records([])
        self.summary.setText(style.error_html(f"{err}" if isinstance(err, UserError)
                                              else f"Не удалось прочитать файл: {err}", bold=False))

    def _show(self, parsed: ParsedPupilList) -> None:
        self.parsed = parsed
        self.model.set_records(parsed.rows)
        self.table.resizeColumnsToContents()
        text = parsed.summary()
        if parsed.encoding or parsed.delimiter:
            text += f" Кодировка: {parsed.encoding or '—'}, разделитель: «{parsed.delimiter or '—'}»."
        for warning in parsed.file_warnings:
            text += "<br>" + style.warning_html(warning)
        if parsed.problem_rows:
            text += "<br>" + style.error_html("Строки с ошибками выделены красным. Исправьте их в файле и "
                                              "нажмите «Перечитать»: файл импортируется только целиком.")
        self.summary.setText(text)
        self.import_button.setEnabled(bool(parsed.rows) and not parsed.problem_rows)

    def _filter_changed(self, only_bad: bool) -> None:
        self.proxy.extra_filter = (lambda r: bool(r.problems or r.warnings)) if only_bad else None
        self.proxy.refilter()

    def do_import(self) -> None:
        parsed = self.parsed
        if parsed is None:
            return
        self.import_button.setEnabled(False)

        def done(result: ImportResult) -> None:
            self.result = result
            inform(self, result.summary(), "Импорт завершён")
            self.accept()

        def failed(err: BaseException) -> None:
            self.import_button.setEnabled(True)
            show_error(self, err)

        ChangeOp(self.ctx, self, lambda task: import_pupils(task.open_store(), parsed)) \
            .success(done).failure(failed) \
            .run_in_background("Сохранение учеников", cancellable=False)
