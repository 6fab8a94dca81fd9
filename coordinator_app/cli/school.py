"""Command line, the school: its details, the pupil lists, classes, experts, and the `list` command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..classes import class_by_id, find_class, list_classes, set_ordinal
from ..codes import list_participants
from ..errors import UserError
from ..experts import delete_expert, list_experts, save_expert
from ..school import School, get_school, save_school
from ..storage import Store
from ..students import import_pupils, list_students, namesake_birth_dates
from ..works import list_works
from .common import EXIT_INPUT, EXIT_OK, CommandTable, csv_list, data_store, first, output

COMMANDS = CommandTable()


def cmd_init(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        old = get_school(store)
        save_school(store, School(
            name=args.school, login=args.login, municipality=args.municipality or "",
            academic_year=args.year or "", director=args.director or "",
        ))
        school = get_school(store)
    assert school is not None
    verb = "обновлены" if old else "сохранены"
    output(args, {"school": school.__dict__, "data_dir": str(store.data_dir)},
           f"Сведения о школе {verb}: {school.name} ({school.login}), {school.academic_year} учебный год.\n"
           f"Папка данных: {store.data_dir}")
    return EXIT_OK


def _pupil_list_report(args: argparse.Namespace, parsed: Any) -> tuple[dict[str, Any], list[str]]:
    """What a parsed pupil list holds: the --json report and the text lines (problems, warnings)."""
    problems = [{"row": r.row_number, "sheet": r.sheet, "problems": r.problems} for r in parsed.problem_rows]
    warnings = [{"row": r.row_number, "sheet": r.sheet, "warnings": r.warnings} for r in parsed.rows if r.warnings]
    warnings += [{"row": None, "sheet": None, "warnings": [w]} for w in parsed.file_warnings]
    report: dict[str, Any] = {"file": str(args.file), "rows": len(parsed.rows), "ok_rows": len(parsed.ok_rows),
                              "problems": problems, "warnings": warnings}
    lines = [parsed.summary()]
    lines += [f"  {line}" for line in first(
        [f"строка {p['row']}{' (лист ' + p['sheet'] + ')' if p['sheet'] else ''}: {'; '.join(p['problems'])}"
         for p in problems])]
    lines += [f"  {line}" for line in first(
        [f"внимание{' (строка ' + str(w['row']) + ')' if w['row'] else ''}: {'; '.join(w['warnings'])}"
         for w in warnings])]
    return report, lines


def cmd_import_students(args: argparse.Namespace) -> int:
    from ..formats.pupil_list import parse_pupil_list  # start-up: the spreadsheet reader loads zipfile, shutil

    parsed = parse_pupil_list(Path(args.file), default_class=args.class_name)
    report, lines = _pupil_list_report(args, parsed)
    if report["problems"]:
        report["imported"] = False
        lines.append("Файл не импортирован: исправьте строки с ошибками и повторите. Ничего не изменено.")
        output(args, report, "\n".join(lines))
        return EXIT_INPUT
    if args.dry_run:
        report["imported"] = False
        lines.append("Проверка без записи (--dry-run): ничего не изменено.")
        output(args, report, "\n".join(lines))
        return EXIT_OK
    with data_store(args) as store:
        result = import_pupils(store, parsed)
    report.update(result.as_dict(), imported=True)
    lines.append(result.summary())
    output(args, report, "\n".join(lines))
    return EXIT_OK


# -- list: one lister per kind; each gives the --json items and the text ---------------------------

def _list_classes(store: Store, args: argparse.Namespace) -> tuple[list[Any], str]:
    items = [{"id": c.id, "name": c.name, "grade": c.grade, "letter": c.letter, "ordinal": c.ordinal,
              "pupils": c.pupils} for c in list_classes(store)]
    return items, "\n".join(f"{c['name']:<5} № {c['ordinal']:<3} учеников: {c['pupils']}" for c in items)


def _list_students(store: Store, args: argparse.Namespace) -> tuple[list[Any], str]:
    students = list_students(store)
    births = namesake_birth_dates(store)
    items = [s.as_dict() for s in students]
    return items, "\n".join(f"{s['code'] or '—':<6} {s['class']:<5} {s['surname']} {s['name']} {s['patronymic']}".rstrip()
                            + (f" (д. р. {births[st.id]})" if st.id in births else "")
                            for s, st in zip(items, students))


def _list_works(store: Store, args: argparse.Namespace) -> tuple[list[Any], str]:
    works = list_works(store)
    if getattr(args, "year", None):
        from ..school_years import academic_year_of, parse_year

        year = parse_year(args.year)
        works = [w for w in works if academic_year_of(w.work_date) == year]
    return [w.as_dict() for w in works], "\n".join(
        f"{w.id:<4} {w.title}; заданий {len(w.tasks)}, максимум {w.max_total} б.; "
        f"классы: {', '.join(n for _, n in w.classes) or '—'}" for w in works)


def _list_participants(store: Store, args: argparse.Namespace) -> tuple[list[Any], str]:
    if args.work is None:
        raise UserError("Укажите работу: list participants --work ID.")
    parts = list_participants(store, args.work)
    return [p.as_dict() for p in parts], "\n".join(
        f"{p.code} {p.class_name:<5} {p.who}" + ("  — отсутствовал" if p.absent else "") for p in parts)


_LISTERS = {"classes": _list_classes, "students": _list_students, "works": _list_works,
            "participants": _list_participants}


def cmd_list(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        items, text = _LISTERS[args.what](store, args)
    output(args, items, text or "Список пуст.")
    return EXIT_OK


def cmd_experts(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        if args.action == "add":
            if not args.name:
                raise UserError("Укажите ФИО эксперта: --name.")
            save_expert(store, args.name, csv_list(args.subjects), csv_list(args.classes))
        elif args.action == "remove":
            found = [e for e in list_experts(store) if e.name.casefold() == " ".join((args.name or "").split()).casefold()]
            if not found:
                raise UserError(f"Эксперта «{args.name}» нет в списке.")
            delete_expert(store, found[0].id)
        experts = list_experts(store)
    lines = [f"{e.name}" + (f"; предметы: {', '.join(e.subjects)}" if e.subjects else "")
             + (f"; классы: {', '.join(e.classes)}" if e.classes else "") for e in experts] or ["Список пуст."]
    output(args, [e.as_dict() for e in experts], "\n".join(lines))
    return EXIT_OK


def cmd_set_class(args: argparse.Namespace) -> int:
    text = args.ordinal.strip()
    if text != "-" and not text.isdigit():
        raise UserError(f"Порядковый номер — целое число (например, 2) или «-», а указано «{args.ordinal}».")
    with data_store(args) as store:
        class_id = find_class(store, args.class_name)
        if class_id is None:
            raise UserError(f"Класса {args.class_name} нет в программе.")
        set_ordinal(store, class_id, None if text == "-" else int(text))
        info = class_by_id(store, class_id)
    how = "задан вручную" if info.ordinal_manual else "по порядку букв"
    output(args, {"class": info.name, "ordinal": info.ordinal, "manual": info.ordinal_manual},
           f"{info.name}: порядковый номер в ФИС ОКО — {info.ordinal} ({how}).")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("init", "сведения о школе")
def _args_init(p: argparse.ArgumentParser) -> None:
    p.add_argument("--school", required=True, help="название школы")
    p.add_argument("--login", required=True, help="логин ФИС ОКО, например sch123456")
    p.add_argument("--municipality", help="муниципалитет")
    p.add_argument("--year", help="учебный год, например 2025/2026")
    p.add_argument("--director", help="ФИО директора (для писем)")
    p.set_defaults(func=cmd_init)


@COMMANDS.command("import-students", "импорт списков учеников (.xlsx, .csv)")
def _args_import_students(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="файл списка учеников: .xlsx или .csv")
    p.add_argument("--class", dest="class_name", help="класс, если в файле нет столбца «Класс»")
    p.add_argument("--dry-run", action="store_true", help="только проверить файл, ничего не записывать")
    p.set_defaults(func=cmd_import_students)


@COMMANDS.command("list", "списки: classes, students, works, participants")
def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["classes", "students", "works", "participants"],
                   help="что показать: classes — классы, students — ученики, works — работы, participants — участники работы")
    p.add_argument("--work", type=int, help="работа (для participants)")
    p.add_argument("--year", help="учебный год (для works), например 2025/2026; без него — все годы")
    p.set_defaults(func=cmd_list)


@COMMANDS.command("experts", "эксперты: list — список, add — добавить, remove — удалить")
def _args_experts(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "add", "remove"], help="list — список, add — добавить, remove — удалить")
    p.add_argument("--name", help="ФИО эксперта (для add и remove)")
    p.add_argument("--subjects", help="предметы через запятую (для add)")
    p.add_argument("--classes", help="классы, где эксперт преподаёт, через запятую (для add)")
    p.set_defaults(func=cmd_experts)


@COMMANDS.command("set-class", "порядковый номер класса в ФИС ОКО")
def _args_set_class(p: argparse.ArgumentParser) -> None:
    p.add_argument("--class", dest="class_name", required=True, help="класс, например 7Б")
    p.add_argument("--ordinal", required=True,
                   help="«Порядковый номер класса», как в ФИС ОКО: 1, 2, … («-» — по порядку букв)")
    p.set_defaults(func=cmd_set_class)
