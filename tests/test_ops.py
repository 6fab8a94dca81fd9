"""`ui.ops.ChangeOp`, the one way the GUI runs a use-case: confirmation, errors, the question a
use-case asks (`NeedsConfirmation`), the background, and the change published with its initiator
(the initiator refreshed at once, or not at all when it has shown the change itself; the other
pages when visible, else once when shown). And the message recorder every test runs with."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from coordinator_app.changes import Changes, Topic
from coordinator_app.errors import UserError
from coordinator_app.students import NeedsConfirmation
from tests._gui_helpers import UnexpectedDialog


@pytest.fixture
def ctx(qtbot, store, data_dir):
    from ui.bus import ChangeBus
    from ui.context import AppContext
    from ui.tasks import TaskRunner

    return AppContext(store=store, bus=ChangeBus(), tasks=TaskRunner(data_dir, "тест"), data_dir=data_dir)


@pytest.fixture
def pages(qtbot, ctx):
    """Two pages showing «works»: `mine` (shown, runs the ops) and `other` (hidden)."""
    seen: dict[str, list[frozenset[str]]] = {"mine": [], "other": []}
    mine, other = QWidget(), QWidget()
    for widget in (mine, other):
        qtbot.addWidget(widget)
    mine.show()
    ctx.bus.subscribe(mine, {Topic.WORKS}, lambda c: seen["mine"].append(c.topics))
    other_sub = ctx.bus.subscribe(other, {Topic.WORKS}, lambda c: seen["other"].append(c.topics))
    return mine, other, other_sub, seen


def test_a_change_refreshes_its_initiator_at_once_and_the_hidden_pages_when_shown(pages, ctx) -> None:
    from ui.ops import ChangeOp

    mine, other, other_sub, seen = pages
    results = []
    assert ChangeOp(ctx, mine, lambda store: Changes.of(Topic.WORKS)).success(results.append).run() == Changes.of(Topic.WORKS)
    assert results == [Changes.of(Topic.WORKS)] and seen["mine"] == [frozenset({"works"})]
    assert seen["other"] == [] and other_sub.stale
    other.show()
    assert seen["other"] == [frozenset({"works"})]


def test_a_change_shown_in_place_does_not_refresh_its_initiator(pages, ctx) -> None:
    from ui.ops import ChangeOp

    mine, other, other_sub, seen = pages
    ChangeOp(ctx, mine, lambda store: (7, Changes.of(Topic.WORKS))).shown().run()
    assert seen["mine"] == [] and other_sub.stale


def test_declined_confirmation_runs_nothing(pages, ctx, messages) -> None:
    from ui.ops import ChangeOp

    mine, _other, _sub, seen = pages
    ran = []
    messages.answer(False)
    assert ChangeOp(ctx, mine, lambda store: ran.append(1) or Changes.of(Topic.WORKS)) \
        .confirm("Удалить?", destructive=True).run() is None
    assert ran == [] and messages.asked == ["Удалить?"] and seen["mine"] == []


def test_a_user_error_is_shown_and_nothing_published(pages, ctx, messages) -> None:
    from ui.ops import ChangeOp

    mine, _other, other_sub, seen = pages

    def refuse(store):
        raise UserError("Так нельзя.")

    assert ChangeOp(ctx, mine, refuse).run() is None
    assert messages.errors == ["Так нельзя."] and seen["mine"] == [] and not other_sub.stale
    inline: list[str] = []
    ChangeOp(ctx, mine, refuse).failure(lambda err: inline.append(str(err))).run()
    assert inline == ["Так нельзя."] and messages.errors == ["Так нельзя."]     # not in a box this time


def test_the_question_of_a_use_case_is_asked_and_the_forced_op_runs_on_yes(pages, ctx, messages) -> None:
    from ui.ops import ChangeOp

    mine, _other, _sub, seen = pages

    def careful(store):
        raise NeedsConfirmation("У работы есть баллы. Всё равно удалить?")

    declined: list[bool] = []
    messages.answer(False, True)
    op = ChangeOp(ctx, mine, careful).if_asked(lambda store: Changes.of(Topic.WORKS),
                                               declined=lambda: declined.append(True))
    assert op.run() is None and declined == [True] and seen["mine"] == []
    assert ChangeOp(ctx, mine, careful).if_asked(lambda store: Changes.of(Topic.WORKS)).run() == Changes.of(Topic.WORKS)
    assert messages.asked == ["У работы есть баллы. Всё равно удалить?"] * 2 and seen["mine"] == [frozenset({"works"})]


def test_background_op_publishes_and_reports_errors(pages, ctx, messages, monkeypatch) -> None:
    from ui.ops import ChangeOp
    from ui.tasks import TaskRunner

    monkeypatch.setattr(TaskRunner, "synchronous", True)
    mine, _other, _sub, seen = pages
    done = []
    ChangeOp(ctx, mine, lambda task: ("файл", Changes.of(Topic.WORKS))).success(done.append).run_in_background("Запись")
    assert done == [("файл", Changes.of(Topic.WORKS))] and seen["mine"] == [frozenset({"works"})]

    def broken(task):
        raise RuntimeError("сломалось")

    ChangeOp(ctx, mine, broken).run_in_background("Запись")
    assert messages.errors == ["Внутренняя ошибка программы: сломалось\nПодробности записаны в журнал."]


def test_a_question_nobody_answered_fails_the_test_instead_of_waiting(messages) -> None:
    from ui import messages as ui_messages

    with pytest.raises(UnexpectedDialog, match="Удалить всё"):
        ui_messages.confirm(None, "Удалить всё?")
    assert messages.unexpected == ["Удалить всё?"]
    messages.unexpected.clear()             # expected here: the fixture would fail the test for it
    assert messages.always(True) and ui_messages.confirm(None, "Ещё раз?")
