"""The scoring step's colours and style sheets: every colour literal of the package, in one place."""

from __future__ import annotations

from PySide6.QtGui import QColor

ABSENT_BG, ABSENT_FG, MISSING_BG = QColor("#e4e4e4"), QColor("#777777"), QColor("#fff3c4")
TOTAL_BG = QColor("#eef3fb")
DIFF_FG = QColor("#b00020")                    # a differing score or mark of the second check
ERROR_STYLE = "color: #b00020"
OK_STYLE = "color: #2e7d32"
HINT_STYLE = "color: #555"
CELL_ERROR_STYLE = "QLineEdit { border: 2px solid #b00020; background: #fdecea; }"
CELL_EMPTY_STYLE = "QLineEdit { background: #fff8dc; }"
TOTAL_STYLE = "font-size: 14pt; font-weight: bold; color: #1a3d7c"
EXPERT_HINT_STYLE = "color: #8a6d00"
GRID_STYLE = ("QTableView { gridline-color: #c8c8c8; } "
              "QTableView::item:selected { background: #cfe3ff; color: black; }")
# The «Ход проверки» banner: background and text colour by the work's state.
BANNER_READY = "#e3f4e4; color: #1b5e20"
BANNER_EMPTY = "#fdecea; color: #8a1c1c"
BANNER_MISSING = "#fff3c4; color: #6d4c00"
