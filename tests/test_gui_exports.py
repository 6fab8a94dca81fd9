"""«Выгрузка» as a coordinator uses it: the form, its problems, the package, backups, expert mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coordinator_app.codes import assign_codes, set_variant
from coordinator_app.scans.importer import import_scans
from coordinator_app.scoring import set_score
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg


@pytest.fixture
def said(monkeypatch) -> list[str]:
    import ui.messages as messages_module
    import ui.pages.exports_page as page_module

    messages: list[str] = []
    for module in (page_module, messages_module):
        for name in ("show_error", "inform", "confirm"):
            monkeypatch.setattr(module, name, lambda _p, text, *a, **k: messages.append(str(text)) or True)
    return messages


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


def test_backup_now_and_store_check(qtbot, page, tmp_path: Path, said) -> None:
    page.backup_now(tmp_path / "copies")
    qtbot.waitUntil(lambda: "создана и проверена" in page.backup_status.text() or bool(said), timeout=30000)
    assert not said, said
    assert list((tmp_path / "copies").glob("vpr-backup-*.zip"))
    page.verify_store()
    qtbot.waitUntil(lambda: hasattr(page, "last_store_report"), timeout=30000)
    assert page.last_store_report.ok and any("в порядке" in m for m in said)


def test_expert_mode_disables_backups(qtbot, page) -> None:
    from coordinator_app.changes import Changes

    page.ctx.expert_mode = True
    page.ctx.publish(Changes.of("mode"))
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
