"""Helpers for GUI tests: pages load their data after they are built (`ui.loader.PageLoader`)."""

from __future__ import annotations

from typing import Any


def is_loading(widget: Any) -> bool:
    """True while `widget` (a page, or a main window: every built page) still loads its data."""
    pages = widget.pages.values() if hasattr(widget, "pages") else [widget]
    return any(page.is_loading() for page in pages if hasattr(page, "is_loading"))


def wait_settled(qtbot: Any, *widgets: Any, timeout: int = 15000) -> None:
    """Wait until the pages (or windows) have applied their latest data."""
    from PySide6.QtWidgets import QApplication

    for widget in widgets:
        qtbot.waitUntil(lambda w=widget: not is_loading(w), timeout=timeout)
    # Widgets a page added to its shown layout while applying its data are shown by Qt in the
    # next event-loop turn (a queued show): let it run, as it runs before the user's next key.
    QApplication.processEvents()


class UnexpectedDialog(AssertionError):
    """A message box asked a question no test prepared an answer for."""


class MessageRecorder:
    """Stands in for `ui.messages.presenter` in every test (tests/conftest.py): records what the
    program would have shown instead of showing it.

    `said` lists the texts in order (errors, information, questions); `errors`, `informed` and
    `asked` list them by kind. A question is answered from `answers` (set it: `answer(True, …)`, or
    `always(True)` for every question); a question nobody answered fails the test, naming the
    question, instead of waiting on a modal box nobody will close."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.errors: list[str] = []
        self.informed: list[str] = []
        self.asked: list[str] = []
        self.answers: list[bool] = []
        self.default: bool | None = None
        self.unexpected: list[str] = []

    def answer(self, *answers: bool) -> "MessageRecorder":
        """The answers to the next questions, in order."""
        self.answers.extend(answers)
        return self

    def always(self, answer: bool | None) -> "MessageRecorder":
        """Answer every question not answered by `answer(…)` with this (None: fail the test)."""
        self.default = answer
        return self

    # -- the presenter ----------------------------------------------------------------------------
    def show_error(self, parent: Any, err: Any, title: str, critical: bool) -> None:
        text = err.message if hasattr(err, "message") else str(err)
        details = getattr(err, "details", None)
        full = str(err) if details else text
        self.said.append(full)
        self.errors.append(full)

    def confirm(self, parent: Any, text: str, title: str, yes: str, no: str, destructive: bool) -> bool:
        self.said.append(text)
        self.asked.append(text)
        if self.answers:
            return self.answers.pop(0)
        if self.default is not None:
            return self.default
        self.unexpected.append(text)
        raise UnexpectedDialog(f"the program asked «{title}: {text}» and the test gave no answer "
                               "(set it with messages.answer(True) or messages.always(True))")

    def inform(self, parent: Any, text: str, title: str) -> None:
        self.said.append(text)
        self.informed.append(text)

    def about(self, parent: Any, title: str, text: str) -> None:
        self.said.append(text)
        self.informed.append(text)

    def show_crash(self, text: str, summary: str) -> None:
        self.said.append(text)
        self.errors.append(f"{text}\n{summary}")
