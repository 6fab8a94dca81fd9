"""What the «Сканы» page's parts share: the colours (from `ui/style.py`; the one literal it has no
name for yet is here), the thumbnail size, the keyboard-shortcut helper, the page prefetcher and the «who is this» text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from coordinator_app.scans.pages import Page

from ... import style
from ...scan_viewer import ScanViewer
from ...style import (
    ABSENT_BACKGROUND,
    ABSENT_TEXT,
    ERROR_STYLE,
    MUTED_STYLE,
    WARNING_ROW,
    WARNING_STYLE,
    color,
)

__all__ = ["ABSENT_BG", "ABSENT_FG", "ERROR_STYLE", "HINT_STYLE", "MISSING_BG", "NOTE_STYLE", "PAGE_ID", "THUMB",
           "WAITING_TAB", "Prefetcher", "bind", "position_of", "who"]

ABSENT_BG, ABSENT_FG, MISSING_BG = color(ABSENT_BACKGROUND), color(ABSENT_TEXT), color(WARNING_ROW)
WAITING_TAB = style.color(style.WAITING_TAB)   # a queue tab with pages in it
HINT_STYLE = MUTED_STYLE
NOTE_STYLE = WARNING_STYLE
PAGE_ID = Qt.ItemDataRole.UserRole
THUMB = QSize(92, 130)


def bind(parent: QWidget, keys: list[str | QKeySequence.StandardKey], slot: Callable[[], Any]) -> None:
    """Keys for `slot`, active while `parent` is visible in the window."""
    sequences: list[QKeySequence] = []
    for key in keys:
        for seq in (QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey)
                    else [QKeySequence(key)]):
            if seq not in sequences:
                sequences.append(seq)
    shortcut = QShortcut(parent)
    shortcut.setKeys(sequences)
    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)   # only while `parent` is visible
    shortcut.activated.connect(slot)


def who(names: dict[int, str], code: str | None, participant_id: int | None) -> str:
    """«Код 40012 — Иванов Иван» (the name only where `names` has it: never in expert mode)."""
    name = names.get(participant_id, "") if participant_id is not None else ""
    return f"Код {code}" + (f" — {name}" if name else "")


def position_of(pages: list[Page], keep: Page | None, old: int) -> int:
    """Where `keep` is in `pages` now, else `old` kept within the list."""
    if keep is not None:
        for i, page in enumerate(pages):
            if page.id == keep.id:
                return i
    return min(max(old, 0), max(len(pages) - 1, 0))


class Prefetcher(QObject):
    """Decodes the pages the user will see next, one per timer tick, into the viewer that shows them
    (only while that viewer is visible). A new request replaces the pages not yet decoded."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: list[tuple[ScanViewer, Page]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self._one)

    def prefetch(self, items: list[tuple[ScanViewer, Page]]) -> None:
        self._queue = items
        self._timer.start()

    def _one(self) -> None:
        while self._queue:
            viewer, page = self._queue.pop(0)
            if viewer.isVisible():
                viewer.prefetch(page)
                break
        if self._queue:
            self._timer.start()
