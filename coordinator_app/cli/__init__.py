"""Command line: the same domain functions as the GUI, with no Qt loaded.

`vpr-coordinator [--data-dir DIR] [--json] COMMAND …`; with no command the GUI starts.
Exit codes: 0 success, 1 bad input (a Russian message, nothing changed), 2 wrong usage.

This module holds the entry point: the top-level parser and dispatch, the coordinator-only guard
of expert mode, and the output streams' set-up. Each area's commands (their arguments and
handlers) live in a module of their own, imported only when a command of theirs is run or the
whole parser is needed (help, errors listing the commands).
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence

from .. import APP_TITLE, __version__
from ..access import expert_mode, has_pin, require_coordinator
from ..errors import UserError
from ..logging_setup import setup_logging
from ..paths import resolve_data_dir
from ..storage import DB_NAME
from .common import EXIT_INPUT, EXIT_OK, EXIT_USAGE, Configure, RussianArgumentParser, data_store, first

#: Every command → the module of its area (`coordinator_app.cli.<area>`), in the order the help
#: lists the commands.
_COMMANDS: dict[str, str] = {
    "init": "school", "import-students": "school", "add-work": "works", "edit-work": "works",
    "assign-codes": "codes", "list": "school", "mark-absent": "codes", "protocol": "codes", "slips": "codes",
    "labels": "codes", "label-layouts": "codes", "import-scans": "scans", "scans": "scans",
    "assign-page": "scans", "attach-audio": "scans", "purge-expired": "scans", "set-retention": "scans",
    "import-form": "scores", "scores": "scores", "set-score": "scores", "set-journal-mark": "scores",
    "backup": "backup", "restore": "backup", "expert-mode": "admin", "set-pin": "admin",
    "verify-archive": "backup", "verify": "backup", "import-codes": "codes", "set-variant": "codes",
    "attach-criteria": "works", "experts": "school", "second-check": "scores", "set-class": "school",
    "set-textbook": "works", "export-form": "exports", "export-package": "exports", "verify-package": "exports",
    "set-task": "analysis_data", "import-tasks": "analysis_data", "thresholds": "analysis_data",
    "set-threshold": "analysis_data", "reset-thresholds": "analysis_data", "export-thresholds": "analysis_data",
    "import-thresholds": "analysis_data", "set-reference": "analysis_data", "references": "analysis_data",
    "analysis": "analysis", "report": "analysis", "class-list": "analysis",
    "import-results": "results", "reconciliation": "results",
    "years": "years", "new-year": "years", "mark-left": "years", "dynamics": "analysis",
    "parent-slips": "analysis",
}


def _command(name: str) -> tuple[str, Configure]:
    """The help line and the argument-adding function of command `name`."""
    # Imported here, not at the top: a run loads only the area of the command it runs (start-up).
    area = importlib.import_module(f"{__name__}.{_COMMANDS[name]}")
    return area.COMMANDS[name]


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
    for name in _COMMANDS:
        if only is None or name == only:
            help_text, configure = _command(name)
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
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            try:
                settings = stream_settings(os.name == "nt", stream.isatty(), dict(os.environ), bool(sys.flags.utf8_mode))
                if settings:
                    stream.reconfigure(**settings)
            except (ValueError, OSError):  # pragma: no cover - exotic consoles
                pass


def _silence_stdout() -> None:
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
    "assign-codes": "выдача кодов", "import-results": "импорт результатов ФИС ОКО",
    "reconciliation": "сверка с ФИС ОКО", "new-year": "новый учебный год", "dynamics": "динамика результатов", "mark-left": "выбывшие ученики", ("second-check", "create"): "создание выборки",
    ("second-check", "settle"): "решение комиссии", ("second-check", "protocol"): "протокол перепроверки",
    "set-task": "описание заданий", "import-tasks": "описание заданий", "set-threshold": "пороги анализа",
    "reset-thresholds": "пороги анализа", "import-thresholds": "пороги анализа",
    "set-reference": "эталонные данные", "analysis": "анализ результатов", "report": "справка по результатам",
    "class-list": "список с именами", "parent-slips": "листки для родителей с именами",
    ("second-check", "agreement"): "согласованность перепроверки",
}


def _guarded_as(args: argparse.Namespace) -> str | None:
    first_word = getattr(args, "what", None) or getattr(args, "action", None)
    return _COORDINATOR_ONLY.get((args.command, first_word)) or _COORDINATOR_ONLY.get(args.command)


def _check_expert_mode(args: argparse.Namespace) -> None:
    """Refuse a coordinator-only command in expert mode without the coordinator's PIN (asked on the
    terminal when there is one and no --pin was given)."""
    what = _guarded_as(args)
    if what is None:
        return
    if not (resolve_data_dir(args.data_dir) / DB_NAME).is_file():
        return                                   # nothing stored yet (init, restore into an empty folder)
    with data_store(args) as store:
        pin = getattr(args, "pin", None)
        if pin is None and expert_mode(store) and has_pin(store) and sys.stdin is not None and sys.stdin.isatty():
            pin = getpass.getpass("Включён режим эксперта. PIN координатора: ")
        require_coordinator(store, pin, what)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command: the guard, then its handler; a user's error printed in Russian."""
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
        text = "\n".join([err.message, *(f"• {d}" for d in first(err.details))])
        print(f"Ошибка: {text}", file=sys.stderr)
        return EXIT_INPUT


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
    if args.command != "restore":  # restore needs the data dir empty: log there only afterwards
        try:
            setup_logging(resolve_data_dir(args.data_dir), console=False)
        except OSError:
            pass
    return _run(args)
