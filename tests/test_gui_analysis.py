"""«Анализ» in the window (issue 14): the valley of a planted work said in the «светофор» and drawn,
a class chosen, the boundary works put into the second check's sample, the year, and the step
never shown to an expert."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from coordinator_app.access import set_expert_mode
from coordinator_app.second_check import checks
from tests._gui_helpers import wait_settled
from tests.test_analysis_cli import TOTALS, scored  # noqa: F401 - the fixture

ANALYSIS = 7


@pytest.fixture
def window(qtbot, scored, data_dir: Path):  # noqa: F811 - the fixture imported above
    from ui.main_window import MainWindow

    win = MainWindow(scored, data_dir)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(ANALYSIS)
    wait_settled(qtbot, win)
    return win


@pytest.fixture
def page(window):
    return window.pages["Анализ"]


def test_the_valley_is_said_and_drawn(qtbot, page, shots: Path) -> None:
    assert "провал" in page.signs.text() and "Требует анализа" in page.signs.text()
    assert "Участников с полной проверкой: <b>40</b>" in page.marks_text.text()
    assert "Граница «5» (15 б.): на границе 0, на балл ниже 11 — провал." in page.boundary_text.text()
    page.window().grab().save(str(shots / "analysis.png"))
    image = page.histogram.grab().toImage()
    x = int(page.histogram.bar_x(14) + 4)
    y = page.histogram.height() - 40
    assert QColor(image.pixel(x, y)).name() == "#ef8f00"          # the bar at b − 1 of the valley, marked


def test_a_class_narrows_the_figures(qtbot, page) -> None:
    page.class_box.setCurrentIndex(page.class_box.findData("5А"))
    wait_settled(qtbot, page)
    assert "Участников с полной проверкой: <b>20</b>" in page.marks_text.text()


def test_the_boundary_works_join_the_second_check(qtbot, page, scored, messages) -> None:  # noqa: F811
    messages.always(True)
    assert page.boundary_button.isEnabled()
    page.sample_boundary_works()
    made = checks(scored, 1)
    assert len(made) == 1 and list(made[0].strata) == ["boundary"] and len(made[0].codes) == 11


def test_the_year_lists_every_work(qtbot, page) -> None:
    page.work_box.setCurrentIndex(page.work_box.findData(-1))
    wait_settled(qtbot, page)
    assert page.year_box.isVisible() and page.year_table.rowCount() == 1 and "Математика" in page.year_table.item(0, 0).text()
    assert not page.work_sections[0].isVisible()


def test_an_expert_never_sees_the_step(qtbot, scored, data_dir: Path) -> None:  # noqa: F811
    from ui.main_window import MainWindow

    set_expert_mode(scored, True)
    win = MainWindow(scored, data_dir)
    qtbot.addWidget(win)
    win.show()
    win.go_to_step(ANALYSIS)
    assert win.nav.currentRow() != ANALYSIS and "Анализ" not in win.pages.built


def test_the_page_scrolled_down(qtbot, page, shots: Path) -> None:
    """The screenshot of the lower sections (tasks), for the eye."""
    scroll = page.findChild(__import__("PySide6.QtWidgets", fromlist=["QScrollArea"]).QScrollArea)
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    page.window().grab().save(str(shots / "analysis_bottom.png"))
    assert "Понизили (Отметка &lt; Отметка по журналу): 1" in page.journal_text.text()


def test_the_report_button_writes_the_pdf_off_the_gui_thread(qtbot, page, tmp_path: Path, opened) -> None:
    page.make_report(tmp_path / "справка.pdf")
    qtbot.waitUntil(lambda: hasattr(page, "last_report"), timeout=30000)
    assert page.last_report.read_bytes().startswith(b"%PDF") and opened == [tmp_path / "справка.pdf"]


def test_the_journal_heat_map_holds_the_4x4_table(qtbot, page) -> None:
    table = page.heat.table
    assert len(table) == 4 and sum(map(sum, table)) == 40
    assert sum(table[i][i] for i in range(4)) == 36                 # «подтвердили» on the diagonal
    assert not page.heat.grab().isNull()


def test_the_mark_groups_and_the_second_check_are_shown(qtbot, page, scored, shots: Path) -> None:  # noqa: F811
    from coordinator_app.codes import list_participants
    from coordinator_app.scoring import set_scores
    from coordinator_app.second_check import create_check
    from tests.test_analysis_cli import _split

    assert page.groups_chart.groups and all(n >= 10 for _, n, _ in page.groups_chart.groups)
    assert "Группы меньше 10 работ не показаны" in page.groups_text.text()
    assert "Второй проверки этой работы ещё нет" in page.second_text.text()
    codes = sorted(p.code for p in list_participants(scored, 1))[:20]
    create_check(scored, 1, codes=codes)
    totals = dict(zip(sorted(p.code for p in list_participants(scored, 1)), TOTALS))
    set_scores(scored, 1, [(c, str(t), p) for c in codes for t, p in enumerate(_split(totals[c]), start=1)], round=2)
    page.reload()
    wait_settled(qtbot, page)
    assert "Пар работ: 20" in page.second_text.text() and len(page.bland_altman.points) == 20
    from PySide6.QtWidgets import QScrollArea

    page.findChild(QScrollArea).ensureWidgetVisible(page.bland_altman)
    page.groups_chart.window().grab().save(str(shots / "analysis_groups.png"))


def test_the_region_s_task_figures_mark_the_task_bars(qtbot, page, scored) -> None:  # noqa: F811
    from coordinator_app.references import ReferenceRow, set_reference

    set_reference(scored, ReferenceRow(1, "region", 2025, tasks={"1": 80.0, "2": 70.0, "3": 50.0, "4": 20.0}))
    page.reload()
    wait_settled(qtbot, page)
    assert page.task_bars.reference == {"1": 80.0, "2": 70.0, "3": 50.0, "4": 20.0}
    assert "эталонных данных" in page.tasks_text.text()
