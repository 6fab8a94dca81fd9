"""Command line, scores: the filled-in ФИС ОКО form, scores and journal marks, and the second
check of a sample by another expert."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .. import second_check
from ..errors import UserError
from ..form_import import import_form
from ..scoring import STATUS_RU, score_sheet, set_journal_mark, set_score, work_progress
from ..storage import Store
from ..works import normalize_task_id
from .common import EXIT_OK, CommandTable, csv_list, data_store, output

COMMANDS = CommandTable()


def cmd_import_form(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        result = import_form(store, args.work, Path(args.file), expert=args.expert, partial=args.partial,
                             take_form_class_numbers=args.take_class_numbers)
    output(args, result.as_dict(), result.summary())
    return EXIT_OK


def cmd_scores(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        sheet = score_sheet(store, args.work, final=True, experts=False)
        progress = work_progress(store, args.work, sheet)
    if args.json:  # only the form asked for is built (1500 participants × 15 tasks either way)
        output(args, [row.as_dict() for row in sheet], "")
        return EXIT_OK
    lines = [f"{r.code} {r.class_name:<4} " + (" ".join([f"{k}:{'·' if v is None else v}" for k, v in r.scores.items()])
             if not r.absent else "отсутствовал")
             + (f"  итого {r.total}" + (f", отметка {r.mark}" if r.mark else "") if not r.absent else "")
             + f"  [{STATUS_RU[r.status]}]" for r in sheet]
    lines.append(progress.summary())
    output(args, None, "\n".join(lines))
    return EXIT_OK


def cmd_set_score(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        set_score(store, args.work, args.code, args.task, args.value, expert=args.expert)
        pid = store.scalar("SELECT id FROM participants WHERE work_id = ? AND code = ?", [args.work, args.code.strip()])
        row = score_sheet(store, args.work, participant_ids={pid})[0]
    task = normalize_task_id(args.task)
    stored = row.scores.get(task)     # as stored: «х» is X, « 2 » is 2
    output(args, row.as_dict(), f"Участник {row.code}: задание {task} — {stored if stored is not None else 'очищено'}; "
                                f"итого {row.total}.")
    return EXIT_OK


def cmd_set_journal_mark(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        set_journal_mark(store, args.work, args.code, args.mark)
    output(args, {"work_id": args.work, "code": args.code, "journal_mark": args.mark},
           f"Участник {args.code}: отметка по журналу {args.mark}.")
    return EXIT_OK


# -- second-check: one handler per action --------------------------------------------------------

def _need(args: argparse.Namespace, *names: str) -> None:
    """Refuse a second-check action that lacks one of the options it needs."""
    missing = [f"--{n}" for n in names if getattr(args, n) in (None, "")]
    if missing:
        raise UserError(f"Для second-check {args.action} укажите: {', '.join(missing)}.")


def _check_create(store: Store, args: argparse.Namespace) -> None:
    if not args.share and not args.codes and not args.targeted:
        raise UserError("Укажите долю выборки (--share), целевые части (--targeted) или коды (--codes).")
    targeted = None
    if args.targeted:
        from .analysis import targeted_parts  # start-up: the statistics only for a targeted sample

        targeted = targeted_parts(store, args.work, args.targeted)
    check_id, _ = second_check.create_check(
        store, args.work, share=(args.share / 100 if args.share else None), codes=csv_list(args.codes),
        seed=args.seed, expert=args.expert, targeted=targeted)
    info = next(c for c in second_check.checks(store, args.work) if c.id == check_id)
    parts = "; ".join(f"{second_check.STRATUM_TEXT[name]}: {', '.join(codes)}" for name, codes in info.strata.items())
    output(args, {"id": check_id, "codes": info.codes, "seed": info.seed, "strata": info.strata},
           f"Выборка {check_id}: {parts}" + (f" (зерно {info.seed})." if info.seed else "."))


def _check_score(store: Store, args: argparse.Namespace) -> None:
    _need(args, "code", "task", "value")
    if args.code.strip() not in {r.code for r in second_check.discrepancies(store, args.work).participants}:
        raise UserError(f"Участника {args.code} нет в выборке перепроверки.")
    set_score(store, args.work, args.code, args.task, args.value, expert=args.expert, round=2)
    # Blind: the first expert's score is not shown, only what was stored.
    output(args, {"code": args.code, "task": args.task}, f"Балл перепроверки записан: {args.code}, "
                                                         f"задание {args.task}.")


def _check_settle(store: Store, args: argparse.Namespace) -> None:
    _need(args, "code", "task", "value")
    _need(args, "reason")
    second_check.settle(store, args.work, args.code, args.task, args.value, args.reason)
    output(args, {"code": args.code, "task": args.task}, f"Решение комиссии записано: {args.code}, "
                                                         f"задание {args.task}.")


def _check_protocol(store: Store, args: argparse.Namespace) -> None:
    _need(args, "out")
    path = second_check.make_recheck_pdf(store, args.work, Path(args.out), unfinished_ok=args.unfinished)
    output(args, {"file": str(path)}, f"Протокол перепроверки сохранён: {path}.")


def _check_status(store: Store, args: argparse.Namespace) -> None:
    report = second_check.discrepancies(store, args.work)
    done = [p for p in report.participants if p.complete]
    lines = [f"В выборке: {len(report.participants)}; перепроверено полностью: {len(done)}."]
    lines += [f"  {p.code}: " + ", ".join(f"{t.task_id}: {t.first}→{t.second}" for t in p.differing)
              for p in done if p.differing]
    output(args, [p.as_dict() for p in report.participants], "\n".join(lines))


def _check_agreement(store: Store, args: argparse.Namespace) -> None:
    from .analysis import agreement_report  # start-up: the statistics only for this action

    agreement_report(store, args)


_CHECK_ACTIONS: dict[str, Callable[[Store, argparse.Namespace], None]] = {
    "create": _check_create, "score": _check_score, "settle": _check_settle, "protocol": _check_protocol,
    "status": _check_status, "agreement": _check_agreement,
}


def cmd_second_check(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        _CHECK_ACTIONS[args.action](store, args)
    return EXIT_OK


# -- arguments ------------------------------------------------------------------------------------

@COMMANDS.command("import-form", "импорт заполненной формы ФИС ОКО с баллами")
def _args_import_form(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="заполненная форма сбора результатов (.xlsx)")
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--expert", help="кто заполнял форму (для журнала)")
    p.add_argument("--take-class-numbers", action="store_true",
                   help="принять порядковые номера классов из формы, если они расходятся с программой целыми классами")
    p.add_argument("--partial", action="store_true",
                   help="принять строки, где заполнены не все задания (пустые остаются непроверенными)")
    p.set_defaults(func=cmd_import_form)


@COMMANDS.command("scores", "баллы работы по участникам")
def _args_scores(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.set_defaults(func=cmd_scores)


@COMMANDS.command("set-score", "поставить балл за задание")
def _args_set_score(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--task", required=True, help="номер задания, как в работе: 1, 9.1, 4К1")
    p.add_argument("--value", required=True, help="балл, X или «не пройд.»; пустая строка очищает")
    p.add_argument("--expert", help="эксперт")
    p.set_defaults(func=cmd_set_score)


@COMMANDS.command("set-journal-mark", "отметка по журналу за предыдущий период")
def _args_set_journal_mark(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--code", required=True, help="код участника")
    p.add_argument("--mark", required=True, help="5, 4, 3, 2 или «нет отметки»")
    p.set_defaults(func=cmd_set_journal_mark)


@COMMANDS.command("second-check",
                  "перепроверка вторым экспертом: create, score, status, settle, protocol, agreement")
def _args_second_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["create", "score", "status", "settle", "protocol", "agreement"],
                   help="create — выборка; score — балл второго эксперта; status — расхождения; "
                        "settle — решение комиссии; protocol — протокол перепроверки (PDF); "
                        "agreement — согласованность с проверкой школы")
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--share", type=float, metavar="PCT", help="доля работ в выборке, %% (для create)")
    p.add_argument("--codes", help="коды через запятую (для create)")
    p.add_argument("--targeted", metavar="ЧАСТИ",
                   help="целевые части выборки по «Анализу» (для create): boundary — у границы отметки, "
                        "journal_gap — расхождение с журналом на 2 и более, guttman — маловероятный профиль; "
                        "через запятую или all")
    p.add_argument("--seed", type=int, help="зерно случайной выборки (для create)")
    p.add_argument("--code", help="код участника (для score и settle)")
    p.add_argument("--task", help="номер задания (для score и settle)")
    p.add_argument("--value", help="балл (для score и settle)")
    p.add_argument("--expert", help="ФИО эксперта перепроверки (для create и score)")
    p.add_argument("--reason", help="причина решения комиссии (для settle)")
    p.add_argument("--out", metavar="FILE.pdf", help="куда сохранить протокол (для protocol)")
    p.add_argument("--unfinished", action="store_true", help="напечатать протокол незаконченной перепроверки")
    p.add_argument("--by-expert", action="store_true",
                   help="согласованность по экспертам школы (для agreement; только для координатора)")
    p.set_defaults(func=cmd_second_check)
