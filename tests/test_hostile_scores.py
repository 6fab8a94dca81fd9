"""Anything typed or pasted as a score — 5000 digits, control characters, huge numbers — gets the
usual Russian refusal, short and printable, never a traceback: the domain rule, a pasted range, the
CLI `set-score`, the score grid's check and the filled-form reader."""

from __future__ import annotations

import datetime as dt

import pytest

from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.formats.fisoko.filled import normalize_score
from coordinator_app.scoring import normalize_value, score_sheet, set_score, set_scores
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

TASK = TaskDef("1", 2)
HOSTILE = {
    "5000 digits": "1" * 5000,
    "5000 digits as a number": 10 ** 5000,
    "a huge negative number": -(10 ** 5000),
    "a huge float": 1e308,
    "infinity": float("inf"),
    "not a number": float("nan"),
    "a NUL after a digit": "2\x00",
    "a bell": "\x07",
    "escape sequences": "\x1b[2J1",
    "a right-to-left override": "\u202e1",
}


def _printable_and_short(message: str) -> None:
    assert len(message) < 300
    assert not any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch == "\u202e" for ch in message)


@pytest.mark.parametrize("raw", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_value_gets_the_usual_refusal(raw) -> None:
    with pytest.raises(UserError) as caught:
        normalize_value(raw, TASK, allows_not_passed=False)
    message = caught.value.message
    assert message.startswith("Задание 1: ")
    assert "больше максимума 2" in message or "не балл. Допустимо: целое от 0 до 2" in message
    _printable_and_short(message)


def test_leading_zeros_are_still_a_score() -> None:
    assert normalize_value("0" * 5000 + "2", TASK, allows_not_passed=False) == "2"


@pytest.fixture
def work_id(school_store) -> int:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    wid, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date(2026, 4, 21), [TASK], classes=["4А"]))
    assign_codes(school_store, wid)
    return wid


def test_a_pasted_range_with_5000_digits_names_the_cell_briefly(school_store, work_id) -> None:
    with pytest.raises(UserError) as caught:
        set_scores(school_store, work_id, [("40001", "1", "1" * 5000), ("40001", "1", "\x00")])
    assert len(caught.value.details) == 2
    for line in caught.value.details:
        _printable_and_short(line)
    assert caught.value.details[0].startswith("код 40001, задание 1, значение «1111")
    assert score_sheet(school_store, work_id)[0].scores["1"] is None


def test_cli_set_score_refuses_5000_digits_in_russian(school_store, work_id, capsys) -> None:
    from coordinator_app.cli import main

    code = main(["--data-dir", str(school_store.data_dir), "set-score", "--work", str(work_id), "--code", "40001",
                 "--task", "1", "--value", "9" * 5000])
    err = capsys.readouterr().err
    assert code == 1 and "Задание 1: 9999" in err and "больше максимума 2" in err and "Traceback" not in err
    with pytest.raises(UserError, match="не балл"):
        set_score(school_store, work_id, "40001", "1", "1\x1b")


@pytest.mark.parametrize("raw", ["1" * 5000, "9" * 400, "1" * 20 + ",0"])
def test_the_form_reader_says_over_the_maximum_for_a_long_number(raw: str) -> None:
    with pytest.raises(ValueError, match="^больше максимума 2$"):
        normalize_score(raw, 2, allows_not_passed=False)


def test_a_filled_form_cell_of_5000_digits_is_named_briefly(tmp_path) -> None:
    from tests.fixtures.fisoko_forms import russian4_2026
    from tests.test_filled_form import ROWS, RUSSIAN, _russian_row, read

    form = read(russian4_2026(tmp_path / "bad.xlsx", rows=ROWS, filled=[_russian_row(scores={"1": "1" * 5000})]),
                RUSSIAN)
    assert len(form.problems) == 1
    problem = form.problems[0]
    assert problem.reason == "больше максимума 2" and problem.value == "1" * 39 + "…"
    _printable_and_short(problem.text())
