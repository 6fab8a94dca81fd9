"""Small shared widgets: a page title, a search field, a table view set up the same way everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QWidget

from . import style

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
    label = QLabel(f"<h2 style='margin:0'>{text}</h2>" + (style.muted_html(hint) if hint else ""))
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


def _record_texts(model, rows: int) -> list[list[str | None]] | None:  # noqa: ANN001 - a Qt model
    """The first `rows` rows' display texts read straight from a `RecordTableModel` (through its
    filter proxy, in the proxy's order): a Qt `data()` round trip per cell costs 0.1–0.2 ms, which
    made sizing a 30-row table 40–70 ms of a page's refresh. None for any other model."""
    from PySide6.QtCore import QSortFilterProxyModel

    from .table_model import RecordTableModel, display_text

    source, proxy = model, None
    if isinstance(model, QSortFilterProxyModel):
        source, proxy = model.sourceModel(), model
    if not isinstance(source, RecordTableModel):
        return None
    order = [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(rows)] if proxy is not None else range(rows)
    return [[display_text(c, source.records[i]) for c in source.columns] for i in order]


def fit_columns(view: QTableView, sample: int = 60, max_width: int = 420) -> None:
    """Size a table's columns to its header and its first `sample` rows, measured here with the
    view's font metrics. `QTableView.resizeColumnsToContents` asks the model a dozen roles per cell
    through Python (≈ 25 ms for five columns of 60 rows); this reads each sampled cell's text once.
    Check-box columns get room for the box. Columns stay `Interactive`: the user may widen them."""
    from PySide6.QtWidgets import QStyle

    model = view.model()
    if model is None:
        return
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    header_metrics = header.fontMetrics()
    style = view.style()
    check = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) + 8
    margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1) + 8
    arrow = 18 if view.isSortingEnabled() else 0
    rows = min(model.rowCount(), sample)
    display, checkstate = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.CheckStateRole
    texts = _record_texts(model, rows)
    for column in range(model.columnCount()):
        if view.isColumnHidden(column):
            continue
        title = model.headerData(column, Qt.Orientation.Horizontal, display)
        width = header_metrics.horizontalAdvance(str(title or "")) + margin + arrow
        has_check = rows > 0 and model.index(0, column).data(checkstate) is not None
        for row in range(rows):
            text = texts[row][column] if texts is not None else model.index(row, column).data(display)
            if text:
                width = max(width, metrics.horizontalAdvance(str(text)) + margin + (check if has_check else 0))
        if has_check:
            width = max(width, check + margin)
        header.resizeSection(column, min(width, max_width))
