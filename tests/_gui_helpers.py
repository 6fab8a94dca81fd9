"""Helpers for GUI tests: pages load their data after they are built (`ui.loader.PageLoader`)."""

from __future__ import annotations

from typing import Any


def is_loading(widget: Any) -> bool:
    """True while `widget` (a page, or a main window: every built page) still loads its data."""
    pages = widget.pages.values() if hasattr(widget, "pages") else [widget]
    return any(page.is_loading() for page in pages if hasattr(page, "is_loading"))


def wait_settled(qtbot: Any, *widgets: Any, timeout: int = 15000) -> None:
    """Wait until the pages (or windows) have applied their latest data."""
    from PySide6.QtWidgets import QApplication

    for widget in widgets:
        qtbot.waitUntil(lambda w=widget: not is_loading(w), timeout=timeout)
    # Widgets a page added to its shown layout while applying its data are shown by Qt in the
    # next event-loop turn (a queued show): let it run, as it runs before the user's next key.
    QApplication.processEvents()
