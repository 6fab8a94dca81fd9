"""«Анализ» → «Отчёты ФИС ОКО…» in the window (issue 15): the reports imported off the GUI thread,
the reconciliation shown as a table and written as a PDF, a past year's report made a work after a
question."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from coordinator_app.works import list_works
from tests._gui_helpers import wait_settled
from tests.fisoko_reports import Head, write_individual, write_marks
from tests.test_results_import import HEAD, TASKS, _rows, pdf_text, uploaded  # noqa: F401 - the fixture

ANALYSIS = 7


@pytest.fixture
def page(qtbot, uploaded, data_dir: Path):  # noqa: F811 - the fixture imported above
    from ui.main_window import MainWindow

    store, _work_id = uploaded
    win = MainWindow(store, data_dir)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(ANALYSIS)
    wait_settled(qtbot, win)
    return win.pages["Анализ"]


def _import(qtbot, page, *paths: Path) -> None:
    page.import_reports(list(paths))
    qtbot.waitUntil(lambda: page.ctx.tasks.active == 0, timeout=30000)
    wait_settled(qtbot, page)


def test_before_any_report_the_section_says_what_to_do(page) -> None:
    assert "ещё не импортированы" in page.reconcile_text.text()
    assert page.reconcile_table.isHidden() and page.reconcile_button.isHidden()


def test_a_report_with_a_difference_shows_it_in_the_table(qtbot, page, uploaded, tmp_path, messages, shots) -> None:  # noqa: F811
    store, work_id = uploaded
    rows = _rows(store, work_id)
    rows[3] = dataclasses.replace(rows[3], journal=2)
    counts = [sum(1 for r in rows if r.mark == m) * 10 for m in (2, 3, 4, 5)]
    _import(qtbot, page, write_marks(tmp_path / "f3.xlsx", HEAD, (10, counts)),
            write_individual(tmp_path / "f1.xlsx", HEAD, rows))
    assert not messages.errors
    assert "«Индивидуальные результаты» импортированы" in messages.informed[-1]
    assert "Статистика по отметкам" in messages.informed[-1]
    table = page.reconcile_table
    assert table.isVisibleTo(page) and table.rowCount() == 1
    assert [table.item(0, c).text() for c in range(4)] == [rows[3].code, "отметка по журналу",
                                                           str(_rows(store, work_id)[3].journal), "2"]
    assert "расхождений 1" in page.reconcile_text.text()
    page.reconcile_box.parentWidget().parentWidget().parentWidget().ensureWidgetVisible(page.reconcile_box)
    page.window().grab().save(str(shots / "reconciliation.png"))


def test_the_reconciliation_pdf_is_written_off_the_gui_thread(qtbot, page, uploaded, tmp_path, messages, opened) -> None:  # noqa: F811
    store, work_id = uploaded
    _import(qtbot, page, write_individual(tmp_path / "f1.xlsx", HEAD, _rows(store, work_id)))
    assert page.reconcile_button.isVisibleTo(page)
    page.save_reconciliation(tmp_path / "сверка.pdf")
    qtbot.waitUntil(lambda: bool(opened), timeout=30000)
    assert "Расхождений нет" in pdf_text(opened[0])


def test_a_past_year_s_report_asks_and_becomes_a_work(qtbot, page, uploaded, tmp_path, messages) -> None:  # noqa: F811
    store, work_id = uploaded
    past = Head(year=2025, date="23.04.2025", tasks=TASKS)
    messages.answer(True)
    _import(qtbot, page, write_individual(tmp_path / "f1_2025.xlsx", past, _rows(store, work_id)))
    assert "результаты прошлых лет" in messages.asked[-1]
    assert "Создана работа прошлых лет" in messages.informed[-1]
    assert [w.work_date.year for w in list_works(store)] == [2025, 2026]


def test_a_declined_question_imports_nothing(qtbot, page, uploaded, tmp_path, messages) -> None:  # noqa: F811
    store, work_id = uploaded
    past = Head(year=2025, date="23.04.2025", tasks=TASKS)
    messages.answer(False)
    _import(qtbot, page, write_individual(tmp_path / "f1_2025.xlsx", past, _rows(store, work_id)))
    assert len(list_works(store)) == 1 and not messages.informed and not messages.errors


def test_a_bad_report_is_one_clear_message_and_nothing_changes(qtbot, page, uploaded, tmp_path, messages) -> None:  # noqa: F811
    bad = tmp_path / "bad.xlsx"
    bad.write_text("no")
    _import(qtbot, page, bad)
    assert messages.errors and "не читается как файл Excel" in messages.errors[-1]


def test_the_lists_with_names_are_in_the_more_menu_and_written_off_the_gui_thread(qtbot, page, tmp_path, opened) -> None:
    from tests.pdf_helpers import page_texts

    texts = [a.text() for a in page.more_button.menu().actions() if a.text()]
    assert texts == ["Пороги анализа…", "Эталонные данные…", "Список класса с результатами (с ФИО)…",
                     "Листки для родителей (с ФИО)…"]
    page.make_class_list(tmp_path / "список.xlsx")
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=30000)
    page.make_parent_slips(tmp_path / "листки.pdf")
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=30000)
    assert opened[0].suffix == ".xlsx" and "Алексеев" in " ".join(page_texts(opened[1]))


def test_a_past_year_s_mark_shares_alone_become_a_work_every_page_can_show(qtbot, page, tmp_path, messages,
                                                                           shots) -> None:
    """«Статистика по отметкам» of 2024 alone: a work without tasks, and each page of that year shows
    it without an error (nothing to score, nothing to analyse but its marks in «Динамика»)."""
    from coordinator_app.works import get_work

    store = page.ctx.store
    past = Head(year=2024, date="18.04.2024", tasks=TASKS)
    messages.answer(True)
    _import(qtbot, page, write_marks(tmp_path / "f3_2024.xlsx", past, (89, [12.36, 52.81, 26.97, 7.87])))
    assert "доли отметок школы войдут в «Динамику»" in messages.asked[-1]
    assert "Создана работа прошлых лет" in messages.informed[-1]
    [work] = [w for w in list_works(store) if w.work_date.year == 2024]
    assert get_work(store, work.id).tasks == []
    window = page.window()
    window.choose_year("2023/2024")
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        wait_settled(qtbot, window)
    assert not messages.errors
    scoring = window.pages["Проверка"]
    assert scoring.summary.text() == "У работы ещё нет участников: выдайте коды на странице «Коды и протокол»."
    assert page.signs.text().startswith("Работы этого года импортированы из отчётов ФИС ОКО без шкалы")
    works = window.pages["Работы"]
    works.table.selectRow(0)
    assert "известны только доли отметок школы" in works.details.text()
    window.choose_year("2025/2026")
    window.nav.setCurrentRow(ANALYSIS)
    wait_settled(qtbot, window)
    assert "2023/2024" in page.dynamics_text.text() and not messages.errors
    from PySide6.QtWidgets import QScrollArea

    page.findChild(QScrollArea).ensureWidgetVisible(page.dynamics_chart)
    window.grab().save(str(shots / "dynamics_with_shares.png"))
