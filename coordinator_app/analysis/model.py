"""Inputs of the «Анализ» computations: plain frozen dataclasses, no store, no Qt.

The store side converts its rows into these: a work's tasks (`TaskInfo`), its scale (`Scale`), one
`Result` per participant (scores already numeric: «X» / «не пройд.» count 0), the thresholds
(`Thresholds`, every field with its default, unit and source text — `/work/shared/OBJECTIVITY.md`) and
optional reference rows (`Reference`: Russia / region / municipality, and a municipal `Corridor`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

MARKS: tuple[int, ...] = (2, 3, 4, 5)
LEVELS: tuple[str, ...] = ("Б", "П", "В")


@dataclass(frozen=True)
class TaskInfo:
    """One task of a work: id as printed («12.1»), maximum points, level Б/П/В (None = not typed in),
    «развёрнутый ответ» flag and the checked requirement text."""

    id: str
    max: int
    level: str | None = None
    open: bool | None = None
    requirement: str | None = None


@dataclass(frozen=True)
class Result:
    """One participant of one work. `scores` maps task id → points (None = not entered). `mark` and
    `journal` are 2…5 or None («нет отметки»). Only present participants with a complete score count."""

    code: str
    class_name: str
    total: int | None
    mark: int | None
    journal: int | None = None
    scores: Mapping[str, int | None] = field(default_factory=dict)
    complete: bool = True
    absent: bool = False

    @property
    def counted(self) -> bool:
        """Counts towards N: present, complete, with a total."""
        return self.complete and not self.absent and self.total is not None


@dataclass(frozen=True)
class Scale:
    """The work's score → mark table: the lowest totals of «3», «4», «5» and the maximum total."""

    min3: int
    min4: int
    min5: int
    max_total: int

    def mark_for(self, total: int) -> int:
        if total >= self.min5:
            return 5
        if total >= self.min4:
            return 4
        return 3 if total >= self.min3 else 2

    def boundaries(self) -> list[tuple[int, int]]:
        """(mark, lowest score of the mark) for «3», «4», «5»."""
        return [(3, self.min3), (4, self.min4), (5, self.min5)]


def _t(default: Any, unit: str, source: str) -> Any:
    return field(default=default, metadata={"unit": unit, "source": source})


_FIOKO = "ФИОКО, «Рекомендации для ОО» 2026"
_PROP = "методика программы «ВПР-Координатор»"


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of the analysis, each a setting with its default, unit and source text
    (`Thresholds.describe()`); a municipality may hand schools its own values."""

    reliable_n: int = _t(50, "участников", f"{_FIOKO}, §4 (с. 13–15): ≥ 50 — информативно")
    approximate_n: int = _t(20, "участников", f"{_FIOKO}, §4: 20–30 — приблизительный минимум")
    limited_n: int = _t(10, "участников", f"{_FIOKO}, §7 (с. 23–26): группы информативны при n ≥ 10")
    alpha: float = _t(0.05, "", f"{_PROP} §4.1: уровень значимости теста границ")
    boundaries_corrected: int = _t(3, "границ", f"{_PROP} §4.1: поправка Бонферрони на 3 границы")
    basic_green: float = _t(60.0, "%", f"{_FIOKO}, §1/§5 (с. 6, 17): Б достаточный ≥ 60 %")
    basic_red: float = _t(57.0, "%", f"{_FIOKO}, §1/§5: Б недостаточный < 57 % (зона 60 ± 3)")
    advanced_green: float = _t(30.0, "%", f"{_FIOKO}, §1/§5: П/В достаточный ≥ 30 %")
    advanced_red: float = _t(28.5, "%", f"{_FIOKO}, §1/§5: П/В недостаточный < 28,5 % (зона 30 ± 1,5)")
    not_confirmed_pct: float = _t(50.0, "%", "Семя 004 §6.3: более 50 % не подтвердили текущую успеваемость")
    journal_gap: int = _t(2, "балла отметки", f"{_FIOKO}, §3 (с. 10–11): расхождение на 2 и более")
    crossing_pp: float = _t(5.0, "п.п.", "локальное правило saascrm95 (пересечение групп > 5 п.п.)")
    group_min_n: int = _t(10, "участников", f"{_FIOKO}, §7: группа по отметке информативна при n ≥ 10")
    crossing_p: float = _t(0.05, "", f"{_PROP} §3 I-7: перестановочный тест p < 0,05")
    permutations: int = _t(2000, "перестановок", f"{_PROP} §4.6: 2 000 перестановок")
    permutation_seed: int = _t(20260, "", "фиксированное зерно: результат воспроизводим")
    guttman_top_pct: float = _t(5.0, "%", f"{_PROP} §6: верхние 5 % своего распределения G*")
    guttman_margin: int = _t(3, "шага", f"{_PROP} §6: только 3 ≤ r ≤ S − 3")
    inversion_pp: float = _t(15.0, "п.п.", "Рособрнадзор 2017 (знак, F2); порог — предложение методики §3 I-6")
    profile_rho: float = _t(0.5, "", f"{_PROP} §3 I-6: ρ < 0,5 — профиль не похож на эталонный")
    profile_min_tasks: int = _t(10, "заданий", f"{_PROP} §3 I-6: ρ считается по ≥ 10 заданиям")
    reference_p: float = _t(0.01, "", f"{_PROP} §3 I-4: точный биномиальный p < 0,01")
    reference_pp_45: float = _t(15.0, "п.п.", f"{_PROP} §3 I-4: «4»+«5» выше эталона на ≥ 15 п.п.")
    reference_pp_5: float = _t(10.0, "п.п.", f"{_PROP} §3 I-4: «5» выше эталона на ≥ 10 п.п.")
    objective_tolerance: int = _t(0, "баллов", f"{_PROP} §5.4: допуск «объективно оценённой работы»")
    objective_target_pct: float = _t(90.0, "%", "Республика Хакасия, приказ 08.02.2023 № 100-128, прил. 2")
    kappa_min_pairs: int = _t(20, "пар", f"{_PROP} §5.2: взвешенная κ при ≥ 20 парах и max ≥ 2")
    sign_test_below: int = _t(20, "пар", f"{_PROP} §5.1: знаковый тест при n < 20")
    dynamics_fail_pp: float = _t(10.0, "п.п.", f"{_FIOKO}, §2: рост доли «2» на 10 п.п. — отрицательная динамика")
    dynamics_good_pp: float = _t(20.0, "п.п.", f"{_PROP} §3 I-5: изменение доли «4»+«5» на 20 п.п. и более")

    @property
    def boundary_alpha(self) -> float:
        """The per-tail level of the boundary test: α / number of boundaries."""
        return self.alpha / self.boundaries_corrected

    def describe(self) -> list[dict[str, Any]]:
        """One row per threshold: name, value, default, unit, source, changed."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            rows.append({"name": f.name, "value": value, "default": f.default, "unit": f.metadata["unit"],
                         "source": f.metadata["source"], "changed": value != f.default})
        return rows


@dataclass(frozen=True)
class ReferenceRow:
    """One reference row (Russia, region or municipality), any part may be missing: % of each mark
    (keys 2…5), % выполнения per task id, % «не подтвердили», mean % of the maximum."""

    name: str
    marks_pct: Mapping[int, float] | None = None
    tasks_pct: Mapping[str, float] | None = None
    not_confirmed_pct: float | None = None
    mean_pct: float | None = None


@dataclass(frozen=True)
class Corridor:
    """A municipal corridor: minimum % «2», maximum % «4», maximum % «5». No defaults (regional rule)."""

    min2_pct: float | None = None
    max4_pct: float | None = None
    max5_pct: float | None = None


@dataclass(frozen=True)
class Reference:
    """The reference rows of one work (typed in or imported) and the municipal corridor."""

    russia: ReferenceRow | None = None
    region: ReferenceRow | None = None
    municipality: ReferenceRow | None = None
    corridor: Corridor | None = None

    def rows(self) -> list[tuple[str, ReferenceRow]]:
        pairs = [("russia", self.russia), ("region", self.region), ("municipality", self.municipality)]
        return [(key, row) for key, row in pairs if row is not None]

    def tasks_row(self) -> ReferenceRow | None:
        """The row task % are compared with: the region's (FIOKO compares with the region), else the
        municipality's, else Russia's."""
        for row in (self.region, self.municipality, self.russia):
            if row is not None and row.tasks_pct:
                return row
        return None


@dataclass(frozen=True)
class WorkData:
    """One work of the year for `analyse_year`: a label (subject, grade…), its results, tasks, scale."""

    label: str
    results: tuple[Result, ...]
    tasks: tuple[TaskInfo, ...]
    scale: Scale
