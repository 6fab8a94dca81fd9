"""The «Проверка» page as an expert and the coordinator use it: scores typed task by task beside the
scans, a task through all participants, the class grid (edit, paste, undo), journal marks, the
progress, experts and their own classes, the blind second check; expert mode shows no names and
is left only with the coordinator's PIN.

Runs offscreen (conftest). Message boxes are replaced by recorders; QTest types ASCII only, so
Cyrillic text is set with setText. Screenshots of every tab are saved to /tmp/scoring_*.png.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabWidget,
    QWidget,
)

from coordinator_app import settings
from coordinator_app.access import set_pin
from coordinator_app.audit import entries
from coordinator_app.changes import Topic
from coordinator_app.codes import assign_codes, set_absent
from coordinator_app.experts import list_experts, save_expert, work_experts
from coordinator_app.scans.importer import import_scans
from coordinator_app.scoring import score_sheet, set_score
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests._gui_helpers import wait_settled
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg, title_page

PUPILS = [("Абрамов", "Кирилл", "Олегович", "4А"), ("Борисова", "Мария", "", "4А"),
          ("Васильев", "Глеб", "", "4А"), ("Григорьева", "Софья", "", "4Б"), ("Данилов", "Егор", "", "4Б")]
SURNAMES = [p[0] for p in PUPILS]
TASKS = [TaskDef("1", 2), TaskDef("2", 1), TaskDef("3", 2)]     # max total 5
SCALE = [2, 3, 5]                                                # «3» from 2, «4» from 3, «5» from 5
SHOTS = Path()      # each test's own folder (the `shots` fixture), set below


@pytest.fixture(autouse=True)
def _screenshots_in_the_test_folder(shots: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "SHOTS", shots)
SCORING = 5                                                      # the row of «6. Проверка»


def scores_of(store: Store, work_id: int, code: str, round: int = 1) -> dict[str, str | None]:
    return next(r.scores for r in score_sheet(store, work_id, round) if r.code == code)


def shot(widget, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(SHOTS / f"scoring_{name}.png"))


class Said(list):
    """Messages shown, and how confirmations are answered."""

    answers = {"confirm": True}


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> Said:
    """Every message a dialog would show; confirmations are answered «yes» unless `said.answers` says."""
    messages = Said()
    answers = messages.answers = {"confirm": True}
    import ui.dialogs.experts_dialog as experts
    import ui.messages as msgs
    import ui.pages.scoring as scoring

    def record(_parent, text, *args, **kwargs):
        messages.append(str(text))
        return answers["confirm"]

    for module in (msgs, experts, scoring):
        for name in ("show_error", "inform", "confirm"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, record)
    return messages


@pytest.fixture
def work(school_store: Store, tmp_path: Path):
    add_pupils(school_store, PUPILS)
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date.today(), list(TASKS), classes=["4А", "4Б"],
                                                   scale=SCALE, allows_not_passed=True, has_gender=True))
    assign_codes(school_store, work_id)        # 40001..40003 in 4А, 40004..40005 in 4Б
    work = get_work(school_store, work_id)
    folder = tmp_path / "scans"
    folder.mkdir()
    save_jpeg(title_page("40001", login="sch123456", work_key=work.work_key), folder / "s1.jpg")
    save_jpeg(plain_page(seed=1), folder / "s2.jpg")
    save_jpeg(title_page("40002", login="sch123456", work_key=work.work_key), folder / "s3.jpg")
    import_scans(school_store, [folder], work_id=work_id, workers=1)
    return work


@pytest.fixture
def window(qtbot, school_store, data_dir: Path, said, work):
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.resize(1300, 820)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, win)
    return win


@pytest.fixture
def page(window):
    return window.pages["Проверка"]


def type_score(qtbot, cell: QLineEdit, text: str, key=Qt.Key.Key_Return) -> None:
    cell.setFocus()
    cell.selectAll()
    if text.isascii():
        qtbot.keyClicks(cell, text)
    else:
        cell.setText(text)
    # The confirming key goes where the user's keys go: one key may already have moved the cursor on.
    qtbot.keyClick(cell.window().focusWidget() or cell, key)


# -- the step ----------------------------------------------------------------------------------------


def test_the_sixth_step_is_scoring_and_ctrl_6_opens_it(qtbot, window, page) -> None:
    assert window.nav.item(SCORING).text() == "6. Проверка"
    window.nav.setCurrentRow(0)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "По участнику", "По заданию", "Таблица класса", "Журнал и пол", "Ход проверки", "Перепроверка"]


# -- «По участнику» ------------------------------------------------------------------------------------


def test_scores_typed_with_enter_are_stored_and_move_on(qtbot, page, work, school_store) -> None:
    tab = page.participant_tab
    assert tab.current().code == "40001"
    assert [label.text() for label in tab.cell_labels] == ["1 (макс. 2)", "2 (макс. 1)", "3 (макс. 2)"]
    assert tab.panel.viewer.header.text() == "Код 40001" and tab.panel.strip.count() == 2
    assert not tab.panel.viewer.view.item.pixmap().isNull()

    type_score(qtbot, tab.cells[0], "2")
    assert scores_of(school_store, work.id, "40001")["1"] == "2"
    assert tab.focusWidget() is tab.cells[1]                       # Enter moved to the next task
    assert tab.total_label.text() == "Итого: 2 из 5"
    type_score(qtbot, tab.cells[1], "Х", key=Qt.Key.Key_Tab)       # Cyrillic Х is stored as X; Tab moves on too
    assert scores_of(school_store, work.id, "40001")["2"] == "X" and tab.cells[1].text() == "X"
    assert tab.focusWidget() is tab.cells[2]
    assert "частично" in tab.status_label.text()

    type_score(qtbot, tab.cells[2], "2")                           # the last task → the next participant
    assert scores_of(school_store, work.id, "40001") == {"1": "2", "2": "X", "3": "2"}
    assert tab.current().code == "40002" and tab.focusWidget() is tab.cells[0]
    assert tab.panel.viewer.header.text() == "Код 40002"
    back = page.sheet.by_code["40001"]
    assert back.total == 4 and back.mark == "4" and back.status == "scored"
    qtbot.waitUntil(lambda: "проверено: 1" in page.summary.text())   # refreshed once the keys are handled

    qtbot.keyClick(tab.cells[0], Qt.Key.Key_PageUp)                # PgUp: back to 40001
    assert tab.current().code == "40001"
    assert tab.total_label.text() == "Итого: 4 из 5 · отметка «4»"
    assert tab.cells[1].toolTip() == f"Балл внёс(ла): {school_store.actor}"
    qtbot.keyClick(tab.cells[0], Qt.Key.Key_PageDown)
    assert tab.current().code == "40002"


def press_text(widget: QWidget, text: str) -> None:
    """A key whose text QTest cannot type (Cyrillic), as the keyboard sends it."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, text))


def test_one_key_enters_a_small_score_and_moves_on_without_enter(qtbot, page, work, school_store) -> None:
    from coordinator_app import settings

    tab = page.participant_tab
    tab.cells[0].setFocus()
    qtbot.keyClicks(tab.cells[0], "2")                             # task 1 (max 2): stored, moved on
    assert scores_of(school_store, work.id, "40001")["1"] == "2" and tab.focusWidget() is tab.cells[1]
    qtbot.keyClick(tab.cells[1], Qt.Key.Key_Return)                # Enter out of habit: no skip
    assert tab.focusWidget() is tab.cells[1] and scores_of(school_store, work.id, "40001")["2"] is None
    qtbot.keyClicks(tab.cells[1], "3")                             # over the maximum 1: refused, stays
    assert "больше максимума 1" in tab.error.text() and tab.focusWidget() is tab.cells[1]
    assert scores_of(school_store, work.id, "40001")["2"] is None
    tab.cells[1].selectAll()
    press_text(tab.cells[1], "х")                                  # Cyrillic х = X, one key
    assert scores_of(school_store, work.id, "40001")["2"] == "X" and tab.focusWidget() is tab.cells[2]
    qtbot.keyClicks(tab.cells[2], "1")                             # the last task: the next participant
    assert tab.current().code == "40002" and tab.focusWidget() is tab.cells[0]

    tab.one_key_box.setChecked(False)                              # the setting, kept in the data dir
    assert settings.get(school_store, "one_key_scoring") is False
    qtbot.keyClicks(tab.cells[0], "2")
    assert tab.focusWidget() is tab.cells[0] and scores_of(school_store, work.id, "40002")["1"] is None
    qtbot.keyClick(tab.cells[0], Qt.Key.Key_Return)                # now Enter confirms
    assert scores_of(school_store, work.id, "40002")["1"] == "2" and tab.focusWidget() is tab.cells[1]


def test_one_key_waits_for_enter_where_a_task_is_worth_ten_or_more(qtbot, school_store, data_dir, said) -> None:
    add_pupils(school_store, [("Сидоров", "Пётр", "", "5А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 5, dt.date.today(), [TaskDef("1", 12), TaskDef("2", 3)],
                                                   classes=["5А"]))
    assign_codes(school_store, work_id)
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, win)
    tab = win.pages["Проверка"].participant_tab
    tab.cells[0].setFocus()
    qtbot.keyClicks(tab.cells[0], "1")                             # could be 10, 11 or 12: wait
    assert tab.focusWidget() is tab.cells[0] and tab.cells[0].text() == "1"
    qtbot.keyClicks(tab.cells[0], "1")
    qtbot.keyClick(tab.cells[0], Qt.Key.Key_Return)
    code = tab.current().code
    assert scores_of(school_store, work_id, code)["1"] == "11" and tab.focusWidget() is tab.cells[1]


def test_a_value_over_the_maximum_is_refused_inline_and_nothing_is_stored(qtbot, page, work, school_store,
                                                                          said) -> None:
    tab = page.participant_tab
    type_score(qtbot, tab.cells[1], "3")
    assert "больше максимума 1" in tab.error.text()
    assert tab.focusWidget() is tab.cells[1] and tab.cells[1].styleSheet()   # stays, marked red
    assert scores_of(school_store, work.id, "40001")["2"] is None
    assert said == []                                              # no message box
    type_score(qtbot, tab.cells[1], "abc")
    assert "не балл" in tab.error.text()
    qtbot.keyClick(tab.cells[1], Qt.Key.Key_PageDown)              # cannot leave with a refused value
    assert tab.current().code == "40001"
    qtbot.keyClick(tab.cells[1], Qt.Key.Key_Escape)                # Esc: back to the stored value
    assert tab.cells[1].text() == "" and tab.error.text() == ""
    type_score(qtbot, tab.cells[1], "1")
    assert scores_of(school_store, work.id, "40001")["2"] == "1" and tab.error.text() == ""


def test_not_passed_key_variant_and_absence(qtbot, page, work, school_store) -> None:
    tab = page.participant_tab
    tab.cells[0].setFocus()
    qtbot.keyClick(tab.cells[0], Qt.Key.Key_N)                     # N (Н) = «не пройд.»
    assert scores_of(school_store, work.id, "40001")["1"] == "не пройд."
    assert tab.focusWidget() is tab.cells[1]
    tab.variant_edits[0].setFocus()
    qtbot.keyClicks(tab.variant_edits[0], "2")
    qtbot.keyClick(tab.variant_edits[0], Qt.Key.Key_Return)
    assert page.sheet.by_code["40001"].variants[1] == "2"
    assert school_store.scalar("SELECT variant1 FROM participants WHERE code = '40001'") == "2"
    tab.absent_box.setChecked(True)                                # has scores: refused with the reason
    assert "уже есть баллы" in tab.error.text() and not tab.absent_box.isChecked()
    tab.step(1)
    tab.absent_box.setChecked(True)
    assert page.sheet.by_code["40002"].absent and not tab.cells[0].isEnabled()
    assert tab.total_label.text() == "Отсутствовал"
    tab.step(-1)
    tab.cells[2].setFocus()
    type_score(qtbot, tab.cells[2], "1")                           # last task → next PRESENT participant
    assert tab.current().code == "40003"


# -- «По заданию» --------------------------------------------------------------------------------------


def test_by_task_enter_goes_through_the_participants(qtbot, page, work, school_store) -> None:
    page.tabs.setCurrentIndex(1)
    tab = page.task_tab
    tab.task_box.setCurrentIndex(2)                                # task 3
    assert tab.task_id() == "3" and tab.current().code == "40001"
    for value in ("2", "1", "0"):
        type_score(qtbot, tab.cell, value)
    assert [scores_of(school_store, work.id, c)["3"] for c in ("40001", "40002", "40003")] == ["2", "1", "0"]
    assert tab.current().code == "40004" and tab.progress_label.text() == "Заполнено: 3 из 5"
    type_score(qtbot, tab.cell, "7")
    assert "больше максимума 2" in tab.error.text() and tab.current().code == "40004"
    tab.cell.setText("")
    tab.panel.strip.setCurrentRow(0)
    tab.step(-3)
    tab.panel.step_page(1)                                         # page 2 of 40001 …
    assert tab.panel.strip.currentRow() == 1
    tab.step(1)                                                    # … 40002 has one page only
    assert tab.panel.strip.currentRow() == 0
    shot(page, "by_task")


# -- «Таблица класса» ----------------------------------------------------------------------------------


def grid_values(model, code: str) -> list[str]:
    row = next(r for r in range(model.rowCount()) if model.rows[r].code == code)
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def test_grid_edit_paste_undo_redo(qtbot, page, work, school_store) -> None:
    page.tabs.setCurrentIndex(2)
    grid = page.grid_tab
    model, view = grid.model, grid.view
    assert [c.title for c in model.columns] == ["Код", "Класс", "Вариант", "1\nмакс. 2", "2\nмакс. 1", "3\nмакс. 2",
                                                 "Итого\nиз 5", "Отметка"]
    task1 = model.column_of("task", "1")
    # Typing starts editing; Enter checks and writes, then moves to the next task.
    view.setFocus()
    view.setCurrentIndex(model.index(0, task1))
    qtbot.keyClicks(view, "2")
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "2"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert scores_of(school_store, work.id, "40001")["1"] == "2"
    assert view.currentIndex().column() == task1 + 1
    # Refused: the editor stays open and the reason is in the status line.
    qtbot.keyClicks(view, "5")
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert "больше максимума 1" in grid.status.text()
    assert scores_of(school_store, work.id, "40001")["2"] is None
    qtbot.keyClick(editor, Qt.Key.Key_Escape)

    # Paste a 2 × 3 range from a spreadsheet at 40002 / task 1.
    QApplication.clipboard().setText("1\t0\t2\r\n2\tx\t1\r\n")
    view.setCurrentIndex(model.index(1, task1))
    view.selectionModel().select(model.index(1, task1), view.selectionModel().SelectionFlag.ClearAndSelect)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert scores_of(school_store, work.id, "40002") == {"1": "1", "2": "0", "3": "2"}
    assert scores_of(school_store, work.id, "40003") == {"1": "2", "2": "X", "3": "1"}
    assert grid_values(model, "40002")[-2:] == ["3", "4"]           # total and mark at once
    # A range with one bad cell writes nothing and lists the problem.
    QApplication.clipboard().setText("0\t0\t0\n0\t9\t0")
    view.setCurrentIndex(model.index(3, task1))
    view.selectionModel().select(model.index(3, task1), view.selectionModel().SelectionFlag.ClearAndSelect)
    assert not view.paste()
    assert "Ничего не записано" in grid.status.text() and "код 40005, задание 2" in grid.status.text()
    assert scores_of(school_store, work.id, "40004") == {"1": None, "2": None, "3": None}

    # Undo the paste (the old values are written back), then redo it.
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert scores_of(school_store, work.id, "40002") == {"1": None, "2": None, "3": None}
    assert scores_of(school_store, work.id, "40001")["1"] == "2"
    qtbot.keyClick(view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert scores_of(school_store, work.id, "40003") == {"1": "2", "2": "X", "3": "1"}
    log = [e["details"] for e in entries(school_store, entity="scores") if e["details"].get("code") == "40002"]
    # Newest first: the redo, the undo (the old value written back), the paste.
    assert [(d["old"], d["new"]) for d in log if d["task"] == "1"] == [(None, "1"), ("1", None), (None, "1")]

    # Copy a range as tab-separated text; Delete clears the selection (and can be undone).
    view.selectionModel().select(QItemSelection(model.index(1, task1), model.index(2, task1 + 2)),
                                 view.selectionModel().SelectionFlag.ClearAndSelect)
    assert view.copy_selection() == "1\t0\t2\n2\tX\t1"
    assert QApplication.clipboard().text() == "1\t0\t2\n2\tX\t1"
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert scores_of(school_store, work.id, "40003") == {"1": None, "2": None, "3": None}
    view.undo()
    assert scores_of(school_store, work.id, "40003")["2"] == "X"

    # The other tabs see the same rows without a reload.
    assert page.sheet.by_code["40002"].total == 3
    page.tabs.setCurrentIndex(0)
    page.participant_tab.go_to(page.sheet.by_code["40003"].participant_id)
    assert [c.text() for c in page.participant_tab.cells] == ["2", "X", "1"]


def test_grid_greys_absent_rows_highlights_gaps_and_filters_by_class(qtbot, page, work, school_store) -> None:
    set_absent(school_store, work.id, "40005", True)
    page.reload()
    wait_settled(qtbot, page)
    page.tabs.setCurrentIndex(2)
    model = page.grid_tab.model
    task1 = model.column_of("task", "1")
    absent_row = next(r for r in range(model.rowCount()) if model.rows[r].code == "40005")
    assert model.data(model.index(absent_row, task1), Qt.ItemDataRole.BackgroundRole).color().name() == "#e4e4e4"
    assert not model.flags(model.index(absent_row, task1)) & Qt.ItemFlag.ItemIsEditable
    assert model.data(model.index(0, task1), Qt.ItemDataRole.BackgroundRole).color().name() == "#fff3c4"
    page.class_box.setCurrentIndex(page.class_box.findText("4Б"))
    assert [model.rows[r].code for r in range(model.rowCount())] == ["40004", "40005"]
    assert [r.code for r in page.participant_tab.rows] == ["40004", "40005"]
    model.setData(model.index(0, task1), "1")
    assert model.data(model.index(0, task1), Qt.ItemDataRole.BackgroundRole) is None
    shot(page, "grid")


# -- «Журнал и пол» ------------------------------------------------------------------------------------


def test_journal_marks_are_saved_by_typing_a_digit(qtbot, page, work, school_store) -> None:
    page.tabs.setCurrentIndex(3)
    tab = page.journal_tab
    model, view = tab.model, tab.view
    assert [title for _, title in model.columns] == ["Код", "Класс", "ФИО", "Отметка в журнале", "Пол",
                                                     "Отметка за работу"]
    assert model.data(model.index(0, 2)) == "Абрамов Кирилл Олегович"      # coordinator mode helps with the journal
    col = model.column_of("journal")
    view.setFocus()
    view.setCurrentIndex(model.index(0, col))
    for key in (Qt.Key.Key_5, Qt.Key.Key_4, Qt.Key.Key_0):
        qtbot.keyClick(view, key)
    marks = {r["code"]: r["journal_mark"] for r in school_store.query("SELECT code, journal_mark FROM participants")}
    assert marks["40001"] == "5" and marks["40002"] == "4" and marks["40003"] == "нет отметки"
    assert view.currentIndex().row() == 3
    assert not model.setData(model.index(3, col), "6") and "неверна" in tab.status.text()
    gender = model.column_of("gender")
    view.setCurrentIndex(model.index(1, gender))
    qtbot.keyClick(view, Qt.Key.Key_F)                             # f (ж) and m (м) set the gender
    assert school_store.scalar("SELECT s.gender FROM students s JOIN participants p ON p.student_id = s.id "
                               "WHERE p.code = '40002'") == "ж"
    assert model.data(model.index(1, gender)) == "ж" and view.currentIndex().row() == 2
    shot(page, "journal")


# -- «Ход проверки» ------------------------------------------------------------------------------------


def test_progress_shows_what_is_missing_and_the_ready_flag(qtbot, page, work, school_store) -> None:
    for code in ("40001", "40002", "40003", "40004"):
        for task, value in (("1", "2"), ("2", "1"), ("3", "1")):
            set_score(school_store, work.id, code, task, value)
    set_absent(school_store, work.id, "40005", True)
    from coordinator_app.codes import distribute_variants

    distribute_variants(school_store, work.id)
    set_score(school_store, work.id, "40004", "3", None)
    page.reload()
    wait_settled(qtbot, page)
    page.tabs.setCurrentIndex(4)
    tab = page.progress_tab
    assert not tab.ready and "Не готова" in tab.banner.text()
    assert tab.missing_model.rowCount() == 1 and tab.missing_model.record(0)[0] == "40004"
    shot(page, "progress")
    tab.open_missing(tab.missing_model.index(0, 0))                        # double-click → «По участнику», task 3
    assert page.tabs.currentIndex() == 0 and page.participant_tab.current().code == "40004"
    assert page.participant_tab.focusWidget() is page.participant_tab.cells[2]
    type_score(qtbot, page.participant_tab.cells[2], "2")
    page.tabs.setCurrentIndex(4)
    assert tab.ready and "Работа готова к выгрузке" in tab.banner.text()
    by_class = {c.class_name: (c.scored, c.absent) for c in tab.classes_model.records}
    assert by_class == {"4А": (3, 0), "4Б": (1, 1)}


# -- experts -------------------------------------------------------------------------------------------


def test_experts_dialog_warns_about_the_own_class_and_obeys_the_setting(qtbot, page, work, school_store,
                                                                        said) -> None:
    from ui.dialogs.experts_dialog import ExpertsDialog

    dialog = ExpertsDialog(page.ctx, work, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.name_edit.setText("Смирнова Ольга Петровна")
    dialog.subjects_edit.setText("Математика, Информатика")
    for i in range(dialog.classes_list.count()):
        if dialog.classes_list.item(i).text() == "4А":
            dialog.classes_list.item(i).setCheckState(Qt.CheckState.Checked)
    expert_id = dialog.save_current()
    assert expert_id and list_experts(school_store)[0].classes == ["4А"]
    assert list_experts(school_store)[0].subjects == ["Математика", "Информатика"]

    said.answers["confirm"] = False                                 # «Отмена» on the warning
    assert not dialog.assign_current()
    assert "преподаёт в классах этой работы (4А)" in said[-1] and not work_experts(school_store, work.id)
    said.answers["confirm"] = True
    assert dialog.assign_current()
    assert [e.name for e in work_experts(school_store, work.id)] == ["Смирнова Ольга Петровна"]
    shot(dialog, "experts")

    dialog.unassign_current()
    settings.set_value(school_store, "forbid_own_class", True)
    count = len(said)
    assert not dialog.assign_current()
    assert len(said) == count and "запрещено" in dialog.message.text()      # refused, nothing asked
    assert not work_experts(school_store, work.id)
    dialog.close()

    # The page lists the experts; scores are saved in the chosen expert's name.
    page.fill_experts()
    page.expert_box.setCurrentIndex(page.expert_box.findData("Смирнова Ольга Петровна"))
    type_score(qtbot, page.participant_tab.cells[0], "1")
    row = school_store.one("SELECT expert FROM scores WHERE task_id = '1'")
    assert row["expert"] == "Смирнова Ольга Петровна"


def test_school_page_pin_and_own_class_setting(qtbot, window, school_store, monkeypatch) -> None:
    from ui.expert_mode import SetPinDialog

    window.nav.setCurrentRow(0)
    school = window.pages["Школа"]
    school.forbid_own_class.setChecked(True)
    assert settings.get(school_store, "forbid_own_class") is True
    dialog = SetPinDialog(school_store, school)
    qtbot.addWidget(dialog)
    dialog.new.setText("1234")
    dialog.repeat.setText("1243")
    dialog.accept()
    assert "не совпадают" in dialog.error.text()
    dialog.repeat.setText("1234")
    dialog.accept()
    assert dialog.result() == SetPinDialog.DialogCode.Accepted
    school.reload()
    assert school.pin_state.text() == "задан" and school.pin_set_button.text() == "Изменить PIN…"
    remove = SetPinDialog(school_store, school, remove=True)
    qtbot.addWidget(remove)
    remove.current.setText("0000")
    remove.accept()
    assert "неверен" in remove.error.text()
    remove.current.setText("1234")
    remove.accept()
    from coordinator_app.access import has_pin

    assert not has_pin(school_store)


# -- expert mode -----------------------------------------------------------------------------------------


def _texts_of(widget) -> list[str]:
    """Everything a person could read on `widget` now: labels, buttons, fields, lists, every model cell
    of its visible parts (a page not in the navigation is not reachable)."""
    def visible(kind):
        return [w for w in widget.findChildren(kind) if w.isVisible()]

    texts: list[str] = [widget.windowTitle()]
    for label in visible(QLabel):
        texts += [label.text(), label.toolTip()]
    for button in visible(QAbstractButton):
        texts += [button.text(), button.toolTip()]
    for field in visible(QLineEdit):
        texts += [field.text(), field.placeholderText(), field.toolTip()]
    for box in visible(QComboBox):
        texts += [box.itemText(i) for i in range(box.count())]
    for lst in visible(QListWidget):
        texts += [lst.item(i).text() for i in range(lst.count())]
    for view in visible(QAbstractItemView):
        model = view.model()
        if model is None:
            continue
        root = QModelIndex()
        try:
            columns = model.columnCount(root)
        except TypeError:                     # a list model (completions): one column
            columns = 1
        for c in range(columns):
            texts.append(str(model.headerData(c, Qt.Orientation.Horizontal) or ""))
        for r in range(model.rowCount(root)):
            for c in range(columns):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    texts.append(str(model.data(model.index(r, c, QModelIndex()), role) or ""))
    return texts


def test_expert_mode_hides_every_name_and_leaving_needs_the_pin(qtbot, window, page, work, school_store) -> None:
    set_pin(school_store, "2468")
    save_expert(school_store, "Смирнова Ольга Петровна", ["Математика"], [])
    window.nav.setCurrentRow(1)                     # the coordinator saw the pupils and the protocol
    window.nav.setCurrentRow(3)
    window.nav.setCurrentRow(4)
    window.expert.enter()
    assert window.ctx.expert_mode and window.stack.currentWidget() is page
    shown = {window.nav.item(i).text() for i in range(window.nav.count()) if not window.nav.item(i).isHidden()}
    assert shown == {"6. Проверка"}                 # an expert scores and looks at pages, nothing else
    wait_settled(qtbot, window)
    assert not page.import_form_button.isVisible() and not page.experts_button.isVisible()
    page.tabs.setCurrentWidget(page.second_tab)
    assert not page.second_tab.create_button.isVisible() and not page.second_tab.sample_controls.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)      # shortcuts lead nowhere
    assert window.stack.currentWidget() is page
    assert not any(a.isEnabled() for a in window.name_revealing_actions)
    assert "режим эксперта" in window.windowTitle()

    texts: list[str] = []
    for row in range(window.nav.count()):
        if window.nav.item(row).isHidden():
            continue
        window.nav.setCurrentRow(row)
        shown_page = window.stack.currentWidget()
        tab_widgets = shown_page.findChildren(QTabWidget)
        for tabs in tab_widgets or [None]:
            for index in range(tabs.count() if tabs else 1):
                if tabs:
                    tabs.setCurrentIndex(index)
                QApplication.processEvents()
                texts += _texts_of(shown_page)
    texts += _texts_of(window)
    joined = "\n".join(texts)
    assert "Код 40001" in joined                                    # the codes are there …
    for surname in SURNAMES:                                        # … and not one name
        assert surname not in joined
    journal = page.journal_tab.model
    assert [title for _, title in journal.columns] == ["Код", "Класс", "Отметка в журнале", "Пол", "Отметка за работу"]
    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    page.tabs.setCurrentIndex(0)
    shot(window, "expert_mode")

    # Leaving asks for the PIN; a wrong one is refused in the dialog and the mode stays.
    window.expert.leave_action.trigger()
    dialog = window.expert.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.pin, "1111")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert "Неверный PIN" in dialog.error.text() and dialog.isVisible()
    assert window.ctx.expert_mode
    shot(dialog, "pin")
    qtbot.keyClicks(dialog.pin, "2468")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert not window.ctx.expert_mode and not dialog.isVisible()
    assert not any(window.nav.item(i).isHidden() for i in range(window.nav.count()))
    wait_settled(qtbot, window)                      # the page reloads with names, off the GUI thread
    assert journal.columns[2] == ("fio", "ФИО")


def test_expert_mode_survives_a_restart(qtbot, school_store, data_dir: Path, said, work) -> None:
    from ui.main_window import MainWindow

    first = MainWindow(school_store, data_dir)
    qtbot.addWidget(first)
    first.expert.enter()
    first.close()
    again = MainWindow(school_store, data_dir)
    qtbot.addWidget(again)
    again.show()
    assert again.ctx.expert_mode and again.nav.item(1).isHidden()
    assert again.stack.currentWidget() is again.pages["Проверка"]
    assert again.expert.leave()                                     # no PIN set: leaves at once
    assert not again.ctx.expert_mode


# -- second check ----------------------------------------------------------------------------------------


def _score_everyone(store: Store, work_id: int) -> None:
    values = {"40001": ("2", "1", "2"), "40002": ("1", "0", "1"), "40003": ("2", "X", "0"),
              "40004": ("0", "1", "2"), "40005": ("1", "1", "1")}
    for code, row in values.items():
        for task, value in zip(("1", "2", "3"), row):
            set_score(store, work_id, code, task, value, expert="Смирнова О. П.")


def test_second_check_sample_blind_entry_discrepancies_and_settle(qtbot, page, work, school_store, opened) -> None:
    _score_everyone(school_store, work.id)
    save_expert(school_store, "Кузнецов Иван Ильич", ["Математика"], [])
    page.reload()
    wait_settled(qtbot, page)
    page.tabs.setCurrentIndex(5)
    tab = page.second_tab
    tab.expert_box.setCurrentIndex(tab.expert_box.findData("Кузнецов Иван Ильич"))
    tab.codes.setText("40001, 40003")
    tab.share.setValue(0)                                           # «нет»: only the codes
    tab.create()
    assert tab.sample_error.text() == ""
    assert "Выборка 1" in tab.checks_label.text() and "40001, 40003" in tab.checks_label.text()
    model = tab.grid.model
    codes = [model.rows[r].code for r in range(model.rowCount())]
    assert codes == ["40001", "40003"]
    # Blind: the round-2 grid shows none of the first expert's scores.
    task_cols = [i for i, c in enumerate(model.columns) if c.kind == "task"]
    assert all(model.data(model.index(r, c)) == "" for r in range(model.rowCount()) for c in task_cols)
    first = codes.index("40001")
    tab.grid.view.setCurrentIndex(model.index(first, task_cols[0]))
    assert tab.grid.view.paste("2\t0\t1")                          # differs on tasks 2 and 3
    third = codes.index("40003")
    tab.grid.view.setCurrentIndex(model.index(third, task_cols[0]))
    assert tab.grid.view.paste("2\tX\t0")                          # the same as the first expert
    assert scores_of(school_store, work.id, "40001", 2) == {"1": "2", "2": "0", "3": "1"}
    assert scores_of(school_store, work.id, "40001", 1) == {"1": "2", "2": "1", "3": "2"}   # round 1 untouched
    rows2 = {r["expert"] for r in school_store.query("SELECT expert FROM scores WHERE round = 2")}
    assert rows2 == {"Кузнецов Иван Ильич"}
    shot(page, "second_entry")

    tab.inner.setCurrentIndex(1)
    diffs = [(d.code, t.task_id, t.first, t.second, t.diff) for d, t in tab.diff_model.records]
    assert ("40001", "2", "1", "0", -1) in diffs and ("40001", "3", "2", "1", -1) in diffs
    assert not any(code == "40003" for code, *_ in diffs)
    assert "Изменился бы итог у <b>1</b>" in tab.summary.text()
    # Settle task 2 of 40001: the reason is required.
    row = next(i for i, (d, t) in enumerate(tab.diff_model.records) if d.code == "40001" and t.task_id == "2")
    tab.diff_view.setCurrentIndex(tab.diff_model.index(row, 0))

    def no_reason(dialog):
        dialog.value.setText("1")
        dialog.accept()
        assert "причину" in dialog.error.text()
        shot(dialog, "settle")

    assert not tab.settle_current(no_reason)

    def with_reason(dialog):
        dialog.value.setText("1")
        dialog.reason.setPlainText("Решение комиссии, протокол № 2")
        dialog.accept()

    assert tab.settle_current(with_reason)
    settled = school_store.one("SELECT value, reason FROM scores WHERE round = 3")
    assert settled == {"value": "1", "reason": "Решение комиссии, протокол № 2"}
    final = {(d.code, t.task_id): t.final for d, t in tab.diff_model.records}
    assert final[("40001", "2")] == "1"
    shot(page, "discrepancies")

    if importlib.util.find_spec("coordinator_app.formats.pdf.recheck") is None:
        pytest.skip("the re-check protocol writer (coordinator_app/exports/recheck_pdf.py) is not there yet")
    tab.make_pdf()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
    assert opened[0].suffix == ".pdf" and opened[0].read_bytes().startswith(b"%PDF")
    assert "Сохранено" in tab.pdf_status.text()


def test_printing_an_unfinished_recheck_asks_first(qtbot, page, work, school_store, opened, said) -> None:
    from coordinator_app.second_check import create_check

    _score_everyone(school_store, work.id)
    create_check(school_store, work.id, codes=["40001", "40003"], expert="Кузнецов Иван Ильич")
    for task, value in zip(("1", "2", "3"), ("2", "X", "0")):
        set_score(school_store, work.id, "40003", task, value, round=2, expert="Кузнецов Иван Ильич")
    page.reload()
    wait_settled(qtbot, page)
    page.tabs.setCurrentIndex(5)
    tab = page.second_tab
    said.answers["confirm"] = False
    tab.make_pdf()
    qtbot.waitUntil(lambda: any("Перепроверка не закончена" in m for m in said), timeout=30000)
    assert "перепроверено работ 1 из 2" in said[-1] and "40001" in said[-1]
    qtbot.waitUntil(lambda: tab.pdf_button.isEnabled(), timeout=30000)
    assert opened == [] and "Сохранено" not in tab.pdf_status.text()
    said.answers["confirm"] = True
    tab.make_pdf()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
    assert opened[0].read_bytes().startswith(b"%PDF") and "Сохранено" in tab.pdf_status.text()


def test_a_random_share_records_its_seed_and_unscored_works_are_refused(qtbot, page, work, school_store) -> None:
    page.tabs.setCurrentIndex(5)
    tab = page.second_tab
    tab.share.setValue(40)
    tab.create()
    assert "нет полностью проверенных работ" in tab.sample_error.text()
    _score_everyone(school_store, work.id)
    page.reload()
    wait_settled(qtbot, page)
    tab.seed.setText("7")
    tab.create()
    assert "40 % проверенных работ, зерно 7" in tab.checks_label.text()
    assert tab.grid.model.rowCount() == 2 and tab.grid.isVisible()      # ceil(40 % of 5)


# -- screenshots and speed -------------------------------------------------------------------------------


def test_screenshots_of_the_entry_tabs_with_data(qtbot, window, page, work, school_store) -> None:
    _score_everyone(school_store, work.id)
    set_score(school_store, work.id, "40004", "3", None)
    page.reload()
    wait_settled(qtbot, page)
    for index, name in ((0, "by_participant"), (2, "grid_filled"), (4, "progress_filled"), (5, "second_check")):
        page.tabs.setCurrentIndex(index)
        shot(window, name)
    assert page.participant_tab.total_label.text() == "Итого: 5 из 5 · отметка «5»"


def test_scoring_through_the_ui_moves_through_300_participants(qtbot, school_store, data_dir: Path, said) -> None:
    from coordinator_app.classes import ensure_class

    now = "2025-09-01 00:00:00"
    with school_store.atomic() as db:
        for i in range(300):
            class_id = ensure_class(school_store, f"4{'АБВГДЕЖИКЛ'[i % 10]}")
            db["students"].insert({"surname": f"Ученик{i:03d}", "name": "Имя", "patronymic": "", "class_id": class_id,
                                   "gender": None, "created_at": now, "updated_at": now})
    tasks = [TaskDef(str(i), 2) for i in range(1, 16)]
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), tasks,
                                                   classes=[f"4{c}" for c in "АБВГДЕЖИКЛ"], scale=[10, 18, 25]))
    assign_codes(school_store, work_id)
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, win)
    tab = win.pages["Проверка"].participant_tab
    assert len(tab.rows) == 300
    tab.cells[0].setFocus()
    for _ in range(6 * len(tasks)):                                 # six participants, every task
        cell = tab.focusWidget()
        assert cell in tab.cells
        qtbot.keyClicks(cell, "1")                                  # one key per task (max 2): no Enter
    assert tab.current().code == tab.rows[6].code
    assert school_store.scalar("SELECT COUNT(*) FROM scores WHERE round = 1") == 6 * len(tasks)
    # (its speed is measured in bench/scoring_latency.py and bench/year_store.py, not here)


def test_importing_a_filled_form_from_the_page(qtbot, school_store, data_dir, tmp_path, monkeypatch) -> None:
    """«Импорт формы…»: a good form fills the scores; a bad one is refused with its problems."""
    import datetime as dt

    import ui.messages as messages
    from coordinator_app.codes import assign_codes
    from coordinator_app.scoring import score_sheet
    from coordinator_app.works import create_work, work_from_template
    from tests.conftest import add_pupils
    from tests.fixtures import fisoko_forms
    from ui.main_window import MainWindow

    shown: list[str] = []
    monkeypatch.setattr(messages, "inform", lambda _p, text, *a, **k: shown.append(text))
    monkeypatch.setattr(messages, "show_error", lambda _p, err, *a, **k: shown.append(str(err)))
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    template = fisoko_forms.russian4_2026(tmp_path / "t.xlsx")
    work_id, _ = create_work(school_store, work_from_template(template, subject="Русский язык",
                                                              work_date=dt.date(2026, 4, 21), classes=["4А"]))
    assign_codes(school_store, work_id)
    values = {t: 1 for t, _ in fisoko_forms.RUSSIAN4_2026_TASKS}
    good = fisoko_forms.russian4_2026(tmp_path / "good.xlsx", filled=[
        {"code": "40001", "variants": {1: "1"}, "scores": values, "class_ordinal": 1, "gender": "м", "mark": "4"}])
    bad = fisoko_forms.russian4_2026(tmp_path / "bad.xlsx", filled=[
        {"code": "40001", "variants": {1: "1"}, "scores": {**values, "4": 9}, "class_ordinal": 1}])
    window = MainWindow(school_store, data_dir)
    qtbot.addWidget(window)
    window.show()
    window.nav.setCurrentRow(5)
    wait_settled(qtbot, window)
    page = window.pages["Проверка"]
    page.work_box.setCurrentIndex(page.work_box.findData(work_id))
    page.import_form(bad)
    qtbot.waitUntil(lambda: hasattr(page, "last_form_import"), timeout=15000)
    assert any("не импортирована" in m and "«9»" in m for m in shown)
    assert score_sheet(school_store, work_id)[0].status == "not_started"
    del page.last_form_import
    page.import_form(good)
    qtbot.waitUntil(lambda: hasattr(page, "last_form_import"), timeout=15000)
    assert score_sheet(school_store, work_id)[0].status == "scored"
    assert any("Форма импортирована" in m for m in shown)
    # ФИС ОКО numbers the class 3: offered, and taken when the coordinator agrees
    from coordinator_app.classes import list_classes

    asked: list[str] = []
    monkeypatch.setattr(messages, "confirm", lambda _p, text, *a, **k: asked.append(text) or True)
    renumbered = fisoko_forms.russian4_2026(tmp_path / "renumbered.xlsx", filled=[
        {"code": "40001", "variants": {1: "1"}, "scores": values, "class_ordinal": 3, "gender": "м", "mark": "4"}])
    shown.clear()
    page.import_form(renumbered)
    qtbot.waitUntil(lambda: any("Приняты номера классов" in m for m in shown), timeout=15000)
    assert asked and "4А — № 3 (в программе № 1)" in asked[0]
    assert {c.name: c.ordinal for c in list_classes(school_store, grade=4)} == {"4А": 3}


def test_a_reload_while_typing_takes_no_keys_and_gives_the_cursor_back_to_its_cell(qtbot, window, page, work,
                                                                                   school_store) -> None:
    """Scores written elsewhere (a form imported, another expert) reload the page off the GUI thread;
    meanwhile its cells take no keys (an edit would vanish under the newer rows), then the cursor is
    back in the cell the expert was typing in."""
    from coordinator_app.changes import Changes

    tab = page.participant_tab
    tab.focus_cell(1)
    assert tab.focusWidget() is tab.cells[1]
    set_score(school_store, work.id, "40003", "1", "2")
    window.ctx.publish(Changes.of(Topic.SCORES))
    assert page.is_loading() and not tab.cells[1].isEnabled()
    wait_settled(qtbot, page)
    qtbot.waitUntil(lambda: tab.focusWidget() is tab.cells[1] and tab.cells[1].hasFocus())
    assert page.sheet.by_code["40003"].scores["1"] == "2"
    assert tab.current().code == "40001"


def test_hostile_values_in_the_score_cells_get_the_usual_refusal(qtbot, page, work, school_store, said) -> None:
    """5000 digits or a control character typed (pasted) into a cell: the inline Russian reason,
    short and printable; in a pasted range: «Ничего не записано» with the cell named briefly."""
    tab = page.participant_tab
    cell = tab.cells[0]
    cell.setMaxLength(10_000)             # a field's default (32767) would take them all anyway
    type_score(qtbot, cell, "9" * 5000)
    assert "больше максимума 2" in tab.error.text() and len(tab.error.text()) < 200
    cell.setFocus()
    cell.setText("1\x07")                 # pasted: a key press cannot type a control character
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert "не балл" in tab.error.text() and "\x07" not in tab.error.text()
    assert scores_of(school_store, work.id, "40001")["1"] is None and said == []
    qtbot.keyClick(cell, Qt.Key.Key_Escape)

    page.tabs.setCurrentIndex(2)
    grid = page.grid_tab
    model, view = grid.model, grid.view
    task1 = model.column_of("task", "1")
    QApplication.clipboard().setText("9" * 5000 + "\t0\n")
    view.setCurrentIndex(model.index(0, task1))
    view.selectionModel().select(model.index(0, task1), view.selectionModel().SelectionFlag.ClearAndSelect)
    assert not view.paste()
    status = grid.status.text()
    assert "Ничего не записано" in status and "код 40001, задание 1" in status and len(status) < 600
    assert scores_of(school_store, work.id, "40001") == {"1": None, "2": None, "3": None}
