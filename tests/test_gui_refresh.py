"""Pages refresh when they are shown, not on every change; a score typed on «Проверка» updates what
it changed there (the cell, the participant's total and mark, the counters) and nothing is
rebuilt on the pages nobody is looking at.

Runs offscreen (conftest). Reloads are counted by wrapping a page's `reload` (what its bus
subscription calls) and through `Subscription.refreshes`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from coordinator_app.changes import Changes, Topic
from coordinator_app.codes import assign_codes, set_variant
from coordinator_app.scoring import score_sheet
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests._gui_helpers import wait_settled
from tests.conftest import add_pupils

SCORING, EXPORTS, CODES = 5, 6, 3
PUPILS = [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А"), ("Васильев", "Глеб", "", "4Б")]


@pytest.fixture
def said(messages) -> list[str]:
    """Every message a dialog would show; confirmations are answered «yes»."""
    return messages.always(True).said


@pytest.fixture
def work_id(school_store) -> int:
    add_pupils(school_store, PUPILS)
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date.today(), [TaskDef("1", 2), TaskDef("2", 1)],
                                                   classes=["4А", "4Б"], scale=[1, 2, 3]))
    assign_codes(school_store, work_id)                 # 40001, 40002 in 4А; 40003 in 4Б
    for code in ("40001", "40002", "40003"):
        set_variant(school_store, work_id, code, 1, "1")    # only the scores are missing
    return work_id


@pytest.fixture
def window(qtbot, school_store, data_dir: Path, said, work_id):
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.resize(1300, 820)
    win.show()
    qtbot.waitExposed(win)
    return win


def reloads(page) -> list[int]:
    """Count the page's reloads from now on (the bus subscription calls `page.reload`)."""
    calls: list[int] = []
    original = page.reload

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    page.reload = counted
    return calls


def type_score(qtbot, cell: QLineEdit, text: str) -> None:
    cell.setFocus()
    cell.selectAll()
    qtbot.keyClicks(cell, text)
    # Enter goes where the user's keys go: one key may already have moved the cursor on.
    qtbot.keyClick(cell.window().focusWidget() or cell, Qt.Key.Key_Return)


def open_every_page(qtbot, window) -> None:
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
    wait_settled(qtbot, window)


# -- hidden pages refresh when shown ------------------------------------------------------------------


def test_a_score_typed_while_exports_is_hidden_is_shown_there_when_the_user_switches_to_it(qtbot, window,
                                                                                           school_store) -> None:
    window.nav.setCurrentRow(EXPORTS)
    exports = window.pages["Выгрузка"]
    assert "Не заполнено у участников: 3" in exports.form_status.text()
    counted = reloads(exports)

    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    scoring = window.pages["Проверка"]
    tab = scoring.participant_tab
    for _ in range(3):                                  # every task of every participant
        type_score(qtbot, tab.cells[0], "2")
        type_score(qtbot, tab.cells[1], "1")            # the last task → the next participant
    assert all(r.status == "scored" for r in score_sheet(school_store, scoring.work.id))

    assert counted == []                                # six scores: the hidden page was not rebuilt
    assert exports.subscription.stale
    assert "Не заполнено у участников: 3" in exports.form_status.text()   # what it showed when it was left

    window.nav.setCurrentRow(EXPORTS)                   # shown: refreshed once, with every change it missed
    assert counted == [1]
    assert not exports.subscription.stale
    assert "готова к выгрузке" in exports.form_status.text()

    window.nav.setCurrentRow(SCORING)                   # nothing changed since: no refresh on the next visit
    wait_settled(qtbot, window)
    window.nav.setCurrentRow(EXPORTS)
    assert counted == [1]


def test_no_hidden_page_is_rebuilt_while_scores_are_typed_with_every_page_opened(qtbot, window) -> None:
    open_every_page(qtbot, window)
    pages = {title: page for title, page in window.pages.built.items() if title != "Проверка"}
    assert set(pages) == {"Школа", "Классы и ученики", "Работы", "Коды и протокол", "Сканы", "Выгрузка", "Анализ"}
    counted = {title: reloads(page) for title, page in pages.items()}
    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    scoring = window.pages["Проверка"]
    own = reloads(scoring)
    tab = scoring.participant_tab
    type_score(qtbot, tab.cells[0], "1")
    type_score(qtbot, tab.cells[1], "0")
    assert tab.current().code == "40002"
    assert {title: len(calls) for title, calls in counted.items()} == dict.fromkeys(pages, 0)
    assert own == []                                    # its own edits are shown in place, not reloaded


def test_a_change_made_on_one_page_reaches_a_hidden_page_when_it_is_shown(qtbot, window) -> None:
    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    scoring = window.pages["Проверка"]
    assert not scoring.sheet.by_code["40002"].absent
    counted = reloads(scoring)

    window.nav.setCurrentRow(CODES)
    codes = window.pages["Коды и протокол"]
    codes.select_work(scoring.work.id)
    wait_settled(qtbot, codes)
    record = next(p for p in codes.model.records if p.code == "40002")
    codes._toggle_absent(record, True)                  # what the «отсутствовал» box does
    assert counted == [] and scoring.subscription.stale

    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    assert counted == [1]
    assert scoring.sheet.by_code["40002"].absent
    assert "отсутствовали: 1" in scoring.summary.text()


def test_a_page_acting_on_its_own_data_shows_the_result_even_before_it_is_shown(qtbot, window) -> None:
    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    codes = window.pages["Коды и протокол"]             # built, not shown
    assert not codes.isVisible()
    counted = reloads(codes)
    codes.subscription.publish(Changes.of(Topic.PARTICIPANTS))
    assert counted == [1] and not codes.subscription.stale


# -- the subscription itself --------------------------------------------------------------------------


def test_subscription_refreshes_a_visible_widget_at_once_and_a_hidden_one_once_on_show(qtbot) -> None:
    from ui.bus import ChangeBus

    bus = ChangeBus()
    shown_widget, hidden_widget = QWidget(), QWidget()
    for w in (shown_widget, hidden_widget):
        qtbot.addWidget(w)
    shown_widget.show()
    got: dict[str, list[frozenset[str]]] = {"shown": [], "hidden": []}
    shown_sub = bus.subscribe(shown_widget, {Topic.SCORES, Topic.WORKS}, lambda c: got["shown"].append(c.topics))
    hidden_sub = bus.subscribe(hidden_widget, {Topic.SCORES, Topic.WORKS}, lambda c: got["hidden"].append(c.topics))

    bus.publish(Changes.of(Topic.SCORES))
    bus.publish(Changes.of(Topic.WORKS, Topic.SCANS))
    bus.publish(Changes.of(Topic.SCANS))                    # not a table they show
    assert got["shown"] == [frozenset({"scores"}), frozenset({"works"})]
    assert got["hidden"] == [] and hidden_sub.stale

    hidden_widget.show()
    assert got["hidden"] == [frozenset({"scores", "works"})]     # once, every change merged
    assert (shown_sub.refreshes, hidden_sub.refreshes) == (2, 1)
    hidden_widget.hide()
    hidden_widget.show()
    assert hidden_sub.refreshes == 1                    # nothing new: no refresh


def test_publish_shown_tells_the_others_but_not_the_publisher(qtbot) -> None:
    from ui.bus import ChangeBus

    bus = ChangeBus()
    mine, other = QWidget(), QWidget()
    for w in (mine, other):
        qtbot.addWidget(w)
        w.show()
    seen: list[str] = []
    own = bus.subscribe(mine, {Topic.SCORES}, lambda c: seen.append("mine"))
    bus.subscribe(other, {Topic.SCORES}, lambda c: seen.append("other"))
    own.publish_shown(Changes.of(Topic.SCORES))
    assert seen == ["other"] and not own.stale
    own.publish(Changes.of(Topic.SCORES))
    assert sorted(seen) == ["mine", "other", "other"]


# -- «Проверка»: what a score changes -----------------------------------------------------------------


def test_the_total_mark_and_counters_follow_each_score_on_the_scoring_page(qtbot, window) -> None:
    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    page = window.pages["Проверка"]
    counted = reloads(page)
    tab = page.participant_tab
    grid = page.grid_tab.model
    total_col, mark_col = grid.column_of("total"), grid.column_of("mark")
    row = grid.row_of(tab.current().participant_id)
    assert "не начато: 3" in page.summary.text()

    type_score(qtbot, tab.cells[0], "1")
    assert tab.total_label.text() == "Итого: 1 из 3"
    assert "частично" in tab.status_label.text()
    qtbot.waitUntil(lambda: "проверено: 0 · частично: 1 · не начато: 2" in page.summary.text())
    assert grid.index(row, total_col).data() == "1" and grid.index(row, mark_col).data() in ("", None)

    type_score(qtbot, tab.cells[1], "1")                # the last task: scored, the mark appears
    assert tab.current().code == "40002"                # moved on
    first = page.sheet.by_code["40001"]
    assert (first.total, first.mark, first.status) == (2, "4", "scored")
    assert grid.index(row, total_col).data() == "2" and grid.index(row, mark_col).data() == "4"
    qtbot.waitUntil(lambda: "проверено: 1 · частично: 0 · не начато: 2" in page.summary.text())

    tab.step(-1)                                        # back: the participant's own line shows it
    assert tab.total_label.text() == "Итого: 2 из 3 · отметка «4»"

    page.tabs.setCurrentWidget(page.task_tab)           # «По заданию»: the filled counter of the task
    task_tab = page.task_tab
    assert task_tab.progress_label.text() == "Заполнено: 1 из 3"
    task_tab.step(1)
    type_score(qtbot, task_tab.cell, "2")               # 40002, task 1
    assert task_tab.progress_label.text() == "Заполнено: 2 из 3"
    task_tab.step(-1)
    task_tab.cell.setFocus()
    task_tab.cell.clear()                               # emptied again: 40002
    qtbot.keyClick(task_tab.cell, Qt.Key.Key_Return)
    assert task_tab.progress_label.text() == "Заполнено: 1 из 3"
    assert counted == []                                # all of it without reloading the page


def test_empty_cells_keep_their_mark_and_a_filled_one_loses_it(qtbot, window) -> None:
    from ui.pages.scoring import CELL_EMPTY_STYLE

    window.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, window)
    tab = window.pages["Проверка"].participant_tab
    assert [c.styleSheet() for c in tab.cells] == [CELL_EMPTY_STYLE, CELL_EMPTY_STYLE]
    type_score(qtbot, tab.cells[0], "2")
    tab.step(-1)
    assert [c.styleSheet() for c in tab.cells] == ["", CELL_EMPTY_STYLE]
    assert tab.cells[0].text() == "2" and tab.cells[1].text() == ""
    assert isinstance(tab.total_label, QLabel)


def test_the_window_imports_the_pages_it_has_not_built_in_the_background_once_shown(
        qtbot, school_store, data_dir: Path, monkeypatch) -> None:
    import sys

    import ui.pages
    from ui.main_window import MainWindow

    for name in ("ui.pages.works_page", "ui.pages.exports_page"):
        # Both the module table and the package's attribute go back at teardown: otherwise later
        # tests patch one copy of the module while the window imports the other.
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(ui.pages, name.rsplit(".", 1)[1], raising=False)
    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    assert "ui.pages.works_page" not in sys.modules       # nothing imported before the window is shown
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: "ui.pages.works_page" in sys.modules and "ui.pages.exports_page" in sys.modules
                    and "sqlite_utils" in sys.modules, timeout=10000)
    win._warm.join(10)
    assert "Работы" not in win.pages.built and "Выгрузка" not in win.pages.built   # imported, not built
    win.go_to_step(2)
    assert win.pages["Работы"].isVisible()
