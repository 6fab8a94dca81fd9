"""Expert mode holds outside the window (issue 11): the command line sees it, refuses what shows or
exports names and what only the coordinator does, and wrong PINs slow down across restarts."""

from __future__ import annotations

import datetime as dt

import pytest

from coordinator_app.access import (
    FREE_TRIES,
    PinLocked,
    expert_mode,
    pin_wait,
    set_expert_mode,
    set_pin,
    verify_pin,
)
from coordinator_app.cli import main
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.storage import Store, open_store
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils


@pytest.fixture
def expert_store(school_store: Store) -> Store:
    add_pupils(school_store, [("Абрамов", "Кирилл", "Олегович", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date.today(), [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(school_store, work_id)
    set_pin(school_store, "2468")
    set_expert_mode(school_store, True)
    return school_store


def run(store: Store, *argv: str, capsys) -> tuple[int, str, str]:
    code = main(["--data-dir", str(store.data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [
    ["list", "students"], ["list", "participants", "--work", "1"], ["protocol", "--work", "1", "--out", "p.pdf"],
    ["backup", "--out", "b", "--no-password"], ["set-retention", "--days", "1"], ["purge-expired"], ["import-form", "--work", "1", "f.xlsx"],
    ["second-check", "settle", "--work", "1", "--code", "40001", "--task", "1", "--value", "1"],
    ["add-work", "--date", "2026-04-21", "--subject", "История", "--grade", "4", "--tasks", "1:1"],
])
def test_commands_of_the_coordinator_refuse_in_expert_mode_without_the_pin(expert_store, argv, capsys, tmp_path,
                                                                         monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(expert_store, *argv, capsys=capsys)
    assert code == 1 and "Включён режим эксперта" in err and "--pin" in err
    assert "Абрамов" not in out + err and not (tmp_path / "p.pdf").exists()


def test_the_pin_opens_a_command_and_a_wrong_one_does_not(expert_store, capsys) -> None:
    code, out, err = run(expert_store, "list", "students", "--pin", "1111", capsys=capsys)
    assert code == 1 and "Неверный PIN" in err and "Абрамов" not in out
    code, out, _ = run(expert_store, "list", "students", "--pin", "2468", capsys=capsys)
    assert code == 0 and "Абрамов" in out
    assert expert_mode(expert_store)                        # one command, not the mode, was let through


def test_an_expert_still_scores_from_the_command_line(expert_store, capsys) -> None:
    code, out, _ = run(expert_store, "set-score", "--work", "1", "--code", "40001", "--task", "1", "--value", "2",
                       capsys=capsys)
    assert code == 0
    code, out, _ = run(expert_store, "scores", "--work", "1", capsys=capsys)
    assert code == 0 and "40001" in out and "Абрамов" not in out


def test_expert_mode_is_switched_and_the_pin_set_from_the_command_line(school_store, capsys) -> None:
    code, out, _ = run(school_store, "expert-mode", "on", capsys=capsys)
    assert code == 0 and "включён" in out and "PIN координатора не задан" in out
    code, out, _ = run(school_store, "set-pin", "--pin", "2468", capsys=capsys)
    assert code == 0
    code, _, err = run(school_store, "set-pin", "--pin", "1357", capsys=capsys)
    assert code == 1 and "--old-pin" in err
    code, _, err = run(school_store, "expert-mode", "off", capsys=capsys)
    assert code == 1 and "Неверный PIN" in err
    code, out, _ = run(school_store, "expert-mode", "off", "--pin", "2468", capsys=capsys)
    assert code == 0 and "выключен" in out
    code, out, _ = run(school_store, "set-pin", "--pin", "1357", "--old-pin", "2468", capsys=capsys)
    assert code == 0
    actions = [r["action"] for r in school_store.query("SELECT action FROM audit_log ORDER BY id")]
    assert "expert_mode.on" in actions and "expert_mode.off" in actions and "pin.failed" in actions


def test_wrong_pins_slow_down_and_the_wait_survives_a_restart(expert_store) -> None:
    now = dt.datetime(2026, 4, 21, 10, 0, 0)
    for _ in range(FREE_TRIES - 1):
        assert verify_pin(expert_store, "0000", now=now) is False
    assert pin_wait(expert_store, now=now) == 0                     # four wrong tries: no wait yet
    assert verify_pin(expert_store, "0000", now=now) is False      # the fifth: 30 s
    assert pin_wait(expert_store, now=now) == 30
    with pytest.raises(PinLocked, match="через 30 секунд"):
        verify_pin(expert_store, "2468", now=now)                   # even the right PIN waits
    again = open_store(expert_store.data_dir)                       # a restart
    assert pin_wait(again, now=now + dt.timedelta(seconds=10)) == 20
    later = now + dt.timedelta(seconds=31)
    assert verify_pin(again, "0000", now=later) is False            # the sixth: twice as long
    assert pin_wait(again, now=later) == 60
    assert verify_pin(again, "2468", now=later + dt.timedelta(seconds=61)) is True
    assert pin_wait(again) == 0                                     # the right PIN resets the count
    failed = again.query("SELECT details FROM audit_log WHERE action = 'pin.failed'")
    assert len(failed) == FREE_TRIES + 1


def test_leaving_expert_mode_needs_the_pin(expert_store) -> None:
    with pytest.raises(UserError, match="Неверный PIN"):
        set_expert_mode(expert_store, False, "1111")
    assert expert_mode(expert_store)
    set_expert_mode(expert_store, False, "2468")
    assert not expert_mode(expert_store)


def test_the_pin_dialog_shows_the_wait_and_takes_no_pin_meanwhile(qtbot, expert_store) -> None:
    from ui.expert_mode import PinDialog

    for _ in range(FREE_TRIES):
        verify_pin(expert_store, "0000")
    dialog = PinDialog(expert_store)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Слишком много неверных попыток" in dialog.error.text() and "секунд" in dialog.error.text()
    assert not dialog.ok_button.isEnabled() and not dialog.pin.isEnabled()
