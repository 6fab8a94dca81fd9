"""Re-check agreement (I-10, OBJECTIVITY.md §5): the school's scoring against a second one (the
school's second check or the municipal re-check) of the same works — signed differences with a
95 % t-interval and a sign test, exact agreement, ICC(A,1) on totals, mark changes by direction and at
a boundary, «доля объективно оценённых работ», per-task agreement with quadratic-weighted κ, and
«типичные ошибки экспертов» (tasks ranked by Σ|d| and by signed Σd). d = school − re-check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import stats
from .indicators import DEFAULTS, mark_of, reliability
from .model import Result, Scale, TaskInfo, Thresholds


@dataclass(frozen=True)
class TaskAgreement:
    id: str
    max: int
    pairs: int
    agreement_pct: float | None
    mean_signed_diff: float | None
    sum_abs_diff: int
    sum_signed_diff: int
    kappa_qw: float | None
    requirement: str | None


@dataclass(frozen=True)
class Agreement:
    pairs: int
    reliability: str
    mean_signed_diff: float | None
    ci95: tuple[float, float] | None
    sign_test_p: float | None        # only under 20 pairs (§5.1)
    exact_agreement_pct: float | None
    icc_a1: float | None
    icc_band: str | None
    marks_up: int                    # re-check mark above the school's
    marks_down: int
    marks_up_at_boundary: int
    marks_down_at_boundary: int
    objective_pct: float | None
    objective_target_met: bool | None
    tasks: list[TaskAgreement]
    errors_by_abs: list[str]         # «типичные ошибки экспертов»: Σ|d| descending (non-zero)
    errors_by_signed: list[str]      # signed Σd descending: most lenient school scoring first (non-zero)


def pair_results(first: Sequence[Result], second: Sequence[Result]) -> list[tuple[Result, Result]]:
    """Pairs by code of works counted in both scorings, in the first scoring's order."""
    by_code = {r.code: r for r in second if r.counted}
    return [(a, by_code[a.code]) for a in first if a.counted and a.code in by_code]


def _near_boundary(total: int, scale: Scale) -> bool:
    """At a boundary: the school's total is exactly a mark's lowest score b or one point below."""
    return any(total in (b, b - 1) for _, b in scale.boundaries())


def task_agreement(pairs: Sequence[tuple[Result, Result]], task: TaskInfo, th: Thresholds) -> TaskAgreement:
    """One task: pairs with both scores entered; κ_w (quadratic) for max ≥ 2 and ≥ 20 pairs."""
    both = [(a.scores.get(task.id), b.scores.get(task.id)) for a, b in pairs]
    used = [(int(x), int(y)) for x, y in both if x is not None and y is not None]
    n = len(used)
    diffs = [x - y for x, y in used]
    kappa = None
    if n >= th.kappa_min_pairs and task.max >= 2:
        kappa = stats.weighted_kappa(used, list(range(task.max + 1)), "quadratic")
    return TaskAgreement(
        id=task.id, max=task.max, pairs=n,
        agreement_pct=100.0 * sum(1 for d in diffs if d == 0) / n if n else None,
        mean_signed_diff=sum(diffs) / n if n else None,
        sum_abs_diff=sum(abs(d) for d in diffs), sum_signed_diff=sum(diffs),
        kappa_qw=kappa, requirement=task.requirement)


def _mark_changes(pairs: Sequence[tuple[Result, Result]], scale: Scale) -> tuple[int, int, int, int]:
    up = down = up_b = down_b = 0
    for a, b in pairs:
        ma, mb = mark_of(a, scale), mark_of(b, scale)
        at_b = _near_boundary(int(a.total), scale)  # type: ignore[arg-type]
        if mb > ma:
            up, up_b = up + 1, up_b + at_b
        elif mb < ma:
            down, down_b = down + 1, down_b + at_b
    return up, down, up_b, down_b


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _ranked(per_task: Sequence[TaskAgreement]) -> tuple[list[str], list[str]]:
    """«Типичные ошибки экспертов»: tasks by Σ|d| descending, and by signed Σd descending (non-zero)."""
    by_abs = sorted((t for t in per_task if t.sum_abs_diff), key=lambda t: (-t.sum_abs_diff, t.id))
    by_signed = sorted((t for t in per_task if t.sum_signed_diff), key=lambda t: (-t.sum_signed_diff, t.id))
    return [t.id for t in by_abs], [t.id for t in by_signed]


def agreement(first: Sequence[Result], second: Sequence[Result], tasks: Sequence[TaskInfo], scale: Scale,
              th: Thresholds = DEFAULTS) -> Agreement:
    """I-10 over the works counted in both scorings (first = school, second = re-check)."""
    pairs = pair_results(first, second)
    n = len(pairs)
    diffs = [int(a.total) - int(b.total) for a, b in pairs]  # type: ignore[arg-type]
    mean, ci = stats.mean_ci95(diffs)
    icc = stats.icc_a1([(float(a.total), float(b.total)) for a, b in pairs])  # type: ignore[arg-type]
    up, down, up_b, down_b = _mark_changes(pairs, scale)
    objective = sum(1 for (a, b), d in zip(pairs, diffs)
                    if mark_of(a, scale) == mark_of(b, scale) and abs(d) <= th.objective_tolerance)
    objective_pct = _pct(objective, n)
    per_task = [task_agreement(pairs, t, th) for t in tasks]
    by_abs, by_signed = _ranked(per_task)
    return Agreement(
        pairs=n, reliability=reliability(n, th), mean_signed_diff=mean, ci95=ci,
        sign_test_p=stats.sign_test(diffs) if 0 < n < th.sign_test_below else None,
        exact_agreement_pct=_pct(sum(1 for d in diffs if d == 0), n),
        icc_a1=icc, icc_band=stats.icc_band(icc),
        marks_up=up, marks_down=down, marks_up_at_boundary=up_b, marks_down_at_boundary=down_b,
        objective_pct=objective_pct,
        objective_target_met=None if objective_pct is None else objective_pct >= th.objective_target_pct,
        tasks=per_task, errors_by_abs=by_abs, errors_by_signed=by_signed)


def bland_altman(first: Sequence[Result], second: Sequence[Result]) -> dict[str, object]:
    """Points (mean of the two totals, d) and the lines D̄, D̄ ± 1.96·s for the chart (§5.7)."""
    pairs = pair_results(first, second)
    points = [((a.total + b.total) / 2.0, a.total - b.total) for a, b in pairs]  # type: ignore[operator]
    diffs = [d for _, d in points]
    if len(diffs) < 2:
        return {"points": points, "mean": diffs[0] if diffs else None, "lo": None, "hi": None}
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    return {"points": points, "mean": mean, "lo": mean - 1.96 * sd, "hi": mean + 1.96 * sd}
