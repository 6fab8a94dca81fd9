"""What every command module of the command line shares: the Russian-speaking argparse parser,
exit codes, printing a result (text or --json), opening the store, and the table each area
module lists its commands in."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from ..paths import resolve_data_dir
from ..storage import Store, open_store

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2

#: A problem list printed in full up to this many lines; the rest is counted (all of it with --json).
SHOWN_PROBLEMS = 20

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


#: Adds a command's arguments (and its handler, as `func`) to the command's subparser.
Configure = Callable[[argparse.ArgumentParser], None]


class CommandTable(dict[str, tuple[str, Configure]]):
    """An area's commands: name → (the line in the help's command list, the function adding its
    arguments). Each command's arguments are added by its own function, so that a run builds only
    the subparser of the command it was given (building all of them costs about as much as the
    command itself)."""

    def command(self, name: str, help_text: str) -> Callable[[Configure], Configure]:
        """Register the function adding a command's arguments."""
        def register(configure: Configure) -> Configure:
            self[name] = (help_text, configure)
            return configure

        return register


def output(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print a command's result: `data` as JSON with --json, else `text`."""
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
    windows = os.name == "nt" if windows is None else windows
    return isinstance(err, BrokenPipeError) or err.errno == errno.EPIPE or (windows and err.errno == errno.EINVAL)


def data_store(args: argparse.Namespace) -> Store:
    """The store of the data dir the command line names (--data-dir, else the default)."""
    return open_store(resolve_data_dir(args.data_dir), actor="координатор (командная строка)")


def first(problems: list[str], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """The first `limit` problems and «… и ещё N» for the rest."""
    if len(problems) <= limit:
        return list(problems)
    return [*problems[:limit], f"… и ещё {len(problems) - limit}"]


def first_items(items: list[Any], limit: int = SHOWN_PROBLEMS) -> list[Any]:
    return items[:limit]


def csv_list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]
