"""The small bundled catalogue of work structures (`resources/catalogue/works.json`).

Only works whose structure and scale could be sourced are listed; each entry names its source.
Task rows are `[id, max]` or `[id, max, part]`. An entry may give its tasks' levels (Б/П/В) as
`"levels": {"1": "Б", …}` only together with `"levels_source"`, the document that states them (a
work's description or ФИС ОКО's «Уровень сложности задания»); without a source no level is given
— none is guessed from a task's number or maximum.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

from .errors import UserError
from .resources import resource_path
from .works import TaskDef, WorkDef


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    subject: str
    grade: int
    year: int
    tasks: tuple[TaskDef, ...]
    scale: tuple[int, ...] | None
    source: str

    @property
    def title(self) -> str:
        return f"{self.subject}, {self.grade} класс, {self.year}"

    @property
    def max_total(self) -> int:
        return sum(t.max_score for t in self.tasks)

    def to_definition(self, work_date: dt.date, classes: list[str] | None = None) -> WorkDef:
        return WorkDef(
            subject=self.subject, grade=self.grade, work_date=work_date,
            tasks=[TaskDef(t.task_id, t.max_score, t.part, t.level) for t in self.tasks],
            parts=max(t.part for t in self.tasks), scale=list(self.scale) if self.scale else None,
            classes=list(classes or []), source="catalogue",
        )


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[CatalogueEntry, ...]:
    data = json.loads(resource_path("catalogue", "works.json").read_text(encoding="utf-8"))
    entries = []
    for item in data["works"]:
        levels = item.get("levels") if item.get("levels_source") else None
        tasks = tuple(TaskDef(str(t[0]), int(t[1]), int(t[2]) if len(t) > 2 else 1,
                              (levels or {}).get(str(t[0]))) for t in item["tasks"])
        entries.append(CatalogueEntry(
            id=item["id"], subject=item["subject"], grade=int(item["grade"]), year=int(item["year"]),
            tasks=tasks, scale=tuple(item["scale"]) if item.get("scale") else None,
            source=item["source"] + (f"; уровни заданий: {item['levels_source']}" if levels else ""),
        ))
    return tuple(entries)


def get_entry(entry_id: str) -> CatalogueEntry:
    for entry in load_catalogue():
        if entry.id == entry_id:
            return entry
    known = ", ".join(e.id for e in load_catalogue())
    raise UserError(f"В каталоге нет работы «{entry_id}». Есть: {known}.")
