"""A full disk during any write gives the program's own Russian message («На диске не хватает
места…»), never «database or disk is full», «disk I/O error» or an OSError traceback. The full disk
is faked: SQLite's own limit on the database's pages (a real SQLITE_FULL), and OSError(ENOSPC)
from the file writer's fsync."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3

import pytest

from coordinator_app import storage
from coordinator_app.codes import assign_codes
from coordinator_app.errors import UserError
from coordinator_app.students import add_student
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

FULL = "На диске не хватает места для записи"


def _fill_until_full(store) -> UserError:
    store.conn.execute(f"PRAGMA max_page_count = {store.scalar('PRAGMA page_count')}")
    with pytest.raises(UserError) as caught:
        for n in range(5000):
            add_student(store, f"Иванов{n}", "Иван", "Иванович" * 20, "5А")
    return caught.value


def test_sqlite_s_database_or_disk_is_full_is_the_program_s_message(school_store) -> None:
    err = _fill_until_full(school_store)
    assert err.message == f"{FULL} «{school_store.data_dir}». Освободите место и повторите."
    school_store.conn.execute("PRAGMA max_page_count = 1073741823")
    add_student(school_store, "Петров", "Пётр", "", "5А")          # the store is still fine


def test_a_disk_i_o_error_on_a_nearly_full_disk_is_the_program_s_message(school_store, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10 << 30, 10 << 30, 1 << 20))
    with pytest.raises(UserError) as caught:
        with school_store.atomic():
            raise sqlite3.OperationalError("disk I/O error")
    assert caught.value.message.startswith(FULL)


def test_a_disk_i_o_error_with_space_left_says_so_in_russian(school_store) -> None:
    with pytest.raises(UserError) as caught:
        with school_store.atomic():
            raise sqlite3.OperationalError("disk I/O error")
    assert caught.value.message.startswith("Не удалось записать данные на диск")
    assert "I/O" not in caught.value.message


def test_enospc_inside_a_transaction_is_the_program_s_message(school_store) -> None:
    with pytest.raises(UserError) as caught:
        with school_store.atomic():
            raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.message.startswith(FULL)


def test_the_cli_says_the_disk_is_full_when_the_database_is(school_store, monkeypatch, capsys) -> None:
    from coordinator_app.cli import main

    real = storage._apply_pragmas

    def full_after_open(conn: sqlite3.Connection) -> None:
        real(conn)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    monkeypatch.setattr(storage, "_apply_pragmas", full_after_open)
    code = 0
    for n in range(200):
        code = main(["--data-dir", str(school_store.data_dir), "add-work", "--subject", f"Предмет {n} " + "я" * 500,
                     "--grade", "4", "--date", "2026-04-21", "--tasks", "1:2", "--classes", "4А"])
        if code:
            break
    err = capsys.readouterr().err
    assert code == 1 and FULL in err
    assert "database or disk is full" not in err and "Traceback" not in err


def test_a_file_write_on_a_full_disk_is_the_program_s_message(school_store, tmp_path, monkeypatch, capsys) -> None:
    from coordinator_app.cli import main

    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date(2026, 4, 21), [TaskDef("1", 2)],
                                                   classes=["4А"]))
    assign_codes(school_store, work_id)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "labels.pdf"
    code = main(["--data-dir", str(school_store.data_dir), "labels", "--work", str(work_id), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and f"{FULL} «{out}»" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".labels.pdf.*"))


def test_a_log_line_that_cannot_be_written_prints_no_traceback(tmp_path, capsys) -> None:
    import logging

    from coordinator_app import logging_setup

    logging_setup.setup_logging(tmp_path / "data")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_vpr", False))

    class FullDisk:
        def write(self, text: str) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    real, handler.stream = handler.stream, FullDisk()
    try:
        logging.getLogger("coordinator_app.test").warning("a line for a full disk")
    finally:
        handler.stream = real
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
