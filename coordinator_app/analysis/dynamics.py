"""«Динамика» (OBJECTIVITY.md §3 I-5): the same grade and subject over the school years, and the same
pupils a year later. Pure: the marks come in as plain values (`coordinator_app.dynamics` reads them).

(a) Year to year: N and % of each mark; the change of % «2» against the year before in п.п.
(a rise of `dynamics_fail_pp`, 10 п.п. by FIOKO, is negative dynamics) and of % «4»+«5»
(`dynamics_good_pp`, 20 п.п.); each change tested with Fisher's exact test on the 2×2 table
(this mark or not × this year or the previous), which holds for the small groups of a school.
(b) The cohort: the pupils who wrote both works (ВПР-4 → ВПР-5 …), matched by pupil: the table of
mark transitions, how many kept, raised or lowered their mark, the mean change of their score in
% of the maximum, and the «high then low» pattern (a «5» followed by a «3» or «2»).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Thresholds
from .sentences import num
from .stats import fisher_exact

MARKS = (2, 3, 4, 5)
#: p below this: the change is unlikely to be chance.
SIGNIFICANT_P = 0.05


@dataclass(frozen=True)
class YearMarks:
    """One school year of one grade and subject: the marks of the participants counted."""

    year: str                          # «2025/2026»
    label: str                         # the work's title
    marks: Sequence[int]

    @property
    def n(self) -> int:
        return len(self.marks)

    def count(self, *marks: int) -> int:
        return sum(1 for m in self.marks if m in marks)

    def pct(self, *marks: int) -> float | None:
        return 100.0 * self.count(*marks) / self.n if self.n else None


@dataclass(frozen=True)
class YearChange:
    """From one year to the next."""

    before: str
    after: str
    fail_pp: float | None              # Δ % «2»
    good_pp: float | None              # Δ % «4»+«5»
    fail_p: float | None               # Fisher's exact test of Δ % «2»
    good_p: float | None
    negative: bool                     # % «2» rose by the threshold or more
    sharp: bool                        # |Δ % «4»+«5»| by its threshold or more

    def sentence(self) -> str:
        if self.fail_pp is None:
            return f"{self.before} → {self.after}: сравнивать не с чем (нет отметок в одном из лет)."
        parts = [f"{self.before} → {self.after}: доля «2» {num(self.fail_pp, 1, signed=True)} п.п., "
                 f"«4» и «5» {num(self.good_pp, 1, signed=True)} п.п."]
        if self.negative:
            parts.append("Рост доли «2» — отрицательная динамика.")
        if self.sharp:
            parts.append("Резкое изменение доли «4» и «5» — признак, требующий анализа.")
        significant = [p for p in (self.fail_p, self.good_p) if p is not None and p < SIGNIFICANT_P]
        if self.negative or self.sharp:
            parts.append("Изменение статистически значимо (точный тест Фишера, p < 0,05)." if significant else
                         "При таком числе участников изменение может быть случайным (точный тест Фишера, p ≥ 0,05).")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after, "fail_change_pp": self.fail_pp,
                "good_change_pp": self.good_pp, "fisher_p_fail": self.fail_p, "fisher_p_good": self.good_p,
                "flagged": self.negative, "sharp": self.sharp}


@dataclass(frozen=True)
class SubjectDynamics:
    subject: str
    grade: int
    years: list[YearMarks]
    changes: list[YearChange]

    @property
    def flagged(self) -> bool:
        return any(c.negative or c.sharp for c in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "grade": self.grade, "flagged": self.flagged,
                "years": [{"year": y.year, "work": y.label, "n": y.n,
                           "marks_pct": {str(m): y.pct(m) for m in MARKS}} for y in self.years],
                "changes": [c.as_dict() for c in self.changes]}


def _fisher(a_yes: int, a_n: int, b_yes: int, b_n: int) -> float | None:
    if not a_n or not b_n:
        return None
    return fisher_exact(a_yes, a_n - a_yes, b_yes, b_n - b_yes)


def year_change(before: YearMarks, after: YearMarks, thresholds: Thresholds) -> YearChange:
    if not before.n or not after.n:
        return YearChange(before.year, after.year, None, None, None, None, False, False)
    fail = after.pct(2) - before.pct(2)
    good = after.pct(4, 5) - before.pct(4, 5)
    return YearChange(before.year, after.year, round(fail, 2), round(good, 2),
                      _fisher(after.count(2), after.n, before.count(2), before.n),
                      _fisher(after.count(4, 5), after.n, before.count(4, 5), before.n),
                      fail >= thresholds.dynamics_fail_pp, abs(good) >= thresholds.dynamics_good_pp)


def subject_dynamics(subject: str, grade: int, years: Sequence[YearMarks], thresholds: Thresholds) -> SubjectDynamics:
    ordered = sorted(years, key=lambda y: y.year)
    changes = [year_change(a, b, thresholds) for a, b in zip(ordered, ordered[1:])]
    return SubjectDynamics(subject, grade, list(ordered), changes)


@dataclass(frozen=True)
class PupilPair:
    """One pupil in both works: marks and scores in % of each work's maximum."""

    mark_before: int
    mark_after: int
    pct_before: float
    pct_after: float


@dataclass(frozen=True)
class Cohort:
    before: str                        # the earlier work's title
    after: str
    pairs: int
    only_before: int                   # wrote the earlier work only (left, absent)
    only_after: int
    transitions: dict[int, dict[int, int]] = field(default_factory=dict)   # mark before → mark after → count
    kept_pct: float | None = None
    raised_pct: float | None = None
    lowered_pct: float | None = None
    mean_change_pp: float | None = None
    high_then_low: int = 0             # «5» then «3» or «2»

    def sentence(self) -> str:
        if not self.pairs:
            return f"{self.before} → {self.after}: ни один участник не писал обе работы."
        text = (f"{self.before} → {self.after}: участников в обеих работах {self.pairs}; отметку сохранили "
                f"{num(self.kept_pct, 1)} %, повысили {num(self.raised_pct, 1)} %, понизили {num(self.lowered_pct, 1)} %; "
                f"средний балл (в % от максимума) изменился на {num(self.mean_change_pp, 1, signed=True)} п.п.")
        if self.high_then_low:
            text += (f" «5», а через год «3» или «2»: {self.high_then_low} — признак, требующий анализа "
                     "(«высоко в прошлом году — низко в этом»).")
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.before, "to": self.after, "pairs": self.pairs, "only_before": self.only_before,
                "only_after": self.only_after,
                "transitions": {str(a): {str(b): n for b, n in row.items()} for a, row in self.transitions.items()},
                "kept_pct": self.kept_pct, "raised_pct": self.raised_pct, "lowered_pct": self.lowered_pct,
                "mean_change_pp": self.mean_change_pp, "high_then_low": self.high_then_low}


def cohort(before: str, after: str, pairs: Sequence[PupilPair], only_before: int, only_after: int) -> Cohort:
    n = len(pairs)
    table = {a: {b: 0 for b in MARKS} for a in MARKS}
    for p in pairs:
        table[p.mark_before][p.mark_after] += 1
    if not n:
        return Cohort(before, after, 0, only_before, only_after, table)
    kept = sum(1 for p in pairs if p.mark_after == p.mark_before)
    raised = sum(1 for p in pairs if p.mark_after > p.mark_before)
    return Cohort(before, after, n, only_before, only_after, table, round(100 * kept / n, 2),
                  round(100 * raised / n, 2), round(100 * (n - kept - raised) / n, 2),
                  round(sum(p.pct_after - p.pct_before for p in pairs) / n, 2),
                  sum(1 for p in pairs if p.mark_before == 5 and p.mark_after <= 3))
