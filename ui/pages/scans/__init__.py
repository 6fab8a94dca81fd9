"""«Сканы», the scans step: the page (`ScansPage`) with one widget per list it shows — the
participants with their pages, the unrecognised pages and the disputed title pages.

Only the names below are for use outside the package.
"""

from .page import ScansPage

__all__ = ["ScansPage"]
