"""After ФИС ОКО returns the results: its «Аналитика» reports imported into a work, and the school's
own data reconciled with them.

- «Индивидуальные результаты» (Ф1): every code's scores, primary score, mark, journal mark, variant
  and class number are kept as ФИС ОКО holds them (`official_results`), and the official level
  (Б/П/В) of every task is set on the work. A report of a work the program does not have — last
  year's, from before the school used the program — may create that work (`create_work=True`):
  a past work with results and no scans.
- «Статистика по отметкам» (Ф3) and «Сравнение отметок с отметками по журналу» become the work's
  reference rows (Russia, region, municipality), replacing hand-typed ones; the school's own group
  row is kept to reconcile the school's counts.

The reconciliation (`reconcile`) compares, code by code, what ФИС ОКО holds with the school's data
now: every difference is an upload error or a later change, to be explained before the municipal
re-check. It names codes only, never pupils: the PDF may be handed to the municipality.

All or nothing: a report with one bad cell, or one that does not fit the work, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit, references
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store, now_iso
from .students import NeedsConfirmation
from .task_info import TaskInfo, set_tasks
from .works import (
    TaskDef,
    Work,
    WorkDef,
    add_past_work_tasks,
    create_work,
    get_work,
    list_works,
    mark_for,
    normalize_task_id,
)

INDIVIDUAL, MARKS, JOURNAL = "individual", "marks", "journal"
KIND_TITLES = {INDIVIDUAL: "Индивидуальные результаты", MARKS: "Статистика по отметкам",
               JOURNAL: "Сравнение отметок с отметками по журналу"}
#: The source written on reference rows taken from a report (a later import of the same kind
#: replaces them; hand-typed rows are replaced whole).
SOURCE_PREFIX = "ФИС ОКО"
#: The fields of a difference as the reconciliation names them.
FIELD_TEXTS = {
    "presence": "участие", "class_ordinal": "номер класса", "variant": "вариант",
    "primary_score": "первичный балл", "mark": "отметка", "journal_mark": "отметка по журналу",
    "participants": "число участников", "mark_2": "отметка «2», чел.", "mark_3": "отметка «3», чел.",
    "mark_4": "отметка «4», чел.", "mark_5": "отметка «5», чел.", "lowered": "понизили, чел.",
    "confirmed": "подтвердили, чел.", "raised": "повысили, чел.",
}
_JOURNAL_GROUPS = ("lowered", "confirmed", "raised")


@dataclass(frozen=True)
class Difference:
    code: str | None                   # None for a count of the school's group row
    field: str                         # "task:9.1", "primary_score", "presence", "mark_2" …
    school: str | None
    fisoko: str | None
    kind: str = INDIVIDUAL

    @property
    def field_text(self) -> str:
        if self.field.startswith("task:"):
            return f"задание {self.field[5:]}"
        return FIELD_TEXTS.get(self.field, self.field)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "field_text": self.field_text, "school": self.school,
                "fisoko": self.fisoko, "kind": self.kind}


@dataclass
class Reconciliation:
    work_id: int
    work_title: str
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)     # kind → {rows, file, imported_at}
    differences: list[Difference] = field(default_factory=list)
    compared_codes: int = 0
    school_has_data: bool = True

    @property
    def codes_with_differences(self) -> list[str]:
        return sorted({d.code for d in self.differences if d.code})

    def as_dict(self) -> dict[str, Any]:
        return {"work_id": self.work_id, "work": self.work_title,
                "kinds": self.kinds, "compared_codes": self.compared_codes,
                "differences": [d.as_dict() for d in self.differences],
                "codes_with_differences": self.codes_with_differences}

    def summary(self) -> str:
        if not self.kinds:
            return "Отчёты ФИС ОКО по этой работе ещё не импортированы."
        if not self.school_has_data:
            return "Работа создана по отчёту ФИС ОКО: данных школы для сверки нет."
        if not self.differences:
            return (f"Сверка с ФИС ОКО: расхождений нет (сверено участников: {self.compared_codes}).")
        codes = self.codes_with_differences
        text = f"Сверка с ФИС ОКО: расхождений {len(self.differences)}"
        if codes:
            text += f" у {len(codes)} участн. ({', '.join(codes[:10])}{' …' if len(codes) > 10 else ''})"
        return text + ". Объясните их до муниципальной перепроверки."


@dataclass
class ResultsImport:
    kind: str
    work_id: int
    work_title: str
    rows: int
    created_work: bool = False
    levels_set: int = 0
    references: list[str] = field(default_factory=list)          # scopes written
    reconciliation: Reconciliation | None = None
    changes: Changes = field(default_factory=Changes)
    school_year: str = ""

    @property
    def kind_title(self) -> str:
        return KIND_TITLES[self.kind]

    def as_dict(self) -> dict[str, Any]:
        rec = self.reconciliation.as_dict() if self.reconciliation else {}
        return {"kind": self.kind, "kind_title": self.kind_title, "work_id": self.work_id, "work": self.work_title,
                "rows": self.rows, "created_work": self.created_work, "levels_set": self.levels_set,
                "references": self.references, "differences": rec.get("differences", []),
                "reconciliation": rec}

    def summary(self) -> str:
        text = f"«{self.kind_title}» импортированы в работу «{self.work_title}»: строк {self.rows}."
        if self.created_work and self.kind == MARKS:
            text = (f"Создана работа прошлых лет «{self.work_title}» по отчёту «{self.kind_title}» (без заданий "
                    f"и сканов: доли отметок школы для «Динамики»; учебный год {self.school_year}).")
        elif self.created_work:
            text = (f"Создана работа прошлых лет «{self.work_title}» по отчёту «{self.kind_title}» "
                    f"(результатов: {self.rows}, без сканов; учебный год {self.school_year}).")
        if self.levels_set:
            text += f" Уровни заданий по ФИС ОКО: {self.levels_set}."
        if self.references:
            text += " Эталонные данные: " + ", ".join(references.SCOPES[s] for s in self.references) + "."
        if self.reconciliation is not None and not self.created_work:
            text += " " + self.reconciliation.summary()
        return text


# Which work ---------------------------------------------------------------------------------------

def _subject_key(text: str) -> str:
    return " ".join(str(text).replace("ё", "е").split()).casefold()


def _candidates(store: Store, head: Any) -> list[Work]:
    return [w for w in list_works(store)
            if w.grade == head.grade and _subject_key(w.subject) == _subject_key(head.subject)]


def _match_work(store: Store, head: Any, codes: set[str]) -> Work | None:
    """The work a report is of: same subject and grade, then the same date; otherwise the one whose
    protocol shares the most codes (a report's date may be the period's), of the report's year."""
    found = _candidates(store, head)
    if head.date is not None:
        same_day = [w for w in found if w.work_date == head.date]
        if len(same_day) == 1:
            return same_day[0]
    if head.year is not None:
        found = [w for w in found if w.work_date.year == head.year]
    if len(found) == 1:
        return found[0]
    if codes and found:
        overlap = {w.id: store.scalar(
            "SELECT COUNT(*) FROM participants WHERE work_id = ? AND code IN (SELECT value FROM json_each(?))",
            [w.id, json.dumps(sorted(codes))]) for w in found}
        best = max(found, key=lambda w: overlap[w.id])
        if overlap[best.id] and sum(1 for v in overlap.values() if v == overlap[best.id]) == 1:
            return best
    return None


def _check_work_fits(work: Work, head: Any) -> None:
    problems = []
    if head.grade is not None and head.grade != work.grade:
        problems.append(f"отчёт — {head.grade} класс, а работа — {work.grade} класс")
    if head.subject and _subject_key(head.subject) != _subject_key(work.subject):
        problems.append(f"отчёт — «{head.subject}», а работа — «{work.subject}»")
    if problems:
        raise UserError(f"Отчёт не относится к работе «{work.title}»: ничего не импортировано.", details=problems)


class NoWorkForResults(NeedsConfirmation):
    """«Индивидуальные результаты» or «Статистика по отметкам» of a work the program does not have:
    confirmed, a past work is created from the report (GUI: a question; CLI: --create-work)."""


def _no_work(head: Any, kind: str) -> UserError:
    what = f"«{head.subject} {head.grade} класс»" + (f" от {head.date:%d.%m.%Y}" if head.date else "")
    if kind in CREATES_WORK:
        what_goes = "её результаты" if kind == INDIVIDUAL else "доли отметок школы"
        return NoWorkForResults(
            f"В программе нет работы {what}, к которой относится отчёт. Если это результаты прошлых лет, "
            f"создайте по отчёту работу без сканов: {what_goes} войдут в «Динамику» (в командной строке — "
            "ключ --create-work). Если работа есть, но с другой датой или предметом, укажите её номер (--work).")
    return UserError(
        f"В программе нет работы {what}, к которой относится отчёт. Выберите работу вручную; для прошлых лет "
        "сначала импортируйте «Индивидуальные результаты» или «Статистику по отметкам» этой работы — по ним "
        "создаётся работа без сканов.")


def _scale_from(rows: list[Any]) -> list[int] | None:
    """The marks' lowest scores when the report's rows pin them exactly (for each mark, a pupil one
    point under its lowest score has the mark below); else None: a scale is never guessed."""
    pairs = {(r.primary_score, int(r.mark)) for r in rows if r.primary_score is not None and r.mark}
    lows = []
    for mark in (3, 4, 5):
        above = [p for p, m in pairs if m >= mark]
        below = [p for p, m in pairs if m < mark]
        if not above or not below or min(above) != max(below) + 1:
            return None
        lows.append(min(above))
    return lows if all(mark_for(lows, p) == str(m) for p, m in pairs) else None


#: The reports a past work may be created from: the codes' results, or the school's mark shares alone
#: (a work with no tasks until its «Индивидуальные результаты» come).
CREATES_WORK = (INDIVIDUAL, MARKS)


def _create_past_work(store: Store, report: Any) -> int:
    head = report.head
    if not (head.subject and head.grade and (head.date or head.year)):
        raise UserError("По отчёту нельзя создать работу: в его заголовке нет предмета, класса или даты "
                        "(«ВПР 2026 Русский язык 4 класс», «Дата:»).")
    date = head.date or dt.date(head.year, 4, 15)
    if head.kind == INDIVIDUAL:
        tasks = [TaskDef(t, m, level=report.levels.get(t)) for t, m in report.tasks]
        scale = _scale_from(report.rows)
    else:
        tasks, scale = [], None                 # known from its «Индивидуальные результаты» later, if ever
    work_id, _ = create_work(store, WorkDef(head.subject, head.grade, date, tasks, scale=scale, source="results"))
    return work_id


# The import ---------------------------------------------------------------------------------------

def read_results_file(path: Path | str) -> Any:
    """The report in `path` (pure reading; raises `UserError` naming every problem)."""
    from .formats.fisoko.analytics import read_report  # start-up: openpyxl

    return read_report(path)


def import_results(store: Store, path: Path | str, *, work_id: int | None = None, create_work: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> ResultsImport:
    """Import one «Аналитика» report. The work: `work_id`, else recognised from the report; a
    «Индивидуальные результаты» of no work creates a past work when `create_work`."""
    path = Path(path)
    report = read_results_file(path)
    if progress:
        progress(1, 3)
    head = report.head
    codes = {r.code for r in getattr(report, "rows", [])}
    created = False
    if work_id is not None:
        work = get_work(store, work_id)
        _check_work_fits(work, head)
    else:
        work = _match_work(store, head, codes)
        if work is None and not (create_work and head.kind in CREATES_WORK):
            raise _no_work(head, head.kind)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with store.atomic():
        if work is None:
            work = get_work(store, _create_past_work(store, report))
            created = True
        if head.kind == INDIVIDUAL:
            result = _apply_individual(store, work, report, path, digest, created)
        else:
            result = _apply_groups(store, work, report, path, digest)
        audit.record(store, "results.import", "works", work.id, kind=head.kind, file=path.name, sha256=digest,
                     rows=result.rows, created_work=created, references=result.references)
    if progress:
        progress(2, 3)
    result.created_work = created
    result.work_title = work.title
    from .school_years import academic_year_of

    result.school_year = academic_year_of(work.work_date)
    result.reconciliation = reconcile(store, work.id)
    result.changes = Changes.of(Topic.WORKS, Topic.REFERENCES, Topic.SCORES) if created else \
        Changes.of(Topic.REFERENCES, Topic.WORKS)
    if progress:
        progress(3, 3)
    return result


def _record_import(store: Store, work: Work, kind: str, path: Path, digest: str, title: str, group: str,
                   rows: int, school_row: dict[str, Any] | None) -> None:
    store.db.execute("DELETE FROM result_imports WHERE work_id = ? AND kind = ?", [work.id, kind])
    store.db["result_imports"].insert({
        "work_id": work.id, "kind": kind, "file_name": path.name, "sha256": digest, "title": title,
        "school_group": group, "rows": rows, "imported_at": now_iso(),
        "school_row": json.dumps(school_row, ensure_ascii=False) if school_row is not None else None})


@dataclass
class ResultsBatch:
    """Several reports imported one after another (each all or nothing)."""

    results: list[ResultsImport]
    changes: Changes = field(default_factory=Changes)

    def summary(self) -> str:
        return "\n".join(r.summary() for r in self.results)


def import_results_files(store: Store, paths: list[Path | str], *, create_work: bool = False,
                         progress: Callable[[int, int], None] | None = None) -> ResultsBatch:
    """The reports chosen together, «Индивидуальные результаты» first, then «Статистика по отметкам»
    (a past work they create takes the other reports of the same work)."""
    from .formats.fisoko.analytics import read_report

    order = {kind: n for n, kind in enumerate(CREATES_WORK)}
    reports = sorted(((Path(p), read_report(p).head.kind) for p in paths), key=lambda pk: order.get(pk[1], len(order)))
    batch = ResultsBatch([])
    for n, (path, _kind) in enumerate(reports):
        result = import_results(store, path, create_work=create_work)
        batch.results.append(result)
        batch.changes = batch.changes | result.changes
        if progress:
            progress(n + 1, len(reports))
    return batch


def _apply_individual(store: Store, work: Work, report: Any, path: Path, digest: str, created: bool) -> ResultsImport:
    if work.source == "results" and not work.tasks:     # created from «Статистика по отметкам» alone
        add_past_work_tasks(store, work.id, [TaskDef(t, m, level=report.levels.get(t)) for t, m in report.tasks],
                            _scale_from(report.rows))
        work = get_work(store, work.id)
        created = True                                  # its levels are the report's, not «changed»
    mine = {t.task_id: t for t in work.tasks}
    theirs = {normalize_task_id(t): m for t, m in report.tasks}
    problems = [f"задания «{t}» нет в работе" for t in theirs if t not in mine]
    problems += [f"задание {t}: в отчёте максимум {m}, а в работе {mine[t].max_score}"
                 for t, m in theirs.items() if t in mine and mine[t].max_score != m]
    problems += [f"задания {t} работы нет в отчёте" for t in mine if t not in theirs]
    if problems:
        raise UserError(f"Отчёт не подходит к работе «{work.title}»: задания не совпадают. Ничего не импортировано.",
                        details=problems)
    levels = {normalize_task_id(t): lv for t, lv in report.levels.items()}
    changed = [TaskInfo(t, lv) for t, lv in levels.items() if mine[t].level != lv]
    if changed:
        set_tasks(store, work.id, changed, action="work.tasks.fisoko")
    db = store.db
    db.execute("DELETE FROM official_results WHERE work_id = ?", [work.id])
    db["official_results"].insert_all(
        {"work_id": work.id, "code": r.code, "class_ordinal": r.class_ordinal, "variant": r.variant,
         "scores": json.dumps({normalize_task_id(k): v for k, v in r.scores.items()}, ensure_ascii=False),
         "primary_score": r.primary_score, "mark": r.mark, "journal_mark": r.journal_mark}
        for r in report.rows)
    _record_import(store, work, INDIVIDUAL, path, digest, report.head.title, report.school_group, len(report.rows),
                   None)
    return ResultsImport(INDIVIDUAL, work.id, work.title, len(report.rows), levels_set=0 if created else len(changed))


def _merged_reference(store: Store, work: Work, scope: str, year: int | None, source: str,
                      **fields: Any) -> references.ReferenceRow:
    """The scope's row with `fields` from the report; the other figures kept when the row came from
    another report (a hand-typed row is replaced whole)."""
    old = next((r for r in references.list_references(store, work.id) if r.scope == scope), None)
    keep = old is not None and old.source.startswith(SOURCE_PREFIX)
    base = {"marks": dict(old.marks) if keep else {}, "tasks": dict(old.tasks) if keep else {},
            "not_confirmed": old.not_confirmed if keep else None, "mean_pct": old.mean_pct if keep else None}
    base.update(fields)
    return references.ReferenceRow(work.id, scope, year, base["marks"], base["tasks"], base["not_confirmed"],
                                   source, mean_pct=base["mean_pct"])


def _apply_groups(store: Store, work: Work, report: Any, path: Path, digest: str) -> ResultsImport:
    head = report.head
    source = f"{SOURCE_PREFIX}, «{KIND_TITLES[head.kind]}», {path.name}"
    year = head.year if head.year and head.year <= work.work_date.year else None
    written = []
    for scope in references.SCOPES:
        group = report.scope(scope)
        if group is None:
            continue
        if head.kind == MARKS:
            row = _merged_reference(store, work, scope, year, source, marks=dict(group.marks_pct))
        else:
            pct = group.journal_pct
            row = _merged_reference(store, work, scope, year, source,
                                    not_confirmed=round(pct.get("lowered", 0) + pct.get("raised", 0), 2))
        references.set_reference(store, row)
        written.append(scope)
    school = report.scope("school")
    school_row = None
    if school is not None:
        school_row = {"name": school.name, "participants": school.participants,
                      "marks_pct": school.marks_pct, "journal_pct": school.journal_pct,
                      "journal_count": school.journal_count}
    _record_import(store, work, head.kind, path, digest, head.title, school.name if school else "",
                   len(report.groups), school_row)
    return ResultsImport(head.kind, work.id, work.title, len(report.groups), references=written)


# The reconciliation ------------------------------------------------------------------------------

def _value(v: Any) -> str | None:
    return None if v is None or v == "" else str(v)


def _same_task(school: str | None, fisoko: str | None) -> bool:
    """«X» counts 0: ФИС ОКО may show it either way (how it shows «X» is not known from a real file)."""
    def norm(v: str | None) -> str | None:
        return "0" if v in ("X", "0") else v
    return norm(school) == norm(fisoko)


def reconcile(store: Store, work_id: int) -> Reconciliation:
    """The differences between the school's data now and the reports imported for the work."""
    from .scoring import score_sheet  # the score sheet's module is heavy: only when reconciling

    work = get_work(store, work_id)
    result = Reconciliation(work.id, work.title)
    imports = {r["kind"]: r for r in store.query("SELECT * FROM result_imports WHERE work_id = ?", [work_id])}
    result.kinds = {k: {"rows": r["rows"], "file": r["file_name"], "imported_at": r["imported_at"],
                        "title": KIND_TITLES[k]} for k, r in imports.items()}
    sheet = score_sheet(store, work_id, final=True, experts=False)
    result.school_has_data = bool(sheet)
    if not imports or not sheet:
        return result
    ordinals = {r["id"]: r["ordinal"] for r in store.query("SELECT id, ordinal FROM classes")}
    task_ids = [t.task_id for t in work.tasks]
    if INDIVIDUAL in imports:
        official = {r["code"]: r for r in store.query("SELECT * FROM official_results WHERE work_id = ?", [work_id])}
        result.differences += _individual_differences(sheet, official, ordinals, task_ids)
        result.compared_codes = len({r.code for r in sheet if not r.absent} | set(official))
    present = [r for r in sheet if not r.absent and r.status == "scored"] or [r for r in sheet if not r.absent]
    if MARKS in imports and imports[MARKS]["school_row"]:
        result.differences += _marks_differences(present, json.loads(imports[MARKS]["school_row"]))
    if JOURNAL in imports and imports[JOURNAL]["school_row"]:
        result.differences += _journal_differences(present, json.loads(imports[JOURNAL]["school_row"]))
    return result


def _individual_differences(sheet: list[Any], official: dict[str, Any], ordinals: dict[int, Any],
                            task_ids: list[str]) -> list[Difference]:
    found: list[Difference] = []
    school = {r.code: r for r in sheet}
    for code in sorted(set(school) | set(official)):
        mine, theirs = school.get(code), official.get(code)
        if theirs is None:
            if mine is not None and not mine.absent:
                found.append(Difference(code, "presence", "писал(а)", "нет в ФИС ОКО"))
            continue
        if mine is None:
            found.append(Difference(code, "presence", "нет в протоколе", "есть в ФИС ОКО"))
            continue
        if mine.absent:
            found.append(Difference(code, "presence", "отсутствовал(а)", "есть результат"))
            continue
        scores = json.loads(theirs["scores"])
        for t in task_ids:
            if not _same_task(mine.scores.get(t), scores.get(t)):
                found.append(Difference(code, f"task:{t}", _value(mine.scores.get(t)), _value(scores.get(t))))
        pairs = [
            ("primary_score", mine.total, theirs["primary_score"]),
            ("mark", mine.mark, theirs["mark"]),
            ("journal_mark", mine.journal_mark if mine.journal_mark in ("2", "3", "4", "5") else None,
             theirs["journal_mark"]),
            ("variant", mine.variants.get(1), theirs["variant"]),
            ("class_ordinal", ordinals.get(mine.class_id), theirs["class_ordinal"]),
        ]
        for name, a, b in pairs:
            if b is None and name in ("variant", "class_ordinal"):
                continue                        # the report has no such column
            if _value(a) != _value(b):
                found.append(Difference(code, name, _value(a), _value(b)))
    return found


def _count_of(pct: float, total: int) -> int:
    return int(round(pct * total / 100))


def _marks_differences(present: list[Any], row: dict[str, Any]) -> list[Difference]:
    total = row.get("participants")
    found = []
    counted = [r for r in present if r.mark]
    if total is not None and total != len(counted):
        found.append(Difference(None, "participants", str(len(counted)), str(total), MARKS))
    if not total:
        return found
    mine = Counter(r.mark for r in counted)
    for mark in ("2", "3", "4", "5"):
        theirs = _count_of(row.get("marks_pct", {}).get(mark, 0), total)
        if mine.get(mark, 0) != theirs:
            found.append(Difference(None, f"mark_{mark}", str(mine.get(mark, 0)), str(theirs), MARKS))
    return found


def _journal_differences(present: list[Any], row: dict[str, Any]) -> list[Difference]:
    mine = Counter()
    for r in present:
        if r.mark and r.journal_mark in ("2", "3", "4", "5"):
            diff = int(r.mark) - int(r.journal_mark)
            mine["lowered" if diff < 0 else "raised" if diff > 0 else "confirmed"] += 1
    total = row.get("participants") or 0
    counts = row.get("journal_count") or {g: _count_of(row.get("journal_pct", {}).get(g, 0), total)
                                          for g in _JOURNAL_GROUPS}
    return [Difference(None, g, str(mine.get(g, 0)), str(counts.get(g, 0)), JOURNAL)
            for g in _JOURNAL_GROUPS if mine.get(g, 0) != counts.get(g, 0)]


def official_rows(store: Store, work_id: int) -> list[dict[str, Any]]:
    """ФИС ОКО's rows of the work as stored (code, class number, variant, scores, primary, marks)."""
    get_work(store, work_id)
    return [{**r, "scores": json.loads(r["scores"])}
            for r in store.query("SELECT * FROM official_results WHERE work_id = ? ORDER BY code", [work_id])]


def write_reconciliation(store: Store, work_id: int, out: Path | str) -> Path:
    """The reconciliation as a PDF the coordinator hands to the municipality: codes, never names."""
    from .formats.pdf.common import write_pdf
    from .formats.pdf.reconciliation import reconciliation_pdf  # start-up: reportlab
    from .school import require_school

    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise UserError(f"Сверка сохраняется в PDF: укажите файл .pdf (а не «{out.name}»).")
    found = reconcile(store, work_id)
    if not found.kinds:
        raise UserError(f"По работе «{found.work_title}» ещё не импортировано ни одного отчёта ФИС ОКО: "
                        "сверять не с чем.")
    school = require_school(store)
    write_pdf(out, reconciliation_pdf(school.name, school.login, found, dt.date.today()))
    return out
