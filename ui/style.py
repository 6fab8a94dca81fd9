"""The one home of the GUI's colours and text styles.

A page never writes a colour itself: it takes a name from here (a style sheet for a label, a `QColor`
for a table cell, an HTML fragment for rich text), so an error looks the same on every page and a
colour is changed in one place.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

# -- colours ----------------------------------------------------------------------------------------
ERROR = "#b00020"            # a problem the user must fix
OK = "#2e7d32"               # saved, done, ready
WARNING = "#8a6d00"          # worth a look, not an error
MUTED = "#555"               # hints and secondary text
ABSENT_BACKGROUND = "#e4e4e4"    # a participant who was absent
ABSENT_TEXT = "#777777"
BAD_ROW = "#ffd7d7"          # a row that cannot be imported
WARNING_ROW = "#fff3c4"      # a row imported with a warning
EXPERT_BADGE = "#b35c00"     # the «режим эксперта» indicator in the status bar

# -- style sheets for a label -------------------------------------------------------------------------
ERROR_STYLE = f"color: {ERROR}"
OK_STYLE = f"color: {OK}"
WARNING_STYLE = f"color: {WARNING}"
MUTED_STYLE = f"color: {MUTED}"
EXPERT_BADGE_STYLE = f"color: white; background: {EXPERT_BADGE}; padding: 1px 8px; font-weight: bold"
NAVIGATION_STYLE = "QListWidget#navigation { font-size: 11pt; } QListWidget#navigation::item { padding: 8px; }"


# -- the scoring step: its grid, its cells, the «Ход проверки» banner -------------------------------
TOTAL_COLUMN = "#eef3fb"          # the total and mark columns of the grid
TOTAL_TEXT = "#1a3d7c"
CELL_ERROR_BACKGROUND = "#fdecea"  # a score that cannot be saved
CELL_EMPTY_BACKGROUND = "#fff8dc"  # a task not scored yet
CELL_ERROR_STYLE = f"QLineEdit {{ border: 2px solid {ERROR}; background: {CELL_ERROR_BACKGROUND}; }}"
CELL_EMPTY_STYLE = f"QLineEdit {{ background: {CELL_EMPTY_BACKGROUND}; }}"
TOTAL_STYLE = f"font-size: 14pt; font-weight: bold; color: {TOTAL_TEXT}"
GRID_STYLE = ("QTableView { gridline-color: #c8c8c8; } "
              "QTableView::item:selected { background: #cfe3ff; color: black; }")
# the banner's background and text colour by the work's state
BANNER_READY = "#e3f4e4; color: #1b5e20"
BANNER_EMPTY = "#fdecea; color: #8a1c1c"
BANNER_MISSING = "#fff3c4; color: #6d4c00"
#: The main window's banner when a past school year is shown (read-only).
PAST_YEAR_BANNER_STYLE = "background: #fff3c4; color: #6d4c00; padding: 6px 10px; font-weight: bold"

# -- the scans step -----------------------------------------------------------------------------------
WAITING_TAB = "#a04000"           # a queue's tab with pages waiting in it
VIEWER_BACKGROUND = "#5f6368"     # around a scanned page
VIEWER_PLACEHOLDER_STYLE = "color: #666; font-size: 11pt; background: #f3f3f3; padding: 24px"
THUMBNAIL_PLACEHOLDER = "#dddddd"  # a page whose picture is still being made
LOADING_STYLE = f"QLabel {{ color: {MUTED}; font-size: 12pt; background: rgba(255, 255, 255, 190); }}"


# -- «Анализ»: signs and charts (grey-scale safe: every chart also labels what its colour says) ------
SIGN_COLOURS = {"red": "#c62828", "yellow": "#f9a825", "green": "#2e7d32", "grey": "#9e9e9e"}
CHART_BAR = "#5c7cba"              # a plain bar
CHART_PEAK = "#c62828"             # the bar at a flagged boundary b
CHART_BELOW = "#ef8f00"            # the bar at b − 1
CHART_LINE = "#333333"             # axes, boundary lines, captions
CHART_GRID = "#d0d0d0"
CHART_TEXT_ON_DARK = "#ffffff"    # a label on a dark bar
MARK_COLOURS = {2: "#d32f2f", 3: "#f9a825", 4: "#7cb342", 5: "#2e7d32"}
STATUS_COLOURS = {"green": "#66bb6a", "yellow": "#ffca28", "red": "#ef5350", None: "#b0b0b0"}


# -- table cells --------------------------------------------------------------------------------------
def color(name: str) -> QColor:
    """A colour of this module for a model's background or foreground role."""
    return QColor(name)


# -- rich text ----------------------------------------------------------------------------------------
def error_html(text: str, bold: bool = True) -> str:
    """`text` (already escaped if it came from outside) shown as an error in a rich-text label."""
    tag = "b" if bold else "span"
    return f"<{tag} style='color:{ERROR}'>{text}</{tag}>"


def ok_html(text: str) -> str:
    return f"<b style='color:{OK}'>{text}</b>"


def warning_html(text: str) -> str:
    return f"<span style='color:{WARNING}'>{text}</span>"


def muted_html(text: str) -> str:
    return f"<div style='color:{MUTED}'>{text}</div>"
