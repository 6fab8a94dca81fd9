"""School years in the window (issue 15): «Новый учебный год» from the menu, the year chosen in one
place above the steps filters every page's works, a past year is shown with a read-only banner and
refuses changes in words, last year's pupils not in the new lists are confirmed as left."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_app.formats.pupil_list import parse_pupil_list
from coordinator_app.students import import_pupils, list_students
from tests._gui_helpers import wait_settled
from tests.test_school_years import _list, last_year  # noqa: F401 - the fixture

WORKS, STUDENTS, CODES, SCORING = 2, 1, 3, 5


@pytest.fixture
def window(qtbot, last_year, data_dir: Path):  # noqa: F811 - the fixture imported above
    from ui.main_window import MainWindow

    store, _ = last_year
    win = MainWindow(store, data_dir)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(WORKS)
    wait_settled(qtbot, win)
    return win


def _works_shown(qtbot, win) -> int:
    page = win.pages["Работы"]
    wait_settled(qtbot, page)
    return page.proxy.rowCount()


def test_the_new_year_is_started_from_the_menu_and_last_year_stays_browsable(qtbot, window, messages, shots) -> None:
    assert window.year_box.currentText() == "2025/2026 (текущий)" and window.year_banner.isHidden()
    assert _works_shown(qtbot, window) == 1
    messages.answer(True)
    window.start_new_year()
    assert "Начать учебный год 2026/2027?" in messages.asked[0]
    assert "Начат учебный год 2026/2027" in messages.informed[-1]
    assert window.year_box.currentText() == "2026/2027 (текущий)"
    assert [window.year_box.itemText(i) for i in range(window.year_box.count())] == [
        "2026/2027 (текущий)", "2025/2026 (закрыт)"]
    assert _works_shown(qtbot, window) == 0
    window.choose_year("2025/2026")
    assert _works_shown(qtbot, window) == 1
    assert window.year_banner.isVisible() and "учебный год закрыт" in window.year_banner.text()
    window.grab().save(str(shots / "past_year.png"))
    page = window.pages["Работы"]
    page.table.selectRow(0)
    assert not page.edit_button.isEnabled() and not page.delete_button.isEnabled()
    messages.answer(True)
    page.delete_work()                          # reached some other way, the store still says no
    assert "Учебный год 2025/2026 закрыт" in messages.errors[-1]
    assert _works_shown(qtbot, window) == 1


def test_a_closed_year_s_scores_and_codes_are_shown_but_cannot_be_changed(qtbot, window, last_year, messages,  # noqa: F811
                                                                         shots) -> None:
    from PySide6.QtCore import Qt

    from coordinator_app.scoring import score_sheet

    store, work_id = last_year
    messages.answer(True)
    window.start_new_year()
    window.choose_year("2025/2026")
    window.nav.setCurrentRow(SCORING)
    scoring = window.pages["Проверка"]
    wait_settled(qtbot, scoring)
    assert scoring.summary.text().startswith("Учебный год закрыт: баллы только для просмотра. Участников: 4")
    grid = scoring.grid_tab.model
    assert grid.rowCount() == 4 and grid.data(grid.index(0, grid.column_of("task", "1"))) == "1"
    assert not grid.flags(grid.index(0, grid.column_of("task", "1"))) & Qt.ItemFlag.ItemIsEditable
    scoring.tabs.setCurrentWidget(scoring.participant_tab)
    cell = scoring.participant_tab.cells[0]
    assert cell.isReadOnly() and cell.text() == "1"
    cell.setFocus()
    qtbot.keyClick(cell, Qt.Key.Key_3)          # one key would score 3 in an open year
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert scoring.participant_tab.cells[0].text() == "1"
    assert {r.scores["1"] for r in score_sheet(store, work_id, 1)} == {"1"}
    assert messages.errors == []                # nothing was tried: no refusal to read
    window.grab().save(str(shots / "past_year_scoring.png"))
    assert not scoring.import_form_button.isEnabled()
    assert not scoring.participant_tab.absent_box.isEnabled()
    assert not scoring.participant_tab.x_button.isEnabled() and not scoring.task_tab.x_button.isEnabled()
    assert scoring.expert_hint.text() == ""     # «баллы запишутся от имени…» would promise a write
    window.nav.setCurrentRow(CODES)
    codes = window.pages["Коды и протокол"]
    wait_settled(qtbot, codes)
    assert not codes.assign_button.isEnabled() and not codes.import_codes_button.isEnabled()
    assert codes.protocol_button.isEnabled()            # printing the past protocol still works
    absent = codes.model.index(0, [c.title for c in codes.model.columns].index("Отсутствовал"))
    assert not codes.model.flags(absent) & Qt.ItemFlag.ItemIsUserCheckable
    assert "Учебный год этой работы закрыт" in codes.status.text()
    window.grab().save(str(shots / "past_year_codes.png"))


def test_last_year_s_pupils_missing_from_the_new_lists_are_confirmed_as_left(qtbot, window, last_year, messages,  # noqa: F811
                                                                              tmp_path) -> None:
    store, _ = last_year
    messages.answer(True)
    window.start_new_year()
    import_pupils(store, parse_pupil_list(_list(tmp_path, [("5А", "Алексеев", "Артём"), ("5А", "Борисова", "Белла")])))
    window.nav.setCurrentRow(STUDENTS)
    page = window.pages["Классы и ученики"]
    page.reload()
    assert page.leavers_button.isVisible()
    assert page.leavers_button.text() == "Нет в списках нового года: 3 — отметить выбывшими…"
    messages.answer(True)
    page.mark_leavers()
    assert "Григорьева" in messages.asked[-1] and "Алексеев" not in messages.asked[-1]
    assert sorted(s.surname for s in list_students(store)) == ["Алексеев", "Борисова"]
    assert page.leavers_button.isHidden()


def test_the_leavers_button_fits_under_the_pupils(qtbot, window, last_year, messages, tmp_path, shots) -> None:  # noqa: F811
    store, _ = last_year
    messages.answer(True)
    window.start_new_year()
    import_pupils(store, parse_pupil_list(_list(tmp_path, [("5А", "Алексеев", "Артём")])))
    window.nav.setCurrentRow(STUDENTS)
    page = window.pages["Классы и ученики"]
    page.reload()
    button = page.leavers_button
    assert button.isVisible() and button.width() >= button.sizeHint().width()
    window.grab().save(str(shots / "leavers.png"))
