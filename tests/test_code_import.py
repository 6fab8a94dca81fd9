"""Codes that already exist — ФИС ОКО's paper protocol (.docx) or a code list (.xlsx, .csv) —
imported as the pupils' codes or as a work's protocol (issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import openpyxl
import pytest

from coordinator_app.codes import apply_code_import, assign_codes, list_participants, preview_code_import
from coordinator_app.errors import UserError
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

PUPILS = [("Иванов", "Иван", "Петрович", "7А"), ("Алёшина", "Мария", "Сергеевна", "7А"),
          ("Петров", "Пётр", "", "7Б"), ("Петров", "Пётр", "", "7Б"),          # namesakes in one class
          ("Сидорова", "Анна", "Ивановна", "7В")]


def paper_protocol(path: Path, rows: list[tuple[str, str]], klass: str = "7 «Б» класс") -> Path:
    """The ФИС ОКО paper protocol: a title, the class above the table, «№ | Код участника | ФИО»."""
    document = docx.Document()
    document.add_paragraph("Протокол проведения ВПР. Математика")
    document.add_paragraph(f"Класс: {klass}")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("№", "Код участника", "ФИО", "Примечание")):
        cell.text = text
    for n, (code, name) in enumerate(rows, start=1):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = str(n), code, name
    document.add_paragraph("Организатор в аудитории ______________")
    document.save(str(path))
    return path


@pytest.fixture
def pupils(school_store) -> None:
    add_pupils(school_store, PUPILS)


def test_a_paper_protocol_in_word_gives_the_pupils_exactly_its_codes(school_store, pupils, tmp_path: Path) -> None:
    path = paper_protocol(tmp_path / "протокол.docx", [("70517", "Петров Пётр"), ("70522", "ПЕТРОВ ПЕТР")])
    plan = preview_code_import(school_store, path)
    assert plan.ok, [r.text() for r in plan.problems]
    assert [(r.code, r.pupil) for r in plan.rows] == [("70517", "Петров Пётр, 7Б"), ("70522", "Петров Пётр, 7Б")]
    assert plan.rows[0].student_id != plan.rows[1].student_id          # namesakes by order
    apply_code_import(school_store, plan)
    codes = {r["code"] for r in school_store.query("SELECT code FROM students WHERE surname = 'Петров'")}
    assert codes == {"70517", "70522"}


def test_an_xlsx_list_with_separate_name_columns_and_class_makes_a_work_s_protocol(school_store, pupils,
                                                                                  tmp_path: Path) -> None:
    work_id, _ = create_work(school_store, WorkDef("Математика", 7, dt.date(2026, 4, 21), [TaskDef("1", 1)],
                                                   classes=["7А", "7В"]))
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Список кодов ВПР"])
    ws.append(["Код", "Фамилия", "Имя", "Отчество", "Класс"])
    ws.append([70101, "Иванов", "Иван", "Петрович", "7-а"])
    ws.append([70355, "алешина", "мария", "сергеевна", "7А"])           # ё = е, any case
    ws.append([70990, "Сидорова", "Анна", "Ивановна", "7 В"])
    book.save(tmp_path / "codes.xlsx")
    plan = preview_code_import(school_store, tmp_path / "codes.xlsx", work_id)
    assert plan.ok, [r.text() for r in plan.problems]
    apply_code_import(school_store, plan)
    got = {(p.code, p.class_name) for p in list_participants(school_store, work_id)}
    assert got == {("70101", "7А"), ("70355", "7А"), ("70990", "7В")}   # ranges need not be contiguous


def test_every_problem_is_named_and_nothing_is_written(school_store, pupils, tmp_path: Path) -> None:
    csv = tmp_path / "коды.csv"
    csv.write_text("Код участника;ФИО;Класс\n70101;Иванов Иван Петрович;7А\n7010;Сидорова Анна;7В\n"
                   "70102;Неизвестный Ученик;7А\n70101;Алешина Мария Сергеевна;7А\n60123;Сидорова Анна;7В\n",
                   encoding="cp1251")
    plan = preview_code_import(school_store, csv)
    problems = {r.row: r.problem for r in plan.problems}
    assert "пять цифр" in problems["файл, строка 3"]
    assert "такого ученика нет" in problems["файл, строка 4"]
    assert "код 70101 уже есть в строке файл, строка 2" in problems["файл, строка 5"]
    assert "не подходит для 7 класса" in problems["файл, строка 6"]
    with pytest.raises(UserError, match="Коды не импортированы"):
        apply_code_import(school_store, plan)
    assert school_store.scalar("SELECT COUNT(*) FROM students WHERE code IS NOT NULL") == 0


def test_codes_under_which_scores_exist_are_not_changed(school_store, pupils, tmp_path: Path) -> None:
    from coordinator_app.scoring import set_score

    work_id, _ = create_work(school_store, WorkDef("Математика", 7, dt.date(2026, 4, 21), [TaskDef("1", 1)],
                                                   classes=["7А"]))
    assign_codes(school_store, work_id)
    old = school_store.scalar("SELECT p.code FROM participants p JOIN students s ON s.id = p.student_id "
                              "WHERE s.surname = 'Иванов'")
    set_score(school_store, work_id, old, "1", "1")
    path = paper_protocol(tmp_path / "p.docx", [("70777", "Иванов Иван Петрович")], klass="7 «А» класс")
    plan = preview_code_import(school_store, path)
    assert not plan.ok and f"баллы или сканы под кодом {old}" in plan.problems[0].problem


def test_cli_import_codes_dry_run_then_for_real(school_store, pupils, tmp_path: Path, capsys) -> None:
    from coordinator_app.cli import main

    path = paper_protocol(tmp_path / "p.docx", [("70517", "Петров Пётр"), ("70522", "Петров Пётр")])
    base = ["--data-dir", str(school_store.data_dir)]
    assert main([*base, "import-codes", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "все сопоставлены" in out and "ничего не изменено" in out
    assert school_store.scalar("SELECT COUNT(*) FROM students WHERE code IS NOT NULL") == 0
    assert main([*base, "import-codes", str(path)]) == 0
    assert "Коды записаны: 2 (годовые коды учеников)." in capsys.readouterr().out
    bad = tmp_path / "нет.txt"
    bad.write_text("просто текст", encoding="utf-8")
    assert main([*base, "import-codes", str(bad)]) == 1
    assert "не найдена таблица кодов" in capsys.readouterr().err


def test_namesakes_are_told_apart_by_the_date_of_birth_from_the_pupil_list(school_store, tmp_path: Path,
                                                                            capsys) -> None:
    """«Дата рождения» of the pupil list is kept; where two pupils of a class share a ФИО the
    protocol and the lists show it."""
    from coordinator_app.cli import main
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.students import import_pupils, namesake_birth_dates
    from tests.pdf_helpers import page_texts

    rows = "Фамилия;Имя;Отчество;Класс;Дата рождения\n" \
           "Петров;Пётр;Ильич;7Б;12.03.2013\nПетров;Пётр;Ильич;7Б;2013-11-05\nСидорова;Анна;;7Б;31.02.2013\n"
    pupils = tmp_path / "list.csv"
    pupils.write_text(rows, encoding="utf-8")
    parsed = parse_pupil_list(pupils)
    assert [r.birth_date for r in parsed.rows] == ["2013-03-12", "2013-11-05", None]
    assert any("дата рождения «31.02.2013» не распознана" in w for w in parsed.rows[2].warnings)
    import_pupils(school_store, parsed)
    assert sorted(namesake_birth_dates(school_store).values()) == ["05.11.2013", "12.03.2013"]
    work_id, _ = create_work(school_store, WorkDef("Математика", 7, dt.date(2026, 4, 21), [TaskDef("1", 1)],
                                                   classes=["7Б"]))
    assign_codes(school_store, work_id)
    base = ["--data-dir", str(school_store.data_dir)]
    assert main([*base, "list", "participants", "--work", str(work_id)]) == 0
    out = capsys.readouterr().out
    assert "Петров Пётр Ильич (д. р. 12.03.2013)" in out and "Сидорова Анна (д. р." not in out
    assert main([*base, "protocol", "--work", str(work_id), "--out", str(tmp_path / "p.pdf")]) == 0
    text = " ".join(" ".join(page_texts(tmp_path / "p.pdf")).split())
    assert "(д. р. 12.03.2013)" in text and "(д. р. 05.11.2013)" in text


def test_namesakes_carry_their_date_of_birth_in_the_pages_that_list_pupils(qtbot, school_store, data_dir: Path,
                                                                           tmp_path: Path) -> None:
    """«Коды и протокол», «Сканы» and «Журнал и пол» tell two Петров Пётр Ильич of 7Б apart."""
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.students import import_pupils
    from tests._gui_helpers import wait_settled
    from ui.main_window import MainWindow

    pupils = tmp_path / "list.csv"
    pupils.write_text("Фамилия;Имя;Отчество;Класс;Дата рождения\nПетров;Пётр;Ильич;7Б;12.03.2013\n"
                      "Петров;Пётр;Ильич;7Б;05.11.2013\nСидорова;Анна;;7Б;01.02.2013\n", encoding="utf-8")
    import_pupils(school_store, parse_pupil_list(pupils))
    work_id, _ = create_work(school_store, WorkDef("Математика", 7, dt.date(2026, 4, 21), [TaskDef("1", 1)],
                                                   classes=["7Б"]))
    assign_codes(school_store, work_id)
    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    for title in ("Коды и протокол", "Сканы", "Проверка"):
        win.go_to_step(win.pages.specs[title][0])
        wait_settled(qtbot, win)
    codes = win.pages["Коды и протокол"].model
    fio = [codes.data(codes.index(r, 2)) for r in range(codes.rowCount())]
    assert sorted(f for f in fio if f.startswith("Петров")) == ["Петров Пётр Ильич (д. р. 05.11.2013)",
                                                               "Петров Пётр Ильич (д. р. 12.03.2013)"]
    assert "Сидорова Анна" in fio                          # no namesake: no date
    scans = win.pages["Сканы"]
    assert sorted(n for n in scans.names.values() if n.startswith("Петров")) == [
        "Петров Пётр (д. р. 05.11.2013)", "Петров Пётр (д. р. 12.03.2013)"]
    journal = win.pages["Проверка"].journal_tab.model
    assert sum("(д. р. " in name for name in journal.names.values()) == 2
