"""Scanned pages after the import: per-participant lists, the queues, and the coordinator's edits.

Edits change metadata only (assignment, status, order, rotation); a stored file never changes.
Every edit is audited with the old and new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import audit
from ..changes import Changes, Topic
from ..errors import UserError
from ..names import class_display
from ..school_years import require_open
from ..storage import Store

STATUS_RU = {"assigned": "распознана", "unassigned": "нераспознанная", "blank": "пустая", "extra": "лишняя",
             "conflict": "спорная"}
METHOD_RU = {"qr": "QR-наклейка", "filename": "имя файла", "following": "следом за титульным", "manual": "вручную"}


@dataclass
class Page:
    id: int
    file_id: int
    page_no: int
    sha256: str
    image_path: str
    thumb_path: str
    width: int
    height: int
    work_id: int | None
    participant_id: int | None
    code: str | None
    position: int | None
    status: str
    method: str | None
    is_title: bool
    rotation: int
    qr_text: str | None
    note: str | None
    original_name: str
    seq: int | None

    @property
    def source(self) -> str:
        return f"{self.original_name}, стр. {self.page_no}" if self.page_no > 1 else self.original_name

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sha256": self.sha256, "source": self.source, "rotation": self.rotation,
                "status": self.status, "method": self.method, "title": self.is_title, "note": self.note,
                "work_id": self.work_id, "code": self.code}


_SELECT = """SELECT p.id, p.file_id, p.page_no, p.sha256, p.image_path, p.thumb_path, p.width, p.height,
                    p.work_id, p.participant_id, pa.code, p.position, p.status, p.method, p.is_title, p.rotation,
                    p.qr_text, p.note, f.original_name, p.seq
             FROM scan_pages p JOIN scan_files f ON f.id = p.file_id
             LEFT JOIN participants pa ON pa.id = p.participant_id"""


def _page(row: dict[str, Any]) -> Page:
    row = dict(row)
    row["is_title"] = bool(row["is_title"])
    return Page(**row)


def get_page(store: Store, page_id: int) -> Page:
    row = store.one(_SELECT + " WHERE p.id = ?", [page_id])
    if row is None:
        raise UserError(f"Страница № {page_id} не найдена.")
    return _page(row)


def participant_pages(store: Store, participant_id: int) -> list[Page]:
    return [_page(r) for r in store.query(
        _SELECT + " WHERE p.participant_id = ? AND p.status = 'assigned' ORDER BY p.position, p.seq, p.id",
        [participant_id])]


def _queue_where(status: str, work_id: int | None) -> tuple[str, list[Any]]:
    if work_id is None:
        return " WHERE p.status = ?", [status]
    return " WHERE p.status = ? AND (p.work_id = ? OR p.work_id IS NULL)", [status, work_id]


def queue(store: Store, status: str = "unassigned", work_id: int | None = None) -> list[Page]:
    """Pages waiting for the coordinator: «Нераспознанные» (unassigned) or conflicts."""
    where, params = _queue_where(status, work_id)
    return [_page(r) for r in store.query(_SELECT + where + " ORDER BY p.batch_id, p.seq, p.id", params)]


def queue_size(store: Store, status: str = "unassigned", work_id: int | None = None) -> int:
    """How many pages `queue` would return (counted from the scan_pages(work_id, status) index)."""
    where, params = _queue_where(status, work_id)
    return int(store.scalar("SELECT COUNT(*) FROM scan_pages p" + where, params))


def image_file(store: Store, page: Page) -> Path:
    return store.path(page.image_path)


@dataclass
class ParticipantScans:
    participant_id: int
    code: str
    class_name: str
    absent: bool
    pages: list[Page]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "class": self.class_name, "absent": self.absent,
                "pages": [{"id": p.id, "sha256": p.sha256, "source": p.source, "rotation": p.rotation,
                           "title": p.is_title, "method": p.method} for p in self.pages]}


def work_scans(store: Store, work_id: int) -> list[ParticipantScans]:
    participants = store.query(
        """SELECT pa.id, pa.code, pa.absent, c.grade, c.letter FROM participants pa JOIN classes c ON c.id = pa.class_id
           WHERE pa.work_id = ? ORDER BY CAST(pa.code AS INTEGER)""", [work_id])
    pages: dict[int, list[Page]] = {}
    for row in store.query(_SELECT + " WHERE p.work_id = ? AND p.status = 'assigned' ORDER BY p.position, p.seq, p.id",
                           [work_id]):
        page = _page(row)
        pages.setdefault(page.participant_id or 0, []).append(page)
    return [ParticipantScans(r["id"], r["code"], class_display(r["grade"], r["letter"]), bool(r["absent"]),
                             pages.get(r["id"], [])) for r in participants]


def _participant_by_code(store: Store, work_id: int, code: str) -> dict[str, Any]:
    require_open(store, work_id)            # a closed school year's pages stay where they are
    row = store.one("SELECT id, code FROM participants WHERE work_id = ? AND code = ?", [work_id, code.strip()])
    if row is None:
        raise UserError(f"В протоколе этой работы нет участника с кодом {code.strip()}.")
    return row


def assign_page(store: Store, page_id: int, code: str, work_id: int | None = None, *, title: bool | None = None) -> Changes:
    """Give a page to a participant (from a queue, or move it from another participant)."""
    page = get_page(store, page_id)
    work_id = work_id or page.work_id
    if work_id is None:
        raise UserError("Не понятно, к какой работе относится страница: укажите работу.")
    participant = _participant_by_code(store, work_id, code)
    make_title = page.is_title if title is None else title
    if make_title:
        holder = store.scalar("SELECT id FROM scan_pages WHERE participant_id = ? AND is_title = 1 AND status = 'assigned' AND id != ?",
                              [participant["id"], page_id])
        if holder:
            make_title = False   # the participant keeps its title page; this one follows it
    last = store.scalar("SELECT MAX(position) FROM scan_pages WHERE participant_id = ? AND status = 'assigned'",
                        [participant["id"]])
    position = (0 if last is None else int(last) + 1) if not make_title else (
        min(0, int(store.scalar("SELECT COALESCE(MIN(position), 1) FROM scan_pages WHERE participant_id = ?",
                                [participant["id"]])) - 1))
    with store.atomic() as db:
        db["scan_pages"].update(page_id, {"work_id": work_id, "participant_id": participant["id"], "status": "assigned",
                                          "method": "manual", "position": position, "is_title": int(make_title),
                                          "note": None})
        audit.record(store, "scan.assign", "scan_pages", page_id, work_id=work_id, code=participant["code"],
                     old_code=page.code, old_status=page.status)
    return Changes.of(Topic.SCANS)


def mark_page(store: Store, page_id: int, status: str) -> Changes:
    """Mark a page blank or extra (kept, but not part of any participant's work), or back to the queue."""
    if status not in ("blank", "extra", "unassigned"):
        raise UserError("Страницу можно отметить только как пустую, лишнюю или вернуть в «Нераспознанные».")
    page = get_page(store, page_id)
    with store.atomic() as db:
        db["scan_pages"].update(page_id, {"status": status, "participant_id": None, "position": None, "is_title": 0,
                                          "method": "manual"})
        audit.record(store, "scan.mark", "scan_pages", page_id, old=page.status, new=status, old_code=page.code)
    return Changes.of(Topic.SCANS)


def rotate_page(store: Store, page_id: int, degrees: int) -> Changes:
    """Turn a page for viewing (metadata only: the stored image never changes)."""
    page = get_page(store, page_id)
    new = (page.rotation + degrees) % 360
    if new not in (0, 90, 180, 270):
        raise UserError("Страницу можно повернуть только на 90°, 180° или 270°.")
    with store.atomic() as db:
        db["scan_pages"].update(page_id, {"rotation": new})
        audit.record(store, "scan.rotate", "scan_pages", page_id, old=page.rotation, new=new)
    return Changes.of(Topic.SCANS)


def reorder_pages(store: Store, participant_id: int, page_ids: list[int]) -> Changes:
    current = [p.id for p in participant_pages(store, participant_id)]
    if sorted(current) != sorted(page_ids):
        raise UserError("Порядок страниц устарел: обновите список и повторите.")
    with store.atomic() as db:
        for position, page_id in enumerate(page_ids):
            db["scan_pages"].update(page_id, {"position": position, "is_title": int(position == 0)})
        audit.record(store, "scan.reorder", "participants", participant_id, old=current, new=page_ids)
    return Changes.of(Topic.SCANS)


def resolve_conflict(store: Store, page_id: int, keep: str) -> Changes:
    """Settle a second title page: `keep="new"` makes it the title (the old title becomes an
    ordinary page of the same participant), `keep="old"` moves it to the «Нераспознанные» queue."""
    page = get_page(store, page_id)
    if page.status != "conflict" or page.participant_id is None:
        raise UserError("Эта страница не спорная.")
    with store.atomic() as db:
        if keep == "new":
            db.execute("UPDATE scan_pages SET is_title = 0 WHERE participant_id = ? AND is_title = 1 AND status = 'assigned'",
                       [page.participant_id])
            first = store.scalar("SELECT COALESCE(MIN(position), 1) FROM scan_pages WHERE participant_id = ? AND status = 'assigned'",
                                 [page.participant_id])
            db["scan_pages"].update(page_id, {"status": "assigned", "is_title": 1, "position": int(first) - 1,
                                              "method": "manual", "note": None})
        elif keep == "old":
            db["scan_pages"].update(page_id, {"status": "unassigned", "participant_id": None, "is_title": 0,
                                              "note": f"был вторым титульным листом участника {page.code}"})
        else:
            raise UserError("Укажите, какой титульный лист оставить.")
        audit.record(store, "scan.conflict", "scan_pages", page_id, code=page.code, keep=keep)
    return Changes.of(Topic.SCANS)


def counts(store: Store, work_id: int | None = None) -> dict[str, int]:
    sql = "SELECT status, COUNT(*) AS n FROM scan_pages"
    params: list[Any] = []
    if work_id is not None:
        sql += " WHERE work_id = ?"
        params.append(work_id)
    result = {k: 0 for k in STATUS_RU}
    for row in store.query(sql + " GROUP BY status", params):
        result[row["status"]] = row["n"]
    return result


def expected_page_count(store: Store, work_id: int, people: list[ParticipantScans] | None = None) -> int | None:
    """Pages of one participant's work: as set on the work, else the most common count among the
    participants whose scans start with their title page (None: nothing to go by)."""
    from collections import Counter

    set_on_work = store.scalar("SELECT pages_per_work FROM works WHERE id = ?", [work_id])
    if set_on_work:
        return int(set_on_work)
    people = work_scans(store, work_id) if people is None else people
    counts = Counter(len(p.pages) for p in people if p.pages and p.pages[0].is_title)
    return counts.most_common(1)[0][0] if counts else None


def page_count_mismatches(store: Store, work_id: int,
                          people: list[ParticipantScans] | None = None) -> tuple[int | None, list[ParticipantScans]]:
    """(the expected page count, the participants with scans whose page count differs from it)."""
    people = work_scans(store, work_id) if people is None else people
    expected = expected_page_count(store, work_id, people)
    if expected is None:
        return None, []
    return expected, [p for p in people if p.pages and len(p.pages) != expected]
