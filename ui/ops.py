"""One way for a page or dialog to run a use-case: `ChangeOp` (after Anki's `CollectionOp`).

A use-case validates, writes in one transaction and returns what changed. Around it the GUI always
does the same things, and `ChangeOp` does them in this order:

1. `.confirm(text, …)`: asks first; declined, nothing runs.
2. runs `op(store)` on the GUI thread (`run()`), or `job(task)` on the task runner
   (`run_in_background(title)`: progress dialog, «Отмена», its own store via `task.open_store()`).
3. a `UserError` is shown through `ui.messages` (titled `error_title`), or handed to `.failure(cb)`
   (a form dialog shows it inline); a `NeedsConfirmation` asks its question, and on «yes» the op
   given to `.if_asked(forced_op)` runs instead. In the background an unexpected exception is
   logged and shown as an internal error (or handed to `.failure(cb)`); on the GUI thread it goes
   to the crash handler, as any bug. «Отмена» in the progress dialog ends the op silently.
4. the changes (the result itself if it is a `Changes`, else its `.changes`, else a tuple's last
   item) are published on the bus with their initiator (`parent`, unless `initiator=`): the
   initiator's subscription refreshes at once, or not at all after `.shown()` (it has updated
   itself in place); every other page refreshes when visible, else once when shown again.
5. `.success(cb)` gets the whole result.

    ChangeOp(self.ctx, self, lambda store: delete_work(store, work.id)) \\
        .confirm(f"Удалить работу «{work.title}»?", yes="Удалить", destructive=True) \\
        .if_asked(lambda store: delete_work(store, work.id, force=True), yes="Удалить", destructive=True) \\
        .success(lambda changes: self.status.setText("Работа удалена.")) \\
        .run()

A form dialog built with only the store (the first-run wizard, the PIN and settlement dialogs) passes the `Store`
instead of the `AppContext`: its op runs on that store and nothing is published (its caller
publishes the dialog's `changes`); such an op runs only on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from coordinator_app.changes import Changes
from coordinator_app.errors import UserError
from coordinator_app.storage import Store
from coordinator_app.students import NeedsConfirmation

from . import messages
from .context import AppContext
from .tasks import TaskContext

R = TypeVar("R")


def changes_of(result: Any) -> Changes | None:
    """What a use-case's result says it changed: the result itself, its `.changes`, or the last
    item of a tuple (`(new_id, changes)`); None if it changed nothing (a read, a printed file)."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple) and result and isinstance(result[-1], Changes):
        return result[-1]
    changes = getattr(result, "changes", None)
    return changes if isinstance(changes, Changes) else None


@dataclass(frozen=True)
class _Question:
    """A confirmation box's wording."""
    text: str
    title: str = "Подтвердите"
    yes: str = "Да"
    no: str = "Отмена"
    destructive: bool = False

    def ask(self, parent: QWidget | None, text: str | None = None) -> bool:
        return messages.confirm(parent, self.text if text is None else text, self.title, self.yes, self.no,
                                self.destructive)


class ChangeOp(Generic[R]):
    """One run of a use-case from the GUI; configure with the chained methods, then `run()` or
    `run_in_background(title)` (once)."""

    def __init__(self, ctx: AppContext | Store, parent: QWidget | None, op: Callable[[Any], R], *,
                 initiator: QObject | None = None, error_title: str = "Не получилось") -> None:
        self.ctx = ctx if isinstance(ctx, AppContext) else None
        self.store = ctx.store if isinstance(ctx, AppContext) else ctx
        self.parent = parent
        self.op = op
        self.initiator = initiator if initiator is not None else parent
        self.error_title = error_title
        self._question: _Question | None = None
        self._forced: tuple[Callable[[Any], R], _Question] | None = None
        self._declined: Callable[[], None] | None = None
        self._on_success: Callable[[R], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._shown = False

    # -- configuration ----------------------------------------------------------------------------
    def confirm(self, text: str, title: str = "Подтвердите", yes: str = "Да", no: str = "Отмена",
                destructive: bool = False) -> ChangeOp[R]:
        """Ask `text` before running; «no» runs nothing."""
        self._question = _Question(text, title, yes, no, destructive)
        return self

    def if_asked(self, forced: Callable[[Any], R], title: str = "Подтвердите", yes: str = "Да",
                 no: str = "Отмена", destructive: bool = False,
                 declined: Callable[[], None] | None = None) -> ChangeOp[R]:
        """The op may raise `NeedsConfirmation`: ask its message, and on «yes» run `forced`
        (on «no», `declined()` if given)."""
        self._forced = (forced, _Question("", title, yes, no, destructive))
        self._declined = declined
        return self

    def success(self, callback: Callable[[R], None]) -> ChangeOp[R]:
        """Called with the op's result once its changes are published."""
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> ChangeOp[R]:
        """Called with the `UserError` instead of showing it in a message box; in the background
        also with an unexpected exception (already logged), which on the GUI thread is a bug."""
        self._on_failure = callback
        return self

    def shown(self) -> ChangeOp[R]:
        """The initiator shows the result itself (in place): its subscription is not refreshed."""
        self._shown = True
        return self

    # -- running ----------------------------------------------------------------------------------
    def run(self) -> R | None:
        """Run on the GUI thread (a quick write); the op's result, or None if it did not run
        (declined) or failed."""
        if self._question is not None and not self._question.ask(self.parent):
            return None
        op = self.op
        while True:
            try:
                result = op(self.store)
            except NeedsConfirmation as question:
                if self._forced is None:
                    self._failed(question)
                    return None
                op, ask = self._forced
                self._forced = None
                if not ask.ask(self.parent, question.message):
                    self._no()
                    return None
                continue
            except UserError as err:
                self._failed(err)
                return None
            self._succeeded(result)
            return result

    def run_in_background(self, title: str, cancellable: bool = True) -> None:
        """Run `op(task)` on the task runner: the op opens its own store (`task.open_store()`) and
        reports progress through `task`; the rest happens on the GUI thread when it is done."""
        if self.ctx is None:
            raise TypeError("a background op needs the AppContext (its task runner and bus)")
        if self._question is not None and not self._question.ask(self.parent):
            return
        self._start(self.op, title, cancellable)

    def _start(self, job: Callable[[TaskContext], R], title: str, cancellable: bool) -> None:
        assert self.ctx is not None

        def failed(err: BaseException) -> None:
            if isinstance(err, NeedsConfirmation) and self._forced is not None:
                forced, ask = self._forced
                self._forced = None
                if ask.ask(self.parent, err.message):
                    self._start(forced, title, cancellable)
                else:
                    self._no()
            else:
                self._failed(err)       # an unexpected one is logged by the task runner

        self.ctx.tasks.run(self.parent, title, job, self._succeeded, failed, cancellable=cancellable)

    def _no(self) -> None:
        if self._declined is not None:
            self._declined()

    def _failed(self, err: BaseException) -> None:
        if self._on_failure is not None:
            self._on_failure(err)
        elif isinstance(err, UserError):
            messages.show_error(self.parent, err, self.error_title)
        else:
            messages.show_error(self.parent, messages.INTERNAL_ERROR.format(err=err), self.error_title)

    def _succeeded(self, result: R) -> None:
        changes = changes_of(result)
        if changes is not None and self.ctx is not None:
            self.ctx.bus.publish(changes, self.initiator, shown=self._shown)
        if self._on_success is not None:
            self._on_success(result)
