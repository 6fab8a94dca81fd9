"""Backups protect the pupils' personal data: encrypted with a password, a wrong password told
apart from a damaged file, damage of any kind found, plain backups only by choice, nothing half-made
left on the stick and no good backup touched, and the scheduled backups' password kept off the stick."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import struct
import threading
import types
import zipfile
from pathlib import Path

import pytest

import coordinator_app.backup as backup
import coordinator_app.formats.backup_crypto as crypto
from coordinator_app.backup import (
    create_backup,
    restore_backup,
    scheduled_backup,
    scheduled_password_state,
    set_schedule,
    set_scheduled_password,
)
from coordinator_app.errors import UserError
from coordinator_app.formats.backup_archive import verify_archive
from coordinator_app.media.verified_folder import Medium, remove_stale_partials
from coordinator_app.scans.importer import import_scans
from coordinator_app.storage import open_store
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils
from tests.fake_medium import FakeStick
from tests.fixtures.scan_pages import plain_page, save_jpeg

PASSWORD = "Ёлка-и-пароль 2026"
PUPIL = "Абрамов"


@pytest.fixture
def store(school_store, tmp_path: Path):
    add_pupils(school_store, [(PUPIL, "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)], classes=["4А"]))
    for seed in (1, 2, 3):
        save_jpeg(plain_page(seed=seed), tmp_path / f"page{seed}.jpg")
    import_scans(school_store, [tmp_path / f"page{seed}.jpg" for seed in (1, 2, 3)], work_id=work_id, workers=1)
    return school_store


@pytest.fixture
def small_chunks(monkeypatch):
    """4 KiB chunks: a test archive of a few hundred KiB spans many of them."""
    monkeypatch.setattr(crypto, "CHUNK_SIZE", 4096)
    return 4096


def _layout(path: Path) -> tuple[int, int, int]:
    """(header size, bytes per sealed chunk, chunks) of an encrypted backup."""
    with open(path, "rb") as raw:
        header = crypto.read_header(raw)
    step = header.chunk_size + crypto.TAG
    return header.size, step, -(-(path.stat().st_size - header.size) // step)


def _header_fields(path: Path) -> dict:
    data = path.read_bytes()
    length = struct.unpack(">I", data[10:14])[0]
    return json.loads(data[14:14 + length])


# -- what is on the stick ---------------------------------------------------------------------------


def test_no_plain_byte_of_the_archive_reaches_the_stick(store, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    seen: list[bytes] = []

    def look_at_the_stick(done: int, total: int, label: str) -> None:
        # while the backup is being written: whatever is in the folder
        seen.extend(path.read_bytes() for path in usb.iterdir() if path.is_file())

    result = create_backup(store, usb, password=PASSWORD, progress=look_at_the_stick)
    seen.append(result.path.read_bytes())
    assert len(seen) > 3 and [p.name for p in usb.iterdir()] == [result.path.name]
    for data in seen:
        assert b"PK\x03\x04" not in data and b"database.sqlite3" not in data and b"manifest.json" not in data
        assert PUPIL.encode("utf-8") not in data and b"SQLite format 3" not in data
    assert seen[-1].startswith(crypto.MAGIC) and not zipfile.is_zipfile(result.path)
    assert result.path.name.startswith("vpr-backup-sch123456-") and result.path.suffix == ".vprbak"


def test_the_header_holds_the_kdf_and_each_backup_its_own_salts(store, tmp_path: Path) -> None:
    first = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    second = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    a, b = _header_fields(first), _header_fields(second)
    assert a["cipher"] == "AES-256-GCM" and a["chunk_size"] == 1 << 20
    assert a["kdf"]["name"] == "argon2id" and a["kdf"]["memory_kib"] >= 64 * 1024 and a["kdf"]["iterations"] >= 3
    assert a["kdf"]["salt"] != b["kdf"]["salt"] and a["file_salt"] != b["file_salt"]
    assert PASSWORD not in first.read_bytes().decode("latin-1")
    assert struct.unpack(">H", first.read_bytes()[8:10])[0] == crypto.VERSION == 2


def test_where_argon2_is_missing_scrypt_makes_the_key(store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(crypto, "_argon2_works", lambda: False)
    result = create_backup(store, tmp_path / "usb", password=PASSWORD)
    assert _header_fields(result.path)["kdf"]["name"] == "scrypt"
    monkeypatch.undo()
    assert verify_archive(result.path, PASSWORD) == []
    assert restore_backup(result.path, tmp_path / "restored", PASSWORD).files > 3


# -- passwords ----------------------------------------------------------------------------------------


def test_a_backup_needs_a_password_or_the_explicit_choice_of_none(store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Задайте пароль резервной копии"):
        create_backup(store, tmp_path / "usb")
    with pytest.raises(UserError, match="не меньше 8 символов"):
        create_backup(store, tmp_path / "usb", password="1234567")
    assert not (tmp_path / "usb").exists()
    plain = create_backup(store, tmp_path / "usb", plain=True)
    assert plain.path.suffix == ".zip" and zipfile.is_zipfile(plain.path) and not plain.encrypted


def test_restore_says_the_password_is_wrong_and_writes_nothing(store, tmp_path: Path) -> None:
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    target = tmp_path / "restored"
    with pytest.raises(UserError) as err:
        restore_backup(archive, target, "Ёлка-и-пароль 2025")
    assert err.value.message.startswith("Неверный пароль резервной копии")
    assert "повреж" not in str(err.value)
    with pytest.raises(UserError, match="зашифрована: нужен её пароль"):
        restore_backup(archive, target)
    assert not target.exists() and not list(tmp_path.glob(".restored.restore-*"))
    # the same letters typed as a different Unicode sequence (й as и + breve) are the same password
    decomposed = PASSWORD.replace("Ё", "Е\u0308")
    assert restore_backup(archive, target, decomposed).files > 3


def test_verify_archive_needs_the_password_of_an_encrypted_backup(store, tmp_path: Path) -> None:
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    assert verify_archive(archive, PASSWORD) == []
    with pytest.raises(UserError, match="Неверный пароль резервной копии"):
        verify_archive(archive, "не тот пароль")
    with pytest.raises(UserError, match="нужен её пароль"):
        verify_archive(archive)


# -- damage -------------------------------------------------------------------------------------------


def _damaged(result_path: Path, target: Path, edit) -> Path:
    data = bytearray(result_path.read_bytes())
    target.write_bytes(bytes(edit(data) or data))
    return target


def test_a_flipped_bit_is_damage_not_a_wrong_password_and_the_file_is_named(store, tmp_path: Path,
                                                                             small_chunks) -> None:
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    header, step, chunks = _layout(archive)
    assert chunks > 20
    with open(archive, "rb") as raw:
        unlocked = crypto.read_header(raw).unlock(PASSWORD)
    with unlocked.open(archive) as reader, zipfile.ZipFile(reader) as zf:
        page = next(i for i in zf.infolist() if i.filename.endswith(".jpg") and i.file_size > 3 * small_chunks)
    index = (page.header_offset + 2 * small_chunks) // small_chunks       # a chunk inside that page

    def flip(data: bytearray) -> None:
        data[header + index * step + 100] ^= 0x04

    bad = _damaged(archive, tmp_path / "bad.vprbak", flip)
    assert verify_archive(bad, PASSWORD) == [f"повреждён: {page.filename}"]
    with pytest.raises(UserError) as err:
        restore_backup(bad, tmp_path / "restored", PASSWORD)
    assert "повреждён" in err.value.message and "Неверный пароль" not in str(err.value)
    assert err.value.details == [f"повреждён: {page.filename}"]
    assert not (tmp_path / "restored").exists()


@pytest.mark.parametrize("damage", ["cut at a chunk boundary", "cut inside a chunk", "cut inside the last tag",
                                    "two chunks swapped", "a chunk dropped", "a chunk appended",
                                    "the last chunk sealed as not last"])
def test_truncation_and_reordering_are_found(store, tmp_path: Path, small_chunks, damage: str) -> None:
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    header, step, chunks = _layout(archive)

    def edit(data: bytearray) -> bytearray:
        body = [bytes(data[header + i * step: header + (i + 1) * step]) for i in range(chunks)]
        if damage == "cut at a chunk boundary":
            body = body[:-1]
        elif damage == "cut inside a chunk":
            body[-2] = body[-2][: step // 2]
            body = body[:-1]
        elif damage == "cut inside the last tag":
            body[-1] = body[-1][:-10]
        elif damage == "two chunks swapped":
            body[3], body[4] = body[4], body[3]
        elif damage == "a chunk dropped":
            del body[5]
        elif damage == "a chunk appended":
            body.append(body[2])
        else:        # a cut that ends exactly after a full chunk, which then claims to be the last
            body = body[: chunks // 2]
        return bytearray(data[:header] + b"".join(body))

    bad = _damaged(archive, tmp_path / "bad.vprbak", edit)
    problems = verify_archive(bad, PASSWORD)
    assert problems and all("Неверный пароль" not in p for p in problems)
    assert any("повреждён" in p for p in problems), problems
    with pytest.raises(UserError, match="повреждён, обрезан или чужой"):
        restore_backup(bad, tmp_path / "restored", PASSWORD)
    assert not (tmp_path / "restored").exists()


def test_an_edited_header_and_a_newer_format_are_refused_with_their_reason(store, tmp_path: Path) -> None:
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    data = archive.read_bytes()
    edited = data.replace(b'"chunk_size":1048576', b'"chunk_size":1048575')
    assert edited != data
    (tmp_path / "edited.vprbak").write_bytes(edited)
    assert verify_archive(tmp_path / "edited.vprbak", PASSWORD) == [
        "Заголовок резервной копии повреждён: копию нельзя расшифровать."]
    newer = data[:8] + struct.pack(">H", 3) + data[10:]
    (tmp_path / "newer.vprbak").write_bytes(newer)
    with pytest.raises(UserError) as err:
        restore_backup(tmp_path / "newer.vprbak", tmp_path / "restored", PASSWORD)
    assert err.value.details == ["Резервная копия создана более новой версией программы (формат 3): "
                                 "обновите ВПР-Координатор."]
    (tmp_path / "stub.vprbak").write_bytes(data[:20])
    assert "повреждён" in verify_archive(tmp_path / "stub.vprbak", PASSWORD)[0]


def test_an_encrypted_backup_that_reads_back_wrong_is_refused_and_removed(store, tmp_path: Path,
                                                                          small_chunks) -> None:
    """The stick gives back other bytes than were written: the read-back decrypts every chunk, the
    tag of the changed one fails, and the backup is not reported as made."""
    secret = crypto.BackupSecret.from_password(PASSWORD)     # its key made once, not once per look
    changed: dict[Path, tuple[str, int]] = {}
    looking = threading.Lock()

    def in_a_page(path: Path) -> int | None:
        # one bit of a chunk inside a scanned page's data reads back wrong
        if not path.name.endswith(".partial"):
            return None
        with looking:
            if path not in changed:
                header, step, _chunks = _layout(path)
                with open(path, "rb") as raw:
                    unlocked = crypto.read_header(raw).unlock_master(secret.master)
                with unlocked.open(path) as reader, zipfile.ZipFile(reader) as zf:
                    page = next(i for i in zf.infolist()
                                if i.filename.endswith(".jpg") and i.file_size > 3 * small_chunks)
                index = (page.header_offset + 2 * small_chunks) // small_chunks
                changed[path] = (page.filename, header + index * step + 7)
        return changed[path][1]

    with pytest.raises(UserError, match="не прошла проверку") as err:
        create_backup(store, tmp_path / "usb", password=secret, medium=FakeStick(flip=in_a_page))
    [(name, _)] = changed.values()
    assert err.value.details == [f"повреждён: {name}"]
    assert list((tmp_path / "usb").iterdir()) == []
    assert store.scalar("SELECT COUNT(*) FROM exports WHERE kind = 'backup'") == 0


# -- old backups ----------------------------------------------------------------------------------------


def test_an_old_plain_zip_backup_still_verifies_and_restores(store, tmp_path: Path) -> None:
    """A backup made before encryption: a plain ZIP named .zip, no password asked."""
    plain = create_backup(store, tmp_path / "usb", plain=True).path
    old = tmp_path / "old" / "vpr-backup-sch123456-20250301-101010.zip"
    old.parent.mkdir()
    old.write_bytes(plain.read_bytes())
    assert verify_archive(old) == []
    assert verify_archive(old, "пароль не нужен") == []
    restored = restore_backup(old, tmp_path / "restored")
    again = open_store(restored.data_dir)
    assert again.scalar("SELECT COUNT(*) FROM students WHERE surname = ?", [PUPIL]) == 1
    again.close()


# -- the stick: partials, names, rotation ------------------------------------------------------------------


def test_a_partial_left_by_an_interrupted_backup_is_removed_by_the_next_one(store, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    stale = usb / ".vpr-backup-sch123456-20260101-120000.vprbak.partial"
    stale.write_bytes(b"half of an archive")
    old_style = usb / ".vpr-backup-sch123456-20251201-120000.zip.partial"
    old_style.write_bytes(b"half of an old one")
    theirs = usb / ".someone-else.partial"
    theirs.write_bytes(b"not ours")
    result = create_backup(store, usb, password=PASSWORD)
    assert sorted(p.name for p in usb.iterdir()) == sorted([result.path.name, theirs.name])


@pytest.mark.skipif(os.name != "posix", reason="advisory locks")
def test_a_partial_being_written_by_another_backup_is_left_alone(store, tmp_path: Path) -> None:
    import fcntl

    usb = tmp_path / "usb"
    usb.mkdir()
    busy = usb / ".vpr-backup-sch123456-20260101-120000.vprbak.partial"
    with open(busy, "wb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)   # as a running backup holds it
        create_backup(store, usb, password=PASSWORD)
        assert busy.exists()


def test_an_interrupted_backup_leaves_no_partial_and_the_previous_backup_untouched(store, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    good = create_backup(store, usb, password=PASSWORD, keep=1).path
    before = good.read_bytes()

    def pulled_out(done: int, total: int, label: str) -> None:
        if done == 3:
            raise OSError(5, "Input/output error")

    with pytest.raises(UserError, match="Резервная копия не создана"):
        create_backup(store, usb, password=PASSWORD, keep=1, progress=pulled_out)
    assert [p.name for p in usb.iterdir()] == [good.name] and good.read_bytes() == before
    assert verify_archive(good, PASSWORD) == []


def test_a_backup_in_the_same_second_takes_a_new_name_and_keeps_the_first(store, tmp_path: Path,
                                                                         monkeypatch) -> None:
    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 4, 21, 10, 0, 0)

    monkeypatch.setattr(backup, "dt", types.SimpleNamespace(datetime=Frozen, date=dt.date))
    usb = tmp_path / "usb"
    first = create_backup(store, usb, password=PASSWORD, keep=5).path
    before = first.read_bytes()
    second = create_backup(store, usb, plain=True, keep=5).path
    third = create_backup(store, usb, password=PASSWORD, keep=5).path
    assert [first.name, second.name, third.name] == [
        "vpr-backup-sch123456-20260421-100000.vprbak", "vpr-backup-sch123456-20260421-100000-2.zip",
        "vpr-backup-sch123456-20260421-100000-3.vprbak"]
    assert first.read_bytes() == before
    create_backup(store, usb, password=PASSWORD, keep=2)
    assert sorted(p.name for p in usb.iterdir()) == [
        "vpr-backup-sch123456-20260421-100000-3.vprbak", "vpr-backup-sch123456-20260421-100000-4.vprbak"]


def test_a_clock_set_back_does_not_make_rotation_delete_the_new_backup(store, tmp_path: Path, monkeypatch) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    for day in (10, 11, 12):
        (usb / f"vpr-backup-sch123456-202603{day}-120000.vprbak").write_bytes(b"older")

    class DeadBattery(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2001, 1, 1, 0, 0, 0)

    monkeypatch.setattr(backup, "dt", types.SimpleNamespace(datetime=DeadBattery, date=dt.date))
    new = create_backup(store, usb, password=PASSWORD, keep=2).path
    assert sorted(p.name for p in usb.iterdir()) == sorted([new.name, "vpr-backup-sch123456-20260312-120000.vprbak"])


def test_a_failed_backup_rotates_nothing(store, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    olds = [usb / f"vpr-backup-sch123456-2026030{day}-120000.vprbak" for day in (1, 2, 3)]
    for path in olds:
        path.write_bytes(b"a good old backup")
    # the middle byte of the new archive reads back wrong
    flaky = FakeStick(flip=lambda path: path.stat().st_size // 2 if path.name.endswith(".partial") else None)
    with pytest.raises(UserError, match="не прошла проверку"):
        create_backup(store, usb, password=PASSWORD, keep=1, medium=flaky)
    assert sorted(usb.iterdir()) == olds


# -- scheduled backups ---------------------------------------------------------------------------------------


def test_scheduled_backups_need_a_password_or_the_choice_of_none(store, tmp_path: Path) -> None:
    set_schedule(store, str(tmp_path / "usb"), 7, 3)
    assert scheduled_password_state(store) == "none"
    with pytest.raises(UserError, match="не задан пароль"):
        scheduled_backup(store)
    assert not (tmp_path / "usb").exists()
    set_scheduled_password(store, None, plain=True)
    assert scheduled_password_state(store) == "plain"
    assert scheduled_backup(store).path.suffix == ".zip"


def test_the_scheduled_password_is_kept_on_this_pc_not_in_backups_nor_in_the_database(store, tmp_path: Path) -> None:
    set_schedule(store, str(tmp_path / "usb"), 7, 3)
    set_scheduled_password(store, PASSWORD)
    assert scheduled_password_state(store) == "set"
    key_file = store.data_dir / backup.KEY_FILE
    kept = key_file.read_text(encoding="utf-8")
    assert PASSWORD not in kept and json.loads(kept)["kdf"]["name"] == "argon2id"
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    result = scheduled_backup(store)                         # nobody types anything
    assert result.encrypted and result.path.parent == tmp_path / "usb"
    restored = restore_backup(result.path, tmp_path / "restored", PASSWORD)
    assert not (restored.data_dir / backup.KEY_FILE).exists()
    master = json.loads(kept)["master_key"]
    db = sqlite3.connect(store.data_dir / "coordinator.sqlite3")
    dump = "\n".join(db.iterdump())
    db.close()
    assert master not in dump and PASSWORD not in dump
    # a plain backup made since does not carry it either
    plain = create_backup(store, tmp_path / "usb", plain=True).path
    with zipfile.ZipFile(plain) as zf:
        assert backup.KEY_FILE not in zf.namelist()
        assert master.encode() not in b"".join(zf.read(n) for n in zf.namelist())
    # forgetting the choice removes the key
    set_scheduled_password(store, None)
    assert not key_file.exists() and scheduled_password_state(store) == "none"


def test_a_new_scheduled_password_opens_the_backups_made_after_it(store, tmp_path: Path) -> None:
    set_schedule(store, str(tmp_path / "usb"), 1, 0)
    set_scheduled_password(store, PASSWORD)
    first = scheduled_backup(store).path
    set_scheduled_password(store, "другой пароль 123")
    second = scheduled_backup(store).path
    assert verify_archive(first, PASSWORD) == [] and verify_archive(second, "другой пароль 123") == []
    with pytest.raises(UserError, match="Неверный пароль"):
        verify_archive(second, PASSWORD)


# -- the container alone (no ZIP around to notice) ------------------------------------------------------------


@pytest.mark.parametrize("reuse", [True, False], ids=["buffers reused", "encrypt/decrypt"])
@pytest.mark.parametrize("damage", ["none", "cut at a chunk boundary", "cut inside a chunk", "two chunks swapped",
                                    "a chunk dropped", "a chunk appended", "a bit flipped", "header of another file"])
def test_the_container_finds_every_kind_of_damage_by_itself(tmp_path: Path, damage: str, reuse: bool,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(crypto, "REUSE_BUFFERS", reuse)
    secret = crypto.BackupSecret.from_password(PASSWORD)
    plain = os.urandom(10 * 1000 + 123)
    path = tmp_path / "stream.vprbak"
    with open(path, "wb") as raw:
        writer = crypto.EncryptingWriter(raw, secret, chunk_size=1000)
        for start in range(0, len(plain), 777):          # writes of any size
            writer.write(plain[start: start + 777])
        writer.finish()
    assert writer.chunks == 11
    other = tmp_path / "other.vprbak"
    with open(other, "wb") as raw:
        crypto.EncryptingWriter(raw, secret, chunk_size=1000).finish()
    header, step, chunks = _layout(path)
    data = path.read_bytes()
    body = [data[header + i * step: header + (i + 1) * step] for i in range(chunks)]
    head = data[:header]
    if damage == "cut at a chunk boundary":
        body = body[:-1]
    elif damage == "cut inside a chunk":
        body = body[:-2] + [body[-2][:500]]
    elif damage == "two chunks swapped":
        body[3], body[4] = body[4], body[3]
    elif damage == "a chunk dropped":
        del body[5]
    elif damage == "a chunk appended":
        body.append(body[-1])
    elif damage == "a bit flipped":
        body[6] = body[6][:10] + bytes([body[6][10] ^ 0x80]) + body[6][11:]
    elif damage == "header of another file":          # same password, another file's header
        head = other.read_bytes()[:header]
    path.write_bytes(head + b"".join(body))
    with open(path, "rb") as raw:
        unlocked = crypto.read_header(raw).unlock(PASSWORD)
    with unlocked.open(path) as reader:
        if damage == "none":
            assert reader.read() == plain and crypto.bad_chunks(unlocked, path) == []
        else:
            with pytest.raises(crypto.DamagedChunk):
                reader.read()
            assert crypto.bad_chunks(unlocked, path)


# -- the command line ------------------------------------------------------------------------------------------


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from coordinator_app.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exit_:          # argparse's usage errors
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_backup_asks_for_a_password_file_or_an_explicit_no_password(store, tmp_path: Path, capsys) -> None:
    data = ["--data-dir", str(store.data_dir)]
    usb = tmp_path / "usb"
    code, _, err = _cli(capsys, *data, "backup", "--out", str(usb))
    assert code == 2 and "--password-file" in err and "--no-password" in err
    short = tmp_path / "short.txt"
    short.write_text("1234\n", encoding="utf-8")
    code, _, err = _cli(capsys, *data, "backup", "--out", str(usb), "--password-file", str(short))
    assert code == 1 and "не меньше 8 символов" in err
    code, _, err = _cli(capsys, *data, "backup", "--out", str(usb), "--password-file", str(tmp_path / "nope.txt"))
    assert code == 1 and "Файл с паролем" in err and "не найден" in err
    assert not usb.exists()
    code, out, err = _cli(capsys, *data, "backup", "--out", str(usb), "--no-password")
    assert code == 0 and "БЕЗ ПАРОЛЯ" in out and "персональные данные детей" in err
    assert [p.suffix for p in usb.iterdir()] == [".zip"]


def test_cli_restore_and_verify_archive_with_the_password_file(store, tmp_path: Path, capsys, monkeypatch) -> None:
    import io

    secret = tmp_path / "пароль.txt"
    secret.write_bytes(b"\xef\xbb\xbf" + PASSWORD.encode("utf-8") + b"\r\n")        # Notepad: BOM, CRLF
    code, out, _ = _cli(capsys, "--data-dir", str(store.data_dir), "--json", "backup", "--out", str(tmp_path / "usb"),
                        "--password-file", str(secret))
    assert code == 0
    archive = json.loads(out)["archive"]
    code, out, _ = _cli(capsys, "verify-archive", archive, "--password-file", str(secret))
    assert code == 0 and "Резервная копия в порядке (зашифрованная)" in out
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("не тот пароль\n", encoding="utf-8")
    code, _, err = _cli(capsys, "verify-archive", archive, "--password-file", str(wrong))
    assert code == 1 and "Неверный пароль резервной копии" in err
    code, _, err = _cli(capsys, "--data-dir", str(tmp_path / "new"), "restore", archive)
    assert code == 1 and "зашифрована: нужен её пароль" in err
    code, _, err = _cli(capsys, "--data-dir", str(tmp_path / "new"), "restore", archive, "--password-file", str(wrong))
    assert code == 1 and "Неверный пароль резервной копии" in err and not (tmp_path / "new").exists()
    damaged = tmp_path / "damaged.vprbak"
    data = bytearray(Path(archive).read_bytes())
    data[-100] ^= 0x01
    damaged.write_bytes(bytes(data))
    code, out, _ = _cli(capsys, "verify-archive", str(damaged), "--password-file", str(secret))
    assert code == 1 and "Резервная копия повреждена" in out and "Неверный пароль" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path / "new"), "restore", archive, "--password-file", "-")
    assert code == 0 and "Данные восстановлены" in out


def test_the_documented_decryption_recipe_opens_a_backup(store, tmp_path: Path) -> None:
    """docs/backup_format.md says how to decrypt a backup by hand; the recipe must stay true."""
    archive = create_backup(store, tmp_path / "usb", password=PASSWORD).path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "backup_format.md").read_text(encoding="utf-8")
    recipe = doc.split("To decrypt by hand (Python, `cryptography` ≥ 44):\n\n```python\n")[1].split("```")[0]
    recipe = (recipe.replace('"vpr-backup-….vprbak"', repr(str(archive))).replace('"пароль"', repr(PASSWORD))
              .replace('"backup.zip"', repr(str(tmp_path / "by-hand.zip"))))
    exec(compile(recipe, "backup_format.md", "exec"), {})
    with zipfile.ZipFile(tmp_path / "by-hand.zip") as zf:
        assert zf.testzip() is None and "database.sqlite3" in zf.namelist()


def test_stale_partials_are_removed_on_windows_too_unless_open(tmp_path: Path) -> None:
    """Windows' clean-up with the OS faked: a file is deleted without being opened first (Windows
    deletes no open file, not even one this process holds); one another backup holds open stays."""
    usb = tmp_path / "usb"
    usb.mkdir()
    stale = usb / ".vpr-backup-sch123456-20260101-120000.vprbak.partial"
    busy = usb / ".vpr-backup-sch123456-20260101-120001.vprbak.partial"
    stale.write_bytes(b"half")
    busy.write_bytes(b"being written")
    held: set[Path] = {busy}                       # open files: another backup's, and any we open

    class Windows(Medium):
        @property
        def windows(self) -> bool:
            return True

        def open_read(self, path: Path):
            handle = super().open_read(path)
            held.add(path)
            real_close = handle.close

            def close() -> None:
                held.discard(path)
                real_close()

            handle.close = close
            return handle

        def unlink(self, path: Path) -> None:
            if path in held:
                raise PermissionError(32, "The process cannot access the file because it is being used by "
                                          "another process")
            super().unlink(path)

    assert remove_stale_partials(usb, backup.PARTIALS, Windows()) == [stale]
    assert busy.exists() and not stale.exists()
