"""«Протокол перепроверки ВПР»: a second expert re-scored a sample of works blind.

For every participant code of the sample the protocol shows, task by task, the school's score,
the re-check score and their difference (re-check − school; «X» and «не пройд.» count as 0),
the totals and marks (and the commission's final result where it settled one), then the table
«Расхождения по заданиям», how many works changed total or mark, and signature lines of the two
experts and the chairman. Carries participant codes only, never pupil names.

A4 portrait: each participant is a compact block whose columns are the tasks; when there are too
many tasks for one band the block continues on a second band below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ... import APP_TITLE
from ...words import works
from .common import (
    FONT,
    FONT_BOLD,
    MUTED,
    PAGE_H,
    PAGE_SIZE,
    PAGE_W,
    ProgressFn,
    WorkHeader,
    draw_footer,
    ellipsize,
    format_date,
    grade_text,
    new_buffer,
    numbered_canvas_class,
    register_fonts,
    report,
    styles,
    text_width,
    write_pdf,
)

__all__ = [
    "NOT_PASSED",
    "RECHECK_TITLE",
    "SUMMARY_TITLE",
    "RecheckDoc",
    "RecheckParticipant",
    "RecheckTaskRow",
    "TaskSummary",
    "mark_changed",
    "score_value",
    "task_difference",
    "write_recheck_pdf",
]

RECHECK_TITLE = "Протокол перепроверки ВПР"
SUMMARY_TITLE = "Расхождения по заданиям"
NOT_PASSED = "не пройд."
NOT_RECHECKED = "не перепроверена"
SIGNATURE_ROLES = ("Эксперт, проверявший работы", "Эксперт перепроверки", "Председатель комиссии")

MARGIN_X = 15 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 16 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X

# Participant block geometry.
LABEL_W = 30 * mm
SUM_W = 13 * mm
MARK_W = 15 * mm
TASK_MIN_W = 7 * mm
TASK_MAX_W = 12 * mm
TASK_PAD = 1.5          # points, each side of a task column
CELL_SIZE = 8
LABEL_SIZE = 7.5
TASK_HEAD_SIZE = 7.5

HEAD_BG = colors.Color(0.88, 0.88, 0.88)
GRID = colors.Color(0.45, 0.45, 0.45)
#: Non-zero differences: a warm tint that still reads as grey on a black-and-white printer.
DIFF_BG = colors.Color(1.0, 0.80, 0.74)
DIFF_TEXT = colors.Color(0.6, 0.05, 0.0)
ROW_TINT = colors.Color(0.96, 0.96, 0.96)


@dataclass
class RecheckTaskRow:
    task_id: str
    max_score: int
    first: str | None      # school's score: "0".."max", "X", "не пройд." or None (not scored)
    second: str | None     # re-check score, same values


@dataclass
class RecheckParticipant:
    code: str
    class_name: str
    tasks: list[RecheckTaskRow]
    first_total: int
    second_total: int
    first_mark: str | None
    second_mark: str | None
    final_total: int | None = None     # after the commission settled, if it did
    final_mark: str | None = None
    complete: bool = True              # the re-check expert scored every task


@dataclass
class TaskSummary:
    task_id: str
    max_score: int
    compared: int
    differing: int
    mean_abs_diff: float


@dataclass
class RecheckDoc:
    header: WorkHeader
    first_expert: str          # may be ""
    second_expert: str         # may be ""
    sample_note: str           # «выборка 10 % (12 работ), случайная, зерно 4242»
    participants: list[RecheckParticipant]
    summary: list[TaskSummary]  # sorted by differing desc


# ---------------------------------------------------------------- values


def score_value(value: str | None) -> int | None:
    """The number a score stands for: digits as is, «X» and «не пройд.» (anything else) as 0,
    None (not scored) as None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    return 0


def _shown(value: str | None) -> str:
    """How a score is printed in a narrow cell."""
    if value is None or not value.strip():
        return "—"
    text = value.strip()
    if text in ("X", "x", "Х", "х"):
        return "X"
    if text == NOT_PASSED or text.lower().startswith("не пр"):
        return "н/п"
    return text


def _signed(value: int) -> str:
    # ASCII hyphen-minus, so that the printed difference can be searched for as typed.
    return f"+{value}" if value > 0 else str(value)


def task_difference(task: RecheckTaskRow) -> int | None:
    """Re-check minus school for one task, or None when either side was not scored."""
    first, second = score_value(task.first), score_value(task.second)
    if first is None or second is None:
        return None
    return second - first


def _mark(value: str | None) -> str:
    return value.strip() if value and value.strip() else "—"


def _marks_differ(a: str | None, b: str | None) -> bool:
    return bool(a and a.strip() and b and b.strip() and a.strip() != b.strip())


def _settled(p: RecheckParticipant) -> bool:
    return p.final_total is not None or bool(p.final_mark and p.final_mark.strip())


def mark_changed(p: RecheckParticipant) -> bool:
    """The mark that stands now (the commission's if it settled, else the re-check's) is not the
    school's."""
    if _settled(p) and p.final_mark and p.final_mark.strip():
        return _marks_differ(p.first_mark, p.final_mark)
    return p.complete and _marks_differ(p.first_mark, p.second_mark)


def _fmt_float(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "—"
    text = _fmt_float(100.0 * part / whole, 1)
    return (text[:-2] if text.endswith(",0") else text) + " %"


def _works(count: int) -> str:
    """«1 работа», «3 работы», «12 работ»."""
    return works(count)


# ---------------------------------------------------------------- layout helpers


class _BlockDone(Flowable):
    """Zero-size flowable closing a participant block; the document counts them for progress."""

    def wrap(self, avail_w, avail_h):
        return 0, 0

    def draw(self):
        pass


class _RecheckDocTemplate(SimpleDocTemplate):
    def __init__(self, *args, on_block: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._on_block = on_block

    def afterFlowable(self, flowable):  # noqa: N802 - reportlab API
        if isinstance(flowable, _BlockDone):
            self._on_block()


def _local_styles(st: dict[str, ParagraphStyle]) -> dict[str, ParagraphStyle]:
    base = st["base"]
    return {
        "task_head": ParagraphStyle("rc_task_head", parent=base, fontName=FONT_BOLD, fontSize=TASK_HEAD_SIZE,
                                    leading=9, alignment=TA_CENTER),
        "total_head": ParagraphStyle("rc_total_head", parent=base, fontName=FONT_BOLD, fontSize=7.5,
                                     leading=9, alignment=TA_CENTER),
        "num_head": ParagraphStyle("rc_num_head", parent=st["head"], alignment=TA_CENTER),
        "block_head": ParagraphStyle("rc_block_head", parent=base, fontSize=9.5, leading=12),
        "flags": ParagraphStyle("rc_flags", parent=base, fontSize=8.5, leading=11, alignment=2),
        "section": ParagraphStyle("rc_section", parent=st["title"], fontSize=11, leading=14,
                                  spaceBefore=2 * mm, spaceAfter=2 * mm),
    }


def _header_block(doc: RecheckDoc, st) -> list:
    header = doc.header
    blank = "_" * 30
    items = [
        ("Образовательная организация", header.school),
        ("Логин ФИС ОКО", header.login),
        ("Учебный год", header.academic_year),
        ("Предмет", header.subject),
        ("Параллель", grade_text(header.grade)),
        ("Дата проведения", format_date(header.work_date)),
        ("Эксперт, проверявший работы", doc.first_expert.strip() or blank),
        ("Эксперт перепроверки", doc.second_expert.strip() or blank),
        ("Выборка", doc.sample_note.strip() or "—"),
    ]
    if header.municipality:
        items.insert(2, ("Муниципалитет", header.municipality))
    if header.title:
        items.insert(3, ("Работа", header.title))
    data = [
        [Paragraph(escape(k), st["label"]), Paragraph(escape(v or "—"), st["value"])] for k, v in items
    ]
    table = Table(data, colWidths=[60 * mm, CONTENT_W - 60 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    note = (
        "Эксперт перепроверки оценил работы выборки повторно, не видя баллов школы. "
        "«Разница» — балл перепроверки минус балл школы; «X» (нет ответа) и «н/п» (не пройд.) "
        "считаются за 0, «—» — балл не выставлен. Ненулевые разницы выделены."
    )
    return [Paragraph(RECHECK_TITLE, st["title"]), table, Spacer(1, 2.5 * mm), Paragraph(note, st["note"])]


def _task_width(participants: list[RecheckParticipant]) -> float:
    """Width of one task column, the same for every block: wide enough for the longest task id
    on one line, stretched (up to TASK_MAX_W) to fill one band when all the tasks fit."""
    ids = {t.task_id for p in participants for t in p.tasks}
    count = max((len(p.tasks) for p in participants), default=0)
    need = max([text_width(i, TASK_HEAD_SIZE, bold=True) for i in ids] + [text_width("+10", CELL_SIZE)])
    need = max(TASK_MIN_W, need + 2 * TASK_PAD + 1)
    room = CONTENT_W - LABEL_W - SUM_W - MARK_W
    if count and count * need <= room:
        return max(need, min(TASK_MAX_W, room / count))
    return min(need, CONTENT_W - LABEL_W)


def _bands(task_count: int, task_w: float) -> list[tuple[int, int, bool]]:
    """Split the task columns into as few bands as fit the page, about equal in size, the last one
    also carrying the totals: (start, stop, has_totals)."""
    room = CONTENT_W - LABEL_W + 0.01
    per_band = max(1, int(room // task_w))
    per_last = max(0, int((room - SUM_W - MARK_W) // task_w))   # tasks beside the totals
    if task_count <= per_last:
        return [(0, task_count, True)]
    n_bands = 2
    while task_count > (n_bands - 1) * per_band + per_last:
        n_bands += 1
    even = -(-task_count // n_bands)
    if even <= per_last:
        sizes = [even] * (n_bands - 1)
        sizes.append(task_count - sum(sizes))
    else:
        rest = task_count - per_last
        head = -(-rest // (n_bands - 1))
        sizes = [head] * (n_bands - 2) + [rest - head * (n_bands - 2), per_last]
    bands: list[tuple[int, int, bool]] = []
    start = 0
    for index, size in enumerate(sizes):
        bands.append((start, start + size, index == len(sizes) - 1))
        start += size
    return bands


def _band_table(p: RecheckParticipant, start: int, stop: int, totals: bool, task_w: float,
                st, ls) -> Table:
    tasks = p.tasks[start:stop]
    labels = ["Задание", "Макс. балл", "Балл школы", "Балл перепроверки", "Разница"]
    settled = totals and _settled(p)
    if settled:
        labels.append("Решение комиссии")
    rows: list[list] = [[lbl] for lbl in labels]
    rows[0][0] = Paragraph("Задание", st["head"])
    style: list = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("FONTSIZE", (0, 1), (0, -1), LABEL_SIZE),
        ("LEADING", (0, 0), (-1, -1), 9.5),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("TEXTCOLOR", (0, 1), (-1, 1), MUTED),
        ("FONTSIZE", (1, 1), (-1, 1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), TASK_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), TASK_PAD),
        ("LEFTPADDING", (0, 0), (0, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
        ("FONTNAME", (0, 4), (0, 4), FONT_BOLD),
    ]
    widths = [LABEL_W]
    for col, task in enumerate(tasks, start=1):
        widths.append(task_w)
        rows[0].append(Paragraph(escape(task.task_id), ls["task_head"]))
        rows[1].append(str(task.max_score))
        rows[2].append(_shown(task.first))
        rows[3].append(_shown(task.second))
        diff = task_difference(task)
        if diff is None:
            rows[4].append("—")
        else:
            rows[4].append(_signed(diff))
            if diff:
                style += [
                    ("BACKGROUND", (col, 4), (col, 4), DIFF_BG),
                    ("TEXTCOLOR", (col, 4), (col, 4), DIFF_TEXT),
                    ("FONTNAME", (col, 4), (col, 4), FONT_BOLD),
                ]
            else:
                style.append(("TEXTCOLOR", (col, 4), (col, 4), MUTED))
        if settled:
            rows[5].append("")
    if totals:
        first_col = len(widths)
        widths += [SUM_W, MARK_W]
        max_total = sum(t.max_score for t in p.tasks)
        # An unfinished re-check has no total to compare: its sum would count unscored tasks as 0.
        total_diff = p.second_total - p.first_total if p.complete else 0
        rows[0] += [Paragraph("Сумма", ls["total_head"]), Paragraph("Отметка", ls["total_head"])]
        rows[1] += [str(max_total), ""]
        rows[2] += [str(p.first_total), _mark(p.first_mark)]
        rows[3] += [str(p.second_total) if p.complete else "—", _mark(p.second_mark) if p.complete else "—"]
        mark_moved = p.complete and _marks_differ(p.first_mark, p.second_mark)
        rows[4] += [_signed(total_diff) if p.complete else "—",
                    f"{_mark(p.first_mark)}→{_mark(p.second_mark)}" if mark_moved else ""]
        style += [
            ("FONTNAME", (first_col, 2), (-1, 3), FONT_BOLD),
            ("LINEBEFORE", (first_col, 0), (first_col, -1), 1.2, colors.black),
        ]
        if total_diff:
            style += [("BACKGROUND", (first_col, 4), (first_col, 4), DIFF_BG),
                      ("TEXTCOLOR", (first_col, 4), (first_col, 4), DIFF_TEXT),
                      ("FONTNAME", (first_col, 4), (first_col, 4), FONT_BOLD)]
        else:
            style.append(("TEXTCOLOR", (first_col, 4), (first_col, 4), MUTED))
        if mark_moved:
            style += [("BACKGROUND", (first_col + 1, 4), (first_col + 1, 4), DIFF_BG),
                      ("TEXTCOLOR", (first_col + 1, 4), (first_col + 1, 4), DIFF_TEXT),
                      ("FONTNAME", (first_col + 1, 4), (first_col + 1, 4), FONT_BOLD)]
        if settled:
            final_total = "—" if p.final_total is None else str(p.final_total)
            rows[5] += [final_total, _mark(p.final_mark)]
            style += [("FONTNAME", (first_col, 5), (-1, 5), FONT_BOLD),
                      ("BACKGROUND", (0, 5), (-1, 5), ROW_TINT)]
            if first_col > 1:
                style.append(("SPAN", (1, 5), (first_col - 1, 5)))
                note = "итоговые сумма и отметка после рассмотрения"
                if text_width(note, 7) + 2 * TASK_PAD <= (first_col - 1) * task_w:
                    rows[5][1] = note
                style += [("TEXTCOLOR", (1, 5), (1, 5), MUTED), ("FONTSIZE", (1, 5), (1, 5), 7),
                          ("ALIGN", (1, 5), (1, 5), "RIGHT")]
            if p.final_total is not None and p.final_total != p.first_total:
                style.append(("TEXTCOLOR", (first_col, 5), (first_col, 5), DIFF_TEXT))
            if _marks_differ(p.first_mark, p.final_mark):
                style.append(("TEXTCOLOR", (first_col + 1, 5), (first_col + 1, 5), DIFF_TEXT))
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _participant_block(p: RecheckParticipant, task_w: float, st, ls) -> KeepTogether:
    differing = sum(1 for t in p.tasks if task_difference(t))
    flags: list[str] = []
    if not p.complete:
        flags.append(f'<font color="#990d00"><b>{NOT_RECHECKED}</b></font> (в итоги не входит)')
    if differing:
        flags.append(f"расхождений по заданиям: {differing}")
    elif p.complete:
        flags.append('<font color="#595959">расхождений по заданиям нет</font>')
    if p.complete and p.second_total != p.first_total:
        flags.append(f"сумма {_signed(p.second_total - p.first_total)}")
    if mark_changed(p):
        flags.append('<font color="#990d00"><b>отметка изменилась</b></font>')
    if _settled(p):
        flags.append("решение комиссии принято")
    left = f"Код <b>{escape(p.code)}</b> · класс {escape(p.class_name or '—')}"
    # The code and class get what they need (bold measure over-estimates), the flags the rest.
    left_w = text_width(f"Код {p.code} · класс {p.class_name or '—'}", 9.5, bold=True) + 2 * mm
    left_w = min(110 * mm, max(45 * mm, left_w))
    head = Table(
        [[Paragraph(left, ls["block_head"]), Paragraph(" · ".join(flags), ls["flags"])]],
        colWidths=[left_w, CONTENT_W - left_w],
        hAlign="LEFT",
    )
    head.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
    ]))
    parts: list = [head]
    for index, (start, stop, totals) in enumerate(_bands(len(p.tasks), task_w)):
        if index:
            parts.append(Spacer(1, 1.2 * mm))
        parts.append(_band_table(p, start, stop, totals, task_w, st, ls))
    parts += [Spacer(1, 4.5 * mm), _BlockDone()]
    return KeepTogether(parts)


def _summary_section(doc: RecheckDoc, st, ls) -> list:
    story: list = [Paragraph(SUMMARY_TITLE, ls["section"])]
    summary = sorted(doc.summary, key=lambda s: -s.differing)   # stable: ties keep the given order
    if any(s.compared for s in summary):
        head = ["Задание", "Макс. балл", "Сравнено работ", "С расхождением", "Доля расхождений",
                "Среднее |разница|"]
        data: list[list] = [[Paragraph(h, ls["num_head"]) for h in head]]
        style: list = [
            ("FONTNAME", (0, 1), (-1, -1), FONT),
            ("FONTSIZE", (0, 1), (-1, -1), 9),
            ("ALIGN", (0, 1), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("FONTNAME", (0, 1), (0, -1), FONT_BOLD),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]
        for row, s in enumerate(summary, start=1):
            data.append([
                s.task_id,
                str(s.max_score),
                str(s.compared),
                str(s.differing),
                _percent(s.differing, s.compared),
                _fmt_float(s.mean_abs_diff, 2) if s.compared else "—",
            ])
            if s.differing:
                style += [("BACKGROUND", (3, row), (4, row), DIFF_BG),
                          ("TEXTCOLOR", (3, row), (4, row), DIFF_TEXT),
                          ("FONTNAME", (3, row), (4, row), FONT_BOLD)]
        widths = [24 * mm, 22 * mm, 28 * mm, 34 * mm, 36 * mm, 36 * mm]
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        story.append(table)
    else:
        story.append(Paragraph("Нет данных для сравнения по заданиям.", st["base"]))
    # The title never stays alone at the bottom of a page; a summary longer than a page still splits.
    return [KeepTogether(story)]


def _totals(doc: RecheckDoc, st) -> list:
    """The counts over the works that were re-checked in full; unfinished ones are named and left
    out (their re-check sums would count every unscored task as 0)."""
    parts = [p for p in doc.participants if p.complete]
    unfinished = [p for p in doc.participants if not p.complete]
    n = len(parts)
    lines = []
    if unfinished:
        codes = ", ".join(p.code for p in unfinished[:20]) + (
            f" … и ещё {len(unfinished) - 20}" if len(unfinished) > 20 else "")
        lines.append(f"Перепроверено работ: <b>{n}</b> из {len(doc.participants)}.")
        lines.append(f"Не перепроверены (в итоги не вошли): <b>{len(unfinished)}</b> — коды {escape(codes)}.")
    else:
        lines.append(f"Перепроверено работ: <b>{n}</b>.")
    if not n:
        return [Paragraph(line, st["base"]) for line in lines]
    total_changed = sum(1 for p in parts if p.second_total != p.first_total)
    mark_moved = sum(1 for p in parts if _marks_differ(p.first_mark, p.second_mark))
    any_diff = sum(1 for p in parts if any(task_difference(t) for t in p.tasks))
    lines += [
        f"Работ с расхождением хотя бы по одному заданию: <b>{any_diff}</b> ({_percent(any_diff, n)}).",
        f"Сумма баллов по перепроверке изменилась: <b>{total_changed}</b> ({_percent(total_changed, n)}).",
        f"Отметка по перепроверке изменилась: <b>{mark_moved}</b> ({_percent(mark_moved, n)}).",
    ]
    settled = [p for p in parts if _settled(p)]
    if settled:
        final_total = sum(1 for p in settled if p.final_total is not None and p.final_total != p.first_total)
        final_mark = sum(1 for p in settled if _marks_differ(p.first_mark, p.final_mark))
        lines.append(
            f"Решение комиссии принято по работам: <b>{len(settled)}</b>; из них итоговая сумма баллов "
            f"отличается от школьной — <b>{final_total}</b>, итоговая отметка — <b>{final_mark}</b>."
        )
    return [Paragraph(line, st["base"]) for line in lines]


def _conclusion(doc: RecheckDoc, st) -> KeepTogether:
    """Totals and signature lines, kept on one page so the signatures never stand alone."""
    caption = st["small"]
    names = (doc.first_expert.strip(), doc.second_expert.strip(), "")
    blocks: list = [Spacer(1, 4 * mm), *_totals(doc, st), Spacer(1, 7 * mm)]
    for role, name in zip(SIGNATURE_ROLES, names):
        table = Table(
            [
                [Paragraph(role, st["base"]), Paragraph("_" * 16, st["base"]), Paragraph("/", st["base"]),
                 Paragraph(escape(name) if name else "_" * 26, st["base"])],
                ["", Paragraph("подпись", caption), "", Paragraph("расшифровка подписи (ФИО)", caption)],
            ],
            colWidths=[60 * mm, 36 * mm, 5 * mm, CONTENT_W - 101 * mm],
            rowHeights=[7 * mm, None],
            hAlign="LEFT",
        )
        table.setStyle(TableStyle([
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("TOPPADDING", (0, 1), (-1, 1), 0),
        ]))
        blocks += [table, Spacer(1, 2.5 * mm)]
    blocks.append(Paragraph("Дата: «____» ______________ 20___ г.", st["base"]))
    return KeepTogether(blocks)


def _decorate(header: WorkHeader):
    what = f"{header.subject}, {grade_text(header.grade)}"

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, extra=f"Перепроверка · {what}")
        if page > 1:
            canv.saveState()
            canv.setFont(FONT, 8)
            canv.setFillColor(MUTED)
            text = f"{RECHECK_TITLE} (продолжение) · {what} · {format_date(header.work_date)}"
            canv.drawString(MARGIN_X, PAGE_H - 10 * mm, ellipsize(text, FONT, 8, CONTENT_W))
            canv.restoreState()

    return decorate


# ---------------------------------------------------------------- entry point


def write_recheck_pdf(out: Path, doc: RecheckDoc, progress: ProgressFn | None = None) -> None:
    """Write the re-check protocol to `out` atomically.

    `progress(done, total)` counts participant blocks as they are laid out on pages, from
    (0, n) to (n, n). An empty participant list gives a valid one-page document saying so.
    """
    register_fonts()
    st = styles()
    ls = _local_styles(st)
    total = len(doc.participants)
    done = 0
    report(progress, 0, total)

    def on_block() -> None:
        nonlocal done
        done = min(total, done + 1)
        report(progress, done, total)

    story: list = _header_block(doc, st)
    story.append(Spacer(1, 4 * mm))
    if doc.participants:
        task_w = _task_width(doc.participants)
        story.append(Paragraph(f"Результаты по работам ({_works(total)})", ls["section"]))
        for participant in doc.participants:
            story.append(_participant_block(participant, task_w, st, ls))
    else:
        story.append(Paragraph(
            "<b>Работ для перепроверки нет:</b> в выборку не попала ни одна работа, "
            "сравнивать нечего.", st["base"]))
        story.append(Spacer(1, 3 * mm))
    story += _summary_section(doc, st, ls)
    story.append(_conclusion(doc, st))

    header = doc.header
    title = f"{RECHECK_TITLE} — {header.subject}, {grade_text(header.grade)}, {format_date(header.work_date)}"
    buffer = new_buffer()
    template = _RecheckDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=APP_TITLE,
        creator=APP_TITLE,
        on_block=on_block,
    )
    template.build(story, canvasmaker=numbered_canvas_class(_decorate(header)))
    write_pdf(out, buffer.getvalue())
    report(progress, total, total)
