"""Shared fixtures. Qt runs offscreen; every test gets its own data dir."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The GUI tests see the screen of a school PC: 1366×768 less the taskbar is what a window gets.
SCREEN = ROOT / "tests" / "fixtures" / "screen_1366x728.json"


def _screen_argument() -> str:
    """The config file as a platform argument. Qt splits the platform string at «:», so a Windows
    path (C:\\…) cannot be given whole: it is given relative to the working directory."""
    try:
        path = os.path.relpath(SCREEN) if os.name == "nt" else str(SCREEN)
    except ValueError:          # another drive: no relative path (the tests then see Qt's default screen)
        return ""
    return f":configfile={path}"


if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = "offscreen" + _screen_argument()
    if os.name == "nt":
        # The offscreen platform reads fonts from a folder (PySide6/lib/fonts, which the wheels do
        # not ship): give it the system's, so pages are measured with the fonts the program shows.
        os.environ.setdefault("QT_QPA_FONTDIR", os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coordinator_app.school import School, save_school  # noqa: E402
from coordinator_app.storage import Store, open_store  # noqa: E402


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _settle_qt() -> None:
    """Let the pages' reads still on the pool apply while their store is open: a test's store closes
    before qtbot closes the test's windows, and a slow machine (Wine) leaves a read queued then."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        return
    pool = QThreadPool.globalInstance()
    for _ in range(20):                  # an applied read may start another one
        pool.waitForDone(30000)
        QApplication.processEvents()
        if pool.activeThreadCount() == 0:
            break


@pytest.fixture
def store(data_dir: Path):
    s = open_store(data_dir)
    yield s
    _settle_qt()
    s.close()


@pytest.fixture
def school_store(store: Store) -> Store:
    save_school(store, School(name="МБОУ СОШ № 7", login="sch123456", municipality="г. Тестовск",
                              academic_year="2025/2026", director="Петрова Анна Ивановна"))
    return store


def add_pupils(store: Store, rows: list[tuple[str, str, str, str]]) -> list[int]:
    """rows: (surname, name, patronymic, class)."""
    from coordinator_app.students import add_student

    return [add_student(store, s, n, p, c)[0] for s, n, p, c in rows]


@pytest.fixture
def grade4(school_store: Store) -> Store:
    """Two grade-4 classes, entered out of order on purpose."""
    add_pupils(school_store, [
        ("Яковлев", "Ян", "Ильич", "4Б"),
        ("Борисова", "Мария", "Ивановна", "4А"),
        ("Ёлкин", "Фёдор", "Петрович", "4А"),
        ("Абрамов", "Кирилл", "Олегович", "4А"),
        ("Андреева", "Ольга", "", "4Б"),
    ])
    return school_store


@pytest.fixture(autouse=True)
def _collect_on_main_thread():
    """As in the program (`ui.gc_guard`): cycles are collected on the main thread only, between
    tests, never inside a worker that happens to allocate while a test's widgets are garbage."""
    from ui.gc_guard import collect_due, take_over_collection

    take_over_collection()
    yield
    collect_due()


@pytest.fixture(autouse=True)
def messages(monkeypatch: pytest.MonkeyPatch):
    """Every test: the program's message boxes are recorded, not shown (`ui.messages.presenter`),
    so no test waits on a modal box. A test that expects a question sets its answer
    (`messages.answer(True)` / `messages.always(True)`); a question nobody answered fails the test."""
    import ui.messages
    from tests._gui_helpers import MessageRecorder

    recorder = MessageRecorder()
    monkeypatch.setattr(ui.messages, "presenter", recorder)
    yield recorder
    assert not recorder.unexpected, f"questions nobody answered: {recorder.unexpected}"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots: the test's own temporary folder, never the repository."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the GUI asked the system to open (in a viewer), instead of opening them."""
    import ui.context

    paths: list[Path] = []
    monkeypatch.setattr(ui.context, "open_path", lambda p: paths.append(Path(p)) or True)
    return paths
