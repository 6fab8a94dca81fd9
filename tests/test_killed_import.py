"""An import killed half-way (SIGKILL, a power button): its worker processes end with it, `verify`
says what the files it left are, and the program's next start removes them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coordinator_app.backup import verify_store
from coordinator_app.codes import assign_codes
from coordinator_app.scans import filestore
from coordinator_app.scans.leftovers import IMPORT_LOCK, leftover_files, remove_leftovers
from coordinator_app.storage import Store
from coordinator_app.storage.lock import DataDirLock
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests._process import kill_hard, own_group
from tests.conftest import add_pupils
from tests.fixtures.scan_pages import plain_page, save_jpeg

ROOT = Path(__file__).resolve().parent.parent
LEFTOVERS = "импорт сканов был прерван и оставил"


@pytest.fixture
def work_id(school_store: Store) -> int:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А")])
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date.today(), [TaskDef("1", 2)],
                                                   classes=["4А"]))
    assign_codes(school_store, work_id)
    return work_id


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_import(store: Store, work_id: int, folder: Path, wait_for_pages: int) -> subprocess.Popen:
    folder.mkdir()
    for i in range(40):
        save_jpeg(plain_page(seed=i), folder / f"4000{i % 2 + 1}_{i:02d}.jpg")
    script = ("import sys; from coordinator_app.storage import open_store; "
              "from coordinator_app.scans.importer import import_scans; "
              "import_scans(open_store(sys.argv[1]), [sys.argv[2]], work_id=int(sys.argv[3]), workers=2)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(store.data_dir), str(folder), str(work_id)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **own_group())
    # No clock: the import's own end bounds the wait (a busy machine only makes it longer).
    while proc.poll() is None and store.scalar("SELECT COUNT(*) FROM scan_pages") < wait_for_pages:
        time.sleep(0.05)
    assert proc.poll() is None, "the import ended before it could be killed"
    return proc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_killing_the_import_ends_its_worker_processes(school_store, work_id, tmp_path: Path) -> None:
    proc = _start_import(school_store, work_id, tmp_path / "batch", wait_for_pages=2)
    workers = _children(proc.pid)
    assert len(workers) >= 2                   # the pool's workers (and the resource tracker)
    os.kill(proc.pid, signal.SIGKILL)          # the importer only: nobody shuts its pool down
    proc.wait()
    try:
        deadline = time.time() + 300         # only a guard against hanging: they end within a second
        while time.time() < deadline and any(_running(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _start_the_program_once(data_dir: Path, monkeypatch) -> None:
    from PySide6.QtCore import QThreadPool, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.app import run_gui

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)        # run_gui installs its crash hook
    QTimer.singleShot(0, lambda: [w.close() for w in QApplication.topLevelWidgets()])
    assert run_gui(str(data_dir)) == 0
    QThreadPool.globalInstance().waitForDone(30_000)


def test_verify_names_what_a_killed_import_left_and_the_next_start_removes_it(
        qapp, school_store, work_id, tmp_path: Path, capsys, monkeypatch) -> None:
    from coordinator_app.cli import main

    proc = _start_import(school_store, work_id, tmp_path / "batch", wait_for_pages=1)
    kill_hard(proc)
    data_dir = school_store.data_dir
    left = leftover_files(data_dir, school_store.conn)
    assert left and filestore.writes_unfinished(data_dir)

    report = verify_store(school_store)
    line = next(p for p in report.problems if p.startswith(LEFTOVERS))
    assert f"без записей в базе (например, {left[0]})" in line
    assert "будут удалены при следующем запуске программы" in line
    assert main(["--data-dir", str(data_dir), "verify"]) == 1
    assert LEFTOVERS in capsys.readouterr().out

    # The next start of the program (its own start-up, the window closed as soon as it is shown).
    _start_the_program_once(data_dir, monkeypatch)
    assert not filestore.writes_unfinished(data_dir)
    assert not any((data_dir / rel).exists() for rel in left)
    on_disk = {p.relative_to(data_dir).as_posix() for p in (data_dir / "scans").rglob("*") if p.is_file()}
    assert on_disk == filestore.referenced_paths(school_store.db)
    assert not [p for p in verify_store(school_store).problems if p.startswith(LEFTOVERS)]


def test_the_start_leaves_the_files_of_an_import_running_in_another_process_alone(school_store) -> None:
    data_dir = school_store.data_dir
    filestore.begin_writes(data_dir)
    fresh = data_dir / filestore.rel_path("originals", "cd" * 32, "jpg")
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"stored a moment before its row")
    with DataDirLock(data_dir, IMPORT_LOCK):          # an import is running
        assert remove_leftovers(school_store) == 0
    assert fresh.exists() and filestore.writes_unfinished(data_dir)
    assert remove_leftovers(school_store) == 1        # once it is gone (killed), the next start sweeps
    assert not fresh.exists() and not filestore.writes_unfinished(data_dir)
