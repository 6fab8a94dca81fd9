"""«Выгрузка» as a coordinator uses it: the form, its problems, the package, backups, expert mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coordinator_app.changes import Topic
from coordinator_app.codes import assign_codes, set_variant
from coordinator_app.scans.importer import import_scans
from coordinator_app.scoring import set_score
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg


@pytest.fixture
def said(messages) -> list[str]:
    """Every message a dialog would show; confirmations are answered «yes»."""
    return messages.always(True).said


@pytest.fixture
def page(qtbot, school_store, data_dir, tmp_path: Path, said):
    from ui.main_window import MainWindow

    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(school_store, work_id)
    for code in ("40001", "40002"):
        save_jpeg(plain_page(seed=int(code)), tmp_path / f"{code}.jpg")
    import_scans(school_store, [tmp_path / "40001.jpg", tmp_path / "40002.jpg"], work_id=work_id, workers=1)
    window = MainWindow(school_store, data_dir)
    qtbot.addWidget(window)
    window.show()
    window.nav.setCurrentRow(6)
    return window.pages["Выгрузка"]


def test_an_incomplete_work_lists_its_problems_instead_of_writing_a_form(qtbot, page, tmp_path: Path) -> None:
    page.export_form(tmp_path / "form.xlsx")
    qtbot.waitUntil(lambda: page.form_problems.count() > 0, timeout=15000)
    assert "40001" in page.form_problems.item(0).text()
    assert "Не заполнено" in page.form_status.text() or "не сохранена" in page.form_status.text()
    assert not (tmp_path / "form.xlsx").exists()


def test_a_complete_work_gives_a_form(qtbot, page, tmp_path: Path) -> None:
    store = page.ctx.store
    for code in ("40001", "40002"):
        set_variant(store, page.work.id, code, 1, "1")
        set_score(store, page.work.id, code, "1", "2")
    page.reload()
    assert "готова к выгрузке" in page.form_status.text()
    page.export_form(tmp_path / "form.xlsx")
    qtbot.waitUntil(lambda: (tmp_path / "form.xlsx").exists() and "Форма сохранена" in page.form_status.text(),
                    timeout=15000)


def test_package_to_a_folder_then_verify(qtbot, page, tmp_path: Path) -> None:
    store = page.ctx.store
    for code in ("40001", "40002"):
        set_score(store, page.work.id, code, "1", "1")
    usb = tmp_path / "usb"
    usb.mkdir()
    page.everyone.setChecked(True)
    page.export_package(usb)
    qtbot.waitUntil(lambda: hasattr(page, "last_package"), timeout=30000)
    assert "записан и проверен" in page.package_status.text() and len(page.last_package.codes) == 2
    page.verify_package(page.last_package.folder)
    qtbot.waitUntil(lambda: hasattr(page, "last_verify"), timeout=15000)
    assert page.last_verify.ok and "в порядке" in page.package_status.text()
    del page.last_verify
    page.verify_package(usb)                                       # the stick's root: each package named
    qtbot.waitUntil(lambda: hasattr(page, "last_verify"), timeout=15000)
    assert f"Пакет «{page.last_package.folder.name}» в порядке" in page.package_status.text()


PASSWORD = "Флешка-в-сейфе 7"


@pytest.fixture
def answers(monkeypatch) -> list:
    """What the coordinator does in each password dialog, in order (a function of the dialog); the
    dialogs shown are appended to `answers.seen`."""
    from ui.dialogs.backup_password_dialog import BackupPasswordDialog

    class Answers(list):
        seen: list = []

    todo = Answers()

    def exec_(dialog) -> int:
        todo.seen.append(dialog)
        dialog.show()
        todo.pop(0)(dialog)
        if dialog.isVisible():          # the dialog refused the answer: the coordinator gives up
            dialog.reject()
        return dialog.result()

    monkeypatch.setattr(BackupPasswordDialog, "exec", exec_)
    return todo


def _type_into(field, text: str) -> None:
    """As typed (QTest cannot type Cyrillic): the text and the signal of a user's edit."""
    field.setText(text)
    field.textEdited.emit(text)


def _type(qtbot, dialog, password: str, repeat: str | None = None) -> None:
    _type_into(dialog.new, password)
    if dialog.repeat.isVisibleTo(dialog):
        _type_into(dialog.repeat, password if repeat is None else repeat)
    dialog.ok_button.click()


def test_backup_now_asks_a_password_and_the_store_check(qtbot, page, tmp_path: Path, said, answers) -> None:
    from coordinator_app.formats.backup_archive import verify_archive

    errors = []

    def mistyped_then_right(dialog) -> None:
        _type(qtbot, dialog, PASSWORD, repeat=PASSWORD + "!")
        errors.append(dialog.error.text())
        _type(qtbot, dialog, "короткий"[:5])
        errors.append(dialog.error.text())
        _type(qtbot, dialog, PASSWORD)

    answers.append(mistyped_then_right)
    page.backup_now(tmp_path / "copies")
    qtbot.waitUntil(lambda: "создана и проверена" in page.backup_status.text() or bool(said), timeout=30000)
    assert not said, said
    assert errors == ["Пароль и повтор не совпадают.", "Пароль слишком короткий: нужно не меньше 8 символов."]
    assert "зашифрована паролем" in page.backup_status.text()
    made = list((tmp_path / "copies").glob("vpr-backup-*.vprbak"))
    assert made and verify_archive(made[0], PASSWORD) == []
    page.verify_store()
    qtbot.waitUntil(lambda: hasattr(page, "last_store_report"), timeout=30000)
    assert page.last_store_report.ok and any("в порядке" in m for m in said)


def test_expert_mode_disables_backups(qtbot, page) -> None:
    from coordinator_app.changes import Changes

    page.ctx.expert_mode = True
    page.ctx.publish(Changes.of(Topic.MODE))
    assert not page.backup_box.isEnabled() and "режиме эксперта" in page.backup_status.text()


def test_backup_schedule_folder_is_chosen_and_saved(qtbot, page, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from coordinator_app import settings

    stick = tmp_path / "флешка"
    stick.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(stick)))
    choose = next(b for b in page.findChildren(QPushButton) if b.text() == "Выбрать…")
    choose.click()
    assert page.backup_dir.text() == str(stick)
    page.every.setValue(7)
    page.keep.setValue(3)
    save = next(b for b in page.findChildren(QPushButton) if b.text() == "Сохранить расписание")
    save.click()
    assert "Расписание сохранено" in page.backup_status.text()
    store = page.ctx.store
    assert settings.get(store, "backup_dir") == str(stick)
    assert settings.get(store, "backup_every_days") == 7
    assert settings.get(store, "backup_keep") == 3


def test_a_backup_without_a_password_only_by_the_checkbox_with_its_warning(qtbot, page, tmp_path: Path, said,
                                                                           answers) -> None:
    seen = {}

    def no_password(dialog) -> None:
        seen["warning before"] = dialog.warning.isVisible()
        dialog.plain_box.click()
        seen["warning"] = dialog.warning.text() if dialog.warning.isVisible() else ""
        seen["fields"] = dialog.new.isEnabled()
        dialog.ok_button.click()

    answers.append(lambda dialog: dialog.reject())            # «Отмена»: nothing is made
    page.backup_now(tmp_path / "copies")
    assert not (tmp_path / "copies").exists()
    answers.append(no_password)
    page.backup_now(tmp_path / "copies")
    qtbot.waitUntil(lambda: "создана и проверена" in page.backup_status.text() or bool(said), timeout=30000)
    assert not said, said
    assert seen["warning before"] is False and "персональные данные детей" in seen["warning"] and not seen["fields"]
    assert "БЕЗ ПАРОЛЯ" in page.backup_status.text() and "персональные данные учеников" in page.backup_status.text()
    assert [p.suffix for p in (tmp_path / "copies").iterdir()] == [".zip"]


def test_restore_asks_the_password_again_when_it_is_wrong(qtbot, page, tmp_path: Path, said, answers) -> None:
    from coordinator_app.backup import create_backup

    archive = create_backup(page.ctx.store, tmp_path / "usb", password=PASSWORD).path
    shown = []

    def wrong(dialog) -> None:
        shown.append(dialog.error.text())
        _type(qtbot, dialog, "Флешка-в-сейфе 8")

    def right(dialog) -> None:
        shown.append(dialog.error.text())
        _type(qtbot, dialog, PASSWORD)

    answers.extend([wrong, right])
    page.restore(archive, tmp_path / "restored")
    qtbot.waitUntil(lambda: bool(said), timeout=30000)
    assert shown[0] == "" and shown[1].startswith("Неверный пароль резервной копии")
    assert answers.seen[0].windowTitle() == "Пароль резервной копии"
    assert said[0].startswith("Данные восстановлены"), said
    assert (tmp_path / "restored" / "coordinator.sqlite3").exists()


def test_restore_of_a_damaged_backup_says_so_not_wrong_password(qtbot, page, tmp_path: Path, said, answers) -> None:
    from coordinator_app.backup import create_backup

    archive = create_backup(page.ctx.store, tmp_path / "usb", password=PASSWORD).path
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x10
    archive.write_bytes(bytes(data))
    answers.append(lambda dialog: _type(qtbot, dialog, PASSWORD))
    page.restore(archive, tmp_path / "restored")
    qtbot.waitUntil(lambda: bool(said), timeout=30000)
    assert len(answers.seen) == 1            # not asked again: the password was right
    assert said[0].startswith("Резервная копия не восстановлена: архив повреждён") and "Неверный" not in said[0]
    assert not (tmp_path / "restored").exists()


def test_the_scheduled_backups_password_is_set_once_and_used_unattended(qtbot, page, tmp_path: Path, said,
                                                                      answers) -> None:
    from coordinator_app import settings
    from coordinator_app.backup import set_schedule
    from coordinator_app.formats.backup_archive import verify_archive

    store = page.ctx.store
    set_schedule(store, str(tmp_path / "stick"), 1, 5)
    page.reload()
    assert "не задан" in page.schedule_password_state.text()
    window = page.window()
    window.run_scheduled_backup()          # as at start: no password chosen, no backup, and it says why
    qtbot.waitUntil(lambda: "не создана" in window.statusBar().currentMessage(), timeout=30000)
    assert "не задан пароль" in window.statusBar().currentMessage() and not (tmp_path / "stick").exists()

    answers.append(lambda dialog: _type(qtbot, dialog, PASSWORD))
    page.schedule_password_button.click()
    qtbot.waitUntil(lambda: page.schedule_password_state.text().startswith("задан"), timeout=30000)
    assert answers.seen[-1].windowTitle() == "Пароль для копий по расписанию"
    window.run_scheduled_backup()
    qtbot.waitUntil(lambda: "по расписанию создана" in window.statusBar().currentMessage(), timeout=30000)
    made = list((tmp_path / "stick").glob("*.vprbak"))
    assert len(made) == 1 and verify_archive(made[0], PASSWORD) == []
    assert settings.get(store, "last_backup_at")

    # «Создать копию сейчас» offers the same password, so it is not typed again
    offered = []

    def same_password(dialog) -> None:
        offered.append((dialog.saved_box.isVisible(), dialog.saved_box.isChecked(), dialog.new.isEnabled()))
        dialog.ok_button.click()

    answers.append(same_password)
    page.backup_now(tmp_path / "now")
    qtbot.waitUntil(lambda: "создана и проверена" in page.backup_status.text() or bool(said), timeout=30000)
    assert not said and offered == [(True, True, False)]
    assert verify_archive(next((tmp_path / "now").glob("*.vprbak")), PASSWORD) == []
