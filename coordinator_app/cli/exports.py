"""Command line, what leaves the program: the filled-in ФИС ОКО form and the package for the
municipal re-check (writing it and checking it on the stick).

The package module is imported by its handlers, not here: the whole parser (top-level help,
--version, an unknown command) imports every area module, and the package writer loads shutil
(start-up)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..form_export import export_form
from .common import EXIT_INPUT, EXIT_OK, CommandTable, csv_list, data_store, first, output

COMMANDS = CommandTable()


def cmd_export_form(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = export_form(store, args.work, Path(args.out), template=Path(args.template) if args.template else None)
    output(args, result.as_dict(), f"Форма сохранена: {result.path} (строк: {result.rows})."
           + "".join(f"\nВнимание: {w}" for w in result.warnings))
    return EXIT_OK


def cmd_export_package(args: argparse.Namespace) -> int:
    from ..package import export_package  # start-up

    codes = csv_list(args.codes)
    everyone = bool(args.everyone)
    pct = None if everyone else (args.sample if args.sample is not None else (None if codes else 1.0))
    with data_store(args) as store:
        result = export_package(store, args.work, Path(args.out), sample_pct=pct, seed=args.seed, codes=codes,
                                everyone=everyone)
    data = {"folder": str(result.folder), "files": result.files, "bytes": result.bytes, "codes": result.codes,
            "seed": result.seed, "manifest_sha256": result.manifest_sha256,
            "warnings": list(getattr(result, "warnings", []))}
    text = (f"Пакет записан и проверен: {result.folder}\nРабот: {len(result.codes)} ({', '.join(result.codes)}), "
            f"файлов: {result.files}, зерно выборки: {result.seed}.")
    text += "".join(f"\n  внимание: {w}" for w in data["warnings"])
    output(args, data, text)
    return EXIT_OK


def cmd_verify_package(args: argparse.Namespace) -> int:
    from ..formats.recheck_package import verify_packages  # start-up

    results = verify_packages(Path(args.folder))
    data = [{"folder": str(folder), "ok": report.ok, "files_checked": report.files_checked,
             "problems": report.problems} for folder, report in results]
    lines = []
    for folder, report in results:
        name = folder.name or str(folder)
        lines.append(f"Пакет «{name}» в порядке: проверено файлов {report.files_checked}." if report.ok else
                     f"Пакет «{name}» повреждён:\n" + "\n".join(f"  {p}" for p in first(report.problems)))
    if len(results) > 1:
        bad = sum(1 for _, report in results if not report.ok)
        lines.append(f"Пакетов проверено: {len(results)}, повреждено: {bad}.")
    output(args, data[0] if len(data) == 1 else data, "\n".join(lines))
    return EXIT_OK if all(report.ok for _, report in results) else EXIT_INPUT


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("export-form", "заполненная форма сбора результатов для ФИС ОКО")
def _args_export_form(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", help="куда сохранить заполненную форму")
    p.add_argument("--template", metavar="FILE.xlsx", help="другой шаблон формы (по умолчанию — сохранённый с работой)")
    p.set_defaults(func=cmd_export_form)


@COMMANDS.command("export-package", "пакет для муниципальной перепроверки (на флешку)")
def _args_export_package(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--sample", type=float, metavar="PCT", help="доля работ в выборке, %% (по умолчанию 1 %%, не меньше одной)")
    p.add_argument("--seed", type=int, help="зерно случайной выборки (записывается в пакет)")
    p.add_argument("--codes", help="дополнительные коды через запятую")
    p.add_argument("--everyone", action="store_true", help="все работы, без выборки")
    p.add_argument("--out", required=True, metavar="DIR", help="папка или съёмный носитель")
    p.set_defaults(func=cmd_export_package)


@COMMANDS.command("verify-package", "проверить пакет: отсутствующие, обрезанные, изменённые файлы")
def _args_verify_package(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="DIR", help="папка пакета (или корень флешки: проверяются все пакеты на ней)")
    p.set_defaults(func=cmd_verify_package)
