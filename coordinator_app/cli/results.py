"""Command line, after ФИС ОКО returns the results: import its «Аналитика» reports into a work and
reconcile them with the school's data."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..results_import import Reconciliation, import_results, reconcile, write_reconciliation
from .common import EXIT_OK, CommandTable, data_store, output

COMMANDS = CommandTable()


def _difference_lines(found: Reconciliation) -> list[str]:
    return [f"  {d.code or 'школа в целом'}: {d.field_text} — в данных школы {d.school or '—'}, "
            f"в ФИС ОКО {d.fisoko or '—'}" for d in found.differences]


def cmd_import_results(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = import_results(store, Path(args.file), work_id=args.work, create_work=args.create_work)
    lines = [result.summary()]
    if result.reconciliation is not None and not result.created_work:
        lines += _difference_lines(result.reconciliation)
    output(args, result.as_dict(), "\n".join(lines))
    return EXIT_OK


def cmd_reconciliation(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        found = reconcile(store, args.work)
        path = write_reconciliation(store, args.work, Path(args.out)) if args.out else None
    text = "\n".join([found.summary(), *_difference_lines(found)])
    if path is not None:
        text += f"\nСверка записана в файл {path}."
    output(args, {**found.as_dict(), "file": str(path) if path else None}, text)
    return EXIT_OK


@COMMANDS.command("import-results", "импорт отчёта ФИС ОКО («Индивидуальные результаты», «Статистика по "
                                    "отметкам», «Сравнение отметок…») и сверка с данными школы")
def _args_import_results(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="отчёт из раздела «Аналитика» ФИС ОКО (.xlsx)")
    p.add_argument("--work", type=int, help="номер работы; без него работа узнаётся по предмету, классу и дате")
    p.add_argument("--create-work", action="store_true",
                   help="если такой работы нет (прошлые годы) — создать её по «Индивидуальным результатам», без сканов")
    p.set_defaults(func=cmd_import_results)


@COMMANDS.command("reconciliation", "сверка данных школы с импортированными отчётами ФИС ОКО (и её PDF)")
def _args_reconciliation(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--out", metavar="FILE.pdf", help="записать сверку в PDF для муниципалитета (коды, без ФИО)")
    p.set_defaults(func=cmd_reconciliation)
