"""The second check's sample on «Проверка → Перепроверка» in labelled parts (issue 14): a random part
and the targeted parts «Анализ» finds, made off the GUI thread and listed by part."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._gui_helpers import wait_settled
from tests.test_analysis_cli import TOTALS, scored  # noqa: F401 - the fixture

SCORING = 5


@pytest.fixture
def tab(qtbot, scored, data_dir: Path):  # noqa: F811 - the fixture imported above
    from ui.main_window import MainWindow

    win = MainWindow(scored, data_dir)
    qtbot.addWidget(win)
    win.resize(1300, 820)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(SCORING)
    wait_settled(qtbot, win)
    page = win.pages["Проверка"]
    page.tabs.setCurrentIndex(5)
    wait_settled(qtbot, win)
    return page.second_tab


def test_the_targeted_parts_join_the_random_part_each_named(qtbot, tab) -> None:
    tab.share.setValue(10)
    tab.seed.setText("3")
    tab.targeted.setChecked(True)
    tab.create()
    qtbot.waitUntil(lambda: "Выборка 1" in tab.checks_label.text() or bool(tab.sample_error.text()), timeout=30000)
    text = tab.checks_label.text()
    assert tab.sample_error.text() == ""
    assert "случайная выборка:" in text and "у границы отметки:" in text and "расхождение с журналом:" in text


def test_without_the_targeted_parts_only_the_random_part(qtbot, tab) -> None:
    tab.share.setValue(10)
    tab.create()
    text = tab.checks_label.text()
    assert "случайная выборка:" in text and "у границы отметки" not in text
