"""«Динамика» (issue 15, OBJECTIVITY.md §3 I-5): the same grade and subject over the school years —
% of each mark, the change of % «2» (+10 п.п. = negative dynamics) and of «4»+«5», Fisher's exact
test — and the same pupils a year later, matched by pupil across classes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from coordinator_app.analysis.dynamics import PupilPair, YearMarks, cohort, subject_dynamics, year_change
from coordinator_app.analysis.model import Thresholds
from coordinator_app.analysis.stats import fisher_exact
from coordinator_app.codes import assign_codes, list_participants
from coordinator_app.dynamics import cohort_pairs, overview, subject_over_years, work_dynamics
from coordinator_app.formats.pupil_list import parse_pupil_list
from coordinator_app.results_import import import_results
from coordinator_app.school_years import start_new_year
from coordinator_app.scoring import set_scores
from coordinator_app.storage import Store
from coordinator_app.students import import_pupils
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils
from tests.fisoko_reports import Head, Row, write_individual
from tests.test_school_years import _list

T = Thresholds()


def _year(year: str, marks: dict[int, int]) -> YearMarks:
    return YearMarks(year, f"работа {year}", [m for m, n in marks.items() for _ in range(n)])


@pytest.mark.parametrize(("table", "p"), [((3, 1, 1, 3), 0.4857), ((8, 2, 1, 5), 0.0350), ((5, 5, 5, 5), 1.0)])
def test_fisher_s_exact_test_gives_the_published_values(table, p) -> None:
    assert fisher_exact(*table) == pytest.approx(p, abs=5e-4)


def test_a_rise_of_ten_points_of_twos_is_negative_dynamics() -> None:
    before = _year("2024/2025", {2: 2, 3: 8, 4: 8, 5: 2})           # 10 % «2»
    after = _year("2025/2026", {2: 6, 3: 8, 4: 5, 5: 1})            # 30 % «2»
    change = year_change(before, after, T)
    assert change.fail_pp == 20.0 and change.good_pp == -20.0 and change.negative and change.sharp
    assert change.fail_p == pytest.approx(fisher_exact(6, 14, 2, 18))
    assert "отрицательная динамика" in change.sentence()
    assert "может быть случайным" in change.sentence()               # 20 pupils a year: p ≈ 0.24


def test_a_large_change_in_big_groups_is_called_significant() -> None:
    before = _year("2024/2025", {2: 10, 3: 40, 4: 40, 5: 10})
    after = _year("2025/2026", {2: 30, 3: 40, 4: 25, 5: 5})
    change = year_change(before, after, T)
    assert change.negative and change.fail_p < 0.05 and "статистически значимо" in change.sentence()


def test_a_small_change_is_no_flag_and_years_are_ordered() -> None:
    d = subject_dynamics("Математика", 4, [_year("2025/2026", {2: 2, 3: 18}), _year("2024/2025", {2: 1, 3: 19})], T)
    assert [y.year for y in d.years] == ["2024/2025", "2025/2026"] and not d.flagged
    assert d.as_dict()["changes"][0]["fail_change_pp"] == 5.0
    exactly = subject_dynamics("Математика", 4, [_year("2024/2025", {2: 1, 3: 9}), _year("2025/2026", {2: 2, 3: 8})], T)
    assert exactly.changes[0].fail_pp == 10.0 and exactly.flagged                       # +10 п.п. is the line


def test_the_cohort_table_counts_each_transition() -> None:
    pairs = [PupilPair(5, 5, 90, 85), PupilPair(5, 3, 90, 50), PupilPair(4, 5, 70, 80), PupilPair(3, 3, 40, 45)]
    c = cohort("Математика 4", "Математика 5", pairs, only_before=1, only_after=2)
    assert c.transitions[5] == {2: 0, 3: 1, 4: 0, 5: 1} and c.transitions[4][5] == 1
    assert (c.kept_pct, c.raised_pct, c.lowered_pct, c.mean_change_pp) == (50.0, 25.0, 25.0, -7.5)
    assert c.high_then_low == 1 and "высоко в прошлом году" in c.sentence()


# -- from the store -------------------------------------------------------------------------------

TASKS = [("1", 5, "Б"), ("2", 5, "П")]


def _past(store: Store, tmp_path: Path, year: int, marks: list[int]) -> None:
    """A past year's «Индивидуальные результаты» of Математика 4 imported as a work without scans."""
    rows = [Row(f"4{i:04d}", 1, 1, [m, m], 2 * m, m, m) for i, m in enumerate(marks, 1)]
    path = write_individual(tmp_path / f"f1_{year}.xlsx", Head("Математика", 4, year, f"15.04.{year}", TASKS), rows)
    import_results(store, path, create_work=True)


def test_past_years_imported_from_fisoko_and_this_year_s_scores_make_the_dynamics(school_store, tmp_path) -> None:
    _past(school_store, tmp_path, 2024, [2] * 1 + [3] * 9 + [4] * 8 + [5] * 2)
    _past(school_store, tmp_path, 2025, [2] * 2 + [3] * 9 + [4] * 7 + [5] * 2)
    add_pupils(school_store, [(f"Ученик{i:02d}", "Имя", "", "4А") for i in range(20)])
    work_id, _ = create_work(school_store, WorkDef("математика ", 4, dt.date(2026, 4, 15),
                                                   [TaskDef("1", 5), TaskDef("2", 5)], scale=[4, 6, 8], classes=["4А"]))
    assign_codes(school_store, work_id)
    codes = sorted(p.code for p in list_participants(school_store, work_id))
    totals = [2] * 6 + [5] * 8 + [7] * 5 + [9]                         # 30 % «2»
    set_scores(school_store, work_id, [(c, t, min(5, max(0, total - 5 * k))) for c, total in zip(codes, totals)
                                       for k, t in enumerate(("1", "2"))])
    d = subject_over_years(school_store, "Математика", 4)
    assert [(y.year, y.n, y.pct(2)) for y in d.years] == [("2023/2024", 20, 5.0), ("2024/2025", 20, 10.0),
                                                          ("2025/2026", 20, 30.0)]
    assert [c.negative for c in d.changes] == [False, True]
    assert work_dynamics(school_store, work_id).subject.flagged
    assert [s.grade for s in overview(school_store)["subjects"]] == [4]


def test_the_same_pupils_a_year_later_are_matched_across_classes(school_store, tmp_path) -> None:
    add_pupils(school_store, [("Алексеев", "Артём", "", "4А"), ("Борисова", "Белла", "", "4Б"),
                              ("Васильев", "Виктор", "", "4Б")])
    first, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 15), [TaskDef("1", 10)],
                                                 scale=[3, 5, 8], classes=["4А", "4Б"]))
    assign_codes(school_store, first)
    by_name = {p.surname: p.code for p in list_participants(school_store, first)}
    set_scores(school_store, first, [(by_name["Алексеев"], "1", 9), (by_name["Борисова"], "1", 6),
                                     (by_name["Васильев"], "1", 4)])
    start_new_year(school_store)
    import_pupils(school_store, parse_pupil_list(_list(tmp_path, [("5А", "Алексеев", "Артём"),
                                                                  ("5А", "Борисова", "Белла")])))
    second, _ = create_work(school_store, WorkDef("Математика", 5, dt.date(2027, 4, 14), [TaskDef("1", 10)],
                                                  scale=[3, 5, 8], classes=["5А"]))
    assign_codes(school_store, second)
    by_name = {p.surname: p.code for p in list_participants(school_store, second)}
    set_scores(school_store, second, [(by_name["Алексеев"], "1", 4), (by_name["Борисова"], "1", 6)])
    assert [(a.id, b.id) for a, b in cohort_pairs(school_store)] == [(first, second)]
    c = work_dynamics(school_store, second).cohort
    assert (c.pairs, c.only_before, c.only_after) == (2, 1, 0)
    assert c.transitions[5][3] == 1 and c.transitions[4][4] == 1 and c.high_then_low == 1


def test_the_command_line_shows_the_dynamics_and_says_what_is_missing(school_store, tmp_path, capsys) -> None:
    from coordinator_app.cli import main

    d = ["--data-dir", str(school_store.data_dir)]
    assert main([*d, "dynamics"]) == 0 and "хотя бы за два учебных года" in capsys.readouterr().out
    _past(school_store, tmp_path, 2024, [2] * 1 + [3] * 9)
    _past(school_store, tmp_path, 2025, [2] * 4 + [3] * 6)
    assert main([*d, "--json", "dynamics"]) == 0
    data = json.loads(capsys.readouterr().out)
    change = data["subjects"][0]["changes"][0]
    assert (change["fail_change_pp"], change["flagged"]) == (30.0, True) and 0 < change["fisher_p_fail"] < 1
    assert main([*d, "dynamics", "--subject", "Математика", "--grade", "4"]) == 0
    assert "отрицательная динамика" in capsys.readouterr().out
    assert main([*d, "dynamics", "--subject", "Математика"]) == 1
