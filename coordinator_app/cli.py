"""Command line: the same domain functions as the GUI, with no Qt loaded.

`vpr-coordinator [--data-dir DIR] [--json] COMMAND …`; with no command the GUI starts.
Exit codes: 0 success, 1 bad input (a Russian message, nothing changed), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import APP_TITLE, __version__
from .errors import UserError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2

# argparse speaks English; the user reads Russian.
_ARGPARSE_RU = [
    (r"the following arguments are required: (.*)", r"не указаны обязательные параметры: \1"),
    (r"unrecognized arguments: (.*)", r"непонятные параметры: \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"параметр \1: недопустимое значение \2 (возможно: \3)"),
    (r"argument (\S+): invalid int value: (.*)", r"параметр \1: ожидается целое число, а указано \2"),
    (r"argument (\S+): expected one argument", r"параметру \1 нужно значение"),
    (r"argument (\S+): not allowed with argument (\S+)", r"параметр \1 нельзя указывать вместе с \2"),
    (r"one of the arguments (.*) is required", r"нужен один из параметров: \1"),
]


def _terminal_columns() -> int:
    """What `shutil.get_terminal_size` answers (COLUMNS, else the console, else 80), without
    importing shutil (and bz2, lzma) on every command: argparse makes a formatter per argument."""
    import os

    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _RussianHelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         (_terminal_columns() - 2) if width is None else width)

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        return super().add_usage(usage, actions, groups, "использование: " if prefix is None else prefix)


class RussianArgumentParser(argparse.ArgumentParser):
    """argparse with its own words in Russian: usage, section titles, -h, and errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", _RussianHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "аргументы"
        self._optionals.title = "параметры"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="показать эту справку и выйти")

    def error(self, message: str) -> NoReturn:
        for pattern, replacement in _ARGPARSE_RU:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"Ошибка в команде: {message}\nСправка: vpr-coordinator --help\n")


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    try:
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        else:
            print(text)
    except OSError as err:
        if closed_pipe(err):
            raise BrokenPipeError(err.errno, err.strerror) from err
        raise


def closed_pipe(err: OSError, windows: bool | None = None) -> bool:
    """Whether writing failed because the reader of the output went away: EPIPE, and on Windows
    also EINVAL (what a write to a pipe whose reader has quit gives there)."""
    import errno
    import os

    windows = os.name == "nt" if windows is None else windows
    return isinstance(err, BrokenPipeError) or err.errno == errno.EPIPE or (windows and err.errno == errno.EINVAL)


def _store(args: argparse.Namespace):
    from .paths import resolve_data_dir
    from .storage import open_store

    return open_store(resolve_data_dir(args.data_dir), actor="координатор (командная строка)")


#: A problem list printed in full up to this many lines; the rest is counted (all of it with --json).
SHOWN_PROBLEMS = 20


def _first(problems: list[str], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """The first `limit` problems and «… и ещё N» for the rest."""
    if len(problems) <= limit:
        return list(problems)
    return [*problems[:limit], f"… и ещё {len(problems) - limit}"]


def _first_items(items: list[Any], limit: int = SHOWN_PROBLEMS) -> list[Any]:
    return items[:limit]


def _days(count: int) -> str:
    from .words import days

    return days(count)


def _csv_list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


# -- commands -------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from .school import School, get_school, save_school

    with _store(args) as store:
        old = get_school(store)
        save_school(store, School(
            name=args.school, login=args.login, municipality=args.municipality or "",
            academic_year=args.year or "", director=args.director or "",
        ))
        school = get_school(store)
    assert school is not None
    verb = "обновлены" if old else "сохранены"
    _out(args, {"school": school.__dict__, "data_dir": str(store.data_dir)},
         f"Сведения о школе {verb}: {school.name} ({school.login}), {school.academic_year} учебный год.\n"
         f"Папка данных: {store.data_dir}")
    return EXIT_OK


def cmd_import_students(args: argparse.Namespace) -> int:
    from .imports.pupil_list import parse_pupil_list
    from .students import import_pupils

    parsed = parse_pupil_list(Path(args.file), default_class=args.class_name)
    problems = [{"row": r.row_number, "sheet": r.sheet, "problems": r.problems} for r in parsed.problem_rows]
    warnings = [{"row": r.row_number, "sheet": r.sheet, "warnings": r.warnings} for r in parsed.rows if r.warnings]
    warnings += [{"row": None, "sheet": None, "warnings": [w]} for w in parsed.file_warnings]
    report: dict[str, Any] = {"file": str(args.file), "rows": len(parsed.rows), "ok_rows": len(parsed.ok_rows),
                              "problems": problems, "warnings": warnings}
    lines = [parsed.summary()]
    lines += [f"  {line}" for line in _first(
        [f"строка {p['row']}{' (лист ' + p['sheet'] + ')' if p['sheet'] else ''}: {'; '.join(p['problems'])}"
         for p in problems])]
    lines += [f"  {line}" for line in _first(
        [f"внимание{' (строка ' + str(w['row']) + ')' if w['row'] else ''}: {'; '.join(w['warnings'])}"
         for w in warnings])]
    if problems:
        report["imported"] = False
        lines.append("Файл не импортирован: исправьте строки с ошибками и повторите. Ничего не изменено.")
        _out(args, report, "\n".join(lines))
        return EXIT_INPUT
    if args.dry_run:
        report["imported"] = False
        lines.append("Проверка без записи (--dry-run): ничего не изменено.")
        _out(args, report, "\n".join(lines))
        return EXIT_OK
    with _store(args) as store:
        result = import_pupils(store, parsed)
    report.update(result.as_dict(), imported=True)
    lines.append(result.summary())
    _out(args, report, "\n".join(lines))
    return EXIT_OK


def cmd_add_work(args: argparse.Namespace) -> int:
    from .catalogue import get_entry
    from .works import WorkDef, create_work, get_work, parse_date, parse_scale, parse_tasks_spec, work_from_template

    work_date = parse_date(args.date)
    scale = parse_scale(args.scale)
    classes = _csv_list(args.classes)
    if args.template:
        defn = work_from_template(Path(args.template), subject=args.subject, work_date=work_date,
                                  grade=args.grade, classes=classes, scale=scale)
    elif args.catalogue:
        entry = get_entry(args.catalogue)
        defn = entry.to_definition(work_date, classes)
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
    with _store(args) as store:
        if not defn.classes:   # every class of the work's grade, as a coordinator expects
            from .classes import list_classes

            defn.classes = [c.name for c in list_classes(store, grade=defn.grade)]
        work_id, _ = create_work(store, defn)
        work = get_work(store, work_id)
    from .works import unknown_columns_notice

    notice = unknown_columns_notice(work.template_info)
    _out(args, {"id": work_id, **work.as_dict()},
         f"Работа создана: № {work_id} — {work.title}; заданий {len(work.tasks)}, максимум {work.max_total} б."
         + (f"\nВнимание: {notice}" if notice else ""))
    return EXIT_OK


def cmd_edit_work(args: argparse.Namespace) -> int:
    from .works import get_work, parse_date, parse_scale, update_work

    changes: dict[str, Any] = {}
    if args.date:
        changes["work_date"] = parse_date(args.date)
    if args.subject:
        changes["subject"] = args.subject
    if args.classes:
        changes["classes"] = _csv_list(args.classes)
    if args.scale:
        changes["scale"] = None if args.scale.strip() == "-" else parse_scale(args.scale)
    if args.pages:
        text = args.pages.strip()
        if text != "-" and not text.isdigit():
            raise UserError(f"Число страниц — целое число (например, 3) или «-», а указано «{args.pages}».")
        changes["pages_per_work"] = None if text == "-" else int(text)
    if not changes:
        raise UserError("Укажите, что изменить: --date, --subject, --classes, --scale или --pages.")
    with _store(args) as store:
        update_work(store, args.work, **changes)
        work = get_work(store, args.work)
    pages = f"; страниц в работе: {work.pages_per_work}" if work.pages_per_work else ""
    _out(args, {"id": work.id, **work.as_dict()}, f"Работа изменена: № {work.id} — {work.title}{pages}.")
    return EXIT_OK


def cmd_assign_codes(args: argparse.Namespace) -> int:
    from .codes import assign_codes

    with _store(args) as store:
        result = assign_codes(store, args.work)
    _out(args, result.as_dict(), result.summary())
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if args.what == "classes":
            from .classes import list_classes

            items = [{"id": c.id, "name": c.name, "grade": c.grade, "letter": c.letter, "ordinal": c.ordinal,
                      "pupils": c.pupils} for c in list_classes(store)]
            text = "\n".join(f"{c['name']:<5} № {c['ordinal']:<3} учеников: {c['pupils']}" for c in items)
        elif args.what == "students":
            from .students import list_students, namesake_birth_dates

            students = list_students(store)
            births = namesake_birth_dates(store)
            items = [s.as_dict() for s in students]
            text = "\n".join(f"{s['code'] or '—':<6} {s['class']:<5} {s['surname']} {s['name']} {s['patronymic']}".rstrip()
                             + (f" (д. р. {births[st.id]})" if st.id in births else "")
                             for s, st in zip(items, students))
        elif args.what == "works":
            from .works import list_works

            works = list_works(store)
            items = [w.as_dict() for w in works]
            text = "\n".join(f"{w.id:<4} {w.title}; заданий {len(w.tasks)}, максимум {w.max_total} б.; "
                             f"классы: {', '.join(n for _, n in w.classes) or '—'}" for w in works)
        else:
            if args.work is None:
                raise UserError("Укажите работу: list participants --work ID.")
            from .codes import list_participants

            parts = list_participants(store, args.work)
            items = [p.as_dict() for p in parts]
            text = "\n".join(f"{p.code} {p.class_name:<5} {p.who}" + ("  — отсутствовал" if p.absent else "")
                             for p in parts)
    _out(args, items, text or "Список пуст.")
    return EXIT_OK


def cmd_mark_absent(args: argparse.Namespace) -> int:
    from .codes import set_absent

    with _store(args) as store:
        set_absent(store, args.work, args.code, absent=not args.undo)
    state = "присутствовал" if args.undo else "отсутствовал"
    _out(args, {"work_id": args.work, "code": args.code, "absent": not args.undo},
         f"Участник {args.code}: {state}.")
    return EXIT_OK


def _document(maker_name: str, what: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from . import documents

        maker: Callable[..., Path] = getattr(documents, maker_name)
        extra: dict[str, Any] = {"classes": _csv_list(args.classes) or None}
        if maker_name == "make_labels":
            extra.update(layout=args.layout, copies=args.copies, skip=args.skip)
        with _store(args) as store:
            out = maker(store, args.work, Path(args.out), **extra)
        _out(args, {"file": str(out)}, f"{what}: {out}")
        return EXIT_OK

    return run


def cmd_layouts(args: argparse.Namespace) -> int:
    from .exports.labels_pdf import LAYOUTS

    items = [{"name": k, "title": v.title} for k, v in LAYOUTS.items()]
    _out(args, items, "\n".join(f"{i['name']:<10} {i['title']}" for i in items))
    return EXIT_OK


def cmd_import_scans(args: argparse.Namespace) -> int:
    from .scans.importer import import_scans

    with _store(args) as store:
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
    _out(args, report.as_dict(), "\n".join(lines))
    return EXIT_OK


def cmd_scans(args: argparse.Namespace) -> int:
    from .scans.pages import page_count_mismatches, queue, work_scans

    with _store(args) as store:
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
                     + ", ".join(f"{p.code} — {len(p.pages)}" for p in _first_items(odd)) + ".")
    lines.append(f"Нераспознанные страницы: {len(waiting)}; спорные: {len(conflicts)}.")
    lines += [f"  страница {p.id}: {p.source} — {p.note or ''}" for p in waiting + conflicts]
    _out(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_assign_page(args: argparse.Namespace) -> int:
    from .scans.pages import assign_page, get_page

    with _store(args) as store:
        assign_page(store, args.page_id, args.code, args.work)
        page = get_page(store, args.page_id)
    _out(args, page.as_dict(), f"Страница {args.page_id} отнесена к участнику {page.code}.")
    return EXIT_OK


def cmd_attach_audio(args: argparse.Namespace) -> int:
    from .scans.audio import attach_audio

    with _store(args) as store:
        audio_id, _ = attach_audio(store, args.work, args.code, Path(args.file))
    _out(args, {"id": audio_id, "code": args.code, "work_id": args.work},
         f"Аудиофайл прикреплён к участнику {args.code}.")
    return EXIT_OK


def cmd_purge_expired(args: argparse.Namespace) -> int:
    from .scans.retention import expired_works, purge_work

    with _store(args) as store:
        expired = expired_works(store)
        if args.dry_run or not expired:
            data = {"dry_run": bool(args.dry_run), "works": [e.as_dict() for e in expired], "purged": []}
            text = "\n".join(f"Работа № {e.work.id} «{e.work.title}»: страниц {e.pages}, файлов {e.file_count}; "
                             f"хранить до {e.deletable_from:%d.%m.%Y}" for e in expired) or "Работ с истёкшим сроком хранения нет."
            _out(args, data, text + ("\nПроверка без удаления (--dry-run)." if args.dry_run and expired else ""))
            return EXIT_OK
        purged = [purge_work(store, e.work.id) for e in expired]
    _out(args, {"dry_run": False, "works": [e.as_dict() for e in expired], "purged": [p.as_dict() for p in purged]},
         "\n".join(f"Удалено: «{p.work_title}» — страниц {p.pages}, файлов {p.files}. Акт: {p.act_path}" for p in purged))
    return EXIT_OK


def cmd_set_retention(args: argparse.Namespace) -> int:
    from .scans.retention import set_retention

    with _store(args) as store:
        set_retention(store, args.days, args.order or "")
    _out(args, {"days": args.days, "order": args.order or ""}, f"Срок хранения: {_days(args.days)} с даты работы.")
    return EXIT_OK


def cmd_import_form(args: argparse.Namespace) -> int:
    from .form_import import import_form

    with _store(args) as store:
        result = import_form(store, args.work, Path(args.file), expert=args.expert, partial=args.partial,
                             take_form_class_numbers=args.take_class_numbers)
    _out(args, result.as_dict(), result.summary())
    return EXIT_OK


def cmd_scores(args: argparse.Namespace) -> int:
    from .scoring import STATUS_RU, score_sheet, work_progress

    with _store(args) as store:
        sheet = score_sheet(store, args.work, final=True, experts=False)
        progress = work_progress(store, args.work, sheet)
    if args.json:  # only the form asked for is built (1500 participants × 15 tasks either way)
        _out(args, [row.as_dict() for row in sheet], "")
        return EXIT_OK
    lines = [f"{r.code} {r.class_name:<4} " + (" ".join([f"{k}:{'·' if v is None else v}" for k, v in r.scores.items()])
             if not r.absent else "отсутствовал")
             + (f"  итого {r.total}" + (f", отметка {r.mark}" if r.mark else "") if not r.absent else "")
             + f"  [{STATUS_RU[r.status]}]" for r in sheet]
    lines.append(progress.summary())
    _out(args, None, "\n".join(lines))
    return EXIT_OK


def cmd_set_score(args: argparse.Namespace) -> int:
    from .scoring import score_sheet, set_score

    with _store(args) as store:
        set_score(store, args.work, args.code, args.task, args.value, expert=args.expert)
        from .works import normalize_task_id

        pid = store.scalar("SELECT id FROM participants WHERE work_id = ? AND code = ?", [args.work, args.code.strip()])
        row = score_sheet(store, args.work, participant_ids={pid})[0]
    task = normalize_task_id(args.task)
    stored = row.scores.get(task)     # as stored: «х» is X, « 2 » is 2
    _out(args, row.as_dict(), f"Участник {row.code}: задание {task} — {stored if stored is not None else 'очищено'}; "
                              f"итого {row.total}.")
    return EXIT_OK


def cmd_set_journal_mark(args: argparse.Namespace) -> int:
    from .scoring import set_journal_mark

    with _store(args) as store:
        set_journal_mark(store, args.work, args.code, args.mark)
    _out(args, {"work_id": args.work, "code": args.code, "journal_mark": args.mark},
         f"Участник {args.code}: отметка по журналу {args.mark}.")
    return EXIT_OK


def _read_password_file(name: str) -> str:
    """The password in the first line of file `name` («-»: standard input); the line break is not
    part of it, spaces are. A UTF-8 BOM (Notepad) is skipped."""
    if name == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(name).read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise UserError(f"Файл с паролем «{name}» не найден.") from None
        except UnicodeDecodeError:
            raise UserError(f"Файл с паролем «{name}» не в кодировке UTF-8.") from None
        except OSError as err:
            raise UserError(f"Файл с паролем «{name}» не читается: {err.strerror or err}.") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise UserError(f"В файле с паролем «{name}» нет пароля (первая строка пуста).")
    return password


def cmd_backup(args: argparse.Namespace) -> int:
    from .backup import PERSONAL_DATA_WARNING, create_backup

    password = None if args.no_password else _read_password_file(args.password_file)
    with _store(args) as store:
        result = create_backup(store, Path(args.out), password=password, plain=args.no_password)
    if result.encrypted:
        text = f"Резервная копия создана и зашифрована паролем: {result.path} (файлов: {result.files})."
    else:
        text = f"Резервная копия создана БЕЗ ПАРОЛЯ: {result.path} (файлов: {result.files})."
        print(f"Внимание: {PERSONAL_DATA_WARNING}", file=sys.stderr)
    _out(args, result.as_dict(), text)
    return EXIT_OK


def _archive_password(args: argparse.Namespace) -> str | None:
    return _read_password_file(args.password_file) if args.password_file else None


def cmd_restore(args: argparse.Namespace) -> int:
    from .backup import restore_backup
    from .paths import resolve_data_dir

    result = restore_backup(Path(args.archive), resolve_data_dir(args.data_dir), _archive_password(args))
    _out(args, result.as_dict(), f"Данные восстановлены в {result.data_dir} (файлов: {result.files}).")
    return EXIT_OK


def cmd_expert_mode(args: argparse.Namespace) -> int:
    from .access import expert_mode, has_pin, set_expert_mode

    with _store(args) as store:
        if args.state != "status":
            pin = args.pin
            if (args.state == "off" and pin is None and expert_mode(store) and has_pin(store)
                    and sys.stdin is not None and sys.stdin.isatty()):
                import getpass

                pin = getpass.getpass("PIN координатора: ")
            set_expert_mode(store, args.state == "on", pin)
        on = expert_mode(store)
        pinned = has_pin(store)
    text = ("Режим эксперта включён: ФИО учеников скрыты, команды координатора требуют PIN." if on
            else "Режим эксперта выключен.")
    if on and not pinned:
        text += " PIN координатора не задан: выключить режим сможет любой (задайте его: set-pin --pin …)."
    _out(args, {"expert_mode": on, "pin_set": pinned}, text)
    return EXIT_OK


def cmd_set_pin(args: argparse.Namespace) -> int:
    from .access import change_pin

    with _store(args) as store:
        change_pin(store, args.pin, args.old_pin)
    _out(args, {"pin_set": True}, "PIN координатора сохранён.")
    return EXIT_OK


def cmd_verify_archive(args: argparse.Namespace) -> int:
    from .formats.backup_archive import verify_archive
    from .formats.backup_crypto import is_encrypted

    problems = verify_archive(Path(args.archive), _archive_password(args))
    ok = not problems
    kind = "зашифрованная" if is_encrypted(args.archive) else "без пароля"
    text = (f"Резервная копия в порядке ({kind}): {args.archive}." if ok else
            f"Резервная копия повреждена: {args.archive} — найдено проблем: {len(problems)}:\n"
            + "\n".join(f"  {p}" for p in _first(problems)))
    _out(args, {"archive": str(args.archive), "ok": ok, "problems": problems}, text)
    return EXIT_OK if ok else EXIT_INPUT


def cmd_verify(args: argparse.Namespace) -> int:
    from .backup import verify_store

    with _store(args) as store:
        report = verify_store(store)
    text = (f"Проверка хранилища: всё в порядке (проверено файлов: {report.files_checked})." if report.ok else
            f"Проверка хранилища: найдены проблемы ({len(report.problems)}):\n" + "\n".join(f"  {p}" for p in report.problems))
    _out(args, report.as_dict(), text)
    return EXIT_OK if report.ok else EXIT_INPUT


def cmd_import_codes(args: argparse.Namespace) -> int:
    from .codes import apply_code_import, preview_code_import

    with _store(args) as store:
        plan = preview_code_import(store, Path(args.file), args.work)
        lines = [plan.summary()]
        shown = plan.problems if plan.problems else plan.rows
        lines += [f"  {line}" for line in _first([r.text() for r in shown])]
        if not plan.ok:
            _out(args, plan.as_dict(), "\n".join(lines))
            return EXIT_INPUT
        if args.dry_run:
            lines.append("Проверка без записи (--dry-run): ничего не изменено.")
        else:
            apply_code_import(store, plan)
            lines.append(f"Коды записаны: {len(plan.rows)}" + (f" (протокол работы № {args.work})." if args.work
                                                               else " (годовые коды учеников)."))
    _out(args, plan.as_dict(), "\n".join(lines))
    return EXIT_OK


def cmd_set_variant(args: argparse.Namespace) -> int:
    from .codes import set_variant

    value = None if args.value.strip() == "-" else args.value
    with _store(args) as store:
        set_variant(store, args.work, args.code, args.part, value)
        stored = store.scalar(f"SELECT variant{args.part} FROM participants WHERE work_id = ? AND code = ?",
                              [args.work, args.code.strip()])
    _out(args, {"code": args.code, "part": args.part, "variant": stored},
         f"Участник {args.code}: вариант{' части ' + str(args.part) if args.part > 1 else ''} — {stored or 'не указан'}.")
    return EXIT_OK


def cmd_attach_criteria(args: argparse.Namespace) -> int:
    from .attachments import attach

    with _store(args) as store:
        attachment_id, _ = attach(store, args.work, Path(args.file), variant=args.variant)
    _out(args, {"id": attachment_id, "file": args.file, "variant": args.variant},
         f"Критерии прикреплены: {Path(args.file).name}" + (f" (вариант {args.variant})." if args.variant else "."))
    return EXIT_OK


def cmd_experts(args: argparse.Namespace) -> int:
    from .experts import delete_expert, list_experts, save_expert

    with _store(args) as store:
        if args.action == "add":
            if not args.name:
                raise UserError("Укажите ФИО эксперта: --name.")
            save_expert(store, args.name, _csv_list(args.subjects), _csv_list(args.classes))
        elif args.action == "remove":
            found = [e for e in list_experts(store) if e.name.casefold() == " ".join((args.name or "").split()).casefold()]
            if not found:
                raise UserError(f"Эксперта «{args.name}» нет в списке.")
            delete_expert(store, found[0].id)
        experts = list_experts(store)
    lines = [f"{e.name}" + (f"; предметы: {', '.join(e.subjects)}" if e.subjects else "")
             + (f"; классы: {', '.join(e.classes)}" if e.classes else "") for e in experts] or ["Список пуст."]
    _out(args, [e.as_dict() for e in experts], "\n".join(lines))
    return EXIT_OK


def cmd_second_check(args: argparse.Namespace) -> int:
    from . import second_check

    def need(*names: str) -> None:
        missing = [f"--{n}" for n in names if getattr(args, n) in (None, "")]
        if missing:
            raise UserError(f"Для second-check {args.action} укажите: {', '.join(missing)}.")

    with _store(args) as store:
        if args.action == "create":
            if not args.share and not args.codes:
                raise UserError("Укажите долю выборки (--share) или коды (--codes).")
            check_id, _ = second_check.create_check(
                store, args.work, share=(args.share / 100 if args.share else None), codes=_csv_list(args.codes),
                seed=args.seed, expert=args.expert)
            info = next(c for c in second_check.checks(store, args.work) if c.id == check_id)
            _out(args, {"id": check_id, "codes": info.codes, "seed": info.seed},
                 f"Выборка {check_id}: {', '.join(info.codes)}" + (f" (зерно {info.seed})." if info.seed else "."))
            return EXIT_OK
        if args.action in ("score", "settle"):
            need("code", "task", "value")
            if args.action == "score":
                from .scoring import set_score

                if args.code.strip() not in {r.code for r in second_check.discrepancies(store, args.work).participants}:
                    raise UserError(f"Участника {args.code} нет в выборке перепроверки.")
                set_score(store, args.work, args.code, args.task, args.value, expert=args.expert, round=2)
                # Blind: the first expert's score is not shown, only what was stored.
                _out(args, {"code": args.code, "task": args.task}, f"Балл перепроверки записан: {args.code}, "
                                                                    f"задание {args.task}.")
            else:
                need("reason")
                second_check.settle(store, args.work, args.code, args.task, args.value, args.reason)
                _out(args, {"code": args.code, "task": args.task}, f"Решение комиссии записано: {args.code}, "
                                                                    f"задание {args.task}.")
            return EXIT_OK
        if args.action == "protocol":
            need("out")
            path = second_check.make_recheck_pdf(store, args.work, Path(args.out), unfinished_ok=args.unfinished)
            _out(args, {"file": str(path)}, f"Протокол перепроверки сохранён: {path}.")
            return EXIT_OK
        report = second_check.discrepancies(store, args.work)
    done = [p for p in report.participants if p.complete]
    lines = [f"В выборке: {len(report.participants)}; перепроверено полностью: {len(done)}."]
    lines += [f"  {p.code}: " + ", ".join(f"{t.task_id}: {t.first}→{t.second}" for t in p.differing)
              for p in done if p.differing]
    _out(args, [p.as_dict() for p in report.participants], "\n".join(lines))
    return EXIT_OK


def cmd_set_class(args: argparse.Namespace) -> int:
    from .classes import class_by_id, find_class, set_ordinal

    text = args.ordinal.strip()
    if text != "-" and not text.isdigit():
        raise UserError(f"Порядковый номер — целое число (например, 2) или «-», а указано «{args.ordinal}».")
    with _store(args) as store:
        class_id = find_class(store, args.class_name)
        if class_id is None:
            raise UserError(f"Класса {args.class_name} нет в программе.")
        set_ordinal(store, class_id, None if text == "-" else int(text))
        info = class_by_id(store, class_id)
    how = "задан вручную" if info.ordinal_manual else "по порядку букв"
    _out(args, {"class": info.name, "ordinal": info.ordinal, "manual": info.ordinal_manual},
         f"{info.name}: порядковый номер в ФИС ОКО — {info.ordinal} ({how}).")
    return EXIT_OK


def cmd_set_textbook(args: argparse.Namespace) -> int:
    from .attachments import match_textbook, set_textbook
    from .works import get_work

    with _store(args) as store:
        books = list((get_work(store, args.work).template_info or {}).get("textbooks") or [])
        chosen = match_textbook(books, args.textbook) if books else " ".join(args.textbook.split())
        if chosen is None:
            raise UserError(f"Учебника «{args.textbook}» нет в списке формы ФИС ОКО. Укажите номер или часть "
                            "названия из списка:", details=[f"{i}. {b}" for i, b in enumerate(books, start=1)])
        set_textbook(store, args.work, args.class_name, chosen)
    other = chosen.rsplit("|", 1)[-1].strip().casefold() == "другое" and "друг" not in args.textbook.casefold()
    note = " (в списке формы такого учебника нет: записано «другое»)" if books and other and \
        not args.textbook.isdigit() else ""
    _out(args, {"class": args.class_name, "textbook": chosen}, f"{args.class_name}: учебник «{chosen}»{note}.")
    return EXIT_OK


def cmd_export_form(args: argparse.Namespace) -> int:
    from .form_export import export_form

    with _store(args) as store:
        result = export_form(store, args.work, Path(args.out), template=Path(args.template) if args.template else None)
    _out(args, result.as_dict(), f"Форма сохранена: {result.path} (строк: {result.rows})."
         + "".join(f"\nВнимание: {w}" for w in result.warnings))
    return EXIT_OK


def cmd_export_package(args: argparse.Namespace) -> int:
    from .package import export_package

    codes = _csv_list(args.codes)
    everyone = bool(args.everyone)
    pct = None if everyone else (args.sample if args.sample is not None else (None if codes else 1.0))
    with _store(args) as store:
        result = export_package(store, args.work, Path(args.out), sample_pct=pct, seed=args.seed, codes=codes,
                                everyone=everyone)
    data = {"folder": str(result.folder), "files": result.files, "bytes": result.bytes, "codes": result.codes,
            "seed": result.seed, "manifest_sha256": result.manifest_sha256,
            "warnings": list(getattr(result, "warnings", []))}
    text = (f"Пакет записан и проверен: {result.folder}\nРабот: {len(result.codes)} ({', '.join(result.codes)}), "
            f"файлов: {result.files}, зерно выборки: {result.seed}.")
    text += "".join(f"\n  внимание: {w}" for w in data["warnings"])
    _out(args, data, text)
    return EXIT_OK


def cmd_verify_package(args: argparse.Namespace) -> int:
    from .formats.recheck_package import verify_packages

    results = verify_packages(Path(args.folder))
    data = [{"folder": str(folder), "ok": report.ok, "files_checked": report.files_checked,
             "problems": report.problems} for folder, report in results]
    lines = []
    for folder, report in results:
        name = folder.name or str(folder)
        lines.append(f"Пакет «{name}» в порядке: проверено файлов {report.files_checked}." if report.ok else
                     f"Пакет «{name}» повреждён:\n" + "\n".join(f"  {p}" for p in _first(report.problems)))
    if len(results) > 1:
        bad = sum(1 for _, report in results if not report.ok)
        lines.append(f"Пакетов проверено: {len(results)}, повреждено: {bad}.")
    _out(args, data[0] if len(data) == 1 else data, "\n".join(lines))
    return EXIT_OK if all(report.ok for _, report in results) else EXIT_INPUT


# -- parser -------------------------------------------------------------------------------------
# Each command's arguments are added by its own function, so that a run builds only the subparser
# of the command it was given (building all of them costs about as much as the command itself).

_Configure = Callable[[argparse.ArgumentParser], None]
_COMMANDS: dict[str, tuple[str, _Configure]] = {}


def _command(name: str, help_text: str) -> Callable[[_Configure], _Configure]:
    """Register the function adding a command's arguments; the help lists commands in this order."""
    def register(configure: _Configure) -> _Configure:
        _COMMANDS[name] = (help_text, configure)
        return configure

    return register


@_command("init", "сведения о школе")
def _args_init(p: argparse.ArgumentParser) -> None:
    p.add_argument("--school", required=True, help="название школы")
    p.add_argument("--login", required=True, help="логин ФИС ОКО, например sch123456")
    p.add_argument("--municipality", help="муниципалитет")
    p.add_argument("--year", help="учебный год, например 2025/2026")
    p.add_argument("--director", help="ФИО директора (для писем)")
    p.set_defaults(func=cmd_init)


@_command("import-students", "импорт списков учеников (.xlsx, .csv)")
def _args_import_students(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="файл списка учеников: .xlsx или .csv")
    p.add_argument("--class", dest="class_name", help="класс, если в файле нет столбца «Класс»")
    p.add_argument("--dry-run", action="store_true", help="только проверить файл, ничего не записывать")
    p.set_defaults(func=cmd_import_students)


@_command("add-work", "создать работу")
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


@_command("edit-work", "изменить работу: дату, предмет, классы, шкалу, число страниц")
def _args_edit_work(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--date", help="дата проведения, ГГГГ-ММ-ДД")
    p.add_argument("--subject", help="предмет")
    p.add_argument("--classes", help="классы через запятую: 4А,4Б (весь список)")
    p.add_argument("--scale", help="наименьший балл для «3», «4», «5»: 10,16,21 («-» — убрать шкалу)")
    p.add_argument("--pages", metavar="N", help="страниц в работе одного участника («-» — не задано)")
    p.set_defaults(func=cmd_edit_work)


@_command("assign-codes", "выдать коды участников")
def _args_assign_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, help="работа: выдать коды её классам и составить её протокол")
    p.set_defaults(func=cmd_assign_codes)


@_command("list", "списки: classes, students, works, participants")
def _args_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["classes", "students", "works", "participants"],
                   help="что показать: classes — классы, students — ученики, works — работы, participants — участники работы")
    p.add_argument("--work", type=int, help="работа (для participants)")
    p.set_defaults(func=cmd_list)


@_command("mark-absent", "отметить отсутствующего участника")
def _args_mark_absent(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--undo", action="store_true", help="снять отметку «отсутствовал»")
    p.set_defaults(func=cmd_mark_absent)


def _document_args(name: str, maker: str, what: str) -> _Configure:
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
    _command(_name, _help)(_document_args(_name, _maker, _what))


@_command("label-layouts", "форматы листов наклеек")
def _args_label_layouts(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_layouts)


@_command("import-scans", "импорт сканов работ (файлы и папки)")
def _args_import_scans(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="файлы сканов (JPEG, PNG, TIFF, BMP, PDF) или папки с ними")
    p.add_argument("--work", type=int, help="работа, к которой относятся сканы")
    p.set_defaults(func=cmd_import_scans)


@_command("scans", "сканы работы по участникам и очереди")
def _args_scans(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.set_defaults(func=cmd_scans)


@_command("assign-page", "отнести страницу к участнику")
def _args_assign_page(p: argparse.ArgumentParser) -> None:
    p.add_argument("page_id", type=int, metavar="PAGE_ID", help="номер страницы (его показывает команда scans)")
    p.add_argument("code", metavar="CODE", help="код участника, которому отдать страницу")
    p.add_argument("--work", type=int, help="номер работы (если страница ещё не отнесена к работе)")
    p.set_defaults(func=cmd_assign_page)


@_command("attach-audio", "прикрепить аудиозапись устного ответа")
def _args_attach_audio(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("file", metavar="FILE", help="аудиофайл (MP3, WAV, OGG, M4A)")
    p.set_defaults(func=cmd_attach_audio)


@_command("purge-expired", "удалить сканы работ с истёкшим сроком хранения")
def _args_purge_expired(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="только показать, что будет удалено")
    p.set_defaults(func=cmd_purge_expired)


@_command("set-retention", "срок хранения сканов")
def _args_set_retention(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, required=True, help="сколько дней хранить сканы с даты работы (обычно 90)")
    p.add_argument("--order", help="реквизиты приказа о сроке хранения")
    p.set_defaults(func=cmd_set_retention)


@_command("import-form", "импорт заполненной формы ФИС ОКО с баллами")
def _args_import_form(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="заполненная форма сбора результатов (.xlsx)")
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--expert", help="кто заполнял форму (для журнала)")
    p.add_argument("--take-class-numbers", action="store_true",
                   help="принять порядковые номера классов из формы, если они расходятся с программой целыми классами")
    p.add_argument("--partial", action="store_true",
                   help="принять строки, где заполнены не все задания (пустые остаются непроверенными)")
    p.set_defaults(func=cmd_import_form)


@_command("scores", "баллы работы по участникам")
def _args_scores(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.set_defaults(func=cmd_scores)


@_command("set-score", "поставить балл за задание")
def _args_set_score(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--task", required=True, help="номер задания, как в работе: 1, 9.1, 4К1")
    p.add_argument("--value", required=True, help="балл, X или «не пройд.»; пустая строка очищает")
    p.add_argument("--expert", help="эксперт")
    p.set_defaults(func=cmd_set_score)


@_command("set-journal-mark", "отметка по журналу за предыдущий период")
def _args_set_journal_mark(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--mark", required=True, help="5, 4, 3, 2 или «нет отметки»")
    p.set_defaults(func=cmd_set_journal_mark)


@_command("backup", "резервная копия всех данных в один архив, зашифрованный паролем")
def _args_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="папка (например, на флешке)")
    secret = p.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-file", metavar="F",
                        help="файл, в первой строке которого пароль копии (не короче 8 символов; «-» — ввод)")
    secret.add_argument("--no-password", action="store_true",
                        help="без шифрования: копию прочтёт кто угодно, а в ней персональные данные учеников")
    p.set_defaults(func=cmd_backup)


@_command("restore", "восстановить данные из архива в пустую папку данных")
def _args_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE", help="резервная копия (.vprbak, или .zip без пароля)")
    p.add_argument("--password-file", metavar="F", help="файл, в первой строке которого пароль копии («-» — ввод)")
    p.set_defaults(func=cmd_restore)


@_command("expert-mode", "режим эксперта: on — включить, off — выключить (нужен PIN), status")
def _args_expert_mode(p: argparse.ArgumentParser) -> None:
    p.add_argument("state", choices=["on", "off", "status"], help="on — включить, off — выключить, status — узнать")
    p.add_argument("--pin", help="PIN координатора (для off)")
    p.set_defaults(func=cmd_expert_mode)


@_command("set-pin", "задать или сменить PIN координатора")
def _args_set_pin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pin", required=True, help="новый PIN: от 4 до 12 цифр")
    p.add_argument("--old-pin", help="нынешний PIN (если он уже задан)")
    p.set_defaults(func=cmd_set_pin)


@_command("verify-archive", "проверить резервную копию целиком (не восстанавливая её)")
def _args_verify_archive(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE", help="резервная копия (.vprbak, или .zip без пароля)")
    p.add_argument("--password-file", metavar="F", help="файл, в первой строке которого пароль копии («-» — ввод)")
    p.set_defaults(func=cmd_verify_archive)


@_command("verify", "проверить базу и все сохранённые файлы")
def _args_verify(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_verify)


@_command("import-codes", "импорт готовых кодов: бумажный протокол (.docx) или список (.xlsx, .csv)")
def _args_import_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="протокол или список кодов: столбцы «Код участника» и «ФИО» "
                                               "(или «Фамилия», «Имя»), можно «Класс»")
    p.add_argument("--work", type=int, help="составить из файла протокол этой работы (без него — годовые коды учеников)")
    p.add_argument("--dry-run", action="store_true", help="только показать сопоставление, ничего не записывать")
    p.set_defaults(func=cmd_import_codes)


@_command("set-variant", "вариант участника (для формы ФИС ОКО)")
def _args_set_variant(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--value", required=True, help="номер варианта (1, 2, …); «-» — очистить")
    p.add_argument("--part", type=int, default=1, choices=[1, 2], help="часть работы (для работ из двух частей)")
    p.set_defaults(func=cmd_set_variant)


@_command("attach-criteria", "прикрепить критерии оценивания к работе (для пакета перепроверки)")
def _args_attach_criteria(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("file", metavar="FILE", help="файл критериев (PDF, DOCX, изображение)")
    p.add_argument("--variant", help="вариант, к которому относятся критерии (без него — ко всем)")
    p.set_defaults(func=cmd_attach_criteria)


@_command("experts", "эксперты: list — список, add — добавить, remove — удалить")
def _args_experts(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "add", "remove"], help="list — список, add — добавить, remove — удалить")
    p.add_argument("--name", help="ФИО эксперта (для add и remove)")
    p.add_argument("--subjects", help="предметы через запятую (для add)")
    p.add_argument("--classes", help="классы, где эксперт преподаёт, через запятую (для add)")
    p.set_defaults(func=cmd_experts)


@_command("second-check", "перепроверка вторым экспертом: create, score, status, settle, protocol")
def _args_second_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["create", "score", "status", "settle", "protocol"],
                   help="create — выборка; score — балл второго эксперта; status — расхождения; "
                        "settle — решение комиссии; protocol — протокол перепроверки (PDF)")
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--share", type=float, metavar="PCT", help="доля работ в выборке, %% (для create)")
    p.add_argument("--codes", help="коды через запятую (для create)")
    p.add_argument("--seed", type=int, help="зерно случайной выборки (для create)")
    p.add_argument("--code", help="код участника (для score и settle)")
    p.add_argument("--task", help="номер задания (для score и settle)")
    p.add_argument("--value", help="балл (для score и settle)")
    p.add_argument("--expert", help="ФИО эксперта перепроверки (для create и score)")
    p.add_argument("--reason", help="причина решения комиссии (для settle)")
    p.add_argument("--out", metavar="FILE.pdf", help="куда сохранить протокол (для protocol)")
    p.add_argument("--unfinished", action="store_true", help="напечатать протокол незаконченной перепроверки")
    p.set_defaults(func=cmd_second_check)


@_command("set-class", "порядковый номер класса в ФИС ОКО")
def _args_set_class(p: argparse.ArgumentParser) -> None:
    p.add_argument("--class", dest="class_name", required=True, help="класс, например 7Б")
    p.add_argument("--ordinal", required=True,
                   help="«Порядковый номер класса», как в ФИС ОКО: 1, 2, … («-» — по порядку букв)")
    p.set_defaults(func=cmd_set_class)


@_command("set-textbook", "учебник класса для листа «Классы» формы ФИС ОКО")
def _args_set_textbook(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--class", dest="class_name", required=True, help="класс, например 7Б")
    p.add_argument("--textbook", required=True,
                   help="учебник из списка формы: номер в списке, часть названия или название целиком; "
                        "без списка формы — любое название")
    p.set_defaults(func=cmd_set_textbook)


@_command("export-form", "заполненная форма сбора результатов для ФИС ОКО")
def _args_export_form(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", help="куда сохранить заполненную форму")
    p.add_argument("--template", metavar="FILE.xlsx", help="другой шаблон формы (по умолчанию — сохранённый с работой)")
    p.set_defaults(func=cmd_export_form)


@_command("export-package", "пакет для муниципальной перепроверки (на флешку)")
def _args_export_package(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--sample", type=float, metavar="PCT", help="доля работ в выборке, %% (по умолчанию 1 %%, не меньше одной)")
    p.add_argument("--seed", type=int, help="зерно случайной выборки (записывается в пакет)")
    p.add_argument("--codes", help="дополнительные коды через запятую")
    p.add_argument("--everyone", action="store_true", help="все работы, без выборки")
    p.add_argument("--out", required=True, metavar="DIR", help="папка или съёмный носитель")
    p.set_defaults(func=cmd_export_package)


@_command("verify-package", "проверить пакет: отсутствующие, обрезанные, изменённые файлы")
def _args_verify_package(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="DIR", help="папка пакета (или корень флешки: проверяются все пакеты на ней)")
    p.set_defaults(func=cmd_verify_package)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. `only` names the one command whose subparser is built ("" for
    none); None builds them all (help and errors that list the commands need all of them)."""
    parser = RussianArgumentParser(
        prog="vpr-coordinator",
        description=f"{APP_TITLE}: классы и ученики, коды участников, протоколы, сканы и проверка работ ВПР. "
                    "Без команды открывается окно программы.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_TITLE} {__version__}",
                        help="показать версию программы и выйти")
    parser.add_argument("--data-dir", metavar="DIR", help="папка данных (по умолчанию — папка пользователя)")
    parser.add_argument("--json", action="store_true", help="вывод в формате JSON")
    parser.add_argument("--smoke-test", action="store_true",
                        help="открыть и закрыть главное окно на временной папке данных (проверка сборки)")
    common = RussianArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="вывод в формате JSON")
    with_pin = RussianArgumentParser(add_help=False, parents=[common])
    with_pin.add_argument("--pin", default=argparse.SUPPRESS,
                          help="PIN координатора: в режиме эксперта без него команда не выполняется")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА", parser_class=RussianArgumentParser,
                                title="команды")
    for name, (help_text, configure) in _COMMANDS.items():
        if only is None or name == only:
            configure(sub.add_parser(name, parents=[common if name in _OWN_PIN else with_pin], help=help_text))
    return parser


_TOP_OPTIONS = ("--help", "--version", "--data-dir", "--json", "--smoke-test")


def _command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names, "" when it names none (the GUI starts), or None when only the
    whole parser can tell (help, version, an unknown word or option).

    Reads the top-level options the way argparse does: `--data-dir DIR` or `--data-dir=DIR`, and any
    unambiguous prefix of an option (`--data DIR`, `--js`)."""
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
            continue
        if not arg.startswith("-") or arg == "-":
            return arg if arg in _COMMANDS else None
        option, equals, _ = arg.partition("=")
        matches = [o for o in _TOP_OPTIONS if o.startswith(option)] if len(option) > 2 and option[:2] == "--" else []
        if matches == ["--data-dir"]:
            skip_value = not equals
        elif not (len(matches) == 1 and matches[0] in ("--json", "--smoke-test") and not equals):
            return None
    return ""


def stream_settings(windows: bool, console: bool, environ: dict[str, str], utf8_mode: bool) -> dict[str, str]:
    """How the output streams are set up (`TextIOWrapper.reconfigure` arguments).

    Linux: UTF-8. Windows: a console shows Unicode whatever is set (Python writes it through the
    console API), so nothing changes; output to a pipe or a file stays in the ANSI code page
    (cp1251 on a Russian Windows: what `type`, `findstr`, Notepad and a program reading our output
    as text expect), a character it lacks written as «?» instead of failing. `PYTHONIOENCODING`
    (e.g. `utf-8`) asks for another encoding, also in the frozen program; `PYTHONUTF8=1` too."""
    if not windows:
        return {"encoding": "utf-8"}
    asked = environ.get("PYTHONIOENCODING", "")
    if asked:
        # Applied here, not left to Python: a frozen program (PyInstaller) ignores PYTHON* variables.
        encoding, _, errors = asked.partition(":")
        return {k: v for k, v in (("encoding", encoding), ("errors", errors or "replace")) if v}
    if console or utf8_mode:
        return {}
    return {"errors": "replace"}


def _configure_stdio() -> None:
    import os

    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            try:
                settings = stream_settings(os.name == "nt", stream.isatty(), dict(os.environ), bool(sys.flags.utf8_mode))
                if settings:
                    stream.reconfigure(**settings)
            except (ValueError, OSError):  # pragma: no cover - exotic consoles
                pass


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # not a real file (tests, embedded consoles)
        pass


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """`argv` (default: the process's arguments) parsed by a parser holding only what they need."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_in(argv))
    return parser, parser.parse_args(argv)


GuiLauncher = Callable[[str | None, bool], int]

#: Commands with their own PIN options (no common --pin).
_OWN_PIN = frozenset({"set-pin", "expert-mode"})

#: What an expert may not do from the command line either, as the GUI hides it in expert mode:
#: commands that show or export pupils' names, and the coordinator's own settings and actions.
#: Named as the refusal names them. A tuple key: (command, its first positional argument).
_COORDINATOR_ONLY: dict[str | tuple[str, str], str] = {
    ("list", "students"): "список учеников", ("list", "participants"): "список участников с ФИО",
    "protocol": "протокол «код — ФИО»", "backup": "резервное копирование", "restore": "восстановление данных",
    "import-students": "импорт учеников", "import-codes": "импорт кодов", "init": "изменение сведений о школе",
    "set-retention": "изменение срока хранения", "purge-expired": "удаление сканов",
    "add-work": "создание работ", "edit-work": "изменение работ", "import-form": "импорт формы",
    "export-form": "выгрузка формы", "export-package": "пакет перепроверки", "experts": "список экспертов",
    "attach-criteria": "критерии оценивания", "set-class": "номера классов", "set-textbook": "учебники классов",
    "assign-codes": "выдача кодов", ("second-check", "create"): "создание выборки",
    ("second-check", "settle"): "решение комиссии", ("second-check", "protocol"): "протокол перепроверки",
}


def _guarded_as(args: argparse.Namespace) -> str | None:
    first = getattr(args, "what", None) or getattr(args, "action", None)
    return _COORDINATOR_ONLY.get((args.command, first)) or _COORDINATOR_ONLY.get(args.command)


def _check_expert_mode(args: argparse.Namespace) -> None:
    """Refuse a coordinator-only command in expert mode without the coordinator's PIN (asked on the
    terminal when there is one and no --pin was given)."""
    what = _guarded_as(args)
    if what is None:
        return
    from .paths import resolve_data_dir
    from .storage import DB_NAME

    if not (resolve_data_dir(args.data_dir) / DB_NAME).is_file():
        return                                   # nothing stored yet (init, restore into an empty folder)
    from .access import expert_mode, has_pin, require_coordinator

    with _store(args) as store:
        pin = getattr(args, "pin", None)
        if pin is None and expert_mode(store) and has_pin(store) and sys.stdin is not None and sys.stdin.isatty():
            import getpass

            pin = getpass.getpass("Включён режим эксперта. PIN координатора: ")
        require_coordinator(store, pin, what)


def main(argv: Sequence[str] | None = None, gui: GuiLauncher | None = None) -> int:
    """Run a command. With no command, start the GUI through `gui` (given by `ui.launcher`, so
    that this package never imports the Qt side)."""
    _configure_stdio()
    parser, args = parse_args(argv)
    if args.command is None:
        if gui is None:
            parser.print_usage(sys.stderr)
            print("Ошибка в команде: укажите команду. Окно программы открывается командой vpr-coordinator "
                  "без параметров.", file=sys.stderr)
            return EXIT_USAGE
        return gui(args.data_dir, args.smoke_test)
    from .logging_setup import setup_logging
    from .paths import resolve_data_dir

    if args.command != "restore":  # restore needs the data dir empty: log there only afterwards
        try:
            setup_logging(resolve_data_dir(args.data_dir), console=False)
        except OSError:
            pass
    try:
        _check_expert_mode(args)
        return int(args.func(args))
    except BrokenPipeError:
        # The reader of the output went away (`| more` quit, `| head`): the command's work is done
        # and saved; nothing is left to say. Python would otherwise print a traceback at exit.
        _silence_stdout()
        return EXIT_OK
    except UserError as err:
        if args.json:   # the whole list; the text names the first SHOWN_PROBLEMS
            print(json.dumps({"error": err.message, "details": err.details}, ensure_ascii=False, indent=2))
        text = "\n".join([err.message, *(f"• {d}" for d in _first(err.details))])
        print(f"Ошибка: {text}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
