"""The statistics core of «Анализ» (issue 14): the whole analysis of one 1500-participant work
(`analyse_work` + `as_json` + the sentences) and of a year of 30 works × 300 (`analyse_year`), in
pure Python. Targets: under 1 s and under 5 s. Each figure is also given as a ratio to the time of
building the inputs (the seeded generator of the tests), so runs on a loaded machine compare.
The second check is timed too: agreement over 150 re-checked works.

Usage: python bench/analysis.py [--participants 1500] [--works 30] [--per-work 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from _common import Report, ms

from coordinator_app.analysis.agreement import agreement
from coordinator_app.analysis.model import Reference, ReferenceRow, WorkData
from coordinator_app.analysis.report import analyse_work, analyse_year, as_json, summary_sentences
from tests.fixtures.analysis_data import RU4_SCALE, RU4_TASKS, generate


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=1500)
    ap.add_argument("--works", type=int, default=30)
    ap.add_argument("--per-work", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rep = Report("analysis")
    reference = Reference(region=ReferenceRow("регион", {2: 13.4, 3: 44.2, 4: 36.3, 5: 6.1},
                                              {t.id: 60.0 for t in RU4_TASKS}))

    build_s, rows = _best(lambda: generate(args.participants, 1, "lenient", 0.5, classes=10), args.repeat)
    rep.figure("work_build_ms", ms(build_s), "ms", f"build {args.participants} results (baseline)")

    def work() -> object:
        a = analyse_work(rows, RU4_TASKS, RU4_SCALE, reference=reference)
        return as_json(a), summary_sentences(a)

    work_s, _ = _best(work, args.repeat)
    rep.figure("work_ms", ms(work_s), "ms", f"analyse_work + as_json + sentences, {args.participants} participants")
    rep.figure("work_ratio", round(work_s / build_s, 2), "× build")

    def build_year() -> list[WorkData]:
        return [WorkData(f"work {i}", tuple(generate(args.per_work, 100 + i, "honest" if i % 3 else "harsh", 0.5,
                                                     classes=3)), RU4_TASKS, RU4_SCALE) for i in range(args.works)]

    year_build_s, works = _best(build_year, args.repeat)
    rep.figure("year_build_ms", ms(year_build_s), "ms", f"build {args.works} × {args.per_work} results (baseline)")

    def year() -> object:
        y = analyse_year(works)
        return as_json(y), summary_sentences(y)

    year_s, _ = _best(year, args.repeat)
    rep.figure("year_ms", ms(year_s), "ms", f"analyse_year + as_json + sentences, {args.works} works")
    rep.figure("year_ratio", round(year_s / year_build_s, 2), "× build")

    school = list(rows[:150])
    recheck = generate(150, 2, classes=10)
    recheck = [type(r)(s.code, s.class_name, r.total, r.mark, r.journal, r.scores) for s, r in zip(school, recheck)]
    agree_s, _ = _best(lambda: as_json(agreement(school, recheck, RU4_TASKS, RU4_SCALE)), args.repeat)
    rep.figure("agreement_ms", ms(agree_s), "ms", "agreement, 150 pairs")
    rep.finish()


if __name__ == "__main__":
    main()
