"""Re-check agreement (I-10) against figures computed independently in the test."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest

from coordinator_app.analysis import stats
from coordinator_app.analysis.agreement import agreement, bland_altman, pair_results
from coordinator_app.analysis.model import Result, Scale, TaskInfo, Thresholds
from coordinator_app.analysis.report import as_json, summary_sentences
from tests.fixtures.analysis_data import RU4_SCALE, RU4_TASKS, generate

TASKS = [TaskInfo("1", 2, "Б", True, "Орфография"), TaskInfo("2", 1, "Б"), TaskInfo("3", 3, "П", True, "Текст")]
SCALE = Scale(2, 4, 5, 6)


def _r(code: str, s1: int, s2: int, s3: int, **kw: object) -> Result:
    scores = {"1": s1, "2": s2, "3": s3}
    total = sum(scores.values())
    return Result(code, "5А", total, SCALE.mark_for(total), None, scores, **kw)  # type: ignore[arg-type]


def test_pairs_by_code_of_works_counted_in_both() -> None:
    first = [_r("a", 1, 1, 1), _r("b", 2, 0, 0), _r("c", 0, 0, 0, absent=True), _r("d", 1, 1, 1)]
    second = [_r("d", 1, 1, 0), _r("a", 1, 1, 1), _r("c", 0, 0, 0), _r("b", 2, 0, 0, complete=False)]
    assert [(a.code, b.code) for a, b in pair_results(first, second)] == [("a", "a"), ("d", "d")]


def test_small_sample_figures() -> None:
    first = [_r("a", 2, 1, 3), _r("b", 1, 1, 1), _r("c", 2, 0, 2), _r("d", 0, 1, 0), _r("e", 1, 0, 3)]
    second = [_r("a", 2, 1, 2), _r("b", 1, 0, 1), _r("c", 1, 0, 2), _r("d", 0, 1, 0), _r("e", 1, 0, 1)]
    g = agreement(first, second, TASKS, SCALE)
    diffs = [1, 1, 1, 0, 2]                                     # school − re-check totals
    mean = sum(diffs) / 5
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 4)
    assert g.pairs == 5 and g.reliability == "только для сведения"
    assert g.mean_signed_diff == pytest.approx(1.0)
    assert g.ci95 == pytest.approx((mean - 2.776 * sd / math.sqrt(5), mean + 2.776 * sd / math.sqrt(5)), abs=1e-3)
    assert g.sign_test_p == pytest.approx(2 * 1 / 16)           # 4 of 4 non-zero positive
    assert g.exact_agreement_pct == pytest.approx(20.0)
    # marks (scale 2/4/5): a 6→5 stays «5»; b 3→2 stays «3»; c 4→3 «4»→«3»; e 4→2 «4»→«3»: down 2, up 0
    assert (g.marks_up, g.marks_down) == (0, 2)
    # at a boundary (the school's total at b or b − 1 of 2 / 4 / 5): c = 4 and e = 4 → both
    assert g.marks_down_at_boundary == 2
    assert g.objective_pct == pytest.approx(20.0)               # only d: same mark, same total
    per = {t.id: t for t in g.tasks}
    assert (per["1"].pairs, per["1"].agreement_pct, per["1"].mean_signed_diff) == (5, 80.0, 0.2)
    assert (per["3"].sum_abs_diff, per["3"].sum_signed_diff) == (3, 3)
    assert all(t.kappa_qw is None for t in g.tasks)             # under 20 pairs
    assert g.errors_by_abs == ["3", "1", "2"] and g.errors_by_signed == ["3", "1", "2"]
    assert per["3"].requirement == "Текст"


def test_tolerance_changes_the_objective_share() -> None:
    first = [_r("a", 2, 1, 3), _r("b", 1, 1, 1)]
    second = [_r("a", 2, 1, 2), _r("b", 1, 1, 1)]
    assert agreement(first, second, TASKS, SCALE).objective_pct == 50.0
    assert agreement(first, second, TASKS, SCALE, Thresholds(objective_tolerance=1)).objective_pct == 100.0


def _kappa_brute(pairs: list[tuple[int, int]], k: int) -> Fraction:
    n = len(pairs)
    w = [[Fraction((i - j) ** 2, (k - 1) ** 2) for j in range(k)] for i in range(k)]
    obs = sum(w[x][y] for x, y in pairs) / n
    exp = sum(w[i][j] * sum(1 for x, _ in pairs if x == i) * sum(1 for _, y in pairs if y == j)
              for i in range(k) for j in range(k)) / Fraction(n * n)
    return 1 - obs / exp


def _recheck(rows: list[Result], seed: int, harsh: float = 0.3) -> list[Result]:
    """The same works scored again: each open task's score lowered by one with probability `harsh`."""
    rng = random.Random(seed)
    out = []
    for r in rows:
        scores = {t.id: (max(0, r.scores[t.id] - 1) if t.open and rng.random() < harsh else r.scores[t.id])
                  for t in RU4_TASKS}
        total = sum(scores.values())
        out.append(Result(r.code, r.class_name, total, RU4_SCALE.mark_for(total), r.journal, scores))
    return out


def test_kappa_per_task_from_twenty_pairs_and_only_above_one_point() -> None:
    school = generate(40, 9)
    g = agreement(school, _recheck(school, 1), RU4_TASKS, RU4_SCALE)
    for t, info in zip(g.tasks, RU4_TASKS):
        if info.max == 1:
            assert t.kappa_qw is None                        # «a maximum above 1» (issue 14, §5.2)
            continue
        pairs = [(a.scores[info.id], b.scores[info.id]) for a, b in pair_results(school, _recheck(school, 1))]
        expected = _kappa_brute(pairs, info.max + 1)
        assert t.kappa_qw == pytest.approx(float(expected)), info.id
    few = agreement(school[:19], _recheck(school[:19], 1), RU4_TASKS, RU4_SCALE)
    assert all(t.kappa_qw is None for t in few.tasks)


def test_a_lenient_school_shows_a_positive_shift_and_icc() -> None:
    school = generate(120, 10)
    recheck = _recheck(school, 2, harsh=0.4)
    g = agreement(school, recheck, RU4_TASKS, RU4_SCALE)
    diffs = [a.total - b.total for a, b in zip(school, recheck)]
    assert g.mean_signed_diff == pytest.approx(sum(diffs) / len(diffs))
    assert g.ci95[0] > 0 and g.sign_test_p is None
    assert g.icc_a1 == pytest.approx(stats.icc_a1([(a.total, b.total) for a, b in zip(school, recheck)]))
    assert g.marks_up == 0 and g.marks_down > 0
    texts = [s.text for s in summary_sentences(g)]
    assert any(t.startswith("Школьная проверка в среднем на") and "выше перепроверки" in t for t in texts)
    ba = bland_altman(school, recheck)
    assert ba["mean"] == pytest.approx(g.mean_signed_diff) and len(ba["points"]) == 120


def test_agreement_json_has_the_shape_of_the_issue() -> None:
    school = generate(30, 12)
    data = as_json(agreement(school, _recheck(school, 3), RU4_TASKS, RU4_SCALE))
    json.dumps(data, ensure_ascii=False)
    assert isinstance(data["pairs"], int) and data["pairs"] == 30
    assert isinstance(data["mean_signed_diff"], float)
    assert isinstance(data["ci95"], list) and len(data["ci95"]) == 2 and data["ci95"][0] <= data["ci95"][1]
    for key in ("exact_agreement_pct", "objective_pct"):
        assert isinstance(data[key], float) and 0 <= data[key] <= 100 and round(data[key], 1) == data[key]
    assert isinstance(data["icc_a1"], float)
    assert isinstance(data["marks_up"], int) and isinstance(data["marks_down"], int)
    assert [t["id"] for t in data["tasks"]] == [t.id for t in RU4_TASKS]
    for t, info in zip(data["tasks"], RU4_TASKS):
        assert {"id", "pairs", "agreement_pct", "mean_signed_diff", "kappa_qw"} <= set(t)
        assert isinstance(t["pairs"], int) and isinstance(t["agreement_pct"], float)
        assert (t["kappa_qw"] is None) == (info.max < 2)


def test_identical_scorings_and_empty_input() -> None:
    school = generate(25, 13)
    g = agreement(school, school, RU4_TASKS, RU4_SCALE)
    assert g.mean_signed_diff == 0 and g.exact_agreement_pct == 100.0 and g.objective_pct == 100.0
    assert g.icc_a1 == pytest.approx(1.0) and g.errors_by_abs == []
    texts = [s for s in summary_sentences(g)]
    assert all(s.level == "green" for s in texts)
    empty = agreement([], [], RU4_TASKS, RU4_SCALE)
    assert empty.pairs == 0 and empty.ci95 is None and as_json(empty)["ci95"] is None
    assert summary_sentences(empty) == []
