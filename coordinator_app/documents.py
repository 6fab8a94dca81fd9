"""Printed documents of a work: the protocol code↔ФИО, code slips and QR labels.

Gathers the data from the store, converts it to the plain rows the PDF writers of
`coordinator_app/formats/pdf/` take, writes the file and records the print in the audit log.
Only the protocol carries names; slips and labels carry codes.

This module is imported only when something is printed (the CLI's commands, the «Коды и
протокол» page at print time), so the writers and reportlab under them are imported at the top.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import audit, settings
from .codes import Participant, list_participants
from .errors import UserError
from .formats.pdf.common import WorkHeader
from .formats.pdf.labels import Label, write_labels_pdf
from .formats.pdf.protocol import ClassSection, ProtocolRow, write_protocol_pdf
from .formats.pdf.slips import Slip, write_slips_pdf
from .names import class_display, normalize_class_name
from .qr_payload import encode_label
from .school import require_school
from .storage import Store
from .students import namesake_birth_dates
from .works import Work, get_work

Progress = Callable[[int, int], None] | None


def work_header(store: Store, work: Work) -> WorkHeader:
    """What every printout of `work` says about it and the school."""
    school = require_school(store)
    return WorkHeader(
        school=school.name, login=school.login, municipality=school.municipality,
        academic_year=school.academic_year, subject=work.subject, grade=work.grade,
        work_date=work.work_date, title=work.title,
    )


def _participants(store: Store, work: Work, classes: list[str] | None) -> list[Participant]:
    participants = list_participants(store, work.id)
    if not participants:
        raise UserError(
            f"У работы «{work.title}» ещё нет протокола. Сначала выдайте коды (кнопка «Выдать коды» или команда assign-codes)."
        )
    if classes:
        wanted = {class_display(*normalize_class_name(c)) for c in classes}
        participants = [p for p in participants if p.class_name in wanted]
        if not participants:
            raise UserError("В выбранных классах нет участников этой работы.")
    return participants


def _variant_text(p: Participant) -> str | None:
    values = [v for v in p.variants.values() if v]
    if not values:
        return None
    return values[0] if len(set(values)) == 1 and len(values) == len(p.variants) else " / ".join(v or "—" for v in p.variants.values())


def _protocol_sections(store: Store, participants: list[Participant]) -> list[ClassSection]:
    """The protocol's rows, one section per class in the participants' order."""
    births = namesake_birth_dates(store)      # namesakes of one class: told apart by the date of birth
    sections: dict[str, list[ProtocolRow]] = {}
    for p in participants:
        patronymic = p.patronymic + (f" (д. р. {births[p.student_id]})" if p.student_id in births else "")
        sections.setdefault(p.class_name, []).append(
            ProtocolRow(code=p.code, surname=p.surname, name=p.name, patronymic=patronymic.strip(),
                        variant=_variant_text(p), absent=p.absent))
    return [ClassSection(name, rows) for name, rows in sections.items()]


def make_protocol(store: Store, work_id: int, out: Path, *, classes: list[str] | None = None,
                  progress: Progress = None) -> Path:
    work = get_work(store, work_id)
    sections = _protocol_sections(store, _participants(store, work, classes))
    write_protocol_pdf(Path(out), work_header(store, work), sections, progress=progress)
    with store.atomic():
        audit.record(store, "print.protocol", "works", work_id, file=str(out),
                     participants=sum(len(s.rows) for s in sections))
    return Path(out)


def make_slips(store: Store, work_id: int, out: Path, *, classes: list[str] | None = None,
               progress: Progress = None) -> Path:
    work = get_work(store, work_id)
    slips = [Slip(code=p.code, class_name=p.class_name) for p in _participants(store, work, classes)]
    write_slips_pdf(Path(out), work_header(store, work), slips, progress=progress)
    with store.atomic():
        audit.record(store, "print.slips", "works", work_id, file=str(out), slips=len(slips))
    return Path(out)


def make_labels(store: Store, work_id: int, out: Path, *, layout: str | None = None, copies: int = 1,
                skip: int = 0, classes: list[str] | None = None, progress: Progress = None) -> Path:
    work = get_work(store, work_id)
    school = require_school(store)
    layout = layout or settings.get(store, "label_layout")
    if copies < 1 or copies > 10:
        raise UserError("Число наклеек на участника — от 1 до 10.")
    labels = [
        Label(code=p.code, class_name=p.class_name, payload=encode_label(school.login, work.work_key, p.code))
        for p in _participants(store, work, classes)
    ]
    write_labels_pdf(Path(out), work_header(store, work), labels, layout=layout, copies=copies, skip=skip,
                     progress=progress)
    with store.atomic():
        audit.record(store, "print.labels", "works", work_id, file=str(out), labels=len(labels) * copies,
                     layout=layout)
    return Path(out)
