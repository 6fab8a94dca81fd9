"""«Проверка», the scoring step: the page (`ScoringPage`) with one module per tab.

The tabs get the score sheet and the context they need and signal what they want of the page;
only the names below are for use outside the package.
"""

from .colours import CELL_EMPTY_STYLE
from .page import ScoringPage

__all__ = ["CELL_EMPTY_STYLE", "ScoringPage"]
