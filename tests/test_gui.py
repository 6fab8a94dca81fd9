"""The GUI as a coordinator uses it: wizard, import with preview, a work from a template, codes, PDFs.

Runs offscreen (conftest). Message boxes are replaced by recorders so that nothing blocks.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coordinator_app.codes import list_participants
from coordinator_app.school import get_school
from coordinator_app.students import list_students
from coordinator_app.works import list_works
from tests._gui_helpers import wait_settled
from tests.fixtures import fisoko_forms
from tests.fixtures.pupil_lists import problem_rows_xlsx, xlsx_from_rows

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def said(messages) -> list[str]:
    """Every message a dialog would show; confirmations are answered «yes»."""
    return messages.always(True).said


@pytest.fixture
def window(qtbot, school_store, data_dir: Path, said):
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    return win


def _list_file(tmp_path: Path) -> Path:
    return xlsx_from_rows(tmp_path / "journal.xlsx", {"4А": [
        ["Список класса"], ["Класс: 4А"], [],
        ["№", "Фамилия", "Имя", "Отчество", "Пол"],
        [1, "Орлова", "Вера", "Павловна", "Женский"],
        [2, "Соколов", "Илья", "", "Мужской"],
        [3, "Ёжиков", "Пётр", "Ильич", "м"],
    ]})


def test_first_run_wizard_saves_the_school_and_refuses_a_bad_login(qtbot, store) -> None:
    from ui.wizard import FirstRunWizard

    wizard = FirstRunWizard(store)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    form = wizard.school_page.form
    form.name.setText("МБОУ СОШ № 3")  # QTest types ASCII only
    qtbot.keyClicks(form.login, "school-3")
    wizard.next()
    assert "sch123456" in wizard.school_page.error.text()
    assert wizard.currentPage() is wizard.school_page
    form.login.setText("sch654321")
    wizard.next()
    wizard.accept()
    assert get_school(store).login == "sch654321"


def test_main_window_shows_the_steps_and_switches_with_the_keyboard(qtbot, window) -> None:
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["1. Школа", "2. Классы и ученики", "3. Работы", "4. Коды и протокол", "5. Сканы", "6. Проверка",
                      "7. Выгрузка", "8. Анализ"]
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages["Работы"]
    assert "МБОУ СОШ № 7" in window.school_label.text()


def test_import_preview_then_import_fills_the_pupils_table(qtbot, window, tmp_path: Path) -> None:
    from ui.dialogs.import_students import ImportStudentsDialog

    dialog = ImportStudentsDialog(window.ctx, window, path=_list_file(tmp_path))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.parsed is not None, timeout=10000)
    assert dialog.model.rowCount() == 3
    assert "готовы к импорту: 3" in dialog.summary.text()
    assert dialog.import_button.isEnabled()
    dialog.do_import()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=10000)
    page = window.pages["Классы и ученики"]
    assert page.model.rowCount() == 3
    surnames = {page.model.record(i).surname for i in range(page.model.rowCount())}
    assert surnames == {"Орлова", "Соколов", "Ёжиков"}
    assert "Все классы (3)" in page.class_list.item(0).text()


def test_a_list_with_errors_is_shown_but_cannot_be_imported(qtbot, window, tmp_path: Path) -> None:
    from ui.dialogs.import_students import ImportStudentsDialog

    dialog = ImportStudentsDialog(window.ctx, window, path=problem_rows_xlsx(tmp_path))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.parsed is not None, timeout=10000)
    assert not dialog.import_button.isEnabled()
    assert "с ошибками" in dialog.summary.text()
    dialog.only_bad.setChecked(True)
    assert 0 < dialog.proxy.rowCount() <= dialog.model.rowCount()
    assert list_students(window.ctx.store) == []


def test_an_unreadable_file_gets_a_message_in_the_dialog(qtbot, window, tmp_path: Path) -> None:
    from ui.dialogs.import_students import ImportStudentsDialog

    fake = tmp_path / "old.xls"
    fake.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    dialog = ImportStudentsDialog(window.ctx, window, path=fake)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: ".xlsx" in dialog.summary.text(), timeout=10000)
    assert not dialog.import_button.isEnabled()


def test_search_finds_pupils_by_name_with_yo_as_ye(qtbot, window, tmp_path: Path) -> None:
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.students import import_pupils

    window.ctx.publish(import_pupils(window.ctx.store, parse_pupil_list(_list_file(tmp_path))).changes)
    page = window.pages["Классы и ученики"]
    page.search.setText("ежиков")  # QTest types ASCII only
    assert page.proxy.rowCount() == 1
    assert page.proxy.record_at(0).surname == "Ёжиков"


def _work_via_dialog(qtbot, window, tmp_path: Path) -> int:
    from coordinator_app.formats.pupil_list import parse_pupil_list
    from coordinator_app.students import import_pupils
    from ui.dialogs.work_dialog import WorkDialog

    window.ctx.publish(import_pupils(window.ctx.store, parse_pupil_list(_list_file(tmp_path))).changes)
    dialog = WorkDialog(window.ctx, mode="template", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load_template(fisoko_forms.russian4_2026(tmp_path / "form.xlsx"))
    qtbot.waitUntil(lambda: dialog.tasks.rowCount() == 15, timeout=10000)
    assert "максимум 24" in dialog.source_note.text()
    dialog.subject.setCurrentText("Русский язык")
    dialog.date.setDate(dt.date(2026, 4, 21))
    dialog.classes.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.scale_known.setChecked(True)
    for box, value in zip(dialog.scale, (10, 16, 21)):
        box.setValue(value)
    dialog.accept()
    assert dialog.error.text() == ""
    window.ctx.publish(dialog.changes)
    return dialog.created_id


def test_work_from_a_template_appears_in_the_works_table(qtbot, window, tmp_path: Path) -> None:
    work_id = _work_via_dialog(qtbot, window, tmp_path)
    work = list_works(window.ctx.store)[0]
    assert (work.id, work.subject, work.max_total, work.scale) == (work_id, "Русский язык", 24, [10, 16, 21])
    assert [n for _, n in work.classes] == ["4А"]
    page = window.pages["Работы"]
    wait_settled(qtbot, page)
    assert page.model.rowCount() == 1
    page.table.selectRow(0)
    assert "максимум 24" in page.details.text() and "9.1 (1 б.)" in page.details.text()


def test_manual_work_with_a_duplicated_task_is_refused_in_the_dialog(qtbot, window) -> None:
    from PySide6.QtWidgets import QTableWidgetItem

    from ui.dialogs.work_dialog import WorkDialog

    dialog = WorkDialog(window.ctx, mode="manual", parent=window)
    qtbot.addWidget(dialog)
    dialog.subject.setCurrentText("Математика")
    dialog.add_task.click()
    dialog.tasks.setItem(1, 0, QTableWidgetItem("1"))
    dialog.accept()
    assert "указано дважды" in dialog.error.text()
    assert list_works(window.ctx.store) == []


def test_codes_absence_and_printing_from_the_codes_page(qtbot, window, tmp_path: Path, monkeypatch, said) -> None:
    import ui.context

    opened: list[Path] = []
    monkeypatch.setattr(ui.context, "open_path", lambda p: opened.append(p) or True)
    work_id = _work_via_dialog(qtbot, window, tmp_path)
    page = window.pages["Коды и протокол"]
    page.select_work(work_id)
    wait_settled(qtbot, page)
    assert "Выдать коды" in page.status.text()
    page.assign()
    assert any("Выдано новых кодов: 3" in m for m in said)
    wait_settled(qtbot, page)
    assert [page.model.record(i).code for i in range(page.model.rowCount())] == ["40001", "40002", "40003"]

    absent_col = 4
    index = page.proxy.index(1, absent_col)
    page.proxy.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert [p.code for p in list_participants(window.ctx.store, work_id) if p.absent] == [page.proxy.record_at(1).code]
    wait_settled(qtbot, page)
    assert "отсутствовали: 1" in page.status.text()

    out = tmp_path / "labels.pdf"
    page.print_document("labels", out)
    qtbot.waitUntil(lambda: opened == [out], timeout=20000)
    assert out.read_bytes().startswith(b"%PDF")
    assert "100 %" in page.status.text()


def test_table_models_pass_qt_model_checks(qtbot, window, tmp_path: Path, qtmodeltester) -> None:
    _work_via_dialog(qtbot, window, tmp_path)
    wait_settled(qtbot, window)
    qtmodeltester.check(window.pages["Классы и ученики"].model)
    qtmodeltester.check(window.pages["Работы"].model)


def test_smoke_test_of_the_installed_program() -> None:
    result = subprocess.run([sys.executable, "-m", "ui", "--smoke-test"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert result.returncode == 0, result.stderr
    assert "smoke test: ok" in result.stdout
    assert "Traceback" not in result.stderr


def test_second_instance_on_the_same_data_dir_exits_cleanly(qtbot, data_dir: Path, messages) -> None:
    from coordinator_app.storage.lock import DataDirLock
    from ui.app import run_gui

    with DataDirLock(data_dir):
        assert run_gui(str(data_dir)) == 0
    assert messages.informed and "уже открыт" in messages.informed[0]


def test_qt_own_texts_are_russian(qapp) -> None:
    """Qt's built-in buttons and menus speak Russian, whatever the system's language."""
    from PySide6.QtWidgets import QLineEdit, QMessageBox

    from ui.app import install_russian_qt

    assert install_russian_qt(qapp) == ["qtbase"]
    box = QMessageBox(QMessageBox.Icon.Question, "Вопрос", "Удалить?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel)
    assert {b.text().replace("&", "") for b in box.buttons()} == {"Да", "Нет", "Отмена"}
    box.setDetailedText("подробности")
    details = [b.text() for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.ActionRole]
    assert details and details[0].startswith("Показать подробности"), details
    field = QLineEdit()
    menu = field.createStandardContextMenu()
    entries = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert "Копировать" in " ".join(entries) and "Copy" not in " ".join(entries), entries


def test_the_work_dialog_sets_and_edits_the_pages_of_a_participant_s_work(qtbot, window) -> None:
    from PySide6.QtWidgets import QTableWidgetItem

    from coordinator_app.works import get_work
    from ui.dialogs.work_dialog import WorkDialog

    dialog = WorkDialog(window.ctx, mode="manual", parent=window)
    qtbot.addWidget(dialog)
    dialog.subject.setCurrentText("Математика")
    dialog.tasks.setItem(0, 0, QTableWidgetItem("1"))
    assert dialog.pages.value() == 0 and dialog.pages.text().startswith("не задано")
    dialog.pages.setValue(4)
    dialog.accept()
    assert dialog.error.text() == "" and get_work(window.ctx.store, dialog.created_id).pages_per_work == 4
    edit = WorkDialog(window.ctx, work=get_work(window.ctx.store, dialog.created_id), parent=window)
    qtbot.addWidget(edit)
    assert edit.pages.value() == 4
    edit.pages.setValue(0)                                         # back to «не задано»
    edit.accept()
    assert get_work(window.ctx.store, dialog.created_id).pages_per_work is None


def test_codes_from_a_paper_protocol_are_imported_from_the_codes_page(qtbot, window, tmp_path: Path, said) -> None:
    from coordinator_app.codes import list_participants
    from tests.test_code_import import paper_protocol

    work_id = _work_via_dialog(qtbot, window, tmp_path)
    page = window.pages["Коды и протокол"]
    page.select_work(work_id)
    wait_settled(qtbot, page)
    pupils = window.ctx.store.query("SELECT surname, name, patronymic FROM students ORDER BY id")
    rows = [(str(40500 + 7 * i), f"{p['surname']} {p['name']} {p['patronymic']}".strip()) for i, p in enumerate(pupils)]
    protocol = paper_protocol(tmp_path / "протокол.docx", rows, klass="4 «А» класс")
    page.import_codes(protocol)
    qtbot.waitUntil(lambda: any("Коды записаны" in m for m in said), timeout=20000)
    assert any("все сопоставлены" in m for m in said)                       # the preview was shown first
    assert sorted(p.code for p in list_participants(window.ctx.store, work_id)) == sorted(c for c, _ in rows)
    qtbot.waitUntil(lambda: page.model.rowCount() == len(rows), timeout=10000)
    bad = paper_protocol(tmp_path / "чужой.docx", [("40999", "Незнакомов Незнакомец")], klass="4 «А» класс")
    page.import_codes(bad)
    qtbot.waitUntil(lambda: any("такого ученика нет" in m for m in said), timeout=20000)
