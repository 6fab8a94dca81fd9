"""Experts (teachers on the school commission): who they are, what they teach, which works they score.

Seed 004 §5.3: a teacher should not score the class they teach. Assigning an expert to a work of
a class they teach needs confirmation; the setting `forbid_own_class` refuses it outright.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import audit, settings
from .changes import Changes, Topic
from .classes import find_class
from .errors import UserError
from .names import class_display
from .storage import Store, now_iso
from .students import NeedsConfirmation
from .works import get_work


@dataclass
class Expert:
    id: int
    name: str
    subjects: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "subjects": self.subjects, "classes": self.classes}


def list_experts(store: Store) -> list[Expert]:
    classes: dict[int, list[str]] = {}
    for r in store.query("""SELECT ec.expert_id, c.grade, c.letter FROM expert_classes ec JOIN classes c ON c.id = ec.class_id
                            ORDER BY c.grade, c.letter"""):
        classes.setdefault(r["expert_id"], []).append(class_display(r["grade"], r["letter"]))
    return [Expert(r["id"], r["name"], json.loads(r["subjects"]), classes.get(r["id"], []))
            for r in store.query("SELECT * FROM experts ORDER BY name COLLATE RU")]


def get_expert(store: Store, expert_id: int) -> Expert:
    for expert in list_experts(store):
        if expert.id == expert_id:
            return expert
    raise UserError("Эксперт не найден.")


def save_expert(store: Store, name: str, subjects: list[str], classes: list[str],
                expert_id: int | None = None) -> tuple[int, Changes]:
    name = " ".join(name.split())
    if not name:
        raise UserError("Укажите ФИО эксперта.")
    class_ids, missing = [], []
    for raw in classes:
        class_id = find_class(store, raw)
        (missing.append(raw) if class_id is None else class_ids.append(class_id))
    if missing:
        raise UserError(f"Классов {', '.join(missing)} нет в программе.")
    clash = store.scalar("SELECT id FROM experts WHERE name = ? AND id IS NOT ?", [name, expert_id])
    if clash:
        raise UserError(f"Эксперт «{name}» уже есть.")
    subjects = [" ".join(s.split()) for s in subjects if s.strip()]
    with store.atomic() as db:
        if expert_id is None:
            expert_id = int(db["experts"].insert({"name": name, "subjects": json.dumps(subjects, ensure_ascii=False),
                                                  "created_at": now_iso()}).last_pk)
        else:
            db["experts"].update(expert_id, {"name": name, "subjects": json.dumps(subjects, ensure_ascii=False)})
        db.execute("DELETE FROM expert_classes WHERE expert_id = ?", [expert_id])
        for class_id in class_ids:
            db["expert_classes"].insert({"expert_id": expert_id, "class_id": class_id})
        audit.record(store, "expert.save", "experts", expert_id, name=name, subjects=subjects, classes=classes)
    return expert_id, Changes.of(Topic.EXPERTS)


def delete_expert(store: Store, expert_id: int) -> Changes:
    expert = get_expert(store, expert_id)
    with store.atomic() as db:
        db.execute("DELETE FROM work_experts WHERE expert_id = ?", [expert_id])
        db.execute("DELETE FROM expert_classes WHERE expert_id = ?", [expert_id])
        db["experts"].delete(expert_id)
        audit.record(store, "expert.delete", "experts", expert_id, name=expert.name)
    return Changes.of(Topic.EXPERTS)


def own_classes_in_work(store: Store, expert_id: int, work_id: int) -> list[str]:
    work = get_work(store, work_id)
    teaches = set(get_expert(store, expert_id).classes)
    return [name for _, name in work.classes if name in teaches]


def assign_expert(store: Store, work_id: int, expert_id: int, *, force: bool = False) -> Changes:
    expert = get_expert(store, expert_id)
    own = own_classes_in_work(store, expert_id, work_id)
    if own:
        text = (f"{expert.name} преподаёт в классах этой работы ({', '.join(own)}). Положение о проведении ВПР "
                "рекомендует не поручать учителю проверку работ своего класса.")
        if settings.get(store, "forbid_own_class"):
            raise UserError(text + " В настройках это запрещено.")
        if not force:
            raise NeedsConfirmation(text + " Всё равно назначить?")
    with store.atomic() as db:
        db.execute("INSERT OR IGNORE INTO work_experts (work_id, expert_id) VALUES (?, ?)", [work_id, expert_id])
        audit.record(store, "expert.assign", "works", work_id, expert=expert.name, own_classes=own)
    return Changes.of(Topic.EXPERTS)


def unassign_expert(store: Store, work_id: int, expert_id: int) -> Changes:
    with store.atomic() as db:
        db.execute("DELETE FROM work_experts WHERE work_id = ? AND expert_id = ?", [work_id, expert_id])
        audit.record(store, "expert.unassign", "works", work_id, expert_id=expert_id)
    return Changes.of(Topic.EXPERTS)


def work_experts(store: Store, work_id: int) -> list[Expert]:
    ids = {r["expert_id"] for r in store.query("SELECT expert_id FROM work_experts WHERE work_id = ?", [work_id])}
    return [e for e in list_experts(store) if e.id in ids]
