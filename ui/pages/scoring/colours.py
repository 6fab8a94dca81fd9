"""The scoring step's colours and style sheets under the names its modules use, all from `ui/style.py`."""

from __future__ import annotations

from ...style import (
           ABSENT_BACKGROUND,
           ABSENT_TEXT,
           BANNER_EMPTY,
           BANNER_MISSING,
           BANNER_READY,
           CELL_EMPTY_STYLE,
           CELL_ERROR_STYLE,
           ERROR,
           ERROR_STYLE,
           GRID_STYLE,
           MUTED_STYLE,
           OK_STYLE,
           TOTAL_COLUMN,
           TOTAL_STYLE,
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

TOTAL_BG = color(TOTAL_COLUMN)                 # the total and mark columns of the grid
