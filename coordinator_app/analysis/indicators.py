"""The indicators of one work (OBJECTIVITY.md §3): I-0 reliability, I-1 marks, I-2 journal, I-3
boundaries (and their pooling over works), I-4 against a reference or a corridor, I-6 tasks and the
«сложные лучше простых» sign, I-7 mark-group crossings, I-8 person-fit (normalised Guttman errors).

Every function takes the counted results (`counted(results)`: present, complete, with a total) and
returns a frozen dataclass; percentages are unrounded here (`report.as_json` rounds them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import stats
from .model import MARKS, Corridor, ReferenceRow, Result, Scale, TaskInfo, Thresholds

DEFAULTS = Thresholds()
RELIABILITY_LABELS = ("информативно", "приблизительно", "ограниченно", "только для сведения")


def counted(results: Sequence[Result]) -> list[Result]:
    """N: present participants with a complete score (OBJECTIVITY.md §2)."""
    return [r for r in results if r.counted]


def mark_of(result: Result, scale: Scale) -> int:
    """The mark in the form; the scale's mark when none was given."""
    if result.mark in MARKS:
        return int(result.mark)  # type: ignore[arg-type]
    return scale.mark_for(int(result.total or 0))


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


# -- I-0 ---------------------------------------------------------------------------------------


def reliability(n: int, th: Thresholds = DEFAULTS) -> str:
    """I-0: «информативно» N ≥ 50, «приблизительно» 20–49, «ограниченно» 10–19, else «только для сведения»."""
    if n >= th.reliable_n:
        return RELIABILITY_LABELS[0]
    if n >= th.approximate_n:
        return RELIABILITY_LABELS[1]
    return RELIABILITY_LABELS[2] if n >= th.limited_n else RELIABILITY_LABELS[3]


# -- I-1 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarksSummary:
    n: int
    reliability: str
    counts: dict[int, int]
    pct: dict[int, float | None]
    success_pct: float | None
    quality_pct: float | None
    mean_score: float | None
    mean_pct: float | None
    mean_mark: float | None


def marks_summary(results: Sequence[Result], scale: Scale, th: Thresholds = DEFAULTS) -> MarksSummary:
    """I-1, in the layout of ФИС ОКО «Статистика по отметкам» (over counted results)."""
    rows = counted(results)
    n = len(rows)
    marks = [mark_of(r, scale) for r in rows]
    counts = {m: 0 for m in MARKS}
    for m in marks:
        counts[m] += 1
    mean_score = math.fsum(r.total or 0 for r in rows) / n if n else None
    return MarksSummary(
        n=n, reliability=reliability(n, th), counts=counts,
        pct={m: _pct(c, n) for m, c in counts.items()},
        success_pct=_pct(counts[3] + counts[4] + counts[5], n),
        quality_pct=_pct(counts[4] + counts[5], n),
        mean_score=mean_score,
        mean_pct=None if mean_score is None or not scale.max_total else 100.0 * mean_score / scale.max_total,
        mean_mark=sum(marks) / n if n else None)


# -- I-2 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalComparison:
    compared: int
    reliability: str
    lower: int
    equal: int
    higher: int
    lower_pct: float | None
    equal_pct: float | None
    higher_pct: float | None
    not_confirmed_pct: float | None
    trigger: bool
    gap2: list[str]
    table: list[list[int]]          # rows: journal 2…5, columns: ВПР 2…5
    kappa_w: float | None


def journal_comparison(results: Sequence[Result], scale: Scale, th: Thresholds = DEFAULTS) -> JournalComparison:
    """I-2 over counted participants with a journal mark 2–5: понизили (ВПР < журнал), подтвердили,
    повысили; не подтвердили = понизили + повысили; > 50 % → the seed 004 §6.3 trigger."""
    pairs = [(r.code, int(r.journal), mark_of(r, scale)) for r in counted(results) if r.journal in MARKS]  # type: ignore[arg-type]
    n = len(pairs)
    lower = sum(1 for _, j, v in pairs if v < j)
    higher = sum(1 for _, j, v in pairs if v > j)
    equal = n - lower - higher
    table = [[0] * 4 for _ in MARKS]
    for _, j, v in pairs:
        table[j - 2][v - 2] += 1
    not_confirmed = _pct(lower + higher, n)
    return JournalComparison(
        compared=n, reliability=reliability(n, th), lower=lower, equal=equal, higher=higher,
        lower_pct=_pct(lower, n), equal_pct=_pct(equal, n), higher_pct=_pct(higher, n),
        not_confirmed_pct=not_confirmed,
        trigger=not_confirmed is not None and not_confirmed > th.not_confirmed_pct,
        gap2=sorted(code for code, j, v in pairs if abs(v - j) >= th.journal_gap),
        table=table,
        kappa_w=stats.weighted_kappa([(j, v) for _, j, v in pairs], MARKS, "linear"))


# -- I-3 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundaryTest:
    mark: int
    score: int
    at: int
    below: int
    p_peak: float
    p_valley: float
    flag: str | None


def boundary_flag(at: int, below: int, alpha_tail: float) -> tuple[float, float, str | None]:
    """§4.1: X ~ Bin(at + below, ½); p_peak = P(X ≥ at), p_valley = P(X ≤ at); flag against α/3."""
    m = at + below
    p_peak, p_valley = stats.binom_sf(at, m), stats.binom_cdf(at, m)
    flag = "peak" if p_peak < alpha_tail else "valley" if p_valley < alpha_tail else None
    return p_peak, p_valley, flag


def histogram(results: Sequence[Result]) -> dict[int, int]:
    """Counted results per total."""
    return dict(Counter(int(r.total) for r in counted(results)))  # type: ignore[arg-type]


def boundary_tests(hist: Mapping[int, int], scale: Scale, th: Thresholds = DEFAULTS) -> list[BoundaryTest]:
    """I-3 at the lowest score of «3», «4», «5»: works at b against works at b − 1, both tails."""
    out = []
    for mark, score in scale.boundaries():
        at, below = hist.get(score, 0), hist.get(score - 1, 0)
        p_peak, p_valley, flag = boundary_flag(at, below, th.boundary_alpha)
        out.append(BoundaryTest(mark, score, at, below, p_peak, p_valley, flag))
    return out


@dataclass(frozen=True)
class PooledBoundaries:
    works: list[str]
    at: int
    below: int
    p_peak: float
    p_valley: float
    flag: str | None


def pooled_boundaries(per_work: Sequence[tuple[str, Sequence[BoundaryTest]]],
                      th: Thresholds = DEFAULTS) -> PooledBoundaries:
    """§4.2: n_b and n_{b−1} summed over all works and their three boundaries, one two-tailed test
    (each tail at the same α/3 as a single work's boundary)."""
    at = sum(b.at for _, tests in per_work for b in tests)
    below = sum(b.below for _, tests in per_work for b in tests)
    p_peak, p_valley, flag = boundary_flag(at, below, th.boundary_alpha)
    return PooledBoundaries([label for label, _ in per_work], at, below, p_peak, p_valley, flag)


# -- I-6 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskIndicator:
    id: str
    max: int
    level: str | None
    pct: float | None
    status: str | None
    requirement: str | None
    reference_pct: float | None = None
    diff_pp: float | None = None


def task_status(pct: float | None, level: str | None, th: Thresholds = DEFAULTS) -> str | None:
    """green / yellow / red by level (Б: 60 / 57, П and В: 30 / 28.5), judged on the % as shown
    (one decimal), so the colour never contradicts the printed number; None without a level."""
    if pct is None or level not in ("Б", "П", "В"):
        return None
    shown = round(pct, 1)
    green, red = (th.basic_green, th.basic_red) if level == "Б" else (th.advanced_green, th.advanced_red)
    if shown >= green:
        return "green"
    return "yellow" if shown >= red else "red"


def task_pcts(rows: Sequence[Result], tasks: Sequence[TaskInfo]) -> dict[str, float | None]:
    """% выполнения per task = Σ scores / (N · max) · 100 (a missing score counts 0)."""
    n = len(rows)
    out: dict[str, float | None] = {}
    for t in tasks:
        total = sum(r.scores.get(t.id) or 0 for r in rows)
        out[t.id] = _pct(total, n * t.max) if t.max > 0 else None
    return out


def task_indicators(results: Sequence[Result], tasks: Sequence[TaskInfo], th: Thresholds = DEFAULTS,
                    reference: ReferenceRow | None = None) -> list[TaskIndicator]:
    """I-6 per task, with the reference % and the difference in п.п. where a reference row has it."""
    pcts = task_pcts(counted(results), tasks)
    ref = dict(reference.tasks_pct or {}) if reference is not None else {}
    out = []
    for t in tasks:
        pct, ref_pct = pcts[t.id], ref.get(t.id)
        diff = pct - ref_pct if pct is not None and ref_pct is not None else None
        out.append(TaskIndicator(t.id, t.max, t.level, pct, task_status(pct, t.level, th), t.requirement,
                                 ref_pct, diff))
    return out


def typical_difficulties(indicators: Sequence[TaskIndicator]) -> list[TaskIndicator]:
    """«Типичные затруднения»: the tasks below their level's line (status red), weakest first."""
    return sorted((t for t in indicators if t.status == "red"), key=lambda t: t.pct or 0.0)


@dataclass(frozen=True)
class Inversion:
    """«Сложные лучше простых» (F2): mean difference school − reference over Б and over П/В tasks."""

    reference: str
    delta_basic: float | None
    delta_advanced: float | None
    inverted: bool          # Δ_ПВ − Δ_Б ≥ 15 п.п. while Δ_Б < 0 (issue 14)
    f2_pattern: bool        # Δ_Б < 0 and Δ_ПВ > 0 (the wording of F2)
    rho: float | None
    rho_tasks: int
    profile_unlike: bool


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _level_deltas(both: Sequence[TaskIndicator]) -> tuple[float | None, float | None]:
    basic = [t.diff_pp for t in both if t.level == "Б" and t.diff_pp is not None]
    advanced = [t.diff_pp for t in both if t.level in ("П", "В") and t.diff_pp is not None]
    return _mean(basic), _mean(advanced)


def inversion(indicators: Sequence[TaskIndicator], reference_name: str, th: Thresholds = DEFAULTS) -> Inversion:
    """The «сложные лучше простых» sign and the Spearman ρ of school vs reference task %."""
    both = [t for t in indicators if t.diff_pp is not None and t.pct is not None and t.reference_pct is not None]
    d_b, d_pv = _level_deltas(both)
    inverted = f2 = False
    if d_b is not None and d_pv is not None:
        inverted = d_b < 0 and d_pv - d_b >= th.inversion_pp
        f2 = d_b < 0 < d_pv
    rho = None
    if len(both) >= 2:
        rho = stats.spearman([t.pct or 0.0 for t in both], [t.reference_pct or 0.0 for t in both])
    unlike = rho is not None and len(both) >= th.profile_min_tasks and rho < th.profile_rho
    return Inversion(reference_name, d_b, d_pv, inverted, f2, rho, len(both), unlike)


# -- I-7 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupProfile:
    mark: int
    n: int
    reliability: str
    tasks_pct: dict[str, float | None]


@dataclass(frozen=True)
class Crossing:
    task: str
    lower_mark: int
    higher_mark: int
    lower_pct: float
    higher_pct: float
    diff_pp: float
    p: float
    shown: bool


def mark_groups(results: Sequence[Result], tasks: Sequence[TaskInfo], scale: Scale,
                th: Thresholds = DEFAULTS) -> tuple[list[GroupProfile], list[Crossing]]:
    """I-7: task % per ВПР-mark group; crossings (lower group ahead by > 5 п.п., both n ≥ 10) with a
    seeded one-sided permutation test of the task's points; `shown` when p < 0.05."""
    groups: dict[int, list[Result]] = {m: [] for m in MARKS}
    for r in counted(results):
        groups[mark_of(r, scale)].append(r)
    profiles = [GroupProfile(m, len(g), reliability(len(g), th), task_pcts(g, tasks)) for m, g in groups.items()]
    big = [p for p in profiles if p.n >= th.group_min_n]
    crossings = []
    for t in tasks:
        for lo in big:
            for hi in big:
                c = _crossing(t, lo, hi, groups, th) if lo.mark < hi.mark else None
                if c is not None:
                    crossings.append(c)
    return profiles, crossings


def _crossing(task: TaskInfo, lo: GroupProfile, hi: GroupProfile, groups: Mapping[int, list[Result]],
              th: Thresholds) -> Crossing | None:
    lo_pct, hi_pct = lo.tasks_pct.get(task.id), hi.tasks_pct.get(task.id)
    if lo_pct is None or hi_pct is None or lo_pct - hi_pct <= th.crossing_pp:
        return None
    lo_scores = [r.scores.get(task.id) or 0 for r in groups[lo.mark]]
    hi_scores = [r.scores.get(task.id) or 0 for r in groups[hi.mark]]
    p = stats.permutation_test(lo_scores, hi_scores, th.permutations, th.permutation_seed)
    return Crossing(task.id, lo.mark, hi.mark, lo_pct, hi_pct, lo_pct - hi_pct, p, p < th.crossing_p)


# -- I-8 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFit:
    code: str
    r: int
    g: int
    g_star: float | None


@dataclass(frozen=True)
class GuttmanResult:
    steps: int
    ordered_by: str                 # "level+p" or "p"
    fits: list[PersonFit]
    cut: float | None               # the lowest G* among the flagged
    flagged: list[str] = field(default_factory=list)


_LEVEL_RANK = {"Б": 0, "П": 1, "В": 2}


def _ordered_steps(rows: Sequence[Result], tasks: Sequence[TaskInfo]) -> tuple[list[tuple[str, int, tuple]], str]:
    """Steps (task, threshold, sort key) from easiest to hardest: by level when every task has one,
    then by the step's own p-value (share of pupils with score ≥ threshold)."""
    by_level = all(t.level in _LEVEL_RANK for t in tasks)
    n = max(len(rows), 1)
    steps = []
    for t in tasks:
        for s in range(1, t.max + 1):
            p = sum(1 for r in rows if (r.scores.get(t.id) or 0) >= s) / n
            key = (_LEVEL_RANK[t.level] if by_level else 0, -p)  # type: ignore[index]
            steps.append((t.id, s, key))
    steps.sort(key=lambda st: st[2])
    return steps, "level+p" if by_level else "p"


def guttman_g(passed: Sequence[bool], keys: Sequence[tuple]) -> int:
    """G = #(easier step failed, harder step passed) over steps in easy → hard order; steps of equal
    difficulty (equal keys) are not compared with each other."""
    g = zeros = block_zeros = 0
    for i, ok in enumerate(passed):
        if i and keys[i] != keys[i - 1]:
            zeros += block_zeros
            block_zeros = 0
        if ok:
            g += zeros
        else:
            block_zeros += 1
    return g


def guttman(results: Sequence[Result], tasks: Sequence[TaskInfo], th: Thresholds = DEFAULTS) -> GuttmanResult:
    """I-8: G* = G / (r (S − r)) per pupil; the top 5 % of the school's own G* among 3 ≤ r ≤ S − 3 flagged."""
    rows = counted(results)
    steps, ordered_by = _ordered_steps(rows, tasks)
    keys = [st[2] for st in steps]
    size = len(steps)
    fits = []
    for row in rows:
        passed = [(row.scores.get(tid) or 0) >= s for tid, s, _ in steps]
        r = sum(passed)
        g = guttman_g(passed, keys)
        fits.append(PersonFit(row.code, r, g, g / (r * (size - r)) if 0 < r < size else None))
    eligible = sorted((f.g_star for f in fits if f.g_star is not None and th.guttman_margin <= f.r <= size - th.guttman_margin),
                      reverse=True)
    if not eligible:
        return GuttmanResult(size, ordered_by, fits, None, [])
    k = max(1, math.ceil(th.guttman_top_pct / 100.0 * len(eligible)))
    cut = eligible[k - 1]
    flagged = sorted(f.code for f in fits if f.g_star is not None and f.g_star >= cut and f.g_star > 0
                     and th.guttman_margin <= f.r <= size - th.guttman_margin)
    return GuttmanResult(size, ordered_by, fits, cut, flagged)


# -- I-4 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceComparison:
    reference: str
    indicator: str                  # "5", "4+5", "2", "mean_pct", "not_confirmed"
    school_pct: float | None
    reference_pct: float
    diff_pp: float | None
    p_high: float | None            # P(Bin(N, p_ref) ≥ k)
    p_low: float | None             # P(Bin(N, p_ref) ≤ k)
    flag: bool


def _binomial_comparison(key: str, name: str, k: int, n: int, ref_pct: float, th: Thresholds) -> ReferenceComparison:
    school = _pct(k, n)
    p_ref = min(max(ref_pct / 100.0, 0.0), 1.0)
    p_high = stats.binom_sf(k, n, p_ref) if n else None
    p_low = stats.binom_cdf(k, n, p_ref) if n else None
    diff = school - ref_pct if school is not None else None
    need = {"5": th.reference_pp_5, "4+5": th.reference_pp_45}.get(name)
    flag = need is not None and p_high is not None and diff is not None and p_high < th.reference_p and diff >= need
    return ReferenceComparison(key, name, school, ref_pct, diff, p_high, p_low, flag)


def versus_reference(marks: MarksSummary, key: str, row: ReferenceRow, th: Thresholds = DEFAULTS,
                     not_confirmed_pct: float | None = None) -> list[ReferenceComparison]:
    """I-4: % «5», % «4»+«5», % «2» against a reference row: exact one-sided binomial p both ways and
    the difference in п.п.; flagged when p_high < 0.01 and the excess ≥ 10 п.п. («5») / 15 п.п. («4»+«5»).
    Mean % and «не подтвердили» are compared as differences only."""
    out = []
    ref = row.marks_pct or {}
    c = marks.counts
    if 5 in ref:
        out.append(_binomial_comparison(key, "5", c[5], marks.n, ref[5], th))
    if 4 in ref and 5 in ref:
        out.append(_binomial_comparison(key, "4+5", c[4] + c[5], marks.n, ref[4] + ref[5], th))
    if 2 in ref:
        out.append(_binomial_comparison(key, "2", c[2], marks.n, ref[2], th))
    for name, school, other in (("mean_pct", marks.mean_pct, row.mean_pct),
                                ("not_confirmed", not_confirmed_pct, row.not_confirmed_pct)):
        if other is not None:
            diff = school - other if school is not None else None
            out.append(ReferenceComparison(key, name, school, other, diff, None, None, False))
    return out


@dataclass(frozen=True)
class CorridorFlag:
    indicator: str                  # "min2", "max4", "max5"
    school_pct: float
    limit: float


def corridor_flags(marks: MarksSummary, corridor: Corridor | None) -> list[CorridorFlag]:
    """A municipal corridor [REGIONAL]: % «2» below its minimum, % «4» or % «5» above its maximum."""
    if corridor is None or not marks.n:
        return []
    p = marks.pct
    checks = [("min2", p[2], corridor.min2_pct, lambda v, lim: v < lim),
              ("max4", p[4], corridor.max4_pct, lambda v, lim: v > lim),
              ("max5", p[5], corridor.max5_pct, lambda v, lim: v > lim)]
    return [CorridorFlag(name, value, limit) for name, value, limit, broken in checks
            if limit is not None and value is not None and broken(value, limit)]
