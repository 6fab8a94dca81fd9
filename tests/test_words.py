"""Russian numerals agree with their count everywhere a count is printed."""

from __future__ import annotations

import pytest

from coordinator_app.words import counted, days, works


@pytest.mark.parametrize("count, text", [
    (0, "0 дней"), (1, "1 день"), (2, "2 дня"), (4, "4 дня"), (5, "5 дней"), (11, "11 дней"), (12, "12 дней"),
    (14, "14 дней"), (21, "21 день"), (22, "22 дня"), (90, "90 дней"), (101, "101 день"), (111, "111 дней"),
])
def test_days(count: int, text: str) -> None:
    assert days(count) == text


def test_works_and_any_word() -> None:
    assert [works(n) for n in (1, 3, 12, 21)] == ["1 работа", "3 работы", "12 работ", "21 работа"]
    assert counted(23, "ученик", "ученика", "учеников") == "23 ученика"


def test_the_retention_period_reads_right_for_one_day(school_store) -> None:
    import datetime as dt

    from coordinator_app.errors import UserError
    from coordinator_app.scans.retention import check_deletable, set_retention
    from coordinator_app.works import TaskDef, WorkDef, create_work, get_work

    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 21), [TaskDef("1", 1)]))
    work = get_work(school_store, work_id)
    for count, words in ((1, "хранятся 1 день с даты"), (91, "хранятся 91 день с даты"), (3, "хранятся 3 дня с даты")):
        set_retention(school_store, count, "")
        with pytest.raises(UserError, match=words):
            check_deletable(school_store, work, today=dt.date(2026, 4, 21))
