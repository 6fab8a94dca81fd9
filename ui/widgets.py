"""Small shared widgets: a page title, a search field, a table view set up the same way everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QWidget


#: Room a window's frame and title bar take on Windows (the frame is not known before it is shown).
FRAME_W, FRAME_H = 16, 40


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize a top-level window to `width`×`height`, or less where the screen's free area (a
    school PC: 1366×768 less the taskbar) is smaller, so that its buttons are never off screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(width, height)
        return
    free = screen.availableGeometry()
    window.resize(min(width, free.width() - FRAME_W), min(height, free.height() - FRAME_H))


def page_title(text: str, hint: str = "") -> QLabel:
    label = QLabel(f"<h2 style='margin:0'>{text}</h2>" + (f"<div style='color:#555'>{hint}</div>" if hint else ""))
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    return label


def search_field(parent: QWidget, placeholder: str = "Поиск (Ctrl+F)") -> QLineEdit:
    field = QLineEdit(parent)
    field.setPlaceholderText(placeholder)
    field.setClearButtonEnabled(True)
    field.setMinimumWidth(240)
    shortcut = QShortcut(QKeySequence.StandardKey.Find, parent)
    shortcut.activated.connect(lambda: (field.setFocus(), field.selectAll()))
    return field


def table_view(parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    # Size columns from the first rows only: measuring 1500 rows costs ~0.7 s at start-up.
    view.horizontalHeader().setResizeContentsPrecision(60)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    return view
