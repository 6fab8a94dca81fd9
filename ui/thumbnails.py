"""Page thumbnails as icons, rotated by the page's display rotation, cached per window."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap, QTransform

from coordinator_app.scans.pages import Page
from coordinator_app.storage import Store

from . import style

MAX_CACHED = 600


class ThumbnailCache:
    def __init__(self, store: Store, placeholder: QSize) -> None:
        self.store = store
        self.placeholder = placeholder
        self._icons: dict[tuple[str, int], QIcon] = {}

    def icon(self, page: Page) -> QIcon:
        key = (page.thumb_path, page.rotation)
        icon = self._icons.get(key)
        if icon is None:
            pixmap = QPixmap(str(self.store.path(page.thumb_path)))
            if pixmap.isNull():          # a missing thumbnail shows as a grey card, never an error
                pixmap = QPixmap(self.placeholder)
                pixmap.fill(style.color(style.THUMBNAIL_PLACEHOLDER))
            elif page.rotation:
                pixmap = pixmap.transformed(QTransform().rotate(page.rotation),
                                            Qt.TransformationMode.SmoothTransformation)
            if len(self._icons) > MAX_CACHED:
                self._icons.clear()
            icon = self._icons[key] = QIcon(pixmap)
        return icon
