"""Command line, «Анализ»: the signs of non-objective scoring in a work, a class or the year, before
ФИС ОКО sees them; and how well the second check agreed with the school's scoring."""

from __future__ import annotations

import argparse

from ..analysis.indicators import JournalComparison, MarksSummary
from ..analysis.report import as_json, summary_sentences
from ..analysis.sentences import num
from ..errors import UserError
from ..school_years import current_year
from ..second_check import STRATUM_TEXT, TARGETED
from ..work_analysis import (
    agreement_by_expert,
    analyse,
    analyse_all,
    second_check_agreement,
    targeted_codes,
    write_class_list,
    write_report,
)
from .common import EXIT_OK, CommandTable, data_store, output

COMMANDS = CommandTable()

_LEVEL = {"red": "[!]", "yellow": "[?]", "green": "[ok]", "grey": "[–]"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{num(value)} %"


def _marks_lines(m: MarksSummary) -> list[str]:
    marks = "; ".join(f"«{k}» — {m.counts.get(k, 0)} ({_pct(m.pct.get(k))})" for k in (2, 3, 4, 5))
    return [f"Участников с полной проверкой: {m.n} ({m.reliability}).",
            f"Отметки: {marks}.",
            f"Успеваемость {_pct(m.success_pct)}, качество {_pct(m.quality_pct)}, средний балл "
            f"{'—' if m.mean_score is None else num(m.mean_score, 2)}."]


def _journal_line(j: JournalComparison) -> str:
    if not j.compared:
        return "Сравнение с журналом: нет отметок по журналу."
    return (f"Сравнение с журналом ({j.compared}): понизили {_pct(j.lower_pct)}, подтвердили {_pct(j.equal_pct)}, "
            f"повысили {_pct(j.higher_pct)}; не подтвердили {_pct(j.not_confirmed_pct)}.")


def _signs(analysis, **kwargs) -> list[str]:
    signs = summary_sentences(analysis, **kwargs)
    return [f"{_LEVEL.get(s.level, '')} {s.text}" for s in signs] or ["Признаков, требующих анализа, не найдено."]


def cmd_analysis(args: argparse.Namespace) -> int:
    if args.year == (args.work is not None):
        raise UserError("Укажите работу (--work ID) или весь год (--year).")
    if args.year and args.class_name:
        raise UserError("Класс (--class) задаётся только для одной работы (--work).")
    with data_store(args) as store:
        analysis = analyse_all(store, current_year(store)) if args.year else analyse(store, args.work,
                                                                                     args.class_name)
    if args.year:
        lines = [f"Работ со шкалой: {len(analysis.works)}."]
        lines += [f"  {a.label}: {a.marks.n} участников ({a.marks.reliability})" for a in analysis.works]
    else:
        title = analysis.label + (f", класс {args.class_name}" if args.class_name else "")
        lines = [title, *_marks_lines(analysis.marks), _journal_line(analysis.journal)]
    output(args, as_json(analysis), "\n".join([*lines, "", "Светофор:", *_signs(analysis)]))
    return EXIT_OK


def _part_json(agreement) -> dict:
    data = as_json(agreement)
    keys = ("pairs", "mean_signed_diff", "exact_agreement_pct", "marks_up", "marks_down", "objective_pct")
    return {key: data[key] for key in keys}


def agreement_report(store, args: argparse.Namespace) -> None:
    """`second-check agreement`: the school's scoring against the second check of the same works,
    over the sample's random part, and each part of the sample apart."""
    found = second_check_agreement(store, args.work)
    agreement = found.main
    ci = "" if agreement.ci95 is None else f" (95 % ДИ {num(agreement.ci95[0], 2)} … {num(agreement.ci95[1], 2)})"
    over = "случайная часть выборки" if found.over == "random" else "все перепроверенные работы (случайной части нет)"
    lines = [f"Согласованность — {over}: пар работ {agreement.pairs} ({agreement.reliability}).",
             f"Средняя разность суммы баллов (школа − перепроверка): "
             f"{'—' if agreement.mean_signed_diff is None else num(agreement.mean_signed_diff, 2, signed=True)}{ci}.",
             f"Точное совпадение суммы: {_pct(agreement.exact_agreement_pct)}; объективно оценённых работ: "
             f"{_pct(agreement.objective_pct)}.",
             f"Отметка выше после перепроверки: {agreement.marks_up}, ниже: {agreement.marks_down}."]
    if len(found.parts) > 1 or found.over == "all":
        lines += ["", "По частям выборки:"]
        lines += [f"  {STRATUM_TEXT[name]}: пар {part.pairs}, точное совпадение {_pct(part.exact_agreement_pct)}, "
                  f"отметка выше {part.marks_up}, ниже {part.marks_down}" for name, part in found.parts.items()]
    data = {**as_json(agreement), "over": found.over,
            "parts": {name: _part_json(part) for name, part in found.parts.items()}}
    if args.by_expert:
        by_expert = agreement_by_expert(store, args.work)
        data["experts"] = {name: _part_json(part) for name, part in by_expert.items()}
        lines += ["", "По экспертам школы (только для координатора; не для оценки работы учителей):"]
        lines += [f"  {name}: пар {part.pairs}, средняя разность "
                  f"{'—' if part.mean_signed_diff is None else num(part.mean_signed_diff, 2, signed=True)}, "
                  f"точное совпадение {_pct(part.exact_agreement_pct)}" for name, part in by_expert.items()]
    output(args, data, "\n".join([*lines, "", *_signs(agreement, thresholds=found.thresholds)]))


def targeted_parts(store, work_id: int, wanted: str | None) -> dict[str, list[str]] | None:
    """`second-check create --targeted boundary,journal_gap,guttman|all`: those parts' codes from «Анализ»."""
    if not wanted:
        return None
    names = list(TARGETED) if wanted.strip() == "all" else [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETED]
    if unknown:
        raise UserError(f"Неизвестная часть выборки «{unknown[0]}»: допустимы {', '.join(TARGETED)} или all.")
    found = targeted_codes(store, work_id)
    return {name: found[name] for name in names}


def cmd_report(args: argparse.Namespace) -> int:
    if args.year == (args.work is not None):
        raise UserError("Укажите работу (--work ID) или весь год (--year).")
    with data_store(args) as store:
        path = write_report(store, args.out, work_id=args.work, class_name=args.class_name)
    output(args, {"file": str(path)}, f"Справка сохранена: {path}.")
    return EXIT_OK


def cmd_class_list(args: argparse.Namespace) -> int:
    with data_store(args) as store:
        path = write_class_list(store, args.work, args.out, args.class_name)
    output(args, {"file": str(path)}, f"Список с именами сохранён: {path}. Он содержит персональные данные — "
                                      "не выносите его за пределы школы.")
    return EXIT_OK


@COMMANDS.command("analysis", "анализ объективности: отметки, журнал, границы, задания — до загрузки в ФИС ОКО")
def _args_analysis(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, help="номер работы (его показывает list works)")
    p.add_argument("--year", action="store_true", help="все работы года (границы — суммарно)")
    p.add_argument("--class", dest="class_name", metavar="КЛАСС", help="только этот класс работы, например 5А")
    p.set_defaults(func=cmd_analysis)


@COMMANDS.command("report", "«Справка по результатам ВПР» (PDF или XLSX, без имён и кодов) по работе или за год")
def _args_report(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, help="номер работы (его показывает list works)")
    p.add_argument("--year", action="store_true", help="все работы года")
    p.add_argument("--class", dest="class_name", metavar="КЛАСС", help="только этот класс работы")
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.xlsx", help="куда сохранить справку (PDF или таблицы XLSX)")
    p.set_defaults(func=cmd_report)


@COMMANDS.command("class-list", "результаты работы по классам с именами и баллами за задания — для классного "
                                "руководителя (PDF или XLSX)")
def _args_class_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--class", dest="class_name", metavar="КЛАСС", help="только этот класс")
    p.add_argument("--out", required=True, metavar="FILE.pdf|FILE.xlsx", help="куда сохранить список")
    p.set_defaults(func=cmd_class_list)


def cmd_parent_slips(args: argparse.Namespace) -> int:
    from ..work_analysis import write_parent_slips

    with data_store(args) as store:
        path = write_parent_slips(store, args.work, args.out, args.class_name)
    output(args, {"file": str(path)}, f"Листки для родителей сохранены: {path}. В них персональные данные — "
                                      "каждый листок отдаётся только семье ученика.")
    return EXIT_OK


@COMMANDS.command("parent-slips", "листки для родителей: задания, что они проверяют, баллы и отметка ученика (PDF)")
def _args_parent_slips(p: argparse.ArgumentParser) -> None:
    p.add_argument("--work", type=int, required=True, help="номер работы (его показывает list works)")
    p.add_argument("--class", dest="class_name", metavar="КЛАСС", help="только этот класс")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="куда сохранить листки")
    p.set_defaults(func=cmd_parent_slips)


def cmd_dynamics(args: argparse.Namespace) -> int:
    from .. import dynamics

    if (args.subject is None) != (args.grade is None):
        raise UserError("Укажите предмет и класс вместе (--subject «Русский язык» --grade 4) или ни того, ни другого.")
    with data_store(args) as store:
        if args.subject is not None:
            found = {"subjects": [dynamics.subject_over_years(store, args.subject, args.grade)], "cohorts": []}
        else:
            found = dynamics.overview(store)
    lines = []
    for s in found["subjects"]:
        lines.append(f"{s.subject}, {s.grade} класс:")
        lines += [f"  {y.year}: N = {y.n}; " + ", ".join(f"«{m}» {num(y.pct(m) or 0, 1)} %" for m in (2, 3, 4, 5))
                  for y in s.years]
        lines += [f"  {c.sentence()}" for c in s.changes]
        if len(s.years) < 2:
            lines.append("  Динамика появится, когда будут результаты хотя бы за два учебных года.")
    lines += [c.sentence() for c in found["cohorts"]]
    data = {"subjects": [s.as_dict() for s in found["subjects"]], "cohorts": [c.as_dict() for c in found["cohorts"]]}
    output(args, data, "\n".join(lines) or "Динамики пока нет: нужны результаты одного предмета и класса хотя бы "
                                           "за два учебных года (импортируйте прошлогодние «Индивидуальные "
                                           "результаты» или «Статистику по отметкам»).")
    return EXIT_OK


@COMMANDS.command("dynamics", "динамика по годам: доли отметок одного предмета и класса, те же ученики через год")
def _args_dynamics(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subject", help="предмет, например «Русский язык» (вместе с --grade)")
    p.add_argument("--grade", type=int, help="класс (параллель), например 4")
    p.set_defaults(func=cmd_dynamics)
