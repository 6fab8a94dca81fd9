"""Classes of the school: grade + letter («4А») and the ordinal used by the ФИС ОКО form.

The ordinal («Порядковый номер класса») is 1, 2, 3 … within a grade. By default it follows the
letter order (4А → 1, 4Б → 2); the coordinator may set it by hand, and a hand-set value wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .names import class_display, normalize_class_name
from .storage import Store


@dataclass
class ClassInfo:
    id: int
    grade: int
    letter: str
    ordinal: int          # effective ordinal (hand-set or by letter order)
    ordinal_manual: bool
    pupils: int

    @property
    def name(self) -> str:
        return class_display(self.grade, self.letter)


def find_class(store: Store, raw_name: str) -> int | None:
    grade, letter = normalize_class_name(raw_name)
    return store.scalar("SELECT id FROM classes WHERE grade = ? AND letter = ?", [grade, letter])


def ensure_class(store: Store, raw_name: str) -> int:
    """Id of the class, creating it if new. Call inside the caller's transaction."""
    grade, letter = normalize_class_name(raw_name)
    existing = store.scalar("SELECT id FROM classes WHERE grade = ? AND letter = ?", [grade, letter])
    if existing is not None:
        return int(existing)
    class_id = store.db["classes"].insert({"grade": grade, "letter": letter, "ordinal": None}).last_pk
    audit.record(store, "class.create", "classes", class_id, name=class_display(grade, letter))
    return int(class_id)


def add_class(store: Store, raw_name: str) -> tuple[int, Changes]:
    if find_class(store, raw_name) is not None:
        raise UserError(f"Класс {class_display(*normalize_class_name(raw_name))} уже есть.")
    with store.atomic():
        class_id = ensure_class(store, raw_name)
    return class_id, Changes.of(Topic.CLASSES)


def list_classes(store: Store, grade: int | None = None) -> list[ClassInfo]:
    rows = store.query(
        """SELECT c.id, c.grade, c.letter, c.ordinal,
                  (SELECT COUNT(*) FROM students s WHERE s.class_id = c.id AND s.left_at IS NULL) AS pupils
           FROM classes c ORDER BY c.grade, c.letter"""
    )
    result: list[ClassInfo] = []
    by_grade: dict[int, list[dict]] = {}
    for row in rows:
        by_grade.setdefault(row["grade"], []).append(row)
    for g, items in sorted(by_grade.items()):
        if grade is not None and g != grade:
            continue
        taken = {r["ordinal"] for r in items if r["ordinal"] is not None}
        next_auto = 1
        for row in items:
            if row["ordinal"] is not None:
                ordinal, manual = row["ordinal"], True
            else:
                while next_auto in taken:
                    next_auto += 1
                ordinal, manual = next_auto, False
                taken.add(next_auto)
            result.append(ClassInfo(row["id"], row["grade"], row["letter"], ordinal, manual, row["pupils"]))
    return result


def class_by_id(store: Store, class_id: int) -> ClassInfo:
    for info in list_classes(store):
        if info.id == class_id:
            return info
    raise UserError("Класс не найден.")


def set_ordinal(store: Store, class_id: int, ordinal: int | None) -> Changes:
    info = class_by_id(store, class_id)
    if ordinal is not None:
        if ordinal < 1 or ordinal > 50:
            raise UserError("Порядковый номер класса должен быть от 1 до 50.")
        clash = store.scalar(
            "SELECT letter FROM classes WHERE grade = ? AND ordinal = ? AND id != ?",
            [info.grade, ordinal, class_id],
        )
        if clash is not None:
            raise UserError(
                f"Порядковый номер {ordinal} уже у класса {class_display(info.grade, clash)}."
            )
    with store.atomic() as db:
        db["classes"].update(class_id, {"ordinal": ordinal})
        audit.record(store, "class.ordinal", "classes", class_id, old=info.ordinal, new=ordinal)
    return Changes.of(Topic.CLASSES)


def delete_class(store: Store, class_id: int) -> Changes:
    info = class_by_id(store, class_id)
    if info.pupils:
        raise UserError(f"В классе {info.name} есть ученики ({info.pupils}). Сначала переведите или удалите их.")
    if store.scalar("SELECT COUNT(*) FROM work_classes WHERE class_id = ?", [class_id]):
        raise UserError(f"Класс {info.name} участвует в работах. Сначала уберите его из работ.")
    with store.atomic() as db:
        db["classes"].delete(class_id)
        audit.record(store, "class.delete", "classes", class_id, name=info.name)
    return Changes.of(Topic.CLASSES)
