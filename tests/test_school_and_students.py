"""School details and pupils: validation, hand edits, moves, deletion, import and re-import."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_app import audit
from coordinator_app.classes import add_class, delete_class, list_classes, set_ordinal
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.formats.pupil_list import parse_pupil_list
from coordinator_app.school import School, get_school, save_school
from coordinator_app.students import (
    NeedsConfirmation,
    add_student,
    delete_student,
    import_pupils,
    list_students,
    move_student,
    update_student,
)
from tests.conftest import add_pupils
from tests.fixtures.pupil_lists import journal_export_xlsx, xlsx_from_rows


def test_school_login_and_year_are_checked_with_every_problem_listed(store) -> None:
    with pytest.raises(UserError) as err:
        save_school(store, School(name="  ", login="school1", academic_year="2025/2027"))
    text = str(err.value)
    assert "название школы" in text and "sch123456" in text and "2025/2026" in text
    assert get_school(store) is None


def test_school_is_saved_normalised_and_audited(store) -> None:
    save_school(store, School(name=" МБОУ  СОШ № 1 ", login=" SCH123456 ", academic_year="2025-2026"))
    school = get_school(store)
    assert school == School(name="МБОУ СОШ № 1", login="sch123456", municipality="", academic_year="2025/2026",
                            director="")
    assert audit.entries(store)[0]["action"] == "school.create"


def test_classes_get_ordinals_by_letter_and_hand_set_ones_win(store) -> None:
    add_class(store, "4 б")
    add_class(store, "4-а")
    add_class(store, "4В")
    assert [(c.name, c.ordinal) for c in list_classes(store)] == [("4А", 1), ("4Б", 2), ("4В", 3)]
    set_ordinal(store, list_classes(store)[2].id, 1)
    assert [(c.name, c.ordinal) for c in list_classes(store)] == [("4А", 2), ("4Б", 3), ("4В", 1)]
    with pytest.raises(UserError, match="уже у класса 4В"):
        set_ordinal(store, list_classes(store)[0].id, 1)
    with pytest.raises(UserError, match="уже есть"):
        add_class(store, "4a")


def test_a_class_with_pupils_cannot_be_deleted(store) -> None:
    add_pupils(store, [("Иванов", "Иван", "", "5А")])
    class_id = list_classes(store)[0].id
    with pytest.raises(UserError, match="есть ученики"):
        delete_class(store, class_id)


def test_pupil_added_by_hand_is_normalised(store) -> None:
    student_id, changes = add_student(store, "  римский-корсаков ", "НИКОЛАЙ", "андреевич", "5 а", "Мужской")
    assert changes.touches("students")
    s = list_students(store)[0]
    assert (s.id, s.surname, s.name, s.patronymic, s.class_name, s.gender) == (
        student_id, "Римский-Корсаков", "Николай", "Андреевич", "5А", "м")


def test_pupil_without_name_or_with_bad_class_is_refused(store) -> None:
    with pytest.raises(UserError, match="Укажите имя"):
        add_student(store, "Иванов", " ", "", "5А")
    with pytest.raises(UserError, match="4–11|от 4 до 11"):
        add_student(store, "Иванов", "Иван", "", "3А")
    assert list_students(store) == []


def test_audit_of_pupil_changes_never_holds_names(store) -> None:
    (sid,) = add_pupils(store, [("Зайцева", "Ева", "Романовна", "5А")])
    update_student(store, sid, surname="Волкова", name="Ева", patronymic="Романовна", gender="ж")
    text = str(store.query("SELECT details FROM audit_log"))
    assert "Зайцева" not in text and "Волкова" not in text
    assert audit.entries(store, entity="students")[0]["details"]["changed"]["surname"] == "изменено"


def test_moving_within_the_grade_keeps_the_code(grade4) -> None:
    assign_codes(grade4)
    pupil = next(s for s in list_students(grade4) if s.surname == "Яковлев")
    move_student(grade4, pupil.id, "4А")
    moved = next(s for s in list_students(grade4) if s.surname == "Яковлев")
    assert (moved.class_name, moved.code) == ("4А", pupil.code)


def test_moving_a_pupil_with_a_used_code_to_another_grade_is_refused(grade4) -> None:
    import datetime as dt

    from coordinator_app.works import TaskDef, WorkDef, create_work

    work_id, _ = create_work(grade4, WorkDef("Математика", 4, dt.date(2026, 4, 21), [TaskDef("1", 1)], classes=["4А"]))
    assign_codes(grade4, work_id)
    pupil = next(s for s in list_students(grade4) if s.surname == "Абрамов")
    with pytest.raises(UserError, match="уже участвует в работах"):
        move_student(grade4, pupil.id, "5А")


def test_deleting_a_pupil_in_a_protocol_needs_confirmation(grade4) -> None:
    import datetime as dt

    from coordinator_app.works import TaskDef, WorkDef, create_work

    work_id, _ = create_work(grade4, WorkDef("Математика", 4, dt.date(2026, 4, 21), [TaskDef("1", 1)], classes=["4А"]))
    assign_codes(grade4, work_id)
    pupil = next(s for s in list_students(grade4) if s.surname == "Абрамов")
    with pytest.raises(NeedsConfirmation, match="протоколы работ"):
        delete_student(grade4, pupil.id)
    assert any(s.id == pupil.id for s in list_students(grade4))
    delete_student(grade4, pupil.id, force=True)
    assert all(s.id != pupil.id for s in list_students(grade4))
    assert grade4.scalar("SELECT COUNT(*) FROM participants WHERE student_id = ?", [pupil.id]) == 0


def test_import_then_reimport_updates_instead_of_duplicating(store, tmp_path: Path) -> None:
    path = journal_export_xlsx(tmp_path)
    first = import_pupils(store, parse_pupil_list(path))
    count = len(list_students(store))
    assert first.created == count > 0
    again = import_pupils(store, parse_pupil_list(path))
    assert (again.created, again.unchanged) == (0, count)
    assert len(list_students(store)) == count


def _list(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    return xlsx_from_rows(tmp_path / name, {"Лист1": [["Фамилия", "Имя", "Отчество", "Класс", "Пол"], *rows]})


def test_reimport_moves_a_pupil_between_classes_and_keeps_namesakes_apart(store, tmp_path: Path) -> None:
    import_pupils(store, parse_pupil_list(_list(tmp_path, "a.xlsx", [
        ["Иванов", "Иван", "Иванович", "5А", "м"],
        ["Иванов", "Иван", "Иванович", "5А", "м"],
        ["Петрова", "Анна", "", "5А", "ж"],
        ["Сидоров", "Олег", "", "5Б", ""],
    ])))
    assign_codes(store)
    codes_before = {(s.surname, s.class_name, s.code) for s in list_students(store)}
    result = import_pupils(store, parse_pupil_list(_list(tmp_path, "b.xlsx", [
        ["Иванов", "Иван", "Иванович", "5А", "м"],
        ["Иванов", "Иван", "Иванович", "5А", "м"],
        ["Петрова", "Анна", "", "5Б", "ж"],      # moved to 5Б
        ["Сидоров", "Олег", "", "5Б", "м"],      # gender filled in
        ["Новикова", "Вера", "", "5Б", "ж"],     # new
    ])))
    assert (result.created, result.moved, result.updated, result.unchanged) == (1, 1, 1, 2)
    students = list_students(store)
    assert len(students) == 5
    petrova = next(s for s in students if s.surname == "Петрова")
    assert petrova.class_name == "5Б"
    assert (("Петрова", "5А", petrova.code)) in codes_before  # code kept
    assert next(s for s in students if s.surname == "Сидоров").gender == "м"


def test_a_list_with_a_bad_row_is_refused_whole(store, tmp_path: Path) -> None:
    parsed = parse_pupil_list(_list(tmp_path, "bad.xlsx", [
        ["Иванов", "Иван", "", "5А", "м"],
        ["", "Пётр", "", "5А", "м"],
    ]))
    with pytest.raises(UserError, match="строк с ошибками — 1"):
        import_pupils(store, parsed)
    assert list_students(store) == []
