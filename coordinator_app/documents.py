"""Printed documents of a work: the protocol code↔ФИО, code slips and QR labels.

Gathers the data from the store and hands plain dataclasses to the PDF writers in
`coordinator_app/exports/`. Only the protocol carries names; slips and labels carry codes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import audit
from .codes import Participant, list_participants
from .errors import UserError
from .formats.pdf.common import WorkHeader
from .qr_payload import encode_label
from .school import require_school
from .storage import Store
from .works import Work, get_work

Progress = Callable[[int, int], None] | None


def work_header(store: Store, work: Work) -> WorkHeader:
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
        from .names import class_display, normalize_class_name

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


def make_protocol(store: Store, work_id: int, out: Path, *, classes: list[str] | None = None,
                  progress: Progress = None) -> Path:
    from .formats.pdf.protocol import ClassSection, ProtocolRow, write_protocol_pdf

    from .students import namesake_birth_dates

    work = get_work(store, work_id)
    births = namesake_birth_dates(store)      # namesakes of one class: told apart by the date of birth
    sections: dict[str, list[ProtocolRow]] = {}
    for p in _participants(store, work, classes):
        patronymic = p.patronymic + (f" (д. р. {births[p.student_id]})" if p.student_id in births else "")
        sections.setdefault(p.class_name, []).append(
            ProtocolRow(code=p.code, surname=p.surname, name=p.name, patronymic=patronymic.strip(),
                        variant=_variant_text(p), absent=p.absent))
    write_protocol_pdf(Path(out), work_header(store, work),
                       [ClassSection(name, rows) for name, rows in sections.items()], progress=progress)
    with store.atomic():
        audit.record(store, "print.protocol", "works", work_id, file=str(out),
                     participants=sum(len(r) for r in sections.values()))
    return Path(out)


def make_slips(store: Store, work_id: int, out: Path, *, classes: list[str] | None = None,
               progress: Progress = None) -> Path:
    from .formats.pdf.slips import Slip, write_slips_pdf

    work = get_work(store, work_id)
    slips = [Slip(code=p.code, class_name=p.class_name) for p in _participants(store, work, classes)]
    write_slips_pdf(Path(out), work_header(store, work), slips, progress=progress)
    with store.atomic():
        audit.record(store, "print.slips", "works", work_id, file=str(out), slips=len(slips))
    return Path(out)


def make_labels(store: Store, work_id: int, out: Path, *, layout: str | None = None, copies: int = 1,
                skip: int = 0, classes: list[str] | None = None, progress: Progress = None) -> Path:
    from . import settings
    from .formats.pdf.labels import Label, write_labels_pdf

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
