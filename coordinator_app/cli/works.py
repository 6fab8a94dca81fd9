"""Command line, works: creating and editing a work, its grading criteria and its classes' textbooks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..attachments import attach, match_textbook, set_textbook
from ..catalogue import get_entry
from ..classes import list_classes
from ..errors import UserError
from ..works import (
    WorkDef,
    create_work,
    get_work,
    parse_date,
    parse_scale,
    parse_tasks_spec,
    unknown_columns_notice,
    update_work,
    work_from_template,
)
from .common import EXIT_OK, CommandTable, csv_list, data_store, output

COMMANDS = CommandTable()


def _work_definition(args: argparse.Namespace) -> WorkDef:
    """The new work as the arguments describe it: from a form template, the catalogue, or --tasks."""
    work_date = parse_date(args.date)
    scale = parse_scale(args.scale)
    classes = csv_list(args.classes)
    if args.template:
        defn = work_from_template(Path(args.template), subject=args.subject, work_date=work_date,
                                  grade=args.grade, classes=classes, scale=scale)
    elif args.catalogue:
        defn = get_entry(args.catalogue).to_definition(work_date, classes)
        if args.subject:
            defn.subject = args.subject
        if scale:
            defn.scale = scale
    else:
        if args.grade is None:
            raise UserError("Укажите параллель: --grade.")
        defn = WorkDef(subject=args.subject, grade=args.grade, work_date=work_date,
                       tasks=parse_tasks_spec(args.tasks), scale=scale, classes=classes)
        defn.parts = max(t.part for t in defn.tasks) if defn.tasks else 1
    if args.pages is not None:
        defn.pages_per_work = args.pages
    return defn


def cmd_add_work(args: argparse.Namespace) -> int:
    defn = _work_definition(args)
    with data_store(args) as store:
        if not defn.classes:   # every class of the work's grade, as a coordinator expects
            defn.classes = [c.name for c in list_classes(store, grade=defn.grade)]
        work_id, _ = create_work(store, defn)
        work = get_work(store, work_id)
    notice = unknown_columns_notice(work.template_info)
    output(args, {"id": work_id, **work.as_dict()},
           f"Работа создана: № {work_id} — {work.title}; заданий {len(work.tasks)}, максимум {work.max_total} б."
           + (f"\nВнимание: {notice}" if notice else ""))
    return EXIT_OK


def _pages_change(given: str) -> int | None:
    """--pages of edit-work: a whole number, or «-» for «not set»."""
    text = given.strip()
    if text != "-" and not text.isdigit():
        raise UserError(f"Число страниц — целое число (например, 3) или «-», а указано «{given}».")
    return None if text == "-" else int(text)


def _work_changes(args: argparse.Namespace) -> dict[str, Any]:
    """What edit-work is asked to change, as `update_work` takes it."""
    changes: dict[str, Any] = {}
    if args.date:
        changes["work_date"] = parse_date(args.date)
    if args.subject:
        changes["subject"] = args.subject
    if args.classes:
        changes["classes"] = csv_list(args.classes)
    if args.scale:
        changes["scale"] = None if args.scale.strip() == "-" else parse_scale(args.scale)
    if args.pages:
        changes["pages_per_work"] = _pages_change(args.pages)
    if not changes:
        raise UserError("Укажите, что изменить: --date, --subject, --classes, --scale или --pages.")
    return changes


def cmd_edit_work(args: argparse.Namespace) -> int:
    changes = _work_changes(args)
    with data_store(args) as store:
        update_work(store, args.work, **changes)
        work = get_work(store, args.work)
    pages = f"; страниц в работе: {work.pages_per_work}" if work.pages_per_work else ""
    output(args, {"id": work.id, **work.as_dict()}, f"Работа изменена: № {work.id} — {work.title}{pages}.")
    return EXIT_OK


def cmd_attach_criteria(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        attachment_id, _ = attach(store, args.work, Path(args.file), variant=args.variant)
    output(args, {"id": attachment_id, "file": args.file, "variant": args.variant},
           f"Критерии прикреплены: {Path(args.file).name}" + (f" (вариант {args.variant})." if args.variant else "."))
    return EXIT_OK


def cmd_set_textbook(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        books = list((get_work(store, args.work).template_info or {}).get("textbooks") or [])
        chosen = match_textbook(books, args.textbook) if books else " ".join(args.textbook.split())
        if chosen is None:
            raise UserError(f"Учебника «{args.textbook}» нет в списке формы ФИС ОКО. Укажите номер или часть "
                            "названия из списка:", details=[f"{i}. {b}" for i, b in enumerate(books, start=1)])
        set_textbook(store, args.work, args.class_name, chosen)
    other = chosen.rsplit("|", 1)[-1].strip().casefold() == "другое" and "друг" not in args.textbook.casefold()
    note = " (в списке формы такого учебника нет: записано «другое»)" if books and other and \
        not args.textbook.isdigit() else ""
    output(args, {"class": args.class_name, "textbook": chosen}, f"{args.class_name}: учебник «{chosen}»{note}.")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("add-work", "создать работу")
def _args_add_work(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subject", help="предмет")
    p.add_argument("--grade", type=int, help="параллель (4–11)")
    p.add_argument("--date", required=True, help="дата проведения, ГГГГ-ММ-ДД")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", metavar="FORM.xlsx", help="шаблон формы сбора результатов из ФИС ОКО")
    source.add_argument("--tasks", help='задания и максимумы: "1:2,2:1,9.1:1"; вторая часть после «|»')
    source.add_argument("--catalogue", metavar="ID", help="работа из встроенного каталога, например rus4-2026")
    p.add_argument("--scale", help="наименьший балл для «3», «4», «5»: 10,16,21")
    p.add_argument("--classes", help="классы через запятую: 4А,4Б (по умолчанию — все классы параллели)")
    p.add_argument("--pages", type=int, metavar="N",
                   help="страниц в работе одного участника (для сверки сканов; без него — по первым работам пакета)")
    p.set_defaults(func=cmd_add_work)


@COMMANDS.command("edit-work", "изменить работу: дату, предмет, классы, шкалу, число страниц")
def _args_edit_work(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--date", help="дата проведения, ГГГГ-ММ-ДД")
    p.add_argument("--subject", help="предмет")
    p.add_argument("--classes", help="классы через запятую: 4А,4Б (весь список)")
    p.add_argument("--scale", help="наименьший балл для «3», «4», «5»: 10,16,21 («-» — убрать шкалу)")
    p.add_argument("--pages", metavar="N", help="страниц в работе одного участника («-» — не задано)")
    p.set_defaults(func=cmd_edit_work)


@COMMANDS.command("attach-criteria", "прикрепить критерии оценивания к работе (для пакета перепроверки)")
def _args_attach_criteria(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("file", metavar="FILE", help="файл критериев (PDF, DOCX, изображение)")
    p.add_argument("--variant", help="вариант, к которому относятся критерии (без него — ко всем)")
    p.set_defaults(func=cmd_attach_criteria)


@COMMANDS.command("set-textbook", "учебник класса для листа «Классы» формы ФИС ОКО")
def _args_set_textbook(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--class", dest="class_name", required=True, help="класс, например 7Б")
    p.add_argument("--textbook", required=True,
                   help="учебник из списка формы: номер в списке, часть названия или название целиком; "
                        "без списка формы — любое название")
    p.set_defaults(func=cmd_set_textbook)
