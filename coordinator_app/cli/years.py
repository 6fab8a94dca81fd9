"""Command line, school years: the list, «Новый учебный год», the pupils who left."""

from __future__ import annotations

import argparse

from ..school_years import list_years, mark_left, not_in_new_lists, start_new_year
from .common import EXIT_OK, CommandTable, data_store, output

COMMANDS = CommandTable()


def cmd_years(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        years = list_years(store)
    lines = [f"{y.year}  {'текущий' if y.current else 'закрыт' if y.closed else '—':<8} работ: {y.works}"
             for y in years]
    output(args, [y.as_dict() for y in years], "\n".join(lines) or "Учебных лет пока нет.")
    return EXIT_OK


def cmd_new_year(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..students import NeedsConfirmation

    with data_store(args) as store:
        try:
            result = start_new_year(store, args.year, force=args.force)
        except NeedsConfirmation as question:
            raise UserError(question.message.replace("Всё равно начать", "Чтобы всё равно начать")
                            .rstrip("?") + ", повторите команду с --force.") from None
    output(args, result.as_dict(), result.summary())
    return EXIT_OK


def cmd_mark_left(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        pupils = not_in_new_lists(store)
        if args.apply:
            mark_left(store, [p.id for p in pupils])
    items = [{"id": p.id, "class": p.class_name, "surname": p.surname, "name": p.name} for p in pupils]
    lines = [f"  {p.class_name:<5} {p.surname} {p.name} {p.patronymic}".rstrip() for p in pupils]
    if not pupils:
        text = "Все ученики прошлого года названы в списках нового года (или новый год ещё не начат)."
    elif args.apply:
        text = f"Отмечены выбывшими: {len(pupils)}. Они остаются в работах прошлых лет.\n" + "\n".join(lines)
    else:
        text = (f"Нет ни в одном списке нового года: {len(pupils)}. Чтобы отметить их выбывшими, повторите "
                "команду с --apply.\n" + "\n".join(lines))
    output(args, {"pupils": items, "applied": bool(args.apply)}, text)
    return EXIT_OK


@COMMANDS.command("years", "учебные годы: текущий, закрытые, сколько работ в каждом")
def _args_years(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_years)


@COMMANDS.command("new-year", "начать новый учебный год: текущий закрывается (только просмотр), коды сбрасываются")
def _args_new_year(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", help="новый учебный год, например 2026/2027 (по умолчанию — следующий)")
    p.add_argument("--force", action="store_true", help="начать, даже если остались непроверенные работы")
    p.set_defaults(func=cmd_new_year)


@COMMANDS.command("mark-left", "ученики прошлого года, которых нет в списках нового года: показать и отметить выбывшими")
def _args_mark_left(p: argparse.ArgumentParser) -> None:
    p.add_argument("--apply", action="store_true", help="отметить их выбывшими (без него — только показать)")
    p.set_defaults(func=cmd_mark_left)
