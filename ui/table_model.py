"""A table model over a list of records, and a search proxy that treats «ё» as «е».

Pages describe their columns once (`Column`) and hand the model a fresh list of records when the
data changes. Tables here hold at most a few thousand rows (a school's pupils), so the records are
kept whole; the model never queries the database itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


@dataclass
class Column(Generic[T]):
    title: str
    value: Callable[[T], Any]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    tooltip: Callable[[T], str | None] | None = None
    background: Callable[[T], QColor | None] | None = None
    foreground: Callable[[T], QColor | None] | None = None
    check: Callable[[T], bool] | None = None           # a checkbox column
    on_check: Callable[[T, bool], None] | None = None   # makes it user-checkable
    sort_key: Callable[[T], Any] | None = None


def search_key(text: str) -> str:
    return " ".join(str(text).casefold().replace("ё", "е").split())


def _display(column: Column[Any], record: Any) -> Any:
    if column.check is not None:
        return None
    value = column.value(record)
    return "" if value is None else str(value)


def display_text(column: Column[Any], record: Any) -> str | None:
    """What a cell shows, read without Qt (sizing columns)."""
    return _display(column, record)


def _check_state(column: Column[Any], record: Any) -> Any:
    if column.check is None:
        return None
    return Qt.CheckState.Checked if column.check(record) else Qt.CheckState.Unchecked


def _alignment(column: Column[Any], record: Any) -> Any:
    return int(column.align | Qt.AlignmentFlag.AlignVCenter)


def _tooltip(column: Column[Any], record: Any) -> Any:
    return column.tooltip(record) if column.tooltip is not None else None


def _brush(colour: Callable[[Any], QColor | None] | None, record: Any) -> QBrush | None:
    color = colour(record) if colour is not None else None
    return QBrush(color) if color is not None else None


def _sort_value(column: Column[Any], record: Any) -> Any:
    if column.sort_key is not None:
        return column.sort_key(record)
    if column.check is not None:
        return int(column.check(record))
    value = column.value(record)
    return value if isinstance(value, (int, float)) else search_key(value or "")


#: The roles served, each by its function of (column, record); the rest are answered None.
_ROLES: dict[int, Callable[[Column[Any], Any], Any]] = {
    int(Qt.ItemDataRole.DisplayRole): _display,
    int(Qt.ItemDataRole.CheckStateRole): _check_state,
    int(Qt.ItemDataRole.TextAlignmentRole): _alignment,
    int(Qt.ItemDataRole.ToolTipRole): _tooltip,
    int(Qt.ItemDataRole.BackgroundRole): lambda column, record: _brush(column.background, record),
    int(Qt.ItemDataRole.ForegroundRole): lambda column, record: _brush(column.foreground, record),
    int(Qt.ItemDataRole.UserRole + 1): _sort_value,     # RecordTableModel.SortRole
}


class RecordTableModel(QAbstractTableModel, Generic[T]):
    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, columns: Sequence[Column[T]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.read_only = False          # the check boxes shown but not to be changed (a closed year)
        self.records: list[T] = []
        self._keys: list[str] = []

    # -- data -------------------------------------------------------------------------------
    def set_records(self, records: Sequence[T]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self._keys = [
            search_key(" ".join(str(c.value(r) or "") for c in self.columns if c.check is None))
            for r in self.records
        ]
        self.endResetModel()

    def record(self, row: int) -> T:
        return self.records[row]

    def key(self, row: int) -> str:
        return self._keys[row]

    # -- Qt model API -----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
                return self.columns[section].title
            if orientation == Qt.Orientation.Vertical:
                return section + 1
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Views ask for a dozen roles per cell (font, icon, size hint…); the ones never served are
        # answered before touching the index, which matters when columns are sized to contents.
        serve = _ROLES.get(int(role))
        if serve is None or not index.isValid() or not (0 <= index.row() < len(self.records)):
            return None
        return serve(self.columns[index.column()], self.records[index.row()])

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self.columns[index.column()].on_check is not None and not self.read_only:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        column = self.columns[index.column()] if index.isValid() else None
        if column is None or role != Qt.ItemDataRole.CheckStateRole or column.on_check is None or self.read_only:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        column.on_check(self.records[index.row()], checked)
        self.dataChanged.emit(index, index, [role])
        return True


class SearchProxy(QSortFilterProxyModel):
    """Filters rows by every word of the search text (case-insensitive, «ё» = «е»)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self.extra_filter: Callable[[Any], bool] | None = None
        self.setSortRole(RecordTableModel.SortRole)

    def set_search(self, text: str) -> None:
        self._words = search_key(text).split()
        self.refilter()

    def refilter(self) -> None:
        # Qt ≥ 6.10 replaces invalidateFilter() with begin/endFilterChange() (6.9 has only the first).
        if hasattr(self, "beginFilterChange") and hasattr(self, "endFilterChange"):   # both only from 6.10
            self.beginFilterChange()
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RecordTableModel):
            return True
        if self.extra_filter is not None and not self.extra_filter(model.record(source_row)):
            return False
        key = model.key(source_row)
        return all(word in key for word in self._words)

    def record_at(self, proxy_row: int) -> Any:
        source = self.mapToSource(self.index(proxy_row, 0))
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model.record(source.row())
