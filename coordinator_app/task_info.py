"""Per task of a work, what the analysis needs besides the maximum: the level (Б/П/В), whether the
task is scored by an expert's judgement («развёрнутый ответ») and the checked requirement
(«проверяемое умение»). Set one task at a time (the command line), all of them at once (the work
dialog) or from a file (`formats.task_list`), each change in one transaction with its audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store
from .task_levels import ValueProblem, clean_requirement, parse_level, parse_open_answer
from .words import counted
from .works import TaskDef, get_work, normalize_task_id


class _Keep:
    """«Leave this field as it is» (None means «not known»)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class TaskInfo:
    """The analysis fields of one task as given: `KEEP` for a field left as it is."""

    task_id: str
    level: Any = KEEP              # «Б», «П», «В», a word for them, or None
    open_answer: Any = KEEP        # True, False, None, or «да»/«нет»
    requirement: Any = KEEP        # text; "" or None clears it


def _cleaned(info: TaskInfo, current: TaskDef) -> TaskDef:
    """The task with `info` applied; `ValueProblem` for a value that is no level or yes/no."""
    level = current.level if info.level is KEEP else parse_level(info.level)
    if info.open_answer is KEEP:
        open_answer = current.open_answer
    elif isinstance(info.open_answer, bool) or info.open_answer is None:
        open_answer = info.open_answer
    else:
        open_answer = parse_open_answer(str(info.open_answer))
    requirement = current.requirement if info.requirement is KEEP else clean_requirement(info.requirement)
    return TaskDef(current.task_id, current.max_score, current.part, level, open_answer, requirement)


def _fields(task: TaskDef) -> dict[str, Any]:
    return {"level": task.level, "open": task.open_answer, "requirement": task.requirement or None}


def merge_infos(tasks: list[TaskDef], infos: list[TaskInfo], where: list[str] | None = None) -> dict[str, TaskDef]:
    """{task id: the task with its info applied} for the tasks `infos` name; `UserError` naming
    every unknown task and bad value (`where[i]` says where `infos[i]` came from, e.g. «строка 4»)."""
    by_id = {t.task_id: t for t in tasks}
    problems: list[str] = []
    changed: dict[str, TaskDef] = {}
    for i, info in enumerate(infos):
        place = f"{where[i]}: " if where else ""
        task_id = normalize_task_id(info.task_id)
        if task_id not in by_id:
            problems.append(f"{place}задания «{info.task_id}» в работе нет (есть: {', '.join(by_id)})")
        elif task_id in changed and where:
            problems.append(f"{place}задание «{task_id}» указано второй раз")
        else:
            try:
                changed[task_id] = _cleaned(info, changed.get(task_id, by_id[task_id]))
            except ValueProblem as err:
                problems.append(f"{place}задание «{task_id}»: {err}")
    if problems:
        raise UserError("Описание заданий не принято: ничего не изменено.", details=problems)
    return changed


def set_tasks(store: Store, work_id: int, infos: list[TaskInfo], *, where: list[str] | None = None,
              action: str = "work.tasks") -> Changes:
    """Apply `infos` to the work's tasks, all or nothing: an unknown task or a bad value refuses the
    whole list, each problem named."""
    work = get_work(store, work_id)
    tasks = {t.task_id: t for t in work.tasks}
    try:
        changed = merge_infos(work.tasks, infos, where)
    except UserError as err:
        raise UserError(f"Описание заданий работы «{work.title}» не сохранено: ничего не изменено.",
                        details=err.details) from None
    diff = {k: [_fields(tasks[k]), _fields(t)] for k, t in changed.items() if _fields(tasks[k]) != _fields(t)}
    if not diff:
        return Changes()
    with store.atomic() as db:
        for task_id in diff:
            task = changed[task_id]
            db.execute("UPDATE work_tasks SET level = ?, open_answer = ?, requirement = ? "
                       "WHERE work_id = ? AND task_id = ?",
                       [task.level, None if task.open_answer is None else int(task.open_answer),
                        task.requirement or None, work_id, task_id])
        audit.record(store, action, "works", work_id, tasks={k: {"old": v[0], "new": v[1]} for k, v in diff.items()})
    return Changes.of(Topic.WORKS)


def task_infos(tasks: list[TaskDef]) -> list[TaskInfo]:
    """Every field of `tasks` as infos to set (the work dialog saves its whole table)."""
    return [TaskInfo(t.task_id, t.level, t.open_answer, t.requirement) for t in tasks]


def set_task(store: Store, work_id: int, task_id: str, *, level: Any = KEEP, open_answer: Any = KEEP,
             requirement: Any = KEEP) -> Changes:
    """Set one task's level, «развёрнутый ответ» and requirement (each left as is unless given;
    None clears it). Raises `UserError` for an unknown work or task, a level other than Б/П/В."""
    if level is KEEP and open_answer is KEEP and requirement is KEEP:
        raise UserError("Укажите, что изменить: уровень, развёрнутый ответ или проверяемое умение.")
    try:
        return set_tasks(store, work_id, [TaskInfo(task_id, level, open_answer, requirement)])
    except UserError as err:
        if len(err.details) == 1:       # one task: one sentence
            raise UserError(f"Задание не изменено: {err.details[0]}.") from None
        raise


@dataclass(frozen=True)
class ImportResult:
    rows: int
    changes: Changes

    def summary(self) -> str:
        return f"Описание заданий импортировано: {counted(self.rows, 'строка', 'строки', 'строк')}."


def read_task_file(path: Path | str) -> tuple[list[TaskInfo], list[str]]:
    """The infos a task-description file gives (an empty cell: `KEEP`) and where each comes from."""
    from .formats.task_list import read_task_list  # start-up: openpyxl is loaded only to import

    rows = read_task_list(path)
    empty = [f"строка {r.row}: не указан номер задания" for r in rows if not r.task.strip()]
    if empty:
        raise UserError(f"Файл «{Path(path).name}» не импортирован: ничего не изменено.", details=empty)
    infos = [TaskInfo(r.task, r.level or KEEP, r.open_answer or KEEP, r.requirement or KEEP) for r in rows]
    return infos, [f"строка {r.row}" for r in rows]


def import_tasks(store: Store, work_id: int, path: Path | str) -> ImportResult:
    """The work's task descriptions from a file (task, requirement; optional level, open answer),
    all or nothing. An empty cell leaves that field as it is."""
    get_work(store, work_id)                        # an unknown work is said before the file is read
    infos, where = read_task_file(path)
    changes = set_tasks(store, work_id, infos, where=where, action="work.tasks_import")
    return ImportResult(len(infos), changes)


def analysis_tasks(tasks: list[TaskDef]) -> tuple[Any, ...]:
    """A work's tasks as the analysis takes them (`analysis.model.TaskInfo`)."""
    from .analysis.model import TaskInfo as AnalysisTask

    return tuple(AnalysisTask(t.task_id, t.max_score, t.level, t.open_answer, t.requirement or None) for t in tasks)
