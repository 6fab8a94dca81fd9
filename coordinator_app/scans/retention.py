"""Retention: a work's scans and audio are kept at least N days from the work's date, then purged.

Each stored page and audio file carries its own keep-until date, fixed by the database when it is
stored (the work's date + the period then in force) and never lowered afterwards (migration 7):
moving a work's date, shortening the period or clearing a page's work link shortens nothing.
Until that date nothing deletes them: this module refuses with the date from which it becomes
possible, and SQLite triggers refuse too, whatever code asks. After the date the
coordinator is offered the purge; it deletes the files and rows of that work, keeps an audit and a
`purges` record (work, number of files, every file's SHA-256, who, when) and prints the act
«Акт об уничтожении».
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import audit, settings
from ..changes import Changes, Topic
from ..errors import UserError
from ..fsutil import fsync_dir
from ..school import require_school
from ..storage import Store, now_iso
from ..words import days as days_text
from ..works import Work, get_work
from . import filestore


def retention_days(store: Store) -> int:
    return int(settings.get(store, "retention_days"))


def deletable_from(store: Store, work: Work) -> dt.date:
    """The first day all of the work's pages and audio may be deleted: the latest of their
    keep-until dates (the work's date + the period, for a work that holds nothing yet)."""
    keep = _keep_until(store, [work.id]).get(work.id)
    return keep or work.work_date + dt.timedelta(days=retention_days(store))


def _keep_until(store: Store, ids: list[int] | None = None) -> dict[int, dt.date]:
    """{work id: the latest keep-until date of its pages and audio}, for the works that hold any."""
    where = f"IN ({_marks(ids)})" if ids is not None else "IS NOT NULL"
    params = list(ids or []) * 2
    if ids is not None and not ids:
        return {}
    rows = store.query(
        f"""SELECT work_id, MAX(keep) AS keep FROM (
                SELECT work_id, MAX(keep_until) AS keep FROM scan_pages WHERE work_id {where} GROUP BY work_id
                UNION ALL
                SELECT work_id, MAX(keep_until) AS keep FROM audio_files WHERE work_id {where} GROUP BY work_id)
            GROUP BY work_id""", params)
    return {row["work_id"]: dt.date.fromisoformat(row["keep"]) for row in rows if row["keep"]}


def _basis(store: Store) -> str:
    days = retention_days(store)
    order = str(settings.get(store, "retention_order") or "").strip()
    return f"{days_text(days)} с даты проведения работы" + (f" ({order})" if order else "")


def check_deletable(store: Store, work: Work, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    since = deletable_from(store, work)
    if today < since:
        raise UserError(
            f"Сканы и аудиозаписи работы «{work.title}» хранятся {_basis(store)}. "
            f"Удалить или заменить их можно с {since:%d.%m.%Y}."
        )


def set_retention(store: Store, days: int, order: str) -> Changes:
    if not 1 <= int(days) <= 3650:
        raise UserError("Срок хранения — от 1 до 3650 дней.")
    changes = settings.set_value(store, "retention_days", int(days))
    return changes | settings.set_value(store, "retention_order", order.strip())


@dataclass
class StoredSet:
    """What a work holds in the store (pages, their files, audio)."""

    work: Work
    deletable_from: dt.date
    pages: int
    files: list[dict[str, Any]] = field(default_factory=list)      # originals wholly of this work
    audio: list[dict[str, Any]] = field(default_factory=list)

    @property
    def file_count(self) -> int:
        return len(self.files) + len(self.audio)

    def as_dict(self) -> dict[str, Any]:
        return {"work_id": self.work.id, "work": self.work.title, "deletable_from": self.deletable_from.isoformat(),
                "pages": self.pages, "files": self.file_count,
                "sha256": [f["sha256"] for f in self.files + self.audio]}


@dataclass
class PurgeCandidate:
    """A work whose retention date has passed and that still holds pages or audio: how much a
    purge would delete (counts only; `stored_set` lists the files themselves)."""

    work: Work
    deletable_from: dt.date
    pages: int
    scan_files: int             # originals wholly of this work
    audio: int

    @property
    def file_count(self) -> int:
        return self.scan_files + self.audio


# Every query below starts from an index: scan_pages(work_id, status) for a work's pages,
# scan_pages(file_id, page_no) for the pages of a file. The cost is linear in the pages of the
# works asked about (and of the files they lie in), never files x pages.
#
# A file is wholly of one work when every page of it has a work and it is the same work: a file
# shared with another work, or holding a page not yet given to any work, is kept whole.
_OWNED_FILES = """SELECT file_id, MIN(work_id) AS work_id FROM scan_pages
                  WHERE file_id IN (SELECT file_id FROM scan_pages WHERE work_id IN ({marks}))
                  GROUP BY file_id
                  HAVING COUNT(work_id) = COUNT(*) AND MIN(work_id) = MAX(work_id)"""


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _counts(store: Store, sql: str, ids: list[int]) -> dict[int, int]:
    return {row["work_id"]: int(row["n"]) for row in store.query(sql, ids)}


def _page_counts(store: Store, ids: list[int]) -> dict[int, int]:
    return _counts(store, f"SELECT work_id, COUNT(*) AS n FROM scan_pages WHERE work_id IN ({_marks(ids)}) GROUP BY work_id",
                   ids)


def stored_sets(store: Store, works: list[Work]) -> dict[int, StoredSet]:
    """What each of `works` holds, by work id: a few grouped queries whatever the number of works."""
    if not works:
        return {}
    days = retention_days(store)
    ids = [w.id for w in works]
    counts = _page_counts(store, ids)
    keep = _keep_until(store, ids)
    held = {w.id: StoredSet(w, keep.get(w.id) or w.work_date + dt.timedelta(days=days), counts.get(w.id, 0))
            for w in works}
    for row in store.query(
            f"""SELECT o.work_id, f.id, f.original_name AS name, f.sha256, f.size, f.stored_path
                FROM ({_OWNED_FILES.format(marks=_marks(ids))}) o JOIN scan_files f ON f.id = o.file_id
                ORDER BY f.id""", ids):
        held[row.pop("work_id")].files.append(row)
    for row in store.query(
            f"""SELECT work_id, id, original_name AS name, sha256, size, stored_path FROM audio_files
                WHERE work_id IN ({_marks(ids)}) ORDER BY id""", ids):
        held[row.pop("work_id")].audio.append(row)
    return held


def stored_set(store: Store, work: Work) -> StoredSet:
    return stored_sets(store, [work])[work.id]


def _expired_ids(store: Store, today: dt.date | None) -> list[int]:
    """Works that still hold pages or audio, every one of them past its keep-until date, in the
    order of `list_works` (one grouped pass over the keep-until index)."""
    today = today or dt.date.today()
    keep = _keep_until(store)
    if not keep:
        return []
    expired = {work_id for work_id, date in keep.items() if date <= today}
    return [row["id"] for row in store.query("SELECT id FROM works ORDER BY work_date, grade, subject, id")
            if row["id"] in expired]


def has_expired(store: Store, today: dt.date | None = None) -> bool:
    """Whether any work's scans or audio may be purged now (cheap: for enabling a button)."""
    return bool(_expired_ids(store, today))


def purge_candidates(store: Store, today: dt.date | None = None) -> list[PurgeCandidate]:
    """Every work whose retention date has passed and that holds pages or audio, with what a purge
    would delete, counted in the database (nothing per file comes back)."""
    ids = _expired_ids(store, today)
    if not ids:
        return []
    marks = _marks(ids)
    keep = _keep_until(store, ids)
    pages = _page_counts(store, ids)
    files = _counts(store, f"SELECT work_id, COUNT(*) AS n FROM ({_OWNED_FILES.format(marks=marks)}) GROUP BY work_id", ids)
    audio = _counts(store, f"SELECT work_id, COUNT(*) AS n FROM audio_files WHERE work_id IN ({marks}) GROUP BY work_id", ids)
    result = []
    for work_id in ids:
        work = get_work(store, work_id)
        result.append(PurgeCandidate(work, keep[work_id], pages.get(work_id, 0),
                                     files.get(work_id, 0), audio.get(work_id, 0)))
    return result


def expired_works(store: Store, today: dt.date | None = None) -> list[StoredSet]:
    """Every work whose retention date has passed and that holds pages or audio, with its files."""
    ids = _expired_ids(store, today)
    held = stored_sets(store, [get_work(store, i) for i in ids])
    return [held[i] for i in ids]


@dataclass
class PurgeResult:
    work_title: str
    pages: int
    files: int
    act_path: Path | None
    changes: Changes

    def as_dict(self) -> dict[str, Any]:
        return {"work": self.work_title, "pages": self.pages, "files": self.files,
                "act": str(self.act_path) if self.act_path else None}


def purge_work(store: Store, work_id: int, act_out: Path | None = None, today: dt.date | None = None) -> PurgeResult:
    """Delete a work's scans and audio after the retention date, with an act. The act is written
    first, under a pending name: if it cannot be written, nothing is deleted; if the deletion is
    refused (a page still within its keep-until date), the pending act is removed and no act says
    that anything was destroyed. It takes its name in the transaction that deletes the rows."""
    import os
    import sqlite3

    from ..formats.pdf.purge_act import ActData, write_purge_act  # start-up: the PDF writer loads reportlab

    work = get_work(store, work_id)
    check_deletable(store, work, today)
    held = stored_set(store, work)
    school = require_school(store)
    at = now_iso()
    act_out = Path(act_out or store.path(f"documents/acts/Акт_уничтожения_работа{work.id}_{at[:10]}.pdf"))
    pending = act_out.with_name(f".{act_out.name}.pending")
    write_purge_act(pending, ActData(
        school=school.name, director=school.director, work_title=work.title, work_date=work.work_date,
        basis=_basis(store), purged_at=at, actor=store.actor, pages=held.pages,
        files=[(f["name"], f["sha256"], int(f["size"])) for f in held.files + held.audio],
    ))
    page_rows = store.query("SELECT image_path, thumb_path FROM scan_pages WHERE work_id = ?", [work.id])
    rels = [r["image_path"] for r in page_rows] + [r["thumb_path"] for r in page_rows]
    rels += [f["stored_path"] for f in held.files + held.audio]
    details = {"files": [{"name": f["name"], "sha256": f["sha256"], "size": f["size"]} for f in held.files + held.audio],
               "pages": held.pages}
    # Rows go first, files after: a crash in between leaves files without rows, swept next time.
    try:
        with filestore.unfinished_writes(store.data_dir, store.db):
            with store.atomic() as db:
                db.execute("DELETE FROM scan_pages WHERE work_id = ?", [work.id])
                for f in held.files:
                    db.execute("DELETE FROM scan_files WHERE id = ?", [f["id"]])
                db.execute("DELETE FROM audio_files WHERE work_id = ?", [work.id])
                db["purges"].insert({"work_id": work.id, "work_title": work.title, "at": at, "actor": store.actor,
                                     "files": held.file_count, "details": json.dumps(details, ensure_ascii=False),
                                     "act_path": str(act_out)})
                audit.record(store, "scans.purge", "works", work.id, work=work.title, pages=held.pages,
                             files=held.file_count, sha256=[f["sha256"] for f in held.files + held.audio],
                             act=str(act_out))
                os.replace(pending, act_out)
                fsync_dir(act_out.parent)
            filestore.remove_if_unreferenced(store.data_dir, store.db, rels)
    except sqlite3.IntegrityError as err:
        if "retention" not in str(err):
            raise
        raise UserError(f"Сканы работы «{work.title}» ещё нельзя удалить: срок хранения части страниц не истёк "
                        f"(удалить можно с {deletable_from(store, work):%d.%m.%Y}). Акт об уничтожении не составлен."
                        ) from err
    finally:
        pending.unlink(missing_ok=True)
    return PurgeResult(work.title, held.pages, held.file_count, Path(act_out), Changes.of(Topic.SCANS))
