"""«Сопроводительное письмо» of the re-check package (seed 004 §6.9–6.10).

On the school's letterhead (name, municipality, ФИС ОКО login), to the municipal education office:
outgoing number and date, subject «О направлении работ ВПР для перепроверки», the work (subject,
grade, date), how many works are sent and how they were chosen (the sample rule and its seed, so
the municipality can reproduce the draw), the table of participant codes, the contents of the
package, and the director's signature line. Participant codes only, never a pupil's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from ... import APP_TITLE
from ...words import plural as _plural
from ...words import works as _works
from .common import FONT, FONT_BOLD, PAGE_W, draw_footer, format_date, styles
from .story import build_pdf

__all__ = ["COVER_SUBJECT", "CoverLetter", "CoverRow", "cover_letter_bytes", "sample_rule_text"]

COVER_SUBJECT = "О направлении работ ВПР для перепроверки"
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 15 * mm
CONTENT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT - 12   # the frame pads 6 pt each side
HEAD_BG = colors.Color(0.9, 0.9, 0.9)
GRID = colors.Color(0.45, 0.45, 0.45)
BODY_ROW_H = 11.5 + 1.5 + 2.5


@dataclass
class CoverRow:
    code: str
    class_name: str
    variant: str          # «1», «1 / 2», «—»
    pages: int
    scored: bool = True   # every task of the work has the school's score


@dataclass
class CoverLetter:
    school: str
    login: str
    municipality: str
    director: str
    subject: str
    grade: int
    work_date: dt.date
    outgoing_date: dt.date
    folder_name: str
    participants_present: int          # participants who wrote the work
    pool: int                          # of them, with scans (the population of the draw)
    rows: list[CoverRow]
    sample_pct: float | None           # None: no random draw
    seed: int
    extra_codes: list[str] = field(default_factory=list)
    everyone: bool = False
    criteria_files: int = 0
    criteria_variants: list[str] = field(default_factory=list)


def _pct_text(pct: float) -> str:
    text = f"{pct:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} %"


def _initials(full_name: str) -> str:
    """«Петрова Анна Ивановна» → «А. И. Петрова» (as letters are signed); anything else as is."""
    parts = full_name.split()
    if len(parts) in (2, 3) and all(p[:1].isalpha() for p in parts):
        return " ".join(f"{p[0].upper()}." for p in parts[1:]) + " " + parts[0]
    return full_name


def sample_rule_text(letter: CoverLetter) -> str:
    """How the works were chosen, in one paragraph (also used in the package's description)."""
    if letter.everyone:
        return (f"Направляются все работы участников, выполнявших работу и имеющих сканы "
                f"({_works(len(letter.rows))}). Для протокола зафиксировано зерно {letter.seed}.")
    parts: list[str] = []
    if letter.sample_pct is not None:
        parts.append(
            f"Работы отобраны случайным образом: не менее {_pct_text(letter.sample_pct)} работ и не менее "
            f"одной работы из {_works(letter.pool)} участников, выполнявших работу и имеющих сканы. "
            f"Отбор выполнен программой {APP_TITLE} по числу-зерну {letter.seed}: повторный отбор с тем же "
            f"зерном даёт тот же список кодов, так что его можно проверить.")
    if letter.extra_codes:
        codes = ", ".join(letter.extra_codes)
        lead = "Дополнительно по решению школы включены" if parts else "Работы отобраны школой по списку:"
        parts.append(f"{lead} {codes}.")
    if not parts:
        parts.append("Работы отобраны школой по списку.")
    return " ".join(parts)


def _scores_sentence(letter: CoverLetter) -> str:
    """What the protocol holds, as it is: scores only where the school entered them."""
    unscored = [r.code for r in letter.rows if not r.scored]
    if not unscored:
        return "Баллы за каждое задание и итоговый балл проставлены в протоколе."
    if len(unscored) == len(letter.rows):
        return "Баллы школы в протоколе не проставлены: проверка работ школой не завершена."
    return (f"Баллы за каждое задание и итоговый балл проставлены в протоколе, кроме работ с кодами "
            f"{', '.join(unscored)}: их проверка школой не завершена.")


def _letterhead(letter: CoverLetter, st: dict[str, ParagraphStyle]) -> list:
    centre = ParagraphStyle("cl_centre", parent=st["base"], alignment=TA_CENTER, fontSize=9, leading=11.5)
    name = ParagraphStyle("cl_name", parent=centre, fontName=FONT_BOLD, fontSize=11.5, leading=14)
    lines = [Paragraph(escape(letter.school), name)]
    if letter.municipality:
        lines.append(Paragraph(escape(letter.municipality), centre))
    lines.append(Paragraph(f"Логин ФИС ОКО: {escape(letter.login)}", centre))
    rule = Table([[""]], colWidths=[CONTENT_W], rowHeights=[2])
    rule.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 1.2, colors.black),
                              ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [*lines, Spacer(1, 2 * mm), rule, Spacer(1, 5 * mm)]


def _address_block(letter: CoverLetter, st: dict[str, ParagraphStyle]) -> Table:
    small = ParagraphStyle("cl_small", parent=st["base"], fontSize=10, leading=13)
    left = [
        Paragraph(f"Исх. № __________ от {format_date(letter.outgoing_date)}", small),
        Spacer(1, 2 * mm),
        Paragraph("На № __________ от __________", small),
    ]
    office = ("Муниципальному координатору ВПР,<br/>в орган местного самоуправления, "
              "осуществляющий управление в сфере образования")
    if letter.municipality:
        office += f"<br/>{escape(letter.municipality)}"
    right = [Paragraph(office, small)]
    table = Table([[left, right]], colWidths=[CONTENT_W * 0.48, CONTENT_W * 0.52])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _codes_table(letter: CoverLetter, st: dict[str, ParagraphStyle]) -> Table:
    head = ParagraphStyle("cl_head", parent=st["head"], alignment=TA_CENTER)
    data: list[list] = [[Paragraph(t, head) for t in ("№ п/п", "Код участника", "Класс", "Вариант",
                                                          "Листов в скане", "Файл")]]
    for number, row in enumerate(letter.rows, start=1):
        data.append([str(number), row.code, row.class_name, row.variant or "—", str(row.pages),
                     f"works/{row.code}.pdf"])
    widths = [14 * mm, 30 * mm, 20 * mm, 22 * mm, 24 * mm, CONTENT_W - 110 * mm]
    # Every body row is one line of 9.5 pt text (leading 11.5 + padding 1.5 + 2.5): given its
    # height, reportlab skips measuring it, and that measuring is quadratic in the number of rows
    # (a letter of 1500 codes: 0.3 s of 0.45 s). The header is measured.
    heights = [None] + [BODY_ROW_H] * (len(data) - 1)
    table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), 9.5),
        ("LEADING", (0, 1), (-1, -1), 11.5),
        ("FONTNAME", (1, 1), (1, -1), FONT_BOLD),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return table


def _contents(letter: CoverLetter) -> list[str]:
    pages = sum(r.pages for r in letter.rows)
    items = [
        f"works/ — сканы работ, по одному PDF-файлу на участника, имя файла — код участника "
        f"({_works(len(letter.rows))}, {pages} {_plural(pages, 'лист', 'листа', 'листов')});",
    ]
    if letter.criteria_files:
        variants = [v for v in letter.criteria_variants if v]
        about = f" (варианты: {', '.join(variants)})" if variants else ""
        items.append(f"criteria/ — критерии оценивания{about}, файлов: {letter.criteria_files};")
    else:
        items.append("criteria/ — критерии оценивания к работе в программе не прикреплены;")
    items += [
        "protocol.xlsx — электронный протокол: баллы за каждое задание, итоговый балл и отметка "
        "по каждому участнику работы; направленные работы отмечены в графе «В пакете»;",
        "cover_letter.pdf — настоящее письмо;",
        "manifest.json и SHA256SUMS — опись файлов с размерами и контрольными суммами SHA-256 "
        "для проверки целостности пакета.",
    ]
    return items


def _letter_styles(st: dict[str, ParagraphStyle]) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("cl_body", parent=st["base"], fontSize=10.5, leading=14, alignment=TA_JUSTIFY,
                          firstLineIndent=10 * mm, spaceAfter=1.5 * mm)
    plain = ParagraphStyle("cl_plain", parent=body, firstLineIndent=0, alignment=TA_LEFT)
    return {
        "body": body,
        "plain": plain,
        "bullet": ParagraphStyle("cl_bullet", parent=plain, leftIndent=8 * mm, bulletIndent=3 * mm,
                                 spaceAfter=0.8 * mm, fontSize=10, leading=12.5),
        "subject": ParagraphStyle("cl_subject", parent=st["base"], fontName=FONT_BOLD, fontSize=11, leading=14,
                                  spaceBefore=3 * mm, spaceAfter=4 * mm),
        "section": ParagraphStyle("cl_section", parent=plain, fontName=FONT_BOLD, spaceBefore=2 * mm),
        "sign": ParagraphStyle("cl_sign", parent=st["base"], fontSize=11, leading=14),
    }


def _body(letter: CoverLetter, ls: dict[str, ParagraphStyle]) -> list:
    """The letter's paragraphs: what is sent, how many, how they were chosen, that it is anonymous."""
    body = ls["body"]
    work = (f"по учебному предмету «{escape(letter.subject)}» в {letter.grade} классе, проведённой "
            f"{format_date(letter.work_date)}")
    sent = ("критерии оценивания по вариантам и электронный протокол проверки в формате Excel"
            if letter.criteria_files else "электронный протокол проверки в формате Excel")
    return [
        Paragraph(
            f"В рамках перепроверки результатов всероссийских проверочных работ {escape(letter.school)} "
            f"направляет сканированные копии работ участников всероссийской проверочной работы {work}, "
            f"{sent}.", body),
        Paragraph(
            f"Количество направляемых работ: <b>{len(letter.rows)}</b> (работу выполняли "
            f"{letter.participants_present} "
            f"{_plural(letter.participants_present, 'участник', 'участника', 'участников')}).",
            body),
        Paragraph(escape(sample_rule_text(letter)), body),
        Paragraph(
            "Работы и протокол обезличены: участники обозначены только кодами, фамилии и имена "
            "обучающихся в направляемых материалах отсутствуют. " + _scores_sentence(letter), body),
    ]


def _signature(letter: CoverLetter, st: dict[str, ParagraphStyle], ls: dict[str, ParagraphStyle]) -> Table:
    director = _initials(letter.director) if letter.director.strip() else ""
    sign_style = ls["sign"]
    sign = Table(
        [[Paragraph("Директор", sign_style), "", Paragraph(escape(director) or "_" * 20, sign_style)],
         [Paragraph("М. П.", st["small"]), Paragraph("(подпись)", st["small"]), ""]],
        colWidths=[40 * mm, 55 * mm, CONTENT_W - 95 * mm])
    sign.setStyle(TableStyle([
        ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("ALIGN", (1, 1), (1, 1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, 0), 7 * mm),
    ]))
    return sign


def _decorate(canv, page: int, total: int) -> None:
    draw_footer(canv, page, total, extra="сопроводительное письмо")


def cover_letter_bytes(letter: CoverLetter) -> bytes:
    st = styles()
    ls = _letter_styles(st)
    story: list = _letterhead(letter, st)
    story += [_address_block(letter, st), Paragraph(COVER_SUBJECT, ls["subject"])]
    story += _body(letter, ls)
    story.append(Paragraph("Коды участников, работы которых направляются:", ls["section"]))
    story.append(Spacer(1, 1.5 * mm))
    story.append(_codes_table(letter, st))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(
        f"Состав пакета (папка «{escape(letter.folder_name)}» на электронном носителе):", ls["section"]))
    items = [Paragraph(escape(item), ls["bullet"], bulletText="•") for item in _contents(letter)]
    story += items[:-1]
    appendix = Paragraph(f"Приложение: электронный носитель с папкой «{escape(letter.folder_name)}».",
                         ls["plain"])
    # The signature never stands alone on a page: the list's last item and the appendix go with it.
    story.append(KeepTogether([items[-1], Spacer(1, 3 * mm), appendix, Spacer(1, 4 * mm),
                               _signature(letter, st, ls)]))
    return build_pdf(story, _decorate, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                     topMargin=15 * mm, bottomMargin=18 * mm, title=COVER_SUBJECT,
                     subject=f"ВПР: {letter.subject}, {letter.grade} класс")
