"""«Выгрузка»: the ФИС ОКО form, the criteria and textbooks, the USB package for the re-check,
backups and the store check. Every export runs in the background with progress and cancel."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
    QInputDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QRadioButton, QScrollArea,
    QSpinBox, QVBoxLayout, QWidget,
)

from coordinator_app import settings
from coordinator_app.changes import Changes
from coordinator_app.errors import UserError
from coordinator_app.works import Work, get_work, list_works

from ..context import AppContext
from ..messages import confirm, inform, show_error
from ..tasks import TaskContext
from ..widgets import page_title


def _safe(text: str) -> str:
    return re.sub(r"[^\w\-]+", "_", text).strip("_")


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} ГБ" if n >= 2**30 else f"{n / 2**20:.0f} МБ"


class ExportsPage(QWidget):
    handles_mode = True          # subscribed to Changes.of("mode")

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.work: Work | None = None
        self.work_box = QComboBox()
        self.work_box.setMinimumWidth(380)
        self.work_box.currentIndexChanged.connect(lambda _: self._work_changed())
        top = QHBoxLayout()
        top.addWidget(QLabel("Работа:"))
        top.addWidget(self.work_box, 1)

        # -- the form ------------------------------------------------------------------------
        form_box = QGroupBox("Форма сбора результатов для ФИС ОКО")
        form_layout = QVBoxLayout(form_box)
        self.form_status = QLabel()
        self.form_status.setWordWrap(True)
        self.form_button = QPushButton("Сохранить заполненную форму…")
        self.form_button.clicked.connect(lambda: self.export_form())
        self.form_problems = QListWidget()
        self.form_problems.setMaximumHeight(140)
        self.form_problems.setVisible(False)
        form_layout.addWidget(self.form_status)
        form_layout.addWidget(self.form_button, 0, Qt.AlignmentFlag.AlignLeft)
        form_layout.addWidget(self.form_problems)

        # -- criteria and textbooks ------------------------------------------------------------
        criteria_box = QGroupBox("Критерии оценивания (для пакета перепроверки) и учебники (лист «Классы»)")
        criteria_layout = QGridLayout(criteria_box)
        self.criteria = QListWidget()
        self.criteria.setMaximumHeight(100)
        attach = QPushButton("Прикрепить критерии…")
        attach.clicked.connect(self.attach_criteria)
        detach = QPushButton("Убрать")
        detach.clicked.connect(self.remove_criteria)
        self.textbooks = QFormLayout()
        criteria_layout.addWidget(self.criteria, 0, 0, 1, 2)
        criteria_layout.addWidget(attach, 1, 0)
        criteria_layout.addWidget(detach, 1, 1)
        textbook_holder = QWidget()
        textbook_holder.setLayout(self.textbooks)
        criteria_layout.addWidget(textbook_holder, 0, 2, 2, 1)
        criteria_layout.setColumnStretch(2, 1)

        # -- the package -----------------------------------------------------------------------
        package_box = QGroupBox("Пакет для муниципальной перепроверки (сканы по кодам, критерии, протокол Excel, письмо)")
        package_layout = QFormLayout(package_box)
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
        self.extra_codes = QLineEdit()
        self.extra_codes.setPlaceholderText("например: 40012, 40015")
        selection = QHBoxLayout()
        for w in (self.everyone, self.sample, self.pct, QLabel("зерно:"), self.seed):
            selection.addWidget(w)
        selection.addStretch(1)
        package_layout.addRow("Какие работы:", selection)
        package_layout.addRow("Добавить коды:", self.extra_codes)
        self.target = QComboBox()
        self.target.setMinimumWidth(360)
        refresh = QPushButton("Обновить список")
        refresh.clicked.connect(self.refresh_drives)
        other = QPushButton("Другая папка…")
        other.clicked.connect(self.choose_folder)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(refresh)
        target_row.addWidget(other)
        package_layout.addRow("Куда записать:", target_row)
        buttons = QHBoxLayout()
        self.package_button = QPushButton("Записать пакет")
        self.package_button.clicked.connect(lambda: self.export_package())
        verify = QPushButton("Проверить пакет…")
        verify.clicked.connect(lambda: self.verify_package())
        buttons.addWidget(self.package_button)
        buttons.addWidget(verify)
        buttons.addStretch(1)
        package_layout.addRow(buttons)
        self.package_status = QLabel()
        self.package_status.setWordWrap(True)
        package_layout.addRow(self.package_status)

        # -- backups ---------------------------------------------------------------------------
        backup_box = QGroupBox("Резервные копии и проверка хранилища")
        self.backup_box = backup_box
        backup_layout = QFormLayout(backup_box)
        now = QPushButton("Создать копию сейчас…")
        now.clicked.connect(lambda: self.backup_now())
        check = QPushButton("Проверить хранилище")
        check.clicked.connect(lambda: self.verify_store())
        restore = QPushButton("Восстановить из копии…")
        restore.clicked.connect(self.restore)
        row = QHBoxLayout()
        for b in (now, check, restore):
            row.addWidget(b)
        row.addStretch(1)
        backup_layout.addRow(row)
        self.backup_dir = QLineEdit()
        self.backup_dir.setPlaceholderText("папка для копий по расписанию (например, на флешке)")
        self.every = QSpinBox()
        self.every.setRange(0, 365)
        self.every.setSuffix(" дн. (0 — выключено)")
        self.keep = QSpinBox()
        self.keep.setRange(0, 1000)
        self.keep.setSuffix(" копий (0 — все)")
        save_schedule = QPushButton("Сохранить расписание")
        save_schedule.clicked.connect(self.save_schedule)
        pick_dir = QPushButton("Выбрать…")
        pick_dir.clicked.connect(self.choose_backup_dir)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.backup_dir, 1)
        folder_row.addWidget(pick_dir)
        backup_layout.addRow("Папка для копий:", folder_row)
        schedule = QHBoxLayout()
        for w in (QLabel("каждые"), self.every, QLabel("хранить"), self.keep, save_schedule):
            schedule.addWidget(w)
        schedule.addStretch(1)
        backup_layout.addRow("Расписание:", schedule)
        self.schedule_password_state = QLabel()
        self.schedule_password_state.setWordWrap(True)
        self.schedule_password_button = QPushButton("Пароль для копий…")
        self.schedule_password_button.clicked.connect(lambda: self.set_schedule_password())
        password_row = QHBoxLayout()
        password_row.addWidget(self.schedule_password_state, 1)
        password_row.addWidget(self.schedule_password_button)
        backup_layout.addRow("Пароль копий:", password_row)
        self.backup_status = QLabel()
        self.backup_status.setWordWrap(True)
        backup_layout.addRow(self.backup_status)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(page_title("Выгрузка", "Всё, что уходит из школы, — только с кодами, без фамилий."))
        layout.addLayout(top)
        for box in (form_box, criteria_box, package_box, backup_box):
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
        self.subscription = ctx.bus.subscribe(self, ("works", "scores", "participants", "scans", "settings", "mode"),
                                              lambda _changes: self.reload())
        self.extra_target: Path | None = None
        self.reload()
        self.refresh_drives()

    # -- data -------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.subscription.forget()
        keep = self.work.id if self.work else None
        self.work_box.blockSignals(True)
        self.work_box.clear()
        for w in list_works(self.ctx.store):
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
        from coordinator_app.attachments import list_attachments, textbooks
        from coordinator_app.scoring import work_progress

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
        self.form_status.setText(("<b style='color:#2e7d32'>Работа готова к выгрузке.</b> " if progress.ready else
                                  f"<b style='color:#b00020'>Не заполнено у участников: {len(progress.missing)}</b> "
                                  "(см. «Проверка» → «Ход проверки»). ") + f"Источник: {source}.")
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
        from coordinator_app.attachments import set_textbook

        if self.work is None or not book:
            return
        try:
            set_textbook(self.ctx.store, self.work.id, class_name, book)
        except UserError as err:
            show_error(self, err)

    # -- actions ----------------------------------------------------------------------------------
    def export_form(self, out: Path | None = None) -> None:
        if self.work is None:
            return
        work = self.work
        if out is None:
            suggested = self.ctx.documents_dir / f"Форма_ФИС_ОКО_{_safe(work.subject)}_{work.grade}кл_{work.work_date:%Y-%m-%d}.xlsx"
            name, _ = QFileDialog.getSaveFileName(self, "Сохранить форму", str(suggested), "Книга Excel (*.xlsx)")
            if not name:
                return
            out = Path(name if name.lower().endswith(".xlsx") else name + ".xlsx")
        self.form_problems.clear()
        self.form_problems.setVisible(False)

        def job(ctx: TaskContext):
            from coordinator_app.form_export import export_form

            return export_form(ctx.open_store(), work.id, out, progress=ctx.progress_callback("строки"))

        def done(result) -> None:
            self.last_form = result.path
            self.form_status.setText(f"Форма сохранена: {result.path} (строк: {result.rows}). Загрузите её в ФИС ОКО.")

        def failed(err: BaseException) -> None:
            if isinstance(err, UserError) and err.details:
                self.form_problems.addItems(err.details)
                self.form_problems.setVisible(True)
                self.form_status.setText(f"<b style='color:#b00020'>{err.message}</b> ФИС ОКО отклонит такую форму; "
                                         "исправьте значения на странице «Проверка».")
            else:
                show_error(self, err)

        self.ctx.tasks.run(self, "Заполнение формы ФИС ОКО", job, done, failed)

    def attach_criteria(self) -> None:
        from coordinator_app.attachments import attach

        if self.work is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Критерии оценивания", str(Path.home()),
                                              "Документы и сканы (*.pdf *.jpg *.jpeg *.png *.tif *.tiff *.docx);;Все файлы (*)")
        if not name:
            return
        variant, ok = QInputDialog.getText(self, "Вариант", "Для какого варианта эти критерии (пусто — для всех)?")
        if not ok:
            return
        try:
            _, changes = attach(self.ctx.store, self.work.id, Path(name), variant=variant)
        except UserError as err:
            show_error(self, err)
            return
        self.subscription.publish(changes)

    def remove_criteria(self) -> None:
        from coordinator_app.attachments import remove

        item = self.criteria.currentItem()
        if item is None or not confirm(self, f"Убрать «{item.text()}» из работы?", yes="Убрать", destructive=True):
            return
        self.subscription.publish(remove(self.ctx.store, int(item.data(Qt.ItemDataRole.UserRole))))

    def refresh_drives(self) -> None:
        from coordinator_app.media.drives import removable_drives

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

        def job(ctx: TaskContext):
            from coordinator_app.package import export_package

            return export_package(ctx.open_store(), work.id, target, sample_pct=None if everyone else pct, seed=seed,
                                  codes=codes, everyone=everyone,
                                  progress=lambda d, t, label="": ctx.progress(d, t, label),
                                  cancelled=lambda: ctx.cancelled)

        def done(result) -> None:
            self.last_package = result
            self.package_status.setText(
                f"Пакет записан и проверен: {result.folder} — файлов {result.files}, работ {len(result.codes)}, "
                f"зерно выборки {result.seed}. Коды: {', '.join(result.codes)}.")
            self.subscription.publish(Changes.of("exports"))

        self.ctx.tasks.run(self, "Запись пакета для перепроверки", job, done)

    def verify_package(self, folder: Path | None = None) -> None:
        if folder is None:
            name = QFileDialog.getExistingDirectory(self, "Папка пакета", str(Path.home()))
            if not name:
                return
            folder = Path(name)

        def job(ctx: TaskContext):
            from coordinator_app.formats.recheck_package import verify_packages

            return verify_packages(folder)      # a package folder, or a stick's root: every package on it

        def done(results) -> None:
            from html import escape

            self.last_verify = results[0][1] if len(results) == 1 else results
            lines = []
            for path, report in results:
                name = escape(path.name or str(path))
                if report.ok:
                    lines.append(f"Пакет «{name}» в порядке: проверено файлов {report.files_checked}.")
                else:
                    lines.append(f"<b style='color:#b00020'>Пакет «{name}» повреждён:</b><br>"
                                 + "<br>".join(escape(p) for p in report.problems[:20]))
            self.package_status.setText("<br>".join(lines))

        self.ctx.tasks.run(self, "Проверка пакета", job, done)

    def backup_now(self, folder: Path | None = None, password: str | None = None, plain: bool = False) -> None:
        """A backup into `folder` (asked if None), encrypted with `password` (asked, with its repeat or
        the explicit choice of none, if neither is given)."""
        from coordinator_app.backup import scheduled_password_state

        from ..dialogs.backup_password_dialog import CREATE, BackupPasswordDialog

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

        def job(ctx: TaskContext):
            from coordinator_app.backup import create_backup, scheduled_secret

            store = ctx.open_store()
            secret = scheduled_secret(store) if use_saved else password
            if use_saved and secret is None:
                raise UserError("Пароль для копий по расписанию больше не задан: создайте копию ещё раз и введите пароль.")
            return create_backup(store, folder, password=secret, plain=plain,
                                 progress=lambda d, t, label="": ctx.progress(d, t, label),
                                 cancelled=lambda: ctx.cancelled)

        def done(result) -> None:
            from html import escape

            self.subscription.publish(Changes.of("settings"))   # reloads the page: report after it
            if result.encrypted:
                self.backup_status.setText(f"Резервная копия создана и проверена, зашифрована паролем: {result.path} "
                                           f"(файлов: {result.files}).")
            else:
                self.backup_status.setText(f"<b style='color:#b00020'>Резервная копия создана и проверена БЕЗ "
                                           f"ПАРОЛЯ:</b> {escape(str(result.path))} (файлов: {result.files}). "
                                           "Храните её только в надёжном месте: в ней персональные данные учеников.")

        self.ctx.tasks.run(self, "Резервное копирование", job, done)

    def _show_schedule_password(self) -> None:
        from coordinator_app.backup import scheduled_password_state

        state = scheduled_password_state(self.ctx.store)
        self.schedule_password_state.setText({
            "set": "задан: копии по расписанию шифруются им (он хранится на этом компьютере, не на флешке).",
            "plain": "копии по расписанию делаются БЕЗ ПАРОЛЯ (ваш выбор): в них персональные данные учеников.",
            "none": "не задан — копии по расписанию не делаются, пока вы не зададите пароль.",
        }[state])
        scheduled = int(settings.get(self.ctx.store, "backup_every_days") or 0) > 0
        self.schedule_password_state.setStyleSheet("color: #b00020" if scheduled and state != "set" else "")

    def set_schedule_password(self) -> None:
        """The password of the scheduled backups, asked in the dialog; kept by a background task (the
        key is derived from it there)."""
        from ..dialogs.backup_password_dialog import SCHEDULE, BackupPasswordDialog

        dialog = BackupPasswordDialog(SCHEDULE, self)
        if dialog.exec() != BackupPasswordDialog.DialogCode.Accepted:
            return
        password, plain = dialog.password, dialog.plain

        def job(ctx: TaskContext):
            from coordinator_app.backup import set_scheduled_password

            return set_scheduled_password(ctx.open_store(), password, plain=plain)

        def done(changes) -> None:
            self.subscription.publish(changes)
            self._show_schedule_password()

        self.ctx.tasks.run(self, "Пароль для копий по расписанию", job, done, cancellable=False)

    def verify_store(self) -> None:
        def job(ctx: TaskContext):
            from coordinator_app.backup import verify_store

            return verify_store(ctx.open_store(), progress=lambda d, t, label="": ctx.progress(d, t, label))

        def done(report) -> None:
            self.last_store_report = report
            if report.ok:
                inform(self, f"Хранилище в порядке: база цела, проверено файлов {report.files_checked}.", "Проверка")
            else:
                show_error(self, UserError(f"Найдены проблемы: {len(report.problems)}.", details=report.problems))

        self.ctx.tasks.run(self, "Проверка хранилища", job, done)

    def choose_backup_dir(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Папка для резервных копий по расписанию",
                                                self.backup_dir.text() or str(Path.home()))
        if name:
            self.backup_dir.setText(name)

    def save_schedule(self) -> None:
        from coordinator_app.backup import set_schedule

        try:
            self.subscription.publish(set_schedule(self.ctx.store, self.backup_dir.text().strip(), self.every.value(),
                                          self.keep.value()))
        except UserError as err:
            show_error(self, err)
            return
        self.backup_status.setText("Расписание сохранено: копия будет создаваться при запуске программы, когда подойдёт срок.")

    def restore(self, archive: Path | None = None, folder: Path | None = None, password: str | None = None,
                error: str = "") -> None:
        """Restore a backup (asked if None) into a new empty data folder (asked if None); the password
        of an encrypted one is asked, and asked again, with the reason, when it was wrong."""
        from coordinator_app.backup import BackupPasswordError, is_encrypted

        from ..dialogs.backup_password_dialog import OPEN, BackupPasswordDialog

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

        def job(ctx: TaskContext):
            from coordinator_app.backup import restore_backup

            return restore_backup(archive, folder, password)

        def done(result) -> None:
            inform(self, f"Данные восстановлены в папку {result.data_dir}.\nЧтобы работать с ними, запустите программу "
                         f"с этой папкой данных: vpr-coordinator --data-dir \"{result.data_dir}\".", "Восстановлено")

        def failed(err: BaseException) -> None:
            if isinstance(err, BackupPasswordError):       # asked again, the reason in the dialog
                self.restore(archive, folder, error=err.message)
            elif isinstance(err, UserError):
                show_error(self, err)
            else:
                show_error(self, f"Внутренняя ошибка программы: {err}\nПодробности записаны в журнал.")

        self.ctx.tasks.run(self, "Восстановление из резервной копии", job, done, failed)
