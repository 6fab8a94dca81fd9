"""Every dialog and page fits a school PC's window: 1366×728 (a 1366×768 screen less the
taskbar), with every button on the screen and inside its window (issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QWidget

from coordinator_app.codes import assign_codes
from coordinator_app.scans.importer import ScanImportReport
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests.conftest import add_pupils

SCREEN_W, SCREEN_H = 1366, 728


def _screen() -> QRect:
    return QApplication.primaryScreen().availableGeometry()


def test_the_tests_see_a_school_pc_screen(qapp) -> None:
    assert (_screen().width(), _screen().height()) == (SCREEN_W, SCREEN_H)


def _outside(top: QWidget) -> list[str]:
    """Buttons of `top` that are not wholly inside it, and `top` itself if it is not on the screen."""
    problems = []
    frame = top.frameGeometry()
    if not _screen().contains(frame):
        problems.append(f"окно {top.windowTitle()!r} {frame.width()}×{frame.height()} не помещается на экран")
    area = top.rect()
    for button in top.findChildren(QAbstractButton):
        if not button.isVisibleTo(top) or not button.text():
            continue
        rect = QRect(button.mapTo(top, QPoint(0, 0)), button.size())
        if not area.contains(rect):
            problems.append(f"кнопка «{button.text()}» за краем окна: {rect.getRect()} в {area.getRect()}")
    return problems


@pytest.fixture
def window(qtbot, school_store, data_dir: Path):
    from ui.main_window import MainWindow

    add_pupils(school_store, [("Иванов", "Иван", "Петрович", "4А"), ("Петрова", "Анна", "", "4Б")])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date.today(),
                                                   [TaskDef(str(i), 2) for i in range(1, 16)], classes=["4А", "4Б"]))
    assign_codes(school_store, work_id)
    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.showMaximized()
    qtbot.waitExposed(win)
    return win


def test_every_page_fits_the_window_with_its_buttons(qtbot, window) -> None:
    problems = []
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        qtbot.wait(50)
        problems += [f"{window.nav.item(row).text()}: {problem}" for problem in _outside(window)]
    assert problems == []


def _dialogs(window) -> list[QDialog]:
    from ui.dialogs.experts_dialog import ExpertsDialog
    from ui.dialogs.import_students import ImportStudentsDialog
    from ui.dialogs.scan_report_dialog import ScanReportDialog
    from ui.dialogs.second_check_dialog import SettleDialog
    from ui.dialogs.student_dialog import StudentDialog
    from ui.dialogs.work_dialog import CATALOGUE, MANUAL, TEMPLATE, WorkDialog
    from ui.expert_mode import PinDialog, SetPinDialog

    ctx = window.ctx
    work = get_work(ctx.store, 1)
    report = ScanImportReport(files=3, imported=9, unassigned=2,
                              rejected=[{"file": f"скан{i}.pdf", "reason": "файл повреждён"} for i in range(30)])
    return [
        WorkDialog(ctx, TEMPLATE, parent=window), WorkDialog(ctx, CATALOGUE, parent=window),
        WorkDialog(ctx, MANUAL, parent=window), WorkDialog(ctx, work=work, parent=window),
        ExpertsDialog(ctx, parent=window), ExpertsDialog(ctx, work, parent=window),
        ImportStudentsDialog(ctx, parent=window), StudentDialog(ctx, parent=window),
        ScanReportDialog(report, parent=window),
        SettleDialog(ctx.store, work.id, "40001", "1", 2, "1", "2", parent=window),
        PinDialog(ctx.store, parent=window), SetPinDialog(ctx.store, parent=window),
    ]


def test_every_dialog_fits_the_screen_with_its_buttons(qtbot, window) -> None:
    problems = []
    for dialog in _dialogs(window):
        dialog.show()
        qtbot.waitExposed(dialog)
        problems += [f"{type(dialog).__name__}: {p}" for p in _outside(dialog)]
        dialog.reject()
    assert problems == []
