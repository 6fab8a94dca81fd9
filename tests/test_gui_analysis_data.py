"""The analysis's data in the GUI (issue 14): the work dialog's level, «развёрнутый ответ» and
requirement columns and its task-description import; the thresholds and reference-rows dialogs,
opened from «Работы», fitting 1366×728; read-only for an expert."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableWidgetItem

from coordinator_app import references, thresholds
from coordinator_app.task_info import set_task
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests._gui_helpers import wait_settled
from tests.test_gui_fit import _outside


@pytest.fixture
def work_id(school_store) -> int:
    work, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 21),
                                                [TaskDef(str(i), 2 if i > 3 else 1) for i in range(1, 8)]))
    return work


@pytest.fixture
def window(qtbot, school_store, data_dir: Path, work_id):
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    return win


def _dialog(qtbot, window, work_id=None, mode="manual"):
    from ui.dialogs.work_dialog import WorkDialog

    work = get_work(window.ctx.store, work_id) if work_id else None
    dialog = WorkDialog(window.ctx, mode=mode, work=work, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_a_new_work_is_saved_with_its_tasks_levels_and_requirements(qtbot, window) -> None:
    from ui.dialogs.work_dialog import LEVEL_COL, OPEN_COL, REQUIREMENT_COL

    dialog = _dialog(qtbot, window)
    dialog.subject.setCurrentText("История")
    dialog.add_task.click()
    dialog.tasks.cellWidget(0, LEVEL_COL).setCurrentText("П")
    dialog.tasks.cellWidget(0, OPEN_COL).setCurrentText("да")
    dialog.tasks.setItem(0, REQUIREMENT_COL, QTableWidgetItem("Работа с исторической картой"))
    dialog.accept()
    assert dialog.error.text() == ""
    task = get_work(window.ctx.store, dialog.created_id).tasks[0]
    assert (task.level, task.open_answer, task.requirement) == ("П", True, "Работа с исторической картой")
    assert get_work(window.ctx.store, dialog.created_id).tasks[1].level is None


def test_an_existing_work_s_descriptions_are_edited_but_not_its_maxima(qtbot, window, work_id) -> None:
    from PySide6.QtCore import Qt

    from ui.dialogs.work_dialog import LEVEL_COL, MAX_COL, REQUIREMENT_COL

    set_task(window.ctx.store, work_id, "2", level="Б", requirement="Счёт")
    dialog = _dialog(qtbot, window, work_id)
    assert dialog.tasks.cellWidget(1, LEVEL_COL).currentText() == "Б"
    assert dialog.tasks.item(1, REQUIREMENT_COL).text() == "Счёт"
    assert not dialog.tasks.item(0, MAX_COL).flags() & Qt.ItemFlag.ItemIsEditable
    assert dialog.tasks.item(0, REQUIREMENT_COL).flags() & Qt.ItemFlag.ItemIsEditable
    dialog.tasks.cellWidget(1, LEVEL_COL).setCurrentText("—")
    dialog.tasks.cellWidget(6, LEVEL_COL).setCurrentText("В")
    dialog.tasks.item(1, REQUIREMENT_COL).setText("Устный счёт")
    dialog.accept()
    assert dialog.error.text() == ""
    tasks = get_work(window.ctx.store, work_id).tasks
    assert (tasks[1].level, tasks[1].requirement, tasks[6].level) == (None, "Устный счёт", "В")


def test_the_task_description_file_fills_the_table_or_says_which_rows_are_wrong(qtbot, window, work_id,
                                                                                  tmp_path: Path) -> None:
    from ui.dialogs.work_dialog import LEVEL_COL, OPEN_COL, REQUIREMENT_COL

    dialog = _dialog(qtbot, window, work_id)
    bad = tmp_path / "bad.csv"
    bad.write_text("Задание;Проверяемое умение;Уровень\n1;Счёт;Б\n9;Лишнее;Б\n", encoding="utf-8")
    dialog.load_task_file(bad)
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=10000)
    assert "строка 3: задания «9» в работе нет" in dialog.error.text()
    assert dialog.tasks.item(0, REQUIREMENT_COL).text() == ""
    good = tmp_path / "good.csv"
    good.write_text("Задание;Проверяемое умение;Уровень;Развёрнутый ответ\n1;Счёт;Б;нет\n7;Задача;В;да\n",
                    encoding="utf-8")
    dialog.load_task_file(good)
    qtbot.waitUntil(lambda: dialog.tasks.item(6, REQUIREMENT_COL).text() == "Задача", timeout=10000)
    assert dialog.error.text() == "" and "2 строки" in dialog.source_note.text()
    assert dialog.tasks.cellWidget(6, OPEN_COL).currentText() == "да"
    assert get_work(window.ctx.store, work_id).tasks[6].level is None        # saved only with the work
    dialog.accept()
    assert get_work(window.ctx.store, work_id).tasks[6].level == "В"
    assert dialog.tasks.cellWidget(0, LEVEL_COL) is not None


def test_thresholds_are_changed_reset_and_exchanged_in_their_dialog(qtbot, window, tmp_path: Path, messages) -> None:
    from ui.dialogs.thresholds_dialog import SOURCE, STATE, VALUE, ThresholdsDialog

    dialog = ThresholdsDialog(window.ctx, parent=window)
    qtbot.addWidget(dialog)
    row = [t.key for t in dialog.items].index("basic_red")
    dialog.table.item(row, VALUE).setText("55,5")
    dialog.table.item(row, SOURCE).setText("Приказ УО № 5")
    dialog.save()
    assert "Сохранено порогов: 1" in dialog.message.text()
    assert thresholds.values(window.ctx.store)["basic_red"] == 55.5
    assert dialog.table.item(row, STATE).text() == "изменено"
    dialog.table.item(row, VALUE).setText("сто")
    dialog.save()
    assert "нужно число" in dialog.message.text() and thresholds.values(window.ctx.store)["basic_red"] == 55.5
    dialog.reload()
    dialog.export_to(tmp_path / "пороги")
    assert json.loads((tmp_path / "пороги.json").read_text(encoding="utf-8"))["format"] == thresholds.FILE_FORMAT
    dialog.table.selectRow(row)
    dialog.reset_selected()
    assert thresholds.values(window.ctx.store)["basic_red"] == 57
    dialog.import_from(tmp_path / "пороги.json")
    assert dialog.table.item(row, STATE).text() == "изменено муниципалитетом"
    messages.answer(True)
    dialog.reset_all()
    assert not any(t.changed for t in thresholds.list_thresholds(window.ctx.store))
    assert messages.asked and "Вернуть все пороги" in messages.asked[0]


def test_reference_rows_are_entered_in_their_dialog(qtbot, window, work_id, messages) -> None:
    from ui.dialogs.reference_dialog import ReferenceDialog

    dialog = ReferenceDialog(window.ctx, work_id, parent=window)
    qtbot.addWidget(dialog)
    assert "пока нет" in dialog.summary.text()
    dialog.year.setValue(2025)
    for mark, value in zip("2345", ("13,4", "44,2", "36,3", "6,1")):
        dialog.marks[mark].setText(value)
    dialog.not_confirmed.setText("39")
    dialog.mean.setText("58,3")
    dialog.tasks.item(0, 1).setText("71,5")
    dialog.source.setText("Аналитика ФИС ОКО")
    dialog.save()
    assert "Сохранено: регион" in dialog.message.text() and "регион (2025)" in dialog.summary.text()
    row = references.list_references(window.ctx.store, work_id)[0]
    assert (row.scope, row.year, row.marks["3"], row.tasks, row.not_confirmed, row.mean_pct) == (
        "region", 2025, 44.2, {"1": 71.5}, 39, 58.3)
    dialog.marks["5"].setText("60")
    dialog.save()
    assert "в сумме" in dialog.message.text()
    dialog.marks["5"].setText("сто")
    dialog.save()
    assert "нужен процент" in dialog.message.text()
    messages.answer(True)
    dialog.clear()
    assert references.list_references(window.ctx.store, work_id) == []


def test_the_works_page_opens_both_dialogs_and_they_fit_the_screen(qtbot, window, work_id, monkeypatch) -> None:
    from ui.dialogs.reference_dialog import ReferenceDialog
    from ui.dialogs.thresholds_dialog import ThresholdsDialog

    page = window.pages["Работы"]
    window.nav.setCurrentRow(window.pages.specs["Работы"][0])
    wait_settled(qtbot, page)
    assert page.thresholds_button.isEnabled() and not page.references_button.isEnabled()
    page.table.selectRow(0)
    assert page.references_button.isEnabled() and "уровень указан у 0 из 7" in page.details.text()
    assert _outside(window) == []
    opened = []
    monkeypatch.setattr(ThresholdsDialog, "exec", lambda self: opened.append(self) or 0)
    monkeypatch.setattr(ReferenceDialog, "exec", lambda self: opened.append(self) or 0)
    page.edit_thresholds()
    page.edit_references()
    assert [type(d).__name__ for d in opened] == ["ThresholdsDialog", "ReferenceDialog"]
    for dialog in [*opened, _dialog(qtbot, window, work_id)]:
        dialog.show()
        qtbot.waitExposed(dialog)
        assert _outside(dialog) == [], type(dialog).__name__
        dialog.reject()


def test_an_expert_sees_the_thresholds_and_references_but_cannot_change_them(qtbot, window, work_id) -> None:
    from ui.dialogs.reference_dialog import ReferenceDialog
    from ui.dialogs.thresholds_dialog import ThresholdsDialog

    window.ctx.expert_mode = True
    thresholds_dialog = ThresholdsDialog(window.ctx, parent=window)
    reference_dialog = ReferenceDialog(window.ctx, work_id, parent=window)
    for dialog in (thresholds_dialog, reference_dialog):
        qtbot.addWidget(dialog)
        assert "только координатор" in dialog.message.text()
    assert not thresholds_dialog.save_button.isEnabled() and not thresholds_dialog.import_button.isEnabled()
    assert thresholds_dialog.export_button.isEnabled()
    assert not reference_dialog.save_button.isEnabled() and reference_dialog.marks["2"].isReadOnly()
