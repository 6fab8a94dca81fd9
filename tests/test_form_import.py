"""Import of a filled ФИС ОКО form into a work: all or nothing, problems named by row/column/value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.form_import import import_form
from coordinator_app.scoring import score_sheet
from coordinator_app.works import create_work, work_from_template
from tests.conftest import add_pupils
from tests.fixtures import fisoko_forms

R4 = fisoko_forms.RUSSIAN4_2026_TASKS


@pytest.fixture
def setup(school_store, tmp_path: Path):
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А"),
                              ("Васильев", "Глеб", "", "4Б")])
    template = fisoko_forms.russian4_2026(tmp_path / "template.xlsx")
    defn = work_from_template(template, subject="Русский язык", work_date=dt.date(2026, 4, 21),
                              classes=["4А", "4Б"], scale=[10, 16, 21])
    work_id, _ = create_work(school_store, defn)
    assign_codes(school_store, work_id)
    return school_store, work_id, tmp_path


def _row(code: str, ordinal: int, values: list, variant: str = "1", gender: str = "м", mark: str = "4") -> dict:
    return {"code": code, "variants": {1: variant}, "scores": dict(zip([t for t, _ in R4], values)),
            "class_ordinal": ordinal, "gender": gender, "mark": mark}


FULL = [2, 1, 2, 3, 2, 1, 1, 2, 1, 2, 1, 2, 1, 2, "X"]


def test_a_clean_filled_form_is_imported_exactly(setup) -> None:
    store, work_id, tmp = setup
    form = fisoko_forms.russian4_2026(tmp / "filled.xlsx", filled=[
        _row("40001", 1, FULL, gender="м", mark="5"),
        {"code": "40002", "variants": {1: "отсутствовал"}},
        _row("40003", 2, [0] * 14 + ["Х"], variant="2", gender="ж", mark="3"),
    ])
    result = import_form(store, work_id, form)
    assert (result.rows, result.present, result.absent) == (3, 2, 1)
    rows = {r.code: r for r in score_sheet(store, work_id)}
    assert rows["40001"].total == 23 and rows["40001"].mark == "5" and rows["40001"].scores["12.2"] == "X"
    assert rows["40002"].absent and rows["40002"].status == "absent"
    assert rows["40003"].scores["12.2"] == "X" and rows["40003"].variants == {1: "2"}
    assert (rows["40001"].journal_mark, rows["40003"].gender) == ("5", "ж")


def test_a_form_with_problems_changes_nothing_and_names_row_column_value(setup) -> None:
    store, work_id, tmp = setup
    bad = FULL.copy()
    bad[3] = 7                                  # task 4 has max 3
    form = fisoko_forms.russian4_2026(tmp / "bad.xlsx", filled=[
        _row("40001", 1, FULL), _row("40003", 2, bad), _row("49999", 1, FULL)])
    with pytest.raises(UserError) as err:
        import_form(store, work_id, form)
    details = "\n".join(err.value.details)
    assert "строка 3" in details and "4 (3б)" in details and "«7»" in details
    assert "49999" in details and "нет в протоколе" in details
    assert store.scalar("SELECT COUNT(*) FROM scores") == 0


def test_a_form_whose_codes_differ_from_the_program_s_offers_the_import_of_codes(setup) -> None:
    """The school gave out ФИС ОКО's codes: the file is right, so the advice is to load the codes,
    not to edit the file."""
    store, work_id, tmp = setup
    form = fisoko_forms.russian4_2026(tmp / "fisoko_codes.xlsx", filled=[
        _row("40517", 1, FULL), _row("40622", 1, FULL), _row("40733", 2, FULL)])
    with pytest.raises(UserError) as err:
        import_form(store, work_id, form)
    message = err.value.message
    assert "не совпадают с протоколом работы" in message and "3 из 3" in message
    assert f"import-codes ФАЙЛ_ПРОТОКОЛА --work {work_id}" in message and "Исправьте их в файле" not in message
    assert store.scalar("SELECT COUNT(*) FROM scores") == 0


def test_partly_filled_rows_are_refused_unless_partial_is_asked(setup) -> None:
    store, work_id, tmp = setup
    half = FULL[:7] + [None] * 8
    form = fisoko_forms.russian4_2026(tmp / "half.xlsx", filled=[_row("40001", 1, FULL), _row("40003", 2, half)])
    with pytest.raises(UserError) as err:
        import_form(store, work_id, form)
    assert any("не заполнено" in d for d in err.value.details)
    assert store.scalar("SELECT COUNT(*) FROM scores") == 0
    result = import_form(store, work_id, form, partial=True)
    rows = {r.code: r for r in score_sheet(store, work_id)}
    assert rows["40001"].status == "scored" and rows["40003"].status == "partial"
    assert [rows["40003"].scores[t] for t, _ in R4][:8] == ["2", "1", "2", "3", "2", "1", "1", None]
    assert result.present == 2


def test_a_class_ordinal_that_contradicts_the_protocol_is_refused(setup) -> None:
    store, work_id, tmp = setup
    form = fisoko_forms.russian4_2026(tmp / "ord.xlsx", filled=[_row("40001", 2, FULL)])
    with pytest.raises(UserError) as err:
        import_form(store, work_id, form)
    assert "класса 4А (№ 1)" in "\n".join(err.value.details)


def test_a_form_numbering_whole_classes_otherwise_offers_its_numbers_and_takes_them(setup) -> None:
    from coordinator_app.classes import list_classes
    from coordinator_app.form_import import ClassNumbersDiffer

    store, work_id, tmp = setup
    # ФИС ОКО numbers 4Б as 1 and 4А as 2: every row of each class agrees
    form = fisoko_forms.russian4_2026(tmp / "swap.xlsx", filled=[
        _row("40001", 2, FULL), _row("40002", 2, FULL), _row("40003", 1, FULL)])
    with pytest.raises(ClassNumbersDiffer) as err:
        import_form(store, work_id, form)
    assert "4А — № 2 (в программе № 1)" in err.value.message and "Принять номера из формы" in err.value.message
    assert store.scalar("SELECT COUNT(*) FROM scores") == 0
    result = import_form(store, work_id, form, take_form_class_numbers=True)
    assert {c.name: c.ordinal for c in list_classes(store, grade=4)} == {"4А": 2, "4Б": 1}
    assert "Приняты номера классов из формы: 4А — № 2, 4Б — № 1." in result.summary()
    assert store.scalar("SELECT COUNT(*) FROM scores") > 0


def test_the_textbooks_of_a_filled_classes_sheet_are_taken(setup) -> None:
    from coordinator_app.attachments import textbooks

    store, work_id, tmp = setup
    books = fisoko_forms.default_textbooks(4)
    form = fisoko_forms.russian4_2026(tmp / "books.xlsx", filled=[_row("40001", 1, FULL), _row("40003", 2, FULL)],
                                      class_textbooks={1: books[1], 2: books[3]})
    result = import_form(store, work_id, form)
    names = {r["id"]: f"{r['grade']}{r['letter']}" for r in store.query("SELECT id, grade, letter FROM classes")}
    assert {names[c]: b for c, b in textbooks(store, work_id).items()} == {"4А": books[1], "4Б": books[3]}
    assert "Учебники из листа «Классы»: 2" in result.summary()


def test_a_form_of_another_work_is_refused(setup) -> None:
    store, work_id, tmp = setup
    other = fisoko_forms.english8_2026(tmp / "eng.xlsx")
    with pytest.raises(UserError, match="не подходит к работе"):
        import_form(store, work_id, other)


def test_reimport_overwrites_with_audit_and_cli(setup, capsys) -> None:
    from coordinator_app.cli import main

    store, work_id, tmp = setup
    first = fisoko_forms.russian4_2026(tmp / "a.xlsx", filled=[_row("40001", 1, FULL)])
    import_form(store, work_id, first)
    second = fisoko_forms.russian4_2026(tmp / "b.xlsx", filled=[_row("40001", 1, [0] + FULL[1:])])
    assert main(["--data-dir", str(store.data_dir), "--json", "import-form", str(second), "--work", str(work_id)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cells_changed"] == 1 and report["not_in_form"] == ["40002", "40003"]
    changes = [e["details"] for e in store.query("SELECT details FROM audit_log WHERE action = 'score.set'")]
    assert any('"old": "2", "new": "0"' in d for d in changes)
