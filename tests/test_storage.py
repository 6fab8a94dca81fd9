"""The data store: schema creation, migrations, refusal of newer or foreign files, lock, audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from coordinator_app import audit
from coordinator_app.errors import AlreadyRunningError, StorageError, UserError
from coordinator_app.fsutil import atomic_write_bytes, atomic_writer
from coordinator_app.storage import DB_NAME, migrations, open_store
from coordinator_app.storage.lock import DataDirLock


def test_new_store_is_created_at_the_latest_schema(data_dir: Path) -> None:
    store = open_store(data_dir)
    assert store.schema_version == migrations.latest_version()
    assert {"school", "classes", "students", "works", "participants", "audit_log"} <= set(store.db.table_names())
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA journal_mode") == "wal"
    store.close()
    again = open_store(data_dir)  # reopening an up-to-date store changes nothing
    assert again.schema_version == migrations.latest_version()
    again.close()


def test_database_from_a_newer_program_is_refused_untouched(data_dir: Path) -> None:
    open_store(data_dir).close()
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StorageError, match="более новой версией"):
        open_store(data_dir)
    conn = sqlite3.connect(data_dir / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 999
    conn.close()


def test_foreign_or_damaged_database_files_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    conn = sqlite3.connect(foreign / DB_NAME)
    conn.execute("CREATE TABLE something (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="не похож на базу"):
        open_store(foreign)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / DB_NAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StorageError, match="повреждён"):
        open_store(broken)


def test_migration_chain_backs_up_first_and_runs_in_order(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(data_dir).close()
    base = migrations.latest_version()
    extra = [
        migrations.Migration(base + 1, "add notes", migrations._sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);")),
        migrations.Migration(base + 2, "fill notes", migrations._sql("INSERT INTO notes (text) VALUES ('ok');")),
    ]
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + extra)
    import coordinator_app.storage as storage_module

    monkeypatch.setattr(storage_module, "MIGRATIONS", migrations.MIGRATIONS)
    monkeypatch.setattr(storage_module, "latest_version", migrations.latest_version)
    store = open_store(data_dir)
    assert store.schema_version == base + 2
    assert store.scalar("SELECT text FROM notes") == "ok"
    backups = list((data_dir / "backups").glob("pre-migration-*.sqlite3"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == base
    old.close()
    store.close()


def test_failing_migration_leaves_the_database_at_the_old_version(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(data_dir).close()
    base = migrations.latest_version()
    bad = migrations.Migration(base + 1, "broken", migrations._sql("CREATE TABLE t1 (x);\nINSERT INTO nowhere VALUES (1);"))
    import coordinator_app.storage as storage_module

    monkeypatch.setattr(storage_module, "MIGRATIONS", migrations.MIGRATIONS + [bad])
    monkeypatch.setattr(storage_module, "latest_version", lambda: base + 1)
    with pytest.raises((sqlite3.Error, UserError)):
        open_store(data_dir)
    conn = sqlite3.connect(data_dir / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == base
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 't1'").fetchone()[0] == 0
    conn.close()


def test_audit_log_is_append_only(store) -> None:
    with store.atomic():
        audit.record(store, "test.action", "things", 1, value=1)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("DELETE FROM audit_log")
    assert audit.entries(store)[0]["details"] == {"value": 1}


def test_second_instance_on_the_same_data_dir_is_told_so(data_dir: Path) -> None:
    first = DataDirLock(data_dir)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunningError, match="уже открыт"):
            DataDirLock(data_dir).acquire()
    finally:
        first.release()
    with DataDirLock(data_dir):  # free again after release
        pass


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "doc.pdf"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as stream:
            stream.write(b"half of the new")
            raise RuntimeError("crash in the middle")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.pdf"]


def test_atomic_write_to_a_missing_drive_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="Не удалось записать|недоступна"):
        atomic_write_bytes(blocker / "sub" / "doc.pdf", b"data")


def test_russian_collation_sorts_yo_with_ye(store) -> None:
    rows = [r[0] for r in store.db.execute(
        "SELECT x FROM (SELECT 'Ёлкин' AS x UNION SELECT 'Абрамов' UNION SELECT 'Жуков' UNION SELECT 'Егоров') ORDER BY x COLLATE RU")]
    assert rows == ["Абрамов", "Егоров", "Ёлкин", "Жуков"]
