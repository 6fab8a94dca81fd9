"""Command line, expert mode: switching it on and off, and the coordinator's PIN."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..access import change_pin, expert_mode, has_pin, set_expert_mode
from ..storage import Store
from .common import EXIT_OK, CommandTable, data_store, output

COMMANDS = CommandTable()


def _switch(store: Store, args: argparse.Namespace) -> None:
    """Turn expert mode on or off; off asks the PIN on the terminal when one is set and not given."""
    pin = args.pin
    if (args.state == "off" and pin is None and expert_mode(store) and has_pin(store)
            and sys.stdin is not None and sys.stdin.isatty()):
        pin = getpass.getpass("PIN координатора: ")
    set_expert_mode(store, args.state == "on", pin)


def cmd_expert_mode(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        if args.state != "status":
            _switch(store, args)
        on = expert_mode(store)
        pinned = has_pin(store)
    text = ("Режим эксперта включён: ФИО учеников скрыты, команды координатора требуют PIN." if on
            else "Режим эксперта выключен.")
    if on and not pinned:
        text += " PIN координатора не задан: выключить режим сможет любой (задайте его: set-pin --pin …)."
    output(args, {"expert_mode": on, "pin_set": pinned}, text)
    return EXIT_OK


def cmd_set_pin(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        change_pin(store, args.pin, args.old_pin)
    output(args, {"pin_set": True}, "PIN координатора сохранён.")
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("expert-mode", "режим эксперта: on — включить, off — выключить (нужен PIN), status")
def _args_expert_mode(p: argparse.ArgumentParser) -> None:
    p.add_argument("state", choices=["on", "off", "status"], help="on — включить, off — выключить, status — узнать")
    p.add_argument("--pin", help="PIN координатора (для off)")
    p.set_defaults(func=cmd_expert_mode)


@COMMANDS.command("set-pin", "задать или сменить PIN координатора")
def _args_set_pin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pin", required=True, help="новый PIN: от 4 до 12 цифр")
    p.add_argument("--old-pin", help="нынешний PIN (если он уже задан)")
    p.set_defaults(func=cmd_set_pin)
