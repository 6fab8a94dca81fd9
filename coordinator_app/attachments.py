"""Files attached to a work: the criteria of each variant (scans or PDFs from ФИС ОКО), sent with
the re-check package. Stored content-addressed under `attachments/` and never changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes, Topic
from .classes import find_class
from .errors import UserError
from .fsutil import atomic_copy, sha256_file
from .storage import Store, now_iso
from .works import get_work

MAX_BYTES = 200 << 20


@dataclass
class Attachment:
    id: int
    work_id: int
    kind: str
    variant: str | None
    original_name: str
    stored_path: str
    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "variant": self.variant, "name": self.original_name,
                "sha256": self.sha256, "size": self.size}


def attach(store: Store, work_id: int, path: Path | str, *, variant: str | None = None,
           kind: str = "criteria") -> tuple[int, Changes]:
    work = get_work(store, work_id)
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Файл «{path}» не найден.")
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"Файл «{path.name}» больше 200 МБ.")
    if path.stat().st_size == 0:
        raise UserError(f"Файл «{path.name}» пустой.")
    sha = sha256_file(path)
    if store.scalar("SELECT 1 FROM work_attachments WHERE work_id = ? AND sha256 = ?", [work_id, sha]):
        raise UserError(f"Этот файл уже прикреплён к работе «{work.title}».")
    suffix = path.suffix.lower().lstrip(".") or "bin"
    rel = f"attachments/{sha[:2]}/{sha}.{suffix}"
    target = store.path(rel)
    if not target.exists():
        atomic_copy(path, target)
    with store.atomic() as db:
        attachment_id = db["work_attachments"].insert({
            "work_id": work_id, "kind": kind, "variant": (variant or "").strip() or None,
            "original_name": path.name, "stored_path": rel, "sha256": sha, "size": path.stat().st_size,
            "added_at": now_iso()}).last_pk
        audit.record(store, "attachment.add", "work_attachments", attachment_id, work_id=work_id,
                     name=path.name, sha256=sha, variant=variant)
    return int(attachment_id), Changes.of(Topic.WORKS)


def list_attachments(store: Store, work_id: int) -> list[Attachment]:
    return [Attachment(**{k: r[k] for k in Attachment.__dataclass_fields__})
            for r in store.query("SELECT * FROM work_attachments WHERE work_id = ? ORDER BY variant, id", [work_id])]


def remove(store: Store, attachment_id: int) -> Changes:
    row = store.one("SELECT * FROM work_attachments WHERE id = ?", [attachment_id])
    if row is None:
        raise UserError("Вложение не найдено.")
    with store.atomic() as db:
        db["work_attachments"].delete(attachment_id)
        audit.record(store, "attachment.remove", "work_attachments", attachment_id, work_id=row["work_id"],
                     name=row["original_name"], sha256=row["sha256"])
    if not store.scalar("SELECT 1 FROM work_attachments WHERE stored_path = ?", [row["stored_path"]]):
        store.path(row["stored_path"]).unlink(missing_ok=True)
    return Changes.of(Topic.WORKS)


def match_textbook(books: list[str], text: str) -> str | None:
    """The entry of the form's textbook list that `text` names: the entry itself, its number in
    the list (1, 2, …), or a piece of it found in one entry only (case and ё ignored); else the
    list's «другое», if it has one; else None."""
    wanted = " ".join(text.split())
    if wanted in books:
        return wanted
    if wanted.isdigit() and 1 <= int(wanted) <= len(books):
        return books[int(wanted) - 1]
    key = wanted.casefold().replace("ё", "е")
    found = [b for b in books if key and key in b.casefold().replace("ё", "е")]
    if len(found) == 1:
        return found[0]
    other = [b for b in books if b.rsplit("|", 1)[-1].strip().casefold() == "другое"]
    return other[0] if other and not found else None


def set_textbook(store: Store, work_id: int, class_name: str, textbook: str) -> Changes:
    """The textbook for the form's «Классы» sheet, chosen from the template's own list."""
    work = get_work(store, work_id)
    class_id = find_class(store, class_name)
    if class_id is None or class_id not in [cid for cid, _ in work.classes]:
        raise UserError(f"Класс {class_name} не пишет работу «{work.title}».")
    books = (work.template_info or {}).get("textbooks") or []
    if books and textbook not in books:
        raise UserError("Учебник нужно выбрать из списка формы ФИС ОКО.")
    with store.atomic() as db:
        db.execute("""INSERT INTO class_textbooks (work_id, class_id, textbook) VALUES (?, ?, ?)
                      ON CONFLICT (work_id, class_id) DO UPDATE SET textbook = excluded.textbook""",
                   [work_id, class_id, textbook])
        audit.record(store, "work.textbook", "works", work_id, class_name=class_name, textbook=textbook)
    return Changes.of(Topic.WORKS)


def textbooks(store: Store, work_id: int) -> dict[int, str]:
    """{class id: textbook}."""
    return {r["class_id"]: r["textbook"] for r in store.query(
        "SELECT class_id, textbook FROM class_textbooks WHERE work_id = ?", [work_id])}
