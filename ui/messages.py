"""Plain Russian message boxes: errors the user can fix, confirmations, information.

Every message box of the program goes through the functions here (`show_error`, `confirm`,
`inform`, `about`, `show_crash`), and they all go through one seam: the module-level `presenter`.
The program's presenter shows real modal boxes (`QtPresenter`); the tests install a recorder there
(tests/conftest.py), so no test ever waits on a modal box, and a confirmation nobody expected fails
the test instead of hanging it. `install(presenter)` swaps it and returns the previous one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QMessageBox, QWidget

from coordinator_app.errors import UserError

#: What the user is told of a bug met in the background (the traceback goes to the log).
INTERNAL_ERROR = "Внутренняя ошибка программы: {err}\nПодробности записаны в журнал."

#: At most this many details are listed in an error box; the rest go to its «Подробнее» text.
SHOWN_DETAILS = 15


class Presenter(Protocol):
    """What shows the messages. `text` of `show_error` is a `UserError` or a plain sentence."""

    def show_error(self, parent: QWidget | None, err: BaseException | str, title: str, critical: bool) -> None: ...

    def confirm(self, parent: QWidget | None, text: str, title: str, yes: str, no: str,
                destructive: bool) -> bool: ...

    def inform(self, parent: QWidget | None, text: str, title: str) -> None: ...

    def about(self, parent: QWidget | None, title: str, text: str) -> None: ...

    def show_crash(self, text: str, summary: str) -> None: ...


class QtPresenter:
    """The real thing: modal `QMessageBox`es."""

    def show_error(self, parent: QWidget | None, err: BaseException | str, title: str, critical: bool) -> None:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical if critical else QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        if isinstance(err, UserError):
            box.setText(err.message)
            if err.details:
                box.setInformativeText("\n".join(f"• {d}" for d in err.details[:SHOWN_DETAILS]))
                if len(err.details) > SHOWN_DETAILS:
                    box.setDetailedText("\n".join(err.details))
        else:
            box.setText(str(err))
        box.exec()

    def confirm(self, parent: QWidget | None, text: str, title: str, yes: str, no: str, destructive: bool) -> bool:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no_button if destructive else yes_button)
        box.exec()
        return box.clickedButton() is yes_button

    def inform(self, parent: QWidget | None, text: str, title: str) -> None:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        box.exec()

    def about(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.about(parent, title, text)

    def show_crash(self, text: str, summary: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Внутренняя ошибка", text)
        box.setDetailedText(summary)
        box.exec()


#: The one seam every message goes through (tests put a recorder here).
presenter: Presenter = QtPresenter()


def install(new: Presenter) -> Presenter:
    """Show the messages with `new` from now on; returns the presenter it replaces."""
    global presenter
    old, presenter = presenter, new
    return old


def show_error(parent: QWidget | None, err: BaseException | str, title: str = "Не получилось",
               critical: bool = False) -> None:
    presenter.show_error(parent, err, title, critical)


def confirm(parent: QWidget | None, text: str, title: str = "Подтвердите", yes: str = "Да", no: str = "Отмена",
            destructive: bool = False) -> bool:
    return presenter.confirm(parent, text, title, yes, no, destructive)


def inform(parent: QWidget | None, text: str, title: str = "Готово") -> None:
    presenter.inform(parent, text, title)


def about(parent: QWidget | None, title: str, text: str) -> None:
    presenter.about(parent, title, text)


def show_crash(report: Path, summary: str) -> None:
    """The program hit a bug: where its report is (the data entered is saved)."""
    presenter.show_crash("В программе произошла внутренняя ошибка. Введённые данные сохранены.\n\n"
                         f"Отчёт об ошибке: {report}\nПередайте этот файл разработчикам.", summary)
