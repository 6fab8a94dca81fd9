"""The «светофор» sentences: one Russian sentence per sign, with a level — "red" (a sign that needs
analysis), "yellow" (worth a look), "green" (nothing found), "grey" (below the indicator's minimum N:
shown greyed, left out of the summary).

Wording rule (OBJECTIVITY.md §2, §7): «признак», «требует анализа»; no verdict about a class or a
person; every sentence carries its group size and reliability label; decimal comma.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Thresholds

if TYPE_CHECKING:
    from .agreement import Agreement
    from .report import WorkAnalysis, YearAnalysis

CHECK = "Требует анализа."
_ICC_WORDS = {"poor": "низкая", "moderate": "умеренная", "good": "хорошая", "excellent": "отличная"}


@dataclass(frozen=True)
class Sign:
    level: str          # "red", "yellow", "green", "grey"
    indicator: str      # "boundaries", "journal", "tasks", "inversion", "crossings", "reference", "corridor", …
    text: str


# -- formatting --------------------------------------------------------------------------------


def num(x: float, decimals: int = 1, signed: bool = False) -> str:
    """A Russian number: decimal comma, «−» for minus, «+» when `signed`."""
    text = f"{abs(x):.{decimals}f}".replace(".", ",")
    if x < 0 and text.strip("0,") != "":
        return "−" + text
    return ("+" if signed and text.strip("0,") != "" else "") + text


def p_text(p: float) -> str:
    """p as printed: three decimals; one significant digit under 0,001 (0,0005); «< 0,0001» below that."""
    if p < 0.0001:
        return "< 0,0001"
    if p < 0.001:
        return f"{p:.1g}".replace(".", ",")
    return num(p, 3)


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 работа, 2 работы, 5 работ, 21 работа, 11 работ."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def works(n: int) -> str:
    return f"{n} {plural(n, 'работа', 'работы', 'работ')}"


def _label(n: int, reliability: str) -> str:
    return f"{works(n)} — {reliability}"


# -- one work ----------------------------------------------------------------------------------


def boundary_signs(a: WorkAnalysis) -> list[Sign]:
    n, rel, th = a.marks.n, a.marks.reliability, a.thresholds
    level = "grey" if n < th.limited_n else None
    out = []
    for b in a.boundaries:
        if b.flag is None:
            continue
        word, p = ("пик", b.p_peak) if b.flag == "peak" else ("провал", b.p_valley)
        out.append(Sign(level or "red", "boundaries",
                        f"На границе «{b.mark}» ({b.score} б.) — {works(b.at)}, на {b.score - 1} б. — {b.below}: "
                        f"{word} (p = {p_text(p)}; {_label(n, rel)}). {CHECK}"))
    if not out:
        out.append(Sign(level or "green", "boundaries",
                        f"Границы отметок «3», «4», «5»: пиков и провалов не найдено ({_label(n, rel)})."))
    return out


def journal_signs(a: WorkAnalysis) -> list[Sign]:
    j, th = a.journal, a.thresholds
    if j.compared == 0:
        return []
    grey = j.compared < th.limited_n
    tail = f"понизили {num(j.lower_pct or 0)} %, повысили {num(j.higher_pct or 0)} %; {_label(j.compared, j.reliability)}"
    if j.trigger:
        out = [Sign("red", "journal",
                    f"Не подтвердили отметку по журналу {num(j.not_confirmed_pct or 0)} % участников ({tail}) — "
                    f"более {num(th.not_confirmed_pct, 0)} %: признак для муниципальной перепроверки. {CHECK}")]
    else:
        out = [Sign("green", "journal",
                    f"Не подтвердили отметку по журналу {num(j.not_confirmed_pct or 0)} % участников ({tail}).")]
    if j.gap2:
        k = len(j.gap2)
        out.append(Sign("yellow", "journal",
                        f"Отметка ВПР и отметка по журналу расходятся на {th.journal_gap} и более у {k} "
                        f"{plural(k, 'участника', 'участников', 'участников')}. {CHECK}"))
    return [Sign("grey", s.indicator, s.text) for s in out] if grey else out


def task_signs(a: WorkAnalysis) -> list[Sign]:
    if not any(t.status for t in a.tasks):
        return []
    grey = a.marks.n < a.thresholds.limited_n
    rel = _label(a.marks.n, a.marks.reliability)
    if a.difficulties:
        listed = ", ".join(f"{t.id} ({num(t.pct or 0)} %)" for t in a.difficulties)
        sign = Sign("yellow", "tasks", f"Типичные затруднения — задания ниже линии своего уровня: {listed} ({rel}).")
    else:
        sign = Sign("green", "tasks", f"Заданий ниже линии своего уровня нет ({rel}).")
    return [Sign("grey", sign.indicator, sign.text)] if grey else [sign]


def inversion_signs(a: WorkAnalysis) -> list[Sign]:
    inv = a.inversion
    if inv is None or inv.delta_basic is None or inv.delta_advanced is None:
        return []
    level = "grey" if a.marks.n < a.thresholds.limited_n else None
    rel = _label(a.marks.n, a.marks.reliability)
    out = []
    deltas = f"Б {num(inv.delta_basic, signed=True)} п.п., П/В {num(inv.delta_advanced, signed=True)} п.п."
    if inv.inverted or inv.f2_pattern:
        out.append(Sign(level or ("red" if inv.inverted else "yellow"), "inversion",
                        f"Относительно эталона «{inv.reference}» сложные задания выполнены лучше простых: "
                        f"{deltas} ({rel}). Признак, {CHECK.lower()}"))
    if inv.profile_unlike and inv.rho is not None:
        out.append(Sign(level or "yellow", "inversion",
                        f"Профиль выполнения заданий не похож на эталон «{inv.reference}»: ρ = {num(inv.rho, 2)} "
                        f"по {inv.rho_tasks} заданиям. {CHECK}"))
    return out


def crossing_signs(a: WorkAnalysis) -> list[Sign]:
    sizes = {g.mark: g.n for g in a.groups}
    return [Sign("yellow", "crossings",
                 f"По заданию {c.task} группа «{c.lower_mark}» ({sizes[c.lower_mark]} уч.) выполнила на "
                 f"{num(c.diff_pp)} п.п. лучше группы «{c.higher_mark}» ({sizes[c.higher_mark]} уч.; "
                 f"p = {p_text(c.p)}). {CHECK}")
            for c in a.crossings if c.shown]


_REF_NAMES = {"russia": "России", "region": "региона", "municipality": "муниципалитета"}


def reference_signs(a: WorkAnalysis) -> list[Sign]:
    level = "grey" if a.marks.n < a.thresholds.limited_n else None
    rel = _label(a.marks.n, a.marks.reliability)
    out = [Sign(level or "red", "reference",
                f"Доля «{c.indicator}» — {num(c.school_pct or 0)} %, у {_REF_NAMES.get(c.reference, c.reference)} — "
                f"{num(c.reference_pct)} % ({num(c.diff_pp or 0, signed=True)} п.п., p = {p_text(c.p_high or 0)}; "
                f"{rel}). {CHECK}")
           for c in a.reference if c.flag]
    words = {"min2": ("«2»", "ниже минимума"), "max4": ("«4»", "выше максимума"), "max5": ("«5»", "выше максимума")}
    for f in a.corridor:
        mark, where = words[f.indicator]
        out.append(Sign(level or "yellow", "corridor",
                        f"Доля {mark} — {num(f.school_pct)} %, {where} муниципального коридора ({num(f.limit)} %; "
                        f"{rel}). {CHECK}"))
    return out


def work_signs(a: WorkAnalysis) -> list[Sign]:
    """Every sign of one work, the most serious kinds first."""
    return (boundary_signs(a) + journal_signs(a) + reference_signs(a) + inversion_signs(a)
            + crossing_signs(a) + task_signs(a))


# -- the year and the re-check -----------------------------------------------------------------


def year_signs(y: YearAnalysis) -> list[Sign]:
    p, th = y.pooled, y.thresholds
    m = p.at + p.below
    level = "grey" if m < th.limited_n else None
    if p.flag:
        word, pv = ("пик", p.p_peak) if p.flag == "peak" else ("провал", p.p_valley)
        head = Sign(level or "red", "pooled",
                    f"Все работы года вместе ({len(p.works)}): на границах отметок — {works(p.at)}, на балл ниже — "
                    f"{p.below}: {word} (p = {p_text(pv)}). {CHECK}")
    else:
        head = Sign(level or "green", "pooled",
                    f"Все работы года вместе ({len(p.works)}): на границах отметок — {works(p.at)}, на балл ниже — "
                    f"{p.below}; пиков и провалов не найдено.")
    out = [head]
    for a in y.works:
        out += [Sign(s.level, s.indicator, f"{a.label}: {s.text}") for s in boundary_signs(a) if s.level != "green"]
    return out


def agreement_signs(g: Agreement, th: Thresholds) -> list[Sign]:
    if g.pairs == 0:
        return []
    rel = _label(g.pairs, g.reliability)
    out = [_objective_sign(g, th, rel), _shift_sign(g, rel)]
    if g.icc_a1 is not None and g.icc_band in ("poor", "moderate"):
        out.append(Sign("yellow", "agreement",
                        f"Согласованность итоговых баллов ICC(A,1) = {num(g.icc_a1, 2)} — "
                        f"{_ICC_WORDS[g.icc_band]} ({rel})."))
    changed = g.marks_up + g.marks_down
    if changed:
        near = g.marks_up_at_boundary + g.marks_down_at_boundary
        out.append(Sign("yellow", "agreement",
                        f"При перепроверке отметка изменилась в работах: {changed} (повышена — {g.marks_up}, "
                        f"понижена — {g.marks_down}; у границы отметки — {near})."))
    if g.errors_by_abs:
        out.append(Sign("yellow", "agreement",
                        f"Типичные ошибки экспертов — больше всего расхождений по заданиям: "
                        f"{', '.join(g.errors_by_abs[:5])}."))
    return [Sign("grey", s.indicator, s.text) for s in out] if g.pairs < th.limited_n else out


def _objective_sign(g: Agreement, th: Thresholds, rel: str) -> Sign:
    met = g.objective_target_met
    text = (f"Доля объективно оценённых работ — {num(g.objective_pct or 0)} % "
            f"(ориентир — не менее {num(th.objective_target_pct, 0)} %; {rel}).")
    return Sign("green" if met else "yellow", "agreement", text if met else f"{text} {CHECK}")


def _shift_sign(g: Agreement, rel: str) -> Sign:
    mean = g.mean_signed_diff or 0.0
    if g.ci95 is None:
        return Sign("grey", "agreement", f"Средняя разница школьной проверки и перепроверки — {num(mean, 2)} б. ({rel}).")
    lo, hi = g.ci95
    ci = f"95 % ДИ {num(lo, 2)}…{num(hi, 2)}"
    if lo > 0 or hi < 0:
        way, kind = ("выше", "более мягкого") if lo > 0 else ("ниже", "более строгого")
        return Sign("yellow", "agreement",
                    f"Школьная проверка в среднем на {num(abs(mean), 2)} б. {way} перепроверки ({ci}; {rel}): "
                    f"признак {kind} оценивания. {CHECK}")
    return Sign("green", "agreement",
                f"Систематического сдвига между школьной проверкой и перепроверкой не видно: "
                f"{num(mean, 2, signed=True)} б. ({ci}; {rel}).")
