"""Command line, participants' codes: issuing and importing them, absences, variants, and the
papers printed from them (protocol, slips, labels)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..codes import apply_code_import, assign_codes, preview_code_import, set_absent, set_variant
from .common import EXIT_INPUT, EXIT_OK, CommandTable, Configure, csv_list, data_store, first, output

COMMANDS = CommandTable()


def cmd_assign_codes(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = assign_codes(store, args.work)
    output(args, result.as_dict(), result.summary())
    return EXIT_OK


def cmd_mark_absent(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        set_absent(store, args.work, args.code, absent=not args.undo)
    state = "присутствовал" if args.undo else "отсутствовал"
    output(args, {"work_id": args.work, "code": args.code, "absent": not args.undo},
           f"Участник {args.code}: {state}.")
    return EXIT_OK


def _document(maker_name: str, what: str) -> Callable[[argparse.Namespace], int]:
    """The handler of a PDF command: `documents.<maker_name>` saves the file, `what` names it."""
    def run(args: argparse.Namespace) -> int:
        from .. import documents  # start-up: the PDF makers load reportlab and PIL

        maker: Callable[..., Path] = getattr(documents, maker_name)
        extra: dict[str, Any] = {"classes": csv_list(args.classes) or None}
        if maker_name == "make_labels":
            extra.update(layout=args.layout, copies=args.copies, skip=args.skip)
        with data_store(args) as store:
            out = maker(store, args.work, Path(args.out), **extra)
        output(args, {"file": str(out)}, f"{what}: {out}")
        return EXIT_OK

    return run


def cmd_layouts(args: argparse.Namespace) -> int:
    from ..formats.pdf.labels import LAYOUTS  # start-up: the labels' PDF writer loads reportlab and PIL

    items = [{"name": k, "title": v.title} for k, v in LAYOUTS.items()]
    output(args, items, "\n".join(f"{i['name']:<10} {i['title']}" for i in items))
    return EXIT_OK


def cmd_import_codes(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        plan = preview_code_import(store, Path(args.file), args.work)
        lines = [plan.summary()]
        shown = plan.problems if plan.problems else plan.rows
        lines += [f"  {line}" for line in first([r.text() for r in shown])]
        if not plan.ok:
            output(args, plan.as_dict(), "\n".join(lines))
            return EXIT_INPUT
        if args.dry_run:
            lines.append("Проверка без записи (--dry-run): ничего не изменено.")
        else:
            apply_code_import(store, plan)
            lines.append(f"Коды записаны: {len(plan.rows)}" + (f" (протокол работы № {args.work})." if args.work
                                                               else " (годовые коды учеников)."))
    output(args, plan.as_dict(), "\n".join(lines))
    return EXIT_OK


def cmd_set_variant(args: argparse.Namespace) -> int:
    value = None if args.value.strip() == "-" else args.value
    with data_store(args) as store:
        set_variant(store, args.work, args.code, args.part, value)
        stored = store.scalar(f"SELECT variant{args.part} FROM participants WHERE work_id = ? AND code = ?",
                              [args.work, args.code.strip()])
    output(args, {"code": args.code, "part": args.part, "variant": stored},
           f"Участник {args.code}: вариант{' части ' + str(args.part) if args.part > 1 else ''} — {stored or 'не указан'}.")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("assign-codes", "выдать коды участников")
def _args_assign_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, help="работа: выдать коды её классам и составить её протокол")
    p.set_defaults(func=cmd_assign_codes)


@COMMANDS.command("mark-absent", "отметить отсутствующего участника")
def _args_mark_absent(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--undo", action="store_true", help="снять отметку «отсутствовал»")
    p.set_defaults(func=cmd_mark_absent)


def _document_args(name: str, maker: str, what: str) -> Configure:
    def configure(p: argparse.ArgumentParser) -> None:
        p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
        p.add_argument("--out", required=True, metavar="FILE.pdf", help="куда сохранить PDF")
        p.add_argument("--classes", help="только эти классы: 4А,4Б")
        if name == "labels":
            p.add_argument("--layout", help="формат листа наклеек (см. команду label-layouts)")
            p.add_argument("--copies", type=int, default=1, help="наклеек на участника")
            p.add_argument("--skip", type=int, default=0, help="пропустить уже использованные места на листе")
        p.set_defaults(func=_document(maker, what))

    return configure


for _name, _maker, _what, _help in (
    ("protocol", "make_protocol", "Протокол сохранён", "PDF: протокол «код — ФИО» по классам"),
    ("slips", "make_slips", "Листки с кодами сохранены", "PDF: листки с кодами для раздачи"),
    ("labels", "make_labels", "Наклейки сохранены", "PDF: наклейки с кодом и QR-кодом"),
):
    COMMANDS.command(_name, _help)(_document_args(_name, _maker, _what))


@COMMANDS.command("label-layouts", "форматы листов наклеек")
def _args_label_layouts(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_layouts)


@COMMANDS.command("import-codes", "импорт готовых кодов: бумажный протокол (.docx) или список (.xlsx, .csv)")
def _args_import_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="протокол или список кодов: столбцы «Код участника» и «ФИО» "
                                               "(или «Фамилия», «Имя»), можно «Класс»")
    p.add_argument("--work", type=int, help="составить из файла протокол этой работы (без него — годовые коды учеников)")
    p.add_argument("--dry-run", action="store_true", help="только показать сопоставление, ничего не записывать")
    p.set_defaults(func=cmd_import_codes)


@COMMANDS.command("set-variant", "вариант участника (для формы ФИС ОКО)")
def _args_set_variant(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--value", required=True, help="номер варианта (1, 2, …); «-» — очистить")
    p.add_argument("--part", type=int, default=1, choices=[1, 2], help="часть работы (для работ из двух частей)")
    p.set_defaults(func=cmd_set_variant)
