"""«Коды и протокол»: per work — give codes, mark absentees, set variants, print the documents."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import settings
from coordinator_app.changes import Topic
from coordinator_app.codes import (
    CodeImport,
    Participant,
    apply_code_import,
    assign_codes,
    distribute_variants,
    list_participants,
    preview_code_import,
    set_absent,
)
from coordinator_app.errors import UserError
from coordinator_app.fsutil import safe_file_name
from coordinator_app.school_years import work_is_closed
from coordinator_app.works import Work, get_work, works_for_view

from .. import context, style
from ..context import AppContext
from ..loader import PageLoader
from ..messages import inform, show_error
from ..ops import ChangeOp
from ..table_model import Column, RecordTableModel, SearchProxy
from ..tasks import TaskContext
from ..widgets import fit_columns, page_title, search_field, table_view


def _read_work(store, work_id: int | None) -> tuple[Work | None, list[Participant], bool]:
    """The work, its participants and whether its school year is closed (its codes only looked at)."""
    if work_id is None:
        return None, [], False
    work = get_work(store, work_id)
    return work, list_participants(store, work_id), work_is_closed(store, work.work_date)


def _read_page(store, keep: int | None, year: str | None = None) -> dict:
    """The works, the label layout and one work's participants: `keep` if it is still there, else
    the first work (as the work box falls back to its first item)."""
    works = works_for_view(store, year)
    ids = [w.id for w in works]
    work_id = keep if keep in ids else (ids[0] if ids else None)
    work, participants, closed = _read_work(store, work_id)
    return {"works": works, "work": work, "participants": participants, "closed": closed,
            "layout": settings.get(store, "label_layout")}


class CodesPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        self._wanted: int | None = None       # a work asked for while the list was loading

        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(380)
        self.work_box.currentIndexChanged.connect(lambda _: self._work_changed())
        self.class_filter = QComboBox()
        self.class_filter.currentIndexChanged.connect(lambda _: self._apply_filter())
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 1)
        top.addWidget(QLabel("Класс:"))
        top.addWidget(self.class_filter)

        actions = self._actions_row()
        print_box = self._print_box()
        self._build_table()
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Коды и протокол",
                                    "Коды: пять цифр, первая — параллель. «Выдать коды» даёт каждому классу свой "
                                    "диапазон; коды из ФИС ОКО или бумажного протокола загружает «Импорт кодов…». "
                                    "Код, под которым есть баллы или сканы, не меняется."))
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(print_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.subscription = ctx.bus.subscribe(self, (Topic.WORKS, Topic.PARTICIPANTS, Topic.STUDENTS, Topic.CLASSES, Topic.SETTINGS),
                                              lambda _changes: self.reload())
        self.loader = PageLoader(self, overlay=self.table.viewport(), guard=[
            self.assign_button, self.variants_button, self.protocol_button, self.slips_button, self.labels_button])
        self.reload()

    @staticmethod
    def _bg(p: Participant) -> QColor | None:
        return style.color(style.ABSENT_BACKGROUND) if p.absent else None

    @staticmethod
    def _fg(p: Participant) -> QColor | None:
        return style.color(style.ABSENT_TEXT) if p.absent else None

    # -- building -----------------------------------------------------------------------------------
    def _actions_row(self) -> QHBoxLayout:
        """Give codes, import codes, distribute the variants; the search field."""
        self.assign_button = QPushButton("Выдать коды")
        self.assign_button.setToolTip("Выдать коды ученикам классов этой работы и составить её протокол")
        self.assign_button.clicked.connect(self.assign)
        self.variants_button = QPushButton("Распределить варианты 1/2")
        self.variants_button.setToolTip("Чередовать варианты 1 и 2 внутри каждого класса (уже указанные не меняются)")
        self.variants_button.clicked.connect(self.variants)
        self.import_codes_button = QPushButton("Импорт кодов…")
        self.import_codes_button.setToolTip("Коды уже выданы по списку ФИС ОКО или бумажному протоколу: загрузить их "
                                            "из протокола (.docx) или списка (.xlsx, .csv) в протокол этой работы")
        self.import_codes_button.clicked.connect(lambda: self.import_codes())
        actions = QHBoxLayout()
        actions.addWidget(self.assign_button)
        actions.addWidget(self.import_codes_button)
        actions.addWidget(self.variants_button)
        actions.addStretch(1)
        self.search = search_field(self, "Поиск по коду или ФИО (Ctrl+F)")
        actions.addWidget(self.search)
        return actions

    def _print_box(self) -> QGroupBox:
        """The documents to print: the protocol, the slips, the labels (their layout, copies, skip)."""
        print_box = QGroupBox("Печать (PDF откроется после создания)")
        print_layout = QHBoxLayout(print_box)
        self.protocol_button = QPushButton("Протокол «код — ФИО»")
        self.protocol_button.clicked.connect(lambda: self.print_document("protocol"))
        self.slips_button = QPushButton("Листки с кодами")
        self.slips_button.clicked.connect(lambda: self.print_document("slips"))
        self.labels_button = QPushButton("Наклейки с QR-кодом")
        self.labels_button.clicked.connect(lambda: self.print_document("labels"))
        self.labels_button.setToolTip("Печатайте наклейки в масштабе 100 % (не «по размеру страницы»), "
                                      "иначе они сместятся относительно листа")
        self.layout_box = QComboBox()
        from coordinator_app.formats.pdf.labels import LAYOUTS  # start-up: it loads reportlab

        for name, layout in LAYOUTS.items():
            self.layout_box.addItem(layout.title, name)
        self.copies = QSpinBox()
        self.copies.setRange(1, 10)
        self.copies.setPrefix("по ")
        self.copies.setSuffix(" на участника")
        self.skip = QSpinBox()
        self.skip.setRange(0, 100)
        self.skip.setPrefix("пропустить ")
        self.skip.setToolTip("Сколько мест на первом листе уже использовано")
        for w in (self.protocol_button, self.slips_button, self.labels_button, self.layout_box, self.copies, self.skip):
            print_layout.addWidget(w)
        print_layout.addStretch(1)
        return print_box

    def _build_table(self) -> None:
        """The participants (absentees greyed, the absence ticked in place), searchable; the status line."""
        columns: list[Column[Participant]] = [
            Column("Код", lambda p: p.code, background=self._bg, foreground=self._fg),
            Column("Класс", lambda p: p.class_name, background=self._bg, foreground=self._fg),
            Column("ФИО", lambda p: p.who, background=self._bg, foreground=self._fg),
            Column("Вариант", lambda p: " / ".join(v or "—" for v in p.variants.values()), Qt.AlignmentFlag.AlignCenter,
                   background=self._bg, foreground=self._fg),
            Column("Отсутствовал", lambda p: "", check=lambda p: p.absent, on_check=self._toggle_absent,
                   background=self._bg, foreground=self._fg),
        ]
        self.model: RecordTableModel[Participant] = RecordTableModel(columns, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self.proxy.set_search)
        self.table = table_view(self)
        self.table.setModel(self.proxy)
        self.status = QLabel()
        self.status.setWordWrap(True)

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the works, the label layout and the chosen work's participants off the GUI thread."""
        self.subscription.forget()
        keep = self.work_box.currentData() if self.work_box.count() else None
        year = self.ctx.year
        self.loader.load(lambda store: _read_page(store, keep, year), self._apply_page)

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def _apply_page(self, data: dict) -> None:
        wanted, self._wanted = self._wanted, None
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in data["works"]:
            self.work_box.addItem(f"№ {w.id}. {w.title}", w.id)
        if data["work"] is not None:
            self.work_box.setCurrentIndex(self.work_box.findData(data["work"].id))
        self.work_box.blockSignals(False)
        index = self.layout_box.findData(data["layout"])
        if index >= 0:
            self.layout_box.setCurrentIndex(index)
        self._show_work(data["work"], data["participants"], data["closed"])
        if wanted is not None and (data["work"] is None or wanted != data["work"].id):
            self.select_work(wanted)

    def select_work(self, work_id: int) -> None:
        """Show `work_id`; asked while the work list is still loading, it is shown once loaded."""
        if self.loader.is_loading():
            self._wanted = work_id      # chosen when the load in progress is applied, not superseding it
            return
        index = self.work_box.findData(work_id)
        if index >= 0:
            self.work_box.setCurrentIndex(index)

    def _work_changed(self) -> None:
        work_id = self.work_box.currentData()
        self.loader.load(lambda store: _read_work(store, work_id), self._apply_work)

    def _apply_work(self, data: tuple[Work | None, list[Participant], bool]) -> None:
        wanted, self._wanted = self._wanted, None
        self._show_work(*data)
        if wanted is not None and (data[0] is None or wanted != data[0].id):
            self.select_work(wanted)

    def _show_work(self, work: Work | None, participants: list[Participant], closed: bool = False) -> None:
        self.work = work
        self.model.read_only = closed
        self.model.set_records(participants)
        fit_columns(self.table)
        keep = self.class_filter.currentText()
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem("Все")
        for name in sorted({p.class_name for p in participants}):
            self.class_filter.addItem(name)
        if self.class_filter.findText(keep) >= 0:
            self.class_filter.setCurrentText(keep)
        self.class_filter.blockSignals(False)
        self._apply_filter()
        has_work = self.work is not None
        has_list = bool(participants)
        self.assign_button.setEnabled(has_work and not closed)
        self.import_codes_button.setEnabled(has_work and not closed)
        self.variants_button.setEnabled(has_list and not closed)
        for w in (self.protocol_button, self.slips_button, self.labels_button):
            w.setEnabled(has_list)
        if not has_work:
            self.status.setText("Работ пока нет. Создайте работу на странице «Работы».")
        elif not self.work.classes:
            self.status.setText("У работы не выбраны классы: укажите их на странице «Работы» (кнопка «Изменить…»).")
        elif not has_list:
            self.status.setText("Протокол ещё не составлен: нажмите «Выдать коды».")
        elif closed:
            self.status.setText(f"Участников: {len(participants)}. Учебный год этой работы закрыт: коды и протокол "
                                "только для просмотра и печати.")
        else:
            absent = sum(p.absent for p in participants)
            self.status.setText(f"Участников: {len(participants)}, отсутствовали: {absent}. "
                                "Отметку «отсутствовал» можно поставить флажком в таблице.")

    def _apply_filter(self) -> None:
        name = self.class_filter.currentText()
        self.proxy.extra_filter = None if name in ("", "Все") else (lambda p, n=name: p.class_name == n)
        self.proxy.refilter()

    # -- actions ----------------------------------------------------------------------------------
    def _toggle_absent(self, p: Participant, absent: bool) -> None:
        def marked(_changes) -> None:
            p.absent = absent

        ChangeOp(self.ctx, self, lambda store: set_absent(store, p.work_id, p.code, absent)).success(marked).run()

    def assign(self) -> None:
        if self.work is None:
            return
        work_id = self.work.id
        ChangeOp(self.ctx, self, lambda store: assign_codes(store, work_id)) \
            .success(lambda result: inform(self, result.summary(), "Коды выданы")) \
            .run()

    def import_codes(self, path: Path | None = None) -> None:
        """Codes that already exist into this work's protocol: read and matched in the background,
        shown for confirmation, then written all or nothing."""
        if self.work is None:
            return
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self, "Протокол или список кодов", str(Path.home()),
                "Протокол или список кодов (*.docx *.xlsx *.csv);;Все файлы (*)")
            if not name:
                return
            path = Path(name)
        work_id = self.work.id

        def unread(err: BaseException) -> None:
            show_error(self, err if isinstance(err, UserError) else f"Файл не прочитан: {err}")

        ChangeOp(self.ctx, self, lambda task: preview_code_import(task.open_store(), path, work_id)) \
            .success(self._apply_code_import).failure(unread) \
            .run_in_background("Чтение кодов", cancellable=False)

    def _apply_code_import(self, plan: CodeImport) -> None:
        """The codes read: their problems shown, or the rows shown for confirmation and written."""
        if not plan.ok:
            show_error(self, UserError(plan.summary(), details=[r.text() for r in plan.problems]),
                       "Коды не импортированы")
            return
        lines = [r.text() for r in plan.rows]
        shown = "\n".join(lines[:15]) + (f"\n… и ещё {len(lines) - 15}" if len(lines) > 15 else "")
        ChangeOp(self.ctx, self, lambda store: apply_code_import(store, plan)) \
            .confirm(f"{plan.summary()}\n\n{shown}\n\nЗаписать эти коды в протокол работы?", "Импорт кодов",
                     yes="Записать коды") \
            .success(lambda _changes: inform(self, f"Коды записаны: {len(plan.rows)}.", "Импорт кодов")) \
            .run()

    def variants(self) -> None:
        if self.work is None:
            return
        work_id = self.work.id
        ChangeOp(self.ctx, self, lambda store: distribute_variants(store, work_id)) \
            .confirm("Распределить варианты 1 и 2 по очереди внутри каждого класса? "
                     "Уже указанные варианты не меняются.") \
            .run()

    def default_name(self, kind: str) -> str:
        assert self.work is not None
        names = {"protocol": "Протокол", "slips": "Коды", "labels": "Наклейки"}
        return f"{names[kind]}_{safe_file_name(self.work.subject)}_{self.work.grade}кл_{self.work.work_date:%Y-%m-%d}.pdf"

    def ask_path(self, kind: str) -> Path | None:
        suggested = str(self.ctx.documents_dir / self.default_name(kind))
        name, _ = QFileDialog.getSaveFileName(self, "Сохранить PDF", suggested, "PDF (*.pdf)")
        if not name:
            return None
        return Path(name if name.lower().endswith(".pdf") else name + ".pdf")

    def print_document(self, kind: str, out: Path | None = None) -> None:
        if self.work is None:
            return
        out = out or self.ask_path(kind)
        if out is None:
            return
        work_id = self.work.id
        classes = None if self.class_filter.currentText() in ("", "Все") else [self.class_filter.currentText()]
        layout, copies, skip = self.layout_box.currentData(), self.copies.value(), self.skip.value()
        titles = {"protocol": "Создание протокола", "slips": "Создание листков с кодами", "labels": "Создание наклеек"}

        def job(task: TaskContext) -> Path:
            from coordinator_app import documents  # start-up: it loads reportlab

            store = task.open_store()
            progress = task.progress_callback("страницы")
            if kind == "protocol":
                return documents.make_protocol(store, work_id, out, classes=classes, progress=progress)
            if kind == "slips":
                return documents.make_slips(store, work_id, out, classes=classes, progress=progress)
            return documents.make_labels(store, work_id, out, layout=layout, copies=copies, skip=skip,
                                         classes=classes, progress=progress)

        def done(path: Path) -> None:
            hint = " Печатайте в масштабе 100 % (без «подгонки по размеру страницы»)." if kind == "labels" else ""
            self.status.setText(f"Сохранено: {path}.{hint}")
            self.last_document = path
            context.open_path(path)

        ChangeOp(self.ctx, self, job).success(done).run_in_background(titles[kind])
