"""The participant blocks of the re-check protocol (`recheck`): one compact block per code whose
columns are the tasks (school's score, re-check score, difference), the totals and marks at the
end, and the commission's result where it settled one. When the tasks do not fit one band the
block continues on further bands below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .common import FONT, FONT_BOLD, MUTED, PAGE_W, text_width
from .recheck_data import (
    RecheckParticipant,
    RecheckTaskRow,
    mark_changed,
    mark_text,
    marks_differ,
    settled,
    shown,
    signed,
    task_difference,
)

NOT_RECHECKED = "не перепроверена"

MARGIN_X = 15 * mm
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

#: The rows of a band, top to bottom; the commission's row only where it settled.
_ROW_LABELS = ("Задание", "Макс. балл", "Балл школы", "Балл перепроверки", "Разница")
_COMMISSION_LABEL = "Решение комиссии"
_DIFF_ROW = 4
_COMMISSION_ROW = 5
_BAND_STYLE = [
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
    ("FONTNAME", (0, _DIFF_ROW), (0, _DIFF_ROW), FONT_BOLD),
]


def highlighted(first: tuple[int, int], last: tuple[int, int] | None = None) -> list[tuple]:
    """Table style commands marking cells as a difference: tinted, dark red, bold."""
    last = last or first
    return [("BACKGROUND", first, last, DIFF_BG), ("TEXTCOLOR", first, last, DIFF_TEXT),
            ("FONTNAME", first, last, FONT_BOLD)]


def _difference_style(col: int, row: int, diff: int) -> list[tuple]:
    """A non-zero difference stands out, a zero one is grey."""
    return highlighted((col, row)) if diff else [("TEXTCOLOR", (col, row), (col, row), MUTED)]


def block_styles(st: dict[str, ParagraphStyle]) -> dict[str, ParagraphStyle]:
    """The paragraph styles of the blocks and sections of the re-check protocol."""
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


class BlockDone(Flowable):
    """Zero-size flowable closing a participant block; the document counts them for progress."""

    def wrap(self, avail_w, avail_h):
        return 0, 0

    def draw(self):
        pass


# ---------------------------------------------------------------- geometry


def task_width(participants: list[RecheckParticipant]) -> float:
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


def _band_sizes(task_count: int, per_band: int, per_last: int) -> list[int]:
    """How many tasks each band holds: as few bands as fit, about equal in size, the last one
    (beside the totals) at most `per_last`."""
    n_bands = 2
    while task_count > (n_bands - 1) * per_band + per_last:
        n_bands += 1
    even = -(-task_count // n_bands)
    if even <= per_last:
        sizes = [even] * (n_bands - 1)
        return [*sizes, task_count - sum(sizes)]
    rest = task_count - per_last
    head = -(-rest // (n_bands - 1))
    return [head] * (n_bands - 2) + [rest - head * (n_bands - 2), per_last]


def bands(task_count: int, task_w: float) -> list[tuple[int, int, bool]]:
    """Split the task columns into as few bands as fit the page, about equal in size, the last one
    also carrying the totals: (start, stop, has_totals)."""
    room = CONTENT_W - LABEL_W + 0.01
    per_band = max(1, int(room // task_w))
    per_last = max(0, int((room - SUM_W - MARK_W) // task_w))   # tasks beside the totals
    if task_count <= per_last:
        return [(0, task_count, True)]
    sizes = _band_sizes(task_count, per_band, per_last)
    result: list[tuple[int, int, bool]] = []
    start = 0
    for index, size in enumerate(sizes):
        result.append((start, start + size, index == len(sizes) - 1))
        start += size
    return result


# ---------------------------------------------------------------- one band


@dataclass
class _Band:
    """A band's table under construction: one list of cells per row, column widths, style."""

    rows: list[list]
    widths: list[float]
    style: list = field(default_factory=lambda: list(_BAND_STYLE))

    @property
    def next_col(self) -> int:
        return len(self.widths)


def _new_band(st, commission: bool) -> _Band:
    labels = [*_ROW_LABELS, _COMMISSION_LABEL] if commission else list(_ROW_LABELS)
    rows: list[list] = [[label] for label in labels]
    rows[0][0] = Paragraph("Задание", st["head"])
    return _Band(rows, [LABEL_W])


def _add_task(band: _Band, task: RecheckTaskRow, task_w: float, ls, commission: bool) -> None:
    col = band.next_col
    band.widths.append(task_w)
    band.rows[0].append(Paragraph(escape(task.task_id), ls["task_head"]))
    band.rows[1].append(str(task.max_score))
    band.rows[2].append(shown(task.first))
    band.rows[3].append(shown(task.second))
    diff = task_difference(task)
    if diff is None:
        band.rows[_DIFF_ROW].append("—")
    else:
        band.rows[_DIFF_ROW].append(signed(diff))
        band.style += _difference_style(col, _DIFF_ROW, diff)
    if commission:
        band.rows[_COMMISSION_ROW].append("")


def _add_totals(band: _Band, p: RecheckParticipant, ls) -> int:
    """The «Сумма» and «Отметка» columns; returns the first of them."""
    first_col = band.next_col
    band.widths += [SUM_W, MARK_W]
    # An unfinished re-check has no total to compare: its sum would count unscored tasks as 0.
    total_diff = p.second_total - p.first_total if p.complete else 0
    mark_moved = p.complete and marks_differ(p.first_mark, p.second_mark)
    band.rows[0] += [Paragraph("Сумма", ls["total_head"]), Paragraph("Отметка", ls["total_head"])]
    band.rows[1] += [str(sum(t.max_score for t in p.tasks)), ""]
    band.rows[2] += [str(p.first_total), mark_text(p.first_mark)]
    band.rows[3] += [str(p.second_total) if p.complete else "—", mark_text(p.second_mark) if p.complete else "—"]
    band.rows[_DIFF_ROW] += [signed(total_diff) if p.complete else "—",
                             f"{mark_text(p.first_mark)}→{mark_text(p.second_mark)}" if mark_moved else ""]
    band.style += [
        ("FONTNAME", (first_col, 2), (-1, 3), FONT_BOLD),
        ("LINEBEFORE", (first_col, 0), (first_col, -1), 1.2, colors.black),
        *_difference_style(first_col, _DIFF_ROW, total_diff),
    ]
    if mark_moved:
        band.style += highlighted((first_col + 1, _DIFF_ROW))
    return first_col


def _add_commission(band: _Band, p: RecheckParticipant, first_col: int, task_w: float) -> None:
    """The commission's final total and mark under the totals, a note across the task columns."""
    row = band.rows[_COMMISSION_ROW]
    row += ["—" if p.final_total is None else str(p.final_total), mark_text(p.final_mark)]
    band.style += [("FONTNAME", (first_col, _COMMISSION_ROW), (-1, _COMMISSION_ROW), FONT_BOLD),
                   ("BACKGROUND", (0, _COMMISSION_ROW), (-1, _COMMISSION_ROW), ROW_TINT)]
    if first_col > 1:
        note_cell = (1, _COMMISSION_ROW)
        band.style.append(("SPAN", note_cell, (first_col - 1, _COMMISSION_ROW)))
        note = "итоговые сумма и отметка после рассмотрения"
        if text_width(note, 7) + 2 * TASK_PAD <= (first_col - 1) * task_w:
            row[1] = note
        band.style += [("TEXTCOLOR", note_cell, note_cell, MUTED), ("FONTSIZE", note_cell, note_cell, 7),
                       ("ALIGN", note_cell, note_cell, "RIGHT")]
    if p.final_total is not None and p.final_total != p.first_total:
        band.style.append(("TEXTCOLOR", (first_col, _COMMISSION_ROW), (first_col, _COMMISSION_ROW), DIFF_TEXT))
    if marks_differ(p.first_mark, p.final_mark):
        mark_cell = (first_col + 1, _COMMISSION_ROW)
        band.style.append(("TEXTCOLOR", mark_cell, mark_cell, DIFF_TEXT))


def band_table(p: RecheckParticipant, start: int, stop: int, totals: bool, task_w: float, st, ls) -> Table:
    """The table of tasks `start`..`stop` of one participant, with the totals if `totals`."""
    commission = totals and settled(p)
    band = _new_band(st, commission)
    for task in p.tasks[start:stop]:
        _add_task(band, task, task_w, ls, commission)
    if totals:
        first_col = _add_totals(band, p, ls)
        if commission:
            _add_commission(band, p, first_col, task_w)
    table = Table(band.rows, colWidths=band.widths, hAlign="LEFT")
    table.setStyle(TableStyle(band.style))
    return table


# ---------------------------------------------------------------- the block


def _flags(p: RecheckParticipant) -> list[str]:
    """What stands out about a work, for the right side of its block's head line."""
    differing = sum(1 for t in p.tasks if task_difference(t))
    flags: list[str] = []
    if not p.complete:
        flags.append(f'<font color="#990d00"><b>{NOT_RECHECKED}</b></font> (в итоги не входит)')
    if differing:
        flags.append(f"расхождений по заданиям: {differing}")
    elif p.complete:
        flags.append('<font color="#595959">расхождений по заданиям нет</font>')
    if p.complete and p.second_total != p.first_total:
        flags.append(f"сумма {signed(p.second_total - p.first_total)}")
    if mark_changed(p):
        flags.append('<font color="#990d00"><b>отметка изменилась</b></font>')
    if settled(p):
        flags.append("решение комиссии принято")
    return flags


def _block_head(p: RecheckParticipant, ls) -> Table:
    left = f"Код <b>{escape(p.code)}</b> · класс {escape(p.class_name or '—')}"
    # The code and class get what they need (bold measure over-estimates), the flags the rest.
    left_w = text_width(f"Код {p.code} · класс {p.class_name or '—'}", 9.5, bold=True) + 2 * mm
    left_w = min(110 * mm, max(45 * mm, left_w))
    head = Table(
        [[Paragraph(left, ls["block_head"]), Paragraph(" · ".join(_flags(p)), ls["flags"])]],
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
    return head


def participant_block(p: RecheckParticipant, task_w: float, st, ls) -> KeepTogether:
    """One work: its head line and its bands, kept on one page, closed by a `BlockDone`."""
    parts: list = [_block_head(p, ls)]
    for index, (start, stop, totals) in enumerate(bands(len(p.tasks), task_w)):
        if index:
            parts.append(Spacer(1, 1.2 * mm))
        parts.append(band_table(p, start, stop, totals, task_w, st, ls))
    parts += [Spacer(1, 4.5 * mm), BlockDone()]
    return KeepTogether(parts)
