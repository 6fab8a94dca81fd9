"""Reference rows of a work: the figures a school compares itself with (OBJECTIVITY.md §3 I-4, I-6):
Russia, the region, the municipality — % of each mark «2»–«5», % «не подтвердили», the mean % of the maximum, % per task,
with the year and where they come from. Typed in by hand for now (last year's published figures);
a later import from ФИС ОКО writes the same rows. One row per scope and work: setting it again
replaces it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store, now_iso
from .works import get_work, normalize_task_id

#: Stored scope → how it is shown; the words accepted for each.
SCOPES = {"russia": "Россия", "region": "регион", "municipality": "муниципалитет"}
_SCOPE_WORDS = {"россия": "russia", "рф": "russia", "russia": "russia", "регион": "region", "region": "region",
                "субъект": "region", "муниципалитет": "municipality", "муниципалитет (район)": "municipality",
                "район": "municipality", "municipality": "municipality", "мо": "municipality"}
MARKS = ("2", "3", "4", "5")
#: Published shares are rounded: their sum may miss 100 by this much.
SUM_TOLERANCE = 1.0
MAX_SOURCE = 300


@dataclass(frozen=True)
class ReferenceRow:
    work_id: int
    scope: str                                  # "russia", "region", "municipality"
    year: int | None = None
    marks: dict[str, float] = field(default_factory=dict)        # {"2": 13.4, …}; absent: not given
    tasks: dict[str, float] = field(default_factory=dict)        # {"1": 71.2, …}
    not_confirmed: float | None = None
    source: str = ""
    changed_at: str | None = None
    mean_pct: float | None = None               # mean % of the maximum («средний % выполнения»)

    @property
    def scope_text(self) -> str:
        return SCOPES[self.scope]

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "scope_text": self.scope_text, "year": self.year, "marks_pct": self.marks,
                "tasks_pct": self.tasks, "not_confirmed_pct": self.not_confirmed, "mean_pct": self.mean_pct, "source": self.source,
                "changed_at": self.changed_at}


def parse_scope(text: str) -> str:
    scope = _SCOPE_WORDS.get(" ".join(str(text).split()).casefold())
    if scope is None:
        raise UserError(f"Уровень сравнения «{text}» не распознан: укажите «россия», «регион» или «муниципалитет».")
    return scope


def parse_pct(text: Any, what: str) -> float:
    """«12,4», «12.4», «12,4 %» → 12.4; 0–100."""
    try:
        value = float(str(text).strip().rstrip("%").strip().replace(",", "."))
    except ValueError:
        raise UserError(f"{what}: нужен процент (число от 0 до 100), а указано «{text}».") from None
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise UserError(f"{what}: процент от 0 до 100, а указано «{text}».")
    return value


def parse_pairs(text: str | None) -> dict[str, str]:
    """«2=12,4,3=52,8» or «2=12.4;3=52.8» → {"2": "12,4", "3": "52,8"} (a decimal comma is kept
    apart from the separating one: a separator is followed by «ключ=»)."""
    pairs: dict[str, str] = {}
    for part in re.split(r"[;,]\s*(?=[^=;,\s]+\s*=)", (text or "").strip()):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"«{part.strip()}»: ожидается «номер=процент», например 2=12,4.")
        pairs[key.strip()] = value.strip()
    return pairs


def _rows(store: Store, work_id: int) -> list[ReferenceRow]:
    result = []
    for r in store.query("SELECT * FROM reference_rows WHERE work_id = ? ORDER BY id", [work_id]):
        marks = {m: r[f"pct{m}"] for m in MARKS if r[f"pct{m}"] is not None}
        tasks = {t["task_id"]: t["pct"] for t in store.query(
            "SELECT rt.task_id, rt.pct FROM reference_tasks rt JOIN work_tasks wt "
            "ON wt.work_id = ? AND wt.task_id = rt.task_id WHERE rt.reference_id = ? ORDER BY wt.position",
            [work_id, r["id"]])}
        result.append(ReferenceRow(work_id, r["scope"], r["year"], marks, tasks, r["not_confirmed"], r["source"],
                                   r["changed_at"], r["mean_pct"]))
    order = list(SCOPES)
    return sorted(result, key=lambda row: order.index(row.scope))


def list_references(store: Store, work_id: int) -> list[ReferenceRow]:
    """The work's reference rows: Russia, region, municipality (those entered)."""
    get_work(store, work_id)
    return _rows(store, work_id)


def _check(store: Store, row: ReferenceRow) -> tuple[ReferenceRow, list[str]]:
    """The row cleaned (task numbers normalised) and the problems with it."""
    work = get_work(store, row.work_id)
    problems: list[str] = []
    if row.scope not in SCOPES:
        problems.append(f"уровень сравнения «{row.scope}» не распознан")
    if row.year is not None and not 2015 <= row.year <= work.work_date.year:
        problems.append(f"год {row.year}: ВПР проводятся с 2015 года, а работа — {work.work_date.year} года")
    if set(row.marks) - set(MARKS):
        problems.append("отметки — только «2», «3», «4», «5»")
    if len(row.marks) == 4 and abs(sum(row.marks.values()) - 100) > SUM_TOLERANCE:
        total = f"{sum(row.marks.values()):.1f}".replace(".", ",")
        problems.append(f"доли отметок в сумме {total} %, а должны давать 100 %")
    known = {t.task_id for t in work.tasks}
    tasks = {normalize_task_id(k): v for k, v in row.tasks.items()}
    problems += [f"задания «{k}» в работе нет" for k in tasks if k not in known]
    if not (row.marks or row.tasks or row.not_confirmed is not None or row.mean_pct is not None):
        problems.append("не указано ни одной цифры: доли отметок, «не подтвердили», средний процент выполнения "
                        "или выполнение заданий")
    if len(row.source) > MAX_SOURCE:
        problems.append(f"источник длиннее {MAX_SOURCE} знаков")
    cleaned = ReferenceRow(row.work_id, row.scope, row.year, dict(row.marks), tasks, row.not_confirmed,
                           " ".join(row.source.split()), mean_pct=row.mean_pct)
    return cleaned, problems


def set_reference(store: Store, row: ReferenceRow) -> Changes:
    """Store (or replace) the work's row of `row.scope`. All percentages 0–100; a full set of marks
    sums to 100 (± rounding); tasks must be tasks of the work."""
    row, problems = _check(store, row)
    if problems:
        raise UserError(f"Эталонные данные ({SCOPES.get(row.scope, row.scope)}) не сохранены.", details=problems)
    with store.atomic() as db:
        db.execute("DELETE FROM reference_rows WHERE work_id = ? AND scope = ?", [row.work_id, row.scope])
        ref_id = db["reference_rows"].insert({
            "work_id": row.work_id, "scope": row.scope, "year": row.year,
            **{f"pct{m}": row.marks.get(m) for m in MARKS}, "not_confirmed": row.not_confirmed, "mean_pct": row.mean_pct,
            "source": row.source, "changed_at": now_iso(),
        }).last_pk
        db["reference_tasks"].insert_all(
            {"reference_id": ref_id, "task_id": k, "pct": v} for k, v in row.tasks.items())
        audit.record(store, "reference.set", "works", row.work_id, scope=row.scope, year=row.year, marks=row.marks,
                     tasks=row.tasks, not_confirmed=row.not_confirmed, mean_pct=row.mean_pct, source=row.source)
    return Changes.of(Topic.REFERENCES)


def clear_references(store: Store, work_id: int, scope: str | None = None) -> Changes:
    """Remove the work's row of `scope`, or all its rows."""
    get_work(store, work_id)
    where, params = ("AND scope = ?", [work_id, scope]) if scope else ("", [work_id])
    if not store.scalar(f"SELECT COUNT(*) FROM reference_rows WHERE work_id = ? {where}", params):
        return Changes()
    with store.atomic() as db:
        db.execute(f"DELETE FROM reference_rows WHERE work_id = ? {where}", params)
        audit.record(store, "reference.clear", "works", work_id, scope=scope)
    return Changes.of(Topic.REFERENCES)


def model(store: Store, work_id: int, corridor: Any = None) -> Any:
    """The work's reference rows as the analysis takes them (`analysis.model.Reference`)."""
    from .analysis import model as analysis

    rows = {}
    for row in list_references(store, work_id):
        rows[row.scope] = analysis.ReferenceRow(
            name=row.scope_text + (f" {row.year}" if row.year else ""),
            marks_pct={int(k): v for k, v in row.marks.items()} or None, tasks_pct=dict(row.tasks) or None,
            not_confirmed_pct=row.not_confirmed, mean_pct=row.mean_pct)
    return analysis.Reference(russia=rows.get("russia"), region=rows.get("region"),
                              municipality=rows.get("municipality"), corridor=corridor)
