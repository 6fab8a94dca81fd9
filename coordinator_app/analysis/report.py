"""One work's analysis, the year's (pooled boundaries), their JSON (the shape of issue 14) and the
«светофор»: one Russian sentence per sign, with a level (red / yellow / green / grey).

Wording (OBJECTIVITY.md §2, §7): «признак», «требует анализа» — never a verdict; every sentence
carries its group size and reliability label; indicators below their minimum N are grey and left out
of the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import indicators as ind
from .agreement import Agreement
from .model import MARKS, Reference, Result, Scale, TaskInfo, Thresholds, WorkData
from .sentences import Sign, agreement_signs, work_signs, year_signs

__all__ = ["Sign", "WorkAnalysis", "YearAnalysis", "analyse_work", "analyse_year", "as_json", "summary_sentences"]


@dataclass(frozen=True)
class WorkAnalysis:
    label: str
    class_name: str | None
    scale: Scale
    thresholds: Thresholds
    marks: ind.MarksSummary
    classes: list[tuple[str, ind.MarksSummary]]
    journal: ind.JournalComparison
    histogram: dict[int, int]
    boundaries: list[ind.BoundaryTest]
    tasks: list[ind.TaskIndicator]
    difficulties: list[ind.TaskIndicator]
    inversion: ind.Inversion | None
    groups: list[ind.GroupProfile]
    crossings: list[ind.Crossing]
    guttman: ind.GuttmanResult
    reference: list[ind.ReferenceComparison]
    corridor: list[ind.CorridorFlag]
    second_look: dict[str, list[str]]     # codes only: "journal_gap", "boundary", "guttman"


@dataclass(frozen=True)
class YearAnalysis:
    works: list[WorkAnalysis]
    pooled: ind.PooledBoundaries
    thresholds: Thresholds = field(default_factory=Thresholds)


def _boundary_codes(results: Sequence[Result], tests: Sequence[ind.BoundaryTest]) -> list[str]:
    scores = {s for t in tests if t.flag for s in (t.score, t.score - 1)}
    return sorted(r.code for r in ind.counted(results) if r.total in scores)


def analyse_work(results: Sequence[Result], tasks: Sequence[TaskInfo], scale: Scale,
                 thresholds: Thresholds | None = None, reference: Reference | None = None,
                 class_name: str | None = None, label: str = "") -> WorkAnalysis:
    """Every indicator of one work (or of one class of it, `class_name`)."""
    th = thresholds or Thresholds()
    rows = [r for r in results if class_name is None or r.class_name == class_name]
    marks = ind.marks_summary(rows, scale, th)
    class_names = sorted({r.class_name for r in rows})
    classes = [(c, ind.marks_summary([r for r in rows if r.class_name == c], scale, th)) for c in class_names]
    journal = ind.journal_comparison(rows, scale, th)
    hist = ind.histogram(rows)
    boundaries = ind.boundary_tests(hist, scale, th)
    tasks_row = reference.tasks_row() if reference else None
    task_list = ind.task_indicators(rows, tasks, th, tasks_row)
    inversion = ind.inversion(task_list, tasks_row.name, th) if tasks_row else None
    groups, crossings = ind.mark_groups(rows, tasks, scale, th)
    guttman = ind.guttman(rows, tasks, th)
    versus: list[ind.ReferenceComparison] = []
    for key, row in reference.rows() if reference else []:
        versus += ind.versus_reference(marks, key, row, th, journal.not_confirmed_pct)
    return WorkAnalysis(
        label=label, class_name=class_name, scale=scale, thresholds=th, marks=marks, classes=classes,
        journal=journal, histogram=hist, boundaries=boundaries, tasks=task_list,
        difficulties=ind.typical_difficulties(task_list), inversion=inversion, groups=groups,
        crossings=crossings, guttman=guttman, reference=versus,
        corridor=ind.corridor_flags(marks, reference.corridor if reference else None),
        second_look={"journal_gap": journal.gap2, "boundary": _boundary_codes(rows, boundaries),
                     "guttman": guttman.flagged})


def analyse_year(works: Sequence[WorkData], thresholds: Thresholds | None = None) -> YearAnalysis:
    """Every work of the year, and the boundary test pooled over all of them (§4.2)."""
    th = thresholds or Thresholds()
    analyses = [analyse_work(w.results, w.tasks, w.scale, th, label=w.label) for w in works]
    pooled = ind.pooled_boundaries([(a.label, a.boundaries) for a in analyses], th)
    return YearAnalysis(analyses, pooled, th)


# -- JSON --------------------------------------------------------------------------------------


def _r1(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _r2(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _marks_json(m: ind.MarksSummary) -> dict[str, Any]:
    return {"n": m.n, "reliability": m.reliability,
            "marks": {str(k): m.counts[k] for k in MARKS},
            "marks_pct": {str(k): _r1(m.pct[k]) for k in MARKS},
            "success_pct": _r1(m.success_pct), "quality_pct": _r1(m.quality_pct),
            "mean_score": _r2(m.mean_score), "mean_pct": _r1(m.mean_pct), "mean_mark": _r2(m.mean_mark)}


def _journal_json(j: ind.JournalComparison) -> dict[str, Any]:
    return {"compared": j.compared, "reliability": j.reliability, "lower": j.lower, "equal": j.equal,
            "higher": j.higher, "lower_pct": _r1(j.lower_pct), "equal_pct": _r1(j.equal_pct),
            "higher_pct": _r1(j.higher_pct), "not_confirmed_pct": _r1(j.not_confirmed_pct),
            "trigger": j.trigger, "gap2": list(j.gap2), "kappa_w": j.kappa_w,
            "table": [list(row) for row in j.table]}


def _boundary_json(b: ind.BoundaryTest) -> dict[str, Any]:
    return {"mark": b.mark, "score": b.score, "at": b.at, "below": b.below,
            "p_peak": b.p_peak, "p_valley": b.p_valley, "flag": b.flag}


def _task_json(t: ind.TaskIndicator) -> dict[str, Any]:
    return {"id": t.id, "max": t.max, "level": t.level, "pct": _r1(t.pct), "status": t.status,
            "requirement": t.requirement, "reference_pct": _r1(t.reference_pct), "diff_pp": _r1(t.diff_pp)}


def _extras_json(a: WorkAnalysis) -> dict[str, Any]:
    inv = a.inversion
    return {
        "histogram": {str(s): a.histogram[s] for s in sorted(a.histogram)},
        "difficulties": [t.id for t in a.difficulties],
        "inversion": None if inv is None else {
            "reference": inv.reference, "delta_basic": _r1(inv.delta_basic),
            "delta_advanced": _r1(inv.delta_advanced), "inverted": inv.inverted, "f2_pattern": inv.f2_pattern,
            "rho": inv.rho, "rho_tasks": inv.rho_tasks, "profile_unlike": inv.profile_unlike},
        "groups": [{"mark": g.mark, "n": g.n, "reliability": g.reliability,
                    "tasks_pct": {k: _r1(v) for k, v in g.tasks_pct.items()}} for g in a.groups],
        "crossings": [{"task": c.task, "lower_mark": c.lower_mark, "higher_mark": c.higher_mark,
                       "lower_pct": _r1(c.lower_pct), "higher_pct": _r1(c.higher_pct), "diff_pp": _r1(c.diff_pp),
                       "p": c.p, "shown": c.shown} for c in a.crossings],
        "reference": [{"reference": c.reference, "indicator": c.indicator, "school_pct": _r1(c.school_pct),
                       "reference_pct": _r1(c.reference_pct), "diff_pp": _r1(c.diff_pp),
                       "p_high": c.p_high, "p_low": c.p_low, "flag": c.flag} for c in a.reference],
        "corridor": [{"indicator": f.indicator, "school_pct": _r1(f.school_pct), "limit": f.limit}
                     for f in a.corridor],
        "second_look": {k: list(v) for k, v in a.second_look.items()},
    }


def _work_json(a: WorkAnalysis) -> dict[str, Any]:
    out = {"work": a.label, "class": a.class_name}
    out.update(_marks_json(a.marks))
    out["journal"] = _journal_json(a.journal)
    out["boundaries"] = [_boundary_json(b) for b in a.boundaries]
    out["tasks"] = [_task_json(t) for t in a.tasks]
    out["classes"] = [{"class": c, **_marks_json(m)} for c, m in a.classes]
    out.update(_extras_json(a))
    return out


def _year_json(y: YearAnalysis) -> dict[str, Any]:
    p = y.pooled
    return {"works": [{"work": a.label, **_marks_json(a.marks),
                       "boundaries": [_boundary_json(b) for b in a.boundaries]} for a in y.works],
            "pooled": {"works": list(p.works), "at": p.at, "below": p.below, "p_peak": p.p_peak,
                       "p_valley": p.p_valley, "flag": p.flag}}


def _agreement_json(g: Agreement) -> dict[str, Any]:
    return {"pairs": g.pairs, "reliability": g.reliability, "mean_signed_diff": _r2(g.mean_signed_diff),
            "ci95": None if g.ci95 is None else [round(g.ci95[0], 2), round(g.ci95[1], 2)],
            "sign_test_p": g.sign_test_p, "exact_agreement_pct": _r1(g.exact_agreement_pct),
            "icc_a1": g.icc_a1, "icc_band": g.icc_band, "marks_up": g.marks_up, "marks_down": g.marks_down,
            "marks_up_at_boundary": g.marks_up_at_boundary, "marks_down_at_boundary": g.marks_down_at_boundary,
            "objective_pct": _r1(g.objective_pct), "objective_target_met": g.objective_target_met,
            "tasks": [{"id": t.id, "max": t.max, "pairs": t.pairs, "agreement_pct": _r1(t.agreement_pct),
                       "mean_signed_diff": _r2(t.mean_signed_diff), "sum_abs_diff": t.sum_abs_diff,
                       "sum_signed_diff": t.sum_signed_diff, "kappa_qw": t.kappa_qw,
                       "requirement": t.requirement} for t in g.tasks],
            "errors_by_abs": list(g.errors_by_abs), "errors_by_signed": list(g.errors_by_signed)}


def as_json(analysis: WorkAnalysis | YearAnalysis | Agreement) -> dict[str, Any]:
    """The JSON of `analysis --work/--year --json` and `second-check agreement --json` (issue 14):
    percentages 0–100 to one decimal, means to two, p-values and coefficients unrounded."""
    if isinstance(analysis, WorkAnalysis):
        return _work_json(analysis)
    if isinstance(analysis, YearAnalysis):
        return _year_json(analysis)
    if isinstance(analysis, Agreement):
        return _agreement_json(analysis)
    raise TypeError(f"not an analysis: {type(analysis).__name__}")


def summary_sentences(analysis: WorkAnalysis | YearAnalysis | Agreement, include_grey: bool = False,
                      thresholds: Thresholds | None = None) -> list[Sign]:
    """The «светофор»: one sentence per sign; grey ones (below their minimum N) only on request.
    `thresholds` matter only for an `Agreement` (a work's analysis carries its own)."""
    if isinstance(analysis, WorkAnalysis):
        signs = work_signs(analysis)
    elif isinstance(analysis, YearAnalysis):
        signs = year_signs(analysis)
    elif isinstance(analysis, Agreement):
        signs = agreement_signs(analysis, thresholds or Thresholds())
    else:
        raise TypeError(f"not an analysis: {type(analysis).__name__}")
    return [s for s in signs if include_grey or s.level != "grey"]
