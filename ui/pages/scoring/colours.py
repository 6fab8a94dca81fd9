"""The scoring step's colours and style sheets: the shared ones from `ui/style.py`, and the few
literals of this step that have no name there yet (kept here, in one place)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ...style import (
           ABSENT_BACKGROUND,
           ABSENT_TEXT,
           ERROR,
           ERROR_STYLE,
           MUTED_STYLE,
           OK_STYLE,
           WARNING_ROW,
           WARNING_STYLE,
           color,
)

ABSENT_BG, ABSENT_FG, MISSING_BG = color(ABSENT_BACKGROUND), color(ABSENT_TEXT), color(WARNING_ROW)
DIFF_FG = color(ERROR)                         # a differing score or mark of the second check
HINT_STYLE = MUTED_STYLE
EXPERT_HINT_STYLE = WARNING_STYLE
__all__ = ["ABSENT_BG", "ABSENT_FG", "BANNER_EMPTY", "BANNER_MISSING", "BANNER_READY", "CELL_EMPTY_STYLE",
           "CELL_ERROR_STYLE", "DIFF_FG", "ERROR_STYLE", "EXPERT_HINT_STYLE", "GRID_STYLE", "HINT_STYLE", "MISSING_BG",
           "OK_STYLE", "TOTAL_BG", "TOTAL_STYLE"]

# Not in ui/style.py yet.
TOTAL_BG = QColor("#eef3fb")                   # the total and mark columns of the grid
CELL_ERROR_STYLE = f"QLineEdit {{ border: 2px solid {ERROR}; background: #fdecea; }}"
CELL_EMPTY_STYLE = "QLineEdit { background: #fff8dc; }"
TOTAL_STYLE = "font-size: 14pt; font-weight: bold; color: #1a3d7c"
GRID_STYLE = ("QTableView { gridline-color: #c8c8c8; } "
              "QTableView::item:selected { background: #cfe3ff; color: black; }")
# The «Ход проверки» banner: background and text colour by the work's state.
BANNER_READY = "#e3f4e4; color: #1b5e20"
BANNER_EMPTY = "#fdecea; color: #8a1c1c"
BANNER_MISSING = "#fff3c4; color: #6d4c00"
