"""Command line, scans: importing them, the pages by participant and the queues, giving a page to
a participant, oral answers' audio, and how long scans are kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..scans.audio import attach_audio
from ..scans.pages import assign_page, get_page, page_count_mismatches, queue, work_scans
from ..scans.retention import expired_works, purge_work, set_retention
from ..words import days
from .common import EXIT_OK, CommandTable, data_store, first_items, output

COMMANDS = CommandTable()


def cmd_import_scans(args: argparse.Namespace) -> int:
    from ..scans.importer import import_scans  # start-up: the importer loads PIL

    with data_store(args) as store:
        def progress(done: int, total: int, label: str) -> None:
            if not args.json and sys.stderr is not None and total:
                print(f"\r{label}", end="", file=sys.stderr, flush=True)

        report = import_scans(store, [Path(p) for p in args.paths], work_id=args.work, progress=progress)
        if not args.json and sys.stderr is not None:
            print(file=sys.stderr)
    lines = [report.summary()]
    lines += [f"  не принят: {r['file']} — {r['reason']}" for r in report.rejected]
    lines += [f"  внимание: {f['file']}, стр. {f['page']} — {f['reason']}" for f in report.flagged]
    lines += [f"  замечание: {w['file']} — {w['reason']}" for w in report.warnings]
    output(args, report.as_dict(), "\n".join(lines))
    return EXIT_OK


def cmd_scans(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        people = work_scans(store, args.work)
        waiting = queue(store, "unassigned", args.work)
        conflicts = queue(store, "conflict", args.work)
        expected, odd = page_count_mismatches(store, args.work, people)
    data = {"participants": [p.as_dict() for p in people],
            "unassigned": [p.as_dict() for p in waiting], "conflicts": [p.as_dict() for p in conflicts],
            "pages_per_work": expected, "page_count_differs": [p.code for p in odd]}
    lines = [f"{p.code} {p.class_name:<4} страниц: {len(p.pages)}{'  (отсутствовал)' if p.absent else ''}"
             + (f"  (страницы {', '.join(str(pg.id) for pg in p.pages)})" if p.pages else "") for p in people]
    if odd:
        lines.append(f"Число страниц не как в работе ({expected}): "
                     + ", ".join(f"{p.code} — {len(p.pages)}" for p in first_items(odd)) + ".")
    lines.append(f"Нераспознанные страницы: {len(waiting)}; спорные: {len(conflicts)}.")
    lines += [f"  страница {p.id}: {p.source} — {p.note or ''}" for p in waiting + conflicts]
    output(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_assign_page(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        assign_page(store, args.page_id, args.code, args.work)
        page = get_page(store, args.page_id)
    output(args, page.as_dict(), f"Страница {args.page_id} отнесена к участнику {page.code}.")
    return EXIT_OK


def cmd_attach_audio(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        audio_id, _ = attach_audio(store, args.work, args.code, Path(args.file))
    output(args, {"id": audio_id, "code": args.code, "work_id": args.work},
           f"Аудиофайл прикреплён к участнику {args.code}.")
    return EXIT_OK


def cmd_purge_expired(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        expired = expired_works(store)
        if args.dry_run or not expired:
            data = {"dry_run": bool(args.dry_run), "works": [e.as_dict() for e in expired], "purged": []}
            text = "\n".join(f"Работа № {e.work.id} «{e.work.title}»: страниц {e.pages}, файлов {e.file_count}; "
                             f"хранить до {e.deletable_from:%d.%m.%Y}" for e in expired) or "Работ с истёкшим сроком хранения нет."
            output(args, data, text + ("\nПроверка без удаления (--dry-run)." if args.dry_run and expired else ""))
            return EXIT_OK
        purged = [purge_work(store, e.work.id) for e in expired]
    output(args, {"dry_run": False, "works": [e.as_dict() for e in expired], "purged": [p.as_dict() for p in purged]},
           "\n".join(f"Удалено: «{p.work_title}» — страниц {p.pages}, файлов {p.files}. Акт: {p.act_path}" for p in purged))
    return EXIT_OK


def cmd_set_retention(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        set_retention(store, args.days, args.order or "")
    output(args, {"days": args.days, "order": args.order or ""}, f"Срок хранения: {days(args.days)} с даты работы.")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("import-scans", "импорт сканов работ (файлы и папки)")
def _args_import_scans(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="файлы сканов (JPEG, PNG, TIFF, BMP, PDF) или папки с ними")
    p.add_argument("--work", type=int, help="работа, к которой относятся сканы")
    p.set_defaults(func=cmd_import_scans)


@COMMANDS.command("scans", "сканы работы по участникам и очереди")
def _args_scans(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.set_defaults(func=cmd_scans)


@COMMANDS.command("assign-page", "отнести страницу к участнику")
def _args_assign_page(p: argparse.ArgumentParser) -> None:
    p.add_argument("page_id", type=int, metavar="PAGE_ID", help="номер страницы (его показывает команда scans)")
    p.add_argument("code", metavar="CODE", help="код участника, которому отдать страницу")
    p.add_argument("--work", type=int, help="номер работы (если страница ещё не отнесена к работе)")
    p.set_defaults(func=cmd_assign_page)


@COMMANDS.command("attach-audio", "прикрепить аудиозапись устного ответа")
def _args_attach_audio(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("file", metavar="FILE", help="аудиофайл (MP3, WAV, OGG, M4A)")
    p.set_defaults(func=cmd_attach_audio)


@COMMANDS.command("purge-expired", "удалить сканы работ с истёкшим сроком хранения")
def _args_purge_expired(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="только показать, что будет удалено")
    p.set_defaults(func=cmd_purge_expired)


@COMMANDS.command("set-retention", "срок хранения сканов")
def _args_set_retention(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, required=True, help="сколько дней хранить сканы с даты работы (обычно 90)")
    p.add_argument("--order", help="реквизиты приказа о сроке хранения")
    p.set_defaults(func=cmd_set_retention)
