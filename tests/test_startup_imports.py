"""What start-up must not load: a read command of the CLI, and the window up to its first paint.

Each runs in a fresh interpreter and reports which of the heavy libraries it imported. The
libraries are needed by other actions (writes, PDFs, spreadsheets, scans); loading one of them on
these paths is how a CLI command came to cost 5× a bare `import sqlite3`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coordinator_app.codes import assign_codes
from coordinator_app.scoring import set_score
from coordinator_app.storage import open_store
from coordinator_app.works import WorkDef, create_work, parse_date, parse_tasks_spec
from tests.conftest import add_pupils

ROOT = Path(__file__).resolve().parent.parent

# Loaded by writes (sqlite-utils pulls in click, dateutil, pluggy and numpy), documents, forms, scans.
HEAVY = ("sqlite_utils", "numpy", "pandas", "click", "dateutil", "pluggy", "openpyxl", "reportlab", "PIL",
         "zxingcpp", "pypdfium2", "logging.handlers")
# A read command also does without shutil (with bz2 and lzma): argparse's help formatter imports it
# for the terminal's width once per argument unless told the width.
CLI_HEAVY = (*HEAVY, "shutil")


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """A bare environment (nothing of the user's settings), with what Windows needs to start a process."""
    import os

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin") if os.name == "nt" else "/usr/bin:/bin",
           "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    for name in ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP", "WINDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _run(code: str, tmp_path: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return result.stdout


def _loaded_line(prefix: str, heavy: tuple[str, ...] = HEAVY) -> str:
    return (f"heavy = {heavy!r}\n"
            f"print({prefix!r}, sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n")


def _data_dir_with_a_scored_work(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    try:
        from coordinator_app.school import School, save_school

        save_school(store, School(name="МБОУ СОШ № 7", login="sch123456"))
        add_pupils(store, [("Иванов", "Иван", "Петрович", "4А"), ("Петрова", "Анна", "", "4Б")])
        work_id, _ = create_work(store, WorkDef(subject="Математика", grade=4, work_date=parse_date("2026-04-21"),
                                                tasks=parse_tasks_spec("1:1,2:2"), classes=["4А", "4Б"]))
        assign_codes(store, work_id)
        code = store.scalar("SELECT code FROM participants WHERE work_id = ? ORDER BY code", [work_id])
        set_score(store, work_id, code, "1", "1")
        # The write above is what loads sqlite-utils in this process; the children below only read.
        assert "sqlite_utils" in sys.modules
    finally:
        store.close()
    return data_dir


def test_cli_read_commands_load_no_heavy_library(tmp_path: Path) -> None:
    data_dir = _data_dir_with_a_scored_work(tmp_path)
    commands = [["list", "works"], ["list", "classes"], ["list", "students"], ["list", "participants", "--work", "1"],
                ["scores", "--work", "1"], ["--json", "scores", "--work", "1"], ["scans", "--work", "1"]]
    code = ("import sys\nfrom ui.launcher import main\n"  # the console script's entry point
            f"for command in {commands!r}:\n"
            f"    assert main(['--data-dir', {str(data_dir)!r}, *command]) == 0, command\n"
            + _loaded_line("LOADED", CLI_HEAVY) + "print('QT', any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules))\n")
    out = _run(code, tmp_path)
    assert "итого 1" in out and "Математика" in out  # the commands did run and read the data
    assert "LOADED []" in out and "QT False" in out, out[-2000:]


def test_a_cli_write_still_works_after_reads_on_the_same_store(tmp_path: Path) -> None:
    """Reads run on the plain connection; the first write brings sqlite-utils onto that connection."""
    data_dir = _data_dir_with_a_scored_work(tmp_path)
    store = open_store(data_dir)
    try:
        code = store.scalar("SELECT code FROM participants WHERE work_id = 1 ORDER BY code DESC")
    finally:
        store.close()
    out = _run("import sys\nfrom ui.launcher import main\n"
               f"d = {str(data_dir)!r}\n"
               "assert main(['--data-dir', d, 'list', 'works']) == 0\n"
               + _loaded_line("BEFORE") +
               f"assert main(['--data-dir', d, 'set-score', '--work', '1', '--code', {code!r}, '--task', '2',"
               " '--value', '2']) == 0\n"
               f"assert main(['--data-dir', d, 'scores', '--work', '1']) == 0\n", tmp_path)
    assert "BEFORE []" in out
    assert "задание 2 — 2; итого 2" in out


def test_window_first_paint_loads_no_heavy_library(tmp_path: Path) -> None:
    data_dir = _data_dir_with_a_scored_work(tmp_path)
    code = ("import sys\n"
            "from PySide6.QtCore import QEvent, QObject, QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "from ui.app import run_gui\n"
            "app = QApplication(sys.argv[:1])\n"
            "class FirstPaint(QObject):\n"
            "    def eventFilter(self, obj, event):\n"
            "        if event.type() == QEvent.Type.Paint and not seen:\n"
            "            seen.append(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
            "            QTimer.singleShot(0, app.quit)\n"
            "        return False\n"
            f"heavy = {HEAVY!r}\n"
            "seen = []\n"
            "spy = FirstPaint()\n"
            "app.installEventFilter(spy)\n"
            "QTimer.singleShot(20_000, app.quit)\n"
            f"rc = run_gui({str(data_dir)!r})\n"
            "print('PAINTED', seen[0] if seen else 'never', 'RC', rc)\n")
    out = _run(code, tmp_path)
    assert "PAINTED [] RC 0" in out, out[-2000:]
