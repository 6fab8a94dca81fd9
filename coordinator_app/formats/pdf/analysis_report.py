"""«Справка по результатам ВПР» (issue 14): what the school publishes about its results (seed 004
§7.5) and keeps to answer the municipality — per work, or for the year.

It says the signs («признак», «требует анализа», never a verdict), each indicator's numbers with
their reliability, the histogram of primary scores with the mark boundaries and the task profile as
vector drawings, and the thresholds used with their sources. **No names and no codes**: the works
worth a second look stay in the program, for the coordinator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from ...analysis.report import WorkAnalysis, YearAnalysis, summary_sentences
from ...analysis.sentences import num
from .common import FONT, FONT_BOLD, PAGE_SIZE, draw_footer, styles
from .story import build_pdf

WIDTH = PAGE_SIZE[0] - 30 * mm
TITLE = "Справка по результатам ВПР"
_SIGN = {"red": "●", "yellow": "◐", "green": "○", "grey": "·"}
_BAR = colors.Color(0.36, 0.49, 0.73)
_FLAG = colors.Color(0.78, 0.16, 0.16)
_BELOW = colors.Color(0.94, 0.56, 0.0)
_STATUS = {"green": colors.Color(0.4, 0.73, 0.42), "yellow": colors.Color(1, 0.79, 0.16),
           "red": colors.Color(0.94, 0.33, 0.31), None: colors.Color(0.69, 0.69, 0.69)}


@dataclass(frozen=True)
class ReportHeader:
    school: str
    year: str            # the school year, «2025/2026»
    made: str            # the date the справка was made, «03.12.2026»


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{num(value)} %"


def histogram(a: WorkAnalysis, width: float = WIDTH, height: float = 55 * mm) -> Drawing:
    """Works by primary score; the boundaries dashed and labelled; the bars at b (dark) and b − 1
    (light) of a flagged boundary marked, their counts written on them."""
    d = Drawing(width, height)
    top, left, bottom = max(a.histogram.values() or [1]) or 1, 12 * mm, 9 * mm
    plot_w, plot_h = width - left - 4 * mm, height - bottom - 7 * mm
    step = plot_w / (a.scale.max_total + 1)
    flagged = {b.score for b in a.boundaries if b.flag}
    for score in range(a.scale.max_total + 1):
        n = a.histogram.get(score, 0)
        h = plot_h * n / top
        fill = _FLAG if score in flagged else _BELOW if score + 1 in flagged else _BAR
        d.add(Rect(left + score * step + 0.5, bottom, max(0.5, step - 1), h, fillColor=fill, strokeColor=None))
        if n and (score in flagged or score + 1 in flagged):
            d.add(String(left + (score + 0.5) * step, bottom + h + 1.5, str(n), fontName=FONT, fontSize=7,
                         textAnchor="middle"))
        if score % max(1, round(a.scale.max_total / 20)) == 0:
            d.add(String(left + (score + 0.5) * step, bottom - 3.5 * mm, str(score), fontName=FONT, fontSize=6.5,
                         textAnchor="middle"))
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black, strokeWidth=0.5))
    d.add(String(0, bottom + plot_h - 2, str(top), fontName=FONT, fontSize=6.5))
    for b in a.boundaries:
        x = left + b.score * step
        d.add(Line(x, bottom, x, bottom + plot_h + 2, strokeColor=colors.black, strokeWidth=0.6,
                   strokeDashArray=[2, 2]))
        label = f"«{b.mark}»" + {"peak": " пик", "valley": " провал"}.get(b.flag or "", "")
        d.add(String(x + 1.5, bottom + plot_h + 3, label, fontName=FONT_BOLD if b.flag else FONT, fontSize=7))
    d.add(String(left + plot_w / 2, 0.5 * mm, "первичный балл", fontName=FONT, fontSize=7, textAnchor="middle"))
    return d


def task_bars(a: WorkAnalysis, width: float = WIDTH, height: float = 45 * mm) -> Drawing:
    """% выполнения of each task, coloured by its status, the % written on each bar, the 60 % and
    30 % lines dashed."""
    d = Drawing(width, height)
    left, bottom = 10 * mm, 8 * mm
    plot_w, plot_h = width - left - 2 * mm, height - bottom - 5 * mm
    step = plot_w / max(1, len(a.tasks))
    for i, t in enumerate(a.tasks):
        h = plot_h * min(t.pct or 0, 100) / 100
        x = left + i * step
        d.add(Rect(x + 1, bottom, max(0.5, step - 2), h, fillColor=_STATUS.get(t.status, _STATUS[None]),
                   strokeColor=None))
        middle = x + step / 2
        if t.reference_pct is not None:        # the reference (region, …): a black tick across the bar
            y = bottom + plot_h * min(t.reference_pct, 100) / 100
            d.add(Line(x + step * 0.2, y, x + step * 0.8, y, strokeColor=colors.black, strokeWidth=2))
        if t.pct is not None:
            d.add(String(middle, bottom + h + 1.5, f"{round(t.pct)}", fontName=FONT, fontSize=6.5,
                         textAnchor="middle"))
        d.add(String(middle, bottom - 3.5 * mm, t.id + (f" {t.level}" if t.level else ""), fontName=FONT,
                     fontSize=6.5, textAnchor="middle"))
    for line in (60, 30):
        y = bottom + plot_h * line / 100
        d.add(Line(left, y, left + plot_w, y, strokeColor=colors.black, strokeWidth=0.4, strokeDashArray=[2, 2]))
        d.add(String(0, y - 2, f"{line}%", fontName=FONT, fontSize=6.5))
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black, strokeWidth=0.5))
    return d


_MARK = {2: colors.Color(0.83, 0.18, 0.18), 3: colors.Color(0.98, 0.66, 0.15), 4: colors.Color(0.49, 0.7, 0.26),
         5: colors.Color(0.18, 0.49, 0.2)}
_DASH = {2: [1, 1.5], 3: [4, 2], 4: [6, 2, 1, 2], 5: None}      # in grey the lines differ by their dashes


def mark_group_lines(a: WorkAnalysis, width: float = WIDTH, height: float = 45 * mm) -> Drawing | None:
    """% выполнения per task within each ВПР-mark group of at least the minimum size, one line per
    group (colour and dash), labelled at its end; None when no group is big enough."""
    groups = [g for g in a.groups if g.n >= a.thresholds.group_min_n]
    if not groups or not a.tasks:
        return None
    d = Drawing(width, height)
    left, bottom = 10 * mm, 8 * mm
    plot_w, plot_h = width - left - 22 * mm, height - bottom - 4 * mm
    step = plot_w / len(a.tasks)
    for i, t in enumerate(a.tasks):
        d.add(String(left + (i + 0.5) * step, bottom - 3.5 * mm, t.id, fontName=FONT, fontSize=6.5,
                     textAnchor="middle"))
    for g in groups:
        points = [(left + (i + 0.5) * step, bottom + plot_h * min(g.tasks_pct[t.id], 100) / 100)
                  for i, t in enumerate(a.tasks) if g.tasks_pct.get(t.id) is not None]
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            d.add(Line(x1, y1, x2, y2, strokeColor=_MARK[g.mark], strokeWidth=1.4, strokeDashArray=_DASH[g.mark]))
        if points:
            d.add(String(points[-1][0] + 2, points[-1][1] - 2, f"«{g.mark}» ({g.n})", fontName=FONT, fontSize=7))
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=colors.black, strokeWidth=0.5))
    return d


def bland_altman_drawing(points: dict, width: float = WIDTH, height: float = 45 * mm) -> Drawing | None:
    """The second check: each re-checked work at (mean of the two totals, school − re-check), the
    mean difference and its ±1.96 SD limits dashed and labelled."""
    pts = points.get("points") or []
    if not pts:
        return None
    lines = [(name, v) for name, v in (("среднее", points.get("mean")), ("−1,96 SD", points.get("lo")),
                                       ("+1,96 SD", points.get("hi"))) if v is not None]
    xs, ys = [x for x, _ in pts], [y for _, y in pts] + [v for _, v in lines] + [0.0]
    x0, x1, y0, y1 = min(xs) - 1, max(xs) + 1, min(ys) - 1, max(ys) + 1
    d = Drawing(width, height)
    left, bottom = 10 * mm, 8 * mm
    plot_w, plot_h = width - left - 30 * mm, height - bottom - 4 * mm

    def at(x: float, y: float) -> tuple[float, float]:
        return left + (x - x0) / (x1 - x0) * plot_w, bottom + (y - y0) / (y1 - y0) * plot_h

    seen: set[float] = set()
    for name, value in lines:
        _, y = at(x0, value)
        d.add(Line(left, y, left + plot_w, y, strokeColor=colors.black, strokeWidth=0.5, strokeDashArray=[2, 2]))
        if round(value, 2) not in seen:
            d.add(String(left + plot_w + 2, y - 2, f"{name}: {num(value, 2, signed=True)}", fontName=FONT, fontSize=6.5))
            seen.add(round(value, 2))
    for x, y in pts:
        px, py = at(x, y)
        d.add(Rect(px - 1.2, py - 1.2, 2.4, 2.4, fillColor=_BAR, strokeColor=None))
    d.add(String(left + plot_w / 2, 0.5 * mm, "среднее двух сумм баллов; по вертикали — школа − перепроверка",
                 fontName=FONT, fontSize=7, textAnchor="middle"))
    return d


def journal_heat_table(a: WorkAnalysis, st) -> Table:
    """The 4×4 table journal mark × ВПР mark: counts on shades of their share, the diagonal (the
    same mark) framed — readable in grey by its numbers."""
    table = a.journal.table
    top = max((max(row) for row in table), default=0) or 1
    data = [["по журналу \\ ВПР", "«2»", "«3»", "«4»", "«5»"]]
    data += [[f"«{journal}»", *(str(n) for n in row)] for journal, row in zip((2, 3, 4, 5), table)]
    shades = [("BACKGROUND", (j + 1, i + 1), (j + 1, i + 1), colors.Color(0.36, 0.49, 0.73, alpha=0.1 + 0.7 * n / top))
              for i, row in enumerate(table) for j, n in enumerate(row)]
    diagonal = [("BOX", (i + 1, i + 1), (i + 1, i + 1), 1.2, colors.black) for i in range(4)]
    grid = Table(data, colWidths=[30 * mm] + [16 * mm] * 4, hAlign="LEFT")
    grid.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5), ("ALIGN", (1, 0), (-1, -1), "CENTER"),
                              ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), *shades, *diagonal]))
    return grid


def _table(rows: list[list[str]], st, widths: list[float]) -> Table:
    data = [[Paragraph(escape(c), st["head"] if r == 0 else st["note"]) for c in row] for r, row in enumerate(rows)]
    table = Table(data, colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93))]))
    return table


def _marks_rows(a: WorkAnalysis) -> list[list[str]]:
    head = ["Группа", "N", "Надёжность", "«2»", "«3»", "«4»", "«5»", "Успеваемость", "Качество", "Ср. балл"]
    groups = [*a.classes, ("Всего", a.marks)] if a.class_name is None else [(a.class_name, a.marks)]
    return [head] + [[name, str(m.n), m.reliability, *(_pct(m.pct.get(k)) for k in (2, 3, 4, 5)),
                      _pct(m.success_pct), _pct(m.quality_pct), "—" if m.mean_score is None else num(m.mean_score, 2)]
                     for name, m in groups]


def _second_story(second: tuple[Any, dict] | None, st) -> list:
    """The second check of the work: how far the school's scoring agreed with it, and its plot."""
    if second is None:
        return []
    g, points = second
    diff = "—" if g.mean_signed_diff is None else num(g.mean_signed_diff, 2, signed=True)
    text = (f"Пар работ: {g.pairs} ({g.reliability}). Средняя разность суммы баллов (школа − перепроверка): {diff}; "
            f"точное совпадение суммы: {_pct(g.exact_agreement_pct)}; объективно оценённых работ: "
            f"{_pct(g.objective_pct)}; отметка выше после перепроверки: {g.marks_up}, ниже: {g.marks_down}.")
    story: list = [Spacer(1, 3 * mm), Paragraph("Вторая проверка", st["value"]), Paragraph(escape(text), st["note"])]
    drawing = bland_altman_drawing(points)
    return story + ([drawing] if drawing is not None else [])


def _work_story(a: WorkAnalysis, st, second: tuple[Any, dict] | None = None) -> list:
    j = a.journal
    story: list = [Paragraph(escape(a.label + (f", класс {a.class_name}" if a.class_name else "")), st["title"])]
    story += [Paragraph(f"{_SIGN.get(s.level, '·')} {escape(s.text)}", st["note"]) for s in summary_sentences(a)] or [
        Paragraph("Признаков, требующих анализа, не найдено.", st["note"])]
    story += [Spacer(1, 3 * mm), Paragraph("Статистика по отметкам", st["value"]),
              _table(_marks_rows(a), st, [17 * mm, 9 * mm, 27 * mm] + [14 * mm] * 4 + [29 * mm, 22 * mm, 15 * mm])]
    if j.compared:
        story += [Spacer(1, 3 * mm), Paragraph("Сравнение отметок с отметками по журналу", st["value"]),
                  _table([["Понизили (Отметка < Отметка по журналу)", "Подтвердили (Отметка = Отметке по журналу)",
                           "Повысили (Отметка > Отметка по журналу)", "Не подтвердили"],
                          [f"{j.lower} ({_pct(j.lower_pct)})", f"{j.equal} ({_pct(j.equal_pct)})",
                           f"{j.higher} ({_pct(j.higher_pct)})", _pct(j.not_confirmed_pct)]], st, [WIDTH / 4] * 4),
                  Spacer(1, 2 * mm), journal_heat_table(a, st)]
    story += [Spacer(1, 3 * mm), KeepTogether([Paragraph("Распределение первичных баллов", st["value"]), histogram(a)])]
    story += [Spacer(1, 3 * mm), KeepTogether([Paragraph("Выполнение заданий, %", st["value"]), task_bars(a)])]
    hard = [f"{t.id} ({_pct(t.pct)})" + (f": {t.requirement}" if t.requirement else "") for t in a.difficulties]
    story.append(Paragraph("Типичные затруднения: " + escape("; ".join(hard) if hard else "нет"), st["note"]))
    lines = mark_group_lines(a)
    if lines is not None:
        shown = [c for c in a.crossings if c.shown]
        story += [Spacer(1, 3 * mm), KeepTogether([Paragraph("Выполнение заданий по группам отметок, %", st["value"]),
                                                   lines])]
        story += [Paragraph(escape(f"Пересечение: задание {c.task} — группа «{c.lower_mark}» выполнила на "
                                   f"{num(c.diff_pp)} п.п. лучше группы «{c.higher_mark}» (p = {num(c.p, 3)}). "
                                   "Требует анализа."), st["note"]) for c in shown]
    return story + _second_story(second, st)


def _thresholds_story(a: WorkAnalysis | YearAnalysis, st, titles: dict[str, str]) -> list:
    rows = [["Порог", "Значение", "Источник"]]
    rows += [[titles.get(row["name"], row["name"]),
              f"{row['value']} {row['unit']}".strip() + (" (изменён)" if row["changed"] else ""), row["source"]]
             for row in a.thresholds.describe()]
    return [Spacer(1, 4 * mm), Paragraph("Пороги анализа и их источники", st["value"]),
            _table(rows, st, [62 * mm, 28 * mm, WIDTH - 90 * mm])]


def analysis_report_pdf(header: ReportHeader, analyses: Sequence[WorkAnalysis], *,
                        year: YearAnalysis | None = None, threshold_titles: dict[str, str] | None = None,
                        second_checks: dict[str, tuple[Any, dict]] | None = None) -> bytes:
    """The справка: one section per work (its analysis), a year summary first when `year` is given;
    the thresholds named by `threshold_titles` (key → Russian title); a work's second check (its
    agreement and Bland–Altman points, by the work's label) in `second_checks`."""
    st = styles()
    story: list = [Paragraph(escape(f"{TITLE}. {header.school}, {header.year} учебный год"), st["title"]),
                   Paragraph(escape(f"Составлена {header.made} программой по данным школы до загрузки в ФИС ОКО. "
                                    "Показатели — признаки, требующие анализа, а не выводы о классе или учителе; "
                                    "у каждого указана надёжность по числу участников."), st["small"]),
                   Spacer(1, 4 * mm)]
    if year is not None:
        story += [Paragraph("Все работы года", st["value"])]
        story += [Paragraph(f"{_SIGN.get(s.level, '·')} {escape(s.text)}", st["note"]) for s in summary_sentences(year)]
        story += [Spacer(1, 3 * mm)]
    for number, analysis in enumerate(analyses):
        if number:
            story.append(Spacer(1, 8 * mm))
        story += _work_story(analysis, st, (second_checks or {}).get(analysis.label))
    if analyses:
        story += _thresholds_story(year or analyses[0], st, threshold_titles or {})

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, TITLE)

    return build_pdf(story, decorate, title=TITLE, subject=header.school, leftMargin=15 * mm,
                     rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
