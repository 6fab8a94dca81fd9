"""Participant codes and the per-work participant list (the electronic protocol).

Rules (DOMAIN.md «Participant codes»):
- five digits, the first is the grade: grade 4 → 40001, 40002 …; grades 10 and 11 have no
  digit of their own, so they share the prefix 1 (10 → 10001–14999, 11 → 15001–19999;
  UNCONFIRMED, see `code_range`);
- handed out consecutively, class by class in class order, pupils in protocol order (ФИО), so each
  class holds a contiguous range at the first assignment;
- a code once given never changes and is never given again, even after its pupil is deleted:
  the last code given per grade is remembered (`settings: code_counter.<grade>`);
- with `one_code_per_year` (default) the code belongs to the pupil for every work of the year;
  otherwise every work numbers its own participants.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import audit, settings
from .changes import Changes, Topic
from .errors import UserError
from .formats.fisoko.vocabulary import is_code
from .names import class_display, name_key, normalize_class_name
from .school_years import OPEN_WORKS_SQL, academic_year_of, closed_work_ids, closed_years, require_open
from .storage import Store
from .students import get_student, namesake_birth_dates
from .works import Work, get_work, list_works


def code_range(grade: int) -> tuple[int, int]:
    if 4 <= grade <= 9:
        return grade * 10000 + 1, grade * 10000 + 9999
    if grade == 10:
        return 10001, 14999
    if grade == 11:
        return 15001, 19999
    raise UserError(f"Для {grade} класса коды участников ВПР не выдаются.")


def _counter_key(grade: int, work_id: int | None = None) -> str:
    return f"code_counter.{grade}" if work_id is None else f"code_counter.work{work_id}"


def _last_given(store: Store, grade: int, work_id: int | None) -> int:
    lo, hi = code_range(grade)
    remembered = settings.get(store, _counter_key(grade, work_id)) or 0
    if work_id is None:
        in_use = store.scalar(
            "SELECT MAX(CAST(code AS INTEGER)) FROM students WHERE CAST(code AS INTEGER) BETWEEN ? AND ?",
            [lo, hi],
        )
    else:
        in_use = store.scalar("SELECT MAX(CAST(code AS INTEGER)) FROM participants WHERE work_id = ?", [work_id])
    return max(int(remembered), int(in_use or 0), lo - 1)


def _remember(store: Store, grade: int, work_id: int | None, last: int) -> None:
    store.db["settings"].upsert({"key": _counter_key(grade, work_id), "value": json.dumps(last)}, pk="key")


def _next_codes(store: Store, grade: int, count: int, work_id: int | None) -> list[str]:
    lo, hi = code_range(grade)
    last = _last_given(store, grade, work_id)
    if last + count > hi:
        raise UserError(f"Для {grade} класса закончились коды (последний возможный — {hi}).")
    return [str(last + i) for i in range(1, count + 1)]


@dataclass
class AssignResult:
    assigned: int = 0                 # new codes given
    participants_added: int = 0
    works: int = 0                    # works whose participant list grew
    by_class: dict[str, tuple[str, str]] = field(default_factory=dict)   # class → (first, last) new code
    changes: Changes = field(default_factory=Changes)

    def as_dict(self) -> dict[str, Any]:
        return {"assigned": self.assigned, "participants_added": self.participants_added,
                "ranges": {k: list(v) for k, v in self.by_class.items()}}

    def summary(self) -> str:
        if not self.assigned and not self.participants_added:
            return "Новых кодов не понадобилось: у всех учеников коды уже есть."
        text = f"Выдано новых кодов: {self.assigned}."
        if self.by_class:
            # one new code is «40101», not «40101–40101»
            text += " " + "; ".join(f"{c}: {a}" if a == b else f"{c}: {a}–{b}" for c, a, b in
                                    ((c, *r) for c, r in self.by_class.items())) + "."
        if self.participants_added and self.works > 1:
            text += f" Добавлено в протоколы работ ({self.works}): {self.participants_added}."
        elif self.participants_added:
            text += f" Добавлено в протокол работы: {self.participants_added}."
        return text


def _pupils_in_order(store: Store, class_ids: list[int] | None = None) -> list[dict[str, Any]]:
    sql = """SELECT s.id, s.code, s.class_id, c.grade, c.letter FROM students s
             JOIN classes c ON c.id = s.class_id WHERE s.left_at IS NULL"""
    params: list[Any] = []
    if class_ids is not None:
        if not class_ids:
            return []
        sql += f" AND s.class_id IN ({','.join('?' * len(class_ids))})"
        params = list(class_ids)
    sql += " ORDER BY c.grade, c.letter, s.surname COLLATE RU, s.name COLLATE RU, s.patronymic COLLATE RU, s.id"
    return store.query(sql, params)


def _assign_year_codes(store: Store, pupils: list[dict[str, Any]], result: AssignResult) -> None:
    missing: dict[int, list[dict[str, Any]]] = {}
    for p in pupils:
        if not p["code"]:
            missing.setdefault(p["grade"], []).append(p)
    for grade, items in missing.items():
        codes = _next_codes(store, grade, len(items), None)
        for pupil, code in zip(items, codes):
            store.db["students"].update(pupil["id"], {"code": code})
            pupil["code"] = code
            name = class_display(pupil["grade"], pupil["letter"])
            first, _ = result.by_class.get(name, (code, code))
            result.by_class[name] = (first, code)
            audit.record(store, "code.assign", "students", pupil["id"], code=code, class_name=name)
        _remember(store, grade, None, int(codes[-1]))
        result.assigned += len(items)


def assign_codes(store: Store, work_id: int | None = None) -> AssignResult:
    """Give codes to pupils without one; with a work, also fill its participant list. Without a
    work (codes for the year), every work that has classes gets its participant list filled too,
    as a coordinator expects after «выдать коды»."""
    result = AssignResult()
    per_year = bool(settings.get(store, "one_code_per_year"))
    with store.atomic():
        if work_id is None:
            if not per_year:
                raise UserError("Коды выдаются для каждой работы отдельно (так задано в настройках): укажите работу.")
            _assign_year_codes(store, _pupils_in_order(store), result)
            closed = closed_years(store)
            for work in list_works(store):
                if academic_year_of(work.work_date) in closed:
                    continue                    # a closed year's lists stay as they were
                class_ids = [cid for cid, _ in work.classes]
                pupils = _pupils_in_order(store, class_ids) if class_ids else []
                if pupils:
                    before = result.participants_added
                    _add_participants(store, work, pupils, per_year, result)
                    result.works += int(result.participants_added > before)
            result.changes = Changes.of(Topic.STUDENTS, Topic.PARTICIPANTS)
            return result
        require_open(store, work_id)
        work = get_work(store, work_id)
        class_ids = [cid for cid, _ in work.classes]
        if not class_ids:
            raise UserError(f"У работы «{work.title}» не выбраны классы. Укажите, какие классы её пишут.")
        pupils = _pupils_in_order(store, class_ids)
        if not pupils:
            raise UserError("В классах этой работы нет учеников. Сначала импортируйте списки.")
        if per_year:
            _assign_year_codes(store, pupils, result)
        _add_participants(store, work, pupils, per_year, result)
        result.works = int(result.participants_added > 0)
    result.changes = Changes.of(Topic.STUDENTS, Topic.PARTICIPANTS)
    return result


def _add_participants(store: Store, work: Work, pupils: list[dict[str, Any]], per_year: bool,
                      result: AssignResult) -> None:
    """The work's participant list gets the pupils not on it yet (with their year codes, or with
    new codes of this work when codes are given per work)."""
    work_id = work.id
    existing = {r["student_id"] for r in store.query(
        "SELECT student_id FROM participants WHERE work_id = ?", [work_id])}
    new = [p for p in pupils if p["id"] not in existing]
    if not per_year and new:
        codes = _next_codes(store, work.grade, len(new), work_id)
        for pupil, code in zip(new, codes):
            pupil["code"] = code
            name = class_display(pupil["grade"], pupil["letter"])
            first, _ = result.by_class.get(name, (code, code))
            result.by_class[name] = (first, code)
        _remember(store, work.grade, work_id, int(codes[-1]))
        result.assigned += len(new)
    for pupil in new:
        clash = store.scalar("SELECT 1 FROM participants WHERE work_id = ? AND code = ?", [work_id, pupil["code"]])
        if clash:
            raise UserError(f"Код {pupil['code']} уже занят в этой работе другим участником.")
        store.db["participants"].insert({
            "work_id": work_id, "student_id": pupil["id"], "class_id": pupil["class_id"],
            "code": pupil["code"], "absent": 0,
        })
    if new:
        audit.record(store, "participants.add", "participants", None, work_id=work_id,
                     codes=[p["code"] for p in new])
    result.participants_added += len(new)


def _check_code_text(code: str, grade: int) -> str:
    code = code.strip()
    if not is_code(code):
        raise UserError(f"Код «{code}» неверен: код участника — пять цифр, например {grade}0001.")
    lo, hi = code_range(grade)
    if not lo <= int(code) <= hi:
        raise UserError(f"Код {code} не подходит для {grade} класса: допустимы коды {lo}–{hi}.")
    return code


def set_student_code(store: Store, student_id: int, code: str) -> Changes:
    """Manual override of a pupil's year code, checked for range and duplicates."""
    student = get_student(store, student_id)
    code = _check_code_text(code, student.grade)
    if code == student.code:
        return Changes()
    holder = store.one("SELECT id FROM students WHERE code = ? AND id != ?", [code, student_id])
    if holder:
        raise UserError(f"Код {code} уже выдан другому ученику. Коды не должны повторяться.")
    closed = json.dumps(closed_work_ids(store))
    clash = store.scalar(
        f"SELECT COUNT(*) FROM participants WHERE code = ? AND student_id != ? AND {OPEN_WORKS_SQL}",
        [code, student_id, closed])
    if clash:
        raise UserError(f"Код {code} уже использован в протоколе работы другим участником.")
    with store.atomic() as db:
        db["students"].update(student_id, {"code": code})
        db.execute(f"UPDATE participants SET code = ? WHERE student_id = ? AND {OPEN_WORKS_SQL}",
                   [code, student_id, closed])
        if int(code) > _last_given(store, student.grade, None):
            _remember(store, student.grade, None, int(code))
        audit.record(store, "code.override", "students", student_id, old=student.code, new=code)
    return Changes.of(Topic.STUDENTS, Topic.PARTICIPANTS)


# -- participants --------------------------------------------------------------------------------


@dataclass
class Participant:
    id: int
    work_id: int
    student_id: int
    code: str
    class_name: str
    class_id: int
    surname: str
    name: str
    patronymic: str
    gender: str | None
    absent: bool
    variants: dict[int, str | None]
    namesake_birth: str = ""        # «12.03.2015» if a classmate has the same ФИО (and the date is known)

    @property
    def fio(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)

    @property
    def who(self) -> str:
        """ФИО as a list shows it: with the date of birth where a classmate has the same ФИО."""
        return self.fio + (f" (д. р. {self.namesake_birth})" if self.namesake_birth else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id, "code": self.code, "class": self.class_name,
            "surname": self.surname, "name": self.name, "patronymic": self.patronymic,
            "gender": self.gender, "absent": self.absent,
            "variants": {str(k): v for k, v in self.variants.items()},
        }


def list_participants(store: Store, work_id: int) -> list[Participant]:
    work = get_work(store, work_id)
    births = namesake_birth_dates(store)
    rows = store.query(
        """SELECT p.id, p.work_id, p.student_id, p.code, p.class_id, p.absent, p.variant1, p.variant2,
                  c.grade, c.letter, s.surname, s.name, s.patronymic, s.gender
           FROM participants p JOIN students s ON s.id = p.student_id JOIN classes c ON c.id = p.class_id
           WHERE p.work_id = ? ORDER BY CAST(p.code AS INTEGER)""",
        [work_id],
    )
    return [
        Participant(
            id=r["id"], work_id=r["work_id"], student_id=r["student_id"], code=r["code"],
            class_name=class_display(r["grade"], r["letter"]), class_id=r["class_id"],
            surname=r["surname"], name=r["name"], patronymic=r["patronymic"], gender=r["gender"],
            absent=bool(r["absent"]),
            variants={part: r[f"variant{part}"] for part in range(1, work.parts + 1)},
            namesake_birth=births.get(r["student_id"], ""),
        )
        for r in rows
    ]


def _participant_row(store: Store, work_id: int, code: str) -> dict[str, Any]:
    get_work(store, work_id)
    row = store.one("SELECT * FROM participants WHERE work_id = ? AND code = ?", [work_id, code.strip()])
    if row is None:
        raise UserError(f"В протоколе работы № {work_id} нет участника с кодом {code.strip()}.")
    return row


def set_absent(store: Store, work_id: int, code: str, absent: bool = True) -> Changes:
    require_open(store, work_id)
    row = _participant_row(store, work_id, code)
    if bool(row["absent"]) == absent:
        return Changes()
    if absent and store.scalar("SELECT 1 FROM scores WHERE participant_id = ? AND round = 1 LIMIT 1", [row["id"]]):
        raise UserError(f"У участника {row['code']} уже есть баллы. Очистите их, прежде чем отмечать отсутствие.")
    with store.atomic() as db:
        db["participants"].update(row["id"], {"absent": int(absent)})
        audit.record(store, "participant.absent" if absent else "participant.present", "participants",
                     row["id"], work_id=work_id, code=row["code"])
    return Changes.of(Topic.PARTICIPANTS)


def set_variant(store: Store, work_id: int, code: str, part: int, variant: str | None) -> Changes:
    require_open(store, work_id)
    work = get_work(store, work_id)
    if part not in range(1, work.parts + 1):
        raise UserError(f"У работы {work.parts} часть(и); части {part} нет.")
    value = (variant or "").strip() or None
    if value is not None and not re.fullmatch(r"\d{1,2}", value):
        raise UserError(f"Вариант «{value}» неверен: ожидается номер варианта, например 1 или 2.")
    row = _participant_row(store, work_id, code)
    with store.atomic() as db:
        db["participants"].update(row["id"], {f"variant{part}": value})
        audit.record(store, "participant.variant", "participants", row["id"], work_id=work_id,
                     code=row["code"], part=part, old=row[f"variant{part}"], new=value)
    return Changes.of(Topic.PARTICIPANTS)


def distribute_variants(store: Store, work_id: int, variants: int = 2, overwrite: bool = False) -> Changes:
    """Alternate variants 1, 2, 1, 2 … within each class in code order (every part the same)."""
    require_open(store, work_id)
    work = get_work(store, work_id)
    if variants < 1:
        raise UserError("Число вариантов должно быть не меньше 1.")
    with store.atomic() as db:
        changed = 0
        counters: dict[int, int] = {}
        for p in list_participants(store, work_id):
            index = counters.get(p.class_id, 0)
            counters[p.class_id] = index + 1
            value = str(index % variants + 1)
            update = {f"variant{part}": value for part in range(1, work.parts + 1)
                      if overwrite or not p.variants.get(part)}
            if update:
                db["participants"].update(p.id, update)
                changed += 1
        audit.record(store, "participants.variants", "participants", None, work_id=work_id,
                     variants=variants, changed=changed)
    return Changes.of(Topic.PARTICIPANTS)


# -- codes that already exist (a paper protocol, ФИС ОКО's list) ------------------------------------


@dataclass
class CodeMatch:
    row: str                          # where in the file («таблица 1, строка 4»)
    code: str
    name: str                         # as the file writes it
    class_name: str | None
    student_id: int | None = None     # the pupil it is matched to
    pupil: str = ""                   # «Иванов Иван Петрович, 7Б»
    problem: str = ""                 # Russian; empty when the row is fine

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "name": self.name, "class": self.class_name,
                "student_id": self.student_id, "pupil": self.pupil, "problem": self.problem}

    def text(self) -> str:
        head = f"{self.row}: {self.code} — {self.name}" + (f" ({self.class_name})" if self.class_name else "")
        return f"{head}: {self.problem}" if self.problem else f"{head} → {self.pupil}"


@dataclass
class CodeImport:
    """What an import of codes would do; `apply_code_import` does it only when `ok`."""
    work_id: int | None
    rows: list[CodeMatch]

    @property
    def problems(self) -> list[CodeMatch]:
        return [r for r in self.rows if r.problem]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"work": self.work_id, "ok": self.ok, "rows": [r.as_dict() for r in self.rows],
                "problems": len(self.problems)}

    def summary(self) -> str:
        if self.ok:
            return f"Строк с кодами: {len(self.rows)}; все сопоставлены с учениками."
        return (f"Строк с кодами: {len(self.rows)}; с ошибками: {len(self.problems)}. Ничего не изменено: "
                "исправьте файл или списки учеников и повторите.")


class _RowRefused(Exception):
    """A row of a code list that cannot be taken; the message is the Russian reason."""


class _CodeListMatcher:
    """Matches a code list's rows to pupils in file order: the pupils indexed by ФИО, and what
    earlier rows took (pupils, codes, the nth namesake)."""

    def __init__(self, store: Store, work: Work | None) -> None:
        self.work = work
        self.work_classes = {cid for cid, _ in work.classes} if work else None
        self.by_full: dict[str, list[dict[str, Any]]] = {}
        self.by_short: dict[str, list[dict[str, Any]]] = {}
        for p in store.query(
                """SELECT s.id, s.surname, s.name, s.patronymic, s.code, c.id AS class_id, c.grade, c.letter
                   FROM students s JOIN classes c ON c.id = s.class_id WHERE s.left_at IS NULL
                   ORDER BY c.grade, c.letter, s.surname COLLATE RU, s.name COLLATE RU, s.patronymic COLLATE RU,
                            s.id"""):
            self.by_full.setdefault(name_key(p["surname"], p["name"], p["patronymic"]), []).append(p)
            self.by_short.setdefault(name_key(p["surname"], p["name"], ""), []).append(p)
        self.births = namesake_birth_dates(store)      # namesakes of a class: shown with their date of birth
        self.taken: dict[int, str] = {}                # student id -> the row that took it
        self.codes_seen: dict[str, str] = {}
        self.used_order: dict[tuple[str, int | None], int] = {}

    def match(self, row: Any) -> CodeMatch:
        match = CodeMatch(row.place(), row.code, row.full_name(), row.class_name)
        try:
            grade, letter = self._class_of(row)
            pupil = self._pupil(row, grade, letter)
            match.student_id = pupil["id"]
            match.pupil = (" ".join(x for x in (pupil["surname"], pupil["name"], pupil["patronymic"]) if x)
                           + (f" (д. р. {self.births[pupil['id']]})" if pupil["id"] in self.births else "")
                           + f", {class_display(pupil['grade'], pupil['letter'])}")
            self._check(row, pupil)
        except _RowRefused as refused:
            match.problem = str(refused)
            return match
        self.taken[pupil["id"]] = match.row
        self.codes_seen[row.code] = match.row
        return match

    @staticmethod
    def _class_of(row: Any) -> tuple[int | None, str | None]:
        """(grade, letter) of the class the row gives, (None, None) when it gives none."""
        if not row.class_name:
            return None, None
        try:
            return normalize_class_name(row.class_name)
        except UserError as err:
            raise _RowRefused(f"класс «{row.class_name}» не распознан: {err.message}") from None

    def _candidates(self, row: Any, grade: int | None, letter: str | None) -> list[dict[str, Any]]:
        """Pupils the row may name: by ФИО (without a patronymic: surname and name), in its class,
        those of the work's classes when there are any."""
        candidates = self.by_full.get(name_key(row.surname, row.name, row.patronymic)) or (
            self.by_short.get(name_key(row.surname, row.name, "")) if not row.patronymic else None) or []
        if grade is not None:
            candidates = [p for p in candidates if (p["grade"], p["letter"]) == (grade, letter)]
        if self.work_classes is not None:
            candidates = [p for p in candidates if p["class_id"] in self.work_classes] or candidates
        return candidates

    def _pupil(self, row: Any, grade: int | None, letter: str | None) -> dict[str, Any]:
        """The pupil the row names; among namesakes the nth for the row's nth mention."""
        candidates = self._candidates(row, grade, letter)
        if not candidates:
            raise _RowRefused("такого ученика нет в программе"
                              + (f" в классе {class_display(grade, letter)}" if grade else "")
                              + ": проверьте ФИО и класс или импортируйте списки учеников")
        key = (name_key(row.surname, row.name, row.patronymic), grade)
        nth = self.used_order.get(key, 0)
        self.used_order[key] = nth + 1
        if len(candidates) > 1 and nth >= len(candidates):
            raise _RowRefused("тёзок в файле больше, чем в списках учеников")
        return candidates[nth] if len(candidates) > 1 else candidates[0]

    def _check(self, row: Any, pupil: dict[str, Any]) -> None:
        """The row's code fits the pupil's grade, the pupil writes the work, and neither the
        pupil nor the code was taken by an earlier row."""
        try:
            _check_code_text(row.code, pupil["grade"])
        except UserError as err:
            raise _RowRefused(err.message) from None
        if self.work is not None and pupil["class_id"] not in (self.work_classes or set()):
            raise _RowRefused(f"класс {class_display(pupil['grade'], pupil['letter'])} не пишет работу "
                              f"«{self.work.title}»")
        if pupil["id"] in self.taken:
            raise _RowRefused(f"этот ученик уже взят строкой {self.taken[pupil['id']]}")
        if row.code in self.codes_seen:
            raise _RowRefused(f"код {row.code} уже есть в строке {self.codes_seen[row.code]}")


def preview_code_import(store: Store, path: Any, work_id: int | None = None) -> CodeImport:
    """Read a code list and match every row to a pupil: ФИО (case, spaces and ё = е ignored), the
    class where the file gives it; namesakes by class, then by their order in the file and in the
    class list. Nothing is written."""
    from .formats.code_list import read_code_list  # start-up: the reader loads zipfile and shutil

    work = get_work(store, work_id) if work_id is not None else None
    rows = read_code_list(path)
    matcher = _CodeListMatcher(store, work)
    result = CodeImport(work_id, [matcher.match(row) for row in rows])
    _check_against_store(store, result, work)
    return result


def _year_code_problem(store: Store, match: CodeMatch, mine: set[int]) -> str:
    """Why a pupil may not take the year code the file gives ("" when they may)."""
    holder = store.one("SELECT id, surname, name FROM students WHERE code = ? AND id != ?",
                       [match.code, match.student_id])
    if holder and holder["id"] not in mine:
        return f"код {match.code} уже у ученика {holder['surname']} {holder['name']}, которого нет в файле"
    used = store.one(
        f"""SELECT p.code FROM participants p WHERE p.student_id = ? AND p.code != ? AND p.{OPEN_WORKS_SQL}
           AND (EXISTS (SELECT 1 FROM scores s WHERE s.participant_id = p.id)
                OR EXISTS (SELECT 1 FROM scan_pages g WHERE g.participant_id = p.id)) LIMIT 1""",
        [match.student_id, match.code, json.dumps(closed_work_ids(store))])
    if used:
        return f"у ученика уже есть баллы или сканы под кодом {used['code']}: код не меняется"
    return ""


def _work_code_problem(store: Store, match: CodeMatch, mine: set[int], work: Work) -> str:
    """Why a pupil may not take the file's code in the work's participant list ("" when they may)."""
    holder = store.one("SELECT student_id FROM participants WHERE work_id = ? AND code = ? AND student_id != ?",
                       [work.id, match.code, match.student_id])
    if holder and holder["student_id"] not in mine:
        return f"код {match.code} уже у другого участника этой работы, которого нет в файле"
    current = store.one("SELECT id, code FROM participants WHERE work_id = ? AND student_id = ?",
                        [work.id, match.student_id])
    if current and current["code"] != match.code and (
            store.scalar("SELECT 1 FROM scores WHERE participant_id = ? LIMIT 1", [current["id"]])
            or store.scalar("SELECT 1 FROM scan_pages WHERE participant_id = ? LIMIT 1", [current["id"]])):
        return f"у участника уже есть баллы или сканы под кодом {current['code']}: код не меняется"
    return ""


def _check_against_store(store: Store, result: CodeImport, work: Work | None) -> None:
    """Codes the file gives must not belong to pupils it does not name, and codes of a work's
    participants with scores or scans are not changed."""
    mine = {r.student_id for r in result.rows if r.student_id}
    for match in result.rows:
        if match.problem or match.student_id is None:
            continue
        if work is None:
            match.problem = _year_code_problem(store, match, mine)
        else:
            match.problem = _work_code_problem(store, match, mine, work)


def apply_code_import(store: Store, plan: CodeImport) -> Changes:
    """Give the pupils exactly the file's codes (all or nothing). Without a work: their year codes
    (and the participant lists that hold them); with a work: its participant list."""
    if not plan.ok:
        raise UserError("Коды не импортированы: в файле есть ошибки.", details=[r.text() for r in plan.problems])
    with store.atomic() as db:
        if plan.work_id is None:
            closed = json.dumps(closed_work_ids(store))
            for match in plan.rows:       # free the codes first: two pupils may swap theirs
                db.execute("UPDATE students SET code = NULL WHERE id = ?", [match.student_id])
                db.execute(f"UPDATE participants SET code = '#' || id WHERE student_id = ? AND code != ? "
                           f"AND {OPEN_WORKS_SQL}", [match.student_id, match.code, closed])
            for match in plan.rows:
                db.execute("UPDATE students SET code = ? WHERE id = ?", [match.code, match.student_id])
                db.execute(f"UPDATE participants SET code = ? WHERE student_id = ? AND code LIKE '#%' "
                           f"AND {OPEN_WORKS_SQL}", [match.code, match.student_id, closed])
        else:
            require_open(store, plan.work_id)
            work = get_work(store, plan.work_id)
            for match in plan.rows:
                db.execute("UPDATE participants SET code = '#' || id WHERE work_id = ? AND student_id = ?",
                           [work.id, match.student_id])
            for match in plan.rows:
                pupil = store.one("SELECT class_id FROM students WHERE id = ?", [match.student_id])
                existing = store.scalar("SELECT id FROM participants WHERE work_id = ? AND student_id = ?",
                                        [work.id, match.student_id])
                if existing:
                    db.execute("UPDATE participants SET code = ? WHERE id = ?", [match.code, existing])
                else:
                    db["participants"].insert({"work_id": work.id, "student_id": match.student_id,
                                               "class_id": pupil["class_id"], "code": match.code, "absent": 0})
        audit.record(store, "codes.import", "works" if plan.work_id else "students", plan.work_id,
                     rows=len(plan.rows), codes=[r.code for r in plan.rows])
    return Changes.of(Topic.STUDENTS, Topic.PARTICIPANTS)
