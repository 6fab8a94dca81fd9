"""Command line, safety copies: backing up, restoring and checking an archive, and checking the
store itself.

The backup module is imported by each handler, not here: the whole parser (top-level help,
--version, an unknown command) imports every area module, and backup loads zipfile and shutil
(start-up)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UserError
from ..paths import resolve_data_dir
from .common import EXIT_INPUT, EXIT_OK, CommandTable, data_store, first, output

COMMANDS = CommandTable()


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


def _archive_password(args: argparse.Namespace) -> str | None:
    return _read_password_file(args.password_file) if args.password_file else None


def cmd_backup(args: argparse.Namespace) -> int:
    from ..backup import PERSONAL_DATA_WARNING, create_backup  # start-up

    password = None if args.no_password else _read_password_file(args.password_file)
    with data_store(args) as store:
        result = create_backup(store, Path(args.out), password=password, plain=args.no_password)
    if result.encrypted:
        text = f"Резервная копия создана и зашифрована паролем: {result.path} (файлов: {result.files})."
    else:
        text = f"Резервная копия создана БЕЗ ПАРОЛЯ: {result.path} (файлов: {result.files})."
        print(f"Внимание: {PERSONAL_DATA_WARNING}", file=sys.stderr)
    output(args, result.as_dict(), text)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from ..backup import restore_backup  # start-up

    result = restore_backup(Path(args.archive), resolve_data_dir(args.data_dir), _archive_password(args))
    output(args, result.as_dict(), f"Данные восстановлены в {result.data_dir} (файлов: {result.files}).")
    return EXIT_OK


def cmd_verify_archive(args: argparse.Namespace) -> int:
    from ..formats.backup_archive import verify_archive  # start-up
    from ..formats.backup_crypto import is_encrypted

    problems = verify_archive(Path(args.archive), _archive_password(args))
    ok = not problems
    kind = "зашифрованная" if is_encrypted(args.archive) else "без пароля"
    text = (f"Резервная копия в порядке ({kind}): {args.archive}." if ok else
            f"Резервная копия повреждена: {args.archive} — найдено проблем: {len(problems)}:\n"
            + "\n".join(f"  {p}" for p in first(problems)))
    output(args, {"archive": str(args.archive), "ok": ok, "problems": problems}, text)
    return EXIT_OK if ok else EXIT_INPUT


def cmd_verify(args: argparse.Namespace) -> int:
    from ..backup import verify_store  # start-up

    with data_store(args) as store:
        report = verify_store(store)
    text = (f"Проверка хранилища: всё в порядке (проверено файлов: {report.files_checked})." if report.ok else
            f"Проверка хранилища: найдены проблемы ({len(report.problems)}):\n" + "\n".join(f"  {p}" for p in report.problems))
    output(args, report.as_dict(), text)
    return EXIT_OK if report.ok else EXIT_INPUT


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("backup", "резервная копия всех данных в один архив, зашифрованный паролем")
def _args_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="папка (например, на флешке)")
    secret = p.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-file", metavar="F",
                        help="файл, в первой строке которого пароль копии (не короче 8 символов; «-» — ввод)")
    secret.add_argument("--no-password", action="store_true",
                        help="без шифрования: копию прочтёт кто угодно, а в ней персональные данные учеников")
    p.set_defaults(func=cmd_backup)


@COMMANDS.command("restore", "восстановить данные из архива в пустую папку данных")
def _args_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE", help="резервная копия (.vprbak, или .zip без пароля)")
    p.add_argument("--password-file", metavar="F", help="файл, в первой строке которого пароль копии («-» — ввод)")
    p.set_defaults(func=cmd_restore)


@COMMANDS.command("verify-archive", "проверить резервную копию целиком (не восстанавливая её)")
def _args_verify_archive(p: argparse.ArgumentParser) -> None:
    p.add_argument("archive", metavar="ARCHIVE", help="резервная копия (.vprbak, или .zip без пароля)")
    p.add_argument("--password-file", metavar="F", help="файл, в первой строке которого пароль копии («-» — ввод)")
    p.set_defaults(func=cmd_verify_archive)


@COMMANDS.command("verify", "проверить базу и все сохранённые файлы")
def _args_verify(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=cmd_verify)
