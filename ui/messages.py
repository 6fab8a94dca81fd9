"""Plain Russian message boxes: errors the user can fix, confirmations, information."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from coordinator_app.errors import UserError


def show_error(parent: QWidget | None, err: BaseException | str, title: str = "Не получилось") -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    if isinstance(err, UserError):
        box.setText(err.message)
        if err.details:
            box.setInformativeText("\n".join(f"• {d}" for d in err.details[:15]))
            if len(err.details) > 15:
                box.setDetailedText("\n".join(err.details))
    else:
        box.setText(str(err))
    box.exec()


def confirm(parent: QWidget | None, text: str, title: str = "Подтвердите", yes: str = "Да", no: str = "Отмена",
            destructive: bool = False) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button if destructive else yes_button)
    box.exec()
    return box.clickedButton() is yes_button


def inform(parent: QWidget | None, text: str, title: str = "Готово") -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setText(text)
    box.exec()
