"""«Анализ» → «Динамика» in the window (issue 15): the chosen work's grade and subject by school year,
the negative dynamics said, and what to do when there is only one year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coordinator_app.codes import assign_codes, list_participants
from coordinator_app.scoring import set_scores
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests._gui_helpers import wait_settled
from tests.conftest import add_pupils
from tests.test_dynamics import _past

ANALYSIS = 7


@pytest.fixture
def three_years(school_store, tmp_path):
    _past(school_store, tmp_path, 2024, [2] * 1 + [3] * 9 + [4] * 8 + [5] * 2)
    _past(school_store, tmp_path, 2025, [2] * 2 + [3] * 9 + [4] * 7 + [5] * 2)
    add_pupils(school_store, [(f"Ученик{i:02d}", "Имя", "", "4А") for i in range(20)])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 15),
                                                   [TaskDef("1", 5), TaskDef("2", 5)], scale=[4, 6, 8], classes=["4А"]))
    assign_codes(school_store, work_id)
    codes = sorted(p.code for p in list_participants(school_store, work_id))
    totals = [2] * 6 + [5] * 8 + [7] * 5 + [9]
    set_scores(school_store, work_id, [(c, t, min(5, max(0, total - 5 * k))) for c, total in zip(codes, totals)
                                       for k, t in enumerate(("1", "2"))])
    return school_store


def _page(qtbot, store, data_dir: Path):
    from ui.main_window import MainWindow

    win = MainWindow(store, data_dir)
    qtbot.addWidget(win)
    win.resize(1366, 728)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(ANALYSIS)
    wait_settled(qtbot, win)
    return win.pages["Анализ"]


def test_three_years_are_shown_and_the_rise_of_twos_is_said(qtbot, three_years, data_dir: Path, shots) -> None:
    page = _page(qtbot, three_years, data_dir)
    text = page.dynamics_text.text()
    assert "2023/2024" in text and "2025/2026" in text and "30,0 %" in text
    assert "2024/2025 → 2025/2026: доля «2» +20,0 п.п." in text and "отрицательная динамика" in text
    assert [name for name, _ in page.dynamics_chart.rows] == ["2023/2024", "2024/2025", "2025/2026"]
    box = page.dynamics_text.parentWidget()
    box.parentWidget().parentWidget().parentWidget().ensureWidgetVisible(box)
    page.window().grab().save(str(shots / "dynamics.png"))


def test_one_year_says_what_to_import(qtbot, school_store, data_dir: Path) -> None:
    add_pupils(school_store, [("Алексеев", "Артём", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 15), [TaskDef("1", 5)],
                                                   scale=[2, 3, 4], classes=["4А"]))
    assign_codes(school_store, work_id)
    page = _page(qtbot, school_store, data_dir)
    assert "хотя бы за два учебных года" in page.dynamics_text.text()
    assert page.dynamics_chart.isHidden()
