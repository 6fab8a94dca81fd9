"""Works (validation, template, catalogue) and participant codes (ranges, order, overrides, absence)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coordinator_app import settings
from coordinator_app.catalogue import get_entry, load_catalogue
from coordinator_app.codes import (
    assign_codes,
    distribute_variants,
    list_participants,
    set_absent,
    set_student_code,
    set_variant,
)
from coordinator_app.errors import UserError
from coordinator_app.fsutil import sha256_file
from coordinator_app.students import delete_student, list_students
from coordinator_app.works import (
    TaskDef,
    WorkDef,
    create_work,
    get_work,
    mark_for,
    parse_tasks_spec,
    update_work,
    validate_work,
    work_from_template,
)
from tests.conftest import add_pupils
from tests.fixtures import fisoko_forms

DATE = dt.date(2026, 4, 21)


def test_tasks_spec_understands_all_id_styles_and_two_parts() -> None:
    tasks = parse_tasks_spec("1:2, 9.1:1, 8(1):2, 4K1:3 | 10:1")
    assert [(t.task_id, t.max_score, t.part) for t in tasks] == [
        ("1", 2, 1), ("9.1", 1, 1), ("8(1)", 2, 1), ("4К1", 3, 1), ("10", 1, 2)]
    with pytest.raises(UserError, match="9.1:2"):
        parse_tasks_spec("1:2,9.1")


def test_work_validation_lists_every_problem() -> None:
    defn = WorkDef("Математика", 4, DATE, [TaskDef("1", 2), TaskDef("1", 1), TaskDef("2", 0)], scale=[5, 4, 30])
    with pytest.raises(UserError) as err:
        validate_work(defn)
    details = "\n".join(err.value.details)
    assert "«1» указано дважды" in details
    assert "должен быть положительным" in details
    assert "должны возрастать" in details
    assert "больше максимального балла" in details


def test_mark_follows_the_scale() -> None:
    scale = [10, 16, 21]
    assert [mark_for(scale, s) for s in (0, 9, 10, 15, 16, 20, 21, 24)] == ["2", "2", "3", "3", "4", "4", "5", "5"]
    assert mark_for(None, 12) is None


def test_work_from_a_two_part_template_keeps_the_file(school_store, tmp_path: Path) -> None:
    add_pupils(school_store, [("Иванов", "Иван", "", "7А")])
    form = fisoko_forms.geography7_2025(tmp_path / "geo.xlsx")
    defn = work_from_template(form, subject="География", work_date=DATE, classes=["7А"], scale=[5, 10, 15])
    work_id, _ = create_work(school_store, defn)
    work = get_work(school_store, work_id)
    assert (work.grade, work.parts, len(work.tasks), work.max_total) == (7, 2, 17, 19)
    assert [t.task_id for t in work.tasks if t.part == 2][0] == "10"
    assert work.has_gender and work.has_classes_sheet
    kept = school_store.path(work.template_file)
    assert sha256_file(kept) == sha256_file(form)


def test_template_for_another_grade_is_refused(school_store, tmp_path: Path) -> None:
    form = fisoko_forms.english8_2026(tmp_path / "eng.xlsx")
    with pytest.raises(UserError, match="8 класс"):
        work_from_template(form, subject="Английский язык", work_date=DATE, grade=7)


def test_english_template_has_criteria_ids_and_no_gender(school_store, tmp_path: Path) -> None:
    defn = work_from_template(fisoko_forms.english8_2026(tmp_path / "eng.xlsx"), subject="Английский язык", work_date=DATE)
    assert [t.task_id for t in defn.tasks][-4:] == ["4К1", "4К2", "4К3", "4К4"]
    assert defn.max_total == 25 and not defn.has_gender


def test_catalogue_entries_are_valid_work_definitions() -> None:
    assert {e.id for e in load_catalogue()} >= {"rus4-2026", "eng8-2026", "geo7-2025"}
    for entry in load_catalogue():
        validate_work(entry.to_definition(DATE))
    rus = get_entry("rus4-2026")
    assert (rus.max_total, rus.scale) == (24, (10, 16, 21))
    with pytest.raises(UserError, match="rus4-2026"):
        get_entry("nope")


def test_work_with_an_unknown_class_is_refused_and_nothing_is_kept(school_store) -> None:
    with pytest.raises(UserError, match="Классов 4В нет"):
        create_work(school_store, WorkDef("Математика", 4, DATE, [TaskDef("1", 1)], classes=["4В"]))
    assert school_store.scalar("SELECT COUNT(*) FROM works") == 0


def test_codes_are_contiguous_per_class_in_class_and_name_order(grade4) -> None:
    result = assign_codes(grade4)
    assert result.assigned == 5
    by_class = [(s.class_name, s.surname, s.code) for s in list_students(grade4)]
    assert by_class == [
        ("4А", "Абрамов", "40001"), ("4А", "Борисова", "40002"), ("4А", "Ёлкин", "40003"),
        ("4Б", "Андреева", "40004"), ("4Б", "Яковлев", "40005"),
    ]
    assert result.by_class == {"4А": ("40001", "40003"), "4Б": ("40004", "40005")}


def test_codes_never_change_and_late_pupils_get_codes_after_the_last(grade4) -> None:
    assign_codes(grade4)
    before = {s.id: s.code for s in list_students(grade4)}
    add_pupils(grade4, [("Аверин", "Павел", "", "4А")])
    assign_codes(grade4)
    after = {s.id: s.code for s in list_students(grade4)}
    assert all(after[i] == c for i, c in before.items())
    assert sorted(set(after.values()) - set(before.values())) == ["40006"]


def test_a_deleted_pupils_code_is_never_given_again(grade4) -> None:
    assign_codes(grade4)
    last = max(list_students(grade4), key=lambda s: s.code)
    delete_student(grade4, last.id)
    add_pupils(grade4, [("Новиков", "Лев", "", "4Б")])
    assign_codes(grade4)
    assert next(s for s in list_students(grade4) if s.surname == "Новиков").code == "40006"


def test_manual_code_override_checks_format_range_and_duplicates(grade4) -> None:
    assign_codes(grade4)
    pupil = list_students(grade4)[0]
    with pytest.raises(UserError, match="пять цифр"):
        set_student_code(grade4, pupil.id, "4001")
    with pytest.raises(UserError, match="40001–49999"):
        set_student_code(grade4, pupil.id, "50001")
    with pytest.raises(UserError, match="уже выдан"):
        set_student_code(grade4, pupil.id, "40002")
    set_student_code(grade4, pupil.id, "40100")
    add_pupils(grade4, [("Новиков", "Лев", "", "4Б")])
    assign_codes(grade4)
    assert next(s for s in list_students(grade4) if s.surname == "Новиков").code == "40101"


def test_a_manual_code_in_full_width_digits_is_refused_as_the_form_and_the_qr_would(grade4) -> None:
    """«４０００７» looks like a code and Python's isdigit says so, but no form, label or ФИС ОКО
    takes it: it is refused when typed, not later at the export."""
    assign_codes(grade4)
    pupil = list_students(grade4)[0]
    with pytest.raises(UserError, match="пять цифр"):
        set_student_code(grade4, pupil.id, "４０１００")
    assert next(s for s in list_students(grade4) if s.id == pupil.id).code == pupil.code


def test_work_participants_absence_and_variants(grade4) -> None:
    work_id, _ = create_work(grade4, WorkDef("Русский язык", 4, DATE, [TaskDef("1", 2)], classes=["4А", "4Б"]))
    result = assign_codes(grade4, work_id)
    assert result.participants_added == 5
    assert assign_codes(grade4, work_id).participants_added == 0   # idempotent
    set_absent(grade4, work_id, "40002")
    distribute_variants(grade4, work_id)
    set_variant(grade4, work_id, "40005", 1, "1")
    people = {p.code: p for p in list_participants(grade4, work_id)}
    assert people["40002"].absent and not people["40001"].absent
    assert [people[c].variants[1] for c in ("40001", "40002", "40003", "40004", "40005")] == ["1", "2", "1", "1", "1"]
    set_absent(grade4, work_id, "40002", absent=False)
    assert not {p.code: p for p in list_participants(grade4, work_id)}["40002"].absent
    with pytest.raises(UserError, match="нет участника с кодом 49999"):
        set_absent(grade4, work_id, "49999")
    with pytest.raises(UserError, match="номер варианта"):
        set_variant(grade4, work_id, "40001", 1, "вариант А")


def test_per_work_numbering_when_one_code_per_year_is_off(grade4) -> None:
    settings.set_value(grade4, "one_code_per_year", False)
    w1, _ = create_work(grade4, WorkDef("Русский язык", 4, DATE, [TaskDef("1", 2)], classes=["4А"]))
    w2, _ = create_work(grade4, WorkDef("Математика", 4, DATE, [TaskDef("1", 2)], classes=["4А", "4Б"]))
    assign_codes(grade4, w1)
    assign_codes(grade4, w2)
    assert [p.code for p in list_participants(grade4, w1)] == ["40001", "40002", "40003"]
    assert [p.code for p in list_participants(grade4, w2)] == ["40001", "40002", "40003", "40004", "40005"]
    assert all(s.code is None for s in list_students(grade4))
    with pytest.raises(UserError, match="укажите работу"):
        assign_codes(grade4)


def test_a_work_without_classes_or_pupils_gets_a_clear_message(school_store) -> None:
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, DATE, [TaskDef("1", 2)]))
    with pytest.raises(UserError, match="не выбраны классы"):
        assign_codes(school_store, work_id)


def test_classes_with_codes_cannot_leave_the_work(grade4) -> None:
    work_id, _ = create_work(grade4, WorkDef("Русский язык", 4, DATE, [TaskDef("1", 2)], classes=["4А", "4Б"]))
    assign_codes(grade4, work_id)
    with pytest.raises(UserError, match="4Б"):
        update_work(grade4, work_id, classes=["4А"])
    update_work(grade4, work_id, scale=None, subject="Русский язык (основной срок)")
    assert get_work(grade4, work_id).subject == "Русский язык (основной срок)"
