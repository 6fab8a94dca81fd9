"""Several school years in one store (issue 15): «Новый учебный год» closes the current one (its
works, participants and scores read-only, by the use-cases and by the store's triggers), clears the
pupils' year codes; the new lists move pupils up a grade keeping who they are; the pupils no list
names are marked as left; the new year's codes are given afresh."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from coordinator_app.codes import assign_codes, list_participants, set_absent
from coordinator_app.errors import UserError
from coordinator_app.formats.pupil_list import parse_pupil_list as read_pupil_list
from coordinator_app.school import require_school
from coordinator_app.school_years import (
    academic_year_of,
    list_years,
    mark_left,
    not_in_new_lists,
    parse_year,
    start_new_year,
)
from coordinator_app.scoring import score_sheet, set_scores
from coordinator_app.storage import Store
from coordinator_app.students import NeedsConfirmation, import_pupils, list_students
from coordinator_app.works import TaskDef, WorkDef, create_work, delete_work, list_works
from tests.conftest import add_pupils

PUPILS = [("Алексеев", "Артём", "", "4А"), ("Борисова", "Белла", "", "4А"), ("Васильев", "Виктор", "", "4Б"),
          ("Григорьева", "Галина", "", "4Б"), ("Дмитриев", "Денис", "", "11А")]


@pytest.fixture
def last_year(school_store: Store) -> tuple[Store, int]:
    """2025/2026: pupils of 4А, 4Б, 11А; one scored Математика 4."""
    add_pupils(school_store, PUPILS)
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 15), [TaskDef("1", 3)],
                                                   scale=[1, 2, 3], classes=["4А", "4Б"]))
    assign_codes(school_store, work_id)
    set_scores(school_store, work_id, [(p.code, "1", 1) for p in list_participants(school_store, work_id)])
    return school_store, work_id


def _list(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "классы.csv"
    path.write_text("Класс;Фамилия;Имя\n" + "".join(f"{c};{s};{n}\n" for c, s, n in rows), encoding="utf-8")
    return path


def test_a_work_belongs_to_the_school_year_of_its_date() -> None:
    assert academic_year_of(dt.date(2026, 4, 15)) == "2025/2026"
    assert academic_year_of(dt.date(2026, 9, 1)) == "2026/2027"
    assert academic_year_of(dt.date(2026, 8, 31)) == "2025/2026"
    assert parse_year("2026-2027") == parse_year("2026") == "2026/2027"
    with pytest.raises(UserError, match="не распознан"):
        parse_year("2026/2028")


def test_the_new_year_closes_the_old_one_and_clears_the_codes(last_year) -> None:
    store, work_id = last_year
    codes_before = sorted(p.code for p in list_participants(store, work_id))
    result = start_new_year(store)
    assert (result.closed, result.current, result.codes_cleared) == ("2025/2026", "2026/2027", 4)
    assert "Начат учебный год 2026/2027" in result.summary()
    assert require_school(store).academic_year == "2026/2027"
    assert [(y.year, y.current, y.closed, y.works) for y in list_years(store)] == [
        ("2026/2027", True, False, 0), ("2025/2026", False, True, 1)]
    assert all(s.code is None for s in list_students(store))
    assert sorted(p.code for p in list_participants(store, work_id)) == codes_before    # the past keeps its codes
    assert store.one("SELECT * FROM audit_log WHERE action = 'year.start'") is not None


def test_unscored_works_ask_before_the_year_is_closed(school_store) -> None:
    add_pupils(school_store, PUPILS[:2])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 15), [TaskDef("1", 2)],
                                                   classes=["4А"]))
    assign_codes(school_store, work_id)
    with pytest.raises(NeedsConfirmation, match="остались непроверенные работы: Математика, 4 класс"):
        start_new_year(school_store)
    assert require_school(school_store).academic_year == "2025/2026"
    assert start_new_year(school_store, force=True).unfinished == ["Математика, 4 класс, 15.04.2026"]


def test_only_the_next_year_can_be_started(last_year) -> None:
    store, _ = last_year
    with pytest.raises(UserError, match="Следующий учебный год после 2025/2026 — 2026/2027"):
        start_new_year(store, "2027/2028")


def test_a_closed_year_refuses_every_change_in_words(last_year) -> None:
    store, work_id = last_year
    start_new_year(store)
    code = list_participants(store, work_id)[0].code
    for change in (lambda: set_scores(store, work_id, [(code, "1", 2)]),
                   lambda: set_absent(store, work_id, code),
                   lambda: assign_codes(store, work_id),
                   lambda: delete_work(store, work_id, force=True),
                   lambda: create_work(store, WorkDef("Русский язык", 4, dt.date(2026, 4, 20), [TaskDef("1", 1)]))):
        with pytest.raises(UserError, match="Учебный год 2025/2026 закрыт"):
            change()
    assert [r.scores["1"] for r in score_sheet(store, work_id)] == ["1"] * 4


def test_a_direct_write_to_a_closed_year_is_refused_by_the_store(last_year) -> None:
    store, work_id = last_year
    start_new_year(store)
    conn = sqlite3.connect(store.data_dir / "vpr.sqlite3" if (store.data_dir / "vpr.sqlite3").exists()
                           else next(store.data_dir.glob("*.sqlite*")))
    with pytest.raises(sqlite3.IntegrityError, match="closed school year"):
        conn.execute("UPDATE scores SET value = '2'")
    with pytest.raises(sqlite3.IntegrityError, match="closed school year"):
        conn.execute("DELETE FROM participants")
    with pytest.raises(sqlite3.IntegrityError, match="closed school year"):
        conn.execute("UPDATE school_years SET closed_at = NULL")
    conn.close()


def test_the_new_lists_move_pupils_up_keeping_who_they_are(last_year, tmp_path: Path) -> None:
    store, work_id = last_year
    before = {s.surname: s.id for s in list_students(store)}
    start_new_year(store)
    rows = [("5А", "Алексеев", "Артём"), ("5А", "Васильев", "Виктор"),       # 4А → 5А, 4Б → 5А
            ("5Б", "Борисова", "Белла"), ("5Б", "Ершова", "Ева")]              # a newcomer
    result = import_pupils(store, read_pupil_list(_list(tmp_path, rows)))
    assert (result.created, result.moved) == (1, 3)
    now = {s.surname: (s.id, s.class_name) for s in list_students(store)}
    assert now["Алексеев"] == (before["Алексеев"], "5А") and now["Васильев"] == (before["Васильев"], "5А")
    assert now["Борисова"] == (before["Борисова"], "5Б") and "Ершова" in now
    # Григорьева (4Б) and Дмитриев (11А, finished school) are in no new list.
    assert sorted(s.surname for s in not_in_new_lists(store)) == ["Григорьева", "Дмитриев"]
    assert "которых пока нет ни в одном списке нового года: 2" in result.summary()
    mark_left(store, [s.id for s in not_in_new_lists(store)])
    assert sorted(now) != sorted(s.surname for s in list_students(store))
    assert "Григорьева" not in {s.surname for s in list_students(store)}
    assert {s.surname for s in list_students(store, left=True)} == {"Григорьева", "Дмитриев"}
    # The closed year's work still names every participant it had, in the class they were in.
    assert sorted((p.surname, p.class_name) for p in list_participants(store, work_id)) == [
        ("Алексеев", "4А"), ("Борисова", "4А"), ("Васильев", "4Б"), ("Григорьева", "4Б")]


def test_the_new_year_s_codes_start_again_and_may_repeat_last_year_s(last_year, tmp_path: Path) -> None:
    store, old_work = last_year
    old_codes = sorted(p.code for p in list_participants(store, old_work))
    start_new_year(store)
    import_pupils(store, read_pupil_list(_list(tmp_path, [("4А", "Новиков", "Никита"), ("4А", "Орлова", "Ольга"),
                                                          ("5А", "Алексеев", "Артём")])))
    mark_left(store, [s.id for s in not_in_new_lists(store)])      # before the codes: leavers get none
    work_id, _ = create_work(store, WorkDef("Математика", 4, dt.date(2027, 4, 14), [TaskDef("1", 2)],
                                            classes=["4А"]))
    assign_codes(store, work_id)
    new_codes = sorted(p.code for p in list_participants(store, work_id))
    assert new_codes == ["40001", "40002"] and new_codes[0] in old_codes
    assert sorted(p.code for p in list_participants(store, old_work)) == old_codes
    assert [w.work_date.year for w in list_works(store)] == [2026, 2027]


def test_a_same_year_import_never_moves_a_pupil_up(last_year, tmp_path: Path) -> None:
    store, _ = last_year
    before = {s.surname: s.id for s in list_students(store)}
    result = import_pupils(store, read_pupil_list(_list(tmp_path, [("5А", "Алексеев", "Артём")])))
    assert result.created == 1                      # a namesake one grade up, not the 4А pupil
    assert {s.id for s in list_students(store) if s.surname == "Алексеев"} > {before["Алексеев"]}


def test_a_closed_year_s_scans_still_follow_their_retention(school_store, tmp_path: Path) -> None:
    """Closing a year neither keeps its scans longer nor blocks their purge."""
    from coordinator_app.scans.importer import import_scans
    from coordinator_app.scans.pages import assign_page
    from coordinator_app.scans.retention import purge_candidates, purge_work
    from tests.fixtures.scan_pages import plain_page, save_jpeg

    store = school_store
    add_pupils(store, PUPILS[:2])
    work_id, _ = create_work(store, WorkDef("Математика", 4, dt.date.today() - dt.timedelta(days=120),
                                            [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(store, work_id)
    folder = tmp_path / "scans"
    folder.mkdir()
    save_jpeg(plain_page(seed=1), folder / "p.jpg")
    import_scans(store, [folder], workers=1)
    assign_page(store, store.scalar("SELECT id FROM scan_pages"), "40001", work_id)
    store.conn.execute("UPDATE school SET academic_year = ?",
                       [academic_year_of(dt.date.today() - dt.timedelta(days=120))])
    start_new_year(store, force=True)
    assert [c.work.id for c in purge_candidates(store)] == [work_id]
    purge_work(store, work_id)
    assert store.scalar("SELECT COUNT(*) FROM scan_pages") == 0
    assert len(list_participants(store, work_id)) == 2          # the closed year's protocol stays


def test_the_command_line_lists_years_starts_the_next_and_marks_leavers(last_year, tmp_path, capsys) -> None:
    import json

    from coordinator_app.cli import main

    store, _ = last_year
    d = ["--data-dir", str(store.data_dir)]
    set_scores(store, 1, [(list_participants(store, 1)[0].code, "1", "")])      # one work left unscored
    assert main([*d, "new-year"]) == 1
    assert "повторите команду с --force" in capsys.readouterr().err
    assert main([*d, "new-year", "--year", "2026/2027", "--force"]) == 0
    assert "Начат учебный год 2026/2027" in capsys.readouterr().out
    assert main([*d, "--json", "years"]) == 0
    assert [(y["year"], y["closed"]) for y in json.loads(capsys.readouterr().out)] == [
        ("2026/2027", False), ("2025/2026", True)]
    import_pupils(store, read_pupil_list(_list(tmp_path, [("5А", "Алексеев", "Артём")])))
    assert main([*d, "mark-left"]) == 0
    out = capsys.readouterr().out
    assert "Нет ни в одном списке нового года: 4" in out and "Борисова" in out
    assert main([*d, "mark-left", "--apply"]) == 0 and "Отмечены выбывшими: 4" in capsys.readouterr().out
    assert [s.surname for s in list_students(store)] == ["Алексеев"]
    assert main([*d, "list", "works", "--year", "2026/2027"]) == 0 and capsys.readouterr().out.strip() == "Список пуст."
    assert main([*d, "set-score", "--work", "1", "--code", "40001", "--task", "1", "--value", "0"]) == 1
    assert "Учебный год 2025/2026 закрыт" in capsys.readouterr().err


def test_a_closed_year_s_work_takes_no_new_pages(last_year, tmp_path: Path) -> None:
    """A label of last year's work scanned after the year closed is flagged, not filed under it;
    pages cannot be given to it by hand and no scans can be imported into it."""
    from coordinator_app.scans.importer import import_scans
    from coordinator_app.scans.pages import assign_page, queue
    from coordinator_app.works import get_work
    from tests.fixtures.scan_pages import save_jpeg, title_page

    store, work_id = last_year
    work = get_work(store, work_id)
    code = list_participants(store, work_id)[0].code
    start_new_year(store)
    save_jpeg(title_page(code, work_key=work.work_key), tmp_path / "late.jpg")
    report = import_scans(store, [tmp_path / "late.jpg"], workers=1)
    assert (report.identified_qr, report.unassigned) == (0, 1)
    [page] = queue(store, "unassigned")
    assert page.note == f"наклейка работы закрытого учебного года («Математика, 4 класс, 15.04.2026»), код {code}"
    with pytest.raises(UserError, match="Учебный год 2025/2026 закрыт"):
        assign_page(store, page.id, code, work_id)
    with pytest.raises(UserError, match="Учебный год 2025/2026 закрыт"):
        import_scans(store, [tmp_path / "late.jpg"], work_id=work_id, workers=1)
    assert store.scalar("SELECT COUNT(*) FROM scan_pages WHERE participant_id IS NOT NULL") == 0
