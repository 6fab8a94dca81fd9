"""The «Сканы» page as a coordinator uses it: import a folder (buttons or drag-and-drop), look through
participants, type codes for unrecognised pages, settle conflicts, rotate and reorder, attach audio,
delete expired scans with an act; an expert sees codes only.

Runs offscreen (conftest). Message boxes and file dialogs are replaced by recorders; screenshots of
every tab are saved to /tmp/scans_*.png for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QListWidget

from coordinator_app.changes import Topic
from coordinator_app.codes import assign_codes
from coordinator_app.scans.importer import import_scans
from coordinator_app.scans.pages import get_page, participant_pages, queue, work_scans
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests._gui_helpers import wait_settled
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg, save_pdf, title_page

PUPILS = [("Абрамов", "Кирилл", "Олегович", "4А"), ("Борисова", "Мария", "", "4А"),
          ("Васильев", "Глеб", "", "4А"), ("Григорьева", "Софья", "", "4Б"), ("Данилов", "Егор", "", "4Б")]
NAMES = [p[0] for p in PUPILS] + [p[1] for p in PUPILS if p[1]]
SHOTS = Path()      # each test's own folder (the `shots` fixture), set below


@pytest.fixture(autouse=True)
def _screenshots_in_the_test_folder(shots: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "SHOTS", shots)


def _make_work(store: Store, date: dt.date, subject: str = "Русский язык") -> int:
    work_id, _ = create_work(store, WorkDef(subject, 4, date, [TaskDef("1", 2), TaskDef("2", 1)], classes=["4А", "4Б"]))
    assign_codes(store, work_id)
    return work_id


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message a dialog would show; confirmations are answered «yes»; import reports recorded."""
    messages: list[str] = []
    import ui.dialogs.retention_dialog as retention
    import ui.dialogs.scan_report_dialog as scan_report
    import ui.messages as msgs

    def record(_parent, text, *args, **kwargs):
        messages.append(str(text))
        return True

    for module in (msgs, retention):
        for name in ("show_error", "inform", "confirm"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, record)
    monkeypatch.setattr(scan_report, "show_import_report", lambda _parent, report: messages.append(report.summary()))
    return messages


@pytest.fixture
def work(school_store: Store):
    from coordinator_app.works import update_work

    add_pupils(school_store, PUPILS)
    work_id = _make_work(school_store, dt.date.today())
    update_work(school_store, work_id, pages_per_work=3)     # the batches here hold works of 1–3 pages
    return get_work(school_store, work_id)


@pytest.fixture
def window(qtbot, school_store, data_dir: Path, said, work):
    from ui.main_window import MainWindow

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.nav.setCurrentRow(4)
    win.pages["Сканы"].import_workers = 1
    wait_settled(qtbot, win)
    return win


@pytest.fixture
def page(window):
    return window.pages["Сканы"]


def title(work, code: str, **kw):
    return title_page(code, login="sch123456", work_key=work.work_key, **kw)


def labelled_folder(work, folder: Path) -> Path:
    """40001: title + 1 page; 40002: title + 2 pages; 40003: title only."""
    folder.mkdir(parents=True, exist_ok=True)
    save_jpeg(title(work, "40001"), folder / "scan01.jpg")
    save_jpeg(plain_page(seed=1), folder / "scan02.jpg")
    save_jpeg(title(work, "40002"), folder / "scan03.jpg")
    save_jpeg(plain_page(seed=2), folder / "scan04.jpg")
    save_jpeg(plain_page(seed=3), folder / "scan05.jpg")
    save_jpeg(title(work, "40003"), folder / "scan06.jpg")
    return folder


def loose_pages(folder: Path, count: int = 3) -> Path:
    """Pages without a label and not following one: they wait in «Нераспознанные»."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        save_jpeg(plain_page(seed=20 + i), folder / f"loose{i + 1}.jpg")
    return folder


def import_and_wait(qtbot, page, paths) -> None:
    before = page.last_report
    page.import_paths(paths)
    qtbot.waitUntil(lambda: page.last_report is not before and not page.importing, timeout=60000)
    wait_settled(qtbot, page)          # the page reloads its participants and scans off the GUI thread


def counts_by_code(page) -> dict[str, str]:
    model = page.participants.model
    pages_col = next(i for i, c in enumerate(model.columns) if c.title == "Страниц")
    return {model.record(r).code: model.data(model.index(r, pages_col)) for r in range(model.rowCount())}


def file_hash(store: Store, page) -> str:
    return hashlib.sha256(store.path(page.image_path).read_bytes()).hexdigest()


def shot(widget, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(SHOTS / f"scans_{name}.png"))


# -- import --------------------------------------------------------------------------------------


def test_the_fifth_step_is_the_scans_page(qtbot, window) -> None:
    assert window.nav.item(4).text() == "5. Сканы"
    window.nav.setCurrentRow(0)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages["Сканы"]


def test_importing_a_folder_fills_the_participants_table(qtbot, window, page, work, tmp_path: Path, said) -> None:
    assert page.work_id == work.id
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    assert page.last_report.imported == 6 and page.last_report.identified_qr == 3
    assert any("Импорт завершён" in m and "страниц: 6" in m for m in said)
    assert counts_by_code(page) == {"40001": "2", "40002": "3", "40003": "1", "40004": "0", "40005": "0"}
    assert page.tabs.tabText(1) == "Нераспознанные (0)"
    # The first participant is selected: the strip has its pages, the viewer the title page.
    assert page.participants.current_participant().code == "40001"
    assert page.participants.strip.count() == 2 and page.participants.strip.item(0).text() == "1 · титул"
    assert page.participants.viewer.page.is_title and page.participants.viewer.header.text() == "Код 40001 — Абрамов Кирилл"
    assert not page.participants.viewer.view.item.pixmap().isNull()
    page.participants.search.setText("40002")
    assert page.participants.proxy.rowCount() == 1
    page.participants.search.setText("")
    shot(window, "participants")


def test_rejected_files_are_listed_in_the_report(qtbot, page, work, tmp_path: Path, said) -> None:
    folder = loose_pages(tmp_path / "mixed", 1)
    (folder / "notes.txt").write_text("не скан")
    import_and_wait(qtbot, page, [folder])
    assert page.last_report.rejected and page.last_report.rejected[0]["file"].endswith("notes.txt")
    from ui.dialogs.scan_report_dialog import ScanReportDialog

    dialog = ScanReportDialog(page.last_report, page)
    qtbot.addWidget(dialog)
    assert "notes.txt" in dialog.problems.toPlainText() and "Не приняты файлы: 1" in dialog.summary.text()
    dialog.show()
    shot(dialog, "report")


def test_drop_of_a_folder_on_the_page_starts_an_import(qtbot, page, work, tmp_path: Path) -> None:
    folder = labelled_folder(work, tmp_path / "dropped")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    # QDragEnterEvent takes an integer QPoint (PySide6 < 6.12 refuses QPointF).
    args = (QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()                       # the page takes files dragged over it
    text_only = QMimeData()
    text_only.setText("просто текст")
    refused = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, text_only, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(page, refused)
    assert not refused.isAccepted()
    drop = QDropEvent(*args)
    page.dropEvent(drop)                            # Qt delivers a drop only inside a real drag
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: page.last_report is not None and not page.importing, timeout=60000)
    wait_settled(qtbot, page)
    assert page.last_report.imported == 6
    assert counts_by_code(page)["40002"] == "3"


def test_import_progress_can_be_cancelled(qtbot, page, work, tmp_path: Path, monkeypatch) -> None:
    import coordinator_app.scans.importer as importer

    real = importer.import_scans

    def cancelled_at_once(store, paths, **kw):
        kw["cancelled"] = lambda: True
        return real(store, paths, **kw)

    monkeypatch.setattr(importer, "import_scans", cancelled_at_once)
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    assert page.last_report.cancelled and page.last_report.imported == 0
    assert page.import_files_button.isEnabled()


# -- the «Нераспознанные» queue ------------------------------------------------------------------


def test_the_queue_tab_is_current_when_shown_and_keeps_its_place(qtbot, window, page, work, tmp_path: Path) -> None:
    """The queues' pages are read when their tab is shown; the counts in the tab titles are always
    current, and the page being looked at stays on screen across changes made elsewhere."""
    from coordinator_app.changes import Changes
    from coordinator_app.scans.pages import assign_page

    store = window.ctx.store
    import_and_wait(qtbot, page, [loose_pages(tmp_path / "loose", 4)])
    waiting = [p.id for p in queue(store, "unassigned", work.id)]
    assert page.tabs.tabText(1) == "Нераспознанные (4)" and page.tabs.tabText(2) == "Спорные (0)"
    page.tabs.setCurrentIndex(1)
    assert page.unrecognised.viewer.page.id == waiting[0]
    page.unrecognised.step(1)
    page.unrecognised.step(1)
    assert page.unrecognised.viewer.page.id == waiting[2]

    page.tabs.setCurrentIndex(0)
    assign_page(store, waiting[0], "40003", work.id)        # done elsewhere (another window, the CLI)
    window.ctx.publish(Changes.of(Topic.SCANS))
    qtbot.waitUntil(lambda: page.tabs.tabText(1) == "Нераспознанные (3)", timeout=5000)
    page.tabs.setCurrentIndex(1)
    assert [p.id for p in page.unrecognised.pages] == waiting[1:]
    assert page.unrecognised.viewer.page.id == waiting[2]           # the same page, not the first one
    assert page.unrecognised.viewer.header.text() == "Страница 2 из 3"



# The code completer's popup: the offscreen platform cannot raise it or grab the keyboard (harmless).
@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing the keyboard")
def test_typing_a_code_and_enter_assigns_the_page_and_shows_the_next(qtbot, window, page, work, tmp_path: Path) -> None:
    store = window.ctx.store
    import_and_wait(qtbot, page, [loose_pages(tmp_path / "loose", 3)])
    assert page.tabs.tabText(1) == "Нераспознанные (3)"
    page.tabs.setCurrentIndex(1)
    waiting = [p.id for p in queue(store, "unassigned", work.id)]
    assert page.unrecognised.viewer.page.id == waiting[0]
    assert "нет наклейки" in page.unrecognised.note.text()
    shot(window, "unassigned")

    # A wrong code: a red message under the field, nothing assigned, the same page stays.
    qtbot.keyClicks(page.unrecognised.code_edit, "49999")
    qtbot.keyClick(page.unrecognised.code_edit, Qt.Key.Key_Return)
    assert "нет участника с кодом 49999" in page.unrecognised.code_error.text()
    assert page.unrecognised.viewer.page.id == waiting[0]
    assert len(queue(store, "unassigned", work.id)) == 3
    shot(page, "unassigned_error")

    page.unrecognised.code_edit.clear()
    qtbot.keyClicks(page.unrecognised.code_edit, "40004")
    qtbot.keyClick(page.unrecognised.code_edit, Qt.Key.Key_Return)
    assert page.unrecognised.code_error.text() == "" and page.unrecognised.code_edit.text() == ""
    assert get_page(store, waiting[0]).code == "40004" and get_page(store, waiting[0]).status == "assigned"
    assert page.unrecognised.viewer.page.id == waiting[1]            # the next page is on screen
    assert not page.unrecognised.viewer.view.item.pixmap().isNull()
    assert page.tabs.tabText(1) == "Нераспознанные (2)"

    page.unrecognised.step(1)                                     # «Пропустить»
    assert page.unrecognised.viewer.page.id == waiting[2]
    page.unrecognised.mark("blank")
    assert get_page(store, waiting[2]).status == "blank"
    assert page.unrecognised.viewer.page.id == waiting[1]
    assert page.tabs.tabText(1) == "Нераспознанные (1)"
    page.unrecognised.mark("extra")
    wait_settled(qtbot, page)
    assert page.unrecognised.viewer.page is None and page.tabs.tabText(1) == "Нераспознанные (0)"
    assert counts_by_code(page)["40004"] == "1"


def test_rotation_is_metadata_and_the_stored_file_never_changes(qtbot, window, page, work, tmp_path: Path) -> None:
    store = window.ctx.store
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    shown = page.participants.viewer.page
    before = file_hash(store, shown)
    page.participants.viewer.view.setFocus()
    qtbot.keyClick(page.participants.viewer.view, Qt.Key.Key_R)
    assert get_page(store, shown.id).rotation == 90
    assert page.participants.viewer.view.rotation == 90
    rect = page.participants.viewer.view.page_rect()
    assert rect.width() > rect.height()                      # an A4 page on its side now
    page.participants.viewer.rotate()
    page.participants.viewer.rotate()
    page.participants.viewer.rotate()
    assert get_page(store, shown.id).rotation == 0
    page.participants.select_participant("40002")
    page.participants.strip.setCurrentRow(1)
    second = page.participants.viewer.page
    qtbot.keyClick(page.participants.viewer.view, Qt.Key.Key_R)            # the page list reloads: the same page stays shown
    assert page.participants.strip.currentRow() == 1 and page.participants.viewer.page.id == second.id
    assert get_page(store, second.id).rotation == 90 and page.participants.current_participant().code == "40002"
    assert file_hash(store, shown) == before == get_page(store, shown.id).sha256


def test_viewer_zoom_fit_and_keys(qtbot, window, page, work, tmp_path: Path) -> None:
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    view = page.participants.viewer.view
    width = view.viewport().width()
    assert view.mode == "width" and abs(view.page_rect().width() * view.zoom - width) < 40
    start = view.zoom
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom > start and view.mode is None
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert abs(view.zoom - start) < 1e-6
    view.fit_page()
    assert view.page_rect().height() * view.zoom <= view.viewport().height()
    qtbot.keyClick(view, Qt.Key.Key_W)
    assert view.mode == "width"
    view.zoom_by(4)                      # past the loaded resolution: the full one is read
    qtbot.waitUntil(lambda: view.factor == 1, timeout=3000)


def test_keyboard_moves_between_participants(qtbot, window, page, work, tmp_path: Path) -> None:
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    page.participants.table.setFocus()
    assert page.participants.current_participant().code == "40001"
    qtbot.keyClick(page.participants.table, Qt.Key.Key_PageDown)
    assert page.participants.current_participant().code == "40002" and page.participants.viewer.header.text().startswith("Код 40002")
    qtbot.keyClick(page.participants.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert page.participants.current_participant().code == "40003"
    qtbot.keyClick(page.participants.table, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(page.participants.table, Qt.Key.Key_PageUp)
    assert page.participants.current_participant().code == "40001"


def test_participant_switch_shows_the_first_page_and_decodes_the_neighbours_ahead(qtbot, window, page, work,
                                                                                  tmp_path: Path) -> None:
    """A 200 dpi JPEG per participant, nothing cached: every switch shows the participant's first
    page (its speed is measured in bench/year_store.py, not here)."""
    folder = tmp_path / "fast"
    folder.mkdir()
    for i in range(5):
        save_jpeg(title(work, f"4000{i + 1}"), folder / f"p{i + 1}.jpg")
    import_and_wait(qtbot, page, [folder])
    for _ in range(2):
        for row in range(5):
            page.participants.viewer.cache.clear()
            page.participants.table.selectRow(row)
            page.participants.table.setCurrentIndex(page.participants.proxy.index(row, 0))
            page.participants.viewer.view.viewport().repaint()
            assert page.participants.viewer.page is not None and not page.participants.viewer.view.item.pixmap().isNull()
            assert page.participants.viewer.header.text().startswith(f"Код 4000{row + 1}")
    # Browsing on: the neighbours are decoded in idle time, so the next switch decodes nothing.
    page.participants.table.setCurrentIndex(page.participants.proxy.index(1, 0))
    decodes = page.participants.viewer.cache.decodes
    qtbot.waitUntil(lambda: page.participants.viewer.cache.decodes == decodes + 2, timeout=3000)
    page.participants.step_participant(1)
    assert page.participants.current_participant().code == "40003" and page.participants.viewer.cache.decodes == decodes + 2


# -- per participant: reorder, reassign, audio ---------------------------------------------------


def test_reordering_the_strip_is_saved(qtbot, window, page, work, tmp_path: Path) -> None:
    store = window.ctx.store
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    page.participants.select_participant("40002")
    pid = page.participants.current_participant().participant_id
    ids = [p.id for p in participant_pages(store, pid)]
    page.participants.move_strip_page(2, 0)                     # the last page dragged to the top
    qtbot.waitUntil(lambda: [p.id for p in participant_pages(store, pid)] == [ids[2], ids[0], ids[1]])
    wait_settled(qtbot, page)
    assert page.participants.strip.page_ids() == [ids[2], ids[0], ids[1]]
    assert page.participants.strip.item(0).text() == "1 · титул"
    assert page.participants.current_participant().code == "40002"


def test_reassign_moves_the_page_to_another_code(qtbot, window, page, work, tmp_path: Path, said) -> None:
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    page.participants.select_participant("40002")
    page.participants.strip.setCurrentRow(2)
    moved = page.participants.current_strip_page().id
    page.participants.reassign("40005")
    wait_settled(qtbot, page)
    assert counts_by_code(page)["40002"] == "2" and counts_by_code(page)["40005"] == "1"
    assert get_page(window.ctx.store, moved).code == "40005"
    page.participants.reassign("12345")
    assert any("нет участника с кодом 12345" in m for m in said)


def test_audio_is_attached_listed_and_played(qtbot, window, page, work, tmp_path: Path, opened) -> None:
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    page.participants.select_participant("40003")
    assert not page.participants.audio_list.isVisible()
    wav = tmp_path / "Устный ответ.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * 800)
    page.participants.attach_audio_file(wav)
    wait_settled(qtbot, page)
    assert page.participants.current_participant().code == "40003"
    assert page.participants.audio_list.count() == 1 and "Устный ответ.wav" in page.participants.audio_list.item(0).text()
    assert page.participants.play_button.isVisible()
    page.participants.play_button.click()
    assert opened and opened[0].read_bytes() == wav.read_bytes()


# -- «Спорные» -----------------------------------------------------------------------------------


def test_a_second_title_page_is_settled_in_the_conflicts_tab(qtbot, window, page, work, tmp_path: Path) -> None:
    store = window.ctx.store
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    again = tmp_path / "again"
    again.mkdir()
    save_jpeg(title(work, "40001", seed=5), again / "rescan.jpg")
    import_and_wait(qtbot, page, [again])
    assert page.tabs.tabText(2) == "Спорные (1)"
    page.tabs.setCurrentIndex(2)
    new = page.conflicts.new_viewer.page
    old = page.conflicts.old_viewer.page
    assert new.status == "conflict" and old.is_title and old.code == new.code == "40001"
    assert "Абрамов" in page.conflicts.info.text()
    shot(window, "conflicts")
    page.conflicts.keep_new_button.click()
    wait_settled(qtbot, page)
    pages = participant_pages(store, new.participant_id)
    assert pages[0].id == new.id and pages[0].is_title
    assert not get_page(store, old.id).is_title and get_page(store, old.id).status == "assigned"
    assert page.tabs.tabText(2) == "Спорные (0)" and page.conflicts.new_viewer.page is None


# -- expert mode ---------------------------------------------------------------------------------


def test_expert_mode_shows_no_pupil_name_anywhere(qtbot, school_store, data_dir: Path, work, tmp_path: Path,
                                                   said) -> None:
    from ui.bus import ChangeBus
    from ui.context import AppContext
    from ui.pages.scans import ScansPage
    from ui.tasks import TaskRunner

    import_scans(school_store, [labelled_folder(work, tmp_path / "batch")], work_id=work.id, workers=1)
    import_scans(school_store, [loose_pages(tmp_path / "loose", 2)], work_id=work.id, workers=1)
    again = tmp_path / "again"
    again.mkdir()
    save_jpeg(title(work, "40002", seed=9), again / "rescan.jpg")
    import_scans(school_store, [again], work_id=work.id, workers=1)

    bus = ChangeBus()
    ctx = AppContext(store=school_store, bus=bus, tasks=TaskRunner(data_dir, school_store.actor), data_dir=data_dir,
                     expert_mode=True)
    page = ScansPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitExposed(page)
    wait_settled(qtbot, page)

    texts: list[str] = []

    def collect() -> None:
        model = page.participants.model
        assert [c.title for c in model.columns] == ["Код", "Класс", "Страниц", "Отсутствовал"]
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    texts.append(str(model.data(model.index(r, c), role) or ""))
        for label in page.findChildren(QLabel):
            texts.extend([label.text(), label.toolTip()])
        for button in page.findChildren(QAbstractButton):
            texts.extend([button.text(), button.toolTip()])
        for widget in page.findChildren(QListWidget):
            for i in range(widget.count()):
                texts.extend([widget.item(i).text(), widget.item(i).toolTip() or ""])
        texts.extend(page.unrecognised.code_model.stringList())

    for tab in range(3):
        page.tabs.setCurrentIndex(tab)
        for row in range(page.participants.proxy.rowCount()):
            page.participants.table.selectRow(row)
            page.participants.table.setCurrentIndex(page.participants.proxy.index(row, 0))
            collect()
        if tab == 1:
            page.unrecognised.step(1)
            collect()
    assert page.participants.viewer.header.text().startswith("Код ")
    assert "Код 40002" in page.conflicts.info.text()
    joined = "\n".join(texts)
    for name in NAMES:
        assert name not in joined
    page.tabs.setCurrentIndex(0)
    page.participants.select_participant("40002")
    shot(page, "expert")


# -- retention ------------------------------------------------------------------------------------


def test_expired_works_are_offered_for_purge_at_start(qtbot, school_store, data_dir: Path, tmp_path: Path, said,
                                                      opened, work) -> None:
    from ui.main_window import MainWindow

    old_id = _make_work(school_store, dt.date.today() - dt.timedelta(days=120), "Математика")
    old = get_work(school_store, old_id)
    save_pdf([title(old, "40001"), plain_page()], tmp_path / "old.pdf")
    import_scans(school_store, [tmp_path / "old.pdf"], work_id=old_id, workers=1)
    save_jpeg(title(work, "40001"), tmp_path / "current.jpg")
    import_scans(school_store, [tmp_path / "current.jpg"], work_id=work.id, workers=1)

    win = MainWindow(school_store, data_dir)
    qtbot.addWidget(win)
    win.show()
    page = win.pages["Сканы"]
    win.go_to_step(win.pages.specs["Сканы"][0])                   # the user looks at «Сканы»
    wait_settled(qtbot, page)
    assert page.isVisible() and page.participants.purge_button.isEnabled()
    win.offer_purge()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
    assert any("Математика" in m and "страниц: 2" in m for m in said)          # the confirmation
    assert opened[0].suffix == ".pdf" and opened[0].read_bytes().startswith(b"%PDF")
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages WHERE work_id = ?", [old_id]) == 0
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages WHERE work_id = ?", [work.id]) == 1
    # The page reloads off the GUI thread after the purge (PageLoader): wait for it, not a race.
    qtbot.waitUntil(lambda: not page.participants.purge_button.isEnabled(), timeout=20000)
    said.clear()
    win.offer_purge()                                   # nothing left: silent at start
    assert said == []


def test_the_purge_button_follows_expired_works_whatever_work_is_shown(qtbot, window, page, school_store, work,
                                                                     tmp_path: Path, said, opened) -> None:
    from coordinator_app.changes import Changes

    save_jpeg(title(work, "40001"), tmp_path / "current.jpg")
    import_scans(school_store, [tmp_path / "current.jpg"], work_id=work.id, workers=1)
    window.ctx.publish(Changes.of(Topic.SCANS))
    qtbot.waitUntil(lambda: page.work_id == work.id and page.participants.any_pages, timeout=5000)
    assert not page.participants.purge_button.isEnabled()                 # the only scans are within retention

    old_id = _make_work(school_store, dt.date.today() - dt.timedelta(days=120), "Математика")
    old = get_work(school_store, old_id)
    save_pdf([title(old, "40002"), plain_page()], tmp_path / "old.pdf")
    import_scans(school_store, [tmp_path / "old.pdf"], work_id=old_id, workers=1)
    window.ctx.publish(Changes.of(Topic.SCANS))
    qtbot.waitUntil(page.participants.purge_button.isEnabled, timeout=5000)
    assert page.work_id == work.id                           # the work shown is not the expired one
    page.select_work(None)                                   # «Все работы»
    assert page.participants.purge_button.isEnabled()
    page.select_work(work.id)
    assert page.participants.purge_button.isEnabled()

    page.participants.purge_button.click()
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=20000)
    assert any("Математика" in m and "страниц: 2" in m and "файлов сканов: 1" in m for m in said)
    qtbot.waitUntil(lambda: not page.participants.purge_button.isEnabled(), timeout=5000)
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages WHERE work_id = ?", [work.id]) == 1


def test_nothing_is_deleted_when_the_purge_is_declined(qtbot, window, school_store, tmp_path: Path, monkeypatch,
                                                        opened) -> None:
    import ui.dialogs.retention_dialog as retention

    old_id = _make_work(school_store, dt.date.today() - dt.timedelta(days=120), "Математика")
    save_jpeg(title(get_work(school_store, old_id), "40001"), tmp_path / "old.jpg")
    import_scans(school_store, [tmp_path / "old.jpg"], work_id=old_id, workers=1)
    monkeypatch.setattr(retention, "confirm", lambda *a, **k: False)
    window.offer_purge()
    assert school_store.scalar("SELECT COUNT(*) FROM scan_pages") == 1 and opened == []


def test_retention_period_is_set_on_the_school_page(qtbot, window, said) -> None:
    from coordinator_app import settings

    school = window.pages["Школа"]
    school.retention_days.setValue(120)
    school.retention_order.setText("приказ № 45 от 01.09.2025")
    school.save_retention()
    assert settings.get(window.ctx.store, "retention_days") == 120
    assert settings.get(window.ctx.store, "retention_order") == "приказ № 45 от 01.09.2025"
    assert school.retention_saved.text() == "Сохранено."
    window.nav.setCurrentRow(0)
    shot(window, "school_settings")


def test_all_scans_of_a_work_with_many_participants_look_right(qtbot, window, page, work, tmp_path: Path) -> None:
    """A screenshot with a fuller work: the participants tab with a selected participant's pages."""
    folder = labelled_folder(work, tmp_path / "batch")
    save_jpeg(title(work, "40004", rotation=180), folder / "scan07.jpg")
    save_jpeg(plain_page(seed=7, rotation=180), folder / "scan08.jpg")
    import_and_wait(qtbot, page, [folder])
    page.participants.select_participant("40002")
    page.participants.strip.setCurrentRow(1)
    shot(window, "participants_page2")
    page.participants.select_participant("40004")
    assert page.participants.viewer.view.rotation == 180
    assert [s.code for s in work_scans(window.ctx.store, work.id) if s.pages] == ["40001", "40002", "40003", "40004"]


def test_the_waiting_queue_opens_at_the_top_of_its_page_and_stays_so_after_assigning(
        qtbot, window, page, work, tmp_path: Path, said) -> None:
    import_and_wait(qtbot, page, [loose_pages(tmp_path / "loose")])
    page.tabs.setCurrentIndex(1)
    qtbot.wait(100)
    view = page.unrecognised.viewer.view

    def at_top() -> bool:
        return view.mapToScene(0, 0).y() <= view.page_rect().top() + 1

    qtbot.waitUntil(at_top, timeout=5000)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())     # read down to the bottom
    assert not at_top()
    page.unrecognised.code_edit.setText("40001")
    page.unrecognised.assign_button.click()
    qtbot.waitUntil(lambda: page.unrecognised.current() is not None and at_top(), timeout=5000)   # the next one: top


def test_the_scans_page_names_participants_whose_page_count_differs(qtbot, window, page, work, tmp_path: Path,
                                                                    said) -> None:
    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])     # 2, 3 and 1 pages; work: 3
    qtbot.waitUntil(lambda: "Число страниц не как в работе (3): 40001 — 2, 40003 — 1." in page.participants.summary.text(),
                    timeout=5000)


def test_a_refused_rotation_is_shown_and_the_page_stays_as_it_was(qtbot, window, page, work, tmp_path: Path,
                                                                    monkeypatch, said) -> None:
    import ui.scan_viewer
    from coordinator_app.errors import UserError

    import_and_wait(qtbot, page, [labelled_folder(work, tmp_path / "batch")])
    viewer = page.participants.viewer

    def refused(_store, _page_id, _degrees):
        raise UserError("Страница не найдена: её удалили в другом окне. Обновите список.")

    monkeypatch.setattr(ui.scan_viewer, "rotate_page", refused)
    viewer.rotate()
    assert said[-1] == "Страница не найдена: её удалили в другом окне. Обновите список."
    assert viewer.view.rotation == 0 and viewer.page.rotation == 0
