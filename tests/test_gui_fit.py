"""Every dialog and page fits a school PC's window: 1366×728 (a 1366×768 screen less the
taskbar), with every button on the screen and inside its window (issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QWidget

from coordinator_app.changes import Topic
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
    from coordinator_app.formats.backup_crypto import WrongPassword
    from ui.dialogs.backup_password_dialog import CREATE, OPEN, SCHEDULE, BackupPasswordDialog
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
    without_password = BackupPasswordDialog(CREATE, parent=window)
    without_password.plain_box.setChecked(True)            # the warning shown: the tallest it gets
    return [
        BackupPasswordDialog(CREATE, parent=window, saved=True), without_password,
        BackupPasswordDialog(SCHEDULE, parent=window),
        BackupPasswordDialog(OPEN, parent=window, archive="vpr-backup-sch123456-20260421-100000.vprbak",
                             error=WrongPassword().message),
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


def _unreadable(view, rows: int = 20) -> list[str]:
    """Columns of `view` narrower than their title or than a value among the first `rows` rows (a
    value over 400 px may wrap into a tooltip, but then the column must be at least 300 px)."""
    model = view.model()
    header = view.horizontalHeader()
    cell_metrics, head_metrics = view.fontMetrics(), header.fontMetrics()
    problems = []
    for column in range(model.columnCount()):
        if view.isColumnHidden(column):
            continue
        width = header.sectionSize(column)
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        if width < head_metrics.horizontalAdvance(title) + 6:
            problems.append(f"«{title}»: заголовок не виден целиком ({width} px)")
        for row in range(min(rows, model.rowCount())):
            text = str(model.index(row, column).data() or "")
            need = cell_metrics.horizontalAdvance(text) + 4
            if need > 400:
                need = 300
            if width < need:
                problems.append(f"«{title}»: значение «{text}» не видно целиком ({width} px из {need})")
                break
    return problems


def test_columns_are_wide_enough_for_their_titles_and_values(qtbot, window, tmp_path: Path) -> None:
    """«Замечания», «Страниц», «Отсутствовал», «Отметка» and experts' names read whole at 1366×728."""
    from PySide6.QtWidgets import QTableView

    from coordinator_app.experts import assign_expert, save_expert
    from tests._gui_helpers import wait_settled
    from ui.dialogs.experts_dialog import ExpertsDialog
    from ui.dialogs.import_students import ImportStudentsDialog

    store = window.ctx.store
    expert_id = save_expert(store, "Константинопольская Александра Владиславовна", ["Математика"], ["4А"])[0]
    assign_expert(store, 1, expert_id, force=True)
    from coordinator_app.codes import set_absent

    set_absent(store, 1, "40002", True)
    from coordinator_app.changes import Changes

    window.ctx.publish(Changes.of(Topic.PARTICIPANTS, Topic.EXPERTS))
    problems = []
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        wait_settled(qtbot, window)
        page = window.stack.currentWidget()
        for view in page.findChildren(QTableView):
            if view.isVisibleTo(page) and view.model() is not None and view.model().rowCount():
                problems += [f"{window.nav.item(row).text()}: {p}" for p in _unreadable(view)]
    scoring = window.pages["Проверка"]
    window.nav.setCurrentRow(5)
    scoring.tabs.setCurrentWidget(scoring.journal_tab)
    qtbot.wait(20)
    for view in scoring.journal_tab.findChildren(QTableView):
        problems += [f"Журнал и пол: {p}" for p in _unreadable(view)]

    experts = ExpertsDialog(window.ctx, get_work(store, 1), parent=window)
    experts.show()
    qtbot.waitExposed(experts)
    for view in experts.findChildren(QTableView):
        problems += [f"Эксперты: {p}" for p in _unreadable(view)]
    experts.reject()

    csv = tmp_path / "ученики.csv"
    csv.write_text("Фамилия;Имя;Отчество;Класс\nИванов;Иван;Петрович;4А\nПетров;;;4Б\n"
                   "Сидорова;Мария;Ивановна;4Я\n", encoding="utf-8")
    dialog = ImportStudentsDialog(window.ctx, parent=window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.load(csv)
    qtbot.waitUntil(lambda: dialog.findChildren(QTableView)[0].model().rowCount() > 0, timeout=15000)
    view = dialog.findChildren(QTableView)[0]
    titles = [view.model().headerData(c, Qt.Orientation.Horizontal) for c in range(view.model().columnCount())]
    assert "Замечания" in titles
    problems += [f"Импорт учеников: {p}" for p in _unreadable(view)]
    dialog.reject()
    assert problems == []
