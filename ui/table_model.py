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


_SERVED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.UserRole + 1))     # RecordTableModel.SortRole


class RecordTableModel(QAbstractTableModel, Generic[T]):
    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, columns: Sequence[Column[T]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
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
        if role not in _SERVED_ROLES:
            return None
        if not index.isValid() or not (0 <= index.row() < len(self.records)):
            return None
        record = self.records[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole and column.check is None:
            value = column.value(record)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.CheckStateRole and column.check is not None:
            return Qt.CheckState.Checked if column.check(record) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(record)
        if role == Qt.ItemDataRole.BackgroundRole and column.background is not None:
            color = column.background(record)
            return QBrush(color) if color is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and column.foreground is not None:
            color = column.foreground(record)
            return QBrush(color) if color is not None else None
        if role == self.SortRole:
            if column.sort_key is not None:
                return column.sort_key(record)
            if column.check is not None:
                return int(column.check(record))
            value = column.value(record)
            return value if isinstance(value, (int, float)) else search_key(value or "")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and self.columns[index.column()].on_check is not None:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        column = self.columns[index.column()] if index.isValid() else None
        if column is None or role != Qt.ItemDataRole.CheckStateRole or column.on_check is None:
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
