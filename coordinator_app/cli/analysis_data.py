"""Command line, the analysis's data: each task's level, «развёрнутый ответ» and checked requirement,
the analysis thresholds (and their exchange file with the municipality), a work's reference rows."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import references, thresholds
from ..task_info import KEEP, import_tasks, set_task
from ..task_levels import level_text, open_text
from ..works import get_work, normalize_task_id
from .common import EXIT_OK, CommandTable, data_store, output

COMMANDS = CommandTable()


def _task_line(task) -> str:
    requirement = f"; умение: {task.requirement}" if task.requirement else ""
    return (f"Задание {task.task_id}: уровень {level_text(task.level)}; развёрнутый ответ: "
            f"{open_text(task.open_answer)}{requirement}.")


def cmd_set_task(args: argparse.Namespace) -> int:
    level = KEEP if args.level is None else (None if args.level.strip() == "-" else args.level)
    open_answer = KEEP if args.open is None else (None if args.open.strip() == "-" else args.open)
    requirement = KEEP if args.requirement is None else args.requirement
    with data_store(args) as store:
        set_task(store, args.work, args.task, level=level, open_answer=open_answer, requirement=requirement)
        task = next(t for t in get_work(store, args.work).tasks if t.task_id == normalize_task_id(args.task))
    output(args, {"work_id": args.work, "id": task.task_id, "level": task.level, "open": task.open_answer,
                  "requirement": task.requirement or None}, _task_line(task))
    return EXIT_OK


def cmd_import_tasks(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = import_tasks(store, args.work, Path(args.file))
        work = get_work(store, args.work)
    output(args, {"work_id": args.work, "rows": result.rows, "tasks": work.as_dict()["tasks"]},
           "\n".join([result.summary(), *(_task_line(t) for t in work.tasks)]))
    return EXIT_OK


def _threshold_line(t: thresholds.Threshold) -> str:
    mark = " [изменено муниципалитетом]" if t.municipal else (" [изменено]" if t.changed else "")
    default = f" (по умолчанию {thresholds.value_text(t.definition.default)})" if t.changed else ""
    return (f"{t.key}: {thresholds.value_text(t.value, t.definition.unit)}{mark}{default} — {t.definition.title}. "
            f"Источник: {t.source}.")


def cmd_thresholds(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        items = thresholds.list_thresholds(store)
    output(args, [t.as_dict() for t in items], "\n".join(_threshold_line(t) for t in items))
    return EXIT_OK


def cmd_set_threshold(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        thresholds.set_threshold(store, args.key, args.value, args.source)
        item = next(t for t in thresholds.list_thresholds(store) if t.key == args.key.strip())
    output(args, item.as_dict(), _threshold_line(item))
    return EXIT_OK


def cmd_reset_thresholds(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        thresholds.reset_thresholds(store, args.key)
    what = f"Порог {args.key}" if args.key else "Все пороги"
    output(args, {"reset": args.key or "all"}, f"{what}: значения программы по умолчанию.")
    return EXIT_OK


def cmd_export_thresholds(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        path = thresholds.export_thresholds(store, Path(args.file), issued_by=args.issued_by or "")
    output(args, {"file": str(path)}, f"Пороги записаны в файл {path}.")
    return EXIT_OK


def cmd_import_thresholds(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = thresholds.import_thresholds(store, Path(args.file))
    output(args, {"changed": result.changed, "defaults": result.defaults, "ignored": result.ignored},
           result.summary())
    return EXIT_OK


def _reference_from(args: argparse.Namespace, scope: str) -> references.ReferenceRow:
    marks = {k: references.parse_pct(v, f"доля «{k}»") for k, v in references.parse_pairs(args.marks).items()}
    tasks = {k: references.parse_pct(v, f"задание {k}") for k, v in references.parse_pairs(args.tasks).items()}
    not_confirmed = (references.parse_pct(args.not_confirmed, "«не подтвердили»")
                     if args.not_confirmed is not None else None)
    mean = references.parse_pct(args.mean, "средний процент выполнения") if args.mean is not None else None
    return references.ReferenceRow(args.work, scope, args.year, marks, tasks, not_confirmed, args.source or "",
                                   mean_pct=mean)


def _reference_line(row: references.ReferenceRow) -> str:
    def pct(v: float) -> str:
        return f"{v:g}".replace(".", ",")

    parts = [f"{row.scope_text}" + (f", {row.year}" if row.year else "")]
    if row.marks:
        parts.append("отметки " + ", ".join(f"«{k}» {pct(v)} %" for k, v in row.marks.items()))
    if row.not_confirmed is not None:
        parts.append(f"не подтвердили {pct(row.not_confirmed)} %")
    if row.mean_pct is not None:
        parts.append(f"средний процент выполнения {pct(row.mean_pct)} %")
    if row.tasks:
        parts.append("задания " + ", ".join(f"{k}: {pct(v)} %" for k, v in row.tasks.items()))
    if row.source:
        parts.append(f"источник: {row.source}")
    return "; ".join(parts) + "."


def cmd_set_reference(args: argparse.Namespace) -> int:
    scope = references.parse_scope(args.scope)
    with data_store(args) as store:
        if args.clear:
            references.clear_references(store, args.work, scope)
        else:
            references.set_reference(store, _reference_from(args, scope))
        rows = references.list_references(store, args.work)
    row = next((r for r in rows if r.scope == scope), None)
    text = _reference_line(row) if row else f"Эталонные данные ({references.SCOPES[scope]}) удалены."
    output(args, row.as_dict() if row else {"scope": scope, "cleared": True}, text)
    return EXIT_OK


def cmd_references(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        rows = references.list_references(store, args.work)
        title = get_work(store, args.work).title
    text = "\n".join(_reference_line(r) for r in rows) if rows else f"Для работы «{title}» эталонных данных нет."
    output(args, [r.as_dict() for r in rows], text)
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

_WORK_HELP = "номер работы (его показывает list works)"


@COMMANDS.command("set-task", "уровень, развёрнутый ответ и проверяемое умение задания (для анализа)")
def _args_set_task(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help=_WORK_HELP)
    p.add_argument("--task", required=True, help="номер задания: 1, 9.1, 4К1")
    p.add_argument("--level", metavar="Б|П|В", help="уровень: Б (базовый), П (повышенный), В (высокий); «-» — не указан")
    p.add_argument("--open", metavar="yes|no", help="развёрнутый ответ (оценивает эксперт): да/нет; «-» — не указано")
    p.add_argument("--requirement", metavar="ТЕКСТ", help="проверяемое умение (пустая строка — убрать)")
    p.set_defaults(func=cmd_set_task)


@COMMANDS.command("import-tasks", "описание заданий из файла: номер, проверяемое умение, уровень, развёрнутый ответ")
def _args_import_tasks(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="таблица .xlsx или .csv: «Задание», «Проверяемое умение» "
                                                "(и, если есть, «Уровень», «Развёрнутый ответ»)")
    p.add_argument("--work", type=int, required=True, help=_WORK_HELP)
    p.set_defaults(func=cmd_import_tasks)


@COMMANDS.command("thresholds", "пороги анализа: значение, единица, источник, по умолчанию")
def _args_thresholds(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_thresholds)


@COMMANDS.command("set-threshold", "изменить порог анализа")
def _args_set_threshold(p: argparse.ArgumentParser) -> None:
    p.add_argument("key", metavar="KEY", help="порог (список — команда thresholds)")
    p.add_argument("value", metavar="VALUE", help="значение, например 57 или 28,5")
    p.add_argument("--source", metavar="ТЕКСТ", help="откуда значение (например, приказ управления образования)")
    p.set_defaults(func=cmd_set_threshold)


@COMMANDS.command("reset-thresholds", "вернуть пороги анализа по умолчанию (один или все)")
def _args_reset_thresholds(p: argparse.ArgumentParser) -> None:
    p.add_argument("key", metavar="KEY", nargs="?", help="порог; без него — все")
    p.set_defaults(func=cmd_reset_thresholds)


@COMMANDS.command("export-thresholds", "записать пороги анализа в файл (.json) для школ муниципалитета")
def _args_export_thresholds(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="файл .json")
    p.add_argument("--issued-by", metavar="ТЕКСТ", help="кто выдаёт пороги (например, управление образования)")
    p.set_defaults(func=cmd_export_thresholds)


@COMMANDS.command("import-thresholds", "принять пороги анализа из файла муниципалитета (.json)")
def _args_import_thresholds(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="файл .json, записанный командой export-thresholds")
    p.set_defaults(func=cmd_import_thresholds)


@COMMANDS.command("set-reference", "эталонные данные работы: Россия, регион, муниципалитет")
def _args_set_reference(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help=_WORK_HELP)
    p.add_argument("--scope", required=True, metavar="регион|муниципалитет|россия", help="уровень сравнения")
    p.add_argument("--year", type=int, help="год, к которому относятся цифры")
    p.add_argument("--marks", metavar="2=..,3=..,4=..,5=..", help="доли отметок в %%: 2=13,4;3=44,2;4=36,3;5=6,1")
    p.add_argument("--tasks", metavar="1=..,2=..", help="выполнение заданий в %%: 1=71,2;2=65")
    p.add_argument("--not-confirmed", metavar="PCT", help="доля «не подтвердили» в %%")
    p.add_argument("--mean", metavar="PCT", help="средний процент выполнения работы (от максимального балла)")
    p.add_argument("--source", metavar="ТЕКСТ", help="откуда цифры (например, «Аналитика ФИС ОКО, 2025»)")
    p.add_argument("--clear", action="store_true", help="удалить эталонные данные этого уровня")
    p.set_defaults(func=cmd_set_reference)


@COMMANDS.command("references", "эталонные данные работы")
def _args_references(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help=_WORK_HELP)
    p.set_defaults(func=cmd_references)
