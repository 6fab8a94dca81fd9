"""The «Анализ» step's charts, drawn with QPainter from plain numbers (no store, no statistics).

QPainter costs nothing at start-up and nothing in the bundle (Qt is there anyway); every chart
writes what its colours say (numbers, labels, the boundary's mark), so it reads in grey too.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ... import style

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 18, 30


class _Chart(QWidget):
    """A chart of fixed height that takes the width it is given."""

    def __init__(self, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._height = height
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(height)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(900, self._height)

    def plot_rect(self) -> QRectF:
        return QRectF(MARGIN_LEFT, MARGIN_TOP, max(1, self.width() - MARGIN_LEFT - MARGIN_RIGHT),
                      max(1, self.height() - MARGIN_TOP - MARGIN_BOTTOM))

    def painter(self) -> QPainter:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1))
        painter.setFont(font)
        return painter

    def empty(self, painter: QPainter, text: str = "Нет данных") -> None:
        painter.setPen(QColor(style.MUTED))
        painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, text)


class Histogram(_Chart):
    """Works by primary score: one bar per score, the mark boundaries as dashed lines labelled with
    their mark, the bars at a flagged boundary b (and b − 1) coloured and numbered."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(230, parent)
        self.counts: dict[int, int] = {}
        self.max_score = 0
        self.boundaries: list[tuple[int, int, str | None]] = []      # (mark, lowest score, flag)

    def set_data(self, counts: dict[int, int], max_score: int, boundaries: list[tuple[int, int, str | None]]) -> None:
        self.counts, self.max_score, self.boundaries = dict(counts), max_score, list(boundaries)
        self.update()

    def bar_x(self, score: int) -> float:
        """The left edge of the bar of `score` (tests read it)."""
        plot = self.plot_rect()
        return plot.left() + score * plot.width() / (self.max_score + 1)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.counts or self.max_score <= 0:
            self.empty(painter)
            return
        plot, top = self.plot_rect(), max(self.counts.values()) or 1
        width = plot.width() / (self.max_score + 1)
        flagged = {b: flag for _, b, flag in self.boundaries if flag}
        for score in range(self.max_score + 1):
            n = self.counts.get(score, 0)
            height = plot.height() * n / top
            colour = (style.CHART_PEAK if score in flagged else
                      style.CHART_BELOW if score + 1 in flagged else style.CHART_BAR)
            painter.fillRect(QRectF(self.bar_x(score) + 1, plot.bottom() - height, max(1.0, width - 2), height),
                             QColor(colour))
            if n and (score in flagged or score + 1 in flagged):
                painter.setPen(QColor(style.CHART_LINE))
                painter.drawText(QRectF(self.bar_x(score), plot.bottom() - height - 16, width, 14),
                                 Qt.AlignmentFlag.AlignCenter, str(n))
        self._axes(painter, plot, top, width)
        self._boundaries(painter, plot)

    def _axes(self, painter: QPainter, plot: QRectF, top: int, width: float) -> None:
        painter.setPen(QPen(QColor(style.CHART_LINE), 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        step = max(1, round(self.max_score / 20))
        for score in range(0, self.max_score + 1, step):
            painter.drawText(QRectF(self.bar_x(score), plot.bottom() + 2, width * step, 14),
                             Qt.AlignmentFlag.AlignLeft, str(score))
        painter.drawText(QRectF(0, plot.top() - 4, MARGIN_LEFT - 6, 14), Qt.AlignmentFlag.AlignRight, str(top))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 14, plot.width(), 14), Qt.AlignmentFlag.AlignCenter,
                         "первичный балл")

    def _boundaries(self, painter: QPainter, plot: QRectF) -> None:
        pen = QPen(QColor(style.CHART_LINE), 1, Qt.PenStyle.DashLine)
        for mark, score, flag in self.boundaries:
            x = self.bar_x(score)
            painter.setPen(pen)
            painter.drawLine(int(x), int(plot.top()), int(x), int(plot.bottom()))
            label = f"«{mark}»" + (" пик" if flag == "peak" else " провал" if flag == "valley" else "")
            painter.drawText(QRectF(x + 3, plot.top() - 16, 120, 14), Qt.AlignmentFlag.AlignLeft, label)


class StackedMarks(_Chart):
    """100 % stacked bars of «2»–«5», one row per group (a class, the work), with the % written in."""

    ROW = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(60, parent)
        self.rows: list[tuple[str, dict[int, float]]] = []

    def set_data(self, rows: list[tuple[str, dict[int, float]]]) -> None:
        self.rows = list(rows)
        self._height = max(60, 16 + self.ROW * len(self.rows))
        self.setFixedHeight(self._height)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.rows:
            self.empty(painter)
            return
        left, right = 70.0, self.width() - 12.0
        for i, (name, pct) in enumerate(self.rows):
            y = 8 + i * self.ROW
            painter.setPen(QColor(style.CHART_LINE))
            painter.drawText(QRectF(0, y, left - 6, self.ROW - 4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             name)
            x = left
            for mark in (2, 3, 4, 5):
                share = (pct.get(mark) or 0) / 100
                width = (right - left) * share
                painter.fillRect(QRectF(x, y, width, self.ROW - 4), QColor(style.MARK_COLOURS[mark]))
                if width > 34:
                    painter.setPen(QColor(style.CHART_TEXT_ON_DARK if mark in (2, 5) else style.CHART_LINE))
                    painter.drawText(QRectF(x, y, width, self.ROW - 4), Qt.AlignmentFlag.AlignCenter,
                                     f"«{mark}» {round(share * 100)}%")
                x += width


class TaskBars(_Chart):
    """% выполнения per task, coloured by status, with the 60 % (Б) and 30 % (П/В) lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(210, parent)
        self.tasks: list[tuple[str, float | None, str | None, str | None]] = []   # id, %, status, level
        self.reference: dict[str, float] = {}                                   # task → the reference's %

    def set_data(self, tasks: list[tuple[str, float | None, str | None, str | None]],
                 reference: dict[str, float] | None = None) -> None:
        self.tasks, self.reference = list(tasks), dict(reference or {})
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.tasks:
            self.empty(painter)
            return
        plot = self.plot_rect()
        width = plot.width() / len(self.tasks)
        for i, (task_id, pct, status, level) in enumerate(self.tasks):
            x = plot.left() + i * width
            height = plot.height() * min(pct or 0, 100) / 100
            painter.fillRect(QRectF(x + 2, plot.bottom() - height, max(1.0, width - 4), height),
                             QColor(style.STATUS_COLOURS.get(status, style.STATUS_COLOURS[None])))
            painter.setPen(QColor(style.CHART_LINE))
            if pct is not None:
                painter.drawText(QRectF(x, plot.bottom() - height - 15, width, 14), Qt.AlignmentFlag.AlignCenter,
                                 f"{round(pct)}%")
            if task_id in self.reference:          # the reference (region, …) as a black tick across the bar
                y = plot.bottom() - plot.height() * min(self.reference[task_id], 100) / 100
                painter.setPen(QPen(QColor(style.CHART_LINE), 3))
                painter.drawLine(int(x + width * 0.2), int(y), int(x + width * 0.8), int(y))
                painter.setPen(QColor(style.CHART_LINE))
            painter.drawText(QRectF(x, plot.bottom() + 2, width, 14), Qt.AlignmentFlag.AlignCenter, task_id)
            if level:
                painter.drawText(QRectF(x, plot.bottom() + 14, width, 14), Qt.AlignmentFlag.AlignCenter, level)
        for line in (60, 30):           # the lines of «достаточно» for Б and for П/В, over the bars
            y = plot.bottom() - plot.height() * line / 100
            painter.setPen(QPen(QColor(style.CHART_LINE), 1, Qt.PenStyle.DashLine))
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.drawText(QRectF(0, y - 7, MARGIN_LEFT - 6, 14), Qt.AlignmentFlag.AlignRight, f"{line}%")
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())


class HeatMap(_Chart):
    """The 4×4 table journal mark × ВПР mark: each cell's count written on a shade of its share,
    the diagonal (the same mark) framed."""

    CELL_W, CELL_H = 64, 26

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(40 + 4 * self.CELL_H + 20, parent)
        self.table: list[list[int]] = []

    def set_data(self, table: list[list[int]]) -> None:
        self.table = [list(row) for row in table]
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(140 + 4 * self.CELL_W, self._height)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.table or not any(any(row) for row in self.table):
            self.empty(painter, "Нет отметок по журналу")
            return
        top = max(max(row) for row in self.table) or 1
        left, upper = 130.0, 22.0
        painter.setPen(QColor(style.CHART_LINE))
        painter.drawText(QRectF(left, 0, 4 * self.CELL_W, 18), Qt.AlignmentFlag.AlignCenter, "отметка ВПР")
        for i, journal in enumerate((2, 3, 4, 5)):
            y = upper + i * self.CELL_H
            painter.drawText(QRectF(0, y, left - 6, self.CELL_H), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"по журналу «{journal}»")
            for j in range(4):
                x, n = left + j * self.CELL_W, self.table[i][j]
                shade = QColor(style.CHART_BAR)
                shade.setAlphaF(0.08 + 0.8 * n / top)
                painter.fillRect(QRectF(x, y, self.CELL_W - 2, self.CELL_H - 2), shade)
                if i == j:
                    painter.setPen(QPen(QColor(style.CHART_LINE), 2))
                    painter.drawRect(QRectF(x, y, self.CELL_W - 2, self.CELL_H - 2))
                painter.setPen(QColor(style.CHART_LINE))
                painter.drawText(QRectF(x, y, self.CELL_W - 2, self.CELL_H - 2), Qt.AlignmentFlag.AlignCenter, str(n))
        for j, mark in enumerate((2, 3, 4, 5)):
            painter.drawText(QRectF(left + j * self.CELL_W, upper + 4 * self.CELL_H, self.CELL_W, 16),
                             Qt.AlignmentFlag.AlignCenter, f"«{mark}»")


class MarkGroupLines(_Chart):
    """% выполнения of each task within each ВПР-mark group: one line per group («2»…«5»), each
    labelled at its end; a crossing that the permutation test keeps is circled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(210, parent)
        self.tasks: list[str] = []
        self.groups: list[tuple[int, int, dict[str, float | None]]] = []    # mark, n, task → %
        self.crossings: list[tuple[str, int]] = []                          # task, the lower group's mark

    def set_data(self, tasks: list[str], groups: list[tuple[int, int, dict[str, float | None]]],
                 crossings: list[tuple[str, int]]) -> None:
        self.tasks, self.groups, self.crossings = list(tasks), list(groups), list(crossings)
        self.update()

    def point(self, task_index: int, pct: float) -> tuple[float, float]:
        plot = self.plot_rect()
        step = plot.width() / max(1, len(self.tasks))
        return plot.left() + (task_index + 0.5) * step, plot.bottom() - plot.height() * min(pct, 100) / 100

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.tasks or not self.groups:
            self.empty(painter, "Группы по отметкам слишком малы (нужно не меньше 10 работ)")
            return
        plot = self.plot_rect()
        painter.setPen(QColor(style.CHART_LINE))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        for i, task in enumerate(self.tasks):
            x, _ = self.point(i, 0)
            painter.drawText(QRectF(x - 20, plot.bottom() + 2, 40, 14), Qt.AlignmentFlag.AlignCenter, task)
        for mark, n, pcts in self.groups:
            pen = QPen(QColor(style.MARK_COLOURS[mark]), 2)
            painter.setPen(pen)
            points = [self.point(i, pcts[t]) for i, t in enumerate(self.tasks) if pcts.get(t) is not None]
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                painter.drawLine(int(x1), int(y1), int(x2), int(y2))
            if points:
                painter.drawText(QRectF(points[-1][0] + 4, points[-1][1] - 7, 60, 14), Qt.AlignmentFlag.AlignLeft,
                                 f"«{mark}» ({n})")
        painter.setPen(QPen(QColor(style.CHART_PEAK), 2))
        for task, lower in self.crossings:
            group = next((pcts for mark, _, pcts in self.groups if mark == lower), {})
            if task in self.tasks and group.get(task) is not None:
                x, y = self.point(self.tasks.index(task), group[task])
                painter.drawEllipse(QRectF(x - 8, y - 8, 16, 16))


class BlandAltman(_Chart):
    """The second check: each re-checked work at (mean of the two totals, school − re-check), the
    mean difference and its ±1.96 SD limits as lines, each labelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(210, parent)
        self.points: list[tuple[float, float]] = []
        self.lines: list[tuple[str, float]] = []

    def set_data(self, points: list[tuple[float, float]], mean: float | None, lo: float | None,
                 hi: float | None) -> None:
        self.points = list(points)
        merged: dict[float, list[str]] = {}          # lines at one height (no spread) share one label
        for name, value in (("среднее", mean), ("−1,96 SD", lo), ("+1,96 SD", hi)):
            if value is not None:
                merged.setdefault(round(value, 2), []).append(name)
        self.lines = [(" = ".join(names), value) for value, names in merged.items()]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = self.painter()
        if not self.points:
            self.empty(painter, "Второй проверки ещё нет")
            return
        plot = self.plot_rect()
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points] + [v for _, v in self.lines] + [0.0]
        x0, x1 = min(xs) - 1, max(xs) + 1
        y0, y1 = min(ys) - 1, max(ys) + 1

        def at(x: float, y: float) -> tuple[float, float]:
            return (plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                    plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        painter.setPen(QPen(QColor(style.CHART_GRID), 1))
        zero = at(x0, 0)[1]
        painter.drawLine(int(plot.left()), int(zero), int(plot.right()), int(zero))
        for name, value in self.lines:
            y = at(x0, value)[1]
            painter.setPen(QPen(QColor(style.CHART_LINE), 1, Qt.PenStyle.DashLine))
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.drawText(QRectF(plot.right() - 260, y - 15, 260, 14), Qt.AlignmentFlag.AlignRight,
                             f"{name}: {value:+.2f}".replace(".", ","))
        painter.setBrush(QColor(style.CHART_BAR))
        painter.setPen(Qt.PenStyle.NoPen)
        for x, y in self.points:
            px, py = at(x, y)
            painter.drawEllipse(QRectF(px - 3, py - 3, 6, 6))
        painter.setPen(QColor(style.CHART_LINE))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 14, plot.width(), 14), Qt.AlignmentFlag.AlignCenter,
                         "среднее двух сумм баллов; по вертикали — школа − перепроверка")
