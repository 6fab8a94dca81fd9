"""The page viewer: one scanned page, zoom, fit to width/page, pan by dragging, rotate by 90°.

Images are decoded with QImageReader straight to the size the screen needs (a JPEG is decoded by
libjpeg at 1/2, 1/4 or 1/8 scale, which is much cheaper than decoding the whole page and
shrinking it) and kept in a small least-recently-used cache of QPixmaps, so going back and forth
between pages and participants costs nothing. The full resolution is read only when the user zooms
in past the loaded one.

Scene coordinates are the page's full-resolution pixels with the page's centre at (0, 0), so
swapping a low-resolution pixmap for the full one keeps the zoom and the scroll position.

Rotation is the page's metadata (`Page.rotation`, clockwise degrees that make the page upright);
the stored file never changes. The rotation is relative to the stored pixels as the importer read
them (Pillow, without applying an EXIF orientation tag), so the reader's automatic EXIF transform
is switched OFF here: applying it would turn a phone photo twice.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImageReader, QKeyEvent, QKeySequence, QPainter, QPixmap, QTransform, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coordinator_app.scans.pages import Page, image_file, rotate_page

from . import style
from .ops import ChangeOp

MIN_ZOOM, MAX_ZOOM = 0.03, 8.0
ZOOM_STEP = 1.25
MARGIN = 10                       # px of background around a fitted page
FACTORS = (8, 4, 2, 1)            # decode at 1/8, 1/4, 1/2 or the whole resolution


class PixmapCache:
    """Decoded pages, keyed by (file, reduction factor); least recently used go first.

    The budget is in bytes: a full 200 dpi A4 page is about 15 MB as a pixmap, a half one 4 MB.
    """

    def __init__(self, budget_bytes: int = 160 << 20) -> None:
        self.budget = budget_bytes
        self._items: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._bytes = 0
        self.decodes = 0          # how many times a file was actually decoded (tests, benchmarks)

    @staticmethod
    def _size_of(pixmap: QPixmap) -> int:
        return pixmap.width() * pixmap.height() * max(pixmap.depth(), 8) // 8

    def find(self, path: Path, factor: int) -> tuple[QPixmap, int] | None:
        """The cached pixmap of `path` at `factor` or better (a smaller factor), if any."""
        key = str(path)
        for f in sorted((f for f in FACTORS if f <= factor), reverse=True):
            pixmap = self._items.get((key, f))
            if pixmap is not None:
                self._items.move_to_end((key, f))
                return pixmap, f
        return None

    def get(self, path: Path, factor: int) -> tuple[QPixmap, int] | None:
        """The page at `factor` (or better), decoding it if needed; None if it cannot be read."""
        found = self.find(path, factor)
        if found is not None:
            return found
        reader = QImageReader(str(path))
        reader.setAutoTransform(False)   # see the module docstring
        full = reader.size()
        if factor > 1 and full.isValid():
            reader.setScaledSize(QSize(math.ceil(full.width() / factor), math.ceil(full.height() / factor)))
        else:
            factor = 1
        image = reader.read()
        if image.isNull():
            return None
        pixmap = QPixmap.fromImage(image)
        self.decodes += 1
        self._put((str(path), factor), pixmap)
        return pixmap, factor

    def _put(self, key: tuple[str, int], pixmap: QPixmap) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= self._size_of(old)
        self._items[key] = pixmap
        self._bytes += self._size_of(pixmap)
        while self._bytes > self.budget and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= self._size_of(dropped)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


_shared_cache: PixmapCache | None = None


def shared_cache() -> PixmapCache:
    global _shared_cache
    if _shared_cache is None:
        _shared_cache = PixmapCache()
    return _shared_cache


def factor_for(scale: float) -> int:
    """The largest reduction whose pixmap still has at least one pixel per screen pixel."""
    for f in FACTORS:
        if f * scale <= 1.0:
            return f
    return 1


class ScanView(QGraphicsView):
    """The graphics view: one pixmap item, zoom kept as a plain scale factor."""

    zoom_changed = Signal(float)

    def __init__(self, cache: PixmapCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(style.color(style.VIEWER_BACKGROUND))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(False)           # files dropped here go to the page (import)
        self.setMinimumSize(200, 200)
        # Always there: a scroll bar that comes and goes would change the width "fit to width" uses.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.path: Path | None = None
        self.full = QSize()
        self.rotation = 0
        self.factor = 1
        self.zoom = 1.0
        self.mode: str | None = "width"      # "width", "page" or None (the user's own zoom)
        self._upgrade = QTimer(self)
        self._upgrade.setSingleShot(True)
        self._upgrade.setInterval(0)
        self._upgrade.timeout.connect(self._load_sharper)

    # -- the image ------------------------------------------------------------------------------
    def clear(self) -> None:
        self.path = None
        self.item.setPixmap(QPixmap())
        self.full = QSize()

    def set_image(self, path: Path, full: QSize, rotation: int) -> bool:
        """Show `path` (its full size `full`, from the page's metadata) turned by `rotation`."""
        same = self.path == path
        self.path, self.rotation = path, rotation % 360
        if not full.isValid() or full.isEmpty():
            full = QImageReader(str(path)).size()
        if not full.isValid():
            self.clear()
            return False
        self.full = full
        scale = self._scale_for_mode() if self.mode else self.zoom
        loaded = self.cache.get(path, factor_for(scale * self.devicePixelRatioF()))
        if loaded is None:
            self.clear()
            return False
        self._place(*loaded)
        if self.mode:
            self._apply_mode(top=not same)
        else:
            self._set_zoom(self.zoom)
            if not same:
                self._scroll_top()
        return True

    def set_rotation(self, rotation: int) -> None:
        if self.path is None:
            return
        self.rotation = rotation % 360
        pixmap = self.item.pixmap()
        self._place(pixmap, self.factor)
        if self.mode:
            self._apply_mode(top=True)

    def _place(self, pixmap: QPixmap, factor: int) -> None:
        self.factor = factor
        self.item.setPixmap(pixmap)
        sx = self.full.width() / max(pixmap.width(), 1)
        sy = self.full.height() / max(pixmap.height(), 1)
        # Applied right to left: centre the pixmap on (0, 0), scale to full pixels, rotate.
        self.item.setTransform(QTransform().rotate(self.rotation).scale(sx, sy)
                               .translate(-pixmap.width() / 2, -pixmap.height() / 2))
        self.setSceneRect(self.item.sceneBoundingRect())

    def page_rect(self) -> QRectF:
        return self.item.sceneBoundingRect()

    # -- zoom -------------------------------------------------------------------------------------
    def _viewport_size(self) -> tuple[float, float]:
        return max(self.viewport().width() - 2 * MARGIN, 50), max(self.viewport().height() - 2 * MARGIN, 50)

    def _scale_for_mode(self) -> float:
        w, h = float(self.full.width()), float(self.full.height())
        if self.rotation in (90, 270):
            w, h = h, w
        if w <= 0 or h <= 0:
            return 1.0
        vw, vh = self._viewport_size()
        if self.mode == "page":
            return min(vw / w, vh / h)
        return vw / w

    def _apply_mode(self, top: bool = False) -> None:
        self._set_zoom(self._scale_for_mode())
        if top:
            self._scroll_top()

    def _scroll_top(self) -> None:
        rect = self.page_rect()
        self.centerOn(QPointF(rect.center().x(), rect.top() + (self.viewport().height() / 2 - MARGIN) / self.zoom))

    def _set_zoom(self, zoom: float) -> None:
        self.zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.setTransform(QTransform.fromScale(self.zoom, self.zoom))
        if self.path is not None and factor_for(self.zoom * self.devicePixelRatioF()) < self.factor:
            self._upgrade.start()
        self.zoom_changed.emit(self.zoom)

    def _load_sharper(self) -> None:
        if self.path is None:
            return
        loaded = self.cache.get(self.path, factor_for(self.zoom * self.devicePixelRatioF()))
        if loaded is not None and loaded[1] < self.factor:
            self._place(*loaded)

    def fit_width(self) -> None:
        self.mode = "width"
        self._apply_mode(top=True)

    def fit_page(self) -> None:
        self.mode = "page"
        self._apply_mode()

    def zoom_by(self, factor: float) -> None:
        self.mode = None
        self._set_zoom(self.zoom * factor)

    def zoom_in(self) -> None:
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.zoom_by(ZOOM_STEP)
        self.setTransformationAnchor(anchor)

    def zoom_out(self) -> None:
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.zoom_by(1 / ZOOM_STEP)
        self.setTransformationAnchor(anchor)

    # -- events -----------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(ZOOM_STEP ** steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.mode and self.path is not None:
            self._apply_mode()


class ElidedLabel(QLabel):
    """One line of text cut with «…» to the width it gets; the whole text is in the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None, greedy: bool = True) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored if greedy else QSizePolicy.Policy.Preferred,
                           QSizePolicy.Policy.Preferred)
        self.setText(text)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 6, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(40, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self.setToolTip(text)
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 40)))


class ScanViewer(QWidget):
    """Header («Код 40012 — Фамилия Имя»), a row of tool buttons, and the view.

    `ctx` (an AppContext) is needed only to rotate: rotation is saved with `rotate_page`.
    """

    rotated = Signal(object)        # the Page, with its new rotation

    def __init__(self, ctx=None, parent: QWidget | None = None, cache: PixmapCache | None = None,
                 empty_text: str = "Выберите страницу") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.page: Page | None = None
        self._pending = False
        self.cache = cache or shared_cache()
        self.empty_text = empty_text

        self.header = ElidedLabel(greedy=False)
        self.header.setObjectName("scanHeader")
        self.header.setStyleSheet("QLabel#scanHeader { font-size: 12pt; font-weight: bold; }")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info = ElidedLabel()
        self.info.setStyleSheet(style.MUTED_STYLE)

        self.view = ScanView(self.cache, self)
        self.placeholder = QLabel(empty_text)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(style.VIEWER_PLACEHOLDER_STYLE)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.view)

        def tool(text: str, tip: str, slot) -> QToolButton:
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(slot)
            return button

        self.zoom_out_button = tool("−", "Уменьшить (Ctrl+−, Ctrl+колесо мыши)", self.view.zoom_out)
        self.zoom_in_button = tool("+", "Увеличить (Ctrl++, Ctrl+колесо мыши)", self.view.zoom_in)
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setToolTip("Масштаб: 100 % — точка скана на точку экрана")
        self.fit_width_button = tool("По ширине", "Подогнать по ширине (W)", self.view.fit_width)
        self.fit_page_button = tool("Целиком", "Показать страницу целиком (Ctrl+0)", self.view.fit_page)
        self.rotate_button = tool("↻ Повернуть", "Повернуть на 90° по часовой стрелке (R). Файл скана не меняется.",
                                  self.rotate)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{round(z * 100)} %"))

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(12)
        top.addWidget(self.header)
        top.addWidget(self.info, 1)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(2)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_width_button,
                  self.fit_page_button, self.rotate_button):
            tools.addWidget(w)
        tools.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(tools)
        layout.addWidget(self.stack, 1)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        """The tools only when there is a page to use them on."""
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_width_button,
                  self.fit_page_button, self.rotate_button):
            w.setVisible(on)

    # -- content ----------------------------------------------------------------------------------
    def path_of(self, page: Page) -> Path:
        assert self.ctx is not None
        return image_file(self.ctx.store, page)

    def show_page(self, page: Page | None, header: str | None = None, info: str | None = None,
                  empty_text: str | None = None) -> None:
        if header is not None:
            self.header.setText(header)
        if info is not None:
            self.info.setText(info)
        if page is None:
            self.page = None
            self._pending = False
            self.view.clear()
            self.placeholder.setText(empty_text or self.empty_text)
            self.stack.setCurrentWidget(self.placeholder)
            self._enable(False)
            return
        same = (self.page is not None and self.page.id == page.id and self.page.rotation == page.rotation
                and self.view.path is not None)
        self.page = page
        if same:
            return
        if not self.isVisible():
            # Decoded when shown, at the size the view then has (pages build their viewers hidden).
            self.view.clear()
            self._pending = True
            return
        self._render()

    def _render(self) -> None:
        self._pending = False
        page = self.page
        if page is None:
            return
        path = self.path_of(page)
        if not self.view.set_image(path, QSize(page.width, page.height), page.rotation):
            self.placeholder.setText(f"Не удалось открыть изображение страницы:\n{path}")
            self.stack.setCurrentWidget(self.placeholder)
            self._enable(False)
            return
        self.stack.setCurrentWidget(self.view)
        self._enable(True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending:
            self._render()

    def prefetch(self, page: Page | None) -> None:
        """Decode a page the user is likely to open next, at the size it will be shown."""
        if page is None or self.ctx is None:
            return
        path = self.path_of(page)
        w, h = (page.height, page.width) if page.rotation in (90, 270) else (page.width, page.height)
        if w <= 0 or h <= 0:
            return
        vw, vh = self.view._viewport_size()
        scale = min(vw / w, vh / h) if self.view.mode == "page" else (vw / w if self.view.mode else self.view.zoom)
        self.cache.get(path, factor_for(scale * self.devicePixelRatioF()))

    # -- actions ----------------------------------------------------------------------------------
    def rotate(self, degrees: int = 90) -> None:
        """Turn the page clockwise; the turn is saved as the page's metadata (the file never changes)."""
        page = self.page
        if page is None or self.ctx is None:
            return

        def turned(_changes: object) -> None:
            page.rotation = (page.rotation + degrees) % 360
            self.view.set_rotation(page.rotation)
            self.rotated.emit(page)

        # A refusal (the page purged or deleted meanwhile) is shown; the view stays as it was.
        ChangeOp(self.ctx, self, lambda store: rotate_page(store, page.id, degrees),
                 error_title="Страница не повёрнута").success(turned).run()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Keys while the viewer has the focus (pages also bind them for the whole tab)."""
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key == Qt.Key.Key_R and not ctrl:
            self.rotate()
        elif key == Qt.Key.Key_W and not ctrl:
            self.view.fit_width()
        elif ctrl and key == Qt.Key.Key_0:
            self.view.fit_page()
        elif event.matches(QKeySequence.StandardKey.ZoomIn) or (ctrl and key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal)):
            self.view.zoom_in()
        elif event.matches(QKeySequence.StandardKey.ZoomOut) or (ctrl and key == Qt.Key.Key_Minus):
            self.view.zoom_out()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
