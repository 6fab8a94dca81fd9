"""The password of a backup: asked when a backup is made (password and its repeat, or the explicit
choice of none, with the warning), set once for the scheduled backups, and asked when an encrypted
backup is restored (with «wrong password» said in the dialog when the first try failed).

The dialog only collects the answer; the key is derived (Argon2id, a fraction of a second) by the
page's background task, never on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.formats.backup_crypto import MIN_PASSWORD, PERSONAL_DATA_WARNING, normalize

from .. import style

CREATE, SCHEDULE, OPEN = "create", "schedule", "open"

_INTRO = {
    CREATE: ("Копия шифруется паролем: в ней фамилии, классы и коды учеников. Без пароля копию не откроет "
             "никто — и вы тоже: запишите пароль и храните его отдельно от флешки."),
    SCHEDULE: ("Пароль для копий, которые программа делает по расписанию при запуске. Он запоминается на этом "
               "компьютере (в папке данных программы, не на флешке), чтобы копии делались без вас. "
               "Восстановить такую копию можно только с этим паролем: запишите его и храните отдельно от флешки."),
}


class BackupPasswordDialog(QDialog):
    """`mode`: CREATE (a backup now), SCHEDULE (the scheduled backups' password) or OPEN (restore).
    After `exec()` is accepted: `password` (None with `plain` or `use_saved`), `plain` (no password,
    chosen explicitly), `use_saved` (CREATE only: the scheduled backups' password)."""

    def __init__(self, mode: str, parent: QWidget | None = None, *, saved: bool = False, archive: str = "",
                 error: str = "") -> None:
        super().__init__(parent)
        self.mode = mode
        self.password: str | None = None
        self.plain = False
        self.use_saved = False
        self.setWindowTitle({CREATE: "Пароль резервной копии", SCHEDULE: "Пароль для копий по расписанию",
                             OPEN: "Пароль резервной копии"}[mode])
        intro = QLabel(_INTRO.get(mode) or f"Резервная копия «{archive}» зашифрована. Введите пароль, с которым "
                                           "она создавалась.")
        intro.setWordWrap(True)
        self.saved_box = QCheckBox("Тот же пароль, что задан для копий по расписанию")
        self.saved_box.setVisible(mode == CREATE and saved)
        self.saved_box.setChecked(mode == CREATE and saved)
        self.new = _password_field(f"не меньше {MIN_PASSWORD} символов" if mode != OPEN else "")
        self.repeat = _password_field("ещё раз тот же пароль")
        self.show_box = QCheckBox("Показать пароль")
        self.show_box.toggled.connect(self._show_password)
        form = QFormLayout()
        form.addRow("Пароль:", self.new)
        if mode != OPEN:
            form.addRow("Повторите пароль:", self.repeat)
        form.addRow("", self.show_box)
        self.plain_box = QCheckBox("Без пароля (не рекомендуется)")
        self.plain_box.setVisible(mode != OPEN)
        self.warning = QLabel(PERSONAL_DATA_WARNING)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(style.ERROR_STYLE)
        self.warning.setVisible(False)
        self.error = QLabel(error)
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        for field in (self.new, self.repeat):
            field.textEdited.connect(lambda _: self.error.clear())
        for box in (self.plain_box, self.saved_box):
            box.toggled.connect(lambda _: (self.error.clear(), self._update()))
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Отмена", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.saved_box)
        layout.addLayout(form)
        layout.addWidget(self.plain_box)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self._update()
        self.new.setFocus()

    def _show_password(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.new.setEchoMode(mode)
        self.repeat.setEchoMode(mode)

    def _update(self) -> None:
        typing = not self.plain_box.isChecked() and not self.saved_box.isChecked()
        for widget in (self.new, self.repeat, self.show_box):
            widget.setEnabled(typing)
        self.plain_box.setEnabled(not self.saved_box.isChecked())
        plain = self.plain_box.isChecked()
        self.warning.setVisible(plain)
        self.ok_button.setText({CREATE: "Создать копию без пароля" if plain else "Создать копию",
                                SCHEDULE: "Сохранить: без пароля" if plain else "Сохранить",
                                OPEN: "Открыть копию"}[self.mode])
        self.adjustSize()

    def accept(self) -> None:
        if self.mode != OPEN and self.plain_box.isChecked():
            self.password, self.plain, self.use_saved = None, True, False
            return super().accept()
        if self.mode == CREATE and self.saved_box.isChecked():
            self.password, self.plain, self.use_saved = None, False, True
            return super().accept()
        value = self.new.text()
        if not value:
            self.error.setText("Введите пароль.")
            self.new.setFocus()
            return None
        if self.mode != OPEN:
            if len(normalize(value)) < MIN_PASSWORD:
                self.error.setText(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD} символов.")
                self.new.setFocus()
                return None
            if value != self.repeat.text():
                self.error.setText("Пароль и повтор не совпадают.")
                self.repeat.clear()
                self.repeat.setFocus()
                return None
        self.password, self.plain, self.use_saved = value, False, False
        return super().accept()


def _password_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field
