"""The scoring tabs' score cell (`ScoreEdit`) and the small pieces the tabs share.

A cell talks to its owner (a tab) through the owner's cell methods: `commit(index, quiet)`,
`commit_and_move(index, delta, wrap)`, `revert(index)`, `not_passed(index)`, `one_key_max(index)`
and `focused(index)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QWidget

from coordinator_app.scoring import ScoreRow

from .colours import ERROR_STYLE
from .sheet import ScoreSheet

NOT_PASSED_KEYS = {"n", "N", "н", "Н"}
X_KEYS = {"x", "X", "х", "Х"}
#: Tasks worth less than this many points take their score from one key (when the setting is on).
ONE_KEY_BELOW = 10


def bind(parent: QWidget, keys: list[str], slot: Callable[[], Any]) -> QShortcut:
    shortcut = QShortcut(parent)
    shortcut.setKeys([QKeySequence(k) for k in keys])
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(slot)
    return shortcut


def restyle(widget: QWidget, style: str) -> None:
    """Set a widget's style sheet only if it differs: setting one re-polishes the widget (~0.5 ms),
    and a row refreshed after each score must cost what changed, not what is shown."""
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)


def set_text(edit: QLineEdit, text: str) -> None:
    if edit.text() != text:
        edit.setText(text)



class ScoreEdit(QLineEdit):
    """A score cell: Enter/Tab commit and move on, Esc reverts, N (Н) is «не пройд.». Where the
    task is worth at most 9 points and the setting is on, one key (a digit, X/Х) writes the score
    and moves on: the commonest job of the program in half the keystrokes."""

    def __init__(self, owner: Any, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.owner = owner
        self.index = index
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMaxLength(12)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.setFont(font)
        self.setFixedWidth(78)
        # The cell's text when one key brought the cursor here: an Enter (or Tab) pressed out of
        # habit right after it, the text untouched, confirms that key instead of moving on again.
        self.after_one_key: str | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and \
                not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            backwards = event.key() == Qt.Key.Key_Backtab or bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            after_one_key, self.after_one_key = self.after_one_key, None
            if after_one_key == self.text() and not backwards:
                return True   # the Tab of habit after one key: that key has already moved on
            self.owner.commit_and_move(self.index, -1 if backwards else 1)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        after_one_key, self.after_one_key = self.after_one_key, None
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if after_one_key == self.text():
                return
            self.owner.commit_and_move(self.index, 1)
        elif key == Qt.Key.Key_Escape:
            self.owner.revert(self.index)
        elif key == Qt.Key.Key_Down and not event.modifiers():
            self.owner.commit_and_move(self.index, 1, wrap=False)
        elif key == Qt.Key.Key_Up and not event.modifiers():
            self.owner.commit_and_move(self.index, -1, wrap=False)
        elif self.isReadOnly():
            super().keyPressEvent(event)        # a closed year's cell: moving and copying only
        elif event.text() in NOT_PASSED_KEYS and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.owner.not_passed(self.index)
        elif (value := self._one_key_value(event)) is not None:
            self.setText(value)
            if self.owner.commit_and_move(self.index, 1):
                target = self.owner.focusWidget()
                if isinstance(target, ScoreEdit):
                    target.after_one_key = target.text()
        else:
            super().keyPressEvent(event)

    def _one_key_value(self, event: QKeyEvent) -> str | None:
        """The score one key stands for, when one key is all this cell needs."""
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return None
        text = event.text()
        if len(text) != 1 or not (text in X_KEYS or "0" <= text <= "9"):
            return None
        maximum = self.owner.one_key_max(self.index)
        if maximum is None or maximum >= ONE_KEY_BELOW:
            return None
        return "X" if text in X_KEYS else text

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        self.owner.focused(self.index)
        self.selectAll()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.after_one_key = None
        if event.reason() not in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason):
            self.owner.commit(self.index, quiet=True)


def one_key_box(sheet: ScoreSheet) -> QCheckBox:
    """The switch of scoring by one key, kept in step with the sheet's setting."""
    box = QCheckBox("Одна клавиша")
    box.setToolTip("Задание до 9 баллов: цифра, X или N записывает балл и сразу переходит дальше, "
                   "Enter не нужен. Снимите флажок, чтобы подтверждать каждый балл клавишей Enter.")
    box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    box.setChecked(sheet.one_key)
    box.toggled.connect(sheet.set_one_key)
    sheet.reloaded.connect(lambda: box.setChecked(sheet.one_key))
    return box


def error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setMinimumHeight(36)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def expert_tip(row: ScoreRow, task_id: str) -> str:
    if row.scores.get(task_id) is None:
        return "Не заполнено"
    who = row.experts.get(task_id)
    return f"Балл внёс(ла): {who}" if who else "Заполнено"


# == «По участнику» ==================================================================================
