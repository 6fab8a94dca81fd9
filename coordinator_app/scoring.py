"""Scores against the criteria: entry, validation, totals and marks, progress, journal marks.

A value is a string: an integer "0".."max", "X" (no answer; typed also as Cyrillic «Х»; counts as
0) or "не пройд." (topic not taught yet, where the work allows it; counts as 0). An empty value
clears the cell. Every cell is committed the moment it is entered (one short transaction with its
audit record holding the old and new value), so closing the program mid-row loses nothing.

Rounds: 1 = the school's experts, 2 = the second check (blind), 3 = settled by the commission.
The final value of a task is round 3 if present, else round 1.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError, quoted
from .formats.fisoko.vocabulary import MARKS, NO_MARK, NOT_PASSED, X, is_not_passed, is_x
from .names import class_display, normalize_gender
from .school_years import require_open
from .storage import Store, now_iso
from .works import TaskDef, Work, get_work, mark_for, normalize_task_id

JOURNAL_MARKS = MARKS
STATUS_RU = {"scored": "проверена", "partial": "частично", "absent": "отсутствовал", "not_started": "не начата"}
_NOT_PASSED_SHORT = {"н", "нп", "н/п"}      # how a scorer types «не пройд.» in a hurry


#: A score has at most this many digits (leading zeros aside); more is refused as over the
#: maximum without converting it (Python refuses to convert over 4300 digits).
_MAX_SCORE_DIGITS = 6


def normalize_value(raw: Any, task: TaskDef, allows_not_passed: bool) -> str | None:
    """The stored form of what an expert typed, or UserError with the reason (Russian). Any
    input (5000 digits, control characters, huge numbers) gets a Russian refusal, never a crash."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw > task.max_score:
            raise UserError(f"Задание {task.task_id}: {quoted(raw)} больше максимума {task.max_score}.")
        if raw >= 0:
            return str(raw)
    text = quoted(raw, limit=1 << 30) if isinstance(raw, int) else str(raw).strip()
    return _from_text(text, task, allows_not_passed) if text else None


def _from_text(text: str, task: TaskDef, allows_not_passed: bool) -> str:
    """The stored form of a non-empty typed text: X, «не пройд.» or a score within the maximum."""
    if is_x(text):
        return X
    if is_not_passed(text) or text.casefold() in _NOT_PASSED_SHORT:
        if not allows_not_passed:
            raise UserError(f"Задание {task.task_id}: «не пройд.» в этой работе не допускается.")
        return NOT_PASSED
    if re.fullmatch(r"\d+", text):
        digits = text.lstrip("0") or "0"
        if len(digits) > _MAX_SCORE_DIGITS or int(digits) > task.max_score:
            raise UserError(f"Задание {task.task_id}: {quoted(digits)} больше максимума {task.max_score}.")
        return str(int(digits))
    raise UserError(
        f"Задание {task.task_id}: «{quoted(text)}» — не балл. Допустимо: целое от 0 до {task.max_score}, X (нет ответа)"
        + (", «не пройд.»." if allows_not_passed else ".")
    )


def points(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def filled_count(scores: dict[str, str | None], task_ids: list[str]) -> int:
    """How many of the tasks have a value (X and «не пройд.» count as filled)."""
    return sum(1 for task_id in task_ids if scores.get(task_id) is not None)


def row_outcome(scores: dict[str, str | None], task_ids: list[str], absent: bool,
                scale: list[int] | None) -> tuple[int, str, str | None]:
    """A participant's total, status and mark: the one rule, used by `score_sheet` and by the
    sheet the scoring page keeps cell by cell. The mark exists only once every task is filled."""
    total = sum(points(scores.get(task_id)) for task_id in task_ids)
    filled = filled_count(scores, task_ids)
    if absent:
        status = "absent"
    elif filled == 0:
        status = "not_started"
    else:
        status = "scored" if filled == len(task_ids) else "partial"
    return total, status, (mark_for(scale, total) if status == "scored" else None)


@dataclass
class ScoreRow:
    participant_id: int
    code: str
    class_name: str
    class_id: int
    absent: bool
    variants: dict[int, str | None]
    journal_mark: str | None
    gender: str | None
    scores: dict[str, str | None]
    experts: dict[str, str | None] = field(default_factory=dict)
    total: int = 0
    mark: str | None = None
    status: str = "not_started"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "class": self.class_name, "variants": {str(k): v for k, v in self.variants.items()},
                "absent": self.absent, "scores": self.scores, "total": self.total if not self.absent else None,
                "mark": self.mark, "status": self.status, "journal_mark": self.journal_mark}


def _sheet_query(experts: bool, some: bool) -> str:
    """The query of `score_sheet`: ?1 the round, ?2 the work, ?3 (`some`) the participants' ids as JSON.

    SQLite gathers each participant's cells of the round into one JSON object (task → value, and
    task → expert when asked): a tenth of the Python work of reading 15 rows per participant."""
    cells = "(SELECT json_group_object(task_id, {}) FROM scores WHERE participant_id = p.id AND round = {})"
    return f"""SELECT p.id, p.code, p.class_id, p.absent, p.variant1, p.variant2, p.journal_mark, s.gender,
                      c.grade, c.letter, {cells.format('value', '?1')}, {cells.format('expert', '?1') if experts else 'NULL'}
               FROM participants p JOIN classes c ON c.id = p.class_id JOIN students s ON s.id = p.student_id
               WHERE p.work_id = ?2 {'AND p.id IN (SELECT value FROM json_each(?3))' if some else ''}
               ORDER BY CAST(p.code AS INTEGER)"""


def _later_rounds(store: Store, work_id: int, rounds: tuple[int, ...]) -> dict[int, list[tuple[str, str, str | None]]]:
    """The cells of later rounds by participant: (task, value, expert). A later round overrides the
    first (the commission's round 3 over the first expert's round 1); those are few rows, read plainly."""
    overrides: dict[int, list[tuple[str, str, str | None]]] = {}
    for later_round in rounds:
        for pid, task_id, value, expert in store.conn.execute(
                """SELECT sc.participant_id, sc.task_id, sc.value, sc.expert FROM scores sc
                   JOIN participants p ON p.id = sc.participant_id WHERE p.work_id = ? AND sc.round = ?""",
                [work_id, later_round]):
            overrides.setdefault(pid, []).append((task_id, value, expert))
    return overrides


def score_sheet(store: Store, work_id: int, round: int = 1, *, final: bool = False,
                participant_ids: set[int] | None = None, experts: bool = True) -> list[ScoreRow]:
    """Every participant of the work with its scores of `round` (`final=True`: round 3 over 1).

    One indexed query; SQLite hands over each participant's cells as one JSON object.
    `experts=False`: who entered each score is not read (`ScoreRow.experts` holds None for every
    task), for callers that only need the values (a fifth of the time for a big work).
    """
    work = get_work(store, work_id)
    first, later_rounds = (1, (3,)) if final else (round, ())
    params: list[Any] = [first, work_id]
    if participant_ids is not None:
        params.append(json.dumps(sorted(participant_ids)))
    overrides = _later_rounds(store, work_id, later_rounds)

    task_ids = [t.task_id for t in work.tasks]
    parts = range(1, work.parts + 1)
    class_names: dict[tuple[int, str], str] = {}
    loads = json.loads
    result = []
    for (pid, code, class_id, absent, variant1, variant2, journal_mark, gender, grade, letter,
         values_json, experts_json) in store.conn.execute(_sheet_query(experts, participant_ids is not None), params):
        own = loads(values_json) if values_json else {}
        by = loads(experts_json) if experts_json else {}
        for task_id, value, expert in overrides.get(pid, ()):
            own[task_id] = value
            by[task_id] = expert
        scores = {task_id: own.get(task_id) for task_id in task_ids}
        who = {task_id: by.get(task_id) for task_id in task_ids} if experts else dict.fromkeys(task_ids)
        total, status, mark = row_outcome(scores, task_ids, bool(absent), work.scale)
        class_name = class_names.get((grade, letter))
        if class_name is None:
            class_name = class_names[(grade, letter)] = class_display(grade, letter)
        variant_of = {1: variant1, 2: variant2}
        result.append(ScoreRow(
            participant_id=pid, code=code, class_name=class_name, class_id=class_id, absent=bool(absent),
            variants={part: variant_of[part] for part in parts}, journal_mark=journal_mark, gender=gender,
            scores=scores, experts=who, total=total, mark=mark, status=status,
        ))
    return result


def _participant(store: Store, work_id: int, code: str) -> dict[str, Any]:
    row = store.one("SELECT id, code, absent FROM participants WHERE work_id = ? AND code = ?", [work_id, str(code).strip()])
    if row is None:
        raise UserError(f"В протоколе работы № {work_id} нет участника с кодом {str(code).strip()}.")
    return row


def _task(work: Work, task_id: str) -> TaskDef:
    wanted = normalize_task_id(task_id)
    for task in work.tasks:
        if task.task_id == wanted:
            return task
    raise UserError(f"В работе «{work.title}» нет задания «{task_id}». Есть: {', '.join(t.task_id for t in work.tasks)}.")


def _write(store: Store, work: Work, participant: dict[str, Any], task: TaskDef, value: str | None,
           expert: str | None, round: int, reason: str | None = None) -> bool:
    """One cell, inside the caller's transaction. Returns whether anything changed."""
    if participant["absent"] and value is not None and round == 1:
        raise UserError(f"Участник {participant['code']} отмечен отсутствующим: баллы ему не ставятся.")
    key = [participant["id"], round, task.task_id]
    old = store.one("SELECT value, expert FROM scores WHERE participant_id = ? AND round = ? AND task_id = ?", key)
    old_value = old["value"] if old else None
    if old_value == value:
        return False
    if value is None:
        store.db.execute("DELETE FROM scores WHERE participant_id = ? AND round = ? AND task_id = ?", key)
    else:
        store.db.execute(
            """INSERT INTO scores (participant_id, round, task_id, value, expert, reason, entered_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (participant_id, round, task_id) DO UPDATE SET
                 value = excluded.value, expert = excluded.expert, reason = excluded.reason,
                 entered_at = excluded.entered_at""",
            [*key, value, expert or store.actor, reason, now_iso()])
    audit.record(store, "score.set", "scores", participant["id"], work_id=work.id, code=participant["code"],
                 task=task.task_id, round=round, old=old_value, new=value, expert=expert or store.actor,
                 **({"reason": reason} if reason else {}))
    return True


def set_score(store: Store, work_id: int, code: str, task_id: str, value: Any, *, expert: str | None = None,
              round: int = 1, reason: str | None = None) -> Changes:
    require_open(store, work_id)
    work = get_work(store, work_id)
    task = _task(work, task_id)
    clean = normalize_value(value, task, work.allows_not_passed)
    participant = _participant(store, work_id, code)
    if round == 3 and clean is not None and not (reason or "").strip():
        raise UserError("Укажите причину итогового балла (решение комиссии).")
    with store.atomic():
        changed = _write(store, work, participant, task, clean, expert, round, reason)
    return Changes.of(Topic.SCORES) if changed else Changes()


@dataclass
class CellProblem:
    code: str
    task_id: str
    value: str
    reason: str


def set_scores(store: Store, work_id: int, cells: list[tuple[str, str, Any]], *, expert: str | None = None,
               round: int = 1) -> Changes:
    """Many cells at once (a pasted range): all valid → one transaction; any invalid → nothing
    is written and every problem is listed."""
    require_open(store, work_id)
    work = get_work(store, work_id)
    prepared, problems = [], []
    participants: dict[str, dict[str, Any]] = {}
    for code, task_id, value in cells:
        try:
            task = _task(work, task_id)
            clean = normalize_value(value, task, work.allows_not_passed)
            participant = participants.get(code) or _participant(store, work_id, code)
            participants[code] = participant
            if participant["absent"] and clean is not None and round == 1:
                raise UserError(f"участник {code} отмечен отсутствующим")
            prepared.append((participant, task, clean))
        except UserError as err:
            problems.append(f"код {quoted(code)}, задание {quoted(task_id)}, значение «{quoted(value)}»: {err.message}")
    if problems:
        raise UserError(f"Баллы не сохранены: ошибок — {len(problems)}.", details=problems)
    changed = False
    with store.atomic():
        for participant, task, clean in prepared:
            changed |= _write(store, work, participant, task, clean, expert, round)
    return Changes.of(Topic.SCORES) if changed else Changes()


def set_journal_mark(store: Store, work_id: int, code: str, mark: Any) -> Changes:
    require_open(store, work_id)
    text = "" if mark is None else str(mark).strip()
    if isinstance(mark, float) and mark.is_integer():
        text = str(int(mark))
    value = None if not text else (NO_MARK if text.casefold() in (NO_MARK, "нет", "-", "—") else text)
    if value is not None and value not in JOURNAL_MARKS:
        raise UserError(f"Отметка «{text}» неверна: допустимо 5, 4, 3, 2 или «нет отметки».")
    participant = _participant(store, work_id, code)
    old = store.scalar("SELECT journal_mark FROM participants WHERE id = ?", [participant["id"]])
    if old == value:
        return Changes()
    with store.atomic() as db:
        db["participants"].update(participant["id"], {"journal_mark": value})
        audit.record(store, "participant.journal_mark", "participants", participant["id"], work_id=work_id,
                     code=participant["code"], old=old, new=value)
    return Changes.of(Topic.SCORES, Topic.PARTICIPANTS)


def set_gender(store: Store, work_id: int, code: str, gender: Any) -> Changes:
    require_open(store, work_id)
    value = normalize_gender(gender)
    participant = _participant(store, work_id, code)
    student_id = store.scalar("SELECT student_id FROM participants WHERE id = ?", [participant["id"]])
    old = store.scalar("SELECT gender FROM students WHERE id = ?", [student_id])
    if old == value:
        return Changes()
    with store.atomic() as db:
        db["students"].update(student_id, {"gender": value, "updated_at": now_iso()})
        audit.record(store, "student.gender", "students", student_id, code=participant["code"], old=old, new=value)
    return Changes.of(Topic.SCORES, Topic.STUDENTS)


# -- progress ---------------------------------------------------------------------------------


@dataclass
class ClassProgress:
    class_name: str
    scored: int = 0
    partial: int = 0
    absent: int = 0
    not_started: int = 0

    @property
    def total(self) -> int:
        return self.scored + self.partial + self.absent + self.not_started


@dataclass
class WorkProgress:
    classes: list[ClassProgress]
    missing: list[tuple[str, list[str]]]        # (code, unfilled task ids or «вариант») for present pupils
    ready: bool

    def as_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "classes": [c.__dict__ | {"total": c.total} for c in self.classes],
                "missing": [{"code": c, "tasks": t} for c, t in self.missing]}

    def summary(self) -> str:
        parts = [f"{c.class_name}: проверено {c.scored}, частично {c.partial}, не начато {c.not_started}, "
                 f"отсутствовали {c.absent}" for c in self.classes]
        head = "Работа готова к выгрузке." if self.ready else f"Не заполнено у участников: {len(self.missing)}."
        return head + "\n" + "\n".join(parts)


def work_progress(store: Store, work_id: int, sheet: list[ScoreRow] | None = None) -> WorkProgress:
    """`sheet`: the work's `score_sheet(..., final=True)` when the caller already has it."""
    work = get_work(store, work_id)
    sheet = score_sheet(store, work_id, final=True, experts=False) if sheet is None else sheet
    classes: dict[str, ClassProgress] = {}
    missing = []
    for row in sheet:
        progress = classes.setdefault(row.class_name, ClassProgress(row.class_name))
        setattr(progress, row.status, getattr(progress, row.status) + 1)
        if not row.absent:
            gaps = [t.task_id for t in work.tasks if row.scores.get(t.task_id) is None]
            gaps += [f"вариант{' части ' + str(p) if work.parts > 1 else ''}" for p, v in row.variants.items() if not v]
            if gaps:
                missing.append((row.code, gaps))
    ready = bool(sheet) and not missing
    return WorkProgress(sorted(classes.values(), key=lambda c: c.class_name), missing, ready)
