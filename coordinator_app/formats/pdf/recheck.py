"""«Протокол перепроверки ВПР»: a second expert re-scored a sample of works blind.

For every participant code of the sample the protocol shows, task by task, the school's score,
the re-check score and their difference (re-check − school; «X» and «не пройд.» count as 0),
the totals and marks (and the commission's final result where it settled one), then the table
«Расхождения по заданиям», how many works changed total or mark, and signature lines of the two
experts and the chairman. Carries participant codes only, never pupil names.

A4 portrait: each participant is a compact block whose columns are the tasks; when there are too
many tasks for one band the block continues on a second band below.

This module lays out the document (header, summary, totals, signatures) and writes it; the input
types and score values are in `recheck_data`, the participant blocks in `recheck_blocks`.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ...words import works
from .common import (
    FONT,
    FONT_BOLD,
    PAGE_H,
    ProgressCounter,
    ProgressFn,
    WorkHeader,
    document_title,
    draw_footer,
    draw_muted_line,
    format_date,
    grade_text,
    register_fonts,
    styles,
    write_pdf,
)
from .recheck_blocks import (
    CONTENT_W,
    GRID,
    HEAD_BG,
    MARGIN_X,
    BlockDone,
    block_styles,
    highlighted,
    participant_block,
    task_width,
)
from .recheck_data import (
    RecheckDoc,
    RecheckParticipant,
    RecheckTaskRow,
    TaskSummary,
    fmt_float,
    mark_changed,
    marks_differ,
    percent,
    score_value,
    settled,
    task_difference,
)
from .story import build_pdf, key_value_table, signature_table

__all__ = [
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
SIGNATURE_ROLES = ("Эксперт, проверявший работы", "Эксперт перепроверки", "Председатель комиссии")
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 16 * mm
#: Unfinished works named in the totals at most; the rest are counted.
MAX_NAMED_UNFINISHED = 20


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
    table = key_value_table(items, st, 60 * mm, CONTENT_W)
    note = (
        "Эксперт перепроверки оценил работы выборки повторно, не видя баллов школы. "
        "«Разница» — балл перепроверки минус балл школы; «X» (нет ответа) и «н/п» (не пройд.) "
        "считаются за 0, «—» — балл не выставлен. Ненулевые разницы выделены."
    )
    return [Paragraph(RECHECK_TITLE, st["title"]), table, Spacer(1, 2.5 * mm), Paragraph(note, st["note"])]


def _summary_table(summary: list[TaskSummary], ls) -> Table:
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
            percent(s.differing, s.compared),
            fmt_float(s.mean_abs_diff, 2) if s.compared else "—",
        ])
        if s.differing:
            style += highlighted((3, row), (4, row))
    widths = [24 * mm, 22 * mm, 28 * mm, 34 * mm, 36 * mm, 36 * mm]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _summary_section(doc: RecheckDoc, st, ls) -> list:
    story: list = [Paragraph(SUMMARY_TITLE, ls["section"])]
    summary = sorted(doc.summary, key=lambda s: -s.differing)   # stable: ties keep the given order
    if any(s.compared for s in summary):
        story.append(_summary_table(summary, ls))
    else:
        story.append(Paragraph("Нет данных для сравнения по заданиям.", st["base"]))
    # The title never stays alone at the bottom of a page; a summary longer than a page still splits.
    return [KeepTogether(story)]


def _count_lines(doc: RecheckDoc, done: list[RecheckParticipant]) -> list[str]:
    """How many works were re-checked; the unfinished ones named (up to MAX_NAMED_UNFINISHED)."""
    unfinished = [p for p in doc.participants if not p.complete]
    if not unfinished:
        return [f"Перепроверено работ: <b>{len(done)}</b>."]
    more = len(unfinished) - MAX_NAMED_UNFINISHED
    codes = ", ".join(p.code for p in unfinished[:MAX_NAMED_UNFINISHED]) + (f" … и ещё {more}" if more > 0 else "")
    return [
        f"Перепроверено работ: <b>{len(done)}</b> из {len(doc.participants)}.",
        f"Не перепроверены (в итоги не вошли): <b>{len(unfinished)}</b> — коды {escape(codes)}.",
    ]


def _change_lines(done: list[RecheckParticipant]) -> list[str]:
    """How many of the re-checked works differ: in a task, in the total, in the mark."""
    n = len(done)
    total_changed = sum(1 for p in done if p.second_total != p.first_total)
    mark_moved = sum(1 for p in done if marks_differ(p.first_mark, p.second_mark))
    any_diff = sum(1 for p in done if any(task_difference(t) for t in p.tasks))
    return [
        f"Работ с расхождением хотя бы по одному заданию: <b>{any_diff}</b> ({percent(any_diff, n)}).",
        f"Сумма баллов по перепроверке изменилась: <b>{total_changed}</b> ({percent(total_changed, n)}).",
        f"Отметка по перепроверке изменилась: <b>{mark_moved}</b> ({percent(mark_moved, n)}).",
    ]


def _commission_lines(done: list[RecheckParticipant]) -> list[str]:
    """What the commission settled, where it settled anything."""
    decided = [p for p in done if settled(p)]
    if not decided:
        return []
    final_total = sum(1 for p in decided if p.final_total is not None and p.final_total != p.first_total)
    final_mark = sum(1 for p in decided if marks_differ(p.first_mark, p.final_mark))
    return [(
        f"Решение комиссии принято по работам: <b>{len(decided)}</b>; из них итоговая сумма баллов "
        f"отличается от школьной — <b>{final_total}</b>, итоговая отметка — <b>{final_mark}</b>."
    )]


def _totals(doc: RecheckDoc, st) -> list:
    """The counts over the works that were re-checked in full; unfinished ones are named and left
    out (their re-check sums would count every unscored task as 0)."""
    done = [p for p in doc.participants if p.complete]
    lines = _count_lines(doc, done)
    if done:
        lines += _change_lines(done) + _commission_lines(done)
    return [Paragraph(line, st["base"]) for line in lines]


def _conclusion(doc: RecheckDoc, st) -> KeepTogether:
    """Totals and signature lines, kept on one page so the signatures never stand alone."""
    names = (doc.first_expert.strip(), doc.second_expert.strip(), "")
    blocks: list = [Spacer(1, 4 * mm), *_totals(doc, st), Spacer(1, 7 * mm)]
    for role, name in zip(SIGNATURE_ROLES, names):
        cells = [Paragraph(role, st["base"]), Paragraph("_" * 16, st["base"]), Paragraph("/", st["base"]),
                 Paragraph(escape(name) if name else "_" * 26, st["base"])]
        table = signature_table(cells, st, [60 * mm, 36 * mm, 5 * mm, CONTENT_W - 101 * mm], 7 * mm,
                                [("TOPPADDING", (0, 1), (-1, 1), 0)])
        blocks += [table, Spacer(1, 2.5 * mm)]
    blocks.append(Paragraph("Дата: «____» ______________ 20___ г.", st["base"]))
    return KeepTogether(blocks)


def _decorate(header: WorkHeader):
    what = f"{header.subject}, {grade_text(header.grade)}"

    def decorate(canv, page: int, total: int) -> None:
        draw_footer(canv, page, total, extra=f"Перепроверка · {what}")
        if page > 1:
            text = f"{RECHECK_TITLE} (продолжение) · {what} · {format_date(header.work_date)}"
            draw_muted_line(canv, MARGIN_X, PAGE_H - 10 * mm, text, CONTENT_W)

    return decorate


def _results(doc: RecheckDoc, st, ls) -> list:
    """The participant blocks, or a line saying the sample is empty."""
    if not doc.participants:
        return [Paragraph("<b>Работ для перепроверки нет:</b> в выборку не попала ни одна работа, "
                          "сравнивать нечего.", st["base"]),
                Spacer(1, 3 * mm)]
    task_w = task_width(doc.participants)
    return [Paragraph(f"Результаты по работам ({works(len(doc.participants))})", ls["section"]),
            *(participant_block(p, task_w, st, ls) for p in doc.participants)]


def write_recheck_pdf(out: Path, doc: RecheckDoc, progress: ProgressFn | None = None) -> None:
    """Write the re-check protocol to `out` atomically.

    `progress(done, total)` counts participant blocks as they are laid out on pages, from
    (0, n) to (n, n). An empty participant list gives a valid one-page document saying so.
    """
    register_fonts()
    st = styles()
    ls = block_styles(st)
    counter = ProgressCounter(progress, len(doc.participants))

    def after(flowable: Flowable) -> None:
        if isinstance(flowable, BlockDone):
            counter.add()

    story: list = [*_header_block(doc, st), Spacer(1, 4 * mm), *_results(doc, st, ls),
                   *_summary_section(doc, st, ls), _conclusion(doc, st)]
    data = build_pdf(
        story, _decorate(doc.header), after=after,
        leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        title=document_title(RECHECK_TITLE, doc.header),
    )
    write_pdf(out, data)
    counter.finish()
