"""Pupils: add, edit, move, delete by hand, and import of the school's lists.

Matching rule when a list is imported again (docs/architecture.md repeats it):
1. same ФИО (case-insensitive, «ё» = «е») in the same class → the same pupil; namesakes in one
   class are paired in the order they were added;
2. otherwise the same ФИО in the same grade, unique among the not-yet-matched pupils of that
   grade both in the file and in the database → the same pupil, moved to the new class;
3. otherwise a new pupil.
Pupils missing from the file are never deleted (a file may hold one class only); they are counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import audit
from .changes import Changes, Topic
from .classes import ensure_class
from .errors import UserError
from .names import class_display, name_key, normalize_class_name, normalize_gender, normalize_person_part
from .storage import Store, now_iso
from .words import counted

if TYPE_CHECKING:
    from .formats.pupil_list import ParsedPupilList

STUDENT_COLUMNS = """s.id, s.surname, s.name, s.patronymic, s.gender, s.code, s.class_id,
                     c.grade, c.letter, s.birth_date"""


class NeedsConfirmation(UserError):
    """The action is allowed but must be confirmed (GUI: a question; CLI: --force)."""


@dataclass
class Student:
    id: int
    surname: str
    name: str
    patronymic: str
    gender: str | None
    code: str | None
    class_id: int
    grade: int
    letter: str
    birth_date: str | None = None   # ISO, from the pupil list

    @property
    def birth_text(self) -> str:
        """«12.03.2013», or "" when unknown."""
        if not self.birth_date:
            return ""
        year, month, day = self.birth_date.split("-")
        return f"{day}.{month}.{year}"

    @property
    def class_name(self) -> str:
        return class_display(self.grade, self.letter)

    @property
    def fio(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "surname": self.surname,
            "name": self.name,
            "patronymic": self.patronymic,
            "class": self.class_name,
            "gender": self.gender,
            "code": self.code,
            "birth_date": self.birth_date,
        }


def _student(row: dict[str, Any]) -> Student:
    return Student(**row)


def list_students(store: Store, class_id: int | None = None, search: str = "", *,
                  left: bool = False) -> list[Student]:
    """The school's pupils now (`left=True`: those marked as left, kept for past works)."""
    sql = f"SELECT {STUDENT_COLUMNS} FROM students s JOIN classes c ON c.id = s.class_id"
    where, params = ["s.left_at IS NOT NULL" if left else "s.left_at IS NULL"], []
    if class_id is not None:
        where.append("s.class_id = ?")
        params.append(class_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY c.grade, c.letter, s.surname COLLATE RU, s.name COLLATE RU, s.patronymic COLLATE RU, s.id"
    students = [_student(r) for r in store.query(sql, params)]
    if search:
        needle = name_key(search, "", "").strip()
        students = [
            s for s in students
            if needle in name_key(s.surname, s.name, s.patronymic) or needle in (s.code or "")
            or needle == s.class_name.casefold()
        ]
    return students


def get_student(store: Store, student_id: int) -> Student:
    row = store.one(
        f"SELECT {STUDENT_COLUMNS} FROM students s JOIN classes c ON c.id = s.class_id WHERE s.id = ?",
        [student_id],
    )
    if row is None:
        raise UserError("Ученик не найден (возможно, его уже удалили).")
    return _student(row)


def _clean_fields(surname: str, name: str, patronymic: str, gender: str | None) -> dict[str, Any]:
    fields = {
        "surname": normalize_person_part(surname),
        "name": normalize_person_part(name),
        "patronymic": normalize_person_part(patronymic or ""),
        "gender": normalize_gender(gender),
    }
    problems = []
    if not fields["surname"]:
        problems.append("Укажите фамилию.")
    if not fields["name"]:
        problems.append("Укажите имя.")
    if problems:
        raise UserError("Ученик не сохранён.", details=problems)
    return fields


def _school_year(store: Store) -> str | None:
    """The current school year: a pupil added, moved or named by a list now is this year's pupil."""
    return store.scalar("SELECT academic_year FROM school WHERE id = 1")


def add_student(
    store: Store, surname: str, name: str, patronymic: str, class_name: str, gender: str | None = None
) -> tuple[int, Changes]:
    fields = _clean_fields(surname, name, patronymic, gender)
    stamp = now_iso()
    with store.atomic() as db:
        class_id = ensure_class(store, class_name)
        student_id = db["students"].insert(
            {**fields, "class_id": class_id, "code": None, "created_at": stamp, "updated_at": stamp,
             "listed_year": _school_year(store)}
        ).last_pk
        audit.record(store, "student.create", "students", student_id, class_id=class_id, gender=fields["gender"])
    return int(student_id), Changes.of(Topic.STUDENTS, Topic.CLASSES)


def update_student(
    store: Store,
    student_id: int,
    *,
    surname: str,
    name: str,
    patronymic: str,
    gender: str | None,
    class_name: str | None = None,
) -> Changes:
    old = get_student(store, student_id)
    fields = _clean_fields(surname, name, patronymic, gender)
    changes = Changes.of(Topic.STUDENTS)
    with store.atomic() as db:
        db["students"].update(student_id, {**fields, "updated_at": now_iso()})
        before = {"surname": old.surname, "name": old.name, "patronymic": old.patronymic, "gender": old.gender}
        changed = audit.diff(before, fields)
        if changed:
            audit.record(store, "student.update", "students", student_id, code=old.code, changed=changed)
        if class_name is not None and normalize_class_name(class_name) != (old.grade, old.letter):
            changes = changes | move_student(store, student_id, class_name)
    return changes


def _participations(store: Store, student_id: int) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM participants WHERE student_id = ?", [student_id]))


def move_student(store: Store, student_id: int, class_name: str) -> Changes:
    """Move a pupil to another class. A pupil with a code keeps it within the grade; moving to
    another grade drops an unused code and is refused once the code is used in a work."""
    student = get_student(store, student_id)
    grade, letter = normalize_class_name(class_name)
    if (grade, letter) == (student.grade, student.letter):
        return Changes()
    new_code = student.code
    if grade != student.grade and student.code:
        if _participations(store, student_id):
            raise UserError(
                f"У ученика код {student.code} для {student.grade} класса, и он уже участвует в работах. "
                f"Перевод в {grade} класс невозможен: добавьте ученика в {class_display(grade, letter)} заново."
            )
        new_code = None
    with store.atomic() as db:
        class_id = ensure_class(store, class_name)
        db["students"].update(student_id, {"class_id": class_id, "code": new_code, "updated_at": now_iso(),
                                           "listed_year": _school_year(store)})
        audit.record(
            store, "student.move", "students", student_id,
            old_class=student.class_name, new_class=class_display(grade, letter),
            code=student.code, code_dropped=new_code != student.code,
        )
    return Changes.of(Topic.STUDENTS, Topic.CLASSES)


def delete_student(store: Store, student_id: int, *, force: bool = False) -> Changes:
    student = get_student(store, student_id)
    works = _participations(store, student_id)
    stored = store.scalar(
        """SELECT COUNT(*) FROM scan_pages WHERE participant_id IN (SELECT id FROM participants WHERE student_id = ?)""",
        [student_id]) + store.scalar(
        """SELECT COUNT(*) FROM audio_files WHERE participant_id IN (SELECT id FROM participants WHERE student_id = ?)""",
        [student_id])
    if store.scalar("""SELECT COUNT(*) FROM scores WHERE participant_id IN
                       (SELECT id FROM participants WHERE student_id = ?)""", [student_id]):
        raise UserError(f"У ученика с кодом {student.code} есть баллы за работы: удалить его нельзя.")
    if stored:
        raise UserError(
            f"У ученика с кодом {student.code} есть сканы работ. Удалить его можно только после окончания срока "
            "хранения сканов."
        )
    if works and not force:
        raise NeedsConfirmation(
            f"Ученик с кодом {student.code} записан в протоколы работ ({works}). "
            "Удалить его вместе с участием в этих работах?"
        )
    with store.atomic() as db:
        db.execute("DELETE FROM participants WHERE student_id = ?", [student_id])
        db["students"].delete(student_id)
        audit.record(
            store, "student.delete", "students", student_id,
            code=student.code, class_name=student.class_name, participations=works,
        )
    return Changes.of(Topic.STUDENTS, Topic.CLASSES, Topic.PARTICIPANTS)


# -- import ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    classes_created: list[str] = field(default_factory=list)
    not_in_file: int = 0
    not_in_new_lists: int = 0          # last year's pupils no list of the new year has named yet
    changes: Changes = field(default_factory=Changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "classes_created": self.classes_created,
            "not_in_file": self.not_in_file,
            "not_in_new_lists": self.not_in_new_lists,
        }

    def summary(self) -> str:
        parts = [f"добавлено: {self.created}", f"обновлено: {self.updated}", f"переведено: {self.moved}",
                 f"без изменений: {self.unchanged}"]
        text = "Импорт выполнен — " + ", ".join(parts) + "."
        if self.classes_created:
            text += " Новые классы: " + ", ".join(self.classes_created) + "."
        if self.not_in_file:
            text += f" Учеников нет в файле (оставлены как были): {self.not_in_file}."
        if self.not_in_new_lists:
            text += (f" Учеников прошлого года, которых пока нет ни в одном списке нового года: "
                     f"{self.not_in_new_lists}. Когда импортируете все списки, отметьте их выбывшими.")
        return text


def _refuse_problem_rows(parsed: ParsedPupilList) -> None:
    """A list with any row problem, or without pupils, is refused whole."""
    bad = parsed.problem_rows
    if bad:
        details = [f"строка {r.row_number}: {'; '.join(r.problems)}" for r in bad[:50]]
        if len(bad) > 50:
            details.append(f"… и ещё {counted(len(bad) - 50, 'строка', 'строки', 'строк')}")
        raise UserError(
            f"Файл не импортирован: строк с ошибками — {len(bad)}. Исправьте их в файле и повторите.",
            details=details,
        )
    if not parsed.rows:
        raise UserError("В файле нет ни одного ученика.")


def _match_rows(existing: list[Student], rows: list[Any],
                carried: set[int] | None = None) -> tuple[list[tuple[Any, Student | None]], set[int]]:
    """Each row's pupil already stored (None: a new pupil), and the ids matched: first by ФИО in
    the same class, then by ФИО in the grade when exactly one pupil there and one row in the file
    have it (a pupil moved to a parallel class), then — for the pupils carried over from last year
    (`carried`), the new year's lists — by ФИО one grade lower, unique on both sides (moved up)."""
    by_class: dict[tuple[int, str, str], list[Student]] = defaultdict(list)
    by_grade: dict[tuple[int, str], list[Student]] = defaultdict(list)
    for s in existing:
        key = name_key(s.surname, s.name, s.patronymic)
        by_class[(s.grade, s.letter, key)].append(s)
        by_grade[(s.grade, key)].append(s)
    matched: set[int] = set()
    plan: list[tuple[Any, Student | None]] = []
    leftovers = []
    for row in rows:
        key = name_key(row.surname, row.name, row.patronymic)
        candidates = [s for s in by_class[(row.grade, row.letter, key)] if s.id not in matched]
        if candidates:
            matched.add(candidates[0].id)
            plan.append((row, candidates[0]))
        else:
            leftovers.append((row, key))
    file_grade_counts: dict[tuple[int, str], int] = defaultdict(int)
    for row, key in leftovers:
        file_grade_counts[(row.grade, key)] += 1
    unmatched = []
    for row, key in leftovers:
        candidates = [s for s in by_grade[(row.grade, key)] if s.id not in matched]
        if len(candidates) == 1 and file_grade_counts[(row.grade, key)] == 1:
            matched.add(candidates[0].id)
            plan.append((row, candidates[0]))
        else:
            unmatched.append((row, key))
    for row, key in unmatched:
        below = [s for s in by_grade[(row.grade - 1, key)] if s.id not in matched and s.id in (carried or ())]
        if len(below) == 1 and file_grade_counts[(row.grade, key)] == 1:
            matched.add(below[0].id)
            plan.append((row, below[0]))
        else:
            plan.append((row, None))
    return plan, matched


def _update_pupil(store: Store, db: Any, row: Any, student: Student, class_id: int, stamp: str,
                  result: ImportResult, carried: bool = False) -> None:
    """A stored pupil as the list has them now: ФИО, gender, date of birth, class (a move)."""
    update: dict[str, Any] = {}
    before = {"surname": student.surname, "name": student.name, "patronymic": student.patronymic,
              "gender": student.gender}
    after = {"surname": row.surname, "name": row.name, "patronymic": row.patronymic,
             "gender": row.gender or student.gender}
    changed = audit.diff(before, after)
    if changed:
        update.update(after)
    if row.birth_date and row.birth_date != store.scalar("SELECT birth_date FROM students WHERE id = ?",
                                                         [student.id]):
        update["birth_date"] = row.birth_date
    moved = (row.grade, row.letter) != (student.grade, student.letter)
    if moved:
        update["class_id"] = class_id
        changed["class"] = [student.class_name, class_display(row.grade, row.letter)]
    if carried:                        # named by a list of the new year: not a leaver
        db.execute("UPDATE students SET listed_year = (SELECT academic_year FROM school WHERE id = 1) "
                   "WHERE id = ?", [student.id])
    if not update:
        result.unchanged += 1
        return
    update["updated_at"] = stamp
    db["students"].update(student.id, update)
    audit.record(store, "student.import_update", "students", student.id, code=student.code, changed=changed)
    if moved:
        result.moved += 1
    else:
        result.updated += 1


def import_pupils(store: Store, parsed: ParsedPupilList) -> ImportResult:
    """Save a parsed list, all or nothing. A list with any row problem is refused whole."""
    _refuse_problem_rows(parsed)
    from .school_years import carried_over

    existing = list_students(store)
    carried = carried_over(store)
    plan, matched = _match_rows(existing, parsed.rows, carried)
    known_classes = {(c["grade"], c["letter"]) for c in store.query("SELECT grade, letter FROM classes")}
    result = ImportResult()
    stamp = now_iso()
    with store.atomic() as db:
        for row, student in plan:
            if (row.grade, row.letter) not in known_classes:
                known_classes.add((row.grade, row.letter))
                result.classes_created.append(class_display(row.grade, row.letter))
            class_id = ensure_class(store, class_display(row.grade, row.letter))
            if student is not None:
                _update_pupil(store, db, row, student, class_id, stamp, result, student.id in carried)
                continue
            new_id = db["students"].insert(
                {"surname": row.surname, "name": row.name, "patronymic": row.patronymic, "gender": row.gender,
                 "class_id": class_id, "code": None, "birth_date": row.birth_date, "created_at": stamp,
                 "updated_at": stamp, "listed_year": _school_year(store)}
            ).last_pk
            audit.record(store, "student.import", "students", new_id, class_id=class_id, source=parsed.source.name)
            result.created += 1
        audit.record(store, "students.import", "students", None, file=parsed.source.name, **result.as_dict())
    result.not_in_file = len(existing) - len(matched)
    result.not_in_new_lists = len(carried_over(store)) if carried else 0
    result.changes = Changes.of(Topic.STUDENTS, Topic.CLASSES)
    return result


def namesake_birth_dates(store: Store) -> dict[int, str]:
    """{student id: «12.03.2015»} for the pupils who share their ФИО with another pupil of their
    class and whose date of birth is known: what tells them apart in the protocol and the lists."""
    # Read as plain tuples, and a cheap key first (class, surname without case and «ё»; stored
    # surnames are already normalised): the full key is computed for the few who may be namesakes.
    # A protocol of a 1500-pupil school is read often (every page showing one): 0.2 s became 5 ms.
    rough: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in store.conn.execute("SELECT id, class_id, surname, name, patronymic, birth_date FROM students"):
        rough.setdefault((row[1], row[2].casefold().replace("ё", "е").strip()), []).append(row)
    groups: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for candidates in rough.values():
        if len(candidates) < 2 or not any(r[5] for r in candidates):
            continue
        for row in candidates:
            groups.setdefault((row[1], name_key(row[2], row[3], row[4])), []).append(row)
    result = {}
    for same in groups.values():
        if len(same) < 2:
            continue
        for row in same:
            if row[5]:
                year, month, day = row[5].split("-")
                result[row[0]] = f"{day}.{month}.{year}"
    return result
