"""How the «Анализ» charts are drawn (issue 14): the same histogram of primary scores (31 bars,
three dashed boundary lines, two marked bars) drawn by QPainter into a 1100×230 image (the page),
by reportlab's graphics into a one-page PDF (the справка), and — when it is importable — by
matplotlib into a PNG, each against a baseline measured in the same run: filling the same image
with one colour (QPainter), and an empty one-page PDF (reportlab).

    QT_QPA_PLATFORM=offscreen python bench/charts.py [--repeat 20]
    python bench/charts.py --matplotlib     # with an interpreter that has matplotlib (not a dependency)
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COUNTS = {s: (s * 7) % 13 + (11 if s == 14 else 0) for s in range(31)}
BOUNDARIES = [(3, 8, None), (4, 15, "valley"), (5, 24, None)]


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def qpainter(repeat: int) -> tuple[float, float]:
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QApplication

    from ui.pages.analysis.charts import Histogram

    QApplication.instance() or QApplication([])
    chart = Histogram()
    chart.resize(1100, 230)
    chart.set_data(COUNTS, 30, BOUNDARIES)
    image = QImage(1100, 230, QImage.Format.Format_ARGB32)
    base = _median_ms(lambda: image.fill(QColor("white")), repeat)
    drawn = _median_ms(lambda: chart.render(image), repeat)
    return base, drawn


def reportlab_pdf(repeat: int) -> tuple[float, float]:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.shapes import Drawing, Line, Rect
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas

    def drawing() -> Drawing:
        d = Drawing(500, 160)
        top = max(COUNTS.values())
        for score, n in COUNTS.items():
            d.add(Rect(20 + score * 15, 20, 13, 120 * n / top, fillColor=colors.blue, strokeColor=None))
        for _, b, _flag in BOUNDARIES:
            d.add(Line(20 + b * 15, 20, 20 + b * 15, 145, strokeDashArray=[2, 2]))
        return d

    def pdf(with_chart: bool) -> None:
        canvas = Canvas(io.BytesIO())
        if with_chart:
            renderPDF.draw(drawing(), canvas, 40, 600)
        canvas.showPage()
        canvas.save()

    return _median_ms(lambda: pdf(False), repeat), _median_ms(lambda: pdf(True), repeat)


def matplotlib_png(repeat: int) -> tuple[float, float]:
    start = time.perf_counter()
    import matplotlib  # noqa: I001 - measured: the import is the cost

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    imported = (time.perf_counter() - start) * 1000

    def png() -> None:
        fig, ax = plt.subplots(figsize=(11, 2.3), dpi=100)
        ax.bar(list(COUNTS), list(COUNTS.values()))
        for _, b, _flag in BOUNDARIES:
            ax.axvline(b - 0.5, linestyle="--")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)

    return imported, _median_ms(png, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--matplotlib", action="store_true", help="only matplotlib's import and PNG")
    args = parser.parse_args()
    if args.matplotlib:
        imported, png = matplotlib_png(args.repeat)
        print(f"matplotlib: import (pyplot, Agg) {imported:.0f} ms; one histogram to PNG {png:.1f} ms")
        return
    base, drawn = qpainter(args.repeat)
    print(f"QPainter: histogram {drawn:.2f} ms, {drawn / base:.1f}× filling the image ({base:.2f} ms)")
    empty, chart = reportlab_pdf(args.repeat)
    print(f"reportlab: one-page PDF with the histogram {chart:.2f} ms, {chart / empty:.1f}× an empty page "
          f"({empty:.2f} ms)")


if __name__ == "__main__":
    main()
