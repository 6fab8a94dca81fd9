"""The indicators of one work and of the year, the JSON of issue 14 and the «светофор» sentences,
against figures computed independently (OBJECTIVITY.md §4.1 table, §8 real data, brute force) and on
seeded honest / lenient / harsh works of 25 to 300 participants."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest

from coordinator_app.analysis import indicators as ind
from coordinator_app.analysis.model import Corridor, Reference, ReferenceRow, Result, TaskInfo, Thresholds, WorkData
from coordinator_app.analysis.report import analyse_work, analyse_year, as_json, summary_sentences
from tests.fixtures.analysis_data import RU4_SCALE, RU4_TASKS, from_histogram, generate

# The real school of OBJECTIVITY.md §8 (Русский язык 4, 2026, 50 pupils, scale 10/16/21): the printed
# histogram 13:5, 14:5, 15:11, 16:0, 17:4, completed to 50 pupils with the printed marks
# (8 «2», 27 «3», 12 «4», 3 «5») and mean 14.22.
SECTION8 = {5: 1, 6: 1, 7: 2, 8: 3, 9: 1, 10: 1, 11: 2, 12: 3, 13: 5, 14: 5, 15: 11, 17: 4, 18: 3, 19: 3, 20: 2,
            21: 1, 22: 1, 23: 1}


# -- I-0 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "label"), [(0, "только для сведения"), (9, "только для сведения"), (10, "ограниченно"),
                                          (19, "ограниченно"), (20, "приблизительно"), (49, "приблизительно"),
                                          (50, "информативно"), (1500, "информативно")])
def test_reliability_labels(n: int, label: str) -> None:
    assert ind.reliability(n) == label


# -- I-1 -----------------------------------------------------------------------------------------


def test_marks_of_the_section8_school() -> None:
    m = ind.marks_summary(from_histogram(SECTION8), RU4_SCALE)
    assert m.n == 50 and m.reliability == "информативно"
    assert m.counts == {2: 8, 3: 27, 4: 12, 5: 3}
    assert m.pct == {2: 16.0, 3: 54.0, 4: 24.0, 5: 6.0}
    assert m.success_pct == 84.0 and m.quality_pct == 30.0
    assert m.mean_score == pytest.approx(14.22)
    assert m.mean_pct == pytest.approx(100 * 14.22 / 24)
    assert m.mean_mark == pytest.approx((8 * 2 + 27 * 3 + 12 * 4 + 3 * 5) / 50)


def test_only_present_complete_results_count() -> None:
    rows = from_histogram({12: 3})
    rows += [Result("x1", "4А", None, None, absent=True), Result("x2", "4А", 20, 4, complete=False),
             Result("x3", "4А", 20, 4, absent=True)]
    m = ind.marks_summary(rows, RU4_SCALE)
    assert m.n == 3 and m.counts[3] == 3 and m.counts[4] == 0
    empty = ind.marks_summary([], RU4_SCALE)
    assert empty.n == 0 and empty.success_pct is None and empty.mean_score is None


# -- I-2 -----------------------------------------------------------------------------------------


def _with_journal(pairs: list[tuple[int, int]]) -> list[Result]:
    """(journal, ВПР mark) pairs as results; totals put each at its mark's lowest score."""
    low = {2: 5, 3: 10, 4: 16, 5: 21}
    return [Result(f"c{i:03d}", "4А", low[v], v, j, {}) for i, (j, v) in enumerate(pairs)]


def test_journal_comparison_section8_counts_and_the_trigger_line() -> None:
    # §8: понизили 21, подтвердили 26, повысили 3 — не подтвердили 48 %, just under seed 004's 50 %;
    # |Δ| ≥ 2: journal 3 → ВПР 5 and journal 5 → ВПР 3.
    pairs = [(4, 3)] * 20 + [(5, 3)] + [(3, 3)] * 26 + [(3, 4), (3, 4), (3, 5)]
    j = ind.journal_comparison(_with_journal(pairs), RU4_SCALE)
    assert (j.compared, j.lower, j.equal, j.higher) == (50, 21, 26, 3)
    assert (j.lower_pct, j.equal_pct, j.higher_pct, j.not_confirmed_pct) == (42.0, 52.0, 6.0, 48.0)
    assert j.trigger is False
    assert j.gap2 == ["c020", "c049"]
    assert j.table[2][1] == 20 and j.table[1][1] == 26 and j.table[3][1] == 1 and j.table[1][3] == 1
    assert sum(map(sum, j.table)) == 50
    # exactly 50 % is not «более 50 %»; 51 % is
    assert ind.journal_comparison(_with_journal([(4, 3)] * 5 + [(3, 3)] * 5), RU4_SCALE).trigger is False
    assert ind.journal_comparison(_with_journal([(4, 3)] * 51 + [(3, 3)] * 49), RU4_SCALE).trigger is True


def test_journal_excludes_missing_journal_marks_and_kappa_is_linear() -> None:
    pairs = [(3, 3), (4, 4), (5, 4), (2, 3), (4, 4), (3, 3), (5, 5), (4, 3)]
    rows = _with_journal(pairs) + [Result("nj", "4А", 12, 3, None, {})]
    j = ind.journal_comparison(rows, RU4_SCALE)
    assert j.compared == 8
    # linear κ computed by hand in agreement form: P_o, P_e with w = 1 − |i − j| / 3
    n = len(pairs)
    agree = [[1 - Fraction(abs(a - b), 3) for b in range(2, 6)] for a in range(2, 6)]
    p_o = sum(agree[a - 2][b - 2] for a, b in pairs) / n
    rows_m = [sum(1 for a, _ in pairs if a == m) for m in range(2, 6)]
    cols_m = [sum(1 for _, b in pairs if b == m) for m in range(2, 6)]
    p_e = sum(agree[i][k] * rows_m[i] * cols_m[k] for i in range(4) for k in range(4)) / Fraction(n * n)
    assert j.kappa_w == pytest.approx(float((p_o - p_e) / (1 - p_e)))


# -- I-3 -----------------------------------------------------------------------------------------


def test_section8_valley_at_the_boundary_of_4() -> None:
    tests = ind.boundary_tests(ind.histogram(from_histogram(SECTION8)), RU4_SCALE)
    four = next(b for b in tests if b.mark == 4)
    assert (four.score, four.at, four.below) == (16, 0, 11)
    assert four.p_valley == pytest.approx(0.5**11) and four.p_valley == pytest.approx(0.00049, abs=1e-5)
    assert four.p_peak == 1.0
    assert four.flag == "valley"
    assert [b.flag for b in tests if b.mark != 4] == [None, None]


def test_boundary_critical_values_of_section_4_1() -> None:
    # Smallest n_b flagging a peak for n_{b−1} = 0…7 at α/3 (default) and α/6 (strict), OBJECTIVITY.md §4.1.
    default = [6, 9, 11, 13, 14, 16, 18, 19]
    strict = [7, 10, 12, 14, 16, 18, 19, 21]
    for alpha_tail, table in ((0.05 / 3, default), (0.05 / 6, strict)):
        for below, critical in enumerate(table):
            assert ind.boundary_flag(critical, below, alpha_tail)[2] == "peak"
            assert ind.boundary_flag(critical - 1, below, alpha_tail)[2] is None
            # the valley is the mirror image
            assert ind.boundary_flag(below, critical, alpha_tail)[2] == "valley"
            assert ind.boundary_flag(below, critical - 1, alpha_tail)[2] is None


def test_boundary_p_values_are_exact() -> None:
    # «13 работ, на 15 б. — 3: пик (p = 0,011)» (§3 I-3): P(Bin(16, ½) ≥ 13) = 697/65536.
    p_peak, p_valley, flag = ind.boundary_flag(13, 3, Thresholds().boundary_alpha)
    assert p_peak == pytest.approx(697 / 65536) and flag == "peak"
    assert p_valley == pytest.approx(float(sum(Fraction(math.comb(16, i), 2**16) for i in range(14))))
    assert ind.boundary_flag(0, 0, 0.05)[:2] == (1.0, 1.0)


def _flags(rows: list[Result]) -> list[str | None]:
    return [b.flag for b in ind.boundary_tests(ind.histogram(rows), RU4_SCALE)]


def test_honest_works_of_25_to_300_are_rarely_flagged() -> None:
    # 200 seeded honest works of random size 25…300: ≥ 95 % raise no flag at α/3 per tail.
    rng = random.Random(7)
    flagged = sum(1 for d in range(200) if any(_flags(generate(rng.randint(25, 300), 1000 + d))))
    assert flagged <= 10


@pytest.mark.parametrize(("mode", "flag"), [("lenient", "peak"), ("harsh", "valley")])
def test_planted_manipulation_is_found_where_the_test_has_power(mode: str, flag: str) -> None:
    # §4.5: q = 0.8 is caught in ~99 % of works of 150 (both directions), in 50–70 % of works of 50.
    caught_150 = sum(1 for d in range(40) if flag in _flags(generate(150, 5000 + d, mode, 0.8)))
    caught_50 = sum(1 for d in range(40) if flag in _flags(generate(50, 6000 + d, mode, 0.8)))
    assert caught_150 >= 36
    assert caught_50 >= 12


def test_pooling_gives_small_works_a_usable_answer() -> None:
    # Six classes of 25, each mildly lenient: a few are flagged alone, the pooled test is far stronger.
    works = [WorkData(f"work {d}", tuple(generate(25, 7000 + d, "lenient", 0.8)), RU4_TASKS, RU4_SCALE)
             for d in range(6)]
    year = analyse_year(works)
    alone = sum(1 for a in year.works if any(b.flag == "peak" for b in a.boundaries))
    assert year.pooled.at == sum(b.at for a in year.works for b in a.boundaries)
    assert year.pooled.below == sum(b.below for a in year.works for b in a.boundaries)
    assert year.pooled.flag == "peak" and alone < 6
    assert year.pooled.works == [f"work {d}" for d in range(6)]
    honest = analyse_year([WorkData(f"h{d}", tuple(generate(25, 8000 + d)), RU4_TASKS, RU4_SCALE) for d in range(6)])
    assert honest.pooled.flag is None


# -- I-6 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pct", "level", "status"), [
    (56.9, "Б", "red"), (57.0, "Б", "yellow"), (59.9, "Б", "yellow"), (60.0, "Б", "green"),
    (28.4, "П", "red"), (28.5, "П", "yellow"), (29.9, "В", "yellow"), (30.0, "В", "green"),
    (56.96, "Б", "yellow"),           # shown as 57,0: the colour follows the printed number
    (80.0, None, None), (None, "Б", None)])
def test_task_status(pct: float | None, level: str | None, status: str | None) -> None:
    assert ind.task_status(pct, level) == status


def _task_rows(per_task: dict[str, list[int]]) -> list[Result]:
    n = len(next(iter(per_task.values())))
    return [Result(f"t{i}", "4А", sum(s[i] for s in per_task.values()), None, None,
                   {tid: s[i] for tid, s in per_task.items()}) for i in range(n)]


def test_task_percentages_statuses_and_difficulties() -> None:
    tasks = [TaskInfo("1", 2, "Б", requirement="Списывать текст"), TaskInfo("2", 1, "Б"), TaskInfo("3", 2, "П"),
             TaskInfo("4", 1)]
    rows = _task_rows({"1": [2, 1, 1, 0, 2], "2": [1, 0, 1, 1, 0], "3": [0, 0, 1, 1, 0], "4": [1, 1, 1, 1, 1]})
    out = {t.id: t for t in ind.task_indicators(rows, tasks)}
    assert out["1"].pct == pytest.approx(100 * 6 / 10) and out["1"].status == "green"
    assert out["2"].pct == pytest.approx(60.0) and out["2"].status == "green"
    assert out["3"].pct == pytest.approx(20.0) and out["3"].status == "red"
    assert out["4"].status is None                                   # level unknown
    assert [t.id for t in ind.typical_difficulties(list(out.values()))] == ["3"]


def test_hard_better_than_easy_sign() -> None:
    tasks = [TaskInfo("1", 1, "Б"), TaskInfo("2", 1, "Б"), TaskInfo("3", 1, "П"), TaskInfo("4", 1, "В")]
    rows = _task_rows({"1": [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], "2": [1, 1, 0, 0, 1, 1, 0, 0, 1, 0],
                       "3": [1, 1, 1, 1, 1, 1, 0, 1, 1, 0], "4": [1, 1, 1, 1, 0, 1, 1, 1, 0, 1]})
    region = ReferenceRow("регион", tasks_pct={"1": 70.0, "2": 72.0, "3": 45.0, "4": 40.0})
    t = ind.task_indicators(rows, tasks, reference=region)
    assert [x.diff_pp for x in t] == pytest.approx([50 - 70, 50 - 72, 80 - 45, 80 - 40])
    inv = ind.inversion(t, "регион")
    assert inv.delta_basic == pytest.approx(-21.0) and inv.delta_advanced == pytest.approx(37.5)
    assert inv.inverted and inv.f2_pattern
    # Б below the reference by 1 п.п. and П/В above by 5: F2's pattern, under the 15 п.п. threshold
    mild = ind.inversion([ind.TaskIndicator("1", 1, "Б", 60, None, None, 61, -1.0),
                          ind.TaskIndicator("2", 1, "П", 35, None, None, 30, 5.0)], "регион")
    assert mild.f2_pattern and not mild.inverted


# -- I-7 -----------------------------------------------------------------------------------------


def _group_rows(mark: int, n: int, task_scores: list[int], start: int) -> list[Result]:
    total = {3: 12, 4: 18}[mark]
    return [Result(f"g{start + i}", "4А", total, mark, None, {"A": task_scores[i % len(task_scores)], "B": 1})
            for i in range(n)]


def test_crossings_need_size_gap_and_a_permutation_p() -> None:
    tasks = [TaskInfo("A", 2, "Б"), TaskInfo("B", 1, "Б")]
    strong = _group_rows(3, 20, [2, 2, 2, 1], 0) + _group_rows(4, 20, [0, 1, 1, 0], 100)
    profiles, crossings = ind.mark_groups(strong, tasks, RU4_SCALE)
    assert {p.mark: p.n for p in profiles} == {2: 0, 3: 20, 4: 20, 5: 0}
    (c,) = crossings
    assert (c.task, c.lower_mark, c.higher_mark) == ("A", 3, 4)
    assert c.lower_pct == pytest.approx(87.5) and c.higher_pct == pytest.approx(25.0)
    assert c.p < 0.001 and c.shown
    # same gap but a group of 9: no crossing at all (n ≥ 10 per group)
    small = _group_rows(3, 9, [2, 2, 2, 1], 0) + _group_rows(4, 20, [0, 1, 1, 0], 100)
    assert ind.mark_groups(small, tasks, RU4_SCALE)[1] == []
    # a gap of noise size (> 5 п.п. but not significant): listed, not shown
    noisy = _group_rows(3, 12, [1, 1, 2, 1, 1, 0], 0) + _group_rows(4, 12, [1, 1, 1, 1, 1, 0], 100)
    (c,) = ind.mark_groups(noisy, tasks, RU4_SCALE)[1]
    assert c.diff_pp > 5 and c.p >= 0.05 and not c.shown


# -- I-8 -----------------------------------------------------------------------------------------


def _g_brute(passed: list[bool], keys: list[tuple]) -> int:
    return sum(1 for e in range(len(passed)) for h in range(len(passed))
               if keys[e] < keys[h] and not passed[e] and passed[h])


def test_guttman_errors_against_the_pair_count() -> None:
    rng = random.Random(4)
    for _ in range(200):
        size = rng.randint(2, 24)
        keys = sorted((rng.randint(0, 2), -rng.randint(0, 5)) for _ in range(size))
        passed = [rng.random() < 0.5 for _ in range(size)]
        assert ind.guttman_g(passed, keys) == _g_brute(passed, keys)


def test_guttman_star_and_the_top_five_percent() -> None:
    tasks = [TaskInfo(str(i), 1, "Б" if i <= 5 else "П") for i in range(1, 11)]
    perfect = [Result(f"p{k}", "4А", k, None, None, {str(i): int(i <= k) for i in range(1, 11)}) for k in range(1, 10)]
    rows = perfect * 3 + [Result("rev", "4А", 4, None, None, {str(i): int(i > 6) for i in range(1, 11)})]
    g = ind.guttman(rows, tasks)
    fits = {f.code: f for f in g.fits}
    assert g.steps == 10 and g.ordered_by == "level+p"
    assert all(fits[f"p{k}"].g_star == 0.0 for k in range(1, 10))
    assert fits["rev"].g_star == 1.0 and fits["rev"].g == 4 * 6
    assert g.flagged == ["rev"]
    no_levels = ind.guttman(rows, [TaskInfo(t.id, t.max) for t in tasks])
    assert no_levels.ordered_by == "p"


# -- I-4 -----------------------------------------------------------------------------------------


def test_versus_reference_exact_binomial_and_corridor() -> None:
    m = ind.marks_summary(from_histogram({5: 5, 12: 20, 17: 15, 22: 10}), RU4_SCALE)    # 10 % 2, 40, 30, 20 % 5
    row = ReferenceRow("регион", marks_pct={2: 13.44, 3: 44.15, 4: 36.28, 5: 6.14}, mean_pct=50.0)
    out = {c.indicator: c for c in ind.versus_reference(m, "region", row)}
    expected = sum(Fraction(math.comb(50, i)) * Fraction("0.0614") ** i * (1 - Fraction("0.0614")) ** (50 - i)
                   for i in range(10, 51))
    assert out["5"].p_high == pytest.approx(float(expected), rel=1e-9)
    assert out["5"].diff_pp == pytest.approx(20 - 6.14) and out["5"].flag
    assert out["4+5"].diff_pp == pytest.approx(50 - 42.42) and not out["4+5"].flag         # < 15 п.п.
    assert out["2"].p_low == pytest.approx(float(sum(Fraction(math.comb(50, i)) * Fraction("0.1344") ** i
                                                     * (1 - Fraction("0.1344")) ** (50 - i) for i in range(0, 6))))
    assert out["mean_pct"].p_high is None
    flags = ind.corridor_flags(m, Corridor(min2_pct=12.0, max4_pct=40.0, max5_pct=8.0))
    assert [f.indicator for f in flags] == ["min2", "max5"]
    assert ind.corridor_flags(m, Corridor()) == [] and ind.corridor_flags(m, None) == []


# -- the work: JSON shape and sentences -------------------------------------------------------


def _is_pct(x: object) -> bool:
    return x is None or (isinstance(x, float) and 0 <= x <= 100 and round(x, 1) == x)


MARKS_KEYS = {"n": int, "reliability": str, "marks": dict, "marks_pct": dict, "success_pct": float,
              "quality_pct": float, "mean_score": float, "mean_pct": float}


def test_work_json_has_the_shape_of_the_issue() -> None:
    rows = generate(120, 42, classes=3)
    ref = Reference(region=ReferenceRow("регион", {2: 13.4, 3: 44.2, 4: 36.3, 5: 6.1}, {t.id: 55.0 for t in RU4_TASKS}),
                    corridor=Corridor(max4_pct=40.0))
    data = as_json(analyse_work(rows, RU4_TASKS, RU4_SCALE, reference=ref))
    json.dumps(data, ensure_ascii=False)                                    # serialisable
    for key, kind in MARKS_KEYS.items():
        assert isinstance(data[key], kind), key
    assert list(data["marks"]) == ["2", "3", "4", "5"] and list(data["marks_pct"]) == ["2", "3", "4", "5"]
    assert all(isinstance(v, int) for v in data["marks"].values())
    assert all(_is_pct(v) for v in [*data["marks_pct"].values(), data["success_pct"], data["quality_pct"], data["mean_pct"]])
    j = data["journal"]
    assert {k: type(j[k]) for k in ("compared", "lower", "equal", "higher")} == dict.fromkeys(
        ("compared", "lower", "equal", "higher"), int)
    assert all(_is_pct(j[k]) for k in ("lower_pct", "equal_pct", "higher_pct", "not_confirmed_pct"))
    assert isinstance(j["trigger"], bool) and isinstance(j["gap2"], list) and isinstance(j["kappa_w"], float)
    assert all(isinstance(c, str) for c in j["gap2"])
    assert [b["mark"] for b in data["boundaries"]] == [3, 4, 5]
    for b in data["boundaries"]:
        assert set(b) == {"mark", "score", "at", "below", "p_peak", "p_valley", "flag"}
        assert b["flag"] in ("peak", "valley", None) and isinstance(b["p_peak"], float)
    assert [t["id"] for t in data["tasks"]] == [t.id for t in RU4_TASKS]
    for t in data["tasks"]:
        assert {"id", "max", "level", "pct", "status"} <= set(t)
        assert isinstance(t["max"], int) and _is_pct(t["pct"]) and t["status"] in ("green", "yellow", "red", None)
    assert [c["class"] for c in data["classes"]] == ["4А", "4Б", "4В"]
    for c in data["classes"]:
        assert all(isinstance(c[k], kind) for k, kind in MARKS_KEYS.items())
    assert sum(c["n"] for c in data["classes"]) == data["n"] == 120


def test_p_values_are_not_rounded_and_empty_work_is_valid_json() -> None:
    data = as_json(analyse_work(from_histogram(SECTION8), RU4_TASKS, RU4_SCALE))
    assert data["boundaries"][1]["p_valley"] == pytest.approx(0.00048828125, rel=1e-12)
    empty = as_json(analyse_work([], RU4_TASKS, RU4_SCALE))
    assert empty["n"] == 0 and empty["success_pct"] is None and empty["reliability"] == "только для сведения"
    json.dumps(empty)


def test_section8_sentence() -> None:
    signs = summary_sentences(analyse_work(from_histogram(SECTION8), RU4_TASKS, RU4_SCALE))
    red = [s for s in signs if s.level == "red"]
    assert len(red) == 1
    assert red[0].text.startswith("На границе «4» (16 б.) — 0 работ, на 15 б. — 11: провал (p = 0,0005")
    assert red[0].text.endswith("Требует анализа.") and "50 работ — информативно" in red[0].text


def test_sentences_use_the_words_of_the_method_and_grey_small_groups() -> None:
    lenient = generate(200, 5001, "lenient", 0.8)
    a = analyse_work(lenient, RU4_TASKS, RU4_SCALE,
                     reference=Reference(region=ReferenceRow("регион", {2: 30.0, 3: 50.0, 4: 15.0, 5: 5.0})))
    texts = [s.text for s in summary_sentences(a, include_grey=True)]
    assert any("пик" in t for t in texts)
    for t in texts:
        assert "необъектив" not in t.lower() and "нарушен" not in t.lower()
        assert not any(ch.isdigit() and nxt == "." and after.isdigit() for ch, nxt, after in zip(t, t[1:], t[2:]))
    tiny = analyse_work(from_histogram({15: 9}), RU4_TASKS, RU4_SCALE)           # N = 9: valley-like, grey
    assert summary_sentences(tiny) == []
    assert {s.level for s in summary_sentences(tiny, include_grey=True)} == {"grey"}


def test_class_filter_and_second_look() -> None:
    rows = generate(90, 77, classes=3)
    a = analyse_work(rows, RU4_TASKS, RU4_SCALE, class_name="4Б")
    assert a.marks.n == 30 and [c for c, _ in a.classes] == ["4Б"]
    assert set(a.second_look["journal_gap"]) == {r.code for r in rows if r.class_name == "4Б"
                                                 and abs(r.mark - r.journal) >= 2}
    flagged = analyse_work(from_histogram(SECTION8), RU4_TASKS, RU4_SCALE)
    assert len(flagged.second_look["boundary"]) == 11                          # the works at 15 and 16 points
