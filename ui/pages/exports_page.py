"""«Выгрузка»: the ФИС ОКО form, the criteria and textbooks, the USB package for the re-check,
backups and the store check. Every export runs in the background with progress and cancel."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coordinator_app import settings
from coordinator_app.attachments import attach, list_attachments, remove, set_textbook, textbooks
from coordinator_app.backup import (
    BackupPasswordError,
    create_backup,
    is_encrypted,
    restore_backup,
    scheduled_password_state,
    scheduled_secret,
    set_schedule,
    set_scheduled_password,
    verify_store,
)
from coordinator_app.changes import Changes, Topic
from coordinator_app.errors import UserError
from coordinator_app.form_export import export_form
from coordinator_app.formats.recheck_package import verify_packages
from coordinator_app.fsutil import safe_file_name
from coordinator_app.media.drives import removable_drives
from coordinator_app.package import export_package
from coordinator_app.scoring import work_progress
from coordinator_app.works import Work, get_work, works_for_view

from .. import style
from ..context import AppContext
from ..dialogs.backup_password_dialog import CREATE, OPEN, SCHEDULE, BackupPasswordDialog
from ..messages import INTERNAL_ERROR, inform, show_error
from ..ops import ChangeOp
from ..tasks import TaskContext
from ..widgets import page_title


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} ГБ" if n >= 2**30 else f"{n / 2**20:.0f} МБ"


class ExportsPage(QWidget):
    handles_mode = True          # subscribed to Changes.of(Topic.MODE)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        self.extra_target: Path | None = None
        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(380)
        self.work_box.currentIndexChanged.connect(lambda _: self._work_changed())
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 1)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(page_title("Выгрузка", "Всё, что уходит из школы, — только с кодами, без фамилий."))
        layout.addLayout(top)
        for box in (self._form_box(), self._criteria_box(), self._package_box(), self._backup_box()):
            layout.addWidget(box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        # Hidden, the page only notes that the work's readiness may have changed (a score typed on
        # «Проверка» is one): it is worked out again when the page is shown.
        self.subscription = ctx.bus.subscribe(self, (Topic.WORKS, Topic.SCORES, Topic.PARTICIPANTS, Topic.SCANS, Topic.SETTINGS, Topic.MODE),
                                              lambda _changes: self.reload())
        self.reload()
        self.refresh_drives()

    # -- building -----------------------------------------------------------------------------------
    def _form_box(self) -> QGroupBox:
        """The ФИС ОКО form: its readiness, the button, the problems that kept it from being written."""
        box = QGroupBox("Форма сбора результатов для ФИС ОКО")
        layout = QVBoxLayout(box)
        self.form_status = QLabel()
        self.form_status.setWordWrap(True)
        self.form_button = QPushButton("Сохранить заполненную форму…")
        self.form_button.clicked.connect(lambda: self.export_form())
        self.form_problems = QListWidget()
        self.form_problems.setMaximumHeight(140)
        self.form_problems.setVisible(False)
        layout.addWidget(self.form_status)
        layout.addWidget(self.form_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.form_problems)
        return box

    def _criteria_box(self) -> QGroupBox:
        """The criteria attached to the work (for the package) and the textbook of each class."""
        box = QGroupBox("Критерии оценивания (для пакета перепроверки) и учебники (лист «Классы»)")
        layout = QGridLayout(box)
        self.criteria = QListWidget()
        self.criteria.setMaximumHeight(100)
        attach = QPushButton("Прикрепить критерии…")
        attach.clicked.connect(self.attach_criteria)
        detach = QPushButton("Убрать")
        detach.clicked.connect(self.remove_criteria)
        self.textbooks = QFormLayout()
        layout.addWidget(self.criteria, 0, 0, 1, 2)
        layout.addWidget(attach, 1, 0)
        layout.addWidget(detach, 1, 1)
        textbook_holder = QWidget()
        textbook_holder.setLayout(self.textbooks)
        layout.addWidget(textbook_holder, 0, 2, 2, 1)
        layout.setColumnStretch(2, 1)
        return box

    def _package_box(self) -> QGroupBox:
        """The package for the re-check: which works, where to, write and verify."""
        box = QGroupBox("Пакет для муниципальной перепроверки (сканы по кодам, критерии, протокол Excel, письмо)")
        layout = QFormLayout(box)
        layout.addRow("Какие работы:", self._sample_row())
        self.extra_codes = QLineEdit()
        self.extra_codes.setPlaceholderText("например: 40012, 40015")
        layout.addRow("Добавить коды:", self.extra_codes)
        layout.addRow("Куда записать:", self._target_row())
        buttons = QHBoxLayout()
        self.package_button = QPushButton("Записать пакет")
        self.package_button.clicked.connect(lambda: self.export_package())
        verify = QPushButton("Проверить пакет…")
        verify.clicked.connect(lambda: self.verify_package())
        buttons.addWidget(self.package_button)
        buttons.addWidget(verify)
        buttons.addStretch(1)
        layout.addRow(buttons)
        self.package_status = QLabel()
        self.package_status.setWordWrap(True)
        layout.addRow(self.package_status)
        return box

    def _sample_row(self) -> QHBoxLayout:
        """Every work or a sample (its percentage and seed)."""
        self.everyone = QRadioButton("все работы")
        self.sample = QRadioButton("выборка, %:")
        self.sample.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.everyone)
        group.addButton(self.sample)
        self.pct = QDoubleSpinBox()
        self.pct.setRange(0.1, 100.0)
        self.pct.setValue(1.0)
        self.pct.setSuffix(" %")
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("случайное (будет записано)")
        # wide enough for the whole placeholder, whatever the font
        self.seed.setMinimumWidth(self.seed.fontMetrics().horizontalAdvance(self.seed.placeholderText()) + 24)
        row = QHBoxLayout()
        for w in (self.everyone, self.sample, self.pct, QLabel("зерно:"), self.seed):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def _target_row(self) -> QHBoxLayout:
        """The removable drives found (or a folder chosen) to write the package to."""
        self.target = QComboBox()
        self.target.setMinimumWidth(360)
        refresh = QPushButton("Обновить список")
        refresh.clicked.connect(self.refresh_drives)
        other = QPushButton("Другая папка…")
        other.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(refresh)
        row.addWidget(other)
        return row

    def _backup_box(self) -> QGroupBox:
        """Backups now, the store check, restore, and the schedule of backups with its password."""
        box = QGroupBox("Резервные копии и проверка хранилища")
        self.backup_box = box
        layout = QFormLayout(box)
        row = QHBoxLayout()
        for text, action in (("Создать копию сейчас…", lambda: self.backup_now()),
                             ("Проверить хранилище", lambda: self.verify_store()),
                             ("Восстановить из копии…", lambda: self.restore())):
            button = QPushButton(text)
            button.clicked.connect(action)
            row.addWidget(button)
        row.addStretch(1)
        layout.addRow(row)
        self._schedule_rows(layout)
        self.backup_status = QLabel()
        self.backup_status.setWordWrap(True)
        layout.addRow(self.backup_status)
        return box

    def _schedule_rows(self, layout: QFormLayout) -> None:
        """The scheduled backups: their folder, how often, how many kept, their password."""
        self.backup_dir = QLineEdit()
        self.backup_dir.setPlaceholderText("папка для копий по расписанию (например, на флешке)")
        pick_dir = QPushButton("Выбрать…")
        pick_dir.clicked.connect(self.choose_backup_dir)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.backup_dir, 1)
        folder_row.addWidget(pick_dir)
        layout.addRow("Папка для копий:", folder_row)
        self.every = QSpinBox()
        self.every.setRange(0, 365)
        self.every.setSuffix(" дн. (0 — выключено)")
        self.keep = QSpinBox()
        self.keep.setRange(0, 1000)
        self.keep.setSuffix(" копий (0 — все)")
        save_schedule = QPushButton("Сохранить расписание")
        save_schedule.clicked.connect(self.save_schedule)
        schedule = QHBoxLayout()
        for w in (QLabel("каждые"), self.every, QLabel("хранить"), self.keep, save_schedule):
            schedule.addWidget(w)
        schedule.addStretch(1)
        layout.addRow("Расписание:", schedule)
        self.schedule_password_state = QLabel()
        self.schedule_password_state.setWordWrap(True)
        self.schedule_password_button = QPushButton("Пароль для копий…")
        self.schedule_password_button.clicked.connect(lambda: self.set_schedule_password())
        password_row = QHBoxLayout()
        password_row.addWidget(self.schedule_password_state, 1)
        password_row.addWidget(self.schedule_password_button)
        layout.addRow("Пароль копий:", password_row)

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.subscription.forget()
        keep = self.work.id if self.work else None
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in works_for_view(self.ctx.store, self.ctx.year):
            self.work_box.addItem(f"№ {w.id}. {w.title}", w.id)
        if keep is not None and self.work_box.findData(keep) >= 0:
            self.work_box.setCurrentIndex(self.work_box.findData(keep))
        self.work_box.blockSignals(False)
        store = self.ctx.store
        self.backup_dir.setText(settings.get(store, "backup_dir") or "")
        self.every.setValue(int(settings.get(store, "backup_every_days") or 0))
        self.keep.setValue(int(settings.get(store, "backup_keep") or 0))
        self._show_schedule_password()
        last = settings.get(store, "last_backup_at")
        self.backup_status.setText(f"Последняя копия: {last}." if last else "Резервных копий ещё не было.")
        # A backup holds the protocol with names: not for expert mode.
        self.backup_box.setEnabled(not self.ctx.expert_mode)
        if self.ctx.expert_mode:
            self.backup_status.setText("В режиме эксперта резервные копии недоступны: в них есть протокол с фамилиями.")
        self._work_changed()

    def _work_changed(self) -> None:
        work_id = self.work_box.currentData()
        self.work = get_work(self.ctx.store, work_id) if work_id is not None else None
        enabled = self.work is not None
        for w in (self.form_button, self.package_button):
            w.setEnabled(enabled)
        self.criteria.clear()
        while self.textbooks.rowCount():
            self.textbooks.removeRow(0)
        if self.work is None:
            self.form_status.setText("Работ пока нет.")
            return
        progress = work_progress(self.ctx.store, self.work.id)
        source = "шаблон ФИС ОКО, сохранённый с работой" if self.work.template_file else \
            "шаблона нет — форма будет создана по структуре работы"
        self.form_status.setText((style.ok_html("Работа готова к выгрузке.") + " " if progress.ready else
                                  style.error_html(f"Не заполнено у участников: {len(progress.missing)}")
                                  + " (см. «Проверка» → «Ход проверки»). ") + f"Источник: {source}.")
        for a in list_attachments(self.ctx.store, self.work.id):
            item = QListWidgetItem(f"{'вариант ' + a.variant + ': ' if a.variant else ''}{a.original_name}")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            self.criteria.addItem(item)
        books = (self.work.template_info or {}).get("textbooks") or []
        chosen = textbooks(self.ctx.store, self.work.id)
        if self.work.has_classes_sheet and books:
            for class_id, name in self.work.classes:
                box = QComboBox()
                box.addItem("— не выбран —", None)
                for book in books:
                    box.addItem(book[:90], book)
                box.setCurrentIndex(max(0, box.findData(chosen.get(class_id))))
                box.currentIndexChanged.connect(lambda _, n=name, b=box: self._set_textbook(n, b.currentData()))
                self.textbooks.addRow(f"{name}:", box)
        else:
            self.textbooks.addRow(QLabel("Листа «Классы» в форме этой работы нет."))

    def _set_textbook(self, class_name: str, book: str | None) -> None:
        if self.work is None or not book:
            return
        work_id = self.work.id
        # the box shows the choice already: the other pages are told, this one is not reloaded
        ChangeOp(self.ctx, self, lambda store: set_textbook(store, work_id, class_name, book)).shown().run()

    # -- actions ----------------------------------------------------------------------------------
    def export_form(self, out: Path | None = None) -> None:
        if self.work is None:
            return
        work = self.work
        if out is None:
            suggested = self.ctx.documents_dir / f"Форма_ФИС_ОКО_{safe_file_name(work.subject)}_{work.grade}кл_{work.work_date:%Y-%m-%d}.xlsx"
            name, _ = QFileDialog.getSaveFileName(self, "Сохранить форму", str(suggested), "Книга Excel (*.xlsx)")
            if not name:
                return
            out = Path(name if name.lower().endswith(".xlsx") else name + ".xlsx")
        self.form_problems.clear()
        self.form_problems.setVisible(False)

        def job(task: TaskContext):
            return export_form(task.open_store(), work.id, out, progress=task.progress_callback("строки"))

        def done(result) -> None:
            self.last_form = result.path
            self.form_status.setText(f"Форма сохранена: {result.path} (строк: {result.rows}). Загрузите её в ФИС ОКО.")

        ChangeOp(self.ctx, self, job).success(done).failure(self._form_refused) \
            .run_in_background("Заполнение формы ФИС ОКО")

    def _form_refused(self, err: BaseException) -> None:
        """The values ФИС ОКО would reject are listed on the page; any other error in a box."""
        if isinstance(err, UserError) and err.details:
            self.form_problems.addItems(err.details)
            self.form_problems.setVisible(True)
            self.form_status.setText(style.error_html(err.message) + " ФИС ОКО отклонит такую форму; "
                                     "исправьте значения на странице «Проверка».")
        else:
            show_error(self, err)

    def attach_criteria(self) -> None:
        if self.work is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Критерии оценивания", str(Path.home()),
                                              "Документы и сканы (*.pdf *.jpg *.jpeg *.png *.tif *.tiff *.docx);;Все файлы (*)")
        if not name:
            return
        variant, ok = QInputDialog.getText(self, "Вариант", "Для какого варианта эти критерии (пусто — для всех)?")
        if not ok:
            return
        work_id = self.work.id
        ChangeOp(self.ctx, self, lambda store: attach(store, work_id, Path(name), variant=variant)).run()

    def remove_criteria(self) -> None:
        item = self.criteria.currentItem()
        if item is None:
            return
        attachment_id = int(item.data(Qt.ItemDataRole.UserRole))
        ChangeOp(self.ctx, self, lambda store: remove(store, attachment_id)) \
            .confirm(f"Убрать «{item.text()}» из работы?", yes="Убрать", destructive=True) \
            .run()

    def refresh_drives(self) -> None:
        current = self.target.currentData()
        self.target.clear()
        for drive in removable_drives():
            self.target.addItem(f"{drive.label} ({drive.path}) — свободно {_size(drive.free_bytes)}", str(drive.path))
        if self.extra_target is not None:
            self.target.addItem(f"Папка {self.extra_target}", str(self.extra_target))
        if self.target.count() == 0:
            self.target.addItem("Съёмные носители не найдены — выберите папку", None)
        index = self.target.findData(current)
        self.target.setCurrentIndex(max(0, index))

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Папка для пакета", str(Path.home()))
        if name:
            self.extra_target = Path(name)
            self.refresh_drives()
            self.target.setCurrentIndex(self.target.findData(name))

    def export_package(self, out_dir: Path | None = None) -> None:
        if self.work is None:
            return
        target = out_dir or (Path(self.target.currentData()) if self.target.currentData() else None)
        if target is None:
            show_error(self, "Выберите, куда записать пакет: съёмный носитель или папку.")
            return
        seed_text = self.seed.text().strip()
        if seed_text and not seed_text.isdigit():
            show_error(self, "Зерно выборки — целое число (или оставьте поле пустым).")
            return
        codes = [c for c in re.split(r"[,;\s]+", self.extra_codes.text()) if c]
        work, everyone, pct, seed = self.work, self.everyone.isChecked(), self.pct.value(), int(seed_text) if seed_text else None

        def job(task: TaskContext):
            result = export_package(task.open_store(), work.id, target, sample_pct=None if everyone else pct,
                                    seed=seed, codes=codes, everyone=everyone,
                                    progress=lambda d, t, label="": task.progress(d, t, label),
                                    cancelled=lambda: task.cancelled)
            return result, Changes.of(Topic.EXPORTS)

        def done(outcome) -> None:
            result = self.last_package = outcome[0]
            self.package_status.setText(
                f"Пакет записан и проверен: {result.folder} — файлов {result.files}, работ {len(result.codes)}, "
                f"зерно выборки {result.seed}. Коды: {', '.join(result.codes)}.")

        ChangeOp(self.ctx, self, job).success(done).run_in_background("Запись пакета для перепроверки")

    def verify_package(self, folder: Path | None = None) -> None:
        if folder is None:
            name = QFileDialog.getExistingDirectory(self, "Папка пакета", str(Path.home()))
            if not name:
                return
            folder = Path(name)

        def job(task: TaskContext):
            return verify_packages(folder)      # a package folder, or a stick's root: every package on it

        def done(results) -> None:
            self.last_verify = results[0][1] if len(results) == 1 else results
            lines = []
            for path, report in results:
                name = escape(path.name or str(path))
                if report.ok:
                    lines.append(f"Пакет «{name}» в порядке: проверено файлов {report.files_checked}.")
                else:
                    lines.append(style.error_html(f"Пакет «{name}» повреждён:") + "<br>"
                                 + "<br>".join(escape(p) for p in report.problems[:20]))
            self.package_status.setText("<br>".join(lines))

        ChangeOp(self.ctx, self, job).success(done).run_in_background("Проверка пакета")

    def backup_now(self, folder: Path | None = None, password: str | None = None, plain: bool = False) -> None:
        """A backup into `folder` (asked if None), encrypted with `password` (asked, with its repeat or
        the explicit choice of none, if neither is given)."""
        if folder is None:
            name = QFileDialog.getExistingDirectory(self, "Папка для резервной копии",
                                                    self.backup_dir.text() or str(Path.home()))
            if not name:
                return
            folder = Path(name)
        use_saved = False
        if password is None and not plain:
            dialog = BackupPasswordDialog(CREATE, self, saved=scheduled_password_state(self.ctx.store) == "set")
            if dialog.exec() != BackupPasswordDialog.DialogCode.Accepted:
                return
            password, plain, use_saved = dialog.password, dialog.plain, dialog.use_saved

        def job(task: TaskContext):
            store = task.open_store()
            secret = scheduled_secret(store) if use_saved else password
            if use_saved and secret is None:
                raise UserError("Пароль для копий по расписанию больше не задан: создайте копию ещё раз и введите пароль.")
            result = create_backup(store, folder, password=secret, plain=plain,
                                   progress=lambda d, t, label="": task.progress(d, t, label),
                                   cancelled=lambda: task.cancelled)
            return result, Changes.of(Topic.SETTINGS)      # the time of the last backup

        def done(outcome) -> None:                      # after the page's reload, so it stays
            result = outcome[0]
            if result.encrypted:
                self.backup_status.setText(f"Резервная копия создана и проверена, зашифрована паролем: {result.path} "
                                           f"(файлов: {result.files}).")
            else:
                self.backup_status.setText(style.error_html("Резервная копия создана и проверена БЕЗ ПАРОЛЯ:")
                                           + f" {escape(str(result.path))} (файлов: {result.files}). "
                                           "Храните её только в надёжном месте: в ней персональные данные учеников.")

        ChangeOp(self.ctx, self, job).success(done).run_in_background("Резервное копирование")

    def _show_schedule_password(self) -> None:
        state = scheduled_password_state(self.ctx.store)
        self.schedule_password_state.setText({
            "set": "задан: копии по расписанию шифруются им (он хранится на этом компьютере, не на флешке).",
            "plain": "копии по расписанию делаются БЕЗ ПАРОЛЯ (ваш выбор): в них персональные данные учеников.",
            "none": "не задан — копии по расписанию не делаются, пока вы не зададите пароль.",
        }[state])
        scheduled = int(settings.get(self.ctx.store, "backup_every_days") or 0) > 0
        self.schedule_password_state.setStyleSheet(style.ERROR_STYLE if scheduled and state != "set" else "")

    def set_schedule_password(self) -> None:
        """The password of the scheduled backups, asked in the dialog; kept by a background task (the
        key is derived from it there)."""
        dialog = BackupPasswordDialog(SCHEDULE, self)
        if dialog.exec() != BackupPasswordDialog.DialogCode.Accepted:
            return
        password, plain = dialog.password, dialog.plain

        # in the background: the key is derived from the password there (Argon2id takes a while)
        ChangeOp(self.ctx, self, lambda task: set_scheduled_password(task.open_store(), password, plain=plain)) \
            .success(lambda _changes: self._show_schedule_password()) \
            .run_in_background("Пароль для копий по расписанию", cancellable=False)

    def verify_store(self) -> None:
        def job(task: TaskContext):
            return verify_store(task.open_store(), progress=lambda d, t, label="": task.progress(d, t, label))

        def done(report) -> None:
            self.last_store_report = report
            if report.ok:
                inform(self, f"Хранилище в порядке: база цела, проверено файлов {report.files_checked}.", "Проверка")
            else:
                show_error(self, UserError(f"Найдены проблемы: {len(report.problems)}.", details=report.problems))

        ChangeOp(self.ctx, self, job).success(done).run_in_background("Проверка хранилища")

    def choose_backup_dir(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Папка для резервных копий по расписанию",
                                                self.backup_dir.text() or str(Path.home()))
        if name:
            self.backup_dir.setText(name)

    def save_schedule(self) -> None:
        folder, every, keep = self.backup_dir.text().strip(), self.every.value(), self.keep.value()
        ChangeOp(self.ctx, self, lambda store: set_schedule(store, folder, every, keep)) \
            .success(lambda _changes: self.backup_status.setText(
                "Расписание сохранено: копия будет создаваться при запуске программы, когда подойдёт срок.")) \
            .run()

    def restore(self, archive: Path | None = None, folder: Path | None = None, password: str | None = None,
                error: str = "") -> None:
        """Restore a backup (asked if None) into a new empty data folder (asked if None); the password
        of an encrypted one is asked, and asked again, with the reason, when it was wrong."""
        if archive is None:
            name, _ = QFileDialog.getOpenFileName(self, "Резервная копия", str(Path.home()),
                                                  "Резервная копия (*.vprbak *.zip)")
            if not name:
                return
            archive = Path(name)
        if folder is None:
            name = QFileDialog.getExistingDirectory(self, "Новая пустая папка данных", str(Path.home()))
            if not name:
                return
            folder = Path(name)
        if password is None and is_encrypted(archive):
            dialog = BackupPasswordDialog(OPEN, self, archive=archive.name, error=error)
            if dialog.exec() != BackupPasswordDialog.DialogCode.Accepted:
                return
            password = dialog.password

        def job(task: TaskContext):
            return restore_backup(archive, folder, password)

        def done(result) -> None:
            inform(self, f"Данные восстановлены в папку {result.data_dir}.\nЧтобы работать с ними, запустите программу "
                         f"с этой папкой данных: vpr-coordinator --data-dir \"{result.data_dir}\".", "Восстановлено")

        def failed(err: BaseException) -> None:
            if isinstance(err, BackupPasswordError):       # asked again, the reason in the dialog
                self.restore(archive, folder, error=err.message)
            else:
                show_error(self, err if isinstance(err, UserError) else INTERNAL_ERROR.format(err=err))

        ChangeOp(self.ctx, self, job).success(done).failure(failed) \
            .run_in_background("Восстановление из резервной копии")
