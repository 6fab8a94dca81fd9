"""Backup of the whole store, restore into an empty dir, refusal of bad archives, store self-check."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from coordinator_app.backup import create_backup, restore_backup, rotate, verify_store
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.formats.backup_archive import verify_archive
from coordinator_app.scans.importer import import_scans
from coordinator_app.scoring import score_sheet, set_score
from coordinator_app.storage import open_store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work
from tests.conftest import add_pupils
from tests.fake_medium import FakeStick
from tests.fixtures.scan_pages import plain_page, save_jpeg, title_page

PASSWORD = "Пароль-для-флешки-7"


@pytest.fixture
def full_store(school_store, tmp_path: Path):
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)], classes=["4А"]))
    assign_codes(school_store, work_id)
    work = get_work(school_store, work_id)
    scans = tmp_path / "scans-in"
    scans.mkdir()
    save_jpeg(title_page("40001", work_key=work.work_key), scans / "a.jpg")
    save_jpeg(plain_page(), scans / "b.jpg")
    import_scans(school_store, [scans], work_id=work_id, workers=1)
    set_score(school_store, work_id, "40001", "1", "2")
    return school_store, work_id


def test_backup_then_restore_gives_the_same_data(full_store, tmp_path: Path) -> None:
    store, work_id = full_store
    result = create_backup(store, tmp_path / "usb", password=PASSWORD)
    assert result.path.exists() and not list((tmp_path / "usb").glob(".*partial"))
    assert result.encrypted and result.path.suffix == ".vprbak"
    assert verify_archive(result.path, PASSWORD) == []
    restored = restore_backup(result.path, tmp_path / "restored", PASSWORD)
    again = open_store(restored.data_dir)
    assert [r.scores for r in score_sheet(again, work_id)] == [r.scores for r in score_sheet(store, work_id)]
    assert again.scalar("SELECT COUNT(*) FROM scan_pages") == 2
    assert verify_store(again).ok
    again.close()


def test_restore_refuses_a_non_empty_dir_and_bad_archives(full_store, tmp_path: Path) -> None:
    store, _ = full_store
    archive = create_backup(store, tmp_path / "usb", plain=True).path     # a plain ZIP: edited below
    with pytest.raises(UserError, match="не пуста"):
        restore_backup(archive, store.data_dir)
    truncated = tmp_path / "cut.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(UserError, match="повреждён"):
        restore_backup(truncated, tmp_path / "r1")
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(UserError) as err:
        restore_backup(foreign, tmp_path / "r2")
    assert "не резервная копия" in "\n".join(err.value.details)
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(altered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith(".jpg"):
                data = data[:-10] + b"0123456789"
            dst.writestr(item, data)
    problems = verify_archive(altered)
    assert any(p.startswith("изменён:") for p in problems)
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_backups_are_rotated(full_store, tmp_path: Path) -> None:
    store, _ = full_store
    folder = tmp_path / "usb"
    folder.mkdir()
    for day in range(1, 6):
        (folder / f"vpr-backup-sch123456-2026010{day}-120000.zip").write_bytes(b"old")
    new = create_backup(store, folder, password=PASSWORD, keep=3).path
    kept = sorted(p.name for p in folder.glob("vpr-backup-*"))
    assert len(kept) == 3 and kept[0] == "vpr-backup-sch123456-20260104-120000.zip" and new.name in kept
    assert rotate(folder, "sch123456", 0) == []


def test_a_full_disk_leaves_no_archive(full_store, tmp_path: Path) -> None:
    store, _ = full_store
    counting = FakeStick()
    create_backup(store, tmp_path / "other", password=PASSWORD, medium=counting)
    full = FakeStick(full_after=counting.taken // 2)           # the stick fills up halfway
    with pytest.raises(UserError, match="не хватает места"):
        create_backup(store, tmp_path / "usb", password=PASSWORD, medium=full)
    assert full.taken == counting.taken // 2 and list((tmp_path / "usb").iterdir()) == []


def test_verify_names_altered_and_missing_files_and_orphans(full_store) -> None:
    store, _ = full_store
    assert verify_store(store).ok
    page = store.one("SELECT image_path FROM scan_pages LIMIT 1")["image_path"]
    store.path(page).write_bytes(b"tampered")
    thumb = store.one("SELECT thumb_path FROM scan_pages LIMIT 1 OFFSET 1")["thumb_path"]
    store.path(thumb).unlink()
    (store.data_dir / "scans" / "originals" / "stray.jpg").write_bytes(b"x")
    problems = verify_store(store).problems
    assert any("файл изменён" in p for p in problems)
    assert any("нет миниатюры" in p for p in problems)
    assert any("файл без записи в базе: scans/originals/stray.jpg" in p for p in problems)


def test_cli_backup_restore_verify(full_store, tmp_path: Path, capsys) -> None:
    from coordinator_app.cli import main

    store, _ = full_store
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    assert main(["--data-dir", str(store.data_dir), "--json", "backup", "--out", str(tmp_path / "usb"),
                 "--password-file", str(secret)]) == 0
    made = json.loads(capsys.readouterr().out)
    archive = made["archive"]
    assert made["encrypted"] is True
    assert main(["--data-dir", str(tmp_path / "new"), "--json", "restore", archive, "--password-file", str(secret)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "--json", "verify"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    conn = sqlite3.connect(tmp_path / "new" / "coordinator.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 1
    conn.close()


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain"])
def test_backup_members_are_the_store_files_byte_for_byte(full_store, tmp_path: Path, encrypted: bool) -> None:
    import contextlib
    import hashlib

    from coordinator_app.formats.backup_crypto import read_header

    store, _ = full_store
    (store.data_dir / "window.ini").write_text("[main]\ngeometry=1\n", encoding="utf-8")
    result = create_backup(store, tmp_path / "usb", **({"password": PASSWORD} if encrypted else {"plain": True}))
    with contextlib.ExitStack() as stack:
        if encrypted:
            with open(result.path, "rb") as raw:
                unlocked = read_header(raw).unlock(PASSWORD)
            archive = stack.enter_context(zipfile.ZipFile(stack.enter_context(unlocked.open(result.path))))
        else:
            archive = stack.enter_context(zipfile.ZipFile(result.path))
        manifest = json.loads(archive.read("manifest.json"))
        listed = {e["path"]: e for e in manifest["files"]}
        stored = [p for p in store.data_dir.rglob("*") if p.is_file() and p.relative_to(store.data_dir).parts[0]
                  in ("scans", "audio", "templates", "attachments")]
        assert stored and set(listed) == {p.relative_to(store.data_dir).as_posix() for p in stored} | {
            "database.sqlite3", "window.ini"}
        for path in stored + [store.data_dir / "window.ini"]:
            name = path.relative_to(store.data_dir).as_posix()
            data = path.read_bytes()
            assert archive.read(name) == data, name
            assert listed[name]["size"] == len(data) and listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
            info = archive.getinfo(name)
            # JPEG pages are stored as they are; text and the database are deflated
            expected = zipfile.ZIP_STORED if path.suffix == ".jpg" else zipfile.ZIP_DEFLATED
            assert info.compress_type == expected, name
        db = archive.read("database.sqlite3")
        assert listed["database.sqlite3"]["sha256"] == hashlib.sha256(db).hexdigest()
        assert archive.getinfo("database.sqlite3").compress_type == zipfile.ZIP_DEFLATED
    assert result.files == len(listed)


def test_a_backup_that_reads_back_wrong_is_refused(full_store, tmp_path: Path) -> None:
    """The stick returns other bytes than were written: the read-back after the fsync notices
    (zipfile's CRC-32) and the backup is not reported as made."""
    store, _ = full_store
    corrupted: dict[Path, tuple[str, int]] = {}
    looking = threading.Lock()

    def in_a_page(path: Path) -> int | None:
        # one byte inside the first scanned page's data reads back wrong
        if not path.name.endswith(".partial"):
            return None
        with looking:
            if path in corrupted:
                return corrupted[path][1]
            with zipfile.ZipFile(path) as archive:
                info = next(i for i in archive.infolist() if i.filename.endswith(".jpg"))
            corrupted[path] = (info.filename,
                               info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100)
        return corrupted[path][1]

    with pytest.raises(UserError, match="не прошла проверку") as err:
        create_backup(store, tmp_path / "usb", plain=True, medium=FakeStick(flip=in_a_page))
    [(name, _)] = corrupted.values()
    assert err.value.details == [f"повреждён: {name}"]
    assert "удалена" in str(err.value)
    # nothing that looks like a backup is left on the stick, and none is recorded as made
    assert list((tmp_path / "usb").iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports WHERE kind = 'backup'") == 0


def test_the_full_check_finds_a_byte_changed_in_a_backup_later(full_store, tmp_path: Path) -> None:
    store, _ = full_store
    result = create_backup(store, tmp_path / "usb", plain=True)
    with zipfile.ZipFile(result.path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(".jpg"))
    with open(result.path, "r+b") as raw:
        raw.seek(info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100)
        byte = raw.read(1)
        raw.seek(-1, 1)
        raw.write(bytes([byte[0] ^ 0xFF]))
    assert any(info.filename in p for p in verify_archive(result.path))


def test_a_scan_changed_on_disk_since_it_was_stored_is_reported_not_laundered(full_store, tmp_path: Path) -> None:
    """The manifest keeps the hash the store recorded: a scan that rotted on the disk makes the
    backup's own check name it instead of blessing its new bytes with a new hash."""
    store, _ = full_store
    stored = store.scalar("SELECT stored_path FROM scan_files ORDER BY id LIMIT 1")
    path = store.data_dir / stored
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    result = create_backup(store, tmp_path / "usb", password=PASSWORD)
    assert verify_archive(result.path, PASSWORD) == [f"изменён: {stored} (SHA-256 не совпадает)"]
    assert any(stored in p for p in verify_store(store).problems)


def test_the_archive_is_whole_when_it_is_made_durable(full_store, tmp_path: Path, monkeypatch) -> None:
    """The fsync comes after the ZIP's directory is written, and the new name is synced too."""
    import coordinator_app.backup as backup

    store, _ = full_store
    synced: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        synced.append(("dir" if stat.S_ISDIR(st.st_mode) else "file", st.st_size))
        real_fsync(fd)

    monkeypatch.setattr(backup.os, "fsync", fsync)
    result = create_backup(store, tmp_path / "usb", password=PASSWORD)
    files = [size for kind, size in synced if kind == "file"]
    assert files and files[-1] == result.path.stat().st_size
    if os.name == "posix":
        assert synced[-1][0] == "dir"


def test_a_file_that_cannot_be_read_stops_the_backup_and_leaves_nothing(full_store, tmp_path: Path,
                                                                       monkeypatch) -> None:
    import coordinator_app.backup as backup

    store, _ = full_store
    victim = store.scalar("SELECT thumb_path FROM scan_pages ORDER BY id LIMIT 1")
    real_stat = os.stat
    seen: list[str] = []

    def failing_stat(path, *args, **kwargs):
        if Path(path).as_posix().endswith(victim):
            seen.append(str(path))
            if threading.current_thread() is not threading.main_thread():
                # listed fine (however the platform lists), unreadable when the reader thread gets to it
                raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(backup.os, "stat", failing_stat)
    with pytest.raises(UserError, match="Резервная копия не создана"):
        create_backup(store, tmp_path / "usb", password=PASSWORD)
    assert seen                                   # the reader did get to it
    assert list((tmp_path / "usb").iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports WHERE kind = 'backup'") == 0
