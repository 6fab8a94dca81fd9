"""Retention: a work's scans and audio are kept at least N days from the work's date, then purged.

Until the date nothing deletes them: this module refuses with the date from which it becomes
possible, and SQLite triggers (migration 2) refuse too, whatever code asks. After the date the
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
from ..changes import Changes
from ..errors import UserError
from ..storage import Store, now_iso
from ..works import Work, get_work, list_works
from . import filestore

SCANS = "scans"


def retention_days(store: Store) -> int:
    return int(settings.get(store, "retention_days"))


def deletable_from(store: Store, work: Work) -> dt.date:
    return work.work_date + dt.timedelta(days=retention_days(store))


def _basis(store: Store) -> str:
    days = retention_days(store)
    order = str(settings.get(store, "retention_order") or "").strip()
    return f"{days} дней с даты проведения работы" + (f" ({order})" if order else "")


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


def stored_set(store: Store, work: Work) -> StoredSet:
    pages = int(store.scalar("SELECT COUNT(*) FROM scan_pages WHERE work_id = ?", [work.id]))
    files = store.query(
        """SELECT f.id, f.original_name AS name, f.sha256, f.size, f.stored_path FROM scan_files f
           WHERE EXISTS (SELECT 1 FROM scan_pages p WHERE p.file_id = f.id AND p.work_id = ?)
             AND NOT EXISTS (SELECT 1 FROM scan_pages p WHERE p.file_id = f.id
                             AND (p.work_id IS NULL OR p.work_id != ?))
           ORDER BY f.id""", [work.id, work.id])
    audio = store.query("SELECT id, original_name AS name, sha256, size, stored_path FROM audio_files WHERE work_id = ? ORDER BY id",
                        [work.id])
    return StoredSet(work, deletable_from(store, work), pages, files, audio)


def expired_works(store: Store, today: dt.date | None = None) -> list[StoredSet]:
    today = today or dt.date.today()
    result = []
    for work in list_works(store):
        if deletable_from(store, work) <= today:
            held = stored_set(store, work)
            if held.pages or held.audio:
                result.append(held)
    return result


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
    first: if it cannot be written, nothing is deleted."""
    from ..exports.purge_act_pdf import ActData, write_purge_act
    from ..school import require_school

    work = get_work(store, work_id)
    check_deletable(store, work, today)
    held = stored_set(store, work)
    school = require_school(store)
    at = now_iso()
    act_out = act_out or store.path(f"documents/acts/Акт_уничтожения_работа{work.id}_{at[:10]}.pdf")
    write_purge_act(Path(act_out), ActData(
        school=school.name, director=school.director, work_title=work.title, work_date=work.work_date,
        basis=_basis(store), purged_at=at, actor=store.actor, pages=held.pages,
        files=[(f["name"], f["sha256"], int(f["size"])) for f in held.files + held.audio],
    ))
    page_rows = store.query("SELECT image_path, thumb_path FROM scan_pages WHERE work_id = ?", [work.id])
    rels = [r["image_path"] for r in page_rows] + [r["thumb_path"] for r in page_rows]
    rels += [f["stored_path"] for f in held.files + held.audio]
    details = {"files": [{"name": f["name"], "sha256": f["sha256"], "size": f["size"]} for f in held.files + held.audio],
               "pages": held.pages}
    with store.atomic() as db:
        db.execute("DELETE FROM scan_pages WHERE work_id = ?", [work.id])
        for f in held.files:
            db.execute("DELETE FROM scan_files WHERE id = ?", [f["id"]])
        db.execute("DELETE FROM audio_files WHERE work_id = ?", [work.id])
        db["purges"].insert({"work_id": work.id, "work_title": work.title, "at": at, "actor": store.actor,
                             "files": held.file_count, "details": json.dumps(details, ensure_ascii=False),
                             "act_path": str(act_out)})
        audit.record(store, "scans.purge", "works", work.id, work=work.title, pages=held.pages,
                     files=held.file_count, sha256=[f["sha256"] for f in held.files + held.audio], act=str(act_out))
    filestore.remove_if_unreferenced(store.data_dir, store.db, rels)
    return PurgeResult(work.title, held.pages, held.file_count, Path(act_out), Changes.of(SCANS))
