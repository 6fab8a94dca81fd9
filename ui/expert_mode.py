"""Expert mode: the program handed to an expert who scores works by participant code.

In expert mode an expert can score and look at the pages, nothing else: every step but «Проверка»
leaves the navigation (the pupils, the protocol, the school's settings, PIN and backups, works,
scans and their purge, the exports), their shortcuts do nothing, the data and documents folders
cannot be opened from the menu, and «Проверка» hides the form import, the experts, the second
check's sample and the commission's settlement; every page reads `ctx.expert_mode` and shows
codes only. Entering needs nothing; leaving asks for the coordinator's PIN when one is set
(`coordinator_app.access`, wrong tries slow down). The mode is kept in the data dir, so a restart
does not leave it and the command line refuses the coordinator's commands too.

`Changes.of(Topic.MODE)` goes out on the bus after every switch; pages that do not listen for it are
reloaded here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRegularExpression, Qt, QTimer
from PySide6.QtGui import QAction, QRegularExpressionValidator
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMenuBar, QVBoxLayout, QWidget

from coordinator_app import settings
from coordinator_app.access import PinLocked, has_pin, pin_wait, set_expert_mode, set_pin, verify_pin
from coordinator_app.changes import Changes, Topic
from coordinator_app.storage import Store

from . import style
from .ops import ChangeOp

if TYPE_CHECKING:
    from .main_window import MainWindow

SETTING = "expert_mode"
EXPERT_HOME = "Проверка"
EXPERT_STEPS = (EXPERT_HOME,)                             # all an expert sees


def _pin_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(12)
    field.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}"), field))
    field.setPlaceholderText("4–12 цифр")
    return field


class PinDialog(QDialog):
    """Asks the coordinator's PIN to leave expert mode; a wrong PIN is refused inline."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Выход из режима эксперта")
        text = QLabel("Чтобы выйти из режима эксперта и снова видеть ФИО учеников, введите PIN координатора.")
        text.setWordWrap(True)
        self.pin = _pin_field()
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        self.pin.textEdited.connect(lambda _: self.error.clear())
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("Выйти из режима эксперта", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Остаться", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("PIN координатора:", self.pin)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

        self.entered_pin: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._tick()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._tick()

    def _tick(self) -> None:
        """While wrong tries make the program wait, the dialog says how long and takes no PIN."""
        wait = pin_wait(self.store)
        self.pin.setEnabled(not wait)
        self.ok_button.setEnabled(not wait)
        if wait:
            self.error.setText(PinLocked(wait).message)
            if self.isVisible():
                self._timer.start()
        else:
            self._timer.stop()
            if self.error.text().startswith("Слишком много"):
                self.error.clear()
                self.pin.setFocus()

    def accept(self) -> None:
        try:
            ok = verify_pin(self.store, self.pin.text())
        except PinLocked:
            self._tick()
            return
        if ok:
            self.entered_pin = self.pin.text()
            super().accept()
            return
        self.error.setText("Неверный PIN. Режим эксперта не снят.")
        self.pin.clear()
        self.pin.setFocus()
        self._tick()


class SetPinDialog(QDialog):
    """Set, change (`remove=False`) or remove the coordinator's PIN; the current PIN is asked first."""

    def __init__(self, store: Store, parent: QWidget | None = None, remove: bool = False) -> None:
        super().__init__(parent)
        self.store = store
        self.remove = remove
        self.changes = Changes()
        self.had_pin = has_pin(store)
        self.setWindowTitle("Удалить PIN координатора" if remove else
                            ("Изменить PIN координатора" if self.had_pin else "Задать PIN координатора"))
        text = QLabel("PIN нужен, чтобы выйти из режима эксперта: без него эксперт не увидит ФИО учеников."
                      if not remove else "Без PIN из режима эксперта сможет выйти любой.")
        text.setWordWrap(True)
        self.current = _pin_field()
        self.new = _pin_field()
        self.repeat = _pin_field()
        self.error = QLabel()
        self.error.setStyleSheet(style.ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        if self.had_pin:
            form.addRow("Текущий PIN:", self.current)
        if not remove:
            form.addRow("Новый PIN:", self.new)
            form.addRow("Повторите PIN:", self.repeat)
        for field in (self.current, self.new, self.repeat):
            field.textEdited.connect(lambda _: self.error.clear())
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("Удалить PIN" if remove else "Сохранить",
                                           QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Отмена", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def accept(self) -> None:
        try:
            right = not self.had_pin or verify_pin(self.store, self.current.text())
        except PinLocked as err:
            self.error.setText(err.message)
            return
        if not right:
            self.error.setText("Текущий PIN неверен.")
            self.current.clear()
            self.current.setFocus()
            return
        if self.remove:
            value = None
        else:
            value = self.new.text()
            if not value:
                self.error.setText("Введите новый PIN.")
                self.new.setFocus()
                return
            if value != self.repeat.text():
                self.error.setText("PIN и повтор не совпадают.")
                self.repeat.clear()
                self.repeat.setFocus()
                return
        ChangeOp(self.store, self, lambda store: set_pin(store, value)) \
            .failure(lambda err: self.error.setText(getattr(err, "message", str(err)))) \
            .success(self._saved) \
            .run()

    def _saved(self, changes: Changes) -> None:
        self.changes = changes        # published by the caller (the dialog is given only the store)
        super().accept()


class ExpertMode(QObject):
    """Switches the main window between the coordinator's and the expert's view."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.dialog: PinDialog | None = None
        self.indicator = QLabel("Режим эксперта: ФИО учеников скрыты")
        self.indicator.setStyleSheet(style.EXPERT_BADGE_STYLE)
        self.indicator.setVisible(False)
        window.statusBar().addPermanentWidget(self.indicator)
        self.enter_action = QAction("Режим эксперта", self)
        self.enter_action.setToolTip("Передать программу эксперту: ФИО учеников будут скрыты везде")
        self.enter_action.triggered.connect(self.enter)
        self.leave_action = QAction("Выйти из режима эксперта…", self)
        self.leave_action.triggered.connect(self.request_leave)
        if settings.get(self.ctx.store, SETTING):
            self.ctx.expert_mode = True
        self.apply()

    @property
    def active(self) -> bool:
        return self.ctx.expert_mode

    def add_menu(self, bar: QMenuBar, before: QAction | None = None) -> None:
        from PySide6.QtWidgets import QMenu

        menu = QMenu("&Режим", bar)
        menu.addAction(self.enter_action)
        menu.addAction(self.leave_action)
        if before is not None:
            bar.insertMenu(before, menu)
        else:
            bar.addMenu(menu)
        self.menu = menu

    # -- switching --------------------------------------------------------------------------------
    def enter(self) -> None:
        if self.active:
            return
        self._switch(True)
        home = self.window.pages.specs.get(EXPERT_HOME)
        if home is not None:
            self.window.nav.setCurrentRow(home[0])
        if not has_pin(self.ctx.store):
            self.window.statusBar().showMessage(
                "PIN координатора не задан: выйти из режима эксперта сможет любой. PIN задаётся на странице «Школа».",
                15000)

    def request_leave(self) -> None:
        """«Выйти из режима эксперта…»: at once without a PIN, else through the PIN dialog."""
        if not self.active:
            return
        if not has_pin(self.ctx.store):
            self.leave()
            return
        dialog = PinDialog(self.ctx.store, self.window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._switch(False))
        dialog.finished.connect(lambda _: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def leave(self, pin: str | None = None) -> bool:
        """Back to the coordinator's view (a given `pin` is checked first)."""
        if not self.active:
            return True
        # a wrong PIN is only refused (the dialog says why); `_switch` publishes the mode
        if ChangeOp(self.ctx.store, self.window, lambda store: set_expert_mode(store, False, pin)) \
                .failure(lambda _err: None).run() is None:
            return False
        self._switch(False)
        return True

    def _switch(self, on: bool) -> None:
        """Switch (leaving: the PIN has been checked by the caller)."""
        if on != bool(settings.get(self.ctx.store, SETTING)):
            set_expert_mode(self.ctx.store, on, verified=True)   # kept in the data dir, with its audit record
        self.ctx.expert_mode = on
        self.apply()
        self.ctx.publish(Changes.of(Topic.MODE))
        for page in self.window.pages.values():
            if not getattr(page, "handles_mode", False) and hasattr(page, "reload"):
                page.reload()

    def allows_row(self, row: int) -> bool:
        item = self.window.nav.item(row)
        return item is not None and not item.isHidden()

    def apply(self) -> None:
        on = self.active
        window = self.window
        for title, spec in window.pages.specs.items():
            window.nav.setRowHidden(spec[0], on and title not in EXPERT_STEPS)
        current = window.nav.currentRow()
        if on and current >= 0 and not self.allows_row(current):
            home = window.pages.specs.get(EXPERT_HOME)
            window.nav.setCurrentRow(home[0] if home else 0)
        self.enter_action.setEnabled(not on)
        self.leave_action.setEnabled(on)
        self.indicator.setVisible(on)
        for action in getattr(window, "name_revealing_actions", []):
            action.setEnabled(not on)
        title = window.windowTitle().removesuffix(" — режим эксперта")
        window.setWindowTitle(title + (" — режим эксперта" if on else ""))
